/**
 * Dyadic numbers (survey §IV-A "dyadic quantization", HAWQ-V3): a rational `b / 2^c` with
 * integers b and c ≥ 0. Rescaling by a dyadic number needs one integer multiplication and one
 * rounding right shift — no division, no floating point — which is what integer-only hardware
 * does with the real multiplier `S_a·S_w / S_y`.
 *
 * Contracts:
 * - {@linkcode toDyadic}: the nearest dyadic number with a `bits`-bit signed numerator,
 *   `b = round_half_away(real · 2^c)` with the largest c ≤ `maxShift` keeping |b| < 2^(bits−1).
 * - {@linkcode dyadicFromMultiplier}: `quantizeMultiplier`'s `(M0, shift)` as `M0 / 2^(31 − shift)`
 *   (exactly the same value, reduced).
 * - {@linkcode multiplyByDyadic}: `round_half_away(x · b / 2^c)`, computed exactly (the
 *   product is formed in 64-bit BigInt arithmetic, as an int64 multiply would), saturated to
 *   int32. One rounding, unlike gemmlowp's two (SRDHM then RoundingDivideByPOT), so results
 *   can differ from `multiplyByQuantizedMultiplier` by at most 1 in exact ties of the first
 *   rounding (tested).
 *
 * @example 0.1 as a 16-bit dyadic number
 * ```ts
 * import { dyadicValue, multiplyByDyadic, toDyadic } from "@lowbit/runtime/dyadic";
 * import { deepEqual, equal } from "node:assert/strict";
 * const d = toDyadic(0.1, { bits: 16 });
 * deepEqual(d, { b: 13107, c: 17 }); // 13107 / 2^17 = 0.0999985… (b < 2^15)
 * equal(multiplyByDyadic(1000, d), 100);
 * equal(dyadicValue(d), 13107 / 131072);
 * ```
 *
 * @module
 */

/** A dyadic rational `b / 2^c`. */
export interface Dyadic {
  /** Integer numerator. */
  b: number;
  /** Non-negative exponent of the denominator. */
  c: number;
}

/** Options of {@linkcode toDyadic}. */
export interface ToDyadicOptions {
  /** Bits of the signed numerator, 2..32 (default 32: |b| < 2^31). */
  bits?: number;
  /** Largest denominator exponent (default 62). */
  maxShift?: number;
}

/**
 * The value of a dyadic number as a double (exact while |b| < 2^53).
 *
 * @param d The dyadic number.
 * @returns `b / 2^c`.
 *
 * @example
 * ```ts
 * import { dyadicValue } from "@lowbit/runtime/dyadic";
 * import { equal } from "node:assert/strict";
 * equal(dyadicValue({ b: 3, c: 3 }), 0.375);
 * ```
 */
export function dyadicValue(d: Dyadic): number {
  return d.b / 2 ** d.c;
}

/**
 * The nearest dyadic number `b / 2^c` to `real` with a `bits`-bit signed numerator and the
 * finest denominator that keeps it in range.
 *
 * @param real A finite number.
 * @param options Numerator bits and the largest exponent.
 * @returns `{ b, c }` in lowest terms (b odd unless 0).
 * @throws {RangeError} When `real` is not finite, does not fit `bits` even with c = 0, or the
 *   options are out of range.
 *
 * @example
 * ```ts
 * import { toDyadic } from "@lowbit/runtime/dyadic";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(toDyadic(0.375), { b: 3, c: 3 });
 * deepEqual(toDyadic(1 / 3, { bits: 8 }), { b: 85, c: 8 }); // 85/256 = 0.33203…
 * ```
 */
export function toDyadic(real: number, options: ToDyadicOptions = {}): Dyadic {
  const bits = options.bits ?? 32;
  const maxShift = options.maxShift ?? 62;
  if (!Number.isInteger(bits) || bits < 2 || bits > 32) {
    throw new RangeError(`options.bits must be an integer in [2, 32], got ${bits}`);
  }
  if (!Number.isInteger(maxShift) || maxShift < 0 || maxShift > 1000) {
    throw new RangeError(`options.maxShift must be an integer in [0, 1000], got ${maxShift}`);
  }
  if (typeof real !== "number" || !Number.isFinite(real)) {
    throw new RangeError(`real must be a finite number, got ${real}`);
  }
  const limit = 2 ** (bits - 1); // |b| < limit
  const roundAway = (v: number) => Math.sign(v) * Math.floor(Math.abs(v) + 0.5);
  if (Math.abs(roundAway(real)) >= limit) {
    throw new RangeError(`real (${real}) does not fit a ${bits}-bit numerator`);
  }
  // Largest c with |round(real·2^c)| < limit: start from the exponent estimate and step down.
  let c = real === 0
    ? 0
    : Math.min(maxShift, Math.max(0, bits - 2 - Math.floor(Math.log2(Math.abs(real)))));
  let b = roundAway(real * 2 ** c);
  while (Math.abs(b) >= limit && c > 0) {
    c--;
    b = roundAway(real * 2 ** c);
  }
  while (b !== 0 && b % 2 === 0 && c > 0) {
    b /= 2;
    c--;
  }
  if (b === 0) c = 0;
  return { b, c };
}

