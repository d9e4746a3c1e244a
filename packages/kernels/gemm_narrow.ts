/**
 * The narrow-accumulator GEMM for ≤4-bit operands: `C = (A − z_A)·(B − z_B) + bias` with the
 * products summed in 16-bit lanes over short k-blocks and only then widened to int32, which
 * doubles the multiply throughput of the 8-bit path (one `pmaddubsw` does 16 products).
 *
 * Operands are codes stored one per byte: A (activations) unsigned in [0, 2^aBits − 1]
 * (Uint8Array) or signed in [−2^(aBits−1), 2^(aBits−1) − 1] (Int8Array); B likewise with
 * bBits. Internally A is shifted to unsigned and B to signed (zero points adjusted), so the
 * kernel multiplies a ∈ [0, 15] by b ∈ [−8, 7]. Exactness bound, checked: each 16-bit lane
 * sums `2·T` products of magnitude ≤ max|a|·max|b|, so a k-block of T pairs is exact when
 * `2·T·max|a|·max|b| ≤ 32767` (T = 136 pairs for 4×4 bits, capped at 256); blocks are sized
 * from that bound, and the result equals the int8 reference bit for bit.
 *
 * @example 4-bit activations × 4-bit weights
 * ```ts
 * import { gemmNarrow } from "@lowbit/kernels/gemm-narrow";
 * import { gemmInt8 } from "@lowbit/kernels/gemm-int8";
 * import { deepEqual } from "node:assert/strict";
 * const a = new Uint8Array([15, 0, 7, 3]); // 2×2
 * const b = new Int8Array([-8, 7, 5, -1]); // 2×2
 * deepEqual(gemmNarrow(2, 2, 2, a, b, { aZeroPoint: 8 }), gemmInt8(2, 2, 2, a, b, { aZeroPoint: 8 }));
 * ```
 *
 * @module
 */

import { checkIntRange, checkLength, checkType } from "./_validate.ts";
import { gemmInt8Reference, resolveGemmInt8 } from "./_gemm_int8_ref.ts";
import type { GemmInt8Options, Int8Operand } from "./gemm_int8.ts";
import { type PackedInt8, packedInt8Bytes } from "./pack_int8.ts";
import { Arena, kernels, reserve, scratchAt } from "./_wasm.ts";
import { activePool, PARALLEL_MIN_WORK } from "./_pool_state.ts";
import { gemmInt8Wasm } from "./_gemm_int8_wasm.ts";
import { int8Path } from "./_int8_path.ts";

/** Options of {@link gemmNarrow}. */
export interface GemmNarrowOptions extends GemmInt8Options {
  /** Bits of A's codes, 1..4. Default 4. */
  aBits?: number;
  /** Bits of B's codes, 1..4. Default 4. */
  bBits?: number;
}

function range(signed: boolean, bits: number): [number, number] {
  return signed ? [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1] : [0, 2 ** bits - 1];
}

/**
 * k-pairs per 16-bit accumulation block for operands bounded by `aMax` and `bMax` in
 * magnitude (after A is made unsigned and B signed): the largest T ≤ 256 with
 * `2·T·aMax·bMax ≤ 32767`.
 *
 * @param aMax Largest |a| (A unsigned, ≤ 127).
 * @param bMax Largest |b| (B signed, ≤ 128).
 * @returns The block length in k-pairs (0 when even one pair could overflow).
 *
 * @example
 * ```ts
 * import { narrowBlockPairs } from "@lowbit/kernels/gemm-narrow";
 * import { equal } from "node:assert/strict";
 * equal(narrowBlockPairs(15, 8), 136); // 4-bit × 4-bit
 * equal(narrowBlockPairs(3, 2), 256); // 2-bit × 2-bit: capped
 * ```
 */
export function narrowBlockPairs(aMax: number, bMax: number): number {
  if (aMax === 0 || bMax === 0) return 256;
  return Math.min(256, Math.floor(32767 / (2 * aMax * bMax)));
}

/**
 * Computes int32 accumulators of ≤4-bit operands with 16-bit accumulation (see the module
 * docs for the exactness bound).
 *
 * @param m Rows of A and C.
 * @param n Columns of B and C.
 * @param k Columns of A = rows of B.
 * @param a A codes, row-major m×k, inside the aBits range of its type.
 * @param b B codes, row-major k×n (n×k when `transB`), or a signed {@link PackedInt8}.
 * @param options Zero points, bias, bit widths, output, kernel.
 * @returns The accumulators, identical to `gemmInt8` on the same codes.
 * @throws {RangeError} On a code outside its bit range, bits outside 1..4, or any
 *   {@link gemmInt8} argument error.
 *
 * @example Signed 2-bit weights, 3-bit activations
 * ```ts
 * import { gemmNarrow } from "@lowbit/kernels/gemm-narrow";
 * import { deepEqual } from "node:assert/strict";
 * const c = gemmNarrow(1, 2, 3, new Uint8Array([7, 1, 2]), new Int8Array([-2, 1, 1, 0, -1, -2]), {
 *   aBits: 3, bBits: 2,
 * });
 * deepEqual([...c], [-15, 3]);
 * ```
 */
