import { deepEqual, ok, throws } from "node:assert/strict";
import { Philox } from "@lowbit/rounding/philox";
import { Variable } from "./autograd.ts";
import { fakeQuant, lsqQuant, pactQuant } from "./ops_quant.ts";
import { awayFrom } from "./_gradcheck.ts";

// The STE rules are derivatives of surrogates (ste.ts): fake quant ≈ clamp(x, lo, hi),
// LSQ ≈ s·clamp(x/s + c, qmin, qmax) with c = round(v) − v held fixed, PACT ≈ clamp(x, 0, α).
// Each backward is checked against float64 central differences of its surrogate, at points
// at least 0.05 away from the surrogate's kinks, h = 1e-4: the surrogates are piecewise linear,
// so the difference quotient is exact up to rounding (tolerance 1e-6 relative).

const weights = (n: number) => {
  const r = new Philox(5);
  return Float64Array.from({ length: n }, () => 2 * r.uniform() - 1);
};
const close = (a: number, b: number, what: string) =>
  ok(Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

Deno.test("fakeQuant STE (per tensor and per channel) = derivative of clamp(x, lo, hi)", () => {
  const p = { scale: 0.25, zeroPoint: 3, qmin: 0, qmax: 15 }; // range [−0.75, 3]
  const xs = awayFrom(40, 1, -2, 4, [-0.75, 3]);
  const w = weights(40);
  const x = Variable.from(xs, [40], { requiresGrad: true });
  fakeQuant(x, p).backward(Float32Array.from(w));
  xs.forEach((v, i) => close(x.grad![i], v > -0.75 && v < 3 ? w[i] : 0, `x[${i}]`));
  const pc = {
    scale: new Float32Array([0.5, 0.1]),
    zeroPoint: new Int32Array([0, 0]),
    qmin: -4,
    qmax: 3,
  };
  const xc = Variable.from(awayFrom(10, 2, -3, 3, [-2, 1.5, -0.4, 0.3]), [2, 5], {
    requiresGrad: true,
  });
  fakeQuant(xc, pc).backward(new Float32Array(10).fill(1));
  const lo = [-2, -0.4], hi = [1.5, 0.3];
  xc.data.forEach((v, i) => {
    const c = i < 5 ? 0 : 1;
    close(xc.grad![i], v > lo[c] && v < hi[c] ? 1 : 0, `xc[${i}]`);
  });
  throws(
    () => fakeQuant(xc, { ...pc, scale: new Float32Array(3) }),
    /3 scales and 2 zero points for 2 channels/,
  );
});

Deno.test("lsqQuant: x and s gradients = finite differences of the LSQ surrogate", () => {
  for (const [shape, steps] of [[[12], [0.3]], [[3, 4], [0.2, 0.5, 0.05]]] as const) {
    const n = shape.reduce((a: number, b: number) => a * b, 1), c = steps.length, inner = n / c;
    const range = { qmin: -4, qmax: 3 };
    // keep v = x/s at least 0.55 from the clipping ends (where round(v) sits on the clamp's
    // kink) and 0.05 from the rounding ties
    const xs = new Float32Array(n);
    const r = new Philox(11);
    for (let i = 0; i < n; i++) {
      const s = steps[Math.floor(i / inner)];
      let v: number;
      do v = -6 + 10 * r.uniform(); while (
        Math.abs(v - range.qmin) < 0.55 || Math.abs(v - range.qmax) < 0.55 ||
        Math.abs(v - Math.floor(v) - 0.5) < 0.05
      );
      xs[i] = v * s;
    }
    const w = weights(n);
    const x = Variable.from(xs, [...shape], { requiresGrad: true });
    const s = Variable.from(steps, [c], { requiresGrad: true });
    lsqQuant(x, s, { ...range, gradScale: 1 }).backward(Float32Array.from(w));
    for (let ch = 0; ch < c; ch++) {
      const s0 = steps[ch];
      const cs: number[] = [];
      for (let k = ch * inner; k < (ch + 1) * inner; k++) {
        const v = xs[k] / s0;
        cs.push(Math.round(v) - v);
      }
      const surrogate = (sv: number) => {
        let L = 0;
        for (let k = 0; k < inner; k++) {
          const q = Math.min(Math.max(xs[ch * inner + k] / sv + cs[k], range.qmin), range.qmax);
          L += w[ch * inner + k] * sv * q;
        }
        return L;
      };
      const h = 1e-7;
      close(s.grad![ch], (surrogate(s0 + h) - surrogate(s0 - h)) / (2 * h), `s[${ch}]`);
      for (let k = ch * inner; k < (ch + 1) * inner; k++) {
        const v = xs[k] / s0;
        close(x.grad![k], v > range.qmin && v < range.qmax ? w[k] : 0, `x[${k}]`);
      }
    }
  }
  throws(
    () => lsqQuant(Variable.zeros([3, 2]), Variable.from([1, 1]), { qmin: -1, qmax: 1 }),
    /step sizes \[2\] must be \[1\] or \[3\]/,
  );
});

Deno.test("pactQuant: x and α gradients = finite differences of clamp(x, 0, α)", () => {
  const a0 = 2.5;
  const xs = awayFrom(30, 3, -2, 5, [0, a0]);
  const w = weights(30);
  const x = Variable.from(xs, [30], { requiresGrad: true });
  const alpha = Variable.from([a0], [1], { requiresGrad: true });
  const y = pactQuant(x, alpha, 4);
  y.backward(Float32Array.from(w));
  const L = (a: number) => xs.reduce((s, v, i) => s + w[i] * Math.min(Math.max(v, 0), a), 0);
  close(alpha.grad![0], (L(a0 + 1e-4) - L(a0 - 1e-4)) / 2e-4, "alpha");
  xs.forEach((v, i) => close(x.grad![i], v >= 0 && v < a0 ? w[i] : 0, `x[${i}]`));
  // 4 bits: 15 levels of α/15
  ok(y.data.every((v) => Math.abs(v * 15 / a0 - Math.round(v * 15 / a0)) < 1e-5));
  deepEqual(pactQuant(Variable.from([9]), Variable.from([2])).data, new Float32Array([2]));
  throws(() => pactQuant(x, Variable.from([1, 2])), /alpha must have shape \[1\]/);
});
