/**
 * Image-classification datasets in memory, seeded shuffling and batching. A
 * {@linkcode Dataset} keeps images as bytes (0..255, `[count][channels·height·width]`) and
 * labels as bytes; {@linkcode batches} turns them into normalized float32 `[B, C, H, W]`
 * Variables, x = (byte/255 − mean)/std, in a seeded order.
 *
 * @example
 * ```ts
 * import { batches, type Dataset } from "@lowbit/nn/data/dataset";
 * import { deepEqual } from "node:assert/strict";
 * const ds: Dataset = { name: "toy", images: new Uint8Array([0, 255, 51, 102]), labels: new Uint8Array([0, 1, 1, 0]), count: 4, channels: 1, height: 1, width: 1, classes: 2 };
 * const [first] = [...batches(ds, { batchSize: 2 })];
 * deepEqual([...first.x.data], [0, 1]);
 * deepEqual(first.x.shape, [2, 1, 1, 1]);
 * ```
 *
 * @module
 */

import { Philox } from "@lowbit/rounding/philox";
import { Variable } from "../autograd.ts";

/** Images and labels in memory. */
export interface Dataset {
  /** A short name (for logs). */
  name: string;
  /** Pixel bytes, `[count][channels·height·width]` row-major. */
  images: Uint8Array;
  /** Class labels in [0, classes). */
  labels: Uint8Array;
  /** Number of examples. */
  count: number;
  /** Channels C. */
  channels: number;
  /** Height H. */
  height: number;
  /** Width W. */
  width: number;
  /** Number of classes. */
  classes: number;
}

/**
 * A uniform integer in [0, n) from 32-bit draws, without modulo bias (rejection).
 *
 * @param random The seeded source.
 * @param n The bound, 1 ≤ n ≤ 2^32.
 * @returns The integer.
 *
 * @example
 * ```ts
 * import { uniformInt } from "@lowbit/nn/data/dataset";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { ok } from "node:assert/strict";
 * const r = new Philox(1);
 * ok(Array.from({ length: 100 }, () => uniformInt(r, 6)).every((v) => v >= 0 && v < 6));
 * ```
 */
export function uniformInt(random: { nextUint32(): number }, n: number): number {
  const limit = 4294967296 - (4294967296 % n);
  for (;;) {
    const u = random.nextUint32();
    if (u < limit) return u % n;
  }
}

/**
 * A seeded permutation of 0..n−1 (Fisher–Yates with Philox(seed, stream)).
 *
 * @param n The length.
 * @param seed The seed.
 * @param stream The stream (e.g. the epoch), default 0.
 * @returns The permutation.
 *
 * @example
 * ```ts
 * import { permutation } from "@lowbit/nn/data/dataset";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...permutation(5, 1)].sort(), [0, 1, 2, 3, 4]);
 * deepEqual(permutation(50, 7, 2), permutation(50, 7, 2));
 * ```
 */
export function permutation(n: number, seed: number, stream = 0): Int32Array {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  const r = new Philox(seed, stream);
  for (let i = n - 1; i > 0; i--) {
    const j = uniformInt(r, i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/**
 * The examples at `indices`, as a new dataset.
 *
 * @param ds The source.
 * @param indices Which examples, in order.
 * @param name The new name (default the source's).
 * @returns The subset (copied).
 * @throws {RangeError} If an index is out of range.
 *
 * @example
 * ```ts
 * import { subset, type Dataset } from "@lowbit/nn/data/dataset";
 * import { deepEqual } from "node:assert/strict";
 * const ds: Dataset = { name: "t", images: new Uint8Array([1, 2, 3]), labels: new Uint8Array([0, 1, 0]), count: 3, channels: 1, height: 1, width: 1, classes: 2 };
 * deepEqual([...subset(ds, [2, 0]).images], [3, 1]);
 * ```
 */
export function subset(ds: Dataset, indices: ArrayLike<number>, name = ds.name): Dataset {
  const size = ds.channels * ds.height * ds.width;
  const images = new Uint8Array(indices.length * size);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i];
    if (!Number.isInteger(k) || k < 0 || k >= ds.count) {
      throw new RangeError(`indices[${i}] = ${k} is outside 0..${ds.count - 1}`);
    }
    images.set(ds.images.subarray(k * size, (k + 1) * size), i * size);
    labels[i] = ds.labels[k];
  }
  return { ...ds, name, images, labels, count: indices.length };
}

/** A train/test pair. */
export interface DatasetSplit {
  /** Training set. */
  train: Dataset;
  /** Test set. */
  test: Dataset;
}

/** One mini-batch. */
export interface Batch {
  /** Normalized images `[B, C, H, W]`. */
  x: Variable;
  /** Labels. */
  labels: Int32Array;
}

/** Options of {@linkcode batches}. */
export interface BatchOptions {
  /** Examples per batch (the last one may be smaller unless `dropLast`). */
  batchSize: number;
  /** Shuffle with this seed (default: dataset order). */
  seed?: number;
  /** The epoch: selects the Philox stream, so each epoch has its own order (default 0). */
  epoch?: number;
  /** Normalisation x = (byte/255 − mean)/std (default mean 0, std 1). */
  mean?: number;
  /** See `mean`. */
  std?: number;
  /** Drop a final partial batch (default false). */
  dropLast?: boolean;
}

/**
 * Iterates over mini-batches in dataset or seeded shuffled order.
 *
 * @param ds The dataset.
 * @param options Batch size, seed, epoch, normalisation.
 * @returns A generator of batches.
 * @throws {RangeError} If the batch size is not a positive integer or std is not positive.
 *
 * @example
 * ```ts
 * import { batches, type Dataset } from "@lowbit/nn/data/dataset";
 * import { equal } from "node:assert/strict";
 * const ds: Dataset = { name: "t", images: new Uint8Array(10), labels: new Uint8Array(10), count: 10, channels: 1, height: 1, width: 1, classes: 1 };
 * equal([...batches(ds, { batchSize: 4, seed: 1 })].length, 3);
 * equal([...batches(ds, { batchSize: 4, dropLast: true })].length, 2);
 * ```
 */
export function* batches(ds: Dataset, options: BatchOptions): Generator<Batch> {
  const bs = options.batchSize;
  if (!Number.isInteger(bs) || bs < 1) {
    throw new RangeError(`options.batchSize must be a positive integer; got ${String(bs)}`);
  }
  const mean = options.mean ?? 0, std = options.std ?? 1;
  if (!(std > 0)) throw new RangeError(`options.std must be positive; got ${String(std)}`);
  const order = options.seed === undefined
    ? Int32Array.from({ length: ds.count }, (_, i) => i)
    : permutation(ds.count, options.seed, options.epoch ?? 0);
  const size = ds.channels * ds.height * ds.width;
  const a = 1 / (255 * std), b = -mean / std;
  for (let start = 0; start < ds.count; start += bs) {
    const n = Math.min(bs, ds.count - start);
    if (n < bs && options.dropLast) return;
    const data = new Float32Array(n * size);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const k = order[start + i];
      labels[i] = ds.labels[k];
      const src = k * size, dst = i * size;
      for (let j = 0; j < size; j++) data[dst + j] = ds.images[src + j] * a + b;
    }
    yield { x: new Variable(data, [n, ds.channels, ds.height, ds.width]), labels };
  }
}
