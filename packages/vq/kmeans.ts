/**
 * k-means (Lloyd's algorithm) with seeded k-means++ initialisation, weighted points, and an
 * explicit empty-cluster rule — the clustering behind codebook weight sharing and product
 * quantization (survey §IV-F).
 *
 * - Assignment: nearest centroid by squared L2 distance in float32 (ties to the lowest index),
 *   on the WebAssembly SIMD kernel when available (bit-identical to the TypeScript reference).
 * - Update: each centroid becomes the weighted mean of its points (sums in binary64).
 * - Empty cluster: it takes the point farthest from its current centroid (largest weighted
 *   squared distance; ties to the lowest point index), so k stays k.
 * - Stop: no assignment changed (`converged`), or the relative inertia improvement fell below
 *   `tol`, or `maxIter` iterations.
 *
 * @example Two obvious clusters in 2-D
 * ```ts
 * import { kmeans } from "@lowbit/vq/kmeans";
 * import { deepEqual, equal } from "node:assert/strict";
 * const x = new Float32Array([0, 0, 0, 1, 10, 10, 10, 11]); // four 2-D points
 * const r = kmeans(x, 2, 2, { seed: 7 });
 * equal(r.assignments[0], r.assignments[1]);
 * equal(r.assignments[2], r.assignments[3]);
 * deepEqual([...r.centroids].sort((a, b) => a - b), [0, 0.5, 10, 10.5]);
 * ```
 *
 * @module
 */

import { Philox, type RandomSource } from "@lowbit/rounding";
import { checkData, checkInt, checkWeights } from "./_check.ts";
import { nearest } from "./_nearest.ts";
import type { KernelChoice } from "./_types.ts";

export type { KernelChoice, RandomSource };

/** Options of {@link kmeans}. */
export interface KMeansOptions {
  /** Seed of the Philox generator used for initialisation (default 0). */
  seed?: number;
  /** A random source to use instead of `seed`. */
  random?: RandomSource;
  /** `"kmeans++"` (default), `"random"` (k distinct points), or initial centroids (k×dim). */
  init?: "kmeans++" | "random" | Float32Array;
  /** Most Lloyd iterations (default 25). */
  maxIter?: number;
  /** Stop when inertia improves by less than this fraction (default 1e-6). */
  tol?: number;
  /** Non-negative weight of each point (default all 1). */
  weights?: Float32Array | Float64Array;
  /** Assignment kernel (default `"auto"`). */
  kernel?: KernelChoice;
}

/** The clustering. */
export interface KMeansResult {
  /** Centroids, row-major k×dim. */
  centroids: Float32Array;
  /** Cluster of each point. */
  assignments: Int32Array;
  /** Weighted sum of squared distances to the assigned centroids (float32 distances). */
  inertia: number;
  /** Lloyd iterations run. */
  iterations: number;
  /** True when the last iteration changed no assignment. */
  converged: boolean;
}

/**
 * Clusters n = data.length / dim points into k clusters.
 *
 * @param data Points, row-major n×dim, finite.
 * @param dim Dimension of a point.
 * @param k Number of clusters, 1 ≤ k ≤ n.
 * @param options Seed or random source, initialisation (`"random"`: k distinct points drawn
 *   uniformly, weights ignored), iterations, tolerance, weights, kernel.
 * @returns Centroids, assignments, inertia, iterations, convergence.
 * @throws {RangeError} On empty data, NaN/infinite values, a length not divisible by dim, k
 *   outside [1, n], bad weights, iterations or tolerance.
 * @throws {TypeError} When data is not a Float32Array.
 *
 * @example Weighted points pull their centroid
 * ```ts
 * import { kmeans } from "@lowbit/vq/kmeans";
 * import { deepEqual } from "node:assert/strict";
 * const r = kmeans(new Float32Array([0, 4]), 1, 1, { weights: new Float32Array([3, 1]) });
 * deepEqual([...r.centroids], [1]);
 * ```
 */
