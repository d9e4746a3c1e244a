/**
 * The trainable layers of the multi-level methods of survey §IV-E, as `@lowbit/nn` modules that
 * `binarizeModel` installs (weight transforms through `setWeightQuant`, activations in place of
 * the hidden ReLUs). They wrap the tensor-level quantizers of `weights.ts` and the STE rows of
 * `ste.ts`; what each adds is its trained parameters and its fixed settings:
 *
 * | layer                  | forward                                                | trained        | paper                       |
 * | ---------------------- | ------------------------------------------------------ | -------------- | --------------------------- |
 * | `TtqWeights`           | W_p on W > Δ, 0, −W_n on W < −Δ; Δ = 0.05·max\|W\|     | W_p, W_n       | Zhu et al. 2017 (TTQ)       |
 * | `FixedWeightTransform` | a parameter-free quantizer of `weights.ts` (the two below) | —          | —                           |
 * | `DorefaWeights`        | k = 1: E\|W\|·sign W; k > 1: tanh-normalised k-bit     | —              | Zhou et al. 2016 (DoReFa)   |
 * | `AbcWeights`           | Σ_m α_m·B_m, M bases, α by least squares               | —              | Lin et al. 2017 (ABC-Net)   |
 * | `QuantActivation`      | round((2ᵏ−1)·clip(x, 0, 1))/(2ᵏ−1), STE on [0, 1]       | —              | DoReFa activations          |
 * | `AbcActivation`        | Σ_n β_n·H_n(x), H_n = sign(clip(x + v_n, 0, 1) − ½)    | β_n            | ABC-Net activations         |
 *
 * TTQ's W_p and W_n start at the TWN scale of the initial weight (mean |W| over |W| > Δ; the
 * paper starts them from its pre-trained model's weights); ABC-Net's β_n start at 1/N and its
 * shifts are fixed (default v = 1.5, 0.5, −0.5 for N = 3: thresholds 0.5 − v_n = −1, 0, +1 on a
 * batch-normalised input, whose windows [−v_n, 1 − v_n] tile [−1.5, 1.5]).
 *
 * @example TTQ on a hand weight: Δ = 0.05·2 = 0.1, W_p = W_n = mean(2, 1) = 1.5 at the start
 * ```ts
 * import { TtqWeights } from "@lowbit/binary/method-layers";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * const w = Variable.from([2, 0.05, -1]);
 * deepEqual([...new TtqWeights(w).forward(w).data], [1.5, 0, -1.5]);
 * ```
 *
 * @module
 */

import { Module } from "@lowbit/nn/module";
import { Variable } from "@lowbit/nn/autograd";
import { abcActivations, abcWeights, dorefaWeights, ternaryTtq } from "./weights.ts";
import { steBinarize } from "./ste.ts";

function checkBits(name: string, bits: number): number {
  if (!Number.isInteger(bits) || bits < 1 || bits > 16) {
    throw new RangeError(`${name} must be an integer in [1, 16]; got ${String(bits)}`);
  }
  return bits;
}

/**
 * TTQ's ternary weight transform with trained scales `wp`, `wn` (module table).
 *
 * @example The scales are parameters (the optimizer trains them)
 * ```ts
 * import { TtqWeights } from "@lowbit/binary/method-layers";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * const q = new TtqWeights(Variable.from([1, -1]));
 * deepEqual(q.namedParameters().map(([n, p]) => [n, p.data[0]]), [["wp", 1], ["wn", 1]]);
 * ```
 */
export class TtqWeights extends Module {
  /** Positive scale W_p, shape `[1]`. */
  readonly wp: Variable;
  /** Negative scale W_n, shape `[1]`. */
  readonly wn: Variable;
  /** Threshold fraction t (Δ = t·max|W|). */
  readonly threshold: number;
  /** Bits of a weight code (ternary: 2). */
  readonly weightBits = 2;

  /**
   * Makes the transform, with W_p = W_n = the TWN-style scale of `init`.
   *
   * @param init The layer's initial latent weight (sets the starting scales).
   * @param threshold t ∈ [0, 1) (default 0.05, the paper's value).
   * @throws {RangeError} If `threshold` is out of range or `init` is empty.
   */
  constructor(init: Variable, threshold = 0.05) {
    super();
    if (!(threshold >= 0 && threshold < 1)) {
      throw new RangeError(`threshold must be in [0, 1); got ${String(threshold)}`);
    }
    if (init.size === 0) throw new RangeError("init must not be empty");
    this.threshold = threshold;
    let m = 0;
    for (const v of init.data) m = Math.max(m, Math.abs(v));
    let s = 0, c = 0;
    for (const v of init.data) {
      if (Math.abs(v) > threshold * m) {
        s += Math.abs(v);
        c++;
      }
    }
    const a = c === 0 ? 1 : s / c;
    this.wp = this.registerParameter("wp", Variable.from([a], [1], { requiresGrad: true }));
    this.wn = this.registerParameter("wn", Variable.from([a], [1], { requiresGrad: true }));
  }

