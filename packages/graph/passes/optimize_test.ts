import { deepEqual, ok } from "node:assert/strict";
import { runFloat } from "../executor.ts";
import { type Graph, type GraphTensor, tensor } from "../ir.ts";
import { optimize } from "./optimize.ts";
import { maxRelDiff, seeded } from "./_test_util.ts";
const t = (shape: number[], seed: number, lo = -1, hi = 1): GraphTensor => ({
  dtype: "float32",
  shape,
  data: seeded(shape.reduce((a, b) => a * b, 1), seed, lo, hi),
});

Deno.test("optimize: Conv→BN→hard-swish chain→Identity→Flatten→Reshape to Conv→HardSwish→Reshape", () => {
  const g: Graph = {
    name: "g",
    opset: 14,
    values: new Map(),
    initializers: new Map([
      ["w", t([3, 2, 3, 3], 1)],
      ["gamma", t([3], 2, 0.5, 2)],
      ["beta", t([3], 3)],
      ["mean", t([3], 4)],
      ["var", t([3], 5, 0.2, 2)],
      ["three", tensor("float32", [], [3])],
      ["six", tensor("float32", [], [6])],
      ["zero", tensor("float32", [], [0])],
      ["shape", tensor("int64", [2], [2, -1])],
    ]),
    inputs: [{ name: "x", dtype: "float32", shape: [2, 2, 4, 4] }],
    outputs: [{ name: "y", dtype: "float32", shape: [2, 48] }],
    nodes: [
      {
        name: "conv",
        op: "Conv",
        inputs: ["x", "w"],
        outputs: ["c"],
        attrs: { pads: [1, 1, 1, 1], kernel_shape: [3, 3] },
      },
      {
        name: "bn",
        op: "BatchNormalization",
        inputs: ["c", "gamma", "beta", "mean", "var"],
        outputs: ["b"],
        attrs: {},
      },
      { name: "add", op: "Add", inputs: ["b", "three"], outputs: ["a"], attrs: {} },
      { name: "clip", op: "Clip", inputs: ["a", "zero", "six"], outputs: ["cl"], attrs: {} },
      { name: "mul", op: "Mul", inputs: ["b", "cl"], outputs: ["m"], attrs: {} },
      { name: "div", op: "Div", inputs: ["m", "six"], outputs: ["h"], attrs: {} },
      { name: "id", op: "Identity", inputs: ["h"], outputs: ["i"], attrs: {} },
      { name: "flat", op: "Flatten", inputs: ["i"], outputs: ["f"], attrs: { axis: 1 } },
      { name: "resh", op: "Reshape", inputs: ["f", "shape"], outputs: ["y"], attrs: {} },
      { name: "dead", op: "Relu", inputs: ["x"], outputs: ["unused"], attrs: {} },
    ],
  };
  const out = optimize(g);
  deepEqual(out.nodes.map((n) => n.op), ["Conv", "HardSwish", "Reshape"]);
  deepEqual([...out.initializers.keys()].sort(), ["conv.bn_bias", "conv.bn_weight", "shape"]);
  const x = { data: seeded(64, 11, -2, 2), shape: [2, 2, 4, 4] };
  const a = runFloat(out, { x }).y.data as Float32Array;
  const e = runFloat(g, { x }).y.data as Float32Array;
  ok(maxRelDiff(a, e) < 1e-5, `max rel diff ${maxRelDiff(a, e)}`);
  deepEqual(g.nodes.length, 10);
});
