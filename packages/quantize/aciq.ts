/**
 * Analytical clipping for integer quantization (ACIQ; Banner, Nahshan & Soudry, "Post training
 * 4-bit quantization of convolutional networks for rapid-deployment", NeurIPS 2019): if the
 * values follow a known bell-shaped law, the clipping value α of a symmetric grid follows from
 * minimizing the expected MSE in closed form instead of searching over data.
 *
 * Model (the paper's §3 analysis): M-bit uniform quantization of [−α, α] into 2^M bins of
 * width Δ = 2α / 2^M has rounding noise Δ²/12 = α² / (3 · 4^M) inside the range; values beyond
 * ±α are clipped. For unit scale (b = 1 or σ = 1; the MSE scales with b² or σ²):
 *
 *     Laplace(0, b):  E(α) ≈ 2 b² e^(−α/b) + α² / (3 · 4^M)                               (A.1)
 *     Gaussian(0, σ): E(α) ≈ (α² + σ²) · erfc(α / (√2 σ)) − √(2/π) α σ e^(−α²/(2σ²))
 *                            + α² / (3 · 4^M)                                              (A.2)
 *
 * Both are convex in α, so {@linkcode aciqAlpha} finds the minimizer by bisection on the
 * closed-form slope dE/dα (to ~1e−15 relative); nothing is tabulated. The results agree with
 * the paper's published multipliers to their two decimals (±0.01): Laplace α/b = 2.83, 3.89, 5.03, 6.20, 7.41, 8.64,
 * 9.89 and Gaussian α/σ = 1.71, 2.15, 2.55, 2.93, 3.28, 3.61, 3.92 for M = 2..8 (computed:
 * 2.8307, 3.8972, 5.0286, 6.2048, 7.4131, 8.6456, 9.8968 and 1.7106, 2.1516, 2.5591, 2.9362,
 * 3.2869, 3.6151, 3.9240 — the paper appears to truncate rather than round some entries).
 *
 * The model is an approximation: the uniform rounding noise Δ²/12 assumes a density nearly flat
 * over one bin. Against a simulated 2^M-bin midpoint quantizer at α* it is within ~7% for
 * M ≥ 5, but underestimates by ~11% (Laplace) / ~13% (Gaussian) at M = 4 and ~42–48% at M = 2
 * (seeded 200k-sample simulation in `aciq_test.ts`).
 *
 * {@linkcode AciqObserver} estimates the scale from the observed values as the maximum-likelihood
 * estimate of a zero-centred law — b̂ = mean |x| (Laplace) or σ̂ = √(mean x²) (Gaussian), the
 * spread about 0, which is the centre of the symmetric grid — and returns symmetric parameters
 * for [−α̂, α̂] with α̂ = aciqAlpha(law, M) · b̂ and M = log2(qmax − qmin + 1). (Banner et al.'s
 * code centres on the mean and shifts the grid; here the grid is symmetric about 0 as the
 * survey's Eq. 5 form, so the statistics are taken about 0 too.) The sums are streamed, so
 * memory is constant and batches aggregate exactly.
 *
 * Dynamic quantization is `reset()` + `observe(batch)` + `qparams()` per batch.
 *
 * @example 4-bit Laplace clipping
 * ```ts
 * import { aciqAlpha } from "@lowbit/quantize/aciq";
 * import { equal } from "node:assert/strict";
 * equal(aciqAlpha("laplace", 4).toFixed(2), "5.03");
 * equal(aciqAlpha("gaussian", 4).toFixed(2), "2.56"); // the paper prints 2.55
 * ```
 *
 * @module
 */

import {
  asTensorLike,
  type Observer,
  type ObserverOptions,
  type QuantInput,
  resolveQRange,
} from "./observer.ts";
import { perTensorQParams, type QRange, type QuantParams } from "./params.ts";

/** The value distributions ACIQ has closed forms for. */
export type AciqDistribution = "laplace" | "gaussian";

const SQRT2 = Math.SQRT2;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_PI = 1 / Math.sqrt(Math.PI);

/** Complementary error function, ~1e−13 relative for x ≥ 0 (series below 2, continued fraction above). */
function erfc(x: number): number {
  if (x < 0) return 2 - erfc(-x);
  if (x < 2) {
    // erf(x) = (2/√π) e^(−x²) Σ 2ⁿ x^(2n+1) / (1·3·…·(2n+1)): positive terms, no cancellation.
    const x2 = x * x;
    let term = x, sum = x;
    for (let n = 1; n < 200; n++) {
      term *= (2 * x2) / (2 * n + 1);
      sum += term;
      if (term < sum * 1e-17) break;
    }
    return 1 - 2 * INV_SQRT_PI * Math.exp(-x2) * sum;
  }
  // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated backward.
  let t = x;
  for (let k = 200; k >= 1; k--) t = x + k / 2 / t;
  return (INV_SQRT_PI * Math.exp(-x * x)) / t;
}

