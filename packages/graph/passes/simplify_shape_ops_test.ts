import { deepEqual } from "node:assert/strict";
import { runFloat } from "../executor.ts";
import { type Graph, tensor } from "../ir.ts";
import { simplifyShapeOps } from "./simplify_shape_ops.ts";
import { eliminateDeadCode } from "./dead_code.ts";
import { seeded } from "./_test_util.ts";
const i64 = (v: number[]) => tensor("int64", [v.length], v);

function check(g: Graph, want: string[]): void {
  const out = eliminateDeadCode(simplifyShapeOps(g));
  deepEqual(out.nodes.map((n) => n.op), want);
  const shape = g.inputs[0].shape as number[];
  const x = { data: seeded(shape.reduce((a, b) => a * b, 1), 4), shape };
  const a = runFloat(out, { x }), e = runFloat(g, { x });
  for (const o of g.outputs) {
    deepEqual(a[o.name].shape, e[o.name].shape);
    deepEqual(a[o.name].data, e[o.name].data); // exact
  }
}

const base = (nodes: Graph["nodes"], outShape: number[], inShape = [2, 3, 4]): Graph => ({
  name: "g",
  opset: 13,
  values: new Map(),
  initializers: new Map([
    ["s1", i64([6, 4])],
    ["s2", i64([-1, 2])],
    ["ax", i64([1])],
  ]),
  inputs: [{ name: "x", dtype: "float32", shape: inShape }],
  outputs: [{ name: "y", dtype: "float32", shape: outShape }],
  nodes,
});

Deno.test("simplifyShapeOps: consecutive Reshapes and Flatten→Reshape merge", () => {
  check(
    base([
      { name: "r1", op: "Reshape", inputs: ["x", "s1"], outputs: ["a"], attrs: {} },
      { name: "r2", op: "Reshape", inputs: ["a", "s2"], outputs: ["y"], attrs: {} },
    ], [12, 2]),
    ["Reshape"],
  );
  check(
    base([
      { name: "f", op: "Flatten", inputs: ["x"], outputs: ["a"], attrs: { axis: 1 } },
      { name: "r2", op: "Reshape", inputs: ["a", "s2"], outputs: ["y"], attrs: {} },
    ], [12, 2]),
    ["Reshape"],
  );
});

Deno.test("simplifyShapeOps: Transpose pairs cancel or compose", () => {
  check(
    base([
      { name: "r", op: "Relu", inputs: ["x"], outputs: ["x1"], attrs: {} },
      { name: "t1", op: "Transpose", inputs: ["x1"], outputs: ["a"], attrs: { perm: [2, 0, 1] } },
      { name: "t2", op: "Transpose", inputs: ["a"], outputs: ["y"], attrs: { perm: [1, 2, 0] } },
    ], [2, 3, 4]),
    ["Relu"],
  );
  check(
    base([
      { name: "t1", op: "Transpose", inputs: ["x"], outputs: ["a"], attrs: { perm: [2, 0, 1] } },
      { name: "t2", op: "Transpose", inputs: ["a"], outputs: ["b"], attrs: { perm: [0, 2, 1] } },
      { name: "r", op: "Relu", inputs: ["b"], outputs: ["y"], attrs: {} },
    ], [4, 3, 2]),
    ["Transpose", "Relu"],
  );
});

Deno.test("simplifyShapeOps: Unsqueeze/Squeeze pairs, Identity, Dropout, no-op Reshape", () => {
  check(
    base([
      { name: "r", op: "Relu", inputs: ["x"], outputs: ["x1"], attrs: {} },
      { name: "u", op: "Unsqueeze", inputs: ["x1", "ax"], outputs: ["a"], attrs: {} },
      { name: "s", op: "Squeeze", inputs: ["a", "ax"], outputs: ["b"], attrs: {} },
      { name: "i", op: "Identity", inputs: ["b"], outputs: ["c"], attrs: {} },
      { name: "d", op: "Dropout", inputs: ["c"], outputs: ["y"], attrs: {} },
    ], [2, 3, 4]),
    ["Relu"],
  );
  const g = base(
    [
      { name: "r", op: "Relu", inputs: ["x"], outputs: ["a"], attrs: {} },
      { name: "r1", op: "Reshape", inputs: ["a", "s1"], outputs: ["y"], attrs: {} },
    ],
    [6, 4],
    [6, 4],
  );
  g.values.set("a", { name: "a", dtype: "float32", shape: [6, 4] });
  g.values.set("y", { name: "y", dtype: "float32", shape: [6, 4] });
  check(g, ["Relu"]);
});

Deno.test("simplifyShapeOps: a Reshape with a 0 entry after a Reshape is kept", () => {
  const g = base([
    { name: "r1", op: "Reshape", inputs: ["x", "s1"], outputs: ["a"], attrs: {} },
    { name: "r2", op: "Reshape", inputs: ["a", "s0"], outputs: ["y"], attrs: {} },
  ], [6, 4]);
  g.initializers.set("s0", i64([0, -1]));
  check(g, ["Reshape", "Reshape"]);
});
