// Lookup regions of compileQuantized: a QDQ hard-swish decomposed as x · clip(x + 3, 0, 6) / 6
// (four Q/DQ pairs inside) runs as one table and equals, bit for bit on every input code, both
// the QDQ float simulation (runFloat, the independent truth) and the node-by-node integer run;
// regions that are not closed, that broadcast a non-scalar constant, or whose inner values are
// asked for run node by node.
import { deepEqual, equal } from "node:assert/strict";
import { runFloat } from "@lowbit/graph/executor";
import type { Graph, GraphTensor, Node } from "@lowbit/graph/ir";
import { compileQuantized } from "./qdq_run.ts";
import { lookupRegions } from "./_qdq_regions.ts";

const f32 = (...v: number[]): GraphTensor => ({
  dtype: "float32",
  shape: v.length === 1 ? [] : [1, v.length, 1],
  data: Float32Array.from(v),
});
const u8 = (v: number): GraphTensor => ({ dtype: "uint8", shape: [], data: Uint8Array.of(v) });
const i8 = (v: number): GraphTensor => ({ dtype: "int8", shape: [], data: Int8Array.of(v) });

/** Q → DQ of value v on grid g (initializers `<g>_s`, `<g>_z`). */
function qdq(v: string, g: string): Node[] {
  return [
    { name: `${v}_q`, op: "QuantizeLinear", inputs: [v, `${g}_s`, `${g}_z`], outputs: [`${v}_q`] },
    {
      name: `${v}_dq`,
      op: "DequantizeLinear",
      inputs: [`${v}_q`, `${g}_s`, `${g}_z`],
      outputs: [`${v}_d`],
    },
  ].map((n) => ({ ...n, attrs: {} }));
}
const op = (name: string, type: string, inputs: string[]): Node => ({
  name,
  op: type,
  inputs,
  outputs: [name],
  attrs: {},
});

/**
 * x (shape [1, 3, n]) → Q/DQ → hard-swish in four ops with Q/DQ after each → y; `extra`
 * nodes and outputs are appended.
 */
function hardSwish(n: number, dtype: "int8" | "uint8", extra: Node[] = [], outs: string[] = []) {
  const z = dtype === "uint8" ? u8 : i8;
  const g: Graph = {
    name: "hs",
    opset: 13,
    values: new Map(),
    inputs: [{ name: "x", dtype: "float32", shape: [1, 3, n] }],
    outputs: ["y", ...outs].map((name) => ({ name, dtype: "float32", shape: [1, 3, n] })),
    initializers: new Map<string, GraphTensor>([
      ["gx_s", f32(0.047)],
      ["gx_z", z(dtype === "uint8" ? 131 : 3)],
      ["ga_s", f32(0.031)],
      ["ga_z", z(dtype === "uint8" ? 7 : -120)],
      ["gc_s", f32(0.0241)],
      ["gc_z", z(dtype === "uint8" ? 0 : -128)],
      ["gm_s", f32(0.11)],
      ["gm_z", z(dtype === "uint8" ? 40 : -90)],
      ["gy_s", f32(0.019)],
      ["gy_z", z(dtype === "uint8" ? 30 : -100)],
      ["three", f32(3)],
      ["zero", f32(0)],
      ["six", f32(6)],
    ]),
    nodes: [
      ...qdq("x", "gx"),
      op("a", "Add", ["x_d", "three"]),
      ...qdq("a", "ga"),
      op("c", "Clip", ["a_d", "zero", "six"]),
      ...qdq("c", "gc"),
      op("m", "Mul", ["x_d", "c_d"]),
      ...qdq("m", "gm"),
      op("v", "Div", ["m_d", "six"]),
      {
        name: "v_q",
        op: "QuantizeLinear",
        inputs: ["v", "gy_s", "gy_z"],
        outputs: ["v_q"],
        attrs: {},
      },
      {
        name: "v_dq",
        op: "DequantizeLinear",
        inputs: ["v_q", "gy_s", "gy_z"],
        outputs: ["y"],
        attrs: {},
      },
      ...extra,
    ],
  };
  return g;
}

/** Inputs covering every code of x's grid (and beyond both ends). */
function everyCode(n: number): Record<string, { data: Float32Array; shape: number[] }> {
  return {
    x: {
      data: Float32Array.from({ length: 3 * n }, (_, k) => (k - 1.5 * n) * 0.047 * (300 / (3 * n))),
      shape: [1, 3, n],
    },
  };
}

