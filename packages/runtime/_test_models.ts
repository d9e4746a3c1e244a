// Private test helper: a seeded small CNN description with every layer kind the converter
// handles (conv + BN + ReLU, depthwise conv + ReLU6, max/avg pooling, flatten, linear).
import { Philox } from "@lowbit/rounding/philox";
import type { FloatModel } from "./model.ts";
import type { FloatTensor } from "./onnx_quantize.ts";

function normal(g: Philox, n: number, std: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(1e-12, g.uniform()), v = g.uniform();
    out[i] = std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  return out;
}

/** A seeded CNN for [N, 1, 12, 12] inputs with 5 classes. */
export function smallCnn(seed: number): FloatModel {
  const g = new Philox(seed, 3);
  const pos = (n: number, lo: number, hi: number) =>
    Float32Array.from({ length: n }, () => lo + g.uniform() * (hi - lo));
  return {
    inputShape: [1, 12, 12],
    layers: [
      {
        kind: "conv2d",
        name: "conv1",
        weight: normal(g, 6 * 9, Math.sqrt(2 / 9)),
        weightShape: [6, 1, 3, 3],
        bias: normal(g, 6, 0.1),
        padding: 1,
      },
      {
        kind: "batchnorm",
        name: "bn1",
        gamma: pos(6, 0.5, 1.5),
        beta: normal(g, 6, 0.2),
        mean: normal(g, 6, 0.3),
        variance: pos(6, 0.5, 2),
        eps: 1e-5,
      },
      { kind: "relu", name: "relu1" },
      { kind: "maxpool2d", name: "pool1", kernel: 2 },
      {
        kind: "conv2d",
        name: "dw",
        weight: normal(g, 6 * 9, Math.sqrt(2 / 9)),
        weightShape: [6, 1, 3, 3],
        bias: normal(g, 6, 0.1),
        padding: 1,
        groups: 6,
      },
      { kind: "relu6", name: "relu6" },
      {
        kind: "conv2d",
        name: "pw",
        weight: normal(g, 8 * 6, Math.sqrt(2 / 6)),
        weightShape: [8, 6, 1, 1],
      },
      {
        kind: "batchnorm",
        name: "bn2",
        gamma: pos(8, 0.5, 1.5),
        beta: normal(g, 8, 0.2),
        mean: normal(g, 8, 0.3),
        variance: pos(8, 0.5, 2),
        eps: 1e-5,
      },
      { kind: "relu", name: "relu2" },
      { kind: "avgpool2d", name: "pool2", kernel: 2 },
      { kind: "flatten", name: "flatten" },
      {
        kind: "linear",
        name: "fc",
        weight: normal(g, 5 * 72, Math.sqrt(1 / 72)),
        outFeatures: 5,
        bias: normal(g, 5, 0.1),
      },
    ],
  };
}

/** Seeded inputs in [0, 1) with a little structure (blobs), `[n, 1, 12, 12]`. */
export function smallInputs(seed: number, n: number): FloatTensor {
  const g = new Philox(seed, 4);
  const data = new Float32Array(n * 144);
  for (let b = 0; b < n; b++) {
    const cy = g.uniform() * 12, cx = g.uniform() * 12, r = 2 + g.uniform() * 4;
    for (let y = 0; y < 12; y++) {
      for (let x = 0; x < 12; x++) {
        const d = Math.hypot(y - cy, x - cx);
        data[b * 144 + y * 12 + x] = Math.max(0, 1 - d / r) * 0.8 + g.uniform() * 0.2;
      }
    }
  }
  return { data, shape: [n, 1, 12, 12] };
}
