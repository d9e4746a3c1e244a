/**
 * Constant folding: `Constant` nodes become initializers; a node whose inputs are all
 * constants (initializers that are not graph inputs, or outputs of folded nodes) is evaluated
 * once with the float executor's op and its outputs become initializers; `Shape` of a value
 * whose shape is fully static becomes an int64 constant. Quantization nodes (`QuantizeLinear`,
 * `DequantizeLinear`) are never folded, so the grids they carry stay visible to a quantizer.
 *
 * Shapes come from the graph's `values` and static graph inputs; when every input shape is
 * known (static, or given in `options.shapes`) {@linkcode inferShapes} fills in the rest
 * first. Giving concrete shapes specialises the graph to them (a folded `Shape` of a batched
 * value bakes the batch size in).
 *
 * @example
 * ```ts
 * import { foldConstants } from "@lowbit/graph/passes/fold-constants";
 * import { tensor, toNumbers, type Graph } from "@lowbit/graph/ir";
 * import { deepEqual } from "node:assert/strict";
 * const g: Graph = { name: "g", opset: 13, values: new Map(),
 *   initializers: new Map(),
 *   inputs: [{ name: "x", dtype: "float32", shape: [2, 3] }],
 *   outputs: [{ name: "s", dtype: "int64", shape: [2] }],
 *   nodes: [{ name: "shape", op: "Shape", inputs: ["x"], outputs: ["s"], attrs: {} }] };
 * const out = foldConstants(g);
 * deepEqual(out.nodes, []);
 * deepEqual(toNumbers(out.initializers.get("s")!), [2, 3]);
 * ```
 *
 * @module
 */

import { FLOAT_OPS, inferShapes } from "../executor.ts";
import { GraphError } from "../errors.ts";
import {
  cloneGraph,
  type Graph,
  type GraphTensor,
  type Node,
  tensor,
  topologicalOrder,
} from "../ir.ts";
import type { OpTable } from "../op.ts";

/** Options of {@linkcode foldConstants}. */
export interface FoldConstantsOptions {
  /** Concrete shapes of graph inputs with symbolic dimensions (specialises the graph). */
  shapes?: Record<string, readonly number[]>;
  /** Op table to evaluate with (default: the executor's `FLOAT_OPS`). */
  ops?: OpTable;
  /** Op types never folded (default: `QuantizeLinear`, `DequantizeLinear`). */
  keep?: readonly string[];
}

const DEFAULT_KEEP = ["QuantizeLinear", "DequantizeLinear"];

/** The tensor of a Constant node, or undefined for forms this IR does not hold (strings). */
function constantValue(node: Node): GraphTensor | undefined {
  const a = node.attrs;
  const v = a.value;
  if (v !== undefined && typeof v === "object" && !Array.isArray(v)) return v;
  if (typeof a.value_float === "number") return tensor("float32", [], [a.value_float]);
  if (typeof a.value_int === "number") return tensor("int64", [], [a.value_int]);
  const fl = a.value_floats;
  if (Array.isArray(fl) && fl.every((x) => typeof x === "number")) {
    return tensor("float32", [fl.length], fl as number[]);
  }
  const il = a.value_ints;
  if (Array.isArray(il) && il.every((x) => typeof x === "number")) {
    return tensor("int64", [il.length], il as number[]);
  }
  return undefined;
}

function staticShapeOf(graph: Graph, name: string): number[] | undefined {
  const info = graph.values.get(name) ?? graph.inputs.find((v) => v.name === name);
  if (info === undefined) return undefined;
  return info.shape.every((d) => typeof d === "number" && d >= 0)
    ? (info.shape as number[])
    : undefined;
}

function withShapes(graph: Graph, shapes: Record<string, readonly number[]> | undefined): Graph {
  const known = graph.inputs.every((v) =>
    graph.initializers.has(v.name) || shapes?.[v.name] !== undefined ||
    v.shape.every((d) => typeof d === "number" && d >= 0)
  );
  if (!known) return graph;
  try {
    return inferShapes(graph, shapes);
  } catch (e) {
    // Shape information is optional: an op the executor lacks only means less folding; the
    // given input shapes still apply.
    if (!(e instanceof GraphError)) throw e;
    return {
      ...graph,
      inputs: graph.inputs.map((v) => {
        const s = shapes?.[v.name];
        return s !== undefined && s.length === v.shape.length ? { ...v, shape: [...s] } : v;
      }),
    };
  }
}

