import { deepEqual, equal, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import {
  averageCodeLength,
  canonicalCode,
  countSymbols,
  entropy,
  huffman,
  huffmanDecode,
  huffmanEncode,
  kraftSum,
} from "./huffman.ts";

// ---- independent helpers (strings of '0'/'1', no shared code with the module) ----

function bitString(code: number, length: number): string {
  return code.toString(2).padStart(length, "0");
}

function isPrefixFree(words: string[]): boolean {
  for (let i = 0; i < words.length; i++) {
    for (let j = 0; j < words.length; j++) {
      if (i !== j && words[j].startsWith(words[i])) return false;
    }
  }
  return true;
}

/** Greedy parse of a bit string with a prefix-free table (the defining property). */
function parse(bits: string, table: string[]): number[] {
  const out: number[] = [];
  let cur = "";
  for (const b of bits) {
    cur += b;
    const s = table.indexOf(cur);
    if (s >= 0) {
      out.push(s);
      cur = "";
    }
  }
  if (cur !== "") throw new Error("dangling bits");
  return out;
}

function bytesToBits(bytes: Uint8Array, bitLength: number): string {
  let s = "";
  for (const b of bytes) s += b.toString(2).padStart(8, "0");
  return s.slice(0, bitLength);
}

/** Minimum Σ f·l over all length vectors (1..n−1 each) with Σ 2^−l ≤ 1. */
function bruteForceCost(f: number[]): number {
  const n = f.length;
  if (n === 1) return f[0];
  let best = Infinity;
  const l = new Array(n).fill(1);
  const total = (n - 1) ** n;
  for (let code = 0; code < total; code++) {
    let c = code, kraft = 0, cost = 0;
    for (let i = 0; i < n; i++) {
      l[i] = (c % (n - 1)) + 1;
      c = Math.floor(c / (n - 1));
      kraft += 2 ** -l[i];
      cost += f[i] * l[i];
    }
    if (kraft <= 1 + 1e-12) best = Math.min(best, cost);
  }
  return best;
}

const freqArb = fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 40 })
  .filter((f) => f.some((v) => v > 0));

// ---- the lecture's example (lecture 5.3.1, example 2) ----

Deno.test("lecture 5.3.1 example 2: prefix codes for A, B, C", () => {
  // ASCII: 8 bits × 3 = 24 bits.
  equal("ABC".length * 8, 24);
  // First table: a = 01, b = 101, c = 010 — a is a prefix of c, so it is not a prefix code.
  ok(!isPrefixFree(["01", "101", "010"]));
  // Second table: a = 01, b = 10, c = 111 — prefix-free; "01 10 111" takes 7 bits.
  const table = ["01", "10", "111"];
  ok(isPrefixFree(table));
  const code = { lengths: new Uint8Array([2, 2, 3]), codes: new Float64Array([0b01, 0b10, 0b111]) };
  const enc = huffmanEncode(code, [0, 1, 2]);
  equal(enc.bitLength, 7);
  equal(bytesToBits(enc.bytes, enc.bitLength), "0110111");
  deepEqual(parse("0110111", table), [0, 1, 2]);
  // The seed's code is a valid prefix code but not a Huffman code: its Kraft sum is 5/8 < 1, so
  // a shorter code exists. For one each of a, b, c the Huffman code has lengths 1, 2, 2 and the
  // string takes 5 bits, not 7.
  equal(kraftSum([2, 2, 3]), 0.625);
  const h = huffman([1, 1, 1]);
  deepEqual([...h.lengths].sort(), [1, 2, 2]);
  equal(huffmanEncode(h, [0, 1, 2]).bitLength, 5);
  equal(bruteForceCost([1, 1, 1]), 5);
});

Deno.test("huffman: CLRS §16.3 example (a..f: 45 13 12 16 9 5 → 224 bits per 100 characters)", () => {
  const f = [45, 13, 12, 16, 9, 5];
  const code = huffman(f);
  deepEqual([...code.lengths], [1, 3, 3, 3, 4, 4]);
  equal(f.reduce((s, fi, i) => s + fi * code.lengths[i], 0), 224);
  // Fixed-length code for 6 symbols: 3 bits each = 300 bits.
  ok(224 < 300);
  ok(isPrefixFree([...code.codes].map((c, i) => bitString(c, code.lengths[i]))));
});

Deno.test("huffman: cost equals the brute-force optimum over all prefix-code length vectors", () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 6 }), (f) => {
      const code = huffman(f);
      const cost = f.reduce((s, fi, i) => s + fi * code.lengths[i], 0);
      return cost === bruteForceCost(f);
    }),
    { numRuns: 150 },
  );
});

Deno.test("huffman: Kraft equality Σ 2^-l = 1 for ≥ 2 coded symbols, and H ≤ L < H + 1", () => {
  fc.assert(
    fc.property(freqArb, (f) => {
      const code = huffman(f);
      const coded = f.filter((v) => v > 0).length;
      for (let s = 0; s < f.length; s++) if ((f[s] > 0) !== (code.lengths[s] > 0)) return false;
      const k = kraftSum(code.lengths);
      if (coded >= 2 && k !== 1) return false;
      if (coded === 1 && k !== 0.5) return false;
      const H = entropy(f), L = averageCodeLength(code, f);
      // one symbol: H = 0 but a codeword needs a bit, so L = 1 = H + 1
      if (coded === 1) return H === 0 && L === 1;
      return H <= L + 1e-12 && L < H + 1;
    }),
    { numRuns: 300 },
  );
});

