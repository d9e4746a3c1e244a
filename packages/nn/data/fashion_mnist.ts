/**
 * Fashion-MNIST (Xiao et al. 2017: 60,000 training and 10,000 test 28×28 greyscale images of
 * 10 clothing classes, 6,000 and 1,000 per class) from Debian's `dataset-fashion-mnist`, which
 * installs the original IDX gz files under `/usr/share/datasets/fashion-mnist/`. The official
 * train/test split is kept.
 *
 * @example
 * ```ts
 * import { FASHION_MNIST_CLASSES } from "@lowbit/nn/data/fashion-mnist";
 * import { equal } from "node:assert/strict";
 * equal(FASHION_MNIST_CLASSES[9], "Ankle boot");
 * ```
 *
 * @module
 */

import type { Dataset, DatasetSplit } from "./dataset.ts";
import { gunzip, parseIdx } from "./idx.ts";

/** Where Debian's `dataset-fashion-mnist` puts the files. */
export const FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist/";

/** Fashion-MNIST class names, by label. */
export const FASHION_MNIST_CLASSES: readonly string[] = Object.freeze([
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
]);

const INSTALL_FASHION =
  "install the Debian package dataset-fashion-mnist: `apt-get install -y --no-install-recommends dataset-fashion-mnist` (or `bash scripts/setup.sh`)";

async function readIdxGz(path: string): Promise<{ shape: number[]; data: Uint8Array }> {
  let gz: Uint8Array<ArrayBuffer>;
  try {
    gz = await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new Error(`dataset file ${path} is missing: ${INSTALL_FASHION}`);
    }
    throw e;
  }
  return parseIdx(await gunzip(gz));
}

/**
 * Fashion-MNIST's official split: 60,000 training and 10,000 test images.
 *
 * @param options `dir` (default {@linkcode FASHION_MNIST_DIR}).
 * @returns `{ train, test }`.
 * @throws {Error} If a file is missing (the message names the Debian package and the command).
 * @throws {RangeError} If the files are malformed or disagree in count.
 *
 * @example
 * ```ts
 * import { loadFashionMnist } from "@lowbit/nn/data/fashion-mnist";
 * import { rejects } from "node:assert/strict";
 * await rejects(loadFashionMnist({ dir: "/nonexistent/" }), /dataset-fashion-mnist/);
 * ```
 */
export async function loadFashionMnist(options: { dir?: string } = {}): Promise<DatasetSplit> {
  const dir = (options.dir ?? FASHION_MNIST_DIR).replace(/\/?$/, "/");
  const part = async (prefix: string, name: string): Promise<Dataset> => {
    const img = await readIdxGz(`${dir}${prefix}-images-idx3-ubyte.gz`);
    const lab = await readIdxGz(`${dir}${prefix}-labels-idx1-ubyte.gz`);
    if (img.shape.length !== 3 || lab.shape.length !== 1 || img.shape[0] !== lab.shape[0]) {
      throw new RangeError(
        `${prefix}: images [${img.shape}] and labels [${lab.shape}] do not pair up`,
      );
    }
    return {
      name,
      images: img.data,
      labels: lab.data,
      count: lab.shape[0],
      channels: 1,
      height: img.shape[1],
      width: img.shape[2],
      classes: 10,
    };
  };
  return { train: await part("train", "fashion-train"), test: await part("t10k", "fashion-test") };
}
