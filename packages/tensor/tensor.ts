/**
 * {@linkcode Tensor}: an n-dimensional strided view of a typed array.
 *
 * A tensor is `(dtype, data, shape, strides, offset)`: element `[i0, …, i(n−1)]` lives at
 * `data[offset + Σ ik·strides[k]]`. Views (`reshape` of a contiguous tensor, `transpose`, `T`,
 * `slice`, `select`, `squeeze`, `unsqueeze`) share `data` with their base, so writing through a
 * view changes the base. `toTypedArray`, `toArray`, `astype` and `map` always copy.
 *
 * @example Views share storage
 * ```ts
 * import { Tensor } from "@lowbit/tensor/tensor";
 * import { deepEqual, equal } from "node:assert/strict";
 * const w = Tensor.arange(0, 6).reshape([2, 3]);
 * const col = w.select(1, 2); // [2, 5], a view
 * col.set(50, 1);
 * equal(w.get(1, 2), 50);
 * deepEqual(w.T.toArray(), [0, 3, 1, 4, 2, 50]);
 * ```
 *
 * @module
 */

import { f16BitsFromNumber, numberFromF16Bits } from "./_f16.ts";
import { copyStrided, readValues } from "./_strided.ts";
import {
  assertDType,
  castNumber,
  type DType,
  type DTypeOf,
  dtypeOf,
  TYPED_ARRAYS,
  type TypedArray,
  type TypedArrayFor,
} from "./dtype.ts";
import { formatShape, normalizeAxis, rowMajorStrides, shapeSize, validateShape } from "./shape.ts";

/** Where a tensor's elements lie in its storage (see {@linkcode Tensor}'s constructor). */
export interface TensorLayout {
  /** Element strides per axis (may be negative or 0); default row-major. */
  strides?: readonly number[];
  /** Storage index of element `[0, …, 0]`; default 0. */
  offset?: number;
}

/** Options of {@linkcode Tensor.arange}. */
export interface ArangeOptions<D extends DType> {
  /** Distance between consecutive values, non-zero; default 1. */
  step?: number;
  /** Element type; default `"f32"`. */
  dtype?: D;
}

/**
 * An n-dimensional array: a dtype, typed storage and a strided layout over it.
 *
 * Element reads and writes go through numbers: `"f16"` elements are decoded on read and
 * encoded (round half to even) on write, integer elements are written with round half to even
 * and saturation (see {@linkcode castNumber}).
 *
 * @typeParam D The element type.
 *
 * @example Building and indexing a tensor
 * ```ts
 * import { Tensor } from "@lowbit/tensor/tensor";
 * import { deepEqual, equal } from "node:assert/strict";
 * const t = Tensor.from([1, 2, 3, 4, 5, 6], [2, 3]);
 * equal(t.dtype, "f32");
 * deepEqual(t.strides, [3, 1]);
 * equal(t.get(1, 0), 4);
 * equal(t.get(-1, -1), 6);
 * ```
 */
export class Tensor<D extends DType = "f32"> {
  /** Element type. */
  readonly dtype: D;
  /** The storage; shared with every view of the same base. */
  readonly data: TypedArrayFor<D>;
  /** Dimensions (frozen). */
  readonly shape: readonly number[];
  /** Element strides per axis (frozen). */
  readonly strides: readonly number[];
  /** Storage index of element `[0, …, 0]`. */
  readonly offset: number;
  /** Number of elements: the product of `shape`. */
  readonly size: number;
  #contiguous: boolean;

