/**
 * Dataset images as a normalised float tensor `{ data, shape }` — the same numbers
 * {@linkcode batches} feeds a model, for code outside the training loop (graph and runtime
 * converters, notebooks, agreement reports).
 *
 * @example
 * ```ts
 * import { imagesTensor } from "@lowbit/nn/images";
 * import { deepEqual } from "node:assert/strict";
 * const ds = { name: "toy", images: new Uint8Array([0, 255]), labels: new Uint8Array([0, 1]), count: 2, channels: 1, height: 1, width: 1, classes: 2 };
 * deepEqual(imagesTensor(ds, 0, 2, { mean: 0, std: 1 }).shape, [2, 1, 1, 1]);
 * ```
 *
 * @module
 */

import type { Dataset } from "./data/dataset.ts";

/** A float32 image batch `[count, C, H, W]`. */
export interface ImagesTensor {
  /** Row-major values. */
  data: Float32Array;
  /** `[count, C, H, W]`. */
  shape: number[];
}

/**
 * Images `[from, from + count)` of a dataset as a normalised float tensor
 * `[count, C, H, W]`, x = (byte/255 − mean)/std computed exactly as {@linkcode batches}
 * does (byte·(1/(255·std)) − mean/std, stored as float32), so every consumer sees the
 * training inputs bit for bit.
 *
 * @param ds The dataset.
 * @param from First image.
 * @param count Number of images.
 * @param norm Mean and standard deviation.
 * @returns The tensor.
 * @throws {RangeError} If the range is outside the dataset or std is not positive.
 *
 * @example
 * ```ts
 * import { imagesTensor } from "@lowbit/nn/images";
 * import { deepEqual } from "node:assert/strict";
 * const ds = { name: "toy", images: new Uint8Array([0, 255, 51, 102]), labels: new Uint8Array([0, 1, 1, 0]), count: 4, channels: 1, height: 1, width: 1, classes: 2 };
 * const t = imagesTensor(ds, 1, 2, { mean: 0, std: 1 });
 * deepEqual([[...t.data], t.shape], [[1, 0.20000000298023224], [2, 1, 1, 1]]);
 * ```
 */
export function imagesTensor(
  ds: Dataset,
  from: number,
  count: number,
  norm: { mean: number; std: number },
): ImagesTensor {
  if (!Number.isInteger(from) || !Number.isInteger(count) || from < 0 || count < 1) {
    throw new RangeError(`from and count must be integers ≥ 0 and ≥ 1; got ${from}, ${count}`);
  }
  if (from + count > ds.count) {
    throw new RangeError(`images [${from}, ${from + count}) exceed the ${ds.count} of ${ds.name}`);
  }
  if (!(norm.std > 0)) throw new RangeError(`norm.std must be > 0; got ${norm.std}`);
  const per = ds.channels * ds.height * ds.width;
  const a = 1 / (255 * norm.std), b = -norm.mean / norm.std;
  const data = new Float32Array(count * per);
  for (let i = 0; i < data.length; i++) data[i] = ds.images[from * per + i] * a + b;
  return { data, shape: [count, ds.channels, ds.height, ds.width] };
}
