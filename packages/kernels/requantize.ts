/**
 * Requantization: turning int32 accumulators back into 8-bit codes (Jacob et al. 2018 §2.2,
 * survey §IV-A). Two exact, documented semantics:
 *
 * - **fixed** (gemmlowp / TFLite): the real multiplier `M = S_a·S_b/S_y` is stored as an int32
 *   Q31 mantissa `M0 ∈ [2^30, 2^31)` and a power-of-two exponent, `M ≈ M0 · 2^(shift − 31)`
 *   ({@link quantizeMultiplier}); an accumulator is rescaled by
 *   `SaturatingRoundingDoublingHighMul` followed by `RoundingDivideByPOT`
 *   ({@link multiplyByQuantizedMultiplier}). Integer arithmetic only.
 * - **float** (ONNX QLinearMatMul/QLinearConv as onnxruntime computes them): the multiplier is
 *   a float32, the product `float32(acc) · M` is rounded to float32, then rounded half to
 *   even, the zero point is added and the result saturates to the output range
 *   ({@link requantizeFloat}).
 *
 * The GEMM output stages in this package call exactly these functions' semantics; the
 * WebAssembly kernels are tested bit for bit against them.
 *
 * @example gemmlowp fixed-point rescaling of an accumulator
 * ```ts
 * import { multiplyByQuantizedMultiplier, quantizeMultiplier } from "@lowbit/kernels/requantize";
 * import { equal } from "node:assert/strict";
 * const { multiplier, shift } = quantizeMultiplier(0.25);
 * equal(multiplier, 2 ** 30);
 * equal(shift, -1);
 * equal(multiplyByQuantizedMultiplier(1000, multiplier, shift), 250);
 * equal(multiplyByQuantizedMultiplier(-6, multiplier, shift), -2); // -1.5 rounds away from 0
 * ```
 *
 * @module
 */

import { mbqm, rdbpot, rqf, srdhm } from "./_fixed_point.ts";

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const TWO31 = 2147483648;

/** A real multiplier as an int32 Q31 mantissa and a power-of-two exponent. */
export interface QuantizedMultiplier {
  /** Q31 mantissa in [2^30, 2^31) (0 for a zero multiplier). */
  multiplier: number;
  /** Exponent: the real value is `multiplier · 2^(shift − 31)`. */
  shift: number;
}

function checkInt32(name: string, v: number): void {
  if (!Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX) {
    throw new RangeError(`${name} must be an int32 integer, got ${v}`);
  }
}

/**
 * Splits a non-negative real multiplier into a Q31 mantissa and an exponent, as TFLite's
 * `QuantizeMultiplier`: `real = q · 2^shift` with `q ∈ [0.5, 1)`, `multiplier =
 * round_half_away(q · 2^31)` (carrying into the exponent when it rounds up to 2^31). Values
 * below 2^-32 flush to zero.
 *
 * @param real The multiplier, finite and ≥ 0 (typically `S_a·S_b/S_y`, in (0, 1)).
 * @returns `{ multiplier, shift }` with `real ≈ multiplier · 2^(shift − 31)`.
 * @throws {RangeError} When `real` is negative, NaN, infinite, or ≥ 2^31.
 *
 * @example
 * ```ts
 * import { quantizeMultiplier } from "@lowbit/kernels/requantize";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(quantizeMultiplier(0.75), { multiplier: 0x60000000, shift: 0 });
 * deepEqual(quantizeMultiplier(3), { multiplier: 0x60000000, shift: 2 });
 * ```
 */
export function quantizeMultiplier(real: number): QuantizedMultiplier {
  if (typeof real !== "number" || !(real >= 0) || !(real < TWO31)) {
    throw new RangeError(`real must be a finite number in [0, 2^31), got ${real}`);
  }
  if (real === 0) return { multiplier: 0, shift: 0 };
  // frexp: real = q · 2^e with q in [0.5, 1).
  let e = Math.floor(Math.log2(real)) + 1;
  let q = real / 2 ** e;
  if (q >= 1) {
    q /= 2;
    e += 1;
  } else if (q < 0.5) {
    q *= 2;
    e -= 1;
  }
  let m = Math.floor(q * TWO31 + 0.5); // q·2^31 is exact (scaling by a power of two)
  if (m === TWO31) {
    m /= 2;
    e += 1;
  }
  if (e < -31) return { multiplier: 0, shift: 0 };
  return { multiplier: m, shift: e };
}

/**
 * gemmlowp `SaturatingRoundingDoublingHighMul(a, b)`: the high 32 bits of `2·a·b`, rounded to
 * nearest, i.e. `trunc((a·b + nudge) / 2^31)` with `nudge = 2^30` for a non-negative product
 * and `1 − 2^30` otherwise (so exact ties, ±0.5, round toward +∞: 0.5 → 1, −0.5 → 0); the single overflowing case
 * `a = b = INT32_MIN` saturates to `INT32_MAX`. Exact for all int32 inputs.
 *
 * @param a An int32.
 * @param b An int32.
 * @returns The int32 result.
 *
 * @example
 * ```ts
 * import { saturatingRoundingDoublingHighMul } from "@lowbit/kernels/requantize";
 * import { equal } from "node:assert/strict";
 * equal(saturatingRoundingDoublingHighMul(-2147483648, -2147483648), 2147483647);
 * equal(saturatingRoundingDoublingHighMul(1 << 30, 6), 3);
 * ```
 */
