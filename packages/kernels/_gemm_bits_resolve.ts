// Private: validation shared by the 1-bit and ternary GEMMs.

import { checkDim, checkLength, checkType } from "./_validate.ts";
import { wordsPerRow } from "./_bits.ts";
import { checkKernel } from "./_conv_common.ts";
import type { KernelChoice } from "./gemm_f32.ts";
import { binaryWasmAvailable } from "./_gemm_binary_wasm.ts";

/** Checks m, n, k and returns the words per row. */
export function checkBitsDims(m: number, n: number, k: number): number {
  checkDim("m", m);
  checkDim("n", n);
  checkDim("k", k);
  return wordsPerRow(k);
}

/** Checks one plane of packed rows: a Uint32Array of at least rows·ceil(k/32) words. */
export function checkPlane(name: string, v: unknown, rows: number, k: number, what: string) {
  checkType(name, v, [Uint32Array]);
  const need = rows * wordsPerRow(k);
  checkLength(name, v as Uint32Array, need, `${what} × ceil(k/32) = ${rows}×${wordsPerRow(k)}`);
}

/** Checks the shape a packed operand says it has against the call. */
export function checkPackedShape(
  name: string,
  p: { rows: number; k: number },
  rows: number,
  k: number,
  rowName: string,
): void {
  if (p.k !== k) {
    throw new RangeError(`${name} is packed with k = ${p.k}, the call has k = ${k}`);
  }
  if (p.rows !== rows) {
    throw new RangeError(
      `${name} is packed with ${p.rows} rows, the call needs ${rowName} = ${rows}`,
    );
  }
}

/** Validates `options.out` / `options.kernel`; returns the output and whether Wasm runs. */
export function resolveBitsOptions(
  m: number,
  n: number,
  options: { out?: Int32Array; kernel?: KernelChoice },
): { out: Int32Array; wasm: boolean } {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`options must be an object, got ${String(options)}`);
  }
  const kernel = checkKernel(options.kernel);
  if (kernel === "wasm" && !binaryWasmAvailable()) {
    throw new RangeError('options.kernel is "wasm" but this runtime cannot run the Wasm kernel');
  }
  const out = options.out ?? new Int32Array(m * n);
  checkType("options.out", out, [Int32Array]);
  checkLength("options.out", out, m * n, `m×n = ${m * n}`);
  return { out, wasm: kernel === "wasm" || (kernel === "auto" && binaryWasmAvailable()) };
}

/** Packs row-major values into per-row bit planes; `bit(v, index)` decides each bit. */
export function packRows(
  values: ArrayLike<number>,
  rows: number,
  k: number,
  bit: (v: number, index: number) => boolean,
): Uint32Array {
  const W = wordsPerRow(k);
  const out = new Uint32Array(rows * W);
  for (let i = 0; i < rows; i++) {
    for (let p = 0; p < k; p++) {
      const e = i * k + p;
      if (bit(values[e], e)) out[i * W + (p >>> 5)] |= 1 << (p & 31);
    }
  }
  return out;
}
