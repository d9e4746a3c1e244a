import { deepEqual, ok } from "node:assert/strict";
import { runFloat } from "../executor.ts";
import { type Graph, tensor } from "../ir.ts";
import { fuseActivations } from "./fuse_activations.ts";
import { eliminateDeadCode } from "./dead_code.ts";
import { maxRelDiff, seeded } from "./_test_util.ts";
const scalar = (v: number) => tensor("float32", [], [v]);

function graph(nodes: Graph["nodes"], opset = 9): Graph {
  return {
    name: "g",
    opset,
    values: new Map(),
    initializers: new Map([
      ["three", scalar(3)],
      ["six", scalar(6)],
      ["sixth", scalar(1 / 6)],
      ["zero", scalar(0)],
    ]),
    inputs: [{ name: "x", dtype: "float32", shape: [64] }],
    outputs: [{ name: "y", dtype: "float32", shape: [64] }],
    nodes,
  };
}

function check(g: Graph, ops_: string[]): void {
  const out = eliminateDeadCode(fuseActivations(g));
  deepEqual(out.nodes.map((n) => n.op), ops_);
  const x = { data: seeded(64, 9, -5, 5), shape: [64] };
  const a = runFloat(out, { x }).y.data as Float32Array;
  const e = runFloat(g, { x }).y.data as Float32Array;
  ok(maxRelDiff(a, e) <= 1e-6, `max rel diff ${maxRelDiff(a, e)}`);
}

Deno.test("fuseActivations: PP-OCR hard-swish x·Clip(x+3, 0, 6)/6 → HardSwish", () => {
  check(
    graph([
      { name: "add", op: "Add", inputs: ["x", "three"], outputs: ["a"], attrs: {} },
      { name: "clip", op: "Clip", inputs: ["a", "zero", "six"], outputs: ["c"], attrs: {} },
      { name: "mul", op: "Mul", inputs: ["x", "c"], outputs: ["m"], attrs: {} },
      { name: "div", op: "Div", inputs: ["m", "six"], outputs: ["y"], attrs: {} },
    ], 14),
    ["HardSwish"],
  );
  // Before opset 14 there is no HardSwish op: the opset-9 chain (Clip attributes) stays.
  check(
    graph([
      { name: "add", op: "Add", inputs: ["x", "three"], outputs: ["a"], attrs: {} },
      { name: "clip", op: "Clip", inputs: ["a"], outputs: ["c"], attrs: { min: 0, max: 6 } },
      { name: "mul", op: "Mul", inputs: ["x", "c"], outputs: ["m"], attrs: {} },
      { name: "div", op: "Div", inputs: ["m", "six"], outputs: ["y"], attrs: {} },
    ]),
    ["Add", "Clip", "Mul", "Div"],
  );
  // Clip with bound inputs, Mul by 1/6 applied to the clip
  check(
    graph([
      { name: "add", op: "Add", inputs: ["three", "x"], outputs: ["a"], attrs: {} },
      { name: "clip", op: "Clip", inputs: ["a", "zero", "six"], outputs: ["c"], attrs: {} },
      { name: "s", op: "Mul", inputs: ["c", "sixth"], outputs: ["h"], attrs: {} },
      { name: "mul", op: "Mul", inputs: ["h", "x"], outputs: ["y"], attrs: {} },
    ], 14),
    ["HardSwish"],
  );
});

Deno.test("fuseActivations: x·HardSigmoid(x) fuses, the SE gate x·HardSigmoid(z) does not", () => {
  check(
    graph([
      {
        name: "hs",
        op: "HardSigmoid",
        inputs: ["x"],
        outputs: ["s"],
        attrs: { alpha: Math.fround(1 / 6), beta: 0.5 },
      },
      { name: "mul", op: "Mul", inputs: ["s", "x"], outputs: ["y"], attrs: {} },
    ], 14),
    ["HardSwish"],
  );
  check(
    graph([
      { name: "r", op: "Relu", inputs: ["x"], outputs: ["z"], attrs: {} },
      { name: "hs", op: "HardSigmoid", inputs: ["z"], outputs: ["s"], attrs: { alpha: 0.2 } },
      { name: "mul", op: "Mul", inputs: ["x", "s"], outputs: ["y"], attrs: {} },
    ]),
    ["Relu", "HardSigmoid", "Mul"],
  );
  // Paddle's HardSigmoid slope 0.2 is not hard-swish's 1/6
  check(
    graph([
      { name: "hs", op: "HardSigmoid", inputs: ["x"], outputs: ["s"], attrs: { alpha: 0.2 } },
      { name: "mul", op: "Mul", inputs: ["x", "s"], outputs: ["y"], attrs: {} },
    ]),
    ["HardSigmoid", "Mul"],
  );
});

Deno.test("fuseActivations: Clip(0, ∞) and Max(x, 0) → Relu; Clip(0, 6) stays", () => {
  check(graph([{ name: "c", op: "Clip", inputs: ["x", "zero"], outputs: ["y"], attrs: {} }], 13), [
    "Relu",
  ]);
  check(graph([{ name: "m", op: "Max", inputs: ["zero", "x"], outputs: ["y"], attrs: {} }]), [
    "Relu",
  ]);
  check(
    graph([{ name: "c", op: "Clip", inputs: ["x"], outputs: ["y"], attrs: { min: 0, max: 6 } }]),
    ["Clip"],
  );
});

Deno.test("fuseActivations: a shared intermediate blocks fusion", () => {
  const g = graph([
    { name: "add", op: "Add", inputs: ["x", "three"], outputs: ["a"], attrs: {} },
    { name: "clip", op: "Clip", inputs: ["a", "zero", "six"], outputs: ["c"], attrs: {} },
    { name: "mul", op: "Mul", inputs: ["x", "c"], outputs: ["m"], attrs: {} },
    { name: "div", op: "Div", inputs: ["m", "six"], outputs: ["d"], attrs: {} },
    { name: "sum", op: "Add", inputs: ["d", "c"], outputs: ["y"], attrs: {} },
  ], 14);
  deepEqual(fuseActivations(g).nodes.length, 5);
});
