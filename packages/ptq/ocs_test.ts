import { deepEqual, equal, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import { type Graph, type GraphTensor, runFloat } from "@lowbit/graph";
import { compileQuantized } from "@lowbit/runtime/qdq-run";
import { splitOutlierChannels } from "./ocs.ts";
import { quantizeStatic } from "./static.ts";

const f32 = (shape: number[], data: ArrayLike<number>): GraphTensor => ({
  dtype: "float32",
  shape,
  data: Float32Array.from(data),
});

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5;
}

/** x[1,2,6,6] → conv1 3×3 → relu → maxpool → conv2 3×3 p1 → flatten → fc1 → relu → fc2. */
function cnn(seed: number, outlier: number): Graph {
  const r = lcg(seed);
  const w = (n: number) => Array.from({ length: n }, r);
  const W1 = w(4 * 2 * 9), W2 = w(3 * 4 * 9), F1 = w(5 * 12), F2 = w(2 * 5);
  W1[7] = outlier; // planted outliers
  W2[20] = -outlier;
  F1[3] = outlier;
  return {
    name: "cnn",
    opset: 13,
    inputs: [{ name: "x", dtype: "float32", shape: [1, 2, 6, 6] }],
    outputs: [{ name: "y", dtype: "float32", shape: [1, 2] }],
    nodes: [
      { name: "conv1", op: "Conv", inputs: ["x", "W1", "B1"], outputs: ["c1"], attrs: {} },
      { name: "relu1", op: "Relu", inputs: ["c1"], outputs: ["r1"], attrs: {} },
      {
        name: "pool",
        op: "MaxPool",
        inputs: ["r1"],
        outputs: ["p1"],
        attrs: { kernel_shape: [2, 2], strides: [2, 2] },
      },
      {
        name: "conv2",
        op: "Conv",
        inputs: ["p1", "W2", "B2"],
        outputs: ["c2"],
        attrs: { pads: [1, 1, 1, 1] },
      },
      { name: "flat", op: "Flatten", inputs: ["c2"], outputs: ["f"], attrs: { axis: 1 } },
      { name: "fc1", op: "Gemm", inputs: ["f", "F1", "G1"], outputs: ["h"], attrs: { transB: 1 } },
      { name: "relu2", op: "Relu", inputs: ["h"], outputs: ["r2"], attrs: {} },
      { name: "fc2", op: "Gemm", inputs: ["r2", "F2"], outputs: ["y"], attrs: {} },
    ],
    initializers: new Map([
      ["W1", f32([4, 2, 3, 3], W1)],
      ["B1", f32([4], w(4))],
      ["W2", f32([3, 4, 3, 3], W2)],
      ["B2", f32([3], w(3))],
      ["F1", f32([5, 12], F1)],
      ["G1", f32([5], w(5))],
      ["F2", f32([5, 2], F2)], // transB 0: [in, out]
    ]),
    values: new Map(),
  };
}

function input(seed: number) {
  const r = lcg(seed);
  return { x: { data: Float32Array.from({ length: 72 }, () => 2 * r()), shape: [1, 2, 6, 6] } };
}

/** Sum of the copies of each original input channel's column, per layer (Eq. O.1 exactly). */
function columnSums(
  w: GraphTensor,
  op: string,
  transB: boolean,
  sources: number[],
  c: number,
  out: number,
) {
  // `out`: the original output rows (a layer widened later as a producer has copies appended).
  const d = w.data as Float32Array;
  const wide = c + sources.length;
  const origin = [...Array(c).keys(), ...sources];
  const stride = op === "Conv" || transB ? 0 : w.shape[1];
  const k = op === "Conv" ? w.shape.slice(2).reduce((a, b) => a * b, 1) : 1;
  const sums = new Float64Array(out * c * k);
  for (let o = 0; o < out; o++) {
    for (let j = 0; j < wide; j++) {
      for (let t = 0; t < k; t++) {
        const v = op === "Conv" || transB ? d[(o * wide + j) * k + t] : d[j * stride + o];
        sums[(o * c + origin[j]) * k + t] += v;
      }
    }
  }
  return sums;
}

function originalColumns(w: GraphTensor, op: string, transB: boolean) {
  const d = w.data as Float32Array;
  const c = op === "Conv" || transB ? w.shape[1] : w.shape[0];
  const out = op === "Conv" || transB ? w.shape[0] : w.shape[1];
  const k = op === "Conv" ? w.shape.slice(2).reduce((a, b) => a * b, 1) : 1;
  const cols = new Float64Array(out * c * k);
  for (let o = 0; o < out; o++) {
    for (let j = 0; j < c; j++) {
      for (let t = 0; t < k; t++) {
        cols[(o * c + j) * k + t] = op === "Conv" || transB
          ? d[(o * c + j) * k + t]
          : d[j * out + o];
      }
    }
  }
  return cols;
}

