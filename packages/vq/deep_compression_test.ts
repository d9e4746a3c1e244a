import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { Philox } from "@lowbit/rounding";
import {
  deepCompress,
  deepDecompress,
  HEADER_BITS,
  packCompressed,
  unpackCompressed,
} from "./deep_compression.ts";
import { entropy, huffman } from "./huffman.ts";

function laplace(n: number, seed: number, b = 0.05): Float32Array {
  const rng = new Philox(seed, 0);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.uniform() - 0.5;
    out[i] = -b * Math.sign(u) * Math.log(1 - 2 * Math.abs(u));
  }
  return out;
}

/** Independent recomputation of the streams from the mask and the codebook. */
function expectedStreams(
  w: Float32Array,
  mask: Uint8Array,
  codebook: Float32Array,
  gapBits: number,
) {
  const values: number[] = [], gaps: number[] = [];
  let prev = -1, fillers = 0;
  for (let i = 0; i < w.length; i++) {
    if (!mask[i]) continue;
    let z = i - prev - 1;
    while (z >= 2 ** gapBits) {
      gaps.push(2 ** gapBits - 1);
      values.push(codebook.length);
      fillers++;
      z -= 2 ** gapBits;
    }
    gaps.push(z);
    let best = 0;
    for (let j = 1; j < codebook.length; j++) {
      if (Math.abs(w[i] - codebook[j]) < Math.abs(w[i] - codebook[best])) best = j;
    }
    values.push(best);
    prev = i;
  }
  const count = (xs: number[], size: number) => {
    const c = new Array(size).fill(0);
    for (const x of xs) c[x]++;
    return c;
  };
  const vc = count(values, codebook.length + (fillers ? 1 : 0));
  const gc = count(gaps, 2 ** gapBits);
  const bitsOf = (c: number[]) => {
    const code = huffman(c);
    return c.reduce((a, ci, s) => a + ci * code.lengths[s], 0);
  };
  return { values, gaps, fillers, vc, gc, valueBits: bitsOf(vc), gapBits: bitsOf(gc) };
}

Deno.test("deepCompress on seeded Laplace weights: lossless round trip and exact accounting", () => {
  const w = laplace(300 * 100, 1);
  for (
    const [sparsity, bits, gapBits] of [[0.9, 5, 5], [0.5, 4, 3], [0.95, 2, 8], [0, 3, 2]] as const
  ) {
    const r = deepCompress(w, [300, 100], { sparsity, bits, gapBits });
    const dec = deepDecompress(r.compressed);
    deepEqual(dec, r.shared);
    // shared = nearest codebook value at kept positions, +0 elsewhere
    const cb = r.compressed.codebook;
    for (let i = 0; i < w.length; i++) {
      if (!r.mask[i]) {
        ok(Object.is(dec[i], 0));
        continue;
      }
      equal(r.pruned[i], w[i]);
      const d = Math.abs(w[i] - dec[i]);
      for (const c of cb) ok(d <= Math.abs(w[i] - c));
    }
    const e = expectedStreams(w, r.mask, cb, gapBits);
    const rep = r.report;
    equal(rep.kept, w.length - Math.round(sparsity * w.length));
    equal(rep.entries, e.values.length);
    equal(rep.fillers, e.fillers);
    equal(rep.clusters, 2 ** bits);
    equal(rep.valueBits, e.valueBits);
    equal(rep.gapBits, e.gapBits);
    const alphabet = cb.length + (e.fillers ? 1 : 0);
    equal(rep.tableBits, 6 * (alphabet + 2 ** gapBits));
    equal(rep.codebookBits, 32 * cb.length);
    equal(
      rep.totalBits,
      e.valueBits + e.gapBits + 32 * cb.length + 6 * (alphabet + 2 ** gapBits) + HEADER_BITS,
    );
    equal(
      rep.fixedBits,
      rep.entries * (Math.ceil(Math.log2(alphabet)) + gapBits) + 32 * cb.length + HEADER_BITS,
    );
    equal(rep.prunedBits, rep.entries * (32 + gapBits) + HEADER_BITS);
    equal(rep.ratio, (32 * w.length) / rep.totalBits);
    equal(rep.bitsPerWeight, rep.totalBits / w.length);
    // Huffman stream lengths between entropy and entropy + 1 bit per entry
    const E = rep.entries;
    for (const [bitsUsed, counts] of [[rep.valueBits, e.vc], [rep.gapBits, e.gc]] as const) {
      const H = entropy(counts);
      const single = counts.filter((c) => c > 0).length === 1;
      ok(bitsUsed >= H * E - 1e-6, `${bitsUsed} < H·E`);
      ok(single ? bitsUsed === E : bitsUsed < (H + 1) * E);
    }
    ok(rep.valueBits <= rep.fixedValueBits && rep.gapBits <= rep.fixedGapBits);
    // the accounting is the length of a real container, which decodes to the same weights
    const box = packCompressed(r.compressed);
    equal(box.bitLength, rep.totalBits);
    equal(box.bytes.length, Math.ceil(rep.totalBits / 8));
    deepEqual(deepDecompress(unpackCompressed(box.bytes, box.bitLength, [300, 100])), r.shared);
  }
  equal(HEADER_BITS, 32 + 32 + 16 + 4 + 1);
});