  /**
   * Wraps existing storage without copying.
   *
   * @param dtype The element type; `data` must be its storage array (`Uint16Array` for "f16").
   * @param data The storage.
   * @param shape The dimensions; default `[data.length]`.
   * @param layout Strides and offset; when omitted the layout is row-major from index 0 and
   * `data.length` must equal the size.
   * @throws {TypeError} If `data` is not the storage array of `dtype`.
   * @throws {RangeError} If `dtype`, `shape`, `strides` or `offset` is invalid, or the layout
   * reaches outside `data`.
   *
   * @example Wrapping weights in place
   * ```ts
   * import { Tensor } from "@lowbit/tensor/tensor";
   * import { equal } from "node:assert/strict";
   * const w = new Float32Array([1, 2, 3, 4, 5, 6]);
   * const t = new Tensor("f32", w, [3, 2]);
   * w[5] = 60;
   * equal(t.get(2, 1), 60);
   * const every2nd = new Tensor("f32", w, [3], { strides: [2], offset: 1 });
   * equal(every2nd.get(2), 60);
   * ```
   */
  constructor(
    dtype: D,
    data: TypedArrayFor<D>,
    shape?: readonly number[],
    layout?: TensorLayout,
  ) {
    assertDType(dtype);
    const ctor = TYPED_ARRAYS[dtype];
    if (!(data instanceof (ctor as unknown as typeof Uint8Array))) {
      throw new TypeError(
        `data must be a ${(ctor as unknown as { name: string }).name} for dtype "${dtype}"; got ${
          (data as { constructor?: { name?: string } } | null)?.constructor?.name ?? typeof data
        }`,
      );
    }
    this.dtype = dtype;
    this.data = data;
    this.shape = validateShape(shape ?? [data.length]);
    this.size = shapeSize(this.shape);
    const nd = this.shape.length;
    if (layout === undefined) {
      if (data.length !== this.size) {
        throw new RangeError(
          `shape ${formatShape(this.shape)} needs ${this.size} elements; data has ${data.length}`,
        );
      }
      this.strides = Object.freeze(rowMajorStrides(this.shape));
      this.offset = 0;
    } else {
      const strides = layout.strides ?? rowMajorStrides(this.shape);
      const offset = layout.offset ?? 0;
      if (
        !Array.isArray(strides) || strides.length !== nd ||
        !strides.every((s) => Number.isSafeInteger(s))
      ) {
        throw new RangeError(
          `strides must be ${nd} integers (one per axis of shape ${formatShape(this.shape)}); ` +
            `got ${formatShape(strides)}`,
        );
      }
      if (!Number.isSafeInteger(offset) || offset < 0) {
        throw new RangeError(`offset must be a non-negative integer; got ${offset}`);
      }
      if (this.size > 0) {
        let lo = offset, hi = offset;
        for (let k = 0; k < nd; k++) {
          const reach = (this.shape[k] - 1) * strides[k];
          if (reach < 0) lo += reach;
          else hi += reach;
        }
        if (lo < 0 || hi >= data.length) {
          throw new RangeError(
            `layout (shape ${formatShape(this.shape)}, strides ${formatShape(strides)}, ` +
              `offset ${offset}) reaches storage indices [${lo}, ${hi}] outside data of ` +
              `length ${data.length}`,
          );
        }
      }
      this.strides = Object.freeze([...strides]);
      this.offset = offset;
    }
    this.#contiguous = isRowMajor(this.shape, this.strides);
  }

