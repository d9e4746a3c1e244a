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
 * where fl(·) rounds to float32 and S is taken as a float32 value (PyTorch stores per-channel
 * scales as float32; `qparamsFromRange` returns float32 scales). Multiplying by the float32 reciprocal (not dividing by S) is
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

import {
  type RandomSource,
  resolveRounding,
  type RoundingMode,
  type RoundingOptions,
  roundInteger,
} from "@lowbit/rounding/modes";
import { asTensorLike, type QuantInput } from "./observer.ts";
import { quantizeSegmentWasm, quantizeWasmAvailable } from "./_quantize_wasm.ts";
import type { QuantParams } from "./params.ts";

/** Integer storage for codes: the smallest typed array that holds [qmin, qmax]. */
export type QuantizedData = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array;

/** Codes with the parameters that give them meaning (the `QuantizedBuffer {q, S, Z}` of Jacob et al.). */
export interface QuantizedCodes {
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
  /**
   * Kernel for round-half-even segments with constant parameters: `"auto"` (default: WebAssembly
   * SIMD when available), `"wasm"` (throws if unavailable) or `"ts"`. All give identical codes;
   * this exists for tests and benchmarks.
   */
  kernel?: "auto" | "wasm" | "ts";
  /**
   * Where to write the codes (reused across calls to avoid allocating): must be the storage
   * type {@linkcode allocateCodes} picks for [qmin, qmax] and hold at least as many elements as
   * the input. A new array when omitted.
   */
  out?: QuantizedData;
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

function isNumberArray(a: unknown): a is ArrayLike<number> {
  return Array.isArray(a) || (ArrayBuffer.isView(a) && !(a instanceof DataView) &&
    !(a instanceof BigInt64Array) && !(a instanceof BigUint64Array));
}

/**
 * Smallest float32 scale whose float32 reciprocal is finite: 1/S must stay below
 * FLT_MAX + ulp/2 = 2^128 − 2^103, which 2^−128 misses and the next float32 up, 2^−128 + 2^−149,
 * meets.
 */
const MIN_F32_SCALE = 2 ** -128 + 2 ** -149;

/**
 * Checks that a scale is usable as a float32 scale: fl(S) positive and finite and fl(1/fl(S))
 * finite (so S in [2^−128 + ε, FLT_MAX], about [2.94e−39, 3.40e38]).
 *
 * @param s The scale.
 * @param name The argument name in the error.
 * @throws {RangeError} If not.
 *
 * @example
 * ```ts
 * import { checkScale } from "@lowbit/quantize/uniform";
 * import { throws } from "node:assert/strict";
 * checkScale(0.1, "scale");
 * throws(() => checkScale(1e-45, "scale"), /scale/);
 * throws(() => checkScale(1e39, "scale"), /scale/);
 * ```
 */
export function checkScale(s: number, name: string): void {
  const s32 = f(s);
  if (typeof s !== "number" || !(s32 >= MIN_F32_SCALE && s32 < Infinity)) {
    throw new RangeError(
      `${name} must be finite and > 0 as a float32, with a finite float32 reciprocal: in [${MIN_F32_SCALE}, 3.4028234663852886e38]; got ${
        String(s)
      }${typeof s === "number" && s > 0 && s32 !== s ? ` (float32 ${s32})` : ""}`,
    );
  }
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
  if (typeof p.scale !== "number" && !isNumberArray(p.scale)) {
    throw new TypeError("params.scale must be a number or a Float32Array (or an array of numbers)");
  }
  for (let i = 0; i < scales.length; i++) {
    checkScale(scales[i], `params.scale${typeof p.scale === "number" ? "" : `[${i}]`}`);
  }
  const zps = typeof p.zeroPoint === "number" ? [p.zeroPoint] : p.zeroPoint;
  if (typeof p.zeroPoint !== "number" && !isNumberArray(p.zeroPoint)) {
    throw new TypeError(
      "params.zeroPoint must be a number or an Int32Array (or an array of integers)",
    );
  }
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
 * Visits a row-major tensor in segments of consecutive elements whose parameter indices are
 * either constant (`step` 0) or consecutive (`step` 1): element `start + j` uses parameter
 * `param + j·step`. Long constant segments let kernels hoist the scale out of the loop.
 *
 * @param l The layout from {@linkcode granularityLayout} or {@linkcode paramLayout}.
 * @param visit Called with (start, length, param, step) for each segment, in order.
 *
 * @example Per-channel along the last axis: one segment per row, parameters stepping
 * ```ts
 * import { forEachSegment, granularityLayout } from "@lowbit/quantize/uniform";
 * import { deepEqual } from "node:assert/strict";
 * const segs: number[][] = [];
 * forEachSegment(granularityLayout([2, 3], 1), (s, n, p, k) => segs.push([s, n, p, k]));
 * deepEqual(segs, [[0, 3, 0, 1], [3, 3, 0, 1]]);
 * ```
 */
export function forEachSegment(
  l: ParamLayout,
  visit: (start: number, length: number, param: number, step: 0 | 1) => void,
): void {
  const { outer, dim, inner } = l;
  if (l.count === 1) {
    visit(0, outer * dim * inner, 0, 0);
    return;
  }
  let i = 0;
  for (let o = 0; o < outer; o++) {
    if (!l.perInner) {
      // Per-channel: constant over each (o, d) row of `inner`, or stepping over d when inner = 1.
      if (inner === 1) {
        visit(i, dim, 0, 1);
        i += dim;
      } else {
        for (let d = 0; d < dim; d++, i += inner) visit(i, inner, d, 0);
      }
    } else if (inner === 1) {
      // Per-group along the last axis: constant over each group of `groupSize`.
      for (let g = 0; g < l.groups; g++, i += l.groupSize) {
        visit(i, l.groupSize, o * l.groups + g, 0);
      }
    } else {
      for (let d = 0; d < dim; d++, i += inner) {
        visit(i, inner, (o * l.groups + Math.floor(d / l.groupSize)) * inner, 1);
      }
    }
  }
}

/**
 * Like {@linkcode forEachSegment}, one call per run of elements sharing one parameter index:
 * `run(start, end, param)` for element indices [start, end).
 *
 * @param l The layout.
 * @param run Called for each run, in order.
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
  run: (start: number, end: number, param: number) => void,
): void {
  forEachSegment(l, (start, length, p, step) => {
    if (step === 0) run(start, start + length, p);
    else for (let j = 0; j < length; j++) run(start + j, start + j + 1, p + j);
  });
}

let codes: Int32Array = new Int32Array(4096);

/** A reusable int32 scratch buffer of at least n elements. */
function scratchCodes(n: number): Int32Array {
  if (codes.length < n) codes = new Int32Array(Math.max(n, codes.length * 2));
  return codes;
}

/**
 * Eq. U.1 with round half to even over one segment into int32 `out[0..n)`; `inv`/`zp` are
 * indexed `p + j·step`. Returns −1, or the index of the first NaN.
 */
function quantizeSegmentRne(
  src: Float32Array,
  start: number,
  n: number,
  out: Int32Array,
  scale: Float32Array,
  inv: Float32Array,
  zp: Int32Array,
  p: number,
  step: number,
  qmin: number,
  qmax: number,
  divide: boolean,
): number {
  for (let j = 0, k = p; j < n; j++, k += step) {
    const x = src[start + j];
    const v = divide ? f(x / scale[k]) : f(x * inv[k]);
    if (v !== v) return start + j;
    // v is a float32 value, so v + 0.5 is exact in binary64 and floor gives round-half-up
    // (Math.floor is a single instruction where Math.round is a runtime call on this host);
    // a tie (|v| < 2^23, so r fits int32) then steps back to even.
    let r = Math.floor(v + 0.5);
    if (r - v === 0.5) r -= r & 1;
    const c = r + zp[k];
    out[j] = c < qmin ? qmin : c > qmax ? qmax : c;
  }
  return -1;
}

/** Any rounding mode, one segment (the slow path for modes other than round-half-even). */
function quantizeSegmentAny(
  src: Float32Array,
  start: number,
  n: number,
  out: Int32Array,
  scale: Float32Array,
  inv: Float32Array,
  zp: Int32Array,
  p: number,
  step: number,
  qmin: number,
  qmax: number,
  divide: boolean,
  mode: RoundingMode,
  random: RandomSource | undefined,
): number {
  for (let j = 0, k = p; j < n; j++, k += step) {
    const x = src[start + j];
    const v = divide ? f(x / scale[k]) : f(x * inv[k]);
    if (v !== v) return start + j;
    const c = roundInteger(v, mode, random) + zp[k];
    out[j] = c < qmin ? qmin : c > qmax ? qmax : c;
  }
  return -1;
}

/** Parameters as arrays (a per-tensor number becomes a 1-element array). */
function paramArrays(params: QuantParams): { scale: Float32Array; zp: Int32Array } {
  // Arrays of numbers (and other typed arrays) become float32 / int32 exactly as a
  // Float32Array / Int32Array would hold them, so a number[] scale gives the same codes.
  const s = params.scale, z = params.zeroPoint;
  const scale = typeof s === "number"
    ? Float32Array.of(s)
    : s instanceof Float32Array
    ? s
    : Float32Array.from(s);
  const zp = typeof z === "number"
    ? Int32Array.of(z)
    : z instanceof Int32Array
    ? z
    : Int32Array.from(z);
  return { scale, zp };
}

/** Longest segment processed at once through the scratch buffer. */
const SEGMENT = 16384;

/**
 * Quantizes real values to integer codes (Eq. U.1).
 *
 * @param x A Float32Array (per-tensor only) or a tensor `{ data, shape }`.
 * @param params Scale, zero point, code range and granularity.
 * @param options Rounding mode (default round half to even), random source and scaling.
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
): QuantizedCodes {
  const t = asTensorLike(x);
  const layout = paramLayout(t.shape, params);
  const { mode, random } = resolveRounding(options);
  const scaling = options?.scaling ?? "reciprocal";
  if (scaling !== "reciprocal" && scaling !== "divide") {
    throw new RangeError(`scaling must be "reciprocal" or "divide"; got ${String(scaling)}`);
  }
  const divide = scaling === "divide";
  const kernel = options?.kernel ?? "auto";
  if (kernel !== "auto" && kernel !== "wasm" && kernel !== "ts") {
    throw new RangeError(`kernel must be "auto", "wasm" or "ts"; got ${String(kernel)}`);
  }
  if (kernel === "wasm" && !quantizeWasmAvailable()) {
    throw new RangeError('kernel "wasm" requested but WebAssembly SIMD is unavailable here');
  }
  // The Wasm kernel clamps in int32 around Z; code ranges beyond ±2^24 stay on the TS path.
  const useWasm = kernel !== "ts" && mode === "nearest-even" &&
    params.qmin >= -(2 ** 24) && params.qmax <= 2 ** 24;
  const { qmin, qmax } = params;
  const src = t.data;
  const q = options?.out ?? allocateCodes(qmin, qmax, src.length);
  if (options?.out !== undefined) {
    const want = allocateCodes(qmin, qmax, 0).constructor;
    if (q.constructor !== want || q.length < src.length) {
      throw new RangeError(
        `options.out must be a ${want.name} of at least ${src.length} elements for codes in [${qmin}, ${qmax}]; got a ${q.constructor.name} of ${q.length}`,
      );
    }
  }
  const { scale, zp } = paramArrays(params);
  const inv = scale.map((s) => 1 / s); // Float32Array: fl(1/S), PyTorch's inv_scale
  forEachSegment(layout, (start, length, p, step) => {
    let done = 0;
    if (useWasm && step === 0 && length >= 64) {
      done = quantizeSegmentWasm(
        src,
        start,
        length,
        q,
        scale[p],
        inv[p],
        zp[p],
        qmin,
        qmax,
        divide,
      );
      if (done < 0) throw new RangeError(`x[${-1 - done}] is NaN; quantization needs a number`);
    }
    for (let s = done; s < length; s += SEGMENT) {
      const n = Math.min(SEGMENT, length - s);
      const out = scratchCodes(n);
      const bad = mode === "nearest-even"
        ? quantizeSegmentRne(
          src,
          start + s,
          n,
          out,
          scale,
          inv,
          zp,
          p + s * step,
          step,
          qmin,
          qmax,
          divide,
        )
        : quantizeSegmentAny(
          src,
          start + s,
          n,
          out,
          scale,
          inv,
          zp,
          p + s * step,
          step,
          qmin,
          qmax,
          divide,
          mode,
          random,
        );
      if (bad >= 0) throw new RangeError(`x[${bad}] is NaN; quantization needs a number`);
      q.set(out.length === n ? out : out.subarray(0, n), start + s);
    }
  });
  return { q, shape: [...t.shape], params };
}

/** Eq. U.2 over one segment of int32 codes. */
function dequantizeSegment(
  codes: Int32Array,
  n: number,
  dst: Float32Array,
  start: number,
  scale: Float32Array,
  zp: Int32Array,
  p: number,
  step: number,
): void {
  for (let j = 0, k = p; j < n; j++, k += step) dst[start + j] = (codes[j] - zp[k]) * scale[k];
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
export function dequantize(t: QuantizedCodes, out?: Float32Array): Float32Array {
  if (t === null || typeof t !== "object" || !isNumberArray(t.q) || !Array.isArray(t.shape)) {
    throw new TypeError("t must be a QuantizedCodes { q, shape, params }");
  }
  const layout = paramLayout(t.shape, t.params);
  const n = t.q.length;
  const size = t.shape.reduce((a, b) => a * b, 1);
  if (n !== size) {
    throw new RangeError(
      `t.q has ${n} codes; t.shape [${t.shape.join(", ")}] needs ${size}`,
    );
  }
  const { qmin, qmax } = t.params;
  for (let i = 0; i < n; i++) {
    const c = t.q[i];
    if (!(c >= qmin && c <= qmax) || (c | 0) !== c) {
      throw new RangeError(
        `t.q[${i}] = ${c} is not an integer code in [t.params.qmin, t.params.qmax] = [${qmin}, ${qmax}]`,
      );
    }
  }
  const dst = out ?? new Float32Array(n);
  if (dst.length < n) {
    throw new RangeError(`out must hold at least ${n} elements; got ${dst.length}`);
  }
  const { scale, zp } = paramArrays(t.params);
  forEachSegment(layout, (start, length, p, step) => {
    for (let s = 0; s < length; s += SEGMENT) {
      const m = Math.min(SEGMENT, length - s);
      const c = scratchCodes(m);
      for (let j = 0; j < m; j++) c[j] = t.q[start + s + j];
      dequantizeSegment(c, m, dst, start + s, scale, zp, p + s * step, step);
    }
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
