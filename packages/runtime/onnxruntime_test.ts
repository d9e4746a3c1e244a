// Third-party check: qlinearMatMul / qlinearConv / add in "float" mode against onnxruntime-web's
// QLinearMatMul / QLinearConv (opset 13) on seeded random cases — exact match required — and
// com.microsoft QLinearAdd on every code pair (exact where onnxruntime's fixed-point add kernel
// agrees with the float formula, else within one code).
// The one-node models are @lowbit/graph Graphs serialized by @lowbit/onnx's exportOnnx
// (_onnx_test_util.ts).
import { deepEqual, equal, ok } from "node:assert/strict";
import * as ort from "onnxruntime-web";
import { Philox } from "@lowbit/rounding/philox";
import { add } from "./elementwise.ts";
import { oneNodeModel, tensorOf } from "./_onnx_test_util.ts";
import { matMulInteger, qlinearMatMul } from "./onnx_matmul.ts";
import { convInteger, qlinearConv } from "./onnx_conv.ts";
import { QuantizedTensor } from "./quantized_tensor.ts";

ort.env.wasm.numThreads = 1;

async function runModel(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<ort.Tensor> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    return (await session.run(feeds)).y;
  } finally {
    await session.release();
  }
}

type Codes = Int8Array | Uint8Array;
const ortType = (c: Codes): "int8" | "uint8" => (c instanceof Int8Array ? "int8" : "uint8");

function randomCodes(g: Philox, n: number, signed: boolean): Codes {
  const a = signed ? new Int8Array(n) : new Uint8Array(n);
  for (let i = 0; i < n; i++) a[i] = (g.nextUint32() & 255) - (signed ? 128 : 0);
  return a;
}
const zpFor = (
  g: Philox,
  signed: boolean,
) => (signed ? (g.nextUint32() % 41) - 20 : 100 + (g.nextUint32() % 56));
const scaleFor = (g: Philox, lo: number, hi: number) => Math.fround(lo + g.uniform() * (hi - lo));
/** Standard deviation of accumulators (used only to pick an output scale). */
function spread(acc: Int32Array): number {
  let s = 0, s2 = 0;
  for (const v of acc) {
    s += v;
    s2 += v * v;
  }
  const mean = s / acc.length;
  return Math.sqrt(Math.max(1, s2 / acc.length - mean * mean));
}
const zpArray = (signed: boolean, v: number[]) => (signed ? Int8Array.from(v) : Uint8Array.from(v));

Deno.test("qlinearMatMul equals onnxruntime-web QLinearMatMul (u8·u8, u8·s8, s8·s8; per-tensor and per-column b)", async () => {
  const g = new Philox(606, 0);
  const combos: [boolean, boolean, boolean][] = [
    [false, false, false],
    [false, true, false],
    [true, true, false],
    [false, true, true],
    [true, true, true],
  ];
  for (const [trial, [sa, sb, perColumn]] of combos.entries()) {
    const m = 3 + (g.nextUint32() % 5),
      k = 20 + (g.nextUint32() % 60),
      n = 4 + (g.nextUint32() % 9);
    const a = randomCodes(g, m * k, sa), b = randomCodes(g, k * n, sb);
    const az = zpFor(g, sa), bz = perColumn ? Array.from({ length: n }, () => 0) : [zpFor(g, sb)];
    const as = scaleFor(g, 0.001, 0.05);
    const bs = Float32Array.from({ length: perColumn ? n : 1 }, () => scaleFor(g, 0.001, 0.05));
    // Output scale from the accumulators' spread (σ ↦ 40 codes): outputs span the range.
    const acc = matMulInteger({ data: a, shape: [m, k] }, { data: b, shape: [k, n] }, {
      aZeroPoint: az,
      bZeroPoint: perColumn ? Int32Array.from(bz) : bz[0],
    }).data;
    const ys = Math.fround(as * bs[0] * spread(acc) / 40);
    const yz = zpFor(g, sa);
    const bdims = perColumn ? [n] : [];
    const bytes = oneNodeModel("QLinearMatMul", {
      inputs: ["a", "as", "az", "b", "bs", "bz", "ys", "yz"],
      initializers: {
        as: tensorOf([], Float32Array.of(as)),
        az: tensorOf([], zpArray(sa, [az])),
        b: tensorOf([k, n], b),
        bs: tensorOf(bdims, bs),
        bz: tensorOf(bdims, zpArray(sb, bz)),
        ys: tensorOf([], Float32Array.of(ys)),
        yz: tensorOf([], zpArray(sa, [yz])),
      },
      graphInputs: [{ name: "a", dtype: ortType(a), shape: [m, k] }],
      output: { name: "y", dtype: ortType(a), shape: [m, n] },
    });
    const want = await runModel(bytes, { a: new ort.Tensor(ortType(a), a, [m, k]) });
    const A = new QuantizedTensor({
      q: a,
      shape: [m, k],
      dtype: ortType(a),
      scale: as,
      zeroPoint: az,
    });
    const B = new QuantizedTensor({
      q: b,
      shape: [k, n],
      dtype: ortType(b),
      scale: perColumn ? bs : bs[0],
      zeroPoint: perColumn ? Int32Array.from(bz) : bz[0],
      axis: perColumn ? 1 : undefined,
    });
    const got = qlinearMatMul(A, B, { scale: ys, zeroPoint: yz, dtype: ortType(a) });
    deepEqual([...got.q], [...(want.data as Codes)], `trial ${trial}`);
    ok(new Set(got.q).size > 10, `trial ${trial}: outputs should spread over many codes`);
  }
});

