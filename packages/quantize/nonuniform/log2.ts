/**
 * Logarithmic (power-of-two) quantization (survey §III-F; MIT 6.S965 lecture 5 §5.2.3;
 * Miyashita et al. 2016 "LogQuant"):
 *
 *     Q(x) = sign(x) · 2^e,   e = clamp(round(log2 |x|), emin, emax)            (L.1)
 *
 * Multiplying by Q(x) is a shift, and equal storage covers a far wider range than a uniform grid.
 *
 * **Bit budget and code layout.** A b-bit code is a sign bit (the most significant bit, 1 =
 * negative; absent when `signed: false`) followed by an F-bit exponent field, F = b − 1 (signed)
 * or b (unsigned). The field f ∈ [0, 2^F − 1] stands for the exponent
 *
 *     e = emax − (2^F − 1) + f                                                  (L.2)
 *
 * so without a zero code the exponents are [emax − 2^F + 1, emax] (for signed codes
 * [emax − 2^(b−1) + 1, emax]). With a reserved zero code (`zeroCode: true`, the default) the
 * field value f = 0 means the value 0 and the nonzero exponents are [emax − 2^F + 2, emax]: one
 * octave of range is traded for an exact zero. `minExponent` below always names the smallest
 * exponent of a nonzero level.
 *
 * **Rounding** (`rounding`):
 * - `"log"` (default, Eq. L.1): nearest exponent in the log domain, e = round(log2 |x|); the
 *   threshold between 2^k and 2^(k+1) is the geometric midpoint √2 · 2^k. It is irrational, so
 *   no float is a tie; the comparison |x| / 2^k ≥ fl(√2) is exact.
 * - `"linear"`: nearest power of two by value; the threshold is the arithmetic midpoint
 *   1.5 · 2^k, and a value exactly on it goes to the larger magnitude 2^(k+1).
 *
 * **Range ends.** Magnitudes above the top level saturate to ±2^emax (±Infinity included). Below
 * the smallest level 2^emin: with a zero code, `"log"` maps |x| < 2^(emin − ½) to 0 (0 acts as
 * the level one octave down — LogQuant's convention), and `"linear"` maps |x| < 2^(emin − 1)
 * (half the smallest level, the midpoint by value; a tie goes up) to 0. Without a zero code they
 * go to ±2^emin, and an input of exactly 0 encodes as +2^emin. Zero always encodes as the code 0
 * (a flushed negative value too); with a zero code, the negative-zero code 1 << F also decodes
 * to 0. With `signed: false`, inputs ≤ 0 are treated as 0.
 *
 * NaN inputs throw. Decoded values are exact powers of two in float32, which requires
 * −149 ≤ emin and emax ≤ 127 (so at most 8 exponent-field bits: signed b ≤ 9, unsigned b ≤ 8).
 *
 * @module
 */

import { asTensorLike, type QuantInput } from "../observer.ts";

/** Where the rounding threshold between 2^k and 2^(k+1) lies. */
export type Log2Rounding = "log" | "linear";

/** Options of logarithmic quantization. */
export interface Log2Options {
  /**
   * Total code width: sign + exponent field. Signed 2..9, unsigned 1..8 (wider fields would
   * hold more exponents than float32 has).
   */
  bits: number;
  /** emax, the exponent of the largest level 2^emax (an integer, default 0). */
  maxExponent?: number;
  /** A sign bit (default `true`). */
  signed?: boolean;
  /** Reserve exponent field 0 for the value 0 (default `true`). */
  zeroCode?: boolean;
  /** `"log"` (default, round log2|x|) or `"linear"` (nearest power of two by value). */
  rounding?: Log2Rounding;
}

/** A validated logarithmic format (Eqs. L.1, L.2). */
export interface Log2Format {
  /** Total code width. */
  readonly bits: number;
  /** Width F of the exponent field. */
  readonly fieldBits: number;
  /** Exponent of the largest level. */
  readonly maxExponent: number;
  /** Exponent of the smallest nonzero level. */
  readonly minExponent: number;
  /** Whether codes carry a sign bit. */
  readonly signed: boolean;
  /** Whether field 0 encodes zero. */
  readonly zeroCode: boolean;
  /** The rounding threshold. */
  readonly rounding: Log2Rounding;
}

