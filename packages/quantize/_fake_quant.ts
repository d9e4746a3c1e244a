/**
 * Private helper: the squared error of per-tensor fake quantization without allocating, for
 * calibration searches that try many candidate parameters over the same values.
 *
 * Bit for bit the same arithmetic as `fakeQuantize` in `uniform.ts` (Eqs. U.1, U.2, PyTorch
 * semantics in float32): q = clamp(round_half_even(fl(x · fl(1/S))) + Z, qmin, qmax),
 * x̂ = fl((q − Z) · S).
 *
 * @module
 */

import { roundHalfEven } from "@lowbit/rounding/modes";

const f = Math.fround;

/** One fake-quantized value: fl((clamp(rne(fl(x · inv)) + Z, qmin, qmax) − Z) · S). */
function fakeQuantValue(
  x: number,
  inv: number,
  scale: number,
  zeroPoint: number,
  qmin: number,
  qmax: number,
): number {
  const c = roundHalfEven(f(x * inv)) + zeroPoint;
  return f(((c < qmin ? qmin : c > qmax ? qmax : c) - zeroPoint) * scale);
}

/**
 * Sum over i of (x̂ᵢ − xᵢ)² (accumulated in float64) for per-tensor parameters.
 *
 * @param x The values (finite; not checked).
 * @param scale Step size S > 0.
 * @param zeroPoint Integer zero point Z.
 * @param qmin Smallest code.
 * @param qmax Largest code.
 * @returns The sum of squared errors.
 */
export function fakeQuantSquaredError(
  x: Float32Array,
  scale: number,
  zeroPoint: number,
  qmin: number,
  qmax: number,
): number {
  const inv = f(1 / scale);
  let sse = 0;
  for (let i = 0; i < x.length; i++) {
    const e = fakeQuantValue(x[i], inv, scale, zeroPoint, qmin, qmax) - x[i];
    sse += e * e;
  }
  return sse;
}

/**
 * The fake-quantized values x̂ᵢ written into `out` (same arithmetic as
 * {@linkcode fakeQuantSquaredError}), for searches that need the values themselves (e.g. a
 * softmax of quantized logits).
 *
 * @param x The values (finite; not checked).
 * @param out Destination, same length as `x`.
 * @param scale Step size S > 0.
 * @param zeroPoint Integer zero point Z.
 * @param qmin Smallest code.
 * @param qmax Largest code.
 */
export function fakeQuantInto(
  x: Float32Array,
  out: Float32Array,
  scale: number,
  zeroPoint: number,
  qmin: number,
  qmax: number,
): void {
  const inv = f(1 / scale);
  for (let i = 0; i < x.length; i++) {
    out[i] = fakeQuantValue(x[i], inv, scale, zeroPoint, qmin, qmax);
  }
}
