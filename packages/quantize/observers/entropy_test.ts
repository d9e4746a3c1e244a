import { deepEqual, equal, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import { Philox } from "@lowbit/rounding/philox";
import { EntropyObserver, entropyThresholdBin } from "./entropy.ts";

function gaussian(r: Philox, n: number, sigma = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = sigma * Math.sqrt(-2 * Math.log(1 - r.uniform())) *
      Math.cos(2 * Math.PI * r.uniform());
  }
  return out;
}

const absMax = (x: Float32Array) => x.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/**
 * KL(P ‖ Q) of candidate i written out the way the reference does it, independently of
 * entropy.ts: NumPy-style `digitize` of the bin indices 0..i−1 against the L + 1 edges
 * linspace(0, i, L + 1) gives each bin's level; empty source bins are excluded from Q; SciPy's
 * `entropy` normalizes both and sums p ln(p / q).
 */
function referenceKl(hist: number[], i: number, levels: number): number {
  const h = [...hist];
  h[0] = h[1];
  const edges = Array.from({ length: levels + 1 }, (_, k) => (k * i) / levels);
  const level = Array.from({ length: i }, (_, j) => edges.filter((e) => e <= j).length - 1);
  const qMass = new Array(levels).fill(0), members = new Array(levels).fill(0);
  for (let j = 0; j < i; j++) {
    if (h[j] === 0) continue;
    qMass[level[j]] += h[j];
    members[level[j]]++;
  }
  const q = Array.from(
    { length: i },
    (_, j) => (h[j] === 0 ? 0 : qMass[level[j]] / members[level[j]]),
  );
  const p = h.slice(0, i);
  p[i - 1] += h.slice(i).reduce((a, b) => a + b, 0);
  const sp = p.reduce((a, b) => a + b, 0), sq = q.reduce((a, b) => a + b, 0);
  if (sq === 0) return Infinity;
  let kl = 0;
  for (let j = 0; j < i; j++) {
    if (p[j] === 0) continue;
    if (q[j] === 0) return Infinity;
    kl += (p[j] / sp) * Math.log((p[j] / sp) / (q[j] / sq));
  }
  return kl;
}

Deno.test("entropyThresholdBin: a tiny histogram, every KL by hand", () => {
  // h = [4, 4, 2, 1], L = 2 (h₀ := h₁ changes nothing here):
  //   i = 2: P = [4, 7],       Q = [4, 4]           KL = 4/11 ln(8/11) + 7/11 ln(14/11)
  //   i = 3: P = [4, 4, 3],    Q = [4, 4, 2]        KL = 8/11 ln(10/11) + 3/11 ln(15/11)
  //   i = 4: P = [4, 4, 2, 1], Q = [4, 4, 1.5, 1.5] KL = 2/11 ln(4/3) + 1/11 ln(2/3)
  const expected = [
    (4 / 11) * Math.log(8 / 11) + (7 / 11) * Math.log(14 / 11),
    (8 / 11) * Math.log(10 / 11) + (3 / 11) * Math.log(15 / 11),
    (2 / 11) * Math.log(4 / 3) + (1 / 11) * Math.log(2 / 3),
  ];
  const r = entropyThresholdBin([4, 4, 2, 1], { levels: 2, startBin: 2 });
  r.divergences.forEach((d, t) => ok(Math.abs(d - expected[t]) < 1e-15, `${d} vs ${expected[t]}`));
  equal(r.bin, 3);
  // Bin 0 is replaced by bin 1 (a spike of exact zeros does not count).
  deepEqual(entropyThresholdBin([900, 4, 2, 1], { levels: 2, startBin: 2 }), r);
  // stride 2 tries i = 2, 4 only.
  const s = entropyThresholdBin([4, 4, 2, 1], { levels: 2, startBin: 2, stride: 2 });
  deepEqual([...s.divergences], [r.divergences[0], r.divergences[2]]);
  equal(s.bin, 4);
});

