// The WebAssembly depthwise kernels (kernel: "wasm") against the TypeScript reference loops
// (kernel: "ts") bit for bit: int8 accumulators and requantized codes (float and fixed output
// stages, clamps), f32 with activations, NaN/±∞/−0 inputs, on a grid of 3×3 and 5×5 (and
// other) kernels, strides 1 and 2, asymmetric padding, row widths around the 32-, 8- and
// 16-output vector edges, channel multipliers and batches; plus random shapes (fast-check).
// The reference itself is checked against im2col + GEMM and brute force in depthwise_test.ts.
import { deepEqual, equal, ok } from "node:assert/strict";
import fc from "fast-check";
import {
  depthwiseConv2dF32,
  depthwiseConv2dInt8,
  depthwiseConv2dInt8Requantized,
} from "./depthwise.ts";
import { conv2dF32, conv2dInt8Requantized } from "./conv2d.ts";
import type { Conv2dParams } from "./conv_params.ts";
import { quantizeMultiplier } from "./requantize.ts";
import { randomF32, randomInts } from "./_test_util.ts";
import { rowSpans } from "./_depthwise_wasm.ts";
import { resolveConv2d } from "./_conv_resolve.ts";
import type { OutputStage } from "./output_stage.ts";

type Pads = [number, number, number, number];

/** The bit patterns (so NaNs compare, and −0 differs from +0). */
const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

function shapes(): Conv2dParams[] {
  const out: Conv2dParams[] = [];
  let v = 0;
  for (const [kh, kw] of [[3, 3], [5, 5], [1, 1], [3, 5], [7, 7]]) {
    for (const stride of [1, 2, [1, 2], [2, 1]] as (number | [number, number])[]) {
      for (const width of [1, 7, 8, 9, 16, 17, 33, 70]) {
        v++;
        const pads: Pads = v % 3 === 0
          ? [kh >> 1, kw >> 1, kh >> 1, kw >> 1]
          : v % 3 === 1
          ? [0, 0, 0, 0]
          : [1, kw >> 1, 0, (kw >> 1) + 1];
        const height = 1 + (v % 6);
        if (height + pads[0] + pads[2] < kh || width + pads[1] + pads[3] < kw) continue;
        const inC = 1 + (v % 3), mult = v % 4 === 0 ? 2 : 1;
        out.push({
          batch: v % 5 === 0 ? 2 : 1,
          inChannels: inC,
          height,
          width,
          outChannels: inC * mult,
          kernelH: kh,
          kernelW: kw,
          stride,
          padding: pads,
          groups: inC,
        });
      }
    }
  }
  return out;
}

function sizes(p: Conv2dParams): [number, number] {
  return [p.batch * p.inChannels * p.height * p.width, p.outChannels * p.kernelH * p.kernelW];
}

Deno.test("depthwise int8 Wasm equals the reference: accumulators and both output stages", () => {
  let seed = 0;
  for (const p of shapes()) {
    seed++;
    const [nx, nw] = sizes(p);
    const signedX = seed % 2 === 0, signedW = seed % 3 !== 0;
    const x = signedX
      ? randomInts(Int8Array, nx, -128, 127, seed)
      : randomInts(Uint8Array, nx, 0, 255, seed);
    const w = signedW
      ? randomInts(Int8Array, nw, -128, 127, seed + 1)
      : randomInts(Uint8Array, nw, 0, 255, seed + 1);
    const zx = signedX ? [-128, 127, 3][seed % 3] : [0, 255, 128][seed % 3];
    const zw = new Int32Array(p.outChannels).map((_, o) =>
      signedW ? [-128, 127, 0][(o + seed) % 3] : [0, 255, 131][(o + seed) % 3]
    );
    const bias = new Int32Array(p.outChannels).map((_, o) =>
      (o % 2 ? 1 : -1) * (o * 123457 + seed)
    );
    const opts = { inputZeroPoint: zx, weightZeroPoint: zw, bias };
    const tag = `${JSON.stringify(p)} sx=${signedX} sw=${signedW}`;
    deepEqual(
      depthwiseConv2dInt8(x, w, p, { ...opts, kernel: "wasm" }),
      depthwiseConv2dInt8(x, w, p, { ...opts, kernel: "ts" }),
      tag,
    );
    const { multiplier, shift } = quantizeMultiplier(0.00003 * (1 + (seed % 7)));
    const stages: OutputStage[] = [
      {
        kind: "float",
        multiplier: new Float32Array(p.outChannels).map((_, o) =>
          0.0001 * (o + 1) + 0.00002 * seed
        ),
        zeroPoint: seed % 2 ? 0 : 128,
        dtype: seed % 2 ? "int8" : "uint8",
        clampMin: seed % 2 ? -100 : 128,
      },
      {
        kind: "fixed",
        multiplier: new Int32Array(p.outChannels).fill(multiplier),
        shift: new Int32Array(p.outChannels).fill(shift),
        zeroPoint: -5,
        dtype: "int8",
        clampMax: 100,
      },
    ];
    for (const outputStage of stages) {
      deepEqual(
        depthwiseConv2dInt8Requantized(x, w, p, { ...opts, outputStage, kernel: "wasm" }),
        depthwiseConv2dInt8Requantized(x, w, p, { ...opts, outputStage, kernel: "ts" }),
        `${tag} ${outputStage.kind}`,
      );
    }
    // conv2d routes depthwise convolutions to the same kernels
    if (p.inChannels > 1) {
      deepEqual(
        conv2dInt8Requantized(x, w, p, { ...opts, outputStage: stages[0] }),
        depthwiseConv2dInt8Requantized(x, w, p, { ...opts, outputStage: stages[0], kernel: "ts" }),
      );
    }
  }
});

