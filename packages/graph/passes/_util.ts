/**
 * Helpers shared by the graph passes: use/producer indexes, constant lookup, value bypassing
 * and fresh names. Internal to `passes/`.
 *
 * @module
 */

import type { Graph, GraphTensor, Node } from "../ir.ts";

/**
 * A float32 weight with per-channel factors applied along `axis`: w'[…, c, …] = w · k[c],
 * each product rounded once to float32 (BN and affine folding).
 */
export function scaleWeight(w: GraphTensor, axis: number, k: Float64Array): GraphTensor {
  const src = w.data as Float32Array;
  const inner = w.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const c = w.shape[axis];
  const data = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) data[i] = src[i] * k[Math.floor(i / inner) % c];
  return { dtype: "float32", shape: [...w.shape], data };
}

/** Consumers of every value: node indexes (a node appears once per input slot). */
export function consumersOf(graph: Graph): Map<string, number[]> {
  const uses = new Map<string, number[]>();
  graph.nodes.forEach((n, i) => {
    for (const v of n.inputs) {
      if (v === "") continue;
      const l = uses.get(v);
      if (l === undefined) uses.set(v, [i]);
      else l.push(i);
    }
  });
  return uses;
}

/** The producing node index of every node output. */
export function producersOf(graph: Graph): Map<string, number> {
  const p = new Map<string, number>();
  graph.nodes.forEach((n, i) => n.outputs.forEach((o) => o !== "" && p.set(o, i)));
  return p;
}

/** Names of the graph outputs. */
export function outputNames(graph: Graph): Set<string> {
  return new Set(graph.outputs.map((o) => o.name));
}

/** The constant tensor of a value: an initializer that is not also a (feedable) graph input. */
export function constantOf(graph: Graph, name: string): GraphTensor | undefined {
  if (name === "") return undefined;
  if (graph.inputs.some((v) => v.name === name)) return undefined;
  return graph.initializers.get(name);
}

/** A constant's elements as numbers, or undefined. */
export function constantNumbers(graph: Graph, name: string): number[] | undefined {
  const t = constantOf(graph, name);
  if (t === undefined || t.dtype === "float16") return undefined;
  return Array.from(t.data as ArrayLike<number | bigint>, Number);
}

/** A scalar constant (any shape with one element), or undefined. */
export function scalarOf(graph: Graph, name: string): number | undefined {
  const v = constantNumbers(graph, name);
  return v !== undefined && v.length === 1 ? v[0] : undefined;
}

/** A name generator that avoids every value, initializer and node name in the graph. */
export function freshNames(graph: Graph): (base: string) => string {
  const taken = new Set<string>([
    ...graph.initializers.keys(),
    ...graph.inputs.map((v) => v.name),
    ...graph.outputs.map((v) => v.name),
    ...graph.values.keys(),
  ]);
  for (const n of graph.nodes) {
    taken.add(n.name);
    for (const v of [...n.inputs, ...n.outputs]) taken.add(v);
  }
  return (base: string) => {
    let name = base;
    for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
    taken.add(name);
    return name;
  };
}

/**
 * Makes every reader of `from` read `to` instead, so the node producing `from` can go. When
 * `from` is a graph output, `to` is renamed to `from` instead (its producer then writes the
 * output directly); that needs `to` to be an ordinary node output.
 *
 * @returns false (graph unchanged) when it cannot be done.
 */
export function bypass(graph: Graph, from: string, to: string): boolean {
  const outs = outputNames(graph);
  if (!outs.has(from)) {
    graph.nodes = graph.nodes.map((n) =>
      n.inputs.includes(from) ? { ...n, inputs: n.inputs.map((v) => (v === from ? to : v)) } : n
    );
    return true;
  }
  const isInput = graph.inputs.some((v) => v.name === to);
  if (isInput || outs.has(to) || graph.initializers.has(to)) return false;
  if (!graph.nodes.some((n) => n.outputs.includes(to))) return false;
  graph.nodes = graph.nodes.map((n) => {
    if (!n.inputs.includes(to) && !n.outputs.includes(to)) return n;
    return {
      ...n,
      inputs: n.inputs.map((v) => (v === to ? from : v)),
      outputs: n.outputs.map((v) => (v === to ? from : v)),
    };
  });
  const info = graph.values.get(to);
  if (info !== undefined && !graph.values.has(from)) {
    graph.values.set(from, { ...info, name: from });
  }
  graph.values.delete(to);
  return true;
}

/** Removes nodes by identity. */
export function removeNodes(graph: Graph, dead: ReadonlySet<Node>): void {
  graph.nodes = graph.nodes.filter((n) => !dead.has(n));
}

/** The only consumer of a value (a node reading it once), or undefined (several / graph output). */
export function soleConsumer(graph: Graph, value: string): Node | undefined {
  if (outputNames(graph).has(value)) return undefined;
  const users = graph.nodes.filter((n) => n.inputs.includes(value));
  if (users.length !== 1) return undefined;
  const u = users[0];
  return u.inputs.filter((v) => v === value).length === 1 ? u : undefined;
}

/** The node producing a value, or undefined. */
export function producerOf(graph: Graph, value: string): Node | undefined {
  return graph.nodes.find((n) => n.outputs.includes(value));
}

/** A stable text fingerprint of the graph structure (for fixed-point detection). */
export function fingerprint(graph: Graph): string {
  const nodes = graph.nodes.map((n) =>
    `${n.op}(${n.inputs.join(",")})->${n.outputs.join(",")}${JSON.stringify(n.attrs, attrReplacer)}`
  );
  return `${nodes.join(";")}|${[...graph.initializers.keys()].join(",")}`;
}

function attrReplacer(_k: string, v: unknown): unknown {
  return ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>, String) : v;
}
