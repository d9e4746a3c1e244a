/**
 * Quantization parameters (survey Eqs. 2–5, Jacob et al. §2.1): the affine map
 * r = S · (q − Z) between real values r and integers q in [qmin, qmax], and how S and Z follow
 * from a real range [rmin, rmax].
 *
 * Semantics follow PyTorch (`torch.ao.quantization` `_calculate_qparams`), computed in float32
 * like PyTorch's float32 tensors:
 *
 *     rmin' = min(rmin, 0), rmax' = max(rmax, 0)                 (Q.1: the range holds 0)
 *     affine:    S = max((rmax' − rmin') / (qmax − qmin), ε)      (Q.2)
 *                Z = clamp(qmin − round_half_even(rmin' / S), qmin, qmax)
 *     symmetric: S = max(max(−rmin', rmax') / ((qmax − qmin) / 2), ε),  Z = 0 for signed
 *                ranges, else ⌊(qmin + qmax + 1) / 2⌋ (128 for [0, 255]) (Q.3)
 *
 * with ε = 2^−23 (float32 machine epsilon). Keeping 0 in the range makes zero exactly
 * representable (q = Z), which zero padding and ReLU rely on.
 *
 * @module
 */

import { intRange } from "@lowbit/numerics/integer";

/** Where one quantization grid applies. */
export interface QuantParams {
  /**
   * Step size S: one number (per-tensor) or one per channel / group (row-major). Scales are used
   * as float32 values (a number, or a `number[]` passed from JavaScript, is rounded to float32
   * exactly as a Float32Array would store it) and must have a finite float32 reciprocal:
   * fl(S) in [2^−128 + 2^−149, FLT_MAX] (about [2.94e−39, 3.40e38]); anything else is a
   * RangeError naming `params.scale`.
   */
  scale: number | Float32Array;
  /** Integer zero point Z, same layout as `scale`. */
  zeroPoint: number | Int32Array;
  /** Smallest integer code. */
  qmin: number;
  /** Largest integer code. */
  qmax: number;
  /** The channel axis for per-channel / per-group parameters (negative counts from the end). */
  axis?: number;
  /**
   * Group (block) size along `axis`: consecutive runs of this many elements share parameters.
   * It must divide the axis size; parameters then have the input's shape with the axis
   * dimension dim / groupSize.
   */
  groupSize?: number;
}

/** An integer code range. */
export interface QRange {
  /** Smallest code. */
  qmin: number;
  /** Largest code. */
  qmax: number;
}

/** Options of {@linkcode qrange}. */
export interface QRangeOptions {
  /** Signed codes (default `true`). */
  signed?: boolean;
  /** Restricted (narrow) signed range [−(2^(b−1) − 1), 2^(b−1) − 1] (default `false`). */
  narrow?: boolean;
}

/**
 * The code range of b-bit quantization: full [−2^(b−1), 2^(b−1) − 1], restricted
 * [−(2^(b−1) − 1), 2^(b−1) − 1], or unsigned [0, 2^b − 1].
 *
 * @param bits Bit width, 2..16.
 * @param options Signed and narrow.
 * @returns `{ qmin, qmax }`.
 * @throws {RangeError} If `bits` is not an integer in [2, 16].
 *
 * @example
 * ```ts
 * import { qrange } from "@lowbit/quantize/params";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(qrange(8), { qmin: -128, qmax: 127 });
 * deepEqual(qrange(8, { narrow: true }), { qmin: -127, qmax: 127 });
 * deepEqual(qrange(4, { signed: false }), { qmin: 0, qmax: 15 });
 * ```
 */
export function qrange(bits: number, options?: QRangeOptions): QRange {
  if (typeof bits !== "number" || !Number.isInteger(bits) || bits < 2 || bits > 16) {
    throw new RangeError(`bits must be an integer in [2, 16]; got ${String(bits)}`);
  }
  const r = intRange(bits, { signed: options?.signed ?? true, narrow: options?.narrow ?? false });
  return { qmin: r.min, qmax: r.max };
}

/** Options of {@linkcode qparamsFromRange}. */
export interface RangeToParamsOptions extends QRange {
  /** Symmetric (Z fixed, Eq. Q.3) instead of affine (Eq. Q.2). Default `false`. */
  symmetric?: boolean;
  /** Smallest allowed scale, default 2^−23 (PyTorch's float32 eps). */
  eps?: number;
}

