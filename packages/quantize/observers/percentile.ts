/**
 * Percentile calibration (survey §III-D): clip the range at the p-th and (100 − p)-th
 * percentiles of the observed values instead of their extremes, so that a few outliers do not
 * stretch the grid and coarsen the step for everything else.
 *
 * Percentile definition (NumPy's default `method="linear"`, Hyndman–Fan type 7): for sorted
 * values x₀ ≤ … ≤ x_{n−1} and p in [0, 100],
 *
 *     h = (n − 1) · p / 100,   P(p) = x_⌊h⌋ + (h − ⌊h⌋) · (x_{⌊h⌋+1} − x_⌊h⌋)       (P.1)
 *
 * so P(0) is the minimum, P(100) the maximum, and P(50) of an even count the mean of the middle
 * two.
 *
 * Aggregation across batches: the observer keeps every observed value (4 bytes each, float32)
 * until `capacity` values (default 2^24 = 16,777,216, 64 MiB), and the percentiles are then
 * exact over all batches together (not an average of per-batch percentiles). Past `capacity`
 * it needs a seeded `random` source and keeps a uniform random sample of `capacity` values
 * (reservoir sampling, Vitter's Algorithm R), so the percentiles become estimates; without
 * `random` it throws instead of guessing. `qparams()` sorts the kept values (O(n log n), once
 * per change).
 *
 * Dynamic quantization is `reset()` + `observe(batch)` + `qparams()` per batch.
 *
 * @example Clipping away one outlier
 * ```ts
 * import { PercentileObserver } from "@lowbit/quantize/observers/percentile";
 * import { deepEqual } from "node:assert/strict";
 * const obs = new PercentileObserver({ percentile: 90 });
 * obs.observe(new Float32Array([-3, 1, 4, 1]));
 * obs.observe(new Float32Array([5, 9, 2, 6]));
 * const r = obs.range(); // NumPy: np.percentile([-3, 1, 4, 1, 5, 9, 2, 6], [10, 90])
 * deepEqual([r.min.toFixed(6), r.max.toFixed(6)], ["-0.200000", "6.900000"]);
 * ```
 *
 * @module
 */

import type { Philox } from "@lowbit/rounding/philox";
import {
  asTensorLike,
  type Observer,
  type ObserverOptions,
  type QuantInput,
  resolveQRange,
} from "../observer.ts";
import { perTensorQParams, type QRange, type QuantParams } from "../params.ts";

/**
 * The p-th percentile of sorted values by linear interpolation between order statistics
 * (Eq. P.1, NumPy's default).
 *
 * @param sorted Values in ascending order (not checked), at least one.
 * @param p The percentile, in [0, 100].
 * @returns P(p), computed in float64.
 * @throws {RangeError} If `sorted` is empty or `p` is not in [0, 100].
 *
 * @example
 * ```ts
 * import { percentileSorted } from "@lowbit/quantize/observers/percentile";
 * import { equal } from "node:assert/strict";
 * const x = [1, 2, 3, 4];
 * equal(percentileSorted(x, 50), 2.5); // h = 1.5
 * equal(percentileSorted(x, 25), 1.75); // h = 0.75
 * equal(percentileSorted(x, 100), 4);
 * ```
 */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError("sorted must hold at least one value");
  if (typeof p !== "number" || !(p >= 0 && p <= 100)) {
    throw new RangeError(`p must be a number in [0, 100]; got ${String(p)}`);
  }
  const h = (n - 1) * (p / 100);
  const k = Math.floor(h);
  if (k >= n - 1) return sorted[n - 1];
  const lo = sorted[k], hi = sorted[k + 1];
  return lo + (h - k) * (hi - lo);
}

/** Options of {@linkcode PercentileObserver}. */
export interface PercentileObserverOptions extends ObserverOptions {
  /** Upper percentile in [0, 100] (default 99.99). */
  percentile?: number;
  /** Lower percentile in [0, `percentile`] (default `100 − percentile`, clamped to it). */
  lowerPercentile?: number;
  /** How many values are kept exactly (default 2^24); a positive integer. */
  capacity?: number;
  /** Seeded source for reservoir sampling once more than `capacity` values are observed. */
  random?: Philox;
}

/**
 * Percentile observer: the range is [P(lower), P(upper)] (Eq. P.1) over every value observed.
 *
 * @example 99th percentile of 0..100: the lone outlier 1000 is clipped
 * ```ts
 * import { PercentileObserver } from "@lowbit/quantize/observers/percentile";
 * import { deepEqual } from "node:assert/strict";
 * const obs = new PercentileObserver({ percentile: 99, lowerPercentile: 0 });
 * obs.observe(new Float32Array(101).map((_, i) => (i === 100 ? 1000 : i)));
 * deepEqual(obs.range(), { min: 0, max: 99 }); // h = 99: the 100th value, not the outlier
 * ```
 */
export class PercentileObserver implements Observer {
  #range: QRange;
  #symmetric: boolean;
  #upper: number;
  #lower: number;
  #capacity: number;
  #random: Philox | undefined;
  #buf: Float32Array = new Float32Array(0);
  #held = 0;
  #seen = 0;
  #sorted = true;

