/**
 * Codebook weight sharing (K-means-based weight quantization, lecture 5.4.1; Han et al. 2016
 * §3): every weight is replaced by one of k shared float32 values (the codebook, or centroids)
 * and stored as its ⌈log₂ k⌉-bit cluster index.
 *
 * Storage (lecture 5.4.1, example 2), for n weights of b_w bits and k centroids of b_c bits:
 *
 *     before = n·b_w,    after = n·⌈log₂ k⌉ + k·b_c,    ratio = before / after        (1)
 *
 * which tends to b_w/⌈log₂ k⌉ (32/N for N-bit indices) as n grows. Fine-tuning (lecture
 * 5.4.1.1, Han et al. Fig. 3): the reconstructed weight is ŵᵢ = c[idxᵢ], so by the chain rule
 * the gradient of the loss with respect to centroid c is the sum of the gradients of the
 * weights that share it,
 *
 *     ∂L/∂c = Σ_{i: idxᵢ = c} ∂L/∂ŵᵢ,        c ← c − η·∂L/∂c                            (2)
 *
 * Clustering: `init: "optimal"` (default) uses the exact 1-D k-means of {@link kmeans1d};
 * `init: "linear"` is Han et al.'s linear initialisation (centroids evenly spaced between the
 * minimum and maximum weight) followed by Lloyd iterations — a local optimum, kept for
 * comparison. In both cases the final index of a weight is its nearest codebook entry (ties to
 * the lower index).
 *
 * Index layout ({@link packIndices}): LSB first, field i at bits [i·b, i·b + b) from the least
 * significant bit of byte 0 — the layout of `packBits` in @lowbit/numerics, for any width
 * 1..16.
 *
 * @example The lecture's memory example: 4×4 fp32 weights, 4 clusters → 20 bytes, 3.2×
 * ```ts
 * import { sharingMemory } from "@lowbit/vq/weight-sharing";
 * import { equal } from "node:assert/strict";
 * const m = sharingMemory(16, 4);
 * equal(m.beforeBits / 8, 64);
 * equal(m.indexBits / 8 + m.codebookBits / 8, 20);
 * equal(m.ratio, 3.2);
 * ```
 *
 * @module
 */

import { packFixed, unpackFixed } from "./_bitstream.ts";
import { checkData, checkInt, checkWeights } from "./_check.ts";
import { kmeans1d } from "./kmeans_1d.ts";

/** Weights replaced by indices into a shared codebook. */
export interface SharedWeights {
  /** The k shared values (float32; ascending as produced by {@link shareWeights}). */
  codebook: Float32Array;
  /** Cluster index of each weight. */
  indices: Int32Array;
  /** Bits per stored index: ⌈log₂ codebook.length⌉, at least 1. */
  bits: number;
}

/** Options of {@link shareWeights}. */
export interface ShareWeightsOptions {
  /** `"optimal"` (exact 1-D k-means, default) or `"linear"` (linear init + Lloyd, Han et al.). */
  init?: "optimal" | "linear";
  /** Maximum Lloyd iterations for `init: "linear"` (default 100). */
  iterations?: number;
  /** Non-negative importance of each weight (e.g. a Hessian diagonal) for weighted k-means. */
  importance?: Float32Array | Float64Array;
}

/**
 * Bits needed for an index into k entries: ⌈log₂ k⌉, at least 1.
 *
 * @param k Codebook size ≥ 1.
 * @returns The index width.
 * @throws {RangeError} If k is not a positive integer.
 *
 * @example
 * ```ts
 * import { indexBits } from "@lowbit/vq/weight-sharing";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([1, 2, 3, 4, 5, 16, 17].map(indexBits), [1, 1, 2, 2, 3, 4, 5]);
 * ```
 */
export function indexBits(k: number): number {
  checkInt("k", k, 1, 2 ** 31);
  let b = 1;
  while (2 ** b < k) b++;
  return b;
}

