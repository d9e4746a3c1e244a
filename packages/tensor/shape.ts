/**
 * Shape arithmetic for row-major (C-order) tensors: validation, size, strides, axis
 * normalization and NumPy broadcasting.
 *
 * A shape is an array of non-negative integers; `[]` is a scalar (size 1). Strides count
 * elements, not bytes. Axes may be negative and count from the end, as in NumPy.
 *
 * @module
 */

/**
 * Checks a shape and returns a frozen copy of it.
 *
 * @param shape The dimensions, each a non-negative safe integer.
 * @param name The argument name used in error messages.
 * @returns A frozen copy of `shape`.
 * @throws {TypeError} If `shape` is not an array.
 * @throws {RangeError} If a dimension is negative or not an integer, or the size overflows.
 *
 * @example
 * ```ts
 * import { validateShape } from "@lowbit/tensor/shape";
 * import { deepEqual, throws } from "node:assert/strict";
 * deepEqual(validateShape([2, 0, 3]), [2, 0, 3]);
 * throws(() => validateShape([2, -1]), /shape must be an array of non-negative integers/);
 * ```
 */
export function validateShape(shape: readonly number[], name = "shape"): readonly number[] {
  if (!Array.isArray(shape)) {
    throw new TypeError(`${name} must be an array of non-negative integers; got ${typeof shape}`);
  }
  let size = 1;
  for (const d of shape) {
    if (typeof d !== "number" || !Number.isSafeInteger(d) || d < 0) {
      throw new RangeError(
        `${name} must be an array of non-negative integers; got ${formatShape(shape)}`,
      );
    }
    size *= d;
  }
  if (!Number.isSafeInteger(size)) {
    throw new RangeError(`${name} ${formatShape(shape)} has more than 2^53 elements`);
  }
  return Object.freeze([...shape]);
}

/**
 * The number of elements of a shape: the product of its dimensions (1 for `[]`).
 *
 * @param shape A valid shape.
 * @returns The product of the dimensions.
 *
 * @example
 * ```ts
 * import { shapeSize } from "@lowbit/tensor/shape";
 * import { equal } from "node:assert/strict";
 * equal(shapeSize([2, 3, 4]), 24);
 * equal(shapeSize([]), 1);
 * equal(shapeSize([5, 0]), 0);
 * ```
 */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Row-major (C-order) strides of a shape, in elements: the last axis has stride 1.
 *
 * @param shape A valid shape.
 * @returns `strides[i] = shape[i+1] × … × shape[n−1]`.
 *
 * @example
 * ```ts
 * import { rowMajorStrides } from "@lowbit/tensor/shape";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(rowMajorStrides([2, 3, 4]), [12, 4, 1]);
 * deepEqual(rowMajorStrides([]), []);
 * ```
 */
export function rowMajorStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/**
 * Maps a possibly negative axis to its index in `[0, ndim)`: `−1` is the last axis.
 *
 * @param axis An integer in `[−ndim, ndim)`.
 * @param ndim The number of dimensions.
 * @param name The argument name used in error messages.
 * @returns The axis in `[0, ndim)`.
 * @throws {RangeError} If `axis` is not an integer in `[−ndim, ndim)`.
 *
 * @example
 * ```ts
 * import { normalizeAxis } from "@lowbit/tensor/shape";
 * import { equal, throws } from "node:assert/strict";
 * equal(normalizeAxis(-1, 3), 2);
 * equal(normalizeAxis(1, 3), 1);
 * throws(() => normalizeAxis(3, 3), /axis must be an integer in \[-3, 2\]/);
 * ```
 */
export function normalizeAxis(axis: number, ndim: number, name = "axis"): number {
  if (typeof axis !== "number" || !Number.isInteger(axis) || axis < -ndim || axis >= ndim) {
    const allowed = ndim === 0
      ? "is out of range: a 0-d tensor has no axes"
      : `must be an integer in [${-ndim}, ${ndim - 1}] for a ${ndim}-d tensor`;
    throw new RangeError(`${name} ${allowed}; got ${String(axis)}`);
  }
  return axis < 0 ? axis + ndim : axis;
}