  /**
   * A new tensor holding a copy of `data` converted to `dtype` (see {@linkcode castNumber}).
   * The values are numbers: for `"f16"` they are encoded, so a `Uint16Array` of bit patterns
   * should be wrapped with the constructor instead.
   *
   * @param data The values in row-major order. A typed array without `dtype` keeps its dtype.
   * @param shape The dimensions; default `[data.length]`.
   * @param dtype The element type; default the typed array's dtype, else `"f32"`.
   * @returns A contiguous tensor owning fresh storage.
   * @throws {RangeError} If the shape's size differs from `data.length`.
   *
   * @example
   * ```ts
   * import { Tensor } from "@lowbit/tensor/tensor";
   * import { deepEqual, equal } from "node:assert/strict";
   * equal(Tensor.from(new Float64Array([0.1])).dtype, "f64");
   * deepEqual(Tensor.from([0.5, 1.5, 2.5, 200], [2, 2], "i8").toArray(), [0, 2, 2, 127]);
   * deepEqual([...Tensor.from([1, -2], undefined, "f16").data], [0x3c00, 0xc000]);
   * ```
   */
  static from<A extends TypedArray>(data: A, shape?: readonly number[]): Tensor<DTypeOf<A>>;
  /**
   * A new `"f32"` tensor holding a copy of `data` (rounded to float32).
   *
   * @param data The values in row-major order.
   * @param shape The dimensions; default `[data.length]`.
   * @returns A contiguous tensor owning fresh storage.
   */
  static from(data: ArrayLike<number>, shape?: readonly number[]): Tensor<"f32">;
  /**
   * A new tensor of dtype `dtype` holding a copy of `data` converted by {@linkcode castNumber}.
   *
   * @param data The values in row-major order (numbers, also for `"f16"`).
   * @param shape The dimensions; default `[data.length]`.
   * @param dtype The element type.
   * @returns A contiguous tensor owning fresh storage.
   */
  static from<E extends DType>(
    data: ArrayLike<number>,
    shape: readonly number[] | undefined,
    dtype: E,
  ): Tensor<E>;
  static from(
    data: ArrayLike<number>,
    shape?: readonly number[],
    dtype?: DType,
  ): Tensor<DType> {
    if (data === null || typeof data !== "object" || typeof data.length !== "number") {
      throw new TypeError(`data must be an array or typed array of numbers; got ${typeof data}`);
    }
    const d: DType = dtype === undefined
      ? (ArrayBuffer.isView(data) ? dtypeOf(data as TypedArray) : "f32")
      : assertDType(dtype);
    const out = new TYPED_ARRAYS[d](data.length);
    fillCast(out, d, data);
    return new Tensor(d, out, shape);
  }

  /**
   * A tensor of zeros.
   *
   * @param shape The dimensions.
   * @param dtype The element type; default `"f32"`.
   * @returns A contiguous tensor owning fresh storage.
   *
   * @example
   * ```ts
   * import { Tensor } from "@lowbit/tensor/tensor";
   * import { deepEqual, equal } from "node:assert/strict";
   * const z = Tensor.zeros([2, 3], "i8");
   * deepEqual(z.shape, [2, 3]);
   * equal(z.data.constructor, Int8Array);
   * ```
   */
  static zeros<E extends DType = "f32">(shape: readonly number[], dtype?: E): Tensor<E> {
    const d = assertDType(dtype ?? "f32") as E;
    const s = validateShape(shape);
    return new Tensor(d, new TYPED_ARRAYS[d](shapeSize(s)), s);
  }

  /**
   * A tensor with every element equal to `value` (converted by {@linkcode castNumber}).
   *
   * @param shape The dimensions.
   * @param value The fill value.
   * @param dtype The element type; default `"f32"`.
   * @returns A contiguous tensor owning fresh storage.
   *
   * @example
   * ```ts
   * import { Tensor } from "@lowbit/tensor/tensor";
   * import { deepEqual } from "node:assert/strict";
   * deepEqual(Tensor.full([3], 2.5, "u8").toArray(), [2, 2, 2]);
   * ```
   */
  static full<E extends DType = "f32">(
    shape: readonly number[],
    value: number,
    dtype?: E,
  ): Tensor<E> {
    const t = Tensor.zeros(shape, dtype);
    (t.data as TypedArray).fill(castNumber(value, t.dtype));
    return t;
  }

  /**
   * Evenly spaced values `start, start + step, …` below `stop` (above it for a negative step),
   * like NumPy `arange`; `arange(n)` is `0, 1, …, n − 1`.
   *
   * @param start The first value, or the end when `stop` is omitted.
   * @param stop The exclusive end.
   * @param options `step` (non-zero, default 1) and `dtype` (default `"f32"`).
   * @returns A 1-d tensor of `max(0, ⌈(stop − start) / step⌉)` values.
   * @throws {RangeError} If `step` is 0 or a bound is not finite.
   *
   * @example
   * ```ts
   * import { Tensor } from "@lowbit/tensor/tensor";
   * import { deepEqual } from "node:assert/strict";
   * deepEqual(Tensor.arange(4).toArray(), [0, 1, 2, 3]);
   * deepEqual(Tensor.arange(1, 0, { step: -0.25, dtype: "f64" }).toArray(), [1, 0.75, 0.5, 0.25]);
   * ```
   */
  static arange<E extends DType = "f32">(
    start: number,
    stop?: number,
    options?: ArangeOptions<E>,
  ): Tensor<E> {
    if (stop === undefined) [start, stop] = [0, start];
    const step = options?.step ?? 1;
    if (typeof step !== "number" || !Number.isFinite(step) || step === 0) {
      throw new RangeError(`step must be a finite non-zero number; got ${String(step)}`);
    }
    if (!Number.isFinite(start) || !Number.isFinite(stop)) {
      throw new RangeError(`start and stop must be finite numbers; got ${start} and ${stop}`);
    }
    const n = Math.max(0, Math.ceil((stop - start) / step));
    const t = Tensor.zeros([n], options?.dtype);
    for (let i = 0; i < n; i++) t.#write(i, start + i * step);
    return t;
  }

