/**
 * Activation fusion: recognises decomposed activations and replaces them by the single
 * standard ONNX op, so a quantizer sees one activation instead of an arithmetic chain.
 *
 * - `x · HardSigmoid(x)` (α = 1/6, β = 0.5, either operand order) → `HardSwish(x)`.
 * - PP-OCR's hard-swish `Div(Mul(x, Clip(Add(x, 3), 0, 6)), 6)`, also with `Mul(·, 1/6)`
 *   instead of the Div and with the division applied to the Clip → `HardSwish(x)`.
 * - `Clip(x, 0, +∞)` (max absent) → `Relu(x)`; `Max(x, 0)` → `Relu(x)`.
 *
 * `x · HardSigmoid(z)` with z ≠ x (a squeeze-excitation gate, common in PP-OCR) is left alone.
 * HardSwish is fused only in graphs of opset 14 or later (the op's first version), so every
 * graph stays valid ONNX. Every intermediate value must have no other reader. The fused HardSwish computes
 * x·max(0, min(1, x/6 + 1/2)) in one rounding, so it can differ from the float32 chain by a
 * few ulps (the tests allow 1e-6 relative).
 *
 * @example
 * ```ts
 * import { fuseActivations } from "@lowbit/graph/passes/fuse-activations";
 * import type { Graph } from "@lowbit/graph/ir";
 * import { deepEqual } from "node:assert/strict";
 * const g: Graph = { name: "g", opset: 14, values: new Map(), initializers: new Map(),
 *   inputs: [{ name: "x", dtype: "float32", shape: [4] }],
 *   outputs: [{ name: "y", dtype: "float32", shape: [4] }],
 *   nodes: [
 *     { name: "hs", op: "HardSigmoid", inputs: ["x"], outputs: ["s"], attrs: { alpha: 1 / 6, beta: 0.5 } },
 *     { name: "mul", op: "Mul", inputs: ["x", "s"], outputs: ["y"], attrs: {} },
 *   ] };
 * deepEqual(fuseActivations(g).nodes.map((n) => [n.op, n.inputs[0], n.outputs[0]]), [["HardSwish", "x", "y"]]);
 * ```
 *
 * @module
 */

import { cloneGraph, type Graph, type Node } from "../ir.ts";
import { producerOf, scalarOf, soleConsumer } from "./_util.ts";

const SIXTH = 1 / 6;

function near(a: number | undefined, b: number): boolean {
  return a !== undefined && Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));
}

/** Clip bounds from attributes (opset < 11) or constant inputs; undefined when not constant. */
function clipBounds(graph: Graph, clip: Node): { min: number; max: number } | undefined {
  let min = -Infinity, max = Infinity;
  if (typeof clip.attrs.min === "number") min = clip.attrs.min;
  if (typeof clip.attrs.max === "number") max = clip.attrs.max;
  for (const [i, set] of [[1, (v: number) => (min = v)], [2, (v: number) => (max = v)]] as const) {
    const name = clip.inputs[i];
    if (name === undefined || name === "") continue;
    const v = scalarOf(graph, name);
    if (v === undefined) return undefined;
    set(v);
  }
  return { min, max };
}

/** The operand of a binary node that is not the scalar constant `c`; undefined otherwise. */
function otherThanScalar(
  graph: Graph,
  n: Node,
  c: number,
  commutative: boolean,
): string | undefined {
  const [a, b] = n.inputs;
  if (near(scalarOf(graph, b), c) && scalarOf(graph, a) === undefined) return a;
  if (commutative && near(scalarOf(graph, a), c) && scalarOf(graph, b) === undefined) return b;
  return undefined;
}

/** `Clip(Add(x, 3), 0, 6)` → x, with the nodes it used. */
function relu6Plus3(graph: Graph, value: string): { x: string; nodes: Node[] } | undefined {
  const clip = producerOf(graph, value);
  if (clip?.op !== "Clip") return undefined;
  const b = clipBounds(graph, clip);
  if (b === undefined || b.min !== 0 || b.max !== 6) return undefined;
  const add = producerOf(graph, clip.inputs[0]);
  if (add?.op !== "Add" || soleConsumer(graph, add.outputs[0]) !== clip) return undefined;
  const x = otherThanScalar(graph, add, 3, true);
  return x === undefined ? undefined : { x, nodes: [add, clip] };
}

