import { deepEqual, equal, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import {
  assertRoundingMode,
  roundHalfAway,
  roundHalfEven,
  ROUNDING_MODES,
  roundInteger,
  roundStochasticWith,
  roundTowardZero,
} from "./modes.ts";
import { Philox } from "./philox.ts";

Deno.test("roundHalfEven agrees with the float32 hardware rounding (Math.fround at 2^23)", () => {
  // Adding and subtracting 2^52 rounds a binary64 of magnitude < 2^52 to an integer with the
  // FPU's round-half-even: an independent implementation of the same rule.
  const viaFpu = (x: number) => {
    if (Math.abs(x) >= 2 ** 52) return x;
    const c = x < 0 ? -(2 ** 52) : 2 ** 52;
    const r = (x + c) - c;
    return r === 0 ? (x < 0 || Object.is(x, -0) ? -0 : 0) : r;
  };
  fc.assert(
    fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
      ok(Object.is(roundHalfEven(x), viaFpu(x)), `x=${x}`);
    }),
    { numRuns: 20000, seed: 1 },
  );
  for (let k = -1000; k <= 1000; k++) {
    const x = k + 0.5;
    ok(Object.is(roundHalfEven(x), viaFpu(x)), `tie ${x}`);
  }
});

Deno.test("roundHalfEven on ties and signed zero", () => {
  deepEqual([-1.5, -0.5, 0.5, 1.5, 2.5, 3.5].map(roundHalfEven), [-2, -0, 0, 2, 2, 4]);
  ok(Object.is(roundHalfEven(-0.4), -0));
  equal(roundHalfEven(0.49999999999999994), 0);
  equal(roundHalfEven(4503599627370497), 4503599627370497);
  equal(roundHalfEven(Infinity), Infinity);
  ok(Number.isNaN(roundHalfEven(NaN)));
});

Deno.test("roundHalfAway and toward zero on ties", () => {
  deepEqual([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5].map(roundHalfAway), [-3, -2, -1, 1, 2, 3]);
  equal(roundHalfAway(0.49999999999999994), 0);
  deepEqual([-2.7, -0.2, 0.2, 2.7].map(roundTowardZero), [-2, -0, 0, 2]);
});

Deno.test("every deterministic mode brackets x and satisfies its defining property", () => {
  fc.assert(
    fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), (x) => {
      const lo = Math.floor(x), hi = Math.ceil(x);
      for (const m of ROUNDING_MODES) {
        if (m === "stochastic") continue;
        const r = roundInteger(x, m);
        ok(r === lo || r === hi, `${m} ${x} -> ${r}`);
      }
      equal(roundInteger(x, "floor"), lo);
      equal(roundInteger(x, "ceil"), hi);
      ok(Math.abs(roundInteger(x, "toward-zero")) <= Math.abs(x));
      ok(Math.abs(roundInteger(x, "nearest-even") - x) <= 0.5);
      ok(Math.abs(roundInteger(x, "nearest-away") - x) <= 0.5);
    }),
    { numRuns: 5000, seed: 2 },
  );
});

Deno.test("roundStochasticWith splits [0,1) at the fractional part", () => {
  equal(roundStochasticWith(1.25, 0), 2);
  equal(roundStochasticWith(1.25, 0.2499999), 2);
  equal(roundStochasticWith(1.25, 0.25), 1);
  equal(roundStochasticWith(-1.25, 0.74), -1);
  equal(roundStochasticWith(-1.25, 0.75), -2);
  equal(roundStochasticWith(3, 0), 3);
});

Deno.test("roundInteger validates its arguments", () => {
  throws(() => roundInteger(1.5, "stochastic"), TypeError);
  throws(() => roundInteger(1.5, "banker" as never), RangeError);
  const r = roundInteger(1.5, "stochastic", new Philox(1));
  ok(r === 1 || r === 2);
  throws(() => assertRoundingMode(3), /rounding must be one of/);
});