function checkDistribution(distribution: unknown): AciqDistribution {
  if (distribution !== "laplace" && distribution !== "gaussian") {
    throw new RangeError(
      `distribution must be "laplace" or "gaussian"; got ${JSON.stringify(distribution)}`,
    );
  }
  return distribution;
}

function checkBits(bits: unknown): number {
  if (typeof bits !== "number" || !(bits >= 1 && bits <= 32)) {
    throw new RangeError(`bits must be a number in [1, 32]; got ${String(bits)}`);
  }
  return bits;
}

function expectedMse(distribution: AciqDistribution, alpha: number, bits: number): number {
  const noise = (alpha * alpha) / (3 * 4 ** bits);
  if (distribution === "laplace") return 2 * Math.exp(-alpha) + noise;
  return (alpha * alpha + 1) * erfc(alpha / SQRT2) -
    SQRT_2_OVER_PI * alpha * Math.exp(-alpha * alpha / 2) + noise;
}

/** dE/dα of Eq. A.1 / A.2 (unit scale). */
function expectedMseSlope(distribution: AciqDistribution, alpha: number, bits: number): number {
  const noise = (2 * alpha) / (3 * 4 ** bits);
  if (distribution === "laplace") return -2 * Math.exp(-alpha) + noise;
  // d/dα [(α² + 1) erfc(α/√2) − √(2/π) α e^(−α²/2)] = 2α erfc(α/√2) − 2√(2/π) e^(−α²/2).
  return 2 * alpha * erfc(alpha / SQRT2) - 2 * SQRT_2_OVER_PI * Math.exp(-alpha * alpha / 2) +
    noise;
}

/**
 * The expected MSE of clipping at ±α and quantizing to M bits, for unit scale (Eqs. A.1, A.2).
 *
 * @param distribution `"laplace"` (b = 1) or `"gaussian"` (σ = 1).
 * @param alpha The clipping value in units of b or σ, ≥ 0.
 * @param bits M, the number of bits (2^M bins; fractional values allowed), in [1, 32].
 * @returns The expected squared error per value, in units of b² or σ².
 * @throws {RangeError} If an argument is outside its domain.
 *
 * @example
 * ```ts
 * import { aciqExpectedMse } from "@lowbit/quantize/aciq";
 * import { ok } from "node:assert/strict";
 * // Laplace, α = 5, 4 bits: 2e^(−5) + 25 / 768
 * ok(Math.abs(aciqExpectedMse("laplace", 5, 4) - (2 * Math.exp(-5) + 25 / 768)) < 1e-15);
 * ```
 */
export function aciqExpectedMse(
  distribution: AciqDistribution,
  alpha: number,
  bits: number,
): number {
  checkDistribution(distribution);
  checkBits(bits);
  if (typeof alpha !== "number" || !(alpha >= 0) || alpha === Infinity) {
    throw new RangeError(`alpha must be a finite number >= 0; got ${String(alpha)}`);
  }
  return expectedMse(distribution, alpha, bits);
}

/**
 * The ACIQ clipping value: the α minimizing Eq. A.1 or A.2, in units of b (Laplace) or σ
 * (Gaussian), found by bisection on dE/dα (E is convex, so its slope crosses 0 once).
 *
 * @param distribution `"laplace"` or `"gaussian"`.
 * @param bits M, the number of bits (2^M bins; fractional values allowed), in [1, 32].
 * @returns α* / b or α* / σ.
 * @throws {RangeError} If `distribution` or `bits` is outside its domain.
 *
 * @example The paper's 2-bit multipliers
 * ```ts
 * import { aciqAlpha } from "@lowbit/quantize/aciq";
 * import { ok } from "node:assert/strict";
 * ok(Math.abs(aciqAlpha("laplace", 2) - 2.83) < 0.01);
 * ok(Math.abs(aciqAlpha("gaussian", 2) - 1.71) < 0.01);
 * ```
 */
