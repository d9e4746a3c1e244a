/**
 * Residual (multi-stage) vector quantization: stage 1 quantizes the vector with a k-means
 * codebook, each further stage quantizes what the previous stages left (the residual), and
 * the reconstruction is the sum of the chosen codewords. With S stages of 2^nbits codewords a
 * vector costs S·nbits bits; the error falls with every stage. Encoding is greedy (stage by
 * stage nearest codeword, ties to the lowest index), like FAISS's ResidualQuantizer with beam
 * size 1.
 *
 * @example Two stages reconstruct better than one
 * ```ts
 * import { ResidualQuantizer } from "@lowbit/vq/residual";
 * import { ok } from "node:assert/strict";
 * const x = new Float32Array(200 * 2).map((_, i) => Math.sin(i * 0.37) * 3);
 * const rq = new ResidualQuantizer(2, 2, 3);
 * rq.train(x, { seed: 1 });
 * const err = (s: number) => {
 *   const y = rq.decode(rq.encode(x), s);
 *   return y.reduce((e, v, i) => e + (v - x[i]) ** 2, 0);
 * };
 * ok(err(2) < err(1));
 * ```
 *
 * @module
 */

import { checkData, checkInt } from "./_check.ts";
import { type KernelChoice, kmeans } from "./kmeans.ts";
import { nearest } from "./_nearest.ts";

export type { KernelChoice };

/** Options of {@link ResidualQuantizer.train}. */
export interface RqTrainOptions {
  /** Seed of stage s's k-means is seed + s (default 0). */
  seed?: number;
  /** Lloyd iterations per stage (default 25). */
  maxIter?: number;
  /** Assignment kernel (default `"auto"`). */
  kernel?: KernelChoice;
}

/** A residual quantizer of `stages` codebooks with 2^nbits codewords each. */
export class ResidualQuantizer {
  /** Vector dimension. */
  readonly dim: number;
  /** Number of stages. */
  readonly stages: number;
  /** Bits per stage code. */
  readonly nbits: number;
  /** Codewords per stage (2^nbits). */
  readonly ksub: number;
  /** Codebooks `[stages][ksub][dim]`. */
  readonly codebooks: Float32Array;
  #trained = false;

  /**
   * Creates an untrained quantizer.
   *
   * @param dim Vector dimension (≥ 1).
   * @param stages Number of stages (≥ 1).
   * @param nbits Bits per stage, 1..16.
   * @throws {RangeError} On a bad dimension, stage count or nbits.
   */
  constructor(dim: number, stages: number, nbits = 8) {
    checkInt("dim", dim, 1, 2 ** 20);
    checkInt("stages", stages, 1, 64);
    checkInt("nbits", nbits, 1, 16);
    this.dim = dim;
    this.stages = stages;
    this.nbits = nbits;
    this.ksub = 2 ** nbits;
    this.codebooks = new Float32Array(stages * this.ksub * dim);
  }

  /**
   * Learns the codebooks stage by stage on the residuals.
   *
   * @param data Training vectors, row-major n×dim, n ≥ 2^nbits.
   * @param options Seed, iterations, kernel.
   * @throws {RangeError} On bad data or fewer vectors than codewords.
   */
  train(data: Float32Array, options: RqTrainOptions = {}): void {
    const n = this.#rows(data);
    if (n < this.ksub) {
      throw new RangeError(
        `k (2^nbits = ${this.ksub}) is larger than the number of training vectors (${n})`,
      );
    }
    const { dim, ksub } = this;
    const residual = data.slice(0, n * dim);
    for (let s = 0; s < this.stages; s++) {
      const r = kmeans(residual, dim, ksub, {
        seed: (options.seed ?? 0) + s,
        maxIter: options.maxIter ?? 25,
        kernel: options.kernel,
      });
      this.codebooks.set(r.centroids, s * ksub * dim);
      for (let i = 0; i < n; i++) {
        const c = r.assignments[i] * dim;
        for (let d = 0; d < dim; d++) residual[i * dim + d] -= r.centroids[c + d];
      }
    }
    this.#trained = true;
  }

  /**
   * Greedy encoding: per stage the nearest codeword to the current residual.
   *
   * @param data Vectors, row-major n×dim.
   * @param options Kernel.
   * @returns Codes `[n][stages]`.
   * @throws {RangeError} Before training, or on bad data.
   */
  encode(data: Float32Array, options: { kernel?: KernelChoice } = {}): Uint16Array {
    if (!this.#trained) throw new RangeError("the ResidualQuantizer is not trained (call train)");
    const n = this.#rows(data);
    const { dim, ksub, stages } = this;
    const residual = data.slice(0, n * dim);
    const codes = new Uint16Array(n * stages);
    for (let s = 0; s < stages; s++) {
      const book = this.codebooks.subarray(s * ksub * dim, (s + 1) * ksub * dim);
      const { index } = nearest(
        { x: residual, n, dim, m: 1, dsub: dim, centroids: book, ksub },
        options.kernel,
      );
      for (let i = 0; i < n; i++) {
        codes[i * stages + s] = index[i];
        const c = index[i] * dim;
        for (let d = 0; d < dim; d++) residual[i * dim + d] -= book[c + d];
      }
    }
    return codes;
  }

  /**
   * Sums the codewords of the first `useStages` stages.
   *
   * @param codes Codes `[n][stages]`.
   * @param useStages Stages to use (default all): a coarser reconstruction from a prefix.
   * @returns Vectors, row-major n×dim.
   * @throws {RangeError} On a code length not a multiple of stages, a code ≥ 2^nbits, or a bad
   *   stage count.
   */
  decode(codes: Uint16Array, useStages: number = this.stages): Float32Array {
    const { dim, ksub, stages } = this;
    if (!(codes instanceof Uint16Array) || codes.length % stages !== 0) {
      throw new RangeError(`codes must be a Uint16Array whose length is a multiple of ${stages}`);
    }
    checkInt("useStages", useStages, 1, stages);
    const n = codes.length / stages;
    const out = new Float32Array(n * dim);
    for (let i = 0; i < n; i++) {
      for (let s = 0; s < useStages; s++) {
        const j = codes[i * stages + s];
        if (j >= ksub) {
          throw new RangeError(`codes[${i * stages + s}] = ${j} is ≥ 2^nbits = ${ksub}`);
        }
        const c = (s * ksub + j) * dim;
        for (let d = 0; d < dim; d++) out[i * dim + d] += this.codebooks[c + d];
      }
    }
    return out;
  }

  #rows(data: Float32Array): number {
    if (!(data instanceof Float32Array)) throw new TypeError("data must be a Float32Array");
    checkData("data", data);
    if (data.length % this.dim !== 0) {
      throw new RangeError(`data.length (${data.length}) must be a multiple of dim (${this.dim})`);
    }
    return data.length / this.dim;
  }
}
