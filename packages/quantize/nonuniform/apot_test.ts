import { deepEqual, equal, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import { Philox } from "@lowbit/rounding/philox";
import { apotFormat, apotLevels, decodeApot, encodeApot, quantizeApot } from "./apot.ts";

Deno.test("b = 4, n = 2: the paper's worked example (Eqs. A.1–A.3)", () => {
  const f = apotFormat({ bits: 4, terms: 2 });
  equal(f.termBits, 2);
  equal(f.magnitudeBits, 4);
  // p0 ∈ {0, 2^0, 2^−2, 2^−4}, p1 ∈ {0, 2^−1, 2^−3, 2^−5}
  deepEqual([...f.termSets[0]], [0, 2 ** -4, 2 ** -2, 1]);
  deepEqual([...f.termSets[1]], [0, 2 ** -5, 2 ** -3, 2 ** -1]);
  // PyTorch's APoTObserver(b=4, k=2) test: γ = 1 / (2^0 + 2^−1), 2^4 levels.
  equal(f.gamma, 1 / (2 ** 0 + 2 ** -1));
  equal(f.magnitudes.length, 16);
  const times48 = [...f.magnitudes].map((v) => v * 48);
  deepEqual(
    times48.map(Math.round),
    [0, 1, 2, 3, 4, 6, 8, 9, 12, 16, 18, 24, 32, 33, 36, 48],
  );
  for (let i = 0; i < 16; i++) ok(Math.abs(times48[i] - Math.round(times48[i])) < 1e-5);
  equal(f.magnitudes[15], 1); // the largest level is α
});

Deno.test("b = 4, n = 2 equals the authors' build_power_value(B = 4) construction", () => {
  // Authors' code (yhhhli/APoT_Quantization, quant_layer.py): base_a = {0, 2^−(2i+1)},
  // base_b = {0, 2^−(2i+2)}, i = 0..2, all sums, divided by their maximum.
  const a = [0, 2 ** -1, 2 ** -3, 2 ** -5], b = [0, 2 ** -2, 2 ** -4, 2 ** -6];
  const sums = a.flatMap((u) => b.map((v) => u + v)).sort((p, q) => p - q);
  const max = sums[sums.length - 1];
  const ref = Float32Array.from(sums, (s) => s / max);
  deepEqual(apotFormat({ bits: 4, terms: 2 }).magnitudes, ref);
  // Their 4-bit weights use b − 1 = 3 magnitude bits with an uneven layout; ours needs n | m.
  throws(() => apotFormat({ bits: 4, terms: 2, signed: true }), /terms must divide the 3/);
});

Deno.test("n = 1 is power-of-two quantization; k = 1 is uniform quantization", () => {
  for (let b = 1; b <= 4; b++) {
    const pot = apotFormat({ bits: b, terms: 1, alpha: 2 });
    const expect = [0];
    for (let e = -(2 ** b - 2); e <= 0; e++) expect.push(2 * 2 ** e);
    deepEqual([...pot.magnitudes], expect);
  }
  for (let m = 1; m <= 6; m++) {
    const uni = apotFormat({ bits: m, terms: m, alpha: 2 ** m - 1 });
    deepEqual([...uni.magnitudes], Array.from({ length: 2 ** m }, (_, i) => i));
  }
});

Deno.test("every valid (b, n): 2^m distinct levels in [0, α], γ = α / Σ 2^−i", () => {
  for (let b = 1; b <= 12; b++) {
    for (let n = 1; n <= b; n++) {
      if (b % n !== 0) continue;
      const k = b / n;
      // Sums of n ≥ 2 powers need their exponent span within float32's 24-bit significand;
      // single powers (n = 1) only need to stay above the subnormal limit 2^−149.
      if (n > 1 ? (2 ** k - 2) * n + n - 1 > 23 : 2 ** b - 2 > 149) {
        throws(() => apotFormat({ bits: b, terms: n }), /collide in float32/, `b ${b} n ${n}`);
        continue;
      }
      const f = apotFormat({ bits: b, terms: n, alpha: 1.5 });
      equal(f.magnitudes.length, 2 ** b);
      equal(f.magnitudes[0], 0);
      equal(f.magnitudes[2 ** b - 1], 1.5);
      let top = 0;
      for (let i = 0; i < n; i++) top += 2 ** -i;
      equal(f.gamma, 1.5 / top);
      for (let i = 1; i < f.magnitudes.length; i++) ok(f.magnitudes[i] > f.magnitudes[i - 1]);
    }
  }
});

Deno.test("signed levels are ±Q^a, 2^(m+1) − 1 of them", () => {
  const l = apotLevels({ bits: 5, terms: 2, signed: true, alpha: 48 });
  equal(l.length, 31);
  deepEqual([...l.subarray(15)].map(Math.round), [
    0,
    1,
    2,
    3,
    4,
    6,
    8,
    9,
    12,
    16,
    18,
    24,
    32,
    33,
    36,
    48,
  ]);
  for (let i = 0; i < 15; i++) equal(l[i], -l[30 - i]);
});

Deno.test("projection: nearest level, ties to the lower magnitude, odd-symmetric (property)", () => {
  const o = { bits: 5, terms: 2, signed: true, alpha: 0.8 };
  const levels = apotLevels(o);
  fc.assert(
    fc.property(fc.float({ min: -2, max: 2, noNaN: true }), (v) => {
      const q = quantizeApot(new Float32Array([v]), o)[0];
      for (const l of levels) ok(Math.abs(v - q) <= Math.abs(v - l));
      equal(quantizeApot(new Float32Array([-v]), o)[0] + 0, -q + 0); // + 0 folds −0
      ok(Math.abs(q) <= 0.8 + 1e-7);
    }),
    { numRuns: 5000, seed: 9 },
  );
  // Ties between 32/48 and 33/48 (α = 1, unsigned): the midpoint 32.5/48 is exact in float32
  // only for some scalings; use α = 48 so the levels are integers.
  const t = { bits: 4, terms: 2, alpha: 48 };
  deepEqual([...quantizeApot(new Float32Array([32.5, 40, 0.5, 28]), t)], [32, 36, 0, 24]);
  const ts = { ...t, bits: 5, signed: true };
  deepEqual([...quantizeApot(new Float32Array([-32.5, -40, -0.5]), ts)], [-32, -36, 0]);
});

Deno.test("encode/decode round trip and code layout", () => {
  const o = { bits: 7, terms: 3, signed: true, alpha: 2.5 };
  const f = apotFormat(o);
  const rng = new Philox(2);
  const x = new Float32Array(3000);
  for (let i = 0; i < x.length; i++) x[i] = (rng.uniform() - 0.5) * 6;
  const codes = encodeApot(x, o);
  ok(codes instanceof Uint8Array);
  deepEqual(decodeApot(codes, o), quantizeApot(x, o));
  for (let i = 0; i < x.length; i++) {
    equal(codes[i] >> 6, x[i] < 0 && codes[i] !== 0 ? 1 : 0);
    equal(decodeApot([codes[i] & 63], o)[0], f.magnitudes[codes[i] & 63]);
  }
  ok(encodeApot(new Float32Array(1), { bits: 9, terms: 3 }) instanceof Uint16Array);
  // Unsigned: negatives are 0; the negative-zero code decodes to 0 when signed.
  deepEqual([...quantizeApot(new Float32Array([-1, 2]), { bits: 4, terms: 2 })], [0, 1]);
  equal(decodeApot([16], { bits: 5, terms: 2, signed: true })[0] + 0, 0);
});

Deno.test("errors name the argument and the allowed values", () => {
  throws(() => apotFormat({ bits: 0, terms: 1 }), /bits must be an integer in \[1, 16\]/);
  throws(() => apotFormat({ bits: 1, terms: 1, signed: true }), /\[2, 16\] for signed/);
  throws(
    () => apotFormat({ bits: 6, terms: 4 }),
    /terms must divide the 6 magnitude bits: one of 1, 2, 3, 6; got 4/,
  );
  throws(() => apotFormat({ bits: 4, terms: 2, alpha: 0 }), /alpha must be a finite positive/);
  throws(() => apotFormat({ bits: 8, terms: 2 }), /collide in float32/);
  throws(() => apotFormat(null as never), TypeError);
  throws(() => encodeApot(new Float32Array([NaN]), { bits: 4, terms: 2 }), /x\[0\] is NaN/);
  throws(
    () => decodeApot([16], { bits: 4, terms: 2 }),
    /codes\[0\] must be an integer in \[0, 15\]/,
  );
});
