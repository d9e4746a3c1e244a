/**
 * Entropy (KL-divergence) calibration, TensorRT's method (Migacz, "8-bit Inference with
 * TensorRT", GTC 2017): pick the symmetric clipping threshold T whose quantized distribution
 * loses the least information, measured by KL(P ‖ Q).
 *
 * Histogram of |x|: `bins` equal bins (default 2048) of width w over [0, bins · w]. The first
 * batch with a non-zero value sets bins · w = max |x| (`torch.histc` binning, float32, top edge
 * in the last bin). A later batch with max |x| beyond the top doubles w until it fits, merging
 * neighbouring bin pairs (exact: every old bin lies inside one new bin).
 *
 * Search, as NVIDIA's `pytorch-quantization` `_compute_amax_entropy` does it (`stride` 1,
 * `start_bin` 128): let h be the histogram with h₀ replaced by h₁ (so a spike of exact zeros,
 * e.g. after ReLU, does not dominate), L = `levels` (the codes on one side of the symmetric
 * zero point: qmax − Z + 1, 128 for 8 bits) and, for each candidate i = startBin,
 * startBin + stride, … ≤ bins:
 *
 *     P_j = h_j for j < i − 1,   P_{i−1} = h_{i−1} + Σ_{j ≥ i} h_j     (outliers clipped in)  (E.1)
 *     k(j) = ⌊j · L / i⌋  (the quantized bin of source bin j < i)                          (E.2)
 *     Q_j = Σ_{k(m)=k(j)} h_m / #{m : k(m) = k(j), h_m ≠ 0}  if h_j ≠ 0, else 0              (E.3)
 *     KL_i = Σ_{P_j > 0} p_j ln(p_j / q_j),   p = P / ΣP,  q = Q / ΣQ  (+∞ if some q_j = 0)   (E.4)
 *
 * Q spreads each quantized bin's mass evenly over its non-empty source bins and keeps empty
 * ones empty (E.3); E.2 is the reference's `digitize(range(i), linspace(0, i, L + 1)) − 1` in
 * integer arithmetic. The threshold is T = min(i* · w, max |x|) for the i* of smallest KL, the
 * largest i on ties (E.4 is SciPy's `entropy(P, Q)`, natural log), and the parameters are
 * symmetric: the range [−T, T] through `qparamsFromRange` (Eq. Q.3).
 *
 * Deliberate differences from `pytorch-quantization`: its histogram keeps the first batch's bin
 * width and appends bins when a later batch reaches further (so it can hold more than 2048
 * bins); here the count stays at `bins` and the width doubles (memory bounded; identical when
 * the first batch holds the largest |x|). Since doubling can leave the top bins empty, T is
 * capped at the largest |x| observed (the reference's histogram ends within a bin of it). A
 * candidate with ΣQ = 0 (no data below it) scores +∞ instead of NaN. L comes from the code
 * range instead of `1 << (num_bits − 1 + unsigned)` (equal for signed 8-bit;
 * `pytorch-quantization`'s unsigned mode, 256 levels on [0, T], is not offered: the grid here
 * is symmetric around 0). NaN and ±∞ are rejected with the index named, and `qparams()` before
 * any data throws.
 *
 * Consequence of following the reference without smoothing (MXNet / TVM's
 * `_get_optimal_threshold` instead smooth zero bins with ε = 10⁻⁴): a candidate whose last kept
 * bin is empty while outliers lie beyond it has q = 0 where p > 0 and scores +∞, so an isolated
 * outlier separated from the bulk by empty bins is not clipped; dense long tails are.
 *
 * @example A tiny histogram: 4 bins, 2 quantized levels, candidates i = 2, 3, 4
 * ```ts
 * import { entropyThresholdBin } from "@lowbit/quantize/observers/entropy";
 * import { equal, ok } from "node:assert/strict";
 * const r = entropyThresholdBin([4, 4, 2, 1], { levels: 2, startBin: 2 });
 * equal(r.bin, 3); // i = 3: P = [4, 4, 2 + 1], Q = [4, 4, 2]
 * // KL = 2 · (4/11) ln((4/11) / (4/10)) + (3/11) ln((3/11) / (2/10)) ≈ 0.015271
 * ok(Math.abs(r.divergences[1] - 0.015271) < 1e-6);
 * ok(r.divergences[0] > r.divergences[1] && r.divergences[2] > r.divergences[1]);
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
} from "../observer.ts";
import { qparamsFromRange, type QRange, type QuantParams, symmetricZeroPoint } from "../params.ts";
import { histcInto, scanFinite } from "./_histogram.ts";

/** Options of {@linkcode entropyThresholdBin}. */
export interface EntropySearchOptions {
  /** Quantized levels L on one side of zero (128 for 8-bit symmetric); an integer ≥ 1. */
  levels: number;
  /** The first candidate bin count i (default min(128, histogram length)). */
  startBin?: number;
  /** Step between candidates (default 1). */
  stride?: number;
}

