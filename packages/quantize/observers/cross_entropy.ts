/**
 * Cross-entropy range setting for logits (Nagel et al. 2021, §3.1 "Cross entropy"): when the
 * quantized tensor is a classifier's last-layer output, what matters is that the softmax over
 * the classes — above all the order of its largest values — survives quantization, not that
 * every logit is close. The range is the one minimising the cross-entropy between the softmax
 * of the float logits and the softmax of the fake-quantized logits:
 *
 *     argmin_{lo, hi}  (1/R) Σ_r H(ψ(v_r), ψ(v̂_r(lo, hi)))                              (X.1)
 *     H(p, q) = −Σ_j p_j log q_j,   ψ = softmax over the class axis (the last axis)
 *
 * over R observed rows. H(p, q) = H(p) + KL(p ‖ q), so this is also the range of least KL
 * divergence from the float class distribution.
 *
 * The search (a 2-D grid): with [m, M] the min-max range of all observed values widened to
 * hold 0 (params.ts Eq. Q.1), try
 *
 *     [a · m, b · M]   for a, b ∈ {k / steps : k = 1, …, steps} (default steps = 20)        (X.2)
 *
 * (with `symmetric`, a = b: one shrink factor, as in the MSE observer). Every candidate becomes
 * parameters through `qparamsFromRange` and every logit is fake-quantized exactly as
 * `fakeQuantize` does (round half to even, clamp, dequantize, float32). The smallest mean
 * cross-entropy wins; ties go to the wider range. Since a = b = 1 is the min-max range, the
 * result's cross-entropy is never above min-max's.
 *
 * Rows are kept exactly (4 bytes a value) up to `capacity` values (default 2^22); more is a
 * RangeError rather than a silent subsample. A search costs O(steps² · values) and is cached
 * until the next `observe` or `reset`.
 *
 * @example 3-bit logits of 3 classes; one row has a −60 logit in a losing class
 * ```ts
 * import { CrossEntropyObserver } from "@lowbit/quantize/observers/cross-entropy";
 * import { ok } from "node:assert/strict";
 * const obs = new CrossEntropyObserver({ bits: 3 });
 * obs.observe({ data: Float32Array.of(4, 1, 0, 0, 3, 1, 1, 0, 4, 4, 0, -60), shape: [4, 3] });
 * const r = obs.searchResult();
 * ok(r.min > -20); // the −60 is clipped: its class has probability ~0 either way
 * ok(r.crossEntropy < r.minMaxCrossEntropy);
 * ```
 *
 * @module
 */

import type { Observer, ObserverOptions, QuantInput } from "../observer.ts";
import { asTensorLike, resolveQRange } from "../observer.ts";
import { qparamsFromRange, type QRange, type QuantParams } from "../params.ts";
import { fakeQuantInto } from "../_fake_quant.ts";

/** Options of {@linkcode CrossEntropyObserver}. */
export interface CrossEntropyObserverOptions extends ObserverOptions {
  /** Candidate shrink factors per end k / steps, k = 1..steps (default 20); integer in [1, 1000]. */
  steps?: number;
  /** How many values (rows × classes) are kept (default 2^22). */
  capacity?: number;
}

/** What the search of {@linkcode CrossEntropyObserver} found. */
export interface CrossEntropySearchResult {
  /** The chosen shrink factor of the lower end (Eq. X.2). */
  lowRatio: number;
  /** The chosen shrink factor of the upper end. */
  highRatio: number;
  /** The chosen clipping minimum a · m. */
  min: number;
  /** The chosen clipping maximum b · M. */
  max: number;
  /** Mean cross-entropy H(ψ(v), ψ(v̂)) over the rows with the chosen range, in nats (Eq. X.1). */
  crossEntropy: number;
  /** The same with the min-max range (a = b = 1). */
  minMaxCrossEntropy: number;
  /** Mean entropy H(ψ(v)) of the float rows: the floor of any cross-entropy. */
  entropy: number;
  /** The parameters of the chosen range. */
  params: QuantParams;
}

