import { deepEqual, equal, throws } from "node:assert/strict";
import type { Graph, GraphTensor } from "../ir.ts";
import { TENSOR_OPS } from "./tensor.ts";

const run = (op: string, ins: (GraphTensor | undefined)[], attrs = {}, opset = 13, outs = 1) =>
  TENSOR_OPS[op].run(
    {
      name: `n_${op}`,
      op,
      inputs: ins.map((_, i) => `in${i}`),
      outputs: ["y", "m"].slice(0, outs),
      attrs,
    },
    ins,
    { opset },
  );
const i64 = (v: number[], shape = [v.length]): GraphTensor => ({
  dtype: "int64",
  shape,
  data: BigInt64Array.from(v, BigInt),
});
const iota = (shape: number[]): GraphTensor => ({
  dtype: "float32",
  shape,
  data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i),
});

Deno.test("Reshape: 0 copies, -1 inferred, allowzero, element-count mismatch names the node and value", () => {
  deepEqual(run("Reshape", [iota([2, 3, 4]), i64([0, -1])])[0].shape, [2, 12]);
  deepEqual(run("Reshape", [iota([2, 3, 4]), i64([-1, 0, 2])])[0].shape, [4, 3, 2]);
  deepEqual(run("Reshape", [iota([0, 3]), i64([3, 0])], { allowzero: 1 }, 14)[0].shape, [3, 0]);
  deepEqual(run("Reshape", [iota([2, 3])], { shape: [3, 2] }, 4)[0].shape, [3, 2]);
  throws(
    () => run("Reshape", [iota([2, 3]), i64([4, 2])]),
    /node n_Reshape, value in1: shape \[4,2\] holds 8 elements, input \[2,3\] has 6/,
  );
  throws(
    () => run("Reshape", [iota([2, 3]), i64([-1, -1])]),
    /value in1: shape \[-1,-1\] has more than one -1/,
  );
  throws(() => run("Reshape", [iota([2, 3]), i64([4, -1])]), /value in1: cannot infer -1/);
});

Deno.test("Flatten, Squeeze, Unsqueeze (attribute before 13, input from 13)", () => {
  deepEqual(run("Flatten", [iota([2, 3, 4])], { axis: -1 })[0].shape, [6, 4]);
  deepEqual(run("Flatten", [iota([2, 3, 4])], { axis: 0 })[0].shape, [1, 24]);
  deepEqual(run("Squeeze", [iota([1, 3, 1])])[0].shape, [3]);
  deepEqual(run("Squeeze", [iota([1, 3, 1]), i64([-1])])[0].shape, [1, 3]);
  deepEqual(run("Squeeze", [iota([1, 3, 1])], { axes: [0] }, 11)[0].shape, [3, 1]);
  throws(
    () => run("Squeeze", [iota([1, 3]), i64([1])]),
    /node n_Squeeze, value in0: cannot squeeze axis 1/,
  );
  deepEqual(run("Unsqueeze", [iota([3, 4]), i64([0, -1])])[0].shape, [1, 3, 4, 1]);
  deepEqual(run("Unsqueeze", [iota([3, 4])], { axes: [1] }, 11)[0].shape, [3, 1, 4]);
  throws(
    () => run("Unsqueeze", [iota([3]), i64([0, 0])]),
    /value in1: axes \[0,0\] repeat an axis/,
  );
});

Deno.test("Shape (start/end), Size, Expand, Tile, Dropout, Identity", () => {
  const x = iota([2, 3, 4]);
  deepEqual([...run("Shape", [x])[0].data], [2n, 3n, 4n]);
  deepEqual([...run("Shape", [x], { start: 1, end: -1 }, 15)[0].data], [3n]);
  deepEqual([...run("Shape", [x], { start: -10 }, 15)[0].data], [2n, 3n, 4n]);
  deepEqual([...run("Size", [x])[0].data], [24n]);
  const [e] = run("Expand", [iota([3, 1]), i64([2, 1, 2])]);
  deepEqual(e.shape, [2, 3, 2]);
  deepEqual([...e.data], [0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2]);
  throws(
    () => run("Expand", [iota([3]), i64([2])]),
    /node n_Expand, value in1: shape \[2\] does not broadcast/,
  );
  deepEqual([...run("Tile", [iota([2]), i64([2])])[0].data], [0, 1, 0, 1]);
  deepEqual([...run("Tile", [iota([2, 1]), i64([1, 2])])[0].data], [0, 0, 1, 1]);
  const [d, m] = run("Dropout", [x], { ratio: 0.5 }, 13, 2);
  equal(d, x);
  deepEqual([m.dtype, m.data.every((v) => v === 1)], ["bool", true]);
  equal(run("Identity", [x])[0], x);
});

Deno.test("Constant, ConstantOfShape, Range", () => {
  deepEqual([...run("Constant", [], { value_floats: [1.5, 2] })[0].data], [1.5, 2]);
  deepEqual([...run("Constant", [], { value_int: 3 })[0].data], [3n]);
  deepEqual(run("Constant", [], { value_ints: [1, 2] })[0].shape, [2]);
  deepEqual(run("Constant", [], { value_float: 1 })[0].shape, []);
  const [z] = run("ConstantOfShape", [i64([2, 3])]);
  deepEqual([z.dtype, z.shape, z.data.every((v) => v === 0)], ["float32", [2, 3], true]);
  const s = (v: number): GraphTensor => ({ dtype: "float32", shape: [], data: Float32Array.of(v) });
  // ONNX spec: Range(3, 9, 3) = [3, 6]; Range(10, 4, -3) = [10, 7].
  deepEqual([...run("Range", [s(3), s(9), s(3)])[0].data], [3, 6]);
  deepEqual([...run("Range", [i64([10], []), i64([4], []), i64([-3], [])])[0].data], [10n, 7n]);
  deepEqual([...run("Range", [i64([0], []), i64([5], []), i64([-1], [])])[0].data], []);
  throws(() => run("Constant", []), /node n_Constant, value y: Constant needs/);
});

Deno.test("a shape subgraph (Shape → Gather → Unsqueeze → Concat → Reshape) runs on int64 in runFloat", async () => {
  const { runFloat } = await import("../executor.ts");
  const g: Graph = {
    name: "flatten",
    opset: 13,
    inputs: [{ name: "x", dtype: "float32", shape: ["n", 2, 3] }],
    outputs: [{ name: "y", dtype: "float32", shape: ["n", 6] }],
    initializers: new Map<string, GraphTensor>([
      ["zero", { dtype: "int64", shape: [], data: BigInt64Array.of(0n) }],
      ["axes", i64([0])],
      ["minus1", i64([-1])],
    ]),
    values: new Map(),
    nodes: [
      { name: "shape", op: "Shape", inputs: ["x"], outputs: ["s"], attrs: {} },
      { name: "batch", op: "Gather", inputs: ["s", "zero"], outputs: ["b"], attrs: { axis: 0 } },
      { name: "unsq", op: "Unsqueeze", inputs: ["b", "axes"], outputs: ["b1"], attrs: {} },
      {
        name: "cat",
        op: "Concat",
        inputs: ["b1", "minus1"],
        outputs: ["target"],
        attrs: { axis: 0 },
      },
      { name: "reshape", op: "Reshape", inputs: ["x", "target"], outputs: ["y"], attrs: {} },
    ],
  };
  const { y, target } = runFloat(g, { x: iota([4, 2, 3]) }, { outputs: ["y", "target"] });
  deepEqual([...target.data], [4n, -1n]);
  deepEqual(y.shape, [4, 6]);
  deepEqual([...y.data], [...iota([24]).data]);
});
