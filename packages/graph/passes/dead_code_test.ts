import { deepEqual, equal } from "node:assert/strict";
import { runFloat } from "../executor.ts";
import { type Graph, tensor } from "../ir.ts";
import { eliminateDeadCode } from "./dead_code.ts";
import { seeded } from "./_test_util.ts";

Deno.test("eliminateDeadCode: drops unreachable chains and unused initializers, outputs equal", () => {
  const g: Graph = {
    name: "g",
    opset: 13,
    values: new Map([["dead2", { name: "dead2", dtype: "float32", shape: [4] }]]),
    initializers: new Map([
      ["w", tensor("float32", [4], [1, 2, 3, 4])],
      ["unused", tensor("float32", [1], [0])],
    ]),
    inputs: [{ name: "x", dtype: "float32", shape: [4] }],
    outputs: [{ name: "y", dtype: "float32", shape: [4] }],
    nodes: [
      { name: "d1", op: "Mul", inputs: ["x", "w"], outputs: ["dead1"], attrs: {} },
      { name: "m", op: "Mul", inputs: ["x", "w"], outputs: ["a"], attrs: {} },
      { name: "d2", op: "Relu", inputs: ["dead1"], outputs: ["dead2"], attrs: {} },
      { name: "r", op: "Relu", inputs: ["a"], outputs: ["y"], attrs: {} },
    ],
  };
  const out = eliminateDeadCode(g);
  deepEqual(out.nodes.map((n) => n.name), ["m", "r"]);
  deepEqual([...out.initializers.keys()], ["w"]);
  equal(out.values.has("dead2"), false);
  equal(g.nodes.length, 4);
  const x = { data: seeded(4, 1), shape: [4] };
  deepEqual(runFloat(out, { x }).y.data, runFloat(g, { x }).y.data);
});

Deno.test("eliminateDeadCode: keeps graph inputs that are initializers", () => {
  const g: Graph = {
    name: "g",
    opset: 13,
    values: new Map(),
    initializers: new Map([["b", tensor("float32", [1], [1])]]),
    inputs: [
      { name: "x", dtype: "float32", shape: [1] },
      { name: "b", dtype: "float32", shape: [1] },
    ],
    outputs: [{ name: "x", dtype: "float32", shape: [1] }],
    nodes: [],
  };
  deepEqual([...eliminateDeadCode(g).initializers.keys()], ["b"]);
});
