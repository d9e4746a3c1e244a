import { Philox } from "@lowbit/rounding";
import { packIndices, shareWeights } from "./weight_sharing.ts";

// The MNIST MLP's first layer size (784×256), seeded Laplace weights, 32 shared values.
const rng = new Philox(2, 0);
const w = new Float32Array(784 * 256).map(() => {
  const u = rng.uniform() - 0.5;
  return -0.05 * Math.sign(u) * Math.log(1 - 2 * Math.abs(u));
});
const s = shareWeights(w, 32);

Deno.bench(
  "shareWeights 200k, k = 32, exact 1-D k-means",
  { group: "share", baseline: true },
  () => {
    shareWeights(w, 32);
  },
);
Deno.bench("shareWeights 200k, k = 32, linear init + Lloyd", { group: "share" }, () => {
  shareWeights(w, 32, { init: "linear" });
});
Deno.bench("packIndices 200k at 5 bits", { group: "pack" }, () => {
  packIndices(s.indices, 5);
});