/** Index of the nearest value in an ascending array (ties to the lower index). */
function nearest(sorted: Float32Array | Float64Array, x: number): number {
  let lo = 0, hi = sorted.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    // go right only when x is strictly closer to sorted[mid + 1]
    if (x - sorted[mid] > sorted[mid + 1] - x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Lloyd iterations in 1-D from linearly spaced centroids (Han et al. §3.2). */
function linearLloyd(
  x: Float32Array | Float64Array,
  k: number,
  iterations: number,
  w: Float32Array | Float64Array | undefined,
): Float64Array {
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < x.length; i++) {
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
  }
  const c = new Float64Array(k);
  for (let j = 0; j < k; j++) c[j] = k === 1 ? (min + max) / 2 : min + ((max - min) * j) / (k - 1);
  const idx = new Int32Array(x.length).fill(-1);
  const s0 = new Float64Array(k), s1 = new Float64Array(k);
  for (let it = 0; it < iterations; it++) {
    c.sort();
    let changed = false;
    s0.fill(0);
    s1.fill(0);
    for (let i = 0; i < x.length; i++) {
      const a = nearest(c, x[i]);
      if (a !== idx[i]) (idx[i] = a), (changed = true);
      const wi = w ? w[i] : 1;
      s0[a] += wi;
      s1[a] += wi * x[i];
    }
    if (!changed && it > 0) break;
    // empty (or zero-weight) clusters keep their centroid
    for (let j = 0; j < k; j++) if (s0[j] > 0) c[j] = s1[j] / s0[j];
  }
  return c.sort();
}

/**
 * The values rounded to float32, ascending, duplicates removed: centroids that coincide in
 * float32 (binary64 inputs closer than an ulp, or Lloyd centroids that never separated, e.g. on
 * constant weights) become one entry, so the codebook is strictly ascending.
 */
function distinctFloat32(c: ArrayLike<number>): Float32Array {
  const f = Float32Array.from(c).sort();
  let m = 0;
  for (let j = 0; j < f.length; j++) if (m === 0 || f[j] !== f[m - 1]) f[m++] = f[j];
  return f.slice(0, m);
}

/** Weighted mean of each cluster (the fallback centroid when a cluster has zero weight). */
function clusterMeans(
  x: Float32Array | Float64Array,
  assignments: Int32Array,
  fallback: Float32Array,
  w: Float32Array | Float64Array | undefined,
): Float32Array {
  const k = fallback.length;
  const s0 = new Float64Array(k), s1 = new Float64Array(k);
  for (let i = 0; i < x.length; i++) {
    const wi = w ? w[i] : 1;
    s0[assignments[i]] += wi;
    s1[assignments[i]] += wi * x[i];
  }
  const out = new Float32Array(k);
  for (let j = 0; j < k; j++) out[j] = s0[j] > 0 ? s1[j] / s0[j] : fallback[j];
  return out;
}

/**
 * Clusters weights into k shared values and assigns each weight the index of its nearest one.
 *
 * @param weights The weights (finite).
 * @param k Number of shared values, 1 ≤ k ≤ min(weights.length, 65536). The codebook is
 *   shorter when the weights have fewer than k distinct values (`init: "optimal"`), or when
 *   centroids coincide once rounded to float32 (they are merged).
 * @param options Clustering method and importance weights.
 * @returns Codebook (float32, ascending), indices and the index width.
 * @throws {RangeError} On empty/non-finite weights, a bad k, bad importance or iterations.
 * @throws {TypeError} When weights is not a Float32Array/Float64Array.
 *
 * @example Han et al. 2016, Fig. 3: the 4×4 matrix shares 4 values −1, 0, 1.5, 2
 * ```ts
 * import { shareWeights } from "@lowbit/vq/weight-sharing";
 * import { deepEqual } from "node:assert/strict";
 * const w = new Float32Array([
 *   2.09, -0.98, 1.48, 0.09, 0.05, -0.14, -1.08, 2.12,
 *   -0.91, 1.92, 0, -1.03, 1.87, 0, 1.53, 1.49,
 * ]);
 * const s = shareWeights(w, 4);
 * deepEqual([...s.codebook].map((c) => Math.round(c * 100) / 100), [-1, 0, 1.5, 2]);
 * deepEqual([...s.indices], [3, 0, 2, 1, 1, 1, 0, 3, 0, 3, 1, 0, 3, 1, 2, 2]);
 * ```
 */
export function shareWeights(
  weights: Float32Array | Float64Array,
  k: number,
  options: ShareWeightsOptions = {},
): SharedWeights {
  checkData("weights", weights);
  checkInt("k", k, 1, Math.min(weights.length, 65536));
  const importance = checkWeights("options.importance", options.importance, weights.length);
  const init = options.init ?? "optimal";
  let codebook: Float32Array;
  if (init === "optimal") {
    // The DP finds the optimal clusters; their centroids are recomputed here as plain
    // (weighted) means in binary64, so a cluster of identical values — e.g. pruned zeros —
    // gets exactly that value (kmeans1d's shifted prefix sums can leave ~1e-16 residues).
    const dp = kmeans1d(weights, k, { weights: importance });
    codebook = distinctFloat32(clusterMeans(weights, dp.assignments, dp.centroids, importance));
  } else if (init === "linear") {
    const iterations = checkInt("options.iterations", options.iterations ?? 100, 1, 1e6);
    codebook = distinctFloat32(linearLloyd(weights, k, iterations, importance));
  } else {
    throw new RangeError(`options.init must be "optimal" or "linear", got ${String(init)}`);
  }
  const indices = assignNearest(weights, codebook);
  return { codebook, indices, bits: indexBits(codebook.length) };
}

/**
 * Index of the nearest codebook entry for each weight (ties to the lower index).
 *
 * @param weights The weights.
 * @param codebook Ascending shared values.
 * @returns Indices.
 * @throws {RangeError} If the codebook is empty or not ascending, or data is not finite.
 * @throws {TypeError} On wrong array types.
 *
 * @example
 * ```ts
 * import { assignNearest } from "@lowbit/vq/weight-sharing";
 * import { deepEqual } from "node:assert/strict";
 * const idx = assignNearest(new Float32Array([-3, 0.5, 0.4, 9]), new Float32Array([-1, 0, 1]));
 * deepEqual([...idx], [0, 1, 1, 2]); // 0.5 is a tie between 0 and 1: the lower index wins
 * ```
 */
export function assignNearest(
  weights: Float32Array | Float64Array,
  codebook: Float32Array,
): Int32Array {
  checkData("weights", weights);
  checkData("codebook", codebook);
  for (let j = 1; j < codebook.length; j++) {
    if (!(codebook[j] > codebook[j - 1])) {
      throw new RangeError(
        `codebook must be strictly ascending; codebook[${j}] ≤ codebook[${j - 1}]`,
      );
    }
  }
  const out = new Int32Array(weights.length);
  for (let i = 0; i < weights.length; i++) out[i] = nearest(codebook, weights[i]);
  return out;
}

/**
 * The shared weights: ŵᵢ = codebook[indices[i]].
 *
 * @param shared Codebook and indices.
 * @returns Float32Array of reconstructed weights.
 * @throws {RangeError} On an index outside the codebook.
 *
 * @example
 * ```ts
 * import { reconstructShared } from "@lowbit/vq/weight-sharing";
 * import { deepEqual } from "node:assert/strict";
 * const codebook = new Float32Array([-1, 0.5]);
 * deepEqual([...reconstructShared({ codebook, indices: new Int32Array([1, 0, 1]), bits: 1 })], [0.5, -1, 0.5]);
 * ```
 */
export function reconstructShared(shared: SharedWeights): Float32Array {
  const { codebook, indices } = shared;
  const out = new Float32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i];
    if (!(j >= 0 && j < codebook.length)) {
      throw new RangeError(`indices[${i}] is ${j}; it must be in [0, ${codebook.length - 1}]`);
    }
    out[i] = codebook[j];
  }
  return out;
}