/** `HardSigmoid(x)` with α = 1/6, β = 1/2, or `Clip(Add(x,3),0,6)/6` (Div or Mul by 1/6). */
function hardSigmoidOf(graph: Graph, value: string): { x: string; nodes: Node[] } | undefined {
  const n = producerOf(graph, value);
  if (n === undefined) return undefined;
  if (n.op === "HardSigmoid") {
    const alpha = typeof n.attrs.alpha === "number" ? n.attrs.alpha : 0.2;
    const beta = typeof n.attrs.beta === "number" ? n.attrs.beta : 0.5;
    return near(alpha, SIXTH) && near(beta, 0.5) ? { x: n.inputs[0], nodes: [n] } : undefined;
  }
  const inner = n.op === "Div"
    ? otherThanScalar(graph, n, 6, false)
    : n.op === "Mul"
    ? otherThanScalar(graph, n, SIXTH, true)
    : undefined;
  if (inner === undefined || soleConsumer(graph, inner) !== n) return undefined;
  const r = relu6Plus3(graph, inner);
  return r === undefined ? undefined : { x: r.x, nodes: [...r.nodes, n] };
}

function mulOperands(n: Node): [string, string][] {
  const [a, b] = n.inputs;
  return [[a, b], [b, a]];
}

/** Tries every HardSwish form ending at node `end`; returns x and the nodes to remove. */
function hardSwishAt(graph: Graph, end: Node): { x: string; nodes: Node[] } | undefined {
  if (end.op === "Mul" && end.inputs.length === 2) {
    // x · hardSigmoid(x)
    for (const [x, s] of mulOperands(end)) {
      if (soleConsumer(graph, s) !== end) continue;
      const h = hardSigmoidOf(graph, s);
      if (h !== undefined && h.x === x) return { x, nodes: [...h.nodes, end] };
    }
  }
  // (x · relu6(x + 3)) / 6 and (x · relu6(x + 3)) · (1/6)
  const prod = end.op === "Div"
    ? otherThanScalar(graph, end, 6, false)
    : end.op === "Mul"
    ? otherThanScalar(graph, end, SIXTH, true)
    : undefined;
  if (prod === undefined || soleConsumer(graph, prod) !== end) return undefined;
  const mul = producerOf(graph, prod);
  if (mul?.op !== "Mul") return undefined;
  for (const [x, r] of mulOperands(mul)) {
    if (soleConsumer(graph, r) !== mul) continue;
    const m = relu6Plus3(graph, r);
    if (m !== undefined && m.x === x) return { x, nodes: [...m.nodes, mul, end] };
  }
  return undefined;
}

/**
 * Fuses decomposed activations into HardSwish / Relu (see the module doc).
 *
 * @param graph The graph (not modified).
 * @returns A new graph with the patterns replaced (the fused node takes the name and output
 *   of the pattern's last node).
 *
 * @example Clip with only a lower bound of 0 is a Relu
 * ```ts
 * import { fuseActivations } from "@lowbit/graph/passes/fuse-activations";
 * import { tensor, type Graph } from "@lowbit/graph/ir";
 * import { deepEqual } from "node:assert/strict";
 * const g: Graph = { name: "g", opset: 13, values: new Map(),
 *   initializers: new Map([["zero", tensor("float32", [], [0])]]),
 *   inputs: [{ name: "x", dtype: "float32", shape: [2] }],
 *   outputs: [{ name: "y", dtype: "float32", shape: [2] }],
 *   nodes: [{ name: "clip", op: "Clip", inputs: ["x", "zero"], outputs: ["y"], attrs: {} }] };
 * deepEqual(fuseActivations(g).nodes.map((n) => n.op), ["Relu"]);
 * ```
 */
export function fuseActivations(graph: Graph): Graph {
  const out = cloneGraph(graph);
  const removed = new Set<Node>();
  const replacement = new Map<Node, Node>();
  for (const node of graph.nodes) {
    if (removed.has(node)) continue;
    // HardSwish exists from opset 14 on; older graphs keep the decomposed form so that they
    // stay valid ONNX (upgrade the opset first to get the fused op).
    const hs = graph.opset >= 14 ? hardSwishAt(graph, node) : undefined;
    if (hs !== undefined && hs.nodes.every((n) => !removed.has(n))) {
      for (const n of hs.nodes) removed.add(n);
      replacement.set(node, {
        name: node.name,
        op: "HardSwish",
        inputs: [hs.x],
        outputs: [node.outputs[0]],
        attrs: {},
      });
      continue;
    }
    if (node.op === "Clip") {
      const b = clipBounds(graph, node);
      if (b !== undefined && b.min === 0 && b.max === Infinity) {
        replacement.set(node, { ...node, op: "Relu", inputs: [node.inputs[0]], attrs: {} });
      }
    } else if (node.op === "Max" && node.inputs.length === 2) {
      const x = otherThanScalar(graph, node, 0, true);
      if (
        x !== undefined &&
        scalarOf(graph, node.inputs[0] === x ? node.inputs[1] : node.inputs[0]) === 0
      ) {
        replacement.set(node, { ...node, op: "Relu", inputs: [x], attrs: {} });
      }
    }
  }
  out.nodes = graph.nodes.flatMap((n) => {
    const r = replacement.get(n);
    if (r !== undefined) return [r];
    return removed.has(n) ? [] : [n];
  });
  return out;
}
