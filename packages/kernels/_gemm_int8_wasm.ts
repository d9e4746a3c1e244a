// Private: the WebAssembly SIMD int8 GEMM driver (kernel source: wasm/gemm_int8.wat). On the
// "dot-i16" path it widens A to i16 with its zero point folded in (row sums on the side),
// packs B into int8 panels unless it comes packed, runs the 6×8 kernel (or the 1×32 GEMV
// kernel for tiny m, split by columns), applies bias and B's zero points with the row sums;
// the "relaxed-dot-u8s8" path (_gemm_int8_dp.ts) runs where the probe allows it and B is not
// packed in the pair layout. Then accumulators are copied out or requantized in place.

import type { GemmInt8Call } from "./_gemm_int8_ref.ts";
import type { ResolvedOutputStage } from "./_output_stage.ts";
import { type PackedInt8, packedInt8Bytes } from "./pack_int8.ts";
import { Arena, kernels, reserve, scratchAt } from "./_wasm.ts";
import { activePool, PARALLEL_MIN_WORK } from "./_pool_state.ts";
import { accumulateDp } from "./_gemm_int8_dp.ts";
import { allocB, writeB } from "./_gemm_int8_b.ts";
import { int8Path } from "./_int8_path.ts";

/**
 * Where results go: int32 accumulators, codes through a resolved output stage (per column),
 * or codes through a per-row stage with a per-row bias (a convolution computed as weights ·
 * activations, rows = output channels).
 */
export type Int8Sink =
  | { kind: "acc"; out: Int32Array }
  | { kind: "codes"; stage: ResolvedOutputStage; out: Int8Array | Uint8Array }
  | {
    kind: "rowCodes";
    stage: ResolvedOutputStage;
    rowBias: Int32Array | undefined;
    out: Int8Array | Uint8Array;
  };

/** Runs a validated call; `packed` replaces `c.b` when given. */
export function gemmInt8Wasm(c: GemmInt8Call, packed: PackedInt8 | null, sink: Int8Sink): void {
  const arena = new Arena();
  const dp = packed ? packed.layout === "quads" : int8Path() === "relaxed-dot-u8s8";
  if (!dp && sink.kind === "rowCodes" && sink.stage.kind === "float" && !c.bias) {
    const zb = c.bZeroPoint[0];
    let uniform = true;
    for (let j = 1; j < c.n && uniform; j++) uniform = c.bZeroPoint[j] === zb;
    if (uniform) {
      rowsFloat(c, packed, zb, sink, arena);
      return;
    }
  }
  const cAt = dp ? accumulateDp(c, packed, arena) : accumulateI16(c, packed, arena);
  emit(cAt, c.m, c.n, sink, arena);
}

/** A packed as A16 with its row sums, B packed in pair panels (in the arena). */
interface PackedI16 {
  a16: number;
  kp: number;
  rs: number;
  bp: number;
  signedB: boolean;
}

/** Packs both operands for the dot_i16x8 path. */
function packI16(c: GemmInt8Call, packed: PackedInt8 | null, arena: Arena): PackedI16 {
  const w = kernels()!;
  const { m, n, k } = c;
  const kp = k + (k & 1);
  const aRaw = arena.alloc(m * k);
  const a16 = arena.alloc(m * kp * 2, true);
  const rs = arena.alloc(m * 4);
  const bAt = packed ? { bRaw: 0, bIn: 0 } : allocB(c, arena);
  const bPack = packed ? 0 : arena.alloc(packedInt8Bytes(k, n), true);
  const u8 = new Uint8Array(reserve(w, arena.end));
  u8.set(new Uint8Array(c.a.buffer, c.a.byteOffset, m * k), aRaw);
  w.int8.pack_a16(aRaw, m, k, kp, c.a instanceof Int8Array ? 1 : 0, c.aZeroPoint, a16, rs);
  if (packed) return { a16, kp, rs, bp: packed.address, signedB: packed.signed };
  const signedB = (c.bIm2col?.input ?? c.b) instanceof Int8Array;
  writeB(c, u8, bAt);
  w.int8.pack_b8(bAt.bRaw, k, n, c.transB ? 1 : 0, signedB ? 0 : 0x80, bPack, kp / 2);
  return { a16, kp, rs, bp: bPack, signedB };
}

