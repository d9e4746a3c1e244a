/**
 * Additive powers-of-two (APoT) quantization (Li, Dong & Wang, ICLR 2020): every level is a sum
 * of n power-of-two terms, so a product with a weight costs n shift-adds, while the levels crowd
 * near zero like a bell-shaped weight distribution (but less sharply than pure powers of two).
 *
 * **Level set** for m magnitude bits split into n terms of k = m / n bits each (the paper's
 * Q^a(α, kn)):
 *
 *     Q^a(α, kn) = γ · { p_0 + p_1 + … + p_{n−1} }                               (A.1)
 *     p_i ∈ { 0, 2^−i, 2^−(i+n), 2^−(i+2n), …, 2^−(i+(2^k−2)n) }                  (A.2)
 *     γ = α / Σ_{i=0}^{n−1} 2^−i                                                  (A.3)
 *
 * Term i takes 0 or one of 2^k − 1 powers whose exponents are ≡ i (mod n), so all 2^m sums are
 * distinct (each is a sum of distinct powers of two) and γ makes the largest level
 * Σ 2^−i · γ = α, the clipping threshold. With n = 1 this is power-of-two quantization
 * α · {0, 2^−(2^b−2), …, 2^−1, 1}; with k = 1 the levels are uniform, α · {0, 1, …, 2^m−1}/(2^m−1).
 *
 * Worked example (b = 4, n = 2, k = 2, α = 1): p_0 ∈ {0, 1, 2^−2, 2^−4}, p_1 ∈ {0, 2^−1, 2^−3,
 * 2^−5}, γ = 2/3, and the 16 levels are {0, 1, 2, 3, 4, 6, 8, 9, 12, 16, 18, 24, 32, 33, 36, 48}
 * / 48. The same set (normalized to a maximum of 1) comes from the authors' `build_power_value(4)`
 * and PyTorch's `APoTObserver(b=4, k=2)` (γ = 1 / (2^0 + 2^−1)).
 *
 * **Signed values** use sign–magnitude like the authors' weight quantizer: one sign bit and
 * m = b − 1 magnitude bits, levels ±Q^a(α, kn). Unsigned values (post-ReLU activations) use all
 * m = b bits; negative inputs are treated as 0. The number of terms must divide m (the authors'
 * special term layouts for odd bit widths are not reproduced).
 *
 * **Projection.** A value maps to the nearest magnitude level (values beyond α clip to α); a
 * magnitude exactly halfway between two levels goes to the **lower magnitude** (the codebook's
 * lower-index rule applied to |x|, so the quantizer is odd-symmetric). Codes: unsigned — the
 * index of the level in ascending order; signed — sign bit (most significant, 1 = negative) |
 * magnitude index. Zero always encodes as code 0. Levels are float32 values (fl(γ · Σ p_i));
 * a configuration whose levels collide in float32 is rejected.
 *
 * @module
 */

import { asTensorLike, type QuantInput } from "../observer.ts";
import { nearestLevelIndex } from "./codebook.ts";

/** Options of APoT quantization. */
export interface ApotOptions {
  /** Total code width b (sign bit included when `signed`), 1..16 (signed 2..16). */
  bits: number;
  /** Number n of additive terms; must divide the magnitude bits (b, or b − 1 when signed). */
  terms: number;
  /** Clipping threshold α > 0: the largest level (default 1). */
  alpha?: number;
  /** Sign–magnitude codes (default `false`: unsigned levels in [0, α]). */
  signed?: boolean;
}

/** A validated APoT format with its level tables. */
export interface ApotFormat {
  /** Total code width b. */
  readonly bits: number;
  /** Number of additive terms n. */
  readonly terms: number;
  /** Bits per term k = m / n. */
  readonly termBits: number;
  /** Magnitude bits m. */
  readonly magnitudeBits: number;
  /** Clipping threshold α. */
  readonly alpha: number;
  /** Scale γ = α / Σ 2^−i (Eq. A.3). */
  readonly gamma: number;
  /** Whether codes carry a sign bit. */
  readonly signed: boolean;
  /** The unscaled term sets p_i of Eq. A.2, each ascending (0 first). */
  readonly termSets: readonly Float64Array[];
  /** The 2^m magnitude levels fl(γ · Σ p_i), ascending; index = magnitude code. */
  readonly magnitudes: Float32Array;
}

