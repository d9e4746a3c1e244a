// Tests of hvp.ts. Truths: (1) the float64 gradient equals the autograd's float32 gradient of
// ops.ts (an independent implementation); (2) H·v equals the central finite difference of that
// autograd gradient, (g(θ + hv) − g(θ − hv))/2h, on every layer type; (3) closed form
// H = 2/N·[X 1]ᵀ[X 1] for least squares; (4) property tests: symmetry u·Hv = v·Hu and linearity
// H(au + bw) = aHu + bHw on random small conv nets.

import assert from "node:assert/strict";
import fc from "fast-check";

import { Philox } from "@lowbit/rounding/philox";
import { Variable } from "./autograd.ts";
import { BatchNorm1d, BatchNorm2d } from "./batchnorm.ts";
import { Conv2d } from "./conv2d.ts";
import { hessianVectorProduct, type HvpLoss } from "./hvp.ts";
import {
  Activation,
  AvgPool2d,
  Flatten,
  GlobalAvgPool,
  MaxPool2d,
  ReLU,
  ReLU6,
  Residual,
} from "./layers.ts";
import { Linear } from "./linear.ts";
import { mseLoss, softmaxCrossEntropy } from "./losses.ts";
import { type Module, Sequential } from "./module.ts";
import { DepthwiseConv2d } from "./models.ts";

function randn(n: number, r: Philox, scale = 1): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = (r.uniform() * 2 - 1) * scale;
  return out;
}

function perturbBn(m: Module, r: Philox): void {
  for (const [name, b] of m.namedBuffers()) {
    if (name.endsWith("running_mean")) b.data.set(randn(b.data.length, r, 0.3));
    if (name.endsWith("running_var")) b.data.set(randn(b.data.length, r, 0.5).map((v) => 1 + v));
  }
  for (const [name, p] of m.namedParameters()) {
    if (name.endsWith("bias") || /bn|norm/.test(name)) p.data.set(randn(p.size, r, 0.3));
  }
}

function autogradGrad(m: Module, x: Variable, loss: HvpLoss): Float32Array[] {
  const ps = m.parameters();
  for (const p of ps) {
    p.requiresGrad = true;
    p.zeroGrad();
  }
  const y = m.forward(x);
  const l = loss.kind === "mse"
    ? mseLoss(y, new Variable(loss.target, y.shape))
    : softmaxCrossEntropy(y, loss.labels);
  l.backward();
  return ps.map((p) => p.grad ?? new Float32Array(p.size));
}