/** The result of {@linkcode entropyThresholdBin}. */
export interface EntropySearchResult {
  /** The chosen candidate i*: the threshold is the upper edge of bin i* − 1. */
  bin: number;
  /** KL_i (Eq. E.4) of every candidate i = startBin + t · stride, in order of t. */
  divergences: Float64Array;
}

function checkInt(name: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi) {
    throw new RangeError(`${name} must be an integer in [${lo}, ${hi}]; got ${String(v)}`);
  }
  return v;
}

/**
 * The KL-optimal number of histogram bins to keep (Eqs. E.1–E.4, `pytorch-quantization`'s
 * `_compute_amax_entropy`): for every candidate i, the KL divergence between the clipped
 * histogram P and its L-level quantization Q; the largest i of smallest divergence wins.
 *
 * @param histogram Non-negative counts of |x| in equal bins starting at 0 (bin 0's count is
 *   replaced by bin 1's, as in the reference).
 * @param options `levels`, `startBin`, `stride`.
 * @returns The chosen bin count and every candidate's divergence. O(bins²).
 * @throws {RangeError} If the histogram is empty, a count is negative or not finite, all
 *   counts are zero, or an option is outside its range (`levels` ≥ 1, `startBin` in
 *   [1, histogram length], `stride` ≥ 1).
 *
 * @example Without outliers beyond bin i, Q matches P and the divergence is 0
 * ```ts
 * import { entropyThresholdBin } from "@lowbit/quantize/observers/entropy";
 * import { deepEqual } from "node:assert/strict";
 * // L = 2 levels: i = 2 keeps every bin as its own level; i = 4 merges pairs [5, 5], [1, 1].
 * const r = entropyThresholdBin([5, 5, 1, 1], { levels: 2, startBin: 2 });
 * deepEqual(r.bin, 4);
 * deepEqual(r.divergences[2], 0);
 * ```
 */
