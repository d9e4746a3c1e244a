import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { conv2dF32 } from "./conv2d.ts";
import { im2colF32 } from "./im2col.ts";
import { gemmF32 } from "./gemm_f32.ts";
import { conv2dOutputShape, type Conv2dParams } from "./conv_params.ts";
import { CONV_GRID, f32Bound, label, naiveConv } from "./_conv_test_util.ts";
import { randomF32 } from "./_test_util.ts";
import { oneNodeModel, ONNX_TYPE, ort, runModel } from "./_onnx_test_util.ts";

function pads(p: Conv2dParams): [number, number, number, number] {
  const v = p.padding ?? 0;
  return typeof v === "number" ? [v, v, v, v] : v;
}
function two(v: number | [number, number] | undefined): [number, number] {
  return v === undefined ? [1, 1] : typeof v === "number" ? [v, v] : v;
}

function checkAgainstNaive(
  got: Float32Array,
  x: Float32Array,
  w: Float32Array,
  p: Conv2dParams,
  bias: Float32Array | undefined,
  act: "none" | "relu" | "relu6",
  what: string,
) {
  const { y, absSum, outH, outW } = naiveConv(x, w, p);
  equal(got.length >= y.length, true);
  const k = (p.inChannels / (p.groups ?? 1)) * p.kernelH * p.kernelW;
  const hw = outH * outW;
  for (let e = 0; e < y.length; e++) {
    const b = bias ? bias[Math.floor(e / hw) % p.outChannels] : 0;
    let want = y[e] + b;
    if (act !== "none") want = Math.max(want, 0);
    if (act === "relu6") want = Math.min(want, 6);
    const tol = f32Bound(k, absSum[e], b);
    if (!(Math.abs(got[e] - want) <= tol)) {
      throw new Error(`${what}: element ${e}: got ${got[e]}, want ${want} ± ${tol}`);
    }
  }
}

for (const [t, p] of CONV_GRID.entries()) {
  Deno.test(`conv2dF32 equals the naive convolution (binary64), ${label(p)}`, () => {
    const cg = p.inChannels / (p.groups ?? 1);
    const x = randomF32(p.batch * p.inChannels * p.height * p.width, 10 + t);
    const w = randomF32(p.outChannels * cg * p.kernelH * p.kernelW, 20 + t);
    const bias = randomF32(p.outChannels, 30 + t);
    for (const kernel of ["ts", "wasm"] as const) {
      checkAgainstNaive(conv2dF32(x, w, p, { kernel }), x, w, p, undefined, "none", kernel);
      const act = t % 2 ? "relu6" : "relu";
      for (let e = 0; e < x.length; e++) x[e] *= 4; // leave room for the relu6 clamp
      const y = conv2dF32(x, w, p, { kernel, bias, activation: act });
      checkAgainstNaive(y, x, w, p, bias, act, `${kernel} ${act}`);
      for (let e = 0; e < x.length; e++) x[e] /= 4;
    }
  });
}

Deno.test("conv2dF32 depthwise path equals im2col + gemmF32 per group (second implementation)", () => {
  for (const p of CONV_GRID.filter((q) => (q.groups ?? 1) === q.inChannels && q.inChannels > 1)) {
    const x = randomF32(p.batch * p.inChannels * p.height * p.width, 5);
    const w = randomF32(p.outChannels * p.kernelH * p.kernelW, 6);
    const got = conv2dF32(x, w, p);
    const { outH, outW } = conv2dOutputShape(p);
    const hw = outH * outW, mult = p.outChannels / p.inChannels, k = p.kernelH * p.kernelW;
    for (let n = 0; n < p.batch; n++) {
      for (let g = 0; g < p.inChannels; g++) {
        const cols = im2colF32(x, p, n, g);
        const want = gemmF32(mult, hw, k, w.subarray(g * mult * k, (g + 1) * mult * k), cols, {
          kernel: "ts",
        });
        const at = (n * p.outChannels + g * mult) * hw;
        deepEqual(got.subarray(at, at + mult * hw), want, label(p)); // both round once from binary64
      }
    }
  }
});

