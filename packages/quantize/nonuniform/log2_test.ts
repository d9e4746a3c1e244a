import { deepEqual, equal, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import { Philox } from "@lowbit/rounding/philox";
import {
  decodeLog2,
  encodeLog2,
  log2Format,
  log2Levels,
  type Log2Options,
  quantizeLog2,
  roundLog2,
} from "./log2.ts";
import { quantizeCodebook } from "./codebook.ts";

const nextDown = (v: number) => {
  const b = new Float64Array([v]);
  new BigInt64Array(b.buffer)[0] -= 1n;
  return b[0];
};

Deno.test("exponent ranges follow Eq. L.2 for each bit budget", () => {
  for (let b = 2; b <= 9; b++) {
    const z = log2Format({ bits: b, maxExponent: 110 });
    const nz = log2Format({ bits: b, maxExponent: 110, zeroCode: false });
    equal(nz.minExponent, 110 - 2 ** (b - 1) + 1); // [emax − 2^(b−1) + 1, emax]
    equal(z.minExponent, nz.minExponent + 1); // one octave traded for zero
    // Level counts: 2 · 2^(b−1) codes; with a zero code both zero codes share the value 0.
    equal(log2Levels({ bits: b, maxExponent: 110, zeroCode: false }).length, 2 ** b);
    equal(log2Levels({ bits: b, maxExponent: 110 }).length, 2 ** b - 1);
  }
  equal(log2Format({ bits: 3, signed: false }).minExponent, -6);
});

Deno.test("every code decodes to a level and re-encodes to itself (except −0)", () => {
  const configs: Log2Options[] = [
    { bits: 4 },
    { bits: 4, zeroCode: false },
    { bits: 5, maxExponent: 2, rounding: "linear" },
    { bits: 3, signed: false },
    { bits: 3, signed: false, zeroCode: false },
    { bits: 9, maxExponent: 120 },
  ];
  for (const o of configs) {
    const f = log2Format(o);
    const codes = Uint16Array.from({ length: 2 ** f.bits }, (_, i) => i);
    const vals = decodeLog2(codes, o);
    const levels = new Set(log2Levels(o));
    for (const v of vals) ok(levels.has(v), `${v} is a level`);
    const back = encodeLog2(vals, o);
    for (let c = 0; c < codes.length; c++) {
      const negZero = f.zeroCode && f.signed && c === 1 << f.fieldBits;
      equal(back[c], negZero ? 0 : c, `code ${c} of ${JSON.stringify(o)}`);
    }
  }
});

Deno.test("log rounding: thresholds at √2·2^k, exact comparison on either side", () => {
  const o = { bits: 8, maxExponent: 20 };
  for (let k = -40; k < 20; k++) {
    // fl64(√2) lies above √2 and its predecessor below; fl32(√2) lies below √2.
    equal(roundLog2(Math.SQRT2 * 2 ** k, o), 2 ** (k + 1));
    equal(roundLog2(Math.fround(Math.SQRT2) * 2 ** k, o), 2 ** k);
    equal(roundLog2(nextDown(Math.SQRT2) * 2 ** k, o), 2 ** k);
    equal(roundLog2(-(Math.SQRT2 * 2 ** k), o), -(2 ** (k + 1)));
  }
});

Deno.test("linear rounding: thresholds at 1.5·2^k, ties to the larger magnitude", () => {
  const o = { bits: 8, maxExponent: 20, rounding: "linear" } as const;
  for (let k = -40; k < 20; k++) {
    equal(roundLog2(1.5 * 2 ** k, o), 2 ** (k + 1));
    equal(roundLog2(-1.5 * 2 ** k, o), -(2 ** (k + 1)));
    equal(roundLog2(nextDown(1.5) * 2 ** k, o), 2 ** k);
    // 1.45·2^k: log rounds up (> √2), linear rounds down (< 1.5).
    equal(roundLog2(1.45 * 2 ** k, o), 2 ** k);
    equal(roundLog2(1.45 * 2 ** k, { bits: 8, maxExponent: 20 }), 2 ** (k + 1));
  }
});

Deno.test("log rounding is the nearest level in the log domain (property)", () => {
  const o = { bits: 5, maxExponent: 1 }; // exponents −13..1
  const levels = [...log2Levels(o)].filter((v) => v > 0);
  fc.assert(
    fc.property(fc.double({ min: 2 ** -13.5, max: 16, noNaN: true }), (a) => {
      const r = roundLog2(a, o);
      for (const l of levels) {
        ok(Math.abs(Math.log2(a / r)) <= Math.abs(Math.log2(a / l)) + 1e-12, `${a} → ${r}`);
      }
      // The lecture's formula sign(x)·2^round(log2|x|) inside the range.
      const e = Math.log2(a);
      if (e > -13.5 && e < 1.5 && Math.abs(e - Math.floor(e) - 0.5) > 1e-9) {
        equal(r, 2 ** Math.round(e));
        equal(roundLog2(-a, o), -(2 ** Math.round(e)));
      }
    }),
    { numRuns: 5000, seed: 7 },
  );
});

Deno.test("linear rounding is the nearest level by value: equals the codebook off ties", () => {
  const o = { bits: 4, maxExponent: 0, rounding: "linear" } as const;
  const levels = log2Levels(o);
  const rng = new Philox(17);
  const x = new Float32Array(20000);
  for (let i = 0; i < x.length; i++) x[i] = (rng.uniform() - 0.5) * 3 * rng.uniform() ** 4;
  const a = quantizeLog2(x, o), b = quantizeCodebook(x, levels);
  for (let i = 0; i < x.length; i++) {
    // The codebook breaks ties to the lower index; a random float32 never sits on a midpoint.
    equal(a[i], b[i], `x = ${x[i]}`);
  }
  // At a positive tie the codebook takes the smaller level, log2 the larger one.
  equal(quantizeCodebook(new Float32Array([0.75]), levels)[0], 0.5);
  equal(quantizeLog2(new Float32Array([0.75]), o)[0], 1);
});

Deno.test("zero handling with and without a zero code", () => {
  // 4-bit signed, emax 0, zero code: emin = −6.
  const e = 2 ** -6;
  equal(roundLog2(e * Math.SQRT1_2, { bits: 4 }), e); // fl(1/√2) > 1/√2
  equal(roundLog2(nextDown(e * Math.SQRT1_2), { bits: 4 }), 0);
  equal(roundLog2(-nextDown(e * Math.SQRT1_2), { bits: 4 }), 0);
  equal(roundLog2(e / 2, { bits: 4, rounding: "linear" }), e); // tie goes up
  equal(roundLog2(nextDown(e / 2), { bits: 4, rounding: "linear" }), 0);
  deepEqual([...encodeLog2(new Float32Array([-1e-9, 0, -0]), { bits: 4 })], [0, 0, 0]);
  // Without a zero code: emin = −7, 0 → +2^−7 (code 0), tiny negatives → −2^−7.
  const nz = { bits: 4, zeroCode: false };
  deepEqual([...encodeLog2(new Float32Array([0, 1e-9, -1e-9]), nz)], [0, 0, 8]);
  deepEqual([...quantizeLog2(new Float32Array([0, 1e-9, -1e-9]), nz)], [
    2 ** -7,
    2 ** -7,
    -(2 ** -7),
  ]);
  // Unsigned: inputs ≤ 0 are zero.
  deepEqual([...quantizeLog2(new Float32Array([-5, 0.3, 9]), { bits: 3, signed: false })], [
    0,
    0.25,
    1,
  ]);
});

Deno.test("saturation, infinities and code widths", () => {
  const o = { bits: 9, maxExponent: 120 };
  const codes = encodeLog2(new Float32Array([Infinity, -Infinity, 5000, 3e38]), o);
  ok(codes instanceof Uint16Array);
  deepEqual([...decodeLog2(codes, o)], [2 ** 120, -(2 ** 120), 4096, 2 ** 120]);
  ok(encodeLog2(new Float32Array(1), { bits: 8 }) instanceof Uint8Array);
  // Tensor input, row-major codes.
  const t = { data: new Float32Array([1, 2, 4, 8]), shape: [2, 2] };
  deepEqual([...quantizeLog2(t, { bits: 4, maxExponent: 2 })], [1, 2, 4, 4]);
});

Deno.test("errors name the argument and the allowed values", () => {
  throws(() => log2Format({ bits: 1 }), /bits must be an integer in \[2, 9\] for signed codes/);
  throws(() => log2Format({ bits: 9, signed: false }), /\[1, 8\] for unsigned/);
  throws(() => log2Format({ bits: 4, maxExponent: 0.5 }), /maxExponent must be an integer/);
  throws(() => log2Format({ bits: 4, maxExponent: 128 }), /\[-149, 127\]/);
  throws(() => log2Format({ bits: 9, maxExponent: 100 }), /\[-149, 127\]/);
  throws(
    () => log2Format({ bits: 4, rounding: "even" as never }),
    /rounding must be "log" or "linear"/,
  );
  throws(() => roundLog2(NaN, { bits: 4 }), RangeError);
  throws(() => encodeLog2(new Float32Array([1, NaN]), { bits: 4 }), /x\[1\] is NaN/);
  throws(() => decodeLog2([16], { bits: 4 }), /codes\[0\] must be an integer in \[0, 15\]/);
  throws(() => quantizeLog2([1] as never, { bits: 4 }), TypeError);
});
