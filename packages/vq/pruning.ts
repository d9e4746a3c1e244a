/**
 * Magnitude pruning (Han et al. 2015/2016, Deep Compression §2): the weights of smallest
 * magnitude are set to zero until a target fraction (the sparsity) of them is zero.
 *
 * - Unstructured: exactly round(s·n) weights are pruned, those of smallest |w| (ties: the lower
 *   flat index is pruned first), so every kept weight has |w| ≥ every pruned one.
 * - Structured by rows (`structure: "rows"`): the tensor is viewed as shape[0] rows (output
 *   neurons of a fully connected layer, filters of a convolution, whose remaining dimensions
 *   are flattened); exactly round(s·rows) whole rows are pruned, those of smallest L1 or L2
 *   norm (ties: lower row first).
 *
 * The API takes plain float32 weights in row-major order and a shape.
 *
 * @example Half of six weights pruned by magnitude
 * ```ts
 * import { magnitudePrune } from "@lowbit/vq/pruning";
 * import { deepEqual } from "node:assert/strict";
 * const r = magnitudePrune(new Float32Array([0.5, -0.0625, 2, -1, 0.125, 0.03125]), 0.5);
 * deepEqual([...r.pruned], [0.5, 0, 2, -1, 0, 0]);
 * ```
 *
 * @module
 */

import { checkData, checkInt } from "./_check.ts";

/** Options of {@link magnitudePrune}. */
export interface PruneOptions {
  /** `"unstructured"` (default) or `"rows"` (whole output rows / filters). */
  structure?: "unstructured" | "rows";
  /** Shape of the weights (row-major); required for `structure: "rows"`. */
  shape?: readonly number[];
  /** Row norm for `structure: "rows"`: `"l1"` (default) or `"l2"`. */
  norm?: "l1" | "l2";
}

/** Result of {@link magnitudePrune}. */
export interface PruneResult {
  /** The weights with pruned entries set to +0 (float32 copy). */
  pruned: Float32Array;
  /** 1 where a weight is kept, 0 where it was pruned. */
  mask: Uint8Array;
  /** Number of kept weights. */
  kept: number;
  /**
   * Largest magnitude (unstructured) or row norm (rows) that was pruned; −1 when nothing was
   * pruned.
   */
  threshold: number;
}

function checkShape(shape: unknown, n: number): number[] {
  if (!Array.isArray(shape) || shape.length === 0) {
    throw new RangeError("options.shape must be a non-empty array of positive integers");
  }
  let size = 1;
  for (let i = 0; i < shape.length; i++) {
    checkInt(`options.shape[${i}]`, shape[i], 1, 2 ** 31);
    size *= shape[i];
  }
  if (size !== n) {
    throw new RangeError(
      `options.shape [${shape.join(", ")}] has ${size} elements; weights have ${n}`,
    );
  }
  return shape.slice();
}

/**
 * Prunes weights by magnitude to a target sparsity.
 *
 * @param weights Row-major weights (finite).
 * @param sparsity Fraction of weights (or rows) to prune, in [0, 1].
 * @param options Unstructured or by rows, shape, row norm.
 * @returns Pruned copy, keep-mask, count kept and the pruning threshold.
 * @throws {RangeError} On empty/non-finite weights, sparsity outside [0, 1], a missing or
 *   inconsistent shape for rows, or unknown options.
 * @throws {TypeError} When weights is not a Float32Array/Float64Array.
 *
 * @example Structured: prune the weaker of two rows (L1 norms 3 and 0.6)
 * ```ts
 * import { magnitudePrune } from "@lowbit/vq/pruning";
 * import { deepEqual, equal } from "node:assert/strict";
 * const w = new Float32Array([1, -2, 0.5, 0.1]);
 * const r = magnitudePrune(w, 0.5, { structure: "rows", shape: [2, 2] });
 * deepEqual([...r.mask], [1, 1, 0, 0]);
 * equal(r.threshold.toFixed(1), "0.6");
 * ```
 */
export function magnitudePrune(
  weights: Float32Array | Float64Array,
  sparsity: number,
  options: PruneOptions = {},
): PruneResult {
  checkData("weights", weights);
  if (typeof sparsity !== "number" || !(sparsity >= 0 && sparsity <= 1)) {
    throw new RangeError(`sparsity must be a number in [0, 1], got ${String(sparsity)}`);
  }
  const n = weights.length;
  const structure = options.structure ?? "unstructured";
  const mask = new Uint8Array(n).fill(1);
  let threshold = -1;
  if (structure === "unstructured") {
    const drop = Math.round(sparsity * n);
    const order = Array.from({ length: n }, (_, i) => i)
      .sort((a, b) => Math.abs(weights[a]) - Math.abs(weights[b]) || a - b);
    for (let t = 0; t < drop; t++) {
      mask[order[t]] = 0;
      threshold = Math.abs(weights[order[t]]);
    }
  } else if (structure === "rows") {
    const shape = checkShape(options.shape, n);
    const norm = options.norm ?? "l1";
    if (norm !== "l1" && norm !== "l2") {
      throw new RangeError(`options.norm must be "l1" or "l2", got ${String(norm)}`);
    }
    const rows = shape[0], size = n / rows;
    const norms = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let j = r * size; j < (r + 1) * size; j++) {
        s += norm === "l1" ? Math.abs(weights[j]) : weights[j] * weights[j];
      }
      norms[r] = norm === "l1" ? s : Math.sqrt(s);
    }
    const drop = Math.round(sparsity * rows);
    const order = Array.from({ length: rows }, (_, i) => i)
      .sort((a, b) => norms[a] - norms[b] || a - b);
    for (let t = 0; t < drop; t++) {
      const r = order[t];
      mask.fill(0, r * size, (r + 1) * size);
      threshold = norms[r];
    }
  } else {
    throw new RangeError(
      `options.structure must be "unstructured" or "rows", got ${String(structure)}`,
    );
  }
  const pruned = new Float32Array(n);
  let kept = 0;
  for (let i = 0; i < n; i++) {
    if (mask[i]) {
      pruned[i] = weights[i];
      kept++;
    }
  }
  return { pruned, mask, kept, threshold };
}
