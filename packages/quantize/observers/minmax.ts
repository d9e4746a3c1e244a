/**
 * Min-max calibration observers (survey §III-D, PyTorch `torch.ao.quantization.observer`):
 *
 * - {@linkcode MinMaxObserver}: the running minimum and maximum over every batch observed,
 *   one range for the whole tensor;
 * - {@linkcode MovingAverageMinMaxObserver}: the first batch sets the range, each later batch
 *   moves it toward the batch's range by an exponential moving average (PyTorch's
 *   `MovingAverageMinMaxObserver`, the usual choice for activations during QAT);
 * - {@linkcode PerChannelMinMaxObserver}: one running range per index along a channel axis
 *   (PyTorch's `PerChannelMinMaxObserver`, the usual choice for weights);
 * - {@linkcode MovingAveragePerChannelMinMaxObserver}: the moving average of each channel's
 *   range (PyTorch's `MovingAveragePerChannelMinMaxObserver`, per-channel weights during QAT).
 *
 * The range becomes parameters through `qparamsFromRange` / `qparamsFromRanges`
 * (`@lowbit/quantize/params`, PyTorch `_calculate_qparams` in float32): the range is widened to
 * hold 0, then affine or symmetric scale and zero point follow.
 *
 * Static vs dynamic quantization: static calibration feeds a calibration set through
 * `observe(x)` once and freezes `qparams()`; dynamic quantization computes the range of each
 * batch at run time, which is `reset()` + `observe(batch)` + `qparams()` per batch (equal to
 * `minMaxQParams(batch)` of `@lowbit/quantize/dynamic`).
 *
 * Deliberate differences from PyTorch: `qparams()` before any data throws a RangeError (PyTorch
 * warns and returns scale 1, zero point 0); NaN and ±∞ are rejected with the index named (a
 * rejected batch leaves the observer unchanged); `reduce_range` is expressed through
 * `qmin`/`qmax` instead.
 *
 * @example Static calibration over two batches, quint8 affine
 * ```ts
 * import { MinMaxObserver } from "@lowbit/quantize/observers/minmax";
 * import { deepEqual } from "node:assert/strict";
 * const obs = new MinMaxObserver();
 * obs.observe(new Float32Array([-1, 0.5]));
 * obs.observe(new Float32Array([2]));
 * deepEqual(obs.range(), { min: -1, max: 2 });
 * deepEqual(obs.qparams(), { scale: Math.fround(3 / 255), zeroPoint: 85, qmin: 0, qmax: 255 });
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
import { perTensorQParams, qparamsFromRanges, type QRange, type QuantParams } from "../params.ts";
import { granularityLayout } from "../uniform.ts";

const f = Math.fround;

/** The min and max of finite `d[start, end)`; throws naming the first non-finite index. */
function scanRange(d: Float32Array, start: number, end: number): { min: number; max: number } {
  let lo = Infinity, hi = -Infinity;
  for (let i = start; i < end; i++) {
    const v = d[i];
    if (v - v !== 0) {
      throw new RangeError(`x[${i}] is ${v}; observers need finite values`);
    }
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return { min: lo, max: hi };
}

function noData(name: string): RangeError {
  return new RangeError(
    `${name}: no data observed; call observe(x) with a non-empty batch before qparams()`,
  );
}

/**
 * Running min-max observer: the range is [min, max] over every value of every batch.
 *
 * @example PyTorch's MinMaxObserver on [−1, 0.5, 2]: scale 3/255, zero point 85
 * ```ts
 * import { MinMaxObserver } from "@lowbit/quantize/observers/minmax";
 * import { equal } from "node:assert/strict";
 * const obs = new MinMaxObserver({ bits: 8 });
 * obs.observe(new Float32Array([-1, 0.5, 2]));
 * const p = obs.qparams();
 * equal(p.scale, Math.fround(3 / 255));
 * equal(p.zeroPoint, 85); // 0 − round(−1 / (3/255)) = 85
 * ```
 */
export class MinMaxObserver implements Observer {
  #range: QRange;
  #symmetric: boolean;
  #min = Infinity;
  #max = -Infinity;

  /**
   * Makes an observer with no data.
   *
   * @param options Code range (default unsigned 8-bit [0, 255]) and scheme (default affine).
   * @throws {RangeError} If the code range options are invalid.
   */
  constructor(options: ObserverOptions = {}) {
    this.#range = resolveQRange(options);
    this.#symmetric = options.symmetric ?? false;
  }

  /**
   * Widens the running range by one batch; an empty batch is ignored.
   *
   * @param x A Float32Array or `{ data, shape }`.
   * @throws {RangeError} If a value is NaN or ±∞ (the message names its index); the observer
   *   is then unchanged.
   * @throws {TypeError} If `x` is not a Float32Array or tensor.
   */
  observe(x: QuantInput): void {
    const d = asTensorLike(x).data;
    if (d.length === 0) return;
    const r = scanRange(d, 0, d.length);
    if (r.min < this.#min) this.#min = r.min;
    if (r.max > this.#max) this.#max = r.max;
  }

  /**
   * The running range (before widening to hold 0).
   *
   * @returns `{ min, max }` over everything observed.
   * @throws {RangeError} If nothing has been observed.
   */
  range(): { min: number; max: number } {
    if (this.#min > this.#max) throw noData("MinMaxObserver");
    return { min: this.#min, max: this.#max };
  }

  /**
   * Per-tensor parameters of the running range (PyTorch `_calculate_qparams`).
   *
   * @returns `{ scale, zeroPoint, qmin, qmax }` with number scale and zero point.
   * @throws {RangeError} If nothing has been observed.
   */
  qparams(): QuantParams {
    return perTensorQParams(this.range(), { ...this.#range, symmetric: this.#symmetric });
  }

  /** Forgets everything observed. */
  reset(): void {
    this.#min = Infinity;
    this.#max = -Infinity;
  }
}

/** Options of {@linkcode MovingAverageMinMaxObserver}. */
export interface MovingAverageMinMaxObserverOptions extends ObserverOptions {
  /** The averaging constant c in (0, 1] (default 0.01, PyTorch's default). */
  averagingConstant?: number;
}

/**
 * Moving-average min-max observer (PyTorch `MovingAverageMinMaxObserver`): the first non-empty
 * batch sets [min, max]; each later batch with range [bmin, bmax] updates, in float32,
 *
 *     min ← min + c · (bmin − min),   max ← max + c · (bmax − max)          (MA.1)
 *
 * so that with c = 1 the range is the last batch's (dynamic-like) and with small c it is a slow
 * exponential average that ignores occasional outlier batches.
 *
 * @example c = 0.5: the range moves halfway toward each new batch
 * ```ts
 * import { MovingAverageMinMaxObserver } from "@lowbit/quantize/observers/minmax";
 * import { deepEqual } from "node:assert/strict";
 * const obs = new MovingAverageMinMaxObserver({ averagingConstant: 0.5 });
 * obs.observe(new Float32Array([-1, 1]));
 * obs.observe(new Float32Array([-3, 2]));
 * deepEqual(obs.range(), { min: -2, max: 1.5 });
 * ```
 */
export class MovingAverageMinMaxObserver implements Observer {
  #range: QRange;
  #symmetric: boolean;
  #c: number;
  #min = Infinity;
  #max = -Infinity;

  /**
   * Makes an observer with no data.
   *
   * @param options Code range, scheme and `averagingConstant`.
   * @throws {RangeError} If `averagingConstant` is not in (0, 1] or the code range is invalid.
   */
  constructor(options: MovingAverageMinMaxObserverOptions = {}) {
    this.#range = resolveQRange(options);
    this.#symmetric = options.symmetric ?? false;
    const c = options.averagingConstant ?? 0.01;
    if (typeof c !== "number" || !(c > 0 && c <= 1)) {
      throw new RangeError(
        `options.averagingConstant must be a number in (0, 1]; got ${String(c)}`,
      );
    }
    this.#c = f(c);
  }

  /**
   * Sets the range from the first non-empty batch, then averages (Eq. MA.1); empty batches are
   * ignored.
   *
   * @param x A Float32Array or `{ data, shape }`.
   * @throws {RangeError} If a value is NaN or ±∞ (the message names its index); the observer
   *   is then unchanged.
   * @throws {TypeError} If `x` is not a Float32Array or tensor.
   */
  observe(x: QuantInput): void {
    const d = asTensorLike(x).data;
    if (d.length === 0) return;
    const r = scanRange(d, 0, d.length);
    if (this.#min > this.#max) {
      this.#min = r.min;
      this.#max = r.max;
      return;
    }
    const c = this.#c;
    this.#min = f(this.#min + f(c * f(r.min - this.#min)));
    this.#max = f(this.#max + f(c * f(r.max - this.#max)));
  }

  /**
   * The averaged range (before widening to hold 0).
   *
   * @returns `{ min, max }`.
   * @throws {RangeError} If nothing has been observed.
   */
  range(): { min: number; max: number } {
    if (this.#min > this.#max) throw noData("MovingAverageMinMaxObserver");
    return { min: this.#min, max: this.#max };
  }

  /**
   * Per-tensor parameters of the averaged range.
   *
   * @returns `{ scale, zeroPoint, qmin, qmax }`.
   * @throws {RangeError} If nothing has been observed.
   */
  qparams(): QuantParams {
    return perTensorQParams(this.range(), { ...this.#range, symmetric: this.#symmetric });
  }

  /** Forgets everything observed (the next batch sets the range again). */
  reset(): void {
    this.#min = Infinity;
    this.#max = -Infinity;
  }
}

/** Options of {@linkcode PerChannelMinMaxObserver}. */
export interface PerChannelMinMaxObserverOptions extends ObserverOptions {
  /** The channel axis of the observed tensors (negative counts from the end). */
  axis: number;
}

/**
 * Per-channel running min-max observer (PyTorch `PerChannelMinMaxObserver`): one running range
 * per index along `axis`; every batch must have the same number of channels.
 *
 * @example Two output channels of a [2, 3] weight, symmetric int8
 * ```ts
 * import { PerChannelMinMaxObserver } from "@lowbit/quantize/observers/minmax";
 * import { deepEqual, equal } from "node:assert/strict";
 * const obs = new PerChannelMinMaxObserver({ axis: 0, signed: true, symmetric: true });
 * obs.observe({ data: new Float32Array([1, -2, 0.5, 0.25, 0.5, -0.75]), shape: [2, 3] });
 * const p = obs.qparams();
 * deepEqual([...(p.scale as Float32Array)], [Math.fround(2 / 127.5), Math.fround(0.75 / 127.5)]);
 * deepEqual([...(p.zeroPoint as Int32Array)], [0, 0]);
 * equal(p.axis, 0);
 * ```
 */
export class PerChannelMinMaxObserver implements Observer {
  #range: QRange;
  #symmetric: boolean;
  #axis: number;
  #mins: Float64Array | null = null;
  #maxs: Float64Array | null = null;

  /**
   * Makes an observer with no data.
   *
   * @param options The channel `axis`, code range and scheme.
   * @throws {RangeError} If `axis` is not an integer or the code range is invalid.
   */
  constructor(options: PerChannelMinMaxObserverOptions) {
    const axis = options?.axis;
    if (typeof axis !== "number" || !Number.isInteger(axis)) {
      throw new RangeError(`options.axis must be an integer; got ${String(axis)}`);
    }
    this.#axis = axis;
    this.#range = resolveQRange(options);
    this.#symmetric = options.symmetric ?? false;
  }

  /**
   * Widens each channel's running range by one batch; a batch with no elements is ignored.
   *
   * @param x A tensor `{ data, shape }` (a Float32Array is shape `[length]`).
   * @throws {RangeError} If `axis` is out of range for the shape, the channel count differs
   *   from earlier batches, or a value is NaN or ±∞ (the message names its index); the
   *   observer is then unchanged.
   * @throws {TypeError} If `x` is not a Float32Array or tensor.
   */
  observe(x: QuantInput): void {
    const t = asTensorLike(x);
    const layout = granularityLayout(t.shape, this.#axis, undefined, "options.");
    if (t.data.length === 0) return;
    if (this.#mins !== null && this.#mins.length !== layout.count) {
      throw new RangeError(
        `x has ${layout.count} channels along axis ${this.#axis}; earlier batches had ${this.#mins.length}`,
      );
    }
    const mins = new Float64Array(layout.count).fill(Infinity);
    const maxs = new Float64Array(layout.count).fill(-Infinity);
    const { outer, dim, inner } = layout;
    for (let o = 0, i = 0; o < outer; o++) {
      for (let c = 0; c < dim; c++, i += inner) {
        const r = scanRange(t.data, i, i + inner);
        if (r.min < mins[c]) mins[c] = r.min;
        if (r.max > maxs[c]) maxs[c] = r.max;
      }
    }
    if (this.#mins === null || this.#maxs === null) {
      this.#mins = mins;
      this.#maxs = maxs;
      return;
    }
    for (let c = 0; c < mins.length; c++) {
      if (mins[c] < this.#mins[c]) this.#mins[c] = mins[c];
      if (maxs[c] > this.#maxs[c]) this.#maxs[c] = maxs[c];
    }
  }

  /**
   * The running range of each channel (before widening to hold 0).
   *
   * @returns `{ min, max }`, one entry per channel.
   * @throws {RangeError} If nothing has been observed.
   */
  range(): { min: Float64Array; max: Float64Array } {
    if (this.#mins === null || this.#maxs === null) throw noData("PerChannelMinMaxObserver");
    return { min: this.#mins.slice(), max: this.#maxs.slice() };
  }

  /**
   * Per-channel parameters of the running ranges.
   *
   * @returns `{ scale: Float32Array, zeroPoint: Int32Array, qmin, qmax, axis }`.
   * @throws {RangeError} If nothing has been observed.
   */
  qparams(): QuantParams {
    const { min, max } = this.range();
    const { qmin, qmax } = this.#range;
    const p = qparamsFromRanges(min, max, { qmin, qmax, symmetric: this.#symmetric });
    return { scale: p.scale, zeroPoint: p.zeroPoint, qmin, qmax, axis: this.#axis };
  }

  /** Forgets everything observed, the channel count included. */
  reset(): void {
    this.#mins = null;
    this.#maxs = null;
  }
}

/** Options of {@linkcode MovingAveragePerChannelMinMaxObserver}. */
export interface MovingAveragePerChannelMinMaxObserverOptions
  extends PerChannelMinMaxObserverOptions {
  /** The averaging constant c in (0, 1] (default 0.01, PyTorch's default). */
  averagingConstant?: number;
}

/**
 * Moving-average per-channel min-max observer (PyTorch `MovingAveragePerChannelMinMaxObserver`):
 * the first non-empty batch sets one range [min_k, max_k] per index k along `axis`; each later
 * batch with per-channel ranges [bmin_k, bmax_k] updates every channel, in float32, by
 *
 *     min_k ← min_k + c · (bmin_k − min_k),   max_k ← max_k + c · (bmax_k − max_k)   (MA.2)
 *
 * (Eq. MA.1 of {@linkcode MovingAverageMinMaxObserver} per channel). Every batch must have the
 * same number of channels. The parameters follow PyTorch's per-channel `_calculate_qparams`
 * (through `qparamsFromRanges`): each range widened to hold 0, one scale and zero point per
 * channel.
 *
 * @example c = 0.5 on two channels of a [2, 2] tensor
 * ```ts
 * import { MovingAveragePerChannelMinMaxObserver } from "@lowbit/quantize/observers/minmax";
 * import { deepEqual } from "node:assert/strict";
 * const obs = new MovingAveragePerChannelMinMaxObserver({ axis: 0, averagingConstant: 0.5 });
 * obs.observe({ data: new Float32Array([-1, 1, 0, 4]), shape: [2, 2] });
 * obs.observe({ data: new Float32Array([-3, 3, -2, 2]), shape: [2, 2] });
 * const r = obs.range(); // channel 0: −1 + 0.5·(−3 + 1), 1 + 0.5·(3 − 1); channel 1 likewise
 * deepEqual([...r.min], [-2, -1]);
 * deepEqual([...r.max], [2, 3]);
 * ```
 */
export class MovingAveragePerChannelMinMaxObserver implements Observer {
  #range: QRange;
  #symmetric: boolean;
  #axis: number;
  #c: number;
  #mins: Float32Array | null = null;
  #maxs: Float32Array | null = null;

  /**
   * Makes an observer with no data.
   *
   * @param options The channel `axis`, `averagingConstant`, code range and scheme.
   * @throws {RangeError} If `axis` is not an integer, `averagingConstant` is not in (0, 1] or
   *   the code range is invalid.
   */
  constructor(options: MovingAveragePerChannelMinMaxObserverOptions) {
    const axis = options?.axis;
    if (typeof axis !== "number" || !Number.isInteger(axis)) {
      throw new RangeError(`options.axis must be an integer; got ${String(axis)}`);
    }
    const c = options.averagingConstant ?? 0.01;
    if (typeof c !== "number" || !(c > 0 && c <= 1)) {
      throw new RangeError(
        `options.averagingConstant must be a number in (0, 1]; got ${String(c)}`,
      );
    }
    this.#axis = axis;
    this.#c = f(c);
    this.#range = resolveQRange(options);
    this.#symmetric = options.symmetric ?? false;
  }

  /**
   * Sets the per-channel ranges from the first non-empty batch, then averages (Eq. MA.2); a
   * batch with no elements is ignored.
   *
   * @param x A tensor `{ data, shape }` (a Float32Array is shape `[length]`).
   * @throws {RangeError} If `axis` is out of range for the shape, the channel count differs
   *   from earlier batches, or a value is NaN or ±∞ (the message names its index); the
   *   observer is then unchanged.
   * @throws {TypeError} If `x` is not a Float32Array or tensor.
   */
  observe(x: QuantInput): void {
    const t = asTensorLike(x);
    const layout = granularityLayout(t.shape, this.#axis, undefined, "options.");
    if (t.data.length === 0) return;
    if (this.#mins !== null && this.#mins.length !== layout.count) {
      throw new RangeError(
        `x has ${layout.count} channels along axis ${this.#axis}; earlier batches had ${this.#mins.length}`,
      );
    }
    const mins = new Float32Array(layout.count).fill(Infinity);
    const maxs = new Float32Array(layout.count).fill(-Infinity);
    const { outer, dim, inner } = layout;
    for (let o = 0, i = 0; o < outer; o++) {
      for (let k = 0; k < dim; k++, i += inner) {
        const r = scanRange(t.data, i, i + inner);
        if (r.min < mins[k]) mins[k] = r.min;
        if (r.max > maxs[k]) maxs[k] = r.max;
      }
    }
    if (this.#mins === null || this.#maxs === null) {
      this.#mins = mins;
      this.#maxs = maxs;
      return;
    }
    const c = this.#c, m = this.#mins, n = this.#maxs;
    for (let k = 0; k < mins.length; k++) {
      m[k] = m[k] + f(c * f(mins[k] - m[k]));
      n[k] = n[k] + f(c * f(maxs[k] - n[k]));
    }
  }

  /**
   * The averaged range of each channel (before widening to hold 0).
   *
   * @returns `{ min, max }`, one float32 entry per channel.
   * @throws {RangeError} If nothing has been observed.
   */
  range(): { min: Float32Array; max: Float32Array } {
    if (this.#mins === null || this.#maxs === null) {
      throw noData("MovingAveragePerChannelMinMaxObserver");
    }
    return { min: this.#mins.slice(), max: this.#maxs.slice() };
  }

  /**
   * Per-channel parameters of the averaged ranges.
   *
   * @returns `{ scale: Float32Array, zeroPoint: Int32Array, qmin, qmax, axis }`.
   * @throws {RangeError} If nothing has been observed.
   */
  qparams(): QuantParams {
    const { min, max } = this.range();
    const { qmin, qmax } = this.#range;
    const p = qparamsFromRanges(min, max, { qmin, qmax, symmetric: this.#symmetric });
    return { scale: p.scale, zeroPoint: p.zeroPoint, qmin, qmax, axis: this.#axis };
  }

  /** Forgets everything observed, the channel count included. */
  reset(): void {
    this.#mins = null;
    this.#maxs = null;
  }
}
