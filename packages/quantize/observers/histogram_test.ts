import { deepEqual, equal, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import { Philox } from "@lowbit/rounding/philox";
import { HistogramObserver } from "./histogram.ts";
import { histcInto, l2QuantizationError, upscaleInto } from "./_histogram.ts";
import { MinMaxObserver } from "./minmax.ts";
import { fakeQuantize } from "../uniform.ts";
import type { QuantParams } from "../params.ts";

const sum = (a: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
};

function gaussian(r: Philox, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = Math.sqrt(-2 * Math.log(1 - r.uniform())) * Math.cos(2 * Math.PI * r.uniform());
  }
  return out;
}

/**
 * Eq. H.3 by brute force, independent of `l2QuantizationError`: `m` midpoint samples per
 * source bin, each carrying count h / m, quantized onto `levels` destination bins of the window
 * [lo, hi] (clamped at both ends) and reconstructed at the destination bin's centre.
 */
function bruteModelError(
  counts: Float64Array,
  min: number,
  max: number,
  lo: number,
  hi: number,
  levels: number,
  m = 256,
): number {
  const w = (max - min) / counts.length, dw = (hi - lo) / levels;
  let err = 0;
  for (let i = 0; i < counts.length; i++) {
    if (counts[i] === 0) continue;
    for (let k = 0; k < m; k++) {
      const x = min + (i + (k + 0.5) / m) * w;
      const j = Math.min(Math.max(Math.floor((x - lo) / dw), 0), levels - 1);
      const c = lo + (j + 0.5) * dw;
      err += (counts[i] / m) * (x - c) ** 2;
    }
  }
  return err;
}

/** The squared error of the real quantizer (fakeQuantize with `p`) over the histogram's density. */
function bruteQuantizerError(
  counts: Float64Array,
  min: number,
  max: number,
  p: QuantParams,
  m = 64,
): number {
  const w = (max - min) / counts.length;
  const xs = new Float32Array(counts.length * m);
  for (let i = 0; i < counts.length; i++) {
    for (let k = 0; k < m; k++) xs[i * m + k] = min + (i + (k + 0.5) / m) * w;
  }
  const y = fakeQuantize(xs, p);
  let err = 0;
  for (let t = 0; t < xs.length; t++) err += (counts[Math.floor(t / m)] / m) * (y[t] - xs[t]) ** 2;
  return err;
}

Deno.test("histcInto: torch.histc's float32 bin index, top edge in the last bin", () => {
  const c = new Float64Array(4);
  // [0, 2] in 4 bins of 0.5: 0 → 0, 0.49 → 0, 0.5 → 1, 1.99 → 3, 2 → 3 (top edge)
  histcInto(c, new Float32Array([0, 0.49, 0.5, 1.99, 2]), 0, 2);
  deepEqual([...c], [2, 1, 0, 2]);
  // A degenerate range [3, 3] is widened to [2, 4]: every value in the middle bin.
  const d = new Float64Array(5);
  histcInto(d, new Float32Array([3, 3, 3]), 3, 3);
  deepEqual([...d], [0, 0, 3, 0, 0]);
});

Deno.test("upscaleInto: sub-bin midpoints move whole to the wider histogram, counts kept", () => {
  // [0, 1] in 4 bins → [0, 2] in 4 bins, rate 4: old bin i has midpoints (4i + k + ½)/16, which
  // land in new bin ⌊(4i + k + ½)/8⌋: bins 0, 1 → new bin 0; bins 2, 3 → new bin 1.
  const dst = new Float64Array(4);
  upscaleInto(dst, new Float64Array([1, 2, 3, 4]), 0, 1, 0, 2, 4);
  deepEqual([...dst], [3, 7, 0, 0]);
  // Widening to the left, [0, 1] → [−1, 1] in 2 bins, rate 2: everything goes to bin 1.
  const d2 = new Float64Array(2);
  upscaleInto(d2, new Float64Array([5, 6]), 0, 1, -1, 1, 2);
  deepEqual([...d2], [0, 11]);
  // A bin straddling a new edge splits by sub-bins: [0, 3] in 3 bins → [0, 4] in 3 bins, rate 4.
  // Old bin 1 = [1, 2]: midpoints 1.125, 1.375, 1.625, 1.875; new edges 4/3, 8/3 → 1 + 3 sub-bins.
  const d3 = new Float64Array(3);
  upscaleInto(d3, new Float64Array([0, 8, 0]), 0, 3, 0, 4, 4);
  deepEqual([...d3], [2, 6, 0]);
});

