// gemmlowp/TFLite requantization checked against exact BigInt arithmetic, including the
// saturating corner INT32_MIN·INT32_MIN and negative ties; the ONNX float form against its
// definition; the per-channel and output-stage paths against the scalar primitives.
import { deepEqual, equal, throws } from "node:assert/strict";
import fc from "fast-check";
import { requantizeAccumulators } from "@lowbit/kernels/output-stage";
import {
  multiplyByQuantizedMultiplier,
  multiplyByQuantizedMultipliers,
  outputStageFor,
  quantizeMultiplier,
  quantizeMultipliers,
  quantizeMultiplierSmallerThanOne,
  requantizeFloat,
  roundingDivideByPOT,
  saturatingRoundingDoublingHighMul,
} from "./requantize.ts";

const I32_MIN = -2147483648, I32_MAX = 2147483647;

/** SRDHM by definition: nearest integer to a·b/2^31, exact ties toward +∞; saturating. */
function srdhmBig(a: number, b: number): number {
  if (a === I32_MIN && b === I32_MIN) return I32_MAX;
  const p = BigInt(a) * BigInt(b);
  // floor((2p + 2^31) / 2^32) = round half up of p / 2^31
  const num = 2n * p + (1n << 31n);
  const q = num >= 0n ? num / (1n << 32n) : -((-num + (1n << 32n) - 1n) / (1n << 32n));
  return Number(q);
}
/** x / 2^e rounded to nearest, ties away from zero. */
function rdbpotBig(x: number, e: number): number {
  if (e === 0) return x;
  const v = BigInt(x), d = 1n << BigInt(e), h = d >> 1n;
  return Number(v >= 0n ? (v + h) / d : -((-v + h) / d));
}
function mbqmBig(acc: number, m: number, shift: number): number {
  const left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
  const shifted = Number(BigInt.asIntN(32, BigInt(acc) << BigInt(left)));
  return rdbpotBig(srdhmBig(shifted, m), right);
}

const int32 = fc.integer({ min: I32_MIN, max: I32_MAX });

Deno.test("SaturatingRoundingDoublingHighMul equals exact BigInt rounding (corners + property)", () => {
  equal(saturatingRoundingDoublingHighMul(I32_MIN, I32_MIN), I32_MAX);
  equal(saturatingRoundingDoublingHighMul(I32_MIN, I32_MAX), -I32_MAX);
  // Exact ties: a·b = ±2^30 → ±0.5 rounds toward +∞ in gemmlowp's nudge (0.5 → 1, −0.5 → 0).
  equal(saturatingRoundingDoublingHighMul(1 << 15, 1 << 15), 1);
  equal(saturatingRoundingDoublingHighMul(-(1 << 15), 1 << 15), 0);
  equal(saturatingRoundingDoublingHighMul(-3 * (1 << 15), 1 << 15), -1); // −1.5 → −1
  fc.assert(
    fc.property(int32, int32, (a, b) => saturatingRoundingDoublingHighMul(a, b) === srdhmBig(a, b)),
    {
      seed: 11,
      numRuns: 3000,
    },
  );
  // Ties on purpose: products that are odd multiples of 2^30.
  fc.assert(
    fc.property(
      fc.integer({ min: -(2 ** 15), max: 2 ** 15 }),
      fc.integer({ min: 0, max: 15 }),
      (k, s) => {
        const a = (2 * k + 1) * 2 ** s, b = 2 ** (30 - s);
        return a > I32_MIN && a <= I32_MAX && b <= I32_MAX
          ? saturatingRoundingDoublingHighMul(a, b) === srdhmBig(a, b)
          : true;
      },
    ),
    { seed: 12, numRuns: 1000 },
  );
});

Deno.test("RoundingDivideByPOT rounds half away from zero, including negative ties", () => {
  equal(roundingDivideByPOT(-5, 1), -3);
  equal(roundingDivideByPOT(-4, 3), -1); // −0.5 → −1
  equal(roundingDivideByPOT(I32_MIN, 31), -1);
  equal(roundingDivideByPOT(I32_MAX, 31), 1);
  fc.assert(
    fc.property(
      int32,
      fc.integer({ min: 0, max: 31 }),
      (x, e) => roundingDivideByPOT(x, e) === rdbpotBig(x, e),
    ),
    { seed: 13, numRuns: 3000 },
  );
});

