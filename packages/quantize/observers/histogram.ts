/**
 * Histogram calibration with L2-optimal clipping, PyTorch's `HistogramObserver`
 * (`torch.ao.quantization.observer`, after caffe2's `NormMinimization`): keep a histogram of
 * `bins` equal bins (default 2048) over the running [min, max] of everything observed, and
 * choose the clipping range that minimizes a model of the L2 quantization error.
 *
 * Binning (`torch.histc`, float32 like ATen's CPU kernel): a value x in [lo, hi] goes to
 *
 *     bin(x) = min(⌊((x − lo) · bins) / (hi − lo)⌋, bins − 1)                          (H.1)
 *
 * The first batch sets [lo, hi] = [min x, max x]. A later batch that widens the range is binned
 * directly over the union [lo', hi'], and the old histogram is re-binned onto it
 * (`_combine_histograms` / `_upscale_histogram` of current PyTorch; older releases stretched
 * the range with `_adjust_min_max` and resampled an integral histogram): each old bin is split into
 * `upsampleRate` (default 128) equal sub-bins of count h / upsampleRate, and each sub-bin moves
 * whole to the new bin that holds its midpoint
 *
 *     m = lo + (k + ½) · (hi − lo) / (bins · upsampleRate),   k = 0 … bins · upsampleRate − 1,
 *     new bin(m) = ⌊(m − lo') · bins / (hi' − lo')⌋   (clamped to [0, bins − 1])             (H.2)
 *
 * so the total count is unchanged. A batch inside the current range is just added. The update
 * costs O(n) for n values plus O(bins · upsampleRate) when the range widens.
 *
 * Error model (`_compute_quantization_error`): the histogram is read as a piecewise-constant
 * density ρ (count / bin width w). Quantizing with the clipping window of source bins
 * [s, e] means `levels` = qmax − qmin + 1 destination bins of width D = w (e − s + 1) / levels
 * starting at lo + s w, every value reconstructed at the centre c(x) of its destination bin
 * (values left / right of the window at the centre of the first / last one):
 *
 *     E(s, e) = ∫ ρ(x) · (x − c(x))² dx   (closed form: ρ (b³ − a³) / 3 per piece)         (H.3)
 *
 * Search (`_non_linear_param_search`): with C the cumulative counts and total N, start from
 * [s, e] = [0, bins − 1] and quantile bounds α = 0, β = 1; repeat while α < β: step α + 10⁻⁵
 * and β − 10⁻⁵, find the first bin l ≥ s with C[l] ≥ (α + 10⁻⁵) N and the last r ≤ e with
 * C[r] ≤ (β − 10⁻⁵) N, move the side that moves further (l − s > e − r: the start, else the end)
 * and accept the move if E does not grow, stopping at the first move that makes it grow:
 *
 *     range = [lo + s · w, lo + (e + 1) · w]                                              (H.4)
 *
 * Greedy and local: the first move is always accepted (the error of the full range is never
 * computed), so even uniform data loses its last bin or so; with outliers the window walks in
 * past them. The range then becomes parameters through `qparamsFromRange` (PyTorch
 * `_calculate_qparams`: widened to hold 0, affine or symmetric).
 *
 * Deliberate differences from PyTorch:
 * - counts are float64 (PyTorch float32), so re-binning keeps the total exactly while the
 *   counts' binary fractions fit 53 bits (about five widenings of 10⁵ values at rate 128);
 * - `levels` is qmax − qmin + 1 (PyTorch's `dst_nbins` is 2^bits of the dtype, 256 for 8 bits
 *   whatever quant_min / quant_max / reduce_range say; equal for full 8-bit ranges);
 * - Eqs. H.2–H.4 are evaluated in float64 (PyTorch mixes float32 tensors and Python floats,
 *   and bucketizes H.2's midpoints against float32 `linspace` edges), so a midpoint or a
 *   quantile within rounding of an edge may fall the other way; the final range of H.4 is
 *   computed in float32 like PyTorch's tensors;
 * - when the old range is a single value, PyTorch's `_combine_histograms` multiplies it by the
 *   new batch's count; here the old count moves (the total is preserved);
 * - NaN and ±∞ are rejected with the index named (PyTorch drops ±∞ with a warning), and
 *   `qparams()` before any data throws (PyTorch warns and returns scale 1, zero point 0).
 *
 * Dynamic quantization is `reset()` + `observe(batch)` + `qparams()` per batch.
 *
 * @example 2-bit codes: the outlier at 4 is clipped, the modelled error drops from 83.5 to 15.6
 * ```ts
 * import { HistogramObserver } from "@lowbit/quantize/observers/histogram";
 * import { deepEqual, ok } from "node:assert/strict";
 * const obs = new HistogramObserver({ bins: 64, bits: 2 });
 * obs.observe(new Float32Array(1000).map((_, i) => i / 1000)); // [0, 0.999]
 * obs.observe(new Float32Array([4])); // widens to [0, 4], re-bins the first batch
 * deepEqual(obs.histogram().counts.reduce((a, b) => a + b), 1001);
 * const r = obs.searchResult();
 * deepEqual([r.startBin, r.endBin, r.min, r.max], [0, 14, 0, 0.9375]); // 15 bins of 4 / 64
 * ok(r.error < 15.6);
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
import { perTensorQParams, type QRange, type QuantParams } from "../params.ts";
import { histcInto, nonLinearParamSearch, scanFinite, upscaleInto } from "./_histogram.ts";

const f = Math.fround;

/** Options of {@linkcode HistogramObserver}. */
export interface HistogramObserverOptions extends ObserverOptions {
  /** Number of histogram bins, an integer in [1, 2^20] (default 2048, PyTorch's). */
  bins?: number;
  /**
   * Sub-bins per old bin when a wider batch re-bins the histogram (Eq. H.2), an integer in
   * [1, 4096] (default 128, PyTorch's).
   */
  upsampleRate?: number;
}

