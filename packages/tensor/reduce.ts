/**
 * Reductions quantizers need: `min`, `max`, `absMax`, `sum`, `mean` over a whole tensor or
 * along one axis, and {@linkcode minMaxAlongAxis} for per-channel ranges.
 *
 * Contracts:
 * - **NaN propagates** like `Math.min`/`Math.max`: any NaN among the reduced values makes that
 *   result NaN (also for `absMax`, `sum` and `mean`).
 * - The sign of a zero result of `min`/`max` is unspecified (−0 and +0 compare equal).
 * - `sum` and `mean` accumulate sequentially in float64, in row-major order.
 * - Along an axis the result is a new `Tensor<"f64">`: every value of every dtype is exact in
 *   float64, so nothing is rounded.
 * - `min`/`max`/`absMax` of no values throw a `RangeError`; `sum` of no values is 0 and `mean`
 *   is NaN.
 *
 * Contiguous inputs are read in place, as `[outer, axis, inner]` blocks with no per-element
 * index arithmetic; other layouts (and `"f16"`) are first gathered into a float64 copy.
 *
 * @example Per-channel ranges of a weight matrix [out, in]
 * ```ts
 * import { Tensor } from "@lowbit/tensor/tensor";
 * import { absMax, minMaxAlongAxis } from "@lowbit/tensor/reduce";
 * import { deepEqual, equal } from "node:assert/strict";
 * const w = Tensor.from([1, -2, 3, -4, 0.5, 6], [2, 3]);
 * const { min, max } = minMaxAlongAxis(w, 0);
 * deepEqual([...min], [-2, -4]);
 * deepEqual([...max], [3, 6]);
 * equal(absMax(w), 6);
 * ```
 *
 * @module
 */

import { readValues } from "./_strided.ts";
import type { DType } from "./dtype.ts";
import { formatShape, normalizeAxis } from "./shape.ts";
import { Tensor } from "./tensor.ts";

/** Options of the reductions. */
export interface ReduceOptions {
  /** The axis to reduce (negative counts from the end); omitted: reduce every element. */
  axis?: number;
  /** Keep the reduced axis with size 1 (NumPy `keepdims`); default `false`. */
  keepdims?: boolean;
}

/** Per-channel extremes returned by {@linkcode minMaxAlongAxis}. */
export interface MinMax {
  /** Smallest value of each slice. */
  min: Float64Array;
  /** Largest value of each slice. */
  max: Float64Array;
}

type Kind = "min" | "max" | "absMax" | "sum";

/**
 * The smallest element, or the smallest along an axis. NaN propagates.
 *
 * @param t The tensor.
 * @param options `axis` and `keepdims`; without `axis` every element is reduced.
 * @returns A number, or with `axis` a `Tensor<"f64">` without that axis (size 1 with `keepdims`).
 * @throws {RangeError} If there are no values to reduce or `axis` is out of range.
 *
 * @example
 * ```ts
 * import { Tensor } from "@lowbit/tensor/tensor";
 * import { min } from "@lowbit/tensor/reduce";
 * import { deepEqual, equal } from "node:assert/strict";
 * const t = Tensor.from([3, 1, 2, -5, 7, 0], [2, 3]);
 * equal(min(t), -5);
 * deepEqual(min(t, { axis: 1 }).toArray(), [1, -5]);
 * deepEqual(min(t, { axis: 0, keepdims: true }).shape, [1, 3]);
 * equal(min(Tensor.from([1, NaN, 0])), NaN);
 * ```
 */
export function min(t: Tensor<DType>): number;
/**
 * `min` along `options.axis`: a `Tensor<"f64">` without that axis (size 1 with `keepdims`).
 *
 * @param t The tensor.
 * @param options The axis to reduce and `keepdims`.
 * @returns The reduced tensor.
 */
export function min(t: Tensor<DType>, options: ReduceOptions & { axis: number }): Tensor<"f64">;
/**
 * `min` of every element (no `axis`) or along `options.axis`.
 *
 * @param t The tensor.
 * @param options `axis` and `keepdims`.
 * @returns A number without `axis`, else a `Tensor<"f64">`.
 */
export function min(t: Tensor<DType>, options?: ReduceOptions): number | Tensor<"f64">;
export function min(t: Tensor<DType>, options?: ReduceOptions): number | Tensor<"f64"> {
  return reduce(t, "min", options);
}

