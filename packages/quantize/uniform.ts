/**
 * Uniform (affine and symmetric) quantization over tensors at any granularity (survey Eqs. 2–5,
 * §III-E): per-tensor, per-channel along an axis, and per-group (blocks of `groupSize`
 * consecutive elements along an axis).
 *
 * Semantics follow PyTorch's `quantize_per_tensor` / `fake_quantize_per_tensor_affine` (and
 * their per-channel forms), computed in float32 like PyTorch:
 *
 *     q  = clamp(round_half_even(fl(x · fl(1/S))) + Z, qmin, qmax)      (U.1)
 *     x̂ = fl((q − Z) · S)                                                (U.2)
 *
 * where fl(·) rounds to float32. Multiplying by the float32 reciprocal (not dividing by S) is
 * PyTorch's choice; ONNX QuantizeLinear divides instead, and the two differ on rare ties
 * (`scaling: "divide"` selects the ONNX form). Other rounding modes, stochastic included, are
 * available through the `rounding` option.
 *
 * Parameter layout: per-tensor parameters are numbers; per-channel parameters have one entry
 * per index along `axis`; per-group parameters have the input's shape with the `axis` dimension
 * replaced by dim / groupSize (row-major; the group size must divide the axis), e.g. a
 * [out, in] weight with groups of 128 along axis 1 has [out, in/128] scales.
 *
 * @module
 */

import { resolveRounding, type RoundingOptions, roundInteger } from "@lowbit/rounding/modes";
import { asTensorLike, type QuantInput } from "./observer.ts";
import type { QuantParams } from "./params.ts";

/** Integer storage for codes: the smallest typed array that holds [qmin, qmax]. */
export type QuantizedData = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array;

/** Codes with the parameters that give them meaning (the `QuantizedBuffer {q, S, Z}` of Jacob et al.). */
export interface QuantizedTensor {
  /** Integer codes, row-major. */
  q: QuantizedData;
  /** The shape of the original tensor. */
  shape: number[];
  /** Scale, zero point, code range and granularity. */
  params: QuantParams;
}

/** Options of {@linkcode quantize} and {@linkcode fakeQuantize}: rounding and scaling. */
export interface QuantizeOptions extends RoundingOptions {
  /**
   * How x is scaled: `"reciprocal"` (default) multiplies by fl(1/S) like PyTorch; `"divide"`
   * computes fl(x / S) like ONNX QuantizeLinear. They differ when x·fl(1/S) and x/S fall on
   * different sides of a rounding boundary.
   */
  scaling?: "reciprocal" | "divide";
}

/** How parameters map onto a row-major tensor: [outer, dim, inner] around `axis`. */
export interface ParamLayout {
  /** Product of the dimensions before the axis. */
  outer: number;
  /** Size of the axis (1 for per-tensor). */
  dim: number;
  /** Product of the dimensions after the axis. */
  inner: number;
  /** Group size along the axis (1 when each index has its own parameters). */
  groupSize: number;
  /** Parameter sets along the axis: `dim` per-channel, ⌈dim / groupSize⌉ per-group, 1 per-tensor. */
  groups: number;
  /** Whether parameters vary with the inner index (per-group layout) or not. */
  perInner: boolean;
  /** Total number of parameter sets. */
  count: number;
}

/**
 * The layout of `params` over a tensor of `shape`, validating the parameter counts.
 *
 * @param shape The tensor shape.
 * @param params The parameters.
 * @returns The layout.
 * @throws {RangeError} If `axis`/`groupSize` are invalid for `shape` or the scale/zero-point
 *   lengths do not match.
 *
 * @example Groups of 2 along axis 1 of a [2, 4] weight: 2 × 2 parameter sets
 * ```ts
 * import { paramLayout } from "@lowbit/quantize/uniform";
 * import { equal } from "node:assert/strict";
 * const p = { scale: new Float32Array(4).fill(1), zeroPoint: new Int32Array(4), qmin: -8, qmax: 7, axis: 1, groupSize: 2 };
 * equal(paramLayout([2, 4], p).count, 4);
 * ```
 */
