/**
 * E8M0: the OCP Microscaling shared-scale format — an unsigned, 8-bit biased exponent with no
 * mantissa, sign, zero or infinity. Pattern E encodes 2^(E − 127) for E in 0..254; 0xFF is NaN.
 *
 * @module
 */

import { resolveRounding, roundInteger } from "@lowbit/rounding/modes";
import { exponentOf } from "./_bits.ts";
import type { EncodeOptions } from "./minifloat.ts";

/** The E8M0 format type; use the {@linkcode E8M0} constant. */
export class E8M0Format {
  /** Display name. */
  readonly name = "E8M0";
  /** Pattern width. */
  readonly bits = 8;
  /** Stored word width. */
  readonly storageBits = 8;
  /** Exponent field width. */
  readonly exponentBits = 8;
  /** No mantissa. */
  readonly mantissaBits = 0;
  /** Exponent bias. */
  readonly bias = 127;
  /** Largest value, 2^127. */
  readonly max: number = 2 ** 127;
  /** Smallest value, 2^−127 (there is no zero). */
  readonly minNormal: number = 2 ** -127;
  /** Same as `minNormal`: there are no subnormals. */
  readonly minSubnormal: number = 2 ** -127;
  /** Gap between 1 and the next value (2). */
  readonly epsilon = 1;
  /** No infinities. */
  readonly hasInfinity = false;
  /** 0xFF is NaN. */
  readonly hasNaN = true;
  /** No sign. */
  readonly hasNegativeZero = false;

  /**
   * Encodes a positive number as the nearest power of two (in the chosen mode).
   *
   * Rounding acts on the value: between 2^k and 2^(k+1), `"floor"`/`"toward-zero"` give 2^k,
   * `"ceil"` gives 2^(k+1), nearest modes compare with the midpoint 1.5·2^k (a tie goes to the
   * even exponent field for `"nearest-even"`, up for `"nearest-away"`), and `"stochastic"` goes
   * up with probability x/2^k − 1. Below 2^−127 the result is 2^−127 (no zero exists); above
   * 2^127 it is NaN (0xFF), or 2^127 (0xFE) with `saturate`.
   *
   * @param x A positive number, or NaN.
   * @param options Rounding, saturation, random source.
   * @returns The pattern 0..255.
   * @throws {RangeError} If `x` is zero or negative (E8M0 holds only positive scales).
   *
   * @example
   * ```ts
   * import { E8M0 } from "@lowbit/numerics/e8m0";
   * import { equal } from "node:assert/strict";
   * equal(E8M0.encode(1), 127);
   * equal(E8M0.encode(0.25), 125);
   * equal(E8M0.encode(5, { rounding: "floor" }), 129);
   * equal(E8M0.encode(2 ** 200), 0xff);
   * ```
   */
  encode(x: number, options?: EncodeOptions): number {
    if (typeof x !== "number") throw new TypeError(`x must be a number; got ${typeof x}`);
    if (x !== x) return 0xff;
    if (!(x > 0)) throw new RangeError(`x must be positive for E8M0 (a scale); got ${x}`);
    const { mode, random } = resolveRounding(options);
    const saturate = options?.saturate ?? false;
    if (x === Infinity) return saturate ? 0xfe : 0xff;
    const k = exponentOf(x);
    const frac = x / 2 ** k - 1; // in [0, 1)
    let e: number;
    if (frac === 0) e = k;
    else if (mode === "stochastic") {
      e = k + roundInteger(frac, mode, random);
    } else if (mode === "nearest-even" || mode === "nearest-away") {
      const up = frac > 0.5 || (frac === 0.5 && (mode === "nearest-away" || ((k + 127) & 1) === 1));
      e = up ? k + 1 : k;
    } else e = mode === "ceil" ? k + 1 : k;
    if (e < -127) return 0;
    if (e > 127) return saturate ? 0xfe : 0xff;
    return e + 127;
  }

  /**
   * Decodes a pattern: 2^(bits − 127), NaN for 0xFF.
   *
   * @param bits An integer 0..255.
   * @returns The power of two (or NaN).
   * @throws {RangeError} If `bits` is not an integer in [0, 255].
   *
   * @example
   * ```ts
   * import { E8M0 } from "@lowbit/numerics/e8m0";
   * import { equal } from "node:assert/strict";
   * equal(E8M0.decode(127), 1);
   * equal(E8M0.decode(0), 2 ** -127);
   * equal(E8M0.decode(255), NaN);
   * ```
   */
  decode(bits: number): number {
    if (typeof bits !== "number" || !Number.isInteger(bits) || bits < 0 || bits > 255) {
      throw new RangeError(`bits must be an integer in [0, 255] for E8M0; got ${String(bits)}`);
    }
    return bits === 0xff ? NaN : 2 ** (bits - 127);
  }

  /**
   * The nearest representable value: `decode(encode(x, options))`.
   *
   * @param x A positive number.
   * @param options As for {@linkcode E8M0Format.encode}.
   * @returns A power of two (or NaN).
   *
   * @example
   * ```ts
   * import { E8M0 } from "@lowbit/numerics/e8m0";
   * import { equal } from "node:assert/strict";
   * equal(E8M0.round(3), 2); // tie at 1.5·2: the even field 128 (= 2^1) wins
   * equal(E8M0.round(6), 8); // tie at 1.5·4: field 129 is odd, so up to 2^3
   * equal(E8M0.round(2.9), 2);
   * ```
   */
  round(x: number, options?: EncodeOptions): number {
    return this.decode(this.encode(x, options));
  }

  /**
   * Encodes every element.
   *
   * @param src Positive values.
   * @param options As for {@linkcode E8M0Format.encode}.
   * @returns A new Uint8Array of patterns.
   * @throws {RangeError} If an element is zero or negative.
   *
   * @example
   * ```ts
   * import { E8M0 } from "@lowbit/numerics/e8m0";
   * import { deepEqual } from "node:assert/strict";
   * deepEqual([...E8M0.encodeArray([1, 2, 0.5])], [127, 128, 126]);
   * ```
   */
  encodeArray(src: ArrayLike<number>, options?: EncodeOptions): Uint8Array {
    const out = new Uint8Array(src.length);
    for (let i = 0; i < src.length; i++) out[i] = this.encode(src[i], options);
    return out;
  }

  /**
   * Decodes every pattern.
   *
   * @param bits Patterns 0..255.
   * @returns A new Float64Array (2^−127 is below float32's normal range, so float64 keeps it).
   *
   * @example
   * ```ts
   * import { E8M0 } from "@lowbit/numerics/e8m0";
   * import { deepEqual } from "node:assert/strict";
   * deepEqual([...E8M0.decodeArray(new Uint8Array([126, 130]))], [0.5, 8]);
   * ```
   */
  decodeArray(bits: ArrayLike<number>): Float64Array {
    const out = new Float64Array(bits.length);
    for (let i = 0; i < bits.length; i++) out[i] = this.decode(bits[i]);
    return out;
  }
}

/**
 * The E8M0 scale format (OCP MX v1.0 §5.4).
 *
 * @example
 * ```ts
 * import { E8M0 } from "@lowbit/numerics/e8m0";
 * import { equal } from "node:assert/strict";
 * equal(E8M0.max, 2 ** 127);
 * equal(E8M0.decode(E8M0.encode(1024)), 1024);
 * ```
 */
export const E8M0: E8M0Format = Object.freeze(new E8M0Format());