/** Raw products A16 · B into cAt (m×n i32): GEMV for m < 4, the pool for large products. */
function computeI16(p: PackedI16, m: number, n: number, cAt: number): void {
  const w = kernels()!;
  const pool = activePool();
  const parallel = pool !== null && m * n * p.kp >= PARALLEL_MIN_WORK;
  if (m < 4) {
    for (let i = 0; i < m; i++) {
      const a = p.a16 + i * p.kp * 2, out = cAt + i * n * 4;
      if (parallel && n >= 64) pool.runGemvInt8(a, p.kp, p.bp, out, n);
      else w.int8.gemv(a, p.kp, p.bp, out, n, 0, n, scratchAt(0));
    }
  } else if (parallel && m >= 12) {
    pool.runGemmInt8(p.a16, p.kp, p.bp, cAt, n, m);
  } else {
    w.int8.gemm(p.a16, p.kp, p.bp, cAt, n, 0, m, scratchAt(0));
  }
}

/** The dot_i16x8 path: accumulators into the arena, corrected for B's zero points and the bias. */
function accumulateI16(c: GemmInt8Call, packed: PackedInt8 | null, arena: Arena): number {
  const w = kernels()!;
  const { m, n } = c;
  const p = packI16(c, packed, arena);
  const biasAt = arena.alloc(n * 4);
  const zbAt = arena.alloc(n * 4);
  const cAt = arena.alloc(m * n * 4, true);
  const i32 = new Int32Array(reserve(w, arena.end));
  // unsigned B is stored as b − 128, so its zero point drops by 128
  const zbShift = p.signedB ? 0 : 128;
  for (let j = 0; j < n; j++) i32[zbAt / 4 + j] = c.bZeroPoint[j] - zbShift;
  if (c.bias) i32.set(c.bias, biasAt / 4);
  else i32.fill(0, biasAt / 4, biasAt / 4 + n);
  computeI16(p, m, n, cAt);
  w.int8.finish(cAt, n, 0, m, p.rs, biasAt, zbAt);
  return cAt;
}

/**
 * Per-row float output stage fused with the corrections (one B zero point z_B for every
 * column, no column bias): row i gets `rowBias_i − (z_B − shift)·rowsum_i` (int32 ring
 * arithmetic, as finish and add_row_bias compute it) and its multiplier. For a small output
 * within one K block (≤ 512 k) on one thread, each 6×8 tile is requantized from the L1 scratch
 * as it is computed (`gemm_rows_q`: the int32 matrix is never written); otherwise the raw
 * accumulators are requantized in one pass (`requant_rows_float`).
 */
