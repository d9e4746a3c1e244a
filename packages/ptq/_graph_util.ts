/**
 * Private graph helpers of the PTQ passes (equalization, outlier channel splitting): readers
 * of every value and fresh names.
 *
 * @module
 */

import type { Graph, Node } from "@lowbit/graph";

/** The nodes reading each value (a node reading a value twice appears twice). */
export function readers(graph: Graph): Map<string, Node[]> {
  const m = new Map<string, Node[]>();
  for (const n of graph.nodes) {
    for (const v of n.inputs) if (v !== "") m.set(v, [...(m.get(v) ?? []), n]);
  }
  return m;
}

/** `base`, or `base_1`, `base_2`, … : the first name no initializer, value or node uses. */
export function fresh(g: Graph, base: string): string {
  const taken = (v: string) =>
    g.initializers.has(v) || g.values.has(v) ||
    g.nodes.some((n) => n.name === v || n.outputs.includes(v) || n.inputs.includes(v));
  let name = base;
  for (let i = 1; taken(name); i++) name = `${base}_${i}`;
  return name;
}