/**
 * The dyadic form of `quantizeMultiplier`'s result: `multiplier · 2^(shift − 31)`, reduced.
 *
 * @param multiplier Q31 mantissa (int32 ≥ 0).
 * @param shift Exponent in [-31, 30].
 * @returns `{ b, c }` with the same value.
 * @throws {RangeError} When the arguments are out of range.
 *
 * @example
 * ```ts
 * import { dyadicFromMultiplier } from "@lowbit/runtime/dyadic";
 * import { quantizeMultiplier } from "@lowbit/runtime/requantize";
 * import { deepEqual } from "node:assert/strict";
 * const { multiplier, shift } = quantizeMultiplier(0.375);
 * deepEqual(dyadicFromMultiplier(multiplier, shift), { b: 3, c: 3 });
 * ```
 */
export function dyadicFromMultiplier(multiplier: number, shift: number): Dyadic {
  if (!Number.isInteger(multiplier) || multiplier < 0 || multiplier > 2147483647) {
    throw new RangeError(`multiplier must be an integer in [0, 2^31 − 1], got ${multiplier}`);
  }
  if (!Number.isInteger(shift) || shift < -31 || shift > 30) {
    throw new RangeError(`shift must be an integer in [-31, 30], got ${shift}`);
  }
  let b = multiplier, c = 31 - shift;
  while (b !== 0 && b % 2 === 0 && c > 0) {
    b /= 2;
    c--;
  }
  if (b === 0) return { b: 0, c: 0 };
  // c < 0 means an integer multiplier: fold 2^(−c) into b.
  if (c < 0) return { b: b * 2 ** -c, c: 0 };
  return { b, c };
}

const I32_MIN = -2147483648n, I32_MAX = 2147483647n;

/**
 * Multiplies an integer by a dyadic number and rounds once: `sat_int32(round_half_away(x·b/2^c))`,
 * exact (64-bit integer product, one rounding right shift).
 *
 * @param x An int32 (an accumulator).
 * @param d The dyadic multiplier (|b| < 2^31).
 * @returns The rounded, int32-saturated result.
 * @throws {RangeError} When `x` is not an int32 or `d` is malformed.
 *
 * @example Ties round away from zero
 * ```ts
 * import { multiplyByDyadic } from "@lowbit/runtime/dyadic";
 * import { equal } from "node:assert/strict";
 * equal(multiplyByDyadic(5, { b: 1, c: 1 }), 3);
 * equal(multiplyByDyadic(-5, { b: 1, c: 1 }), -3);
 * equal(multiplyByDyadic(2147483647, { b: 3, c: 0 }), 2147483647); // saturates
 * ```
 */
export function multiplyByDyadic(x: number, d: Dyadic): number {
  if (!Number.isInteger(x) || x < -2147483648 || x > 2147483647) {
    throw new RangeError(`x must be an int32 integer, got ${x}`);
  }
  if (
    !Number.isInteger(d?.b) || Math.abs(d.b) > 2147483647 || !Number.isInteger(d.c) || d.c < 0 ||
    d.c > 62
  ) {
    throw new RangeError(`d must be { b: int32, c: integer in [0, 62] }, got ${JSON.stringify(d)}`);
  }
  const p = BigInt(x) * BigInt(d.b);
  let r: bigint;
  if (d.c === 0) r = p;
  else {
    const half = 1n << BigInt(d.c - 1);
    const mag = p < 0n ? -p : p;
    const q = (mag + half) >> BigInt(d.c);
    r = p < 0n ? -q : q;
  }
  return Number(r < I32_MIN ? I32_MIN : r > I32_MAX ? I32_MAX : r);
}
