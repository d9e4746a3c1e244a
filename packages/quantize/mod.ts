/**
 * Quantizers and calibration (survey §III): uniform affine/symmetric quantization at any
 * granularity (per-tensor, per-channel, per-group) with PyTorch semantics, quantization
 * parameters from ranges, calibration observers (min-max, moving average, per-channel,
 * percentile, MSE, histogram, entropy, cross-entropy for logits, ACIQ), non-uniform quantizers
 * (log2, APoT, codebook, binary codes), straight-through-estimator gradients (STE, LSQ, PACT)
 * and error metrics.
 *
 * @example Calibrate a range, quantize to uint8, measure the error
 * ```ts
 * import { fakeQuantize, qparamsFromRange } from "@lowbit/quantize";
 * import { ok } from "node:assert/strict";
 * const x = new Float32Array([-0.7, 0.1, 0.9, 2.2]);
 * const { scale, zeroPoint } = qparamsFromRange(-0.7, 2.2, { qmin: 0, qmax: 255 });
 * const y = fakeQuantize(x, { scale, zeroPoint, qmin: 0, qmax: 255 });
 * ok(y.every((v, i) => Math.abs(v - x[i]) <= scale / 2));
 * ```
 *
 * @module
 */

export * from "./params.ts";
export * from "./observer.ts";
export * from "./uniform.ts";
export * from "./dynamic.ts";
export * from "./observers/minmax.ts";
export * from "./observers/percentile.ts";
export * from "./observers/mse.ts";
export * from "./observers/histogram.ts";
export * from "./observers/entropy.ts";
export * from "./observers/cross_entropy.ts";
export * from "./aciq.ts";
export * from "./nonuniform/log2.ts";
export * from "./nonuniform/apot.ts";
export * from "./nonuniform/codebook.ts";
export * from "./nonuniform/binary_code.ts";
export * from "./ste.ts";
export * from "./metrics.ts";
// Types from @lowbit/rounding that public options of this package reference.
export type { RandomSource, RoundingMode, RoundingOptions } from "@lowbit/rounding/modes";
export type { Philox } from "@lowbit/rounding/philox";
