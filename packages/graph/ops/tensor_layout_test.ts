import { deepEqual, throws } from "node:assert/strict";
import fc from "fast-check";
import type { GraphTensor } from "../ir.ts";
import { TENSOR_OPS } from "./tensor.ts";
import { gatherStrided, stridedOffsets } from "./tensor_common.ts";

const run = (op: string, ins: (GraphTensor | undefined)[], attrs = {}, opset = 13, outs = 1) =>
  TENSOR_OPS[op].run(
    {
      name: `n_${op}`,
      op,
      inputs: ins.map((_, i) => `in${i}`),
      outputs: Array.from({ length: outs }, (_, i) => `y${i}`),
      attrs,
    },
    ins,
    { opset },
  );
const i64 = (v: number[]): GraphTensor => ({
  dtype: "int64",
  shape: [v.length],
  data: BigInt64Array.from(v, BigInt),
});
const iota = (shape: number[]): GraphTensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype: "int32", shape, data: Int32Array.from({ length: n }, (_, i) => i) };
};
const arbShape = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 });

Deno.test("Transpose twice with the inverse permutation is the identity", () => {
  fc.assert(
    fc.property(
      arbShape.chain((s) =>
        fc.tuple(fc.constant(s), fc.shuffledSubarray([...s.keys()], { minLength: s.length }))
      ),
      ([shape, perm]) => {
        const x = iota(shape);
        const [t] = run("Transpose", [x], { perm });
        deepEqual(t.shape, perm.map((p) => shape[p]));
        const inv = perm.map((_, i) => perm.indexOf(i));
        const [back] = run("Transpose", [t], { perm: inv });
        deepEqual(back.shape, shape);
        deepEqual([...back.data], [...x.data]);
      },
    ),
  );
  // Default perm reverses the axes.
  deepEqual([...run("Transpose", [iota([2, 3])])[0].data], [0, 3, 1, 4, 2, 5]);
  throws(
    () => run("Transpose", [iota([2, 3])], { perm: [0, 0] }),
    /node n_Transpose, value in0: perm \[0,0\]/,
  );
});

Deno.test("Split then Concat along the same axis is the identity (opset 11 attr, 13 input, 18 num_outputs)", () => {
  fc.assert(
    fc.property(arbShape, fc.nat(), fc.nat(), (shape, ax, cut) => {
      const axis = ax % shape.length;
      const dim = shape[axis];
      const first = cut % (dim + 1);
      const sizes = [first, dim - first];
      const x = iota(shape);
      const p11 = run("Split", [x], { axis, split: sizes }, 11, 2);
      const p13 = run("Split", [x, i64(sizes)], { axis }, 13, 2);
      deepEqual(p11.map((t) => [...t.data]), p13.map((t) => [...t.data]));
      const [y] = run("Concat", p13, { axis: axis - shape.length });
      deepEqual(y.shape, shape);
      deepEqual([...y.data], [...x.data]);
    }),
  );
  // opset 18: num_outputs with an uneven last chunk; default equal split.
  const parts = run("Split", [iota([5])], { num_outputs: 2 }, 18, 2);
  deepEqual(parts.map((t) => [...t.data]), [[0, 1, 2], [3, 4]]);
  deepEqual(run("Split", [iota([6])], {}, 13, 3).map((t) => [...t.data]), [[0, 1], [2, 3], [4, 5]]);
  throws(() => run("Split", [iota([5])], {}, 13, 2), /value in0: axis 0 of size 5 does not split/);
  throws(
    () => run("Concat", [iota([2, 2]), iota([2, 3])], { axis: 0 }),
    /value in1: shape \[2,3\]/,
  );
});

Deno.test("Gather: spec example, negative indices, out-of-range indices throw", () => {
  // ONNX spec example 1 (axis 0): data [[1, 1.2], [2.3, 3.4], [4.5, 5.7]], indices [[0, 1], [1, 2]].
  const data: GraphTensor = {
    dtype: "float32",
    shape: [3, 2],
    data: Float32Array.of(1, 1.2, 2.3, 3.4, 4.5, 5.7),
  };
  const ind: GraphTensor = {
    dtype: "int64",
    shape: [2, 2],
    data: BigInt64Array.of(0n, 1n, 1n, 2n),
  };
  const [y] = run("Gather", [data, ind]);
  deepEqual(y.shape, [2, 2, 2]);
  deepEqual([...y.data], [...Float32Array.of(1, 1.2, 2.3, 3.4, 2.3, 3.4, 4.5, 5.7)]);
  deepEqual([...run("Gather", [iota([2, 3]), i64([-1, 0])], { axis: 1 })[0].data], [2, 0, 5, 3]);
  throws(
    () => run("Gather", [iota([2, 3]), i64([3])], { axis: 1 }),
    /node n_Gather, value in1: index 3 is out of range/,
  );
  throws(
    () => run("Gather", [iota([2, 3]), i64([0])], { axis: 2 }),
    /value in0: axis 2 is out of range/,
  );
});

Deno.test("gatherStrided and stridedOffsets equal the definition start + Σ index·stride (random views, strides 0, negative, 1; three dtypes)", () => {
  fc.assert(
    fc.property(
      arbShape,
      fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 4, maxLength: 4 }),
      fc.constantFrom("int8", "float32", "int64"),
      (shape, rawStrides, dtype) => {
        const strides = shape.map((_, i) => rawStrides[i]);
        // the smallest source and the start that keep every offset of the view inside it
        let lo = 0, hi = 0;
        shape.forEach((d, i) => {
          const span = (d - 1) * strides[i];
          if (span < 0) lo += span;
          else hi += span;
        });
        const start = -lo, size = hi - lo + 1;
        const base = iota([size]);
        const src: GraphTensor = dtype === "int8"
          ? { dtype, shape: [size], data: Int8Array.from(base.data as Int32Array, (v) => v - 50) }
          : dtype === "float32"
          ? { dtype, shape: [size], data: Float32Array.from(base.data as Int32Array, (v) => v / 3) }
          : { dtype, shape: [size], data: BigInt64Array.from(base.data as Int32Array, BigInt) };
        // element i's multi-index, unravelled row-major, dotted with the strides
        const n = shape.reduce((a, b) => a * b, 1);
        const offsets = Array.from({ length: n }, (_, i) => {
          let off = start, rem = i;
          for (let d = shape.length - 1; d >= 0; d--) {
            off += (rem % shape[d]) * strides[d];
            rem = Math.floor(rem / shape[d]);
          }
          return off;
        });
        deepEqual([...stridedOffsets(shape, strides, start)], offsets);
        const got = gatherStrided(src, shape, strides, start);
        deepEqual(got.shape, shape);
        deepEqual(got.dtype, dtype);
        deepEqual([...got.data], offsets.map((o) => src.data[o]));
      },
    ),
  );
});
