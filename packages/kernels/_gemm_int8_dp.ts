// Private: the u8×s8 relaxed-dot int8 GEMM driver (kernel source: the "_dp" functions of
// wasm/gemm_int8.wat), used where the probe found that relaxed_dot_i8x16_i7x16_add reads its
// second operand as unsigned bytes without pair saturation (x86 VNNI). A becomes the unsigned
// operand A' (uint8 as is, int8 + 128), B the signed operand B' (int8 as is, uint8 − 128);
// with a' = a + offA, b' = b − offB, z_A' = z_A + offA and z_B' = z_B − offB,
//   Σ_p (a − z_A)(b − z_B) = Σ_p a'b' − z_B'·Σ_p a' − z_A'·Σ_p b' + k·z_A'·z_B'   (mod 2^32),
// so the kernel's raw products get the row-sum term from `finish` and the column-sum and
// constant terms folded into the bias.

import type { GemmInt8Call } from "./_gemm_int8_ref.ts";
import { type PackedInt8, packedInt8Bytes } from "./pack_int8.ts";
import { type Arena, kernels, reserve, scratchAt } from "./_wasm.ts";
import { activePool, PARALLEL_MIN_WORK } from "./_pool_state.ts";
import { allocB, writeB } from "./_gemm_int8_b.ts";

/** Computes the corrected accumulators into the arena; returns their address. */
export function accumulateDp(c: GemmInt8Call, packed: PackedInt8 | null, arena: Arena): number {
  const w = kernels()!;
  const { m, n, k } = c;
  const quads = Math.ceil(k / 4);
  const aRaw = arena.alloc(m * k);
  const aPack = arena.alloc(Math.ceil(m / 6) * quads * 24, true);
  const rs = arena.alloc(m * 4);
  const bAt = packed ? { bRaw: 0, bIn: 0 } : allocB(c, arena);
  const bPack = packed ? 0 : arena.alloc(packedInt8Bytes(k, n, "quads"), true);
  const csAt = packed ? 0 : arena.alloc(Math.ceil(n / 8) * 32);
  const biasAt = arena.alloc(n * 4);
  const zbAt = arena.alloc(n * 4);
  const cAt = arena.alloc(m * n * 4, true);
  const buf = reserve(w, arena.end);
  const u8 = new Uint8Array(buf), i32 = new Int32Array(buf);
  u8.set(new Uint8Array(c.a.buffer, c.a.byteOffset, m * k), aRaw);
  const offA = c.a instanceof Int8Array ? 128 : 0;
  w.int8.pack_a_dp(aRaw, m, k, quads, offA ? 0x80 : 0, aPack, rs);
  let bp: number, offB: number;
  let cs: (j: number) => number;
  if (packed) {
    bp = packed.address;
    offB = packed.signed ? 0 : 128;
    const sums = packed.columnSums, shift = Math.imul(k, offB);
    cs = (j) => (sums[j] - shift) | 0;
  } else {
    offB = (c.bIm2col?.input ?? c.b) instanceof Int8Array ? 0 : 128;
    writeB(c, u8, bAt);
    w.int8.pack_b_dp(bAt.bRaw, k, n, c.transB ? 1 : 0, offB ? 0x80 : 0, bPack, quads);
    w.int8.colsum_b_dp(bPack, quads, n, csAt);
    bp = bPack;
    cs = (j) => i32[csAt / 4 + j];
  }
  const za = c.aZeroPoint + offA, kza = Math.imul(k, za);
  for (let j = 0; j < n; j++) {
    const zb = c.bZeroPoint[j] - offB;
    i32[zbAt / 4 + j] = zb;
    const bias = c.bias ? c.bias[j] : 0;
    i32[biasAt / 4 + j] = (bias + Math.imul(kza, zb) - Math.imul(za, cs(j))) | 0;
  }
  const pool = activePool();
  const parallel = pool !== null && m * n * k >= PARALLEL_MIN_WORK;
  if (m < 4) {
    for (let i = 0; i < m; i++) {
      const out = cAt + i * n * 4;
      if (parallel && n >= 64) pool.runGemvDp(aPack, i, quads, bp, out, n);
      else w.int8.gemv_dp(aPack, i, quads, bp, out, n, 0, n, scratchAt(0));
    }
  } else if (parallel && m >= 12) {
    pool.runGemmDp(aPack, quads, bp, cAt, n, m);
  } else {
    w.int8.gemm_dp(aPack, quads, bp, cAt, n, 0, m, scratchAt(0));
  }
  w.int8.finish(cAt, n, 0, m, rs, biasAt, zbAt);
  return cAt;
}
