import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { loadReferenceModel, REFERENCE_BUILDERS } from "./reference_model.ts";
import { loadSafetensors } from "./safetensors.ts";
import { noGrad, Variable } from "./autograd.ts";
import { imagesTensor } from "./images.ts";
import { loadFashionMnist } from "./data/fashion_mnist.ts";

const models = new URL("../../models/", import.meta.url);

Deno.test("loadReferenceModel rebuilds every committed reference model with its weights", async () => {
  for (const name of Object.keys(REFERENCE_BUILDERS)) {
    const url = new URL(`${name}.safetensors`, models);
    const r = await loadReferenceModel(url);
    const { stateDict, metadata } = await loadSafetensors(url);
    equal(r.model.training, false, name);
    deepEqual([r.mean, r.std, r.seed], [Number(metadata.mean), Number(metadata.std), 1], name);
    const sd = r.model.stateDict();
    deepEqual([...sd.keys()].sort(), [...stateDict.keys()].sort(), name);
    for (const [k, t] of stateDict) deepEqual([...sd.get(k)!.data], [...t.data], `${name} ${k}`);
  }
});

Deno.test("the loaded Fashion CNN classifies test images as its record says (first 500)", async () => {
  const r = await loadReferenceModel(new URL("fashion-cnn.safetensors", models));
  const { test } = await loadFashionMnist();
  const x = imagesTensor(test, 0, 500, r);
  const y = noGrad(() => r.model.forward(new Variable(x.data, x.shape))).data;
  let correct = 0;
  for (let i = 0; i < 500; i++) {
    let best = 0;
    for (let c = 1; c < 10; c++) if (y[i * 10 + c] > y[i * 10 + best]) best = c;
    if (best === test.labels[i]) correct++;
  }
  // 92.15% on all 10,000; 500 images give a binomial spread of about ±1.2 points.
  ok(Math.abs(correct / 500 - r.testAccuracy) < 0.035, `${correct / 500} vs ${r.testAccuracy}`);
});

Deno.test("loadReferenceModel: an unknown name without a builder is a TypeError naming path", async () => {
  await rejects(
    () => loadReferenceModel("/tmp/my-net.safetensors"),
    (e: Error) => e instanceof TypeError && /path: "my-net.safetensors"/.test(e.message),
  );
});
