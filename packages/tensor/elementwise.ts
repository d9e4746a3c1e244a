/**
 * Elementwise arithmetic with NumPy broadcasting: `add`, `sub`, `mul`, `div`, and the unary
 * `abs`, `neg`, `clamp`, `apply`.
 *
 * Output dtype: **`"f64"` when every tensor operand is `"f64"`, otherwise `"f32"`** — whatever
 * the input dtypes (integer and `"f16"` inputs give `"f32"`). A number operand takes part as a
 * float64 constant and does not affect the output dtype. Each result is computed in float64
 * from the operands' values and stored once (rounded to nearest, ties to even, for `"f32"`).
 * Outputs are new contiguous tensors; inputs are never modified. NaN propagates as in IEEE
 * arithmetic.
 *
 * @example Broadcasting a per-channel scale over rows
 * ```ts
 * import { Tensor } from "@lowbit/tensor/tensor";
 * import { mul } from "@lowbit/tensor/elementwise";
 * import { deepEqual } from "node:assert/strict";
 * const w = Tensor.from([1, 2, 3, 4, 5, 6], [2, 3]);
 * const scale = Tensor.from([10, 100], [2, 1]);
 * deepEqual(mul(w, scale).toArray(), [10, 20, 30, 400, 500, 600]);
 * ```
 *
 * @module
 */

import { readValues } from "./_strided.ts";
import type { DType } from "./dtype.ts";
import { broadcastShapes, shapesEqual, shapeSize } from "./shape.ts";
import { Tensor } from "./tensor.ts";

/** An operand of the binary operations: a tensor of any dtype, or a number. */
export type Operand = Tensor<DType> | number;

/** The dtype an operand contributes: its own, or `"f64"` for a number. */
export type OperandDType<A> = A extends Tensor<infer E> ? E : "f64";

/**
 * The output dtype of a binary operation: `"f64"` when every tensor operand is `"f64"`, `"f32"`
 * when some tensor operand is not, and `"f32" | "f64"` when the types cannot tell.
 */
export type BinaryDType<A, B> = [Exclude<OperandDType<A> | OperandDType<B>, "f64">] extends [never]
  ? "f64"
  : "f64" extends OperandDType<A> ? ("f64" extends OperandDType<B> ? "f32" | "f64" : "f32")
  : "f32";

/** The output dtype of a unary operation on a tensor of dtype `D`: `"f64"` stays, else `"f32"`. */
export type UnaryDType<D extends DType> = D extends "f64" ? "f64" : "f32";

type BinaryOp = "add" | "sub" | "mul" | "div";

/**
 * `a + b` elementwise, with broadcasting.
 *
 * @param a A tensor or a number.
 * @param b A tensor or a number.
 * @returns A new tensor of the broadcast shape (dtype: see the module doc).
 * @throws {TypeError} If neither operand is a tensor.
 * @throws {RangeError} If the shapes cannot be broadcast together.
 *
 * @example
 * ```ts
 * import { Tensor } from "@lowbit/tensor/tensor";
 * import { add } from "@lowbit/tensor/elementwise";
 * import { deepEqual, equal } from "node:assert/strict";
 * const r = add(Tensor.from([1, 2, 3]), Tensor.from([10, 20], [2, 1]));
 * deepEqual(r.shape, [2, 3]);
 * deepEqual(r.toArray(), [11, 12, 13, 21, 22, 23]);
 * equal(add(Tensor.from(new Float64Array([0.1])), 0.2).get(0), 0.30000000000000004);
 * ```
 */
export function add<A extends Operand, B extends Operand>(a: A, b: B): Tensor<BinaryDType<A, B>> {
  return binary(a, b, "add") as Tensor<BinaryDType<A, B>>;
}

/**
 * `a − b` elementwise, with broadcasting.
 *
 * @param a A tensor or a number.
 * @param b A tensor or a number.
 * @returns A new tensor of the broadcast shape (dtype: see the module doc).
 * @throws {TypeError} If neither operand is a tensor.
 * @throws {RangeError} If the shapes cannot be broadcast together.
 *
 * @example Centering each column
 * ```ts
 * import { Tensor } from "@lowbit/tensor/tensor";
 * import { sub } from "@lowbit/tensor/elementwise";
 * import { deepEqual } from "node:assert/strict";
 * const x = Tensor.from([1, 5, 3, 9], [2, 2]);
 * deepEqual(sub(x, Tensor.from([2, 7])).toArray(), [-1, -2, 1, 2]);
 * deepEqual(sub(1, x).toArray(), [0, -4, -2, -8]);
 * ```
 */