Deno.test("qlinearConv equals onnxruntime-web QLinearConv (stride, padding, dilation, groups, depthwise, bias, per-channel w)", async () => {
  const g = new Philox(707, 0);
  const cases = [
    {
      c: 3,
      o: 4,
      h: 9,
      w: 8,
      k: 3,
      stride: 1,
      pad: 1,
      dil: 1,
      group: 1,
      signedX: false,
      perChannel: false,
    },
    {
      c: 4,
      o: 6,
      h: 10,
      w: 7,
      k: 3,
      stride: 2,
      pad: 0,
      dil: 1,
      group: 2,
      signedX: false,
      perChannel: true,
    },
    {
      c: 5,
      o: 5,
      h: 8,
      w: 8,
      k: 3,
      stride: 1,
      pad: 1,
      dil: 2,
      group: 5,
      signedX: false,
      perChannel: true,
    },
    {
      c: 2,
      o: 3,
      h: 6,
      w: 9,
      k: 2,
      stride: 1,
      pad: 1,
      dil: 1,
      group: 1,
      signedX: true,
      perChannel: true,
    },
    {
      c: 8,
      o: 8,
      h: 7,
      w: 7,
      k: 3,
      stride: 2,
      pad: 1,
      dil: 1,
      group: 8,
      signedX: true,
      perChannel: false,
    },
  ];
  for (const [trial, t] of cases.entries()) {
    const x = randomCodes(g, 2 * t.c * t.h * t.w, t.signedX);
    const cg = t.c / t.group;
    const w = randomCodes(g, t.o * cg * t.k * t.k, true);
    const xs = scaleFor(g, 0.005, 0.05), xz = zpFor(g, t.signedX);
    const ws = Float32Array.from(
      { length: t.perChannel ? t.o : 1 },
      () => scaleFor(g, 0.002, 0.03),
    );
    const wz = new Int8Array(ws.length); // ORT requires symmetric int8 weights here
    const bias = Int32Array.from({ length: t.o }, () => (g.nextUint32() % 4001) - 2000);
    // Output scale from the accumulators' spread (σ ↦ 40 codes): outputs span the range.
    const acc = convInteger({ data: x, shape: [2, t.c, t.h, t.w] }, {
      data: w,
      shape: [t.o, cg, t.k, t.k],
    }, {
      xZeroPoint: xz,
      strides: [t.stride, t.stride],
      pads: [t.pad, t.pad, t.pad, t.pad],
      dilations: [t.dil, t.dil],
      group: t.group,
    }).data;
    const ys = Math.fround(xs * Math.max(...ws) * spread(acc) / 40), yz = zpFor(g, t.signedX);
    const wdims = t.perChannel ? [t.o] : [];
    const bytes = oneNodeModel("QLinearConv", {
      inputs: ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "B"],
      attrs: {
        kernel_shape: [t.k, t.k],
        strides: [t.stride, t.stride],
        pads: [t.pad, t.pad, t.pad, t.pad],
        dilations: [t.dil, t.dil],
        group: t.group,
      },
      initializers: {
        xs: tensorOf([], Float32Array.of(xs)),
        xz: tensorOf([], zpArray(t.signedX, [xz])),
        w: tensorOf([t.o, cg, t.k, t.k], w),
        ws: tensorOf(wdims, ws),
        wz: tensorOf(wdims, wz),
        ys: tensorOf([], Float32Array.of(ys)),
        yz: tensorOf([], zpArray(t.signedX, [yz])),
        B: tensorOf([t.o], bias),
      },
      graphInputs: [{ name: "x", dtype: ortType(x), shape: [2, t.c, t.h, t.w] }],
      // Rank 4, dimensions left unknown (onnxruntime infers them).
      output: { name: "y", dtype: ortType(x), shape: [-1, -1, -1, -1] },
    });
    const want = await runModel(bytes, { x: new ort.Tensor(ortType(x), x, [2, t.c, t.h, t.w]) });
    const X = new QuantizedTensor({
      q: x,
      shape: [2, t.c, t.h, t.w],
      dtype: ortType(x),
      scale: xs,
      zeroPoint: xz,
    });
    const W = new QuantizedTensor({
      q: w,
      shape: [t.o, cg, t.k, t.k],
      dtype: "int8",
      scale: t.perChannel ? ws : ws[0],
      axis: t.perChannel ? 0 : undefined,
    });
    const got = qlinearConv(X, W, { scale: ys, zeroPoint: yz }, {
      bias,
      strides: [t.stride, t.stride],
      pads: [t.pad, t.pad, t.pad, t.pad],
      dilations: [t.dil, t.dil],
      group: t.group,
    });
    deepEqual(got.shape, want.dims, `trial ${trial} shape`);
    deepEqual([...got.q], [...(want.data as Codes)], `trial ${trial}`);
    ok(new Set(got.q).size > 10, `trial ${trial}: outputs should spread over many codes`);
  }
});

