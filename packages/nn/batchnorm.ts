/**
 * Batch normalization layers over axis 1: {@linkcode BatchNorm2d} for `[N, C, H, W]` and
 * {@linkcode BatchNorm1d} for `[N, C]`. Parameters `weight` (γ, ones) and `bias` (β, zeros);
 * buffers `running_mean` (zeros) and `running_var` (ones), PyTorch's names and defaults
 * (momentum 0.1, ε = 1e-5). Training mode uses batch statistics and updates the buffers;
 * evaluation mode uses the buffers.
 *
 * @example
 * ```ts
 * import { BatchNorm2d } from "@lowbit/nn/batchnorm";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(new BatchNorm2d(4).namedBuffers().map(([n]) => n), ["running_mean", "running_var"]);
 * ```
 *
 * @module
 */

import { Variable } from "./autograd.ts";
import { type Buffer, expectShape, Module } from "./module.ts";
import { batchNorm } from "./ops_norm.ts";

/** Options of the batch-norm layers. */
export interface BatchNormLayerOptions {
  /** Running-statistics momentum (default 0.1). */
  momentum?: number;
  /** ε (default 1e-5). */
  eps?: number;
}

/**
 * The shared part of {@linkcode BatchNorm1d} and {@linkcode BatchNorm2d}: parameters, buffers
 * and the fused op.
 *
 * @example
 * ```ts
 * import { BatchNorm2d, BatchNormBase } from "@lowbit/nn/batchnorm";
 * import { ok } from "node:assert/strict";
 * ok(new BatchNorm2d(2) instanceof BatchNormBase);
 * ```
 */
export abstract class BatchNormBase extends Module {
  /** γ `[C]`. */
  readonly weight: Variable;
  /** β `[C]`. */
  readonly bias: Variable;
  /** Running mean `[C]`. */
  readonly runningMean: Buffer;
  /** Running variance `[C]`. */
  readonly runningVar: Buffer;
  /** Channels. */
  readonly channels: number;
  readonly #momentum: number;
  /** ε added to the variance. */
  readonly eps: number;

  /**
   * Makes γ = 1, β = 0, running mean 0, running variance 1.
   *
   * @param channels C.
   * @param options Momentum and ε.
   * @throws {RangeError} If `channels` is not a positive integer or an option is out of range.
   */
  constructor(channels: number, options: BatchNormLayerOptions) {
    super();
    if (!Number.isInteger(channels) || channels < 1) {
      throw new RangeError(`channels must be a positive integer; got ${String(channels)}`);
    }
    this.channels = channels;
    this.#momentum = options.momentum ?? 0.1;
    this.eps = options.eps ?? 1e-5;
    if (!(this.#momentum >= 0 && this.#momentum <= 1)) {
      throw new RangeError(`options.momentum must be in [0, 1]; got ${this.#momentum}`);
    }
    if (!(this.eps > 0)) throw new RangeError(`options.eps must be positive; got ${this.eps}`);
    this.weight = this.registerParameter(
      "weight",
      new Variable(new Float32Array(channels).fill(1), [channels]),
    );
    this.bias = this.registerParameter("bias", Variable.zeros([channels]));
    this.runningMean = this.registerBuffer("running_mean", new Float32Array(channels), [channels]);
    this.runningVar = this.registerBuffer(
      "running_var",
      new Float32Array(channels).fill(1),
      [channels],
    );
  }

  /**
   * Runs the fused op in the current mode.
   *
   * @param x `[N, C, ...]`.
   * @returns The normalized input.
   */
  protected normalize(x: Variable): Variable {
    return batchNorm(x, this.weight, this.bias, {
      runMean: this.runningMean.data,
      runVar: this.runningVar.data,
    }, { training: this.training, momentum: this.#momentum, eps: this.eps });
  }
}

/**
 * Batch norm over the channels of `[N, C, H, W]`.
 *
 * @example
 * ```ts
 * import { BatchNorm2d } from "@lowbit/nn/batchnorm";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { throws } from "node:assert/strict";
 * throws(() => new BatchNorm2d(3).forward(Variable.zeros([2, 4, 5, 5])), /BatchNorm2d\(3\) expects input \[N, 3, H, W\], got \[2, 4, 5, 5\]/);
 * ```
 */
export class BatchNorm2d extends BatchNormBase {
  /**
   * Makes the layer (γ = 1, β = 0, running mean 0, running variance 1).
   *
   * @param channels C.
   * @param options Momentum and ε.
   * @throws {RangeError} If `channels` is not a positive integer or an option is out of range.
   */
  constructor(channels: number, options: BatchNormLayerOptions = {}) {
    super(channels, options);
  }

  /**
   * Normalizes each channel.
   *
   * @param x `[N, C, H, W]`.
   * @returns Same shape.
   * @throws {RangeError} If the shape does not fit.
   */
  forward(x: Variable): Variable {
    expectShape(this.describe(), x, [null, this.channels, null, null]);
    return this.normalize(x);
  }

  /**
   * The layer's name.
   *
   * @returns e.g. `BatchNorm2d(16)`.
   */
  describe(): string {
    return `BatchNorm2d(${this.channels})`;
  }
}

/**
 * Batch norm over the features of `[N, C]`.
 *
 * @example
 * ```ts
 * import { BatchNorm1d } from "@lowbit/nn/batchnorm";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { ok } from "node:assert/strict";
 * const y = new BatchNorm1d(1).forward(Variable.from([1, 3], [2, 1]));
 * ok(Math.abs(y.data[0] + 1) < 1e-4);
 * ```
 */
export class BatchNorm1d extends BatchNormBase {
  /**
   * Makes the layer.
   *
   * @param channels C.
   * @param options Momentum and ε.
   * @throws {RangeError} If `channels` is not a positive integer or an option is out of range.
   */
  constructor(channels: number, options: BatchNormLayerOptions = {}) {
    super(channels, options);
  }

  /**
   * Normalizes each feature.
   *
   * @param x `[N, C]`.
   * @returns Same shape.
   * @throws {RangeError} If the shape does not fit.
   */
  forward(x: Variable): Variable {
    expectShape(this.describe(), x, [null, this.channels]);
    return this.normalize(x);
  }

  /**
   * The layer's name.
   *
   * @returns e.g. `BatchNorm1d(128)`.
   */
  describe(): string {
    return `BatchNorm1d(${this.channels})`;
  }
}