Deno.test("depthwise int8 Wasm: the same weight array changed in place or with other zero points is not served stale taps", () => {
  const p: Conv2dParams = {
    batch: 1,
    inChannels: 3,
    outChannels: 3,
    height: 5,
    width: 9,
    kernelH: 3,
    kernelW: 3,
    groups: 3,
    padding: 1,
  };
  const [nx, nw] = sizes(p);
  const x = randomInts(Uint8Array, nx, 0, 255, 71);
  const w = randomInts(Int8Array, nw, -128, 127, 72);
  const run = (zw: Int32Array, kernel: "wasm" | "ts") =>
    depthwiseConv2dInt8(x, w, p, { inputZeroPoint: 128, weightZeroPoint: zw, kernel });
  const zero = new Int32Array(3), other = Int32Array.of(5, -7, 0);
  const first = run(zero, "wasm");
  deepEqual(first, run(zero, "ts"));
  deepEqual(run(other, "wasm"), run(other, "ts"));
  w[4] = w[4] === 127 ? -128 : w[4] + 1; // one tap of channel 0 changes
  const after = run(zero, "wasm");
  deepEqual(after, run(zero, "ts"));
  deepEqual(after.length, first.length);
  deepEqual(after.some((v, i) => v !== first[i]), true);
});

Deno.test("depthwise f32 Wasm equals the reference bit for bit (activations, NaN, ±∞, −0)", () => {
  let seed = 1000;
  for (const p of shapes()) {
    seed++;
    const [nx, nw] = sizes(p);
    const x = randomF32(nx, seed).map((v) => v * 1e3);
    if (seed % 4 === 0 && nx > 3) {
      x[0] = NaN;
      x[1] = Infinity;
      x[2] = -0;
      x[3] = -Infinity;
    }
    const w = randomF32(nw, seed + 1);
    const bias = new Float32Array(p.outChannels).map((_, o) => (o - 1) * 0.37);
    for (const activation of ["none", "relu", "relu6"] as const) {
      const opts = { bias, activation };
      deepEqual(
        bits(depthwiseConv2dF32(x, w, p, { ...opts, kernel: "wasm" })),
        bits(depthwiseConv2dF32(x, w, p, { ...opts, kernel: "ts" })),
        `${JSON.stringify(p)} ${activation}`,
      );
    }
    if (p.inChannels > 1) {
      deepEqual(
        bits(conv2dF32(x, w, p, { bias })),
        bits(depthwiseConv2dF32(x, w, p, { bias, kernel: "ts" })),
      );
    }
  }
  // an infinite weight: padding taps the reference skips must stay skipped
  const p: Conv2dParams = {
    batch: 1,
    inChannels: 1,
    height: 3,
    width: 3,
    outChannels: 1,
    kernelH: 3,
    kernelW: 3,
    padding: 1,
    groups: 1,
  };
  const w = new Float32Array(9).fill(1);
  w[0] = Infinity;
  const x = new Float32Array(9).fill(1);
  deepEqual(
    bits(depthwiseConv2dF32(x, w, p, { kernel: "wasm" })),
    bits(depthwiseConv2dF32(x, w, p, { kernel: "ts" })),
  );
});

Deno.test("depthwise Wasm: dilation falls back to the reference, same results", () => {
  const p: Conv2dParams = {
    batch: 1,
    inChannels: 2,
    height: 9,
    width: 11,
    outChannels: 2,
    kernelH: 3,
    kernelW: 3,
    dilation: 2,
    padding: 2,
    groups: 2,
    stride: 3,
  };
  const x = randomInts(Uint8Array, 2 * 99, 0, 255, 5), w = randomInts(Int8Array, 18, -128, 127, 6);
  deepEqual(
    depthwiseConv2dInt8(x, w, p, { inputZeroPoint: 7, kernel: "wasm" }),
    depthwiseConv2dInt8(x, w, p, { inputZeroPoint: 7, kernel: "ts" }),
  );
});

