import { equal, ok } from "node:assert/strict";
import fc from "fast-check";
import { f16BitsFromNumber, f16Table, numberFromF16Bits } from "./_f16.ts";

// The runtime's native binary16 (Float16Array rounds half to even) is the independent truth.
const native = new Float16Array(1);
const nativeBits = new Uint16Array(native.buffer);

Deno.test("numberFromF16Bits decodes all 65536 patterns like Float16Array", () => {
  const table = f16Table();
  for (let b = 0; b < 65536; b++) {
    nativeBits[0] = b;
    const v = numberFromF16Bits(b);
    ok(Object.is(v, native[0]) || (Number.isNaN(v) && Number.isNaN(native[0])), `bits ${b}`);
    ok(Object.is(table[b], v) || Number.isNaN(v), `table ${b}`);
  }
});

Deno.test("f16BitsFromNumber rounds every representable value and midpoint like Float16Array", () => {
  for (let b = 0; b < 0x7bff; b++) {
    for (const sign of [1, -1]) {
      const lo = numberFromF16Bits(b), hi = numberFromF16Bits(b + 1);
      for (const x of [lo, (lo + hi) / 2, lo + (hi - lo) / 4, hi - (hi - lo) / 4]) {
        native[0] = sign * x;
        equal(f16BitsFromNumber(sign * x), nativeBits[0], `x=${sign * x}`);
      }
    }
  }
  equal(f16BitsFromNumber(65504), 0x7bff);
  equal(f16BitsFromNumber(65519.99), 0x7bff);
  equal(f16BitsFromNumber(65520), 0x7c00); // the tie above max rounds to even = infinity
  equal(f16BitsFromNumber(-Infinity), 0xfc00);
  equal(f16BitsFromNumber(NaN), 0x7e00);
  equal(f16BitsFromNumber(-0), 0x8000);
  equal(f16BitsFromNumber(2 ** -25), 0); // half the smallest subnormal: tie to even (0)
  equal(f16BitsFromNumber(2 ** -25 * 1.0000001), 1);
});

Deno.test("f16BitsFromNumber matches Float16Array on random doubles (single rounding)", () => {
  fc.assert(
    fc.property(fc.double({ noNaN: true }), (x) => {
      native[0] = x;
      equal(f16BitsFromNumber(x), nativeBits[0], `x=${x}`);
    }),
    { numRuns: 20000, seed: 16 },
  );
  fc.assert(
    fc.property(fc.double({ min: -70000, max: 70000, noNaN: true }), (x) => {
      native[0] = x;
      equal(f16BitsFromNumber(x), nativeBits[0], `x=${x}`);
    }),
    { numRuns: 20000, seed: 17 },
  );
});