/**
 * The largest element, or the largest along an axis. NaN propagates.
 *
 * @param t The tensor.
 * @param options `axis` and `keepdims`; without `axis` every element is reduced.
 * @returns A number, or with `axis` a `Tensor<"f64">` without that axis (size 1 with `keepdims`).
 * @throws {RangeError} If there are no values to reduce or `axis` is out of range.
 *
 * @example
 * ```ts
 * import { Tensor } from "@lowbit/tensor/tensor";
 * import { max } from "@lowbit/tensor/reduce";
 * import { deepEqual, equal } from "node:assert/strict";
 * const t = Tensor.from([3, 1, 2, -5, 7, 0], [2, 3], "i8");
 * equal(max(t), 7);
 * deepEqual(max(t, { axis: -1 }).toArray(), [3, 7]);
 * ```
 */
export function max(t: Tensor<DType>): number;
/**
 * `max` along `options.axis`: a `Tensor<"f64">` without that axis (size 1 with `keepdims`).
 *
 * @param t The tensor.
 * @param options The axis to reduce and `keepdims`.
 * @returns The reduced tensor.
 */
export function max(t: Tensor<DType>, options: ReduceOptions & { axis: number }): Tensor<"f64">;
/**
 * `max` of every element (no `axis`) or along `options.axis`.
 *
 * @param t The tensor.
 * @param options `axis` and `keepdims`.
 * @returns A number without `axis`, else a `Tensor<"f64">`.
 */
export function max(t: Tensor<DType>, options?: ReduceOptions): number | Tensor<"f64">;
export function max(t: Tensor<DType>, options?: ReduceOptions): number | Tensor<"f64"> {
  return reduce(t, "max", options);
}

/**
 * The largest magnitude `max |x|` (the range of a symmetric quantizer), whole or along an axis.
 * NaN propagates.
 *
 * @param t The tensor.
 * @param options `axis` and `keepdims`; without `axis` every element is reduced.
 * @returns A number, or with `axis` a `Tensor<"f64">` without that axis (size 1 with `keepdims`).
 * @throws {RangeError} If there are no values to reduce or `axis` is out of range.
 *
 * @example
 * ```ts
 * import { Tensor } from "@lowbit/tensor/tensor";
 * import { absMax } from "@lowbit/tensor/reduce";
 * import { deepEqual, equal } from "node:assert/strict";
 * const t = Tensor.from([0.5, -3, 2, 1], [2, 2]);
 * equal(absMax(t), 3);
 * deepEqual(absMax(t, { axis: 0 }).toArray(), [2, 3]);
 * ```
 */
export function absMax(t: Tensor<DType>): number;
/**
 * `absMax` along `options.axis`: a `Tensor<"f64">` without that axis (size 1 with `keepdims`).
 *
 * @param t The tensor.
 * @param options The axis to reduce and `keepdims`.
 * @returns The reduced tensor.
 */
export function absMax(
  t: Tensor<DType>,
  options: ReduceOptions & { axis: number },
): Tensor<"f64">;
/**
 * `absMax` of every element (no `axis`) or along `options.axis`.
 *
 * @param t The tensor.
 * @param options `axis` and `keepdims`.
 * @returns A number without `axis`, else a `Tensor<"f64">`.
 */
export function absMax(t: Tensor<DType>, options?: ReduceOptions): number | Tensor<"f64">;
export function absMax(t: Tensor<DType>, options?: ReduceOptions): number | Tensor<"f64"> {
  return reduce(t, "absMax", options);
}

/**
 * The float64 sum of the elements, whole or along an axis (0 for no elements). NaN propagates;
 * +∞ and −∞ together give NaN.
 *
 * @param t The tensor.
 * @param options `axis` and `keepdims`; without `axis` every element is reduced.
 * @returns A number, or with `axis` a `Tensor<"f64">` without that axis (size 1 with `keepdims`).
 * @throws {RangeError} If `axis` is out of range.
 *
 * @example
 * ```ts
 * import { Tensor } from "@lowbit/tensor/tensor";
 * import { sum } from "@lowbit/tensor/reduce";
 * import { deepEqual, equal } from "node:assert/strict";
 * const t = Tensor.from([1, 2, 3, 4, 5, 6], [2, 3], "u8");
 * equal(sum(t), 21);
 * deepEqual(sum(t, { axis: 0 }).toArray(), [5, 7, 9]);
 * ```
 */
export function sum(t: Tensor<DType>): number;
/**
 * `sum` along `options.axis`: a `Tensor<"f64">` without that axis (size 1 with `keepdims`).
 *
 * @param t The tensor.
 * @param options The axis to reduce and `keepdims`.
 * @returns The reduced tensor.
 */