/**
 * Validates options and builds the level tables (Eqs. A.1–A.3).
 *
 * @param options Bits, terms, α, signed.
 * @returns The format.
 * @throws {TypeError} If `options` is not an object.
 * @throws {RangeError} If `bits`, `terms` or `alpha` is invalid, `terms` does not divide the
 *   magnitude bits, or the levels collide in float32.
 *
 * @example The paper's 4-bit, 2-term example
 * ```ts
 * import { apotFormat } from "@lowbit/quantize/nonuniform/apot";
 * import { deepEqual, equal } from "node:assert/strict";
 * const f = apotFormat({ bits: 4, terms: 2 });
 * equal(f.termBits, 2);
 * equal(f.gamma, 2 / 3);
 * deepEqual([...f.termSets[0]], [0, 0.0625, 0.25, 1]);
 * deepEqual([...f.termSets[1]], [0, 0.03125, 0.125, 0.5]);
 * deepEqual([...f.magnitudes].map((v) => Math.round(v * 48)), [0, 1, 2, 3, 4, 6, 8, 9, 12, 16, 18, 24, 32, 33, 36, 48]);
 * ```
 */
export function apotFormat(options: ApotOptions): ApotFormat {
  if (options === null || typeof options !== "object") {
    throw new TypeError("options must be an object with bits and terms");
  }
  const signed = options.signed ?? false;
  const { bits, terms } = options;
  const lo = signed ? 2 : 1;
  if (typeof bits !== "number" || !Number.isInteger(bits) || bits < lo || bits > 16) {
    throw new RangeError(
      `bits must be an integer in [${lo}, 16] for ${signed ? "signed" : "unsigned"} codes; got ${
        String(bits)
      }`,
    );
  }
  const m = signed ? bits - 1 : bits;
  if (typeof terms !== "number" || !Number.isInteger(terms) || terms < 1 || m % terms !== 0) {
    const divisors = Array.from({ length: m }, (_, i) => i + 1).filter((d) => m % d === 0);
    throw new RangeError(
      `terms must divide the ${m} magnitude bits: one of ${divisors.join(", ")}; got ${
        String(terms)
      }`,
    );
  }
  const alpha = options.alpha ?? 1;
  if (typeof alpha !== "number" || !Number.isFinite(alpha) || !(alpha > 0)) {
    throw new RangeError(`alpha must be a finite positive number; got ${String(alpha)}`);
  }
  const n = terms, k = m / n;
  const termSets: Float64Array[] = [];
  let top = 0;
  for (let i = 0; i < n; i++) {
    const p = new Float64Array(2 ** k); // ascending: 0, then exponents −(i + (2^k − 2)n) … −i
    for (let j = 0; j < 2 ** k - 1; j++) p[2 ** k - 1 - j] = 2 ** -(i + j * n);
    termSets.push(p);
    top += 2 ** -i;
  }
  const gamma = alpha / top;
  // Cartesian product of the term sets (Eq. A.1).
  let sums = [0];
  for (const p of termSets) {
    const next: number[] = [];
    for (const s of sums) for (const v of p) next.push(s + v);
    sums = next;
  }
  sums.sort((a, b) => a - b);
  const magnitudes = new Float32Array(sums.length);
  for (let i = 0; i < sums.length; i++) {
    magnitudes[i] = gamma * sums[i];
    if (i > 0 && !(magnitudes[i] > magnitudes[i - 1])) {
      throw new RangeError(
        `bits ${bits} with terms ${terms} give levels that collide in float32 (exponents span more than 24 bits); use more terms`,
      );
    }
  }
  if (!Number.isFinite(magnitudes[magnitudes.length - 1])) {
    throw new RangeError(`alpha must keep the levels finite in float32; got ${alpha}`);
  }
  return { bits, terms, termBits: k, magnitudeBits: m, alpha, gamma, signed, termSets, magnitudes };
}

/**
 * The distinct APoT levels, ascending: Q^a(α, kn), or ±Q^a(α, kn) when signed.
 *
 * @param options Bits, terms, α, signed.
 * @returns A Float32Array of 2^m levels (unsigned) or 2^(m+1) − 1 levels (signed).
 * @throws {RangeError} As {@linkcode apotFormat}.
 *
 * @example 3-bit signed, 2 terms of 1 bit: uniform levels ±{0, 1, 2, 3}/3
 * ```ts
 * import { apotLevels } from "@lowbit/quantize/nonuniform/apot";
 * import { deepEqual } from "node:assert/strict";
 * const l = apotLevels({ bits: 3, terms: 2, signed: true, alpha: 3 });
 * deepEqual([...l], [-3, -2, -1, 0, 1, 2, 3]);
 * ```
 */
