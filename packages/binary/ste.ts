/**
 * The elementwise binarizers and their straight-through estimators, in one table (survey
 * §IV-E). Every row has a forward rule `forward(x)` (what the network computes) and a backward
 * rule `grad(x)`: the derivative of the row's smooth `surrogate(x)`, which the backward pass
 * uses in place of the forward's zero-almost-everywhere derivative.
 *
 * | row             | forward                | surrogate (backward = its derivative)                | paper                   |
 * | --------------- | ---------------------- | ---------------------------------------------------- | ----------------------- |
 * | `identity`      | sign(x)                | x (grad 1)                                           | BinaryConnect 2015      |
 * | `hardTanh`      | sign(x)                | clip(x, −1, 1) (grad 1 on \|x\| ≤ 1)                 | BNN, Hubara et al. 2016 |
 * | `approxSign`    | sign(x)                | 2x + x² on [−1, 0), 2x − x² on [0, 1), ±1 outside    | Bi-Real Net 2018        |
 * | `signSwish`     | sign(x)                | 2σ(βx)(1 + βx(1 − σ(βx))) − 1                         | BNN+, Darabi et al 2018 |
 * | `dorefaAct`     | round((2ᵏ−1)·c)/(2ᵏ−1), c = clip(x, 0, 1) | clip(x, 0, 1)                      | DoReFa-Net 2016         |
 *
 * sign(x) is +1 for x ≥ 0 (zero and −0 included) and −1 otherwise: the packed kernels'
 * convention for a value that is not negative.
 *
 * @example The BNN row: forward ±1, gradient cancelled outside [−1, 1]
 * ```ts
 * import { STE_RULES } from "@lowbit/binary/ste";
 * import { deepEqual } from "node:assert/strict";
 * const r = STE_RULES.hardTanh;
 * deepEqual([-2, -0.5, 0, 3].map((x) => r.forward(x, {})), [-1, -1, 1, 1]);
 * deepEqual([-2, -0.5, 0, 3].map((x) => r.grad(x, {})), [0, 1, 1, 0]);
 * ```
 *
 * @module
 */

import { roundHalfEven } from "@lowbit/rounding/modes";
import { accumulate, record, type Variable } from "@lowbit/nn/autograd";

/** Parameters some rows read. */
export interface SteParams {
  /** SignSwish slope β (default 5). */
  beta?: number;
  /** DoReFa activation bits k (default 2). */
  bits?: number;
}

/** One row of {@linkcode STE_RULES}. */
export interface SteRule {
  /** The paper the row comes from. */
  readonly source: string;
  /** The forward value. */
  forward(x: number, p: SteParams): number;
  /** The smooth function whose derivative is the backward rule. */
  surrogate(x: number, p: SteParams): number;
  /** ∂surrogate/∂x, the backward rule. */
  grad(x: number, p: SteParams): number;
}

/** Names of the rows of {@linkcode STE_RULES}. */
export type SteName = "identity" | "hardTanh" | "approxSign" | "signSwish" | "dorefaAct";

/**
 * sign with sign(0) = +1 (the packed kernels' convention).
 *
 * @param x A number.
 * @returns +1 when x ≥ 0, else −1.
 *
 * @example
 * ```ts
 * import { sign1 } from "@lowbit/binary/ste";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([sign1(-3), sign1(0), sign1(-0), sign1(2)], [-1, 1, 1, 1]);
 * ```
 */
export function sign1(x: number): 1 | -1 {
  return x >= 0 ? 1 : -1;
}

function sigmoid(v: number): number {
  return v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v));
}

function levels(p: SteParams): number {
  const k = p.bits ?? 2;
  if (!Number.isInteger(k) || k < 1 || k > 16) {
    throw new RangeError(`bits must be an integer in [1, 16]; got ${String(k)}`);
  }
  return 2 ** k - 1;
}

function betaOf(p: SteParams): number {
  const b = p.beta ?? 5;
  if (typeof b !== "number" || !(b > 0) || !Number.isFinite(b)) {
    throw new RangeError(`beta must be a finite number > 0; got ${String(b)}`);
  }
  return b;
}

