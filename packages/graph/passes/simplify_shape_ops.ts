/**
 * Shape-op simplification, each rewrite exact (the outputs are bit-identical):
 *
 * - `Identity` and inference-mode `Dropout` (mask unused, `training_mode` absent or a false
 *   constant) are bypassed.
 * - `Reshape(Reshape(x, s1), s2)` and `Reshape(Flatten(x), s2)` → `Reshape(x, s2)` when `s2`
 *   is a constant without 0 entries (a 0 would copy a dimension of the intermediate shape).
 * - `Reshape` / `Flatten` whose output shape equals its input shape (both static, known from
 *   `values`) is removed.
 * - `Transpose(Transpose(x, p), q)` → one Transpose with perm `p∘q`, or nothing when it is the
 *   identity; an identity `Transpose` alone is removed.
 * - `Squeeze(Unsqueeze(x, a), a)` and `Unsqueeze(Squeeze(x, a), a)` (same explicit axes, from
 *   the attribute or a constant input) → x.
 *
 * Run {@linkcode foldConstants} first so shape inputs computed from constants are constants.
 *
 * @example
 * ```ts
 * import { simplifyShapeOps } from "@lowbit/graph/passes/simplify-shape-ops";
 * import type { Graph } from "@lowbit/graph/ir";
 * import { deepEqual } from "node:assert/strict";
 * const g: Graph = { name: "g", opset: 13, values: new Map(), initializers: new Map(),
 *   inputs: [{ name: "x", dtype: "float32", shape: [2, 3] }],
 *   outputs: [{ name: "z", dtype: "float32", shape: [2, 3] }],
 *   nodes: [
 *     { name: "t1", op: "Transpose", inputs: ["x"], outputs: ["t"], attrs: { perm: [1, 0] } },
 *     { name: "t2", op: "Transpose", inputs: ["t"], outputs: ["u"], attrs: { perm: [1, 0] } },
 *     { name: "r", op: "Relu", inputs: ["u"], outputs: ["z"], attrs: {} },
 *   ] };
 * deepEqual(simplifyShapeOps(g).nodes.map((n) => [n.op, n.inputs[0]]), [["Relu", "x"]]);
 * ```
 *
 * @module
 */

import { cloneGraph, type Graph, type Node } from "../ir.ts";
import {
  bypass,
  constantNumbers,
  outputNames,
  producerOf,
  scalarOf,
  soleConsumer,
} from "./_util.ts";

function staticShape(graph: Graph, v: string): number[] | undefined {
  const info = graph.values.get(v) ?? graph.inputs.find((i) => i.name === v);
  if (info === undefined) return undefined;
  return info.shape.every((d) => typeof d === "number" && d >= 0)
    ? (info.shape as number[])
    : undefined;
}