function rowsFloat(
  c: GemmInt8Call,
  packed: PackedInt8 | null,
  zb: number,
  sink: Extract<Int8Sink, { kind: "rowCodes" }>,
  arena: Arena,
): void {
  const w = kernels()!;
  const { m, n } = c;
  const s = sink.stage;
  const p = packI16(c, packed, arena);
  const offAt = arena.alloc(m * 4), multAt = arena.alloc(m * 4), dstAt = arena.alloc(m * n, true);
  // tile by tile only for small outputs (≤ 32768 codes): measured faster there (squeeze-
  // excitation and 8-channel pointwise convs, 1.5–2×), slower than the two passes on
  // MobileNet-sized ones (m·n from 55,296 up), whose 8-code epilogues cost more than the pass
  const tiled = m >= 4 && m * n <= 32768 && p.kp / 2 <= 256 &&
    !(activePool() !== null && m * n * p.kp >= PARALLEL_MIN_WORK);
  const cAt = tiled ? 0 : arena.alloc(m * n * 4, true);
  const buf = reserve(w, arena.end);
  const i32 = new Int32Array(buf), f32 = new Float32Array(buf);
  // unsigned B is stored as b − 128, so its zero point drops by 128
  const z = zb - (p.signedB ? 0 : 128);
  for (let i = 0; i < m; i++) {
    const bias = sink.rowBias ? sink.rowBias[i] : 0;
    i32[offAt / 4 + i] = (bias - Math.imul(z, i32[p.rs / 4 + i])) | 0;
    f32[multAt / 4 + i] = s.multiplier[i];
  }
  const unsigned = s.dtype === "uint8" ? 1 : 0;
  if (tiled) {
    w.int8.gemm_rows_q(
      p.a16,
      p.kp,
      p.bp,
      n,
      0,
      m,
      scratchAt(0),
      offAt,
      multAt,
      s.zeroPoint,
      s.lo,
      s.hi,
      dstAt,
      unsigned,
    );
  } else {
    computeI16(p, m, n, cAt);
    w.int8.requant_rows_float(cAt, n, m, offAt, multAt, s.zeroPoint, s.lo, s.hi, dstAt, unsigned);
  }
  new Uint8Array(sink.out.buffer, sink.out.byteOffset, m * n).set(
    new Uint8Array(buf, dstAt, m * n),
  );
}

/** Copies the accumulators at cAt out, or requantizes them to codes. */
function emit(cAt: number, m: number, n: number, sink: Int8Sink, arena: Arena): void {
  const w = kernels()!;
  const codes = sink.kind !== "acc";
  const multAt = codes ? arena.alloc(Math.max(n, sink.kind === "rowCodes" ? m : 0) * 4) : 0;
  const shiftAt = codes ? arena.alloc(n * 4) : 0;
  const dstAt = codes ? arena.alloc(m * n, true) : 0;
  const buf = reserve(w, arena.end);
  const u8 = new Uint8Array(buf), i32 = new Int32Array(buf);
  if (sink.kind === "acc") {
    sink.out.set(i32.subarray(cAt / 4, cAt / 4 + m * n));
    return;
  }
  const s = sink.stage;
  if (sink.kind === "rowCodes") {
    if (sink.rowBias) {
      i32.set(sink.rowBias, multAt / 4);
      w.int8.add_row_bias(cAt, n, m, multAt);
    }
    const f32 = new Float32Array(buf);
    for (let i = 0; i < m; i++) {
      if (s.kind === "float") {
        f32.fill(s.multiplier[i], multAt / 4, multAt / 4 + n);
        w.int8.requant_float(
          cAt,
          n,
          i,
          i + 1,
          multAt,
          s.zeroPoint,
          s.lo,
          s.hi,
          dstAt,
          s.dtype === "uint8" ? 1 : 0,
        );
      } else {
        i32.fill(s.multiplier[i], multAt / 4, multAt / 4 + n);
        i32.fill(s.shift[i], shiftAt / 4, shiftAt / 4 + n);
        w.int8.requant_fixed(cAt, n, i, i + 1, multAt, shiftAt, s.zeroPoint, s.lo, s.hi, dstAt);
      }
    }
  } else if (s.kind === "float") {
    new Float32Array(buf).set(s.multiplier, multAt / 4);
    w.int8.requant_float(
      cAt,
      n,
      0,
      m,
      multAt,
      s.zeroPoint,
      s.lo,
      s.hi,
      dstAt,
      s.dtype === "uint8" ? 1 : 0,
    );
  } else {
    i32.set(s.multiplier, multAt / 4);
    i32.set(s.shift, shiftAt / 4);
    w.int8.requant_fixed(cAt, n, 0, m, multAt, shiftAt, s.zeroPoint, s.lo, s.hi, dstAt);
  }
  new Uint8Array(sink.out.buffer, sink.out.byteOffset, m * n).set(
    u8.subarray(dstAt, dstAt + m * n),
  );
}
