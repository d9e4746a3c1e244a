import { deepEqual, equal, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import { magnitudePrune } from "./pruning.ts";

const weightsArb = fc.array(fc.integer({ min: -50, max: 50 }), { minLength: 1, maxLength: 60 })
  .map((a) => new Float32Array(a.map((v) => v / 8)));

Deno.test("magnitudePrune: exactly round(s·n) zeros, every kept |w| ≥ every pruned |w|", () => {
  fc.assert(
    fc.property(weightsArb, fc.double({ min: 0, max: 1, noNaN: true }), (w, s) => {
      const r = magnitudePrune(w, s);
      const drop = Math.round(s * w.length);
      const prunedIdx = [...w.keys()].filter((i) => r.mask[i] === 0);
      const keptIdx = [...w.keys()].filter((i) => r.mask[i] === 1);
      if (prunedIdx.length !== drop || r.kept !== w.length - drop) return false;
      for (const i of keptIdx) if (r.pruned[i] !== w[i]) return false;
      for (const i of prunedIdx) if (!Object.is(r.pruned[i], 0)) return false;
      const maxPruned = Math.max(-1, ...prunedIdx.map((i) => Math.abs(w[i])));
      if (maxPruned !== r.threshold) return false;
      return keptIdx.every((i) => Math.abs(w[i]) >= maxPruned);
    }),
    { numRuns: 300 },
  );
});

Deno.test("magnitudePrune: ties go to the lower index; sparsity 0 and 1", () => {
  const w = new Float32Array([1, -1, 1, 2]);
  deepEqual([...magnitudePrune(w, 0.5).mask], [0, 0, 1, 1]);
  deepEqual([...magnitudePrune(w, 0).pruned], [1, -1, 1, 2]);
  equal(magnitudePrune(w, 0).threshold, -1);
  equal(magnitudePrune(w, 1).kept, 0);
});

Deno.test("magnitudePrune rows: whole rows pruned, the ones of smallest norm (brute force)", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 8 }),
      fc.integer({ min: 1, max: 6 }),
      fc.array(fc.integer({ min: -9, max: 9 }), { minLength: 48, maxLength: 48 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.constantFrom<"l1" | "l2">("l1", "l2"),
      (rows, cols, raw, s, norm) => {
        const w = new Float32Array(raw.slice(0, rows * cols));
        const r = magnitudePrune(w, s, { structure: "rows", shape: [rows, cols], norm });
        const rowNorm = (i: number) => {
          const v = [...w.slice(i * cols, (i + 1) * cols)];
          return norm === "l1" ? v.reduce((a, x) => a + Math.abs(x), 0) : Math.hypot(...v);
        };
        const dropped = [...Array(rows).keys()].filter((i) => r.mask[i * cols] === 0);
        if (dropped.length !== Math.round(s * rows)) return false;
        for (let i = 0; i < rows; i++) {
          const m = r.mask[i * cols];
          for (let j = 0; j < cols; j++) if (r.mask[i * cols + j] !== m) return false;
        }
        const keptRows = [...Array(rows).keys()].filter((i) => !dropped.includes(i));
        const maxDropped = Math.max(...dropped.map(rowNorm));
        return keptRows.every((i) => rowNorm(i) >= maxDropped - 1e-9);
      },
    ),
    { numRuns: 200 },
  );
  // conv filters [out, in, kh, kw]: rows are filters
  const f = new Float32Array(2 * 1 * 2 * 2).map((_, i) => (i < 4 ? 0.1 : 1));
  deepEqual([...magnitudePrune(f, 0.5, { structure: "rows", shape: [2, 1, 2, 2] }).mask], [
    0,
    0,
    0,
    0,
    1,
    1,
    1,
    1,
  ]);
});

Deno.test("magnitudePrune: bad input raises errors naming the argument", () => {
  const w = new Float32Array([1, 2]);
  throws(() => magnitudePrune(w, 1.5), /sparsity/);
  throws(() => magnitudePrune(w, NaN), /sparsity/);
  throws(() => magnitudePrune(new Float32Array(0), 0.5), /weights/);
  throws(() => magnitudePrune(w, 0.5, { structure: "rows" }), /options.shape/);
  throws(() => magnitudePrune(w, 0.5, { structure: "rows", shape: [3] }), /options.shape/);
  throws(
    () => magnitudePrune(w, 0.5, { structure: "cols" as "rows", shape: [2] }),
    /options.structure/,
  );
  throws(
    () => magnitudePrune(w, 0.5, { structure: "rows", shape: [2], norm: "l3" as "l1" }),
    /options.norm/,
  );
  ok(magnitudePrune(new Float64Array([3, 1]), 0.5).pruned instanceof Float32Array);
});
