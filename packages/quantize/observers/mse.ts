/**
 * MSE-optimal clipping (survey §III-D "the most common metric"; Nagel et al. 2021 §3.1 range
 * setting "MSE"): choose the clipping range whose fake quantization of the observed values has
 * the smallest mean squared error.
 *
 * The search (a 1-D grid, like the MSE range setting of AIMET and of the Nagel et al. white
 * paper, and TensorRT/`pytorch-quantization`'s "mse" calibrator): with [m, M] the min-max range
 * of all observed values widened to hold 0 (Eq. Q.1), try
 *
 *     [α · m, α · M]   for α = k / steps, k = 1, …, steps (default steps = 100)      (M.1)
 *
 * i.e. both ends shrink jointly toward 0 by the same factor. Each candidate becomes parameters
 * through `qparamsFromRange` (PyTorch semantics; with `symmetric` the scale follows
 * max(−α·m, α·M)), every value is fake-quantized exactly as `fakeQuantize` does (round half to
 * even, clamp, dequantize, float32; private helper `_fake_quant.ts`), and
 *
 *     MSE(α) = (1/n) Σᵢ (x̂ᵢ − xᵢ)²                                                   (M.2)
 *
 * is measured over all n observed values. The smallest MSE wins; ties go to the larger α (less
 * clipping). Since α = 1 is the min-max range, the result's MSE is never above min-max's.
 *
 * Aggregation across batches: the values are kept exactly as in `PercentileObserver` (4 bytes
 * a value up to `capacity`, default 2^24; past it a reservoir sample that needs a seeded
 * `random`). A search costs O(n log n) for the sort plus O(steps · 2^bits · log n) for the
 * candidates (exact code runs of the sorted values), and is cached until the next `observe` or
 * `reset`.
 *
 * Dynamic quantization is `reset()` + `observe(batch)` + `qparams()` per batch.
 *
 * @example 2-bit codes for 0, 0.1, …, 9.9 plus an outlier at 20: clipping at 9.4 halves the MSE
 * ```ts
 * import { MseObserver } from "@lowbit/quantize/observers/mse";
 * import { equal, ok } from "node:assert/strict";
 * const obs = new MseObserver({ bits: 2 });
 * obs.observe(new Float32Array(101).map((_, i) => (i === 100 ? 20 : i / 10)));
 * const r = obs.searchResult();
 * equal(r.alpha, 0.47); // range [0, 9.4], scale 3.13
 * ok(r.mse < 1.88 && r.minMaxMse > 3.61);
 * ```
 *
 * @module
 */

import type { Philox } from "@lowbit/rounding/philox";
import type { Observer, ObserverOptions, QuantInput } from "../observer.ts";
import { resolveQRange } from "../observer.ts";
import { qparamsFromRange, type QRange, type QuantParams } from "../params.ts";
import { fakeQuantSquaredError, SortedSquaredError } from "../_fake_quant.ts";
import { PercentileObserver } from "./percentile.ts";

/** Options of {@linkcode MseObserver}. */
export interface MseObserverOptions extends ObserverOptions {
  /** Number of candidate ranges α = k / steps, k = 1..steps (default 100); integer ≥ 1. */
  steps?: number;
  /** How many values are kept exactly (default 2^24). */
  capacity?: number;
  /** Seeded source for reservoir sampling once more than `capacity` values are observed. */
  random?: Philox;
}

/** What the search of {@linkcode MseObserver} found. */
export interface MseSearchResult {
  /** The chosen shrink factor α in (0, 1] (Eq. M.1). */
  alpha: number;
  /** The chosen clipping minimum α · m. */
  min: number;
  /** The chosen clipping maximum α · M. */
  max: number;
  /** The MSE of fake-quantizing the observed values with the chosen range (Eq. M.2). */
  mse: number;
  /** The MSE with the min-max range (α = 1), for comparison. */
  minMaxMse: number;
  /** The parameters of the chosen range. */
  params: QuantParams;
}

/**
 * MSE observer: keeps the observed values and returns the parameters of the candidate range
 * (Eq. M.1) with the smallest fake-quantization MSE (Eq. M.2).
 *
 * @example Symmetric 4-bit on a ramp in [−1, 1] with one value at 4: α = 0.92, range ±3.68
 * ```ts
 * import { MseObserver } from "@lowbit/quantize/observers/mse";
 * import { deepEqual } from "node:assert/strict";
 * const obs = new MseObserver({ bits: 4, signed: true, symmetric: true });
 * obs.observe(new Float32Array(64).map((_, i) => (i === 63 ? 4 : (i - 31) / 31)));
 * deepEqual(obs.qparams(), { scale: Math.fround(Math.fround(0.92 * 4) / 7.5), zeroPoint: 0, qmin: -8, qmax: 7 });
 * ```
 */
export class MseObserver implements Observer {
  #range: QRange;
  #symmetric: boolean;
  #steps: number;
  #store: PercentileObserver;
  #result: MseSearchResult | null = null;

