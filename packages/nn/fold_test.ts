import { deepEqual, ok, throws } from "node:assert/strict";
import { Philox } from "@lowbit/rounding/philox";
import { Variable } from "./autograd.ts";
import { BatchNorm1d, BatchNorm2d } from "./batchnorm.ts";
import { Conv2d } from "./conv2d.ts";
import { batchNormAffine, foldBatchNorm } from "./fold.ts";
import { Flatten, ReLU } from "./layers.ts";
import { Linear } from "./linear.ts";
import { Sequential } from "./module.ts";
import { awayFrom } from "./_gradcheck.ts";

Deno.test("foldBatchNorm: same eval outputs for conv+bn and linear+bn (trained running stats)", () => {
  const random = new Philox(3);
  const m = new Sequential([
    ["conv", new Conv2d(2, 3, 3, { random, padding: 1, bias: false })],
    ["bn", new BatchNorm2d(3)],
    ["relu", new ReLU()],
    ["flat", new Flatten()],
    ["fc", new Linear(3 * 16, 4, { random })],
    ["bn2", new BatchNorm1d(4)],
  ]);
  // move running statistics and affine parameters away from their defaults
  for (let i = 0; i < 5; i++) m.forward(Variable.from(awayFrom(4 * 32, i, -2, 3), [4, 2, 4, 4]));
  for (const [n, p] of m.namedParameters()) {
    if (n.startsWith("bn")) p.data.set(awayFrom(p.size, 9, 0.5, 1.5));
  }
  m.eval();
  const f = foldBatchNorm(m);
  deepEqual(f.layers.map(([n]) => n), ["conv", "relu", "flat", "fc"]);
  const x = Variable.from(awayFrom(2 * 32, 77, -2, 2), [2, 2, 4, 4]);
  const a = m.forward(x).data, b = f.forward(x).data;
  a.forEach((v, i) =>
    ok(Math.abs(v - b[i]) < 1e-4 * Math.max(1, Math.abs(v)), `${i}: ${v} vs ${b[i]}`)
  );
  throws(
    () => foldBatchNorm(new Sequential([new Linear(2, 3, { random }), new BatchNorm1d(2)])),
    /cannot fold BatchNorm1d\(2\) into Linear\(2→3\)/,
  );
});

Deno.test("batchNormAffine: scale·x + shift equals γ(x − μ)/√(σ² + ε) + β; bad lengths and ε rejected", () => {
  const gamma = [0.5, -2, 3], beta = [1, 0, -4], mean = [0.25, -1, 10], variance = [4, 0.0625, 1];
  const eps = 1e-3;
  const { scale, shift } = batchNormAffine(gamma, beta, mean, variance, eps);
  for (let c = 0; c < 3; c++) {
    for (const x of [-3, 0, 0.7, 12]) {
      const want = gamma[c] * (x - mean[c]) / Math.sqrt(variance[c] + eps) + beta[c];
      ok(Math.abs(scale[c] * x + shift[c] - want) < 1e-12 * (1 + Math.abs(want)));
    }
  }
  throws(
    () => batchNormAffine(gamma, beta, mean, [1], eps),
    /variance has 1 channels, gamma has 3/,
  );
  throws(() => batchNormAffine(gamma, beta, mean, variance, -1), /eps must be finite and ≥ 0/);
  throws(() => batchNormAffine(gamma, beta, mean, variance, NaN), /eps must be finite and ≥ 0/);
});
