import { deepEqual, ok } from "node:assert/strict";
import { runFloat } from "../executor.ts";
import { type Graph, type GraphTensor, tensor } from "../ir.ts";
import { foldBatchNorm } from "./fold_batchnorm.ts";
import { eliminateDeadCode } from "./dead_code.ts";
import { maxRelDiff, seeded } from "./_test_util.ts";
const t = (shape: number[], seed: number, lo = -1, hi = 1): GraphTensor => ({
  dtype: "float32",
  shape,
  data: seeded(shape.reduce((a, b) => a * b, 1), seed, lo, hi),
});

function bnInits(c: number, seed: number): [string, GraphTensor][] {
  return [
    ["gamma", t([c], seed, 0.5, 2)],
    ["beta", t([c], seed + 1)],
    ["mean", t([c], seed + 2)],
    ["var", t([c], seed + 3, 0.1, 3)],
  ];
}

const BN = ["gamma", "beta", "mean", "var"];

Deno.test("foldBatchNorm: grouped Conv + BN → one Conv, outputs within 1e-5 relative", () => {
  const g: Graph = {
    name: "g",
    opset: 13,
    values: new Map(),
    initializers: new Map([["w", t([4, 1, 3, 3], 1)], ["b", t([4], 2)], ...bnInits(4, 10)]),
    inputs: [{ name: "x", dtype: "float32", shape: [2, 2, 5, 5] }],
    outputs: [{ name: "y", dtype: "float32", shape: [2, 4, 5, 5] }],
    nodes: [
      {
        name: "conv",
        op: "Conv",
        inputs: ["x", "w", "b"],
        outputs: ["c"],
        attrs: { group: 2, pads: [1, 1, 1, 1], kernel_shape: [3, 3] },
      },
      {
        name: "bn",
        op: "BatchNormalization",
        inputs: ["c", ...BN],
        outputs: ["y"],
        attrs: { epsilon: 1e-5 },
      },
    ],
  };
  const out = eliminateDeadCode(foldBatchNorm(g));
  deepEqual(out.nodes.map((n) => n.op), ["Conv"]);
  ok(!out.initializers.has("gamma") && !out.initializers.has("w"));
  const x = { data: seeded(100, 5), shape: [2, 2, 5, 5] };
  const a = runFloat(out, { x }).y.data as Float32Array;
  const e = runFloat(g, { x }).y.data as Float32Array;
  ok(maxRelDiff(a, e) < 1e-5, `max rel diff ${maxRelDiff(a, e)}`);
  // The folded weight is exactly fround(w·γ/√(σ²+ε)) in float64.
  const w = g.initializers.get("w")!.data as Float32Array;
  const [gm, vr] = [g.initializers.get("gamma")!.data, g.initializers.get("var")!.data];
  const k0 = (gm[0] as number) / Math.sqrt((vr[0] as number) + 1e-5);
  deepEqual(out.initializers.get(out.nodes[0].inputs[1])!.data[0], Math.fround(w[0] * k0));
});

Deno.test("foldBatchNorm: Gemm (transB, beta) and MatMul+Add and bare MatMul fold", () => {
  for (const kind of ["gemm", "matmul-add", "matmul"] as const) {
    const nodes: Graph["nodes"] = kind === "gemm"
      ? [{
        name: "fc",
        op: "Gemm",
        inputs: ["x", "wt", "b"],
        outputs: ["h"],
        attrs: { transB: 1, alpha: 0.5, beta: 2 },
      }]
      : kind === "matmul-add"
      ? [
        { name: "mm", op: "MatMul", inputs: ["x", "w"], outputs: ["m"], attrs: {} },
        { name: "add", op: "Add", inputs: ["b", "m"], outputs: ["h"], attrs: {} },
      ]
      : [{ name: "mm", op: "MatMul", inputs: ["x", "w"], outputs: ["h"], attrs: {} }];
    const g: Graph = {
      name: "g",
      opset: 13,
      values: new Map([["h", { name: "h", dtype: "float32", shape: [3, 4] }]]),
      initializers: new Map([
        ["w", t([5, 4], 1)],
        ["wt", t([4, 5], 1)],
        ["b", t([4], 2)],
        ...bnInits(4, 20),
      ]),
      inputs: [{ name: "x", dtype: "float32", shape: [3, 5] }],
      outputs: [{ name: "y", dtype: "float32", shape: [3, 4] }],
      nodes: [
        ...nodes,
        { name: "bn", op: "BatchNormalization", inputs: ["h", ...BN], outputs: ["y"], attrs: {} },
      ],
    };
    const out = eliminateDeadCode(foldBatchNorm(g));
    deepEqual(
      out.nodes.map((n) => n.op),
      kind === "gemm" ? ["Gemm"] : ["MatMul", "Add"],
      kind,
    );
    const x = { data: seeded(15, 7), shape: [3, 5] };
    const a = runFloat(out, { x }).y.data as Float32Array;
    const e = runFloat(g, { x }).y.data as Float32Array;
    ok(maxRelDiff(a, e) < 1e-5, `${kind}: max rel diff ${maxRelDiff(a, e)}`);
  }
});

Deno.test("foldBatchNorm: not folded when the conv output has another reader or is an output", () => {
  const base = (outputs: string[], extra: Graph["nodes"]): Graph => ({
    name: "g",
    opset: 13,
    values: new Map(),
    initializers: new Map([["w", t([2, 1, 1, 1], 1)], ...bnInits(2, 3)]),
    inputs: [{ name: "x", dtype: "float32", shape: [1, 1, 2, 2] }],
    outputs: outputs.map((name) => ({ name, dtype: "float32" as const, shape: [1, 2, 2, 2] })),
    nodes: [
      { name: "conv", op: "Conv", inputs: ["x", "w"], outputs: ["c"], attrs: {} },
      { name: "bn", op: "BatchNormalization", inputs: ["c", ...BN], outputs: ["y"], attrs: {} },
      ...extra,
    ],
  });
  const shared = base(["y", "r"], [{
    name: "relu",
    op: "Relu",
    inputs: ["c"],
    outputs: ["r"],
    attrs: {},
  }]);
  deepEqual(foldBatchNorm(shared).nodes.map((n) => n.op), ["Conv", "BatchNormalization", "Relu"]);
  deepEqual(foldBatchNorm(base(["y", "c"], [])).nodes.length, 2);
  deepEqual(foldBatchNorm(base(["y"], [])).nodes.map((n) => n.op), ["Conv"]);
  void tensor;
});