export function entropyThresholdBin(
  histogram: ArrayLike<number>,
  options: EntropySearchOptions,
): EntropySearchResult {
  const n = histogram.length;
  if (n === 0) throw new RangeError("histogram must hold at least one bin");
  const levels = checkInt("options.levels", options.levels, 1, 2 ** 24);
  const start = checkInt("options.startBin", options.startBin ?? Math.min(128, n), 1, n);
  const stride = checkInt("options.stride", options.stride ?? 1, 1, 2 ** 30);
  const h = new Float64Array(n);
  let total = 0;
  for (let j = 0; j < n; j++) {
    const v = histogram[j];
    if (!(v >= 0 && v < Infinity)) {
      throw new RangeError(`histogram[${j}] must be a finite non-negative count; got ${v}`);
    }
    h[j] = v;
  }
  if (n > 1) h[0] = h[1];
  for (let j = 0; j < n; j++) total += h[j];
  if (!(total > 0)) throw new RangeError("histogram must hold a non-zero count in bins 1..n−1");
  const prefix = new Float64Array(n + 1);
  for (let j = 0; j < n; j++) prefix[j + 1] = prefix[j] + h[j];
  const count = Math.floor((n - start) / stride) + 1;
  const divergences = new Float64Array(count);
  const mass = new Float64Array(levels), nonzero = new Float64Array(levels);
  let best = Infinity, bestBin = start + (count - 1) * stride;
  for (let t = 0; t < count; t++) {
    const i = start + t * stride;
    mass.fill(0);
    nonzero.fill(0);
    for (let j = 0; j < i; j++) {
      const k = Math.floor((j * levels) / i);
      mass[k] += h[j];
      if (h[j] !== 0) nonzero[k]++;
    }
    const qTotal = prefix[i];
    let kl = 0;
    if (!(qTotal > 0)) kl = Infinity;
    else {
      for (let j = 0; j < i && kl < Infinity; j++) {
        const pj = j === i - 1 ? h[j] + (total - prefix[i]) : h[j];
        if (pj === 0) continue;
        if (h[j] === 0) {
          kl = Infinity;
          break;
        }
        const k = Math.floor((j * levels) / i);
        const p = pj / total, q = mass[k] / nonzero[k] / qTotal;
        kl += p * Math.log(p / q);
      }
    }
    divergences[t] = kl;
    if (kl <= best) {
      best = kl;
      bestBin = i;
    }
  }
  return { bin: bestBin, divergences };
}

/** Options of {@linkcode EntropyObserver}. */
export interface EntropyObserverOptions extends ObserverOptions {
  /** Histogram bins, an integer in [2, 2^16] (default 2048). */
  bins?: number;
  /** First candidate bin count, an integer in [1, bins] (default min(128, bins)). */
  startBin?: number;
  /** Step between candidates, an integer in [1, bins] (default 1). */
  stride?: number;
}

/**
 * TensorRT-style entropy calibration: a histogram of |x| and the KL-optimal symmetric
 * threshold (Eqs. E.1–E.4).
 *
 * @example Exponential tails (|x| at the quantiles −ln(1 − (i + ½)/n)) are clipped below max |x|
 * ```ts
 * import { EntropyObserver } from "@lowbit/quantize/observers/entropy";
 * import { equal, ok } from "node:assert/strict";
 * const obs = new EntropyObserver({ bits: 8, signed: true });
 * const n = 10000; // max |x| = ln(2n) ≈ 9.90
 * obs.observe(new Float32Array(n).map((_, i) => (i % 2 ? -1 : 1) * -Math.log(1 - (i + 0.5) / n)));
 * const t = obs.threshold();
 * ok(t > 8.80 && t < 8.81, `${t}`);
 * const p = obs.qparams();
 * equal(p.zeroPoint, 0);
 * equal(p.scale, Math.fround(Math.fround(t) / 127.5));
 * ```
 */
export class EntropyObserver implements Observer {
  #range: QRange;
  #levels: number;
  #bins: number;
  #start: number;
  #stride: number;
  #counts: Float64Array;
  #top = 0; // bins · width; 0 while every value seen is 0
  #absMax = 0;
  #seen = 0;
  #result: { bin: number; threshold: number } | undefined;

  /**
   * Makes an observer with no data.
   *
   * @param options Code range (default unsigned 8-bit [0, 255], symmetric zero point 128),
   *   `bins`, `startBin`, `stride`. `symmetric` may be omitted or `true`.
   * @throws {RangeError} If `bins`, `startBin` or `stride` is outside its range, `symmetric`
   *   is `false` (the method is symmetric by construction), or the code range is invalid.
   */
  constructor(options: EntropyObserverOptions = {}) {
    this.#range = resolveQRange(options);
    if (options.symmetric === false) {
      throw new RangeError(
        "options.symmetric must be true or omitted; entropy calibration is symmetric",
      );
    }
    const { qmin, qmax } = this.#range;
    const zero = symmetricZeroPoint(qmin, qmax);
    this.#levels = qmax - zero + 1;
    this.#bins = checkInt("options.bins", options.bins ?? 2048, 2, 2 ** 16);
    this.#start = checkInt(
      "options.startBin",
      options.startBin ?? Math.min(128, this.#bins),
      1,
      this.#bins,
    );
    this.#stride = checkInt("options.stride", options.stride ?? 1, 1, this.#bins);
    this.#counts = new Float64Array(this.#bins);
  }