Deno.test("depthwise Wasm: random shapes (fast-check)", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 0, max: 3 }),
      fc.integer({ min: 1, max: 2 }),
      fc.integer({ min: 1, max: 2 }),
      fc.integer({ min: 0, max: 2 ** 30 }),
      (c, h, wd, kIdx, sh, sw, seed) => {
        const k = [1, 3, 5, 7][kIdx];
        const pad = seed % (k === 1 ? 1 : k);
        if (h + 2 * pad < k || wd + 2 * pad < k) return;
        const p: Conv2dParams = {
          batch: 1,
          inChannels: c,
          height: h,
          width: wd,
          outChannels: c,
          kernelH: k,
          kernelW: k,
          stride: [sh, sw],
          padding: pad,
          groups: c,
        };
        const x = randomInts(Uint8Array, c * h * wd, 0, 255, seed);
        const w = randomInts(Int8Array, c * k * k, -128, 127, seed + 1);
        const o = { inputZeroPoint: seed % 256, weightZeroPoint: (seed >> 8) % 128 };
        deepEqual(
          depthwiseConv2dInt8(x, w, p, { ...o, kernel: "wasm" }),
          depthwiseConv2dInt8(x, w, p, { ...o, kernel: "ts" }),
        );
        const xf = randomF32(c * h * wd, seed), wf = randomF32(c * k * k, seed + 2);
        deepEqual(
          bits(depthwiseConv2dF32(xf, wf, p, { kernel: "wasm" })),
          bits(depthwiseConv2dF32(xf, wf, p, { kernel: "ts" })),
        );
      },
    ),
    { numRuns: 80, seed: 21 },
  );
});

Deno.test("depthwise Wasm int8: rows whose kernel window lies in the padding give the bias alone", () => {
  // pads larger than the kernel: output rows 0, 1 and the last two see only padding rows
  const p: Conv2dParams = {
    batch: 1,
    inChannels: 3,
    height: 2,
    width: 9,
    outChannels: 3,
    kernelH: 3,
    kernelW: 3,
    padding: [5, 1, 4, 1],
    groups: 3,
  };
  const x = randomInts(Uint8Array, 3 * 18, 0, 255, 11),
    w = randomInts(Int8Array, 27, -128, 127, 12);
  const bias = Int32Array.of(1000, -7, 3);
  const o = { inputZeroPoint: 9, bias };
  const got = depthwiseConv2dInt8(x, w, p, { ...o, kernel: "wasm" });
  deepEqual(got, depthwiseConv2dInt8(x, w, p, { ...o, kernel: "ts" }));
  // outH = 2 + 9 − 3 + 1 = 9; rows 0..2 and 7..8 read no input row (windows [oh, oh + 3) vs rows 5..6)
  for (const c of [0, 1, 2]) {
    for (const oh of [0, 1, 2, 7, 8]) {
      for (let ow = 0; ow < 9; ow++) equal(got[(c * 9 + oh) * 9 + ow], bias[c]);
    }
  }
  ok(got.some((v, i) => v !== bias[Math.floor(i / 81)]));
});

Deno.test("depthwise rowSpans: exactly the kernel rows that land on input rows (enumeration)", () => {
  for (
    const [h, kh, sh, padT, padB] of [
      [2, 5, 1, 2, 2],
      [3, 5, 1, 2, 2],
      [6, 3, 2, 1, 1],
      [1, 7, 1, 6, 0],
      [2, 3, 1, 5, 4],
      [9, 3, 3, 0, 0],
    ]
  ) {
    const r = resolveConv2d({
      batch: 1,
      inChannels: 1,
      height: h,
      width: 4,
      outChannels: 1,
      kernelH: kh,
      kernelW: 3,
      stride: [sh, 1],
      padding: [padT, 1, padB, 1],
      groups: 1,
    });
    const ppr = 2;
    const spans = rowSpans(r, ppr);
    for (let oh = 0; oh < r.outH; oh++) {
      const rows = [];
      for (let i = 0; i < kh; i++) {
        const y = oh * sh + i - padT;
        if (y >= 0 && y < h) rows.push(i);
      }
      const [t0, t1] = [spans[2 * oh], spans[2 * oh + 1]];
      if (rows.length === 0) equal(t1, t0, `h ${h} k ${kh} oh ${oh}`);
      else {deepEqual(
          [t0, t1],
          [rows[0] * ppr, (rows[rows.length - 1] + 1) * ppr],
          `h ${h} k ${kh} oh ${oh}`,
        );}
    }
  }
});
