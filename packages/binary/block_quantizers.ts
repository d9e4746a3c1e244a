/**
 * The distortions φ that Quant-Noise (Fan, Stock, Graham, Grave, Gribonval, Jégou & Joulin 2020,
 * "Training with Quantization Noise for Extreme Model Compression"; survey §III-H) applies to a
 * random subset of a layer's weight blocks (`quant_noise.ts`). A weight `[out, ...]` is read in
 * row-major order and cut into consecutive blocks of `blockSize` weights that never cross an
 * output row; a {@linkcode BlockQuantizer} replaces every block by its quantized value.
 *
 * | quantizer                      | block                    | φ(block)                                                                                      |
 * | ------------------------------ | ------------------------ | --------------------------------------------------------------------------------------------- |
 * | {@linkcode IntBlockQuantizer}  | 1 weight (or a group)    | intN with one per-layer affine min-max grid: S = (max − min)/(2^N − 1), Z = −round(min/S) (`@lowbit/quantize`) |
 * | {@linkcode PqBlockQuantizer}   | a sub-vector of d weights | its nearest centroid in one per-layer codebook of 2^b centroids learned by k-means (`@lowbit/vq`, iPQ's shared codebook) |
 *
 * The parameters (the min-max range, the codebook) are estimated by `refresh(w)` from the
 * current float weights; `QuantNoise` calls it periodically during training.
 *
 * @example int4 of a six-weight layer: range [−1, 2], S = 0.2, so 0.33 ↦ 0.4
 * ```ts
 * import { IntBlockQuantizer } from "@lowbit/binary/block-quantizers";
 * import { ok } from "node:assert/strict";
 * const q = new IntBlockQuantizer({ bits: 4 });
 * const w = Float32Array.from([-1, 0.33, 2, 0.5, -0.21, 1]);
 * q.refresh(w);
 * const wq = q.quantize(w);
 * ok(Math.abs(wq[1] - 0.4) < 1e-6 && Math.abs(wq[4] + 0.2) < 1e-6);
 * ```
 *
 * @module
 */

import { qparamsFromRange, type QuantParams } from "@lowbit/quantize/params";
import { fakeQuantize } from "@lowbit/quantize/uniform";
import { ProductQuantizer } from "@lowbit/vq/product";

/** A blockwise quantizer φ: parameters from the float weights, then every block replaced. */
export interface BlockQuantizer {
  /** Consecutive weights (row-major) that form one block. */
  readonly blockSize: number;
  /**
   * Re-estimates the parameters (range, codebook) from the float weights.
   *
   * @param w The layer's weights, row-major.
   */
  refresh(w: Float32Array): void;
  /**
   * Every block replaced by its quantized value.
   *
   * @param w The layer's weights, row-major.
   * @returns φ(w), a new array of the same length.
   */
  quantize(w: Float32Array): Float32Array;
  /** The quantizer in words, e.g. `int4 (per-layer min-max), blocks of 1`. */
  describe(): string;
}

function checkBlockSize(blockSize: number): number {
  if (!Number.isInteger(blockSize) || blockSize < 1) {
    throw new RangeError(`options.blockSize must be a positive integer; got ${String(blockSize)}`);
  }
  return blockSize;
}

function checkWeights(w: Float32Array, blockSize: number): void {
  if (!(w instanceof Float32Array) || w.length === 0) {
    throw new TypeError("w must be a non-empty Float32Array");
  }
  if (w.length % blockSize !== 0) {
    throw new RangeError(
      `w has ${w.length} weights, not a multiple of blockSize ${blockSize}`,
    );
  }
}

/** Options of {@linkcode IntBlockQuantizer}. */
export interface IntBlockQuantizerOptions {
  /** Bit width N, 2..16 (codes [0, 2^N − 1]). */
  bits: number;
  /** Weights per block (default 1: each weight is drawn on its own). */
  blockSize?: number;
}

