/**
 * Min-max parameters at any granularity, computed from the data itself: the "dynamic" mode of
 * survey §III-D (ranges computed per batch at run time), and the usual choice for weights.
 *
 * @module
 */

import { asTensorLike, type ObserverOptions, type QuantInput, resolveQRange } from "./observer.ts";
import { qparamsFromRange, qparamsFromRanges, type QuantParams } from "./params.ts";
import {
  forEachSegment,
  granularityLayout,
  quantize,
  type QuantizedCodes,
  type QuantizeOptions,
} from "./uniform.ts";

/** Options of {@linkcode minMaxQParams}: the code range and scheme plus the granularity. */
export interface MinMaxQParamsOptions extends ObserverOptions {
  /** Channel axis for per-channel / per-group parameters; omit for per-tensor. */
  axis?: number;
  /** Group size along `axis` for per-group parameters. */
  groupSize?: number;
}

/**
 * Quantization parameters from the min and max of each parameter set (tensor, channel or
 * group) of `x`, PyTorch semantics (see `@lowbit/quantize/params`).
 *
 * @param x The data: a Float32Array (per-tensor) or `{ data, shape }`.
 * @param options Bits / code range, symmetric, and the granularity (`axis`, `groupSize`).
 * @returns Parameters ready for `quantize`.
 * @throws {RangeError} If `x` is empty or holds NaN/±∞, or the granularity does not fit.
 *
 * @example Per-channel symmetric int8 for a [2, 3] weight
 * ```ts
 * import { minMaxQParams } from "@lowbit/quantize/dynamic";
 * import { deepEqual } from "node:assert/strict";
 * const w = { data: new Float32Array([1, -2, 0.5, 0.1, 0.2, -0.3]), shape: [2, 3] };
 * const p = minMaxQParams(w, { bits: 8, signed: true, symmetric: true, axis: 0 });
 * deepEqual([...(p.scale as Float32Array)], [Math.fround(2 / 127.5), Math.fround(Math.fround(0.3) / 127.5)]);
 * ```
 */
export function minMaxQParams(x: QuantInput, options: MinMaxQParamsOptions = {}): QuantParams {
  const t = asTensorLike(x);
  if (t.data.length === 0) throw new RangeError("x must not be empty");
  const { qmin, qmax } = resolveQRange(options);
  const layout = granularityLayout(t.shape, options.axis, options.groupSize, "options.");
  const mins = new Float64Array(layout.count).fill(Infinity);
  const maxs = new Float64Array(layout.count).fill(-Infinity);
  const d = t.data;
  forEachSegment(layout, (start, length, p, step) => {
    for (let j = 0, k = p; j < length; j++, k += step) {
      const v = d[start + j];
      if (!Number.isFinite(v)) {
        throw new RangeError(`x[${start + j}] is ${v}; ranges need finite values`);
      }
      if (v < mins[k]) mins[k] = v;
      if (v > maxs[k]) maxs[k] = v;
    }
  });
  const scheme = { qmin, qmax, symmetric: options.symmetric ?? false };
  if (options.axis === undefined) {
    const { scale, zeroPoint } = qparamsFromRange(mins[0], maxs[0], scheme);
    return { scale, zeroPoint, qmin, qmax };
  }
  const { scale, zeroPoint } = qparamsFromRanges(mins, maxs, scheme);
  return { scale, zeroPoint, qmin, qmax, axis: options.axis, groupSize: options.groupSize };
}

/**
 * Dynamic quantization: min-max parameters from `x` itself, then {@linkcode quantize}.
 *
 * @param x The data: a Float32Array (per-tensor) or `{ data, shape }`.
 * @param options Code range, scheme, granularity and rounding.
 * @returns The quantized tensor with its parameters.
 * @throws {RangeError} As {@linkcode minMaxQParams}.
 *
 * @example 4-bit groups of 2 along the last axis
 * ```ts
 * import { quantizeDynamic } from "@lowbit/quantize/dynamic";
 * import { dequantize } from "@lowbit/quantize/uniform";
 * import { ok } from "node:assert/strict";
 * const x = { data: new Float32Array([0.1, 0.2, 5, -5]), shape: [1, 4] };
 * const t = quantizeDynamic(x, { bits: 4, signed: true, symmetric: true, axis: 1, groupSize: 2 });
 * const y = dequantize(t);
 * ok(Math.abs(y[0] - 0.1) < 0.02); // the small group keeps its own fine scale
 * ```
 */
export function quantizeDynamic(
  x: QuantInput,
  options: MinMaxQParamsOptions & QuantizeOptions = {},
): QuantizedCodes {
  return quantize(x, minMaxQParams(x, options), options);
}
