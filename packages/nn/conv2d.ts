/**
 * The 2-D convolution layer (PyTorch `Conv2d` layout: `weight` `[O, C/G, kh, kw]`, `bias`
 * `[O]`), with stride, padding, dilation and groups (groups = C = O: depthwise), an optional
 * weight transform (fake quantizer for QAT), on the im2col + GEMM op of `ops_conv.ts`.
 *
 * @example
 * ```ts
 * import { Conv2d } from "@lowbit/nn/conv2d";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { deepEqual } from "node:assert/strict";
 * const conv = new Conv2d(1, 8, 3, { random: new Philox(0), padding: 1 });
 * deepEqual(conv.forward(Variable.zeros([2, 1, 28, 28])).shape, [2, 8, 28, 28]);
 * ```
 *
 * @module
 */

import { Variable } from "./autograd.ts";
import { heUniform, type UniformSource } from "./init.ts";
import { expectShape, Module } from "./module.ts";
import { conv2d, type Conv2dOptions } from "./ops_conv.ts";

/** Options of {@linkcode Conv2d}. */
export interface Conv2dLayerOptions extends Conv2dOptions {
  /** Seeded source for the He-uniform weights. */
  random: UniformSource;
  /** Learn a bias (default true). */
  bias?: boolean;
}

/**
 * A 2-D convolution layer.
 *
 * @example A depthwise 3×3 layer and a shape error that names the layer
 * ```ts
 * import { Conv2d } from "@lowbit/nn/conv2d";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { deepEqual, throws } from "node:assert/strict";
 * const dw = new Conv2d(16, 16, 3, { random: new Philox(0), padding: 1, groups: 16 });
 * deepEqual(dw.weight.shape, [16, 1, 3, 3]);
 * throws(() => dw.forward(Variable.zeros([1, 8, 5, 5])), /Conv2d\(16→16, 3×3, g=16\) expects input \[N, 16, H, W\], got \[1, 8, 5, 5\]/);
 * ```
 */
export class Conv2d extends Module {
  /** Weight `[O, C/G, kh, kw]`. */
  readonly weight: Variable;
  /** Bias `[O]`, or null. */
  readonly bias: Variable | null;
  /** C. */
  readonly inChannels: number;
  /** O. */
  readonly outChannels: number;
  /** [kh, kw]. */
  readonly kernel: readonly [number, number];
  /** Geometry passed to the op. */
  readonly options: Conv2dOptions;
  #weightQuant: Module | null = null;

  /**
   * Makes the layer with He-uniform weights (fan-in (C/G)·kh·kw) and zero bias.
   *
   * @param inChannels C.
   * @param outChannels O.
   * @param kernel kh = kw, or [kh, kw].
   * @param options Seeded source, stride, padding, dilation, groups, bias switch.
   * @throws {RangeError} If a size is not a positive integer or C, O are not multiples of G.
   */
  constructor(
    inChannels: number,
    outChannels: number,
    kernel: number | readonly [number, number],
    options: Conv2dLayerOptions,
  ) {
    super();
    const [kh, kw] = typeof kernel === "number" ? [kernel, kernel] : kernel;
    const groups = options.groups ?? 1;
    for (
      const [n, v] of [
        ["inChannels", inChannels],
        ["outChannels", outChannels],
        ["kernel", kh],
        ["kernel", kw],
        ["options.groups", groups],
      ] as const
    ) {
      if (!Number.isInteger(v) || v < 1) {
        throw new RangeError(`${n} must be a positive integer; got ${String(v)}`);
      }
    }
    if (inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new RangeError(
        `inChannels ${inChannels} and outChannels ${outChannels} must be multiples of groups ${groups}`,
      );
    }
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernel = [kh, kw];
    const { random: _r, bias: _b, ...geometry } = options;
    this.options = geometry;
    const fanIn = (inChannels / groups) * kh * kw;
    const w = heUniform(outChannels * fanIn, fanIn, options.random);
    this.weight = this.registerParameter(
      "weight",
      new Variable(w, [outChannels, inChannels / groups, kh, kw]),
    );
    this.bias = options.bias === false
      ? null
      : this.registerParameter("bias", Variable.zeros([outChannels]));
  }

  /**
   * Installs a weight transform (e.g. a per-channel fake quantizer), registered as `weight_fq`.
   *
   * @param m The transform: maps W to Ŵ of the same shape.
   * @throws {RangeError} If one is installed already.
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
   * Convolves.
   *
   * @param x `[N, C, H, W]`.
   * @returns `[N, O, outH, outW]`.
   * @throws {RangeError} If the input shape does not fit.
   */
  forward(x: Variable): Variable {
    expectShape(this.describe(), x, [null, this.inChannels, null, null]);
    const w = this.#weightQuant === null ? this.weight : this.#weightQuant.forward(this.weight);
    return conv2d(x, w, this.bias ?? undefined, this.options);
  }

  /**
   * The layer's name and geometry.
   *
   * @returns e.g. `Conv2d(1→8, 3×3)` or `Conv2d(16→16, 3×3, g=16)`.
   */
  describe(): string {
    const g = this.options.groups ?? 1;
    return `Conv2d(${this.inChannels}→${this.outChannels}, ${this.kernel[0]}×${this.kernel[1]}${
      g === 1 ? "" : `, g=${g}`
    })`;
  }
}
