/**
 * Optimizers with PyTorch's update rules (`torch.optim`), over a list of parameters whose
 * `grad` was filled by `backward()`:
 *
 * - **SGD**: g ← ∇ + λ·p; with momentum μ: b ← μ·b + (1 − τ)·g (b = g on the first step),
 *   g ← g + μ·b (Nesterov) or b; p ← p − η·g.                                        (O.1)
 * - **Adam** (Kingma & Ba 2015): g ← ∇ + λ·p; m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²;
 *   p ← p − η·(m/(1 − β₁ᵗ)) / (√(v/(1 − β₂ᵗ)) + ε).                                   (O.2)
 * - **AdamW** (Loshchilov & Hutter 2019): p ← p·(1 − η·λ) first (decoupled decay), then O.2
 *   with λ = 0.                                                                         (O.3)
 *
 * State is kept in float64 per element; parameters stay float32. A parameter without a gradient
 * is skipped. `lr` may be changed between steps (schedules).
 *
 * @example Minimise (p − 3)² with SGD
 * ```ts
 * import { SGD } from "@lowbit/nn/optim";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { ok } from "node:assert/strict";
 * const p = Variable.from([0], [1], { requiresGrad: true });
 * const opt = new SGD([p], { lr: 0.1 });
 * for (let i = 0; i < 100; i++) {
 *   opt.zeroGrad();
 *   p.grad = new Float32Array([2 * (p.data[0] - 3)]);
 *   opt.step();
 * }
 * ok(Math.abs(p.data[0] - 3) < 1e-6);
 * ```
 *
 * @module
 */

import type { Variable } from "./autograd.ts";

/** What every optimizer does. */
export interface Optimizer {
  /** The learning rate η used by the next step. */
  lr: number;
  /** Applies one update to every parameter with a gradient. */
  step(): void;
  /** Clears every parameter's gradient. */
  zeroGrad(): void;
}

function checkNonNeg(name: string, v: number, max = Infinity): number {
  if (typeof v !== "number" || !(v >= 0 && v <= max) || !Number.isFinite(v)) {
    throw new RangeError(
      `${name} must be a finite number in [0, ${max === Infinity ? "∞" : max}]; got ${String(v)}`,
    );
  }
  return v;
}

/** Options of {@linkcode SGD}. */
export interface SgdOptions {
  /** Learning rate η. */
  lr: number;
  /** Momentum μ (default 0). */
  momentum?: number;
  /** Dampening τ (default 0). */
  dampening?: number;
  /** L2 weight decay λ (default 0). */
  weightDecay?: number;
  /** Nesterov momentum (default false). */
  nesterov?: boolean;
}

/**
 * The shared part of the optimizers: the parameter list, the learning rate, `zeroGrad`.
 *
 * @example
 * ```ts
 * import { OptimizerBase, SGD } from "@lowbit/nn/optim";
 * import { ok } from "node:assert/strict";
 * ok(new SGD([], { lr: 0.1 }) instanceof OptimizerBase);
 * ```
 */
export abstract class OptimizerBase implements Optimizer {
  /** The learning rate η used by the next step. */
  lr: number;
  /** The parameters updated. */
  protected readonly params: readonly Variable[];

  /**
   * Stores the parameters and η.
   *
   * @param params The parameters.
   * @param lr η ≥ 0.
   * @throws {RangeError} If η is negative.
   */
  constructor(params: readonly Variable[], lr: number) {
    this.params = [...params];
    this.lr = checkNonNeg("options.lr", lr);
  }

  /** Applies one update. */
  abstract step(): void;

  /** Clears every parameter's gradient. */
  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }
}

/**
 * Stochastic gradient descent with momentum and weight decay (Eq. O.1).
 *
 * @example One momentum step by hand: b = g = 2, then b = 0.9·2 + 2 = 3.8
 * ```ts
 * import { SGD } from "@lowbit/nn/optim";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { ok } from "node:assert/strict";
 * const p = Variable.from([0], [1], { requiresGrad: true });
 * const opt = new SGD([p], { lr: 0.5, momentum: 0.9 });
 * p.grad = new Float32Array([2]);
 * opt.step(); // p = −1
 * opt.step(); // p = −1 − 0.5·3.8 = −2.9
 * ok(Math.abs(p.data[0] + 2.9) < 1e-6);
 * ```
 */
export class SGD extends OptimizerBase {
  readonly #momentum: number;
  readonly #dampening: number;
  readonly #weightDecay: number;
  readonly #nesterov: boolean;
  #buf = new Map<Variable, Float64Array>();

  /**
   * Makes the optimizer.
   *
   * @param params The parameters.
   * @param options Learning rate, momentum, dampening, weight decay, Nesterov.
   * @throws {RangeError} If an option is negative or Nesterov is asked without momentum.
   */
  constructor(params: readonly Variable[], options: SgdOptions) {
    super(params, options.lr);
    this.#momentum = checkNonNeg("options.momentum", options.momentum ?? 0);
    this.#dampening = checkNonNeg("options.dampening", options.dampening ?? 0, 1);
    this.#weightDecay = checkNonNeg("options.weightDecay", options.weightDecay ?? 0);
    this.#nesterov = options.nesterov ?? false;
    if (this.#nesterov && (this.#momentum === 0 || this.#dampening !== 0)) {
      throw new RangeError("options.nesterov needs momentum > 0 and zero dampening");
    }
  }

