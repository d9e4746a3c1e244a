/**
 * Batch-norm folding: a convolution or linear layer followed by batch norm (in evaluation
 * mode) is one affine layer,
 *
 *     y = γ·(W·x + b − μ)/√(σ² + ε) + β = W'·x + b',
 *     W'_o = W_o · γ_o/√(σ²_o + ε),   b'_o = (b_o − μ_o) · γ_o/√(σ²_o + ε) + β_o       (F.1)
 *
 * per output channel o (Jacob et al. 2018 §3.2; survey §III-F). Folding before quantization
 * makes the quantized weights the ones an integer runtime uses.
 *
 * @example
 * ```ts
 * import { foldBatchNorm } from "@lowbit/nn/fold";
 * import { BatchNorm1d, Linear, Sequential } from "@lowbit/nn";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { deepEqual } from "node:assert/strict";
 * const m = new Sequential([["fc", new Linear(3, 2, { random: new Philox(1) })], ["bn", new BatchNorm1d(2)]]);
 * deepEqual(foldBatchNorm(m).layers.map(([n]) => n), ["fc"]);
 * ```
 *
 * @module
 */

import { BatchNormBase } from "./batchnorm.ts";
import { Conv2d } from "./conv2d.ts";
import { Linear } from "./linear.ts";
import { type Module, Sequential } from "./module.ts";

const ZERO = { uniform: () => 0.5 }; // initial values are overwritten below

/** Per-channel affine form of an evaluation-mode batch norm: `y = scale·x + shift`. */
export interface BatchNormAffine {
  /** `γ/√(σ² + ε)` per channel (float64). */
  scale: Float64Array;
  /** `β − μ·γ/√(σ² + ε)` per channel (float64). */
  shift: Float64Array;
}

/**
 * The affine map of a batch norm in evaluation mode, `scale = γ/√(σ² + ε)` and
 * `shift = β − μ·scale` per channel: what (F.1) folds into the layer before it
 * (`W' = W·scale`, `b' = b·scale + shift`). The one formula behind every batch-norm fold in
 * lowbit (nn's `foldBatchNorm`, the graph pass and the graph executor's
 * BatchNormalization, @lowbit/runtime's float models).
 *
 * @param gamma γ per channel.
 * @param beta β per channel.
 * @param mean Running mean μ per channel.
 * @param variance Running variance σ² per channel.
 * @param eps ε (≥ 0).
 * @returns Scale and shift, float64.
 * @throws {RangeError} When the four vectors differ in length, or ε is negative or not finite.
 *
 * @example
 * ```ts
 * import { batchNormAffine } from "@lowbit/nn/fold";
 * import { deepEqual } from "node:assert/strict";
 * const a = batchNormAffine([2], [1], [3], [3], 1); // γ/√4 = 1; 1 − 3·1 = −2
 * deepEqual([...a.scale, ...a.shift], [1, -2]);
 * ```
 */
export function batchNormAffine(
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  mean: ArrayLike<number>,
  variance: ArrayLike<number>,
  eps: number,
): BatchNormAffine {
  const c = gamma.length;
  for (const [name, v] of [["beta", beta], ["mean", mean], ["variance", variance]] as const) {
    if (v.length !== c) {
      throw new RangeError(`${name} has ${v.length} channels, gamma has ${c}`);
    }
  }
  if (!(eps >= 0) || !Number.isFinite(eps)) {
    throw new RangeError(`eps must be finite and ≥ 0, got ${eps}`);
  }
  const scale = new Float64Array(c), shift = new Float64Array(c);
  for (let i = 0; i < c; i++) {
    scale[i] = gamma[i] / Math.sqrt(variance[i] + eps);
    shift[i] = beta[i] - mean[i] * scale[i];
  }
  return { scale, shift };
}

/**
 * Folds every top-level (Conv2d | Linear, BatchNorm) pair of a Sequential into one layer with a
 * bias (Eq. F.1, using the running statistics); other layers are shared unchanged.
 *
 * @param model The model.
 * @returns A new Sequential (folded layers keep the conv/linear's name; the BN entry is gone).
 * @throws {RangeError} If a batch norm's channel count differs from the layer before it.
 *
 * @example Folding does not change the evaluation-mode output
 * ```ts
 * import { foldBatchNorm } from "@lowbit/nn/fold";
 * import { BatchNorm1d, Linear, Sequential, Variable } from "@lowbit/nn";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { ok } from "node:assert/strict";
 * const bn = new BatchNorm1d(2);
 * bn.runningMean.data.set([0.5, -1]);
 * bn.runningVar.data.set([4, 0.25]);
 * const m = new Sequential([new Linear(3, 2, { random: new Philox(1) }), bn]).eval();
 * const x = Variable.from([1, 2, 3], [1, 3]);
 * const a = m.forward(x).data, b = foldBatchNorm(m).forward(x).data;
 * ok(Math.abs(a[0] - b[0]) < 1e-5 && Math.abs(a[1] - b[1]) < 1e-5);
 * ```
 */
export function foldBatchNorm(model: Sequential): Sequential {
  const out: [string, Module][] = [];
  const layers = model.layers;
  for (let i = 0; i < layers.length; i++) {
    const [name, m] = layers[i];
    const next = layers[i + 1]?.[1];
    if ((m instanceof Conv2d || m instanceof Linear) && next instanceof BatchNormBase) {
      const o = m.weight.shape[0];
      if (next.channels !== o) {
        throw new RangeError(
          `cannot fold ${next.describe()} into ${m.describe()}: ${next.channels} ≠ ${o} channels`,
        );
      }
      const folded = m instanceof Conv2d
        ? new Conv2d(m.inChannels, m.outChannels, m.kernel, { ...m.options, random: ZERO })
        : new Linear(m.inFeatures, m.outFeatures, { random: ZERO });
      const inner = m.weight.size / o;
      const { scale, shift } = batchNormAffine(
        next.weight.data,
        next.bias.data,
        next.runningMean.data,
        next.runningVar.data,
        next.eps,
      );
      for (let c = 0; c < o; c++) {
        for (let j = c * inner; j < (c + 1) * inner; j++) {
          folded.weight.data[j] = m.weight.data[j] * scale[c];
        }
        const b = m.bias === null ? 0 : m.bias.data[c];
        folded.bias!.data[c] = b * scale[c] + shift[c];
      }
      out.push([name, folded]);
      i++;
    } else {
      out.push([name, m]);
    }
  }
  return new Sequential(out).train(model.training);
}
