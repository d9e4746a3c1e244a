// I-BERT integer ops against float references (erf by its Taylor series, exp, softmax and
// LayerNorm in float64). Bounds: the polynomial approximations' own error as published in
// I-BERT (i-GELU L∞ = 0.018, Table 1) plus the flooring of the integer constants.
import { equal, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import { Philox } from "@lowbit/rounding/philox";
import {
  iErf,
  iExp,
  iGelu,
  iLayerNorm,
  iPoly,
  iSoftmax,
  iSqrt,
  requantizeScaled,
} from "./ibert.ts";
import { QuantizedTensor } from "./quantized_tensor.ts";

/** erf by its Maclaurin series (|x| ≤ 6 here; terms alternate and shrink). */
function erf(x: number): number {
  if (Math.abs(x) > 6) return Math.sign(x);
  let s = 0, t = x;
  for (let n = 0; n < 400; n++) {
    s += t / (2 * n + 1);
    t *= (-x * x) / (n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * s;
}
const gelu = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));

Deno.test("i-GELU is within I-BERT's published L∞ 0.018 (+ flooring) of GELU on [−8, 8]", () => {
  for (const S of [0.03, 0.01, 0.004]) {
    const lim = Math.floor(8 / S);
    const q = Int32Array.from({ length: 2 * lim + 1 }, (_, i) => i - lim);
    const r = iGelu(q, S);
    let worst = 0;
    for (let i = 0; i < q.length; i++) {
      worst = Math.max(worst, Math.abs(r.q[i] * r.scale - gelu(q[i] * S)));
    }
    ok(worst <= 0.0185, `S = ${S}: worst ${worst}`);
    ok(worst >= 0.01, `S = ${S}: the polynomial's own error should show (${worst})`);
  }
  // erf is odd and saturates at ±1 beyond |x| = 1.769.
  const e = iErf(new Int32Array([-500, 500, 0]), 0.01);
  ok(Math.abs(e.q[0] * e.scale + 1) < 1e-3 && e.q[0] === -e.q[1] && e.q[2] === 0);
  throws(() => iGelu(new Int32Array([2 ** 30]), 0.001), /exceeds/);
});

Deno.test("i-exp within 0.004 of exp on [−10, 0]; i-poly evaluates a(x + b)² + c", () => {
  for (const S of [0.03, 0.01, 0.002]) {
    const q = Int32Array.from({ length: Math.floor(10 / S) }, (_, i) => -i);
    const r = iExp(q, S);
    for (let i = 0; i < q.length; i++) {
      ok(Math.abs(r.q[i] * r.scale - Math.exp(q[i] * S)) <= 0.004, `S ${S} x ${q[i] * S}`);
    }
  }
  throws(() => iExp(new Int32Array([1]), 0.01), /≤ 0/);
  throws(() => iExp(new Int32Array([0]), 1), /below ln 2/);
  // i-poly with exactly representable constants is exact.
  const p = iPoly(new Int32Array([-8, 0, 4]), 0.25, [2, 0.5, 3]);
  [-2, 0, 1].forEach((x, i) => equal(p.q[i] * p.scale, 2 * (x + 0.5) ** 2 + 3));
});

Deno.test("i-softmax within 0.01 of softmax, rows sum to ≈ 1", () => {
  const g = new Philox(51, 0);
  for (let trial = 0; trial < 20; trial++) {
    const n = 2 + (g.nextUint32() % 30), S = 0.005 + g.uniform() * 0.03;
    const q = Int32Array.from({ length: 3 * n }, () => (g.nextUint32() % 1001) - 500);
    const r = iSoftmax(q, S, n);
    for (let row = 0; row < 3; row++) {
      const x = [...q.subarray(row * n, (row + 1) * n)].map((v) => v * S);
      const m = Math.max(...x), e = x.map((v) => Math.exp(v - m)), s = e.reduce((a, b) => a + b, 0);
      let total = 0;
      for (let j = 0; j < n; j++) {
        const got = r.q[row * n + j] * r.scale;
        total += got;
        ok(Math.abs(got - e[j] / s) <= 0.01, `trial ${trial}: ${got} vs ${e[j] / s}`);
      }
      ok(Math.abs(total - 1) <= n / 256 + 0.01);
    }
  }
  throws(() => iSoftmax(new Int32Array(5), 0.01, 2), /dividing/);
});

Deno.test("i-sqrt is ⌊√n⌋ exactly (exhaustive to 2^17, then property up to 2^53)", () => {
  for (let n = 0; n < 2 ** 17; n++) {
    const r = iSqrt(n);
    if (!(r * r <= n && (r + 1) * (r + 1) > n)) throw new Error(`iSqrt(${n}) = ${r}`);
  }
  fc.assert(
    fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (n) => {
      const r = BigInt(iSqrt(n)), b = BigInt(n);
      return r * r <= b && (r + 1n) * (r + 1n) > b;
    }),
    { seed: 52, numRuns: 3000 },
  );
  throws(() => iSqrt(-1), RangeError);
});

Deno.test("i-LayerNorm lands within 1 output code of float LayerNorm (γ, β, int8 and int32 inputs)", () => {
  const g = new Philox(53, 0);
  for (
    const [d, dtype, spread] of [[16, "int8", 100], [64, "int8", 30], [384, "int32", 100000], [
      7,
      "int8",
      3,
    ]] as const
  ) {
    const rows = 4;
    const codes = Array.from(
      { length: rows * d },
      () => Math.round((g.uniform() - 0.5) * 2 * spread),
    );
    const x = QuantizedTensor.fromCodes(codes, [rows, d], dtype, 0.05);
    const gamma = Float32Array.from(
      { length: d },
      () => 0.5 + g.uniform() * 1.5 * (g.uniform() < 0.2 ? -1 : 1),
    );
    const beta = Float32Array.from({ length: d }, () => (g.uniform() - 0.5) * 0.6);
    const out = { scale: 3 / 127, zeroPoint: 0, dtype: "int8" as const };
    const y = iLayerNorm(x, out, { gamma, beta });
    let worst = 0;
    for (let r = 0; r < rows; r++) {
      const row = codes.slice(r * d, (r + 1) * d);
      const mu = row.reduce((a, b) => a + b, 0) / d;
      const sd = Math.sqrt(row.reduce((a, b) => a + (b - mu) ** 2, 0) / d);
      for (let j = 0; j < d; j++) {
        const exact = (gamma[j] * (row[j] - mu)) / sd + beta[j];
        const code = Math.min(127, Math.max(-128, exact / out.scale));
        worst = Math.max(worst, Math.abs(y.q[r * d + j] - code));
      }
    }
    ok(worst <= 1, `d ${d} ${dtype}: worst ${worst} codes`);
  }
  const x = QuantizedTensor.fromCodes([1, 2], [1, 2], "int8", 1);
  throws(
    () => iLayerNorm(x, { scale: 1, zeroPoint: 0, dtype: "int8" }, { gamma: new Float32Array(3) }),
    /length d = 2/,
  );
  equal(
    requantizeScaled({ q: new Int32Array([1000]), scale: 1 }, {
      scale: 1,
      zeroPoint: 0,
      dtype: "int8",
    }).q[0],
    127,
  );
});