Deno.test("multiplyByQuantizedMultiplier equals the BigInt composition; error ≤ 1 vs the real product", () => {
  fc.assert(
    fc.property(int32, fc.double({ min: 2 ** -20, max: 0.9999, noNaN: true }), (acc, real) => {
      const { multiplier, shift } = quantizeMultiplier(real);
      const got = multiplyByQuantizedMultiplier(acc, multiplier, shift);
      if (got !== mbqmBig(acc, multiplier, shift)) return false;
      // Two roundings (≤ 1/2 each, the first scaled down by 2^−right) plus the mantissa error.
      const exact = acc * multiplier * 2 ** (shift - 31);
      return Math.abs(got - exact) <= 1;
    }),
    { seed: 14, numRuns: 3000 },
  );
  // Left shifts (multipliers ≥ 1) wrap like C++ int32 shifts.
  fc.assert(
    fc.property(
      fc.integer({ min: -(2 ** 20), max: 2 ** 20 }),
      fc.double({ min: 1, max: 1000, noNaN: true }),
      (acc, real) => {
        const { multiplier, shift } = quantizeMultiplier(real);
        return multiplyByQuantizedMultiplier(acc, multiplier, shift) ===
          mbqmBig(acc, multiplier, shift);
      },
    ),
    { seed: 15, numRuns: 1000 },
  );
});

Deno.test("quantizeMultiplier: mantissa in [2^30, 2^31) and value within half a Q31 ulp", () => {
  fc.assert(
    fc.property(fc.double({ min: 2 ** -30, max: 2 ** 30, noNaN: true }), (real) => {
      const { multiplier, shift } = quantizeMultiplier(real);
      const v = multiplier * 2 ** (shift - 31);
      return multiplier >= 2 ** 30 && multiplier < 2 ** 31 &&
        Math.abs(v - real) <= 2 ** (shift - 32) * (1 + 1e-12);
    }),
    { seed: 16, numRuns: 2000 },
  );
  throws(() => quantizeMultiplierSmallerThanOne(0), /\(0, 1\)/);
  throws(() => quantizeMultiplierSmallerThanOne(1), /\(0, 1\)/);
  throws(() => quantizeMultiplierSmallerThanOne(NaN), RangeError);
  throws(() => quantizeMultipliers([0.5, -1]), /reals\[1\]/);
});

Deno.test("requantizeFloat is float32 product, ties to even, zero point, saturation", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: -(2 ** 24), max: 2 ** 24 }),
      fc.double({ min: 1e-6, max: 2, noNaN: true }),
      fc.integer({ min: -128, max: 127 }),
      (acc, m, z) => {
        const p = Math.fround(Math.fround(acc) * Math.fround(m));
        const f = Math.floor(p), d = p - f;
        const r = d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
        const want = Math.min(127, Math.max(-128, r + z));
        return requantizeFloat(acc, m, z, -128, 127) === want;
      },
    ),
    { seed: 17, numRuns: 3000 },
  );
});

Deno.test("per-channel rescaling and both output stages equal the scalar primitives", () => {
  const reals = [0.5, 0.013, 0.77, 0.0009];
  const acc = Int32Array.from(
    { length: 40 },
    (_, i) => (i * 7919 - 150000) * (i % 3 === 0 ? -1 : 1),
  );
  const m = quantizeMultipliers(reals);
  const got = multiplyByQuantizedMultipliers(acc, m);
  for (let i = 0; i < acc.length; i++) {
    equal(got[i], mbqmBig(acc[i], m.multiplier[i % 4], m.shift[i % 4]));
  }
  const fixed = requantizeAccumulators(
    acc,
    4,
    outputStageFor(reals, { mode: "fixed", zeroPoint: 3, dtype: "int8" }),
  );
  deepEqual([...fixed], [...got].map((v) => Math.min(127, Math.max(-128, v + 3))));
  const float = requantizeAccumulators(
    acc,
    4,
    outputStageFor(reals, { mode: "float", zeroPoint: 3, dtype: "int8" }),
  );
  deepEqual([...float], [...acc].map((v, i) => requantizeFloat(v, reals[i % 4], 3, -128, 127)));
  throws(() => outputStageFor([0], { mode: "fixed", zeroPoint: 0, dtype: "int8" }), /reals\[0\]/);
  throws(() => outputStageFor([1], { mode: "x" as "fixed", zeroPoint: 0, dtype: "int8" }), /mode/);
  throws(() => multiplyByQuantizedMultipliers(new Int32Array(5), m), /multiple/);
});