  /**
   * Makes an observer with no data.
   *
   * @param options Code range, scheme, grid size, capacity and random source.
   * @throws {RangeError} If `steps` is not a positive integer, `capacity` is invalid, or the
   *   code range is invalid.
   * @throws {TypeError} If `random` is given but is not a Philox.
   */
  constructor(options: MseObserverOptions = {}) {
    this.#range = resolveQRange(options);
    this.#symmetric = options.symmetric ?? false;
    const steps = options.steps ?? 100;
    if (!Number.isInteger(steps) || steps < 1 || steps > 1e6) {
      throw new RangeError(`options.steps must be an integer in [1, 1e6]; got ${String(steps)}`);
    }
    this.#steps = steps;
    this.#store = new PercentileObserver({
      capacity: options.capacity,
      random: options.random,
      percentile: 100,
      lowerPercentile: 0,
    });
  }

  /** How many values have been observed since the last reset. */
  get count(): number {
    return this.#store.count;
  }

  /**
   * Adds a batch's values; an empty batch is ignored.
   *
   * @param x A Float32Array or `{ data, shape }`.
   * @throws {RangeError} If a value is NaN or ±∞ (the message names its index), or the batch
   *   would exceed `capacity` without a `random` source; the observer is then unchanged.
   * @throws {TypeError} If `x` is not a Float32Array or tensor.
   */
  observe(x: QuantInput): void {
    const before = this.#store.count;
    this.#store.observe(x);
    if (this.#store.count !== before) this.#result = null;
  }

  /**
   * Runs (or returns the cached) grid search of Eqs. M.1–M.2.
   *
   * @returns The chosen α, range, MSE, the min-max MSE and the parameters.
   * @throws {RangeError} If nothing has been observed.
   */
  searchResult(): MseSearchResult {
    if (this.#result !== null) return { ...this.#result, params: { ...this.#result.params } };
    if (this.#store.count === 0) {
      throw new RangeError(
        "MseObserver: no data observed; call observe(x) with a non-empty batch before qparams()",
      );
    }
    const v = this.#store.values();
    const n = v.length;
    const m = Math.min(v[0], 0), mx = Math.max(v[n - 1], 0);
    const { qmin, qmax } = this.#range;
    const scheme = { qmin, qmax, symmetric: this.#symmetric };
    // Fast pass: every candidate's SSE by code runs of the sorted values (Eq. F.1 of
    // _fake_quant.ts); then the candidates within a relative 1e-9 of the smallest are
    // measured directly, so the choice (and its reported MSE) is that of the direct search.
    const runs = new SortedSquaredError(v);
    const cands: {
      k: number;
      lo: number;
      hi: number;
      p: { scale: number; zeroPoint: number };
      fast: number;
    }[] = [];
    let fastMin = Infinity;
    for (let k = this.#steps; k >= 1; k--) {
      const alpha = k / this.#steps;
      const lo = alpha * m, hi = alpha * mx;
      const p = qparamsFromRange(lo, hi, scheme);
      const fast = runs.sse(p.scale, p.zeroPoint, qmin, qmax) / n;
      if (fast < fastMin) fastMin = fast;
      cands.push({ k, lo, hi, p, fast });
    }
    let best: MseSearchResult | null = null;
    let minMaxMse = NaN;
    for (const { k, lo, hi, p, fast } of cands) {
      const alpha = k / this.#steps;
      const near = fast <= fastMin * (1 + 1e-9) + 1e-300;
      if (k !== this.#steps && !near) continue;
      const mse = fakeQuantSquaredError(v, p.scale, p.zeroPoint, qmin, qmax) / n;
      if (k === this.#steps) minMaxMse = mse;
      if (!near) continue;
      if (best === null || mse < best.mse) {
        best = {
          alpha,
          min: lo,
          max: hi,
          mse,
          minMaxMse: NaN,
          params: { scale: p.scale, zeroPoint: p.zeroPoint, qmin, qmax },
        };
      }
    }
    const result = best as MseSearchResult;
    result.minMaxMse = minMaxMse;
    this.#result = result;
    return { ...result, params: { ...result.params } };
  }

  /**
   * The chosen clipping range [α · m, α · M] (before widening to hold 0).
   *
   * @returns `{ min, max }`.
   * @throws {RangeError} If nothing has been observed.
   */
  range(): { min: number; max: number } {
    const r = this.searchResult();
    return { min: r.min, max: r.max };
  }

  /**
   * Per-tensor parameters of the MSE-optimal candidate range.
   *
   * @returns `{ scale, zeroPoint, qmin, qmax }`.
   * @throws {RangeError} If nothing has been observed.
   */
  qparams(): QuantParams {
    return this.searchResult().params;
  }

  /** Forgets everything observed. */
  reset(): void {
    this.#store.reset();
    this.#result = null;
  }
}
