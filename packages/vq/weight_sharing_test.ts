import { deepEqual, equal, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import { packBits } from "@lowbit/numerics/packing";
import { Philox } from "@lowbit/rounding";
import { kmeans1d } from "./kmeans_1d.ts";
import {
  assignNearest,
  clusterGradients,
  fineTuneCodebook,
  indexBits,
  packIndices,
  reconstructShared,
  shareWeights,
  sharingMemory,
  unpackIndices,
} from "./weight_sharing.ts";

// Han et al. 2016 (Deep Compression), Fig. 3 — the matrix the lecture's 5.4.1 figures show
// (the seed notes carry it only as an image): weights, cluster indices, centroids, gradients.
const W = new Float32Array([
  2.09,
  -0.98,
  1.48,
  0.09,
  0.05,
  -0.14,
  -1.08,
  2.12,
  -0.91,
  1.92,
  0,
  -1.03,
  1.87,
  0,
  1.53,
  1.49,
]);
const IDX = [3, 0, 2, 1, 1, 1, 0, 3, 0, 3, 1, 0, 3, 1, 2, 2];
const CENTROIDS = [-1, 0, 1.5, 2];
const GRAD = new Float32Array([
  -0.03,
  -0.01,
  0.03,
  0.02,
  -0.01,
  0.01,
  -0.02,
  0.12,
  -0.01,
  0.02,
  0.04,
  0.01,
  -0.07,
  -0.02,
  0.01,
  -0.02,
]);
const GRAD_REDUCED = [-0.03, 0.04, 0.02, 0.04]; // figure: "group by" + "reduce", clusters 0..3
const FINE_TUNED = [-0.97, -0.04, 1.48, 1.96]; // figure, learning rate 1

function closeTo(a: ArrayLike<number>, b: ArrayLike<number>, tol: number): boolean {
  return a.length === b.length && Array.from(a).every((v, i) => Math.abs(v - b[i]) <= tol);
}

Deno.test("lecture 5.4.1 example 2: 4×4 fp32, 4 clusters: 64 B → 4 B + 16 B = 20 B, 3.2×", () => {
  const m = sharingMemory(16, 4);
  equal(m.beforeBits, 512);
  equal(m.indexBits, 32);
  equal(m.codebookBits, 128);
  equal(m.afterBits / 8, 20);
  equal(m.ratio, 3.2);
  // and with the real bytes: the packed indices of the figure's matrix and a float32 codebook
  const s = shareWeights(W, 4);
  equal(s.bits, 2);
  equal(packIndices(s.indices, s.bits).byteLength, 4);
  equal(s.codebook.byteLength, 16);
  equal(W.byteLength / (4 + 16), 3.2);
});

Deno.test("Deep Compression Fig. 3: clustering, indices, gradient reduction and fine-tuned centroids", () => {
  const s = shareWeights(W, 4);
  ok(closeTo(s.codebook, CENTROIDS, 1e-6), `codebook ${[...s.codebook]}`);
  deepEqual([...s.indices], IDX);
  // the figure's clustering is the global optimum: the DP cost equals the cost of its clusters
  let figureCost = 0;
  for (let i = 0; i < 16; i++) figureCost += (W[i] - CENTROIDS[IDX[i]]) ** 2;
  ok(Math.abs(kmeans1d(W, 4).cost - figureCost) < 1e-5);
  ok(closeTo(clusterGradients(new Int32Array(IDX), GRAD, 4), GRAD_REDUCED, 1e-7));
  const tuned = fineTuneCodebook(
    { codebook: new Float32Array(CENTROIDS), indices: new Int32Array(IDX), bits: 2 },
    GRAD,
    1,
  );
  ok(closeTo(tuned, FINE_TUNED, 1e-6), `tuned ${[...tuned]}`);
  // linear initialisation + Lloyd finds the same clusters on this matrix
  deepEqual([...shareWeights(W, 4, { init: "linear" }).indices], IDX);
});

Deno.test("sharingMemory approaches 32/N for large matrices (lecture: about 32/N×)", () => {
  for (const bits of [1, 2, 3, 4, 5, 8]) {
    const k = 2 ** bits;
    const r = sharingMemory(1e9, k).ratio;
    ok(Math.abs(r - 32 / bits) < 1e-5 * (32 / bits), `${bits}: ${r}`);
    ok(r < 32 / bits);
  }
  equal(sharingMemory(10, 3, { weightBits: 16, codebookBits: 16 }).afterBits, 10 * 2 + 3 * 16);
});

Deno.test("packIndices equals @lowbit/numerics packBits for 1, 2, 4, 8 bits; round trip for 1..16", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 16 }),
      fc.array(fc.nat(), { maxLength: 100 }),
      (bits, raw) => {
        const v = raw.map((x) => x % 2 ** bits);
        const packed = packIndices(v, bits);
        if (packed.length !== Math.ceil((v.length * bits) / 8)) return false;
        if (bits === 1 || bits === 2 || bits === 4 || bits === 8) {
          const ref = packBits(v, bits);
          if (ref.length !== packed.length || ref.some((b, i) => b !== packed[i])) return false;
        }
        const back = unpackIndices(packed, bits, v.length);
        return v.every((x, i) => back[i] === x);
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("shareWeights: every index is the nearest centroid; optimal ≤ linear+Lloyd; Lloyd fixpoint", () => {
  const rng = new Philox(3, 0);
  for (const [n, k] of [[500, 4], [2000, 16], [300, 32]]) {
    const w = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const u = rng.uniform() - 0.5; // Laplace(0, 0.1)
      w[i] = -0.1 * Math.sign(u) * Math.log(1 - 2 * Math.abs(u));
    }
    const cost = (s: { codebook: Float32Array; indices: Int32Array }) =>
      w.reduce((a, x, i) => a + (x - s.codebook[s.indices[i]]) ** 2, 0);
    const opt = shareWeights(w, k);
    const lin = shareWeights(w, k, { init: "linear" });
    for (const s of [opt, lin]) {
      equal(s.bits, Math.ceil(Math.log2(k)));
      for (let i = 0; i < n; i++) {
        const d = Math.abs(w[i] - s.codebook[s.indices[i]]);
        for (const c of s.codebook) ok(d <= Math.abs(w[i] - c));
      }
    }
    ok(cost(opt) <= cost(lin) * (1 + 1e-6), `${n},${k}: ${cost(opt)} vs ${cost(lin)}`);
    // Lloyd converged: each non-empty centroid is the float32 mean of its cluster
    for (let j = 0; j < k; j++) {
      let s0 = 0, s1 = 0;
      for (let i = 0; i < n; i++) if (lin.indices[i] === j) (s0++, s1 += w[i]);
      if (s0 > 0) ok(Math.abs(lin.codebook[j] - s1 / s0) <= 1e-6, `centroid ${j}`);
    }
    const rec = reconstructShared(opt);
    for (let i = 0; i < n; i++) equal(rec[i], opt.codebook[opt.indices[i]]);
  }
});

