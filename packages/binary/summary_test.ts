import { deepEqual, equal } from "node:assert/strict";
import { Conv2d } from "@lowbit/nn/conv2d";
import { BatchNorm2d } from "@lowbit/nn/batchnorm";
import { Flatten, MaxPool2d, ReLU } from "@lowbit/nn/layers";
import { Linear } from "@lowbit/nn/linear";
import { Sequential } from "@lowbit/nn/module";
import { Philox } from "@lowbit/rounding/philox";
import { SignActivation, WeightBinarizer } from "./models.ts";
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
  // fc: ternary 12·5 weights on a 1-bit input (sign → flatten keeps 1 bit)
  const fc = by.get("fc")!;
  deepEqual([fc.inputBits, fc.params[2], fc.params[32], fc.macs2, fc.macs32], [1, 60, 5, 60, 0]);
  // out: float, its input is fc's float output
  const out = by.get("out")!;
  deepEqual([out.inputBits, out.params[32], out.macs32], [32, 12, 10]);
  deepEqual(s.totals.params, { 1: 54, 2: 60, 32: 20 + 8 + 3 + 5 + 12 });
  equal(s.totals.memoryBytes, 54 / 8 + 120 / 8 + 48 * 4);
  equal(s.totals.float32MemoryBytes, (54 + 60 + 48) * 4);
  deepEqual([s.totals.macs1, s.totals.macs2, s.totals.macs32], [216, 60, 288 + 10]);
});

Deno.test("modelSummary: binary weights on a float input count as 32-bit MACs (BinaryConnect)", () => {
  const s = modelSummary(tinyNet("binaryConnect", "relu"), [1, 4, 4]);
  const fc = s.rows.find((r) => r.name === "fc")!;
  deepEqual([fc.inputBits, fc.params[1], fc.macs1, fc.macs32], [32, 60, 0, 60]);
  equal(s.totals.macs1, 216); // conv2 still sees sign1's codes through the pool
  equal(formatSummary(s).split("\n").length, 1 + 9 + 1);
});
