import { ok, throws } from "node:assert/strict";
import { Adam, Variable } from "@lowbit/nn";
import { Philox } from "@lowbit/rounding/philox";
import { gradCheck } from "../nn/_gradcheck.ts";
import { hintLoss, HintRegressor } from "./hint.ts";

function rand(n: number, seed: number, scale = 1): Float32Array {
  const r = new Philox(seed);
  return Float32Array.from({ length: n }, () => scale * (2 * r.uniform() - 1));
}

Deno.test("hintLoss: value is ½‖u − r(v)‖² per example, mean over the batch", () => {
  const p = rand(2 * 3 * 2 * 2, 1), t = rand(24, 2);
  let want = 0;
  for (let i = 0; i < 24; i++) want += (p[i] - t[i]) ** 2;
  want /= 2 * 2;
  const got = hintLoss(new Variable(p, [2, 3, 2, 2]), new Variable(t, [2, 3, 2, 2])).data[0];
  ok(Math.abs(got - want) < 1e-6);
});

Deno.test("hintLoss through the 1×1-conv regressor: finite differences", () => {
  // The loss composed with a 1×1 conv regressor, checked w.r.t. the student feature.
  const reg = new HintRegressor(3, 2, { random: new Philox(5) });
  const target = new Variable(rand(2 * 2 * 2 * 2, 6), [2, 2, 2, 2]);
  gradCheck(([v]) => hintLoss(reg.forward(v), target), [
    { data: rand(2 * 3 * 2 * 2, 7), shape: [2, 3, 2, 2] },
  ]);
  gradCheck(([v, t]) => hintLoss(v, t), [
    { data: rand(12, 8), shape: [3, 4] },
    { data: rand(12, 9), shape: [3, 4], check: false },
  ]);
});

Deno.test("HintRegressor learns a linear map from student to teacher features", () => {
  // Teacher hint u = M·v per pixel, M fixed: training r alone drives L_HT towards 0.
  const M = [[1, -2, 0.5], [0.3, 0.7, -1]];
  const v = rand(8 * 3 * 2 * 2, 11, 2);
  const u = new Float32Array(8 * 2 * 4);
  for (let n = 0; n < 8; n++) {
    for (let o = 0; o < 2; o++) {
      for (let j = 0; j < 4; j++) {
        let s = 0;
        for (let c = 0; c < 3; c++) s += M[o][c] * v[(n * 3 + c) * 4 + j];
        u[(n * 2 + o) * 4 + j] = s;
      }
    }
  }
  const reg = new HintRegressor(3, 2, { random: new Philox(12) });
  const opt = new Adam(reg.parameters(), { lr: 0.05 });
  const sv = new Variable(v, [8, 3, 2, 2]), tu = new Variable(u, [8, 2, 2, 2]);
  const first = hintLoss(reg.forward(sv), tu).data[0];
  let last = first;
  for (let k = 0; k < 400; k++) {
    opt.zeroGrad();
    const l = hintLoss(reg.forward(sv), tu);
    l.backward();
    opt.step();
    last = l.data[0];
  }
  ok(last < 1e-3 * first, `${first} → ${last}`);
});

Deno.test("HintRegressor (linear) and typed errors", () => {
  const r = new HintRegressor(5, 3, { random: new Philox(1), kind: "linear" });
  ok(r.forward(Variable.zeros([2, 5])).shape.join() === "2,3");
  throws(
    () => new HintRegressor(5, 3, { random: new Philox(1), kind: "dense" as "conv" }),
    /options.kind/,
  );
  throws(() => hintLoss(Variable.zeros([2, 3]), Variable.zeros([3, 2])), /differ/);
});