  /** Number of dimensions (`shape.length`). */
  get ndim(): number {
    return this.shape.length;
  }

  /** Whether the elements lie in row-major order in `data[offset … offset + size)`. */
  get isContiguous(): boolean {
    return this.#contiguous;
  }

  /**
   * Reads one element.
   *
   * @param index One integer per axis, each in `[−shape[k], shape[k])` (negative from the end).
   * @returns The element as a number (`"f16"` decoded).
   * @throws {RangeError} If the number of indices or an index is out of range.
   *
   * @example
   * ```ts
   * import { Tensor } from "@lowbit/tensor/tensor";
   * import { equal, throws } from "node:assert/strict";
   * const t = Tensor.from([1, 2, 3, 4], [2, 2]);
   * equal(t.get(0, 1), 2);
   * throws(() => t.get(2, 0), /index\[0\] must be an integer in \[-2, 1\]/);
   * ```
   */
  get(...index: number[]): number {
    return this.#read(this.#offsetOf(index));
  }

  /**
   * Writes one element, converted by {@linkcode castNumber} (integers: round half to even and
   * saturate; `"f16"`: encode).
   *
   * @param value The new value.
   * @param index One integer per axis, as for {@linkcode Tensor.get}.
   * @throws {RangeError} If the number of indices or an index is out of range.
   *
   * @example
   * ```ts
   * import { Tensor } from "@lowbit/tensor/tensor";
   * import { equal } from "node:assert/strict";
   * const q = Tensor.zeros([2], "i8");
   * q.set(-1000, 1);
   * equal(q.get(1), -128);
   * ```
   */
  set(value: number, ...index: number[]): void {
    this.#write(this.#offsetOf(index), value);
  }

