import { deepEqual, equal, throws } from "node:assert/strict";
import fc from "fast-check";
import { dyadicFromMultiplier, dyadicValue, multiplyByDyadic, toDyadic } from "./dyadic.ts";
import { multiplyByQuantizedMultiplier, quantizeMultiplier } from "./requantize.ts";

Deno.test("toDyadic picks the nearest b/2^c with the finest c that fits (brute force over c)", () => {
  fc.assert(
    fc.property(
      fc.double({ min: -1000, max: 1000, noNaN: true }),
      fc.integer({ min: 4, max: 24 }),
      (real, bits) => {
        if (Math.abs(Math.round(real)) >= 2 ** (bits - 1) - 1) return true;
        const d = toDyadic(real, { bits });
        if (Math.abs(d.b) >= 2 ** (bits - 1)) return false;
        // Brute force: the largest c ≤ 62 whose rounded numerator fits gives the same value.
        let best = 0;
        for (let c = 0; c <= 62; c++) {
          const b = Math.sign(real) * Math.floor(Math.abs(real) * 2 ** c + 0.5);
          if (Math.abs(b) < 2 ** (bits - 1)) best = c;
        }
        const bb = Math.sign(real) * Math.floor(Math.abs(real) * 2 ** best + 0.5);
        return dyadicValue(d) === bb / 2 ** best &&
          Math.abs(dyadicValue(d) - real) <= 2 ** -(best + 1);
      },
    ),
    { seed: 21, numRuns: 1500 },
  );
  deepEqual(toDyadic(0), { b: 0, c: 0 });
  deepEqual(toDyadic(-0.75, { bits: 4 }), { b: -3, c: 2 });
  throws(() => toDyadic(200, { bits: 8 }), /does not fit/);
  throws(() => toDyadic(NaN), /real/);
  throws(() => toDyadic(1, { bits: 40 }), /bits/);
});

Deno.test("dyadicFromMultiplier has exactly quantizeMultiplier's value", () => {
  fc.assert(
    fc.property(fc.double({ min: 2 ** -30, max: 2 ** 20, noNaN: true }), (real) => {
      const { multiplier, shift } = quantizeMultiplier(real);
      const d = dyadicFromMultiplier(multiplier, shift);
      return dyadicValue(d) === multiplier * 2 ** (shift - 31) && (d.b % 2 !== 0 || d.c === 0);
    }),
    { seed: 22, numRuns: 1000 },
  );
  throws(() => dyadicFromMultiplier(-1, 0), /multiplier/);
});

Deno.test("multiplyByDyadic is one exact rounding; gemmlowp's two roundings differ by ≤ 1", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      fc.double({ min: 2 ** -25, max: 0.999, noNaN: true }),
      (acc, real) => {
        const { multiplier, shift } = quantizeMultiplier(real);
        const d = dyadicFromMultiplier(multiplier, shift);
        const got = multiplyByDyadic(acc, d);
        // Exact reference in BigInt: nearest to acc·b/2^c, ties away from zero.
        const p = BigInt(acc) * BigInt(d.b), den = 1n << BigInt(d.c);
        const mag = p < 0n ? -p : p;
        const q = (2n * mag + den) / (2n * den);
        if (BigInt(got) !== (p < 0n ? -q : q)) return false;
        return Math.abs(got - multiplyByQuantizedMultiplier(acc, multiplier, shift)) <= 1;
      },
    ),
    { seed: 23, numRuns: 3000 },
  );
  equal(multiplyByDyadic(-2147483648, { b: -1, c: 0 }), 2147483647);
  // Where the two differ: 1 · 3/8 = 0.375 rounds once to 0; gemmlowp first rounds
  // 1 · 0.75 (SRDHM with M0 = 0.75·2^31) to 1, then 1 / 2 = 0.5 rounds away to 1.
  const { multiplier, shift } = quantizeMultiplier(0.375);
  equal(multiplyByDyadic(1, dyadicFromMultiplier(multiplier, shift)), 0);
  equal(multiplyByQuantizedMultiplier(1, multiplier, shift), 1);
  throws(() => multiplyByDyadic(0.5, { b: 1, c: 1 }), /x must be/);
  throws(() => multiplyByDyadic(1, { b: 1, c: -1 }), /d must be/);
});