/**
 * Validates options and derives the exponent range (Eq. L.2).
 *
 * @param options Bits, emax, sign, zero code, rounding.
 * @returns The resolved format.
 * @throws {TypeError} If `options` is not an object.
 * @throws {RangeError} If `bits`, `maxExponent` or `rounding` is invalid, or the levels are not
 *   float32 powers of two (emin < −149 or emax > 127).
 *
 * @example 4-bit signed with a zero code: exponents −6..0
 * ```ts
 * import { log2Format } from "@lowbit/quantize/nonuniform/log2";
 * import { equal } from "node:assert/strict";
 * const f = log2Format({ bits: 4 });
 * equal(f.fieldBits, 3);
 * equal(f.minExponent, -6);
 * equal(log2Format({ bits: 4, zeroCode: false }).minExponent, -7);
 * ```
 */
export function log2Format(options: Log2Options): Log2Format {
  if (options === null || typeof options !== "object") {
    throw new TypeError("options must be an object with bits");
  }
  const signed = options.signed ?? true;
  const zeroCode = options.zeroCode ?? true;
  const rounding = options.rounding ?? "log";
  const bits = options.bits;
  const lo = signed ? 2 : 1, hi = signed ? 9 : 8;
  if (typeof bits !== "number" || !Number.isInteger(bits) || bits < lo || bits > hi) {
    throw new RangeError(
      `bits must be an integer in [${lo}, ${hi}] for ${signed ? "signed" : "unsigned"} codes; got ${
        String(bits)
      }`,
    );
  }
  if (rounding !== "log" && rounding !== "linear") {
    throw new RangeError(`rounding must be "log" or "linear"; got ${String(rounding)}`);
  }
  const maxExponent = options.maxExponent ?? 0;
  if (!Number.isInteger(maxExponent)) {
    throw new RangeError(`maxExponent must be an integer; got ${String(maxExponent)}`);
  }
  const fieldBits = signed ? bits - 1 : bits;
  const minExponent = maxExponent - (2 ** fieldBits - 1) + (zeroCode ? 1 : 0);
  if (minExponent < -149 || maxExponent > 127) {
    throw new RangeError(
      `maxExponent must keep the exponents in [-149, 127] (float32 powers of two); got [${minExponent}, ${maxExponent}]`,
    );
  }
  return { bits, fieldBits, maxExponent, minExponent, signed, zeroCode, rounding };
}

function resolve(options: Log2Options | Log2Format): Log2Format {
  return log2Format(options);
}

/** The exponent field f for a magnitude a ≥ 0 (0 when it flushes to zero), Eqs. L.1–L.2. */
function fieldOf(a: number, fmt: Log2Format): number {
  const top = 2 ** fmt.fieldBits - 1;
  const emin = fmt.minExponent, emax = fmt.maxExponent;
  if (a >= 2 ** (emax + 1)) return top; // saturate (Infinity included)
  if (a === 0) return 0; // the zero code, or the smallest level without one
  let e = roundExponent(a, fmt.rounding);
  if (fmt.zeroCode) {
    // log: 0 acts as the level 2^(emin − 1), so e < emin means a < 2^(emin − ½) → 0.
    // linear: nearest by value, a < 2^emin / 2 → 0 (a tie goes up to 2^emin).
    if (fmt.rounding === "log" ? e < emin : a < 2 ** (emin - 1)) return 0;
  }
  if (e < emin) e = emin;
  if (e > emax) e = emax;
  return e - emax + top;
}

/** round(log2 a) for a finite a > 0: log-domain (threshold √2·2^k) or linear (1.5·2^k, ties up). */
function roundExponent(a: number, rounding: Log2Rounding): number {
  let k = Math.floor(Math.log2(a));
  if (2 ** k > a) k--;
  else if (2 ** (k + 1) <= a) k++;
  const m = a / 2 ** k; // in [1, 2), exact
  // fl(√2) > √2 and no double lies between them, so m ≥ fl(√2) ⟺ m > √2 exactly.
  return k + (m >= (rounding === "log" ? Math.SQRT2 : 1.5) ? 1 : 0);
}