export function sub<A extends Operand, B extends Operand>(a: A, b: B): Tensor<BinaryDType<A, B>> {
  return binary(a, b, "sub") as Tensor<BinaryDType<A, B>>;
}

/**
 * `a × b` elementwise, with broadcasting.
 *
 * @param a A tensor or a number.
 * @param b A tensor or a number.
 * @returns A new tensor of the broadcast shape (dtype: see the module doc).
 * @throws {TypeError} If neither operand is a tensor.
 * @throws {RangeError} If the shapes cannot be broadcast together.
 *
 * @example Dequantizing int8 codes
 * ```ts
 * import { Tensor } from "@lowbit/tensor/tensor";
 * import { mul } from "@lowbit/tensor/elementwise";
 * import { deepEqual, equal } from "node:assert/strict";
 * const r = mul(Tensor.from([-128, 0, 127], [3], "i8"), 0.5);
 * equal(r.dtype, "f32");
 * deepEqual(r.toArray(), [-64, 0, 63.5]);
 * ```
 */
export function mul<A extends Operand, B extends Operand>(a: A, b: B): Tensor<BinaryDType<A, B>> {
  return binary(a, b, "mul") as Tensor<BinaryDType<A, B>>;
}

/**
 * `a ÷ b` elementwise, with broadcasting (IEEE division: x/0 is ±∞, 0/0 is NaN).
 *
 * @param a A tensor or a number.
 * @param b A tensor or a number.
 * @returns A new tensor of the broadcast shape (dtype: see the module doc).
 * @throws {TypeError} If neither operand is a tensor.
 * @throws {RangeError} If the shapes cannot be broadcast together.
 *
 * @example
 * ```ts
 * import { Tensor } from "@lowbit/tensor/tensor";
 * import { div } from "@lowbit/tensor/elementwise";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(div(Tensor.from([1, -1, 0, 3]), 0).toArray().slice(0, 2), [Infinity, -Infinity]);
 * deepEqual(div(Tensor.from([3, 6]), Tensor.from([2])).toArray(), [1.5, 3]);
 * ```
 */
export function div<A extends Operand, B extends Operand>(a: A, b: B): Tensor<BinaryDType<A, B>> {
  return binary(a, b, "div") as Tensor<BinaryDType<A, B>>;
}

/**
 * `|x|` elementwise.
 *
 * @param t The input.
 * @returns A new tensor, `"f64"` for `"f64"` input, else `"f32"`.
 *
 * @example
 * ```ts
 * import { Tensor } from "@lowbit/tensor/tensor";
 * import { abs } from "@lowbit/tensor/elementwise";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(abs(Tensor.from([-128, 5], [2], "i8")).toArray(), [128, 5]);
 * ```
 */
export function abs<D extends DType>(t: Tensor<D>): Tensor<UnaryDType<D>> {
  return unary(t, Math.abs);
}

/**
 * `−x` elementwise.
 *
 * @param t The input.
 * @returns A new tensor, `"f64"` for `"f64"` input, else `"f32"`.
 *
 * @example
 * ```ts
 * import { Tensor } from "@lowbit/tensor/tensor";
 * import { neg } from "@lowbit/tensor/elementwise";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(neg(Tensor.from([1.5, -2])).toArray(), [-1.5, 2]);
 * ```
 */
export function neg<D extends DType>(t: Tensor<D>): Tensor<UnaryDType<D>> {
  return unary(t, (x) => -x);
}

/**
 * Limits every element to `[lo, hi]`; NaN elements stay NaN.
 *
 * @param t The input.
 * @param lo The lower bound.
 * @param hi The upper bound, `hi ≥ lo`.
 * @returns A new tensor, `"f64"` for `"f64"` input, else `"f32"`.
 * @throws {RangeError} If `lo` or `hi` is NaN, or `lo > hi`.
 *
 * @example
 * ```ts
 * import { Tensor } from "@lowbit/tensor/tensor";
 * import { clamp } from "@lowbit/tensor/elementwise";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(clamp(Tensor.from([-3, 0.5, 9]), -1, 1).toArray(), [-1, 0.5, 1]);
 * ```
 */