/** A histogram over [min, max]: `counts.length` equal bins. */
export interface HistogramSnapshot {
  /** The count of each bin (float64; fractional after re-binning). */
  counts: Float64Array;
  /** The lower edge of bin 0 (the smallest value observed). */
  min: number;
  /** The upper edge of the last bin (the largest value observed). */
  max: number;
}

/** What the search of {@linkcode HistogramObserver} found (Eqs. H.3, H.4). */
export interface HistogramSearchResult {
  /** First bin of the chosen window. */
  startBin: number;
  /** Last bin of the chosen window (inclusive). */
  endBin: number;
  /** The clipping range, Eq. H.4 (before widening to hold 0). */
  min: number;
  /** The upper end of the clipping range. */
  max: number;
  /** The modelled L2 error of the window, Eq. H.3. */
  error: number;
}

function checkInt(name: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi) {
    throw new RangeError(`options.${name} must be an integer in [${lo}, ${hi}]; got ${String(v)}`);
  }
  return v;
}

/**
 * PyTorch's `HistogramObserver`: a running histogram (Eqs. H.1, H.2) and the clipping range of
 * the greedy L2 search (Eqs. H.3, H.4).
 *
 * @example Uniform data keeps nearly all of its range
 * ```ts
 * import { HistogramObserver } from "@lowbit/quantize/observers/histogram";
 * import { deepEqual, ok } from "node:assert/strict";
 * const obs = new HistogramObserver({ bins: 64, bits: 4 });
 * obs.observe(new Float32Array(6400).map((_, i) => i / 6400));
 * const r = obs.searchResult();
 * deepEqual([r.startBin, r.endBin], [0, 62]); // the first move drops the top bin, then E grows
 * ok(r.max > 0.98);
 * const p = obs.qparams();
 * deepEqual([p.zeroPoint, p.qmin, p.qmax], [0, 0, 15]);
 * ok(Math.abs((p.scale as number) - r.max / 15) < 1e-7);
 * ```
 */
export class HistogramObserver implements Observer {
  #range: QRange;
  #symmetric: boolean;
  #bins: number;
  #rate: number;
  #counts: Float64Array;
  #min = Infinity;
  #max = -Infinity;
  #result: HistogramSearchResult | undefined;

  /**
   * Makes an observer with no data.
   *
   * @param options Code range (default unsigned 8-bit [0, 255]), scheme (default affine),
   *   `bins` and `upsampleRate`.
   * @throws {RangeError} If `bins` is not an integer in [1, 2^20], `upsampleRate` not an
   *   integer in [1, 4096], or the code range options are invalid.
   */
  constructor(options: HistogramObserverOptions = {}) {
    this.#range = resolveQRange(options);
    this.#symmetric = options.symmetric ?? false;
    this.#bins = checkInt("bins", options.bins ?? 2048, 1, 2 ** 20);
    this.#rate = checkInt("upsampleRate", options.upsampleRate ?? 128, 1, 4096);
    this.#counts = new Float64Array(this.#bins);
  }

