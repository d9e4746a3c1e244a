import { equal, ok, throws } from "node:assert/strict";
import {
  batches,
  BatchNorm2d,
  Conv2d,
  type Dataset,
  Flatten,
  GELU,
  imagesTensor,
  Linear,
  MaxPool2d,
  noGrad,
  ReLU6,
  Sequential,
} from "@lowbit/nn";
import { runFloat } from "@lowbit/runtime";
import { Philox } from "@lowbit/rounding";
import { imagesTensor as bridgeImagesTensor, runtimeModelOf } from "./nn_runtime.ts";

function toyData(n: number, seed: number): Dataset {
  const r = new Philox(seed);
  return {
    name: "toy",
    images: Uint8Array.from({ length: n * 2 * 8 * 8 }, () => r.nextUint32() & 255),
    labels: Uint8Array.from({ length: n }, () => r.nextUint32() % 3),
    count: n,
    channels: 2,
    height: 8,
    width: 8,
    classes: 3,
  };
}

function seededNet(): Sequential {
  const random = new Philox(11, 1);
  const net = new Sequential([
    ["conv1", new Conv2d(2, 4, 3, { random, padding: [1, 0], stride: 1 })],
    ["bn1", new BatchNorm2d(4)],
    ["act1", new ReLU6()],
    ["pool1", new MaxPool2d({ kernel: 2 })],
    ["conv2", new Conv2d(4, 4, 3, { random, padding: 1, groups: 2 })],
    ["flatten", new Flatten()],
    ["fc", new Linear(4 * 4 * 3, 3, { random })],
  ]);
  // non-trivial batch-norm statistics, so folding is exercised
  const bn = net.layers[1][1] as BatchNorm2d;
  const r = new Philox(12);
  for (let c = 0; c < 4; c++) {
    bn.runningMean.data[c] = r.uniform() - 0.5;
    bn.runningVar.data[c] = 0.5 + r.uniform();
    bn.weight.data[c] = 0.5 + r.uniform();
    bn.bias.data[c] = r.uniform() - 0.5;
  }
  return net.eval();
}

Deno.test("runtimeModelOf: the runtime's float forward equals @lowbit/nn's forward", () => {
  const net = seededNet(), ds = toyData(6, 3);
  const norm = { mean: 0.4, std: 0.25 };
  const [batch] = [...batches(ds, { batchSize: 6, ...norm })];
  const x = imagesTensor(ds, 0, 6, norm);
  // same inputs bit for bit
  equal(x.data.length, batch.x.data.length);
  ok(x.data.every((v, i) => v === batch.x.data[i]), "inputs differ from nn's batches");
  const want = noGrad(() => net.forward(batch.x)).data;
  const got = runFloat(runtimeModelOf(net, [2, 8, 8]), x);
  equal(got.output.data.length, want.length);
  for (let i = 0; i < want.length; i++) {
    ok(Math.abs(got.output.data[i] - want[i]) <= 1e-4 * (1 + Math.abs(want[i])), `logit ${i}`);
  }
  // the trace keeps the nn layer names
  ok(got.trace.has("act1") && got.trace.has("fc"));
});

Deno.test("runtimeModelOf rejects layers without a runtime counterpart, naming them", () => {
  const net = new Sequential([["g", new GELU()]]);
  throws(() => runtimeModelOf(net, [1]), /layer "g" \(GELU\)/);
  const padded = new Sequential([["p", new MaxPool2d({ kernel: 2, padding: 1 })]]);
  throws(() => runtimeModelOf(padded, [1, 4, 4]), /layer "p": padded pooling/);
});

Deno.test("nn_runtime re-exports @lowbit/nn's imagesTensor for notebook 04", () => {
  equal(bridgeImagesTensor, imagesTensor);
});