/**
 * Packs cluster indices at a fixed width, LSB first (the layout of `packBits` in
 * @lowbit/numerics, for any width 1..16).
 *
 * @param indices Integers in [0, 2^bits).
 * @param bits Field width 1..16.
 * @returns ⌈n·bits/8⌉ bytes.
 * @throws {RangeError} On a bad width or an index out of range.
 *
 * @example 16 two-bit indices take 4 bytes
 * ```ts
 * import { packIndices } from "@lowbit/vq/weight-sharing";
 * import { deepEqual } from "node:assert/strict";
 * const idx = [3, 0, 2, 1, 1, 1, 0, 3, 0, 3, 1, 0, 3, 1, 2, 2];
 * deepEqual([...packIndices(idx, 2)], [0b01_10_00_11, 0b11_00_01_01, 0b00_01_11_00, 0b10_10_01_11]);
 * ```
 */
export function packIndices(indices: ArrayLike<number>, bits: number): Uint8Array {
  checkInt("bits", bits, 1, 16);
  const top = 2 ** bits - 1;
  for (let i = 0; i < indices.length; i++) {
    const v = indices[i];
    if (!Number.isInteger(v) || v < 0 || v > top) {
      throw new RangeError(
        `indices[${i}] must be an integer in [0, ${top}] for ${bits}-bit fields, got ${v}`,
      );
    }
  }
  return packFixed(indices, bits);
}