Deno.test("conv2dF32 writes into options.out and nothing around it (guard regions)", () => {
  const p = CONV_GRID[4];
  const G = 32;
  const { outH, outW } = conv2dOutputShape(p);
  const len = p.batch * p.outChannels * outH * outW;
  const x = randomF32(p.batch * p.inChannels * p.height * p.width, 1);
  const w = randomF32(p.outChannels * (p.inChannels / p.groups!) * 9, 2);
  for (const kernel of ["ts", "wasm"] as const) {
    const want = conv2dF32(x, w, p, { kernel });
    const guard = (src: Float32Array, s: number) => {
      const all = new Float32Array(src.length + 2 * G).fill(s);
      all.set(src, G);
      return all.subarray(G, G + src.length);
    };
    const out = guard(new Float32Array(len), -7);
    const got = conv2dF32(guard(x, NaN), guard(w, NaN), p, { kernel, out });
    deepEqual(got, want);
    const all = new Float32Array(out.buffer);
    for (let i = 0; i < G; i++) ok(all[i] === -7 && all[G + len + i] === -7, "guard overwritten");
  }
});

Deno.test("conv2dF32 agrees with onnxruntime-web Conv (opset 19) within float32 rounding", async () => {
  for (const [t, p] of [CONV_GRID[2], CONV_GRID[3], CONV_GRID[6], CONV_GRID[9]].entries()) {
    const cg = p.inChannels / (p.groups ?? 1);
    const xDims = [p.batch, p.inChannels, p.height, p.width];
    const wDims = [p.outChannels, cg, p.kernelH, p.kernelW];
    const x = randomF32(xDims.reduce((a, b) => a * b), 40 + t);
    const w = randomF32(wDims.reduce((a, b) => a * b), 50 + t);
    const bias = randomF32(p.outChannels, 60 + t);
    const { outH, outW } = conv2dOutputShape(p);
    const yDims = [p.batch, p.outChannels, outH, outW];
    const model = oneNodeModel(
      "Conv",
      ["x", "w", "b"],
      {
        kernel_shape: [p.kernelH, p.kernelW],
        strides: two(p.stride),
        pads: pads(p),
        dilations: two(p.dilation),
        group: p.groups ?? 1,
      },
      [
        { name: "w", type: ONNX_TYPE.float, dims: wDims, data: w },
        { name: "b", type: ONNX_TYPE.float, dims: [p.outChannels], data: bias },
      ],
      [{ name: "x", type: ONNX_TYPE.float, dims: xDims }],
      { name: "y", type: ONNX_TYPE.float, dims: yDims },
    );
    const theirs = (await runModel(model, { x: new ort.Tensor("float32", x, xDims) }, "y"))
      .data as Float32Array;
    const { absSum } = naiveConv(x, w, p);
    const ours = conv2dF32(x, w, p, { bias });
    equal(theirs.length, ours.length);
    const k = cg * p.kernelH * p.kernelW;
    for (let e = 0; e < ours.length; e++) {
      // both within the float32 summation bound of the exact value
      const tol = 2 * f32Bound(k, absSum[e], bias[Math.floor(e / (outH * outW)) % p.outChannels]);
      if (!(Math.abs(ours[e] - theirs[e]) <= tol)) {
        throw new Error(`${label(p)} element ${e}: ours ${ours[e]}, ort ${theirs[e]}`);
      }
    }
  }
});

Deno.test("conv2dF32: bad input errors name the argument", () => {
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
  const x = new Float32Array(100), w = new Float32Array(6 * 2 * 9);
  throws(() => conv2dF32(x.subarray(1), w, p), /input is too small/);
  throws(() => conv2dF32(x, w.subarray(1), p), /weight is too small: OIHW 6×2×3×3/);
  throws(() => conv2dF32(x, new Int8Array(108) as unknown as Float32Array, p), TypeError);
  throws(() => conv2dF32(x, w, { ...p, groups: 4 }), /p.groups must divide/);
  throws(() => conv2dF32(x, w, { ...p, outChannels: 0 }), /p.outChannels must be an integer/);
  throws(() => conv2dF32(x, w, p, { bias: new Float32Array(5) }), /options.bias must have/);
  throws(
    () => conv2dF32(x, w, p, { activation: "gelu" as "relu" }),
    /options.activation must be one of/,
  );
  throws(() => conv2dF32(x, w, p, { kernel: "gpu" as "ts" }), /options.kernel/);
  throws(() => conv2dF32(x, w, p, { out: new Float32Array(53) }), /options.out is too small/);
  throws(() => conv2dF32(x, w, { ...p, kernelH: 6, kernelW: 1 }), /empty output/);
});
