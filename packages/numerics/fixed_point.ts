/**
 * Fixed-point numbers (lecture 5.1.2): a w-bit integer q read as q · 2^−f. lowbit names them
 * like ARM's Qm.n: `integerBits` m excludes the sign bit, `fractionBits` n, so a signed format
 * has w = 1 + m + n bits — the lecture's `fixed<w, b>` is `fixedPoint({ integerBits: w − 1 − b,
 * fractionBits: b, signed: true })` (its 8-bit example: 1 sign, 3 integer, 4 fraction bits).
 *
 * Signed formats use two's complement: the range is [−2^m, 2^m − 2^−n].
 *
 * @module
 */

import { resolveRounding, type RoundingOptions, roundInteger } from "@lowbit/rounding/modes";

/** Parameters of {@linkcode fixedPoint}. */
export interface FixedPointSpec {
  /** Integer bits m, excluding the sign bit. */
  integerBits: number;
  /** Fraction bits n. */
  fractionBits: number;
  /** Two's complement with a sign bit (default `true`). */
  signed?: boolean;
}

/** Options of {@linkcode FixedPointFormat.encode}. */
export interface FixedPointEncodeOptions extends RoundingOptions {
  /** Clamp out-of-range values (default `true`); `false` makes them a RangeError. */
  saturate?: boolean;
}

/** How a value is stored, for teaching: the bits split into sign | integer | fraction. */
export interface FixedPointExplanation {
  /** The stored value after rounding. */
  value: number;
  /** The stored integer q (value = q · 2^−n). */
  integer: number;
  /** The bit pattern (unsigned). */
  pattern: number;
  /** The bits grouped as "sign integer fraction" (no sign group when unsigned). */
  fields: string;
}

/** A fixed-point format; create one with {@linkcode fixedPoint}. */
export class FixedPointFormat {
  /** Integer bits m (sign excluded). */
  readonly integerBits: number;
  /** Fraction bits n. */
  readonly fractionBits: number;
  /** Whether there is a sign bit. */
  readonly signed: boolean;
  /** Total width w = m + n (+1 when signed). */
  readonly bits: number;
  /** ARM-style name: `Q3.4`, or `UQ3.4` when unsigned. */
  readonly name: string;
  /** Spacing of representable values, 2^−n. */
  readonly resolution: number;
  /** Same as `resolution` (the gap above every value). */
  readonly epsilon: number;
  /** Smallest value: −2^m signed, 0 unsigned. */
  readonly min: number;
  /** Largest value: 2^m − 2^−n. */
  readonly max: number;
  readonly #qmin: number;
  readonly #qmax: number;

