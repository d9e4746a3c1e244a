/**
 * Error metrics between a reference x and its approximation x̂ (a quantized or otherwise
 * reconstructed copy), accumulated in float64 over n elements:
 *
 *     mse        = Σ (xᵢ − x̂ᵢ)² / n                                         (M.1)
 *     sqnrDb     = 10 · log10(Σ xᵢ² / Σ (xᵢ − x̂ᵢ)²)                         (M.2)
 *     maxAbsErr  = max |xᵢ − x̂ᵢ|                                             (M.3)
 *     cosine     = Σ xᵢ x̂ᵢ / √(Σ xᵢ² · Σ x̂ᵢ²)                                (M.4)
 *
 * Conventions: SQNR is +Infinity when x̂ = x exactly (0/0 included) and −Infinity when x is all
 * zeros but x̂ is not; cosine similarity is 0 when either vector is all zeros (PyTorch's
 * `cosine_similarity` clamps the norm product at ε and gives 0 there too). NaN elements
 * propagate to NaN results. Inputs are any numeric arrays (Float32Array, Float64Array, number[]);
 * the lengths must match and be nonzero. Sums are plain float64 running sums (relative error
 * ≲ n·2^−53); float64 inputs beyond ~1e154 in magnitude overflow the sums of squares.
 *
 * Reference points: rounding to a uniform grid of step Δ adds noise of variance Δ²/12 when the
 * signal is spread over many steps, so a full-scale uniform signal quantized with b bits has
 * SQNR ≈ 6.02 · b dB.
 *
 * @module
 */

/** All metrics of {@linkcode errorReport}. */
export interface ErrorReport {
  /** Mean squared error (Eq. M.1). */
  mse: number;
  /** Signal-to-quantization-noise ratio in dB (Eq. M.2). */
  sqnrDb: number;
  /** Largest absolute error (Eq. M.3). */
  maxAbsError: number;
  /** Cosine similarity (Eq. M.4). */
  cosine: number;
  /** Number of elements. */
  n: number;
}

function checkPair(x: ArrayLike<number>, xhat: ArrayLike<number>): number {
  for (const [name, a] of [["x", x], ["xhat", xhat]] as const) {
    if (a === null || typeof a !== "object" || typeof a.length !== "number") {
      throw new TypeError(`${name} must be an array or typed array of numbers`);
    }
  }
  if (x.length !== xhat.length) {
    throw new RangeError(
      `x and xhat must have the same length; got ${x.length} and ${xhat.length}`,
    );
  }
  if (x.length === 0) throw new RangeError("x and xhat must not be empty");
  return x.length;
}

interface Sums {
  sxx: number;
  syy: number;
  sxy: number;
  see: number;
  maxAbs: number;
}

function sums(x: ArrayLike<number>, y: ArrayLike<number>, n: number): Sums {
  let sxx = 0, syy = 0, sxy = 0, see = 0, maxAbs = 0;
  for (let i = 0; i < n; i++) {
    const a = x[i], b = y[i], e = a - b;
    sxx += a * a;
    syy += b * b;
    sxy += a * b;
    see += e * e;
    const ae = Math.abs(e);
    if (ae > maxAbs || ae !== ae) maxAbs = ae;
  }
  return { sxx, syy, sxy, see, maxAbs };
}

function sqnr(s: Sums): number {
  if (s.see === 0) return s.sxx !== s.sxx ? NaN : Infinity;
  return 10 * Math.log10(s.sxx / s.see);
}

function cosineOf(s: Sums): number {
  if (s.sxx === 0 || s.syy === 0) return 0;
  // √(Σx² · Σx̂²) in one root where the product neither overflows nor underflows.
  const p = s.sxx * s.syy;
  const d = p > 0 && p < Infinity ? Math.sqrt(p) : Math.sqrt(s.sxx) * Math.sqrt(s.syy);
  const c = s.sxy / d;
  return c > 1 ? 1 : c < -1 ? -1 : c; // NaN passes through
}

