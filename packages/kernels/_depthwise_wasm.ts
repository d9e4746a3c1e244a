// Private: the WebAssembly depthwise convolution driver (kernel source: wasm/depthwise.wat).
// Copies the input in once, pads each input plane (stride 1 or 2 along the row, any stride
// down the columns, dilation 1) — int8: plain i16 rows, plus pair rows for stride 1, so two
// adjacent taps are one dot_i16x8 lane; f32: the f64 phase layout — runs one plane kernel per
// output channel with that channel's taps, and requantizes each int8 plane as one row with the
// channel's multiplier (int8 with a float stage or none: all channels in one Wasm call,
// channels_i16; the pair taps are made once per weight array). Results equal the TypeScript
// reference bit for bit (see wasm/depthwise.wat for why).

import type { ResolvedConv2d } from "./_conv_resolve.ts";
import type { ResolvedOutputStage } from "./_output_stage.ts";
import type { Int8Operand } from "./gemm_int8.ts";
import type { FusedActivation, KernelChoice } from "./gemm_f32.ts";
import { Arena, kernels, reserve, scratchAt } from "./_wasm.ts";
import { depthwiseF32Unchecked } from "./_depthwise.ts";
import { activate } from "./_conv_common.ts";
import { channelRequantizer, type ConvInt8Call } from "./_conv_int8.ts";
import { valuesEqual } from "@lowbit/tensor/shape";

/** Where int8 results go. */
export type DepthwiseInt8Sink =
  | { kind: "acc"; out: Int32Array }
  | { kind: "codes"; stage: ResolvedOutputStage; out: Int8Array | Uint8Array };

/** Whether the Wasm kernel handles this convolution. */
export function depthwiseWasmApplies(r: ResolvedConv2d, kernel: KernelChoice): boolean {
  return kernel !== "ts" && r.dh === 1 && r.dw === 1 && (r.sw === 1 || r.sw === 2) &&
    kernels() !== null;
}

interface Layout {
  wq: number;
  hp: number;
  rs: number;
  offs: Int32Array;
}

function layout(r: ResolvedConv2d, elem: number): Layout {
  const s = r.sw;
  const wq = Math.ceil((r.padL + r.w + r.padR) / s);
  const hp = r.padT + r.h + r.padB;
  const rs = s * wq * elem;
  const offs = new Int32Array(r.kh * r.kw);
  for (let i = 0; i < r.kh; i++) {
    for (let j = 0; j < r.kw; j++) {
      offs[i * r.kw + j] = i * rs + (j % s) * wq * elem + Math.floor(j / s) * elem;
    }
  }
  return { wq, hp, rs, offs };
}

/**
 * The int8 pair-lane layout: plain zero-padded i16 rows of `wq` elements (a multiple of 8,
 * with slack for the vector tails), pair rows of 4·wq bytes for stride 1; each pair tap (i, j)
 * and (i, j + 1) at byte offset `i·rowBytes + (stride 1 ? 4j : 2j)` from the output row's base.
 */
interface PairLayout {
  wq: number;
  hp: number;
  rowBytes: number;
  offs: Int32Array;
  pairsPerRow: number;
}

function pairLayout(r: ResolvedConv2d): PairLayout {
  const wp = r.padL + r.w + r.padR;
  const wq = Math.ceil((wp + 16) / 8) * 8;
  const hp = r.padT + r.h + r.padB;
  const rowBytes = r.sw === 1 ? 4 * wq : 2 * wq;
  const pairsPerRow = Math.ceil(r.kw / 2);
  const offs = new Int32Array(r.kh * pairsPerRow);
  for (let i = 0; i < r.kh; i++) {
    for (let t = 0; t < pairsPerRow; t++) {
      offs[i * pairsPerRow + t] = i * rowBytes + (r.sw === 1 ? 8 * t : 4 * t);
    }
  }
  return { wq, hp, rowBytes, offs, pairsPerRow };
}

