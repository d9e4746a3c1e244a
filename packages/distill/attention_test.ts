import { ok, throws } from "node:assert/strict";
import { Variable } from "@lowbit/nn";
import { Philox } from "@lowbit/rounding/philox";
import { awayFrom, gradCheck } from "../nn/_gradcheck.ts";
import { attentionMap, attentionTransferLoss } from "./attention.ts";

Deno.test("attentionTransferLoss: value from the definition (p = 2, norm and squared)", () => {
  // One example, 2 channels, 1×3 map; by hand.
  const s = Variable.from([1, 0, 2, 1, 1, 0], [1, 2, 1, 3]); // Q_s = [2, 1, 4]
  const t = Variable.from([0, 3, 0], [1, 1, 1, 3]); // Q_t = [0, 9, 0]
  const qs = [2, 1, 4].map((v) => v / Math.sqrt(21));
  const qt = [0, 1, 0];
  const d2 = qs.reduce((a, v, j) => a + (v - qt[j]) ** 2, 0);
  ok(Math.abs(attentionTransferLoss(s, t, { beta: 3 }).data[0] - 1.5 * Math.sqrt(d2)) < 1e-6);
  ok(Math.abs(attentionTransferLoss(s, t, { squared: true }).data[0] - 0.5 * d2) < 1e-6);
  // F(A) itself: Σ_c A_c² per pixel.
  ok(attentionMap(s).join() === "2,1,4");
});

Deno.test("attentionTransferLoss: finite differences for p = 2 and p = 3, norm and squared", () => {
  const s = awayFrom(2 * 3 * 2 * 2, 1, -1.5, 1.5, [0], 0.1);
  const t = awayFrom(2 * 4 * 2 * 2, 2, -1.5, 1.5);
  for (const p of [2, 3]) {
    for (const squared of [false, true]) {
      gradCheck(
        ([a, b]) => attentionTransferLoss(a, b, { p, squared, beta: 2 }),
        [{ data: s, shape: [2, 3, 2, 2] }, { data: t, shape: [2, 4, 2, 2], check: false }],
        { h: 1e-3, atol: 1e-3, rtol: 2e-2 },
      );
    }
  }
});

Deno.test("attentionTransferLoss: invariant to positive scaling of either activation", () => {
  const r = new Philox(3);
  const s = Float32Array.from({ length: 2 * 2 * 9 }, () => r.uniform() - 0.5);
  const t = Float32Array.from({ length: 2 * 5 * 9 }, () => r.uniform() - 0.5);
  const base = attentionTransferLoss(new Variable(s, [2, 2, 3, 3]), new Variable(t, [2, 5, 3, 3]));
  const scaled = attentionTransferLoss(
    new Variable(s.map((v) => 7 * v), [2, 2, 3, 3]),
    new Variable(t.map((v) => 0.1 * v), [2, 5, 3, 3]),
  );
  ok(base.data[0] > 0.01);
  ok(Math.abs(base.data[0] - scaled.data[0]) < 1e-5);
});

Deno.test("attentionTransferLoss: typed errors", () => {
  throws(
    () => attentionTransferLoss(Variable.zeros([1, 4]), Variable.zeros([1, 1, 2, 2])),
    /student must be \[N, C, H, W\]/,
  );
  throws(
    () => attentionTransferLoss(Variable.zeros([2, 1, 2, 2]), Variable.zeros([1, 1, 2, 2])),
    /same N/,
  );
  throws(
    () =>
      attentionTransferLoss(Variable.zeros([1, 1, 2, 2]), Variable.zeros([1, 1, 2, 2]), { p: 0.5 }),
    /options.p/,
  );
  throws(
    () =>
      attentionTransferLoss(Variable.zeros([1, 1, 2, 2]), Variable.zeros([1, 1, 2, 2]), {
        beta: -1,
      }),
    /options.beta/,
  );
});
