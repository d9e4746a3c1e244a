// The cost model on the @lowbit/nn reference architectures (random seeded weights suffice for
// cost): MACs and the fp32 arena in closed form.
import { deepEqual, equal } from "node:assert/strict";
import { fromNn } from "@lowbit/graph/from-nn";
import { fashionCnn, mnistCnn } from "@lowbit/nn/models";
import { costModel } from "./cost.ts";
import { uniform } from "./precision.ts";
import { parseTarget } from "./target.ts";

const S = "test";
const flat = parseTarget({
  name: "flat",
  description: "one level",
  peak: {
    fp32: { value: 1, unit: "GMAC/s", source: S },
    int8: { value: 1, unit: "GMAC/s", source: S },
  },
  memory: [{ name: "ram", kind: "dram", holds: ["weights", "activations"] }],
});

Deno.test("MNIST CNN: MACs, weights and arena in closed form", () => {
  const g = fromNn(mnistCnn(0).eval(), { inputShape: [1, 1, 28, 28] });
  const c = costModel(g, flat, uniform("fp32"));
  const conv = c.layers.filter((l) => l.op === "Conv").map((l) => l.macs);
  // conv1 1→8 5×5 pad 2 on 28×28; conv2 8→16 5×5 pad 2 on 14×14; fc 784→10
  deepEqual(conv, [28 * 28 * 8 * 25, 14 * 14 * 16 * 8 * 25]);
  equal(c.totals.macs, 28 * 28 * 8 * 25 + 14 * 14 * 16 * 8 * 25 + 16 * 7 * 7 * 10);
  // arena peak at bn1 (or relu1): two 8×28×28 fp32 tensors
  equal(c.totals.peakArenaBytes, 2 * 8 * 28 * 28 * 4);
  // weights: conv1 200 + 8, bn1 4·8, conv2 3200 + 16, bn2 4·16, fc 7840 + 10 floats
  equal(c.totals.weightBytes, (208 + 32 + 3216 + 64 + 7850) * 4);
  const q = costModel(g, flat, uniform("int8"));
  equal(q.totals.macs, c.totals.macs);
  equal(q.totals.peakArenaBytes, 2 * 8 * 28 * 28);
});

Deno.test("Fashion CNN: MACs in closed form", () => {
  const g = fromNn(fashionCnn(0).eval(), { inputShape: [2, 1, 28, 28] });
  const c = costModel(g, flat, uniform("fp32"));
  // batch 2: conv1 1→16 3×3 pad 1 on 28×28, conv2 16→32 3×3 pad 1 on 14×14, fc1 1568→128, fc2 128→10
  const per = 28 * 28 * 16 * 9 + 14 * 14 * 32 * 16 * 9 + 1568 * 128 + 128 * 10;
  equal(c.totals.macs, 2 * per);
});