function norm(a: ArrayLike<number>[]): number {
  let s = 0;
  for (const v of a) for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

function diffNorm(a: ArrayLike<number>[], b: ArrayLike<number>[]): number {
  let s = 0;
  a.forEach((v, k) => {
    for (let i = 0; i < v.length; i++) s += (v[i] - b[k][i]) ** 2;
  });
  return Math.sqrt(s);
}

function check(name: string, m: Module, xShape: number[], loss: HvpLoss, seed: number) {
  // Piecewise-linear layers (ReLU, ReLU6, max pooling): a shift small enough that no unit
  // crosses its kink (the Hessian is then the one of the fixed linear region).
  const h = /relu|maxpool/.test(name) ? 1e-3 : 1e-2;
  const r = new Philox(seed, 3);
  m.eval();
  perturbBn(m, r);
  const x = new Variable(Float32Array.from(randn(xShape.reduce((a, b) => a * b, 1), r)), xShape);
  const ps = m.parameters();
  const v = ps.map((p) => randn(p.size, r));
  const res = hessianVectorProduct(m, x, loss, v);
  // (1) gradient equals the autograd's.
  const ag = autogradGrad(m, x, loss);
  assert.ok(
    diffNorm(res.grad, ag) <= 1e-5 * norm(ag) + 1e-7,
    `${name}: gradient ${diffNorm(res.grad, ag)} vs ${norm(ag)}`,
  );
  const base = ps.map((p) => p.data.slice());
  const setAt = (h: number) =>
    ps.forEach((p, k) => p.data.set(Float32Array.from(base[k], (b, i) => b + h * v[k][i])));
  // (2) central difference of the autograd (float32) gradient.
  setAt(h);
  const gp = autogradGrad(m, x, loss).map((g) => Float64Array.from(g));
  setAt(-h);
  const gm = autogradGrad(m, x, loss);
  const fd = gp.map((g, k) => g.map((val, i) => (val - gm[k][i]) / (2 * h)));
  assert.ok(
    diffNorm(fd, res.hv) <= 2e-2 * norm(res.hv) + 1e-4,
    `${name}: H·v vs autograd central difference: |Δ| ${diffNorm(fd, res.hv)}, |Hv| ${
      norm(res.hv)
    }`,
  );
  ps.forEach((p, k) => p.data.set(base[k]));
  assert.ok(norm(res.hv) > 0, `${name}: H·v is zero`);
}

Deno.test("hvp: every layer type against central differences of autograd gradients", () => {
  const r = new Philox(11);
  const random = r;
  const ce = (n: number, c: number, s: number): HvpLoss => ({
    kind: "cross-entropy",
    labels: Array.from({ length: n }, (_, i) => (i * 7 + s) % c),
  });
  const cases: [string, Module, number[], HvpLoss][] = [
    [
      "linear+tanh",
      new Sequential([
        new Linear(5, 4, { random }),
        new Activation("tanh"),
        new Linear(4, 3, { random }),
      ]),
      [3, 5],
      ce(3, 3, 1),
    ],
    [
      "linear+sigmoid mse",
      new Sequential([
        new Linear(4, 4, { random }),
        new Activation("sigmoid"),
        new Linear(4, 2, { random }),
      ]),
      [3, 4],
      { kind: "mse", target: new Float32Array([0.5, -1, 2, 0, 1, 1]) },
    ],
    [
      "linear+relu",
      new Sequential([new Linear(6, 5, { random }), new ReLU(), new Linear(5, 3, { random })]),
      [4, 6],
      ce(4, 3, 2),
    ],
    [
      "linear+hardSwish",
      new Sequential([
        new Linear(4, 6, { random }),
        new Activation("hardSwish"),
        new Linear(6, 3, { random }),
      ]),
      [3, 4],
      ce(3, 3, 0),
    ],
    [
      "conv stride/pad + relu6 + gap",
      new Sequential([
        new Conv2d(2, 3, 3, { random, padding: 1, stride: 2 }),
        new ReLU6(),
        new GlobalAvgPool(),
        new Linear(3, 3, { random }),
      ]),
      [2, 2, 5, 5],
      ce(2, 3, 1),
    ],
    [
      "conv groups + tanh",
      new Sequential([
        new Conv2d(4, 4, 3, { random, padding: 1, groups: 2 }),
        new Activation("tanh"),
        new Flatten(),
        new Linear(4 * 16, 3, { random }),
      ]),
      [2, 4, 4, 4],
      ce(2, 3, 0),
    ],
    [
      "depthwise",
      new Sequential([
        new DepthwiseConv2d(3, 3, { random, padding: 1 }),
        new Activation("tanh"),
        new GlobalAvgPool(),
        new Linear(3, 2, { random }),
      ]),
      [2, 3, 4, 4],
      ce(2, 2, 1),
    ],
    [
      "conv + bn2d(eval) + maxpool",
      new Sequential([
        new Conv2d(1, 3, 3, { random, padding: 1 }),
        new BatchNorm2d(3),
        new Activation("tanh"),
        new MaxPool2d({ kernel: 2 }),
        new Flatten(),
        new Linear(12, 3, { random }),
      ]),
      [2, 1, 4, 4],
      ce(2, 3, 2),
    ],
    [
      "avgpool pad",
      new Sequential([
        new Conv2d(1, 2, 2, { random }),
        new Activation("sigmoid"),
        new AvgPool2d({ kernel: 2, stride: 1, padding: 1 }),
        new Flatten(),
        new Linear(2 * 16, 2, { random }),
      ]),
      [2, 1, 4, 4],
      ce(2, 2, 0),
    ],
    [
      "bn1d",
      new Sequential([
        new Linear(3, 4, { random }),
        new BatchNorm1d(4),
        new Activation("tanh"),
        new Linear(4, 2, { random }),
      ]),
      [3, 3],
      ce(3, 2, 1),
    ],
    [
      "residual",
      new Sequential([
        new Conv2d(1, 2, 3, { random, padding: 1 }),
        new Residual(
          new Sequential([new Conv2d(2, 2, 3, { random, padding: 1 }), new Activation("tanh")]),
        ),
        new Residual(new Activation("sigmoid"), new Conv2d(2, 2, 1, { random })),
        new GlobalAvgPool(),
        new Linear(2, 2, { random }),
      ]),
      [2, 1, 4, 4],
      ce(2, 2, 1),
    ],
  ];
  cases.forEach(([name, m, shape, loss], i) => check(name, m, shape, loss, 100 + i));
});

Deno.test("hvp: least squares has H = 2/N·[X 1]ᵀ[X 1] (closed form, every column)", () => {
  const r = new Philox(5);
  const n = 4, k = 3;
  const lin = new Linear(k, 1, { random: r });
  lin.eval();
  const xs = Float32Array.from(randn(n * k, r));
  const x = new Variable(xs, [n, k]);
  const loss: HvpLoss = { kind: "mse", target: Float32Array.from(randn(n, r)) };
  const aug = (row: number, i: number) => (i < k ? xs[row * k + i] : 1);
  for (let j = 0; j <= k; j++) {
    const v = [new Float64Array(k), new Float64Array(1)];
    if (j < k) v[0][j] = 1;
    else v[1][0] = 1;
    const { hv } = hessianVectorProduct(lin, x, loss, v);
    const got = [...hv[0], hv[1][0]];
    for (let i = 0; i <= k; i++) {
      let want = 0;
      for (let row = 0; row < n; row++) want += (2 / n) * aug(row, i) * aug(row, j);
      assert.ok(Math.abs(got[i] - want) < 1e-6, `H[${i}][${j}] = ${got[i]}, want ${want}`);
    }
  }
});

Deno.test("hvp: property — symmetric and linear in v on random conv nets", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 1 << 30 }),
      fc.double({ min: -2, max: 2, noNaN: true }),
      (seed, a) => {
        const r = new Philox(seed);
        const net = new Sequential([
          new Conv2d(1, 2, 3, { random: r, padding: 1 }),
          new BatchNorm2d(2),
          new Activation("tanh"),
          new MaxPool2d({ kernel: 2 }),
          new Flatten(),
          new Linear(8, 3, { random: r }),
        ]).eval();
        perturbBn(net, r);
        const x = new Variable(Float32Array.from(randn(2 * 16, r)), [2, 1, 4, 4]);
        const loss: HvpLoss = { kind: "cross-entropy", labels: [seed % 3, (seed >> 3) % 3] };
        const ps = net.parameters();
        const u = ps.map((p) => randn(p.size, r)), w = ps.map((p) => randn(p.size, r));
        const hu = hessianVectorProduct(net, x, loss, u).hv;
        const hw = hessianVectorProduct(net, x, loss, w).hv;
        let uhw = 0, whu = 0;
        ps.forEach((_, k) =>
          hu[k].forEach((h, i) => {
            whu += w[k][i] * h;
            uhw += u[k][i] * hw[k][i];
          })
        );
        assert.ok(Math.abs(uhw - whu) <= 1e-9 * (1 + Math.abs(uhw)), `u·Hw ${uhw} vs w·Hu ${whu}`);
        const mix = u.map((uk, k) => uk.map((val, i) => a * val + w[k][i]));
        const hm = hessianVectorProduct(net, x, loss, mix).hv;
        const want = hu.map((h, k) => h.map((val, i) => a * val + hw[k][i]));
        assert.ok(diffNorm(hm, want) <= 1e-9 * (1 + norm(want)));
      },
    ),
    { numRuns: 25, seed: 17 },
  );
});

Deno.test("hvp: typed errors", () => {
  const r = new Philox(1);
  const net = new Sequential([new Linear(2, 2, { random: r }), new BatchNorm1d(2)]);
  const x = Variable.zeros([1, 2]);
  const v = net.parameters().map((p) => new Float64Array(p.size));
  assert.throws(
    () => hessianVectorProduct(net, x, { kind: "cross-entropy", labels: [0] }, v),
    /training mode/,
  );
  net.eval();
  assert.throws(
    () => hessianVectorProduct(net, x, { kind: "cross-entropy", labels: [0] }, v.slice(1)),
    RangeError,
  );
  assert.throws(
    () => hessianVectorProduct(net, x, { kind: "cross-entropy", labels: [5] }, v),
    /labels\[0\]/,
  );
  const gelu = new Sequential([new Activation("gelu")]).eval();
  assert.throws(
    () => hessianVectorProduct(gelu, x, { kind: "mse", target: new Float32Array(2) }, []),
    TypeError,
  );
});
