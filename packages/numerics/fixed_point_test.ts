import { deepEqual, equal, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import { Philox } from "@lowbit/rounding/philox";
import { fixedPoint } from "./fixed_point.ts";

Deno.test("lecture fixed<8,4>: 1 sign, 3 integer, 4 fraction bits", () => {
  const f = fixedPoint({ integerBits: 3, fractionBits: 4 });
  equal(f.bits, 8);
  equal(f.resolution, 1 / 16);
  equal(f.min, -8);
  equal(f.max, 7.9375);
  // 0 010 1000 = 2 + 8/16
  equal(f.decode(0b00101000), 2.5);
  equal(f.explain(2.5).fields, "0 010 1000");
  equal(f.explain(-1.5).fields, "1 110 1000");
  equal(
    fixedPoint({ integerBits: 4, fractionBits: 4, signed: false }).explain(2.5).fields,
    "0010 1000",
  );
});

Deno.test("every pattern of every format up to 12 bits decodes to q·2^−n and re-encodes", () => {
  for (let w = 2; w <= 12; w++) {
    for (const signed of [true, false]) {
      for (let n = 0; n <= w - (signed ? 1 : 0); n++) {
        const m = w - n - (signed ? 1 : 0);
        const f = fixedPoint({ integerBits: m, fractionBits: n, signed });
        for (let p = 0; p < 2 ** w; p++) {
          // Independent: two's complement by testing the top bit with a bit operation.
          const q = signed && (p >> (w - 1)) & 1 ? p - (1 << w) : p;
          const v = q / (1 << n);
          equal(f.decode(p), v, `${f.name} pattern ${p}`);
          equal(f.encode(v), p, `${f.name} value ${v}`);
        }
      }
    }
  }
});

Deno.test("rounding: ties to even by default, all modes bracket, nearest is nearest", () => {
  const f = fixedPoint({ integerBits: 0, fractionBits: 2 }); // Q0.2: steps of 0.25 in [-1, 0.75]
  deepEqual([0.125, 0.375, -0.125, -0.375].map((x) => f.round(x)), [0, 0.5, 0, -0.5]);
  equal(f.round(0.125, { rounding: "nearest-away" }), 0.25);
  equal(f.round(0.3, { rounding: "floor" }), 0.25);
  equal(f.round(-0.3, { rounding: "toward-zero" }), -0.25);
  equal(f.round(0.3, { rounding: "ceil" }), 0.5);
  const q = fixedPoint({ integerBits: 5, fractionBits: 6 });
  fc.assert(
    fc.property(fc.double({ min: q.min, max: q.max, noNaN: true }), (x) => {
      const r = q.round(x);
      ok(Math.abs(r - x) <= q.resolution / 2);
      ok(q.round(x, { rounding: "floor" }) <= x && x <= q.round(x, { rounding: "ceil" }));
    }),
    { numRuns: 5000, seed: 6 },
  );
});

Deno.test("saturation by default, RangeError when saturate is false", () => {
  const f = fixedPoint({ integerBits: 3, fractionBits: 4 });
  equal(f.round(100), 7.9375);
  equal(f.round(-100), -8);
  equal(f.encode(Infinity), 0x7f);
  equal(f.encode(-Infinity), 0x80);
  throws(() => f.encode(8, { saturate: false }), /outside Q3\.4's range \[-8, 7\.9375\]/);
  throws(() => f.encode(-Infinity, { saturate: false }), RangeError);
  equal(f.encode(7.96, { saturate: false }), 0x7f); // rounds down to max: in range
});

Deno.test("stochastic rounding in fixed point is unbiased", () => {
  const f = fixedPoint({ integerBits: 3, fractionBits: 4 });
  const rng = new Philox(12);
  const n = 100_000, x = 1.03;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += f.round(x, { rounding: "stochastic", random: rng });
  const p = x * 16 - Math.floor(x * 16);
  ok(Math.abs(sum / n - x) < 5 * Math.sqrt(p * (1 - p) / n) / 16);
});

Deno.test("arrays and storage types", () => {
  const f = fixedPoint({ integerBits: 7, fractionBits: 8 });
  const bits = f.encodeArray([1, -1, 0.5]);
  ok(bits instanceof Uint16Array);
  deepEqual([...f.decodeArray(bits)], [1, -1, 0.5]);
  ok(fixedPoint({ integerBits: 15, fractionBits: 16 }).encodeArray([1]) instanceof Uint32Array);
  equal(fixedPoint({ integerBits: 15, fractionBits: 16 }).encode(-1), 2 ** 32 - 65536);
});

Deno.test("errors name the argument", () => {
  const f = fixedPoint({ integerBits: 3, fractionBits: 4 });
  throws(() => f.encode(NaN), /x must not be NaN/);
  throws(() => f.encodeArray([1, NaN]), /src\[1\] is NaN/);
  throws(() => f.encode("1" as never), TypeError);
  throws(() => f.decode(256), /bits must be an integer pattern in \[0, 2\^8\)/);
  throws(() => f.decode(1.5), RangeError);
  throws(() => f.fromInteger(128), /q must be an integer in \[-128, 127\]/);
  throws(() => fixedPoint({ integerBits: -1, fractionBits: 4 }), /integerBits/);
  throws(() => fixedPoint({ integerBits: 1, fractionBits: 2.5 }), /fractionBits/);
  throws(() => fixedPoint({ integerBits: 20, fractionBits: 20 }), /must be in \[2, 32\]/);
  throws(() => fixedPoint({ integerBits: 0, fractionBits: 0 }), /must be in \[2, 32\]/);
  throws(() => f.encode(1, { rounding: "stochastic" }), TypeError);
  throws(() => f.encode(1, { rounding: "odd" as never }), /rounding must be one of/);
});