Deno.test("l2QuantizationError equals the brute-force integral of Eq. H.3 (property)", () => {
  fc.assert(
    fc.property(
      fc.array(fc.nat({ max: 50 }), { minLength: 4, maxLength: 40 }),
      fc.double({ min: -10, max: 10, noNaN: true }),
      fc.double({ min: 0.01, max: 10, noNaN: true }),
      fc.nat(),
      fc.nat(),
      fc.integer({ min: 2, max: 16 }),
      (raw, min, span, a, b, levels) => {
        const counts = Float64Array.from(raw);
        const n = counts.length, max = min + span, w = span / n;
        const s = a % n, e = s + (b % (n - s));
        const model = l2QuantizationError(counts, min, max, s, e, levels);
        const brute = bruteModelError(counts, min, max, min + s * w, min + (e + 1) * w, levels);
        ok(Math.abs(model - brute) <= 1e-3 * brute + 1e-12, `${model} vs ${brute}`);
      },
    ),
    { numRuns: 200, seed: 5 },
  );
});

Deno.test("HistogramObserver: options are validated with RangeErrors naming the argument", () => {
  throws(() => new HistogramObserver({ bins: 0 }), /options\.bins must be an integer in \[1, /);
  throws(() => new HistogramObserver({ bins: 2.5 }), /options\.bins/);
  throws(() => new HistogramObserver({ upsampleRate: 0 }), /options\.upsampleRate/);
  throws(() => new HistogramObserver({ qmin: 3, qmax: 1 }), /qmin and qmax/);
  equal(new HistogramObserver().bins, 2048);
});

Deno.test("HistogramObserver: no data, NaN / ±∞, empty batches, reset", () => {
  const obs = new HistogramObserver({ bins: 8 });
  throws(() => obs.qparams(), /no data observed/);
  throws(() => obs.histogram(), RangeError);
  obs.observe(new Float32Array(0));
  throws(() => obs.qparams(), /no data observed/);
  obs.observe(new Float32Array([0, 1, 2]));
  const before = obs.histogram();
  throws(() => obs.observe(new Float32Array([5, NaN])), /x\[1\] is NaN/);
  throws(() => obs.observe(new Float32Array([-Infinity])), /x\[0\] is -Infinity/);
  deepEqual(obs.histogram(), before); // a rejected batch changes nothing
  throws(() => obs.observe([1, 2] as unknown as Float32Array), TypeError);
  obs.reset();
  throws(() => obs.qparams(), /no data observed/);
  obs.observe({ data: new Float32Array([4, 5, 6, 7]), shape: [2, 2] });
  deepEqual(obs.histogram().min, 4);
  equal(sum(obs.histogram().counts), 4);
});

Deno.test("HistogramObserver: batches inside the range add up exactly like one batch", () => {
  const r = new Philox(11);
  const a = gaussian(r, 5000), b = gaussian(r, 5000).map((v) => Math.max(-1, Math.min(1, v)));
  a[0] = -4; // a holds the range of b
  a[1] = 4;
  const two = new HistogramObserver();
  two.observe(a);
  two.observe(b);
  const one = new HistogramObserver();
  const ab = new Float32Array(10000);
  ab.set(a);
  ab.set(b, 5000);
  one.observe(ab);
  deepEqual(two.histogram(), one.histogram());
  deepEqual(two.qparams(), one.qparams());
});

Deno.test("HistogramObserver: re-binning preserves the total count exactly (property)", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          center: fc.double({ min: -100, max: 100, noNaN: true }),
          scale: fc.double({ min: 1e-3, max: 50, noNaN: true }),
          n: fc.integer({ min: 1, max: 300 }),
          seed: fc.nat(),
        }),
        { minLength: 1, maxLength: 5 },
      ),
      fc.integer({ min: 1, max: 512 }),
      (batches, bins) => {
        const obs = new HistogramObserver({ bins });
        let seen = 0, lo = Infinity, hi = -Infinity;
        for (const { center, scale, n, seed } of batches) {
          const r = new Philox(seed);
          const x = new Float32Array(n).map(() => center + scale * (2 * r.uniform() - 1));
          obs.observe(x);
          seen += n;
          for (const v of x) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
          }
        }
        const h = obs.histogram();
        equal(sum(h.counts), seen);
        ok(h.counts.every((c) => c >= 0));
        deepEqual([h.min, h.max], [lo, hi]); // the running range is exact
      },
    ),
    { numRuns: 150, seed: 17 },
  );
});

Deno.test("HistogramObserver: a constant first batch keeps its count when the range widens", () => {
  const obs = new HistogramObserver({ bins: 4 });
  obs.observe(new Float32Array([1, 1, 1]));
  deepEqual(obs.range(), { min: 1, max: 1 });
  obs.observe(new Float32Array([1, 1])); // same degenerate range: added
  obs.observe(new Float32Array([0, 4])); // [0, 4] in bins of 1: the five 1s go to bin 1
  deepEqual([...obs.histogram().counts], [1, 5, 0, 1]);
});

