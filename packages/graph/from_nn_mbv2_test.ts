// The trained MobileNetV2-style Fashion-MNIST model (models/fashion-mbv2.safetensors, written by
// `deno task train fashion-mbv2`) converts with fromNn: the float graph agrees with the nn
// forward on real test images, keeps the depthwise convolutions (group = channels) and the
// residual Adds, and the accuracy on the first 1,000 official test images, recomputed here
// from the committed weights, is within 1.5 points of the accuracy recorded in the JSON.
import { deepEqual, equal, ok } from "node:assert/strict";
import {
  batches,
  countCorrect,
  type Dataset,
  fashionMobileNetV2,
  loadFashionMnist,
  loadSafetensors,
  noGrad,
  type Sequential,
  subset,
} from "@lowbit/nn";
import { runFloat } from "./executor.ts";
import { fromNn } from "./from_nn.ts";
import type { Graph } from "./ir.ts";

const root = new URL("../../models/", import.meta.url);

interface Info {
  seed: number;
  testAccuracy: number;
  input: { mean: number; std: number };
}

async function trained(): Promise<{ model: Sequential; info: Info }> {
  const info: Info = JSON.parse(await Deno.readTextFile(new URL("fashion-mbv2.json", root)));
  const { stateDict, metadata } = await loadSafetensors(new URL("fashion-mbv2.safetensors", root));
  equal(Number(metadata.seed), info.seed);
  const model = fashionMobileNetV2(info.seed);
  model.loadStateDict(stateDict);
  return { model: model.eval(), info };
}

function firstTest(count: number, test: Dataset): Dataset {
  return subset(test, Array.from({ length: count }, (_, i) => i));
}

Deno.test("fashion-mbv2: fromNn graph matches the nn forward on 8 test images (1e-4), depthwise Conv and Add nodes", async () => {
  const { model, info } = await trained();
  const { test } = await loadFashionMnist();
  const [batch] = batches(firstTest(8, test), {
    batchSize: 8,
    mean: info.input.mean,
    std: info.input.std,
  });
  const shape = [8, 1, 28, 28];
  const g: Graph = fromNn(model, { inputShape: shape });
  const want = noGrad(() => model.forward(batch.x)).data;
  const got = runFloat(g, { input: { data: batch.x.data, shape } }).output.data as Float32Array;
  equal(got.length, want.length);
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
  }
  ok(worst <= 1e-4, `max |Δ|/max(1, |y|) = ${worst}`);
  // the same predicted classes from both
  const argmax = (y: Float32Array) =>
    Array.from({ length: 8 }, (_, i) => {
      const row = Array.from(y.subarray(10 * i, 10 * i + 10));
      return row.indexOf(Math.max(...row));
    });
  deepEqual(argmax(got), argmax(want));

  const convs = g.nodes.filter((n) => n.op === "Conv");
  const depthwise = convs.filter((n) => typeof n.attrs.group === "number" && n.attrs.group > 1);
  const blocks = model.layers.filter(([name]) => name.startsWith("block")).length;
  equal(depthwise.length, blocks, "one depthwise Conv per inverted-residual block");
  for (const n of depthwise) {
    const w = g.initializers.get(n.inputs[1])!;
    // weight [C, 1, 3, 3] with group = C: one 3×3 kernel per channel
    equal(w.shape[1], 1, n.name);
    equal(n.attrs.group, w.shape[0], n.name);
  }
  const residuals = model.layers.filter(([, m]) => m.constructor.name === "Residual").length;
  ok(residuals >= 1);
  equal(g.nodes.filter((n) => n.op === "Add").length, residuals, "one Add per residual block");
  ok(g.nodes.some((n) => n.op === "GlobalAveragePool"));
});

Deno.test("fashion-mbv2: accuracy on the first 1,000 official test images is within 1.5 points of the JSON", async () => {
  const { model, info } = await trained();
  const { test } = await loadFashionMnist();
  const first = firstTest(1000, test);
  let correct = 0;
  noGrad(() => {
    for (
      const b of batches(first, { batchSize: 250, mean: info.input.mean, std: info.input.std })
    ) {
      correct += countCorrect(model.forward(b.x), b.labels);
    }
  });
  const acc = correct / first.count;
  ok(
    Math.abs(acc - info.testAccuracy) <= 0.015,
    `first 1,000: ${acc}, JSON (10,000): ${info.testAccuracy}`,
  );
});