/**
 * Per output row, the pair taps [start, end) whose kernel rows land on input rows: the
 * others read the zero rows of the padding (x − z_x = 0 there) and add exactly nothing.
 * Small maps with tall kernels skip most taps (a 5×5 kernel, padding 2, on 2-row maps: 3 of
 * 5 rows).
 */
export function rowSpans(r: ResolvedConv2d, pairsPerRow: number): Int32Array {
  const spans = new Int32Array(2 * r.outH);
  for (let oh = 0; oh < r.outH; oh++) {
    const top = oh * r.sh;
    const i0 = Math.max(0, Math.min(r.kh, r.padT - top));
    const i1 = Math.max(i0, Math.min(r.kh, r.padT + r.h - top));
    spans[2 * oh] = i0 * pairsPerRow;
    spans[2 * oh + 1] = i1 * pairsPerRow;
  }
  return spans;
}

// Pair taps of the last weights seen per weight array (a model's layer runs with the same
// weights every time): the weights, zero points and kernel shape they were made from.
const pairCache = new WeakMap<
  Int8Operand,
  { w: Int8Operand; zw: Int32Array; kh: number; kw: number; taps: Int16Array }
>();

/**
 * Per output channel, the pair taps (w_j − z_w, w_j+1 − z_w) as i16 halves, row by row of the
 * kernel; a last odd tap pairs with 0. Cached per weight array while its contents, zero points
 * and kernel shape are unchanged.
 */
function pairedTaps(
  weight: Int8Operand,
  zw: Int32Array,
  outC: number,
  kh: number,
  kw: number,
): Int16Array {
  const hit = pairCache.get(weight);
  if (
    hit && hit.kh === kh && hit.kw === kw && valuesEqual(hit.zw, zw) && valuesEqual(hit.w, weight)
  ) return hit.taps;
  const perRow = Math.ceil(kw / 2), taps = kh * kw;
  const out = new Int16Array(outC * kh * perRow * 2);
  for (let o = 0; o < outC; o++) {
    for (let i = 0; i < kh; i++) {
      for (let t = 0; t < perRow; t++) {
        const at = ((o * kh + i) * perRow + t) * 2, j = 2 * t;
        const k = o * taps + i * kw + j;
        out[at] = weight[k] - zw[o];
        out[at + 1] = j + 1 < kw ? weight[k + 1] - zw[o] : 0;
      }
    }
  }
  pairCache.set(weight, { w: weight.slice(), zw: zw.slice(), kh, kw, taps: out });
  return out;
}

