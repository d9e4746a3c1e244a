import { deepEqual, equal, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import { Philox } from "@lowbit/rounding/philox";
import {
  binaryCodeAlternating,
  binaryCodeGreedy,
  binaryCodeLevels,
  binaryCodeSquaredError,
  decodeBinaryCode,
} from "./binary_code.ts";

/** n standard normal samples (Box–Muller on a seeded Philox stream). */
function gaussian(n: number, seed: number): Float32Array {
  const rng = new Philox(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = 1 - rng.uniform(), v = rng.uniform();
    out[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  return out;
}

const sumSq = (x: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return s;
};

Deno.test("greedy: error falls by exactly n·α_m² per term, so it decreases with m", () => {
  const x = gaussian(4096, 1);
  let prev = sumSq(x);
  for (let m = 1; m <= 6; m++) {
    const c = binaryCodeGreedy(x, m);
    const err = binaryCodeSquaredError(x, c);
    const drop = x.length * c.alphas[m - 1] ** 2;
    ok(Math.abs(prev - drop - err) <= 1e-9 * prev, `m = ${m}`);
    ok(err < prev, `m = ${m}: ${err} < ${prev}`);
    prev = err;
  }
  // Gaussian data: one term keeps 1 − 2/π ≈ 36.3 % of the energy.
  const e1 = binaryCodeSquaredError(x, binaryCodeGreedy(x, 1)) / sumSq(x);
  ok(Math.abs(e1 - (1 - 2 / Math.PI)) < 0.02, `${e1}`);
});

Deno.test("m = 1 is the XNOR-Net optimum: α = mean|x|, b = sign(x) (property)", () => {
  fc.assert(
    fc.property(
      fc.array(fc.float({ min: -100, max: 100, noNaN: true }), { minLength: 1, maxLength: 64 }),
      fc.double({ min: -0.5, max: 0.5, noNaN: true }),
      (arr, delta) => {
        const x = Float32Array.from(arr);
        const c = binaryCodeGreedy(x, 1);
        const meanAbs = arr.reduce((s, v) => s + Math.abs(Math.fround(v)), 0) / arr.length;
        ok(Math.abs(c.alphas[0] - meanAbs) <= 1e-12 * (1 + meanAbs));
        for (let j = 0; j < x.length; j++) equal(c.signs[j], x[j] >= 0 ? 1 : -1);
        // No other α does better with these signs (the error is a parabola in α).
        const other = { ...c, alphas: new Float64Array([c.alphas[0] * (1 + delta)]) };
        const e0 = binaryCodeSquaredError(x, c), e1 = binaryCodeSquaredError(x, other);
        ok(e1 >= e0 - 1e-9 * (1 + e0));
        // Alternating with m = 1 returns the same α (least squares given b = sign(x)).
        const alt = binaryCodeAlternating(x, 1);
        ok(Math.abs(alt.alphas[0] - meanAbs) <= 1e-9 * (1 + meanAbs));
      },
    ),
    { numRuns: 500, seed: 5 },
  );
});

Deno.test("alternating error ≤ greedy error for every m (property)", () => {
  fc.assert(
    fc.property(
      fc.array(fc.float({ min: -10, max: 10, noNaN: true }), { minLength: 1, maxLength: 50 }),
      fc.integer({ min: 1, max: 5 }),
      (arr, m) => {
        const x = Float32Array.from(arr);
        const g = binaryCodeSquaredError(x, binaryCodeGreedy(x, m));
        const a = binaryCodeSquaredError(x, binaryCodeAlternating(x, m));
        ok(a <= g, `m = ${m}: alternating ${a} > greedy ${g}`);
      },
    ),
    { numRuns: 500, seed: 8 },
  );
});

Deno.test("alternating improves clearly on Gaussian data and is a fixed point of both steps", () => {
  const x = gaussian(2048, 2);
  for (const m of [2, 3, 4]) {
    const g = binaryCodeSquaredError(x, binaryCodeGreedy(x, m));
    const c = binaryCodeAlternating(x, m, { iterations: 50 });
    const a = binaryCodeSquaredError(x, c);
    ok(a < 0.95 * g, `m = ${m}: ${a} vs greedy ${g}`);
    for (let i = 0; i < m; i++) ok(c.alphas[i] >= 0);
    // B given α: each coordinate takes the nearest of the 2^m values.
    const { values } = binaryCodeLevels(c.alphas);
    const y = new Float64Array(x.length);
    for (let j = 0; j < x.length; j++) {
      for (let i = 0; i < m; i++) y[j] += c.alphas[i] * c.signs[i * x.length + j];
      for (const v of values) ok(Math.abs(x[j] - y[j]) <= Math.abs(x[j] - v) + 1e-12);
    }
    // α given B: the least-squares residual is orthogonal to every b_i (up to convergence).
    for (let i = 0; i < m; i++) {
      let dot = 0;
      for (let j = 0; j < x.length; j++) dot += c.signs[i * x.length + j] * (x[j] - y[j]);
      ok(Math.abs(dot) < 1e-3 * x.length, `m = ${m}, i = ${i}: ${dot}`);
    }
  }
});

Deno.test("alternating recovers an exactly representable vector", () => {
  const rng = new Philox(4);
  const n = 300, alphas = [1.5, 0.625, 0.25];
  const x = new Float32Array(n);
  for (let j = 0; j < n; j++) {
    for (const a of alphas) x[j] += rng.uniform() < 0.5 ? a : -a;
  }
  const c = binaryCodeAlternating(x, 3);
  ok(binaryCodeSquaredError(x, c) < 1e-18);
  deepEqual(decodeBinaryCode(c), x);
  deepEqual([...c.alphas].map((a) => Math.round(a * 1e9) / 1e9).sort((p, q) => q - p), alphas);
});

Deno.test("binaryCodeLevels lists all 2^m pattern values in order", () => {
  const { values, patterns } = binaryCodeLevels([1, 1]);
  deepEqual([...values], [-2, 0, 0, 2]); // duplicates kept, smaller pattern first
  deepEqual([...patterns], [0, 1, 2, 3]);
  equal(binaryCodeLevels(new Float64Array(10).fill(1)).values.length, 1024);
});

Deno.test("errors name the argument", () => {
  throws(() => binaryCodeGreedy(new Float32Array(0), 1), /x must not be empty/);
  throws(() => binaryCodeGreedy(new Float32Array([Infinity]), 1), /x\[0\] must be finite/);
  throws(() => binaryCodeGreedy(new Float32Array([1]), 0), /m must be an integer in \[1, 16\]/);
  throws(() => binaryCodeGreedy(new Float32Array([1]), 17), RangeError);
  throws(
    () => binaryCodeAlternating(new Float32Array([1]), 2, { iterations: -1 }),
    /options.iterations must be a non-negative integer/,
  );
  throws(
    () => binaryCodeAlternating(new Float32Array([1]), 2, { tolerance: NaN }),
    /options.tolerance/,
  );
  const c = binaryCodeGreedy(new Float32Array([1, 2]), 1);
  throws(() => binaryCodeSquaredError(new Float32Array([1]), c), /x has 1 elements but/);
  throws(() => decodeBinaryCode({ ...c, signs: new Int8Array(1) }), /code must have m alphas/);
  throws(() => binaryCodeLevels([1, NaN]), /alphas\[1\] must be finite/);
  throws(() => binaryCodeGreedy([1] as never, 1), TypeError);
});
