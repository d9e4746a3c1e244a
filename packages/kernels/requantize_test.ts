import { equal, throws } from "node:assert/strict";
import fc from "fast-check";
import {
  multiplyByQuantizedMultiplier,
  quantizeMultiplier,
  requantizeFloat,
  roundingDivideByPOT,
  saturatingRoundingDoublingHighMul,
} from "./requantize.ts";

// Independent truth: the gemmlowp definitions written with exact BigInt arithmetic.
const I32_MIN = -(2n ** 31n), I32_MAX = 2n ** 31n - 1n;
function srdhmBig(a: number, b: number): number {
  if (BigInt(a) === I32_MIN && BigInt(b) === I32_MIN) return Number(I32_MAX);
  const ab = BigInt(a) * BigInt(b);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  return Number((ab + nudge) / (1n << 31n)); // BigInt division truncates toward zero
}
function rdbpotBig(x: number, e: number): number {
  // round(x / 2^e), ties away from zero
  const d = 1n << BigInt(e);
  const X = BigInt(x);
  const q = X / d, r = X % d; // truncating
  const twice = 2n * (r < 0n ? -r : r);
  if (twice > d || twice === d) return Number(q + (X < 0n ? -1n : 1n));
  return Number(q);
}
const int32 = fc.oneof(
  fc.integer({ min: -2147483648, max: 2147483647 }),
  fc.constantFrom(-2147483648, 2147483647, 0, 1, -1, 1 << 30, -(1 << 30)),
);

Deno.test("SRDHM equals exact BigInt arithmetic, including INT32_MIN·INT32_MIN", () => {
  equal(saturatingRoundingDoublingHighMul(-2147483648, -2147483648), 2147483647);
  equal(saturatingRoundingDoublingHighMul(-2147483648, 2147483647), -2147483647);
  fc.assert(
    fc.property(int32, int32, (a, b) => saturatingRoundingDoublingHighMul(a, b) === srdhmBig(a, b)),
    { numRuns: 20000 },
  );
});

Deno.test("SRDHM ties round toward +infinity (gemmlowp's nudge 1 − 2^30 for negatives)", () => {
  // a·b = ±2^30 exactly: 2·a·b/2^32 = ±0.5
  equal(saturatingRoundingDoublingHighMul(1 << 15, 1 << 15), 1);
  equal(saturatingRoundingDoublingHighMul(-(1 << 15), 1 << 15), 0);
  equal(saturatingRoundingDoublingHighMul(-(1 << 15), 3 << 15), -1); // -1.5 → -1
  equal(saturatingRoundingDoublingHighMul(-(1 << 15), (3 << 15) + 1), -2); // just below -1.5
});

Deno.test("RoundingDivideByPOT equals round-half-away division", () => {
  fc.assert(
    fc.property(
      int32,
      fc.integer({ min: 0, max: 31 }),
      (x, e) => roundingDivideByPOT(x, e) === rdbpotBig(x, e),
    ),
    { numRuns: 20000 },
  );
  throws(() => roundingDivideByPOT(1, 32), /exponent must be an integer in \[0, 31\]/);
});

Deno.test("quantizeMultiplier: mantissa in [2^30, 2^31), reconstructs within half a Q31 ulp", () => {
  fc.assert(
    fc.property(fc.double({ min: 2 ** -30, max: 2 ** 30, noNaN: true }), (real) => {
      const { multiplier, shift } = quantizeMultiplier(real);
      if (multiplier < 2 ** 30 || multiplier >= 2 ** 31) return false;
      const back = multiplier * 2 ** (shift - 31);
      return Math.abs(back - real) <= 2 ** (shift - 32) * (1 + 1e-12);
    }),
    { numRuns: 5000 },
  );
  equal(quantizeMultiplier(0).multiplier, 0);
  equal(quantizeMultiplier(2 ** -40).multiplier, 0); // flushes
  // Rounds up to 2^31 and carries into the exponent.
  const c = quantizeMultiplier(1 - 2 ** -40);
  equal(c.multiplier, 2 ** 30);
  equal(c.shift, 1);
  throws(() => quantizeMultiplier(-1), /real must be a finite number in \[0, 2\^31\)/);
  throws(() => quantizeMultiplier(NaN), RangeError);
});

