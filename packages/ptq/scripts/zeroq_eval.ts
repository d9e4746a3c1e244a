/**
 * ZeroQ-calibrated vs real-data-calibrated W8A8 static PTQ of a trained model (batch norms
 * folded, per-channel int8 weights, uint8 min-max activations): test accuracy on the official
 * test images (Fashion-MNIST: all 10,000; MNIST: the 2,000 of `loadMnist`'s seeded split).
 *
 *     deno run -A packages/ptq/scripts/zeroq_eval.ts [model=fashion-cnn] [count=64] \
 *       [iterations=500] [statistics=batch] [seed=0] [range=none|pixels]
 *
 * `model` is one of `fashion-cnn`, `mnist-cnn`, `fashion-mbv2` (its weights
 * `models/<model>.safetensors` must exist). Real calibration uses the first `count` training
 * images; ZeroQ makes `count` images from the model alone (input statistics mean 0, std 1, as
 * the inputs are normalised). `range=pixels` also clamps the distilled images into the
 * normalised pixel range [(0 − mean)/std, (1 − mean)/std].
 *
 * Then both calibrations again with the last layer and its output (the logits) in float, the
 * white paper's higher-precision fix for the layer ZeroQ's batch-norm loss does not constrain.
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
import { distillData, quantizeStatic, type ZeroqStatistics } from "../mod.ts";

const name = Deno.args[0] ?? "fashion-cnn";
const count = Number(Deno.args[1] ?? 64);
const iterations = Number(Deno.args[2] ?? 500);
const statistics = (Deno.args[3] ?? "batch") as ZeroqStatistics;
const seed = Number(Deno.args[4] ?? 0);
const rangeArg = Deno.args[5] ?? "none";
if (REFERENCE_BUILDERS[name] === undefined) {
  throw new RangeError(`model must be one of ${Object.keys(REFERENCE_BUILDERS)}`);
}
const root = new URL("../../../", import.meta.url);
const ref = await loadReferenceModel(new URL(`models/${name}.safetensors`, root));
const net = ref.model;
const { mean, std } = ref;
const split = name.startsWith("mnist") ? await loadMnist() : await loadFashionMnist();
const { train, test } = split;
const g0 = eliminateDeadCode(foldBatchNorm(fromNn(net, { inputShape: [1, 1, 28, 28] })));
const g: Graph = { ...g0, inputs: g0.inputs.map((i) => ({ ...i, shape: ["N", 1, 28, 28] })) };

function batch(d: Dataset, from: number, n: number) {
  return { input: imagesTensor(d, from, n, ref) };
}
const evalBatch = 100;
const evalBatches = Array.from(
  { length: Math.floor(test.count / evalBatch) },
  (_, b) => batch(test, b * evalBatch, evalBatch),
);
const evalCount = evalBatches.length * evalBatch;
let floatOutputs: Float32Array[] | undefined;
/** Test accuracy, and the logits' SQNR against float in dB (∞ for the float graph). */
function evaluate(q: Graph): { accuracy: number; sqnr: number } {
  let correct = 0, signal = 0, noise = 0;
  const outs: Float32Array[] = [];
  evalBatches.forEach((s, b) => {
    const y = runFloat(q, s).output.data as Float32Array;
    outs.push(y);
    const ref = floatOutputs?.[b];
    if (ref !== undefined) {
      for (let i = 0; i < y.length; i++) {
        signal += ref[i] * ref[i];
        noise += (ref[i] - y[i]) ** 2;
      }
    }
    for (let i = 0; i < evalBatch; i++) {
      let best = 0;
      for (let c = 1; c < 10; c++) if (y[i * 10 + c] > y[i * 10 + best]) best = c;
      if (best === test.labels[b * evalBatch + i]) correct++;
    }
  });
  floatOutputs ??= outs;
  const sqnr = noise === 0 ? Infinity : 10 * Math.log10(signal / noise);
  return { accuracy: correct / evalCount, sqnr };
}
let lastSqnr = Infinity;
const accuracy = (q: Graph): number => {
  const r = evaluate(q);
  lastSqnr = r.sqnr;
  return r.accuracy;
};
const db = () => `logits SQNR vs float ${lastSqnr.toFixed(2)} dB`;
const pct = (a: number) => `${(100 * a).toFixed(2)}%`;

console.log(
  `${name}: ${test.name ?? "test"}, ${evalCount} test images; calibration ${count} images`,
);
const tf = performance.now();
const floatAcc = accuracy(g);
console.log(`float ${pct(floatAcc)} (${((performance.now() - tf) / 1000).toFixed(1)} s)`);
const real = Array.from(
  { length: Math.ceil(count / 32) },
  (_, b) => batch(train, b * 32, Math.min(32, count - b * 32)),
);
const realGraph = await quantizeStatic(g, real);
const realAcc = accuracy(realGraph);
const realDb = lastSqnr;
console.log(`W8A8, real calibration (${count} training images): ${pct(realAcc)}, ${db()}`);

