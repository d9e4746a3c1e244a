import { deepEqual } from "node:assert/strict";
import type { Graph, Node } from "@lowbit/graph/ir";
import { runFloat } from "@lowbit/graph/executor";
import { applyLut, lutForNode, type LutGrid } from "./lut.ts";

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function scalar(dtype: "float32" | "int8" | "uint8", v: number) {
  const data = dtype === "float32"
    ? new Float32Array([v])
    : dtype === "int8"
    ? new Int8Array([v])
    : new Uint8Array([v]);
  return { dtype, shape: [], data };
}

/** DQ(x) → op → Q, the QDQ simulation the table must reproduce exactly. */
function qdqGraph(op: Node, a: LutGrid, b: LutGrid): Graph {
  return {
    name: "lut",
    opset: 17,
    inputs: [{ name: "xq", dtype: a.dtype, shape: [256] }],
    outputs: [{ name: "yq", dtype: b.dtype, shape: [256] }],
    nodes: [
      { name: "dq", op: "DequantizeLinear", inputs: ["xq", "sa", "za"], outputs: ["x"], attrs: {} },
      { ...op, inputs: ["x"], outputs: ["y"] },
      { name: "q", op: "QuantizeLinear", inputs: ["y", "sb", "zb"], outputs: ["yq"], attrs: {} },
    ],
    initializers: new Map([
      ["sa", scalar("float32", a.scale)],
      ["za", scalar(a.dtype, a.zeroPoint)],
      ["sb", scalar("float32", b.scale)],
      ["zb", scalar(b.dtype, b.zeroPoint)],
    ]),
    values: new Map(),
  };
}

const OPS: Node[] = [
  { name: "hs", op: "HardSwish", inputs: [], outputs: [], attrs: {} },
  { name: "hsig", op: "HardSigmoid", inputs: [], outputs: [], attrs: { alpha: 0.2, beta: 0.5 } },
  { name: "sig", op: "Sigmoid", inputs: [], outputs: [], attrs: {} },
  { name: "tanh", op: "Tanh", inputs: [], outputs: [], attrs: {} },
  { name: "relu", op: "Relu", inputs: [], outputs: [], attrs: {} },
  { name: "lrelu", op: "LeakyRelu", inputs: [], outputs: [], attrs: { alpha: 0.1 } },
];

Deno.test("lut: equals the QDQ simulation (runFloat of DQ → op → Q) on all 256 codes, 0 LSB", () => {
  const r = rng(42);
  for (const op of OPS) {
    for (let trial = 0; trial < 8; trial++) {
      const grid = (): LutGrid => {
        const dtype = r() < 0.5 ? "int8" : "uint8";
        const lo = dtype === "int8" ? -128 : 0;
        return {
          dtype,
          scale: Math.fround(0.005 + r() * 0.1),
          zeroPoint: lo + Math.floor(r() * 256),
        };
      };
      const a = grid(), b = grid();
      const lut = lutForNode(op, a, b);
      const codes = a.dtype === "int8" ? new Int8Array(256) : new Uint8Array(256);
      for (let i = 0; i < 256; i++) codes[i] = (a.dtype === "int8" ? -128 : 0) + i;
      const sim = runFloat(qdqGraph(op, a, b), { xq: { data: codes, shape: [256] } }).yq;
      deepEqual(
        Array.from(applyLut(lut, codes)),
        Array.from(sim.data as Int8Array),
        `${op.op} ${JSON.stringify([a, b])}`,
      );
    }
  }
});

Deno.test("applyLut: clamp tables (Relu, Clip on one grid) and near-clamp tables give the table's codes", () => {
  for (const dtype of ["uint8", "int8"] as const) {
    const lo = dtype === "int8" ? -128 : 0;
    const g = { dtype, scale: 0.05, zeroPoint: dtype === "int8" ? -20 : 30 };
    const all = dtype === "int8"
      ? Int8Array.from({ length: 300 }, (_, i) => lo + (i * 89) % 256)
      : Uint8Array.from({ length: 300 }, (_, i) => (i * 89) % 256);
    const relu = lutForNode(
      { name: "r", op: "Relu", inputs: ["x"], outputs: ["y"], attrs: {} },
      g,
      g,
    );
    const clip = lutForNode(
      { name: "c", op: "Clip", inputs: ["x"], outputs: ["y"], attrs: { min: 0, max: 6 } },
      g,
      g,
    );
    // identity with one entry moved: looks like a clamp almost everywhere, is not one
    const near = {
      input: dtype,
      output: dtype,
      table: Int16Array.from({ length: 256 }, (_, i) => i + lo),
    };
    near.table[77] += 1;
    for (const [name, t] of [["relu", relu], ["clip", clip], ["near", near]] as const) {
      const want = Array.from(all, (q) => t.table[q - lo]);
      deepEqual(Array.from(applyLut(t, all)), want, `${dtype} ${name}`);
    }
    // the Relu table on one grid is the clamp at the zero point
    deepEqual(Array.from(applyLut(relu, all)), Array.from(all, (q) => Math.max(q, g.zeroPoint)));
  }
});
