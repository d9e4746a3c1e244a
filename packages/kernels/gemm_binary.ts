/**
 * 1-bit GEMM (XNOR-popcount, XNOR-Net/BNN): for A, B with entries ±1 stored as sign bits,
 * `C_ij = Σ_p A_ip·B_pj = k − 2·popcount(a_i XOR b_j)`   (1)
 * because a product of two signs is −1 exactly where the bits differ.
 *
 * Bit layout (that of `packSigns` in `@lowbit/numerics/packing`): bit = 1 means −1 (a negative
 * value or −0), bit = 0 means +1; element p of a row is bit `p mod 32` (LSB first) of word
 * `⌊p/32⌋`; each row takes `ceil(k/32)` 32-bit words. B is given by its columns, one packed
 * row per output column (weights stored `[out][in]`, as `Linear` and OIHW convolutions keep
 * them). When 32 does not divide k the last word has padding bits: they are masked off before
 * counting (they may hold anything), so (1) uses the true k, not the padded length.
 *
 * The TypeScript reference counts bits with SWAR tricks on 32-bit words; the WebAssembly
 * kernel runs `i64.popcnt` on 64-bit words over a 2×3 register block (single thread, over its
 * own memory; the worker pool does not run it). Both are exact and agree
 * bit for bit. The result is exact for k < 2^31.
 *
 * @example
 * ```ts
 * import { gemmBinary, packBinary } from "@lowbit/kernels/gemm-binary";
 * import { deepEqual } from "node:assert/strict";
 * const a = packBinary(new Int8Array([1, -1, 1]), 1, 3); // 1×3
 * const b = packBinary(new Int8Array([1, -1, -1, -1, 1, 1]), 2, 3); // 2 columns of B
 * deepEqual([...gemmBinary(1, 2, 3, a, b)], [1, -1]); // 1 + 1 − 1, −1 − 1 + 1
 * ```
 *
 * @module
 */

import { lastWordMask, pop32, wordsPerRow } from "./_bits.ts";
import { checkDim, checkType } from "./_validate.ts";
import {
  checkBitsDims,
  checkPackedShape,
  checkPlane,
  packRows,
  resolveBitsOptions,
} from "./_gemm_bits_resolve.ts";
import { gemmBitsWasm } from "./_gemm_binary_wasm.ts";
import type { KernelChoice } from "./gemm_f32.ts";

/** A rows×k matrix of signs, bit-packed along k (see the module doc for the layout). */
export interface PackedBits {
  /** Rows. */
  rows: number;
  /** Elements per row (the GEMM's k). */
  k: number;
  /** `rows·ceil(k/32)` words, row after row. */
  words: Uint32Array;
}

/** Options of {@link gemmBinary}. */
export interface GemmBinaryOptions {
  /** Output storage (≥ m·n); allocated when omitted. */
  out?: Int32Array;
  /** Implementation. Default `"auto"` (the Wasm kernel where WebAssembly runs). */
  kernel?: KernelChoice;
}

/**
 * Packs the signs of a row-major rows×k matrix: bit 1 for a negative value (or −0), 0
 * otherwise (zero counts as +1), LSB first, `ceil(k/32)` words per row, padding bits zero.
 *
 * @param values The matrix (Float32Array or Int8Array), at least rows·k elements.
 * @param rows Rows.
 * @param k Columns.
 * @returns The packed matrix.
 * @throws {RangeError} On bad dimensions, a short buffer, or a NaN (it has no sign to keep).
 * @throws {TypeError} When `values` is not a Float32Array or Int8Array.
 *
 * @example Thirty-three signs take two words
 * ```ts
 * import { packBinary } from "@lowbit/kernels/gemm-binary";
 * import { deepEqual } from "node:assert/strict";
 * const v = new Float32Array(33).fill(1);
 * v[0] = -0.5;
 * v[32] = -2;
 * deepEqual([...packBinary(v, 1, 33).words], [1, 1]);
 * ```
 */
