/**
 * Times one training epoch of the reference MNIST CNN on the 8,000 training digits (batch 64,
 * AdamW, with the reference augmentation), after one warm-up epoch, and prints samples/s:
 *
 *     deno run -A packages/nn/scripts/bench_epoch.ts [mnist-cnn|mnist-mlp|fashion-cnn]
 *
 * @module
 */

import { AdamW, fit, loadFashionMnist, loadMnist, randomAffine } from "../mod.ts";
import { RECIPES } from "./train_reference.ts";

const name = Deno.args[0] ?? "mnist-cnn";
const r = RECIPES.find((x) => x.name === name);
if (r === undefined) throw new RangeError(`unknown model ${name}`);
const { train } = r.dataset === "mnist" ? await loadMnist() : await loadFashionMnist();
const model = r.build(r.seed);
const opt = new AdamW(model.parameters(), { lr: r.lr, weightDecay: r.weightDecay });
const h = fit(model, train, {
  epochs: 2,
  batchSize: r.batchSize,
  seed: r.seed,
  optimizer: opt,
  mean: r.mean,
  std: r.std,
  augment: r.augment === null ? undefined : randomAffine({ seed: r.seed, ...r.augment }),
  log: () => {},
});
const e = h[1];
console.log(
  `${name}: one epoch of ${train.count} images in ${e.seconds.toFixed(2)} s = ${
    e.samplesPerSecond.toFixed(0)
  } samples/s (second epoch; forward + backward + AdamW step + augmentation)`,
);