const clip = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/**
 * The table of binarizers and STEs (module doc).
 *
 * @example ApproxSign's gradient is 2 − 2|x| inside [−1, 1]
 * ```ts
 * import { STE_RULES } from "@lowbit/binary/ste";
 * import { equal } from "node:assert/strict";
 * equal(STE_RULES.approxSign.grad(0.25, {}), 1.5);
 * equal(STE_RULES.dorefaAct.forward(0.4, { bits: 2 }), 1 / 3);
 * ```
 */
export const STE_RULES: Readonly<Record<SteName, SteRule>> = Object.freeze({
  identity: {
    source: "Courbariaux, Bengio, David 2015 (BinaryConnect), §2.3",
    forward: (x: number) => sign1(x),
    surrogate: (x: number) => x,
    grad: () => 1,
  },
  hardTanh: {
    source: "Hubara et al. 2016 (BNN), Eq. 4",
    forward: (x: number) => sign1(x),
    surrogate: (x: number) => clip(x, -1, 1),
    grad: (x: number) => (Math.abs(x) <= 1 ? 1 : 0),
  },
  approxSign: {
    source: "Liu et al. 2018 (Bi-Real Net), Eq. 5",
    forward: (x: number) => sign1(x),
    surrogate: (x: number) => x < -1 ? -1 : x < 0 ? 2 * x + x * x : x < 1 ? 2 * x - x * x : 1,
    grad: (x: number) => (Math.abs(x) < 1 ? 2 - 2 * Math.abs(x) : 0),
  },
  signSwish: {
    source: "Darabi et al. 2018 (BNN+), Eq. 6",
    forward: (x: number, p: SteParams) => (betaOf(p), sign1(x)),
    surrogate: (x: number, p: SteParams) => {
      const b = betaOf(p), s = sigmoid(b * x);
      return 2 * s * (1 + b * x * (1 - s)) - 1;
    },
    grad: (x: number, p: SteParams) => {
      const b = betaOf(p), v = b * x;
      if (Math.abs(v) > 700) return 0;
      return (b * (2 - v * Math.tanh(v / 2))) / (1 + Math.cosh(v));
    },
  },
  dorefaAct: {
    source: "Zhou et al. 2016 (DoReFa-Net), Eq. 10",
    forward: (x: number, p: SteParams) => {
      const n = levels(p);
      return roundHalfEven(clip(x, 0, 1) * n) / n;
    },
    surrogate: (x: number) => clip(x, 0, 1),
    grad: (x: number) => (x >= 0 && x <= 1 ? 1 : 0),
  },
});

/**
 * Applies a row of {@linkcode STE_RULES} elementwise as an autograd op: the forward values,
 * and ḡ·rule.grad(x) on the way back.
 *
 * @param x The input.
 * @param name The row.
 * @param params β or k where the row reads them.
 * @returns The binarized (or k-bit) values, same shape.
 * @throws {RangeError} If `name` is not a row, or a parameter is out of range.
 *
 * @example
 * ```ts
 * import { steBinarize } from "@lowbit/binary/ste";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * const x = Variable.from([-0.5, 2], [2], { requiresGrad: true });
 * const y = steBinarize(x, "hardTanh");
 * y.sum().backward();
 * deepEqual([...y.data, ...x.grad!], [-1, 1, 1, 0]);
 * ```
 */
export function steBinarize(x: Variable, name: SteName, params: SteParams = {}): Variable {
  const rule = Object.hasOwn(STE_RULES, name) ? STE_RULES[name] : undefined;
  if (rule === undefined) {
    throw new RangeError(
      `name must be one of ${Object.keys(STE_RULES).join(", ")}; got ${String(name)}`,
    );
  }
  const out = new Float32Array(x.size);
  for (let i = 0; i < out.length; i++) out[i] = rule.forward(x.data[i], params);
  return record(`ste:${name}`, out, x.shape, [x], (g) => {
    const gx = new Float32Array(g.length);
    for (let i = 0; i < g.length; i++) gx[i] = g[i] * rule.grad(x.data[i], params);
    accumulate(x, gx);
  });
}