/** int8 depthwise (exact int32 accumulators, optionally requantized per channel). */
export function depthwiseInt8Wasm(
  input: Int8Operand,
  weight: Int8Operand,
  r: ResolvedConv2d,
  zx: number,
  zw: Int32Array,
  bias: Int32Array | undefined,
  sink: DepthwiseInt8Sink,
): void {
  const w = kernels()!;
  const { batch, inC, outC, h, outH, outW, kh, kw } = r;
  const mult = outC / inC, plane = outH * outW;
  const L = pairLayout(r);
  const pairTaps = kh * L.pairsPerRow;
  const arena = new Arena();
  const inAt = arena.alloc(batch * inC * h * r.w);
  const outBytes = sink.kind === "acc" ? 4 : 1;
  const outAt = arena.alloc(batch * outC * plane * outBytes, true);
  const rowsAt = arena.alloc(L.hp * L.wq * 2 + 64, true);
  const pairsAt = r.sw === 1 ? arena.alloc(L.hp * L.wq * 4 + 64, true) : rowsAt;
  const offsAt = arena.alloc(pairTaps * 4);
  const spansAt = arena.alloc(outH * 8);
  const wtsAt = arena.alloc(outC * pairTaps * 4);
  const codes = sink.kind === "codes";
  const accAt = codes ? arena.alloc(plane * 4, true) : 0;
  const multAt = codes ? arena.alloc(Math.max(outW, outC, 1) * 4) : 0;
  const shiftAt = codes ? arena.alloc(Math.max(outW, 1) * 4) : 0; // also the float stage's offset
  const biasAt = bias ? arena.alloc(outC * 4) : 0;
  const buf = reserve(w, arena.end);
  const u8 = new Uint8Array(buf), i32 = new Int32Array(buf);
  u8.set(new Uint8Array(input.buffer, input.byteOffset, batch * inC * h * r.w), inAt);
  i32.set(L.offs, offsAt / 4);
  i32.set(rowSpans(r, L.pairsPerRow), spansAt / 4);
  new Int16Array(buf, wtsAt, outC * pairTaps * 2).set(pairedTaps(weight, zw, outC, kh, kw));
  const signed = input instanceof Int8Array ? 1 : 0;
  const f32 = new Float32Array(buf);
  if (!codes || sink.stage.kind === "float") {
    // every plane in one call (the per-channel loop below costs a few calls per channel)
    if (bias) i32.set(bias, biasAt / 4);
    let zp = 0, lo = 0, hi = 0, unsigned = 0;
    if (codes) {
      const s = sink.stage;
      f32.set(s.multiplier as Float32Array, multAt / 4);
      i32[shiftAt / 4] = 0;
      [zp, lo, hi, unsigned] = [s.zeroPoint, s.lo, s.hi, s.dtype === "uint8" ? 1 : 0];
    }
    w.dw.channels_i16(
      inAt,
      batch,
      inC,
      mult,
      h,
      r.w,
      signed,
      zx,
      rowsAt,
      pairsAt,
      r.padT,
      r.padL,
      L.hp,
      L.wq,
      r.sw === 1 ? 1 : 0,
      r.sh * L.rowBytes,
      outH,
      outW,
      pairTaps,
      spansAt,
      offsAt,
      wtsAt,
      biasAt,
      codes ? accAt : outAt,
      scratchAt(0),
      codes ? 1 : 0,
      shiftAt,
      multAt,
      zp,
      lo,
      hi,
      outAt,
      unsigned,
    );
  } else {
    // fixed-point stage: per channel (its multiplier and shift fill one output row's worth)
    const s = sink.stage;
    for (let n = 0; n < batch; n++) {
      for (let c = 0; c < inC; c++) {
        w.dw.pad_i16(
          inAt + (n * inC + c) * h * r.w,
          h,
          r.w,
          signed,
          zx,
          rowsAt,
          r.padT,
          r.padL,
          L.hp,
          L.wq,
        );
        if (r.sw === 1) w.dw.pairs_i16(rowsAt, L.hp, L.wq, pairsAt);
        for (let q = 0; q < mult; q++) {
          const o = c * mult + q;
          w.dw.plane_pairs_i16(
            pairsAt,
            r.sh * L.rowBytes,
            outH,
            outW,
            spansAt,
            offsAt,
            wtsAt + o * pairTaps * 4,
            bias ? bias[o] : 0,
            accAt,
            scratchAt(0),
          );
          i32.fill(s.multiplier[o], multAt / 4, multAt / 4 + outW);
          i32.fill(s.shift[o], shiftAt / 4, shiftAt / 4 + outW);
          w.int8.requant_fixed(
            accAt,
            outW,
            0,
            outH,
            multAt,
            shiftAt,
            s.zeroPoint,
            s.lo,
            s.hi,
            outAt + (n * outC + o) * plane,
          );
        }
      }
    }
  }
  const total = batch * outC * plane;
  if (sink.kind === "acc") sink.out.set(i32.subarray(outAt / 4, outAt / 4 + total));
  else {new Uint8Array(sink.out.buffer, sink.out.byteOffset, total).set(
      u8.subarray(outAt, outAt + total),
    );}
}

const ACT: Record<FusedActivation, number> = { none: 0, relu: 1, relu6: 2 };

