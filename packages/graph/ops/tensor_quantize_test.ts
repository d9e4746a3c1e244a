import { deepEqual, equal, throws } from "node:assert/strict";
import fc from "fast-check";
import type { GraphDType, GraphTensor } from "../ir.ts";
import { zeros } from "../ir.ts";
import { TENSOR_OPS } from "./tensor.ts";

const run = (op: string, ins: (GraphTensor | undefined)[], attrs = {}, opset = 21) =>
  TENSOR_OPS[op].run(
    { name: `n_${op}`, op, inputs: ins.map((_, i) => `in${i}`), outputs: ["y", "s", "z"], attrs },
    ins,
    { opset },
  );
const f32 = (shape: number[], v: number[]): GraphTensor => ({
  dtype: "float32",
  shape,
  data: Float32Array.from(v),
});
const codes = (dtype: GraphDType, shape: number[], v: number[]): GraphTensor => {
  const t = zeros(dtype, shape);
  (t.data as Int32Array).set(v);
  return t;
};

const RANGES: Record<string, [number, number]> = {
  uint8: [0, 255],
  int8: [-128, 127],
  uint16: [0, 65535],
  int16: [-32768, 32767],
  uint4: [0, 15],
  int4: [-8, 7],
};

/** The ONNX formula written out: fl(x / s), ties to even by floor and fraction, + zp, clamp. */
function naiveQuantize(x: number, s: number, zp: number, [lo, hi]: [number, number]): number {
  const v = Math.fround(Math.fround(x) / Math.fround(s));
  const fl = Math.floor(v);
  const frac = v - fl;
  const r = frac < 0.5 ? fl : frac > 0.5 ? fl + 1 : fl % 2 === 0 ? fl : fl + 1;
  return Math.min(hi, Math.max(lo, r + zp));
}

Deno.test("QuantizeLinear equals the ONNX formula per tensor and per axis for every code type", () => {
  const arb = fc.record({
    dtype: fc.constantFrom(...Object.keys(RANGES)),
    rows: fc.integer({ min: 1, max: 3 }),
    cols: fc.integer({ min: 1, max: 5 }),
    perAxis: fc.boolean(),
    seed: fc.integer({ min: 0, max: 1e6 }),
    // Scales of the form 2^k make x / s land exactly on ties; others exercise fl(x / s).
    exp: fc.integer({ min: -4, max: 3 }),
    odd: fc.boolean(),
  });
  fc.assert(
    fc.property(arb, ({ dtype, rows, cols, perAxis, seed, exp, odd }) => {
      const range = RANGES[dtype];
      const n = rows * cols;
      const xs = Array.from(
        { length: n },
        (_, i) => Math.fround(((seed * 31 + i * 977) % 4001) / 8 - 250),
      );
      const nScale = perAxis ? cols : 1;
      const scales = Array.from(
        { length: nScale },
        (_, i) => Math.fround(2 ** (exp + (i % 3)) * (odd ? 0.3 : 1)),
      );
      const zps = Array.from(
        { length: nScale },
        (_, i) => range[0] + ((seed + i * 3) % (range[1] - range[0] + 1)),
      );
      const s = perAxis ? f32([cols], scales) : f32([], scales);
      const z = codes(dtype as GraphDType, perAxis ? [cols] : [], zps);
      const [y] = run("QuantizeLinear", [f32([rows, cols], xs), s, z], { axis: 1 });
      equal(y.dtype, dtype);
      const want = xs.map((x, i) =>
        naiveQuantize(x, scales[perAxis ? i % cols : 0], zps[perAxis ? i % cols : 0], range)
      );
      deepEqual([...y.data], want);
      // DequantizeLinear: (q − zp) · s in float32.
      const [d] = run("DequantizeLinear", [y, s, z], { axis: 1 });
      deepEqual(
        [...d.data],
        want.map((q, i) =>
          Math.fround((q - zps[perAxis ? i % cols : 0]) * scales[perAxis ? i % cols : 0])
        ),
      );
    }),
    { numRuns: 300 },
  );
});