export function paramLayout(shape: readonly number[], params: QuantParams): ParamLayout {
  checkParams(params);
  if (params.axis === undefined && params.groupSize === undefined) {
    if (typeof params.scale !== "number" || typeof params.zeroPoint !== "number") {
      throw new RangeError(
        "per-tensor params (no axis) need a number scale and zeroPoint; give params.axis for arrays",
      );
    }
  }
  const layout = granularityLayout(shape, params.axis, params.groupSize, "params.");
  if (layout.count === 1 && params.axis === undefined) return layout;
  const ns = typeof params.scale === "number" ? -1 : params.scale.length;
  const nz = typeof params.zeroPoint === "number" ? -1 : params.zeroPoint.length;
  if (ns !== layout.count || nz !== layout.count) {
    throw new RangeError(
      `params.scale and params.zeroPoint must be arrays of ${layout.count} entries for shape [${
        shape.join(", ")
      }] (axis ${params.axis}${params.groupSize ? `, groupSize ${params.groupSize}` : ""}); got ${
        ns < 0 ? "a number" : ns
      } and ${nz < 0 ? "a number" : nz}`,
    );
  }
  return layout;
}

/**
 * The layout of per-tensor (no axis), per-channel (axis) or per-group (axis + groupSize)
 * parameters over a tensor of `shape`.
 *
 * @param shape The tensor shape.
 * @param axis The channel axis, or `undefined` for per-tensor (negative counts from the end).
 * @param groupSize Group size along `axis`, or `undefined` for per-channel.
 * @param prefix Prefix for argument names in error messages.
 * @returns The layout.
 * @throws {RangeError} If `axis` is out of range or `groupSize` is not a positive integer.
 *
 * @example Per-channel along axis 0 of a [8, 3, 3, 3] conv weight
 * ```ts
 * import { granularityLayout } from "@lowbit/quantize/uniform";
 * import { equal } from "node:assert/strict";
 * const l = granularityLayout([8, 3, 3, 3], 0);
 * equal(l.count, 8);
 * equal(l.inner, 27);
 * ```
 */
export function granularityLayout(
  shape: readonly number[],
  axis?: number,
  groupSize?: number,
  prefix = "",
): ParamLayout {
  const size = shape.reduce((a, b) => a * b, 1);
  if (axis === undefined) {
    if (groupSize !== undefined) {
      throw new RangeError(
        `${prefix}groupSize needs ${prefix}axis (the axis the groups run along)`,
      );
    }
    return { outer: 1, dim: 1, inner: size, groupSize: 1, groups: 1, perInner: false, count: 1 };
  }
  const nd = shape.length;
  if (!Number.isInteger(axis) || axis < -nd || axis >= nd) {
    throw new RangeError(`${prefix}axis must be an integer in [${-nd}, ${nd - 1}]; got ${axis}`);
  }
  const a = axis < 0 ? axis + nd : axis;
  const outer = shape.slice(0, a).reduce((x, y) => x * y, 1);
  const dim = shape[a];
  const inner = shape.slice(a + 1).reduce((x, y) => x * y, 1);
  if (groupSize === undefined) {
    return { outer, dim, inner, groupSize: 1, groups: dim, perInner: false, count: dim };
  }
  if (!Number.isInteger(groupSize) || groupSize < 1) {
    throw new RangeError(`${prefix}groupSize must be a positive integer; got ${groupSize}`);
  }
  if (dim % groupSize !== 0) {
    throw new RangeError(
      `${prefix}groupSize must divide the axis size ${dim} (axis ${a}); got ${groupSize}`,
    );
  }
  const groups = dim / groupSize;
  return { outer, dim, inner, groupSize, groups, perInner: true, count: outer * groups * inner };
}

function checkParams(p: QuantParams): void {
  if (p === null || typeof p !== "object") {
    throw new TypeError("params must be a QuantParams object");
  }
  const { qmin, qmax } = p;
  if (
    !Number.isInteger(qmin) || !Number.isInteger(qmax) || qmin >= qmax || qmin < -(2 ** 31) ||
    qmax > 2 ** 31 - 1
  ) {
    throw new RangeError(
      `params.qmin/qmax must be int32 integers with qmin < qmax; got ${qmin}, ${qmax}`,
    );
  }
  const scales = typeof p.scale === "number" ? [p.scale] : p.scale;
  for (let i = 0; i < scales.length; i++) {
    if (!(scales[i] > 0) || !Number.isFinite(scales[i])) {
      throw new RangeError(
        `params.scale${typeof p.scale === "number" ? "" : `[${i}]`} must be finite and > 0; got ${
          scales[i]
        }`,
      );
    }
  }
  const zps = typeof p.zeroPoint === "number" ? [p.zeroPoint] : p.zeroPoint;
  for (let i = 0; i < zps.length; i++) {
    if (!Number.isInteger(zps[i]) || zps[i] < qmin || zps[i] > qmax) {
      throw new RangeError(
        `params.zeroPoint${
          typeof p.zeroPoint === "number" ? "" : `[${i}]`
        } must be an integer in [${qmin}, ${qmax}]; got ${zps[i]}`,
      );
    }
  }
}

