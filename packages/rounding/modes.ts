/**
 * Deterministic and stochastic rounding of real numbers to integers.
 *
 * Every function here rounds a JavaScript number (an IEEE binary64 value) to an integer-valued
 * number. The modes follow IEEE 754-2019 §4.3 and survey Eq. (8) for the stochastic mode; the
 * short names used across lowbit (`rne`, `rna`, `rtz`, `rdn`, `rup`, `sr`) are listed in
 * `docs/naming.md`.
 *
 * @module
 */

/**
 * A way of choosing between the two integers that bracket a real number.
 *
 * - `"nearest-even"` (`rne`): nearest integer, ties to the even one (IEEE default, PyTorch
 *   `torch.round`, NumPy `rint`).
 * - `"nearest-away"` (`rna`): nearest integer, ties away from zero (C `round`, TFLite reference).
 * - `"toward-zero"` (`rtz`): truncation.
 * - `"floor"` (`rdn`): toward −∞.
 * - `"ceil"` (`rup`): toward +∞.
 * - `"stochastic"` (`sr`): ⌈x⌉ with probability x − ⌊x⌋, else ⌊x⌋ (survey Eq. 8); needs a
 *   {@linkcode RandomSource}.
 */
export type RoundingMode =
  | "nearest-even"
  | "nearest-away"
  | "toward-zero"
  | "floor"
  | "ceil"
  | "stochastic";

/**
 * Every {@linkcode RoundingMode}, in a fixed order (useful for loops in tests and UIs).
 *
 * @example Listing the modes
 * ```ts
 * import { ROUNDING_MODES } from "@lowbit/rounding/modes";
 * import { equal } from "node:assert/strict";
 * equal(ROUNDING_MODES.length, 6);
 * equal(ROUNDING_MODES[0], "nearest-even");
 * ```
 */
export const ROUNDING_MODES: readonly RoundingMode[] = Object.freeze([
  "nearest-even",
  "nearest-away",
  "toward-zero",
  "floor",
  "ceil",
  "stochastic",
]);

/**
 * A source of independent uniform numbers in [0, 1). {@linkcode Philox} implements it; any
 * seeded generator with this method can be passed where stochastic rounding needs randomness.
 */
export interface RandomSource {
  /** The next uniform number in [0, 1). */
  uniform(): number;
}

/**
 * Checks that a value names a {@linkcode RoundingMode}.
 *
 * @param mode The value to check.
 * @param name The argument name used in the error message.
 * @returns The same value, typed as a rounding mode.
 * @throws {RangeError} If `mode` is not one of {@linkcode ROUNDING_MODES}.
 *
 * @example Validating user input
 * ```ts
 * import { assertRoundingMode } from "@lowbit/rounding/modes";
 * import { equal, throws } from "node:assert/strict";
 * equal(assertRoundingMode("floor"), "floor");
 * throws(() => assertRoundingMode("up"), RangeError);
 * ```
 */
export function assertRoundingMode(mode: unknown, name = "rounding"): RoundingMode {
  if (typeof mode !== "string" || !(ROUNDING_MODES as readonly string[]).includes(mode)) {
    throw new RangeError(
      `${name} must be one of ${ROUNDING_MODES.map((m) => `"${m}"`).join(", ")}; got ${
        typeof mode === "string" ? `"${mode}"` : String(mode)
      }`,
    );
  }
  return mode as RoundingMode;
}

/**
 * Rounds to the nearest integer, ties to even (IEEE roundTiesToEven).
 *
 * Exact for every finite binary64 input; ±0, ±∞ and NaN pass through (−0.5 gives −0).
 *
 * @param x The number to round.
 * @returns The nearest integer; on a tie, the even one.
 *
 * @example Ties go to the even neighbour
 * ```ts
 * import { roundHalfEven } from "@lowbit/rounding/modes";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([0.5, 1.5, 2.5, -2.5, 2.6].map(roundHalfEven), [0, 2, 2, -2, 3]);
 * ```
 */
export function roundHalfEven(x: number): number {
  const r = Math.round(x); // ties toward +∞; exact for all binary64 inputs
  // A tie is exactly when r − x === 0.5 (the subtraction is exact near ties); move odd r down.
  if (r - x === 0.5 && r % 2 !== 0) return r - 1;
  return r === 0 && x < 0 ? -0 : r;
}

/**
 * Rounds to the nearest integer, ties away from zero (IEEE roundTiesToAway, C `round`).
 *
 * @param x The number to round.
 * @returns The nearest integer; on a tie, the one farther from zero.
 *
 * @example Ties go away from zero
 * ```ts
 * import { roundHalfAway } from "@lowbit/rounding/modes";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([0.5, 1.5, 2.5, -2.5, -2.4].map(roundHalfAway), [1, 2, 3, -3, -2]);
 * ```
 */
export function roundHalfAway(x: number): number {
  const a = Math.abs(x);
  const r = Math.floor(a);
  const up = a - r >= 0.5 ? r + 1 : r; // a − r is exact for |a| < 2^52; above, a is an integer
  return x < 0 || Object.is(x, -0) ? -up : up;
}

/**
 * Rounds toward zero (truncation, IEEE roundTowardZero).
 *
 * @param x The number to round.
 * @returns The integer part of `x`.
 *
 * @example Truncation
 * ```ts
 * import { roundTowardZero } from "@lowbit/rounding/modes";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([1.9, -1.9, 2].map(roundTowardZero), [1, -1, 2]);
 * ```
 */
