/**
 * The PTQ debugging report (`ptqDebugReport`, white paper Fig. 8) on a trained model: batch
 * norms folded, calibration on 64 training images, metric = test accuracy on the first 1000
 * test images (or the output SQNR against float on them).
 *
 *     deno run -A packages/ptq/scripts/debug_report.ts [model=fashion-cnn] [bits=8] \
 *       [granularity=per-tensor] [metric=accuracy|sqnr]
 *
 * `model` is one of `fashion-cnn`, `mnist-cnn`, `fashion-mbv2` (weights in `models/`). Each
 * suggested fix is then applied and checked on the whole test set (Fashion-MNIST: 10,000
 * images; MNIST: the 2,000 of the seeded split), against the baseline.
 *
 * @module
 */

import { eliminateDeadCode, foldBatchNorm, fromNn, type Graph, runFloat } from "@lowbit/graph";
import {
  type Dataset,
  imagesTensor,
  loadFashionMnist,
  loadMnist,
  loadReferenceModel,
  REFERENCE_BUILDERS,
} from "@lowbit/nn";
import {
  equalizeCrossLayer,
  formatPtqDebugReport,
  ptqDebugReport,
  quantizeStatic,
} from "../mod.ts";

const name = Deno.args[0] ?? "fashion-cnn";
const bits = Number(Deno.args[1] ?? 8);
const granularity = (Deno.args[2] ?? "per-tensor") as "per-tensor" | "per-channel";
const metricKind = Deno.args[3] ?? "accuracy";
if (REFERENCE_BUILDERS[name] === undefined) {
  throw new RangeError(`model must be one of ${Object.keys(REFERENCE_BUILDERS)}`);
}
const root = new URL("../../../", import.meta.url);
const ref = await loadReferenceModel(new URL(`models/${name}.safetensors`, root));
const net = ref.model;
const { train, test } = name.startsWith("mnist") ? await loadMnist() : await loadFashionMnist();
const g0 = eliminateDeadCode(foldBatchNorm(fromNn(net, { inputShape: [1, 1, 28, 28] })));
const g: Graph = { ...g0, inputs: g0.inputs.map((i) => ({ ...i, shape: ["N", 1, 28, 28] })) };
function batch(d: Dataset, from: number, n: number) {
  return { input: imagesTensor(d, from, n, ref) };
}
const calibration = [batch(train, 0, 32), batch(train, 32, 32)];
const evaluation = Array.from({ length: 10 }, (_, b) => batch(test, b * 100, 100));
function accuracy(q: Graph, batches = evaluation): number {
  let correct = 0;
  batches.forEach((s, b) => {
    const y = runFloat(q, s).output.data as Float32Array;
    for (let i = 0; i < 100; i++) {
      let best = 0;
      for (let c = 1; c < 10; c++) if (y[i * 10 + c] > y[i * 10 + best]) best = c;
      if (best === test.labels[b * 100 + i]) correct++;
    }
  });
  return (100 * correct) / (batches.length * 100);
}
const t0 = performance.now();
const report = await ptqDebugReport(g, calibration, {
  bits,
  granularity,
  evaluation,
  ...(metricKind === "accuracy" ? { metric: accuracy, metricName: "test accuracy (%)" } : {}),
  onProgress: (s) => console.error(`  ${s}`),
});
console.log(
  `${name}, BN folded; calibration 64 training images; evaluation the first 1000 test images`,
);
console.log(formatPtqDebugReport(report));
console.log(`(${((performance.now() - t0) / 1000).toFixed(0)} s)`);

const all = Array.from(
  { length: Math.floor(test.count / 100) },
  (_, b) => batch(test, b * 100, 100),
);
const base = { weights: { bits, granularity }, activations: { observer: "minmax" as const } };
const baseline = accuracy(await quantizeStatic(g, calibration, base), all);
console.log(`check on all ${all.length * 100} test images: baseline ${baseline.toFixed(2)}%`);
for (const d of report.diagnoses) {
  if (d.suggestion === undefined) continue;
  const { nodes, equalize } = d.suggestion.apply;
  const src = equalize ? equalizeCrossLayer(g, { relu6: "per-channel" }).graph : g;
  const fixed = accuracy(await quantizeStatic(src, calibration, { ...base, nodes }), all);
  console.log(
    `  ${d.suggestion.description}: ${fixed.toFixed(2)}% (${fixed >= baseline ? "+" : ""}${
      (fixed - baseline).toFixed(2)
    })`,
  );
}
