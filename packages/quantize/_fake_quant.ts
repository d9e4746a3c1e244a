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

/**
 * Squared errors of per-tensor fake quantization over SORTED values in O(codes · log n) per
 * candidate instead of O(n), for range searches over many candidates (the MSE observer).
 *
 * The code c(x) = clamp(rne(fl(x · fl(1/S))) + Z, qmin, qmax) is non-decreasing in x, so each
 * code's values are one contiguous run of the sorted array. The run boundaries are found by
 * binary search with the exact code function of {@linkcode fakeQuantSquaredError} (so every value
 * lands in the same code, bit for bit), and a run of m values with dequantized value x̂ adds
 *
 *     Σ (x̂ − x)² = m·x̂² − 2·x̂·Σx + Σx²                                                (F.1)
 *
 * from float64 prefix sums. Only the float64 rounding of the sums differs from the direct sum
 * (relative error ~1e-16 · 12·(qmax − qmin)², far below any difference between candidates; the
 * MSE observer re-measures near-ties directly).
 */
export class SortedSquaredError {
  readonly #x: Float32Array;
  readonly #s1: Float64Array;
  readonly #s2: Float64Array;

  /**
   * Prefix sums of the values and their squares.
   *
   * @param sorted Finite values in ascending order (not checked).
   */
  constructor(sorted: Float32Array) {
    this.#x = sorted;
    const n = sorted.length;
    this.#s1 = new Float64Array(n + 1);
    this.#s2 = new Float64Array(n + 1);
    for (let i = 0; i < n; i++) {
      this.#s1[i + 1] = this.#s1[i] + sorted[i];
      this.#s2[i + 1] = this.#s2[i] + sorted[i] * sorted[i];
    }
  }

  /**
   * Whether the direct sum is cheaper than the run decomposition for this code range.
   *
   * @param qmin Smallest code.
   * @param qmax Largest code.
   * @returns True when (qmax − qmin + 1) · log2 n exceeds n / 4.
   */
  preferDirect(qmin: number, qmax: number): boolean {
    const n = this.#x.length;
    return (qmax - qmin + 1) * Math.log2(n + 2) > n / 4;
  }

  /**
   * Σᵢ (x̂ᵢ − xᵢ)² for per-tensor parameters (Eq. F.1 per code run).
   *
   * @param scale Step size S > 0.
   * @param zeroPoint Integer zero point Z.
   * @param qmin Smallest code.
   * @param qmax Largest code.
   * @returns The sum of squared errors.
   */
  sse(scale: number, zeroPoint: number, qmin: number, qmax: number): number {
    const x = this.#x, n = x.length;
    if (n === 0) return 0;
    if (this.preferDirect(qmin, qmax)) {
      return fakeQuantSquaredError(x, scale, zeroPoint, qmin, qmax);
    }
    const inv = f(1 / scale);
    const code = (v: number): number => {
      const c = roundHalfEven(f(v * inv)) + zeroPoint;
      return c < qmin ? qmin : c > qmax ? qmax : c;
    };
    const s1 = this.#s1, s2 = this.#s2;
    let sse = 0;
    let start = 0;
    while (start < n) {
      const c = code(x[start]);
      // first index whose code exceeds c (codes are non-decreasing along the sorted values)
      let lo = start + 1, hi = n;
      if (c === qmax) lo = n;
      else {
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (code(x[mid]) > c) hi = mid;
          else lo = mid + 1;
        }
      }
      const m = lo - start;
      const xh = f((c - zeroPoint) * scale);
      const run = m * xh * xh - 2 * xh * (s1[lo] - s1[start]) + (s2[lo] - s2[start]);
      sse += run > 0 ? run : 0;
      start = lo;
    }
    return sse;
  }
}
