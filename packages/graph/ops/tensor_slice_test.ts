import { deepEqual, throws } from "node:assert/strict";
import fc from "fast-check";
import type { GraphTensor } from "../ir.ts";
import { TENSOR_OPS } from "./tensor.ts";

const run = (op: string, ins: (GraphTensor | undefined)[], attrs = {}, opset = 13) =>
  TENSOR_OPS[op].run(
    {
      name: `n_${op}`,
      op,
      inputs: ins.map((_, i) => `in${i}`),
      outputs: ["y"],
      attrs,
    },
    ins,
    { opset },
  );
const i64 = (v: (number | bigint)[]): GraphTensor => ({
  dtype: "int64",
  shape: [v.length],
  data: BigInt64Array.from(v, BigInt),
});
const iota = (shape: number[]): GraphTensor => ({
  dtype: "int32",
  shape,
  data: Int32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i),
});

/** Python-style slice of one axis: the indices range(start, end, step) after clamping. */
function naiveIndices(dim: number, start: number, end: number, step: number): number[] {
  const norm = (v: number) => (v < 0 ? v + dim : v);
  let s = norm(start), e = norm(end);
  const out: number[] = [];
  if (step > 0) {
    s = Math.max(0, Math.min(s, dim));
    e = Math.max(0, Math.min(e, dim));
    for (let i = s; i < e; i += step) out.push(i);
  } else {
    s = Math.max(-1, Math.min(s, dim - 1));
    e = Math.max(-1, Math.min(e, dim - 1));
    for (let i = s; i > e; i += step) out.push(i);
  }
  return out;
}

Deno.test("Slice equals a naive index loop (negative steps, out-of-range bounds, negative axes)", () => {
  const arbCase = fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 }).chain((
    shape,
  ) =>
    fc.tuple(
      fc.constant(shape),
      fc.array(
        fc.tuple(
          fc.integer({ min: -8, max: 8 }),
          fc.integer({ min: -8, max: 8 }),
          fc.integer({ min: -3, max: 3 }).filter((s) => s !== 0),
        ),
        { minLength: shape.length, maxLength: shape.length },
      ),
      fc.boolean(),
    )
  );
  fc.assert(
    fc.property(arbCase, ([shape, specs, negAxes]) => {
      const x = iota(shape);
      const axes = shape.map((_, i) => (negAxes ? i - shape.length : i));
      const [y] = run("Slice", [
        x,
        i64(specs.map((s) => s[0])),
        i64(specs.map((s) => s[1])),
        i64(axes),
        i64(specs.map((s) => s[2])),
      ]);
      const idx = shape.map((d, a) => naiveIndices(d, specs[a][0], specs[a][1], specs[a][2]));
      deepEqual(y.shape, idx.map((v) => v.length));
      const want: number[] = [];
      const walk = (a: number, off: number) => {
        if (a === shape.length) return void want.push(off);
        for (const i of idx[a]) walk(a + 1, off * shape[a] + i);
      };
      walk(0, 0);
      deepEqual([...y.data], want);
    }),
    { numRuns: 300 },
  );
});

Deno.test("Slice: INT64_MAX/INT64_MIN ends, opset 1 attributes, zero step rejected", () => {
  const x = iota([4]);
  deepEqual([...run("Slice", [x, i64([1]), i64([9223372036854775807n])])[0].data], [1, 2, 3]);
  deepEqual([
    ...run("Slice", [x, i64([-1]), i64([-9223372036854775808n]), i64([0]), i64([-1])])[0].data,
  ], [3, 2, 1, 0]);
  deepEqual([...run("Slice", [iota([2, 3])], { starts: [1], ends: [3], axes: [1] }, 9)[0].data], [
    1,
    2,
    4,
    5,
  ]);
  throws(
    () => run("Slice", [x, i64([0]), i64([2]), i64([0]), i64([0])]),
    /node n_Slice, value in4: steps must be non-zero/,
  );
  throws(
    () => run("Slice", [x, i64([0]), i64([2]), i64([1])]),
    /node n_Slice, value in3: axes \[1\] out of range/,
  );
});

Deno.test("Pad: spec examples for constant, reflect and edge; opset 2 attributes; axes (18)", () => {
  // ONNX spec: data [[1.0, 1.2], [2.3, 3.4], [4.5, 5.7]], pads [0, 2, 0, 0].
  const data: GraphTensor = {
    dtype: "float32",
    shape: [3, 2],
    data: Float32Array.of(1, 1.2, 2.3, 3.4, 4.5, 5.7),
  };
  const pads = i64([0, 2, 0, 0]);
  const f = (...v: number[]) => [...Float32Array.from(v)];
  deepEqual(
    [...run("Pad", [data, pads], { mode: "constant" })[0].data],
    f(0, 0, 1, 1.2, 0, 0, 2.3, 3.4, 0, 0, 4.5, 5.7),
  );
  deepEqual(
    [...run("Pad", [data, pads], { mode: "reflect" })[0].data],
    f(1, 1.2, 1, 1.2, 2.3, 3.4, 2.3, 3.4, 4.5, 5.7, 4.5, 5.7),
  );
  deepEqual(
    [...run("Pad", [data, pads], { mode: "edge" })[0].data],
    f(1, 1, 1, 1.2, 2.3, 2.3, 2.3, 3.4, 4.5, 4.5, 4.5, 5.7),
  );
  deepEqual(
    [...run("Pad", [data], { pads: [0, 0, 0, 1], value: 7 }, 2)[0].data],
    f(1, 1.2, 7, 2.3, 3.4, 7, 4.5, 5.7, 7),
  );
  const [y] = run("Pad", [data, i64([1, 0]), undefined, i64([-1])], {}, 18);
  deepEqual(y.shape, [3, 3]);
  // Negative pads crop.
  deepEqual([...run("Pad", [iota([4]), i64([-1, -2])])[0].data], [1]);
  throws(
    () => run("Pad", [data, i64([0, 1])]),
    /node n_Pad, value in1: pads \[0,1\] must hold 4 values/,
  );
});
