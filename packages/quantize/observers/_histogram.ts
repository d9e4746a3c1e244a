/**
 * Private histogram primitives shared by the histogram-based observers: binning with
 * `torch.histc`'s float32 index formula, PyTorch's re-binning of a histogram onto a wider range
 * (`HistogramObserver._upscale_histogram`), the L2 error model of a clipping window
 * (`_compute_quantization_error`) and its greedy search (`_non_linear_param_search`).
 *
 * The equations (H.n) are those of `histogram.ts`.
 *
 * @module
 */

const f = Math.fround;

/**
 * Scans a batch for non-finite values and returns its extremes (and the largest |x|).
 * Throws a RangeError naming the first NaN / ±∞ index, before any state is touched.
 */
export function scanFinite(d: Float32Array): { min: number; max: number; absMax: number } {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (v - v !== 0) throw new RangeError(`x[${i}] is ${v}; observers need finite values`);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return { min: lo, max: hi, absMax: Math.max(-lo, hi) };
}

/**
 * Adds the values of `d` (all inside [lo, hi]) into `counts` with `torch.histc`'s bin index
 * (Eq. H.1), evaluated in float32 like ATen's CPU kernel:
 * `bin = ⌊((x − lo) · bins) / (hi − lo)⌋`, the top edge going to the last bin. A degenerate range
 * lo = hi is widened to [lo − 1, hi + 1] first, as `histc` does. With `abs`, |x| is binned.
 */
export function histcInto(
  counts: Float64Array,
  d: Float32Array,
  lo: number,
  hi: number,
  abs = false,
): void {
  const bins = counts.length;
  let left = f(lo), right = f(hi);
  if (left === right) {
    left = f(left - 1);
    right = f(right + 1);
  }
  const span = f(right - left);
  for (let i = 0; i < d.length; i++) {
    const v = abs ? Math.abs(d[i]) : d[i];
    let b = Math.floor(f(f(f(v - left) * bins) / span));
    if (b >= bins) b = bins - 1;
    else if (b < 0) b = 0;
    counts[b] += 1;
  }
}

/**
 * Adds `src` (a histogram over [srcMin, srcMax]) into `dst` (same bin count, over the wider
 * [dstMin, dstMax]) the way PyTorch's `_upscale_histogram` does (Eq. H.2): every source bin is
 * split into `rate` equal sub-bins of count h/rate, and each sub-bin lands in the destination
 * bin holding its midpoint. Cost O(bins · rate), independent of the batch size. Counts are
 * float64; each source bin contributes h · c / rate for whole numbers c summing to `rate`.
 */
export function upscaleInto(
  dst: Float64Array,
  src: Float64Array,
  srcMin: number,
  srcMax: number,
  dstMin: number,
  dstMax: number,
  rate: number,
): void {
  const bins = src.length;
  const sub = (srcMax - srcMin) / (bins * rate);
  const scale = bins / (dstMax - dstMin);
  for (let i = 0; i < bins; i++) {
    const h = src[i];
    if (h === 0) continue;
    let run = -1, c = 0;
    for (let k = 0; k < rate; k++) {
      const mid = srcMin + (i * rate + k + 0.5) * sub;
      let j = Math.floor((mid - dstMin) * scale);
      if (j >= bins) j = bins - 1;
      else if (j < 0) j = 0;
      if (j !== run) {
        if (c > 0) dst[run] += (h * c) / rate;
        run = j;
        c = 0;
      }
      c++;
    }
    dst[run] += (h * c) / rate;
  }
}

/**
 * The L2 error model of PyTorch's `_compute_quantization_error` (Eq. H.3): the histogram over
 * [min, max] is a piecewise-constant density; quantizing the window of source bins
 * [startBin, endBin] onto `levels` equal destination bins reconstructs every value at the
 * centre of its destination bin (values outside the window at the centre of the first / last
 * one), and the error is ∫ density(x) · (x − centre(x))² dx, in float64.
 */
export function l2QuantizationError(
  counts: Float64Array,
  min: number,
  max: number,
  startBin: number,
  endBin: number,
  levels: number,
): number {
  const bins = counts.length;
  const w = (max - min) / bins;
  const dw = (w * (endBin - startBin + 1)) / levels;
  if (dw === 0) return 0;
  const half = dw / 2;
  const half3 = half * half * half;
  const fullBin = (2 * half3) / 3; // ∫_{−D/2}^{D/2} t² dt
  let norm = 0;
  for (let i = 0; i < bins; i++) {
    const h = counts[i];
    if (h === 0) continue;
    const density = h / w;
    const begin = (i - startBin) * w, end = begin + w;
    const jb = Math.min(Math.max(Math.floor(begin / dw), 0), levels - 1);
    const je = Math.min(Math.max(Math.floor(end / dw), 0), levels - 1);
    const db = begin - (jb + 0.5) * dw; // offset of the bin's start from its centre
    const de = end - (je + 0.5) * dw;
    norm += density *
      ((half3 - db * db * db) / 3 + (je - jb - 1) * fullBin + (de * de * de + half3) / 3);
  }
  return norm;
}

/** The step of the quantile bounds in {@linkcode nonLinearParamSearch} (PyTorch's `stepsize`). */
export const SEARCH_STEP = 1e-5;

/**
 * PyTorch's `_non_linear_param_search` (after caffe2's `NormMinimization::
 * NonlinearQuantizationParamsSearch`), Eq. H.4: shrink the bin window [s, e] greedily, one
 * quantile step (1e-5) at a time from the side that moves further, while the error of Eq. H.3
 * does not grow. Returns the chosen window.
 */
export function nonLinearParamSearch(
  counts: Float64Array,
  min: number,
  max: number,
  levels: number,
): { startBin: number; endBin: number; error: number } {
  const bins = counts.length;
  const cSum = new Float64Array(bins);
  let total = 0;
  for (let i = 0; i < bins; i++) cSum[i] = total += counts[i];
  let alpha = 0, beta = 1;
  let s = 0, e = bins - 1;
  let normMin = Infinity;
  while (alpha < beta) {
    const nextAlpha = alpha + SEARCH_STEP, nextBeta = beta - SEARCH_STEP;
    let l = s, r = e;
    while (l < e && cSum[l] < nextAlpha * total) l++;
    while (r > s && cSum[r] > nextBeta * total) r--;
    let ns = s, ne = e;
    if (l - s > e - r) {
      ns = l;
      alpha = nextAlpha;
    } else {
      ne = r;
      beta = nextBeta;
    }
    if (ns === s && ne === e) continue;
    const norm = l2QuantizationError(counts, min, max, ns, ne, levels);
    if (norm > normMin) break;
    normMin = norm;
    s = ns;
    e = ne;
  }
  const error = normMin === Infinity
    ? l2QuantizationError(counts, min, max, s, e, levels)
    : normMin;
  return { startBin: s, endBin: e, error };
}
