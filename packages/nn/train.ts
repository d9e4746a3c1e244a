/**
 * The training loop: seeded shuffled mini-batches, forward, loss, backward, optimizer step,
 * an optional learning-rate schedule, evaluation after each epoch, and one progress line per
 * epoch (epoch, mean training loss, training and test accuracy, samples/s, learning rate).
 * A non-finite loss stops training with an error naming the epoch and step.
 *
 * Determinism: with the same seed, model initialisation and data, every run performs the same
 * float32 operations in the same order (the kernels are deterministic), so the results repeat
 * to the last bit.
 *
 * @example Fit a tiny linear classifier
 * ```ts
 * import { evaluate, fit } from "@lowbit/nn/train";
 * import { Flatten, Linear, Sequential, SGD } from "@lowbit/nn";
 * import type { Dataset } from "@lowbit/nn/data/dataset";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { equal } from "node:assert/strict";
 * const ds: Dataset = { name: "toy", images: new Uint8Array([0, 255, 255, 0, 10, 250, 240, 5]), labels: new Uint8Array([0, 1, 0, 1]), count: 4, channels: 1, height: 1, width: 2, classes: 2 };
 * const model = new Sequential([new Flatten(), new Linear(2, 2, { random: new Philox(1) })]);
 * fit(model, ds, { epochs: 30, batchSize: 2, seed: 1, optimizer: new SGD(model.parameters(), { lr: 0.5 }), log: () => {} });
 * equal(evaluate(model, ds).accuracy, 1);
 * ```
 *
 * @module
 */

import { noGrad, type Variable } from "./autograd.ts";
import { type Batch, batches, type Dataset } from "./data/dataset.ts";
import { softmaxCrossEntropy } from "./losses.ts";
import type { Module } from "./module.ts";
import type { Optimizer } from "./optim.ts";
import type { Schedule } from "./schedule.ts";

/** Normalisation x = (byte/255 − mean)/std applied to every batch. */
export interface Normalization {
  /** Default 0. */
  mean?: number;
  /** Default 1. */
  std?: number;
}

/** Options of {@linkcode fit}. */
export interface FitOptions extends Normalization {
  /** Passes over the training set. */
  epochs: number;
  /** Examples per step. */
  batchSize: number;
  /** Shuffling seed (epoch e uses Philox stream e). */
  seed: number;
  /** The optimizer over the model's parameters. */
  optimizer: Optimizer;
  /** Learning rate per step (`scheduleUnit: "step"`, default) or per epoch. */
  schedule?: Schedule;
  /** What the schedule's index counts (default `"step"`). */
  scheduleUnit?: "step" | "epoch";
  /** Evaluated after every epoch when given. */
  test?: Dataset;
  /** The loss (default softmax cross-entropy); gets the logits and the batch. */
  loss?: (logits: Variable, batch: Batch) => Variable;
  /** Transforms each training batch before the forward pass (augmentation). */
  augment?: (batch: Batch) => Batch;
  /** Receives the progress lines (default `console.log`). */
  log?: (line: string) => void;
}

/** What one epoch measured. */
export interface EpochStats {
  /** 1-based epoch. */
  epoch: number;
  /** Mean training loss over the epoch's batches (weighted by batch size). */
  loss: number;
  /** Training accuracy measured on the fly (training mode). */
  trainAccuracy: number;
  /** Test accuracy after the epoch (evaluation mode), if a test set was given. */
  testAccuracy?: number;
  /** Training throughput (forward + backward + step), examples per second. */
  samplesPerSecond: number;
  /** Training time of the epoch in seconds. */
  seconds: number;
  /** Learning rate at the epoch's last step. */
  lr: number;
}

/**
 * How many rows' arg-max equals the label (ties go to the lowest index).
 *
 * @param logits `[N, C]`.
 * @param labels N labels.
 * @returns The count of correct rows.
 *
 * @example
 * ```ts
 * import { countCorrect } from "@lowbit/nn/train";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { equal } from "node:assert/strict";
 * equal(countCorrect(Variable.from([1, 2, 5, 0], [2, 2]), new Int32Array([1, 1])), 1);
 * ```
 */
export function countCorrect(logits: Variable, labels: ArrayLike<number>): number {
  const [n, c] = logits.shape;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < c; j++) if (logits.data[i * c + j] > logits.data[i * c + best]) best = j;
    if (best === labels[i]) correct++;
  }
  return correct;
}

/** The result of {@linkcode evaluate}. */
export interface Evaluation {
  /** Fraction of correct predictions. */
  accuracy: number;
  /** Number of correct predictions. */
  correct: number;
  /** Mean softmax cross-entropy. */
  loss: number;
}

/**
 * Accuracy and loss on a dataset in evaluation mode, without recording a graph. The model's
 * training flag is restored afterwards.
 *
 * @param model The classifier (outputs logits `[N, classes]`).
 * @param ds The dataset.
 * @param options Normalisation and batch size (default 500).
 * @returns Accuracy, correct count, loss.
 *
 * @example
 * ```ts
 * import { evaluate } from "@lowbit/nn/train";
 * import { Flatten } from "@lowbit/nn/layers";
 * import type { Dataset } from "@lowbit/nn/data/dataset";
 * import { equal } from "node:assert/strict";
 * const ds: Dataset = { name: "t", images: new Uint8Array([255, 0, 0, 255]), labels: new Uint8Array([0, 0]), count: 2, channels: 1, height: 1, width: 2, classes: 2 };
 * equal(evaluate(new Flatten(), ds).accuracy, 0.5); // logits are the pixels
 * ```
 */
