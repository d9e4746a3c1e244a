import { ok } from "node:assert/strict";
import { Variable } from "@lowbit/nn/autograd";
import { Linear } from "@lowbit/nn/linear";
import { Philox } from "@lowbit/rounding/philox";
import { hutchinsonTrace, normalQuantile } from "./sensitivity.ts";

Deno.test("normalQuantile matches published standard-normal quantiles", () => {
  // Abramowitz & Stegun table 26.1 values
  for (const [p, z] of [[0.975, 1.959964], [0.95, 1.644854], [0.995, 2.575829], [0.5, 0]]) {
    ok(Math.abs(normalQuantile(p) - z) < 1e-5, `p=${p}: ${normalQuantile(p)}`);
  }
});

Deno.test("Hutchinson on a non-diagonal least-squares Hessian: unbiased, and its 95% interval covers the exact trace", () => {
  // loss = 1/N·Σ (w·x_n − 0)², H = 2/N·XᵀX, Tr H = 2/N·Σ x²: a closed form independent of the HVP
  const src = new Philox(3, 0);
  const n = 6, d = 4;
  const xs = Array.from({ length: n * d }, () => Math.round((src.uniform() * 4 - 2) * 8) / 8);
  const exact = (2 / n) * xs.reduce((s, v) => s + v * v, 0);
  const fc = new Linear(d, 1, { random: new Philox(0), bias: false }).eval();
  const x = Variable.from(xs, [n, d]);
  const loss = { kind: "mse" as const, target: new Float32Array(n) };
  let covered = 0, sum = 0;
  const runs = 40;
  for (let seed = 0; seed < runs; seed++) {
    const [t] = hutchinsonTrace(fc, x, loss, { samples: 16, random: new Philox(100 + seed) });
    ok(t.standardError > 0, "a non-diagonal Hessian has sample variance");
    if (t.interval[0] <= exact && exact <= t.interval[1]) covered++;
    sum += t.trace;
  }
  ok(covered >= 0.8 * runs, `coverage ${covered}/${runs}`);
  ok(Math.abs(sum / runs - exact) < 0.05 * exact, `mean ${sum / runs} vs exact ${exact}`);
});