export function kmeans(
  data: Float32Array,
  dim: number,
  k: number,
  options: KMeansOptions = {},
): KMeansResult {
  if (!(data instanceof Float32Array)) throw new TypeError("data must be a Float32Array");
  checkData("data", data);
  checkInt("dim", dim, 1, data.length);
  if (data.length % dim !== 0) {
    throw new RangeError(`data.length (${data.length}) must be a multiple of dim (${dim})`);
  }
  const n = data.length / dim;
  checkInt("k", k, 1, n);
  const w = checkWeights("options.weights", options.weights, n);
  const maxIter = checkInt("options.maxIter", options.maxIter ?? 25, 0, 1e6);
  const tol = options.tol ?? 1e-6;
  if (!(tol >= 0) || !Number.isFinite(tol)) {
    throw new RangeError(`options.tol must be a finite number ≥ 0, got ${String(tol)}`);
  }
  const rnd = options.random ?? new Philox(options.seed ?? 0);
  const centroids = initialCentroids(data, n, dim, k, w, options.init ?? "kmeans++", rnd);
  const job = { x: data, n, dim, m: 1, dsub: dim, centroids, ksub: k };
  let { index: assignments, distance } = nearest(job, options.kernel);
  let inertia = weightedSum(distance, w);
  let iterations = 0, converged = false;
  const sums = new Float64Array(k * dim), mass = new Float64Array(k);
  while (iterations < maxIter) {
    iterations++;
    // update
    sums.fill(0);
    mass.fill(0);
    for (let i = 0; i < n; i++) {
      const c = assignments[i], wi = w ? w[i] : 1;
      mass[c] += wi;
      for (let d = 0; d < dim; d++) sums[c * dim + d] += wi * data[i * dim + d];
    }
    const taken = new Set<number>();
    for (let c = 0; c < k; c++) {
      if (mass[c] > 0) {
        for (let d = 0; d < dim; d++) centroids[c * dim + d] = sums[c * dim + d] / mass[c];
        continue;
      }
      // empty (or zero-weight) cluster: the farthest point not already taken
      let far = -1, best = -1;
      for (let i = 0; i < n; i++) {
        const v = (w ? w[i] : 1) * distance[i];
        if (v > best && !taken.has(i)) {
          best = v;
          far = i;
        }
      }
      if (far >= 0) {
        taken.add(far);
        centroids.set(data.subarray(far * dim, far * dim + dim), c * dim);
      }
    }
    const next = nearest(job, options.kernel);
    let changed = 0;
    for (let i = 0; i < n; i++) if (next.index[i] !== assignments[i]) changed++;
    const nextInertia = weightedSum(next.distance, w);
    const improvement = inertia - nextInertia;
    assignments = next.index;
    distance = next.distance;
    inertia = nextInertia;
    if (changed === 0) {
      converged = true;
      break;
    }
    if (improvement >= 0 && improvement <= tol * inertia) break;
  }
  return { centroids, assignments, inertia, iterations, converged };
}

function weightedSum(d: Float32Array, w: Float32Array | Float64Array | undefined): number {
  let s = 0;
  for (let i = 0; i < d.length; i++) s += (w ? w[i] : 1) * d[i];
  return s;
}

/** k-means++ (D² sampling, weighted), k distinct random points, or given centroids. */
function initialCentroids(
  data: Float32Array,
  n: number,
  dim: number,
  k: number,
  w: Float32Array | Float64Array | undefined,
  init: KMeansOptions["init"],
  rnd: RandomSource,
): Float32Array {
  const c = new Float32Array(k * dim);
  if (init instanceof Float32Array) {
    if (init.length !== k * dim) {
      throw new RangeError(`options.init must hold k×dim = ${k * dim} values, got ${init.length}`);
    }
    checkData("options.init", init);
    c.set(init);
    return c;
  }
  if (init !== "kmeans++" && init !== "random") {
    throw new RangeError(
      `options.init must be "kmeans++", "random" or a Float32Array, got ${String(init)}`,
    );
  }
  const weightOf = (i: number) => (w ? w[i] : 1);
  const pick = (p: Float64Array, total: number): number => {
    // index i with probability p[i] / total (the last positive one on rounding)
    let u = rnd.uniform() * total, last = -1;
    for (let i = 0; i < n; i++) {
      if (p[i] <= 0) continue;
      last = i;
      u -= p[i];
      if (u < 0) return i;
    }
    return last;
  };
  const p = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) total += p[i] = weightOf(i);
  if (!(total > 0)) {
    p.fill(1);
    total = n;
  }
  if (init === "random") {
    // k distinct points, uniformly (partial Fisher–Yates; weights are not used here)
    const idx = Int32Array.from({ length: n }, (_, t) => t);
    for (let j = 0; j < k; j++) {
      const r = j + Math.min(n - j - 1, Math.floor(rnd.uniform() * (n - j)));
      const t = idx[j];
      idx[j] = idx[r];
      idx[r] = t;
      c.set(data.subarray(idx[j] * dim, idx[j] * dim + dim), j * dim);
    }
    return c;
  }
  // k-means++
  const d2 = new Float64Array(n).fill(Infinity);
  let i = pick(p, total);
  for (let j = 0; j < k; j++) {
    c.set(data.subarray(i * dim, i * dim + dim), j * dim);
    if (j === k - 1) break;
    let s = 0;
    for (let t = 0; t < n; t++) {
      let d = 0;
      for (let q = 0; q < dim; q++) {
        const diff = data[t * dim + q] - data[i * dim + q];
        d += diff * diff;
      }
      if (d < d2[t]) d2[t] = d;
      s += p[t] = weightOf(t) * d2[t];
    }
    // all remaining mass at distance 0 (duplicates): fall back to uniform among the points
    i = s > 0 ? pick(p, s) : Math.min(n - 1, Math.floor(rnd.uniform() * n));
  }
  return c;
}
