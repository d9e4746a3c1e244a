import { equal, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import { explainFloat32, float32Bits, float32FromBits } from "./float32.ts";

Deno.test("lecture 5.1.3 example 1: −314.625", () => {
  const e = explainFloat32(-314.625);
  equal(e.sign, 1);
  equal(e.exponent, 0b10000111);
  equal(e.mantissa, 0b00111010101000000000000);
  equal(e.fields, "1 | 10000111 | 00111010101000000000000");
  equal(e.kind, "normal");
  equal(e.value, -314.625);
  // 314.625 = 100111010.101₂ = 1.00111010101₂ × 2^8
  equal((1 + e.fraction) * 2 ** e.unbiasedExponent, 314.625);
});

Deno.test("explainFloat32 kinds", () => {
  equal(explainFloat32(0).kind, "zero");
  equal(explainFloat32(-0).fields, "1 | 00000000 | 00000000000000000000000");
  equal(explainFloat32(1e-45).kind, "subnormal");
  equal(explainFloat32(1e-45).mantissa, 1);
  equal(explainFloat32(Infinity).kind, "infinity");
  equal(explainFloat32(NaN).kind, "nan");
  equal(explainFloat32(1e39).kind, "infinity"); // rounds to float32 first
});

Deno.test("the fields reconstruct the value for random patterns (property)", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), (u) => {
      const x = float32FromBits(u);
      const e = explainFloat32(x);
      if (e.kind === "nan") return;
      equal(e.bits >>> 0, u >>> 0);
      const mag = e.kind === "infinity"
        ? Infinity
        : e.kind === "normal"
        ? (1 + e.fraction) * 2 ** e.unbiasedExponent
        : e.fraction * 2 ** -126;
      ok(Object.is(e.sign ? -mag : mag, x));
    }),
    { numRuns: 20000, seed: 5 },
  );
});

Deno.test("float32 bit casts", () => {
  equal(float32Bits(-314.625), 0xc39d5000);
  equal(float32FromBits(0xc39d5000), -314.625);
  throws(() => float32FromBits(2 ** 32), /bits must be an integer/);
  throws(() => float32FromBits(-1), RangeError);
});
