import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { Philox } from "@lowbit/rounding";
import { ProductQuantizer } from "./product.ts";

function normal(n: number, seed: number): Float32Array {
  const r = new Philox(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = 1 - r.uniform(), v = r.uniform();
    const rad = Math.sqrt(-2 * Math.log(u));
    x[i] = rad * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) x[i + 1] = rad * Math.sin(2 * Math.PI * v);
  }
  return x;
}

Deno.test("encode is the exact nearest centroid with ties to the lowest index (integer data, brute force)", () => {
  const r = new Philox(3);
  const dim = 6, M = 3, nbits = 3, ksub = 8, dsub = 2, n = 300;
  const pq = new ProductQuantizer(dim, M, nbits);
  const cent = new Float32Array(M * ksub * dsub).map(() => Math.floor(r.uniform() * 5) - 2);
  pq.setCentroids(cent);
  const x = new Float32Array(n * dim).map(() => Math.floor(r.uniform() * 7) - 3);
  for (const kernel of ["wasm", "ts"] as const) {
    const idx = pq.unpackCodes(pq.encode(x, { kernel }));
    for (let i = 0; i < n; i++) {
      for (let m = 0; m < M; m++) {
        let best = Infinity, arg = -1;
        for (let j = 0; j < ksub; j++) {
          let d = 0;
          for (let q = 0; q < dsub; q++) {
            d += (x[i * dim + m * dsub + q] - cent[(m * ksub + j) * dsub + q]) ** 2;
          }
          if (d < best) (best = d), (arg = j);
        }
        equal(idx[i * M + m], arg, `${kernel} vector ${i} sub ${m}`);
      }
    }
  }
});

Deno.test("Wasm and TypeScript paths agree bit for bit (encode, ADC) on standard-normal data", () => {
  const x = normal(500 * 32, 1);
  const pq = new ProductQuantizer(32, 8, 8);
  pq.train(x.subarray(0, 400 * 32), { seed: 2, maxIter: 5 });
  const a = pq.encode(x, { kernel: "wasm" }), b = pq.encode(x, { kernel: "ts" });
  deepEqual(a, b);
  const q = x.subarray(0, 32);
  deepEqual(pq.adcDistances(a, q, { kernel: "wasm" }), pq.adcDistances(a, q, { kernel: "ts" }));
});

Deno.test("code packing round-trips for every nbits in 1..16", () => {
  const r = new Philox(4);
  for (let nbits = 1; nbits <= 16; nbits++) {
    const M = 5, pq = new ProductQuantizer(10, M, nbits), n = 13;
    equal(pq.codeSize, Math.ceil((M * nbits) / 8));
    const idx = new Uint16Array(n * M).map(() => r.nextUint32() % 2 ** nbits);
    deepEqual(pq.unpackCodes(pq.packCodes(idx, n)), idx, `nbits ${nbits}`);
  }
});

Deno.test("decode and ADC: decode gives the centroids, ADC equals the distance to the decoded vector", () => {
  const x = normal(300 * 8, 5);
  for (const nbits of [4, 8, 10]) {
    const pq = new ProductQuantizer(8, 4, nbits);
    pq.train(x.subarray(0, 300 * 8).length >= 8 * 2 ** nbits ? x : normal(2 ** nbits * 8 * 2, 6), {
      seed: 1,
      maxIter: 4,
    });
    const codes = pq.encode(x);
    const rec = pq.decode(codes);
    const q = normal(8, 7);
    const d = pq.adcDistances(codes, q);
    for (let i = 0; i < 300; i++) {
      let e = 0;
      for (let t = 0; t < 8; t++) e += (q[t] - rec[i * 8 + t]) ** 2;
      ok(Math.abs(d[i] - e) <= 1e-5 * (1 + e), `nbits ${nbits} code ${i}`);
    }
  }
});

