/**
 * Optimizers for binary weights:
 *
 * - {@linkcode Bop} (Helwegen et al. 2019, "Latent Weights Do Not Exist", Algorithm 1; Larq's
 *   `Bop`): for ±1 weights w with gradient g, an exponential moving average
 *   m ← (1 − γ)·m + γ·g (m₀ = 0), then w ← −w where |m| > τ and sign(m) = sign(w) (equivalently
 *   w·m > τ), w unchanged elsewhere. There is no latent real-valued weight: the weights stay ±1
 *   (a weight that is not ±1 is replaced by sign(w) with sign(0) = +1, as Larq's sign does).
 *   At an exact tie w·m = τ the weight is kept (Larq's formula sign(−sign(w·m − τ)·w) gives +1
 *   there whatever w was).
 *   `lr` is γ, so a learning-rate schedule schedules γ.
 * - {@linkcode LatentClip} (BNN, Hubara et al. 2016 §1.3; BinaryConnect's clipping): wraps any
 *   optimizer and clips the listed latent weights to [−b, b] after every step, so a latent
 *   weight never drifts where the hard-tanh STE cancels its gradient for good.
 *
 * @example Bop flips a weight once the averaged gradient agrees with its sign and exceeds τ
 * ```ts
 * import { Bop } from "@lowbit/binary/optim";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * const w = Variable.from([1, 1], [2], { requiresGrad: true });
 * const opt = new Bop([w], { gamma: 0.5, threshold: 0.3 });
 * w.grad = new Float32Array([1, -1]); // m = (0.5, −0.5)
 * opt.step();
 * deepEqual([...w.data], [-1, 1]);
 * ```
 *
 * @module
 */

import type { Variable } from "@lowbit/nn/autograd";
import { type Optimizer, OptimizerBase } from "@lowbit/nn/optim";
import { sign1 } from "./ste.ts";

/** Options of {@linkcode Bop}. */
export interface BopOptions {
  /** Adaptivity rate γ ∈ [0, 1] of the gradient average (Larq's default 1e-4). */
  gamma?: number;
  /** Flip threshold τ ≥ 0 (Larq's default 1e-8). */
  threshold?: number;
}

/**
 * Bop, the binary optimizer (module doc). Use it for the binary weights only; the other
 * parameters (batch norm, first and last layer) go to a real-valued optimizer.
 *
 * @example A hand-computed trace: γ = 0.5, τ = 0.3
 * ```ts
 * import { Bop } from "@lowbit/binary/optim";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * const w = Variable.from([1, -1], [2], { requiresGrad: true });
 * const opt = new Bop([w], { gamma: 0.5, threshold: 0.3 });
 * w.grad = new Float32Array([0.4, 0.4]); // m = (0.2, 0.2): below τ
 * opt.step();
 * w.grad = new Float32Array([0.6, 0.6]); // m = (0.4, 0.4): w₀ = +1 agrees → flips
 * opt.step();
 * deepEqual([...w.data], [-1, -1]);
 * ```
 */
export class Bop extends OptimizerBase {
  readonly #threshold: number;
  #m = new Map<Variable, Float64Array>();

  /**
   * Makes the optimizer.
   *
   * @param params The binary weights.
   * @param options γ (also reachable as `lr`) and τ.
   * @throws {RangeError} If γ is not in [0, 1] or τ is negative or not finite.
   */
  constructor(params: readonly Variable[], options: BopOptions = {}) {
    const gamma = options.gamma ?? 1e-4;
    if (typeof gamma !== "number" || !(gamma >= 0 && gamma <= 1)) {
      throw new RangeError(`options.gamma must be a number in [0, 1]; got ${String(gamma)}`);
    }
    super(params, gamma);
    const t = options.threshold ?? 1e-8;
    if (typeof t !== "number" || !(t >= 0) || !Number.isFinite(t)) {
      throw new RangeError(`options.threshold must be a finite number ≥ 0; got ${String(t)}`);
    }
    this.#threshold = t;
  }

  /** The moving average m of a parameter (float64), or undefined before its first step. */
  average(p: Variable): Float64Array | undefined {
    return this.#m.get(p);
  }

  /** One update: m ← (1 − γ)m + γg, then w ← −w where w·m > τ. */
  step(): void {
    const gamma = this.lr, tau = this.#threshold;
    if (!(gamma >= 0 && gamma <= 1)) {
      throw new RangeError(`lr (γ) must be in [0, 1]; got ${String(gamma)}`);
    }
    for (const p of this.params) {
      const g = p.grad;
      if (g === null) continue;
      let m = this.#m.get(p);
      if (m === undefined) {
        m = new Float64Array(p.size);
        this.#m.set(p, m);
      }
      const w = p.data;
      for (let i = 0; i < w.length; i++) {
        m[i] = (1 - gamma) * m[i] + gamma * g[i];
        const s = sign1(w[i]);
        w[i] = s * m[i] > tau ? -s : s;
      }
    }
  }
}

/**
 * Clips latent weights to [−bound, bound] after each step of an inner optimizer (module doc).
 *
 * @example BNN: the latent weight stays in [−1, 1]
 * ```ts
 * import { LatentClip } from "@lowbit/binary/optim";
 * import { SGD } from "@lowbit/nn/optim";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * const w = Variable.from([0.9, -0.5], [2], { requiresGrad: true });
 * const opt = new LatentClip(new SGD([w], { lr: 1 }), [w]);
 * w.grad = new Float32Array([-0.5, 0.25]);
 * opt.step();
 * deepEqual([...w.data], [1, -0.75]); // 0.9 + 0.5 clipped to 1
 * ```
 */
export class LatentClip implements Optimizer {
  readonly #inner: Optimizer;
  readonly #params: readonly Variable[];
  readonly #bounds: number[];

  /**
   * Wraps an optimizer.
   *
   * @param inner The optimizer doing the update (over all parameters).
   * @param latent The latent weights to clip (a subset of the inner optimizer's).
   * @param bound b > 0 for all of them, or one per latent weight (default 1).
   * @throws {RangeError} If a bound is not a finite number > 0, or the list's length differs.
   */
  constructor(
    inner: Optimizer,
    latent: readonly Variable[],
    bound: number | readonly number[] = 1,
  ) {
    const bounds = typeof bound === "number" ? latent.map(() => bound) : [...bound];
    if (bounds.length !== latent.length) {
      throw new RangeError(`bound has ${bounds.length} entries for ${latent.length} weights`);
    }
    for (const b of bounds) {
      if (typeof b !== "number" || !(b > 0) || !Number.isFinite(b)) {
        throw new RangeError(`bound must be a finite number > 0; got ${String(b)}`);
      }
    }
    this.#inner = inner;
    this.#params = [...latent];
    this.#bounds = bounds;
  }

  /** The inner optimizer's learning rate. */
  get lr(): number {
    return this.#inner.lr;
  }

  /** Sets the inner optimizer's learning rate. */
  set lr(v: number) {
    this.#inner.lr = v;
  }

  /** The inner step, then the clip. */
  step(): void {
    this.#inner.step();
    for (const [k, p] of this.#params.entries()) {
      const d = p.data, b = this.#bounds[k];
      for (let i = 0; i < d.length; i++) d[i] = Math.min(b, Math.max(-b, d[i]));
    }
  }

  /** Clears the gradients (the inner optimizer's parameters). */
  zeroGrad(): void {
    this.#inner.zeroGrad();
  }
}
