import { deepEqual, equal, throws } from "node:assert/strict";
import fc from "fast-check";
import { packBits, packSigns, unpackBits, unpackSigns } from "./packing.ts";

Deno.test("documented bit order: LSB first, element 0 in the low bits", () => {
  deepEqual([...packBits([0x1, 0x2, 0x3, 0x4], 4)], [0x21, 0x43]);
  deepEqual([...packBits([1, 2, 3, 0], 2)], [0b00111001]);
  deepEqual([...packBits([1, 0, 0, 0, 0, 0, 0, 1, 1], 1)], [0b10000001, 0b1]);
  deepEqual([...packBits([-8, 7], 4, { signed: true })], [0x78]);
  deepEqual([...packBits([-2, 1, -1, 0], 2, { signed: true })], [0b00110110]);
  deepEqual([...packBits([200, 3], 8)], [200, 3]);
});

Deno.test("every value of int1/int2/int4 at every offset round-trips", () => {
  for (const bits of [1, 2, 4] as const) {
    for (const signed of [false, true]) {
      const lo = signed ? -(2 ** (bits - 1)) : 0, hi = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
      const per = 8 / bits;
      for (let v = lo; v <= hi; v++) {
        for (let offset = 0; offset < per * 2; offset++) {
          const values = new Array(offset + 1).fill(0);
          values[offset] = v;
          const packed = packBits(values, bits, { signed });
          // Independent extraction: read the field with division and modulo.
          const raw =
            Math.floor(packed[Math.floor((offset * bits) / 8)] / 2 ** ((offset * bits) % 8)) %
            2 ** bits;
          equal(signed && raw >= 2 ** (bits - 1) ? raw - 2 ** bits : raw, v);
          equal(unpackBits(packed, bits, offset + 1, { signed })[offset], v);
        }
      }
    }
  }
});

Deno.test("pack → unpack is the identity (property)", () => {
  for (const bits of [1, 2, 4, 8] as const) {
    for (const signed of [false, true]) {
      const lo = signed ? -(2 ** (bits - 1)) : 0, hi = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
      fc.assert(
        fc.property(fc.array(fc.integer({ min: lo, max: hi }), { maxLength: 100 }), (xs) => {
          const packed = packBits(xs, bits, { signed });
          equal(packed.length, Math.ceil((xs.length * bits) / 8));
          deepEqual([...unpackBits(packed, bits, xs.length, { signed })], xs);
        }),
        { numRuns: 300, seed: 9 },
      );
    }
  }
});

Deno.test("sign words: XNOR-popcount gives the ±1 dot product", () => {
  const popcount = (x: number) => {
    let c = 0;
    for (let v = x >>> 0; v; v &= v - 1) c++;
    return c;
  };
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 200 }).chain((k) =>
        fc.tuple(
          fc.array(fc.constantFrom(-1, 1), { minLength: k, maxLength: k }),
          fc.array(fc.constantFrom(-1, 1), { minLength: k, maxLength: k }),
        )
      ),
      ([a, b]) => {
        const wa = packSigns(a), wb = packSigns(b);
        let pop = 0;
        for (let w = 0; w < wa.length; w++) pop += popcount(wa[w] ^ wb[w]); // padding bits are 0
        equal(a.length - 2 * pop, a.reduce((s, ai, i) => s + ai * b[i], 0));
        deepEqual([...unpackSigns(wa, a.length)], a);
      },
    ),
    { numRuns: 300, seed: 10 },
  );
  deepEqual([...packSigns([-1, 1, -1])], [0b101]);
  equal(packSigns(new Array(33).fill(-1))[1], 1);
});

Deno.test("errors name the argument and the allowed values", () => {
  throws(() => packBits([8], 4, { signed: true }), /values\[0\] must be an integer in \[-8, 7\]/);
  throws(() => packBits([4], 2), /\[0, 3\]/);
  throws(() => packBits([0.5], 4), RangeError);
  throws(() => packBits([1], 3 as never), /bits must be 1, 2, 4 or 8/);
  throws(() => unpackBits(new Uint8Array(1), 4, 3), /at least 2 bytes/);
  throws(() => unpackBits(new Uint8Array(1), 4, -1), /length/);
  throws(() => packSigns([1, NaN]), /values\[1\] is NaN/);
  throws(() => unpackSigns(new Uint32Array(1), 33), /at least 2 words/);
});
