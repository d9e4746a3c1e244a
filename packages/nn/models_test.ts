// The committed reference models (models/*.safetensors, written by `deno task train`) load into
// their builders and reach the targets on the test sets; the MNIST ones reproduce the
// correct-count recorded in the JSON beside them (Fashion-MNIST: the first 2,000 of its 10,000
// test images, to keep the suite fast).
import { equal, ok } from "node:assert/strict";
import { loadSafetensors } from "./safetensors.ts";
import { fashionCnn, mnistCnn, mnistMlp } from "./models.ts";
import { evaluate } from "./train.ts";
import { loadMnist } from "./data/mnist.ts";
import { subset } from "./data/dataset.ts";
import { loadFashionMnist } from "./data/fashion_mnist.ts";
import type { Sequential } from "./module.ts";
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
