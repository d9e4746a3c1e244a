import { ok, throws } from "node:assert/strict";
import { Variable } from "./autograd.ts";
import { batchNorm } from "./ops_norm.ts";
import { awayFrom, gradCheck } from "./_gradcheck.ts";

const stats = (c: number) => ({
  runMean: new Float32Array(c),
  runVar: new Float32Array(c).fill(1),
});

Deno.test("batchNorm (training, 4-D and 2-D): finite differences for x, γ, β", () => {
  for (const shape of [[3, 2, 2, 3], [5, 4]]) {
    const c = shape[1], size = shape.reduce((a, b) => a * b, 1);
    gradCheck(([x, g, b]) => batchNorm(x, g, b, stats(c), { training: true }), [
      { data: awayFrom(size, 1, -2, 2), shape },
      { data: awayFrom(c, 2, 0.5, 1.5), shape: [c] },
      { data: awayFrom(c, 3, -1, 1), shape: [c] },
    ]);
  }
});

Deno.test("batchNorm (eval): finite differences", () => {
  const s = { runMean: new Float32Array([0.5, -1]), runVar: new Float32Array([2, 0.5]) };
  gradCheck(([x, g, b]) => batchNorm(x, g, b, s), [
    { data: awayFrom(16, 4, -2, 2), shape: [2, 2, 2, 2] },
    { data: awayFrom(2, 5, 0.5, 1.5), shape: [2] },
    { data: awayFrom(2, 6, -1, 1), shape: [2] },
  ]);
});

Deno.test("batchNorm: batch statistics normalize; running stats follow PyTorch's update", () => {
  const x = Variable.from([1, 2, 3, 4, 10, 20, 30, 40], [4, 2]);
  const s = stats(2);
  const y = batchNorm(x, Variable.from([1, 1]), Variable.from([0, 0]), s, {
    training: true,
    eps: 0,
  });
  for (let c = 0; c < 2; c++) {
    let m = 0, v = 0;
    for (let i = 0; i < 4; i++) m += y.data[i * 2 + c] / 4;
    for (let i = 0; i < 4; i++) v += (y.data[i * 2 + c] - m) ** 2 / 4;
    ok(Math.abs(m) < 1e-6 && Math.abs(v - 1) < 1e-5);
  }
  // rows [1, 2], [3, 4], [10, 20], [30, 40]: channel 0 holds 1, 3, 10, 30
  const mean0 = (1 + 3 + 10 + 30) / 4;
  const var0 = ([1, 3, 10, 30].reduce((a, v) => a + (v - mean0) ** 2, 0)) / 3; // unbiased
  ok(Math.abs(s.runMean[0] - 0.1 * mean0) < 1e-5);
  ok(Math.abs(s.runVar[0] - (0.9 + 0.1 * var0)) < 1e-4);
  throws(
    () =>
      batchNorm(Variable.zeros([1, 2]), Variable.zeros([2]), Variable.zeros([2]), stats(2), {
        training: true,
      }),
    /more than one value per channel/,
  );
  throws(
    () => batchNorm(Variable.zeros([2, 3]), Variable.zeros([2]), Variable.zeros([2]), stats(2)),
    /input \[2, 3\] needs γ, β and running stats of length 3/,
  );
});