export function aciqAlpha(distribution: AciqDistribution, bits: number): number {
  checkDistribution(distribution);
  checkBits(bits);
  // E is convex, so E' is increasing: bisect E' = 0 on a bracket where E'(0) < 0 < E'(hi).
  // (α*/b grows ~1.25 per bit and α*/σ like √(2 ln 4^M); both stay well inside.)
  let lo = 0, hi = distribution === "laplace" ? 4 + 2 * bits : 4 + bits;
  for (let i = 0; i < 200 && hi - lo > 4e-16 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (expectedMseSlope(distribution, mid, bits) < 0) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Options of {@linkcode AciqObserver}: the code range (always symmetric) and the law. */
export interface AciqObserverOptions extends Omit<ObserverOptions, "symmetric"> {
  /** The assumed distribution of the values (default `"laplace"`). */
  distribution?: AciqDistribution;
}

/**
 * ACIQ observer: streams mean |x| (Laplace) or mean x² (Gaussian) and returns symmetric
 * parameters for the analytic clipping range [−α̂, α̂].
 *
 * @example Laplace, signed 4-bit: α̂ = aciqAlpha("laplace", 4) · mean |x|
 * ```ts
 * import { AciqObserver, aciqAlpha } from "@lowbit/quantize/aciq";
 * import { equal } from "node:assert/strict";
 * const obs = new AciqObserver({ bits: 4, signed: true });
 * obs.observe(new Float32Array([-2, 1, 0, 1]));
 * equal(obs.spread(), 1); // mean |x| = 4 / 4
 * const a = aciqAlpha("laplace", 4);
 * equal(obs.qparams().scale, Math.fround(Math.fround(a) / 7.5)); // α̂ / ((qmax − qmin) / 2)
 * equal(obs.qparams().zeroPoint, 0);
 * ```
 */
export class AciqObserver implements Observer {
  #range: QRange;
  #distribution: AciqDistribution;
  #n = 0;
  #sumAbs = 0;
  #sumSq = 0;

  /**
   * Makes an observer with no data.
   *
   * @param options Code range and `distribution`.
   * @throws {RangeError} If `distribution` is not `"laplace"` or `"gaussian"`, or the code
   *   range is invalid.
   */
  constructor(options: AciqObserverOptions = {}) {
    this.#range = resolveQRange(options);
    try {
      this.#distribution = checkDistribution(options.distribution ?? "laplace");
    } catch (e) {
      throw new RangeError(`options.${(e as Error).message}`);
    }
  }

  /**
   * Adds a batch to the running sums; an empty batch is ignored.
   *
   * @param x A Float32Array or `{ data, shape }`.
   * @throws {RangeError} If a value is NaN or ±∞ (the message names its index); the observer
   *   is then unchanged.
   * @throws {TypeError} If `x` is not a Float32Array or tensor.
   */
  observe(x: QuantInput): void {
    const d = asTensorLike(x).data;
    let sa = 0, ss = 0;
    for (let i = 0; i < d.length; i++) {
      const v = d[i];
      if (v - v !== 0) throw new RangeError(`x[${i}] is ${v}; observers need finite values`);
      sa += Math.abs(v);
      ss += v * v;
    }
    this.#n += d.length;
    this.#sumAbs += sa;
    this.#sumSq += ss;
  }

  /**
   * The estimated scale of the law: b̂ = mean |x| (Laplace) or σ̂ = √(mean x²) (Gaussian).
   *
   * @returns The estimate, ≥ 0.
   * @throws {RangeError} If nothing has been observed.
   */
  spread(): number {
    if (this.#n === 0) {
      throw new RangeError(
        "AciqObserver: no data observed; call observe(x) with a non-empty batch before qparams()",
      );
    }
    return this.#distribution === "laplace"
      ? this.#sumAbs / this.#n
      : Math.sqrt(this.#sumSq / this.#n);
  }

  /**
   * The clipping range [−α̂, α̂] with α̂ = aciqAlpha(law, log2(qmax − qmin + 1)) · spread.
   *
   * @returns `{ min: −α̂, max: α̂ }`.
   * @throws {RangeError} If nothing has been observed.
   */
  range(): { min: number; max: number } {
    const { qmin, qmax } = this.#range;
    const a = aciqAlpha(this.#distribution, Math.log2(qmax - qmin + 1)) * this.spread();
    return { min: -a, max: a };
  }

  /**
   * Symmetric per-tensor parameters of the clipping range (params.ts Eq. Q.3).
   *
   * @returns `{ scale, zeroPoint, qmin, qmax }`.
   * @throws {RangeError} If nothing has been observed.
   */
  qparams(): QuantParams {
    return perTensorQParams(this.range(), { ...this.#range, symmetric: true });
  }

  /** Forgets everything observed. */
  reset(): void {
    this.#n = 0;
    this.#sumAbs = 0;
    this.#sumSq = 0;
  }
}