/**
 * Mean squared error Σ(x − x̂)²/n (Eq. M.1).
 *
 * @param x The reference.
 * @param xhat The approximation, same length.
 * @returns The MSE.
 * @throws {TypeError} If an argument is not array-like.
 * @throws {RangeError} If the lengths differ or are 0.
 *
 * @example
 * ```ts
 * import { mse } from "@lowbit/quantize/metrics";
 * import { equal } from "node:assert/strict";
 * equal(mse([1, 2, 3, 4], [1, 2, 3, 6]), 1);
 * ```
 */
export function mse(x: ArrayLike<number>, xhat: ArrayLike<number>): number {
  const n = checkPair(x, xhat);
  return sums(x, xhat, n).see / n;
}

/**
 * Signal-to-quantization-noise ratio 10·log10(Σx² / Σ(x − x̂)²) in dB (Eq. M.2).
 *
 * @param x The reference.
 * @param xhat The approximation, same length.
 * @returns SQNR in dB; +Infinity when x̂ = x, −Infinity when x = 0 ≠ x̂.
 * @throws {TypeError} If an argument is not array-like.
 * @throws {RangeError} If the lengths differ or are 0.
 *
 * @example
 * ```ts
 * import { sqnrDb } from "@lowbit/quantize/metrics";
 * import { equal } from "node:assert/strict";
 * equal(sqnrDb([3, 4], [3, 4.5]), 20); // 25 / 0.25 = 100
 * equal(sqnrDb([1, 2], [1, 2]), Infinity);
 * ```
 */
export function sqnrDb(x: ArrayLike<number>, xhat: ArrayLike<number>): number {
  const n = checkPair(x, xhat);
  return sqnr(sums(x, xhat, n));
}

/**
 * Largest absolute error max|x − x̂| (Eq. M.3).
 *
 * @param x The reference.
 * @param xhat The approximation, same length.
 * @returns The maximum absolute error.
 * @throws {TypeError} If an argument is not array-like.
 * @throws {RangeError} If the lengths differ or are 0.
 *
 * @example
 * ```ts
 * import { maxAbsError } from "@lowbit/quantize/metrics";
 * import { equal } from "node:assert/strict";
 * equal(maxAbsError([1, -2, 3], [1.5, -4, 3]), 2);
 * ```
 */
export function maxAbsError(x: ArrayLike<number>, xhat: ArrayLike<number>): number {
  const n = checkPair(x, xhat);
  return sums(x, xhat, n).maxAbs;
}

/**
 * Cosine similarity Σx·x̂ / (‖x‖·‖x̂‖) (Eq. M.4); 0 when either vector is all zeros.
 *
 * @param x The reference.
 * @param xhat The approximation, same length.
 * @returns A value in [−1, 1].
 * @throws {TypeError} If an argument is not array-like.
 * @throws {RangeError} If the lengths differ or are 0.
 *
 * @example
 * ```ts
 * import { cosineSimilarity } from "@lowbit/quantize/metrics";
 * import { equal } from "node:assert/strict";
 * equal(cosineSimilarity([1, 0], [0, 2]), 0);
 * equal(cosineSimilarity([1, 1], [2, 2]), 1);
 * equal(cosineSimilarity([3, 4], [-3, -4]), -1);
 * ```
 */
export function cosineSimilarity(x: ArrayLike<number>, xhat: ArrayLike<number>): number {
  const n = checkPair(x, xhat);
  return cosineOf(sums(x, xhat, n));
}

/**
 * All four metrics in one pass.
 *
 * @param x The reference.
 * @param xhat The approximation, same length.
 * @returns `{ mse, sqnrDb, maxAbsError, cosine, n }`.
 * @throws {TypeError} If an argument is not array-like.
 * @throws {RangeError} If the lengths differ or are 0.
 *
 * @example
 * ```ts
 * import { errorReport } from "@lowbit/quantize/metrics";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(errorReport([3, 4], [3, 4.5]), { mse: 0.125, sqnrDb: 20, maxAbsError: 0.5, cosine: 27 / Math.sqrt(25 * 29.25), n: 2 });
 * ```
 */
export function errorReport(x: ArrayLike<number>, xhat: ArrayLike<number>): ErrorReport {
  const n = checkPair(x, xhat);
  const s = sums(x, xhat, n);
  return { mse: s.see / n, sqnrDb: sqnr(s), maxAbsError: s.maxAbs, cosine: cosineOf(s), n };
}
