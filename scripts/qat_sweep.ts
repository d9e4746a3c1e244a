/**
 * Quantization-aware training of the reference MNIST CNN at five bit widths (`deno task
 * train:qat-sweep`), the QAT side of notebook 04's "accuracy vs bit width, PTQ vs QAT"
 * (survey §III-G, Fig. 4: QAT recovers accuracy that PTQ loses at low precision).
 *
 * For each b in 8, 6, 4, 3, 2 (or the widths named on the command line, e.g.
 * `deno task train:qat-sweep 3 2`):
 *
 * 1. load `models/mnist-cnn.safetensors` (made by `deno task train mnist-cnn`), fold batch norm,
 *    insert fake quantizers with `prepareQat`: b-bit per-channel symmetric weights and b-bit
 *    per-tensor unsigned activations after each ReLU (min-max grids; the input stays 8-bit);
 * 2. calibrate on the first 500 training images (one batch in training mode, so the observers
 *    take that batch's ranges) and measure the test accuracy: this is post-training
 *    quantization (PTQ), the same procedure notebook 04 recomputes;
 * 3. fine-tune with the straight-through estimator (Adam, cosine learning rate, the reference
 *    recipe's batch size and seeded augmentation) and measure again.
 *
 * Writes `models/qat-sweep/mnist-cnn-w<b>a<b>.safetensors` (state dicts of the QAT model, with
 * the observers' ranges) and `models/qat-sweep/summary.json` (recipe, seeds, steps, PTQ and QAT
 * accuracy per width; entries of widths not run are kept from an existing summary).
 *
 * It lives at the repository root, beside `runtime_agreement.ts`, because it is the notebook's
 * experiment rather than part of `@lowbit/nn`; it uses only `@lowbit/nn`'s public API.
 *
 * @module
 */

import {
  Adam,
  batches,
  cosineLR,
  type Dataset,
  evaluate,
  fit,
  foldBatchNorm,
  loadMnist,
  loadSafetensors,
  mnistCnn,
  noGrad,
  prepareQat,
  randomAffine,
  saveSafetensors,
  type Sequential,
  type StateDict,
  subset,
} from "@lowbit/nn";

/** Bit widths of the sweep, widest first. */
export const SWEEP_BITS: readonly number[] = [8, 6, 4, 3, 2];
/** Training images used to calibrate the PTQ starting point (the first ones of the split). */
export const CALIBRATION_IMAGES = 500;
/** Fine-tuning passes over the 8,000 training images, the same at every width. */
export const QAT_EPOCHS = 6;
/** Peak learning rate (Adam, cosine decay to 0 over all steps). */
export const QAT_LR = 5e-4;
/** Shuffling and augmentation seed of width b: `QAT_SEED_BASE + b`. */
export const QAT_SEED_BASE = 400;

/** What `models/mnist-cnn.json` records and the sweep needs. */
export interface ReferenceRecipe {
  /** Builder seed. */
  seed: number;
  /** Training batch size. */
  batchSize: number;
  /** Input normalisation. */
  input: { mean: number; std: number };
  /** Augmentation ranges. */
  augment: { maxShift: number; maxRotation: number; maxScale: number };
}

/**
 * The sweep's quantized model of width b, calibrated (PTQ) on `calibration`.
 *
 * @param stateDict The float reference model's state dict.
 * @param recipe The reference recipe.
 * @param bits Weight and activation bit width.
 * @param calibration Images whose ranges the activation observers take.
 * @returns The QAT-ready model (batch norm folded, fake quantizers inserted), in eval mode.
 */
export function calibratedQatModel(
  stateDict: StateDict,
  recipe: ReferenceRecipe,
  bits: number,
  calibration: Dataset,
): Sequential {
  const base = mnistCnn(recipe.seed);
  base.loadStateDict(stateDict);
  base.eval();
  const q = prepareQat(foldBatchNorm(base), { weightBits: bits, activationBits: bits });
  q.train();
  noGrad(() => {
    for (const b of batches(calibration, { batchSize: calibration.count, ...recipe.input })) {
      q.forward(b.x);
    }
  });
  q.eval();
  return q;
}

interface SweepEntry {
  bits: number;
  file: string;
  config: { weightBits: number; activationBits: number };
  ptqAccuracy: number;
  qatAccuracy: number;
  epochs: number;
  steps: number;
  lr: number;
  seed: number;
  seconds: number;
  history: { epoch: number; loss: number; testAccuracy?: number }[];
}

