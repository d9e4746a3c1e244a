/**
 * Quantization-aware training of the reference MNIST CNN (run from the repository root after
 * `deno task train mnist-cnn`):
 *
 *     deno task train:qat
 *
 * Loads `models/mnist-cnn.safetensors`, folds batch norm into the convolutions (Eq. F.1 of
 * fold.ts), then for each configuration inserts fake quantizers (`prepareQat`), measures the
 * accuracy before fine-tuning (post-training quantization with observers calibrated on one
 * pass over the training set), fine-tunes, and measures again. Writes
 * `models/mnist-cnn-qat-<config>.safetensors` and a summary `models/mnist-cnn-qat.json`
 * (configurations named on the command line, e.g. `deno task train:qat w8a8`, replace their
 * entries in an existing summary).
 *
 * @module
 */

import {
  Adam,
  batches,
  cosineLR,
  evaluate,
  fit,
  foldBatchNorm,
  loadMnist,
  loadSafetensors,
  noGrad,
  prepareQat,
  type QatConfig,
  randomAffine,
  saveSafetensors,
} from "../mod.ts";
import { mnistCnn } from "../models.ts";
import { RECIPES } from "./train_reference.ts";

type RunSummary = { name: string } & Record<string, unknown>;

interface QatRun {
  name: string;
  config: QatConfig;
  epochs: number;
  lr: number;
}

const RUNS: readonly QatRun[] = [
  { name: "w8a8", config: { weightBits: 8, activationBits: 8 }, epochs: 3, lr: 1e-4 },
  { name: "w4a4", config: { weightBits: 4, activationBits: 4 }, epochs: 8, lr: 5e-4 },
  {
    name: "w4a4-lsq",
    config: { weightBits: 4, activationBits: 4, weightMode: "lsq", activationMode: "lsq" },
    epochs: 8,
    lr: 5e-4,
  },
  {
    name: "w4a4-pact",
    config: { weightBits: 4, activationBits: 4, weightMode: "lsq", activationMode: "pact" },
    epochs: 8,
    lr: 5e-4,
  },
];

if (import.meta.main) {
  const recipe = RECIPES.find((r) => r.name === "mnist-cnn")!;
  let saved;
  try {
    saved = await loadSafetensors("models/mnist-cnn.safetensors");
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new Error(
        "models/mnist-cnn.safetensors is missing: run `deno task train mnist-cnn` first",
      );
    }
    throw e;
  }
  const { train, test } = await loadMnist();
  const norm = { mean: recipe.mean, std: recipe.std };
  const wanted = Deno.args.length > 0 ? RUNS.filter((r) => Deno.args.includes(r.name)) : RUNS;
  const float = mnistCnn(recipe.seed);
  float.loadStateDict(saved.stateDict);
  float.eval();
  const floatAcc = evaluate(float, test, norm).accuracy;
  const foldedAcc = evaluate(foldBatchNorm(float), test, norm).accuracy;
  console.log(`float ${(100 * floatAcc).toFixed(2)}%, BN folded ${(100 * foldedAcc).toFixed(2)}%`);
  const results: RunSummary[] = [];
  for (const run of wanted) {
    const base = mnistCnn(recipe.seed);
    base.loadStateDict(saved.stateDict);
    base.eval();
    const qat = prepareQat(foldBatchNorm(base), run.config);
    // calibration pass: observers / LSQ / PACT initialise on the training set, no updates
    qat.train();
    noGrad(() => {
      for (const b of batches(train, { batchSize: 500, ...norm })) qat.forward(b.x);
    });
    const ptq = evaluate(qat, test, norm).accuracy;
    console.log(`== ${run.name}: before fine-tuning (PTQ) ${(100 * ptq).toFixed(2)}%`);
    const steps = run.epochs * Math.ceil(train.count / recipe.batchSize);
    const history = fit(qat, train, {
      epochs: run.epochs,
      batchSize: recipe.batchSize,
      seed: recipe.seed + 100,
      optimizer: new Adam(qat.parameters(), { lr: run.lr }),
      schedule: cosineLR({ lr: run.lr, total: steps }),
      test,
      ...norm,
      augment: randomAffine({
        seed: recipe.seed + 100,
        ...recipe.augment!,
        fill: -recipe.mean / recipe.std,
      }),
    });
    const acc = evaluate(qat, test, norm).accuracy;
    console.log(
      `${run.name}: QAT ${(100 * acc).toFixed(2)}% (float ${(100 * floatAcc).toFixed(2)}%, Δ ${
        (100 * (acc - floatAcc)).toFixed(2)
      } points)`,
    );
    await saveSafetensors(`models/mnist-cnn-qat-${run.name}.safetensors`, qat.stateDict(), {
      base: "mnist-cnn.safetensors (BN folded)",
      config: JSON.stringify(run.config),
      testAccuracy: String(acc),
    });
    results.push({
      name: run.name,
      file: `mnist-cnn-qat-${run.name}.safetensors`,
      config: run.config,
      epochs: run.epochs,
      lr: run.lr,
      seed: recipe.seed + 100,
      ptqAccuracy: ptq,
      qatAccuracy: acc,
      deltaPoints: Number((100 * (acc - floatAcc)).toFixed(2)),
      samplesPerSecond: Math.round(history[history.length - 1].samplesPerSecond),
    });
  }
  let previous: RunSummary[] = [];
  try {
    previous = JSON.parse(await Deno.readTextFile("models/mnist-cnn-qat.json")).runs ?? [];
  } catch {
    previous = [];
  }
  const merged = RUNS.map((r) =>
    results.find((x) => x.name === r.name) ?? previous.find((x) => x.name === r.name)
  ).filter((x) => x !== undefined);
  await Deno.writeTextFile(
    "models/mnist-cnn-qat.json",
    JSON.stringify(
      {
        base: "mnist-cnn.safetensors",
        floatAccuracy: floatAcc,
        bnFoldedAccuracy: foldedAcc,
        layout:
          "input_fq, conv1 (+ weight_fq), relu1, relu1_fq, pool1, conv2 (+ weight_fq), relu2, relu2_fq, pool2, flatten, fc (+ weight_fq); BN folded into conv1/conv2",
        runs: merged,
      },
      null,
      2,
    ) + "\n",
  );
}