const F32_EPS = 2 ** -23;
const F32_MAX = 3.4028234663852886e38;
/** Smallest float32 whose float32 reciprocal is finite (2^−128 + 2^−149), the least usable scale. */
const MIN_SCALE = 2 ** -128 + 2 ** -149;
const f = Math.fround;

function checkQRange(qmin: unknown, qmax: unknown): void {
  if (
    typeof qmin !== "number" || typeof qmax !== "number" || !Number.isInteger(qmin) ||
    !Number.isInteger(qmax) || qmin >= qmax || qmin < -(2 ** 31) || qmax > 2 ** 31 - 1
  ) {
    throw new RangeError(
      `qmin and qmax must be int32 integers with qmin < qmax; got qmin ${String(qmin)}, qmax ${
        String(qmax)
      }`,
    );
  }
}

/**
 * The zero point of symmetric quantization for a code range (Eq. Q.3), as PyTorch's
 * `_calculate_qparams` chooses it: 0 for a signed range; 128 for the default quint8 range
 * [0, 255]; the down-rounded midpoint ⌊(qmin + qmax) / 2⌋ for any other unsigned range (PyTorch's
 * user-given `quant_min`/`quant_max`; e.g. [0, 15] → 7).
 *
 * @param qmin The smallest code.
 * @param qmax The largest code.
 * @returns The zero point.
 * @throws {RangeError} If the code range is invalid.
 *
 * @example
 * ```ts
 * import { symmetricZeroPoint } from "@lowbit/quantize/params";
 * import { equal } from "node:assert/strict";
 * equal(symmetricZeroPoint(-128, 127), 0);
 * equal(symmetricZeroPoint(0, 255), 128); // torch.quint8
 * equal(symmetricZeroPoint(0, 15), 7); // quant_min=0, quant_max=15
 * ```
 */
export function symmetricZeroPoint(qmin: number, qmax: number): number {
  checkQRange(qmin, qmax);
  if (qmin < 0) return 0;
  return qmin === 0 && qmax === 255 ? 128 : Math.floor((qmin + qmax) / 2);
}

/**
 * Scale and zero point from a real range, PyTorch semantics in float32 (Eqs. Q.1–Q.3).
 *
 * @param rmin The range minimum (widened to include 0).
 * @param rmax The range maximum (widened to include 0).
 * @param options The code range, symmetric or affine, eps.
 * @returns `{ scale, zeroPoint }`; `scale` is a float32 value.
 * @throws {RangeError} If `rmin`/`rmax` are not finite float32-range numbers, `rmin > rmax`, the
 *   code range is invalid, `options.eps` is not a usable float32 scale (NaN, ≤ 0, below
 *   2^−128 + 2^−149 or beyond float32), or the scale of the range overflows float32.
 * @throws {TypeError} If `options` is missing.
 *
 * @example The lecture's 2-bit example (MIT 6.S965 lecture 5, example 3)
 * ```ts
 * import { qparamsFromRange } from "@lowbit/quantize/params";
 * import { equal, ok } from "node:assert/strict";
 * const { scale, zeroPoint } = qparamsFromRange(-1.08, 2.12, { qmin: -2, qmax: 1 });
 * ok(Math.abs(scale - 1.0667) < 1e-4); // (2.12 + 1.08) / 3 ≈ 1.07
 * equal(zeroPoint, -1); // −2 − round(−1.08 / 1.0667) = −2 + 1
 * ```
 */
