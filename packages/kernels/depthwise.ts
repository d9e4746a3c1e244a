/**
 * Direct depthwise convolution (`groups = inChannels`, channel multiplier
 * `outChannels / inChannels`), NCHW activations and OIHW weights `[O][1][kH][kW]`: output
 * channel `c·mult + q` reads input channel c only. No im2col: each output row is a sum of
 * shifted, scaled input rows, which is what a GEMM with K = kH·kW cannot do well.
 *
 * `depthwiseConv2dF32` sums the exact float32 products in binary64 and rounds once (as the
 * reference GEMM does), then adds nothing more: the result is the correctly rounded sum up
 * to the binary64 summation error.
 *
 * @example Two channels, 3×3 kernels of ones, padding 1
 * ```ts
 * import { depthwiseConv2dF32 } from "@lowbit/kernels/depthwise";
 * import { deepEqual } from "node:assert/strict";
 * const p = { batch: 1, inChannels: 2, height: 2, width: 2, outChannels: 2, kernelH: 3,
 *   kernelW: 3, padding: 1, groups: 2 };
 * const x = new Float32Array([1, 2, 3, 4, 1, 1, 1, 1]);
 * const y = depthwiseConv2dF32(x, new Float32Array(18).fill(1), p);
 * deepEqual([...y], [10, 10, 10, 10, 4, 4, 4, 4]);
 * ```
 *
 * @module
 */

import { checkInput, checkWeight, resolveConv2d } from "./_conv_resolve.ts";
import { activate, checkActivation, checkPerChannel, outputBuffer } from "./_conv_common.ts";
import { checkDepthwise, depthwiseF32Unchecked } from "./_depthwise.ts";
import type { Activation } from "./gemm_f32.ts";
import type { Conv2dParams } from "./conv_params.ts";

/** Options of {@link depthwiseConv2dF32}. */
export interface DepthwiseF32Options {
  /** Per-output-channel bias (length outChannels). */
  bias?: Float32Array;
  /** Output activation. Default `"none"`. */
  activation?: Activation;
  /** Output storage, NCHW (≥ batch·outChannels·outH·outW); allocated when omitted. */
  out?: Float32Array;
}

/**
 * Depthwise float32 convolution: `y[n][o] = Σ_ij w[o][0][i][j]·x[n][o / mult][…] + bias[o]`.
 *
 * @param input NCHW activations (`batch·inChannels·height·width`).
 * @param weight OIHW weights (`outChannels·1·kernelH·kernelW`).
 * @param p The convolution's shapes; `groups` must equal `inChannels`.
 * @param options Bias, activation, output buffer.
 * @returns NCHW output `[batch][outChannels][outH][outW]` (`options.out` when given).
 * @throws {RangeError} On bad params, groups ≠ inChannels, short buffers, a bias of the wrong
 *   length or an unknown activation.
 * @throws {TypeError} When a buffer is not a Float32Array.
 *
 * @example Channel multiplier 2, stride 2
 * ```ts
 * import { depthwiseConv2dF32 } from "@lowbit/kernels/depthwise";
 * import { deepEqual } from "node:assert/strict";
 * const p = { batch: 1, inChannels: 1, height: 1, width: 4, outChannels: 2, kernelH: 1,
 *   kernelW: 2, stride: 2, groups: 1 };
 * const y = depthwiseConv2dF32(new Float32Array([1, 2, 3, 4]), new Float32Array([1, 1, 1, -1]), p, {
 *   bias: new Float32Array([0, 10]),
 * });
 * deepEqual([...y], [3, 7, 9, 9]); // channel 0: 1+2, 3+4; channel 1: 10 + (1−2), 10 + (3−4)
 * ```
 */
export function depthwiseConv2dF32(
  input: Float32Array,
  weight: Float32Array,
  p: Conv2dParams,
  options: DepthwiseF32Options = {},
): Float32Array {
  const r = resolveConv2d(p);
  checkDepthwise(r);
  checkInput("input", input, r, [Float32Array]);
  checkWeight("weight", weight, r, [Float32Array]);
  const bias = checkPerChannel("options.bias", options.bias, r.outC, [Float32Array]);
  const act = checkActivation(options.activation);
  const need = r.batch * r.outC * r.outH * r.outW;
  const out = outputBuffer(options.out, need, `NCHW output = ${need}`, Float32Array, [
    Float32Array,
  ]);
  depthwiseF32Unchecked(input, weight, r, bias, out, (v) => activate(v, act));
  return out;
}
