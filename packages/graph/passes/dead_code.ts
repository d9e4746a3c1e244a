/**
 * Dead-code elimination: drops nodes none of whose outputs reach a graph output, initializers
 * nobody reads, and `values` entries of values that no longer exist. Graph inputs stay (they
 * are the interface), even when unused.
 *
 * @example
 * ```ts
 * import { eliminateDeadCode } from "@lowbit/graph/passes/dead-code";
 * import { tensor, type Graph } from "@lowbit/graph/ir";
 * import { deepEqual } from "node:assert/strict";
 * const g: Graph = { name: "g", opset: 13, values: new Map(),
 *   initializers: new Map([["unused", tensor("float32", [1], [1])]]),
 *   inputs: [{ name: "x", dtype: "float32", shape: [2] }],
 *   outputs: [{ name: "y", dtype: "float32", shape: [2] }],
 *   nodes: [
 *     { name: "r", op: "Relu", inputs: ["x"], outputs: ["y"], attrs: {} },
 *     { name: "dead", op: "Neg", inputs: ["x"], outputs: ["z"], attrs: {} },
 *   ] };
 * const out = eliminateDeadCode(g);
 * deepEqual(out.nodes.map((n) => n.name), ["r"]);
 * deepEqual([...out.initializers.keys()], []);
 * ```
 *
 * @module
 */

import { cloneGraph, type Graph } from "../ir.ts";
import { producersOf } from "./_util.ts";

/**
 * Removes nodes whose outputs reach no graph output, and unused initializers.
 *
 * @param graph The graph (not modified).
 * @returns A new graph with only the live nodes (in their original order).
 *
 * @example
 * ```ts
 * import { eliminateDeadCode } from "@lowbit/graph/passes/dead-code";
 * import { equal } from "node:assert/strict";
 * const g = { name: "g", opset: 13, values: new Map(), initializers: new Map(),
 *   inputs: [{ name: "x", dtype: "float32" as const, shape: [1] }],
 *   outputs: [{ name: "x", dtype: "float32" as const, shape: [1] }],
 *   nodes: [{ name: "n", op: "Relu", inputs: ["x"], outputs: ["y"], attrs: {} }] };
 * equal(eliminateDeadCode(g).nodes.length, 0);
 * equal(g.nodes.length, 1); // the argument is untouched
 * ```
 */
export function eliminateDeadCode(graph: Graph): Graph {
  const out = cloneGraph(graph);
  const producer = producersOf(graph);
  const live = new Uint8Array(graph.nodes.length);
  const needed = new Set<string>();
  const stack = graph.outputs.map((o) => o.name);
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (needed.has(v)) continue;
    needed.add(v);
    const p = producer.get(v);
    if (p === undefined || live[p]) continue;
    live[p] = 1;
    for (const inp of graph.nodes[p].inputs) if (inp !== "") stack.push(inp);
  }
  out.nodes = graph.nodes.filter((_, i) => live[i] === 1);
  const inputNames = new Set(graph.inputs.map((v) => v.name));
  for (const name of graph.initializers.keys()) {
    if (!needed.has(name) && !inputNames.has(name)) out.initializers.delete(name);
  }
  const exists = new Set<string>([...out.initializers.keys(), ...inputNames]);
  for (const n of out.nodes) for (const o of n.outputs) exists.add(o);
  for (const name of graph.values.keys()) if (!exists.has(name)) out.values.delete(name);
  return out;
}