Deno.test("search returns the k smallest ADC distances, ties to the lowest index", () => {
  const pq = new ProductQuantizer(2, 2, 2);
  pq.setCentroids(new Float32Array([0, 1, 2, 3, 0, 1, 2, 3]));
  // codes with repeated vectors to force ties
  const idx = new Uint16Array([0, 0, 1, 1, 0, 0, 3, 3, 1, 1, 2, 0]);
  const codes = pq.packCodes(idx, 6);
  const { distances, labels } = pq.search(codes, new Float32Array([1, 1, 0, 0]), 3);
  deepEqual([...labels.subarray(0, 3)], [1, 4, 0]); // distance 0, 0, then 2 (codes 0 and 2 tie)
  deepEqual([...distances.subarray(0, 3)], [0, 0, 2]);
  deepEqual([...labels.subarray(3, 6)], [0, 2, 1]); // 0, 0, then 2 (codes 1 and 4 tie)
  const few = pq.search(codes, new Float32Array([1, 1]), 8);
  deepEqual([...few.labels.subarray(6)], [-1, -1]);
});

Deno.test("more bits, lower reconstruction error", () => {
  const x = normal(2000 * 16, 8);
  let prev = Infinity;
  for (const nbits of [2, 4, 6, 8]) {
    const pq = new ProductQuantizer(16, 4, nbits);
    pq.train(x, { seed: 0, maxIter: 10 });
    const rec = pq.decode(pq.encode(x));
    let mse = 0;
    for (let i = 0; i < x.length; i++) mse += (x[i] - rec[i]) ** 2;
    mse /= x.length;
    ok(mse < prev, `nbits ${nbits}: ${mse}`);
    prev = mse;
  }
});

Deno.test("ProductQuantizer: bad input is rejected with named arguments", () => {
  throws(() => new ProductQuantizer(10, 3), /dim \(10\) must be divisible by M \(3\)/);
  throws(() => new ProductQuantizer(8, 2, 0), /nbits must be an integer in \[1, 16\]/);
  throws(() => new ProductQuantizer(8, 2, 17), /nbits must be an integer in \[1, 16\]/);
  const pq = new ProductQuantizer(4, 2, 4);
  throws(() => pq.encode(new Float32Array(4)), /not trained/);
  throws(
    () => pq.train(new Float32Array(4 * 10)),
    /k \(2\^nbits = 16\) is larger than the number of training vectors \(10\)/,
  );
  throws(() => pq.train(new Float32Array(0)), /data is empty/);
  throws(() => pq.train(new Float32Array([1, 2, NaN, 4])), /data\[2\] is NaN/);
  throws(() => pq.train(new Float32Array(6)), /data.length \(6\) must be a multiple of dim \(4\)/);
  throws(() => pq.setCentroids(new Float32Array(3)), /centroids must hold/);
  pq.setCentroids(new Float32Array(2 * 16 * 2).map((_, i) => i));
  const codes = pq.encode(new Float32Array([1, 2, 3, 4]));
  throws(() => pq.adcDistances(codes, new Float32Array([0, NaN, 0, 0])), /query\[1\] is NaN/);
  throws(() => pq.distanceTable(new Float32Array([0, 0, Infinity, 0])), /query\[2\] is Infinity/);
});

Deno.test("search equals a full stable sort of the ADC distances (packed, byte and 16-bit codes)", () => {
  const r = new Philox(12);
  for (const nbits of [3, 8, 11]) {
    const dim = 8, M = 4, n = 700;
    const pq = new ProductQuantizer(dim, M, nbits);
    // a coarse grid of centroids makes equal distances (ties) common
    pq.setCentroids(
      new Float32Array(M * 2 ** nbits * 2).map(() => Math.round(r.uniform() * 6) / 2),
    );
    const x = new Float32Array(n * dim).map(() => Math.round(r.uniform() * 6) / 2);
    const codes = pq.encode(x);
    const queries = new Float32Array(3 * dim).map(() => Math.round(r.uniform() * 6) / 2);
    for (const kernel of ["wasm", "ts"] as const) {
      const k = 25;
      const got = pq.search(codes, queries, k, { kernel });
      for (let q = 0; q < 3; q++) {
        const d = pq.adcDistances(codes, queries.subarray(q * dim, (q + 1) * dim), { kernel });
        const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => d[a] - d[b] || a - b);
        deepEqual([...got.labels.subarray(q * k, (q + 1) * k)], order.slice(0, k), `${nbits}`);
        deepEqual(
          [...got.distances.subarray(q * k, (q + 1) * k)],
          order.slice(0, k).map((i) => d[i]),
        );
      }
    }
  }
});
