import { deepEqual, equal, ok } from "node:assert/strict";
import { Variable } from "@lowbit/nn/autograd";
import { Philox } from "@lowbit/rounding/philox";
import { gradCheck } from "../nn/_gradcheck.ts";
import { sign1 } from "./ste.ts";
import {
  abcActivations,
  abcBases,
  binaryConnect,
  dorefaGradient,
  dorefaWeights,
  scaledSign,
  ternaryTtq,
  ternaryTwn,
  twnThreshold,
} from "./weights.ts";

const close = (a: number, b: number, tol: number, what: string) =>
  ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tol ${tol})`);

/** Uniform values in (lo, hi) at least `gap` away from zero in magnitude. */
function awayFromZero(n: number, seed: number, lo: number, hi: number, gap: number): number[] {
  const r = new Philox(seed, 3), out: number[] = [];
  while (out.length < n) {
    const v = lo + (hi - lo) * r.uniform();
    if (Math.abs(v) >= gap) out.push(v);
  }
  return out;
}

Deno.test("TTQ: the scale gradients are the finite differences (y is linear in W_p, W_n)", () => {
  const w = Float32Array.from(awayFromZero(24, 1, -2, 2, 0.3));
  gradCheck(([x, p, n]) => ternaryTtq(x, p, n, 0.05), [
    { data: w, shape: [4, 6], check: false },
    { data: new Float32Array([0.8]), shape: [1] },
    { data: new Float32Array([1.3]), shape: [1] },
  ], { atol: 1e-4, rtol: 1e-4 });
});

Deno.test("TTQ: the latent-weight gradient is W_p·ḡ, ḡ, W_n·ḡ by region (Zhu et al. Eq. 8)", () => {
  // max|W| = 2, t = 0.25 → Δ = 0.5: regions +, 0, −, 0, +
  const w = Variable.from([2, 0.4, -1, -0.5, 0.6], [5], { requiresGrad: true });
  const wp = Variable.from([0.75], [1], { requiresGrad: true });
  const wn = Variable.from([1.5], [1], { requiresGrad: true });
  const y = ternaryTtq(w, wp, wn, 0.25);
  deepEqual([...y.data], [0.75, 0, -1.5, 0, 0.75]);
  y.backward(new Float32Array([1, 2, 4, 8, 16]));
  deepEqual([...w.grad!], [0.75 * 1, 2, 1.5 * 4, 8, 0.75 * 16]);
  deepEqual([...wp.grad!], [1 + 16]);
  deepEqual([...wn.grad!], [-4]);
});

Deno.test("TWN: Δ = 0.7·E|W| and α = mean |W| above Δ on a hand tensor", () => {
  const w = [3, -1, 0.5, -2.5, 0.2, 0, 1.8, -0.1];
  // Σ|W| = 9.1 → E|W| = 1.1375, Δ = 0.79625; above: 3, 1, 2.5, 1.8 → α = 8.3/4
  const { delta, alpha } = twnThreshold(w);
  close(delta, 0.79625, 1e-12, "Δ");
  close(alpha, 2.075, 1e-12, "α");
  const y = ternaryTwn(Variable.from(w));
  deepEqual([...y.data], [1, -1, 0, -1, 0, 0, 1, 0].map((t) => Math.fround(t * 2.075)));
});

Deno.test("TWN: α is the least-squares scale of its ternary pattern; Δ ≈ a/3 optimum for U(−a, a)", () => {
  const r = new Philox(5), a = 2, n = 20000;
  const w = Float64Array.from({ length: n }, () => a * (2 * r.uniform() - 1));
  const { delta, alpha } = twnThreshold(w);
  // TWN's approximation Δ = 0.7·E|W| = 0.35a for the uniform distribution
  close(delta, 0.35 * a, 0.01 * a, "Δ vs 0.35a");
  const err = (s: number) => {
    let e = 0;
    for (const v of w) e += (v - (Math.abs(v) > delta ? s * Math.sign(v) : 0)) ** 2;
    return e;
  };
  ok(err(alpha) < err(alpha * 1.01) && err(alpha) < err(alpha * 0.99), "α minimises ‖W − αT‖²");
  // the exact optimum of TWN Eq. 6, max over Δ of (Σ_{|W|>Δ}|W|)²/|I_Δ|, is Δ* = a/3
  const sorted = Float64Array.from(w, Math.abs).sort().reverse();
  let best = -1, bestDelta = 0, s = 0;
  for (let i = 0; i < n - 1; i++) {
    s += sorted[i];
    const score = (s * s) / (i + 1);
    if (score > best) [best, bestDelta] = [score, sorted[i + 1]];
  }
  close(bestDelta, a / 3, 0.02 * a, "brute-force Δ* vs a/3");
  ok(Math.abs(delta - bestDelta) < 0.05 * a, "TWN's Δ near the optimum");
});

Deno.test("DoReFa gradients: on the 2ᵏ-level grid, within [−M, M], unbiased (stochastic rounding)", () => {
  const g = new Float32Array([0.3, -1, 0.05, 0.7, -0.45]);
  const M = 1;
  for (const bits of [1, 2, 4]) {
    const nLev = 2 ** bits - 1, rng = new Philox(11, bits), runs = 4000;
    const sum = new Float64Array(g.length);
    for (let t = 0; t < runs; t++) {
      const x = Variable.from([0, 0, 0, 0, 0], [5], { requiresGrad: true });
      dorefaGradient(x, bits, rng).backward(g);
      x.grad!.forEach((v, i) => {
        ok(Math.abs(v) <= M + 1e-6, `|q| ≤ M at ${bits} bits`);
        const j = (v / (2 * M) + 0.5) * nLev; // grid index
        ok(Math.abs(j - Math.round(j)) < 1e-4, `${v} is on the ${bits}-bit grid`);
        sum[i] += v;
      });
    }
    g.forEach((gi, i) => {
      // per-sample variance of stochastic rounding: f(1 − f)·step², step = 2M/(2ᵏ − 1)
      const u = (gi / (2 * M) + 0.5) * nLev, f = u - Math.floor(u);
      const sd = Math.sqrt(f * (1 - f)) * (2 * M / nLev) / Math.sqrt(runs);
      close(sum[i] / runs, gi, 4.5 * sd + 1e-6, `mean of ${bits}-bit gradient ${i}`);
    });
  }
  // the maximum is always represented exactly (it sits on a grid point)
  const x = Variable.from([0, 0], [2], { requiresGrad: true });
  dorefaGradient(x, 2, new Philox(0)).backward(new Float32Array([-2, 0.5]));
  equal(x.grad![0], -2);
});

Deno.test("DoReFa k-bit weights: backward is the exact gradient of tanh W / max|tanh W|", () => {
  const w0 = awayFromZero(12, 4, -1.5, 1.5, 0.05);
  w0[7] = 2.2; // a clear maximum: small perturbations keep the arg-max
  const probe = new Philox(8);
  const gOut = Float64Array.from({ length: 12 }, () => 2 * probe.uniform() - 1);
  const surrogate = (w: number[]) => {
    const t = w.map(Math.tanh), m = Math.max(...t.map(Math.abs));
    return t.reduce((s, v, i) => s + gOut[i] * (v / m), 0);
  };
  for (const bits of [2, 3]) {
    const x = Variable.from(w0, [3, 4], { requiresGrad: true });
    dorefaWeights(x, bits).backward(Float32Array.from(gOut));
    for (let j = 0; j < 12; j++) {
      const h = 1e-5, wp = [...w0], wm = [...w0];
      wp[j] += h;
      wm[j] -= h;
      const fd = (surrogate(wp) - surrogate(wm)) / (2 * h);
      close(x.grad![j], fd, 1e-4 * Math.max(1, Math.abs(fd)), `bits ${bits} element ${j}`);
    }
  }
  // k = 1: ±E|W|, gradient straight through
  const x = Variable.from([0.5, -1.5], [2], { requiresGrad: true });
  const y = dorefaWeights(x, 1);
  deepEqual([...y.data], [1, -1]);
  y.backward(new Float32Array([3, -2]));
  deepEqual([...x.grad!], [3, -2]);
});

Deno.test("XNOR-Net scaledSign: backward − STE term = the finite difference of α(x)·sign(x)", () => {
  const rows = 3, n = 5;
  const x0 = awayFromZero(rows * n, 9, -1.8, 1.8, 0.01);
  const probe = new Philox(2);
  const gOut = Float64Array.from({ length: rows * n }, () => 2 * probe.uniform() - 1);
  const loss = (x: number[]) => {
    let s = 0;
    for (let r = 0; r < rows; r++) {
      const row = x.slice(r * n, (r + 1) * n);
      const alpha = row.reduce((a, v) => a + Math.abs(v), 0) / n;
      row.forEach((v, j) => (s += gOut[r * n + j] * alpha * sign1(v)));
    }
    return s;
  };
  const x = Variable.from(x0, [rows, n], { requiresGrad: true });
  const y = scaledSign(x);
  y.backward(Float32Array.from(gOut));
  for (let j = 0; j < rows * n; j++) {
    const h = 1e-4, xp = [...x0], xm = [...x0];
    xp[j] += h;
    xm[j] -= h;
    const fd = (loss(xp) - loss(xm)) / (2 * h);
    const row = Math.floor(j / n);
    const alpha = x0.slice(row * n, (row + 1) * n).reduce((a, v) => a + Math.abs(v), 0) / n;
    const ste = Math.abs(x0[j]) <= 1 ? alpha * gOut[j] : 0;
    close(x.grad![j] - ste, fd, 1e-4, `element ${j}`);
  }
});

Deno.test("BinaryConnect stochastic: P(+1) = hard-σ(w) = clip((w + 1)/2, 0, 1)", () => {
  const ws = [-1.5, -0.6, 0, 0.4, 0.9, 2];
  const runs = 6000, rng = new Philox(21);
  const ones = new Float64Array(ws.length);
  const w = Variable.from(ws);
  for (let t = 0; t < runs; t++) {
    binaryConnect(w, rng).data.forEach((v, i) => {
      ok(v === 1 || v === -1);
      if (v === 1) ones[i]++;
    });
  }
  ws.forEach((v, i) => {
    const p = Math.min(1, Math.max(0, (v + 1) / 2));
    const sd = Math.sqrt(p * (1 - p) / runs);
    close(ones[i] / runs, p, 4.5 * sd + 1e-9, `P(+1) at w = ${v}`);
  });
});

Deno.test("ABC-Net: α solves the normal equations (M = 2 against Cramer's rule), residual ⟂ bases", () => {
  const r = new Philox(6);
  const w = Float64Array.from({ length: 50 }, () => r.uniform() * 3 - 1);
  const { bases, alpha } = abcBases(w, 2);
  const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i] * b[i];
    return s;
  };
  const [b0, b1] = bases;
  const a00 = dot(b0, b0), a01 = dot(b0, b1), a11 = dot(b1, b1);
  const r0 = dot(b0, w), r1 = dot(b1, w), det = a00 * a11 - a01 * a01;
  close(alpha[0], (r0 * a11 - a01 * r1) / det, 1e-6, "α₀");
  close(alpha[1], (a00 * r1 - a01 * r0) / det, 1e-6, "α₁");
  for (const M of [3, 5]) {
    const fit = abcBases(w, M);
    const res = Float64Array.from(
      w,
      (v, i) => v - fit.bases.reduce((s, B, m) => s + fit.alpha[m] * B[i], 0),
    );
    for (const B of fit.bases) ok(Math.abs(dot(B, res)) < 1e-6, `residual ⟂ basis (M = ${M})`);
  }
});

Deno.test("ABC-Net activations: β gradient by finite differences, x gradient on the windows", () => {
  const x = Float32Array.from(awayFromZero(10, 3, -0.8, 1.6, 0).map((v) => v));
  // keep x + v_n away from the kinks 0, 0.5 and 1 of H_n and its STE window
  const shifts = [0, -0.3, 0.25];
  for (let i = 0; i < x.length; i++) {
    while (shifts.some((s) => [0, 0.5, 1].some((k) => Math.abs(x[i] + s - k) < 0.03))) x[i] += 0.07;
  }
  gradCheck(([xx, b]) => abcActivations(xx, b, shifts), [
    { data: x, shape: [2, 5], check: false },
    { data: new Float32Array([0.5, 1.2, -0.7]), shape: [3] },
  ], { atol: 1e-4, rtol: 1e-4 });
  const xv = Variable.from([0.2, 1.2], [2], { requiresGrad: true });
  const beta = Variable.from([1, 2], [2], { requiresGrad: true });
  abcActivations(xv, beta, [0, -0.5]).backward(new Float32Array([1, 1]));
  // x = 0.2: windows x ∈ [0, 1] (β₀) yes, x − 0.5 ∈ [0, 1] no → 1; x = 1.2: no, yes → 2
  deepEqual([...xv.grad!], [1, 2]);
});
