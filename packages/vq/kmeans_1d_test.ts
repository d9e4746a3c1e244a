import { deepEqual, equal, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import { kmeans1d } from "./kmeans_1d.ts";

// Brute force: every assignment of n values to k labels (k^n), cost = Σ w (x − weighted mean)².
function bruteForce(x: number[], w: number[], k: number): number {
  const n = x.length;
  let best = Infinity;
  const labels = new Array(n).fill(0);
  const total = k ** n;
  for (let code = 0; code < total; code++) {
    let c = code;
    for (let i = 0; i < n; i++) {
      labels[i] = c % k;
      c = Math.floor(c / k);
    }
    let cost = 0;
    for (let g = 0; g < k; g++) {
      let sw = 0, sx = 0;
      for (let i = 0; i < n; i++) if (labels[i] === g) (sw += w[i]), (sx += w[i] * x[i]);
      if (sw === 0) continue;
      const m = sx / sw;
      for (let i = 0; i < n; i++) if (labels[i] === g) cost += w[i] * (x[i] - m) ** 2;
    }
    best = Math.min(best, cost);
  }
  return best;
}

Deno.test("kmeans1d equals brute force over all assignments (random small inputs, weighted)", () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: -20, max: 20 }), { minLength: 1, maxLength: 7 }),
      fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 7, maxLength: 7 }),
      fc.integer({ min: 1, max: 4 }),
      (xs, ws, k) => {
        const x = xs.map((v) => v / 4);
        const w = ws.slice(0, x.length).map((v) => v + 0.5);
        const kk = Math.min(k, x.length);
        const r = kmeans1d(new Float64Array(x), kk, { weights: new Float64Array(w) });
        const want = bruteForce(x, w, kk);
        return Math.abs(r.cost - want) <= 1e-9 * (1 + want);
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("kmeans1d: assignments are contiguous, each value nearest its centroid, cost consistent", () => {
  const x = new Float32Array(2000).map((_, i) => Math.sin(i * 12.9898) * 43758.5453 % 3);
  const r = kmeans1d(x, 16);
  equal(r.centroids.length, 16);
  for (let c = 1; c < 16; c++) ok(r.centroids[c] > r.centroids[c - 1]);
  let cost = 0;
  for (let i = 0; i < x.length; i++) {
    const a = r.assignments[i];
    cost += (x[i] - r.centroids[a]) ** 2;
    for (let c = 0; c < 16; c++) {
      ok(Math.abs(x[i] - r.centroids[a]) <= Math.abs(x[i] - r.centroids[c]) + 1e-6);
    }
  }
  ok(Math.abs(cost - r.cost) <= 1e-4 * r.cost);
});

Deno.test("kmeans1d: fewer distinct values than k, duplicates, k = n", () => {
  const r = kmeans1d(new Float32Array([3, 3, 3, 1]), 4);
  deepEqual([...r.centroids], [1, 3]);
  equal(r.cost, 0);
  deepEqual([...kmeans1d(new Float32Array([2, 1]), 2).assignments], [1, 0]);
  // a run of identical values gets exactly that value (no prefix-sum rounding)
  const z = new Float32Array(1000).fill(0.1);
  z[0] = 5;
  deepEqual([...kmeans1d(z, 2).centroids], [Math.fround(0.1), 5]);
});

Deno.test("kmeans1d: bad input is rejected with named arguments", () => {
  throws(() => kmeans1d(new Float32Array([]), 1), /values is empty/);
  throws(() => kmeans1d(new Float32Array([1, NaN]), 1), /values\[1\] is NaN/);
  throws(() => kmeans1d(new Float32Array([1, 2]), 3), /k must be an integer in \[1, 2\]/);
  throws(
    () => kmeans1d(new Float32Array([1, 2]), 1, { weights: new Float32Array([1, -1]) }),
    /weights\[1\] is -1/,
  );
  throws(() => kmeans1d([1, 2] as never, 1), /values must be a Float32Array or Float64Array/);
});
