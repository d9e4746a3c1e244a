import { ok, throws } from "node:assert/strict";
import { Variable } from "@lowbit/nn/autograd";
import { softmaxCrossEntropy } from "@lowbit/nn/losses";
import { Philox } from "@lowbit/rounding/philox";
import { gradCheck } from "../nn/_gradcheck.ts";
import { hintonLoss } from "./kd.ts";

function randn(n: number, seed: number, scale = 1): Float32Array {
  const r = new Philox(seed);
  return Float32Array.from({ length: n }, () => scale * (2 * r.uniform() - 1));
}

// Independent float64 reference: softmax from the definition, cross-entropy from the definition.
function softmax(z: ArrayLike<number>, t: number): number[] {
  const e = Array.from(z, (v) => Math.exp(v / t));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

Deno.test("hintonLoss: value equals α·CE + β·T²·H(p_t, p_s) from the definitions", () => {
  const n = 3, c = 5;
  const zs = randn(n * c, 1, 3), zt = randn(n * c, 2, 3);
  const labels = [4, 0, 2];
  for (const [alpha, beta, t] of [[0.5, 0.5, 4], [1, 0, 1], [0, 1, 2.5], [0.3, 0.9, 7]]) {
    let want = 0;
    for (let i = 0; i < n; i++) {
      const ps1 = softmax(zs.subarray(i * c, i * c + c), 1);
      const psT = softmax(zs.subarray(i * c, i * c + c), t);
      const ptT = softmax(zt.subarray(i * c, i * c + c), t);
      want += alpha * -Math.log(ps1[labels[i]]);
      want += beta * t * t * -ptT.reduce((s, p, j) => s + p * Math.log(psT[j]), 0);
    }
    want /= n;
    const got = hintonLoss(new Variable(zs, [n, c]), new Variable(zt, [n, c]), labels, {
      alpha,
      beta,
      temperature: t,
    }).data[0];
    ok(Math.abs(got - want) < 1e-5 * Math.max(1, Math.abs(want)), `${got} vs ${want}`);
  }
});

Deno.test("hintonLoss: soft-term gradient is (β·T²/T)(σ(z_s/T) − σ(z_t/T))/N (closed form)", () => {
  const n = 4, c = 6;
  for (const t of [1, 2, 4, 10]) {
    const beta = 0.7;
    const zs = new Variable(randn(n * c, 10 + t, 4), [n, c], { requiresGrad: true });
    const zt = new Variable(randn(n * c, 20 + t, 4), [n, c]);
    hintonLoss(zs, zt, [0, 1, 2, 3], { alpha: 0, beta, temperature: t }).backward();
    for (let i = 0; i < n; i++) {
      const ps = softmax(zs.data.subarray(i * c, i * c + c), t);
      const pt = softmax(zt.data.subarray(i * c, i * c + c), t);
      for (let j = 0; j < c; j++) {
        const want = ((beta * t * t) / t) * (ps[j] - pt[j]) / n;
        ok(Math.abs(zs.grad![i * c + j] - want) < 1e-6, `T=${t} [${i},${j}]`);
      }
    }
  }
});

Deno.test("hintonLoss: hard-term gradient matches softmaxCrossEntropy's, scaled by α", () => {
  const n = 3, c = 4;
  const data = randn(n * c, 5, 2);
  const a = new Variable(data, [n, c], { requiresGrad: true });
  hintonLoss(a, new Variable(randn(n * c, 6), [n, c]), [1, 3, 0], { alpha: 0.25, beta: 0 })
    .backward();
  const b = new Variable(data, [n, c], { requiresGrad: true });
  softmaxCrossEntropy(b, [1, 3, 0]).backward();
  a.grad!.forEach((g, i) => ok(Math.abs(g - 0.25 * b.grad![i]) < 1e-7));
});

Deno.test("hintonLoss: backward agrees with central finite differences", () => {
  const n = 3, c = 4;
  for (const [alpha, beta, t] of [[0.5, 0.5, 4], [0.1, 0.9, 2], [1, 1, 1]]) {
    gradCheck(
      ([zs, zt]) => hintonLoss(zs, zt, [2, 0, 3], { alpha, beta, temperature: t }),
      [
        { data: randn(n * c, 30, 3), shape: [n, c] },
        { data: randn(n * c, 31, 3), shape: [n, c], check: false },
      ],
    );
  }
});

Deno.test("hintonLoss: the soft term is minimised by the teacher's logits (up to a shift)", () => {
  // H(p_t, p_s) ≥ H(p_t, p_t) with equality iff p_s = p_t (Gibbs' inequality).
  const zt = new Variable(Float32Array.from([1, -1, 2, 0.5]), [1, 4]);
  const opts = { alpha: 0, beta: 1, temperature: 3 };
  const best = hintonLoss(zt, zt, [0], opts).data[0];
  const shifted = hintonLoss(new Variable(zt.data.map((v) => v + 5), [1, 4]), zt, [0], opts)
    .data[0];
  ok(Math.abs(best - shifted) < 1e-5);
  for (let k = 0; k < 20; k++) {
    const zs = new Variable(randn(4, 100 + k, 3), [1, 4]);
    ok(hintonLoss(zs, zt, [0], opts).data[0] > best);
  }
});

Deno.test("hintonLoss: typed errors name the argument", () => {
  const z = Variable.zeros([2, 3]);
  throws(() => hintonLoss(z, Variable.zeros([2, 4]), [0, 1]), /teacher \[2, 4\]|differ/);
  throws(() => hintonLoss(z, z, [0]), /1 labels for 2 rows/);
  throws(() => hintonLoss(z, z, [0, 3]), /labels\[1\] = 3/);
  throws(() => hintonLoss(z, z, [0, 1], { alpha: -1 }), /options.alpha/);
  throws(() => hintonLoss(z, z, [0, 1], { beta: NaN }), /options.beta/);
  throws(() => hintonLoss(z, z, [0, 1], { temperature: 0 }), /options.temperature/);
  throws(() => hintonLoss(Variable.zeros([6]), Variable.zeros([6]), [0]), /\[N, classes\]/);
});
