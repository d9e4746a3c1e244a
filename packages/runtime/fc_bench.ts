// 1×4096×4096 int8 fully connected layer (batch-1 GEMV, the LLM decode shape): our fused
// fullyConnected (pre-packed weights, float and fixed requantization) against onnxruntime-web
// QLinearMatMul with the weights as an initializer (1 thread, the same ONNX float semantics;
// the outputs are checked equal before timing).
//
//     deno bench -A packages/runtime/fc_bench.ts
import * as ort from "onnxruntime-web";
import { Philox } from "@lowbit/rounding/philox";
import { fullyConnected, packWeights } from "./fused.ts";
import { QuantizedTensor } from "./quantized_tensor.ts";
import { oneNodeModel, tensorOf } from "./_onnx_test_util.ts";

ort.env.wasm.numThreads = 1;
const K = 4096, N = 4096;
const g = new Philox(99, 0);
const codes = (n: number) => Int8Array.from({ length: n }, () => (g.nextUint32() & 255) - 128);
const a = codes(K), w = codes(N * K); // w as [out][in]
const sa = 0.02, sw = 0.003, sy = 0.5;

// Our layer: weights [O, K] per-tensor, input [1, K].
const x = new QuantizedTensor({ q: a, shape: [1, K], dtype: "int8", scale: sa, zeroPoint: 3 });
const weight = new QuantizedTensor({ q: w, shape: [N, K], dtype: "int8", scale: sw });
const out = { scale: sy, zeroPoint: -2, dtype: "int8" as const };
const packed = packWeights(weight);

// onnxruntime-web: B = Wᵀ as [K, N].
const bKN = new Int8Array(K * N);
for (let o = 0; o < N; o++) for (let p = 0; p < K; p++) bKN[p * N + o] = w[o * K + p];
const f32 = (v: number) => Float32Array.of(v);
const model = oneNodeModel("QLinearMatMul", {
  inputs: ["a", "as", "az", "b", "bs", "bz", "ys", "yz"],
  initializers: {
    as: tensorOf([], f32(sa)),
    az: tensorOf([], Int8Array.of(3)),
    b: tensorOf([K, N], bKN),
    bs: tensorOf([], f32(sw)),
    bz: tensorOf([], Int8Array.of(0)),
    ys: tensorOf([], f32(sy)),
    yz: tensorOf([], Int8Array.of(-2)),
  },
  graphInputs: [{ name: "a", dtype: "int8", shape: [1, K] }],
  output: { name: "y", dtype: "int8", shape: [1, N] },
});
const session = await ort.InferenceSession.create(model);
const feeds = { a: new ort.Tensor("int8", a, [1, K]) };
const ref = (await session.run(feeds)).y.data as Int8Array;
const ours = fullyConnected(x, weight, out, { packed, mode: "float" }).q;
for (let i = 0; i < N; i++) {
  if (ours[i] !== ref[i]) throw new Error(`output ${i} differs: ${ours[i]} vs ${ref[i]}`);
}

Deno.bench({
  name: "fullyConnected 1×4096×4096 int8, float requant (ours)",
  group: "fc4096",
  baseline: true,
  fn() {
    fullyConnected(x, weight, out, { packed, mode: "float" });
  },
});
Deno.bench({
  name: "fullyConnected 1×4096×4096 int8, fixed requant (ours)",
  group: "fc4096",
  fn() {
    fullyConnected(x, weight, out, { packed, mode: "fixed" });
  },
});
Deno.bench({
  name: "onnxruntime-web QLinearMatMul 1×4096×4096 (1 thread)",
  group: "fc4096",
  async fn() {
    await session.run(feeds);
  },
});

// The u8·s8 variant (onnxruntime's usual quantized path): activations uint8 with zero point 128.
const au8 = Uint8Array.from(a, (v) => v + 128);
const modelU8 = oneNodeModel("QLinearMatMul", {
  inputs: ["a", "as", "az", "b", "bs", "bz", "ys", "yz"],
  initializers: {
    as: tensorOf([], f32(sa)),
    az: tensorOf([], Uint8Array.of(131)),
    b: tensorOf([K, N], bKN),
    bs: tensorOf([], f32(sw)),
    bz: tensorOf([], Int8Array.of(0)),
    ys: tensorOf([], f32(sy)),
    yz: tensorOf([], Uint8Array.of(126)),
  },
  graphInputs: [{ name: "a", dtype: "uint8", shape: [1, K] }],
  output: { name: "y", dtype: "uint8", shape: [1, N] },
});
const sessionU8 = await ort.InferenceSession.create(modelU8);
const feedsU8 = { a: new ort.Tensor("uint8", au8, [1, K]) };
const xu8 = new QuantizedTensor({
  q: au8,
  shape: [1, K],
  dtype: "uint8",
  scale: sa,
  zeroPoint: 131,
});
const outU8 = { scale: sy, zeroPoint: 126, dtype: "uint8" as const };
const refU8 = (await sessionU8.run(feedsU8)).y.data as Uint8Array;
const oursU8 = fullyConnected(xu8, weight, outU8, { packed, mode: "float" }).q;
for (let i = 0; i < N; i++) {
  if (oursU8[i] !== refU8[i]) {
    throw new Error(`u8 output ${i} differs: ${oursU8[i]} vs ${refU8[i]}`);
  }
}
Deno.bench({
  name: "fullyConnected 1×4096×4096 u8·s8, float requant (ours)",
  group: "fc4096-u8",
  baseline: true,
  fn() {
    fullyConnected(xu8, weight, outU8, { packed, mode: "float" });
  },
});
Deno.bench({
  name: "onnxruntime-web QLinearMatMul 1×4096×4096 u8·s8 (1 thread)",
  group: "fc4096-u8",
  async fn() {
    await sessionU8.run(feedsU8);
  },
});
