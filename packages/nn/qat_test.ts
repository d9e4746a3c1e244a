import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { Philox } from "@lowbit/rounding/philox";
import { Variable } from "./autograd.ts";
import { ReLU } from "./layers.ts";
import { Linear } from "./linear.ts";
import { Sequential } from "./module.ts";
import { Adam } from "./optim.ts";
import { softmaxCrossEntropy } from "./losses.ts";
import { FakeQuant, prepareQat } from "./qat.ts";
import { foldBatchNorm } from "./fold.ts";
import { mnistCnn } from "./models.ts";
import type { Conv2d } from "./conv2d.ts";
import { awayFrom } from "./_gradcheck.ts";

Deno.test("weight minmax: per-channel symmetric narrow grid from max|w| (brute force)", () => {
  const w = Variable.from(awayFrom(24, 1, -2, 2), [3, 8], { requiresGrad: true });
  const fq = new FakeQuant({ target: "weight", bits: 4 });
  const y = fq.forward(w);
  for (let c = 0; c < 3; c++) {
    const row = [...w.data.subarray(c * 8, c * 8 + 8)];
    const s = Math.fround(Math.max(...row.map(Math.abs)) / 7);
    row.forEach((v, k) => {
      let q = Math.round(Math.fround(v * Math.fround(1 / s)));
      q = Math.min(7, Math.max(-7, q));
      ok(Math.abs(y.data[c * 8 + k] - q * s) < 1e-6, `c ${c} k ${k}`);
    });
  }
  y.sum().backward();
  deepEqual([...w.grad!], new Array(24).fill(1)); // the range holds every weight: STE passes all
});

Deno.test("activation minmax: first batch sets the range, then a moving average; eval freezes it", () => {
  const fq = new FakeQuant({ target: "activation", bits: 8, averagingConstant: 0.5 });
  throws(() => fq.eval().forward(Variable.from([1])), /no statistics yet/);
  fq.train();
  fq.forward(Variable.from([0, 2]));
  fq.forward(Variable.from([0, 4])); // max ← 2 + 0.5·(4 − 2) = 3
  const sd = fq.stateDict();
  equal(sd.get("max")!.data[0], 3);
  fq.eval();
  const p = fq.qparams();
  equal(p.scale, Math.fround(3 / 255));
  fq.forward(Variable.from([100]));
  equal(fq.stateDict().get("max")!.data[0], 3);
});

Deno.test("LSQ: initial step 2·mean|x|/√Qp, learns; PACT: α starts at the first batch maximum", () => {
  const fq = new FakeQuant({ target: "weight", bits: 4, mode: "lsq", channels: 2 });
  const w = Variable.from([1, -1, 2, -2, 0.5, 0.5, 0.5, 0.5], [2, 4], { requiresGrad: true });
  fq.forward(w).sum().backward();
  ok(Math.abs(fq.scale!.data[0] - (2 * 1.5) / Math.sqrt(7)) < 1e-6);
  ok(Math.abs(fq.scale!.data[1] - (2 * 0.5) / Math.sqrt(7)) < 1e-6);
  ok(fq.scale!.grad !== null);
  const pact = new FakeQuant({ target: "activation", bits: 4, mode: "pact" });
  pact.forward(Variable.from([0.5, 3.5, 2]));
  equal(pact.alpha!.data[0], 3.5);
  throws(
    () => new FakeQuant({ target: "weight", bits: 4, mode: "pact" }),
    /"pact" clips activations/,
  );
  throws(
    () => new FakeQuant({ target: "weight", bits: 1 }),
    /bits must be an integer in \[2, 16\]/,
  );
  throws(
    () => new FakeQuant({ target: "weight", bits: 4, mode: "lsq" }),
    /channels must be a positive integer/,
  );
});

Deno.test("prepareQat: names, state dict entries, and a few QAT steps lower the loss", () => {
  const random = new Philox(2);
  const m = new Sequential([["fc1", new Linear(6, 16, { random })], ["relu1", new ReLU()], [
    "fc2",
    new Linear(16, 3, { random }),
  ]]);
  const q = prepareQat(m, {
    weightBits: 4,
    activationBits: 4,
    weightMode: "lsq",
    activationMode: "pact",
  });
  deepEqual([...q.stateDict().keys()], [
    "input_fq.min",
    "input_fq.max",
    "input_fq.initialized",
    "fc1.weight",
    "fc1.bias",
    "fc1.weight_fq.scale",
    "fc1.weight_fq.initialized",
    "relu1_fq.alpha",
    "relu1_fq.initialized",
    "fc2.weight",
    "fc2.bias",
    "fc2.weight_fq.scale",
    "fc2.weight_fq.initialized",
  ]);
  const x = Variable.from(awayFrom(48, 3, 0, 1), [8, 6]);
  const labels = new Int32Array([0, 1, 2, 0, 1, 2, 0, 1]);
  const opt = new Adam(q.parameters(), { lr: 0.01 });
  const losses: number[] = [];
  for (let i = 0; i < 60; i++) {
    const loss = softmaxCrossEntropy(q.forward(x), labels);
    losses.push(loss.data[0]);
    opt.zeroGrad();
    loss.backward();
    opt.step();
  }
  ok(losses[59] < 0.5 * losses[0], `${losses[0]} → ${losses[59]}`);
  throws(
    () => prepareQat(m, { weightBits: 4, activationBits: 4 }),
    /already has a weight quantizer/,
  );
});

Deno.test("prepareQat on the folded reference CNN: conv weights quantized per output channel", () => {
  const q = prepareQat(foldBatchNorm(mnistCnn(1).eval()), { weightBits: 4, activationBits: 8 });
  deepEqual(q.layers.map(([n]) => n), [
    "input_fq",
    "conv1",
    "relu1",
    "relu1_fq",
    "pool1",
    "conv2",
    "relu2",
    "relu2_fq",
    "pool2",
    "flatten",
    "fc",
  ]);
  const x = Variable.from(awayFrom(2 * 784, 8, -0.4, 2.8), [2, 1, 28, 28]);
  q.train().forward(x);
  const conv1 = q.layers[1][1] as Conv2d;
  const wq = conv1.weightQuant!.forward(conv1.weight).data;
  for (let o = 0; o < 8; o++) ok(new Set(wq.subarray(o * 25, o * 25 + 25)).size <= 15);
});