  /** One update (Eq. O.1). */
  step(): void {
    const mu = this.#momentum, wd = this.#weightDecay, lr = this.lr;
    for (const p of this.params) {
      const gr = p.grad;
      if (gr === null) continue;
      const d = p.data;
      let buf = this.#buf.get(p);
      const first = buf === undefined;
      if (mu !== 0 && buf === undefined) {
        buf = new Float64Array(d.length);
        this.#buf.set(p, buf);
      }
      for (let i = 0; i < d.length; i++) {
        let g = gr[i] + wd * d[i];
        if (buf !== undefined) {
          buf[i] = first ? g : mu * buf[i] + (1 - this.#dampening) * g;
          g = this.#nesterov ? g + mu * buf[i] : buf[i];
        }
        d[i] = d[i] - lr * g;
      }
    }
  }
}

/** Options of {@linkcode Adam} and {@linkcode AdamW}. */
export interface AdamOptions {
  /** Learning rate η (default 1e-3). */
  lr?: number;
  /** β₁ (default 0.9). */
  beta1?: number;
  /** β₂ (default 0.999). */
  beta2?: number;
  /** ε (default 1e-8). */
  eps?: number;
  /** Weight decay λ (default 0 for Adam, 0.01 for AdamW). */
  weightDecay?: number;
}

/**
 * Adam with L2 weight decay added to the gradient (Eq. O.2).
 *
 * @example The first step moves every parameter by η·sign(g) (bias correction)
 * ```ts
 * import { Adam } from "@lowbit/nn/optim";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { ok } from "node:assert/strict";
 * const p = Variable.from([1, 1], [2], { requiresGrad: true });
 * p.grad = new Float32Array([5, -0.01]);
 * new Adam([p], { lr: 0.1 }).step();
 * ok(Math.abs(p.data[0] - 0.9) < 1e-6 && Math.abs(p.data[1] - 1.1) < 1e-5);
 * ```
 */
export class Adam extends OptimizerBase {
  readonly #b1: number;
  readonly #b2: number;
  readonly #eps: number;
  readonly #decoupled: boolean;
  readonly #weightDecay: number;
  #t = 0;
  #m = new Map<Variable, Float64Array>();
  #v = new Map<Variable, Float64Array>();

  /**
   * Makes the optimizer.
   *
   * @param params The parameters.
   * @param options η, β₁, β₂, ε, weight decay.
   * @param decoupled AdamW's decoupled weight decay (used by {@linkcode AdamW}).
   * @throws {RangeError} If an option is out of range.
   */
  constructor(params: readonly Variable[], options: AdamOptions = {}, decoupled = false) {
    super(params, options.lr ?? 1e-3);
    this.#b1 = checkNonNeg("options.beta1", options.beta1 ?? 0.9, 1);
    this.#b2 = checkNonNeg("options.beta2", options.beta2 ?? 0.999, 1);
    this.#eps = checkNonNeg("options.eps", options.eps ?? 1e-8);
    this.#decoupled = decoupled;
    this.#weightDecay = checkNonNeg(
      "options.weightDecay",
      options.weightDecay ?? (decoupled ? 0.01 : 0),
    );
  }

  /** One update (Eq. O.2, or O.3 for AdamW). */
  step(): void {
    this.#t++;
    const b1 = this.#b1, b2 = this.#b2, lr = this.lr, eps = this.#eps, wd = this.#weightDecay;
    const c1 = 1 - b1 ** this.#t, c2 = 1 - b2 ** this.#t;
    for (const p of this.params) {
      const gr = p.grad;
      if (gr === null) continue;
      const d = p.data;
      let m = this.#m.get(p), v = this.#v.get(p);
      if (m === undefined || v === undefined) {
        m = new Float64Array(d.length);
        v = new Float64Array(d.length);
        this.#m.set(p, m);
        this.#v.set(p, v);
      }
      for (let i = 0; i < d.length; i++) {
        let x = d[i];
        let g = gr[i];
        if (this.#decoupled) x *= 1 - lr * wd;
        else g += wd * x;
        m[i] = b1 * m[i] + (1 - b1) * g;
        v[i] = b2 * v[i] + (1 - b2) * g * g;
        d[i] = x - (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
      }
    }
  }
}

/**
 * AdamW: Adam with decoupled weight decay (Eq. O.3), default λ = 0.01.
 *
 * @example With a zero gradient only the decay acts: p·(1 − η·λ)
 * ```ts
 * import { AdamW } from "@lowbit/nn/optim";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { ok } from "node:assert/strict";
 * const p = Variable.from([2], [1], { requiresGrad: true });
 * p.grad = new Float32Array([0]);
 * new AdamW([p], { lr: 0.1, weightDecay: 0.5 }).step();
 * ok(Math.abs(p.data[0] - 1.9) < 1e-6);
 * ```
 */
export class AdamW extends Adam {
  /**
   * Makes the optimizer.
   *
   * @param params The parameters.
   * @param options η, β₁, β₂, ε, weight decay (default 0.01).
   * @throws {RangeError} If an option is out of range.
   */
  constructor(params: readonly Variable[], options: AdamOptions = {}) {
    super(params, options, true);
  }
}