Deno.test("QuantizeLinear: spec example, default uint8, ties to even, int4 saturation", () => {
  // ONNX spec example: x [0, 2, 3, 1000, -254, -1000], scale 2, zero point 128 (uint8).
  const x = f32([6], [0, 2, 3, 1000, -254, -1000]);
  const z = codes("uint8", [], [128]);
  deepEqual([...run("QuantizeLinear", [x, f32([], [2]), z], {}, 13)[0].data], [
    128,
    129,
    130,
    255,
    1,
    0,
  ]);
  // No zero point: uint8 with zero point 0.
  const [u] = run("QuantizeLinear", [f32([4], [0.5, 1.5, 2.5, -3]), f32([], [1])], {}, 13);
  equal(u.dtype, "uint8");
  deepEqual([...u.data], [0, 2, 2, 0]);
  const [q4] = run("QuantizeLinear", [
    f32([4], [-100, -8.5, 7.5, 100]),
    f32([], [1]),
    codes("int4", [], [0]),
  ]);
  deepEqual([q4.dtype, ...q4.data], ["int4", -8, -8, 7, 7]);
  // opset 21 output_dtype without a zero point (3 = int8).
  equal(run("QuantizeLinear", [f32([1], [1]), f32([], [1])], { output_dtype: 3 })[0].dtype, "int8");
  throws(
    () =>
      run("QuantizeLinear", [
        f32([2, 3], [1, 2, 3, 4, 5, 6]),
        f32([2], [1, 1]),
        codes("int8", [2], [0, 0]),
      ], { axis: 1 }),
    /node n_QuantizeLinear, value in1: scale has 2 elements, axis 1 of \[2,3\] has 3/,
  );
  throws(
    () => run("QuantizeLinear", [f32([1], [NaN]), f32([], [1])]),
    /node n_QuantizeLinear, value in0/,
  );
  throws(
    () => run("QuantizeLinear", [f32([1], [1]), f32([], [1])], { block_size: 2 }),
    /block_size/,
  );
});

Deno.test("DequantizeLinear: spec examples for uint8, per-axis, int32 and int16", () => {
  // ONNX spec: x [0, 3, 128, 255] uint8, scale 2, zp 128 → [-256, -250, 0, 254].
  deepEqual([
    ...run("DequantizeLinear", [
      codes("uint8", [4], [0, 3, 128, 255]),
      f32([], [2]),
      codes("uint8", [], [128]),
    ])[0].data,
  ], [-256, -250, 0, 254]);
  const [pa] = run("DequantizeLinear", [
    codes("int8", [2, 2], [1, 2, 3, 4]),
    f32([2], [0.5, 2]),
    codes("int8", [2], [1, 0]),
  ], { axis: 0 });
  deepEqual([...pa.data], [0, 0.5, 6, 8]);
  deepEqual([
    ...run("DequantizeLinear", [codes("int32", [2], [-2147483648, 7]), f32([], [1])])[0].data,
  ], [-2147483648, 7]);
  deepEqual([
    ...run("DequantizeLinear", [
      codes("int16", [2], [-32768, 32767]),
      f32([], [0.5]),
      codes("int16", [], [-1]),
    ])[0].data,
  ], [-16383.5, 16384]);
  // A float16 scale (opset 19) gives float16 output bits: (3 − 1) · 0.5 = 1 → 0x3c00.
  const h: GraphTensor = { dtype: "float16", shape: [], data: Uint16Array.of(0x3800) };
  const [y16] = run(
    "DequantizeLinear",
    [codes("int8", [1], [3]), h, codes("int8", [], [1])],
    {},
    19,
  );
  deepEqual([y16.dtype, ...y16.data], ["float16", 0x3c00]);
  throws(
    () => run("DequantizeLinear", [codes("int8", [1], [1]), f32([], [1]), codes("uint8", [], [0])]),
    /value in2: zero point dtype uint8 differs/,
  );
});

Deno.test("DynamicQuantizeLinear: the spec example and the formula", () => {
  // ONNX spec example: x = [0, 2, -3, -2.5, 1.34, 0.5].
  const [y, s, z] = run("DynamicQuantizeLinear", [f32([6], [0, 2, -3, -2.5, 1.34, 0.5])], {}, 11);
  const scale = Math.fround(Math.fround(2 - -3) / 255);
  deepEqual([...s.data], [scale]);
  const zp = Math.round(Math.fround(3 / scale)); // 153
  deepEqual([...z.data], [zp]);
  deepEqual([...y.data], [153, 255, 0, 26, 221, 179]);
  equal(y.dtype, "uint8");
  // All-positive input: the range is widened to include 0, zero point 0.
  const [, , z2] = run("DynamicQuantizeLinear", [f32([2], [1, 4])], {}, 11);
  deepEqual([...z2.data], [0]);
});
