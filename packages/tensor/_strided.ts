// Private strided traversal shared by Tensor, the reductions and the elementwise ops.

import { numberFromF16Bits } from "./_f16.ts";
import type { DType, TypedArray } from "./dtype.ts";

/**
 * Calls `fn(base, row)` once per row of a strided layout, in row-major order. A row is the run
 * of `shape[ndim−1]` elements along the last axis (one element for a 0-d layout); `base` is the
 * storage index of its first element and `row` its ordinal. Nothing is called when the layout
 * has no elements.
 */
export function forEachRow(
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
  fn: (base: number, row: number) => void,
): void {
  const nd = shape.length;
  let rows = 1;
  for (let k = 0; k < nd; k++) rows *= shape[k];
  if (nd === 0) {
    fn(offset, 0);
    return;
  }
  if (rows === 0) return;
  rows /= shape[nd - 1];
  const idx = new Array<number>(nd - 1).fill(0);
  let base = offset;
  for (let r = 0; r < rows; r++) {
    fn(base, r);
    for (let k = nd - 2; k >= 0; k--) {
      base += strides[k];
      if (++idx[k] < shape[k]) break;
      base -= strides[k] * shape[k];
      idx[k] = 0;
    }
  }
}

/** The length and stride of the rows {@linkcode forEachRow} visits. */
export function rowOf(shape: readonly number[], strides: readonly number[]): [number, number] {
  const nd = shape.length;
  return nd === 0 ? [1, 0] : [shape[nd - 1], strides[nd - 1]];
}

/** Copies the raw storage values of a strided layout into `dst` in row-major order. */
export function copyStrided(
  src: TypedArray,
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
  dst: TypedArray,
): void {
  const [n, s] = rowOf(shape, strides);
  forEachRow(shape, strides, offset, (base, row) => {
    const o = row * n;
    for (let j = 0; j < n; j++) dst[o + j] = src[base + j * s];
  });
}

/** The numeric values of a strided layout in row-major order (binary16 bits decoded). */
export function readValues(
  src: TypedArray,
  dtype: DType,
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
): Float64Array {
  let size = 1;
  for (const d of shape) size *= d;
  const out = new Float64Array(size);
  copyStrided(src, shape, strides, offset, out);
  if (dtype === "f16") { for (let i = 0; i < size; i++) out[i] = numberFromF16Bits(out[i]); }
  return out;
}