export function packBinary(values: Float32Array | Int8Array, rows: number, k: number): PackedBits {
  checkDim("rows", rows);
  checkDim("k", k);
  checkType("values", values, [Float32Array, Int8Array]);
  if (values.length < rows * k) {
    throw new RangeError(
      `values is too small: rows×k = ${rows * k} elements needed, got ${values.length}`,
    );
  }
  const words = packRows(values, rows, k, (v, e) => {
    if (v !== v) throw new RangeError(`values[${e}] is NaN; a sign needs a number`);
    return v < 0 || Object.is(v, -0);
  });
  return { rows, k, words };
}

/**
 * Computes `C = A·B` for ±1 matrices from their sign bits, by equation (1) of the module doc.
 *
 * @param m Rows of A and C.
 * @param n Columns of B and C.
 * @param k The shared dimension (bits per row).
 * @param a A: m packed rows (a {@link PackedBits}, or its `words`).
 * @param b B by columns: n packed rows (a {@link PackedBits}, or its `words`).
 * @param options Output buffer, kernel.
 * @returns C, row-major m×n int32 (`options.out` when given).
 * @throws {RangeError} On bad dimensions, packed operands whose k or row count differs from the
 *   call's, buffers too small, or an unknown kernel.
 * @throws {TypeError} When words are not a Uint32Array or `out` is not an Int32Array.
 *
 * @example k = 33: the padding bits of the last word never count
 * ```ts
 * import { gemmBinary } from "@lowbit/kernels/gemm-binary";
 * import { deepEqual } from "node:assert/strict";
 * // a: all +1 except element 32; b: all +1, padding bits set to garbage
 * const a = new Uint32Array([0, 1]), b = new Uint32Array([0, 0xfffffffe]);
 * deepEqual([...gemmBinary(1, 1, 33, a, b)], [31]); // 32·(+1) + 1·(−1)
 * ```
 */
export function gemmBinary(
  m: number,
  n: number,
  k: number,
  a: PackedBits | Uint32Array,
  b: PackedBits | Uint32Array,
  options: GemmBinaryOptions = {},
): Int32Array {
  checkBitsDims(m, n, k);
  const aw = words("a", a, m, k, "m");
  const bw = words("b", b, n, k, "n");
  const { out, wasm } = resolveBitsOptions(m, n, options);
  if (wasm) gemmBitsWasm(m, n, k, [aw], [bw], out);
  else gemmBinaryReference(m, n, k, aw, bw, out);
  return out;
}

function words(name: string, x: PackedBits | Uint32Array, rows: number, k: number, rn: string) {
  if (x instanceof Uint32Array) {
    checkPlane(name, x, rows, k, rn);
    return x;
  }
  if (x === null || typeof x !== "object" || ArrayBuffer.isView(x)) {
    const got = x === null || typeof x !== "object" ? String(x) : x.constructor.name;
    throw new TypeError(`${name} must be a PackedBits or a Uint32Array, got ${got}`);
  }
  checkPackedShape(name, x, rows, k, rn);
  checkPlane(`${name}.words`, x.words, rows, k, rn);
  return x.words;
}

/** The reference: SWAR popcount of each word pair, last word masked. */
function gemmBinaryReference(
  m: number,
  n: number,
  k: number,
  a: Uint32Array,
  b: Uint32Array,
  out: Int32Array,
): void {
  const W = wordsPerRow(k), last = W - 1, mask = lastWordMask(k);
  for (let i = 0; i < m; i++) {
    const ai = i * W;
    for (let j = 0; j < n; j++) {
      const bj = j * W;
      let s = pop32((a[ai + last] ^ b[bj + last]) & mask);
      for (let q = 0; q < last; q++) s += pop32(a[ai + q] ^ b[bj + q]);
      out[i * n + j] = k - 2 * s;
    }
  }
}