/**
 * Unpacks indices written by {@link packIndices}.
 *
 * @param bytes The packed bytes.
 * @param bits Field width 1..16.
 * @param length Number of indices.
 * @returns The indices.
 * @throws {RangeError} On a bad width/length or too few bytes.
 *
 * @example
 * ```ts
 * import { packIndices, unpackIndices } from "@lowbit/vq/weight-sharing";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...unpackIndices(packIndices([5, 0, 7, 2], 3), 3, 4)], [5, 0, 7, 2]);
 * ```
 */
export function unpackIndices(bytes: Uint8Array, bits: number, length: number): Int32Array {
  checkInt("bits", bits, 1, 16);
  checkInt("length", length, 0, 2 ** 31);
  const need = Math.ceil((length * bits) / 8);
  if (!(bytes instanceof Uint8Array) || bytes.length < need) {
    throw new RangeError(
      `bytes must be a Uint8Array of at least ${need} bytes for ${length} indices`,
    );
  }
  return unpackFixed(bytes, bits, length);
}

/**
 * Gradient of the loss with respect to each centroid, eq. (2): the sum of the gradients of the
 * weights in its cluster (accumulated in binary64).
 *
 * @param indices Cluster index of each weight.
 * @param gradients ∂L/∂ŵᵢ for each (shared) weight.
 * @param k Codebook size.
 * @returns Float64Array of k centroid gradients.
 * @throws {RangeError} On a length mismatch, a non-finite gradient or an index outside [0, k).
 *
 * @example Han et al. 2016, Fig. 3 ("group by" and "reduce")
 * ```ts
 * import { clusterGradients } from "@lowbit/vq/weight-sharing";
 * import { deepEqual } from "node:assert/strict";
 * const idx = new Int32Array([3, 0, 2, 1, 1, 1, 0, 3, 0, 3, 1, 0, 3, 1, 2, 2]);
 * const g = new Float32Array([
 *   -0.03, -0.01, 0.03, 0.02, -0.01, 0.01, -0.02, 0.12,
 *   -0.01, 0.02, 0.04, 0.01, -0.07, -0.02, 0.01, -0.02,
 * ]);
 * deepEqual([...clusterGradients(idx, g, 4)].map((v) => Math.round(v * 100) / 100), [-0.03, 0.04, 0.02, 0.04]);
 * ```
 */
export function clusterGradients(
  indices: Int32Array,
  gradients: Float32Array | Float64Array,
  k: number,
): Float64Array {
  checkInt("k", k, 1, 2 ** 31);
  if (gradients.length !== indices.length) {
    throw new RangeError(
      `gradients must have one entry per index (${indices.length}), got ${gradients.length}`,
    );
  }
  const out = new Float64Array(k);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i], g = gradients[i];
    if (!(j >= 0 && j < k)) {
      throw new RangeError(`indices[${i}] is ${j}; it must be in [0, ${k - 1}]`);
    }
    if (!Number.isFinite(g)) throw new RangeError(`gradients[${i}] is ${g}; it must be finite`);
    out[j] += g;
  }
  return out;
}

