import { deepEqual, equal, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import { Philox } from "@lowbit/rounding/philox";
import { MseObserver } from "./mse.ts";
import { MinMaxObserver } from "./minmax.ts";
import { fakeQuantSquaredError, SortedSquaredError } from "../_fake_quant.ts";
import { fakeQuantize } from "../uniform.ts";
import { qparamsFromRange, type QuantParams } from "../params.ts";

/**
 * MSE of fake-quantizing x with `p`, through the public `fakeQuantize` (independent path). The
 * values are summed in ascending order, as the observer does, so that sums match exactly.
 */
function mseOf(values: Float32Array, p: QuantParams): number {
  const x = values.slice().sort();
  const y = fakeQuantize(x, p);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (y[i] - x[i]) ** 2;
  return s / x.length;
}

/** Laplace(0, b) samples by inverse CDF, plus `outliers` values at ±outlierAt. */
function laplaceWithOutliers(
  n: number,
  b: number,
  outliers: number,
  outlierAt: number,
  seed: number,
) {
  const g = new Philox(seed);
  const x = new Float32Array(n + outliers);
  for (let i = 0; i < n; i++) {
    const u = g.uniform() - 0.5;
    x[i] = -b * Math.sign(u) * Math.log(1 - 2 * Math.abs(u) || Number.MIN_VALUE);
  }
  for (let k = 0; k < outliers; k++) x[n + k] = (k % 2 ? -1 : 1) * outlierAt * (1 + g.uniform());
  return x;
}

Deno.test("_fake_quant: squared error equals fakeQuantize's, bit for bit (property)", () => {
  fc.assert(
    fc.property(
      fc.array(fc.float({ min: -1e4, max: 1e4, noNaN: true }), { minLength: 1, maxLength: 40 }),
      fc.float({ min: Math.fround(1e-4), max: 100, noNaN: true }),
      fc.integer({ min: -8, max: 7 }),
      (xs, scale, zeroPoint) => {
        const x = new Float32Array(xs);
        const p = { scale, zeroPoint, qmin: -8, qmax: 7 };
        const y = fakeQuantize(x, p);
        let s = 0;
        for (let i = 0; i < x.length; i++) s += (y[i] - x[i]) ** 2;
        equal(fakeQuantSquaredError(x, scale, zeroPoint, -8, 7), s);
      },
    ),
    { numRuns: 500, seed: 31 },
  );
});

Deno.test("_fake_quant: code-run squared error equals the direct sum to 1e-9 (property, large n)", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 1 << 30 }),
      fc.integer({ min: 2_000, max: 30_000 }),
      fc.double({ min: 0.01, max: 50, noNaN: true }),
      fc.integer({ min: 0, max: 3 }),
      fc.double({ min: 0.05, max: 1.5, noNaN: true }),
      (seed, n, b, bitsCase, shrink) => {
        const x = laplaceWithOutliers(n, b, 3, 20 * b, seed).sort();
        // a few exact duplicates and values on code boundaries
        for (let i = 0; i < 50; i++) x[(i * 97) % n] = x[(i * 89) % n];
        x.sort();
        const [qmin, qmax] = [[0, 255], [-128, 127], [-8, 7], [0, 15]][bitsCase];
        const runs = new SortedSquaredError(x);
        const lo = shrink * Math.min(x[0], 0), hi = shrink * Math.max(x[n - 1], 0);
        const p = qparamsFromRange(lo, hi, { qmin, qmax });
        const direct = fakeQuantSquaredError(x, p.scale, p.zeroPoint, qmin, qmax);
        const fast = runs.sse(p.scale, p.zeroPoint, qmin, qmax);
        ok(
          Math.abs(fast - direct) <= 1e-9 * direct + 1e-12,
          `n ${n} [${qmin}, ${qmax}]: ${fast} vs ${direct}`,
        );
      },
    ),
    { numRuns: 60, seed: 7 },
  );
});

Deno.test("MseObserver equals a direct brute-force search on large inputs (code-run path)", () => {
  for (
    const [seed, opts] of [[1, { bits: 8 }], [2, { bits: 8, signed: true, symmetric: true }], [3, {
      bits: 4,
    }]] as const
  ) {
    const x = laplaceWithOutliers(40_000, 0.7, 20, 12, seed);
    const obs = new MseObserver(opts);
    obs.observe(x);
    const got = obs.searchResult();
    // brute force over the same grid through the public fakeQuantize
    const sorted = x.slice().sort();
    const m = Math.min(sorted[0], 0), M = Math.max(sorted[sorted.length - 1], 0);
    const probe = new MinMaxObserver(opts);
    probe.observe(x);
    const { qmin, qmax } = probe.qparams();
    let best = { alpha: 0, mse: Infinity };
    for (let k = 100; k >= 1; k--) {
      const p = qparamsFromRange((k / 100) * m, (k / 100) * M, {
        qmin,
        qmax,
        symmetric: "symmetric" in opts,
      });
      const e = mseOf(x, { ...p, qmin, qmax });
      if (e < best.mse) best = { alpha: k / 100, mse: e };
    }
    equal(got.alpha, best.alpha, JSON.stringify(opts));
    equal(got.mse, best.mse);
  }
});

