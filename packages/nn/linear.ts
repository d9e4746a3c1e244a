/**
 * The fully connected layer y = x·Wᵀ + b (PyTorch layout: `weight` is `[out, in]`, `bias` is
 * `[out]`), with an optional weight transform (a fake quantizer for QAT, see `qat.ts`) applied
 * to W before the product.
 *
 * @example
 * ```ts
 * import { Linear } from "@lowbit/nn/linear";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { deepEqual } from "node:assert/strict";
 * const fc = new Linear(3, 2, { random: new Philox(0) });
 * deepEqual(fc.forward(Variable.zeros([5, 3])).shape, [5, 2]);
 * ```
 *
 * @module
 */

import { Variable } from "./autograd.ts";
import { heUniform, type UniformSource } from "./init.ts";
import { expectShape, Module } from "./module.ts";
import { linear } from "./ops.ts";

/** Options of {@linkcode Linear}. */
export interface LinearOptions {
  /** Seeded source for the He-uniform weights. */
  random: UniformSource;
  /** Learn a bias (default true). */
  bias?: boolean;
}

/**
 * A fully connected layer.
 *
 * @example Wrong input width: the message names the layer and both shapes
 * ```ts
 * import { Linear } from "@lowbit/nn/linear";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { throws } from "node:assert/strict";
 * const fc = new Linear(784, 10, { random: new Philox(0) });
 * throws(() => fc.forward(Variable.zeros([2, 100])), /Linear\(784→10\) expects input \[N, 784\], got \[2, 100\]/);
 * ```
 */
export class Linear extends Module {
  /** Weight `[out, in]`. */
  readonly weight: Variable;
  /** Bias `[out]`, or null. */
  readonly bias: Variable | null;
  /** Input features. */
  readonly inFeatures: number;
  /** Output features. */
  readonly outFeatures: number;
  #weightQuant: Module | null = null;

  /**
   * Makes the layer with He-uniform weights and zero bias.
   *
   * @param inFeatures Input width.
   * @param outFeatures Output width.
   * @param options Seeded source, bias switch.
   * @throws {RangeError} If a width is not a positive integer.
   */
  constructor(inFeatures: number, outFeatures: number, options: LinearOptions) {
    super();
    for (const [n, v] of [["inFeatures", inFeatures], ["outFeatures", outFeatures]] as const) {
      if (!Number.isInteger(v) || v < 1) {
        throw new RangeError(`${n} must be a positive integer; got ${String(v)}`);
      }
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const w = heUniform(outFeatures * inFeatures, inFeatures, options.random);
    this.weight = this.registerParameter("weight", new Variable(w, [outFeatures, inFeatures]));
    this.bias = options.bias === false
      ? null
      : this.registerParameter("bias", Variable.zeros([outFeatures]));
  }

  /**
   * Installs a weight transform (e.g. a per-channel fake quantizer), registered as `weight_fq`.
   *
   * @param m The transform: maps W to Ŵ of the same shape.
   */
  setWeightQuant(m: Module): void {
    if (this.#weightQuant !== null) {
      throw new RangeError(`${this.describe()} already has a weight quantizer`);
    }
    this.#weightQuant = this.registerModule("weight_fq", m);
  }

  /** The installed weight transform, or null. */
  get weightQuant(): Module | null {
    return this.#weightQuant;
  }

  /**
   * y = x·Ŵᵀ + b.
   *
   * @param x `[N, in]`.
   * @returns `[N, out]`.
   * @throws {RangeError} If the input shape does not fit.
   */
  forward(x: Variable): Variable {
    expectShape(this.describe(), x, [null, this.inFeatures]);
    const w = this.#weightQuant === null ? this.weight : this.#weightQuant.forward(this.weight);
    return linear(x, w, this.bias ?? undefined);
  }

  /**
   * The layer's name and widths.
   *
   * @returns e.g. `Linear(784→256)`.
   */
  describe(): string {
    return `Linear(${this.inFeatures}→${this.outFeatures})`;
  }
}