export function sum(t: Tensor<DType>, options: ReduceOptions & { axis: number }): Tensor<"f64">;
/**
 * `sum` of every element (no `axis`) or along `options.axis`.
 *
 * @param t The tensor.
 * @param options `axis` and `keepdims`.
 * @returns A number without `axis`, else a `Tensor<"f64">`.
 */
export function sum(t: Tensor<DType>, options?: ReduceOptions): number | Tensor<"f64">;
export function sum(t: Tensor<DType>, options?: ReduceOptions): number | Tensor<"f64"> {
  return reduce(t, "sum", options);
}

/**
 * The mean: the float64 {@linkcode sum} divided by the count (NaN for no elements).
 *
 * @param t The tensor.
 * @param options `axis` and `keepdims`; without `axis` every element is reduced.
 * @returns A number, or with `axis` a `Tensor<"f64">` without that axis (size 1 with `keepdims`).
 * @throws {RangeError} If `axis` is out of range.
 *
 * @example
 * ```ts
 * import { Tensor } from "@lowbit/tensor/tensor";
 * import { mean } from "@lowbit/tensor/reduce";
 * import { deepEqual, equal } from "node:assert/strict";
 * const t = Tensor.from([1, 2, 3, 4, 5, 6], [2, 3]);
 * equal(mean(t), 3.5);
 * deepEqual(mean(t, { axis: 1 }).toArray(), [2, 5]);
 * ```
 */
export function mean(t: Tensor<DType>): number;
/**
 * `mean` along `options.axis`: a `Tensor<"f64">` without that axis (size 1 with `keepdims`).
 *
 * @param t The tensor.
 * @param options The axis to reduce and `keepdims`.
 * @returns The reduced tensor.
 */
export function mean(t: Tensor<DType>, options: ReduceOptions & { axis: number }): Tensor<"f64">;
/**
 * `mean` of every element (no `axis`) or along `options.axis`.
 *
 * @param t The tensor.
 * @param options `axis` and `keepdims`.
 * @returns A number without `axis`, else a `Tensor<"f64">`.
 */
export function mean(t: Tensor<DType>, options?: ReduceOptions): number | Tensor<"f64">;
export function mean(t: Tensor<DType>, options?: ReduceOptions): number | Tensor<"f64"> {
  const s = reduce(t, "sum", options);
  if (typeof s === "number") return s / t.size;
  const n = t.shape[normalizeAxis(options?.axis ?? 0, t.ndim)];
  const d = s.data;
  for (let i = 0; i < d.length; i++) d[i] /= n;
  return s;
}

/**
 * The minimum and maximum of each slice along `axis`: entry `c` covers every element whose
 * index on `axis` is `c` (PyTorch's per-channel observer with `ch_axis = axis`). NaN propagates.
 *
 * @param t The tensor.
 * @param axis The channel axis (negative counts from the end).
 * @returns `{ min, max }`, two Float64Arrays of length `shape[axis]`.
 * @throws {RangeError} If `axis` is out of range, or the slices are empty while channels exist.
 *
 * @example Per-output-channel ranges of a conv weight [out=2, in=1, kh=1, kw=2]
 * ```ts
 * import { Tensor } from "@lowbit/tensor/tensor";
 * import { minMaxAlongAxis } from "@lowbit/tensor/reduce";
 * import { deepEqual } from "node:assert/strict";
 * const w = Tensor.from([0.25, -1, 8, 2], [2, 1, 1, 2]);
 * const r = minMaxAlongAxis(w, 0);
 * deepEqual([...r.min], [-1, 2]);
 * deepEqual([...r.max], [0.25, 8]);
 * ```
 */
export function minMaxAlongAxis(t: Tensor<DType>, axis: number): MinMax {
  const k = normalizeAxis(axis, t.ndim);
  const { src, base, outer, n, inner } = blocks(t, k);
  const lo = new Float64Array(n).fill(Infinity);
  const hi = new Float64Array(n).fill(-Infinity);
  if (n > 0 && outer * inner === 0) {
    throw new RangeError(
      `minMaxAlongAxis of shape ${formatShape(t.shape)} along axis ${axis}: the slices are empty`,
    );
  }
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < n; c++) {
      const start = base + (o * n + c) * inner;
      let a = lo[c], b = hi[c];
      for (let i = start, end = start + inner; i < end; i++) {
        const v = src[i];
        if (v < a || v !== v) a = v;
        if (v > b || v !== v) b = v;
      }
      lo[c] = a;
      hi[c] = b;
    }
  }
  return { min: lo, max: hi };
}