/**
 * One SGD step on the codebook, eq. (2): c ← c − η·Σ_{i∈c} ∂L/∂ŵᵢ (lecture 5.4.1.1). The
 * indices stay fixed; the updated codebook need not remain ascending.
 *
 * @param shared Codebook and indices (not modified).
 * @param gradients ∂L/∂ŵᵢ for each shared weight.
 * @param learningRate η (finite).
 * @returns The new codebook (float32).
 * @throws {RangeError} On a bad learning rate or gradients (see {@link clusterGradients}).
 *
 * @example Han et al. 2016, Fig. 3 with η = 1: 2, 1.5, 0, −1 → 1.96, 1.48, −0.04, −0.97
 * ```ts
 * import { fineTuneCodebook } from "@lowbit/vq/weight-sharing";
 * import { deepEqual } from "node:assert/strict";
 * const shared = {
 *   codebook: new Float32Array([-1, 0, 1.5, 2]),
 *   indices: new Int32Array([3, 0, 2, 1, 1, 1, 0, 3, 0, 3, 1, 0, 3, 1, 2, 2]),
 *   bits: 2,
 * };
 * const g = new Float32Array([
 *   -0.03, -0.01, 0.03, 0.02, -0.01, 0.01, -0.02, 0.12,
 *   -0.01, 0.02, 0.04, 0.01, -0.07, -0.02, 0.01, -0.02,
 * ]);
 * const c = fineTuneCodebook(shared, g, 1);
 * deepEqual([...c].map((v) => Math.round(v * 100) / 100), [-0.97, -0.04, 1.48, 1.96]);
 * ```
 */
export function fineTuneCodebook(
  shared: SharedWeights,
  gradients: Float32Array | Float64Array,
  learningRate: number,
): Float32Array {
  if (typeof learningRate !== "number" || !Number.isFinite(learningRate)) {
    throw new RangeError(`learningRate must be a finite number, got ${String(learningRate)}`);
  }
  const g = clusterGradients(shared.indices, gradients, shared.codebook.length);
  const out = new Float32Array(shared.codebook.length);
  for (let j = 0; j < out.length; j++) out[j] = shared.codebook[j] - learningRate * g[j];
  return out;
}

/** Storage before and after weight sharing, eq. (1). */
export interface SharingMemory {
  /** n·b_w: the original weights. */
  beforeBits: number;
  /** n·⌈log₂ k⌉: the packed indices. */
  indexBits: number;
  /** k·b_c: the codebook. */
  codebookBits: number;
  /** indexBits + codebookBits. */
  afterBits: number;
  /** beforeBits / afterBits. */
  ratio: number;
}

/** Options of {@link sharingMemory}. */
export interface SharingMemoryOptions {
  /** Bits of an original weight (default 32). */
  weightBits?: number;
  /** Bits of a codebook entry (default 32). */
  codebookBits?: number;
}

/**
 * Exact storage of weight sharing, eq. (1) (lecture 5.4.1, example 2).
 *
 * @param count Number of weights n ≥ 1.
 * @param k Codebook size ≥ 1.
 * @param options Widths of a weight and of a codebook entry.
 * @returns Bits before/after and the ratio.
 * @throws {RangeError} On non-positive-integer arguments.
 *
 * @example 32/N: a large matrix with 16 clusters (4-bit indices) approaches 8×
 * ```ts
 * import { sharingMemory } from "@lowbit/vq/weight-sharing";
 * import { equal } from "node:assert/strict";
 * equal(sharingMemory(1_000_000, 16).ratio.toFixed(3), "7.999");
 * ```
 */
export function sharingMemory(
  count: number,
  k: number,
  options: SharingMemoryOptions = {},
): SharingMemory {
  checkInt("count", count, 1, Number.MAX_SAFE_INTEGER);
  const weightBits = checkInt("options.weightBits", options.weightBits ?? 32, 1, 64);
  const entryBits = checkInt("options.codebookBits", options.codebookBits ?? 32, 1, 64);
  const beforeBits = count * weightBits;
  const idx = count * indexBits(k);
  const codebookBits = k * entryBits;
  const afterBits = idx + codebookBits;
  return { beforeBits, indexBits: idx, codebookBits, afterBits, ratio: beforeBits / afterBits };
}
