/**
 * Batch normalization (Ioffe & Szegedy 2015) over axis 1 of `[N, C]` or `[N, C, H, W]`, as
 * one fused op (row of the table in `ops.ts`). In training it normalizes with the batch
 * statistics (biased variance) and updates the running statistics in place with PyTorch's rule
 * `run ← (1 − momentum)·run + momentum·batch` (unbiased variance for `runVar`); in evaluation
 * it uses the running statistics.
 *
 * @example
 * ```ts
 * import { batchNorm } from "@lowbit/nn/ops-norm";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { ok } from "node:assert/strict";
 * const x = Variable.from([1, 3], [2, 1]);
 * const stats = { runMean: new Float32Array([0]), runVar: new Float32Array([1]) };
 * const y = batchNorm(x, Variable.from([1]), Variable.from([0]), stats, { training: true });
 * ok(Math.abs(y.data[0] + 1) < 1e-4 && Math.abs(y.data[1] - 1) < 1e-4); // (x − 2)/1
 * ```
 *
 * @module
 */

import { formatShape } from "@lowbit/tensor/shape";
import { accumulate, record, type Variable } from "./autograd.ts";

/** Running statistics, updated in place during training. */
export interface RunningStats {
  /** Running mean per channel. */
  runMean: Float32Array;
  /** Running (unbiased) variance per channel. */
  runVar: Float32Array;
}

/** Options of {@linkcode batchNorm}. */
export interface BatchNormOptions {
  /** Use batch statistics and update the running ones (default false: use running ones). */
  training?: boolean;
  /** Running-statistics update weight (default 0.1, PyTorch's). */
  momentum?: number;
  /** Variance floor ε (default 1e-5). */
  eps?: number;
}

/**
 * y = γ·(x − μ)/√(σ² + ε) + β per channel (axis 1).
 *
 * @param x Input `[N, C, ...]`.
 * @param gamma Scale γ `[C]`.
 * @param beta Shift β `[C]`.
 * @param stats Running mean and variance `[C]` (updated in place when training).
 * @param options Training mode, momentum, ε.
 * @returns The normalized input, same shape.
 * @throws {RangeError} If the shapes do not fit, or training with one value per channel.
 *
 * @example Evaluation uses the running statistics
 * ```ts
 * import { batchNorm } from "@lowbit/nn/ops-norm";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { ok } from "node:assert/strict";
 * const stats = { runMean: new Float32Array([1]), runVar: new Float32Array([4]) };
 * const y = batchNorm(Variable.from([5], [1, 1]), Variable.from([2]), Variable.from([1]), stats, { eps: 0 });
 * ok(y.data[0] === 5); // 2·(5 − 1)/2 + 1
 * ```
 */
export function batchNorm(
  x: Variable,
  gamma: Variable,
  beta: Variable,
  stats: RunningStats,
  options: BatchNormOptions = {},
): Variable {
  const c = x.shape[1];
  if (
    x.shape.length < 2 || gamma.size !== c || beta.size !== c || stats.runMean.length !== c ||
    stats.runVar.length !== c
  ) {
    throw new RangeError(
      `batchNorm: input ${formatShape(x.shape)} needs γ, β and running stats of length ${
        String(c)
      }; got ${gamma.size}, ${beta.size}, ${stats.runMean.length}, ${stats.runVar.length}`,
    );
  }
  const training = options.training ?? false;
  const momentum = options.momentum ?? 0.1;
  const eps = options.eps ?? 1e-5;
  const n = x.shape[0], inner = x.size / (n * c), count = n * inner;
  if (training && count < 2) {
    throw new RangeError(
      `batchNorm: training needs more than one value per channel; input ${formatShape(x.shape)}`,
    );
  }
  const xd = x.data;
  const mean = new Float64Array(c), invStd = new Float64Array(c);
  if (training) {
    const sq = new Float64Array(c);
    for (let i = 0, o = 0; i < n; i++) {
      for (let j = 0; j < c; j++) {
        let s = 0;
        for (let k = 0; k < inner; k++, o++) s += xd[o];
        mean[j] += s;
      }
    }
    for (let j = 0; j < c; j++) mean[j] /= count;
    for (let i = 0, o = 0; i < n; i++) {
      for (let j = 0; j < c; j++) {
        const m = mean[j];
        let s = 0;
        for (let k = 0; k < inner; k++, o++) s += (xd[o] - m) * (xd[o] - m);
        sq[j] += s;
      }
    }
    for (let j = 0; j < c; j++) {
      const v = sq[j] / count;
      invStd[j] = 1 / Math.sqrt(v + eps);
      stats.runMean[j] = (1 - momentum) * stats.runMean[j] + momentum * mean[j];
      stats.runVar[j] = (1 - momentum) * stats.runVar[j] + momentum * (sq[j] / (count - 1));
    }
  } else {
    for (let j = 0; j < c; j++) {
      mean[j] = stats.runMean[j];
      invStd[j] = 1 / Math.sqrt(stats.runVar[j] + eps);
    }
  }
  const xhat = new Float32Array(x.size);
  const out = new Float32Array(x.size);
  for (let i = 0, o = 0; i < n; i++) {
    for (let j = 0; j < c; j++) {
      const m = mean[j], s = invStd[j], gm = gamma.data[j], bt = beta.data[j];
      for (let k = 0; k < inner; k++, o++) {
        const h = (xd[o] - m) * s;
        xhat[o] = h;
        out[o] = gm * h + bt;
      }
    }
  }
  return record("batchNorm", out, x.shape, [x, gamma, beta], (g) => {
    const sumG = new Float64Array(c), sumGX = new Float64Array(c);
    for (let i = 0, o = 0; i < n; i++) {
      for (let j = 0; j < c; j++) {
        let a = 0, b = 0;
        for (let k = 0; k < inner; k++, o++) {
          a += g[o];
          b += g[o] * xhat[o];
        }
        sumG[j] += a;
        sumGX[j] += b;
      }
    }
    if (x.requiresGrad) {
      const gx = new Float32Array(x.size);
      for (let i = 0, o = 0; i < n; i++) {
        for (let j = 0; j < c; j++) {
          const k0 = gamma.data[j] * invStd[j];
          if (training) {
            const mg = sumG[j] / count, mgx = sumGX[j] / count;
            for (let k = 0; k < inner; k++, o++) gx[o] = k0 * (g[o] - mg - xhat[o] * mgx);
          } else {
            for (let k = 0; k < inner; k++, o++) gx[o] = k0 * g[o];
          }
        }
      }
      accumulate(x, gx);
    }
    accumulate(gamma, Float32Array.from(sumGX));
    accumulate(beta, Float32Array.from(sumG));
  });
}