Deno.test("add in float mode vs onnxruntime-web com.microsoft QLinearAdd on all 65536 uint8 code pairs (exact / ≤ 1 code)", async () => {
  const n = 65536;
  const a = new Uint8Array(n), b = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    a[i] = i & 255;
    b[i] = i >> 8;
  }
  for (
    const [sa, za, sb, zb, sy, zy] of [[0.02, 128, 0.07, 100, 0.09, 90], [
      0.5,
      0,
      0.0031,
      255,
      0.6,
      3,
    ]]
  ) {
    const f = (v: number) => tensorOf([], Float32Array.of(v));
    const u = (v: number) => tensorOf([], Uint8Array.of(v));
    const model = oneNodeModel("QLinearAdd", {
      domain: "com.microsoft",
      inputs: ["a", "as", "az", "b", "bs", "bz", "ys", "yz"],
      initializers: { as: f(sa), az: u(za), bs: f(sb), bz: u(zb), ys: f(sy), yz: u(zy) },
      graphInputs: [
        { name: "a", dtype: "uint8", shape: [n] },
        { name: "b", dtype: "uint8", shape: [n] },
      ],
      output: { name: "y", dtype: "uint8", shape: [n] },
    });
    const want = await runModel(model, {
      a: new ort.Tensor("uint8", a, [n]),
      b: new ort.Tensor("uint8", b, [n]),
    });
    const A = new QuantizedTensor({ q: a, shape: [n], dtype: "uint8", scale: sa, zeroPoint: za });
    const B = new QuantizedTensor({ q: b, shape: [n], dtype: "uint8", scale: sb, zeroPoint: zb });
    const got = add(A, B, { scale: sy, zeroPoint: zy, dtype: "uint8" }, { mode: "float" });
    const w = want.data as Uint8Array;
    let differ = 0, maxd = 0;
    for (let i = 0; i < n; i++) {
      const d = Math.abs(got.q[i] - w[i]);
      if (d) differ++;
      maxd = Math.max(maxd, d);
    }
    // onnxruntime runs its 22-bit fixed-point kernel here (both scale ratios in [2^−14, 256)):
    // identical on the first grid, within one code on a handful of pairs of the second.
    if (sa === 0.02) equal(differ, 0);
    ok(maxd <= 1 && differ <= n / 1000, `${differ} pairs differ, max ${maxd}`);
  }
});
