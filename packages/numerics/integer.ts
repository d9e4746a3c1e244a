/**
 * Integer formats (lecture 5.1.1): unsigned, sign-magnitude and two's complement, their ranges
 * (full or "narrow"/restricted) and bit patterns.
 *
 * For n bits: unsigned [0, 2^n − 1]; sign-magnitude [−(2^(n−1) − 1), 2^(n−1) − 1] with two
 * zeros (the lecture notes print the lower end as "−2^(n−1) − 1", a typo); two's complement
 * [−2^(n−1), 2^(n−1) − 1], or [−(2^(n−1) − 1), 2^(n−1) − 1] when narrow (the symmetric range
 * used for weights so that −q is always representable).
 *
 * @module
 */

/** How a signed integer is laid out in bits. */
export type IntRepresentation = "twos-complement" | "sign-magnitude";

/** Options of {@linkcode intRange}, {@linkcode encodeInt} and {@linkcode decodeInt}. */
export interface IntFormatOptions {
  /** Signed (default) or unsigned. */
  signed?: boolean;
  /** Layout of signed values, default `"twos-complement"`. */
  representation?: IntRepresentation;
  /** Drop the most negative two's-complement value (symmetric, "restricted" range). */
  narrow?: boolean;
}

/** The representable range of an integer format. */
export interface IntRange {
  /** Width in bits. */
  bits: number;
  /** Smallest value. */
  min: number;
  /** Largest value. */
  max: number;
  /** Number of distinct values: max − min + 1. */
  levels: number;
}

function checkBits(bits: unknown): number {
  if (typeof bits !== "number" || !Number.isInteger(bits) || bits < 1 || bits > 32) {
    throw new RangeError(`bits must be an integer in [1, 32]; got ${String(bits)}`);
  }
  return bits;
}

function representationOf(options?: IntFormatOptions): IntRepresentation | "unsigned" {
  if (options?.signed === false) return "unsigned";
  const r = options?.representation ?? "twos-complement";
  if (r !== "twos-complement" && r !== "sign-magnitude") {
    throw new RangeError(
      `representation must be "twos-complement" or "sign-magnitude"; got ${String(r)}`,
    );
  }
  return r;
}

/**
 * The range of an n-bit integer format.
 *
 * A 1-bit signed two's-complement integer holds {−1, 0}; 1-bit sign-magnitude holds only 0
 * (±0), and 1-bit narrow two's complement too.
 *
 * @param bits Width, 1..32.
 * @param options Signedness, representation and narrow range.
 * @returns min, max and the number of levels.
 * @throws {RangeError} If `bits` or `representation` is invalid.
 *
 * @example The lecture's three 8-bit integers
 * ```ts
 * import { intRange } from "@lowbit/numerics/integer";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(intRange(8, { signed: false }), { bits: 8, min: 0, max: 255, levels: 256 });
 * deepEqual(intRange(8, { representation: "sign-magnitude" }), { bits: 8, min: -127, max: 127, levels: 255 });
 * deepEqual(intRange(8), { bits: 8, min: -128, max: 127, levels: 256 });
 * deepEqual(intRange(4, { narrow: true }), { bits: 4, min: -7, max: 7, levels: 15 });
 * ```
 */
export function intRange(bits: number, options?: IntFormatOptions): IntRange {
  const n = checkBits(bits);
  const rep = representationOf(options);
  let min: number, max: number;
  if (rep === "unsigned") {
    min = 0;
    max = 2 ** n - 1;
  } else {
    max = 2 ** (n - 1) - 1;
    min = rep === "sign-magnitude" || options?.narrow ? -max : -(2 ** (n - 1));
  }
  return { bits: n, min, max, levels: max - min + 1 };
}

/**
 * Clamps `x` to a range (saturation).
 *
 * @param x The value.
 * @param range The range, e.g. from {@linkcode intRange}.
 * @returns min(max(x, range.min), range.max).
 * @throws {RangeError} If `x` is NaN.
 *
 * @example
 * ```ts
 * import { clampToRange, intRange } from "@lowbit/numerics/integer";
 * import { equal } from "node:assert/strict";
 * equal(clampToRange(300, intRange(8)), 127);
 * equal(clampToRange(-300, intRange(8)), -128);
 * ```
 */
export function clampToRange(x: number, range: { min: number; max: number }): number {
  if (Number.isNaN(x)) throw new RangeError("x must not be NaN");
  return Math.min(Math.max(x, range.min), range.max);
}

/**
 * The bit pattern of an integer (an unsigned number below 2^bits).
 *
 * @param value An integer inside {@linkcode intRange}`(bits, options)`; −0 in sign-magnitude
 *   gives the negative-zero pattern 2^(bits−1).
 * @param bits Width, 1..32.
 * @param options Signedness, representation and narrow range.
 * @returns The pattern.
 * @throws {TypeError} If `value` is not a number.
 * @throws {RangeError} If `value` is not an integer in range, or `bits` is invalid.
 *
 * @example −5 in 8 bits
 * ```ts
 * import { encodeInt } from "@lowbit/numerics/integer";
 * import { equal } from "node:assert/strict";
 * equal(encodeInt(-5, 8), 0b11111011);
 * equal(encodeInt(-5, 8, { representation: "sign-magnitude" }), 0b10000101);
 * equal(encodeInt(250, 8, { signed: false }), 250);
 * ```
 */
export function encodeInt(value: number, bits: number, options?: IntFormatOptions): number {
  if (typeof value !== "number") throw new TypeError(`value must be a number; got ${typeof value}`);
  const range = intRange(bits, options);
  if (!Number.isInteger(value) || value < range.min || value > range.max) {
    throw new RangeError(
      `value must be an integer in [${range.min}, ${range.max}] for ${bits}-bit ${
        representationOf(options)
      }; got ${value}`,
    );
  }
  const rep = representationOf(options);
  if (rep === "sign-magnitude") {
    return value < 0 || Object.is(value, -0) ? 2 ** (bits - 1) + Math.abs(value) : value;
  }
  return value < 0 ? value + 2 ** bits : value;
}

/**
 * The integer a bit pattern encodes.
 *
 * @param pattern An integer in [0, 2^bits).
 * @param bits Width, 1..32.
 * @param options Signedness, representation and narrow range.
 * @returns The value (−0 for the sign-magnitude negative zero).
 * @throws {RangeError} If `pattern` is out of range, or is −2^(bits−1) in a narrow format.
 *
 * @example
 * ```ts
 * import { decodeInt } from "@lowbit/numerics/integer";
 * import { equal } from "node:assert/strict";
 * equal(decodeInt(0b10000000, 8), -128);
 * equal(decodeInt(0b10000000, 8, { representation: "sign-magnitude" }), -0);
 * equal(decodeInt(0b10000101, 8, { representation: "sign-magnitude" }), -5);
 * ```
 */
export function decodeInt(pattern: number, bits: number, options?: IntFormatOptions): number {
  const n = checkBits(bits);
  if (
    typeof pattern !== "number" || !Number.isInteger(pattern) || pattern < 0 || pattern >= 2 ** n
  ) {
    throw new RangeError(`pattern must be an integer in [0, 2^${n}); got ${String(pattern)}`);
  }
  const rep = representationOf(options);
  if (rep === "unsigned") return pattern;
  const half = 2 ** (n - 1);
  if (rep === "sign-magnitude") return pattern >= half ? -(pattern - half) : pattern;
  if (options?.narrow && pattern === half) {
    throw new RangeError(`pattern ${pattern} is −2^${n - 1}, outside the narrow range`);
  }
  return pattern >= half ? pattern - 2 ** n : pattern;
}
