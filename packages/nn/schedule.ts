/**
 * Learning-rate schedules as pure functions of the step (or epoch) index t = 0, 1, 2, ...:
 *
 * - step decay: η_t = η₀ · γ^⌊t / s⌋                                          (L.1)
 * - cosine (Loshchilov & Hutter 2017, no restarts), after an optional linear warm-up of w
 *   steps η_t = η₀·(t + 1)/w: η_t = η_min + ½(η₀ − η_min)(1 + cos(π·(t − w)/(T − w))),
 *   clamped to η_min for t ≥ T.                                                (L.2)
 *
 * @example
 * ```ts
 * import { cosineLR, stepLR } from "@lowbit/nn/schedule";
 * import { equal } from "node:assert/strict";
 * equal(stepLR({ lr: 0.1, stepSize: 10, gamma: 0.5 })(25), 0.025);
 * equal(cosineLR({ lr: 1, total: 10 })(5), 0.5);
 * ```
 *
 * @module
 */

/** A learning rate as a function of the step index. */
export type Schedule = (t: number) => number;

function positive(name: string, v: number, allowZero = false): number {
  if (typeof v !== "number" || !Number.isFinite(v) || !(allowZero ? v >= 0 : v > 0)) {
    throw new RangeError(
      `${name} must be a ${allowZero ? "non-negative" : "positive"} number; got ${String(v)}`,
    );
  }
  return v;
}

function checkT(t: number): void {
  if (!Number.isInteger(t) || t < 0) {
    throw new RangeError(`t must be a non-negative integer; got ${String(t)}`);
  }
}

/**
 * Step decay (Eq. L.1).
 *
 * @param options Base rate η₀, period s, factor γ.
 * @returns The schedule.
 * @throws {RangeError} If an option is invalid.
 *
 * @example
 * ```ts
 * import { stepLR } from "@lowbit/nn/schedule";
 * import { deepEqual } from "node:assert/strict";
 * const f = stepLR({ lr: 1, stepSize: 2, gamma: 0.1 });
 * deepEqual([0, 1, 2, 3, 4].map(f), [1, 1, 0.1, 0.1, 0.1 ** 2]);
 * ```
 */
export function stepLR(options: { lr: number; stepSize: number; gamma: number }): Schedule {
  const lr = positive("options.lr", options.lr, true);
  const s = options.stepSize;
  if (!Number.isInteger(s) || s < 1) {
    throw new RangeError(`options.stepSize must be a positive integer; got ${String(s)}`);
  }
  const gamma = positive("options.gamma", options.gamma, true);
  return (t) => {
    checkT(t);
    return lr * gamma ** Math.floor(t / s);
  };
}

/** Options of {@linkcode cosineLR}. */
export interface CosineOptions {
  /** Peak rate η₀. */
  lr: number;
  /** Total steps T (the rate reaches η_min at t = T). */
  total: number;
  /** Final rate η_min (default 0). */
  minLr?: number;
  /** Linear warm-up steps w (default 0). */
  warmup?: number;
}

/**
 * Cosine annealing with optional linear warm-up (Eq. L.2).
 *
 * @param options η₀, T, η_min, w.
 * @returns The schedule.
 * @throws {RangeError} If an option is invalid.
 *
 * @example
 * ```ts
 * import { cosineLR } from "@lowbit/nn/schedule";
 * import { equal } from "node:assert/strict";
 * const f = cosineLR({ lr: 1, total: 12, warmup: 2, minLr: 0.1 });
 * equal(f(0), 0.5); // warm-up (0 + 1)/2
 * equal(f(2), 1);
 * equal(f(12), 0.1);
 * ```
 */
export function cosineLR(options: CosineOptions): Schedule {
  const lr = positive("options.lr", options.lr, true);
  const minLr = positive("options.minLr", options.minLr ?? 0, true);
  const total = options.total, w = options.warmup ?? 0;
  if (!Number.isInteger(total) || total < 1 || !Number.isInteger(w) || w < 0 || w >= total) {
    throw new RangeError(
      `options.total must be a positive integer and options.warmup an integer in [0, total); got ${total}, ${w}`,
    );
  }
  return (t) => {
    checkT(t);
    if (t < w) return (lr * (t + 1)) / w;
    if (t >= total) return minLr;
    return minLr + 0.5 * (lr - minLr) * (1 + Math.cos((Math.PI * (t - w)) / (total - w)));
  };
}
