import { deepEqual, ok } from "node:assert/strict";
import fc from "fast-check";
import { runFloat } from "../executor.ts";
import { type Graph, type GraphTensor, type Node, tensor } from "../ir.ts";
import { eliminateDeadCode } from "./dead_code.ts";
import { foldAffine } from "./fold_affine.ts";
import { optimize } from "./optimize.ts";
import { maxRelDiff, seeded } from "./_test_util.ts";

const t = (shape: number[], seed: number, lo = -1, hi = 1): GraphTensor => ({
  dtype: "float32",
  shape,
  data: seeded(shape.reduce((a, b) => a * b, 1), seed, lo, hi),
});

/** Runs `foldAffine` to a fixed point (as `optimize` does) and drops dead initializers. */
function foldAll(g: Graph): Graph {
  let out = g;
  for (let i = 0; i < 8; i++) out = eliminateDeadCode(foldAffine(out));
  return out;
}

interface Chain {
  group: number;
  pads: number;
  pre: ("Mul" | "Add")[];
  post: { op: "Mul" | "Add"; perChannel: boolean; shape4: boolean }[];
  bias: boolean;
  seed: number;
}

/** x → pre ops (scalars) → Conv → post ops (scalar or per-channel) → y. */
function convChain(c: Chain): Graph {
  const cin = 4, cout = c.group === 1 ? 6 : 4;
  const inits = new Map<string, GraphTensor>([["w", t([cout, cin / c.group, 3, 3], c.seed)]]);
  if (c.bias) inits.set("b", t([cout], c.seed + 1));
  const nodes: Node[] = [];
  let v = "x";
  c.pre.forEach((op, i) => {
    inits.set(`pre${i}`, t([1], c.seed + 10 + i, 0.5, 2));
    nodes.push({ name: `pre${i}`, op, inputs: [v, `pre${i}`], outputs: [`p${i}`], attrs: {} });
    v = `p${i}`;
  });
  nodes.push({
    name: "conv",
    op: "Conv",
    inputs: c.bias ? [v, "w", "b"] : [v, "w"],
    outputs: ["c"],
    attrs: { group: c.group, pads: new Array(4).fill(c.pads), kernel_shape: [3, 3] },
  });
  v = "c";
  c.post.forEach((p, i) => {
    const shape = !p.perChannel ? [] : p.shape4 ? [1, cout, 1, 1] : [cout, 1, 1];
    inits.set(`post${i}`, t(shape, c.seed + 20 + i, 0.5, 2));
    // constant first on odd positions: either operand order folds
    const inputs = i % 2 === 0 ? [v, `post${i}`] : [`post${i}`, v];
    nodes.push({ name: `post${i}`, op: p.op, inputs, outputs: [`q${i}`], attrs: {} });
    v = `q${i}`;
  });
  nodes[nodes.length - 1].outputs = ["y"];
  return {
    name: "g",
    opset: 13,
    values: new Map(),
    initializers: inits,
    inputs: [{ name: "x", dtype: "float32", shape: [2, cin, 5, 5] }],
    outputs: [{ name: "y", dtype: "float32", shape: [] }],
    nodes,
  };
}

Deno.test("foldAffine: random Mul/Add chains around a Conv compute the same outputs, and fold exactly where allowed", () => {
  fc.assert(
    fc.property(
      fc.record({
        group: fc.constantFrom(1, 4),
        pads: fc.constantFrom(0, 1),
        pre: fc.array(fc.constantFrom("Mul" as const, "Add" as const), { maxLength: 2 }),
        post: fc.array(
          fc.record({
            op: fc.constantFrom("Mul" as const, "Add" as const),
            perChannel: fc.boolean(),
            shape4: fc.boolean(),
          }),
          { maxLength: 3 },
        ),
        bias: fc.boolean(),
        seed: fc.integer({ min: 1, max: 1000 }),
      }),
      (c) => {
        const g = convChain(c);
        const out = foldAll(g);
        const x = { data: seeded(2 * 4 * 25, c.seed + 99), shape: [2, 4, 5, 5] };
        const a = runFloat(out, { x }).y.data as Float32Array;
        const e = runFloat(g, { x }).y.data as Float32Array;
        ok(maxRelDiff(a, e) < 1e-5, `max rel diff ${maxRelDiff(a, e)}`);
        // Every post op folds; a pre Add blocks (itself and the ops before it) under padding.
        const lastAdd = c.pre.lastIndexOf("Add");
        const kept = c.pads === 1 && lastAdd >= 0 ? lastAdd + 1 : 0;
        deepEqual(out.nodes.map((n) => n.op), [...c.pre.slice(0, kept), "Conv"]);
      },
    ),
    { numRuns: 60, seed: 7 },
  );
});