  /**
   * This tensor if it is contiguous, else a contiguous copy.
   *
   * @returns A contiguous tensor with the same values.
   *
   * @example
   * ```ts
   * import { Tensor } from "@lowbit/tensor/tensor";
   * import { equal } from "node:assert/strict";
   * const t = Tensor.arange(6).reshape([2, 3]);
   * equal(t.contiguous(), t);
   * equal(t.T.contiguous().isContiguous, true);
   * ```
   */
  contiguous(): Tensor<D> {
    if (this.#contiguous) return this;
    return new Tensor(this.dtype, this.toTypedArray(), this.shape);
  }

  /**
   * A fresh copy of the storage values in row-major order (binary16 bits for `"f16"`).
   *
   * @returns A new typed array of length `size`.
   *
   * @example
   * ```ts
   * import { Tensor } from "@lowbit/tensor/tensor";
   * import { deepEqual } from "node:assert/strict";
   * const t = Tensor.from([1, 2, 3, 4], [2, 2]);
   * deepEqual(t.T.toTypedArray(), new Float32Array([1, 3, 2, 4]));
   * ```
   */
  toTypedArray(): TypedArrayFor<D> {
    const src = this.data as TypedArray;
    if (this.#contiguous) {
      return src.slice(this.offset, this.offset + this.size) as TypedArrayFor<D>;
    }
    const out = new TYPED_ARRAYS[this.dtype](this.size);
    copyStrided(src, this.shape, this.strides, this.offset, out);
    return out;
  }

  /**
   * The values as a flat array of numbers in row-major order (`"f16"` decoded).
   *
   * @returns A new array of length `size`.
   *
   * @example
   * ```ts
   * import { Tensor } from "@lowbit/tensor/tensor";
   * import { deepEqual } from "node:assert/strict";
   * deepEqual(Tensor.from([1.5, -2], undefined, "f16").toArray(), [1.5, -2]);
   * ```
   */
  toArray(): number[] {
    return Array.from(this.#values());
  }

  /**
   * A view with a new shape over the same elements (row-major order), or a copy when this
   * tensor is not contiguous. One dimension may be `-1`: it is inferred from the size.
   *
   * @param shape The new dimensions; their product must equal `size`.
   * @returns A tensor of the new shape: a view if `isContiguous`, else a reshaped copy.
   * @throws {RangeError} If the sizes differ, more than one dimension is `-1`, or `-1` cannot be
   * inferred (a size of 0 with other zero dimensions).
   *
   * @example
   * ```ts
   * import { Tensor } from "@lowbit/tensor/tensor";
   * import { deepEqual } from "node:assert/strict";
   * const t = Tensor.arange(12).reshape([3, -1]);
   * deepEqual(t.shape, [3, 4]);
   * deepEqual(t.reshape([2, 2, 3]).strides, [6, 3, 1]);
   * ```
   */
  reshape(shape: readonly number[]): Tensor<D> {
    const resolved = resolveReshape(shape, this.size);
    const base = this.contiguous();
    return new Tensor(this.dtype, base.data, resolved, {
      strides: rowMajorStrides(resolved),
      offset: base.offset,
    });
  }

  /**
   * A view with the axes permuted: axis `k` of the result is axis `axes[k]` of this tensor.
   * With no arguments the axes are reversed (matrix transpose for 2-d).
   *
   * @param axes A permutation of the axes (negative allowed).
   * @returns A view sharing storage.
   * @throws {RangeError} If `axes` is not a permutation of `0 … ndim − 1`.
   *
   * @example
   * ```ts
   * import { Tensor } from "@lowbit/tensor/tensor";
   * import { deepEqual, equal } from "node:assert/strict";
   * const t = Tensor.zeros([2, 3, 4]).transpose(2, 0, 1);
   * deepEqual(t.shape, [4, 2, 3]);
   * deepEqual(t.strides, [1, 12, 4]);
   * equal(t.isContiguous, false);
   * ```
   */
  transpose(...axes: number[]): Tensor<D> {
    const nd = this.ndim;
    const perm = axes.length === 0 ? [...Array(nd).keys()].reverse() : axes;
    const seen = new Array<boolean>(nd).fill(false);
    const norm = perm.map((a) => {
      const k = Number.isInteger(a) && a >= -nd && a < nd ? (a < 0 ? a + nd : a) : -1;
      if (k >= 0 && !seen[k]) seen[k] = true;
      return k;
    });
    if (perm.length !== nd || !seen.every(Boolean)) {
      throw new RangeError(
        `axes must be a permutation of 0 … ${nd - 1} (negative allowed); got ${formatShape(axes)}`,
      );
    }
    return this.#view(norm.map((k) => this.shape[k]), norm.map((k) => this.strides[k]));
  }

  /** The transpose with all axes reversed (for a matrix, rows ↔ columns); a view. */
  get T(): Tensor<D> {
    return this.transpose();
  }

  /**
   * A view of the elements `start, start + step, …` before `end` along one axis, with
   * Python slice semantics: negative `start`/`end` count from the end, out-of-range bounds are
   * clamped, and a negative `step` walks backwards (defaults then start at the last element).
   *
   * @param axis The axis to slice.
   * @param start The first index; default the beginning (the end for a negative step).
   * @param end The exclusive stop; default past the end (before the beginning for negative step).
   * @param step A non-zero integer; default 1.
   * @returns A view sharing storage (stride multiplied by `step`).
   * @throws {RangeError} If `axis` is out of range, `start`/`end` are not integers or `step` is
   * not a non-zero integer.
   *
   * @example
   * ```ts
   * import { Tensor } from "@lowbit/tensor/tensor";
   * import { deepEqual } from "node:assert/strict";
   * const t = Tensor.arange(10);
   * deepEqual(t.slice(0, 2, 8, 3).toArray(), [2, 5]);
   * deepEqual(t.slice(0, -3).toArray(), [7, 8, 9]);
   * deepEqual(t.slice(0, undefined, undefined, -4).toArray(), [9, 5, 1]);
   * ```
   */
  slice(axis: number, start?: number, end?: number, step = 1): Tensor<D> {
    const k = normalizeAxis(axis, this.ndim);
    if (!Number.isSafeInteger(step) || step === 0) {
      throw new RangeError(`step must be a non-zero integer; got ${String(step)}`);
    }
    const n = this.shape[k];
    const lower = step > 0 ? 0 : -1, upper = step > 0 ? n : n - 1;
    const clampIndex = (v: number | undefined, dflt: number, name: string): number => {
      if (v === undefined) return dflt;
      if (!Number.isSafeInteger(v)) {
        throw new RangeError(`${name} must be an integer or undefined; got ${String(v)}`);
      }
      return v < 0 ? Math.max(v + n, lower) : Math.min(v, upper);
    };
    const s = clampIndex(start, step > 0 ? lower : upper, "start");
    const e = clampIndex(end, step > 0 ? upper : lower, "end");
    const len = step > 0
      ? Math.max(0, Math.ceil((e - s) / step))
      : Math.max(0, Math.ceil((s - e) / -step));
    const shape = [...this.shape];
    const strides = [...this.strides];
    shape[k] = len;
    strides[k] = this.strides[k] * step;
    return this.#view(shape, strides, len > 0 ? this.offset + s * this.strides[k] : this.offset);
  }

  /**
   * A view of one index along an axis, with that axis removed (NumPy `t[:, i]`).
   *
   * @param axis The axis to index.
   * @param index An integer in `[−shape[axis], shape[axis])`.
   * @returns A view with `ndim − 1` axes.
   * @throws {RangeError} If `axis` or `index` is out of range.
   *
   * @example Per-channel rows of a weight matrix
   * ```ts
   * import { Tensor } from "@lowbit/tensor/tensor";
   * import { deepEqual } from "node:assert/strict";
   * const w = Tensor.arange(6).reshape([2, 3]);
   * deepEqual(w.select(0, 1).toArray(), [3, 4, 5]);
   * deepEqual(w.select(1, -1).toArray(), [2, 5]);
   * ```
   */
  select(axis: number, index: number): Tensor<D> {
    const k = normalizeAxis(axis, this.ndim);
    const i = checkIndex(index, this.shape[k], "index");
    const shape = this.shape.filter((_, j) => j !== k);
    const strides = this.strides.filter((_, j) => j !== k);
    return this.#view(shape, strides, this.offset + i * this.strides[k]);
  }

  /**
   * A view without size-1 axes: all of them, or only `axis`.
   *
   * @param axis The axis to remove; it must have size 1. Default: every size-1 axis.
   * @returns A view sharing storage.
   * @throws {RangeError} If `axis` is out of range or its size is not 1.
   *
   * @example
   * ```ts
   * import { Tensor } from "@lowbit/tensor/tensor";
   * import { deepEqual } from "node:assert/strict";
   * deepEqual(Tensor.zeros([1, 3, 1]).squeeze().shape, [3]);
   * deepEqual(Tensor.zeros([1, 3, 1]).squeeze(-1).shape, [1, 3]);
   * ```
   */
  squeeze(axis?: number): Tensor<D> {
    let keep: (j: number) => boolean;
    if (axis === undefined) keep = (j) => this.shape[j] !== 1;
    else {
      const k = normalizeAxis(axis, this.ndim);
      if (this.shape[k] !== 1) {
        throw new RangeError(
          `axis ${axis} has size ${this.shape[k]}; only size-1 axes can be squeezed`,
        );
      }
      keep = (j) => j !== k;
    }
    return this.#view(
      this.shape.filter((_, j) => keep(j)),
      this.strides.filter((_, j) => keep(j)),
    );
  }

  /**
   * A view with a new size-1 axis inserted at position `axis` (NumPy `expand_dims`).
   *
   * @param axis The new axis's position in the result, in `[−ndim − 1, ndim]`.
   * @returns A view with `ndim + 1` axes.
   * @throws {RangeError} If `axis` is out of range.
   *
   * @example
   * ```ts
   * import { Tensor } from "@lowbit/tensor/tensor";
   * import { deepEqual } from "node:assert/strict";
   * deepEqual(Tensor.zeros([3]).unsqueeze(0).shape, [1, 3]);
   * deepEqual(Tensor.zeros([3]).unsqueeze(-1).shape, [3, 1]);
   * ```
   */
  unsqueeze(axis: number): Tensor<D> {
    const k = normalizeAxis(axis, this.ndim + 1);
    const shape = [...this.shape];
    const strides = [...this.strides];
    shape.splice(k, 0, 1);
    strides.splice(k, 0, k < this.ndim ? this.strides[k] * this.shape[k] : 1);
    return this.#view(shape, strides);
  }

  /**
   * A contiguous copy converted to another dtype (always a copy, even to the same dtype).
   *
   * Float → integer conversion rounds half to even and saturates to the integer range (NaN → 0),
   * the rule a quantizer needs — not the truncate-and-wrap of typed-array assignment. Integer →
   * integer saturates. Into `"f32"`/`"f16"`: round to nearest, ties to even, overflow → ±∞.
   *
   * @param dtype The target element type.
   * @returns A new contiguous tensor of the same shape.
   * @throws {RangeError} If `dtype` is not a dtype.
   *
   * @example
   * ```ts
   * import { Tensor } from "@lowbit/tensor/tensor";
   * import { deepEqual } from "node:assert/strict";
   * const x = Tensor.from([-1.5, -0.5, 0.5, 1.5, 2.5, 130, NaN]);
   * deepEqual(x.astype("i8").toArray(), [-2, 0, 0, 2, 2, 127, 0]);
   * deepEqual(x.astype("u8").toArray(), [0, 0, 0, 2, 2, 130, 0]);
   * ```
   */
  astype<E extends DType>(dtype: E): Tensor<E> {
    assertDType(dtype);
    const out = new TYPED_ARRAYS[dtype](this.size);
    if ((dtype as DType) === this.dtype) {
      out.set(this.toTypedArray() as TypedArray);
    } else if ((dtype === "f32" || dtype === "f64") && this.dtype !== "f16") {
      out.set(this.toTypedArray() as TypedArray); // exact, or RNE for f64/i32/u32 → f32
    } else {
      fillCast(out, dtype, this.#values());
    }
    return new Tensor(dtype, out, this.shape);
  }

  /**
   * A contiguous tensor of the same dtype and shape with `fn` applied to every element
   * (results converted by {@linkcode castNumber}).
   *
   * @param fn Called with each value and its row-major position.
   * @returns A new tensor.
   *
   * @example
   * ```ts
   * import { Tensor } from "@lowbit/tensor/tensor";
   * import { deepEqual } from "node:assert/strict";
   * deepEqual(Tensor.from([1, 2, 3], [3], "i8").map((v) => v * 100).toArray(), [100, 127, 127]);
   * ```
   */
  map(fn: (value: number, index: number) => number): Tensor<D> {
    const values = this.#values();
    const out = new TYPED_ARRAYS[this.dtype](this.size);
    for (let i = 0; i < values.length; i++) values[i] = fn(values[i], i);
    fillCast(out, this.dtype, values);
    return new Tensor(this.dtype, out, this.shape);
  }

  /**
   * A readable rendering for debugging: dtype, shape and nested values (elided past 64).
   *
   * @returns For example `Tensor<f32>[2, 2] [[1, 2], [3, 4]]`.
   *
   * @example
   * ```ts
   * import { Tensor } from "@lowbit/tensor/tensor";
   * import { equal } from "node:assert/strict";
   * equal(String(Tensor.from([1, 2, 3, 4], [2, 2])), "Tensor<f32>[2, 2] [[1, 2], [3, 4]]");
   * equal(String(Tensor.arange(100)), "Tensor<f32>[100] [0, 1, 2, 3, 4, 5, …, 99]");
   * ```
   */
  toString(): string {
    const head = `Tensor<${this.dtype}>${formatShape(this.shape)}`;
    const v = this.#values();
    if (v.length > 64) {
      return `${head} [${Array.from(v.subarray(0, 6)).join(", ")}, …, ${v[v.length - 1]}]`;
    }
    let pos = 0;
    const nest = (k: number): string => {
      if (k === this.ndim) return String(v[pos++]);
      const parts: string[] = [];
      for (let i = 0; i < this.shape[k]; i++) parts.push(nest(k + 1));
      return `[${parts.join(", ")}]`;
    };
    return `${head} ${nest(0)}`;
  }

  #values(): Float64Array {
    return readValues(this.data, this.dtype, this.shape, this.strides, this.offset);
  }

  #view(shape: number[], strides: number[], offset = this.offset): Tensor<D> {
    return new Tensor(this.dtype, this.data, shape, { strides, offset });
  }

