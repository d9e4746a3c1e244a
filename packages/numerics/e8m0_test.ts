import { equal, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import { Philox } from "@lowbit/rounding/philox";
import { E8M0 } from "./e8m0.ts";

Deno.test("E8M0 decodes all 256 patterns to 2^(p−127), 0xFF to NaN (OCP MX v1.0 §5.4)", () => {
  for (let p = 0; p < 255; p++) {
    // Independent: build the value by repeated doubling/halving from 1.
    let v = 1;
    for (let k = 0; k < Math.abs(p - 127); k++) v = p > 127 ? v * 2 : v / 2;
    equal(E8M0.decode(p), v, `pattern ${p}`);
    equal(E8M0.encode(v), p, `encode 2^${p - 127}`);
  }
  ok(Number.isNaN(E8M0.decode(255)));
  equal(E8M0.encode(NaN), 255);
});

Deno.test("E8M0 rounding modes between powers of two", () => {
  equal(E8M0.encode(5, { rounding: "floor" }), 129);
  equal(E8M0.encode(5, { rounding: "toward-zero" }), 129);
  equal(E8M0.encode(5, { rounding: "ceil" }), 130);
  equal(E8M0.encode(5), 129); // 5 < 6 = 1.5·4
  equal(E8M0.encode(6.5), 130);
  equal(E8M0.encode(6), 130); // tie at 1.5·4: field 129 odd → up
  equal(E8M0.encode(3), 128); // tie at 1.5·2: field 128 even → stays
  equal(E8M0.encode(3, { rounding: "nearest-away" }), 129);
  equal(E8M0.encode(1e-50), 0); // below 2^-127: no zero, so the smallest
  equal(E8M0.encode(2 ** 128), 255);
  equal(E8M0.encode(2 ** 128, { saturate: true }), 254);
  equal(E8M0.encode(Infinity), 255);
});

Deno.test("E8M0 nearest-even is the nearest power of two by value (property)", () => {
  fc.assert(
    fc.property(fc.double({ min: 2 ** -120, max: 2 ** 120, noNaN: true }), (x) => {
      const r = E8M0.round(x);
      const k = Math.floor(Math.log2(x));
      for (const c of [k - 1, k, k + 1, k + 2]) ok(Math.abs(x - r) <= Math.abs(x - 2 ** c));
    }),
    { numRuns: 5000, seed: 4 },
  );
});

Deno.test("E8M0 stochastic rounding is unbiased in value", () => {
  const n = 100_000, rng = new Philox(8);
  const codes = E8M0.encodeArray(new Float64Array(n).fill(5), {
    rounding: "stochastic",
    random: rng,
  });
  const vals = E8M0.decodeArray(codes);
  const mean = vals.reduce((a, b) => a + b, 0) / n;
  // Values are 4 or 8 with p(8) = 0.25: standard error 4·sqrt(0.1875/n).
  ok(Math.abs(mean - 5) < 5 * 4 * Math.sqrt(0.1875 / n), `mean ${mean}`);
});

Deno.test("E8M0 rejects non-positive inputs and bad patterns", () => {
  throws(() => E8M0.encode(0), /x must be positive/);
  throws(() => E8M0.encode(-1), RangeError);
  throws(() => E8M0.encode("2" as never), TypeError);
  throws(() => E8M0.decode(256), /bits must be an integer in \[0, 255\]/);
  throws(() => E8M0.decode(-1), RangeError);
  throws(() => E8M0.encode(3, { rounding: "sideways" as never }), /rounding must be one of/);
});