export function apotLevels(options: ApotOptions): Float32Array {
  const f = apotFormat(options);
  if (!f.signed) return f.magnitudes.slice();
  const mags = f.magnitudes, k = mags.length;
  const out = new Float32Array(2 * k - 1);
  for (let i = 0; i < k; i++) {
    out[k - 1 - i] = -mags[i];
    out[k - 1 + i] = mags[i];
  }
  out[k - 1] = 0;
  return out;
}

function codeOf(v: number, f: ApotFormat): number {
  const neg = v < 0;
  if (!f.signed) return neg ? 0 : nearestLevelIndex(v, f.magnitudes);
  const idx = nearestLevelIndex(neg ? -v : v, f.magnitudes);
  return neg && idx !== 0 ? (1 << f.magnitudeBits) | idx : idx;
}

function valueOf(code: number, f: ApotFormat): number {
  const mask = (1 << f.magnitudeBits) - 1;
  const mag = f.magnitudes[code & mask];
  return f.signed && code > mask ? -mag : mag;
}

/**
 * Encodes values as APoT codes (nearest magnitude level, ties to the lower magnitude).
 *
 * @param x A Float32Array or a tensor `{ data, shape }` (codes are row-major).
 * @param options Bits, terms, α, signed.
 * @returns Codes: Uint8Array for b ≤ 8, else Uint16Array.
 * @throws {TypeError} If `x` is not a Float32Array or tensor.
 * @throws {RangeError} If the options are invalid or an element is NaN.
 *
 * @example Signed 5-bit, 2 terms: sign bit | 4-bit magnitude index
 * ```ts
 * import { encodeApot } from "@lowbit/quantize/nonuniform/apot";
 * import { deepEqual } from "node:assert/strict";
 * const codes = encodeApot(new Float32Array([1, -1, 0, 0.1, -7]), { bits: 5, terms: 2, signed: true });
 * deepEqual([...codes], [15, 31, 0, 4, 31]); // 0.1 → 4/48 ≈ 0.083
 * ```
 */
export function encodeApot(x: QuantInput, options: ApotOptions): Uint8Array | Uint16Array {
  const f = apotFormat(options);
  const data = asTensorLike(x).data;
  const out = f.bits <= 8 ? new Uint8Array(data.length) : new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v !== v) throw new RangeError(`x[${i}] is NaN`);
    out[i] = codeOf(v, f);
  }
  return out;
}

/**
 * Decodes APoT codes to their levels.
 *
 * @param codes b-bit codes.
 * @param options The options used to encode.
 * @returns A new Float32Array.
 * @throws {RangeError} If the options are invalid or a code does not fit in b bits.
 *
 * @example
 * ```ts
 * import { decodeApot } from "@lowbit/quantize/nonuniform/apot";
 * import { deepEqual } from "node:assert/strict";
 * const y = decodeApot(new Uint8Array([15, 8, 0]), { bits: 4, terms: 2, alpha: 3 });
 * deepEqual([...y], [3, 0.75, 0]); // 12/48 · 3
 * ```
 */
export function decodeApot(codes: ArrayLike<number>, options: ApotOptions): Float32Array {
  const f = apotFormat(options);
  const limit = 2 ** f.bits;
  const out = new Float32Array(codes.length);
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (!Number.isInteger(c) || c < 0 || c >= limit) {
      throw new RangeError(`codes[${i}] must be an integer in [0, ${limit - 1}]; got ${String(c)}`);
    }
    out[i] = valueOf(c, f);
  }
  return out;
}

/**
 * Fake APoT quantization: each value replaced by its nearest level (encode then decode).
 *
 * @param x A Float32Array or a tensor `{ data, shape }`.
 * @param options Bits, terms, α, signed.
 * @returns A new Float32Array, row-major.
 * @throws {TypeError} If `x` is not a Float32Array or tensor.
 * @throws {RangeError} If the options are invalid or an element is NaN.
 *
 * @example
 * ```ts
 * import { quantizeApot } from "@lowbit/quantize/nonuniform/apot";
 * import { deepEqual } from "node:assert/strict";
 * const y = quantizeApot(new Float32Array([0.5, 0.7, 2]), { bits: 4, terms: 2 });
 * deepEqual([...y].map((v) => Math.round(v * 48)), [24, 33, 48]); // 0.7·48 = 33.6
 * ```
 */
export function quantizeApot(x: QuantInput, options: ApotOptions): Float32Array {
  const f = apotFormat(options);
  const data = asTensorLike(x).data;
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v !== v) throw new RangeError(`x[${i}] is NaN`);
    out[i] = valueOf(codeOf(v, f), f);
  }
  return out;
}
