/**
 * FitNets hint training (Romero et al. 2015, §2.2): a guided layer of the student, passed
 * through a learned regressor r, should match a hint layer of the teacher:
 *
 *   L_HT = (1/N) Σ_n ½ ‖u_n − r(v_n)‖²,
 *
 * u the teacher's hint (constant), v the student's guided feature, the sum over every element
 * of an example, the mean over the N examples. {@linkcode HintRegressor} is the regressor: a
 * 1×1 convolution for `[N, C, H, W]` features (the paper's convolutional regressor with a
 * 1×1 kernel when the spatial sizes agree) or a linear map for `[N, F]` features.
 *
 * @example
 * ```ts
 * import { hintLoss } from "@lowbit/distill/hint";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { equal } from "node:assert/strict";
 * // ½·(1² + 2²) for one example
 * equal(hintLoss(Variable.from([1, 2], [1, 2]), Variable.from([0, 0], [1, 2])).data[0], 2.5);
 * ```
 *
 * @module
 */

import { formatShape, shapesEqual } from "@lowbit/tensor/shape";
import { accumulate, record, type Variable } from "@lowbit/nn/autograd";
import { Conv2d } from "@lowbit/nn/conv2d";
import { Linear } from "@lowbit/nn/linear";
import { Module } from "@lowbit/nn/module";
import type { Philox } from "@lowbit/rounding/philox";

/**
 * ½·‖pred − target‖² summed per example, mean over the batch (the first axis).
 *
 * @param pred The regressed student feature (gradients flow here).
 * @param target The teacher's hint (a constant), same shape.
 * @returns The loss, shape `[1]`.
 * @throws {RangeError} If the shapes differ or are empty.
 *
 * @example Shapes must agree
 * ```ts
 * import { hintLoss } from "@lowbit/distill/hint";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { throws } from "node:assert/strict";
 * throws(() => hintLoss(Variable.zeros([2, 3]), Variable.zeros([2, 4])), /differ/);
 * ```
 */
export function hintLoss(pred: Variable, target: Variable): Variable {
  if (!shapesEqual(pred.shape, target.shape)) {
    throw new RangeError(
      `hintLoss: pred ${formatShape(pred.shape)} and target ${formatShape(target.shape)} differ`,
    );
  }
  if (pred.shape.length < 1 || pred.size === 0) {
    throw new RangeError(
      `hintLoss: features must be non-empty [N, ...]; got ${formatShape(pred.shape)}`,
    );
  }
  const n = pred.shape[0];
  const p = pred.data, t = target.data;
  let s = 0;
  for (let i = 0; i < p.length; i++) s += (p[i] - t[i]) ** 2;
  return record("hintLoss", new Float32Array([s / (2 * n)]), [1], [pred], (g) => {
    const k = g[0] / n;
    const gp = new Float32Array(p.length);
    for (let i = 0; i < p.length; i++) gp[i] = k * (p[i] - t[i]);
    accumulate(pred, gp);
  });
}

/** Options of {@linkcode HintRegressor}. */
export interface HintRegressorOptions {
  /** Seeded source for the initial weights. */
  random: Philox;
  /** `"conv"` (1×1 convolution over `[N, C, H, W]`, default) or `"linear"` (`[N, F]`). */
  kind?: "conv" | "linear";
}

/**
 * The learned regressor r of FitNets: maps the student's guided feature (channels/features
 * `inChannels`) to the teacher's hint width (`outChannels`).
 *
 * @example A 1×1 convolution from 4 to 8 channels keeps H×W
 * ```ts
 * import { HintRegressor } from "@lowbit/distill/hint";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { deepEqual } from "node:assert/strict";
 * const r = new HintRegressor(4, 8, { random: new Philox(1) });
 * deepEqual(r.forward(Variable.zeros([2, 4, 3, 3])).shape, [2, 8, 3, 3]);
 * ```
 */
export class HintRegressor extends Module {
  /** The underlying layer. */
  readonly layer: Conv2d | Linear;

  /**
   * Makes the regressor.
   *
   * @param inChannels Student feature channels (or features).
   * @param outChannels Teacher hint channels (or features).
   * @param options Seed and kind.
   * @throws {RangeError} If `options.kind` is unknown or a width is not a positive integer.
   */
  constructor(inChannels: number, outChannels: number, options: HintRegressorOptions) {
    super();
    const kind = options.kind ?? "conv";
    if (kind === "conv") {
      this.layer = new Conv2d(inChannels, outChannels, 1, { random: options.random });
    } else if (kind === "linear") {
      this.layer = new Linear(inChannels, outChannels, { random: options.random });
    } else {
      throw new RangeError(`options.kind must be "conv" or "linear"; got ${String(kind)}`);
    }
    this.registerModule("layer", this.layer);
  }

  /**
   * Applies r.
   *
   * @param x The student feature.
   * @returns r(x).
   */
  forward(x: Variable): Variable {
    return this.layer.forward(x);
  }

  /**
   * The regressor's description.
   *
   * @returns e.g. `HintRegressor(Conv2d(…))`.
   */
  override describe(): string {
    return `HintRegressor(${this.layer.describe()})`;
  }
}
