/**
 * The reference architectures trained by `deno task train` (weights under `models/`, see the
 * package README). Layer names are the state-dict prefixes; inputs are `[N, 1, 28, 28]` images
 * normalised as (byte/255 − mean)/std with the mean and std recorded in each model's JSON.
 *
 * - {@linkcode mnistMlp}: flatten → fc1 784→256 → relu1 → fc2 256→128 → relu2 → fc3 128→10.
 * - {@linkcode mnistCnn}: conv1 1→c1 5×5 pad 2 → bn1 → relu1 → pool1 2×2 → conv2 c1→c2 5×5
 *   pad 2 → bn2 → relu2 → pool2 2×2 → flatten → fc c2·7·7→10 (c1 = 8, c2 = 16: 11,322
 *   parameters).
 * - {@linkcode fashionCnn}: conv1 1→16 → bn1 → relu1 → pool1 → conv2 16→32 → bn2 → relu2 →
 *   pool2 → flatten → fc1 1568→128 → relu3 → fc2 128→10 (3×3 convolutions, padding 1,
 *   2×2 max pooling).
 *
 * Weights are initialised from `new Philox(seed, 1)`.
 *
 * @example
 * ```ts
 * import { mnistCnn } from "@lowbit/nn/models";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(mnistCnn(0).forward(Variable.zeros([2, 1, 28, 28])).shape, [2, 10]);
 * ```
 *
 * @module
 */

import { Philox } from "@lowbit/rounding/philox";
import { BatchNorm2d } from "./batchnorm.ts";
import { Conv2d } from "./conv2d.ts";
import { Flatten, MaxPool2d, ReLU } from "./layers.ts";
import { Linear } from "./linear.ts";
import { Sequential } from "./module.ts";

/**
 * The MNIST multilayer perceptron 784-256-128-10.
 *
 * @param seed Initialisation seed.
 * @returns The model.
 *
 * @example
 * ```ts
 * import { mnistMlp } from "@lowbit/nn/models";
 * import { equal } from "node:assert/strict";
 * equal(mnistMlp(0).parameters().reduce((a, p) => a + p.size, 0), 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10);
 * ```
 */
export function mnistMlp(seed: number): Sequential {
  const random = new Philox(seed, 1);
  return new Sequential([
    ["flatten", new Flatten()],
    ["fc1", new Linear(784, 256, { random })],
    ["relu1", new ReLU()],
    ["fc2", new Linear(256, 128, { random })],
    ["relu2", new ReLU()],
    ["fc3", new Linear(128, 10, { random })],
  ]);
}

/**
 * The small MNIST CNN (two 5×5 conv + BN + ReLU + max-pool stages, one linear layer).
 *
 * @param seed Initialisation seed.
 * @param channels [c1, c2] (default [8, 16]).
 * @returns The model.
 *
 * @example
 * ```ts
 * import { mnistCnn } from "@lowbit/nn/models";
 * import { deepEqual, equal } from "node:assert/strict";
 * equal(mnistCnn(0).parameters().reduce((a, p) => a + p.size, 0), 11322);
 * deepEqual(mnistCnn(0).layers.map(([n]) => n), ["conv1", "bn1", "relu1", "pool1", "conv2", "bn2", "relu2", "pool2", "flatten", "fc"]);
 * ```
 */
export function mnistCnn(seed: number, channels: readonly [number, number] = [8, 16]): Sequential {
  const random = new Philox(seed, 1);
  const [c1, c2] = channels;
  return new Sequential([
    ["conv1", new Conv2d(1, c1, 5, { random, padding: 2 })],
    ["bn1", new BatchNorm2d(c1)],
    ["relu1", new ReLU()],
    ["pool1", new MaxPool2d({ kernel: 2 })],
    ["conv2", new Conv2d(c1, c2, 5, { random, padding: 2 })],
    ["bn2", new BatchNorm2d(c2)],
    ["relu2", new ReLU()],
    ["pool2", new MaxPool2d({ kernel: 2 })],
    ["flatten", new Flatten()],
    ["fc", new Linear(c2 * 49, 10, { random })],
  ]);
}

/**
 * The Fashion-MNIST CNN (two 3×3 conv stages of 16 and 32 channels, a 128-unit hidden layer).
 *
 * @param seed Initialisation seed.
 * @returns The model.
 *
 * @example
 * ```ts
 * import { fashionCnn } from "@lowbit/nn/models";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(fashionCnn(0).namedParameters().map(([n]) => n).slice(-4), ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]);
 * ```
 */
export function fashionCnn(seed: number): Sequential {
  const random = new Philox(seed, 1);
  return new Sequential([
    ["conv1", new Conv2d(1, 16, 3, { random, padding: 1 })],
    ["bn1", new BatchNorm2d(16)],
    ["relu1", new ReLU()],
    ["pool1", new MaxPool2d({ kernel: 2 })],
    ["conv2", new Conv2d(16, 32, 3, { random, padding: 1 })],
    ["bn2", new BatchNorm2d(32)],
    ["relu2", new ReLU()],
    ["pool2", new MaxPool2d({ kernel: 2 })],
    ["flatten", new Flatten()],
    ["fc1", new Linear(32 * 49, 128, { random })],
    ["relu3", new ReLU()],
    ["fc2", new Linear(128, 10, { random })],
  ]);
}