  /**
   * Ternarizes a latent weight.
   *
   * @param w The latent weight.
   * @returns {−W_n, 0, W_p} values, same shape.
   */
  forward(w: Variable): Variable {
    return ternaryTtq(w, this.wp, this.wn, this.threshold);
  }

  /**
   * The transform's name.
   *
   * @returns `TtqWeights(t=…)`.
   */
  describe(): string {
    return `TtqWeights(t=${this.threshold})`;
  }
}

/**
 * A weight transform with no trained parameters: a tensor-level quantizer of `weights.ts` with
 * its fixed settings, its bits per weight and its name (the shared shape of
 * {@linkcode DorefaWeights} and {@linkcode AbcWeights}).
 *
 * @example Any tensor function: here halving, named as 8-bit
 * ```ts
 * import { FixedWeightTransform } from "@lowbit/binary/method-layers";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual, equal } from "node:assert/strict";
 * const t = new FixedWeightTransform("Half", 8, (w) => w.mulScalar(0.5));
 * deepEqual([...t.forward(Variable.from([2, -3])).data], [1, -1.5]);
 * equal(t.describe(), "Half");
 * equal(t.weightBits, 8);
 * deepEqual(t.parameters(), []);
 * ```
 */
export class FixedWeightTransform extends Module {
  /** Bits of a weight per multiply. */
  readonly weightBits: number;
  readonly #label: string;
  readonly #quantize: (w: Variable) => Variable;

  /**
   * Makes the transform.
   *
   * @param label Its name ({@linkcode FixedWeightTransform.describe}).
   * @param weightBits Bits per weight, an integer in [1, 16].
   * @param quantize The tensor quantizer (latent weight → quantized weight, same shape).
   * @throws {RangeError} If `weightBits` is out of range.
   */
  constructor(label: string, weightBits: number, quantize: (w: Variable) => Variable) {
    super();
    this.weightBits = checkBits("weightBits", weightBits);
    this.#label = label;
    this.#quantize = quantize;
  }

  /**
   * Quantizes a latent weight.
   *
   * @param w The latent weight.
   * @returns The quantized weight, same shape.
   */
  forward(w: Variable): Variable {
    return this.#quantize(w);
  }

  /**
   * The transform's name.
   *
   * @returns The label given to the constructor.
   */
  describe(): string {
    return this.#label;
  }
}

/**
 * DoReFa's k-bit weight transform (module table; `dorefaWeights`).
 *
 * @example 2 bits: four levels ±1, ±⅓
 * ```ts
 * import { DorefaWeights } from "@lowbit/binary/method-layers";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * const y = new DorefaWeights(2).forward(Variable.from([3, -3, 0.01, -0.01]));
 * deepEqual([...y.data].map((v) => Math.round(3 * v)), [3, -3, 1, -1]);
 * ```
 */
export class DorefaWeights extends FixedWeightTransform {
  /**
   * Makes the transform.
   *
   * @param bits k ∈ [1, 16].
   * @throws {RangeError} If `bits` is out of range.
   */
  constructor(bits: number) {
    const k = checkBits("bits", bits);
    super(`DorefaWeights(${k})`, k, (w) => dorefaWeights(w, k));
  }
}

/**
 * ABC-Net's weight transform: M binary bases per tensor (module table; `abcWeights`).
 *
 * @example Two values, one basis: B = sign(W − mean W) = (−1, 1), α = 1
 * ```ts
 * import { AbcWeights } from "@lowbit/binary/method-layers";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...new AbcWeights(1).forward(Variable.from([1, 3])).data], [-1, 1]);
 * ```
 */
export class AbcWeights extends FixedWeightTransform {
  /** M (one bit per basis: {@linkcode FixedWeightTransform.weightBits} = M). */
  readonly bases: number;

