// Bad input to @lowbit/quantize: each probe must give a typed error naming the public argument,
// never NaN, a crash or a silently wrong value (issue: "every bad input rejected").
import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { Philox } from "@lowbit/rounding/philox";
import { dequantize, fakeQuantize, quantize } from "./uniform.ts";
import { qparamsFromRange, type QuantParams, type RangeToParamsOptions } from "./params.ts";

const x = new Float32Array([0, 0.5, -1, 2]);

Deno.test("quantize/fakeQuantize: scales valid as double but not as float32 are RangeErrors naming params.scale", () => {
  // 1e-45 → float32 1.4e-45, whose reciprocal overflows float32; 1e-300 → float32 0; 1e39 → +∞.
  for (const scale of [1e-45, 1e-300, 1e39, 2 ** -128]) {
    const p: QuantParams = { scale, zeroPoint: 0, qmin: -128, qmax: 127 };
    throws(
      () => quantize(x, p),
      (e: Error) => e instanceof RangeError && /params\.scale/.test(e.message),
    );
    throws(
      () => fakeQuantize(x, p),
      (e: Error) => e instanceof RangeError && /params\.scale/.test(e.message),
    );
  }
  // Per channel, through a number[] (a Float32Array cannot even hold 1e39).
  const perChannel = {
    scale: [0.5, 1e39] as unknown as Float32Array,
    zeroPoint: new Int32Array(2),
    qmin: -128,
    qmax: 127,
    axis: 0,
  };
  throws(() => quantize({ data: x, shape: [2, 2] }, perChannel), /params\.scale\[1\]/);
  // The smallest scale with a finite float32 reciprocal, 2^-128 + 2^-149, is accepted.
  const tiny = quantize(Float32Array.of(0), {
    scale: 2 ** -128 + 2 ** -149,
    zeroPoint: 0,
    qmin: 0,
    qmax: 255,
  });
  deepEqual([...tiny.q], [0]);
});

Deno.test("quantize/fakeQuantize: per-channel scales as number[] are rounded to float32 exactly like a Float32Array", () => {
  const g = new Philox(7);
  const data = new Float32Array(2000).map(() => (g.uniform() - 0.5) * 40);
  const scales = [0.1, 0.3, 0.7, 1 / 3];
  const asArray: QuantParams = {
    scale: scales as unknown as Float32Array,
    zeroPoint: [3, -2, 0, 1] as unknown as Int32Array,
    qmin: -128,
    qmax: 127,
    axis: 1,
  };
  const asTyped: QuantParams = {
    ...asArray,
    scale: Float32Array.from(scales),
    zeroPoint: Int32Array.of(3, -2, 0, 1),
  };
  const t = { data, shape: [500, 4] };
  deepEqual([...quantize(t, asArray).q], [...quantize(t, asTyped).q]);
  deepEqual([...fakeQuantize(t, asArray)], [...fakeQuantize(t, asTyped)]);
  // Independent truth for one element: channel 0, x = 0.3 → round(0.3 · fl(1/fl(0.1))) + 3.
  const inv = Math.fround(1 / Math.fround(0.1));
  const one = quantize({ data: Float32Array.of(0.3, 0, 0, 0), shape: [1, 4] }, asArray);
  equal(one.q[0], Math.round(Math.fround(Math.fround(0.3) * inv)) + 3);
  throws(
    () => quantize(x, { ...asTyped, scale: "1" as unknown as number, axis: undefined }),
    /params\.scale/,
  );
});

Deno.test("qparamsFromRange: eps NaN, 0 or negative, ranges beyond float32 and missing options are errors naming them", () => {
  const o: RangeToParamsOptions = { qmin: 0, qmax: 255 };
  for (const eps of [NaN, 0, -1, 1e-300, 1e39]) {
    throws(
      () => qparamsFromRange(-1, 1, { ...o, eps }),
      (e: Error) => e instanceof RangeError && /options\.eps/.test(e.message),
    );
    throws(() => qparamsFromRange(0, 0, { ...o, eps, symmetric: true }), /options\.eps/);
  }
  for (const [lo, hi] of [[-1e39, 1], [0, 1e39], [-Infinity, 0], [NaN, 1]]) {
    throws(
      () => qparamsFromRange(lo, hi, o),
      (e: Error) => e instanceof RangeError && /rmin and rmax/.test(e.message),
    );
  }
  // Both ends are float32 but the width (hi − lo) / 255 needs hi − lo = 6e38 > FLT_MAX.
  throws(() => qparamsFromRange(-3e38, 3e38, o), /too wide/);
  throws(
    () => (qparamsFromRange as (a: number, b: number) => unknown)(-1, 1),
    (e: Error) => e instanceof TypeError && /options/.test(e.message),
  );
  // A valid eps still floors the scale: a zero range gets scale eps.
  equal(qparamsFromRange(0, 0, { ...o, eps: 0.5 }).scale, 0.5);
  // The largest float32 range that still fits: [0, FLT_MAX] over [0, 1] has scale FLT_MAX.
  const big = qparamsFromRange(0, 3.4028234663852886e38, { qmin: 0, qmax: 1 });
  ok(Number.isFinite(big.scale));
});

Deno.test("dequantize: codes shorter than the shape, or outside [qmin, qmax], are RangeErrors naming t.q", () => {
  const params: QuantParams = { scale: 0.5, zeroPoint: 0, qmin: 0, qmax: 15 };
  throws(
    () => dequantize({ q: new Uint8Array(2), shape: [3], params }),
    /t\.q has 2 codes.*\[3\] needs 3/,
  );
  throws(() => dequantize({ q: new Uint8Array(4), shape: [3], params }), /t\.q has 4 codes/);
  throws(() => dequantize({ q: Uint8Array.of(1, 200), shape: [2], params }), /t\.q\[1\] = 200/);
  throws(
    () => dequantize({ q: Int8Array.of(-1), shape: [1], params }),
    (e: Error) => e instanceof RangeError && /t\.q\[0\] = -1/.test(e.message),
  );
  throws(() => dequantize(null as unknown as Parameters<typeof dequantize>[0]), TypeError);
  deepEqual([...dequantize({ q: Uint8Array.of(0, 15), shape: [2], params })], [0, 7.5]);
});