Deno.test("entropyThresholdBin matches the reference construction on random histograms (property)", () => {
  fc.assert(
    fc.property(
      fc.array(fc.nat({ max: 20 }), { minLength: 2, maxLength: 24 }),
      fc.integer({ min: 1, max: 8 }),
      fc.integer({ min: 1, max: 24 }),
      fc.integer({ min: 1, max: 3 }),
      (hist, levels, start0, stride) => {
        if (hist.slice(1).every((v) => v === 0)) hist[1] = 1;
        const start = 1 + ((start0 - 1) % hist.length);
        const r = entropyThresholdBin(hist, { levels, startBin: start, stride });
        let best = Infinity, bestBin = -1;
        let t = 0;
        for (let i = start; i <= hist.length; i += stride, t++) {
          const kl = referenceKl(hist, i, levels);
          const got = r.divergences[t];
          ok(
            kl === got || Math.abs(kl - got) <= 1e-12 * (1 + Math.abs(kl)),
            `i=${i}: ${got} vs ${kl}`,
          );
          if (kl <= best) [best, bestBin] = [kl, i]; // the last argmin
        }
        equal(t, r.divergences.length);
        if (best < Infinity) equal(r.bin, bestBin);
      },
    ),
    { numRuns: 300, seed: 8 },
  );
});

Deno.test("entropyThresholdBin: empty last kept bin with outliers scores +∞; ties go to the larger i", () => {
  // i = 2 keeps bins [0, 1] and clips bin 3's count into bin 1; i = 3 keeps an empty bin 2 with
  // bin 3 clipped into it: q = 0 < p → +∞.
  const r = entropyThresholdBin([1, 1, 0, 1], { levels: 2, startBin: 2 });
  equal(r.divergences[1], Infinity);
  equal(r.bin, 4); // i = 4: Q = P exactly → 0
  equal(r.divergences[2], 0);
  // L ≥ n: i = 1 (one bin, nothing to compare) and i = 4 (no clipping) both score 0; the
  // larger wins.
  const u = entropyThresholdBin([3, 3, 3, 3], { levels: 4, startBin: 1 });
  equal(u.bin, 4);
  // Nothing below i (bins 0..2 empty once h₀ := h₁): ΣQ = 0 scores +∞ (the reference gives NaN).
  const far = entropyThresholdBin([0, 0, 0, 5, 5], { levels: 1, startBin: 1 });
  deepEqual([...far.divergences].slice(0, 3), [Infinity, Infinity, Infinity]);
});

Deno.test("entropyThresholdBin: argument errors name the argument", () => {
  throws(() => entropyThresholdBin([], { levels: 2 }), /histogram must hold at least one bin/);
  throws(() => entropyThresholdBin([1, 2], { levels: 0 }), /options\.levels/);
  throws(
    () => entropyThresholdBin([1, 2], { levels: 2, startBin: 3 }),
    /options\.startBin must be an integer in \[1, 2\]/,
  );
  throws(() => entropyThresholdBin([1, 2], { levels: 2, stride: 0 }), /options\.stride/);
  throws(() => entropyThresholdBin([1, -2], { levels: 2 }), /histogram\[1\]/);
  throws(() => entropyThresholdBin([1, NaN], { levels: 2 }), /histogram\[1\]/);
  throws(() => entropyThresholdBin([7, 0, 0], { levels: 2 }), /non-zero count/);
});