/**
 * intN scalar quantization with one affine grid per layer from the weights' min and max (the
 * paper's intN: ranges recomputed during training), computed by `qparamsFromRange` and applied
 * by `fakeQuantize` of `@lowbit/quantize` (round half to even, codes clamped to [0, 2^N − 1]).
 * The block size only sets how weights are grouped when Quant-Noise draws which to quantize.
 *
 * @example int8: every weight is within S/2 of its value, S = (max − min)/255
 * ```ts
 * import { IntBlockQuantizer } from "@lowbit/binary/block-quantizers";
 * import { ok } from "node:assert/strict";
 * const q = new IntBlockQuantizer({ bits: 8, blockSize: 2 });
 * const w = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i));
 * q.refresh(w);
 * const s = Number(q.params().scale);
 * ok(q.quantize(w).every((v, i) => Math.abs(v - w[i]) <= s / 2 + 1e-7));
 * ```
 */
export class IntBlockQuantizer implements BlockQuantizer {
  /** Bit width N. */
  readonly bits: number;
  /** Weights per block. */
  readonly blockSize: number;
  #params: QuantParams | null = null;

  /**
   * Makes the quantizer (its grid comes with the first `refresh`).
   *
   * @param options Bit width and block size.
   * @throws {RangeError} If `options.bits` is not an integer in [2, 16] or `options.blockSize`
   *   is not a positive integer.
   */
  constructor(options: IntBlockQuantizerOptions) {
    const { bits } = options;
    if (!Number.isInteger(bits) || bits < 2 || bits > 16) {
      throw new RangeError(`options.bits must be an integer in [2, 16]; got ${String(bits)}`);
    }
    this.bits = bits;
    this.blockSize = checkBlockSize(options.blockSize ?? 1);
  }

  /**
   * Sets the grid from the weights' range.
   *
   * @param w The layer's weights.
   * @throws {RangeError} If the length is not a multiple of the block size.
   * @throws {TypeError} If `w` is not a non-empty Float32Array.
   */
  refresh(w: Float32Array): void {
    checkWeights(w, this.blockSize);
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < w.length; i++) {
      if (w[i] < lo) lo = w[i];
      if (w[i] > hi) hi = w[i];
    }
    const range = { qmin: 0, qmax: 2 ** this.bits - 1 };
    this.#params = { ...qparamsFromRange(lo, hi, { ...range, symmetric: false }), ...range };
  }

  /**
   * The current grid.
   *
   * @returns Scale, zero point and code range.
   * @throws {RangeError} Before the first `refresh`.
   */
  params(): QuantParams {
    if (this.#params === null) throw new RangeError(`${this.describe()}: call refresh(w) first`);
    return this.#params;
  }

  /**
   * Fake-quantizes every weight on the current grid.
   *
   * @param w The layer's weights.
   * @returns The dequantized codes.
   * @throws {RangeError} Before the first `refresh`, or on a length that is not a multiple of
   *   the block size.
   */
  quantize(w: Float32Array): Float32Array {
    checkWeights(w, this.blockSize);
    return fakeQuantize(w, this.params());
  }

  /**
   * The quantizer in words.
   *
   * @returns e.g. `int4 (per-layer min-max), blocks of 1`.
   */
  describe(): string {
    return `int${this.bits} (per-layer min-max), blocks of ${this.blockSize}`;
  }
}

/** Options of {@linkcode PqBlockQuantizer}. */
export interface PqBlockQuantizerOptions {
  /** Sub-vector length d (weights per block). */
  blockSize: number;
  /** Bits per block code b: the codebook holds 2^b centroids (1..16). */
  bits: number;
  /** k-means seed (default 0). */
  seed?: number;
  /** Lloyd iterations per refresh (default 25). */
  maxIter?: number;
}

/**
 * Product quantization of a layer as in iPQ (Stock et al. 2019, the PQ of Quant-Noise): the
 * weights are cut into sub-vectors of d consecutive weights, one codebook of 2^b centroids per
 * layer is learned on them by seeded k-means (`ProductQuantizer` of `@lowbit/vq` with one
 * sub-space of dimension d), and each block is replaced by its nearest centroid (exact float32
 * distance, ties to the lowest index). A layer then costs (size/d)·b bits of codes plus
 * 2^b·d float32 centroids.
 *
 * @example 64 blocks of 2 weights on 4 centroids: at most 4 distinct blocks after quantization
 * ```ts
 * import { PqBlockQuantizer } from "@lowbit/binary/block-quantizers";
 * import { equal, ok } from "node:assert/strict";
 * const q = new PqBlockQuantizer({ blockSize: 2, bits: 2, seed: 1 });
 * const w = Float32Array.from({ length: 128 }, (_, i) => Math.sin(i * 0.7));
 * q.refresh(w);
 * const wq = q.quantize(w);
 * const blocks = new Set(Array.from({ length: 64 }, (_, i) => `${wq[2 * i]},${wq[2 * i + 1]}`));
 * ok(blocks.size <= 4);
 * equal(q.storageBits(128), 64 * 2 + 4 * 2 * 32);
 * ```
 */
