/**
 * Stochastic rounding and stochastic binarization over arrays (survey §III-H, Eqs. 8–9).
 *
 * Both draw their randomness from a caller-supplied, seeded {@linkcode RandomSource}: the same
 * seed gives the same result on every run.
 *
 * @module
 */

import { type RandomSource, requireRandom, roundStochasticWith } from "./modes.ts";

/**
 * Stochastically rounds one number (survey Eq. 8): ⌈x⌉ with probability x − ⌊x⌋, else ⌊x⌋.
 *
 * @param x The number to round.
 * @param random A seeded uniform source.
 * @returns ⌊x⌋ or ⌈x⌉; the expectation over draws is exactly `x` (up to the 2^-53 grid of the
 *   draw).
 * @throws {TypeError} If `random` is missing.
 *
 * @example The mean of many draws approaches x
 * ```ts
 * import { stochasticRound } from "@lowbit/rounding/stochastic";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { ok } from "node:assert/strict";
 * const rng = new Philox(3);
 * let sum = 0;
 * for (let i = 0; i < 10000; i++) sum += stochasticRound(0.3, rng);
 * ok(Math.abs(sum / 10000 - 0.3) < 0.02);
 * ```
 */
export function stochasticRound(x: number, random: RandomSource): number {
  return roundStochasticWith(x, requireRandom(random).uniform());
}

/**
 * Stochastically rounds every element of an array (survey Eq. 8).
 *
 * @param src The values to round.
 * @param random A seeded uniform source.
 * @param out Destination (may be `src` itself); a new Float64Array if omitted.
 * @returns `out`.
 * @throws {TypeError} If `random` is missing.
 * @throws {RangeError} If `out` is shorter than `src`.
 *
 * @example Integers never move, fractions go either way
 * ```ts
 * import { stochasticRoundArray } from "@lowbit/rounding/stochastic";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { ok, equal } from "node:assert/strict";
 * const r = stochasticRoundArray([2, -1, 0.5], new Philox(9));
 * equal(r[0], 2);
 * equal(r[1], -1);
 * ok(r[2] === 0 || r[2] === 1);
 * ```
 */
export function stochasticRoundArray<T extends Float32Array | Float64Array = Float64Array>(
  src: ArrayLike<number>,
  random: RandomSource,
  out?: T,
): T {
  const rng = requireRandom(random);
  const dst = out ?? (new Float64Array(src.length) as T);
  if (dst.length < src.length) {
    throw new RangeError(`out must hold at least ${src.length} elements; got ${dst.length}`);
  }
  for (let i = 0; i < src.length; i++) dst[i] = roundStochasticWith(src[i], rng.uniform());
  return dst;
}

/**
 * Which squashing function gives the probability of +1 in stochastic binarization.
 *
 * - `"logistic"`: σ(x) = 1 / (1 + e^(−x)) (survey Eq. 9).
 * - `"hard"`: clip((x + 1) / 2, 0, 1), the "hard sigmoid" of BinaryConnect (Courbariaux 2015).
 */
export type BinarizeSigmoid = "logistic" | "hard";

/**
 * The probability that {@linkcode stochasticBinarize} returns +1 for `x`.
 *
 * @param x The real value.
 * @param sigmoid Which squashing function (default `"logistic"`, survey Eq. 9).
 * @returns A probability in [0, 1]; computed without overflow for any finite `x`.
 * @throws {RangeError} If `sigmoid` is unknown or `x` is NaN.
 *
 * @example σ(0) = 0.5 for both
 * ```ts
 * import { binarizeProbability } from "@lowbit/rounding/stochastic";
 * import { equal } from "node:assert/strict";
 * equal(binarizeProbability(0), 0.5);
 * equal(binarizeProbability(0.5, "hard"), 0.75);
 * equal(binarizeProbability(-1000), 0);
 * ```
 */
export function binarizeProbability(x: number, sigmoid: BinarizeSigmoid = "logistic"): number {
  if (Number.isNaN(x)) throw new RangeError("x must not be NaN");
  if (sigmoid === "logistic") {
    if (x >= 0) return 1 / (1 + Math.exp(-x));
    const e = Math.exp(x);
    return e / (1 + e);
  }
  if (sigmoid === "hard") return Math.min(1, Math.max(0, (x + 1) / 2));
  throw new RangeError(`sigmoid must be "logistic" or "hard"; got ${String(sigmoid)}`);
}

/**
 * Stochastic binarization (survey Eq. 9): +1 with probability σ(x), −1 otherwise.
 *
 * @param x The real value.
 * @param random A seeded uniform source.
 * @param sigmoid Which squashing function (default `"logistic"`).
 * @returns +1 or −1.
 * @throws {TypeError} If `random` is missing.
 * @throws {RangeError} If `sigmoid` is unknown or `x` is NaN.
 *
 * @example Large inputs are almost surely +1
 * ```ts
 * import { stochasticBinarize } from "@lowbit/rounding/stochastic";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { equal } from "node:assert/strict";
 * equal(stochasticBinarize(50, new Philox(0)), 1);
 * equal(stochasticBinarize(-50, new Philox(0)), -1);
 * ```
 */
export function stochasticBinarize(
  x: number,
  random: RandomSource,
  sigmoid: BinarizeSigmoid = "logistic",
): 1 | -1 {
  const p = binarizeProbability(x, sigmoid);
  return requireRandom(random).uniform() < p ? 1 : -1;
}

/**
 * Stochastic binarization of every element (survey Eq. 9), into an Int8Array of ±1.
 *
 * @param src The real values.
 * @param random A seeded uniform source.
 * @param sigmoid Which squashing function (default `"logistic"`).
 * @returns A new Int8Array of +1 / −1.
 * @throws {TypeError} If `random` is missing.
 * @throws {RangeError} If `sigmoid` is unknown or an element is NaN.
 *
 * @example Same seed, same signs
 * ```ts
 * import { stochasticBinarizeArray } from "@lowbit/rounding/stochastic";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { deepEqual } from "node:assert/strict";
 * const x = [0.1, -0.2, 0.3, 2];
 * deepEqual(stochasticBinarizeArray(x, new Philox(5)), stochasticBinarizeArray(x, new Philox(5)));
 * ```
 */
export function stochasticBinarizeArray(
  src: ArrayLike<number>,
  random: RandomSource,
  sigmoid: BinarizeSigmoid = "logistic",
): Int8Array {
  const rng = requireRandom(random);
  const out = new Int8Array(src.length);
  for (let i = 0; i < src.length; i++) {
    out[i] = rng.uniform() < binarizeProbability(src[i], sigmoid) ? 1 : -1;
  }
  return out;
}