function codeOf(v: number, fmt: Log2Format): number {
  const neg = v < 0;
  if (!fmt.signed) return fieldOf(neg ? 0 : v, fmt);
  const f = fieldOf(neg ? -v : v, fmt);
  return neg && !(fmt.zeroCode && f === 0) ? (1 << fmt.fieldBits) | f : f;
}

function valueOf(code: number, fmt: Log2Format): number {
  const mask = (1 << fmt.fieldBits) - 1;
  const f = code & mask;
  if (fmt.zeroCode && f === 0) return 0;
  const mag = 2 ** (fmt.maxExponent - mask + f);
  return fmt.signed && code > mask ? -mag : mag;
}

/**
 * Rounds one number to the nearest level (Eq. L.1 with the format's rounding and range ends).
 *
 * @param x The value (not NaN).
 * @param options The format.
 * @returns 0 or ±2^e, e in [emin, emax].
 * @throws {RangeError} If `x` is NaN or the options are invalid.
 *
 * @example Log vs linear rounding of 0.7 (between 2^−1 and 2^0)
 * ```ts
 * import { roundLog2 } from "@lowbit/quantize/nonuniform/log2";
 * import { equal } from "node:assert/strict";
 * equal(roundLog2(0.7, { bits: 4 }), 0.5); // 0.7 < √2/2 ≈ 0.707
 * equal(roundLog2(0.7, { bits: 4, rounding: "linear" }), 0.5); // 0.7 < 0.75
 * equal(roundLog2(0.72, { bits: 4 }), 1);
 * equal(roundLog2(0.72, { bits: 4, rounding: "linear" }), 0.5);
 * equal(roundLog2(-3, { bits: 4 }), -1); // saturates at 2^emax = 1
 * equal(roundLog2(0.012, { bits: 4 }), 0.015625); // 2^−6 = emin (0.012 > 2^−6.5 ≈ 0.011)
 * equal(roundLog2(0.005, { bits: 4 }), 0); // < 2^−6.5
 * ```
 */
export function roundLog2(x: number, options: Log2Options): number {
  const fmt = resolve(options);
  if (typeof x !== "number" || x !== x) throw new RangeError(`x must be a number, not NaN`);
  return valueOf(codeOf(x, fmt), fmt);
}

/**
 * The distinct levels of a format, ascending (Float64Array; each is a float32 value).
 *
 * @param options The format.
 * @returns Sorted levels: with a sign, ±2^e for each exponent (and 0 with a zero code).
 * @throws {RangeError} If the options are invalid.
 *
 * @example 3-bit signed: 0 and ±2^e for e in {−2, −1, 0}
 * ```ts
 * import { log2Levels } from "@lowbit/quantize/nonuniform/log2";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...log2Levels({ bits: 3 })], [-1, -0.5, -0.25, 0, 0.25, 0.5, 1]);
 * deepEqual([...log2Levels({ bits: 2, signed: false, zeroCode: false, maxExponent: 3 })], [1, 2, 4, 8]);
 * ```
 */
export function log2Levels(options: Log2Options): Float64Array {
  const fmt = resolve(options);
  const pos: number[] = [];
  for (let e = fmt.minExponent; e <= fmt.maxExponent; e++) pos.push(2 ** e);
  const all = fmt.signed ? [...pos.map((v) => -v).reverse()] : [];
  if (fmt.zeroCode) all.push(0);
  all.push(...pos);
  return Float64Array.from(all);
}

/**
 * The exponent a maximum magnitude rounds to, for choosing `maxExponent` from calibration data.
 *
 * @param maxAbs The largest magnitude to represent, finite and > 0.
 * @param rounding `"log"` (default) or `"linear"`.
 * @returns The integer exponent nearest to log2(maxAbs) under that rounding.
 * @throws {RangeError} If `maxAbs` is not finite and positive.
 *
 * @example
 * ```ts
 * import { log2MaxExponent } from "@lowbit/quantize/nonuniform/log2";
 * import { equal } from "node:assert/strict";
 * equal(log2MaxExponent(0.36), -1); // 0.36 ≥ 2^−1.5 ≈ 0.354
 * equal(log2MaxExponent(0.36, "linear"), -2); // 0.36 < 1.5 · 2^−2 = 0.375
 * ```
 */