  /**
   * Makes the transform.
   *
   * @param bases M ∈ [1, 8].
   * @throws {RangeError} If `bases` is out of range.
   */
  constructor(bases: number) {
    if (!Number.isInteger(bases) || bases < 1 || bases > 8) {
      throw new RangeError(`bases must be an integer in [1, 8]; got ${String(bases)}`);
    }
    super(`AbcWeights(${bases})`, bases, (w) => abcWeights(w, bases));
    this.bases = bases;
  }
}

/**
 * DoReFa's k-bit activation (the `dorefaAct` row of `STE_RULES`) as a layer.
 *
 * @example 2 bits: levels 0, ⅓, ⅔, 1 on clip(x, 0, 1)
 * ```ts
 * import { QuantActivation } from "@lowbit/binary/method-layers";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * const y = new QuantActivation(2).forward(Variable.from([-1, 0.2, 0.5, 0.9, 3]));
 * deepEqual([...y.data].map((v) => Math.round(3 * v)), [0, 1, 2, 3, 3]);
 * ```
 */
export class QuantActivation extends Module {
  /** k. */
  readonly bits: number;

  /**
   * Makes the layer.
   *
   * @param bits k ∈ [1, 16].
   * @throws {RangeError} If `bits` is out of range.
   */
  constructor(bits: number) {
    super();
    this.bits = checkBits("bits", bits);
  }

  /**
   * Quantizes.
   *
   * @param x The input.
   * @returns The k-bit activation in [0, 1], same shape.
   */
  forward(x: Variable): Variable {
    return steBinarize(x, "dorefaAct", { bits: this.bits });
  }

  /**
   * The layer's name.
   *
   * @returns `dorefaAct(k)`.
   */
  describe(): string {
    return `dorefaAct(${this.bits})`;
  }
}

/**
 * ABC-Net's default shifts v_n for N bases: thresholds 0.5 − v_n evenly spaced on [−1, 1]
 * (one basis: threshold 0).
 *
 * @param n N ∈ [1, 8].
 * @returns v_0 … v_{N−1}.
 * @throws {RangeError} If `n` is out of range.
 *
 * @example
 * ```ts
 * import { abcShifts } from "@lowbit/binary/method-layers";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(abcShifts(3), [1.5, 0.5, -0.5]);
 * deepEqual(abcShifts(1), [0.5]);
 * ```
 */
export function abcShifts(n: number): number[] {
  if (!Number.isInteger(n) || n < 1 || n > 8) {
    throw new RangeError(`n must be an integer in [1, 8]; got ${String(n)}`);
  }
  return Array.from({ length: n }, (_, i) => 0.5 - (n === 1 ? 0 : -1 + (2 * i) / (n - 1)));
}

/**
 * ABC-Net's activation with N binary bases and trained β_n (module table; `abcActivations`).
 *
 * @example Three bases at β = ⅓: four levels −1, −⅓, ⅓, 1 by the thresholds −1, 0, 1
 * ```ts
 * import { AbcActivation } from "@lowbit/binary/method-layers";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * const y = new AbcActivation(3).forward(Variable.from([-2, -0.5, 0.5, 2]));
 * deepEqual([...y.data].map((v) => Math.round(3 * v)), [-3, -1, 1, 3]);
 * ```
 */
export class AbcActivation extends Module {
  /** β, shape `[N]`. */
  readonly beta: Variable;
  /** v_n. */
  readonly shifts: readonly number[];

  /**
   * Makes the layer.
   *
   * @param bases N ∈ [1, 8].
   * @param shifts v_n (default {@linkcode abcShifts}(N)).
   * @throws {RangeError} If `bases` is out of range or `shifts` has another length.
   */
  constructor(bases: number, shifts: readonly number[] = abcShifts(bases)) {
    super();
    if (shifts.length !== bases) {
      throw new RangeError(`shifts has ${shifts.length} entries; expected bases = ${bases}`);
    }
    this.shifts = Object.freeze([...shifts]);
    this.beta = this.registerParameter(
      "beta",
      new Variable(new Float32Array(bases).fill(1 / bases), [bases], { requiresGrad: true }),
    );
  }

  /**
   * Σ_n β_n·H_n(x).
   *
   * @param x The input.
   * @returns Same shape.
   */
  forward(x: Variable): Variable {
    return abcActivations(x, this.beta, this.shifts);
  }

  /**
   * The layer's name.
   *
   * @returns `AbcActivation(N)`.
   */
  describe(): string {
    return `AbcActivation(${this.shifts.length})`;
  }
}