const pathOf = (run: { trace: { node: string; path: string }[] }, name: string) =>
  run.trace.find((t) => t.node === name)?.path;

Deno.test("lookupRegions: a QDQ hard-swish is one region from x's codes to its last QuantizeLinear", () => {
  const g = hardSwish(8, "uint8");
  const consumers = new Map<string, Node[]>();
  for (const n of g.nodes) {
    for (const v of n.inputs) consumers.set(v, [...(consumers.get(v) ?? []), n]);
  }
  const regions = lookupRegions(g.nodes, g.initializers, new Set(["y"]), consumers);
  equal(regions.length, 1);
  equal(regions[0].source, "x_q");
  equal(regions[0].exit, "v_q");
  deepEqual(regions[0].nodes.map((n) => n.name), [
    "x_dq",
    "a",
    "a_q",
    "a_dq",
    "c",
    "c_q",
    "c_dq",
    "m",
    "m_q",
    "m_dq",
    "v",
    "v_q",
  ]);
});

for (const dtype of ["uint8", "int8"] as const) {
  Deno.test(`compileQuantized: a ${dtype} QDQ hard-swish runs as one table, equal to the QDQ simulation on every code`, () => {
    const g = hardSwish(100, dtype);
    const x = everyCode(100);
    const sim = runFloat(g, x).y.data as Float32Array;
    const fused = compileQuantized(g).run(x);
    const apart = compileQuantized(g, { lookupRegions: false }).run(x);
    deepEqual(Array.from(fused.outputs.y.data as Float32Array), Array.from(sim));
    deepEqual(Array.from(apart.outputs.y.data as Float32Array), Array.from(sim));
    // x spans every code of its grid, and the outputs many codes: an off-by-one table shows
    equal(new Set(Array.from(sim)).size > 60, true);
    // the inner Q/DQ pairs are part of the table (node by node they cost nothing)
    equal(pathOf(fused, "a_q"), "integer");
    equal(pathOf(apart, "a_q"), "requantize-free");
    for (const n of ["a", "c", "m", "v"]) equal(pathOf(fused, n), "integer", n);
  });
}

Deno.test("compileQuantized: a lookup region is not formed when an inner value is read outside it", () => {
  // c_d also feeds a graph output: the region up to v_q is not closed
  const g = hardSwish(20, "uint8", [op("c2", "Relu", ["c_d"])], ["c2"]);
  const x = everyCode(20);
  const sim = runFloat(g, x);
  const run = compileQuantized(g).run(x);
  deepEqual(Array.from(run.outputs.y.data as Float32Array), Array.from(sim.y.data as Float32Array));
  deepEqual(
    Array.from(run.outputs.c2.data as Float32Array),
    Array.from(sim.c2.data as Float32Array),
  );
  // no closed region is left: c_d is read by c2, and x_d (read by the Add) also by the Mul
  for (const n of ["a_q", "c_q", "m_q"]) equal(pathOf(run, n), "requantize-free", n);
});

Deno.test("compileQuantized: a per-channel constant breaks a lookup region; asked-for inner values are computed", () => {
  const g = hardSwish(10, "int8");
  g.initializers.set("six", f32(6, 5, 4)); // Div by a per-channel constant (and Clip's max)
  g.initializers.set("sixClip", f32(6));
  g.nodes = g.nodes.map((n) => n.name === "c" ? { ...n, inputs: ["a_d", "zero", "sixClip"] } : n);
  const x = everyCode(10);
  const sim = runFloat(g, x).y.data as Float32Array;
  const run = compileQuantized(g).run(x);
  deepEqual(Array.from(run.outputs.y.data as Float32Array), Array.from(sim));
  equal(pathOf(run, "v_q"), "quantize"); // the Div ran in float: no region reached it
  // an inner value asked for: the region runs node by node for this run, same numbers
  const h = hardSwish(10, "int8");
  const y = runFloat(h, x, { outputs: ["y", "m_d"] });
  const asked = compileQuantized(h).run(x, { outputs: ["y", "m_d"] });
  deepEqual(Array.from(asked.outputs.y.data as Float32Array), Array.from(y.y.data as Float32Array));
  deepEqual(
    Array.from(asked.outputs.m_d.data as Float32Array),
    Array.from(y.m_d.data as Float32Array),
  );
  equal(pathOf(asked, "a_q"), "requantize-free");
});