Deno.test("EntropyObserver: options, levels from the code range", () => {
  equal(new EntropyObserver().levels, 128); // [0, 255], symmetric zero point 128
  equal(new EntropyObserver({ signed: true }).levels, 128);
  equal(new EntropyObserver({ signed: true, narrow: true }).levels, 128);
  equal(new EntropyObserver({ bits: 4, signed: true }).levels, 8);
  throws(() => new EntropyObserver({ bins: 1 }), /options\.bins must be an integer in \[2, /);
  throws(() => new EntropyObserver({ bins: 64, startBin: 65 }), /options\.startBin/);
  throws(() => new EntropyObserver({ stride: 0 }), /options\.stride/);
  throws(() => new EntropyObserver({ symmetric: false }), /options\.symmetric/);
  new EntropyObserver({ symmetric: true, bins: 64 }); // startBin defaults to min(128, bins)
});

Deno.test("EntropyObserver: no data, NaN / ±∞, all zeros, reset", () => {
  const obs = new EntropyObserver();
  throws(() => obs.qparams(), /no data observed/);
  throws(() => obs.threshold(), /no data observed/);
  obs.observe(new Float32Array(0));
  throws(() => obs.qparams(), /no data observed/);
  obs.observe(new Float32Array(5)); // all zeros
  equal(obs.threshold(), 0);
  deepEqual(obs.qparams(), { scale: 2 ** -23, zeroPoint: 128, qmin: 0, qmax: 255 });
  throws(() => obs.observe(new Float32Array([1, 2, NaN])), /x\[2\] is NaN/);
  throws(() => obs.observe(new Float32Array([Infinity])), /x\[0\] is Infinity/);
  equal(obs.threshold(), 0); // unchanged
  obs.observe(new Float32Array([1, -2]));
  const h = obs.histogram();
  equal(h.counts[0], 5); // the zeros stayed in bin 0
  equal(h.counts.reduce((a, b) => a + b), 7);
  equal(h.width, 2 / 2048);
  obs.reset();
  throws(() => obs.qparams(), /no data observed/);
});

Deno.test("EntropyObserver: Gaussian data gets a threshold between 2σ and max |x|", () => {
  for (const [seed, sigma] of [[1, 1], [2, 3], [3, 0.01]]) {
    const r = new Philox(seed);
    const obs = new EntropyObserver({ signed: true });
    let m = 0;
    for (let b = 0; b < 4; b++) {
      const x = gaussian(r, 50_000, sigma);
      m = Math.max(m, absMax(x));
      obs.observe(x);
    }
    const t = obs.threshold();
    ok(t > 2 * sigma && t <= m * (1 + 1e-6), `σ=${sigma}: T=${t}, max=${m}`);
    const p = obs.qparams();
    equal(p.zeroPoint, 0);
    equal(p.scale, Math.fround(Math.fround(t) / 127.5));
  }
});

Deno.test("EntropyObserver: a long-tailed distribution (Student t, 3 dof) is clipped", () => {
  const r = new Philox(5);
  const n = 200_000;
  const g = gaussian(r, 4 * n);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const chi2 = g[4 * i + 1] ** 2 + g[4 * i + 2] ** 2 + g[4 * i + 3] ** 2;
    x[i] = g[4 * i] / Math.sqrt(chi2 / 3);
  }
  const obs = new EntropyObserver({ signed: true });
  obs.observe(x);
  const t = obs.threshold(), m = absMax(x);
  ok(t < 0.5 * m, `T=${t}, max=${m}`);
  ok(t > 3, `T=${t}`); // beyond the bulk (t₃'s 99th percentile is 4.54)
});

Deno.test("EntropyObserver: widening doubles the width and keeps every count", () => {
  const obs = new EntropyObserver({ bins: 8, startBin: 2, bits: 2, signed: true });
  obs.observe(new Float32Array([0.5, -1, 2, 1.9])); // top 2, width 0.25: bins 2, 4, 7, 7
  deepEqual([...obs.histogram().counts], [0, 0, 1, 0, 1, 0, 0, 2]);
  obs.observe(new Float32Array([7])); // top 2 → 4 → 8, width 1; pairs merged twice, 7 → bin 7
  deepEqual([...obs.histogram().counts], [1, 3, 0, 0, 0, 0, 0, 1]);
  equal(obs.histogram().width, 1);
  fc.assert(
    fc.property(
      fc.array(
        fc.array(fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }), {
          maxLength: 50,
        }),
        { minLength: 1, maxLength: 6 },
      ),
      (batches) => {
        const o = new EntropyObserver({ bins: 64 });
        let n = 0;
        for (const b of batches) {
          o.observe(new Float32Array(b));
          n += b.length;
        }
        if (n === 0) return;
        equal(o.histogram().counts.reduce((a, c) => a + c), n);
        const m = Math.max(...batches.flat().map((v) => Math.abs(Math.fround(v))));
        ok(o.histogram().width * 64 >= m);
      },
    ),
    { numRuns: 200, seed: 13 },
  );
});

Deno.test("EntropyObserver: batches after the largest one equal a single batch; deterministic", () => {
  const r = new Philox(21);
  const a = gaussian(r, 20_000), b = gaussian(r, 20_000).map((v) => v / 2);
  a[0] = 6; // a holds the largest |x|
  const two = new EntropyObserver();
  two.observe(a);
  two.observe(b);
  const one = new EntropyObserver();
  const ab = new Float32Array(40_000);
  ab.set(a);
  ab.set(b, 20_000);
  one.observe(ab);
  deepEqual(two.histogram(), one.histogram());
  equal(two.threshold(), one.threshold());
  const again = new EntropyObserver();
  again.observe(a);
  again.observe(b);
  deepEqual(again.qparams(), two.qparams());
});