/**
 * The smallest typed array holding codes in [qmin, qmax] (unsigned when qmin ≥ 0).
 *
 * @param qmin Smallest code.
 * @param qmax Largest code.
 * @param length Number of elements.
 * @returns A zeroed Int8Array, Uint8Array, Int16Array, Uint16Array or Int32Array.
 *
 * @example
 * ```ts
 * import { allocateCodes } from "@lowbit/quantize/uniform";
 * import { ok } from "node:assert/strict";
 * ok(allocateCodes(-128, 127, 4) instanceof Int8Array);
 * ok(allocateCodes(0, 15, 4) instanceof Uint8Array);
 * ok(allocateCodes(0, 65535, 4) instanceof Uint16Array);
 * ```
 */
export function allocateCodes(qmin: number, qmax: number, length: number): QuantizedData {
  if (qmin >= 0) {
    if (qmax <= 255) return new Uint8Array(length);
    if (qmax <= 65535) return new Uint16Array(length);
  } else {
    if (qmin >= -128 && qmax <= 127) return new Int8Array(length);
    if (qmin >= -32768 && qmax <= 32767) return new Int16Array(length);
  }
  return new Int32Array(length);
}

const f = Math.fround;

/**
 * Visits every element of a row-major tensor with its parameter index: calls
 * `run(start, end, paramIndex)` for each run of consecutive elements that share parameters.
 *
 * @param l The layout from {@linkcode granularityLayout} or {@linkcode paramLayout}.
 * @param run Called with [start, end) element indices and the parameter index.
 *
 * @example
 * ```ts
 * import { forEachRun, granularityLayout } from "@lowbit/quantize/uniform";
 * import { deepEqual } from "node:assert/strict";
 * const runs: number[][] = [];
 * forEachRun(granularityLayout([2, 3], 0), (s, e, p) => runs.push([s, e, p]));
 * deepEqual(runs, [[0, 3, 0], [3, 6, 1]]);
 * ```
 */
export function forEachRun(
  l: ParamLayout,
  run: (start: number, end: number, p: number) => void,
): void {
  if (l.count === 1) {
    run(0, l.outer * l.dim * l.inner, 0);
    return;
  }
  let i = 0;
  for (let o = 0; o < l.outer; o++) {
    for (let d = 0; d < l.dim; d++) {
      if (!l.perInner) {
        run(i, i + l.inner, d);
      } else {
        const base = (o * l.groups + Math.floor(d / l.groupSize)) * l.inner;
        for (let k = 0; k < l.inner; k++) run(i + k, i + k + 1, base + k);
      }
      i += l.inner;
    }
  }
}

/**
 * Quantizes real values to integer codes (Eq. U.1).
 *
 * @param x A Float32Array (per-tensor only) or a tensor `{ data, shape }`.
 * @param params Scale, zero point, code range and granularity.
 * @param options Rounding mode (default round half to even) and random source.
 * @returns The codes, the shape and the parameters.
 * @throws {RangeError} If an element is NaN (the message names its index) or the parameters
 *   are invalid for the shape.
 * @throws {TypeError} If `x` is not a Float32Array or tensor, or stochastic rounding lacks a
 *   random source.
 *
 * @example Asymmetric 8-bit: S = 0.1, Z = −10
 * ```ts
 * import { quantize } from "@lowbit/quantize/uniform";
 * import { deepEqual } from "node:assert/strict";
 * const t = quantize(new Float32Array([0, 0.25, -1, 100]), { scale: 0.1, zeroPoint: -10, qmin: -128, qmax: 127 });
 * deepEqual([...t.q], [-10, -8, -20, 127]); // 0.25/0.1 = 2.5 ties to 2; 100 saturates
 * ```
 */
