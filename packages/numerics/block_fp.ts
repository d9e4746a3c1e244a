/**
 * Classic block floating point (BFP): each block of consecutive values shares one exponent and
 * every value keeps a signed integer mantissa of `mantissaBits` bits including the sign — e.g.
 * BFP16 = 8-bit mantissas in blocks of 16, the "MSFP"/HBFP family (Darvish Rouhani et al.,
 * "Pushing the Limits of Narrow Precision Inferencing at Cloud Scale with Microsoft Floating
 * Point", NeurIPS 2020; Drumond et al., "Training DNNs with Hybrid Block Floating Point",
 * NeurIPS 2018).
 *
 * The formulas, for a block with b = `mantissaBits`:
 *
 *     E   = ⌊log2 max_i |x_i|⌋, raised to at least −127 (−127 for an all-zero block)   (BFP.1)
 *     Δ   = 2^(E − b + 2)                                                              (BFP.2)
 *     m_i = clamp(round(x_i / Δ), −(2^(b−1) − 1), 2^(b−1) − 1)                         (BFP.3)
 *     x̂_i = m_i · Δ                                                                    (BFP.4)
 *
 * The block maximum has |x| / Δ ∈ [2^(b−2), 2^(b−1)): its leading bit sits just below the sign
 * bit, so the largest element keeps b − 1 significant bits. Rounding can carry it to 2^(b−1),
 * which (BFP.3) clamps to 2^(b−1) − 1. These are exactly the equations of microsoft/microxcaling
 * for integer element types (`_shared_exponents` gives ⌊log2 max⌋; `_quantize_elemwise_core`
 * with `exp_bits = 0` scales by 2^(bits − 2), rounds, and clamps to ±(2^(bits−1) − 1)), and
 * MXINT8 is this scheme with b = 8, blocks of 32 and an E8M0 exponent.
 *
 * Choices:
 *
 * - The mantissa range is symmetric by default, as the sign-magnitude mantissas of MSFP and the
 *   reference's clamp: −2^(b−1) is never produced, so negation is exact. `symmetric: false`
 *   allows −2^(b−1) (full two's complement range), except in a block with E = 127, where
 *   −2^(b−1)·Δ = −2^128 would overflow float32.
 * - E is an 8-bit-style exponent: its lower bound −127 keeps every block (even all-zero ones)
 *   a finite exponent (Int16Array storage); float32 inputs never exceed 127.
 * - BFP has no NaN or infinity: non-finite inputs are rejected.
 * - Blocks are 1-D runs of consecutive values; the last block may be partial.
 * - Every x̂ is a float32 value (≤ 16 significant bits, exponent ≥ −141), so decoding is exact.
 *
 * @module
 */

import {
  type RandomSource,
  resolveRounding,
  roundHalfEven,
  type RoundingMode,
  roundInteger,
} from "@lowbit/rounding/modes";
import { exponentOf } from "./_bits.ts";

export type { RandomSource, RoundingMode } from "@lowbit/rounding/modes";

/** Smallest shared exponent (BFP.1). */
const MIN_EXPONENT = -127;

/** Options of {@linkcode blockFloatQuantize}. */
export interface BlockFloatOptions {
  /** Values per shared exponent, a positive integer (BFP16: 16). */
  blockSize: number;
  /** Mantissa width including the sign, 2..16 (BFP16: 8). */
  mantissaBits: number;
  /** Mantissa rounding mode; default `"nearest-even"`. */
  rounding?: RoundingMode;
  /** Seeded uniform source, required when `rounding` is `"stochastic"`. */
  random?: RandomSource;
  /**
   * Clamp mantissas to ±(2^(b−1) − 1) (default `true`) instead of [−2^(b−1), 2^(b−1) − 1]
   * (the latter except when E = 127, where −2^(b−1)·Δ would overflow float32).
   */
  symmetric?: boolean;
}

/** A vector in block floating point. */
export interface BlockFloat {
  /** Number of values. */
  readonly length: number;
  /** Values per block; the last block may be partial. */
  readonly blockSize: number;
  /** Mantissa width b including the sign. */
  readonly mantissaBits: number;
  /** Shared exponent E of each block (BFP.1), ⌈length / blockSize⌉ of them. */
  readonly exponents: Int16Array;
  /** Signed mantissas m_i (BFP.3): Int8Array for b ≤ 8, else Int16Array. */
  readonly mantissas: Int8Array | Int16Array;
}

function checkInt(value: unknown, name: string, lo: number, hi: number): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < lo || value > hi) {
    throw new RangeError(
      `${name} must be an integer in [${lo}, ${hi === Number.MAX_SAFE_INTEGER ? "∞" : hi}]; ` +
        `got ${String(value)}`,
    );
  }
  return value;
}

function nonFinite(src: Float32Array, i: number): RangeError {
  return new RangeError(`src[${i}] is ${src[i]}; block floating point has no NaN or infinity`);
}