/**
 * Cross-entropy observer: keeps the observed logit rows (class axis last) and returns the
 * parameters of the candidate range (Eq. X.2) with the smallest mean cross-entropy (Eq. X.1).
 *
 * @example The last-layer logits of a 2-class model at 4 bits
 * ```ts
 * import { CrossEntropyObserver } from "@lowbit/quantize/observers/cross-entropy";
 * import { equal, ok } from "node:assert/strict";
 * const obs = new CrossEntropyObserver({ bits: 4, steps: 10 });
 * obs.observe({ data: Float32Array.of(2, -1, -1, 2, 30, -2), shape: [3, 2] });
 * const r = obs.searchResult();
 * equal(obs.qparams().qmax, 15);
 * ok(r.max < 30 && r.crossEntropy <= r.minMaxCrossEntropy);
 * ```
 */
export class CrossEntropyObserver implements Observer {
  #range: QRange;
  #symmetric: boolean;
  #steps: number;
  #capacity: number;
  #classes = 0;
  #chunks: Float32Array[] = [];
  #count = 0;
  #result: CrossEntropySearchResult | null = null;

  /**
   * Makes an observer with no data.
   *
   * @param options Code range, scheme, grid size and capacity.
   * @throws {RangeError} If `steps` or `capacity` is not a positive integer in range, or the code
   *   range is invalid.
   */
  constructor(options: CrossEntropyObserverOptions = {}) {
    this.#range = resolveQRange(options);
    this.#symmetric = options.symmetric ?? false;
    const steps = options.steps ?? 20;
    if (!Number.isInteger(steps) || steps < 1 || steps > 1000) {
      throw new RangeError(`options.steps must be an integer in [1, 1000]; got ${String(steps)}`);
    }
    const capacity = options.capacity ?? 2 ** 22;
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`options.capacity must be a positive integer; got ${String(capacity)}`);
    }
    this.#steps = steps;
    this.#capacity = capacity;
  }

  /** How many values (rows × classes) have been observed since the last reset. */
  get count(): number {
    return this.#count;
  }

  /** The number of classes (length of the last axis), 0 before the first batch. */
  get classes(): number {
    return this.#classes;
  }

  /**
   * Adds a batch of logits; the last axis is the class axis (a flat Float32Array is one row).
   * An empty batch is ignored.
   *
   * @param x Logits, e.g. `{ data, shape: [N, C] }`.
   * @throws {RangeError} If a value is NaN or ±∞ (the message names its index), the class count
   *   differs from earlier batches, or `capacity` would be exceeded; the observer is then
   *   unchanged.
   * @throws {TypeError} If `x` is not a Float32Array or tensor.
   */
  observe(x: QuantInput): void {
    const t = asTensorLike(x);
    if (t.data.length === 0) return;
    const c = t.shape.length === 0 ? 1 : t.shape[t.shape.length - 1];
    if (this.#classes !== 0 && c !== this.#classes) {
      throw new RangeError(
        `x: the class axis (last) has ${c} entries; earlier batches had ${this.#classes}`,
      );
    }
    for (let i = 0; i < t.data.length; i++) {
      if (!Number.isFinite(t.data[i])) {
        throw new RangeError(`x: value ${i} is ${t.data[i]}; logits must be finite`);
      }
    }
    if (this.#count + t.data.length > this.#capacity) {
      throw new RangeError(
        `x: ${
          this.#count + t.data.length
        } values would exceed options.capacity ${this.#capacity}; observe fewer rows or raise capacity`,
      );
    }
    this.#classes = c;
    this.#chunks.push(Float32Array.from(t.data));
    this.#count += t.data.length;
    this.#result = null;
  }

  /**
   * Runs (or returns the cached) grid search of Eqs. X.1–X.2.
   *
   * @returns The chosen factors, range, cross-entropies and parameters.
   * @throws {RangeError} If nothing has been observed.
   */
  searchResult(): CrossEntropySearchResult {
    if (this.#result === null) this.#result = this.#search();
    return { ...this.#result, params: { ...this.#result.params } };
  }

  #search(): CrossEntropySearchResult {
    if (this.#count === 0) {
      throw new RangeError(
        "CrossEntropyObserver: no data observed; call observe(x) with logits before qparams()",
      );
    }
    const v = new Float32Array(this.#count);
    let off = 0;
    for (const ch of this.#chunks) {
      v.set(ch, off);
      off += ch.length;
    }
    this.#chunks = [v];
    const c = this.#classes, rows = v.length / c;
    // Float softmax probabilities p (Eq. X.1), once.
    const p = new Float64Array(v.length);
    let entropy = 0;
    for (let r = 0; r < rows; r++) {
      const o = r * c;
      let mx = -Infinity;
      for (let j = 0; j < c; j++) mx = Math.max(mx, v[o + j]);
      let z = 0;
      for (let j = 0; j < c; j++) z += Math.exp(v[o + j] - mx);
      const lz = Math.log(z);
      for (let j = 0; j < c; j++) {
        const lp = v[o + j] - mx - lz;
        p[o + j] = Math.exp(lp);
        if (p[o + j] > 0) entropy -= p[o + j] * lp;
      }
    }
    let m = 0, mxAll = 0;
    for (let i = 0; i < v.length; i++) {
      if (v[i] < m) m = v[i];
      if (v[i] > mxAll) mxAll = v[i];
    }
    const { qmin, qmax } = this.#range;
    const scheme = { qmin, qmax, symmetric: this.#symmetric };
    const q = new Float32Array(v.length);
    const crossEntropyOf = (scale: number, zeroPoint: number): number => {
      fakeQuantInto(v, q, scale, zeroPoint, qmin, qmax);
      let h = 0;
      for (let r = 0; r < rows; r++) {
        const o = r * c;
        let mx = -Infinity;
        for (let j = 0; j < c; j++) mx = Math.max(mx, q[o + j]);
        let z = 0;
        for (let j = 0; j < c; j++) z += Math.exp(q[o + j] - mx);
        const lz = Math.log(z);
        for (let j = 0; j < c; j++) h -= p[o + j] * (q[o + j] - mx - lz);
      }
      return h / rows;
    };
    const n = this.#steps;
    let best: CrossEntropySearchResult | null = null;
    let minMax = NaN;
    // Widest first so that ties keep the wider range.
    for (let a = n; a >= 1; a--) {
      for (let b = n; b >= 1; b--) {
        if (this.#symmetric && a !== b) continue;
        const lo = (a / n) * m, hi = (b / n) * mxAll;
        const pr = qparamsFromRange(lo, hi, scheme);
        const h = crossEntropyOf(pr.scale, pr.zeroPoint);
        if (a === n && b === n) minMax = h;
        if (best === null || h < best.crossEntropy) {
          best = {
            lowRatio: a / n,
            highRatio: b / n,
            min: lo,
            max: hi,
            crossEntropy: h,
            minMaxCrossEntropy: NaN,
            entropy: entropy / rows,
            params: { scale: pr.scale, zeroPoint: pr.zeroPoint, qmin, qmax },
          };
        }
      }
    }
    const result = best as CrossEntropySearchResult;
    result.minMaxCrossEntropy = minMax;
    return result;
  }

  /**
   * The chosen clipping range [a · m, b · M] (before widening to hold 0).
   *
   * @returns `{ min, max }`.
   * @throws {RangeError} If nothing has been observed.
   */
  range(): { min: number; max: number } {
    const r = this.searchResult();
    return { min: r.min, max: r.max };
  }

  /**
   * Per-tensor parameters of the cross-entropy-optimal candidate range.
   *
   * @returns `{ scale, zeroPoint, qmin, qmax }`.
   * @throws {RangeError} If nothing has been observed.
   */
  qparams(): QuantParams {
    return this.searchResult().params;
  }

  /** Forgets everything observed. */
  reset(): void {
    this.#chunks = [];
    this.#count = 0;
    this.#classes = 0;
    this.#result = null;
  }
}
