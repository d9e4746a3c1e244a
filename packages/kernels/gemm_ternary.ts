/**
 * Ternary GEMM over two bit-planes per operand: for entries in {−1, 0, +1} stored as a
 * nonzero plane `nz` and a sign plane `s` (1 = negative),
 * `C_ij = popcount(t ∧ ¬(s_a ⊕ s_b)) − popcount(t ∧ (s_a ⊕ s_b)) = popcount(t) − 2·popcount(t ∧ (s_a ⊕ s_b))`
 * with `t = nz_a ∧ nz_b`: only positions where both entries are nonzero contribute, +1 where the
 * signs agree and −1 where they differ.
 *
 * Layout per plane as in `gemm-binary.ts` (LSB first, `ceil(k/32)` words per row, B given by
 * its columns); padding bits of the last word are masked off, so they may hold anything. The
 * TypeScript reference (SWAR popcount) and the WebAssembly kernel (`i64.popcnt`, 2×4 block)
 * agree bit for bit.
 *
 * @example
 * ```ts
 * import { gemmTernary, packTernary } from "@lowbit/kernels/gemm-ternary";
 * import { deepEqual } from "node:assert/strict";
 * const a = packTernary(new Int8Array([1, 0, -1, 1]), 1, 4);
 * const b = packTernary(new Int8Array([1, 1, -1, 0, -1, 0, 1, -1]), 2, 4); // two columns
 * deepEqual([...gemmTernary(1, 2, 4, a, b)], [2, -3]); // 1 + 0 + 1 + 0, −1 + 0 − 1 − 1
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

/** A rows×k matrix of {−1, 0, +1}, as two bit-planes packed along k. */
export interface PackedTernary {
  /** Rows. */
  rows: number;
  /** Elements per row (the GEMM's k). */
  k: number;
  /** Bit 1 where the entry is nonzero; `rows·ceil(k/32)` words. */
  nonzero: Uint32Array;
  /** Bit 1 where the entry is −1 (0 elsewhere, including zeros); `rows·ceil(k/32)` words. */
  sign: Uint32Array;
}

/** Options of {@link gemmTernary}. */
export interface GemmTernaryOptions {
  /** Output storage (≥ m·n); allocated when omitted. */
  out?: Int32Array;
  /** Implementation. Default `"auto"`. */
  kernel?: KernelChoice;
}

/**
 * Packs a row-major rows×k matrix into ternary planes: entry `v` is 0 when `|v| ≤ threshold`,
 * else `sign(v)` (the TWN rule with a given Δ; the default Δ = 0 keeps {−1, 0, +1} inputs as
 * they are).
 *
 * @param values The matrix (Float32Array or Int8Array), at least rows·k elements.
 * @param rows Rows.
 * @param k Columns.
 * @param options `threshold` Δ ≥ 0 (default 0).
 * @returns The packed planes.
 * @throws {RangeError} On bad dimensions, a short buffer, a NaN value, or a negative or
 *   non-finite threshold.
 * @throws {TypeError} When `values` is not a Float32Array or Int8Array.
 *
 * @example Threshold 0.5
 * ```ts
 * import { packTernary } from "@lowbit/kernels/gemm-ternary";
 * import { deepEqual } from "node:assert/strict";
 * const t = packTernary(new Float32Array([0.7, -0.2, -0.9, 0.5]), 1, 4, { threshold: 0.5 });
 * deepEqual([...t.nonzero, ...t.sign], [0b0101, 0b0100]); // +1, 0, −1, 0
 * ```
 */
export function packTernary(
  values: Float32Array | Int8Array,
  rows: number,
  k: number,
  options: { threshold?: number } = {},
): PackedTernary {
  checkDim("rows", rows);
  checkDim("k", k);
  checkType("values", values, [Float32Array, Int8Array]);
  if (values.length < rows * k) {
    throw new RangeError(
      `values is too small: rows×k = ${rows * k} elements needed, got ${values.length}`,
    );
  }
  const th = options.threshold ?? 0;
  if (typeof th !== "number" || !(th >= 0) || !Number.isFinite(th)) {
    throw new RangeError(`options.threshold must be a finite number ≥ 0, got ${String(th)}`);
  }
  const nonzero = packRows(values, rows, k, (v, e) => {
    if (v !== v) throw new RangeError(`values[${e}] is NaN; a ternary value needs a number`);
    return Math.abs(v) > th;
  });
  const sign = packRows(values, rows, k, (v) => v < -th);
  return { rows, k, nonzero, sign };
}

/**
 * Computes `C = A·B` for {−1, 0, +1} matrices from their bit-planes (module doc).
 *
 * @param m Rows of A and C.
 * @param n Columns of B and C.
 * @param k The shared dimension.
 * @param a A: m packed rows.
 * @param b B by columns: n packed rows.
 * @param options Output buffer, kernel.
 * @returns C, row-major m×n int32 (`options.out` when given).
 * @throws {RangeError} On bad dimensions, operands packed with another k or row count, planes
 *   too small, or an unknown kernel.
 * @throws {TypeError} When an operand is not a PackedTernary or a plane not a Uint32Array.
 *
 * @example Zeros in either operand drop the term
 * ```ts
 * import { gemmTernary, packTernary } from "@lowbit/kernels/gemm-ternary";
 * import { deepEqual } from "node:assert/strict";
 * const a = packTernary(new Int8Array([0, 0, 1]), 1, 3);
 * const b = packTernary(new Int8Array([-1, 1, -1]), 1, 3);
 * deepEqual([...gemmTernary(1, 1, 3, a, b)], [-1]);
 * ```
 */
export function gemmTernary(
  m: number,
  n: number,
  k: number,
  a: PackedTernary,
  b: PackedTernary,
  options: GemmTernaryOptions = {},
): Int32Array {
  checkBitsDims(m, n, k);
  check("a", a, m, k, "m");
  check("b", b, n, k, "n");
  const { out, wasm } = resolveBitsOptions(m, n, options);
  if (wasm) gemmBitsWasm(m, n, k, [a.nonzero, a.sign], [b.nonzero, b.sign], out);
  else gemmTernaryReference(m, n, k, a, b, out);
  return out;
}

function check(name: string, x: PackedTernary, rows: number, k: number, rn: string): void {
  if (x === null || typeof x !== "object" || ArrayBuffer.isView(x)) {
    const got = x === null || typeof x !== "object" ? String(x) : (x as object).constructor.name;
    throw new TypeError(`${name} must be a PackedTernary (from packTernary), got ${got}`);
  }
  checkPackedShape(name, x, rows, k, rn);
  checkPlane(`${name}.nonzero`, x.nonzero, rows, k, rn);
  checkPlane(`${name}.sign`, x.sign, rows, k, rn);
}

/** The reference: SWAR popcounts per word, last word masked. */
function gemmTernaryReference(
  m: number,
  n: number,
  k: number,
  a: PackedTernary,
  b: PackedTernary,
  out: Int32Array,
): void {
  const W = wordsPerRow(k), mask = lastWordMask(k);
  const { nonzero: an, sign: as } = a, { nonzero: bn, sign: bs } = b;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let q = 0; q < W; q++) {
        const ia = i * W + q, ib = j * W + q;
        let t = an[ia] & bn[ib];
        if (q === W - 1) t &= mask;
        s += pop32(t) - 2 * pop32(t & (as[ia] ^ bs[ib]));
      }
      out[i * n + j] = s;
    }
  }
}