Deno.test("HistogramObserver: uniform data keeps nearly the full range", () => {
  for (const [a, b] of [[0, 1], [-3, 5], [2, 2.5]]) {
    const n = 100_000;
    const obs = new HistogramObserver();
    obs.observe(new Float32Array(n).map((_, i) => a + ((b - a) * (i + 0.5)) / n));
    const r = obs.range();
    ok(r.min - a <= 1e-3 * (b - a) && b - r.max <= 1e-3 * (b - a), `[${r.min}, ${r.max}]`);
    // The greedy search accepts its first move without comparing to the full range (PyTorch), so
    // its modelled error may exceed min-max's, but only by a hair.
    const h = obs.histogram();
    const full = l2QuantizationError(h.counts, h.min, h.max, 0, h.counts.length - 1, 256);
    ok(obs.searchResult().error <= full * 1.001);
  }
});

Deno.test("HistogramObserver: a few extreme outliers are clipped; its L2 error is below min-max's", () => {
  const r = new Philox(3);
  const n = 2_000_000;
  const x = new Float32Array(n).map(() => r.uniform());
  x[123] = 10;
  x[4567] = -8;
  const obs = new HistogramObserver();
  obs.observe(x.subarray(0, n / 2));
  obs.observe(x.subarray(n / 2)); // both outliers came in the first half: this batch just adds
  obs.observe(new Float32Array([10])); // a third outlier
  const range = obs.range();
  ok(range.min > -0.01 && range.max < 1.01 && range.max > 0.98, `[${range.min}, ${range.max}]`);
  const h = obs.histogram();
  equal(sum(h.counts), n + 1);
  deepEqual([h.min, h.max], [-8, 10]);
  // Brute-force errors from the histogram: the error model (H.3) and the real quantizer.
  const model = bruteModelError(h.counts, h.min, h.max, range.min, range.max, 256, 16);
  const modelMinMax = bruteModelError(h.counts, h.min, h.max, h.min, h.max, 256, 16);
  ok(model < modelMinMax / 2, `${model} vs ${modelMinMax}`);
  const mm = new MinMaxObserver();
  mm.observe(x);
  mm.observe(new Float32Array([10]));
  const real = bruteQuantizerError(h.counts, h.min, h.max, obs.qparams(), 16);
  const realMinMax = bruteQuantizerError(h.counts, h.min, h.max, mm.qparams(), 16);
  ok(real < realMinMax / 2, `${real} vs ${realMinMax}`);
});

Deno.test("HistogramObserver: on Gaussian data the searched range beats min-max in L2", () => {
  for (const seed of [1, 2, 3]) {
    const r = new Philox(seed);
    const obs = new HistogramObserver({ bits: 8, signed: true, symmetric: seed === 3 });
    const mm = new MinMaxObserver({ bits: 8, signed: true, symmetric: seed === 3 });
    for (let b = 0; b < 4; b++) {
      const x = gaussian(r, 50_000).map((v) => v * (1 + b)); // each batch widens the range
      obs.observe(x);
      mm.observe(x);
    }
    const h = obs.histogram();
    const range = obs.range();
    ok(range.max - range.min < h.max - h.min, "clips the sparse tails");
    const model = bruteModelError(h.counts, h.min, h.max, range.min, range.max, 256, 16);
    const modelMinMax = bruteModelError(h.counts, h.min, h.max, h.min, h.max, 256, 16);
    ok(model <= modelMinMax, `${model} vs ${modelMinMax}`);
    const real = bruteQuantizerError(h.counts, h.min, h.max, obs.qparams(), 16);
    const realMinMax = bruteQuantizerError(h.counts, h.min, h.max, mm.qparams(), 16);
    ok(real <= realMinMax, `${real} vs ${realMinMax}`);
    if (seed === 3) equal(obs.qparams().zeroPoint, 0);
  }
});

Deno.test("HistogramObserver: deterministic", () => {
  const run = () => {
    const r = new Philox(99);
    const obs = new HistogramObserver({ bins: 512 });
    for (let b = 0; b < 5; b++) obs.observe(gaussian(r, 3000).map((v) => v * (b + 1) - b));
    return { h: obs.histogram(), s: obs.searchResult(), p: obs.qparams() };
  };
  deepEqual(run(), run());
  const obs = new HistogramObserver();
  obs.observe(gaussian(new Philox(1), 1000));
  deepEqual(obs.searchResult(), obs.searchResult()); // cached result, same value
});
