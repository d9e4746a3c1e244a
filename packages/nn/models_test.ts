// The committed reference models (models/*.safetensors, written by `deno task train`) load into
// their builders and reach the targets on the test sets; the MNIST ones reproduce the
// correct-count recorded in the JSON beside them (Fashion-MNIST: the first 2,000 of its 10,000
// test images, to keep the suite fast).
import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { loadSafetensors } from "./safetensors.ts";
import {
  DepthwiseConv2d,
  FASHION_MBV2_BLOCKS,
  fashionCnn,
  fashionMobileNetV2,
  mnistCnn,
  mnistMlp,
} from "./models.ts";
import { noGrad, Variable } from "./autograd.ts";
import { Conv2d } from "./conv2d.ts";
import { Residual } from "./layers.ts";
import { mul } from "./ops.ts";
import { Philox } from "@lowbit/rounding/philox";
import { evaluate } from "./train.ts";
import { loadMnist } from "./data/mnist.ts";
import { subset } from "./data/dataset.ts";
import { loadFashionMnist } from "./data/fashion_mnist.ts";
import type { Module, Sequential } from "./module.ts";
import { foldBatchNorm } from "./fold.ts";
import { prepareQat } from "./qat.ts";

const root = new URL("../../models/", import.meta.url);
const TARGETS: [string, (seed: number) => Sequential, "mnist" | "fashion", number][] = [
  ["mnist-mlp", mnistMlp, "mnist", 0.97],
  ["mnist-cnn", mnistCnn, "mnist", 0.985],
  ["fashion-cnn", fashionCnn, "fashion", 0.89],
];

for (const [name, build, data, target] of TARGETS) {
  const what = data === "mnist" ? " and matches its JSON" : " (first 2,000 test images)";
  Deno.test(`models/${name}.safetensors reaches ${100 * target}%${what}`, async () => {
    const info = JSON.parse(await Deno.readTextFile(new URL(`${name}.json`, root)));
    const { stateDict, metadata } = await loadSafetensors(new URL(`${name}.safetensors`, root));
    equal(Number(metadata.seed), info.seed);
    const model = build(info.seed);
    model.loadStateDict(stateDict);
    const test = data === "mnist"
      ? (await loadMnist()).test
      : subset((await loadFashionMnist()).test, Array.from({ length: 2000 }, (_, i) => i));
    const e = evaluate(model, test, { mean: info.input.mean, std: info.input.std });
    ok(e.accuracy >= target, `${name}: ${e.accuracy}`);
    if (data === "mnist") equal(e.correct, info.testCorrect);
  });
}

Deno.test("models/mnist-cnn-qat-*.safetensors reload into prepareQat(foldBatchNorm(mnistCnn(1)))", async () => {
  const summary = JSON.parse(await Deno.readTextFile(new URL("mnist-cnn-qat.json", root)));
  const { test } = await loadMnist();
  for (const run of summary.runs) {
    const q = prepareQat(foldBatchNorm(mnistCnn(1).eval()), run.config);
    q.loadStateDict((await loadSafetensors(new URL(run.file, root))).stateDict);
    const e = evaluate(q, test, { mean: 0.1307, std: 0.3081 });
    equal(e.accuracy, run.qatAccuracy, run.name);
    ok(run.qatAccuracy >= summary.floatAccuracy - (run.config.weightBits === 8 ? 0.003 : 0.015));
  }
});

// ---- fashionMobileNetV2 ----

/** Parameters of the MobileNetV2 builder from its closed form (BN: γ and β per channel). */
function mbv2Parameters(
  stem: number,
  blocks: readonly { out: number; expansion: number }[],
  head: number,
  classes = 10,
): number {
  let n = stem * 1 * 3 * 3 + 2 * stem; // stem conv (no bias) + stem_bn
  let c = stem;
  for (const b of blocks) {
    const m = b.expansion * c;
    n += c * m + 2 * m; // expand 1×1 + bn
    n += m * 3 * 3 + 2 * m; // depthwise 3×3 (one kernel per channel) + bn
    n += m * b.out + 2 * b.out; // project 1×1 + bn
    c = b.out;
  }
  return n + c * head + 2 * head + head * classes + classes; // head 1×1 + bn, fc
}

const count = (m: Module) => m.parameters().reduce((a, p) => a + p.size, 0);

Deno.test("fashionMobileNetV2: output [N, 10], parameter count from the closed form", () => {
  const net = fashionMobileNetV2(1);
  deepEqual(net.forward(Variable.zeros([3, 1, 28, 28])).shape, [3, 10]);
  // the defaults, written out: stem 24, blocks 24→32 (t3), 32→64 (t4, s2), 64→64 (t4) twice,
  // head 256
  const defaults = [
    { out: 32, expansion: 3, stride: 1 },
    { out: 64, expansion: 4, stride: 2 },
    { out: 64, expansion: 4, stride: 1 },
    { out: 64, expansion: 4, stride: 1 },
  ];
  deepEqual(FASHION_MBV2_BLOCKS, defaults);
  // by hand: stem 9·24 + 48 = 264; block1 (m 72) 1728 + 144 + 648 + 144 + 2304 + 64 = 5032;
  // block2 (m 128) 4096 + 256 + 1152 + 256 + 8192 + 128 = 14080; block3, block4 (m 256)
  // 16384 + 512 + 2304 + 512 + 16384 + 128 = 36224 each; head 16384 + 512 = 16896; fc 2570
  equal(mbv2Parameters(24, defaults, 256), 264 + 5032 + 14080 + 2 * 36224 + 16896 + 2570);
  equal(count(net), mbv2Parameters(24, defaults, 256));
  const blocks = [
    { out: 8, expansion: 2, stride: 1 },
    { out: 8, expansion: 3, stride: 1 },
    { out: 12, expansion: 2, stride: 2 },
  ] as const;
  const small = fashionMobileNetV2(2, { stem: 8, blocks, head: 32, stemStride: 1 });
  equal(count(small), mbv2Parameters(8, blocks, 32));
  deepEqual(small.forward(Variable.zeros([1, 1, 28, 28])).shape, [1, 10]);
  // residual exactly where stride 1 and in = out channels: block1 (8→8), block2 (8→8)
  deepEqual(
    small.layers.filter(([, m]) => m instanceof Residual).map(([n]) => n),
    ["block1", "block2"],
  );
  throws(() => fashionMobileNetV2(1, { stem: 0 }), /stem must be a positive integer/);
});

