import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { type Graph, runFloat, tensor } from "@lowbit/graph";
import { weightSensitivity } from "./weight_sensitivity.ts";

// Two MatMuls side by side, y1 = x·w1 and y2 = x·w2 with x = I (2×2): each output is its
// weight, so the metric −Σ(y − y_float)² is minus the rounding error of the quantized node
// alone, known in closed form for symmetric max-abs grids.
const w1 = [0.9, -0.31, 0.5, 0.07];
const w2 = [4, 0.1, -0.2, 0.3]; // an outlier: per-tensor 3-bit scale 4/3 zeroes the rest
const graph = (): Graph => ({
  name: "two",
  opset: 13,
  values: new Map(),
  inputs: [{ name: "x", dtype: "float32", shape: [2, 2] }],
  outputs: [
    { name: "y1", dtype: "float32", shape: [2, 2] },
    { name: "y2", dtype: "float32", shape: [2, 2] },
  ],
  nodes: [
    { name: "a", op: "MatMul", inputs: ["x", "w1"], outputs: ["y1"], attrs: {} },
    { name: "b", op: "MatMul", inputs: ["x", "w2"], outputs: ["y2"], attrs: {} },
    { name: "r", op: "Relu", inputs: ["y1"], outputs: ["z"], attrs: {} },
  ],
  initializers: new Map([
    ["w1", tensor("float32", [2, 2], w1)],
    ["w2", tensor("float32", [2, 2], w2)],
  ]),
});
const x = { x: { data: Float32Array.of(1, 0, 0, 1), shape: [2, 2] } };
const floatOut = runFloat(graph(), x);
const error = (q: Graph): number => {
  const y = runFloat(q, x);
  let e = 0;
  for (const name of ["y1", "y2"]) {
    const a = floatOut[name].data, b = y[name].data;
    for (let i = 0; i < a.length; i++) e += (Number(a[i]) - Number(b[i])) ** 2;
  }
  return -e;
};
/** Σ (w − s·round(w/s))² with s = max|w| / (2^(b−1) − 1): per-tensor symmetric rounding. */
const closedForm = (w: number[], bits: number): number => {
  const s = Math.max(...w.map(Math.abs)) / (2 ** (bits - 1) - 1);
  return w.reduce((a, v) => a + (v - s * Math.round(v / s)) ** 2, 0);
};

Deno.test("weightSensitivity: each layer's metric is its own rounding error alone (closed form, 3 and 4 bits)", () => {
  for (const bits of [3, 4]) {
    const r = weightSensitivity(graph(), error, { bits, granularity: "per-tensor" });
    deepEqual(r.map((l) => [l.node, l.op]), [["a", "MatMul"], ["b", "MatMul"]]);
    ok(Math.abs(r[0].metric + closedForm(w1, bits)) < 1e-6, `a at ${bits} bits: ${r[0].metric}`);
    ok(Math.abs(r[1].metric + closedForm(w2, bits)) < 1e-6, `b at ${bits} bits: ${r[1].metric}`);
  }
  // the outlier layer is the weaker one per-tensor, and per-channel (columns) narrows its error
  const t = weightSensitivity(graph(), error, { bits: 3, granularity: "per-tensor" });
  ok(t[1].metric < t[0].metric);
  const c = weightSensitivity(graph(), error, { bits: 3, granularity: "per-channel" });
  ok(c[1].metric > t[1].metric);
});

Deno.test("weightSensitivity: the graph is not changed, layers selects and orders, onLayer reports progress", () => {
  const g = graph();
  const before = JSON.stringify([...g.initializers.get("w2")!.data]);
  const seen: [string, number, number][] = [];
  const r = weightSensitivity(g, error, {
    bits: 2,
    layers: ["b"],
    onLayer: (l, done, total) => seen.push([l.node, done, total]),
  });
  equal(r.length, 1);
  equal(r[0].node, "b");
  deepEqual(seen, [["b", 1, 1]]);
  equal(JSON.stringify([...g.initializers.get("w2")!.data]), before);
  equal(g.nodes.length, 3);
});

Deno.test("weightSensitivity: typed errors name the argument", () => {
  throws(() => weightSensitivity(graph(), error, { layers: ["r"] }), /options\.layers: r/);
  throws(() => weightSensitivity(graph(), error, { layers: ["nope"] }), /options\.layers: nope/);
  throws(() => weightSensitivity(graph(), () => NaN), /metric returned NaN for a/);
  throws(() => weightSensitivity(graph(), error, { bits: 9 }), RangeError);
});
