/**
 * Exact optimal k-means in one dimension (scalar weight sharing, survey §IV-F). In 1-D the
 * optimal clusters are contiguous runs of the sorted values, so dynamic programming over
 * "the first j sorted values in c clusters" finds the global optimum of the (weighted) sum of
 * squared errors — which Lloyd's algorithm, a local search, does not guarantee. Segment costs
 * come from prefix sums in binary64; the DP row for c clusters is filled by divide and
 * conquer over the monotone split points (Grønlund et al. 2017), O(k·u·log u) for u distinct
 * values after an O(n log n) sort.
 *
 * @example Weights pull a centroid (importance- or Hessian-weighted sharing)
 * ```ts
 * import { kmeans1d } from "@lowbit/vq/kmeans-1d";
 * import { deepEqual } from "node:assert/strict";
 * const x = new Float32Array([0, 1, 10]);
 * deepEqual([...kmeans1d(x, 2, { weights: new Float32Array([1, 3, 1]) }).centroids], [0.75, 10]);
 * ```
 *
 * @module
 */

import { checkData, checkInt, checkWeights } from "./_check.ts";

/** Options of {@link kmeans1d}. */
export interface KMeans1dOptions {
  /** Non-negative importance of each value (e.g. Hessian diagonal); default all 1. */
  weights?: Float32Array | Float64Array;
}

/** The optimal clustering. */
export interface KMeans1dResult {
  /**
   * Centroids in ascending order (weighted means of their clusters, rounded to float32).
   * Fewer than k when the data has fewer than k distinct values.
   */
  centroids: Float32Array;
  /** Cluster of each input value (index into `centroids`). */
  assignments: Int32Array;
  /** Weighted sum of squared distances to the (unrounded) cluster means. */
  cost: number;
}

/**
 * Clusters scalars into k groups with the minimum weighted squared error.
 *
 * @param values The data (finite).
 * @param k Number of clusters, 1 ≤ k ≤ values.length.
 * @param options Weights.
 * @returns Centroids, assignments and the optimal cost.
 * @throws {RangeError} On empty data, NaN/infinite values or weights, negative weights, or k
 *   outside [1, values.length].
 * @throws {TypeError} When values/weights are not Float32Array/Float64Array.
 *
 * @example
 * ```ts
 * import { kmeans1d } from "@lowbit/vq/kmeans-1d";
 * import { deepEqual, equal } from "node:assert/strict";
 * const r = kmeans1d(new Float64Array([5, 1, 2, 9]), 3);
 * deepEqual([...r.centroids], [1.5, 5, 9]);
 * deepEqual([...r.assignments], [1, 0, 0, 2]);
 * equal(r.cost, 0.5);
 * ```
 */
export function kmeans1d(
  values: Float32Array | Float64Array,
  k: number,
  options: KMeans1dOptions = {},
): KMeans1dResult {
  checkData("values", values);
  const n = values.length;
  checkInt("k", k, 1, n);
  const w = checkWeights("options.weights", options.weights, n);
  // Sort indices by value, then merge equal values (exact for squared error).
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const ux: number[] = [], uw: number[] = [];
  const group = new Int32Array(n); // distinct-value index of each sorted position
  for (let s = 0; s < n; s++) {
    const v = values[order[s]], wt = w ? w[order[s]] : 1;
    if (ux.length > 0 && ux[ux.length - 1] === v) uw[uw.length - 1] += wt;
    else {
      ux.push(v);
      uw.push(wt);
    }
    group[s] = ux.length - 1;
  }
  const u = ux.length;
  const kk = Math.min(k, u);
  // prefix sums of w, w·x, w·x² (shifted by the mean for accuracy)
  let mean = 0, total = 0;
  for (let i = 0; i < u; i++) {
    mean += uw[i] * ux[i];
    total += uw[i];
  }
  mean = total > 0 ? mean / total : 0;
  const P0 = new Float64Array(u + 1), P1 = new Float64Array(u + 1), P2 = new Float64Array(u + 1);
  for (let i = 0; i < u; i++) {
    const d = ux[i] - mean;
    P0[i + 1] = P0[i] + uw[i];
    P1[i + 1] = P1[i] + uw[i] * d;
    P2[i + 1] = P2[i] + uw[i] * d * d;
  }
  /** SSE of distinct values [i, j). */
  const cost = (i: number, j: number): number => {
    const s0 = P0[j] - P0[i];
    if (s0 <= 0) return 0;
    const s1 = P1[j] - P1[i];
    const c = P2[j] - P2[i] - (s1 * s1) / s0;
    return c > 0 ? c : 0;
  };
  // D[c][j]: best cost of the first j distinct values in c + 1 clusters; split[c][j]: start
  // of the last cluster.
  let prev = new Float64Array(u + 1);
  for (let j = 1; j <= u; j++) prev[j] = cost(0, j);
  const splits: Int32Array[] = [new Int32Array(u + 1)];
  for (let c = 1; c < kk; c++) {
    const cur = new Float64Array(u + 1).fill(Infinity);
    const sp = new Int32Array(u + 1);
    const p = prev;
    // fill cur[j] for j in [lo, hi] knowing the optimal split lies in [optLo, optHi]
    const solve = (lo: number, hi: number, optLo: number, optHi: number) => {
      if (lo > hi) return;
      const mid = (lo + hi) >> 1;
      let best = Infinity, arg = optLo;
      const top = Math.min(optHi, mid - 1);
      for (let i = optLo; i <= top; i++) {
        const v = p[i] + cost(i, mid);
        if (v < best) {
          best = v;
          arg = i;
        }
      }
      cur[mid] = best;
      sp[mid] = arg;
      solve(lo, mid - 1, optLo, arg);
      solve(mid + 1, hi, arg, optHi);
    };
    solve(c + 1, u, c, u - 1);
    splits.push(sp);
    prev = cur;
  }
  // Walk the splits back to cluster boundaries over distinct values.
  const starts = new Int32Array(kk + 1);
  starts[kk] = u;
  for (let c = kk - 1, j = u; c >= 1; c--) {
    j = splits[c][j];
    starts[c] = j;
  }
  const centroids = new Float32Array(kk);
  const clusterOf = new Int32Array(u);
  let best = 0;
  for (let c = 0; c < kk; c++) {
    const i = starts[c], j = starts[c + 1];
    // weighted mean summed directly over the run (exact for runs of one value, e.g. pruned
    // zeros; the plain mean when all weights in the run are zero)
    let sw = 0, swx = 0, sx = 0;
    for (let t = i; t < j; t++) {
      sw += uw[t];
      swx += uw[t] * ux[t];
      sx += ux[t];
    }
    const m = sw > 0 ? swx / sw : sx / (j - i);
    centroids[c] = m;
    best += cost(i, j);
    for (let t = i; t < j; t++) clusterOf[t] = c;
  }
  const assignments = new Int32Array(n);
  for (let s = 0; s < n; s++) assignments[order[s]] = clusterOf[group[s]];
  return { centroids, assignments, cost: best };
}
