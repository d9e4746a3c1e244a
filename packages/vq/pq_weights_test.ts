import { equal, ok } from "node:assert/strict";
import { Philox } from "@lowbit/rounding";
import { pqWeights } from "./pq_weights.ts";

Deno.test("pqWeights: exact bit accounting, error consistent with the reconstruction, more bits → better", () => {
  const r = new Philox(2);
  const rows = 300, cols = 32;
  // Laplace-like weights
  const w = new Float32Array(rows * cols).map(() => {
    const u = r.uniform() - 0.5;
    return -0.05 * Math.sign(u) * Math.log(1 - 2 * Math.abs(u));
  });
  let prev = -Infinity;
  for (const nbits of [2, 4, 6, 8]) {
    const q = pqWeights(w, rows, cols, { M: 8, nbits, seed: 1, maxIter: 10 });
    equal(q.bitsBefore, rows * cols * 32);
    equal(q.bitsAfter, rows * 8 * nbits + 8 * 2 ** nbits * 4 * 32);
    equal(q.codes.length, rows * Math.ceil((8 * nbits) / 8));
    let e = 0;
    for (let i = 0; i < w.length; i++) e += (w[i] - q.reconstruction[i]) ** 2;
    ok(Math.abs(e / w.length - q.mse) <= 1e-12);
    ok(q.sqnrDb > prev, `nbits ${nbits}: ${q.sqnrDb} dB`);
    prev = q.sqnrDb;
  }
});
