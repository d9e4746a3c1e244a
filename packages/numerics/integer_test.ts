import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { clampToRange, decodeInt, encodeInt, intRange } from "./integer.ts";

Deno.test("lecture 5.1.1: the three 8-bit integer representations", () => {
  deepEqual(intRange(8, { signed: false }), { bits: 8, min: 0, max: 255, levels: 256 });
  deepEqual(intRange(8, { representation: "sign-magnitude" }), {
    bits: 8,
    min: -127,
    max: 127,
    levels: 255,
  });
  deepEqual(intRange(8), { bits: 8, min: -128, max: 127, levels: 256 });
  // 00000000 and 10000000 are both zero in sign-magnitude; 10000000 is −128 in two's complement.
  ok(Object.is(decodeInt(0b10000000, 8, { representation: "sign-magnitude" }), -0));
  equal(decodeInt(0b10000000, 8), -128);
});

Deno.test("ranges for every width, closed forms", () => {
  for (let b = 1; b <= 32; b++) {
    equal(intRange(b, { signed: false }).max, 2 ** b - 1);
    equal(intRange(b).min, -(2 ** (b - 1)));
    equal(intRange(b).levels, 2 ** b);
    equal(intRange(b, { narrow: true }).levels, 2 ** b - 1);
    equal(intRange(b, { representation: "sign-magnitude" }).levels, 2 ** b - 1);
  }
  deepEqual(intRange(1), { bits: 1, min: -1, max: 0, levels: 2 });
});

Deno.test("every pattern of every width up to 12 round-trips in every representation", () => {
  for (let b = 1; b <= 12; b++) {
    for (const opt of [{ signed: false }, {}, { representation: "sign-magnitude" as const }]) {
      const seen = new Set<number>();
      for (let p = 0; p < 2 ** b; p++) {
        const v = decodeInt(p, b, opt);
        equal(encodeInt(v, b, opt), p, `b=${b} ${JSON.stringify(opt)} p=${p}`);
        seen.add(v);
      }
      const r = intRange(b, opt);
      equal(seen.size, r.levels); // ±0 collapse in the Set for sign-magnitude
      ok(Math.min(...seen) === r.min && Math.max(...seen) === r.max);
    }
  }
  // Two's complement against the Int8Array / Int16Array reinterpretation.
  for (let p = 0; p < 256; p++) {
    equal(decodeInt(p, 8), new Int8Array(new Uint8Array([p]).buffer)[0]);
  }
  for (let p = 0; p < 65536; p += 7) {
    equal(decodeInt(p, 16), new Int16Array(new Uint16Array([p]).buffer)[0]);
  }
});

Deno.test("narrow two's complement excludes −2^(b−1)", () => {
  throws(() => encodeInt(-8, 4, { narrow: true }), /\[-7, 7\]/);
  throws(() => decodeInt(8, 4, { narrow: true }), /narrow/);
  equal(encodeInt(-7, 4, { narrow: true }), 9);
});

Deno.test("clampToRange and errors", () => {
  equal(clampToRange(9, intRange(4)), 7);
  equal(clampToRange(-9, intRange(4, { narrow: true })), -7);
  throws(() => clampToRange(NaN, intRange(4)), RangeError);
  throws(() => intRange(0), /bits must be an integer in \[1, 32\]/);
  throws(() => intRange(33), RangeError);
  throws(() => intRange(8, { representation: "ones-complement" as never }), /representation/);
  throws(() => encodeInt(128, 8), /value must be an integer in \[-128, 127\]/);
  throws(() => encodeInt(1.5, 8), RangeError);
  throws(() => encodeInt("1" as never, 8), TypeError);
  throws(() => decodeInt(256, 8), /pattern must be an integer in \[0, 2\^8\)/);
});
