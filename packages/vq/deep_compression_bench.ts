import { Philox } from "@lowbit/rounding";
import { deepCompress, deepDecompress } from "./deep_compression.ts";

// LeNet-300-100's first layer shape (784×300), seeded Laplace weights; the paper's setting for
// fully connected layers: 92% pruned, 6-bit clusters... here 5-bit, 5-bit gaps.
const rng = new Philox(1, 0);
const w = new Float32Array(784 * 300).map(() => {
  const u = rng.uniform() - 0.5;
  return -0.05 * Math.sign(u) * Math.log(1 - 2 * Math.abs(u));
});
const r = deepCompress(w, [300, 784], { sparsity: 0.92, bits: 5, gapBits: 5 });

Deno.bench(
  "deepCompress 784×300, 92% pruned, 5-bit clusters, 5-bit gaps",
  { group: "deep" },
  () => {
    deepCompress(w, [300, 784], { sparsity: 0.92, bits: 5, gapBits: 5 });
  },
);
Deno.bench("deepDecompress 784×300", { group: "deep" }, () => {
  deepDecompress(r.compressed);
});
