// Whole-model inference: the MNIST CNN architecture of @lowbit/nn (conv 1→8 5×5 p2 + BN +
// ReLU + max-pool, conv 8→16 5×5 p2 + BN + ReLU + max-pool, fc 784→10; seeded weights — speed
// does not depend on trained values) on a batch of 64 images, int8 integer-only (our runtime)
// against the same model in our f32 path (BN folded, the kernels' f32 Wasm GEMM).
//
//     deno bench -A packages/runtime/inference_bench.ts
import { Philox } from "@lowbit/rounding/philox";
import { convertModel } from "./convert.ts";
import { runInteger } from "./graph.ts";
import { type FloatModel, foldBatchNorm, runFloat } from "./model.ts";

const g = new Philox(7, 0);
const rnd = (n: number, s: number) =>
  Float32Array.from({ length: n }, () => (g.uniform() - 0.5) * 2 * s);
const ones = (n: number, lo: number) => Float32Array.from({ length: n }, () => lo + g.uniform());
const model: FloatModel = {
  inputShape: [1, 28, 28],
  layers: [
    {
      kind: "conv2d",
      name: "conv1",
      weight: rnd(8 * 25, 0.35),
      weightShape: [8, 1, 5, 5],
      bias: rnd(8, 0.1),
      padding: 2,
    },
    {
      kind: "batchnorm",
      name: "bn1",
      gamma: ones(8, 0.5),
      beta: rnd(8, 0.1),
      mean: rnd(8, 0.1),
      variance: ones(8, 0.5),
      eps: 1e-5,
    },
    { kind: "relu", name: "relu1" },
    { kind: "maxpool2d", name: "pool1", kernel: 2 },
    {
      kind: "conv2d",
      name: "conv2",
      weight: rnd(16 * 8 * 25, 0.1),
      weightShape: [16, 8, 5, 5],
      bias: rnd(16, 0.1),
      padding: 2,
    },
    {
      kind: "batchnorm",
      name: "bn2",
      gamma: ones(16, 0.5),
      beta: rnd(16, 0.1),
      mean: rnd(16, 0.1),
      variance: ones(16, 0.5),
      eps: 1e-5,
    },
    { kind: "relu", name: "relu2" },
    { kind: "maxpool2d", name: "pool2", kernel: 2 },
    { kind: "flatten", name: "flatten" },
    {
      kind: "linear",
      name: "fc",
      weight: rnd(10 * 784, 0.05),
      outFeatures: 10,
      bias: rnd(10, 0.1),
    },
  ],
};
const batch = 64;
const x = {
  data: Float32Array.from(
    { length: batch * 784 },
    () => (g.uniform() < 0.8 ? -0.42 : 2.8 * g.uniform()),
  ),
  shape: [batch, 1, 28, 28],
};
const folded = foldBatchNorm(model);
const fixed = convertModel(model, [x], { mode: "fixed" });
const float = convertModel(model, [x], { mode: "float" });
runInteger(fixed, x); // warm up (and pack weights)
runFloat(folded, x);

Deno.bench({
  name: "MNIST CNN f32 (BN folded), batch 64",
  group: "mnist-cnn",
  baseline: true,
  fn() {
    runFloat(folded, x);
  },
});
Deno.bench({
  name: "MNIST CNN int8 integer-only, fixed requant, batch 64",
  group: "mnist-cnn",
  fn() {
    runInteger(fixed, x);
  },
});
Deno.bench({
  name: "MNIST CNN int8 integer-only, float requant, batch 64",
  group: "mnist-cnn",
  fn() {
    runInteger(float, x);
  },
});
