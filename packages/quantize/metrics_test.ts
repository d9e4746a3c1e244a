import { deepEqual, equal, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import { Philox } from "@lowbit/rounding/philox";
import { fakeQuantize } from "./uniform.ts";
import { quantizeCodebook } from "./nonuniform/codebook.ts";
import { cosineSimilarity, errorReport, maxAbsError, mse, sqnrDb } from "./metrics.ts";

Deno.test("uniform rounding noise is Δ²/12 on a fine uniform sample (within 1%)", () => {
  for (const delta of [Math.fround(0.037), 2 ** -6, Math.fround(0.3)]) {
    // A fine grid over many steps (incommensurate with Δ), no clipping.
    const n = 200_001, a = 100 * delta;
    const x = Float32Array.from({ length: n }, (_, i) => -a + (2 * a * i) / (n - 1) + 1e-3 * delta);
    const p = { scale: delta, zeroPoint: 0, qmin: -32768, qmax: 32767 };
    const e = mse(x, fakeQuantize(x, p));
    ok(Math.abs(e / (delta ** 2 / 12) - 1) < 0.01, `Δ = ${delta}: ${e} vs ${delta ** 2 / 12}`);
    // Δ/2 plus float32 rounding of x·fl(1/S) and of the output (a few ulp of 100Δ).
    ok(maxAbsError(x, fakeQuantize(x, p)) <= delta / 2 * (1 + 1e-4));
  }
  // The same on a random (Philox) uniform sample.
  const rng = new Philox(12);
  const x = new Float32Array(100_000);
  for (let i = 0; i < x.length; i++) x[i] = (rng.uniform() - 0.5) * 50;
  const p = { scale: 0.1, zeroPoint: 0, qmin: -1000, qmax: 1000 };
  ok(Math.abs(mse(x, fakeQuantize(x, p)) / (0.01 / 12) - 1) < 0.01);
});

Deno.test("full-scale uniform signal: SQNR = 20·b·log10(2) ≈ 6.02·b dB (within 0.05 dB)", () => {
  const rng = new Philox(13);
  const amp = 1.7, n = 200_000;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = (rng.uniform() * 2 - 1) * amp;
  for (let b = 2; b <= 8; b++) {
    // Mid-rise quantizer over [−A, A]: 2^b levels (k + ½)Δ − A, Δ = 2A / 2^b.
    const d = (2 * amp) / 2 ** b;
    const levels = Float64Array.from({ length: 2 ** b }, (_, k) => (k + 0.5) * d - amp);
    const s = sqnrDb(x, quantizeCodebook(x, levels));
    const expect = 20 * b * Math.log10(2);
    ok(Math.abs(s - expect) < 0.05, `b = ${b}: ${s} vs ${expect}`);
  }
});

Deno.test("errorReport agrees with the single metrics and their relations (property)", () => {
  const arr = fc.array(fc.float({ min: -1e3, max: 1e3, noNaN: true }), {
    minLength: 1,
    maxLength: 60,
  });
  fc.assert(
    fc.property(arr, fc.array(fc.float({ min: -1, max: 1, noNaN: true })), (a, noise) => {
      const x = Float32Array.from(a);
      const y = Float32Array.from(a, (v, i) => v + (noise[i % Math.max(noise.length, 1)] ?? 0));
      const r = errorReport(x, y);
      equal(r.n, x.length);
      equal(r.mse, mse(x, y));
      equal(r.sqnrDb, sqnrDb(x, y));
      equal(r.maxAbsError, maxAbsError(x, y));
      equal(r.cosine, cosineSimilarity(x, y));
      ok(r.mse >= 0 && r.maxAbsError ** 2 >= r.mse * (1 - 1e-12));
      ok(r.cosine >= -1 && r.cosine <= 1);
      if (r.mse > 0) {
        let sxx = 0;
        for (const v of x) sxx += v * v;
        const s = 10 * Math.log10(sxx / x.length / r.mse);
        ok(
          Math.abs(r.sqnrDb - s) <= 1e-9 * (1 + Math.abs(s)) ||
            (sxx === 0 && r.sqnrDb === -Infinity),
        );
      } else {
        equal(r.sqnrDb, Infinity);
      }
      // Symmetric in its arguments, except SQNR.
      equal(mse(y, x), r.mse);
      equal(cosineSimilarity(y, x), r.cosine);
    }),
    { numRuns: 2000, seed: 14 },
  );
});

Deno.test("float64 accumulation over a long float32 input", () => {
  const n = 1_000_000, v = Math.fround(0.1);
  const x = new Float32Array(n).fill(v);
  const zero = new Float32Array(n);
  // A float32 running sum would drift by ~1e-3 relative here; float64 stays within n·ε ≈ 1e-10.
  ok(Math.abs(mse(x, zero) / (v * v) - 1) < 1e-9);
  const half = Float32Array.from(x, (t) => t / 2);
  ok(Math.abs(sqnrDb(x, half) - 10 * Math.log10(4)) < 1e-9);
});

Deno.test("exact and degenerate inputs", () => {
  deepEqual(errorReport([1, -2, 3], new Float32Array([1, -2, 3])), {
    mse: 0,
    sqnrDb: Infinity,
    maxAbsError: 0,
    cosine: 1,
    n: 3,
  });
  equal(sqnrDb([0, 0], [0, 0]), Infinity);
  equal(sqnrDb([0, 0], [0, 1]), -Infinity);
  equal(cosineSimilarity([0, 0], [1, 1]), 0);
  equal(cosineSimilarity([0, 0], [0, 0]), 0);
  ok(Number.isNaN(mse([NaN], [0])));
  ok(Number.isNaN(maxAbsError([1, NaN, 2], [1, 0, 5])));
  ok(Number.isNaN(sqnrDb([NaN], [NaN])));
  ok(Number.isNaN(cosineSimilarity([1, NaN], [1, 1])));
  // Float32 extremes: no overflow in the norm product (Σx² · Σx̂² ≈ 8e153).
  equal(cosineSimilarity(new Float32Array([3e38, 3e38]), new Float32Array([1e38, 1e38])), 1);
  // Σx² · Σx̂² underflows (≈ 1.6e-399): two separate roots instead.
  ok(Math.abs(cosineSimilarity([1e-100, 1e-100], [2e-100, 2e-100]) - 1) < 1e-15);
});

Deno.test("errors name the arguments", () => {
  throws(() => mse([1, 2], [1]), /x and xhat must have the same length; got 2 and 1/);
  throws(() => errorReport([], []), /x and xhat must not be empty/);
  throws(() => sqnrDb(null as never, [1]), /x must be an array/);
  throws(() => cosineSimilarity([1], 3 as never), /xhat must be an array/);
});
