import { deepEqual, throws } from "node:assert/strict";
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
const i64 = (v: number[]): GraphTensor => ({
  dtype: "int64",
  shape: [v.length],
  data: BigInt64Array.from(v, BigInt),
});
// ONNX spec data for the reduce examples: shape [3, 2, 2], values 5, 1, 20, 2, 30, 1, 40, 2, 55, 1, 60, 2.
const data: GraphTensor = {
  dtype: "float32",
  shape: [3, 2, 2],
  data: Float32Array.of(5, 1, 20, 2, 30, 1, 40, 2, 55, 1, 60, 2),
};

Deno.test("ReduceMean/Sum/Max/Min: spec examples with keepdims, negative axes, axes input", () => {
  const [m] = run("ReduceMean", [data], { axes: [1], keepdims: 1 });
  deepEqual(m.shape, [3, 1, 2]);
  deepEqual([...m.data], [12.5, 1.5, 35, 1.5, 57.5, 1.5]);
  const [m2] = run("ReduceMean", [data], { axes: [-2], keepdims: 0 });
  deepEqual(m2.shape, [3, 2]);
  deepEqual([...run("ReduceMean", [data], {})[0].data], [18.25]);
  // opset 18: axes as an input.
  deepEqual([...run("ReduceMean", [data, i64([1])], { keepdims: 0 }, 18)[0].data], [
    12.5,
    1.5,
    35,
    1.5,
    57.5,
    1.5,
  ]);
  deepEqual([...run("ReduceSum", [data, i64([1])], { keepdims: 0 })[0].data], [
    25,
    3,
    70,
    3,
    115,
    3,
  ]);
  deepEqual([...run("ReduceSum", [data], { axes: [1] }, 11)[0].data], [25, 3, 70, 3, 115, 3]);
  deepEqual([...run("ReduceMax", [data], { axes: [1], keepdims: 0 })[0].data], [
    20,
    2,
    40,
    2,
    60,
    2,
  ]);
  deepEqual([...run("ReduceMin", [data], { axes: [0, 2], keepdims: 0 })[0].data], [1, 2]);
  // noop_with_empty_axes with no axes returns the input.
  deepEqual(run("ReduceSum", [data], { noop_with_empty_axes: 1 })[0].shape, [3, 2, 2]);
  const ints: GraphTensor = {
    dtype: "int64",
    shape: [2, 2],
    data: BigInt64Array.of(1n, 2n, 3n, 4n),
  };
  deepEqual([...run("ReduceSum", [ints, i64([0])], { keepdims: 0 })[0].data], [4n, 6n]);
  throws(
    () => run("ReduceMean", [data], { axes: [3] }),
    /node n_ReduceMean, value in0: axis 3 is out of range/,
  );
});