  /**
   * Makes an observer with no data.
   *
   * @param options Code range, scheme, percentiles, capacity and random source.
   * @throws {RangeError} If a percentile is outside [0, 100], `lowerPercentile > percentile`,
   *   `capacity` is not a positive integer, or the code range is invalid.
   * @throws {TypeError} If `random` is given but has no `uniform()` method.
   */
  constructor(options: PercentileObserverOptions = {}) {
    this.#range = resolveQRange(options);
    this.#symmetric = options.symmetric ?? false;
    const upper = options.percentile ?? 99.99;
    if (typeof upper !== "number" || !(upper >= 0 && upper <= 100)) {
      throw new RangeError(`options.percentile must be a number in [0, 100]; got ${String(upper)}`);
    }
    const lower = options.lowerPercentile ?? Math.min(100 - upper, upper);
    if (typeof lower !== "number" || !(lower >= 0 && lower <= upper)) {
      throw new RangeError(
        `options.lowerPercentile must be a number in [0, percentile = ${upper}]; got ${
          String(lower)
        }`,
      );
    }
    const capacity = options.capacity ?? 2 ** 24;
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 2 ** 30) {
      throw new RangeError(
        `options.capacity must be an integer in [1, 2^30]; got ${String(capacity)}`,
      );
    }
    if (options.random !== undefined && typeof options.random?.uniform !== "function") {
      throw new TypeError("options.random must be a Philox from @lowbit/rounding/philox");
    }
    this.#upper = upper;
    this.#lower = lower;
    this.#capacity = capacity;
    this.#random = options.random;
  }

  /** How many values have been observed since the last reset. */
  get count(): number {
    return this.#seen;
  }

  /** Whether every observed value is kept (false once reservoir sampling has begun). */
  get exact(): boolean {
    return this.#seen <= this.#capacity;
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
    const d = asTensorLike(x).data;
    const n = d.length;
    if (n === 0) return;
    for (let i = 0; i < n; i++) {
      const v = d[i];
      if (v - v !== 0) throw new RangeError(`x[${i}] is ${v}; observers need finite values`);
    }
    const cap = this.#capacity;
    if (this.#seen + n > cap && this.#random === undefined) {
      throw new RangeError(
        `observing ${n} more values would exceed options.capacity = ${cap} (${this.#seen} held); ` +
          "raise capacity or pass options.random for reservoir sampling",
      );
    }
    const direct = Math.min(n, cap - this.#held);
    if (direct > 0) {
      this.#grow(this.#held + direct);
      this.#buf.set(d.subarray(0, direct), this.#held);
      this.#held += direct;
      this.#seen += direct;
    }
    const random = this.#random;
    for (let i = direct; i < n; i++) {
      // Algorithm R: the (seen+1)-th value replaces a uniform slot with probability cap/(seen+1).
      const j = Math.floor((random as Philox).uniform() * (this.#seen + 1));
      if (j < cap) this.#buf[j] = d[i];
      this.#seen++;
    }
    this.#sorted = false;
  }

  #grow(need: number): void {
    if (need <= this.#buf.length) return;
    const size = Math.min(this.#capacity, Math.max(need, 2 * this.#buf.length, 1024));
    const next = new Float32Array(size);
    next.set(this.#buf.subarray(0, this.#held));
    this.#buf = next;
  }

  #sortedHeld(name: string): Float32Array {
    if (this.#held === 0) {
      throw new RangeError(
        `${name}: no data observed; call observe(x) with a non-empty batch before qparams()`,
      );
    }
    const v = this.#buf.subarray(0, this.#held);
    if (!this.#sorted) {
      v.sort();
      this.#sorted = true;
    }
    return v;
  }

  /**
   * The kept values in ascending order (all observed values while {@linkcode exact}).
   *
   * @returns A sorted copy.
   * @throws {RangeError} If nothing has been observed.
   */
  values(): Float32Array {
    return this.#sortedHeld("PercentileObserver.values").slice();
  }

  /**
   * The clipping range [P(lowerPercentile), P(percentile)] (Eq. P.1), before widening to
   * hold 0.
   *
   * @returns `{ min, max }` (float64 interpolations of float32 values).
   * @throws {RangeError} If nothing has been observed.
   */
  range(): { min: number; max: number } {
    const v = this.#sortedHeld("PercentileObserver");
    return { min: percentileSorted(v, this.#lower), max: percentileSorted(v, this.#upper) };
  }

  /**
   * Per-tensor parameters of the clipping range.
   *
   * @returns `{ scale, zeroPoint, qmin, qmax }`.
   * @throws {RangeError} If nothing has been observed.
   */
  qparams(): QuantParams {
    return perTensorQParams(this.range(), { ...this.#range, symmetric: this.#symmetric });
  }

  /** Forgets everything observed (the random source keeps its position). */
  reset(): void {
    this.#buf = new Float32Array(0);
    this.#held = 0;
    this.#seen = 0;
    this.#sorted = true;
  }
}
