import { ok } from "node:assert/strict";
import { Variable } from "@lowbit/nn/autograd";
import type { Sequential } from "@lowbit/nn/module";
import { Philox } from "@lowbit/rounding/philox";
import { binaryFashionCnn, binaryMnistCnn } from "./models.ts";
import { PackedNet } from "./packed_net.ts";

/** Random batch-norm statistics, biases and latent weights, so thresholds are not trivial. */
function perturb(model: Sequential, seed: number): Sequential {
  const r = new Philox(seed, 4);
  const sd = model.stateDict();
  for (const [name, t] of sd) {
    const u = () => r.uniform();
    if (name.endsWith("running_var")) t.data.forEach((_, i) => (t.data[i] = 0.5 + 20 * u()));
    else if (name.endsWith("running_mean")) t.data.forEach((_, i) => (t.data[i] = 8 * (u() - 0.5)));
    else if (name.startsWith("bn") && name.endsWith("weight")) {
      t.data.forEach((_, i) => (t.data[i] = (u() < 0.2 ? -1 : 1) * (0.2 + u())));
    } else if (name.endsWith("bias")) t.data.forEach((_, i) => (t.data[i] = 2 * (u() - 0.5)));
  }
  model.loadStateDict(sd);
  model.eval();
  return model;
}

const input = (n: number, seed: number) => {
  const r = new Philox(seed, 5);
  return new Variable(Float32Array.from({ length: n * 784 }, () => 3 * r.uniform() - 1), [
    n,
    1,
    28,
    28,
  ]);
};

Deno.test("PackedNet (BNN): sign codes identical to the float model, logits equal to float rounding", () => {
  for (
    const [name, build, packedLayers] of [
      ["fashion", binaryFashionCnn, 2],
      ["mnist", binaryMnistCnn, 1],
    ] as const
  ) {
    const net = new PackedNet(perturb(build(3, "bnn"), 7));
    ok(net.packedLayers === packedLayers);
    const r = net.compare(input(6, 1));
    ok(r.codesCompared > 6 * 1000, `${name}: ${r.codesCompared} codes compared`);
    ok(r.codeMismatches === 0, `${name}: ${r.codeMismatches} code mismatches`);
    ok(r.top1Mismatches === 0 && r.maxAbsLogitDiff < 1e-4, `${name}: ${JSON.stringify(r)}`);
  }
});

Deno.test("PackedNet (XNOR-Net): exact accumulators × α·β; outputs agree to float32 rounding", () => {
  for (const build of [binaryFashionCnn, binaryMnistCnn]) {
    const net = new PackedNet(perturb(build(4, "xnor"), 8));
    const r = net.compare(input(6, 2));
    // the float model sums β·α·(±1) terms in float32; the packed run multiplies the exact
    // integer sum by α·β once: codes may flip only where a pre-activation is within rounding of 0
    ok(r.codeMismatches <= r.codesCompared * 1e-3, JSON.stringify(r));
    ok(r.top1Mismatches === 0 && r.maxAbsLogitDiff < 1e-2, JSON.stringify(r));
  }
});
