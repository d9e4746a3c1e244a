/**
 * Batch-norm re-estimation after quantization (white paper Nagel et al. 2021 §4 range setting
 * and BN handling; Nagel et al. 2022 "Overcoming Oscillations in Quantization-Aware Training"
 * §4): quantizing the weights of the layer before a BN shifts the mean and variance of what
 * that BN sees, so the running statistics stored at training time no longer normalise the
 * quantized network. Re-estimating them on a few hundred unlabelled samples restores the
 * normalisation; nothing else changes. docs/ptq-range-ocs-bn.md has the
 * equations.
 *
 * For every batch-norm layer ℓ in forward order, with the layers before it already
 * re-estimated and the whole model in evaluation mode, the inputs x of ℓ over all samples
 * (N·H·W values per channel c) give
 *
 *     μ_c = (1/n) Σ x,    σ²_c = (1/(n − 1)) Σ (x − μ_c)²                                  (B.1)
 *
 * which replace ℓ's running mean and variance (the unbiased variance, as PyTorch's BN stores).
 * Doing the layers one after another means each layer is estimated under the statistics its
 * inputs will really have at inference; the cost is one pass over the data per layer.
 *
 * @module
 */

import { noGrad, type Variable } from "@lowbit/nn/autograd";
import type { BatchNormBase } from "@lowbit/nn/batchnorm";
import type { Module } from "@lowbit/nn/module";
import { batchNorms, watchBatchNorms } from "./_batchnorms.ts";

/** Options of {@linkcode reestimateBatchNorm}. */
export interface ReestimateOptions {
  /** Called after each layer with the count done and the total. */
  onProgress?: (done: number, total: number) => void;
}

/** What changed in one batch-norm layer. */
export interface ReestimatedLayer {
  /** The layer's dotted path. */
  layer: string;
  /** Values per channel the statistics were computed from (n of Eq. B.1). */
  count: number;
  /** Largest |μ_new − μ_old| / σ_old over the channels. */
  meanShift: number;
  /** Largest |log(σ²_new / σ²_old)| over the channels. */
  logVarChange: number;
}

/**
 * Replaces the running statistics of every batch-norm layer of `model` by those of its inputs
 * on `batches` (Eq. B.1), layer by layer in forward order. The model's training/evaluation mode
 * is restored; no parameter and no other buffer changes (fake quantizers run frozen, in
 * evaluation mode).
 *
 * @param model An `@lowbit/nn` model with batch-norm layers (e.g. with fake-quantized weights).
 * @param batches Input batches `[N, ...]` (unlabelled), read once per layer.
 * @param options Progress callback.
 * @returns One entry per layer, in forward order.
 * @throws {TypeError} If `model` has no batch-norm layer or a batch is not a Variable.
 * @throws {RangeError} If `batches` is empty, or a layer sees fewer than two values per channel.
 *
 * @example A BN after a doubled identity: the statistics become those of 2x
 * ```ts
 * import { reestimateBatchNorm } from "@lowbit/ptq/bn-reestimation";
 * import { BatchNorm1d, Linear, Sequential, Variable } from "@lowbit/nn";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { deepEqual, equal } from "node:assert/strict";
 * const fc = new Linear(1, 1, { random: new Philox(0) });
 * fc.weight.data[0] = 2;
 * fc.bias!.data[0] = 0;
 * const bn = new BatchNorm1d(1);
 * const model = new Sequential([["fc", fc], ["bn", bn]]).eval();
 * const r = reestimateBatchNorm(model, [Variable.from([1, 2, 3], [3, 1]), Variable.from([4, 5], [2, 1])]);
 * deepEqual(r.map((l) => [l.layer, l.count]), [["bn", 5]]);
 * equal(bn.runningMean.data[0], 6); // mean of 2, 4, 6, 8, 10
 * equal(bn.runningVar.data[0], 10); // unbiased variance of the same
 * ```
 */
export function reestimateBatchNorm(
  model: Module,
  batches: readonly Variable[],
  options: ReestimateOptions = {},
): ReestimatedLayer[] {
  const all = batchNorms(model);
  if (all.length === 0) {
    throw new TypeError("model has no batch-norm layer to re-estimate");
  }
  if (!Array.isArray(batches) || batches.length === 0) {
    throw new RangeError("batches must be a non-empty array of input Variables");
  }
  batches.forEach((b, i) => {
    if (b === null || typeof b !== "object" || !(b.data instanceof Float32Array)) {
      throw new TypeError(`batches[${i}] must be a Variable`);
    }
  });
  const wasTraining = model.training;
  model.eval();
  try {
    // Forward order: the order in which one pass calls the layers.
    const order: BatchNormBase[] = [];
    noGrad(() =>
      watchBatchNorms(
        all.map(([, bn]) => bn),
        (bn) => order.includes(bn) || order.push(bn),
        () => model.forward(batches[0]),
      )
    );
    const path = new Map(all.map(([p, bn]) => [bn, p]));
    const result: ReestimatedLayer[] = [];
    for (const bn of order) {
      const c = bn.channels;
      const sum = new Float64Array(c), sq = new Float64Array(c);
      let count = 0;
      // Two passes over the data (mean, then centred squares) for an exact variance.
      const pass = (f: (x: Variable) => void) =>
        noGrad(() => {
          for (const b of batches) watchBatchNorms([bn], (_l, x) => f(x), () => model.forward(b));
        });
      const channelOf = (x: Variable) => {
        const inner = x.shape.slice(2).reduce((a, d) => a * d, 1);
        return (i: number) => Math.floor(i / inner) % c;
      };
      pass((x) => {
        const ch = channelOf(x);
        for (let i = 0; i < x.data.length; i++) sum[ch(i)] += x.data[i];
        count += x.data.length / c;
      });
      const mean = sum.map((s) => s / count);
      pass((x) => {
        const ch = channelOf(x);
        for (let i = 0; i < x.data.length; i++) {
          const d = x.data[i] - mean[ch(i)];
          sq[ch(i)] += d * d;
        }
      });
      const name = path.get(bn) as string;
      if (count < 2) {
        throw new RangeError(
          `batch-norm layer ${name} saw ${count} value per channel; at least 2 are needed`,
        );
      }
      let meanShift = 0, logVarChange = 0;
      for (let k = 0; k < c; k++) {
        const v = sq[k] / (count - 1);
        const oldSd = Math.sqrt(bn.runningVar.data[k] + bn.eps);
        meanShift = Math.max(meanShift, Math.abs(mean[k] - bn.runningMean.data[k]) / oldSd);
        logVarChange = Math.max(
          logVarChange,
          Math.abs(Math.log((v + bn.eps) / (bn.runningVar.data[k] + bn.eps))),
        );
        bn.runningMean.data[k] = mean[k];
        bn.runningVar.data[k] = v;
      }
      result.push({ layer: name, count, meanShift, logVarChange });
      options.onProgress?.(result.length, order.length);
    }
    return result;
  } finally {
    model.train(wasTraining);
  }
}
