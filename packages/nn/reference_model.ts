/**
 * Loading a trained reference model (`deno task train` writes them: `models/<name>.safetensors`
 * with the seed, normalisation and test accuracy in its metadata): the architecture is rebuilt
 * from `@lowbit/nn/models` by the file's name (or a builder the caller passes), the state dict
 * loaded, and the model put in evaluation mode. One loader for scripts, tests and notebooks.
 *
 * @module
 */

import type { Sequential } from "./module.ts";
import { fashionCnn, fashionMobileNetV2, mnistCnn, mnistMlp } from "./models.ts";
import { loadSafetensors } from "./safetensors.ts";

/** The builders of the reference models, by file name (without `.safetensors`). */
export const REFERENCE_BUILDERS: Readonly<Record<string, (seed: number) => Sequential>> = {
  "mnist-mlp": mnistMlp,
  "mnist-cnn": (seed) => mnistCnn(seed),
  "fashion-cnn": fashionCnn,
  "fashion-mbv2": (seed) => fashionMobileNetV2(seed),
};

/** A loaded reference model. */
export interface ReferenceModel {
  /** The model, weights loaded, in evaluation mode. */
  model: Sequential;
  /** Input normalisation x = (byte/255 − mean)/std the model was trained with. */
  mean: number;
  /** See `mean`. */
  std: number;
  /** The seed the architecture was built with. */
  seed: number;
  /** Test accuracy recorded at training time (a fraction), or NaN if absent. */
  testAccuracy: number;
  /** All metadata of the file. */
  metadata: Record<string, string>;
}

/**
 * Loads a reference model file.
 *
 * @param path `models/<name>.safetensors` (path or URL).
 * @param build The architecture's builder; by default the one of {@linkcode REFERENCE_BUILDERS}
 *   for the file's name.
 * @returns The model and its normalisation.
 * @throws {TypeError} If no builder is given and the file's name is not a reference model.
 * @throws {RangeError} If the metadata lacks `mean`/`std`, or the weights do not fit the
 *   architecture.
 *
 * @example A file not named after a reference model needs its builder
 * ```ts
 * import { loadReferenceModel } from "@lowbit/nn/reference-model";
 * import { rejects } from "node:assert/strict";
 * await rejects(loadReferenceModel("/tmp/unknown.safetensors"), /fashion-cnn/);
 * ```
 */
export async function loadReferenceModel(
  path: string | URL,
  build?: (seed: number) => Sequential,
): Promise<ReferenceModel> {
  const file = String(path).split(/[\\/]/).pop() ?? "";
  const name = file.replace(/\.safetensors$/, "");
  const builder = build ?? REFERENCE_BUILDERS[name];
  if (builder === undefined) {
    throw new TypeError(
      `path: "${file}" is not a reference model (${
        Object.keys(REFERENCE_BUILDERS).join(", ")
      }); pass its builder`,
    );
  }
  const { stateDict, metadata } = await loadSafetensors(path);
  const mean = Number(metadata.mean), std = Number(metadata.std);
  if (!Number.isFinite(mean) || !(std > 0)) {
    throw new RangeError(`path: ${file} has no valid mean/std metadata`);
  }
  const seed = Number(metadata.seed ?? 1);
  const model = builder(seed);
  model.loadStateDict(stateDict);
  model.eval();
  return {
    model,
    mean,
    std,
    seed,
    testAccuracy: metadata.testAccuracy === undefined ? NaN : Number(metadata.testAccuracy),
    metadata,
  };
}