export class PqBlockQuantizer implements BlockQuantizer {
  /** Sub-vector length d. */
  readonly blockSize: number;
  /** Bits per block code. */
  readonly bits: number;
  /** k-means seed. */
  readonly seed: number;
  /** Lloyd iterations per refresh. */
  readonly maxIter: number;
  #pq: ProductQuantizer | null = null;

  /**
   * Makes the quantizer (its codebook comes with the first `refresh`).
   *
   * @param options Block size, bits, seed, iterations.
   * @throws {RangeError} If `options.blockSize` is not a positive integer, `options.bits` not an
   *   integer in [1, 16], or `options.maxIter` not a positive integer.
   */
  constructor(options: PqBlockQuantizerOptions) {
    this.blockSize = checkBlockSize(options.blockSize);
    const { bits } = options;
    if (!Number.isInteger(bits) || bits < 1 || bits > 16) {
      throw new RangeError(`options.bits must be an integer in [1, 16]; got ${String(bits)}`);
    }
    this.bits = bits;
    this.seed = options.seed ?? 0;
    this.maxIter = options.maxIter ?? 25;
    if (!Number.isInteger(this.maxIter) || this.maxIter < 1) {
      throw new RangeError(
        `options.maxIter must be a positive integer; got ${String(options.maxIter)}`,
      );
    }
  }

  /**
   * Learns the codebook on the blocks of `w` (k-means++ initialisation with the seed).
   *
   * @param w The layer's weights.
   * @throws {RangeError} If the length is not a multiple of the block size or there are fewer
   *   blocks than centroids.
   * @throws {TypeError} If `w` is not a non-empty Float32Array.
   */
  refresh(w: Float32Array): void {
    checkWeights(w, this.blockSize);
    const blocks = w.length / this.blockSize;
    if (blocks < 2 ** this.bits) {
      throw new RangeError(
        `w has ${blocks} blocks of ${this.blockSize}, fewer than the 2^${this.bits} = ${
          2 ** this.bits
        } centroids (options.bits)`,
      );
    }
    const pq = new ProductQuantizer(this.blockSize, 1, this.bits);
    pq.train(w, { seed: this.seed, maxIter: this.maxIter });
    this.#pq = pq;
  }

  /**
   * The codebook, `[2^b][d]` (a copy).
   *
   * @returns The centroids.
   * @throws {RangeError} Before the first `refresh`.
   */
  centroids(): Float32Array {
    return this.#trained().centroids.slice();
  }

  /**
   * Every block replaced by its nearest centroid.
   *
   * @param w The layer's weights.
   * @returns The reconstruction.
   * @throws {RangeError} Before the first `refresh`, or on a length that is not a multiple of
   *   the block size.
   */
  quantize(w: Float32Array): Float32Array {
    checkWeights(w, this.blockSize);
    const pq = this.#trained();
    return pq.decode(pq.encode(w));
  }

  /**
   * Storage of a quantized layer of `n` weights: codes plus the float32 codebook.
   *
   * @param n Weights in the layer (a multiple of the block size).
   * @returns (n/d)·b + 2^b·d·32 bits.
   * @throws {RangeError} If `n` is not a positive multiple of the block size.
   */
  storageBits(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n % this.blockSize !== 0) {
      throw new RangeError(
        `n must be a positive multiple of blockSize ${this.blockSize}; got ${String(n)}`,
      );
    }
    return (n / this.blockSize) * this.bits + 2 ** this.bits * this.blockSize * 32;
  }

  /**
   * The quantizer in words.
   *
   * @returns e.g. `PQ 2^5 centroids, blocks of 8`.
   */
  describe(): string {
    return `PQ 2^${this.bits} centroids, blocks of ${this.blockSize}`;
  }

  #trained(): ProductQuantizer {
    if (this.#pq === null) throw new RangeError(`${this.describe()}: call refresh(w) first`);
    return this.#pq;
  }
}
