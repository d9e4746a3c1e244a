import { deepEqual, equal } from "node:assert/strict";
import { Philox } from "@lowbit/rounding";
import { nearestReference, nearestWasm } from "./_nearest.ts";

Deno.test("nearest: Wasm equals the float32 reference bit for bit, ties to the lowest index", () => {
  const r = new Philox(5);
  for (
    const [n, m, dsub, ksub] of [[1, 1, 1, 1], [37, 8, 4, 256], [50, 3, 5, 7], [20, 2, 1, 3], [
      9,
      1,
      13,
      33,
    ]]
  ) {
    const dim = m * dsub;
    const x = new Float32Array(n * dim).map(() => r.uniform() * 4 - 2);
    // quantized centroids make exact ties frequent
    const centroids = new Float32Array(m * ksub * dsub).map(() => Math.round(r.uniform() * 4 - 2));
    for (let i = 0; i < Math.min(n, 5); i++) x.set(centroids.subarray(0, dsub), i * dim); // distance 0
    const job = { x, n, dim, m, dsub, centroids, ksub };
    const want = nearestReference(job), got = nearestWasm(job);
    deepEqual(got.index, want.index, `${n} ${m} ${dsub} ${ksub}`);
    deepEqual(got.distance, want.distance);
  }
});

Deno.test("nearest: duplicate centroids resolve to the first", () => {
  const centroids = new Float32Array([1, 5, 1, 5, 1]);
  const job = { x: new Float32Array([1.2, 3]), n: 2, dim: 1, m: 1, dsub: 1, centroids, ksub: 5 };
  deepEqual([...nearestWasm(job).index], [0, 0]); // 3 is 2 away from both 1 and 5: index 0
  deepEqual([...nearestReference(job).index], [0, 0]);
  equal(nearestWasm(job).distance[1], 4);
});

Deno.test("nearest: padding slots never win, even for data near ±3.4e38 (ksub not a multiple of 4)", () => {
  // distances overflow to +∞ for every real centroid: the reference then keeps index 0
  const big = 3.4e38;
  for (const [dsub, ksub] of [[1, 3], [4, 5], [4, 2], [2, 7]]) {
    const x = new Float32Array([big, -big, 0, big / 2, 3.3e38, -3.3e38, 1, 2].slice(0, 4 * dsub));
    const n = x.length / dsub;
    const centroids = new Float32Array(ksub * dsub).map((_, i) => (i % 3) - 1);
    const job = { x, n, dim: dsub, m: 1, dsub, centroids, ksub };
    const want = nearestReference(job), got = nearestWasm(job);
    deepEqual(got.index, want.index, `dsub ${dsub} ksub ${ksub}`);
    deepEqual(got.distance, want.distance);
    for (const i of got.index) equal(i >= 0 && i < ksub, true);
  }
});
