/**
 * `lowbit inspect`: what a graph holds — op counts, parameters and their bytes, and per-layer
 * weight ranges (with the largest per-channel range ratio, the number that tells whether
 * per-tensor int8 will hurt).
 *
 * @example
 * ```ts
 * import { inspectGraph } from "@lowbit/cli/inspect";
 * import { tensor } from "@lowbit/graph/ir";
 * import { equal } from "node:assert/strict";
 * const w = tensor("float32", [2, 1, 1, 1], [0.5, -4]);
 * const report = inspectGraph({ name: "g", opset: 13, values: new Map(),
 *   initializers: new Map([["w", w]]),
 *   inputs: [{ name: "x", dtype: "float32", shape: [1, 1, 2, 2] }],
 *   outputs: [{ name: "y", dtype: "float32", shape: [1, 2, 2, 2] }],
 *   nodes: [{ name: "conv", op: "Conv", inputs: ["x", "w"], outputs: ["y"], attrs: {} }] });
 * equal(report.parameters, 2);
 * equal(report.layers[0].channelRangeRatio, 8);
 * ```
 *
 * @module
 */

import type { Graph, GraphTensor } from "@lowbit/graph/ir";
import { toNumbers } from "@lowbit/graph/ir";

/** One weighted layer. */
export interface LayerReport {
  /** Node name. */
  node: string;
  /** Op type. */
  op: string;
  /** Weight initializer name. */
  weight: string;
  /** Weight shape. */
  shape: number[];
  /** Smallest and largest weight. */
  min: number;
  /** Largest weight. */
  max: number;
  /** max over output channels of max|w| divided by the min over channels (∞ if a channel is 0). */
  channelRangeRatio: number;
}

/** What {@linkcode inspectGraph} finds. */
export interface GraphReport {
  /** Graph name and opset. */
  name: string;
  /** Default-domain opset. */
  opset: number;
  /** Nodes per op type, most frequent first. */
  ops: [string, number][];
  /** Number of parameters (elements of float initializers). */
  parameters: number;
  /** Bytes of all initializers as stored. */
  bytes: number;
  /** Weighted layers (Conv, ConvTranspose, Gemm, MatMul with a constant operand). */
  layers: LayerReport[];
  /** Graph inputs and outputs. */
  inputs: string[];
  /** Outputs. */
  outputs: string[];
}

function isFloat(t: GraphTensor): boolean {
  return t.dtype === "float32" || t.dtype === "float16" || t.dtype === "float64";
}

/**
 * Summarises a graph.
 *
 * @param graph The graph (Constant nodes count as initializers only after constant folding).
 * @returns The report.
 */
export function inspectGraph(graph: Graph): GraphReport {
  const ops = new Map<string, number>();
  for (const n of graph.nodes) ops.set(n.op, (ops.get(n.op) ?? 0) + 1);
  let parameters = 0, bytes = 0;
  for (const t of graph.initializers.values()) {
    if (isFloat(t)) parameters += t.data.length;
    bytes += t.data.byteLength;
  }
  const layers: LayerReport[] = [];
  for (const n of graph.nodes) {
    if (!["Conv", "ConvTranspose", "Gemm", "MatMul"].includes(n.op)) continue;
    const wName = n.inputs[1];
    const w = graph.initializers.get(wName);
    if (w === undefined || !isFloat(w)) continue;
    const v = toNumbers(w);
    // Output channel axis: 0 for Conv (OIHW) and Gemm with transB; 1 for ConvTranspose and
    // MatMul ([K, N]) and Gemm without transB.
    const axis = n.op === "Conv" || (n.op === "Gemm" && n.attrs.transB === 1) ? 0 : 1;
    const channels = w.shape[axis] ?? 1;
    const inner = w.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const absMax = new Float64Array(channels);
    let min = Infinity, max = -Infinity;
    v.forEach((x, i) => {
      min = Math.min(min, x);
      max = Math.max(max, x);
      const c = Math.floor(i / inner) % channels;
      absMax[c] = Math.max(absMax[c], Math.abs(x));
    });
    const hi = Math.max(...absMax), lo = Math.min(...absMax);
    layers.push({
      node: n.name,
      op: n.op,
      weight: wName,
      shape: [...w.shape],
      min,
      max,
      channelRangeRatio: lo === 0 ? Infinity : hi / lo,
    });
  }
  return {
    name: graph.name,
    opset: graph.opset,
    ops: [...ops].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
    parameters,
    bytes,
    layers,
    inputs: graph.inputs.map((v) => `${v.name} ${v.dtype}[${v.shape.join(", ")}]`),
    outputs: graph.outputs.map((v) => `${v.name} ${v.dtype}[${v.shape.join(", ")}]`),
  };
}

/**
 * The report as plain text (what `lowbit inspect` prints).
 *
 * @param r The report.
 * @returns Lines of text.
 */
export function formatReport(r: GraphReport): string {
  const lines = [
    `graph ${r.name} (opset ${r.opset})`,
    `inputs:  ${r.inputs.join("; ")}`,
    `outputs: ${r.outputs.join("; ")}`,
    `parameters: ${r.parameters.toLocaleString("en-US")} (${
      (r.bytes / 1024).toFixed(1)
    } KiB stored)`,
    `ops: ${r.ops.map(([op, n]) => `${op} ${n}`).join(", ")}`,
    "",
    "layer".padEnd(32) + "op".padEnd(14) + "shape".padEnd(20) + "min".padStart(10) +
    "max".padStart(10) + "  ch. range ratio",
  ];
  for (const l of r.layers) {
    lines.push(
      l.node.slice(0, 31).padEnd(32) + l.op.padEnd(14) + `[${l.shape.join(",")}]`.padEnd(20) +
        l.min.toFixed(3).padStart(10) + l.max.toFixed(3).padStart(10) + "  " +
        (Number.isFinite(l.channelRangeRatio)
          ? l.channelRangeRatio.toFixed(1)
          : "inf (a zero channel)"),
    );
  }
  return lines.join("\n");
}