Deno.test("OCS keeps the function, halves copies exactly and lowers max |w| (property)", () => {
  const ratios = [0.05, 0.25, 0.5, 1];
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 1e9 }),
      fc.integer({ min: 0, max: 3 }),
      fc.boolean(),
      fc.double({ min: 0.6, max: 20, noNaN: true }),
      (seed, ri, absorb, outlier) => {
        const g = cnn(seed, outlier);
        const r = splitOutlierChannels(g, { expandRatio: ratios[ri], absorb });
        deepEqual(r.layers.map((l) => l.node), ["conv1", "conv2", "fc1", "fc2"]);
        for (const l of r.layers) {
          equal(l.splits, Math.ceil(ratios[ri] * l.channels));
          ok(l.maxAfter <= l.maxBefore);
          const n = r.graph.nodes.find((x) => x.name === l.node)!;
          const before = g.nodes.find((x) => x.name === l.node)!;
          const transB = n.attrs.transB === 1;
          const w0 = g.initializers.get(before.inputs[1])!;
          const w1 = r.graph.initializers.get(n.inputs[1])!;
          deepEqual(
            [...columnSums(
              w1,
              n.op,
              transB,
              l.sources,
              l.channels,
              n.op === "Conv" || transB ? w0.shape[0] : w0.shape[1],
            )],
            [...originalColumns(w0, n.op, transB)],
          );
        }
        // conv1 reads the graph input: always a Gather. conv2 sits behind relu1/pool from
        // conv1, and fc2 behind relu2 from fc1: absorbed when allowed. fc1 follows a Flatten.
        deepEqual(
          r.layers.map((l) => l.widenedBy),
          absorb ? ["gather", "conv1", "gather", "fc1"] : ["gather", "gather", "gather", "gather"],
        );
        for (const s of [1, 2]) {
          const x = input(seed + s);
          const want = runFloat(g, x).y.data as Float32Array;
          const got = runFloat(r.graph, x).y.data as Float32Array;
          for (let i = 0; i < want.length; i++) {
            ok(
              Math.abs(got[i] - want[i]) <= 1e-5 * (1 + Math.abs(want[i])),
              `${got[i]} vs ${want[i]}`,
            );
          }
        }
      },
    ),
    { numRuns: 40, seed: 11 },
  );
});

Deno.test("OCS splits the current largest column each time (greedy, first index on ties)", () => {
  // One Gemm, weight [1 output, 2 inputs] = [8, 3]; two splits: 8 → 4 | 4, then the first 4.
  const g: Graph = {
    name: "g",
    opset: 13,
    inputs: [{ name: "x", dtype: "float32", shape: [1, 2] }],
    outputs: [{ name: "y", dtype: "float32", shape: [1, 1] }],
    nodes: [{ name: "fc", op: "Gemm", inputs: ["x", "W"], outputs: ["y"], attrs: { transB: 1 } }],
    initializers: new Map([["W", f32([1, 2], [8, 3])]]),
    values: new Map(),
  };
  const r = splitOutlierChannels(g, { expandRatio: 1 });
  const fcNode = r.graph.nodes.find((n) => n.name === "fc")!;
  deepEqual([...(r.graph.initializers.get(fcNode.inputs[1])!.data as Float32Array)], [2, 3, 4, 2]);
  deepEqual(r.layers[0].sources, [0, 0]);
  equal(r.layers[0].maxAfter, 4);
  const gather = r.graph.nodes.find((n) => n.op === "Gather")!;
  deepEqual([...(r.graph.initializers.get(gather.inputs[1])!.data as BigInt64Array)], [
    0n,
    1n,
    0n,
    0n,
  ]);
  ok(!r.graph.initializers.has("W"), "the replaced weight is dropped");
  ok(g.initializers.has("W") && g.nodes[0].inputs[1] === "W", "the input graph is unchanged");
});

Deno.test("OCS lowers the per-tensor 4-bit weight error of a layer with an outlier", () => {
  // Gaussian-like weights plus one 12σ outlier: the per-tensor grid step follows max |w|.
  const g = cnn(5, 6);
  const fcOnly = splitOutlierChannels(g, { nodes: ["fc1"], expandRatio: 0.25 });
  const sqerr = (w: Float32Array) => {
    const m = w.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
    const s = m / 7;
    return w.reduce((a, v) => a + (Math.max(-8, Math.min(7, Math.round(v / s))) * s - v) ** 2, 0);
  };
  const before = sqerr(g.initializers.get("F1")!.data as Float32Array);
  const n = fcOnly.graph.nodes.find((x) => x.name === "fc1")!;
  // The squared rounding error of the weights on a per-tensor grid (step max |w| / 7).
  const after = sqerr(fcOnly.graph.initializers.get(n.inputs[1])!.data as Float32Array);
  ok(after < before / 4, `${after} vs ${before}`);
});

Deno.test("an OCS graph quantizes and runs on the integer runtime, Gather on the codes", async () => {
  const g = splitOutlierChannels(cnn(3, 4), { expandRatio: 0.25 }).graph;
  const calib = [1, 2, 3, 4].map(input);
  const q = await quantizeStatic(g, calib);
  const run = compileQuantized(q).run(input(9));
  const sim = runFloat(q, input(9)).y.data as Float32Array;
  const got = run.outputs.y.data as Float32Array;
  ok(run.trace.some((t) => t.op === "Gather" && t.path === "integer"), "Gather runs on codes");
  for (let i = 0; i < sim.length; i++) {
    ok(Math.abs(got[i] - sim[i]) < 0.05, `${got[i]} vs ${sim[i]}`);
  }
});

Deno.test("OCS rejects bad options naming the argument", () => {
  const g = cnn(1, 2);
  for (const bad of [0, -0.1, 1.5, NaN]) {
    throws(() => splitOutlierChannels(g, { expandRatio: bad }), /options\.expandRatio/);
  }
  throws(() => splitOutlierChannels(g, { nodes: ["relu1"] }), /options\.nodes: "relu1"/);
  throws(() => splitOutlierChannels(g, { nodes: ["nope"] }), /options\.nodes: "nope"/);
  const dw = cnn(1, 2);
  dw.nodes = dw.nodes.map((n) => n.name === "conv1" ? { ...n, attrs: { group: 2 } } : n);
  throws(() => splitOutlierChannels(dw, { nodes: ["conv1"] }), /group 1/);
});