export function roundTowardZero(x: number): number {
  return Math.trunc(x);
}

/**
 * Stochastic rounding with a given uniform draw (survey Eq. 8): ⌈x⌉ when `u < x − ⌊x⌋`, else ⌊x⌋.
 *
 * With `u` uniform in [0, 1) this rounds up with probability x − ⌊x⌋, so E[result] = x
 * (unbiased). Integers are returned unchanged whatever `u` is.
 *
 * @param x The number to round.
 * @param u A uniform draw in [0, 1).
 * @returns ⌊x⌋ or ⌈x⌉.
 *
 * @example The draw decides
 * ```ts
 * import { roundStochasticWith } from "@lowbit/rounding/modes";
 * import { equal } from "node:assert/strict";
 * equal(roundStochasticWith(2.25, 0.2), 3); // 0.2 < 0.25: up
 * equal(roundStochasticWith(2.25, 0.3), 2);
 * equal(roundStochasticWith(-2.25, 0.7), -2); // frac of −2.25 is 0.75
 * ```
 */
export function roundStochasticWith(x: number, u: number): number {
  const f = Math.floor(x);
  return u < x - f ? f + 1 : f;
}

/**
 * Rounds a number to an integer with the given mode.
 *
 * @param x The number to round.
 * @param mode The rounding mode (default `"nearest-even"`).
 * @param random Uniform source; required for `"stochastic"`, ignored otherwise.
 * @returns The rounded integer-valued number.
 * @throws {RangeError} If `mode` is unknown.
 * @throws {TypeError} If `mode` is `"stochastic"` and no `random` source is given.
 *
 * @example Each mode on 2.5 and −2.5
 * ```ts
 * import { roundInteger } from "@lowbit/rounding/modes";
 * import { deepEqual } from "node:assert/strict";
 * const modes = ["nearest-even", "nearest-away", "toward-zero", "floor", "ceil"] as const;
 * deepEqual(modes.map((m) => roundInteger(2.5, m)), [2, 3, 2, 2, 3]);
 * deepEqual(modes.map((m) => roundInteger(-2.5, m)), [-2, -3, -2, -3, -2]);
 * ```
 */
export function roundInteger(
  x: number,
  mode: RoundingMode = "nearest-even",
  random?: RandomSource,
): number {
  switch (mode) {
    case "nearest-even":
      return roundHalfEven(x);
    case "nearest-away":
      return roundHalfAway(x);
    case "toward-zero":
      return Math.trunc(x);
    case "floor":
      return Math.floor(x);
    case "ceil":
      return Math.ceil(x);
    case "stochastic":
      return roundStochasticWith(x, requireRandom(random).uniform());
    default:
      assertRoundingMode(mode);
      throw new RangeError(`unreachable rounding mode ${String(mode)}`);
  }
}

/**
 * Returns `random` or throws the error every stochastic API in lowbit uses when it is missing.
 *
 * @param random The source to check.
 * @param name The argument name used in the error message.
 * @returns `random`, narrowed to a {@linkcode RandomSource}.
 * @throws {TypeError} If `random` has no `uniform()` method.
 *
 * @example A missing source is an error, never a silent unseeded fallback
 * ```ts
 * import { requireRandom } from "@lowbit/rounding/modes";
 * import { throws } from "node:assert/strict";
 * throws(() => requireRandom(undefined), TypeError);
 * ```
 */
export function requireRandom(random: RandomSource | undefined, name = "random"): RandomSource {
  if (random === undefined || typeof random.uniform !== "function") {
    throw new TypeError(
      `${name} must be a seeded RandomSource (e.g. new Philox(seed)) for stochastic rounding`,
    );
  }
  return random;
}

/** The rounding part of an options object, shared by every lowbit API that rounds. */
export interface RoundingOptions {
  /** Rounding mode, default `"nearest-even"`. */
  rounding?: RoundingMode;
  /** Seeded uniform source, required when `rounding` is `"stochastic"`. */
  random?: RandomSource;
}

/** A validated rounding mode with the random source it needs. */
export interface ResolvedRounding {
  /** The mode (`"nearest-even"` when none was given). */
  mode: RoundingMode;
  /** The source for `"stochastic"`; `undefined` for deterministic modes. */
  random: RandomSource | undefined;
}

/**
 * Validates the rounding fields of an options object once, before a loop uses them.
 *
 * @param options An object with optional `rounding` and `random`.
 * @returns The mode (default `"nearest-even"`) and, for `"stochastic"`, the random source.
 * @throws {RangeError} If `rounding` is not a {@linkcode RoundingMode}.
 * @throws {TypeError} If `rounding` is `"stochastic"` and `random` is missing.
 *
 * @example
 * ```ts
 * import { Philox, resolveRounding } from "@lowbit/rounding";
 * import { equal, throws } from "node:assert/strict";
 * equal(resolveRounding().mode, "nearest-even");
 * equal(resolveRounding({ rounding: "floor" }).random, undefined);
 * equal(resolveRounding({ rounding: "stochastic", random: new Philox(1) }).mode, "stochastic");
 * throws(() => resolveRounding({ rounding: "stochastic" }), TypeError);
 * ```
 */
export function resolveRounding(options?: RoundingOptions): ResolvedRounding {
  const mode = options?.rounding ?? "nearest-even";
  if (mode !== "nearest-even") assertRoundingMode(mode);
  return { mode, random: mode === "stochastic" ? requireRandom(options?.random) : undefined };
}