  /**
   * Builds the format; prefer {@linkcode fixedPoint}.
   *
   * @param spec Integer and fraction bits and signedness.
   * @throws {RangeError} If a width is not an integer or the total is outside 2..32 bits.
   */
  constructor(spec: FixedPointSpec) {
    if (spec === null || typeof spec !== "object") {
      throw new TypeError("spec must be an object { integerBits, fractionBits, signed? }");
    }
    const { integerBits: m, fractionBits: n } = spec;
    const signed = spec.signed ?? true;
    for (const [name, v] of [["integerBits", m], ["fractionBits", n]] as const) {
      if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 32) {
        throw new RangeError(`${name} must be an integer in [0, 32]; got ${String(v)}`);
      }
    }
    const w = m + n + (signed ? 1 : 0);
    if (w < 2 || w > 32) {
      throw new RangeError(
        `integerBits + fractionBits${signed ? " + 1 (sign)" : ""} must be in [2, 32]; got ${w}`,
      );
    }
    this.integerBits = m;
    this.fractionBits = n;
    this.signed = signed;
    this.bits = w;
    this.name = `${signed ? "" : "U"}Q${m}.${n}`;
    this.resolution = this.epsilon = 2 ** -n;
    this.#qmin = signed ? -(2 ** (w - 1)) : 0;
    this.#qmax = signed ? 2 ** (w - 1) - 1 : 2 ** w - 1;
    this.min = this.#qmin * this.resolution;
    this.max = this.#qmax * this.resolution;
    Object.freeze(this);
  }

  /**
   * The stored integer q for x: round(x · 2^n) in the given mode, saturated by default.
   *
   * @param x The value.
   * @param options Rounding, saturation and the random source.
   * @returns q, an integer in [min, max] · 2^n.
   * @throws {RangeError} If `x` is NaN, or out of range (±∞ included) with `saturate: false`.
   * @throws {TypeError} If `x` is not a number, or stochastic rounding lacks `random`.
   *
   * @example Q3.4 (8 bits): 2.53 is stored as 40 = 2.5 · 16
   * ```ts
   * import { fixedPoint } from "@lowbit/numerics/fixed-point";
   * import { equal } from "node:assert/strict";
   * const q34 = fixedPoint({ integerBits: 3, fractionBits: 4 });
   * equal(q34.toInteger(2.53), 40);
   * equal(q34.toInteger(100), 127); // saturates at 7.9375
   * ```
   */
  toInteger(x: number, options?: FixedPointEncodeOptions): number {
    if (typeof x !== "number") throw new TypeError(`x must be a number; got ${typeof x}`);
    if (x !== x) throw new RangeError(`x must not be NaN (${this.name} has no NaN)`);
    const { mode, random } = resolveRounding(options);
    const q = Number.isFinite(x) ? roundInteger(x * 2 ** this.fractionBits, mode, random) : x;
    if (q < this.#qmin || q > this.#qmax) {
      if (options?.saturate === false) {
        throw new RangeError(
          `x = ${x} is outside ${this.name}'s range [${this.min}, ${this.max}] (saturate: false)`,
        );
      }
      return q < this.#qmin ? this.#qmin : this.#qmax;
    }
    return q === 0 ? 0 : q; // no −0
  }

  /**
   * The value of a stored integer: q · 2^−n.
   *
   * @param q An integer in the stored range.
   * @returns The value.
   * @throws {RangeError} If `q` is not an integer in range.
   *
   * @example
   * ```ts
   * import { fixedPoint } from "@lowbit/numerics/fixed-point";
   * import { equal } from "node:assert/strict";
   * equal(fixedPoint({ integerBits: 3, fractionBits: 4 }).fromInteger(-128), -8);
   * ```
   */
  fromInteger(q: number): number {
    if (typeof q !== "number" || !Number.isInteger(q) || q < this.#qmin || q > this.#qmax) {
      throw new RangeError(
        `q must be an integer in [${this.#qmin}, ${this.#qmax}] for ${this.name}; got ${String(q)}`,
      );
    }
    return q * this.resolution;
  }

  /**
   * The bit pattern of x (two's complement for signed formats), as an unsigned integer.
   *
   * @param x The value.
   * @param options Rounding, saturation and the random source.
   * @returns The pattern in [0, 2^bits).
   * @throws {RangeError} If `x` is NaN, or out of range with `saturate: false`.
   *
   * @example −1.5 in Q3.4 is 11101000
   * ```ts
   * import { fixedPoint } from "@lowbit/numerics/fixed-point";
   * import { equal } from "node:assert/strict";
   * equal(fixedPoint({ integerBits: 3, fractionBits: 4 }).encode(-1.5), 0b11101000);
   * ```
   */
  encode(x: number, options?: FixedPointEncodeOptions): number {
    const q = this.toInteger(x, options);
    return q < 0 ? q + 2 ** this.bits : q;
  }

  /**
   * The value of a bit pattern.
   *
   * @param bits A pattern in [0, 2^bits).
   * @returns The value.
   * @throws {RangeError} If `bits` is not an integer pattern of this width.
   *
   * @example
   * ```ts
   * import { fixedPoint } from "@lowbit/numerics/fixed-point";
   * import { equal } from "node:assert/strict";
   * equal(fixedPoint({ integerBits: 3, fractionBits: 4 }).decode(0b11101000), -1.5);
   * ```
   */
  decode(bits: number): number {
    if (typeof bits !== "number" || !Number.isInteger(bits) || bits < 0 || bits >= 2 ** this.bits) {
      throw new RangeError(
        `bits must be an integer pattern in [0, 2^${this.bits}) for ${this.name}; got ${
          String(bits)
        }`,
      );
    }
    const q = this.signed && bits >= 2 ** (this.bits - 1) ? bits - 2 ** this.bits : bits;
    return q * this.resolution;
  }

  /**
   * The nearest representable value (in the given mode): decode(encode(x)).
   *
   * @param x The value.
   * @param options Rounding, saturation and the random source.
   * @returns The representable value.
   *
   * @example Ties go to even in UQ0.2 (steps of 0.25)
   * ```ts
   * import { fixedPoint } from "@lowbit/numerics/fixed-point";
   * import { deepEqual } from "node:assert/strict";
   * const f = fixedPoint({ integerBits: 0, fractionBits: 2, signed: false });
   * deepEqual([0.125, 0.375, 0.6, 2].map((x) => f.round(x)), [0, 0.5, 0.5, 0.75]);
   * ```
   */
  round(x: number, options?: FixedPointEncodeOptions): number {
    return this.toInteger(x, options) * this.resolution;
  }

  /**
   * Encodes every element into the smallest unsigned array that holds the patterns.
   *
   * @param src The values.
   * @param options Rounding, saturation and the random source.
   * @returns Uint8Array (≤ 8 bits), Uint16Array (≤ 16) or Uint32Array of patterns.
   * @throws {RangeError} If an element is NaN, or out of range with `saturate: false`.
   *
   * @example
   * ```ts
   * import { fixedPoint } from "@lowbit/numerics/fixed-point";
   * import { deepEqual } from "node:assert/strict";
   * const q = fixedPoint({ integerBits: 3, fractionBits: 4 });
   * deepEqual([...q.encodeArray([1, -1, 0.0625])], [16, 240, 1]);
   * ```
   */
  encodeArray(
    src: ArrayLike<number>,
    options?: FixedPointEncodeOptions,
  ): Uint8Array | Uint16Array | Uint32Array {
    const out = this.bits <= 8
      ? new Uint8Array(src.length)
      : this.bits <= 16
      ? new Uint16Array(src.length)
      : new Uint32Array(src.length);
    for (let i = 0; i < src.length; i++) {
      if (src[i] !== src[i]) throw new RangeError(`src[${i}] is NaN; ${this.name} has no NaN`);
      out[i] = this.encode(src[i], options);
    }
    return out;
  }

  /**
   * Decodes every pattern.
   *
   * @param bits The patterns.
   * @returns A Float64Array of values.
   * @throws {RangeError} If a pattern is invalid.
   *
   * @example
   * ```ts
   * import { fixedPoint } from "@lowbit/numerics/fixed-point";
   * import { deepEqual } from "node:assert/strict";
   * deepEqual([...fixedPoint({ integerBits: 3, fractionBits: 4 }).decodeArray([16, 240])], [1, -1]);
   * ```
   */
  decodeArray(bits: ArrayLike<number>): Float64Array {
    const out = new Float64Array(bits.length);
    for (let i = 0; i < bits.length; i++) out[i] = this.decode(bits[i]);
    return out;
  }

  /**
   * Shows how x is stored: the rounded value, the integer and the bits as sign | integer |
   * fraction groups.
   *
   * @param x The value.
   * @param options Rounding and saturation.
   * @returns The explanation.
   *
   * @example The lecture's fixed<8,4>: 2.5 is 0 010 1000
   * ```ts
   * import { fixedPoint } from "@lowbit/numerics/fixed-point";
   * import { equal } from "node:assert/strict";
   * const e = fixedPoint({ integerBits: 3, fractionBits: 4 }).explain(2.5);
   * equal(e.fields, "0 010 1000");
   * equal(e.integer, 40);
   * ```
   */
  explain(x: number, options?: FixedPointEncodeOptions): FixedPointExplanation {
    const integer = this.toInteger(x, options);
    const pattern = integer < 0 ? integer + 2 ** this.bits : integer;
    const s = pattern.toString(2).padStart(this.bits, "0");
    const m = this.integerBits, n = this.fractionBits;
    const groups = this.signed ? [s.slice(0, 1), s.slice(1, 1 + m), s.slice(1 + m)] : [
      s.slice(0, m),
      s.slice(m),
    ];
    return {
      value: integer * this.resolution,
      integer,
      pattern,
      fields: groups.filter((g, i) => g.length > 0 || (i === groups.length - 1 && n > 0)).join(" "),
    };
  }
}

/**
 * Creates a fixed-point format Qm.n.
 *
 * @param spec `integerBits` (sign excluded), `fractionBits`, `signed` (default true).
 * @returns The format (frozen).
 * @throws {RangeError} If the widths are not integers or the total is outside 2..32 bits.
 *
 * @example The lecture's 32-bit example: 1 sign, 15 integer, 16 fraction bits
 * ```ts
 * import { fixedPoint } from "@lowbit/numerics/fixed-point";
 * import { equal } from "node:assert/strict";
 * const q = fixedPoint({ integerBits: 15, fractionBits: 16 });
 * equal(q.bits, 32);
 * equal(q.max, 32768 - 2 ** -16);
 * equal(q.min, -32768);
 * equal(q.name, "Q15.16");
 * ```
 */
export function fixedPoint(spec: FixedPointSpec): FixedPointFormat {
  return new FixedPointFormat(spec);
}
