// Private: lookup regions of a QDQ graph for `compileQuantized` (qdq_run.ts).
//
// A lookup region is a set of elementwise nodes that all depend on one quantized value (the
// codes a QuantizeLinear writes) and on scalar constants only, with one value leaving the set:
// the codes of a QuantizeLinear inside it. Its output is then a function of one input code, so
// the whole region — every intermediate QuantizeLinear/DequantizeLinear rounding included —
// is one 256-entry table. A decomposed hard-swish `x · clip(x + 3, 0, 6) / 6` in QDQ form
// (Add, Clip, Mul of two values of x, Div, four Q/DQ pairs) is the region this is for: four
// passes over the tensor become one byte lookup.

import type { GraphTensor, Node } from "@lowbit/graph/ir";
import { SCALAR_TABLE_OPS, TABLE_OPS } from "./qdq_lower.ts";

/** A set of nodes computed as one table of the codes of `source`. */
export interface LookupRegion {
  /** The value (a QuantizeLinear output) the region's output is a function of. */
  source: string;
  /** The one value that leaves the region (a QuantizeLinear output inside it). */
  exit: string;
  /** The region's nodes in execution order (the first one reads `source`). */
  nodes: readonly Node[];
  /** The values computed inside the region other than `exit` (never materialized). */
  internal: ReadonlySet<string>;
}

/** Q/DQ nodes move between grids; every other region node computes. */
const QDQ = new Set(["QuantizeLinear", "DequantizeLinear"]);

/**
 * Whether `n` is elementwise with at most scalar constant operands, so that on a value of
 * shape S it computes a value of shape S position by position.
 */
function elementwiseOnScalars(n: Node, init: ReadonlyMap<string, GraphTensor>): boolean {
  if (n.outputs.length !== 1 || n.outputs[0] === "" || (n.domain ?? "") !== "") return false;
  const scalar = (v: string | undefined) =>
    v === undefined || v === "" || init.get(v)?.data.length === 1;
  if (QDQ.has(n.op)) {
    return !init.has(n.inputs[0]) && scalar(n.inputs[1]) && n.inputs[1] !== "" &&
      scalar(n.inputs[2]) && n.attrs.block_size === undefined;
  }
  if (TABLE_OPS.has(n.op)) return !init.has(n.inputs[0]) && n.inputs.slice(1).every(scalar);
  if (SCALAR_TABLE_OPS.has(n.op)) {
    return n.inputs.length === 2 && n.inputs.every((v) => v !== "" && (!init.has(v) || scalar(v)));
  }
  return false;
}

/**
 * The lookup regions of a graph: for each QuantizeLinear output in order, the elementwise
 * nodes that depend on it alone (and on scalar constants), cut at the latest QuantizeLinear
 * whose ancestors in that set form a closed region (no inner value read outside it, none a
 * graph output) with at least two computing nodes. Regions do not overlap.
 *
 * @param order The graph's nodes in topological order.
 * @param init Its initializers.
 * @param graphOutputs Names of its outputs.
 * @param consumers The nodes reading each value.
 * @returns The regions, in the order of their sources.
 */
export function lookupRegions(
  order: readonly Node[],
  init: ReadonlyMap<string, GraphTensor>,
  graphOutputs: ReadonlySet<string>,
  consumers: ReadonlyMap<string, readonly Node[]>,
): LookupRegion[] {
  const regions: LookupRegion[] = [];
  const claimed = new Set<Node>();
  const allowed = order.map((n) => elementwiseOnScalars(n, init));
  order.forEach((q, qi) => {
    if (q.op !== "QuantizeLinear" || claimed.has(q) || !allowed[qi]) return;
    const source = q.outputs[0];
    if (graphOutputs.has(source)) return;
    // every allowed node whose non-constant inputs are the source or region values
    const values = new Set([source]);
    const grown: Node[] = [];
    for (let i = qi + 1; i < order.length; i++) {
      const n = order[i];
      if (!allowed[i] || claimed.has(n)) continue;
      const live = n.inputs.filter((v) => v !== "" && !init.has(v));
      if (live.length > 0 && live.every((v) => values.has(v))) {
        grown.push(n);
        values.add(n.outputs[0]);
      }
    }
    // the latest QuantizeLinear whose ancestors within `grown` are closed
    for (let e = grown.length - 1; e >= 0; e--) {
      const exitNode = grown[e];
      if (exitNode.op !== "QuantizeLinear") continue;
      const exit = exitNode.outputs[0];
      const needed = new Set([exit]);
      const nodes: Node[] = [];
      for (let i = e; i >= 0; i--) {
        const n = grown[i];
        if (!needed.has(n.outputs[0])) continue;
        nodes.unshift(n);
        for (const v of n.inputs) if (v !== "" && !init.has(v) && v !== source) needed.add(v);
      }
      const members = new Set(nodes);
      const internal = new Set(nodes.map((n) => n.outputs[0]).filter((v) => v !== exit));
      const closed = [...internal].every((v) =>
        !graphOutputs.has(v) && (consumers.get(v) ?? []).every((c) => members.has(c))
      );
      const computing = nodes.filter((n) => !QDQ.has(n.op)).length;
      if (!closed || computing < 2) continue;
      for (const n of nodes) claimed.add(n);
      regions.push({ source, exit, nodes, internal });
      break;
    }
  });
  return regions;
}