Deno.test("unpackCompressed: a truncated container raises a RangeError", () => {
  const r = deepCompress(laplace(500, 6), [500], { sparsity: 0.6, bits: 3, gapBits: 4 });
  const box = packCompressed(r.compressed);
  throws(() => unpackCompressed(box.bytes, box.bitLength - 1, [500]), RangeError);
  throws(() => unpackCompressed(box.bytes, box.bitLength + 8, [500]), /bitLength/);
});

Deno.test("deepCompress: dense (sparsity 0) has no fillers and one gap symbol (1 bit per entry)", () => {
  const w = laplace(1000, 2);
  const r = deepCompress(w, [1000], { bits: 3, gapBits: 4 });
  equal(r.report.fillers, 0);
  equal(r.report.gapBits, 1000);
  equal(r.report.entries, 1000);
  deepEqual(deepDecompress(r.compressed), r.shared);
});

Deno.test("deepCompress: structured row pruning round-trips and zeroes whole rows", () => {
  const w = laplace(64 * 27, 3);
  const r = deepCompress(w, [64, 3, 3, 3], { sparsity: 0.25, bits: 4, structure: "rows" });
  equal(r.report.kept, 48 * 27);
  for (let f = 0; f < 64; f++) {
    const row = r.mask.slice(f * 27, (f + 1) * 27);
    ok(row.every((m) => m === row[0]));
  }
  deepEqual(deepDecompress(r.compressed), r.shared);
});

Deno.test("deepCompress: linear init is never better than the optimal codebook (squared error)", () => {
  const w = laplace(5000, 4);
  const err = (x: Float32Array) => x.reduce((a, v, i) => a + (v - w[i]) ** 2, 0);
  const opt = deepCompress(w, [5000], { sparsity: 0.8, bits: 3 });
  const lin = deepCompress(w, [5000], { sparsity: 0.8, bits: 3, init: "linear" });
  ok(err(opt.shared) <= err(lin.shared) * (1 + 1e-6));
  deepEqual(deepDecompress(lin.compressed), lin.shared);
});

Deno.test("deepCompress / deepDecompress: bad input raises errors naming the argument", () => {
  const w = laplace(10, 5);
  throws(() => deepCompress(w, [3, 3], { bits: 2 }), /shape/);
  throws(() => deepCompress(w, [10], { bits: 0 }), /options.bits/);
  throws(() => deepCompress(w, [10], { bits: 2, gapBits: 17 }), /options.gapBits/);
  throws(() => deepCompress(w, [10], { bits: 2, sparsity: 1 }), /options.sparsity/);
  throws(() => deepCompress(w, [10], { bits: 2, sparsity: 0.99 }), /options.sparsity/);
  throws(() => deepCompress(new Float32Array([1, NaN]), [2], { bits: 1 }), /weights\[1\]/);
  const r = deepCompress(w, [10], { bits: 2, gapBits: 2 });
  // a gap stream with one entry fewer than the value stream
  const short = deepCompress(w, [10], { bits: 2, gapBits: 2, sparsity: 0.1 });
  throws(
    () =>
      deepDecompress({
        ...r.compressed,
        gaps: short.compressed.gaps,
        gapCode: short.compressed.gapCode,
      }),
    /entries/,
  );
  throws(() => deepDecompress({ ...r.compressed, shape: [5] }), /position|past/);
});