export function qparamsFromRange(
  rmin: number,
  rmax: number,
  options: RangeToParamsOptions,
): { scale: number; zeroPoint: number } {
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      `options must be { qmin, qmax, symmetric?, eps? } (the code range is required); got ${
        String(options)
      }`,
    );
  }
  const { qmin, qmax } = options;
  checkQRange(qmin, qmax);
  if (
    typeof rmin !== "number" || typeof rmax !== "number" || !(Math.abs(rmin) <= F32_MAX) ||
    !(Math.abs(rmax) <= F32_MAX) || rmin > rmax
  ) {
    throw new RangeError(
      `rmin and rmax must be finite float32-range numbers (|r| <= ${F32_MAX}) with rmin <= rmax; got [${rmin}, ${rmax}]`,
    );
  }
  const eps = options.eps ?? F32_EPS;
  if (typeof eps !== "number" || !(eps >= MIN_SCALE && f(eps) < Infinity)) {
    throw new RangeError(
      `options.eps must be a positive float32 scale in [${MIN_SCALE}, ${F32_MAX}] (default 2^-23); got ${
        String(eps)
      }`,
    );
  }
  const lo = f(Math.min(rmin, 0)), hi = f(Math.max(rmax, 0));
  let scale: number;
  let zeroPoint: number;
  if (options.symmetric) {
    scale = Math.max(f(Math.max(-lo, hi) / f((qmax - qmin) / 2)), f(eps));
    zeroPoint = symmetricZeroPoint(qmin, qmax);
  } else {
    scale = Math.max(f(f(hi - lo) / (qmax - qmin)), f(eps));
    const z = qmin - roundEven(f(lo / scale));
    zeroPoint = Math.min(Math.max(z, qmin), qmax);
  }
  if (scale === Infinity) {
    throw new RangeError(
      `the range [${rmin}, ${rmax}] is too wide: its scale over [${qmin}, ${qmax}] overflows float32`,
    );
  }
  return { scale, zeroPoint };
}

function roundEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Per-channel (or per-group) scales and zero points from arrays of ranges.
 *
 * @param mins Range minimum of each channel / group.
 * @param maxs Range maximum of each channel / group (same length).
 * @param options The code range, symmetric or affine, eps.
 * @returns `scale` (Float32Array) and `zeroPoint` (Int32Array), one per entry.
 * @throws {RangeError} If the lengths differ or a range is invalid (the message names the
 *   index).
 *
 * @example Two channels, symmetric int8
 * ```ts
 * import { qparamsFromRanges } from "@lowbit/quantize/params";
 * import { deepEqual } from "node:assert/strict";
 * const p = qparamsFromRanges([-1, -0.5], [2, 0.25], { qmin: -128, qmax: 127, symmetric: true });
 * deepEqual([...p.scale], [Math.fround(2 / 127.5), Math.fround(0.5 / 127.5)]);
 * deepEqual([...p.zeroPoint], [0, 0]);
 * ```
 */
export function qparamsFromRanges(
  mins: ArrayLike<number>,
  maxs: ArrayLike<number>,
  options: RangeToParamsOptions,
): { scale: Float32Array; zeroPoint: Int32Array } {
  if (mins.length !== maxs.length) {
    throw new RangeError(
      `mins and maxs must have the same length; got ${mins.length} and ${maxs.length}`,
    );
  }
  const scale = new Float32Array(mins.length), zeroPoint = new Int32Array(mins.length);
  for (let i = 0; i < mins.length; i++) {
    let p;
    try {
      p = qparamsFromRange(mins[i], maxs[i], options);
    } catch (e) {
      throw new RangeError(`channel ${i}: ${(e as Error).message}`);
    }
    scale[i] = p.scale;
    zeroPoint[i] = p.zeroPoint;
  }
  return { scale, zeroPoint };
}

/**
 * Per-tensor {@linkcode QuantParams} for a range: {@linkcode qparamsFromRange} plus the code
 * range, ready for `quantize` (what every per-tensor observer's `qparams()` returns).
 *
 * @param range The observed `{ min, max }`.
 * @param options The code range, symmetric or affine, eps.
 * @returns `{ scale, zeroPoint, qmin, qmax }`.
 * @throws {RangeError} As {@linkcode qparamsFromRange}.
 *
 * @example
 * ```ts
 * import { perTensorQParams } from "@lowbit/quantize/params";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(perTensorQParams({ min: -1, max: 1 }, { qmin: -128, qmax: 127, symmetric: true }), {
 *   scale: Math.fround(1 / 127.5),
 *   zeroPoint: 0,
 *   qmin: -128,
 *   qmax: 127,
 * });
 * ```
 */
export function perTensorQParams(
  range: { min: number; max: number },
  options: RangeToParamsOptions,
): QuantParams {
  const { scale, zeroPoint } = qparamsFromRange(range.min, range.max, options);
  return { scale, zeroPoint, qmin: options.qmin, qmax: options.qmax };
}