export function log2MaxExponent(maxAbs: number, rounding: Log2Rounding = "log"): number {
  if (typeof maxAbs !== "number" || !Number.isFinite(maxAbs) || !(maxAbs > 0)) {
    throw new RangeError(`maxAbs must be a finite positive number; got ${String(maxAbs)}`);
  }
  if (rounding !== "log" && rounding !== "linear") {
    throw new RangeError(`rounding must be "log" or "linear"; got ${String(rounding)}`);
  }
  return roundExponent(maxAbs, rounding);
}

/**
 * Encodes values as b-bit sign + exponent codes (Eq. L.2 layout).
 *
 * @param x A Float32Array or a tensor `{ data, shape }` (codes are row-major).
 * @param options The format.
 * @returns Codes: Uint8Array for b ≤ 8, else Uint16Array.
 * @throws {TypeError} If `x` is not a Float32Array or tensor.
 * @throws {RangeError} If the options are invalid or an element is NaN.
 *
 * @example 4-bit signed, emax = 0: field f stands for 2^(f − 7), f = 0 is zero
 * ```ts
 * import { encodeLog2 } from "@lowbit/quantize/nonuniform/log2";
 * import { deepEqual } from "node:assert/strict";
 * const codes = encodeLog2(new Float32Array([1, 0.5, -0.25, 0, 0.001]), { bits: 4 });
 * deepEqual([...codes], [7, 6, 0b1101, 0, 0]);
 * ```
 */
export function encodeLog2(x: QuantInput, options: Log2Options): Uint8Array | Uint16Array {
  const fmt = resolve(options);
  const data = asTensorLike(x).data;
  const out = fmt.bits <= 8 ? new Uint8Array(data.length) : new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v !== v) throw new RangeError(`x[${i}] is NaN`);
    out[i] = codeOf(v, fmt);
  }
  return out;
}

/**
 * Decodes sign + exponent codes to values (Eq. L.2).
 *
 * @param codes b-bit codes.
 * @param options The format used to encode.
 * @returns A new Float32Array.
 * @throws {RangeError} If the options are invalid or a code does not fit in b bits.
 *
 * @example
 * ```ts
 * import { decodeLog2 } from "@lowbit/quantize/nonuniform/log2";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...decodeLog2(new Uint8Array([7, 6, 13, 0, 8]), { bits: 4 })], [1, 0.5, -0.25, 0, 0]);
 * ```
 */
export function decodeLog2(codes: ArrayLike<number>, options: Log2Options): Float32Array {
  const fmt = resolve(options);
  const limit = 2 ** fmt.bits;
  const out = new Float32Array(codes.length);
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (!Number.isInteger(c) || c < 0 || c >= limit) {
      throw new RangeError(`codes[${i}] must be an integer in [0, ${limit - 1}]; got ${String(c)}`);
    }
    out[i] = valueOf(c, fmt);
  }
  return out;
}

/**
 * Fake logarithmic quantization: each value replaced by its level (encode then decode).
 *
 * @param x A Float32Array or a tensor `{ data, shape }`.
 * @param options The format.
 * @returns A new Float32Array, row-major.
 * @throws {TypeError} If `x` is not a Float32Array or tensor.
 * @throws {RangeError} If the options are invalid or an element is NaN.
 *
 * @example 5-bit signed, emax = 2
 * ```ts
 * import { quantizeLog2 } from "@lowbit/quantize/nonuniform/log2";
 * import { deepEqual } from "node:assert/strict";
 * const y = quantizeLog2(new Float32Array([3, -3, 100, 0.1]), { bits: 5, maxExponent: 2 });
 * deepEqual([...y], [4, -4, 4, 0.125]); // 3 > 2^1.5 ≈ 2.83
 * ```
 */
export function quantizeLog2(x: QuantInput, options: Log2Options): Float32Array {
  const fmt = resolve(options);
  const data = asTensorLike(x).data;
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v !== v) throw new RangeError(`x[${i}] is NaN`);
    out[i] = valueOf(codeOf(v, fmt), fmt);
  }
  return out;
}
