import { deepEqual, equal, ok } from "node:assert/strict";
import { Conv2d } from "@lowbit/nn/conv2d";
import { BatchNorm2d } from "@lowbit/nn/batchnorm";
import { Flatten, MaxPool2d, ReLU } from "@lowbit/nn/layers";
import { Linear } from "@lowbit/nn/linear";
import { Sequential } from "@lowbit/nn/module";
import { Philox } from "@lowbit/rounding/philox";
import { binaryMnistCnn, SignActivation, WeightBinarizer } from "./models.ts";
import { formatSummary, modelSummary } from "./summary.ts";

function tinyNet(fcMethod: "twn" | "binaryConnect", act: "sign" | "relu"): Sequential {
  const random = new Philox(2);
  const conv2 = new Conv2d(2, 3, 3, { random, padding: 1 });
  conv2.setWeightQuant(new WeightBinarizer("bnn"));
  const fc = new Linear(12, 5, { random });
  fc.setWeightQuant(new WeightBinarizer(fcMethod));
  return new Sequential([
    ["conv1", new Conv2d(1, 2, 3, { random, padding: 1 })],
    ["bn1", new BatchNorm2d(2)],
    ["sign1", new SignActivation()],
    ["pool1", new MaxPool2d({ kernel: 2 })],
    ["conv2", conv2],
    ["act2", act === "sign" ? new SignActivation() : new ReLU()],
    ["flatten", new Flatten()],
    ["fc", fc],
    ["out", new Linear(5, 2, { random })],
  ]);
}

Deno.test("modelSummary: hand-counted parameters, memory and MACs of a tiny net", () => {
  const s = modelSummary(tinyNet("twn", "sign"), [1, 4, 4]);
  const by = new Map(s.rows.map((r) => [r.name, r]));
  // conv1: 2·1·3·3 = 18 weights + 2 biases, 32-bit; MACs 2 channels · 4·4 positions · 9 taps
  deepEqual(by.get("conv1")!.params, { 1: 0, 2: 0, 32: 20 });
  deepEqual([by.get("conv1")!.macs32, by.get("conv1")!.macs1], [288, 0]);
  // bn1: γ, β, μ, σ² per channel
  deepEqual(by.get("bn1")!.params, { 1: 0, 2: 0, 32: 8 });
  // conv2 after sign + pool: 1-bit input, 3·2·3·3 = 54 1-bit weights, 3 biases; 3·(2·2)·18 MACs
  const c2 = by.get("conv2")!;
  deepEqual([c2.inputBits, c2.params[1], c2.params[32], c2.macs1, c2.macs32], [1, 54, 3, 216, 0]);
  deepEqual(c2.outputShape, [3, 2, 2]);
  equal(c2.memoryBytes, 54 / 8 + 3 * 4);
  // fc: ternary 12·5 weights on a 1-bit input (sign → flatten keeps 1 bit); 5 biases + TWN's α
  const fc = by.get("fc")!;
  deepEqual([fc.inputBits, fc.params[2], fc.params[32], fc.macs2, fc.macs32], [1, 60, 6, 60, 0]);
  // out: float, its input is fc's float output
  const out = by.get("out")!;
  deepEqual([out.inputBits, out.params[32], out.macs32], [32, 12, 10]);
  deepEqual(s.totals.params, { 1: 54, 2: 60, 32: 20 + 8 + 3 + 6 + 12 });
  equal(s.totals.memoryBytes, 54 / 8 + 120 / 8 + 49 * 4);
  equal(s.totals.float32MemoryBytes, (54 + 60 + 49) * 4);
  deepEqual([s.totals.macs1, s.totals.macs2, s.totals.macs32], [216, 60, 288 + 10]);
});

Deno.test("modelSummary: binary weights on a float input count as 32-bit MACs (BinaryConnect)", () => {
  const s = modelSummary(tinyNet("binaryConnect", "relu"), [1, 4, 4]);
  const fc = s.rows.find((r) => r.name === "fc")!;
  deepEqual([fc.inputBits, fc.params[1], fc.macs1, fc.macs32], [32, 60, 0, 60]);
  equal(s.totals.macs1, 216); // conv2 still sees sign1's codes through the pool
  equal(formatSummary(s).split("\n").length, 1 + 9 + 1);
});

Deno.test("modelSummary: the multi-bit methods on the MNIST CNN's conv2 (8→16, 5×5 on 14×14), hand-counted", () => {
  // conv2: 16·8·25 = 3200 weights, 16 biases, 16·14·14·200 = 627,200 MACs
  const macs = 16 * 14 * 14 * 200;
  const conv2 = (m: Parameters<typeof binaryMnistCnn>[1]) => {
    const r = modelSummary(binaryMnistCnn(1, m), [1, 28, 28]).rows;
    return r.find((row) => row.name.endsWith("conv2") && !row.name.includes("shortcut"))!;
  };
  // DoReFa W1A2: 2-bit input (act1 → pool1), 1 weight plane × 2 activation planes, E|W| scale
  const d1 = conv2("dorefaW1A2");
  deepEqual([d1.inputBits, d1.params[1], d1.params[32], d1.macs1, d1.macs32], [
    2,
    3200,
    17,
    2 * macs,
    0,
  ]);
  equal(d1.memoryBytes, 3200 / 8 + 17 * 4);
  // DoReFa W2A2: 2 × 2 planes, fixed levels (no scale)
  const d2 = conv2("dorefaW2A2");
  deepEqual([d2.inputBits, d2.params[2], d2.params[32], d2.macs1], [2, 3200, 16, 4 * macs]);
  // ABC-Net (3, 3): 3-bit weights (3 bases, 3 α) on 3 activation bases: 9 binary products per MAC
  const abc = conv2("abc");
  deepEqual([abc.inputBits, abc.params[3], abc.params[32], abc.macs1], [3, 3200, 19, 9 * macs]);
  equal(abc.memoryBytes, (3 * 3200) / 8 + 19 * 4);
  // TTQ: ternary codes + W_p, W_n on a float ReLU input: 32-bit MACs
  const ttq = conv2("ttq");
  deepEqual([ttq.inputBits, ttq.params[2], ttq.params[32], ttq.macs1, ttq.macs32], [
    32,
    3200,
    18,
    0,
    macs,
  ]);
  // Bi-Real: the block's binary conv sees its sign's codes; α per channel; the 1×1 shortcut is float
  const s = modelSummary(binaryMnistCnn(1, "biReal"), [1, 28, 28]);
  const by = new Map(s.rows.map((r) => [r.name, r]));
  const b = by.get("block_conv2.body.conv2")!;
  deepEqual([b.inputBits, b.params[1], b.params[32], b.macs1, b.macs32], [1, 3200, 32, macs, 0]);
  const sc = by.get("block_conv2.shortcut.conv")!;
  deepEqual([sc.inputBits, sc.params[32], sc.macs32], [32, 128, 16 * 14 * 14 * 8]);
  equal(by.get("fc")!.inputBits, 32);
  ok(formatSummary(modelSummary(binaryMnistCnn(1, "abc"), [1, 28, 28])).includes("# 3-bit"));
});
