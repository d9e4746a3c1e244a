import { deepEqual, equal, ok as assert, throws } from "node:assert/strict";
import { ProductQuantizer } from "@lowbit/vq/product";
import { Philox } from "@lowbit/rounding/philox";
import { IntBlockQuantizer, PqBlockQuantizer } from "./block_quantizers.ts";

function gaussian(n: number, seed: number): Float32Array {
  return Float32Array.from(new Philox(seed).fillNormal(new Float64Array(n)), (v) => 0.1 * v);
}

/** Throws `type` with a message containing `text`. */
function assertThrows(f: () => unknown, type: ErrorConstructor, text: string): void {
  throws(f, (e: unknown) => e instanceof type && e.message.includes(text));
}

Deno.test("IntBlockQuantizer: values on the per-layer affine grid, each the nearest level", () => {
  for (const bits of [2, 4, 8]) {
    const w = gaussian(2000, bits);
    const q = new IntBlockQuantizer({ bits });
    q.refresh(w);
    let lo = Infinity, hi = -Infinity;
    for (const v of w) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    // closed form (float64): S = (max − min)/(2^N − 1), Z = −round(min/S)
    const s = (hi - lo) / (2 ** bits - 1), z = -Math.round(lo / s);
    const p = q.params();
    assert(Math.abs(Number(p.scale) - s) <= 1e-6 * s, `scale ${p.scale} vs ${s}`);
    equal(Number(p.zeroPoint), z);
    const wq = q.quantize(w);
    const levels = new Set<number>();
    for (let i = 0; i < w.length; i++) {
      const k = Math.round(wq[i] / Number(p.scale)) + z;
      levels.add(k);
      assert(k >= 0 && k <= 2 ** bits - 1);
      assert(Math.abs(wq[i] - (k - z) * Number(p.scale)) <= 1e-6, "on the grid");
      assert(Math.abs(wq[i] - w[i]) <= Number(p.scale) / 2 + 1e-6, "nearest level");
    }
    assert(levels.size <= 2 ** bits);
  }
});

Deno.test("IntBlockQuantizer: typed errors name the argument", () => {
  assertThrows(() => new IntBlockQuantizer({ bits: 1 }), RangeError, "options.bits");
  assertThrows(() => new IntBlockQuantizer({ bits: 17 }), RangeError, "options.bits");
  assertThrows(() => new IntBlockQuantizer({ bits: 4, blockSize: 0 }), RangeError, "blockSize");
  assertThrows(() => new IntBlockQuantizer({ bits: 4, blockSize: 1.5 }), RangeError, "blockSize");
  const q = new IntBlockQuantizer({ bits: 4, blockSize: 4 });
  assertThrows(() => q.quantize(new Float32Array(8)), RangeError, "refresh(w)");
  assertThrows(() => q.refresh(new Float32Array(6)), RangeError, "multiple of blockSize 4");
  assertThrows(() => q.refresh(new Float32Array(0)), TypeError, "non-empty");
});

Deno.test("PqBlockQuantizer: each block becomes its nearest centroid of one shared codebook", () => {
  const d = 4, bits = 3, w = gaussian(4 * 200, 5);
  const q = new PqBlockQuantizer({ blockSize: d, bits, seed: 2 });
  q.refresh(w);
  const c = q.centroids(), k = 2 ** bits;
  equal(c.length, k * d);
  const wq = q.quantize(w);
  let err = 0, energy = 0;
  for (let b = 0; b < w.length / d; b++) {
    let best = Infinity, arg = -1;
    for (let j = 0; j < k; j++) {
      let dist = 0;
      for (let t = 0; t < d; t++) dist += (w[b * d + t] - c[j * d + t]) ** 2;
      if (dist < best) [best, arg] = [dist, j];
    }
    for (let t = 0; t < d; t++) equal(wq[b * d + t], c[arg * d + t]);
    err += best;
    for (let t = 0; t < d; t++) energy += w[b * d + t] ** 2;
  }
  assert(err < energy, "the codebook explains part of the weights");
  // the codebook is vq's k-means on the blocks (one sub-space of dimension d), same seed
  const pq = new ProductQuantizer(d, 1, bits);
  pq.train(w, { seed: 2, maxIter: 25 });
  deepEqual([...q.centroids()], [...pq.centroids]);
  equal(q.storageBits(w.length), 200 * bits + k * d * 32);
});

Deno.test("PqBlockQuantizer: reproducible from the seed; typed errors", () => {
  const w = gaussian(2 * 100, 9);
  const a = new PqBlockQuantizer({ blockSize: 2, bits: 4, seed: 3 });
  const b = new PqBlockQuantizer({ blockSize: 2, bits: 4, seed: 3 });
  a.refresh(w);
  b.refresh(w);
  deepEqual([...a.quantize(w)], [...b.quantize(w)]);
  assertThrows(
    () => new PqBlockQuantizer({ blockSize: 2, bits: 0 }),
    RangeError,
    "options.bits",
  );
  assertThrows(() => new PqBlockQuantizer({ blockSize: -1, bits: 2 }), RangeError, "blockSize");
  assertThrows(
    () => new PqBlockQuantizer({ blockSize: 2, bits: 2, maxIter: 0 }),
    RangeError,
    "options.maxIter",
  );
  const small = new PqBlockQuantizer({ blockSize: 2, bits: 7 });
  assertThrows(() => small.refresh(w), RangeError, "fewer than the 2^7 = 128 centroids");
  assertThrows(() => small.quantize(w), RangeError, "refresh(w)");
  assertThrows(() => a.storageBits(3), RangeError, "multiple of blockSize 2");
});
