import { deepEqual, equal, throws } from "node:assert/strict";
import fc from "fast-check";
import { decodeRelativeIndex, encodeRelativeIndex, positionsOf } from "./sparse_index.ts";

const positionsArb = fc.uniqueArray(fc.integer({ min: 0, max: 2000 }), { maxLength: 80 })
  .map((a) => a.sort((x, y) => x - y));

Deno.test("relative index: decode(encode(p)) recovers p at the non-filler entries, gaps fit b bits", () => {
  fc.assert(
    fc.property(positionsArb, fc.integer({ min: 1, max: 10 }), (p, b) => {
      const r = encodeRelativeIndex(p, b);
      if (r.gaps.some((g) => g < 0 || g >= 2 ** b)) return false;
      const pos = decodeRelativeIndex(r.gaps);
      const back = [...pos].filter((_, e) => r.source[e] >= 0);
      if (back.length !== p.length || back.some((v, i) => v !== p[i])) return false;
      // sources are 0..n−1 in order; fillers never sit on a listed position
      if ([...r.source].filter((s) => s >= 0).some((s, i) => s !== i)) return false;
      return [...pos].every((v, e) => r.source[e] >= 0 || !p.includes(v));
    }),
    { numRuns: 300 },
  );
});

Deno.test("relative index: filler count is Σ ⌊zᵢ / 2^b⌋ over the zero runs (closed form)", () => {
  fc.assert(
    fc.property(positionsArb, fc.integer({ min: 1, max: 10 }), (p, b) => {
      let prev = -1, want = 0;
      for (const q of p) {
        want += Math.floor((q - prev - 1) / 2 ** b);
        prev = q;
      }
      const r = encodeRelativeIndex(p, b);
      return r.fillers === want && r.gaps.length === p.length + want;
    }),
    { numRuns: 300 },
  );
});

Deno.test("relative index: Deep Compression Fig. 2 rule — 3-bit gaps, filler when a span exceeds 8", () => {
  // a span pᵢ − pᵢ₋₁ of 8 fits (gap 7); 9 needs a filler 8 positions on
  deepEqual([...encodeRelativeIndex([0, 8], 3).gaps], [0, 7]);
  const r = encodeRelativeIndex([0, 9], 3);
  deepEqual([...r.gaps], [0, 7, 0]);
  deepEqual([...decodeRelativeIndex(r.gaps)], [0, 8, 9]);
  equal(r.fillers, 1);
});

Deno.test("positionsOf and bad input", () => {
  deepEqual([...positionsOf([0, 0.5, 0, -1])], [1, 3]);
  equal(encodeRelativeIndex([], 4).gaps.length, 0);
  throws(() => encodeRelativeIndex([3, 3], 4), /positions\[1\]/);
  throws(() => encodeRelativeIndex([-1], 4), /positions\[0\]/);
  throws(() => encodeRelativeIndex([1], 0), /gapBits/);
  throws(() => decodeRelativeIndex([1, -2]), /gaps\[1\]/);
});
