import { deepEqual, equal, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import { CrossEntropyObserver } from "./cross_entropy.ts";
import { fakeQuantize } from "../uniform.ts";
import { qparamsFromRange } from "../params.ts";
import { MinMaxObserver } from "./minmax.ts";

/** Mean H(softmax(v), softmax(v̂)) written independently (log-sum-exp per row, float64). */
function meanCrossEntropy(v: Float32Array, vq: Float32Array, c: number): number {
  const lse = (a: Float32Array, o: number) => {
    let mx = -Infinity;
    for (let j = 0; j < c; j++) mx = Math.max(mx, a[o + j]);
    let s = 0;
    for (let j = 0; j < c; j++) s += Math.exp(a[o + j] - mx);
    return mx + Math.log(s);
  };
  let h = 0;
  const rows = v.length / c;
  for (let r = 0; r < rows; r++) {
    const lp = lse(v, r * c), lq = lse(vq, r * c);
    for (let j = 0; j < c; j++) h -= Math.exp(v[r * c + j] - lp) * (vq[r * c + j] - lq);
  }
  return h / rows;
}

/** Exhaustive minimum over the same candidate grid through the public `fakeQuantize`. */
function bruteForce(v: Float32Array, c: number, bits: number, steps: number, symmetric: boolean) {
  let m = 0, mx = 0;
  for (const x of v) (m = Math.min(m, x)), (mx = Math.max(mx, x));
  let best = Infinity;
  const qmin = 0, qmax = 2 ** bits - 1;
  for (let a = 1; a <= steps; a++) {
    for (let b = 1; b <= steps; b++) {
      if (symmetric && a !== b) continue;
      const p = qparamsFromRange((a / steps) * m, (b / steps) * mx, { qmin, qmax, symmetric });
      const h = meanCrossEntropy(v, fakeQuantize(v, { ...p, qmin, qmax }), c);
      best = Math.min(best, h);
    }
  }
  return best;
}

Deno.test("CrossEntropyObserver finds the grid minimum of an independent exhaustive search", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 2, max: 6 }),
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 2, max: 6 }),
      fc.boolean(),
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      (c, rows, bits, symmetric, seed) => {
        // Seeded logits with a heavy tail so that clipping matters.
        let s = seed >>> 0;
        const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
        const v = new Float32Array(rows * c).map(() => {
          const u = rnd();
          return Math.fround((u < 0.1 ? 30 : 3) * (rnd() * 2 - 1));
        });
        const steps = 8;
        const obs = new CrossEntropyObserver({ bits, steps, symmetric });
        obs.observe({ data: v, shape: [rows, c] });
        const r = obs.searchResult();
        const brute = bruteForce(v, c, bits, steps, symmetric);
        ok(
          Math.abs(r.crossEntropy - brute) <= 1e-9 * Math.max(1, brute),
          `${r.crossEntropy} vs ${brute}`,
        );
        // Its reported value is the cross-entropy of its own parameters.
        const own = meanCrossEntropy(v, fakeQuantize(v, r.params), c);
        ok(Math.abs(own - r.crossEntropy) <= 1e-9 * Math.max(1, own));
        ok(r.crossEntropy <= r.minMaxCrossEntropy);
        ok(r.entropy <= r.crossEntropy + 1e-12); // Gibbs: H(p, q) ≥ H(p)
        if (symmetric) equal(r.lowRatio, r.highRatio);
      },
    ),
    { numRuns: 60, seed: 7 },
  );
});

Deno.test("CrossEntropyObserver: min-max candidate equals MinMaxObserver's grid", () => {
  const v = Float32Array.of(1, -2, 0.5, 3, 0, -1);
  const obs = new CrossEntropyObserver({ bits: 8, steps: 1 });
  obs.observe({ data: v, shape: [2, 3] });
  const mm = new MinMaxObserver({ bits: 8 });
  mm.observe(v);
  deepEqual(obs.qparams(), mm.qparams());
  equal(obs.searchResult().crossEntropy, obs.searchResult().minMaxCrossEntropy);
});

Deno.test("CrossEntropyObserver clips a far losing logit that min-max keeps", () => {
  // Three-bit logits: min-max spends the grid on −60, collapsing the small logits.
  const obs = new CrossEntropyObserver({ bits: 3 });
  obs.observe({ data: Float32Array.of(4, 1, 0, 0, 3, 1, 1, 0, 4), shape: [3, 3] });
  obs.observe({ data: Float32Array.of(4, 0, -60), shape: [1, 3] });
  const r = obs.searchResult();
  ok(r.min > -20, `min ${r.min}`);
  ok(r.minMaxCrossEntropy - r.crossEntropy > 0.3, `${r.minMaxCrossEntropy} vs ${r.crossEntropy}`);
  equal(obs.count, 12);
  equal(obs.classes, 3);
});

Deno.test("CrossEntropyObserver rejects bad input with errors naming the argument", () => {
  throws(() => new CrossEntropyObserver({ steps: 0 }), /options\.steps/);
  throws(() => new CrossEntropyObserver({ capacity: 1.5 }), /options\.capacity/);
  const obs = new CrossEntropyObserver({ capacity: 6 });
  throws(() => obs.qparams(), /no data observed/);
  throws(() => obs.observe({ data: Float32Array.of(1, NaN), shape: [1, 2] }), /x: value 1 is NaN/);
  obs.observe({ data: Float32Array.of(1, 2, 3), shape: [1, 3] });
  throws(() => obs.observe({ data: Float32Array.of(1, 2), shape: [1, 2] }), /class axis/);
  throws(
    () => obs.observe({ data: new Float32Array(6), shape: [2, 3] }),
    /exceed options\.capacity 6/,
  );
  equal(obs.count, 3); // unchanged by the rejected batches
  obs.reset();
  equal(obs.count, 0);
  obs.observe(new Float32Array(0));
  equal(obs.count, 0);
});
