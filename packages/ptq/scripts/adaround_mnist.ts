/**
 * AdaRound vs round-to-nearest on the trained MNIST CNN (`models/mnist-cnn.safetensors`):
 * batch norms folded, calibration on 256 training digits, accuracy on 1000 test digits that
 * calibration never sees, per-channel weights at W4A8 and W3A8 (and W2A8), uint8 min-max
 * activations.
 *
 *     deno run -A packages/ptq/scripts/adaround_mnist.ts [iterations=2000] [seeds=0] [bits=4,3,2]
 *
 * `seeds` is a comma-separated list (e.g. `0,1,2`): AdaRound runs once per seed and the
 * summary gives each accuracy and their mean.
 *
 * @module
 */

import { eliminateDeadCode, foldBatchNorm, fromNn, type Graph, runFloat } from "@lowbit/graph";
import { type Dataset, imagesTensor, loadMnist, loadReferenceModel } from "@lowbit/nn";
import { adaround, quantizeStatic } from "../mod.ts";

const iterations = Number(Deno.args[0] ?? 2000);
const seeds = (Deno.args[1] ?? "0").split(",").map(Number);
const widths = (Deno.args[2] ?? "4,3,2").split(",").map(Number);
const root = new URL("../../../", import.meta.url);
const ref = await loadReferenceModel(new URL("models/mnist-cnn.safetensors", root));
const g0 = eliminateDeadCode(foldBatchNorm(fromNn(ref.model, { inputShape: [1, 1, 28, 28] })));
const g: Graph = { ...g0, inputs: g0.inputs.map((i) => ({ ...i, shape: ["N", 1, 28, 28] })) };

const { train, test } = await loadMnist();
function batch(ds: Dataset, from: number, count: number) {
  return { input: imagesTensor(ds, from, count, ref) };
}
const calib = Array.from({ length: 8 }, (_, b) => batch(train, b * 32, 32));
const evalCount = 1000;
const evalBatches = Array.from(
  { length: evalCount / 100 },
  (_, b) => batch(test, b * 100, 100),
);
function accuracy(q: Graph): number {
  let correct = 0;
  evalBatches.forEach((s, b) => {
    const y = runFloat(q, s).output.data as Float32Array;
    for (let i = 0; i < 100; i++) {
      let best = 0;
      for (let c = 1; c < 10; c++) if (y[i * 10 + c] > y[i * 10 + best]) best = c;
      if (best === test.labels[b * 100 + i]) correct++;
    }
  });
  return correct / evalCount;
}

console.log(
  `MNIST CNN, BN folded; calibration 256 train digits, evaluation ${evalCount} test digits`,
);
console.log(`AdaRound: ${iterations} iterations per layer, seeds ${seeds.join(", ")}`);
console.log(`float accuracy ${(100 * accuracy(g)).toFixed(1)}%`);
const summary: string[] = [];
for (const bits of widths) {
  const nearest = accuracy(await quantizeStatic(g, calib, { weights: { bits } }));
  const accs: number[] = [];
  for (const seed of seeds) {
    const t0 = performance.now();
    const r = await adaround(g, calib, {
      bits,
      iterations,
      seed,
      activations: {},
      progressEvery: Math.max(1, Math.floor(iterations / 4)),
      onProgress: (p) =>
        console.log(
          `  ${p.node} it ${p.iteration}/${p.iterations} beta ${p.beta?.toFixed(1) ?? "-"} rec ${
            p.reconstruction.toExponential(3)
          } reg ${p.regularizer.toExponential(3)}`,
        ),
    });
    const ada = await quantizeStatic(g, calib, { weights: { bits }, nodes: r.overrides });
    for (const l of r.layers) {
      console.log(
        `  ${l.node}: mse nearest ${l.mseNearest.toExponential(3)} adaround ${
          l.mseAdaRound.toExponential(3)
        }, flipped ${(100 * l.flipped).toFixed(1)}%, ${l.seconds.toFixed(1)} s`,
      );
    }
    const a = accuracy(ada);
    accs.push(a);
    console.log(
      `W${bits}A8 per-channel, seed ${seed}: nearest ${(100 * nearest).toFixed(1)}%, AdaRound ${
        (100 * a).toFixed(1)
      }% (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
    );
  }
  const mean = accs.reduce((x, y) => x + y, 0) / accs.length;
  summary.push(
    `W${bits}A8 per-channel: nearest ${(100 * nearest).toFixed(1)}%, AdaRound ${
      accs.map((a) => (100 * a).toFixed(1) + "%").join(" / ")
    } (mean ${(100 * mean).toFixed(2)}%)`,
  );
}
console.log(summary.join("\n"));