export function clamp<D extends DType>(
  t: Tensor<D>,
  lo: number,
  hi: number,
): Tensor<UnaryDType<D>> {
  if (typeof lo !== "number" || Number.isNaN(lo)) {
    throw new RangeError(`lo must be a number (not NaN); got ${String(lo)}`);
  }
  if (typeof hi !== "number" || Number.isNaN(hi)) {
    throw new RangeError(`hi must be a number (not NaN); got ${String(hi)}`);
  }
  if (lo > hi) throw new RangeError(`lo must be ≤ hi; got lo = ${lo}, hi = ${hi}`);
  return unary(t, (x) => (x < lo ? lo : x > hi ? hi : x));
}

/**
 * Applies a function to every element.
 *
 * @param t The input.
 * @param fn Called with each value (as a number) and its row-major position.
 * @returns A new tensor, `"f64"` for `"f64"` input, else `"f32"`.
 *
 * @example
 * ```ts
 * import { Tensor } from "@lowbit/tensor/tensor";
 * import { apply } from "@lowbit/tensor/elementwise";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(apply(Tensor.from([1, 4, 9]), Math.sqrt).toArray(), [1, 2, 3]);
 * ```
 */
export function apply<D extends DType>(
  t: Tensor<D>,
  fn: (value: number, index: number) => number,
): Tensor<UnaryDType<D>> {
  return unary(t, fn);
}

function unary<D extends DType>(
  t: Tensor<D>,
  fn: (value: number, index: number) => number,
): Tensor<UnaryDType<D>> {
  const dtype = (t.dtype === "f64" ? "f64" : "f32") as UnaryDType<D>;
  const out = dtype === "f64" ? new Float64Array(t.size) : new Float32Array(t.size);
  const { v, o } = operandValues(t, t.shape);
  for (let i = 0; i < out.length; i++) out[i] = fn(v[o + i], i);
  return new Tensor(dtype, out as Tensor<UnaryDType<D>>["data"], t.shape);
}

interface Values {
  v: ArrayLike<number>;
  o: number;
  s: number;
}

/** The values of an operand laid out over `shape`: `v[o + i·s]` is element `i`. */
function operandValues(x: Operand, shape: readonly number[]): Values {
  if (typeof x === "number") return { v: [x], o: 0, s: 0 };
  if (x.isContiguous && x.dtype !== "f16" && shapesEqual(x.shape, shape)) {
    return { v: x.data, o: x.offset, s: 1 };
  }
  const lead = shape.length - x.ndim;
  const strides = shape.map((_, k) => {
    const j = k - lead;
    return j < 0 || x.shape[j] === 1 ? 0 : x.strides[j];
  });
  return { v: readValues(x.data, x.dtype, shape, strides, x.offset), o: 0, s: 1 };
}

function binary(a: Operand, b: Operand, op: BinaryOp): Tensor<"f32" | "f64"> {
  const ta = a instanceof Tensor, tb = b instanceof Tensor;
  if (!ta && !tb) {
    throw new TypeError(`a or b must be a Tensor; got ${typeof a} and ${typeof b}`);
  }
  for (const [name, x] of [["a", a], ["b", b]] as const) {
    if (!(x instanceof Tensor) && typeof x !== "number") {
      throw new TypeError(`${name} must be a Tensor or a number; got ${typeof x}`);
    }
  }
  const f64 = (!ta || (a as Tensor<DType>).dtype === "f64") &&
    (!tb || (b as Tensor<DType>).dtype === "f64");
  const shape = broadcastShapes(
    ta ? (a as Tensor<DType>).shape : [],
    tb ? (b as Tensor<DType>).shape : [],
  );
  const n = shapeSize(shape);
  const out = f64 ? new Float64Array(n) : new Float32Array(n);
  const x = operandValues(a, shape), y = operandValues(b, shape);
  const xv = x.v, xo = x.o, xs = x.s, yv = y.v, yo = y.o, ys = y.s;
  switch (op) {
    case "add":
      for (let i = 0; i < n; i++) out[i] = xv[xo + i * xs] + yv[yo + i * ys];
      break;
    case "sub":
      for (let i = 0; i < n; i++) out[i] = xv[xo + i * xs] - yv[yo + i * ys];
      break;
    case "mul":
      for (let i = 0; i < n; i++) out[i] = xv[xo + i * xs] * yv[yo + i * ys];
      break;
    case "div":
      for (let i = 0; i < n; i++) out[i] = xv[xo + i * xs] / yv[yo + i * ys];
      break;
  }
  return f64
    ? new Tensor("f64", out as Float64Array, shape)
    : new Tensor("f32", out as Float32Array, shape);
}