  /** The number of histogram bins. */
  get bins(): number {
    return this.#bins;
  }

  /**
   * Adds a batch to the histogram (Eq. H.1), re-binning it first when the batch widens the
   * range (Eq. H.2); an empty batch is ignored. O(n) per batch, plus O(bins · upsampleRate)
   * when the range widens.
   *
   * @param x A Float32Array or `{ data, shape }`.
   * @throws {RangeError} If a value is NaN or ±∞ (the message names its index); the observer
   *   is then unchanged.
   * @throws {TypeError} If `x` is not a Float32Array or tensor.
   */
  observe(x: QuantInput): void {
    const d = asTensorLike(x).data;
    if (d.length === 0) return;
    const { min: xMin, max: xMax } = scanFinite(d);
    this.#result = undefined;
    if (this.#min > this.#max) {
      this.#min = xMin;
      this.#max = xMax;
      histcInto(this.#counts, d, xMin, xMax);
      return;
    }
    const lo = Math.min(this.#min, xMin), hi = Math.max(this.#max, xMax);
    if (lo === this.#min && hi === this.#max) {
      histcInto(this.#counts, d, lo, hi);
      return;
    }
    const next = new Float64Array(this.#bins);
    histcInto(next, d, lo, hi);
    const old = this.#counts;
    if (this.#min === this.#max) {
      // A single old value: all its count goes to the bin that holds it.
      let total = 0;
      for (let i = 0; i < old.length; i++) total += old[i];
      const one = new Float64Array(this.#bins);
      histcInto(one, new Float32Array([this.#min]), lo, hi);
      for (let i = 0; i < one.length; i++) if (one[i] !== 0) next[i] += total;
    } else {
      upscaleInto(next, old, this.#min, this.#max, lo, hi, this.#rate);
    }
    this.#counts = next;
    this.#min = lo;
    this.#max = hi;
  }

  /**
   * A copy of the histogram.
   *
   * @returns Counts and the range they cover.
   * @throws {RangeError} If nothing has been observed.
   */
  histogram(): HistogramSnapshot {
    this.#check("HistogramObserver.histogram");
    return { counts: this.#counts.slice(), min: this.#min, max: this.#max };
  }

  #check(name: string): void {
    if (this.#min > this.#max) {
      throw new RangeError(
        `${name}: no data observed; call observe(x) with a non-empty batch before qparams()`,
      );
    }
  }

  /**
   * The window, range and modelled error of the greedy L2 search (Eqs. H.3, H.4), cached until
   * the next `observe` or `reset`.
   *
   * @returns The search result.
   * @throws {RangeError} If nothing has been observed.
   */
  searchResult(): HistogramSearchResult {
    this.#check("HistogramObserver");
    if (this.#result === undefined) {
      const lo = this.#min, hi = this.#max;
      const { qmin, qmax } = this.#range;
      const s = nonLinearParamSearch(this.#counts, lo, hi, qmax - qmin + 1);
      const w = f(f(hi - lo) / this.#bins);
      this.#result = {
        startBin: s.startBin,
        endBin: s.endBin,
        min: f(lo + f(w * s.startBin)),
        max: f(lo + f(w * (s.endBin + 1))),
        error: s.error,
      };
    }
    return { ...this.#result };
  }

  /**
   * The clipping range of the search (Eq. H.4), before widening to hold 0.
   *
   * @returns `{ min, max }` (float32 values).
   * @throws {RangeError} If nothing has been observed.
   */
  range(): { min: number; max: number } {
    const r = this.searchResult();
    return { min: r.min, max: r.max };
  }

  /**
   * Per-tensor parameters of the searched range (PyTorch `calculate_qparams`).
   *
   * @returns `{ scale, zeroPoint, qmin, qmax }`.
   * @throws {RangeError} If nothing has been observed.
   */
  qparams(): QuantParams {
    return perTensorQParams(this.range(), { ...this.#range, symmetric: this.#symmetric });
  }

  /** Forgets everything observed. */
  reset(): void {
    this.#counts = new Float64Array(this.#bins);
    this.#min = Infinity;
    this.#max = -Infinity;
    this.#result = undefined;
  }
}
