/**
 * The peak activation arena of a graph run node by node in topological order
 * (docs/hardware.md Eq. 4): a value occupies its bytes from the step of its producer (graph
 * inputs: from step 0) through the last step that reads it (graph outputs: to the end); the
 * arena at step t is the sum over values alive at t, inputs and outputs of node t included (no
 * in-place reuse). Outputs of view ops (Reshape, Flatten, …) share their input's buffer and
 * extend its lifetime instead of adding bytes.
 *
 * @example A chain x → relu → y → relu → z: at most two 4-byte values at once
 * ```ts
 * import { peakArena } from "@lowbit/hardware/arena";
 * import type { Graph } from "@lowbit/graph/ir";
 * import { equal } from "node:assert/strict";
 * const g: Graph = { name: "g", opset: 17, initializers: new Map(), values: new Map(),
 *   inputs: [{ name: "x", dtype: "float32", shape: [1] }],
 *   outputs: [{ name: "z", dtype: "float32", shape: [1] }],
 *   nodes: [{ name: "a", op: "Relu", inputs: ["x"], outputs: ["y"], attrs: {} },
 *     { name: "b", op: "Relu", inputs: ["y"], outputs: ["z"], attrs: {} }] };
 * equal(peakArena(g, () => 4).peakBytes, 8);
 * ```
 *
 * @module
 */

import { type Graph, topologicalOrder } from "@lowbit/graph/ir";

/** The arena's peak. */
export interface ArenaPeak {
  /** Peak bytes. */
  peakBytes: number;
  /** Step (index in topological order) where it is first reached; -1 for a graph without nodes. */
  step: number;
  /** Name of the node at that step. */
  node?: string;
  /** Buffers alive at the peak (view outputs are listed under their input). */
  live: string[];
  /** Bytes per step. */
  perStep: number[];
}

const VIEW_OPS = new Set(["Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout"]);

/**
 * Computes the peak arena (docs/hardware.md Eq. 4).
 *
 * @param graph The graph.
 * @param bytesOf Bytes of an activation value by name (called for graph inputs and node
 *   outputs that are not views).
 * @param isView Whether a node's output is a view of its first input (default: the op is
 *   Reshape, Flatten, Squeeze, Unsqueeze, Identity or Dropout).
 * @returns The peak, where it is reached and what is alive there.
 *
 * @example A branch: y feeds two nodes, so it stays alive while p and q are computed
 * ```ts
 * import { peakArena } from "@lowbit/hardware/arena";
 * import type { Graph } from "@lowbit/graph/ir";
 * import { deepEqual, equal } from "node:assert/strict";
 * const n = (name: string, op: string, inputs: string[], out: string) =>
 *   ({ name, op, inputs, outputs: [out], attrs: {} });
 * const g: Graph = { name: "g", opset: 17, initializers: new Map(), values: new Map(),
 *   inputs: [{ name: "x", dtype: "float32", shape: [1] }],
 *   outputs: [{ name: "s", dtype: "float32", shape: [1] }],
 *   nodes: [n("a", "Relu", ["x"], "y"), n("b", "Relu", ["y"], "p"), n("c", "Relu", ["y"], "q"),
 *     n("d", "Add", ["p", "q"], "s")] };
 * const r = peakArena(g, (v) => (v === "x" ? 1 : 10));
 * equal(r.peakBytes, 30); // at c: y, p, q
 * deepEqual(r.live, ["y", "p", "q"]);
 * ```
 */
export function peakArena(
  graph: Graph,
  bytesOf: (value: string) => number,
  isView: (node: { op: string }) => boolean = (n) => VIEW_OPS.has(n.op),
): ArenaPeak {
  const order = topologicalOrder(graph);
  const last = order.length - 1;
  const root = new Map<string, string>(); // value → buffer it lives in
  const birth = new Map<string, number>(); // buffer → first step
  const death = new Map<string, number>(); // buffer → last step
  const buffers: string[] = [];
  for (const v of graph.inputs) {
    if (graph.initializers.has(v.name)) continue;
    root.set(v.name, v.name);
    birth.set(v.name, 0);
    death.set(v.name, 0);
    buffers.push(v.name);
  }
  order.forEach((node, t) => {
    for (const v of node.inputs) {
      const r = root.get(v);
      if (r !== undefined) death.set(r, Math.max(death.get(r) ?? t, t));
    }
    const view = isView(node) && node.inputs.length > 0 && root.has(node.inputs[0]);
    node.outputs.forEach((o, k) => {
      if (o === "") return;
      if (view && k === 0) {
        root.set(o, root.get(node.inputs[0]) as string);
        return;
      }
      root.set(o, o);
      birth.set(o, t);
      death.set(o, t);
      buffers.push(o);
    });
  });
  for (const o of graph.outputs) {
    const r = root.get(o.name);
    if (r !== undefined) death.set(r, Math.max(last, 0));
  }
  const size = new Map(buffers.map((b) => [b, bytesOf(b)]));
  const perStep: number[] = [];
  let peakBytes = 0, step = -1;
  for (let t = 0; t <= last; t++) {
    let s = 0;
    for (const b of buffers) {
      if ((birth.get(b) as number) <= t && t <= (death.get(b) as number)) {
        s += size.get(b) as number;
      }
    }
    perStep.push(s);
    if (s > peakBytes || step < 0) {
      peakBytes = s;
      step = t;
    }
  }
  if (order.length === 0) {
    peakBytes = buffers.reduce((s, b) => s + (size.get(b) as number), 0);
  }
  const live = step < 0
    ? [...buffers]
    : buffers.filter((b) => (birth.get(b) as number) <= step && step <= (death.get(b) as number));
  return {
    peakBytes,
    step,
    ...(step >= 0 ? { node: order[step].name } : {}),
    live,
    perStep,
  };
}