  #offsetOf(index: readonly number[]): number {
    const nd = this.shape.length;
    if (index.length !== nd) {
      throw new RangeError(`index must have ${nd} entries (one per axis); got ${index.length}`);
    }
    let off = this.offset;
    for (let k = 0; k < nd; k++) {
      off += checkIndex(index[k], this.shape[k], `index[${k}]`) * this.strides[k];
    }
    return off;
  }

  #read(off: number): number {
    const v = this.data[off];
    return this.dtype === "f16" ? numberFromF16Bits(v) : v;
  }

  #write(off: number, value: number): void {
    (this.data as TypedArray)[off] = castNumber(value, this.dtype);
  }
}

function checkIndex(index: number, n: number, name: string): number {
  if (!Number.isInteger(index) || index < -n || index >= n) {
    throw new RangeError(
      n === 0
        ? `${name} cannot index an axis of size 0; got ${String(index)}`
        : `${name} must be an integer in [${-n}, ${n - 1}]; got ${String(index)}`,
    );
  }
  return index < 0 ? index + n : index;
}

function isRowMajor(shape: readonly number[], strides: readonly number[]): boolean {
  let expected = 1;
  for (let k = shape.length - 1; k >= 0; k--) {
    if (shape[k] === 0) return true;
    if (shape[k] !== 1 && strides[k] !== expected) return false;
    expected *= shape[k];
  }
  return true;
}

