import { deepEqual, equal, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import { Philox } from "@lowbit/rounding/philox";
import { fakeQuantize } from "./uniform.ts";
import {
  fakeQuantMask,
  lsqForward,
  lsqGradScale,
  lsqLocalGrad,
  lsqScaleGrad,
  pactAlphaGrad,
  pactAlphaMask,
  pactForward,
  pactInputMask,
  steGrad,
} from "./ste.ts";

const one = (v: number) => new Float32Array([v]);
const rhe = (v: number) => {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

// Finite differences below are central, (f(p + h) − f(p − h)) / 2h, taken only where [p − h,
// p + h] stays on one smooth piece. Every forward is piecewise linear there, so the difference is
// exact up to the float32 rounding of the two forward values: tolerance = 2 ulp of the output / 2h,
// stated per test.

Deno.test("fakeQuantMask is the derivative of the STE surrogate clamp(x, lo, hi) (property)", () => {
  const ranges = fc.constantFrom(
    { scale: 0.25, zeroPoint: 0, qmin: -8, qmax: 7 },
    { scale: 0.1, zeroPoint: 128, qmin: 0, qmax: 255 },
    { scale: 0.03, zeroPoint: -3, qmin: -128, qmax: 127 },
  );
  fc.assert(
    fc.property(ranges, fc.float({ min: -30, max: 30, noNaN: true }), (p, v) => {
      const lo = Math.fround((p.qmin - p.zeroPoint) * Math.fround(p.scale));
      const hi = Math.fround((p.qmax - p.zeroPoint) * Math.fround(p.scale));
      const h = 1e-3;
      fc.pre(Math.abs(v - lo) > 2 * h && Math.abs(v - hi) > 2 * h);
      const clamp = (t: number) => Math.min(Math.max(t, lo), hi);
      const fd = (clamp(v + h) - clamp(v - h)) / (2 * h);
      const m = fakeQuantMask(one(v), p)[0];
      ok(Math.abs(fd - m) <= 1e-9, `x = ${v}: fd ${fd}, mask ${m}`); // float64 surrogate
      // The real fake-quant forward: flat outside the range (true derivative 0 = mask) …
      const fq = (t: number) => fakeQuantize(one(t), p)[0];
      if (m === 0) equal(fq(v + h) - fq(v - h), 0);
      // … and inside, its secant over whole steps has slope exactly 1 (identity on average).
      const s = Math.fround(p.scale);
      if (v - 3 * s > lo + h && v + 3 * s < hi - h && p.scale === 0.25) {
        equal((fq(v + 2 * s) - fq(v - 2 * s)) / (4 * s), 1);
      }
    }),
    { numRuns: 4000, seed: 1 },
  );
});

Deno.test("fakeQuantMask rules: range ⊂ rounded, which adds the half step beyond each end", () => {
  const p = { scale: 0.5, zeroPoint: 2, qmin: 0, qmax: 15 }; // range [−1, 6.5]
  const x = new Float32Array([-1.3, -1.25, -1.2, -1, 0, 6.5, 6.7, 6.75, 6.8]);
  deepEqual([...fakeQuantMask(x, p)], [0, 0, 0, 1, 1, 1, 0, 0, 0]);
  // round(−2.5) = −2 (even) → code 0 in range; round(13.5) = 14 → code 16 out of range.
  deepEqual([...fakeQuantMask(x, p, { rule: "rounded" })], [0, 1, 1, 1, 1, 1, 1, 0, 0]);
  const rng = new Philox(3);
  const r = new Float32Array(5000);
  for (let i = 0; i < r.length; i++) r[i] = (rng.uniform() - 0.5) * 20;
  const a = fakeQuantMask(r, p), b = fakeQuantMask(r, p, { rule: "rounded" });
  for (let i = 0; i < r.length; i++) ok(a[i] <= b[i]);
});

Deno.test("steGrad passes the gradient where the mask is set", () => {
  const g = new Float32Array([1, -2, 3, 4]);
  deepEqual([...steGrad(g, new Float32Array([1, 0, 0, 1]))], [1, 0, 0, 4]);
  deepEqual([...steGrad(g, new Uint8Array(4))], [0, 0, 0, 0]);
});

/** The piece of LSQ's forward a value v = x/s lies on: clipped low / high, or the rounded code. */
const piece = (v: number, qmin: number, qmax: number) =>
  v <= qmin ? "low" : v >= qmax ? "high" : `in:${rhe(v)}`;

Deno.test("LSQ ∂x̂/∂s matches finite differences of the forward (property)", () => {
  const ranges = fc.constantFrom({ qmin: -8, qmax: 7 }, { qmin: 0, qmax: 15 }, {
    qmin: -128,
    qmax: 127,
  });
  fc.assert(
    fc.property(
      ranges,
      fc.float({ min: -40, max: 40, noNaN: true }),
      fc.double({ min: 0.05, max: 2, noNaN: true }),
      (r, xv, s) => {
        const x = Math.fround(xv), h = 1e-3 * s;
        const v = x / s;
        const pc = piece(v, r.qmin, r.qmax);
        fc.pre(
          piece(x / (s + h), r.qmin, r.qmax) === pc && piece(x / (s - h), r.qmin, r.qmax) === pc,
        );
        const g = lsqLocalGrad(one(x), s, r)[0];
        // True forward (float32 outputs): tolerance 2 ulp(max|x̂|) / 2h ≤ 2^−22 · Q · 1.001 / 2e-3.
        const q = Math.max(-r.qmin, r.qmax);
        const tol = (2 ** -22 * q * 1.001) / 2e-3 + 1e-12;
        const fd = (lsqForward(one(x), s + h, r)[0] - lsqForward(one(x), s - h, r)[0]) / (2 * h);
        if (pc === "low" || pc === "high") {
          ok(Math.abs(fd - g) <= tol, `clipped: fd ${fd} vs ${g}`);
          equal(g, pc === "low" ? r.qmin : r.qmax);
        } else {
          // The true derivative is round(v); LSQ adds the STE term −v.
          ok(Math.abs(fd - rhe(v)) <= tol, `inside: fd ${fd} vs round(v) ${rhe(v)}`);
          ok(Math.abs(g - (rhe(v) - v)) <= 1e-6 * (1 + Math.abs(v)));
        }
        // The STE surrogate s · clamp(x/s + sg(round(v) − v), qmin, qmax), in float64: its finite
        // difference equals LSQ's gradient on every piece (tolerance 1e-6 relative).
        const c = rhe(v) - v;
        const sur = (t: number) => t * Math.min(Math.max(x / t + c, r.qmin), r.qmax);
        const fdSur = (sur(s + h) - sur(s - h)) / (2 * h);
        const inner = x / (s + h) + c, inner2 = x / (s - h) + c;
        fc.pre(
          (inner <= r.qmin) === (inner2 <= r.qmin) && (inner >= r.qmax) === (inner2 >= r.qmax),
        );
        ok(Math.abs(fdSur - g) <= 1e-6 * (1 + q), `surrogate: ${fdSur} vs ${g}`);
      },
    ),
    { numRuns: 5000, seed: 2 },
  );
});

Deno.test("LSQ gradient scale and reduction", () => {
  equal(lsqGradScale(100, 4), 1 / 20);
  const rng = new Philox(6);
  const x = new Float32Array(1000), go = new Float32Array(1000);
  for (let i = 0; i < x.length; i++) {
    x[i] = (rng.uniform() - 0.5) * 4;
    go[i] = rng.uniform() - 0.5;
  }
  const r = { qmin: -4, qmax: 3 };
  const local = lsqLocalGrad(x, 0.3, r);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += go[i] * local[i];
  const g = lsqScaleGrad(x, 0.3, { ...r, gradOut: go });
  ok(Math.abs(g - s / Math.sqrt(1000 * 3)) <= 1e-12 * Math.abs(s));
  equal(lsqScaleGrad(x, 0.3, { ...r, gradOut: go, gradScale: 1 }), s);
});

Deno.test("PACT ∂y/∂α and ∂y/∂x match finite differences of the forward (property)", () => {
  fc.assert(
    fc.property(
      fc.float({ min: -10, max: 20, noNaN: true }),
      fc.double({ min: 0.5, max: 10, noNaN: true }),
      fc.constantFrom(undefined, 2, 4, 8),
      (xv, alpha, bits) => {
        const x = Math.fround(xv), h = 1e-3 * alpha;
        fc.pre(Math.abs(x - alpha) > 2 * h && Math.abs(x) > 2 * h);
        // Tolerance: 2 ulp of a float32 output ≤ α + h, over 2h: 2^−22 · 1.001 / 2e-3 ≈ 1.2e-4.
        const tol = (2 ** -22 * 1.001) / 2e-3;
        const mask = pactAlphaMask(one(x), alpha)[0];
        equal(pactAlphaGrad(one(x), alpha), mask);
        const fdA = (pactForward(one(x), alpha + h, bits)[0] -
          pactForward(one(x), alpha - h, bits)[0]) / (2 * h);
        if (bits === undefined || x > alpha) {
          // Unquantized clip everywhere, and the clipped part of the quantized forward.
          ok(Math.abs(fdA - mask) <= tol, `x ${x}, α ${alpha}: fd ${fdA} vs ${mask}`);
        }
        if (bits === undefined) {
          const hx = 1e-3 * Math.max(1, Math.abs(x));
          fc.pre(Math.abs(x - alpha) > 2 * hx && Math.abs(x) > 2 * hx);
          const fdX = (pactForward(one(x + hx), alpha)[0] - pactForward(one(x - hx), alpha)[0]) /
            (2 * hx);
          const tolX = (2 ** -22 * Math.max(1, Math.abs(x))) / hx;
          ok(Math.abs(fdX - pactInputMask(one(x), alpha)[0]) <= tolX, `x ${x}: ${fdX}`);
        }
      },
    ),
    { numRuns: 4000, seed: 4 },
  );
});

Deno.test("PACT quantized forward lies on α · {0, 1, …, 2^k − 1} / (2^k − 1)", () => {
  const rng = new Philox(9);
  const x = new Float32Array(500);
  for (let i = 0; i < x.length; i++) x[i] = (rng.uniform() - 0.3) * 8;
  const y = pactForward(x, 2.5, 3);
  for (let i = 0; i < x.length; i++) {
    const k = (y[i] * 7) / 2.5;
    ok(Math.abs(k - Math.round(k)) < 1e-5 && k >= 0 && k <= 7 + 1e-5);
    ok(Math.abs(y[i] - Math.min(Math.max(x[i], 0), 2.5)) <= 2.5 / 14 + 1e-6);
  }
  equal(
    pactAlphaGrad(x, 2.5, new Float32Array(500).fill(2)),
    2 * pactAlphaMask(x, 2.5).reduce((a, b) => a + b, 0),
  );
});

Deno.test("errors name the argument", () => {
  const x = new Float32Array(2);
  throws(
    () => fakeQuantMask([1] as never, { scale: 1, zeroPoint: 0, qmin: 0, qmax: 1 }),
    TypeError,
  );
  throws(() => fakeQuantMask(x, { scale: 0, zeroPoint: 0, qmin: 0, qmax: 1 }), /params.scale/);
  throws(() => fakeQuantMask(x, { scale: 1, zeroPoint: 0, qmin: 2, qmax: 1 }), /params.qmin/);
  throws(() => fakeQuantMask(x, { scale: 1, zeroPoint: 0.5, qmin: 0, qmax: 1 }), /zeroPoint/);
  throws(
    () => fakeQuantMask(x, { scale: 1, zeroPoint: 0, qmin: 0, qmax: 1 }, { rule: "x" as never }),
    /options.rule must be "range" or "rounded"/,
  );
  throws(() => steGrad(x, new Uint8Array(3)), /mask must have gradOut's length 2/);
  throws(() => lsqLocalGrad(x, -1, { qmin: 0, qmax: 1 }), /scale must be a finite positive/);
  throws(() => lsqGradScale(0, 7), /count must be a positive integer/);
  throws(() => lsqGradScale(10, 0), /qmax \(Qp\) must be a positive/);
  throws(() => lsqScaleGrad(x, 1, { qmin: 0, qmax: 1, gradOut: new Float32Array(1) }), /gradOut/);
  throws(() => lsqScaleGrad(x, 1, { qmin: 0, qmax: 1, gradScale: NaN }), /gradScale/);
  throws(() => pactForward(x, 0), /alpha must be a finite positive/);
  throws(() => pactForward(x, 1, 0), /bits must be an integer in \[1, 16\]/);
  throws(() => pactAlphaGrad(x, 1, new Float32Array(3)), /gradOut must have x's length 2/);
});