Deno.test("foldAffine: Gemm (transB, alpha, beta) with a scalar Add before and a per-column Mul after", () => {
  const g: Graph = {
    name: "g",
    opset: 13,
    values: new Map(),
    initializers: new Map([
      ["wt", t([3, 5], 1)],
      ["b", t([3], 2)],
      ["d", tensor("float32", [], [0.75])],
      ["k", t([1, 3], 3, 0.5, 2)],
    ]),
    inputs: [{ name: "x", dtype: "float32", shape: [2, 5] }],
    outputs: [{ name: "y", dtype: "float32", shape: [2, 3] }],
    nodes: [
      { name: "add", op: "Add", inputs: ["x", "d"], outputs: ["a"], attrs: {} },
      {
        name: "fc",
        op: "Gemm",
        inputs: ["a", "wt", "b"],
        outputs: ["h"],
        attrs: { transB: 1, alpha: 0.5, beta: 2 },
      },
      { name: "mul", op: "Mul", inputs: ["h", "k"], outputs: ["y"], attrs: {} },
    ],
  };
  const out = foldAll(g);
  deepEqual(out.nodes.map((n) => n.op), ["Gemm"]);
  const x = { data: seeded(10, 4), shape: [2, 5] };
  // Closed form: y = (0.5·(x + d)·Wᵀ + 2·b) ⊙ k.
  const w = g.initializers.get("wt")!.data as Float32Array;
  const b = g.initializers.get("b")!.data as Float32Array;
  const k = g.initializers.get("k")!.data as Float32Array;
  const want = new Float32Array(6);
  for (let r = 0; r < 2; r++) {
    for (let n = 0; n < 3; n++) {
      let s = 0;
      for (let j = 0; j < 5; j++) s += (x.data[r * 5 + j] + 0.75) * w[n * 5 + j];
      want[r * 3 + n] = (0.5 * s + 2 * b[n]) * k[n];
    }
  }
  const got = runFloat(out, { x }).y.data as Float32Array;
  ok(maxRelDiff(got, want) < 1e-5, `max rel diff ${maxRelDiff(got, want)}`);
});

Deno.test("foldAffine: leaves alone a value with two readers, a graph output, a non-channel constant and Mul of two activations", () => {
  const base = (nodes: Node[], outputs = ["y"]): Graph => ({
    name: "g",
    opset: 13,
    values: new Map(),
    initializers: new Map([
      ["w", t([2, 2, 1, 1], 1)],
      ["k", t([1, 1, 1, 2], 2)], // broadcasts along W, not along channels
      ["s", tensor("float32", [], [3])],
    ]),
    inputs: [{ name: "x", dtype: "float32", shape: [1, 2, 2, 2] }],
    outputs: outputs.map((name) => ({ name, dtype: "float32" as const, shape: [] })),
    nodes,
  });
  const conv: Node = { name: "conv", op: "Conv", inputs: ["x", "w"], outputs: ["c"], attrs: {} };
  const cases: Graph[] = [
    base([conv, { name: "m", op: "Mul", inputs: ["c", "s"], outputs: ["y"], attrs: {} }, {
      name: "r",
      op: "Relu",
      inputs: ["c"],
      outputs: ["z"],
      attrs: {},
    }], ["y", "z"]),
    base([conv, { name: "m", op: "Mul", inputs: ["c", "s"], outputs: ["y"], attrs: {} }], [
      "y",
      "c",
    ]),
    base([conv, { name: "m", op: "Mul", inputs: ["c", "k"], outputs: ["y"], attrs: {} }]),
    base([conv, { name: "m", op: "Mul", inputs: ["c", "c"], outputs: ["y"], attrs: {} }]),
  ];
  for (const g of cases) {
    deepEqual(foldAffine(g).nodes.map((n) => n.op), g.nodes.map((n) => n.op));
  }
});

Deno.test("optimize: folds PP-LCNet's Conv → Mul → Add affine blocks into the Conv", () => {
  const g = convChain({
    group: 4,
    pads: 1,
    pre: ["Mul"],
    post: [{ op: "Mul", perChannel: false, shape4: false }, {
      op: "Add",
      perChannel: false,
      shape4: false,
    }],
    bias: true,
    seed: 5,
  });
  deepEqual(optimize(g).nodes.map((n) => n.op), ["Conv"]);
});
