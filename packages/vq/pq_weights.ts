/**
 * Product quantization of a neural-network weight matrix: each row (an output neuron's
 * weights) is a vector cut into M sub-vectors that share M codebooks of 2^nbits centroids
 * (survey §IV-F; the "PQ" of Gong et al. 2014 for compressing dense layers). Reports the
 * storage before and after, counted bit for bit, and the reconstruction error.
 *
 * @example A 64×16 matrix at M = 4, nbits = 4
 * ```ts
 * import { pqWeights } from "@lowbit/vq/pq-weights";
 * import { equal, ok } from "node:assert/strict";
 * const w = new Float32Array(64 * 16).map((_, i) => Math.sin(i * 0.61));
 * const r = pqWeights(w, 64, 16, { M: 4, nbits: 4, seed: 1 });
 * equal(r.bitsBefore, 64 * 16 * 32);
 * equal(r.bitsAfter, 64 * 4 * 4 + 4 * 16 * 4 * 32); // codes + codebooks
 * ok(r.ratio > 3 && r.sqnrDb > 0);
 * ```
 *
 * @module
 */

import { checkInt } from "./_check.ts";
import type { KernelChoice } from "./kmeans.ts";
import { ProductQuantizer } from "./product.ts";

/** Options of {@link pqWeights}. */
export interface PqWeightsOptions {
  /** Sub-vectors per row (divides cols). */
  M: number;
  /** Bits per sub-code, 1..16 (default 8). */
  nbits?: number;
  /** k-means seed (default 0). */
  seed?: number;
  /** Lloyd iterations (default 25). */
  maxIter?: number;
  /** Kernel (default `"auto"`). */
  kernel?: KernelChoice;
}

/** The quantized matrix and its accounting. */
export interface PqWeightsResult {
  /** The trained quantizer (its centroids are the codebooks). */
  pq: ProductQuantizer;
  /** Codes, rows × codeSize bytes. */
  codes: Uint8Array;
  /** The reconstructed matrix, rows×cols. */
  reconstruction: Float32Array;
  /** Mean squared error per weight. */
  mse: number;
  /** 10·log10(Σw² / Σ(w − ŵ)²). */
  sqnrDb: number;
  /** 32 bits per float32 weight. */
  bitsBefore: number;
  /** rows·M·nbits bits of codes + M·2^nbits·(cols/M)·32 bits of float32 codebooks. */
  bitsAfter: number;
  /** bitsBefore / bitsAfter. */
  ratio: number;
}

/**
 * Quantizes the rows of a weight matrix with a product quantizer.
 *
 * @param weights Row-major rows×cols float32 weights.
 * @param rows Rows (vectors), at least 2^nbits.
 * @param cols Columns (vector dimension), divisible by M.
 * @param options M, nbits, seed, iterations, kernel.
 * @returns Codes, reconstruction, error and bit accounting.
 * @throws {RangeError} On a shape that does not match the data, cols not divisible by M, or
 *   fewer rows than centroids.
 *
 * @example
 * ```ts
 * import { pqWeights } from "@lowbit/vq/pq-weights";
 * import { throws } from "node:assert/strict";
 * throws(() => pqWeights(new Float32Array(12), 3, 4, { M: 3 }), /dim \(4\) must be divisible by M \(3\)/);
 * ```
 */
export function pqWeights(
  weights: Float32Array,
  rows: number,
  cols: number,
  options: PqWeightsOptions,
): PqWeightsResult {
  checkInt("rows", rows, 1, 2 ** 30);
  checkInt("cols", cols, 1, 2 ** 30);
  if (!(weights instanceof Float32Array) || weights.length !== rows * cols) {
    throw new RangeError(`weights must be a Float32Array of rows×cols = ${rows * cols} values`);
  }
  const pq = new ProductQuantizer(cols, options.M, options.nbits ?? 8);
  pq.train(weights, { seed: options.seed, maxIter: options.maxIter, kernel: options.kernel });
  const codes = pq.encode(weights, { kernel: options.kernel });
  const reconstruction = pq.decode(codes);
  let err = 0, sig = 0;
  for (let i = 0; i < weights.length; i++) {
    err += (weights[i] - reconstruction[i]) ** 2;
    sig += weights[i] ** 2;
  }
  const bitsBefore = rows * cols * 32;
  const bitsAfter = rows * pq.M * pq.nbits + pq.M * pq.ksub * pq.dsub * 32;
  return {
    pq,
    codes,
    reconstruction,
    mse: err / weights.length,
    sqnrDb: 10 * Math.log10(sig / err),
    bitsBefore,
    bitsAfter,
    ratio: bitsBefore / bitsAfter,
  };
}