Deno.test("fashionMobileNetV2: depthwise convs have groups = channels; state-dict names", () => {
  const net = fashionMobileNetV2(1);
  const names = net.namedParameters().map(([n]) => n);
  ok(names.includes("stem.weight") && names.includes("fc.weight") && names.includes("fc.bias"));
  ok(names.includes("block1.dw.weight"), names.join(" "));
  let depthwise = 0;
  for (const [name, block] of net.layers.filter(([n]) => n.startsWith("block"))) {
    const body = (block instanceof Residual ? block.body : block) as Sequential;
    const dw = body.layers.find(([n]) => n === "dw")![1];
    ok(dw instanceof Conv2d, name);
    equal(dw.options.groups, dw.inChannels, name);
    equal(dw.inChannels, dw.outChannels, name);
    depthwise++;
  }
  equal(depthwise, FASHION_MBV2_BLOCKS.length);
});

Deno.test("fashionMobileNetV2: a residual block with a zero project conv is the identity", () => {
  const net = fashionMobileNetV2(3).eval();
  const residuals = net.layers.filter(([, m]) => m instanceof Residual);
  ok(residuals.length >= 2, "at least two residual blocks by default");
  // real activations: the layers before each residual block applied to two input images
  let x = new Variable(
    Float32Array.from({ length: 2 * 784 }, (_, i) => Math.sin(0.37 * i)),
    [2, 1, 28, 28],
  );
  let tested = 0;
  for (const [name, layer] of net.layers) {
    if (layer instanceof Residual) {
      const input = x;
      const body = layer.body as Sequential;
      const before = noGrad(() => layer.forward(input)).data;
      ok(before.some((v, i) => Math.abs(v - input.data[i]) > 1e-3), `${name} is not the identity`);
      const project = body.layers.find(([n]) => n === "project")![1] as Conv2d;
      const saved = project.weight.data.slice();
      project.weight.data.fill(0);
      // project_bn of zeros (eval mode, fresh running statistics, β = 0) is zero, so the block
      // returns exactly its input: the shortcut adds the input unchanged
      deepEqual([...noGrad(() => layer.forward(input)).data], [...input.data], name);
      project.weight.data.set(saved);
      tested++;
    }
    x = noGrad(() => layer.forward(x));
  }
  equal(tested, 2, "block3 and block4 are residual");
});

Deno.test("DepthwiseConv2d: forward and gradients equal Conv2d with groups = channels", () => {
  const cases = [
    [1, 1, false, 3],
    [2, 1, true, 3],
    [1, 0, true, 3],
    [2, 2, false, 3],
    [1, 2, true, 5],
    [2, 0, false, 2],
  ] as const;
  for (const [stride, padding, bias, k] of cases) {
    const dw = new DepthwiseConv2d(5, k, { random: new Philox(7), stride, padding, bias });
    const ref = new Conv2d(5, 5, k, { random: new Philox(7), stride, padding, groups: 5, bias });
    if (bias) {
      dw.bias!.data.set([0.1, -0.2, 0.3, 0, 0.5]);
      ref.bias!.data.set([0.1, -0.2, 0.3, 0, 0.5]);
    }
    const data = Float32Array.from({ length: 2 * 5 * 7 * 6 }, (_, i) => Math.cos(0.7 * i));
    const xa = new Variable(data.slice(), [2, 5, 7, 6], { requiresGrad: true });
    const xb = new Variable(data.slice(), [2, 5, 7, 6], { requiresGrad: true });
    const ya = dw.forward(xa), yb = ref.forward(xb);
    deepEqual(ya.shape, yb.shape);
    const close = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
      equal(a.length, b.length, what);
      for (let i = 0; i < a.length; i++) {
        ok(
          Math.abs(a[i] - b[i]) <= 1e-5 * Math.max(1, Math.abs(b[i])),
          `${what}[${i}]: ${a[i]} vs ${b[i]}`,
        );
      }
    };
    close(ya.data, yb.data, `y s${stride} p${padding} k${k}`);
    const wgt = Float32Array.from({ length: ya.size }, (_, i) => Math.sin(1.3 * i));
    mul(ya, new Variable(wgt, ya.shape)).sum().backward();
    mul(yb, new Variable(wgt, yb.shape)).sum().backward();
    close(xa.grad!, xb.grad!, "dx");
    close(dw.weight.grad!, ref.weight.grad!, "dW");
    if (bias) close(dw.bias!.grad!, ref.bias!.grad!, "db");
  }
});
