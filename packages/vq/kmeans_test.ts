import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { Philox } from "@lowbit/rounding";
import { kmeans } from "./kmeans.ts";
import { kmeans1d } from "./kmeans_1d.ts";

function blobs(seed: number, centers: number[][], per: number, spread: number): Float32Array {
  const r = new Philox(seed);
  const dim = centers[0].length;
  const x = new Float32Array(centers.length * per * dim);
  let o = 0;
  for (const c of centers) {
    for (let i = 0; i < per; i++) {
      for (let d = 0; d < dim; d++) x[o++] = c[d] + (r.uniform() - 0.5) * spread;
    }
  }
  return x;
}

Deno.test("kmeans recovers well-separated clusters and ends at a Lloyd fixed point", () => {
  const centers = [[0, 0, 0], [10, 0, 0], [0, 10, 0], [0, 0, 10]];
  const x = blobs(1, centers, 50, 1);
  const r = kmeans(x, 3, 4, { seed: 3 });
  ok(r.converged);
  // every true center has a centroid within 0.3
  for (const c of centers) {
    let best = Infinity;
    for (let j = 0; j < 4; j++) {
      let d = 0;
      for (let q = 0; q < 3; q++) d += (r.centroids[j * 3 + q] - c[q]) ** 2;
      best = Math.min(best, d);
    }
    ok(best < 0.09, `center ${c}`);
  }
  // fixed point: each centroid is the mean of its points, each point is nearest its centroid
  for (let j = 0; j < 4; j++) {
    const mean = [0, 0, 0];
    let cnt = 0;
    for (let i = 0; i < 200; i++) {
      if (r.assignments[i] !== j) continue;
      cnt++;
      for (let q = 0; q < 3; q++) mean[q] += x[i * 3 + q];
    }
    for (let q = 0; q < 3; q++) ok(Math.abs(mean[q] / cnt - r.centroids[j * 3 + q]) < 1e-5);
  }
});

Deno.test("kmeans is reproducible for a seed, and Wasm and TS assignment give identical runs", () => {
  const x = blobs(2, [[0, 0], [3, 1], [1, 4]], 40, 3);
  const a = kmeans(x, 2, 5, { seed: 11, kernel: "wasm" });
  const b = kmeans(x, 2, 5, { seed: 11, kernel: "ts" });
  deepEqual(a, b);
  deepEqual(kmeans(x, 2, 5, { seed: 11 }), a);
  ok(kmeans(x, 2, 5, { seed: 12 }).inertia > 0);
});

Deno.test("kmeans: the exact 1-D DP is never worse than Lloyd (many seeds, k-means++ and random init)", () => {
  const r = new Philox(9);
  for (let trial = 0; trial < 20; trial++) {
    const n = 30 + trial * 7;
    const x = new Float32Array(n).map(() => (r.uniform() - 0.5) * 10 * (r.uniform() < 0.2 ? 5 : 1));
    for (const k of [2, 3, 5, 8]) {
      const dp = kmeans1d(x, k);
      for (const init of ["kmeans++", "random"] as const) {
        const lloyd = kmeans(x, 1, k, { seed: trial, init });
        ok(dp.cost <= lloyd.inertia * (1 + 1e-5) + 1e-9, `trial ${trial} k ${k} ${init}`);
      }
    }
  }
});

Deno.test("kmeans: empty clusters take the farthest point; k = n gives zero inertia", () => {
  // all initial centroids at the first point: every cluster but one starts empty
  const x = new Float32Array([0, 1, 2, 10, 20]);
  const r = kmeans(x, 1, 3, { init: new Float32Array([0, 0, 0]) });
  equal(new Set(r.assignments).size, 3);
  equal(kmeans(x, 1, 5, { seed: 1 }).inertia, 0);
});

Deno.test("kmeans: bad input is rejected with named arguments", () => {
  const x = new Float32Array([1, 2, 3, 4]);
  throws(() => kmeans(x, 3, 1), /data.length \(4\) must be a multiple of dim \(3\)/);
  throws(() => kmeans(x, 2, 3), /k must be an integer in \[1, 2\]/);
  throws(() => kmeans(new Float32Array([1, NaN]), 1, 1), /data\[1\] is NaN/);
  throws(() => kmeans(new Float32Array(0), 1, 1), /data is empty/);
  throws(() => kmeans(x, 1, 2, { init: "best" as never }), /options.init must be/);
  throws(() => kmeans(x, 1, 2, { init: new Float32Array(3) }), /options.init must hold k×dim = 2/);
  throws(() => kmeans(x, 1, 2, { tol: -1 }), /options.tol/);
  throws(() => kmeans(new Float64Array(4) as never, 1, 2), /data must be a Float32Array/);
});

Deno.test("kmeans: integer weights equal replicating the points (same initial centroids)", () => {
  const r = new Philox(31);
  for (let trial = 0; trial < 10; trial++) {
    const dim = 1 + (trial % 3), n = 40, k = 2 + (trial % 4);
    const x = new Float32Array(n * dim).map(() => Math.round((r.uniform() - 0.5) * 64) / 8);
    const w = new Float32Array(n).map(() => Math.floor(r.uniform() * 4)); // 0..3, zeros included
    w[0] = 1;
    const rep: number[] = [];
    for (let i = 0; i < n; i++) {
      for (let t = 0; t < w[i]; t++) rep.push(...x.subarray(i * dim, (i + 1) * dim));
    }
    const init = x.slice(0, k * dim);
    const a = kmeans(x, dim, k, { weights: w, init, maxIter: 50, tol: 0 });
    const b = kmeans(Float32Array.from(rep), dim, k, { init, maxIter: 50, tol: 0 });
    for (let j = 0; j < k * dim; j++) {
      ok(Math.abs(a.centroids[j] - b.centroids[j]) <= 1e-6, `trial ${trial} centroid ${j}`);
    }
    ok(Math.abs(a.inertia - b.inertia) <= 1e-4 * (1 + b.inertia), `trial ${trial} inertia`);
  }
});
