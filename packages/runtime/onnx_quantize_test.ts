import { deepEqual, equal, throws } from "node:assert/strict";
import fc from "fast-check";
import { dequantizeLinear, dynamicQuantizeLinear, quantizeLinear } from "./onnx_quantize.ts";

const rne = (v: number) => {
  const f = Math.floor(v), d = v - f;
  return d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
};

Deno.test("quantizeLinear matches its definition fl32(x / s), ties to even, saturation (int8, uint8, int4, uint4)", () => {
  const ranges = { int8: [-128, 127], uint8: [0, 255], int4: [-8, 7], uint4: [0, 15] } as const;
  for (
    const [dtype, [lo, hi]] of Object.entries(ranges) as [
      keyof typeof ranges,
      readonly [number, number],
    ][]
  ) {
    fc.assert(
      fc.property(
        fc.array(fc.float({ min: -300, max: 300, noNaN: true }), { minLength: 1, maxLength: 40 }),
        fc.float({ min: Math.fround(0.01), max: 10, noNaN: true }),
        fc.integer({ min: lo, max: hi }),
        (xs, s, z) => {
          const x = Float32Array.from(xs);
          const q = quantizeLinear({ data: x, shape: [x.length] }, s, z, { dtype });
          const got = q.codes();
          return x.every((v, i) =>
            got[i] === Math.min(hi, Math.max(lo, rne(Math.fround(v / Math.fround(s))) + z))
          );
        },
      ),
      { seed: 71, numRuns: 200 },
    );
  }
  // Exact ties of x / s.
  deepEqual([
    ...quantizeLinear({ data: new Float32Array([0.5, 1.5, -0.5, -2.5]), shape: [4] }, 1, 0, {
      dtype: "int4",
    }).codes(),
  ], [0, 2, 0, -2]);
});

Deno.test("per-axis quantizeLinear/dequantizeLinear round trip and bad input", () => {
  const x = { data: new Float32Array([1, 2, 3, 4, 5, 6]), shape: [3, 2] };
  const q = quantizeLinear(x, new Float32Array([0.5, 2]), new Int32Array([0, 1]), {
    dtype: "int8",
    axis: -1,
  });
  deepEqual([...q.q], [2, 2, 6, 3, 10, 4]);
  deepEqual([...dequantizeLinear(q)], [1, 2, 3, 4, 5, 6]);
  throws(() => quantizeLinear(x, 0), /scale must be finite and > 0/);
  throws(() => quantizeLinear(x, NaN), /scale/);
  throws(() => quantizeLinear(x, 1, 300), /zeroPoint/);
  throws(
    () => quantizeLinear(x, new Float32Array([1, 1, 1]), 0, { axis: 1 }),
    /one value per slice of axis 1 \(2\)/,
  );
  throws(() => quantizeLinear({ data: new Float32Array([NaN]), shape: [1] }, 1), /NaN/);
  throws(() => quantizeLinear(x, 1, 0, { dtype: "int32" as "int8" }), /dtype/);
  throws(() => dynamicQuantizeLinear({ data: new Float32Array([Infinity]), shape: [1] }), /finite/);
  // All zeros: scale 1/255 (the reference's max == min rule), zero point 0.
  const z = dynamicQuantizeLinear({ data: new Float32Array(3), shape: [3] });
  equal(z.scale[0], Math.fround(1 / 255));
  equal(z.zeroPoint[0], 0);
});
