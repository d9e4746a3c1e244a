import { deepEqual, equal } from "node:assert/strict";
import { runFloat } from "../executor.ts";
import { type Graph, tensor, toNumbers } from "../ir.ts";
import { foldConstants } from "./fold_constants.ts";
import { seeded } from "./_test_util.ts";

Deno.test("foldConstants: Constant, arithmetic on constants and Shape fold; outputs equal exactly", () => {
  // y = Reshape(x * (a + Constant), Shape(x)) with x [2, 3]
  const g: Graph = {
    name: "g",
    opset: 13,
    values: new Map(),
    initializers: new Map([["a", tensor("float32", [3], [1, 2, 3])]]),
    inputs: [{ name: "x", dtype: "float32", shape: [2, 3] }],
    outputs: [{ name: "y", dtype: "float32", shape: [2, 3] }],
    nodes: [
      {
        name: "c",
        op: "Constant",
        inputs: [],
        outputs: ["k"],
        attrs: { value: tensor("float32", [3], [0.5, 0.25, -1]) },
      },
      { name: "add", op: "Add", inputs: ["a", "k"], outputs: ["ak"], attrs: {} },
      { name: "mul", op: "Mul", inputs: ["x", "ak"], outputs: ["p"], attrs: {} },
      { name: "shape", op: "Shape", inputs: ["x"], outputs: ["s"], attrs: {} },
      { name: "reshape", op: "Reshape", inputs: ["p", "s"], outputs: ["y"], attrs: {} },
    ],
  };
  const out = foldConstants(g);
  deepEqual(out.nodes.map((n) => n.op), ["Mul", "Reshape"]);
  deepEqual([...out.initializers.get("ak")!.data], [1.5, 2.25, 2]);
  deepEqual(toNumbers(out.initializers.get("s")!), [2, 3]);
  const x = { data: seeded(6, 3), shape: [2, 3] };
  deepEqual(runFloat(out, { x }).y.data, runFloat(g, { x }).y.data);
  equal(g.nodes.length, 5);
});

Deno.test("foldConstants: Shape of a symbolic input folds only with given shapes; Q/DQ kept", () => {
  const g: Graph = {
    name: "g",
    opset: 13,
    values: new Map(),
    initializers: new Map([
      ["w", tensor("float32", [2], [0.3, -0.7])],
      ["s", tensor("float32", [], [0.1])],
      ["z", tensor("int8", [], [0])],
    ]),
    inputs: [{ name: "x", dtype: "float32", shape: ["n", 2] }],
    outputs: [
      { name: "sh", dtype: "int64", shape: [2] },
      { name: "wd", dtype: "float32", shape: [2] },
    ],
    nodes: [
      { name: "shape", op: "Shape", inputs: ["x"], outputs: ["sh"], attrs: { start: 1 } },
      { name: "q", op: "QuantizeLinear", inputs: ["w", "s", "z"], outputs: ["wq"], attrs: {} },
      { name: "dq", op: "DequantizeLinear", inputs: ["wq", "s", "z"], outputs: ["wd"], attrs: {} },
    ],
  };
  deepEqual(foldConstants(g).nodes.map((n) => n.op), [
    "Shape",
    "QuantizeLinear",
    "DequantizeLinear",
  ]);
  const out = foldConstants(g, { shapes: { x: [7, 2] } });
  deepEqual(out.nodes.map((n) => n.op), ["QuantizeLinear", "DequantizeLinear"]);
  deepEqual(toNumbers(out.initializers.get("sh")!), [2]);
});