Deno.test("MultiplyByQuantizedMultiplier equals the BigInt composition", () => {
  fc.assert(
    fc.property(
      int32,
      fc.integer({ min: 1 << 30, max: 2147483647 }),
      fc.integer({ min: -31, max: 30 }),
      (acc, m, shift) => {
        const left = shift > 0 ? shift : 0;
        const shifted = Number(BigInt.asIntN(32, BigInt(acc) << BigInt(left)));
        const want = rdbpotBig(srdhmBig(shifted, m), shift > 0 ? 0 : -shift);
        return multiplyByQuantizedMultiplier(acc, m, shift) === want;
      },
    ),
    { numRuns: 20000 },
  );
});

Deno.test("fixed-point rescale approximates acc·real within one unit for real in (0, 1)", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: -(2 ** 24), max: 2 ** 24 }),
      fc.double({ min: 1e-6, max: 0.999, noNaN: true }),
      (acc, real) => {
        const { multiplier, shift } = quantizeMultiplier(real);
        return Math.abs(multiplyByQuantizedMultiplier(acc, multiplier, shift) - acc * real) <= 1;
      },
    ),
  );
});

Deno.test("requantizeFloat: float32 product, ties to even, saturation", () => {
  equal(requantizeFloat(3, 0.5, 0, -128, 127), 2); // 1.5 → 2
  equal(requantizeFloat(-3, 0.5, 0, -128, 127), -2);
  equal(requantizeFloat(-5, 0.5, 0, -128, 127), -2); // -2.5 → -2
  equal(requantizeFloat(-1000, 1, 0, -128, 127), -128);
  // float32(16777217) = 16777216: the accumulator is rounded to float32 first.
  equal(requantizeFloat(16777217, 2 ** -24, 0, -128, 127), 1);
  // float32 arithmetic: float32(0.1)·5 = 0.50000000745 rounds to 0.5 in float32, a tie → 0
  // (binary64 would give 1).
  equal(requantizeFloat(5, 0.1, 0, -128, 127), 0);
  throws(() => requantizeFloat(1, 0, 0, -128, 127), /multiplier must be a finite number > 0/);
  throws(() => requantizeFloat(1, 1, 200, 0, 127), /zeroPoint must be an integer in \[0, 127\]/);
});

Deno.test("requantizeAccumulators: a stage changed in place between calls (multiplier, shift, zero point, clamp, dtype) is resolved again, not served from the last resolution", async () => {
  const { requantizeAccumulators } = await import("./output_stage.ts");
  const acc = Int32Array.of(100, -100, 40, 7);
  const f = {
    kind: "float" as const,
    multiplier: Float32Array.of(0.5, 0.25),
    zeroPoint: 0,
    dtype: "int8" as const,
  } as {
    kind: "float";
    multiplier: Float32Array;
    zeroPoint: number;
    dtype: "int8" | "uint8";
    clampMin?: number;
  };
  equal([...requantizeAccumulators(acc, 2, f)].join(), "50,-25,20,2");
  f.multiplier[1] = 1; // in place
  equal([...requantizeAccumulators(acc, 2, f)].join(), "50,-100,20,7");
  f.zeroPoint = 3;
  equal([...requantizeAccumulators(acc, 2, f)].join(), "53,-97,23,10");
  f.clampMin = 0;
  equal([...requantizeAccumulators(acc, 2, f)].join(), "53,0,23,10");
  f.dtype = "uint8";
  f.clampMin = undefined;
  equal([...requantizeAccumulators(acc, 2, f)].join(), "53,0,23,10");
  const h = quantizeMultiplier(0.5);
  const x = {
    kind: "fixed" as const,
    multiplier: Int32Array.of(h.multiplier),
    shift: Int32Array.of(h.shift),
    zeroPoint: 0,
    dtype: "int8" as const,
  };
  equal([...requantizeAccumulators(acc, 1, x)].join(), "50,-50,20,4");
  x.shift[0] -= 1; // 0.25
  equal([...requantizeAccumulators(acc, 1, x)].join(), "25,-25,10,2");
  throws(() => requantizeAccumulators(acc, 4, x), RangeError); // one multiplier for four columns
});