  /** Quantized levels L on the positive side (qmax − Z + 1; 128 for 8 bits). */
  get levels(): number {
    return this.#levels;
  }

  /**
   * Adds |x| of a batch to the histogram, doubling the bin width first if the batch reaches
   * past the top; an empty batch is ignored. O(n) per batch plus O(bins) per doubling.
   *
   * @param x A Float32Array or `{ data, shape }`.
   * @throws {RangeError} If a value is NaN or ±∞ (the message names its index); the observer
   *   is then unchanged.
   * @throws {TypeError} If `x` is not a Float32Array or tensor.
   */
  observe(x: QuantInput): void {
    const d = asTensorLike(x).data;
    if (d.length === 0) return;
    const { absMax } = scanFinite(d);
    this.#result = undefined;
    const c = this.#counts;
    if (absMax > this.#top) {
      if (this.#top === 0) {
        this.#top = absMax; // zeros seen so far stay in bin 0
      } else {
        while (this.#top < absMax) {
          for (let j = 0; j < c.length; j++) {
            c[j] = 2 * j < c.length ? c[2 * j] + (2 * j + 1 < c.length ? c[2 * j + 1] : 0) : 0;
          }
          this.#top *= 2;
        }
      }
    }
    this.#seen += d.length;
    if (absMax > this.#absMax) this.#absMax = absMax;
    if (this.#top === 0) {
      c[0] += d.length;
      return;
    }
    histcInto(c, d, 0, this.#top, true);
  }

  /**
   * A copy of the |x| histogram.
   *
   * @returns Counts and the bin width (0 while every value seen is 0).
   * @throws {RangeError} If nothing has been observed.
   */
  histogram(): { counts: Float64Array; width: number } {
    this.#check();
    return { counts: this.#counts.slice(), width: this.#top / this.#bins };
  }

  #check(): void {
    if (this.#seen === 0) {
      throw new RangeError(
        "EntropyObserver: no data observed; call observe(x) with a non-empty batch before qparams()",
      );
    }
  }

  /**
   * The KL-optimal threshold T = min(i* · w, max |x|) (Eqs. E.1–E.4), cached until the next
   * `observe`.
   *
   * @returns T ≥ 0 (0 if every value seen is 0).
   * @throws {RangeError} If nothing has been observed.
   */
  threshold(): number {
    this.#check();
    if (this.#result === undefined) {
      const c = this.#counts;
      let rest = 0;
      for (let j = 1; j < c.length; j++) rest += c[j];
      if (this.#top === 0 || rest === 0) {
        // Everything is 0 (or within bin 0, which the reference discounts): no search.
        this.#result = { bin: this.#top === 0 ? 0 : 1, threshold: this.#top / this.#bins };
      } else {
        const { bin } = entropyThresholdBin(c, {
          levels: this.#levels,
          startBin: this.#start,
          stride: this.#stride,
        });
        this.#result = { bin, threshold: Math.min((bin * this.#top) / this.#bins, this.#absMax) };
      }
    }
    return this.#result.threshold;
  }

  /**
   * Symmetric per-tensor parameters of [−T, T] (Eq. Q.3).
   *
   * @returns `{ scale, zeroPoint, qmin, qmax }`.
   * @throws {RangeError} If nothing has been observed.
   */
  qparams(): QuantParams {
    const t = this.threshold();
    const { qmin, qmax } = this.#range;
    const p = qparamsFromRange(-t, t, { qmin, qmax, symmetric: true });
    return { scale: p.scale, zeroPoint: p.zeroPoint, qmin, qmax };
  }

  /** Forgets everything observed. */
  reset(): void {
    this.#counts = new Float64Array(this.#bins);
    this.#top = 0;
    this.#absMax = 0;
    this.#seen = 0;
    this.#result = undefined;
  }
}