const t0 = performance.now();
const range: [number, number] | undefined = rangeArg === "pixels"
  ? [(0 - mean) / std, (1 - mean) / std]
  : undefined;
const z = distillData(net, {
  sampleShape: [1, 28, 28],
  count,
  iterations,
  seed,
  statistics,
  input: { mean: 0, std: 1 },
  ...(range !== undefined ? { range } : {}),
  progressEvery: Math.max(1, Math.floor(iterations / 5)),
  onProgress: (p) =>
    console.log(
      `  zeroq batch ${p.batch + 1}/${p.batches} it ${p.iteration}/${p.iterations} loss ${
        p.loss.toExponential(3)
      }`,
    ),
});
const seconds = (performance.now() - t0) / 1000;
const zeroGraph = await quantizeStatic(g, z.batches);
const zeroAcc = accuracy(zeroGraph);
const zeroDb = lastSqnr;
let lo = Infinity, hi = -Infinity;
for (const v of z.data) {
  lo = Math.min(lo, v);
  hi = Math.max(hi, v);
}
console.log(
  `ZeroQ: ${count} images, ${iterations} iterations, statistics ${statistics}, range ${rangeArg}, seed ${seed}, ${
    seconds.toFixed(0)
  } s; layers ${z.layers.join(", ")}; distilled values in [${lo.toFixed(2)}, ${hi.toFixed(2)}]`,
);
console.log(`W8A8, ZeroQ calibration: ${pct(zeroAcc)}, ${db()}`);
const noise = Array.from({ length: Math.ceil(count / 32) }, (_, b) => {
  const n = Math.min(32, count - b * 32);
  const d = distillData(net, {
    sampleShape: [1, 28, 28],
    count: n,
    iterations: 1,
    lr: 1e-12,
    seed: seed + 1000 + b,
  });
  return d.batches[0];
});
const noiseGraph = await quantizeStatic(g, noise);
const noiseAcc = accuracy(noiseGraph);
const noiseDb = lastSqnr;
/** Activation scales of a QDQ graph relative to those of the real-data calibration. */
function scaleRatios(q: Graph): string {
  const out: string[] = [];
  for (const [v, info] of realGraph.values) {
    if (info.dtype !== "float32" || info.quant === undefined || v.endsWith("_dequantized")) {
      continue;
    }
    const other = q.values.get(v)?.quant;
    if (other === undefined) continue;
    out.push(`${v} ${(other.scale[0] / info.quant.scale[0]).toFixed(2)}`);
  }
  return out.join(", ");
}
console.log(`activation scale / real-data scale, ZeroQ: ${scaleRatios(zeroGraph)}`);
console.log(`activation scale / real-data scale, noise: ${scaleRatios(noiseGraph)}`);
console.log(`W8A8, Gaussian-noise calibration (no distillation): ${pct(noiseAcc)}, ${db()}`);
// The last layer with its output (the logits) in float, the white paper's higher-precision fix
// (§4.8): the batch-norm statistics ZeroQ matches constrain nothing after the last batch norm,
// so the logits' grid is the one ZeroQ sets worst.
const last = g.nodes.find((n) => n.outputs.includes(g.outputs[0].name));
if (last === undefined) throw new Error(`no node writes the graph output ${g.outputs[0].name}`);
const floatLast = { nodes: { [last.name]: { float: true, floatOutputs: true } } };
const realLastAcc = accuracy(await quantizeStatic(g, real, floatLast));
const realLastDb = lastSqnr;
const zeroLastAcc = accuracy(await quantizeStatic(g, z.batches, floatLast));
console.log(
  `W8A8 with ${last.name} and its output in float: real ${pct(realLastAcc)} (${
    realLastDb.toFixed(2)
  } dB), ZeroQ ${pct(zeroLastAcc)} (${lastSqnr.toFixed(2)} dB; gap ${
    (100 * (realLastAcc - zeroLastAcc)).toFixed(2)
  } points)`,
);
console.log(
  `summary ${name}: float ${pct(floatAcc)}, real ${pct(realAcc)} (${realDb.toFixed(2)} dB), ZeroQ ${
    pct(zeroAcc)
  } (${zeroDb.toFixed(2)} dB; gap ${(100 * (realAcc - zeroAcc)).toFixed(2)} points), noise ${
    pct(noiseAcc)
  } (${noiseDb.toFixed(2)} dB)`,
);
