/**
 * IEEE 754 binary32 anatomy: bit casts and a step-by-step explanation of how a number is stored
 * (lecture 5.1.3, example 1: −314.625 → 1 | 10000111 | 00111010101000000000000).
 *
 * @module
 */

import { f32Bits, f32FromBits } from "./_bits.ts";

/**
 * The binary32 bit pattern of `x` (rounded to float32 first, half to even).
 *
 * @param x Any number.
 * @returns The pattern as an unsigned 32-bit integer.
 *
 * @example
 * ```ts
 * import { float32Bits } from "@lowbit/numerics/float32";
 * import { equal } from "node:assert/strict";
 * equal(float32Bits(1), 0x3f800000);
 * equal(float32Bits(-2), 0xc0000000);
 * ```
 */
export function float32Bits(x: number): number {
  return f32Bits(x);
}

/**
 * The float32 value of a binary32 bit pattern.
 *
 * @param bits An unsigned 32-bit integer.
 * @returns The value it encodes (as a JavaScript number).
 * @throws {RangeError} If `bits` is not an integer in [0, 2^32).
 *
 * @example
 * ```ts
 * import { float32FromBits } from "@lowbit/numerics/float32";
 * import { equal } from "node:assert/strict";
 * equal(float32FromBits(0x40490fdb), Math.fround(Math.PI));
 * ```
 */
export function float32FromBits(bits: number): number {
  if (!Number.isInteger(bits) || bits < 0 || bits > 0xffffffff) {
    throw new RangeError(`bits must be an integer in [0, 2^32); got ${bits}`);
  }
  return f32FromBits(bits);
}

/** What a binary32 pattern encodes. */
export type Float32Kind = "zero" | "subnormal" | "normal" | "infinity" | "nan";

/** The fields of a binary32 number and the formula that gives its value. */
export interface Float32Explanation {
  /** The value after rounding to float32. */
  value: number;
  /** The 32-bit pattern. */
  bits: number;
  /** Sign bit (1 for negative). */
  sign: 0 | 1;
  /** Biased exponent field, 0..255. */
  exponent: number;
  /** Exponent minus the bias 127 (for subnormals the effective exponent −126). */
  unbiasedExponent: number;
  /** The 23-bit mantissa (fraction) field as an integer. */
  mantissa: number;
  /** The fraction field as a number in [0, 1): mantissa / 2^23. */
  fraction: number;
  /** The sign, exponent and mantissa fields as bit strings, joined by " | ". */
  fields: string;
  /** Zero, subnormal, normal, infinity or NaN. */
  kind: Float32Kind;
  /** The value formula with the numbers filled in. */
  formula: string;
}

/**
 * Explains how `x` is stored in IEEE 754 binary32.
 *
 * Normal numbers are (−1)^sign × (1 + fraction) × 2^(exponent − 127); subnormals are
 * (−1)^sign × fraction × 2^−126.
 *
 * @param x Any number; it is rounded to float32 first.
 * @returns The fields, the pattern and the formula.
 *
 * @example The lecture's worked example
 * ```ts
 * import { explainFloat32 } from "@lowbit/numerics/float32";
 * import { equal } from "node:assert/strict";
 * const e = explainFloat32(-314.625);
 * equal(e.fields, "1 | 10000111 | 00111010101000000000000");
 * equal(e.exponent, 135);
 * equal(e.unbiasedExponent, 8);
 * equal(e.formula, "(-1)^1 × (1 + 0.22900390625) × 2^(135 - 127) = -314.625");
 * ```
 */
export function explainFloat32(x: number): Float32Explanation {
  const bits = f32Bits(x);
  const sign = (bits >>> 31) as 0 | 1;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  const fraction = mantissa / 8388608;
  const value = f32FromBits(bits);
  const fields = `${sign} | ${exponent.toString(2).padStart(8, "0")} | ${
    mantissa.toString(2).padStart(23, "0")
  }`;
  let kind: Float32Kind;
  let formula: string;
  if (exponent === 255) {
    kind = mantissa === 0 ? "infinity" : "nan";
    formula = mantissa === 0
      ? `exponent all ones, fraction 0: ${sign ? "-" : "+"}Infinity`
      : "exponent all ones, fraction non-zero: NaN";
  } else if (exponent === 0) {
    kind = mantissa === 0 ? "zero" : "subnormal";
    formula = `(-1)^${sign} × ${fraction} × 2^(-126) = ${value}`;
  } else {
    kind = "normal";
    formula = `(-1)^${sign} × (1 + ${fraction}) × 2^(${exponent} - 127) = ${value}`;
  }
  return {
    value,
    bits,
    sign,
    exponent,
    unbiasedExponent: exponent === 0 ? -126 : exponent - 127,
    mantissa,
    fraction,
    fields,
    kind,
    formula,
  };
}