Deno.test("clusterGradients equals the finite-difference gradient of L(codebook) = Σ f(ŵᵢ)", () => {
  // f(ŵ) = sin(3ŵ)·ŵ, so ∂L/∂ŵᵢ = 3cos(3ŵᵢ)ŵᵢ + sin(3ŵᵢ); L as a function of one centroid.
  const rng = new Philox(11, 0);
  const n = 200, k = 5;
  const idx = new Int32Array(n).map(() => Math.floor(rng.uniform() * k));
  const codebook = new Float64Array([-0.7, -0.2, 0.1, 0.4, 0.9]);
  const f = (x: number) => Math.sin(3 * x) * x;
  const L = (c: Float64Array) => idx.reduce((a, j) => a + f(c[j]), 0);
  const g = new Float64Array(n).map((_, i) => {
    const x = codebook[idx[i]];
    return 3 * Math.cos(3 * x) * x + Math.sin(3 * x);
  });
  const got = clusterGradients(idx, g, k);
  const h = 1e-5;
  for (let j = 0; j < k; j++) {
    const p = codebook.slice(), m = codebook.slice();
    p[j] += h;
    m[j] -= h;
    const fd = (L(p) - L(m)) / (2 * h);
    ok(Math.abs(fd - got[j]) <= 1e-6 * (1 + Math.abs(fd)), `${j}: ${fd} vs ${got[j]}`);
  }
});

