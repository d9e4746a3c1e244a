import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { Philox } from "@lowbit/rounding/philox";
import { noGrad, Variable } from "./autograd.ts";
import {
  add,
  addChannelBias,
  dropout,
  erf,
  linear,
  mul,
  sub,
  UNARY,
  unary,
  type UnaryName,
} from "./ops.ts";
import { awayFrom, gradCheck } from "./_gradcheck.ts";

const KINKS: Record<UnaryName, number[]> = {
  relu: [0],
  relu6: [0, 6],
  gelu: [],
  hardSwish: [-3, 3],
  sigmoid: [],
  tanh: [],
};

for (const name of Object.keys(UNARY) as UnaryName[]) {
  Deno.test(`${name}: backward matches finite differences`, () => {
    const x = awayFrom(24, 1, -8, 8, KINKS[name]);
    gradCheck(([v]) => unary(name, v), [{ data: x, shape: [4, 6] }]);
  });
}

Deno.test("activations match closed forms at known points", () => {
  // GELU(1) = Φ(1) = 0.8413447460685429; erf(0.5) = 0.5204998778130465 (tables)
  ok(Math.abs(UNARY.gelu.forward(1) - 0.8413447460685429) < 2e-7);
  ok(Math.abs(erf(0.5) - 0.5204998778130465) < 2e-7);
  ok(Math.abs(erf(-2) + 0.9953222650189527) < 2e-7);
  equal(UNARY.hardSwish.forward(1), 4 / 6);
  equal(UNARY.hardSwish.forward(-4), 0);
  equal(UNARY.relu6.forward(7), 6);
  equal(UNARY.sigmoid.forward(0), 0.5);
  throws(() => unary("nope" as UnaryName, Variable.zeros([1])), /name must be one of/);
});

Deno.test("add, sub, mul: finite differences; a value used twice gets both contributions", () => {
  const a = awayFrom(6, 2, -2, 2), b = awayFrom(6, 3, -2, 2);
  for (const op of [add, sub, mul]) {
    gradCheck(([p, q]) => op(p, q), [{ data: a, shape: [2, 3] }, { data: b, shape: [2, 3] }]);
  }
  gradCheck(([p]) => mul(p, add(p, p)), [{ data: a, shape: [6] }]); // d(2x²) = 4x
  throws(() => add(Variable.zeros([2]), Variable.zeros([3])), /\[2\] and b \[3\]/);
});

Deno.test("addChannelBias and linear: finite differences", () => {
  gradCheck(([x, b]) => addChannelBias(x, b), [
    { data: awayFrom(24, 4, -1, 1), shape: [2, 3, 4] },
    { data: awayFrom(3, 5, -1, 1), shape: [3] },
  ]);
  gradCheck(([x, w, b]) => linear(x, w, b), [
    { data: awayFrom(15, 6, -1, 1), shape: [3, 5] },
    { data: awayFrom(20, 7, -1, 1), shape: [4, 5] },
    { data: awayFrom(4, 8, -1, 1), shape: [4] },
  ]);
  gradCheck(([x, w]) => linear(x, w), [
    { data: awayFrom(6, 6, -1, 1), shape: [2, 3] },
    { data: awayFrom(3, 7, -1, 1), shape: [1, 3] },
  ]);
});

Deno.test("linear agrees with a brute-force double loop", () => {
  const x = awayFrom(12, 9, -1, 1), w = awayFrom(8, 10, -1, 1), b = awayFrom(4, 11, -1, 1);
  const y = linear(Variable.from(x, [6, 2]), Variable.from(w, [4, 2]), Variable.from(b));
  for (let i = 0; i < 6; i++) {
    for (let j = 0; j < 4; j++) {
      let s = b[j];
      for (let p = 0; p < 2; p++) s += x[i * 2 + p] * w[j * 2 + p];
      ok(Math.abs(y.data[i * 4 + j] - s) < 1e-6);
    }
  }
  throws(
    () => linear(Variable.zeros([3, 5]), Variable.zeros([4, 6])),
    /input \[3, 5\] does not fit weight \[4, 6\]/,
  );
});

Deno.test("dropout: seeded, keeps the mean, gradient uses the same mask", () => {
  const x = Variable.from(new Float32Array(20000).fill(1), [20000], { requiresGrad: true });
  const y = dropout(x, 0.25, new Philox(5));
  const y2 = dropout(Variable.from(new Float32Array(20000).fill(1)), 0.25, new Philox(5));
  deepEqual(y.data, y2.data);
  const mean = y.data.reduce((a, v) => a + v, 0) / 20000;
  ok(Math.abs(mean - 1) < 0.03, `mean ${mean}`); // σ of the mean ≈ 0.0041
  y.sum().backward();
  deepEqual(x.grad, y.data);
  equal(dropout(x, 0, new Philox(1)), x);
  // with the same seed every call draws the same mask, so the op is linear in x
  gradCheck(([v]) => dropout(v, 0.4, new Philox(8)), [{
    data: awayFrom(30, 13, -1, 1),
    shape: [30],
  }]);
  throws(() => dropout(x, 1, new Philox(1)), /p must be a number in \[0, 1\)/);
});

Deno.test("backward: shared subgraphs, noGrad and detach", () => {
  const x = Variable.from([2, 3], [2], { requiresGrad: true });
  const y = mul(x, x); // x²
  add(y, y).sum().backward(); // d(2x²)/dx = 4x
  deepEqual([...x.grad!], [8, 12]);
  equal(noGrad(() => mul(x, x)).requiresGrad, false);
  throws(() => x.backward(), /single-element/);
  throws(() => x.reshape([3]), /cannot reshape \[2\]/);
});

Deno.test("sum, mulScalar, reshape: finite differences", () => {
  const x = awayFrom(12, 12, -1, 1);
  gradCheck(([v]) => v.sum(), [{ data: x, shape: [3, 4] }]);
  gradCheck(([v]) => v.mulScalar(-2.5), [{ data: x, shape: [3, 4] }]);
  gradCheck(([v]) => mul(v.reshape([4, 3]), v.reshape([4, 3])).reshape([-1]), [{
    data: x,
    shape: [3, 4],
  }]);
});