export function saturatingRoundingDoublingHighMul(a: number, b: number): number {
  checkInt32("a", a);
  checkInt32("b", b);
  return srdhm(a, b);
}

/**
 * gemmlowp `RoundingDivideByPOT(x, exponent)`: `x / 2^exponent` rounded to nearest, ties away
 * from zero, using only shifts and masks.
 *
 * @param x An int32.
 * @param exponent The power of two, an integer in [0, 31].
 * @returns The int32 quotient.
 *
 * @example
 * ```ts
 * import { roundingDivideByPOT } from "@lowbit/kernels/requantize";
 * import { equal } from "node:assert/strict";
 * equal(roundingDivideByPOT(5, 1), 3);
 * equal(roundingDivideByPOT(-5, 1), -3);
 * equal(roundingDivideByPOT(-6, 2), -2);
 * ```
 */
export function roundingDivideByPOT(x: number, exponent: number): number {
  checkInt32("x", x);
  if (!Number.isInteger(exponent) || exponent < 0 || exponent > 31) {
    throw new RangeError(`exponent must be an integer in [0, 31], got ${exponent}`);
  }
  return rdbpot(x, exponent);
}

/**
 * TFLite `MultiplyByQuantizedMultiplier(acc, multiplier, shift)`: a left shift by
 * `max(shift, 0)` (wrapping as int32, as in C++), SRDHM by `multiplier`, then a rounding right
 * shift by `max(−shift, 0)`.
 *
 * @param acc The int32 accumulator.
 * @param multiplier The Q31 mantissa from {@link quantizeMultiplier}, an int32 ≥ 0.
 * @param shift The exponent from {@link quantizeMultiplier}, in [-31, 30].
 * @returns The rescaled int32 value (before the zero point is added).
 *
 * @example
 * ```ts
 * import { multiplyByQuantizedMultiplier, quantizeMultiplier } from "@lowbit/kernels/requantize";
 * import { equal } from "node:assert/strict";
 * const { multiplier, shift } = quantizeMultiplier(1 / 3);
 * equal(multiplyByQuantizedMultiplier(300, multiplier, shift), 100);
 * ```
 */
export function multiplyByQuantizedMultiplier(
  acc: number,
  multiplier: number,
  shift: number,
): number {
  checkInt32("acc", acc);
  if (!Number.isInteger(multiplier) || multiplier < 0 || multiplier > INT32_MAX) {
    throw new RangeError(`multiplier must be an integer in [0, 2^31 − 1], got ${multiplier}`);
  }
  if (!Number.isInteger(shift) || shift < -31 || shift > 30) {
    throw new RangeError(`shift must be an integer in [-31, 30], got ${shift}`);
  }
  return mbqm(acc, multiplier, shift);
}

/**
 * ONNX / onnxruntime float requantization of one accumulator: `y = saturate(rne(float32(
 * float32(acc) · multiplier)) + zeroPoint)` into `[qmin, qmax]`. The multiplier is rounded to
 * float32 first (onnxruntime computes `S_a·S_b/S_y` in float32).
 *
 * @param acc The int32 accumulator (bias already added).
 * @param multiplier The real multiplier, finite and > 0.
 * @param zeroPoint Output zero point, an integer in [qmin, qmax].
 * @param qmin Smallest output code (−128 for int8, 0 for uint8, or a fused ReLU bound).
 * @param qmax Largest output code.
 * @returns The output code.
 *
 * @example
 * ```ts
 * import { requantizeFloat } from "@lowbit/kernels/requantize";
 * import { equal } from "node:assert/strict";
 * equal(requantizeFloat(5, 0.5, 0, -128, 127), 2); // 2.5 → 2 (ties to even)
 * equal(requantizeFloat(7, 0.5, 10, 0, 255), 14); // 3.5 → 4, + 10
 * equal(requantizeFloat(1000, 1, 0, -128, 127), 127); // saturates
 * ```
 */
export function requantizeFloat(
  acc: number,
  multiplier: number,
  zeroPoint: number,
  qmin: number,
  qmax: number,
): number {
  checkInt32("acc", acc);
  if (!(multiplier > 0) || !Number.isFinite(multiplier)) {
    throw new RangeError(`multiplier must be a finite number > 0, got ${multiplier}`);
  }
  if (!Number.isInteger(qmin) || !Number.isInteger(qmax) || qmin > qmax) {
    throw new RangeError(`qmin and qmax must be integers with qmin ≤ qmax, got ${qmin}, ${qmax}`);
  }
  if (!Number.isInteger(zeroPoint) || zeroPoint < qmin || zeroPoint > qmax) {
    throw new RangeError(`zeroPoint must be an integer in [${qmin}, ${qmax}], got ${zeroPoint}`);
  }
  return rqf(acc, Math.fround(multiplier), zeroPoint, qmin, qmax);
}
