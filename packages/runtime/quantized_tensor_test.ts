import { deepEqual, equal, throws } from "node:assert/strict";
import { QuantizedTensor } from "./quantized_tensor.ts";

Deno.test("dequantize computes S·(q − Z) per channel along any axis (brute force over indices)", () => {
  const shape = [2, 3, 2];
  const codes = Int8Array.from({ length: 12 }, (_, i) => i * 7 - 40);
  const scale = new Float32Array([0.5, 0.25, 2]);
  const zp = new Int32Array([1, -2, 3]);
  const t = new QuantizedTensor({ q: codes, shape, dtype: "int8", scale, zeroPoint: zp, axis: 1 });
  const x = t.dequantize();
  for (let a = 0; a < 2; a++) {
    for (let c = 0; c < 3; c++) {
      for (let e = 0; e < 2; e++) {
        const i = (a * 3 + c) * 2 + e;
        equal(x[i], (codes[i] - zp[c]) * scale[c]);
      }
    }
  }
  deepEqual(t.channelLayout(), { inner: 2, dim: 3 });
});

Deno.test("int4/uint4 codes round-trip through packing for every code value", () => {
  const s = Array.from({ length: 16 }, (_, i) => i - 8);
  const t = QuantizedTensor.fromCodes(s, [16], "int4", 1);
  equal(t.q.length, 8);
  deepEqual([...t.codes()], s);
  deepEqual([...t.dequantize()], s);
  const u = Array.from({ length: 15 }, (_, i) => i);
  const tu = QuantizedTensor.fromCodes(u, [3, 5], "uint4", 0.5, { zeroPoint: 8 });
  deepEqual([...tu.codes()], u);
  deepEqual([...tu.dequantize()], u.map((v) => (v - 8) * 0.5));
});

Deno.test("bad input: scales, zero points, per-channel lengths, storage, axis", () => {
  const q = new Int8Array(6);
  const base = { q, shape: [2, 3], dtype: "int8" as const };
  for (const scale of [0, -1, NaN, Infinity, 1e-50]) {
    throws(() => new QuantizedTensor({ ...base, scale }), RangeError, `scale ${scale}`);
  }
  throws(
    () => new QuantizedTensor({ ...base, scale: new Float32Array([1, 0, 1]), axis: 1 }),
    /scale\[1\]/,
  );
  throws(() => new QuantizedTensor({ ...base, scale: 1, zeroPoint: 128 }), /zeroPoint.*-128, 127/);
  throws(() => new QuantizedTensor({ ...base, scale: 1, zeroPoint: 0.5 }), RangeError);
  throws(
    () =>
      new QuantizedTensor({
        q: new Uint8Array(6),
        shape: [2, 3],
        dtype: "uint8",
        scale: 1,
        zeroPoint: -1,
      }),
    /zeroPoint/,
  );
  throws(
    () => QuantizedTensor.fromCodes([0], [1], "int4", 1, { zeroPoint: 8 }),
    /zeroPoint.*-8, 7/,
  );
  throws(
    () => new QuantizedTensor({ ...base, scale: new Float32Array([1, 1]), axis: 1 }),
    /one value per slice of axis 1 \(3\)/,
  );
  throws(
    () =>
      new QuantizedTensor({
        ...base,
        scale: new Float32Array(3).fill(1),
        zeroPoint: new Int32Array(2),
        axis: 1,
      }),
    /zeroPoint must have one value per slice/,
  );
  throws(() => new QuantizedTensor({ ...base, scale: new Float32Array([1, 1]) }), /pass axis/);
  throws(() => new QuantizedTensor({ ...base, scale: 1, axis: 2 }), /axis must be/);
  throws(() => new QuantizedTensor({ ...base, q: new Int8Array(5), scale: 1 }), /q must hold 6/);
  throws(() => new QuantizedTensor({ ...base, q: new Uint8Array(6), scale: 1 }), TypeError);
  throws(
    () => new QuantizedTensor({ ...base, dtype: "int16" as "int8", scale: 1 }),
    /dtype must be/,
  );
  throws(() => QuantizedTensor.fromCodes([8], [1], "int4", 1), /codes\[0\]/);
});

Deno.test("negative axis and a broadcast scalar zero point", () => {
  const t = new QuantizedTensor({
    q: new Uint8Array([10, 20, 30, 40]),
    shape: [2, 2],
    dtype: "uint8",
    scale: new Float32Array([1, 2]),
    zeroPoint: 10,
    axis: -1,
  });
  equal(t.axis, 1);
  deepEqual([...t.zeroPoint], [10, 10]);
  deepEqual([...t.dequantize()], [0, 20, 20, 60]);
});
