import { deepEqual, equal, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import { Philox } from "@lowbit/rounding/philox";
import { PercentileObserver, percentileSorted } from "./percentile.ts";
import { MinMaxObserver } from "./minmax.ts";
import { qparamsFromRange } from "../params.ts";

// Values up to half of FLT_MAX so that max − min stays a float32 (wider ranges are a RangeError).
const F32_HALF_MAX = Math.fround(1.7e38);

const close = (a: number, b: number, tol = 1e-12) => Math.abs(a - b) <= tol * (1 + Math.abs(b));

Deno.test("percentileSorted: NumPy linear interpolation, hand-computed", () => {
  // sorted [−3, 1, 1, 2, 4, 5, 6, 9], n = 8:
  //   p = 90: h = 7 · 0.9 = 6.3 → 6 + 0.3 · (9 − 6) = 6.9
  //   p = 10: h = 0.7 → −3 + 0.7 · (1 − (−3)) = −0.2
  //   p = 50: h = 3.5 → (2 + 4) / 2 = 3
  const s = [-3, 1, 1, 2, 4, 5, 6, 9];
  ok(close(percentileSorted(s, 90), 6.9));
  ok(close(percentileSorted(s, 10), -0.2));
  equal(percentileSorted(s, 50), 3);
  equal(percentileSorted(s, 0), -3);
  equal(percentileSorted(s, 100), 9);
  equal(percentileSorted([7], 37), 7);
  throws(() => percentileSorted([], 50), /at least one value/);
  throws(() => percentileSorted(s, 100.5), /p must be a number in \[0, 100\]/);
  throws(() => percentileSorted(s, NaN), RangeError);
});

Deno.test("percentileSorted lies between the order statistics it interpolates and grows with p (property)", () => {
  fc.assert(
    fc.property(
      fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 50 }),
      fc.double({ min: 0, max: 100, noNaN: true }),
      fc.double({ min: 0, max: 100, noNaN: true }),
      (xs, p, q) => {
        const s = [...xs].sort((a, b) => a - b);
        const v = percentileSorted(s, p);
        const h = (s.length - 1) * p / 100;
        const lo = s[Math.floor(h)], hi = s[Math.min(Math.ceil(h), s.length - 1)];
        ok(v >= lo - 1e-9 * Math.abs(lo) && v <= hi + 1e-9 * Math.abs(hi));
        if (p <= q) ok(v <= percentileSorted(s, q) + 1e-9 * (1 + Math.abs(v)));
      },
    ),
    { numRuns: 500, seed: 21 },
  );
});

Deno.test("PercentileObserver: hand example across batches; qparams from the clipped range", () => {
  const obs = new PercentileObserver({ percentile: 90, bits: 8, signed: true });
  obs.observe(new Float32Array([-3, 1, 4, 1]));
  obs.observe({ data: new Float32Array([5, 9, 2, 6]), shape: [2, 2] });
  equal(obs.count, 8);
  ok(obs.exact);
  deepEqual([...obs.values()], [-3, 1, 1, 2, 4, 5, 6, 9]);
  const r = obs.range();
  ok(close(r.min, -0.2) && close(r.max, 6.9));
  deepEqual(obs.qparams(), {
    ...qparamsFromRange(r.min, r.max, { qmin: -128, qmax: 127 }),
    qmin: -128,
    qmax: 127,
  });
  // Hand: S = (6.9 + 0.2) / 255 ≈ 0.027843, Z = −128 − round(−0.2 / S) = −128 + 7 = −121.
  equal(obs.qparams().zeroPoint, -121);
  ok(Math.abs((obs.qparams().scale as number) - 7.1 / 255) < 1e-7);
});

Deno.test("PercentileObserver: the default 99.99 / 0.01 percentiles of 0..9999", () => {
  // h_hi = 9999 · 0.9999 = 9998.0001 → 9998.0001; h_lo = 9999 · 0.0001 = 0.9999 → 0.9999.
  const obs = new PercentileObserver();
  obs.observe(new Float32Array(10_000).map((_, i) => i));
  const r = obs.range();
  ok(close(r.min, 0.9999, 1e-9), `${r.min}`);
  ok(close(r.max, 9998.0001, 1e-9), `${r.max}`);
});

Deno.test("PercentileObserver: 0 / 100 percentiles equal MinMaxObserver (property)", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.array(fc.float({ noNaN: true, min: -F32_HALF_MAX, max: F32_HALF_MAX }), {
          maxLength: 20,
        }),
        {
          minLength: 1,
          maxLength: 5,
        },
      ),
      fc.boolean(),
      (batches, symmetric) => {
        fc.pre(batches.some((b) => b.length > 0));
        const p = new PercentileObserver({ percentile: 100, lowerPercentile: 0, symmetric });
        const m = new MinMaxObserver({ symmetric });
        for (const b of batches) {
          p.observe(new Float32Array(b));
          m.observe(new Float32Array(b));
        }
        deepEqual(p.range(), m.range());
        deepEqual(p.qparams(), m.qparams());
      },
    ),
    { numRuns: 200, seed: 22 },
  );
});

Deno.test("PercentileObserver: past capacity it needs a random source, then keeps a reservoir", () => {
  const strict = new PercentileObserver({ capacity: 4 });
  strict.observe(new Float32Array([1, 2, 3]));
  throws(() => strict.observe(new Float32Array([4, 5])), {
    name: "RangeError",
    message: /exceed options.capacity = 4 \(3 held\)/,
  });
  equal(strict.count, 3); // unchanged

  const n = 200_000, cap = 20_000;
  const obs = new PercentileObserver({ capacity: cap, random: new Philox(9), percentile: 99 });
  const g = new Philox(10);
  for (let b = 0; b < 10; b++) obs.observe(new Float32Array(n / 10).map(() => g.uniform()));
  equal(obs.count, n);
  equal(obs.exact, false);
  const kept = obs.values();
  equal(kept.length, cap);
  // A uniform sample of U(0, 1): its percentiles estimate p / 100 (σ ≈ √(p(1−p)/cap) ≈ 0.0007).
  const r = obs.range();
  ok(Math.abs(r.max - 0.99) < 0.005 && Math.abs(r.min - 0.01) < 0.005, `${r.min}, ${r.max}`);
  ok(Math.abs(percentileSorted(kept, 50) - 0.5) < 0.02);
  obs.reset();
  equal(obs.count, 0);
  throws(() => obs.range(), /no data observed/);
});

Deno.test("PercentileObserver: option and input errors name the argument", () => {
  throws(
    () => new PercentileObserver({ percentile: 101 }),
    /options.percentile must be a number in \[0, 100\]/,
  );
  throws(
    () => new PercentileObserver({ percentile: 90, lowerPercentile: 95 }),
    /options.lowerPercentile/,
  );
  throws(() => new PercentileObserver({ capacity: 0 }), /options.capacity/);
  throws(() => new PercentileObserver({ capacity: 2.5 }), /options.capacity/);
  throws(
    () => new PercentileObserver({ random: {} as unknown as Philox }),
    { name: "TypeError", message: /options.random/ },
  );
  const obs = new PercentileObserver();
  throws(() => obs.qparams(), /no data observed/);
  obs.observe(new Float32Array(0));
  throws(() => obs.qparams(), /no data observed/);
  throws(() => obs.observe(new Float32Array([0, 1, -Infinity])), /x\[2\] is -Infinity/);
  throws(() => obs.observe(new Float32Array([NaN])), /x\[0\] is NaN/);
  equal(obs.count, 0);
});