Deno.test("huffman: canonical codes are prefix-free, consecutive within a length, by symbol order", () => {
  fc.assert(
    fc.property(freqArb, (f) => {
      const code = huffman(f);
      const syms = [...f.keys()].filter((s) => code.lengths[s] > 0);
      const words = syms.map((s) => bitString(code.codes[s], code.lengths[s]));
      if (!isPrefixFree(words)) return false;
      // canonical: sorting by (length, symbol) gives increasing codes read as left-aligned
      // binary fractions, each the previous + 1 ulp of its own length.
      const order = syms.slice().sort((a, b) => code.lengths[a] - code.lengths[b] || a - b);
      for (let i = 1; i < order.length; i++) {
        const a = order[i - 1], b = order[i];
        const expect = (code.codes[a] + 1) * 2 ** (code.lengths[b] - code.lengths[a]);
        if (code.codes[b] !== expect) return false;
      }
      return code.codes[order[0]] === 0;
    }),
    { numRuns: 200 },
  );
});

Deno.test("huffman: decode(encode(x)) == x, and the bits equal the concatenated codewords", () => {
  fc.assert(
    fc.property(
      freqArb,
      fc.array(fc.nat(), { maxLength: 300 }),
      (f, picks) => {
        const code = huffman(f);
        const syms = [...f.keys()].filter((s) => f[s] > 0);
        const x = picks.map((p) => syms[p % syms.length]);
        const enc = huffmanEncode(code, x);
        const expected = x.map((s) => bitString(code.codes[s], code.lengths[s])).join("");
        if (enc.bitLength !== expected.length) return false;
        if (enc.bytes.length !== Math.ceil(expected.length / 8)) return false;
        if (bytesToBits(enc.bytes, enc.bitLength) !== expected) return false;
        // unused trailing bits are zero
        const tail = enc.bitLength % 8;
        if (tail && (enc.bytes[enc.bytes.length - 1] & ((1 << (8 - tail)) - 1)) !== 0) return false;
        const dec = huffmanDecode(code, enc.bytes, enc.bitLength);
        return dec.length === x.length && x.every((v, i) => dec[i] === v);
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("huffman: long codes (Fibonacci frequencies give a length-39 code) round-trip", () => {
  const f = [1, 1];
  while (f.length < 40) f.push(f[f.length - 1] + f[f.length - 2]);
  const code = huffman(f);
  equal(Math.max(...code.lengths), 39);
  equal(kraftSum(code.lengths), 1);
  const x = [0, 1, 39, 0, 20, 1, 38];
  const enc = huffmanEncode(code, x);
  equal(enc.bitLength, x.reduce((s, v) => s + code.lengths[v], 0));
  deepEqual([...huffmanDecode(code, enc.bytes, enc.bitLength)], x);
});

Deno.test("huffman: deterministic ties, single symbol, zero frequencies", () => {
  // a leaf wins a tie against a merged node: [1, 1, 2] → symbol 2 gets the 1-bit code
  deepEqual([...huffman([1, 1, 2]).lengths], [2, 2, 1]);
  deepEqual([...huffman([1, 1, 1, 1]).lengths], [2, 2, 2, 2]);
  const one = huffman([0, 7, 0]);
  deepEqual([...one.lengths], [0, 1, 0]);
  const enc = huffmanEncode(one, [1, 1, 1]);
  equal(enc.bitLength, 3);
  deepEqual([...huffmanDecode(one, enc.bytes, 3)], [1, 1, 1]);
  throws(() => huffmanEncode(one, [0]), /symbols\[0\]/);
  equal(huffmanDecode(one, new Uint8Array(0), 0).length, 0);
});

Deno.test("huffman: bad input raises errors naming the argument", () => {
  throws(() => huffman([]), RangeError);
  throws(() => huffman([0, 0]), /frequencies/);
  throws(() => huffman([1, -1]), /frequencies\[1\]/);
  throws(() => huffman([1, NaN]), /frequencies\[1\]/);
  throws(() => canonicalCode([1, 1, 1]), /Kraft/);
  throws(() => canonicalCode([1, 54]), /lengths\[1\]/);
  throws(() => countSymbols([0, 4], 4), /symbols\[1\]/);
  const code = huffman([1, 1]);
  throws(() => huffmanDecode(code, new Uint8Array(1), 9), /bitLength/);
  // the code "0","1" has no invalid codeword, but a 3-symbol code does: 11 is unused in [2,2,3]
  const c3 = canonicalCode([2, 2, 2]);
  throws(() => huffmanDecode(c3, new Uint8Array([0b1100_0000]), 2), /invalid codeword/);
  throws(() => huffmanDecode(c3, new Uint8Array([0]), 3), /ended/);
  throws(() => averageCodeLength(huffman([1, 0]), [1, 1]), /symbol 1/);
});

Deno.test("countSymbols and entropy on a known distribution", () => {
  const c = countSymbols([3, 3, 3, 3, 1, 1, 0, 2], 4);
  deepEqual([...c], [1, 2, 1, 4]);
  // p = 1/8, 1/4, 1/8, 1/2 → H = 3/8 + 1/2 + 3/8 + 1/2 = 1.75 bits; dyadic ⇒ Huffman meets it
  equal(entropy(c), 1.75);
  equal(averageCodeLength(huffman(c), c), 1.75);
});