if (import.meta.main) {
  const root = new URL("../models/", import.meta.url);
  const outDir = new URL("qat-sweep/", root);
  const recipe = JSON.parse(
    await Deno.readTextFile(new URL("mnist-cnn.json", root)),
  ) as ReferenceRecipe;
  let saved;
  try {
    saved = await loadSafetensors(new URL("mnist-cnn.safetensors", root));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new Error("models/mnist-cnn.safetensors is missing: run `deno task train mnist-cnn`");
    }
    throw e;
  }
  const wanted = Deno.args.length === 0 ? SWEEP_BITS : Deno.args.map(Number);
  for (const b of wanted) {
    if (!SWEEP_BITS.includes(b)) {
      throw new RangeError(`bit widths must be among ${SWEEP_BITS.join(", ")}; got ${b}`);
    }
  }
  const { train, test } = await loadMnist();
  const calibration = subset(train, Array.from({ length: CALIBRATION_IMAGES }, (_, i) => i));
  const norm = recipe.input;
  const float = mnistCnn(recipe.seed);
  float.loadStateDict(saved.stateDict);
  const floatAccuracy = evaluate(float, test, norm).accuracy;
  console.log(`float ${(100 * floatAccuracy).toFixed(2)}% on ${test.count} test images`);
  await Deno.mkdir(outDir, { recursive: true });
  const entries: SweepEntry[] = [];
  for (const bits of wanted) {
    const started = performance.now();
    const q = calibratedQatModel(saved.stateDict, recipe, bits, calibration);
    const ptq = evaluate(q, test, norm).accuracy;
    console.log(`== w${bits}a${bits}: PTQ ${(100 * ptq).toFixed(2)}%`);
    const seed = QAT_SEED_BASE + bits;
    const steps = QAT_EPOCHS * Math.ceil(train.count / recipe.batchSize);
    const history = fit(q, train, {
      epochs: QAT_EPOCHS,
      batchSize: recipe.batchSize,
      seed,
      optimizer: new Adam(q.parameters(), { lr: QAT_LR }),
      schedule: cosineLR({ lr: QAT_LR, total: steps }),
      test,
      ...norm,
      augment: randomAffine({ seed, ...recipe.augment, fill: -norm.mean / norm.std }),
    });
    const qat = evaluate(q, test, norm).accuracy;
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `w${bits}a${bits}: PTQ ${(100 * ptq).toFixed(2)}% → QAT ${(100 * qat).toFixed(2)}% (${
        seconds.toFixed(0)
      } s)`,
    );
    const file = `mnist-cnn-w${bits}a${bits}.safetensors`;
    await saveSafetensors(new URL(file, outDir), q.stateDict(), {
      base: "mnist-cnn.safetensors (BN folded)",
      config: JSON.stringify({ weightBits: bits, activationBits: bits }),
      ptqAccuracy: String(ptq),
      testAccuracy: String(qat),
      seed: String(seed),
    });
    entries.push({
      bits,
      file,
      config: { weightBits: bits, activationBits: bits },
      ptqAccuracy: ptq,
      qatAccuracy: qat,
      epochs: QAT_EPOCHS,
      steps,
      lr: QAT_LR,
      seed,
      seconds: Math.round(seconds),
      history: history.map((h) => ({
        epoch: h.epoch,
        loss: Number(h.loss.toFixed(5)),
        testAccuracy: h.testAccuracy,
      })),
    });
  }
  const summaryUrl = new URL("summary.json", outDir);
  let previous: SweepEntry[] = [];
  try {
    previous = JSON.parse(await Deno.readTextFile(summaryUrl)).runs ?? [];
  } catch {
    previous = [];
  }
  const runs = SWEEP_BITS.map((b) =>
    entries.find((e) => e.bits === b) ?? previous.find((e) => e.bits === b)
  ).filter((e) => e !== undefined);
  await Deno.writeTextFile(
    summaryUrl,
    JSON.stringify(
      {
        base: "mnist-cnn.safetensors",
        command: "deno task train:qat-sweep",
        floatAccuracy,
        testImages: test.count,
        calibration:
          `first ${CALIBRATION_IMAGES} training images, one batch in training mode (min-max observers)`,
        quantizers:
          "prepareQat(foldBatchNorm(mnistCnn(1)), { weightBits: b, activationBits: b }): per-channel symmetric weights [−(2^(b−1)−1), 2^(b−1)−1], per-tensor unsigned activations [0, 2^b−1] after relu1/relu2, 8-bit input, float logits",
        optimizer:
          `Adam lr ${QAT_LR}, cosine to 0 per step, ${QAT_EPOCHS} epochs, batch ${recipe.batchSize}, augmentation ${
            JSON.stringify(recipe.augment)
          }, seed ${QAT_SEED_BASE} + b`,
        runs,
      },
      null,
      2,
    ) + "\n",
  );
}
