import { deepEqual, equal, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import { Philox } from "@lowbit/rounding";
import { conv2dInt8, conv2dInt8Requantized } from "./conv2d.ts";
import { gemmInt8Requantized } from "./gemm_int8.ts";
import { im2colInt8 } from "./im2col.ts";
import { conv2dOutputShape, type Conv2dParams } from "./conv_params.ts";
import {
  multiplyByQuantizedMultiplier,
  quantizeMultiplier,
  requantizeFloat,
} from "./requantize.ts";
import { CONV_GRID, label, naiveConv } from "./_conv_test_util.ts";
import { randomInts } from "./_test_util.ts";
import { oneNodeModel, ONNX_TYPE, ort, runModel } from "./_onnx_test_util.ts";

type Codes = Int8Array | Uint8Array;
const U8 = { make: Uint8Array, lo: 0, hi: 255 } as const;
const I8 = { make: Int8Array, lo: -128, hi: 127 } as const;
type Kind = typeof U8 | typeof I8;

function codes(kind: Kind, len: number, seed: number): Codes {
  return randomInts(kind.make as new (n: number) => Codes, len, kind.lo, kind.hi, seed);
}

function perChannelZeros(kind: Kind, n: number, seed: number): Int32Array {
  const r = new Philox(seed, 9);
  // the ends of the range first, then random
  return new Int32Array(n).map((_, o) =>
    o === 0 ? kind.lo : o === 1 ? kind.hi : kind.lo + (r.nextUint32() % (kind.hi - kind.lo + 1))
  );
}

function two(v: number | [number, number] | undefined): [number, number] {
  return v === undefined ? [1, 1] : typeof v === "number" ? [v, v] : v;
}

/** The naive accumulators (exact in binary64) plus bias, wrapped to int32. */
function naiveAcc(
  x: Codes,
  w: Codes,
  p: Conv2dParams,
  zx: number,
  zw: Int32Array,
  bias: Int32Array,
): Int32Array {
  const { y, outH, outW } = naiveConv(x, w, p, zx, (o) => zw[o]);
  const hw = outH * outW;
  return Int32Array.from(y, (v, e) => (v + bias[Math.floor(e / hw) % p.outChannels]) | 0);
}

const COMBOS: [Kind, Kind][] = [[U8, I8], [I8, I8], [U8, U8], [I8, U8]];

for (const [t, p] of CONV_GRID.entries()) {
  Deno.test(`conv2dInt8 is bit-exact against the naive loops, ${label(p)}`, () => {
    const cg = p.inChannels / (p.groups ?? 1);
    for (const [ci, [xk, wk]] of COMBOS.entries()) {
      const x = codes(xk, p.batch * p.inChannels * p.height * p.width, 100 * t + ci);
      const w = codes(wk, p.outChannels * cg * p.kernelH * p.kernelW, 100 * t + ci + 50);
      const bias = new Int32Array(p.outChannels).map((_, o) => (o * 7919 - 20000) * (ci + 1));
      // zero points at the ends of the range and in between
      const zx = [xk.lo, xk.hi, 3 + xk.lo + t][ci % 3];
      const zwPer = perChannelZeros(wk, p.outChannels, t + ci);
      for (const kernel of ["ts", "wasm"] as const) {
        deepEqual(
          conv2dInt8(x, w, p, { inputZeroPoint: zx, weightZeroPoint: zwPer, bias, kernel }),
          naiveAcc(x, w, p, zx, zwPer, bias),
          `${kernel} per-channel`,
        );
        const zw = wk.hi;
        deepEqual(
          conv2dInt8(x, w, p, { inputZeroPoint: zx, weightZeroPoint: zw, kernel }),
          naiveAcc(
            x,
            w,
            p,
            zx,
            new Int32Array(p.outChannels).fill(zw),
            new Int32Array(p.outChannels),
          ),
          `${kernel} scalar`,
        );
      }
    }
  });
}

Deno.test("conv2dInt8Requantized equals the scalar requantizers applied to the naive accumulators", () => {
  for (const [t, p] of CONV_GRID.entries()) {
    const cg = p.inChannels / (p.groups ?? 1);
    const x = codes(U8, p.batch * p.inChannels * p.height * p.width, 300 + t);
    const w = codes(I8, p.outChannels * cg * p.kernelH * p.kernelW, 400 + t);
    const bias = new Int32Array(p.outChannels).map((_, o) => o * 1000 - 3000);
    const zw = perChannelZeros(I8, p.outChannels, t);
    const acc = naiveAcc(x, w, p, 128, zw, bias);
    const { outH, outW } = conv2dOutputShape(p);
    const hw = outH * outW;
    const r = new Philox(t, 4);
    const reals = Array.from({ length: p.outChannels }, () => 2 ** -(8 + r.uniform() * 8));
    const mult = Float32Array.from(reals);
    const fixed = reals.map(quantizeMultiplier);
    for (const kernel of ["ts", "wasm"] as const) {
      const common = { inputZeroPoint: 128, weightZeroPoint: zw, bias, kernel };
      const yf = conv2dInt8Requantized(x, w, p, {
        ...common,
        outputStage: { kind: "float", multiplier: mult, zeroPoint: 3, dtype: "uint8", clampMin: 3 },
      });
      ok(yf instanceof Uint8Array);
      deepEqual(
        [...yf],
        [...acc].map((a, e) =>
          requantizeFloat(a, mult[Math.floor(e / hw) % p.outChannels], 3, 3, 255)
        ),
        `${label(p)} float ${kernel}`,
      );
      const yq = conv2dInt8Requantized(x, w, p, {
        ...common,
        outputStage: {
          kind: "fixed",
          multiplier: Int32Array.from(fixed, (f) => f.multiplier),
          shift: Int32Array.from(fixed, (f) => f.shift),
          zeroPoint: -5,
          dtype: "int8",
        },
      });
      ok(yq instanceof Int8Array);
      deepEqual(
        [...yq],
        [...acc].map((a, e) => {
          const f = fixed[Math.floor(e / hw) % p.outChannels];
          return Math.min(
            127,
            Math.max(-128, multiplyByQuantizedMultiplier(a, f.multiplier, f.shift) - 5),
          );
        }),
        `${label(p)} fixed ${kernel}`,
      );
    }
  }
});

Deno.test("im2colInt8: patch rows by their definition, padding = zero point", () => {
  for (const [t, p] of CONV_GRID.entries()) {
    const { outH, outW } = conv2dOutputShape(p);
    const G = p.groups ?? 1, cg = p.inChannels / G, k = cg * p.kernelH * p.kernelW;
    const x = codes(I8, p.batch * p.inChannels * p.height * p.width, t) as Int8Array;
    const [sh, sw] = two(p.stride), [dh, dw] = two(p.dilation);
    const pad = p.padding ?? 0;
    const [top, left] = typeof pad === "number" ? [pad, pad] : pad;
    for (let n = 0; n < p.batch; n++) {
      for (let g = 0; g < G; g++) {
        const rows = im2colInt8(x, p, n, g, { zeroPoint: -77 });
        ok(rows instanceof Int8Array);
        equal(rows.length, outH * outW * k);
        for (let oh = 0; oh < outH; oh++) {
          for (let ow = 0; ow < outW; ow++) {
            for (let c = 0; c < cg; c++) {
              for (let i = 0; i < p.kernelH; i++) {
                for (let j = 0; j < p.kernelW; j++) {
                  const ih = oh * sh - top + i * dh, iw = ow * sw - left + j * dw;
                  const inside = ih >= 0 && ih < p.height && iw >= 0 && iw < p.width;
                  const want = inside
                    ? x[((n * p.inChannels + g * cg + c) * p.height + ih) * p.width + iw]
                    : -77;
                  const got = rows[(oh * outW + ow) * k + (c * p.kernelH + i) * p.kernelW + j];
                  if (got !== want) throw new Error(`${label(p)} n${n} g${g} ${oh},${ow} c${c}`);
                }
              }
            }
          }
        }
      }
    }
  }
});

Deno.test("conv2dInt8: guard regions around every operand stay untouched and unread", () => {
  const G = 48;
  const guard = <T extends Codes | Int32Array>(src: T, s: number): T => {
    const all = new (src.constructor as new (n: number) => T)(src.length + 2 * G).fill(s);
    all.set(src, G);
    return all.subarray(G, G + src.length) as T;
  };
  for (const p of [CONV_GRID[2], CONV_GRID[3], CONV_GRID[5]]) {
    const cg = p.inChannels / (p.groups ?? 1);
    const x = codes(U8, p.batch * p.inChannels * p.height * p.width, 1);
    const w = codes(I8, p.outChannels * cg * p.kernelH * p.kernelW, 2);
    const { outH, outW } = conv2dOutputShape(p);
    const len = p.batch * p.outChannels * outH * outW;
    for (const kernel of ["ts", "wasm"] as const) {
      const o = { inputZeroPoint: 7, weightZeroPoint: -3, kernel };
      const want = conv2dInt8(x, w, p, o);
      const out = guard(new Int32Array(len), 0x5a5a5a5a);
      deepEqual(conv2dInt8(guard(x, 255), guard(w, -128), p, { ...o, out }), want);
      const all = new Int32Array(out.buffer);
      for (let i = 0; i < G; i++) ok(all[i] === 0x5a5a5a5a && all[G + len + i] === 0x5a5a5a5a);
      const q = guard(new Int8Array(len), 99);
      conv2dInt8Requantized(guard(x, 255), guard(w, -128), p, {
        ...o,
        outputStage: { kind: "float", multiplier: 0.01, zeroPoint: 0, dtype: "int8" },
        out: q,
      });
      const qa = new Int8Array(q.buffer);
      for (let i = 0; i < G; i++) ok(qa[i] === 99 && qa[G + len + i] === 99);
    }
  }
});

Deno.test("conv2dInt8 / conv2dInt8Requantized equal onnxruntime-web ConvInteger / QLinearConv", async () => {
  for (const [t, p] of [CONV_GRID[2], CONV_GRID[4], CONV_GRID[5], CONV_GRID[9]].entries()) {
    const cg = p.inChannels / (p.groups ?? 1);
    const xDims = [p.batch, p.inChannels, p.height, p.width];
    const wDims = [p.outChannels, cg, p.kernelH, p.kernelW];
    const { outH, outW } = conv2dOutputShape(p);
    const yDims = [p.batch, p.outChannels, outH, outW];
    const x = codes(U8, xDims.reduce((a, b) => a * b), 500 + t) as Uint8Array;
    const w = codes(U8, wDims.reduce((a, b) => a * b), 600 + t) as Uint8Array;
    const pads = p.padding ?? 0;
    const attrs = {
      kernel_shape: [p.kernelH, p.kernelW],
      strides: two(p.stride),
      pads: typeof pads === "number" ? [pads, pads, pads, pads] : pads,
      dilations: two(p.dilation),
      group: p.groups ?? 1,
    };
    const xInfo = { name: "x", type: ONNX_TYPE.uint8, dims: xDims };
    // ConvInteger: uint8 × uint8, scalar zero points
    const ci = oneNodeModel(
      "ConvInteger",
      ["x", "w", "xz", "wz"],
      attrs,
      [
        { name: "w", type: ONNX_TYPE.uint8, dims: wDims, data: w },
        { name: "xz", type: ONNX_TYPE.uint8, dims: [], data: Uint8Array.of(131) },
        { name: "wz", type: ONNX_TYPE.uint8, dims: [], data: Uint8Array.of(120) },
      ],
      [xInfo],
      { name: "y", type: ONNX_TYPE.int32, dims: yDims },
    );
    const theirs = await runModel(ci, { x: new ort.Tensor("uint8", x, xDims) }, "y");
    deepEqual(
      conv2dInt8(x, w, p, { inputZeroPoint: 131, weightZeroPoint: 120 }),
      theirs.data as Int32Array,
    );
    // QLinearConv: uint8 activations, int8 weights with per-channel scales, int32 bias
    const wi = codes(I8, w.length, 700 + t) as Int8Array;
    const r = new Philox(t, 5);
    const xs = Math.fround(0.02 + r.uniform() * 0.01), ys = Math.fround(0.05 + r.uniform() * 0.1);
    const ws = new Float32Array(p.outChannels).map(() => 0.001 + r.uniform() * 0.01);
    const bias = new Int32Array(p.outChannels).map(() => (r.nextUint32() % 20001) - 10000);
    const ql = oneNodeModel(
      "QLinearConv",
      ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"],
      attrs,
      [
        { name: "xs", type: ONNX_TYPE.float, dims: [], data: Float32Array.of(xs) },
        { name: "xz", type: ONNX_TYPE.uint8, dims: [], data: Uint8Array.of(127) },
        { name: "w", type: ONNX_TYPE.int8, dims: wDims, data: wi },
        { name: "ws", type: ONNX_TYPE.float, dims: [p.outChannels], data: ws },
        {
          name: "wz",
          type: ONNX_TYPE.int8,
          dims: [p.outChannels],
          data: new Int8Array(p.outChannels),
        },
        { name: "ys", type: ONNX_TYPE.float, dims: [], data: Float32Array.of(ys) },
        { name: "yz", type: ONNX_TYPE.uint8, dims: [], data: Uint8Array.of(90) },
        { name: "b", type: ONNX_TYPE.int32, dims: [p.outChannels], data: bias },
      ],
      [xInfo],
      { name: "y", type: ONNX_TYPE.uint8, dims: yDims },
    );
    const qTheirs = await runModel(ql, { x: new ort.Tensor("uint8", x, xDims) }, "y");
    // onnxruntime's per-channel multiplier: (x_scale · w_scale[o]) / y_scale in float32
    const mult = ws.map((s) => Math.fround(Math.fround(xs * s) / ys));
    const ours = conv2dInt8Requantized(x, wi, p, {
      inputZeroPoint: 127,
      bias,
      outputStage: { kind: "float", multiplier: mult, zeroPoint: 90, dtype: "uint8" },
    });
    deepEqual([...ours], [...(qTheirs.data as Uint8Array)], label(p));
  }
});

Deno.test("conv2dInt8: bad input errors name the argument", () => {
  const p: Conv2dParams = {
    batch: 1,
    inChannels: 4,
    height: 5,
    width: 5,
    outChannels: 6,
    kernelH: 3,
    kernelW: 3,
    groups: 2,
  };
  const x = new Uint8Array(100), w = new Int8Array(6 * 2 * 9);
  throws(() => conv2dInt8(x.subarray(1), w, p), /input is too small/);
  throws(() => conv2dInt8(x, w.subarray(1), p), /weight is too small/);
  throws(() => conv2dInt8(new Float32Array(100) as unknown as Uint8Array, w, p), TypeError);
  throws(
    () => conv2dInt8(x, w, p, { inputZeroPoint: 256 }),
    /options.inputZeroPoint must be an integer in \[0, 255\]/,
  );
  throws(
    () => conv2dInt8(x, w, p, { weightZeroPoint: 128 }),
    /options.weightZeroPoint must be an integer in \[-128, 127\]/,
  );
  throws(
    () => conv2dInt8(x, w, p, { weightZeroPoint: new Int32Array(3) }),
    /options.weightZeroPoint must have one value per output channel \(6\)/,
  );
  throws(
    () => conv2dInt8(x, w, p, { weightZeroPoint: Int32Array.of(0, 0, 0, 0, 0, 200) }),
    /options.weightZeroPoint\[5\]/,
  );
  throws(() => conv2dInt8(x, w, p, { bias: new Int32Array(2) }), /options.bias/);
  throws(() => conv2dInt8(x, w, p, { out: new Int32Array(53) }), /options.out is too small/);
  throws(() => conv2dInt8(x, w, { ...p, groups: 3 }), /p.groups must divide/);
  const stage = { kind: "float", multiplier: 0.1, zeroPoint: 0, dtype: "int8" } as const;
  throws(
    () => conv2dInt8Requantized(x, w, p, { outputStage: stage, out: new Uint8Array(54) }),
    /options.out must be an Int8Array/,
  );
  throws(
    () =>
      conv2dInt8Requantized(x, w, p, {
        outputStage: { ...stage, multiplier: new Float32Array(2) },
      }),
    /outputStage.multiplier must have one value per column \(6\)/,
  );
  throws(
    () => conv2dInt8Requantized(x, w, p, undefined as unknown as { outputStage: typeof stage }),
    TypeError,
  );
});

Deno.test("conv2dInt8Requantized / gemmInt8Requantized: exact halves round to even on every Wasm float epilogue", () => {
  // multipliers 0.5, 0.25 and 1.5 put acc·m exactly on k + ½ for many accumulators; the
  // expected codes come from the definition (ties to the even neighbour), not from a kernel
  const rne = (v: number) => {
    const f = Math.floor(v);
    return v - f === 0.5 ? (f % 2 === 0 ? f : f + 1) : Math.round(v);
  };
  const code = (acc: number, m: number, zp: number, lo: number, hi: number) =>
    Math.min(hi, Math.max(lo, rne(acc * m) + zp));
  // the rows path tile by tile (8×8 outputs per image), its two-pass form (200×576) and patches
  const shapes: Conv2dParams[] = [
    { batch: 1, inChannels: 8, outChannels: 8, height: 6, width: 96, kernelH: 1, kernelW: 1 },
    { batch: 1, inChannels: 32, outChannels: 200, height: 6, width: 96, kernelH: 1, kernelW: 1 },
    {
      batch: 2,
      inChannels: 5,
      outChannels: 7,
      height: 9,
      width: 11,
      kernelH: 3,
      kernelW: 3,
      padding: 1,
    },
  ];
  for (const [t, p] of shapes.entries()) {
    const x = randomInts(Uint8Array, p.batch * p.inChannels * p.height * p.width, 125, 131, 70 + t);
    const w = randomInts(
      Int8Array,
      p.outChannels * p.inChannels * p.kernelH * p.kernelW,
      -3,
      3,
      80 + t,
    );
    const bias = new Int32Array(p.outChannels).map((_, o) => (o % 5) - 2);
    const mult = new Float32Array(p.outChannels).map((_, o) => [0.5, 0.25, 1.5][o % 3]);
    const acc = naiveAcc(x, w, p, 128, new Int32Array(p.outChannels), bias);
    const hw = conv2dOutputShape(p).outH * conv2dOutputShape(p).outW;
    for (const [dtype, zp, lo, hi] of [["uint8", 128, 0, 255], ["int8", -1, -128, 127]] as const) {
      const y = conv2dInt8Requantized(x, w, p, {
        inputZeroPoint: 128,
        bias,
        kernel: "wasm",
        outputStage: { kind: "float", multiplier: mult, zeroPoint: zp, dtype },
      });
      const want = [...acc].map((a, e) =>
        code(a, mult[Math.floor(e / hw) % p.outChannels], zp, lo, hi)
      );
      ok(want.some((_, e) => (acc[e] * mult[Math.floor(e / hw) % p.outChannels]) % 1 !== 0));
      deepEqual([...y], want, `${label(p)} ${dtype}`);
    }
  }
  // the GEMM's per-column stage (activations · weights), one row and many
  for (const [m, n, k] of [[1, 37, 20], [30, 21, 50]]) {
    const a = randomInts(Int8Array, m * k, -4, 4, 90 + m);
    const b = randomInts(Int8Array, k * n, -4, 4, 91 + m);
    const mult = new Float32Array(n).map((_, j) => [0.5, 0.25, 1.5][j % 3]);
    const y = gemmInt8Requantized(m, n, k, a, b, {
      kernel: "wasm",
      outputStage: { kind: "float", multiplier: mult, zeroPoint: 3, dtype: "int8" },
    });
    const want = Array.from({ length: m * n }, (_, e) => {
      const i = Math.floor(e / n), j = e % n;
      let s = 0;
      for (let q = 0; q < k; q++) s += a[i * k + q] * b[q * n + j];
      return code(s, mult[j], 3, -128, 127);
    });
    deepEqual([...y], want, `${m}×${n}×${k}`);
  }
});

Deno.test("conv2dInt8Requantized, one weight zero point (weights · patch columns gathered in kernel memory): random shapes equal the naive accumulators requantized (fast-check)", () => {
  fc.assert(
    fc.property(
      fc.record({
        batch: fc.integer({ min: 1, max: 2 }),
        inChannels: fc.integer({ min: 1, max: 5 }),
        outChannels: fc.integer({ min: 1, max: 9 }),
        height: fc.integer({ min: 1, max: 11 }),
        width: fc.integer({ min: 1, max: 23 }),
        kernelH: fc.integer({ min: 1, max: 5 }),
        kernelW: fc.integer({ min: 1, max: 5 }),
        sh: fc.integer({ min: 1, max: 3 }),
        sw: fc.integer({ min: 1, max: 3 }),
        dh: fc.integer({ min: 1, max: 2 }),
        dw: fc.integer({ min: 1, max: 2 }),
        pads: fc.tuple(...[0, 1, 2, 3].map(() => fc.integer({ min: 0, max: 3 }))),
        signed: fc.boolean(),
        zx: fc.integer({ min: 0, max: 255 }),
        zw: fc.integer({ min: -128, max: 127 }),
        seed: fc.integer({ min: 0, max: 1e6 }),
      }),
      (v) => {
        const p: Conv2dParams = {
          batch: v.batch,
          inChannels: v.inChannels,
          height: v.height,
          width: v.width,
          outChannels: v.outChannels,
          kernelH: v.kernelH,
          kernelW: v.kernelW,
          stride: [v.sh, v.sw],
          dilation: [v.dh, v.dw],
          padding: v.pads as [number, number, number, number],
        };
        const [pt, pl, pb, pr] = v.pads;
        // skip shapes whose dilated kernel does not fit the padded input (no output)
        if (v.height + pt + pb < v.dh * (v.kernelH - 1) + 1) return;
        if (v.width + pl + pr < v.dw * (v.kernelW - 1) + 1) return;
        const { outH, outW } = conv2dOutputShape(p);
        const kind = v.signed ? I8 : U8;
        const zx = kind.lo + (v.zx % (kind.hi - kind.lo + 1));
        const x = codes(kind, v.batch * v.inChannels * v.height * v.width, v.seed);
        const w = codes(I8, v.outChannels * v.inChannels * v.kernelH * v.kernelW, v.seed + 1);
        const zw = new Int32Array(v.outChannels).fill(v.zw);
        const bias = new Int32Array(v.outChannels).map((_, o) => 37 * o - 100);
        const acc = naiveAcc(x, w, p, zx, zw, bias);
        const mult = new Float32Array(v.outChannels).map((_, o) => 2 ** -(6 + o % 5));
        const y = conv2dInt8Requantized(x, w, p, {
          inputZeroPoint: zx,
          weightZeroPoint: v.zw,
          bias,
          kernel: "wasm",
          outputStage: { kind: "float", multiplier: mult, zeroPoint: 7, dtype: "uint8" },
        });
        const hw = outH * outW;
        deepEqual(
          [...y],
          [...acc].map((a, e) =>
            requantizeFloat(a, mult[Math.floor(e / hw) % p.outChannels], 7, 0, 255)
          ),
        );
      },
    ),
    { numRuns: 300, seed: 20261207 },
  );
});