export function gemmNarrow(
  m: number,
  n: number,
  k: number,
  a: Int8Operand,
  b: Int8Operand | PackedInt8,
  options: GemmNarrowOptions = {},
): Int32Array {
  const call = resolveGemmInt8(m, n, k, a, b, options);
  const aBits = checkIntRange("options.aBits", options.aBits ?? 4, 1, 4);
  const bBits = checkIntRange("options.bBits", options.bBits ?? 4, 1, 4);
  const out = options.out ?? new Int32Array(m * n);
  checkType("options.out", out, [Int32Array]);
  checkLength("options.out", out, m * n, `m×n = ${m * n}`);
  const aSigned = a instanceof Int8Array;
  const [alo, ahi] = range(aSigned, aBits);
  const bSigned = call.packed ? call.packed.signed : b instanceof Int8Array;
  const [blo, bhi] = range(bSigned, bBits);
  if (call.packed) {
    if (call.packed.min < blo || call.packed.max > bhi) {
      throw new RangeError(
        `b holds codes in [${call.packed.min}, ${call.packed.max}], outside the ${bBits}-bit range [${blo}, ${bhi}]`,
      );
    }
    if (!call.packed.signed) {
      throw new RangeError("b must be packed from an Int8Array (signed codes) for gemmNarrow");
    }
  } else {
    const bb = call.b;
    for (let i = 0; i < k * n; i++) {
      if (bb[i] < blo || bb[i] > bhi) {
        throw new RangeError(
          `b[${i}] = ${bb[i]} is outside the ${bBits}-bit range [${blo}, ${bhi}]`,
        );
      }
    }
  }
  /** Throws naming the first code of A outside its bit range. */
  const checkA = () => {
    for (let i = 0; i < m * k; i++) {
      if (a[i] < alo || a[i] > ahi) {
        throw new RangeError(
          `a[${i}] = ${a[i]} is outside the ${aBits}-bit range [${alo}, ${ahi}]`,
        );
      }
    }
  };
  if (!call.useWasm) {
    checkA();
    return gemmInt8Reference(call, out);
  }
  // Where the relaxed-dot u8×s8 path runs (VNNI), it does 16 exact multiply-adds per
  // instruction into int32 already: the same result without the 16-bit blocking.
  if (call.packed ? call.packed.layout === "quads" : int8Path() === "relaxed-dot-u8s8") {
    checkA();
    gemmInt8Wasm(call, call.packed, { kind: "acc", out });
    return out;
  }
  const w = kernels()!;
  // A → unsigned [0, 2^aBits − 1], B → signed [−2^(bBits−1), 2^(bBits−1) − 1].
  const aAdd = aSigned ? 2 ** (aBits - 1) : 0;
  const bSub = bSigned ? 0 : 2 ** (bBits - 1);
  const za = call.aZeroPoint + aAdd;
  const kp = k + (k & 1);
  const arena = new Arena();
  const aRaw = arena.alloc(m * k);
  const a8 = arena.alloc(m * kp, true);
  const rs = arena.alloc(m * 4);
  const bRaw = call.packed ? 0 : arena.alloc(k * n);
  const bPack = call.packed ? 0 : arena.alloc(packedInt8Bytes(k, n), true);
  const biasAt = arena.alloc(n * 4);
  const zbAt = arena.alloc(n * 4);
  const cAt = arena.alloc(m * n * 4, true);
  const buf = reserve(w, arena.end);
  const u8 = new Uint8Array(buf), i32 = new Int32Array(buf);
  u8.set(new Uint8Array(a.buffer, a.byteOffset, m * k), aRaw);
  const bad = w.int8.prep_a_narrow(aRaw, m, k, kp, aSigned ? 1 : 0, aAdd, ahi - alo, a8, rs);
  if (bad) checkA(); // the kernel saw a code out of range: find and name it
  let bp: number;
  // column sums of the signed B, for the A zero point term
  const colSum = new Int32Array(n);
  if (call.packed) {
    bp = call.packed.address;
    colSum.set(call.packed.columnSums);
  } else {
    const src = call.b;
    const shifted = new Int8Array(k * n);
    for (let p = 0; p < k; p++) {
      for (let j = 0; j < n; j++) {
        const v = (call.transB ? src[j * k + p] : src[p * n + j]) - bSub;
        shifted[p * n + j] = v;
        colSum[j] += v;
      }
    }
    u8.set(new Uint8Array(shifted.buffer), bRaw);
    w.int8.pack_b8(bRaw, k, n, 0, 0, bPack, kp / 2);
    bp = bPack;
  }
  // C = Σ a'b' − zb'·rowsum(a') − za'·colsum(b') + k·za'·zb' + bias, a' = A + aAdd, b' = B − bSub
  for (let j = 0; j < n; j++) {
    const zb = call.bZeroPoint[j] - bSub;
    i32[zbAt / 4 + j] = zb;
    const bias = call.bias ? call.bias[j] : 0;
    i32[biasAt / 4 + j] = (bias - Math.imul(za, colSum[j]) + Math.imul(Math.imul(k, za), zb)) | 0;
  }
  i32.fill(0, cAt / 4, cAt / 4 + m * n);
  const block = narrowBlockPairs(ahi - alo, Math.max(-(blo - bSub), bhi - bSub));
  const pool = activePool();
  if (pool && m >= 12 && m * n * k >= PARALLEL_MIN_WORK) {
    pool.runGemmNarrow(a8, kp, bp, cAt, n, m, block);
  } else {
    w.int8.gemm_narrow(a8, kp, bp, cAt, n, 0, m, block, scratchAt(0));
  }
  w.int8.finish(cAt, n, 0, m, rs, biasAt, zbAt);
  out.set(i32.subarray(cAt / 4, cAt / 4 + m * n));
  return out;
}
