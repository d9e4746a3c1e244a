/**
 * Data-free distillation inputs: images synthesised from the teacher alone (ZeroQ's
 * `distillData` of `@lowbit/ptq`, which matches every batch norm's stored statistics; Cai et
 * al. 2020) become a `Dataset` that {@linkcode distill} can train on. The synthetic images live
 * in the normalised input space; {@linkcode syntheticDataset} maps them back to bytes
 * (byte = round(255·(x·std + mean)), clamped to 0..255) and labels each with the teacher's
 * arg-max on the stored bytes, so the labels describe exactly the images the student will
 * see. Train with α = 0 (soft targets only) when the teacher's labels should not count as
 * ground truth.
 *
 * @example
 * ```ts
 * import { syntheticDataset } from "@lowbit/distill/data-free";
 * import { Flatten } from "@lowbit/nn/layers";
 * import { deepEqual } from "node:assert/strict";
 * // Two 1×1×2 "images" in normalised space (mean 0.5, std 0.5): bytes 255, 0 and 0, 255.
 * const ds = syntheticDataset(new Float32Array([1, -1, -1, 1]), [1, 1, 2], new Flatten(), { mean: 0.5, std: 0.5 });
 * deepEqual([...ds.images], [255, 0, 0, 255]);
 * deepEqual([...ds.labels], [0, 1]); // the teacher (logits = pixels) picks the brighter pixel
 * ```
 *
 * @module
 */

import { noGrad } from "@lowbit/nn/autograd";
import { batches, type Dataset } from "@lowbit/nn/data/dataset";
import type { Module } from "@lowbit/nn/module";
import type { Normalization } from "@lowbit/nn/train";

/**
 * A dataset of synthetic images labelled by the teacher.
 *
 * @param data Normalised images, row-major `[count, C, H, W]` (e.g. `distillData(...).data`).
 * @param sampleShape `[C, H, W]`.
 * @param teacher The teacher (logits `[B, classes]`), run in evaluation mode.
 * @param options Normalisation of the inputs (default mean 0, std 1), dataset name.
 * @returns The dataset (`classes` from the teacher's output width).
 * @throws {RangeError} If `sampleShape` is not 3 positive integers, `data`'s length is not a
 *   multiple of it, or std is not positive.
 *
 * @example Out-of-range values are clamped to bytes
 * ```ts
 * import { syntheticDataset } from "@lowbit/distill/data-free";
 * import { Flatten } from "@lowbit/nn/layers";
 * import { deepEqual, throws } from "node:assert/strict";
 * deepEqual([...syntheticDataset(new Float32Array([9, -9]), [1, 1, 2], new Flatten()).images], [255, 0]);
 * throws(() => syntheticDataset(new Float32Array(3), [1, 1, 2], new Flatten()), /multiple/);
 * ```
 */
export function syntheticDataset(
  data: Float32Array,
  sampleShape: readonly number[],
  teacher: Module,
  options: Normalization & { name?: string } = {},
): Dataset {
  if (sampleShape.length !== 3 || !sampleShape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new RangeError(
      `sampleShape must be [C, H, W] of positive integers; got [${sampleShape}]`,
    );
  }
  const [channels, height, width] = sampleShape;
  const size = channels * height * width;
  if (data.length === 0 || data.length % size !== 0) {
    throw new RangeError(`data has ${data.length} values, not a positive multiple of ${size}`);
  }
  const mean = options.mean ?? 0, std = options.std ?? 1;
  if (!(std > 0)) throw new RangeError(`options.std must be positive; got ${String(std)}`);
  const count = data.length / size;
  const images = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    images[i] = Math.min(255, Math.max(0, Math.round(255 * (data[i] * std + mean))));
  }
  const labels = new Uint8Array(count);
  const unlabelled: Dataset = {
    name: options.name ?? "synthetic",
    images,
    labels,
    count,
    channels,
    height,
    width,
    classes: 0,
  };
  let classes = 0, k = 0;
  const was = teacher.training;
  teacher.eval();
  try {
    noGrad(() => {
      for (const b of batches(unlabelled, { batchSize: 256, mean, std })) {
        const z = teacher.forward(b.x);
        const c = z.shape[1];
        classes = c;
        for (let i = 0; i < b.labels.length; i++) {
          let best = 0;
          for (let j = 1; j < c; j++) if (z.data[i * c + j] > z.data[i * c + best]) best = j;
          labels[k++] = best;
        }
      }
    });
  } finally {
    teacher.train(was);
  }
  return { ...unlabelled, classes };
}
