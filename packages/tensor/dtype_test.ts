import { deepEqual, equal, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import {
  assertDType,
  castNumber,
  type DType,
  dtypeOf,
  DTYPES,
  integerRange,
  isFloatDType,
  TYPED_ARRAYS,
} from "./dtype.ts";

const INT_DTYPES = ["i8", "u8", "i16", "u16", "i32", "u32"] as const;

Deno.test("TYPED_ARRAYS maps every dtype to its storage and dtypeOf inverts it", () => {
  const expected: Record<DType, string> = {
    f32: "Float32Array",
    f64: "Float64Array",
    i8: "Int8Array",
    u8: "Uint8Array",
    i16: "Int16Array",
    u16: "Uint16Array",
    i32: "Int32Array",
    u32: "Uint32Array",
    f16: "Uint16Array",
  };
  deepEqual([...DTYPES].sort(), Object.keys(expected).sort());
  for (const d of DTYPES) {
    const a = new TYPED_ARRAYS[d](3);
    equal(a.constructor.name, expected[d]);
    equal(a.length, 3);
    equal(dtypeOf(a), d === "f16" ? "u16" : d);
  }
});

Deno.test("dtypeOf rejects non-storage arrays with a TypeError naming array", () => {
  throws(() => dtypeOf(new Uint8ClampedArray(1) as never), TypeError);
  throws(() => dtypeOf(new Float16Array(1) as never), /array must be a Float32Array.*Float16Array/);
  throws(() => dtypeOf(new BigInt64Array(1) as never), TypeError);
  throws(() => dtypeOf([1, 2] as never), /got Array/);
  throws(() => dtypeOf(null as never), /got null/);
});

Deno.test("assertDType, isFloatDType, integerRange", () => {
  for (const d of DTYPES) equal(assertDType(d), d);
  throws(() => assertDType("float32"), /dtype must be one of "f32", .*; got "float32"/);
  throws(() => assertDType(8, "target"), /^RangeError: target must be one of .*got 8$/);
  deepEqual(DTYPES.filter(isFloatDType), ["f32", "f64", "f16"]);
  for (const d of INT_DTYPES) {
    const { min, max } = integerRange(d);
    const a = new TYPED_ARRAYS[d](2);
    a[0] = min;
    a[1] = max;
    deepEqual([a[0], a[1]], [min, max]); // representable
    a[0] = min - 1;
    a[1] = max + 1;
    ok(a[0] !== min - 1 && a[1] !== max + 1); // and the limits
  }
  throws(() => integerRange("f32"), /dtype must be an integer dtype/);
});

Deno.test("castNumber into integers: round half to even, saturate, NaN to 0 (exhaustive grid)", () => {
  const cases: [number, DType, number][] = [
    [0.5, "i8", 0],
    [1.5, "i8", 2],
    [2.5, "i8", 2],
    [-0.5, "i8", 0],
    [-1.5, "i8", -2],
    [126.5, "i8", 126],
    [127.4, "i8", 127],
    [127.5, "i8", 127],
    [-128.5, "i8", -128],
    [-1e9, "i8", -128],
    [Infinity, "i8", 127],
    [-Infinity, "u8", 0],
    [NaN, "u8", 0],
    [-0.4, "u8", 0],
    [254.5, "u8", 254],
    [255.5, "u8", 255],
    [-0.6, "u8", 0],
    [32767.5, "i16", 32767],
    [65534.5, "u16", 65534],
    [2147483646.5, "i32", 2147483646],
    [2147483647.5, "i32", 2147483647],
    [-2147483648.5, "i32", -2147483648],
    [4294967294.5, "u32", 4294967294],
    [1e20, "u32", 4294967295],
  ];
  for (const [x, d, want] of cases) equal(castNumber(x, d), want, `${x} -> ${d}`);
  ok(Object.is(castNumber(-0.4, "i8"), 0));
});

Deno.test("castNumber into integers matches an FPU-rounding reference", () => {
  // (x + 2^52) − 2^52 rounds |x| < 2^51 half to even in hardware: an independent RNE.
  const rne = (x: number) => (x >= 0 ? (x + 2 ** 52) - 2 ** 52 : -((-x + 2 ** 52) - 2 ** 52));
  fc.assert(
    fc.property(
      fc.constantFrom(...INT_DTYPES),
      fc.oneof(
        fc.double({ min: -5e9, max: 5e9, noNaN: true }),
        fc.integer({ min: -70000, max: 70000 }).map((k) => k / 2),
      ),
      (d, x) => {
        const { min, max } = integerRange(d);
        const want = Math.min(max, Math.max(min, rne(x))) || 0;
        equal(castNumber(x, d), want, `${x} -> ${d}`);
      },
    ),
    { numRuns: 20000, seed: 3 },
  );
});

Deno.test("castNumber into floats", () => {
  equal(castNumber(0.1, "f64"), 0.1);
  equal(castNumber(0.1, "f32"), Math.fround(0.1));
  equal(castNumber(1e39, "f32"), Infinity);
  equal(castNumber(1, "f16"), 0x3c00);
  equal(castNumber(-2, "f16"), 0xc000);
  equal(castNumber(65520, "f16"), 0x7c00);
  equal(castNumber(1 + 2 ** -11, "f16"), 0x3c00); // tie → even
  equal(castNumber(1 + 3 * 2 ** -11, "f16"), 0x3c02); // tie → even (up)
});