Deno.test("fine-tuning the codebook by SGD on ½‖ŵ − w‖² moves each centroid toward its cluster mean", () => {
  // ∂/∂c = Σ (c − wᵢ) = n_c (c − mean_c): with η = 1/n_c... a common η = 0.5/max n_c halves
  // the distance for the largest cluster; every distance shrinks.
  const w = new Float32Array([0, 0.1, 0.2, 1, 1.2, 5]);
  const shared = {
    codebook: new Float32Array([0.3, 0.9, 4]),
    indices: new Int32Array([0, 0, 0, 1, 1, 2]),
    bits: 2,
  };
  const rec = reconstructShared(shared);
  const grads = new Float32Array(w.length).map((_, i) => rec[i] - w[i]);
  const c = fineTuneCodebook(shared, grads, 1 / 6);
  const means = [0.1, 1.1, 5];
  for (let j = 0; j < 3; j++) {
    ok(Math.abs(c[j] - means[j]) < Math.abs(shared.codebook[j] - means[j]));
  }
  ok(Math.abs(c[0] - (0.3 - (3 * (0.3 - 0.1)) / 6)) < 1e-6);
});

Deno.test("shareWeights: fewer distinct values than k gives a shorter codebook; k = 1 is the mean", () => {
  const s = shareWeights(new Float32Array([1, 1, 2, 2, 2]), 4);
  deepEqual([...s.codebook], [1, 2]);
  equal(s.bits, 1);
  // a cluster of identical values (pruned zeros) is exactly that value
  deepEqual([...shareWeights(new Float32Array([0, 0, 0, 0, 0, 0, 0, 3, -1, 2.5]), 4).codebook], [
    -1,
    0,
    2.5,
    3,
  ]);
  const one = shareWeights(new Float32Array([1, 2, 6]), 1);
  deepEqual([...one.codebook], [3]);
  const lin = shareWeights(new Float32Array([1, 2, 6]), 1, { init: "linear" });
  deepEqual([...lin.codebook], [3]);
});

Deno.test("shareWeights: centroids that coincide in float32 merge into one codebook entry", () => {
  // binary64 weights closer than a float32 ulp: the optimal 3 clusters round to 2 values
  const near = shareWeights(new Float64Array([1, 1 + 1e-12, 5]), 3);
  deepEqual([...near.codebook], [1, 5]);
  deepEqual([...near.indices], [0, 0, 1]);
  equal(near.bits, 1);
  // Lloyd from linear spacing on constant weights: all k centroids stay equal
  const flat = shareWeights(new Float32Array([0.25, 0.25, 0.25, 0.25]), 4, { init: "linear" });
  deepEqual([...flat.codebook], [0.25]);
  deepEqual([...reconstructShared(flat)], [0.25, 0.25, 0.25, 0.25]);
});

Deno.test("weight sharing: bad input raises errors naming the argument", () => {
  throws(() => shareWeights(new Float32Array(0), 1), /weights/);
  throws(() => shareWeights(new Float32Array([1, NaN]), 1), /weights\[1\]/);
  throws(() => shareWeights(new Float32Array([1, 2]), 3), /k/);
  throws(
    () => shareWeights(new Float32Array([1, 2]), 1, { init: "x" as "linear" }),
    /options.init/,
  );
  throws(
    () => shareWeights(new Float32Array([1, 2]), 1, { importance: new Float32Array([1]) }),
    /importance/,
  );
  throws(() => packIndices([4], 2), /indices\[0\]/);
  throws(() => packIndices([0], 17), /bits/);
  throws(() => unpackIndices(new Uint8Array(1), 3, 3), /bytes/);
  throws(() => assignNearest(new Float32Array([1]), new Float32Array([2, 1])), /codebook/);
  throws(() => clusterGradients(new Int32Array([0]), new Float32Array(2), 1), /gradients/);
  throws(() => clusterGradients(new Int32Array([2]), new Float32Array(1), 2), /indices\[0\]/);
  throws(() => fineTuneCodebook(shareWeights(W, 2), GRAD, NaN), /learningRate/);
  throws(() => sharingMemory(0, 4), /count/);
  throws(() => indexBits(0), /k/);
});