/**
 * The shape that NumPy broadcasting gives a set of shapes: align them at the last axis; each
 * output dimension is the common size, where a dimension of 1 (or a missing one) stretches.
 *
 * @param shapes The shapes to broadcast together.
 * @returns The broadcast shape (`[]` for no shapes).
 * @throws {RangeError} If two dimensions differ and neither is 1.
 *
 * @example NumPy's examples
 * ```ts
 * import { broadcastShapes } from "@lowbit/tensor/shape";
 * import { deepEqual, throws } from "node:assert/strict";
 * deepEqual(broadcastShapes([8, 1, 6, 1], [7, 1, 5]), [8, 7, 6, 5]);
 * deepEqual(broadcastShapes([5, 4], [1]), [5, 4]);
 * throws(() => broadcastShapes([2, 1], [8, 4, 3]), RangeError);
 * ```
 */
export function broadcastShapes(...shapes: readonly (readonly number[])[]): number[] {
  let ndim = 0;
  for (const s of shapes) ndim = Math.max(ndim, s.length);
  const out = new Array<number>(ndim).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const k = ndim - s.length + i;
      const d = s[i];
      if (d === out[k] || d === 1) continue;
      if (out[k] === 1) {
        out[k] = d;
        continue;
      }
      throw new RangeError(
        `shapes ${shapes.map(formatShape).join(", ")} cannot be broadcast together: ` +
          `dimension ${d} does not match ${out[k]} at axis ${k - ndim}`,
      );
    }
  }
  return out;
}

/**
 * Whether two shapes are equal dimension by dimension.
 *
 * @param a A shape.
 * @param b A shape.
 * @returns `true` when they have the same length and dimensions.
 *
 * @example
 * ```ts
 * import { shapesEqual } from "@lowbit/tensor/shape";
 * import { equal } from "node:assert/strict";
 * equal(shapesEqual([2, 3], [2, 3]), true);
 * equal(shapesEqual([2, 3], [3, 2]), false);
 * ```
 */
export function shapesEqual(a: readonly number[], b: readonly number[]): boolean {
  return valuesEqual(a, b);
}

/**
 * Whether two number arrays (plain or typed: shapes, scales, codes) are equal element by
 * element, `a[i] === b[i]` (so NaN never equals itself and 0 equals −0).
 *
 * @param a An array.
 * @param b An array.
 * @returns `true` when they have the same length and elements.
 *
 * @example
 * ```ts
 * import { valuesEqual } from "@lowbit/tensor/shape";
 * import { equal } from "node:assert/strict";
 * equal(valuesEqual(Float32Array.of(0.5, 2), [0.5, 2]), true);
 * equal(valuesEqual(Int8Array.of(1, 2), Int8Array.of(1, 3)), false);
 * equal(valuesEqual([NaN], [NaN]), false);
 * ```
 */
export function valuesEqual(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  if (a.length >= 64 && a.constructor === b.constructor && isIntegerArray(a)) {
    // same integer type: equal values ⟺ equal bytes, compared a 32-bit word at a time
    return bytesEqual(a, b as IntegerArray);
  }
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

type IntegerArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array;

function isIntegerArray(a: ArrayLike<number>): a is IntegerArray {
  return a instanceof Int8Array || a instanceof Uint8Array || a instanceof Int16Array ||
    a instanceof Uint16Array || a instanceof Int32Array || a instanceof Uint32Array ||
    a instanceof Uint8ClampedArray;
}

function bytesEqual(a: IntegerArray, b: IntegerArray): boolean {
  const n = a.byteLength;
  const ua = new Uint8Array(a.buffer, a.byteOffset, n),
    ub = new Uint8Array(b.buffer, b.byteOffset, n);
  let i = 0;
  if (a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0) {
    const words = n >> 2;
    const wa = new Int32Array(a.buffer, a.byteOffset, words);
    const wb = new Int32Array(b.buffer, b.byteOffset, words);
    for (let k = 0; k < words; k++) if (wa[k] !== wb[k]) return false;
    i = words << 2;
  }
  for (; i < n; i++) if (ua[i] !== ub[i]) return false;
  return true;
}

/**
 * Formats a shape the way error messages print it: `[2, 3]`.
 *
 * @param shape A shape (anything array-like is printed as best it can be).
 * @returns The bracketed, comma-separated dimensions.
 *
 * @example
 * ```ts
 * import { formatShape } from "@lowbit/tensor/shape";
 * import { equal } from "node:assert/strict";
 * equal(formatShape([2, 3]), "[2, 3]");
 * ```
 */
export function formatShape(shape: readonly unknown[]): string {
  return Array.isArray(shape) ? `[${shape.map((d) => String(d)).join(", ")}]` : String(shape);
}