/**
 * Folds constants (see the module doc).
 *
 * @param graph The graph (not modified).
 * @param options Input shapes, op table, op types to keep.
 * @returns A new graph in which no foldable node is left; folded outputs are initializers.
 * @throws {GraphError} When an op fails on its constant inputs (the op's own error).
 *
 * @example Constant + Add fold into one initializer
 * ```ts
 * import { foldConstants } from "@lowbit/graph/passes/fold-constants";
 * import { tensor, type Graph } from "@lowbit/graph/ir";
 * import { deepEqual, equal } from "node:assert/strict";
 * const g: Graph = { name: "g", opset: 13, values: new Map(),
 *   initializers: new Map([["a", tensor("float32", [2], [1, -2])]]),
 *   inputs: [{ name: "x", dtype: "float32", shape: [2] }],
 *   outputs: [{ name: "y", dtype: "float32", shape: [2] }],
 *   nodes: [
 *     { name: "c", op: "Constant", inputs: [], outputs: ["k"], attrs: { value: tensor("float32", [2], [3, 4]) } },
 *     { name: "r", op: "Relu", inputs: ["a"], outputs: ["ra"], attrs: {} },
 *     { name: "i", op: "Identity", inputs: ["x"], outputs: ["y"], attrs: {} },
 *   ] };
 * const out = foldConstants(g);
 * equal(out.nodes.length, 1);
 * deepEqual([...out.initializers.get("k")!.data], [3, 4]);
 * deepEqual([...out.initializers.get("ra")!.data], [1, 0]);
 * ```
 */
export function foldConstants(graph: Graph, options: FoldConstantsOptions = {}): Graph {
  const ops = options.ops ?? FLOAT_OPS;
  const keep = new Set(options.keep ?? DEFAULT_KEEP);
  const shaped = withShapes(graph, options.shapes);
  const out = cloneGraph(graph);
  const inputNames = new Set(graph.inputs.map((v) => v.name));
  const isConst = (v: string) => v === "" || (out.initializers.has(v) && !inputNames.has(v));
  const ctx = { opset: graph.opset };
  const folded = new Set<Node>();
  for (const node of topologicalOrder(graph)) {
    if (node.domain !== undefined && node.domain !== "" && node.domain !== "ai.onnx") continue;
    if (keep.has(node.op)) continue;
    let results: GraphTensor[] | undefined;
    if (node.op === "Constant") {
      const t = constantValue(node);
      if (t !== undefined) results = [t];
    } else if (node.op === "Shape" && node.inputs[0] !== undefined) {
      const shape = isConst(node.inputs[0])
        ? out.initializers.get(node.inputs[0])?.shape
        : staticShapeOf(shaped, node.inputs[0]);
      if (shape !== undefined) {
        const r = shape.length;
        const clampAxis = (a: number) => Math.min(Math.max(a < 0 ? a + r : a, 0), r);
        const start = clampAxis(typeof node.attrs.start === "number" ? node.attrs.start : 0);
        const end = clampAxis(typeof node.attrs.end === "number" ? node.attrs.end : r);
        const dims = shape.slice(start, Math.max(start, end));
        results = [tensor("int64", [dims.length], dims)];
      }
    } else if (
      node.inputs.length > 0 && node.inputs.every(isConst) && Object.hasOwn(ops, node.op)
    ) {
      const args = node.inputs.map((v) => (v === "" ? undefined : out.initializers.get(v)));
      results = ops[node.op].run(node, args, ctx);
    }
    if (results === undefined) continue;
    const outs = node.outputs;
    if (outs.some((o, k) => o !== "" && results[k] === undefined)) continue;
    outs.forEach((o, k) => {
      if (o === "") return;
      const t = results[k];
      out.initializers.set(o, t);
      out.values.set(o, {
        ...(out.values.get(o) ?? {}),
        name: o,
        dtype: t.dtype,
        shape: [...t.shape],
      });
    });
    folded.add(node);
  }
  out.nodes = graph.nodes.filter((n) => !folded.has(n));
  return out;
}