/**
 * f32 depthwise; returns false (nothing written) when a weight is not finite, where padding
 * taps the reference skips would turn into 0·∞.
 */
export function depthwiseF32Wasm(
  input: Float32Array,
  weight: Float32Array,
  r: ResolvedConv2d,
  bias: Float32Array | undefined,
  act: FusedActivation,
  out: Float32Array,
): boolean {
  const { batch, inC, outC, h, outH, outW, kh, kw } = r;
  const taps = kh * kw;
  for (let i = 0; i < outC * taps; i++) if (!Number.isFinite(weight[i])) return false;
  const w = kernels()!;
  const mult = outC / inC, plane = outH * outW;
  const L = layout(r, 8);
  const arena = new Arena();
  const inAt = arena.alloc(batch * inC * h * r.w * 4);
  const outAt = arena.alloc(batch * outC * plane * 4, true);
  const padAt = arena.alloc(L.hp * L.rs + 8 * (outW + kw + 32), true);
  const offsAt = arena.alloc(taps * 4);
  const wtsAt = arena.alloc(outC * taps * 8);
  const buf = reserve(w, arena.end);
  const f32 = new Float32Array(buf);
  f32.set(input.subarray(0, batch * inC * h * r.w), inAt / 4);
  new Int32Array(buf).set(L.offs, offsAt / 4);
  new Float64Array(buf, wtsAt, outC * taps).set(weight.subarray(0, outC * taps));
  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < inC; c++) {
      w.dw.pad_f64(
        inAt + (n * inC + c) * h * r.w * 4,
        h,
        r.w,
        padAt,
        r.padT,
        r.padL,
        L.hp,
        r.sw,
        L.wq,
      );
      for (let q = 0; q < mult; q++) {
        const o = c * mult + q;
        w.dw.plane_f64(
          padAt,
          r.sh * L.rs,
          outH,
          outW,
          taps,
          offsAt,
          wtsAt + o * taps * 8,
          bias ? bias[o] : 0,
          ACT[act],
          outAt + (n * outC + o) * plane * 4,
          scratchAt(0),
        );
      }
    }
  }
  out.set(f32.subarray(outAt / 4, outAt / 4 + batch * outC * plane));
  return true;
}

/** Runs the f32 depthwise on the Wasm kernel where it applies, else the reference loops. */
export function runDepthwiseF32(
  input: Float32Array,
  weight: Float32Array,
  r: ResolvedConv2d,
  bias: Float32Array | undefined,
  act: FusedActivation,
  out: Float32Array,
  kernel: KernelChoice,
): void {
  checkWasmChoice(kernel);
  if (depthwiseWasmApplies(r, kernel) && depthwiseF32Wasm(input, weight, r, bias, act, out)) {
    return;
  }
  depthwiseF32Unchecked(input, weight, r, bias, out, (v) => activate(v, act));
}

/** Runs the int8 depthwise on the Wasm kernel where it applies, else the reference loops. */
export function runDepthwiseInt8(
  input: Int8Operand,
  weight: Int8Operand,
  c: ConvInt8Call,
  sink: DepthwiseInt8Sink,
): void {
  checkWasmChoice(c.kernel);
  if (depthwiseWasmApplies(c.r, c.kernel)) {
    depthwiseInt8Wasm(input, weight, c.r, c.zx, c.zw, c.bias, sink);
  } else if (sink.kind === "acc") {
    depthwiseF32Unchecked(input, weight, c.r, c.bias, sink.out, (v) => v | 0, c.zx, c.zw);
  } else {
    const q = channelRequantizer(sink.stage);
    depthwiseF32Unchecked(input, weight, c.r, c.bias, sink.out, q, c.zx, c.zw);
  }
}

function checkWasmChoice(kernel: KernelChoice): void {
  if (kernel === "wasm" && !kernels()) {
    throw new RangeError('options.kernel is "wasm" but this runtime does not validate Wasm SIMD');
  }
}