interface Blocks {
  src: ArrayLike<number>;
  base: number;
  outer: number;
  n: number;
  inner: number;
}

/** The values of `t` as row-major `[outer, shape[k], inner]` blocks at `src[base …]`. */
function blocks(t: Tensor<DType>, k: number): Blocks {
  let outer = 1, inner = 1;
  for (let j = 0; j < k; j++) outer *= t.shape[j];
  for (let j = k + 1; j < t.ndim; j++) inner *= t.shape[j];
  const n = t.ndim === 0 ? 1 : t.shape[k];
  if (t.isContiguous && t.dtype !== "f16") return { src: t.data, base: t.offset, outer, n, inner };
  return {
    src: readValues(t.data, t.dtype, t.shape, t.strides, t.offset),
    base: 0,
    outer,
    n,
    inner,
  };
}

function reduce(t: Tensor<DType>, kind: Kind, options?: ReduceOptions): number | Tensor<"f64"> {
  if (options?.axis === undefined) {
    const { src, base } = blocks(t, 0);
    if (t.size === 0 && kind !== "sum") {
      throw new RangeError(
        `${kind} of an empty tensor (shape ${formatShape(t.shape)}) is undefined`,
      );
    }
    const out = new Float64Array(1);
    reduceBlocks(src, base, 1, t.size, 1, kind, out);
    return out[0];
  }
  const k = normalizeAxis(options.axis, t.ndim);
  const { src, base, outer, n, inner } = blocks(t, k);
  if (n === 0 && outer * inner > 0 && kind !== "sum") {
    throw new RangeError(
      `${kind} along axis ${options.axis} of shape ${formatShape(t.shape)}: that axis is empty`,
    );
  }
  const out = new Float64Array(outer * inner);
  reduceBlocks(src, base, outer, n, inner, kind, out);
  const shape = [...t.shape];
  if (options.keepdims) shape[k] = 1;
  else shape.splice(k, 1);
  return new Tensor("f64", out, shape);
}

/** out[o·inner + i] = reduction over c of src[base + (o·n + c)·inner + i]. */
function reduceBlocks(
  src: ArrayLike<number>,
  base: number,
  outer: number,
  n: number,
  inner: number,
  kind: Kind,
  out: Float64Array,
): void {
  if (inner === 1) {
    for (let o = 0; o < outer; o++) out[o] = reduceRun(src, base + o * n, n, kind);
    return;
  }
  out.fill(kind === "min" ? Infinity : kind === "max" ? -Infinity : 0);
  for (let o = 0; o < outer; o++) {
    const ob = o * inner;
    for (let c = 0; c < n; c++) {
      const s = base + (o * n + c) * inner;
      switch (kind) {
        case "min":
          for (let i = 0; i < inner; i++) {
            const v = src[s + i];
            if (v < out[ob + i] || v !== v) out[ob + i] = v;
          }
          break;
        case "max":
          for (let i = 0; i < inner; i++) {
            const v = src[s + i];
            if (v > out[ob + i] || v !== v) out[ob + i] = v;
          }
          break;
        case "absMax":
          for (let i = 0; i < inner; i++) {
            const v = Math.abs(src[s + i]);
            if (v > out[ob + i] || v !== v) out[ob + i] = v;
          }
          break;
        case "sum":
          for (let i = 0; i < inner; i++) out[ob + i] += src[s + i];
          break;
      }
    }
  }
}

/** The reduction of the contiguous run src[start … start + n). */
function reduceRun(src: ArrayLike<number>, start: number, n: number, kind: Kind): number {
  const end = start + n;
  let m = kind === "min" ? Infinity : kind === "max" ? -Infinity : 0;
  switch (kind) {
    case "min":
      for (let i = start; i < end; i++) {
        const v = src[i];
        if (v < m || v !== v) m = v;
      }
      break;
    case "max":
      for (let i = start; i < end; i++) {
        const v = src[i];
        if (v > m || v !== v) m = v;
      }
      break;
    case "absMax":
      for (let i = start; i < end; i++) {
        const v = Math.abs(src[i]);
        if (v > m || v !== v) m = v;
      }
      break;
    case "sum":
      for (let i = start; i < end; i++) m += src[i];
      break;
  }
  return m;
}