export function evaluate(
  model: Module,
  ds: Dataset,
  options: Normalization & { batchSize?: number } = {},
): Evaluation {
  const wasTraining = model.training;
  model.eval();
  let correct = 0, loss = 0;
  try {
    noGrad(() => {
      for (const b of batches(ds, { batchSize: options.batchSize ?? 500, ...options })) {
        const logits = model.forward(b.x);
        correct += countCorrect(logits, b.labels);
        loss += softmaxCrossEntropy(logits, b.labels).data[0] * b.labels.length;
      }
    });
  } finally {
    model.train(wasTraining);
  }
  return { accuracy: correct / ds.count, correct, loss: loss / ds.count };
}

/**
 * Trains a model; returns one {@linkcode EpochStats} per epoch.
 *
 * @param model The model (put in training mode).
 * @param train The training set.
 * @param options Epochs, batch size, seed, optimizer, schedule, test set, loss, logging.
 * @returns The per-epoch statistics.
 * @throws {Error} When a loss is NaN or infinite: the message names the epoch and step.
 * @throws {RangeError} If `epochs` is not a positive integer.
 *
 * @example A NaN loss stops training at the step where it happens
 * ```ts
 * import { fit } from "@lowbit/nn/train";
 * import { Flatten, Linear, Sequential, SGD } from "@lowbit/nn";
 * import type { Dataset } from "@lowbit/nn/data/dataset";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { throws } from "node:assert/strict";
 * const ds: Dataset = { name: "t", images: new Uint8Array([0, 255, 255, 0]), labels: new Uint8Array([0, 1]), count: 2, channels: 1, height: 1, width: 2, classes: 2 };
 * const model = new Sequential([new Flatten(), new Linear(2, 2, { random: new Philox(1) })]);
 * const opt = new SGD(model.parameters(), { lr: 0.1 });
 * throws(() => fit(model, ds, { epochs: 1, batchSize: 1, seed: 1, optimizer: opt, loss: (z) => z.sum().mulScalar(NaN), log: () => {} }), /loss is NaN at epoch 1, step 1/);
 * ```
 */
export function fit(model: Module, train: Dataset, options: FitOptions): EpochStats[] {
  if (!Number.isInteger(options.epochs) || options.epochs < 1) {
    throw new RangeError(`options.epochs must be a positive integer; got ${options.epochs}`);
  }
  const log = options.log ?? console.log;
  const lossFn = options.loss ?? ((z: Variable, b: Batch) => softmaxCrossEntropy(z, b.labels));
  const unit = options.scheduleUnit ?? "step";
  const opt = options.optimizer;
  const history: EpochStats[] = [];
  let globalStep = 0;
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    model.train();
    if (options.schedule && unit === "epoch") opt.lr = options.schedule(epoch - 1);
    let lossSum = 0, correct = 0, seen = 0, step = 0;
    const t0 = performance.now();
    for (
      let b of batches(train, {
        batchSize: options.batchSize,
        seed: options.seed,
        epoch: epoch - 1,
        mean: options.mean,
        std: options.std,
      })
    ) {
      step++;
      if (options.augment) b = options.augment(b);
      if (options.schedule && unit === "step") opt.lr = options.schedule(globalStep);
      const logits = model.forward(b.x);
      const loss = lossFn(logits, b);
      const l = loss.data[0];
      if (!Number.isFinite(l)) {
        throw new Error(
          `loss is ${l} at epoch ${epoch}, step ${step} (global step ${
            globalStep + 1
          }, learning rate ${opt.lr}); training stopped — lower the learning rate or check the inputs`,
        );
      }
      opt.zeroGrad();
      loss.backward();
      opt.step();
      globalStep++;
      lossSum += l * b.labels.length;
      correct += countCorrect(logits, b.labels);
      seen += b.labels.length;
    }
    const seconds = (performance.now() - t0) / 1000;
    const stats: EpochStats = {
      epoch,
      loss: lossSum / seen,
      trainAccuracy: correct / seen,
      samplesPerSecond: seen / seconds,
      seconds,
      lr: opt.lr,
    };
    if (options.test) {
      stats.testAccuracy = evaluate(model, options.test, {
        mean: options.mean,
        std: options.std,
      }).accuracy;
    }
    history.push(stats);
    log(
      `epoch ${epoch}/${options.epochs}  loss ${stats.loss.toFixed(4)}  train acc ${
        (100 * stats.trainAccuracy).toFixed(2)
      }%` +
        (stats.testAccuracy === undefined
          ? ""
          : `  test acc ${(100 * stats.testAccuracy).toFixed(2)}%`) +
        `  ${stats.samplesPerSecond.toFixed(0)} samples/s  ${seconds.toFixed(1)} s  lr ${
          opt.lr.toPrecision(3)
        }`,
    );
  }
  model.eval();
  return history;
}