export function quantize(
  x: QuantInput,
  params: QuantParams,
  options?: QuantizeOptions,
): QuantizedTensor {
  const t = asTensorLike(x);
  const layout = paramLayout(t.shape, params);
  const { mode, random } = resolveRounding(options);
  const scaling = options?.scaling ?? "reciprocal";
  if (scaling !== "reciprocal" && scaling !== "divide") {
    throw new RangeError(`scaling must be "reciprocal" or "divide"; got ${String(scaling)}`);
  }
  const divide = scaling === "divide";
  const { qmin, qmax } = params;
  const src = t.data;
  const q = allocateCodes(qmin, qmax, src.length);
  const scales = params.scale, zps = params.zeroPoint;
  forEachRun(layout, (start, end, p) => {
    const s = typeof scales === "number" ? scales : scales[p];
    const z = typeof zps === "number" ? zps : zps[p];
    const inv = f(1 / s);
    for (let i = start; i < end; i++) {
      const v = divide ? f(src[i] / s) : f(src[i] * inv);
      if (v !== v) throw new RangeError(`x[${i}] is NaN; quantization needs a number`);
      let r: number;
      if (mode === "nearest-even") {
        r = Math.round(v);
        if (r - v === 0.5 && r % 2 !== 0) r -= 1;
      } else r = roundInteger(v, mode, random);
      const c = r + z;
      q[i] = c < qmin ? qmin : c > qmax ? qmax : c;
    }
  });
  return { q, shape: [...t.shape], params };
}

/**
 * Maps codes back to real values (Eq. U.2): x̂ = (q − Z) · S in float32.
 *
 * @param t The quantized tensor.
 * @param out Destination (a new Float32Array if omitted).
 * @returns `out`.
 * @throws {RangeError} If the parameters do not fit the shape or `out` is too short.
 *
 * @example
 * ```ts
 * import { dequantize, quantize } from "@lowbit/quantize/uniform";
 * import { deepEqual } from "node:assert/strict";
 * const p = { scale: 0.5, zeroPoint: 0, qmin: -8, qmax: 7 };
 * deepEqual([...dequantize(quantize(new Float32Array([1.2, -9]), p))], [1, -4]);
 * ```
 */
export function dequantize(t: QuantizedTensor, out?: Float32Array): Float32Array {
  const layout = paramLayout(t.shape, t.params);
  const n = t.q.length;
  const dst = out ?? new Float32Array(n);
  if (dst.length < n) {
    throw new RangeError(`out must hold at least ${n} elements; got ${dst.length}`);
  }
  const scales = t.params.scale, zps = t.params.zeroPoint, q = t.q;
  forEachRun(layout, (start, end, p) => {
    const s = typeof scales === "number" ? scales : scales[p];
    const z = typeof zps === "number" ? zps : zps[p];
    for (let i = start; i < end; i++) dst[i] = (q[i] - z) * s;
  });
  return dst;
}

/**
 * Simulated ("fake") quantization: quantize then dequantize, staying in float32 — the forward
 * pass of quantization-aware training (lecture 5.7). Equal bit for bit to
 * `dequantize(quantize(x, params, options))`.
 *
 * @param x A Float32Array (per-tensor only) or a tensor `{ data, shape }`.
 * @param params Scale, zero point, code range and granularity.
 * @param options Rounding mode and random source.
 * @returns A new Float32Array of the representable values.
 * @throws {RangeError} If an element is NaN or the parameters are invalid for the shape.
 *
 * @example Symmetric 4-bit, S = 0.25
 * ```ts
 * import { fakeQuantize } from "@lowbit/quantize/uniform";
 * import { deepEqual } from "node:assert/strict";
 * const y = fakeQuantize(new Float32Array([0.3, -0.125, 5]), { scale: 0.25, zeroPoint: 0, qmin: -8, qmax: 7 });
 * deepEqual([...y], [0.25, -0, 1.75]);
 * ```
 */
export function fakeQuantize(
  x: QuantInput,
  params: QuantParams,
  options?: QuantizeOptions,
): Float32Array {
  return dequantize(quantize(x, params, options));
}
