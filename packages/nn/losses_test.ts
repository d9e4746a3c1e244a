import { equal, ok, throws } from "node:assert/strict";
import { Variable } from "./autograd.ts";
import { klDivergence, logSoftmaxRows, mseLoss, softmaxCrossEntropy } from "./losses.ts";
import { awayFrom, gradCheck } from "./_gradcheck.ts";

Deno.test("softmaxCrossEntropy: finite differences; stable for huge logits", () => {
  const labels = new Int32Array([2, 0, 4]);
  gradCheck(([z]) => softmaxCrossEntropy(z, labels), [{
    data: awayFrom(15, 1, -3, 3),
    shape: [3, 5],
  }]);
  // [1000, 0] with label 1: loss = 1000 exactly in float64 (logsumexp = 1000 + log1p(e^-1000))
  const l = softmaxCrossEntropy(Variable.from([1000, 0], [1, 2]), [1]);
  equal(l.data[0], 1000);
  const l2 = softmaxCrossEntropy(Variable.from([-1000, 0], [1, 2]), [1]);
  equal(l2.data[0], 0);
  // closed form for two classes: −log σ(z1 − z0)
  const l3 = softmaxCrossEntropy(Variable.from([0.3, 1.1], [1, 2]), [1]);
  ok(Math.abs(l3.data[0] - Math.log1p(Math.exp(-(1.1 - 0.3)))) < 1e-6);
});

Deno.test("softmaxCrossEntropy: bad labels", () => {
  throws(() => softmaxCrossEntropy(Variable.zeros([2, 3]), [0]), /1 labels for 2 rows/);
  throws(
    () => softmaxCrossEntropy(Variable.zeros([1, 3]), [-1]),
    /labels\[0\] = -1 is outside the classes 0..2/,
  );
  throws(() => softmaxCrossEntropy(Variable.zeros([1, 3]), [1.5]), /labels\[0\] = 1.5/);
  throws(() => softmaxCrossEntropy(Variable.zeros([3]), [1]), /logits must be \[N, classes\]/);
});

Deno.test("mseLoss: finite differences and value", () => {
  const t = Variable.from(awayFrom(6, 3, -1, 1), [2, 3]);
  gradCheck(([p]) => mseLoss(p, t), [{ data: awayFrom(6, 2, -1, 1), shape: [2, 3] }]);
  throws(() => mseLoss(Variable.zeros([2]), Variable.zeros([3])), /pred \[2\] and target \[3\]/);
});

Deno.test("klDivergence: finite differences at T = 1 and T = 4; brute-force value", () => {
  const teacher = Variable.from(awayFrom(8, 5, -3, 3), [2, 4]);
  for (const temperature of [1, 4]) {
    gradCheck(([z]) => klDivergence(z, teacher, { temperature }), [{
      data: awayFrom(8, 4, -3, 3),
      shape: [2, 4],
    }]);
  }
  // brute force: T² · mean_n Σ p log(p/q) with explicit softmax
  const s = Variable.from([0.1, 0.7, -0.4, 1.2, 0, 0.5], [2, 3]);
  const t = Variable.from([1, -1, 0.2, 0.3, 0.3, 2], [2, 3]);
  const T = 2;
  const softmax = (z: number[]) => {
    const e = z.map((v) => Math.exp(v / T)), s = e.reduce((a, b) => a + b);
    return e.map((v) => v / s);
  };
  let want = 0;
  for (let i = 0; i < 2; i++) {
    const p = softmax([...t.data.slice(i * 3, i * 3 + 3)]);
    const q = softmax([...s.data.slice(i * 3, i * 3 + 3)]);
    for (let j = 0; j < 3; j++) want += p[j] * Math.log(p[j] / q[j]);
  }
  want = (T * T * want) / 2;
  ok(Math.abs(klDivergence(s, t, { temperature: T }).data[0] - want) < 1e-6);
  throws(() => klDivergence(s, t, { temperature: 0 }), /options.temperature/);
  ok(Math.abs(logSoftmaxRows(new Float32Array([0, 0, 0]), 1, 3)[0] + Math.log(3)) < 1e-15);
});