function axesOf(graph: Graph, n: Node): number[] | undefined {
  if (Array.isArray(n.attrs.axes)) return [...(n.attrs.axes as number[])].sort((a, b) => a - b);
  const name = n.inputs[1];
  if (name === undefined || name === "") return undefined;
  return constantNumbers(graph, name)?.sort((a, b) => a - b);
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function isIdentityPerm(p: readonly number[]): boolean {
  return p.every((v, i) => v === i);
}

/** One rewrite on the (mutable) copy; returns true when something changed. */
function step(g: Graph): boolean {
  const outs = outputNames(g);
  for (const n of g.nodes) {
    const drop = (): boolean => {
      if (!bypass(g, n.outputs[0], n.inputs[0])) return false;
      g.nodes = g.nodes.filter((m) => m.name !== n.name);
      return true;
    };
    if (n.op === "Identity") {
      if (drop()) return true;
      continue;
    }
    if (n.op === "Dropout") {
      const mask = n.outputs[1];
      if (
        mask !== undefined && mask !== "" &&
        (outs.has(mask) || g.nodes.some((m) => m.inputs.includes(mask)))
      ) continue;
      const tm = n.inputs[2];
      if (tm !== undefined && tm !== "" && scalarOf(g, tm) !== 0) continue;
      if (typeof n.attrs.is_test === "number" && n.attrs.is_test === 0) continue;
      if (drop()) return true;
      continue;
    }
    if (n.op === "Reshape" || n.op === "Flatten") {
      const inShape = staticShape(g, n.inputs[0]);
      const outShape = staticShape(g, n.outputs[0]);
      if (inShape && outShape && sameList(inShape, outShape) && drop()) return true;
    }
    if (n.op === "Reshape") {
      const s2 = constantNumbers(g, n.inputs[1]);
      const prev = producerOf(g, n.inputs[0]);
      if (
        s2 !== undefined && !s2.includes(0) && (prev?.op === "Reshape" || prev?.op === "Flatten") &&
        soleConsumer(g, n.inputs[0]) === n
      ) {
        g.nodes = g.nodes.filter((m) => m !== prev).map((m) =>
          m === n ? { ...n, inputs: [prev.inputs[0], n.inputs[1]] } : m
        );
        return true;
      }
    }
    if (n.op === "Transpose" && Array.isArray(n.attrs.perm)) {
      const q = n.attrs.perm as number[];
      if (isIdentityPerm(q)) {
        if (drop()) return true;
        continue;
      }
      const prev = producerOf(g, n.inputs[0]);
      if (
        prev?.op === "Transpose" && Array.isArray(prev.attrs.perm) &&
        soleConsumer(g, n.inputs[0]) === n
      ) {
        const p = prev.attrs.perm as number[];
        if (p.length !== q.length) continue;
        const composed = q.map((i) => p[i]);
        g.nodes = g.nodes.filter((m) => m !== prev).map((m) =>
          m === n ? { ...n, inputs: [prev.inputs[0]], attrs: { ...n.attrs, perm: composed } } : m
        );
        return true;
      }
    }
    if (n.op === "Squeeze" || n.op === "Unsqueeze") {
      const prev = producerOf(g, n.inputs[0]);
      const pair = n.op === "Squeeze" ? "Unsqueeze" : "Squeeze";
      if (prev?.op !== pair || soleConsumer(g, n.inputs[0]) !== n) continue;
      const a = axesOf(g, n), b = axesOf(g, prev);
      if (a === undefined || b === undefined || !sameList(a, b)) continue;
      if (!bypass(g, n.outputs[0], prev.inputs[0])) continue;
      g.nodes = g.nodes.filter((m) => m.name !== n.name && m.name !== prev.name);
      return true;
    }
  }
  return false;
}

/**
 * Simplifies shape and layout ops (see the module doc) until none applies.
 *
 * @param graph The graph (not modified).
 * @returns A new graph computing the same outputs bit for bit.
 *
 * @example Identity and Dropout disappear
 * ```ts
 * import { simplifyShapeOps } from "@lowbit/graph/passes/simplify-shape-ops";
 * import type { Graph } from "@lowbit/graph/ir";
 * import { deepEqual } from "node:assert/strict";
 * const g: Graph = { name: "g", opset: 13, values: new Map(), initializers: new Map(),
 *   inputs: [{ name: "x", dtype: "float32", shape: [2] }],
 *   outputs: [{ name: "y", dtype: "float32", shape: [2] }],
 *   nodes: [
 *     { name: "r", op: "Relu", inputs: ["x"], outputs: ["a"], attrs: {} },
 *     { name: "d", op: "Dropout", inputs: ["a"], outputs: ["b"], attrs: {} },
 *     { name: "i", op: "Identity", inputs: ["b"], outputs: ["y"], attrs: {} },
 *   ] };
 * deepEqual(simplifyShapeOps(g).nodes.map((n) => [n.op, n.outputs[0]]), [["Relu", "y"]]);
 * ```
 */
export function simplifyShapeOps(graph: Graph): Graph {
  const out = cloneGraph(graph);
  for (let i = 0; i < 10_000 && step(out); i++) { /* until a fixed point */ }
  return out;
}