Deno.test("MseObserver: on Laplace data with outliers the chosen range beats min-max", () => {
  const x = laplaceWithOutliers(20_000, 1, 10, 15, 3);
  for (
    const opts of [
      { bits: 4, signed: true, symmetric: true },
      { bits: 4 },
      { bits: 8, signed: true, symmetric: true },
      { bits: 3 },
    ]
  ) {
    const mse = new MseObserver(opts), mm = new MinMaxObserver(opts);
    // Three batches: the search runs over all of them together.
    for (let b = 0; b < 3; b++) {
      const part = x.subarray(Math.floor((b * x.length) / 3), Math.floor(((b + 1) * x.length) / 3));
      mse.observe(part);
      mm.observe(part);
    }
    const r = mse.searchResult();
    const chosen = mseOf(x, mse.qparams()), minMax = mseOf(x, mm.qparams());
    ok(chosen <= minMax, `${JSON.stringify(opts)}: ${chosen} > ${minMax}`);
    equal(r.mse, chosen); // the reported MSE is the real one (same arithmetic, same order)
    equal(r.minMaxMse, minMax);
    if (opts.bits <= 4) {
      ok(chosen < 0.5 * minMax, `${JSON.stringify(opts)}: ${chosen} vs ${minMax}`);
    }
    ok(r.alpha < 1);
  }
});

Deno.test("MseObserver equals a brute-force search over the same grid on small cases (property)", () => {
  fc.assert(
    fc.property(
      fc.array(fc.float({ min: -50, max: 50, noNaN: true }), { minLength: 1, maxLength: 12 }),
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 2, max: 5 }),
      fc.boolean(),
      fc.boolean(),
      (xs, steps, bits, signed, symmetric) => {
        const x = new Float32Array(xs);
        const opts = { bits, signed, symmetric };
        const obs = new MseObserver({ ...opts, steps });
        obs.observe(x);
        // Brute force: every α = k/steps through the public API; keep the first minimum from α = 1 down.
        let lo = 0, hi = 0;
        for (const v of x) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
        const qmin = signed ? -(2 ** (bits - 1)) : 0,
          qmax = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
        let best = { e: Infinity, k: 0, p: null as QuantParams | null };
        for (let k = steps; k >= 1; k--) {
          const p = {
            ...qparamsFromRange((k / steps) * lo, (k / steps) * hi, { qmin, qmax, symmetric }),
            qmin,
            qmax,
          };
          const e = mseOf(x, p);
          if (e < best.e) best = { e, k, p };
        }
        const r = obs.searchResult();
        equal(r.alpha, best.k / steps);
        equal(r.mse, best.e);
        deepEqual(obs.qparams(), best.p);
      },
    ),
    { numRuns: 300, seed: 32 },
  );
});

Deno.test("MseObserver: a finer grid never does worse than a coarser one it contains", () => {
  const x = laplaceWithOutliers(2000, 0.5, 3, 10, 4);
  const coarse = new MseObserver({ bits: 4, steps: 20 }),
    fine = new MseObserver({ bits: 4, steps: 400 });
  coarse.observe(x);
  fine.observe(x);
  ok(fine.searchResult().mse <= coarse.searchResult().mse);
});

Deno.test("MseObserver: caching, batches, reset and errors", () => {
  const g = new Philox(7);
  const x = new Float32Array(300).map(() => g.uniform() * 4 - 1);
  const one = new MseObserver({ bits: 4 }), split = new MseObserver({ bits: 4 });
  one.observe(x);
  split.observe(x.subarray(0, 100));
  const early = split.searchResult();
  split.observe(x.subarray(100));
  split.observe(new Float32Array(0));
  deepEqual(split.searchResult(), one.searchResult()); // the cache was invalidated
  const firstOnly = new MseObserver({ bits: 4 });
  firstOnly.observe(x.subarray(0, 100));
  deepEqual(early, firstOnly.searchResult()); // the early search saw the first batch only
  const r = one.range();
  equal(r.max, one.searchResult().max);
  equal(one.count, 300);
  // Mutating a returned result does not change the observer.
  const res = one.searchResult();
  res.params.scale = 123;
  ok(one.qparams().scale !== 123);
  one.reset();
  equal(one.count, 0);
  throws(() => one.qparams(), { name: "RangeError", message: /no data observed/ });
  throws(() => one.observe(new Float32Array([1, NaN])), /x\[1\] is NaN/);
  throws(() => new MseObserver({ steps: 0 }), /options.steps must be an integer/);
  throws(() => new MseObserver({ steps: 2.5 }), /options.steps/);
  // All zeros: every candidate is the same; α = 1 wins the tie.
  const z = new MseObserver();
  z.observe(new Float32Array(5));
  equal(z.searchResult().alpha, 1);
  equal(z.searchResult().mse, 0);
});

Deno.test("MseObserver: dynamic use, reset() + observe(batch) + qparams() per batch", () => {
  const obs = new MseObserver({ bits: 4, signed: true, symmetric: true, steps: 50 });
  for (let b = 0; b < 3; b++) {
    const batch = laplaceWithOutliers(500, 2 ** b, 1, 20 * 2 ** b, 40 + b);
    obs.reset();
    obs.observe(batch);
    const fresh = new MseObserver({ bits: 4, signed: true, symmetric: true, steps: 50 });
    fresh.observe(batch);
    deepEqual(obs.qparams(), fresh.qparams());
  }
});