/**
 * Quantizes a float32 vector to block floating point, Eqs. (BFP.1)–(BFP.3) of the module doc:
 * E = ⌊log2 max|x|⌋ per block, m = clamp(round(x / 2^(E − b + 2))).
 *
 * @param src The values (finite).
 * @param options Block size, mantissa width, rounding, random source, range symmetry.
 * @returns The shared exponents and mantissas.
 * @throws {TypeError} If `src` is not a Float32Array, `options` is missing, or stochastic
 *   rounding lacks `random`.
 * @throws {RangeError} If `blockSize` is not a positive integer, `mantissaBits` is not an
 *   integer in 2..16, `rounding` is unknown, or an element of `src` is NaN or ±∞.
 *
 * @example BFP with 8-bit mantissas: max 100 gives E = 6 and step 2^(6 − 8 + 2) = 1
 * ```ts
 * import { blockFloatDequantize, blockFloatQuantize } from "@lowbit/numerics/block-fp";
 * import { deepEqual } from "node:assert/strict";
 * const q = blockFloatQuantize(new Float32Array([100, -3.5, 0.25, 2.5]), {
 *   blockSize: 16,
 *   mantissaBits: 8,
 * });
 * deepEqual([...q.exponents], [6]);
 * deepEqual([...q.mantissas], [100, -4, 0, 2]); // ties to even: −3.5 → −4, 2.5 → 2
 * deepEqual([...blockFloatDequantize(q)], [100, -4, 0, 2]);
 * ```
 */
export function blockFloatQuantize(src: Float32Array, options: BlockFloatOptions): BlockFloat {
  if (!(src instanceof Float32Array)) {
    throw new TypeError(
      `src must be a Float32Array; got ${
        (src as unknown as object)?.constructor?.name ?? typeof src
      }`,
    );
  }
  if (options === null || typeof options !== "object") {
    throw new TypeError("options must be an object { blockSize, mantissaBits, ... }");
  }
  const bs = checkInt(options.blockSize, "blockSize", 1, Number.MAX_SAFE_INTEGER);
  const b = checkInt(options.mantissaBits, "mantissaBits", 2, 16);
  const { mode, random } = resolveRounding(options);
  const hiM = 2 ** (b - 1) - 1;
  const loM = (options.symmetric ?? true) ? -hiM : -hiM - 1;
  const n = src.length;
  const nb = Math.ceil(n / bs);
  const exponents = new Int16Array(nb);
  const mantissas = b <= 8 ? new Int8Array(n) : new Int16Array(n);
  for (let k = 0; k < nb; k++) {
    const lo = k * bs;
    const hi = Math.min(lo + bs, n);
    let amax = 0;
    for (let i = lo; i < hi; i++) {
      const a = Math.abs(src[i]);
      if (a > amax) {
        if (a === Infinity) throw nonFinite(src, i);
        amax = a;
      } else if (a !== a) throw nonFinite(src, i);
    }
    let e = amax === 0 ? MIN_EXPONENT : exponentOf(amax); // (BFP.1)
    if (e < MIN_EXPONENT) e = MIN_EXPONENT;
    exponents[k] = e;
    // −2^(b−1)·Δ = −2^(E+1) is not a float32 value when E = 127: keep that block symmetric.
    const lowest = e === 127 ? -hiM : loM;
    const inv = 2 ** -(e - b + 2); // 1 / Δ, (BFP.2); exact power of two
    for (let i = lo; i < hi; i++) {
      const t = src[i] * inv;
      let m = mode === "nearest-even" ? roundHalfEven(t) : roundInteger(t, mode, random);
      if (m > hiM) m = hiM;
      else if (m < lowest) m = lowest; // (BFP.3)
      mantissas[i] = m;
    }
  }
  return { length: n, blockSize: bs, mantissaBits: b, exponents, mantissas };
}

/**
 * Decodes block floating point: x̂_i = m_i · 2^(E − b + 2), Eq. (BFP.4). Exact in float32.
 *
 * @param q The quantized vector, as returned by {@linkcode blockFloatQuantize}.
 * @returns A new Float32Array of `q.length` values.
 * @throws {RangeError} If the block size or mantissa width is invalid, or `exponents` or
 *   `mantissas` is too short.
 *
 * @example BFP16 of a block of halves
 * ```ts
 * import { blockFloatDequantize } from "@lowbit/numerics/block-fp";
 * import { deepEqual } from "node:assert/strict";
 * const x = blockFloatDequantize({
 *   length: 3,
 *   blockSize: 16,
 *   mantissaBits: 8,
 *   exponents: new Int16Array([-1]), // step 2^(−1 − 8 + 2) = 2^−7
 *   mantissas: new Int8Array([64, -127, 1]),
 * });
 * deepEqual([...x], [0.5, -127 / 128, 1 / 128]);
 * ```
 */
export function blockFloatDequantize(q: BlockFloat): Float32Array {
  if (q === null || typeof q !== "object") {
    throw new TypeError("q must be a BlockFloat { length, blockSize, mantissaBits, ... }");
  }
  const bs = checkInt(q.blockSize, "q.blockSize", 1, Number.MAX_SAFE_INTEGER);
  const b = checkInt(q.mantissaBits, "q.mantissaBits", 2, 16);
  const n = checkInt(q.length, "q.length", 0, Number.MAX_SAFE_INTEGER);
  const nb = Math.ceil(n / bs);
  if (!(q.exponents instanceof Int16Array) || q.exponents.length < nb) {
    throw new RangeError(`q.exponents must be an Int16Array of at least ${nb} exponents`);
  }
  if (
    !(q.mantissas instanceof Int8Array || q.mantissas instanceof Int16Array) ||
    q.mantissas.length < n
  ) {
    throw new RangeError(`q.mantissas must be an Int8Array or Int16Array of at least ${n}`);
  }
  const out = new Float32Array(n);
  for (let k = 0; k < nb; k++) {
    const lo = k * bs;
    const hi = Math.min(lo + bs, n);
    const step = 2 ** (q.exponents[k] - b + 2);
    for (let i = lo; i < hi; i++) out[i] = q.mantissas[i] * step;
  }
  return out;
}