function resolveReshape(shape: readonly number[], size: number): readonly number[] {
  if (!Array.isArray(shape)) validateShape(shape);
  const unknown = shape.reduce((n, d) => n + (d === -1 ? 1 : 0), 0);
  if (unknown > 1) {
    throw new RangeError(`shape may contain at most one -1; got ${formatShape(shape)}`);
  }
  if (unknown === 1) {
    const known = shape.filter((d) => d !== -1);
    validateShape(known);
    const rest = shapeSize(known);
    if (rest === 0 || size % rest !== 0) {
      throw new RangeError(
        `shape ${formatShape(shape)}: cannot infer -1 for ${size} elements`,
      );
    }
    shape = shape.map((d) => (d === -1 ? size / rest : d));
  }
  const s = validateShape(shape);
  if (shapeSize(s) !== size) {
    throw new RangeError(
      `shape ${formatShape(s)} has ${shapeSize(s)} elements; the tensor has ${size}`,
    );
  }
  return s;
}

function fillCast(out: TypedArray, dtype: DType, values: ArrayLike<number>): void {
  const n = values.length;
  if (dtype === "f32" || dtype === "f64") {
    for (let i = 0; i < n; i++) out[i] = values[i];
  } else if (dtype === "f16") {
    for (let i = 0; i < n; i++) out[i] = f16BitsFromNumber(values[i]);
  } else {
    for (let i = 0; i < n; i++) out[i] = castNumber(values[i], dtype);
  }
}
