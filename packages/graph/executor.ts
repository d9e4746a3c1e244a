/**
 * The float executor: runs a {@linkcode Graph} node by node in topological order on the
 * `@lowbit/kernels` f32 kernels, and shape inference by evaluation. Unknown ops are rejected
 * before anything runs (`unsupported op X at node Y`).
 *
 * @example Run a two-node graph
 * ```ts
 * import { runFloat } from "@lowbit/graph/executor";
 * import type { Graph } from "@lowbit/graph/ir";
 * import { deepEqual } from "node:assert/strict";
 * const g: Graph = { name: "g", opset: 13, initializers: new Map(), values: new Map(),
 *   inputs: [{ name: "x", dtype: "float32", shape: ["n", 2] }],
 *   outputs: [{ name: "z", dtype: "float32", shape: ["n", 2] }],
 *   nodes: [
 *     { name: "r", op: "Relu", inputs: ["x"], outputs: ["y"], attrs: {} },
 *     { name: "i", op: "Identity", inputs: ["y"], outputs: ["z"], attrs: {} },
 *   ] };
 * const { z } = runFloat(g, { x: { data: new Float32Array([-1, 2]), shape: [1, 2] } });
 * deepEqual([...z.data], [0, 2]);
 * ```
 *
 * @module
 */

import { GraphError, UnsupportedOpError } from "./errors.ts";
import {
  cloneGraph,
  type Graph,
  type GraphData,
  type GraphDType,
  type GraphTensor,
  type Node,
  sizeOf,
  topologicalOrder,
  type ValueInfo,
  zeros,
} from "./ir.ts";
import type { OpTable } from "./op.ts";
import { NN_OPS } from "./ops/nn.ts";
import { TENSOR_OPS } from "./ops/tensor.ts";

/** Every op of the float executor by ONNX op type. */
export const FLOAT_OPS: OpTable = { ...TENSOR_OPS, ...NN_OPS };

/** A graph input or output: `{ data, shape }`, dtype from the array (or given). */
export interface TensorInput {
  /** Elements, row-major. */
  data: GraphData;
  /** Dimensions. */
  shape: readonly number[];
  /** Element type; inferred from the array when absent (Uint16Array → uint16). */
  dtype?: GraphDType;
}

/** Options of {@linkcode runFloat}. */
export interface RunFloatOptions {
  /** Values to return (default: the graph outputs); any intermediate value name works. */
  outputs?: readonly string[];
  /** Called after every node with its name and outputs (per-node reports, calibration). */
  onNode?: (node: Node, outputs: GraphTensor[]) => void;
  /** Extra or replacement ops (e.g. fused ops of a pass), looked up before the built-ins. */
  ops?: OpTable;
}

function dtypeOfArray(data: GraphData): GraphDType {
  if (data instanceof Float32Array) return "float32";
  if (data instanceof Float64Array) return "float64";
  if (data instanceof Int8Array) return "int8";
  if (data instanceof Uint8Array) return "uint8";
  if (data instanceof Int16Array) return "int16";
  if (data instanceof Uint16Array) return "uint16";
  if (data instanceof Int32Array) return "int32";
  if (data instanceof Uint32Array) return "uint32";
  return "int64";
}

/**
 * Checks that every node's op is in the table.
 *
 * @param graph The graph.
 * @param ops The op table (default: {@linkcode FLOAT_OPS}).
 * @throws {UnsupportedOpError} `unsupported op X at node Y` for the first unknown op.
 *
 * @example
 * ```ts
 * import { checkSupported } from "@lowbit/graph/executor";
 * import { throws } from "node:assert/strict";
 * throws(() => checkSupported({ name: "g", opset: 13, inputs: [], outputs: [], values: new Map(),
 *   initializers: new Map(), nodes: [{ name: "n1", op: "Frobnicate", inputs: [], outputs: ["y"], attrs: {} }] }),
 *   /unsupported op Frobnicate at node n1/);
 * ```
 */
export function checkSupported(graph: Graph, ops: OpTable = FLOAT_OPS): void {
  for (const n of graph.nodes) {
    const known = (n.domain === undefined || n.domain === "" || n.domain === "ai.onnx") &&
      Object.hasOwn(ops, n.op);
    if (!known) throw new UnsupportedOpError(n.domain ? `${n.domain}.${n.op}` : n.op, n.name);
  }
}

/**
 * Checks one given graph input against its declaration and returns it as a tensor (what
 * {@linkcode runFloat} does with each input; other executors use it to bind the same way).
 *
 * @param info The graph input's declaration.
 * @param given The tensor supplied for it.
 * @returns The bound tensor (dtype from the declaration).
 * @throws {GraphError} Naming the input when it is missing or of the wrong rank, dimension,
 *   dtype or element count.
 *
 * @example
 * ```ts
 * import { bindInput } from "@lowbit/graph/executor";
 * import { throws } from "node:assert/strict";
 * const info = { name: "x", dtype: "float32" as const, shape: [1, 3] };
 * throws(() => bindInput(info, { data: new Float32Array(2), shape: [1, 2] }), /value x: input dimension 1 must be 3/);
 * ```
 */
export function bindInput(info: ValueInfo, given: TensorInput | undefined): GraphTensor {
  if (given === undefined) throw new GraphError("graph input is missing", { value: info.name });
  if (!Array.isArray(given.shape) || given.shape.length !== info.shape.length) {
    throw new GraphError(
      `input must have rank ${info.shape.length} ([${info.shape}]), got shape [${given.shape}]`,
      { value: info.name },
    );
  }
  info.shape.forEach((d, i) => {
    if (typeof d === "number" && d >= 0 && given.shape[i] !== d) {
      throw new GraphError(`input dimension ${i} must be ${d}, got shape [${given.shape}]`, {
        value: info.name,
      });
    }
  });
  const dtype = given.dtype ?? dtypeOfArray(given.data);
  const want = info.dtype === "float16" && dtype === "uint16" ? "uint16" : info.dtype;
  if (dtype !== want) {
    throw new GraphError(`input must be ${info.dtype}, got ${dtype}`, { value: info.name });
  }
  if (given.data.length !== sizeOf(given.shape)) {
    throw new GraphError(
      `input data holds ${given.data.length} elements, shape [${given.shape}] needs ${
        sizeOf(given.shape)
      }`,
      { value: info.name },
    );
  }
  return { dtype: info.dtype, shape: [...given.shape], data: given.data };
}

/**
 * Runs a graph in float.
 *
 * @param graph The graph.
 * @param inputs One tensor per graph input, by name.
 * @param options Outputs to return, a per-node callback, extra ops.
 * @returns The requested values by name.
 * @throws {UnsupportedOpError} Before running, for an op outside the table.
 * @throws {GraphError} For a missing or mis-shaped input, naming it; op errors name the node.
 *
 * @example
 * ```ts
 * import { runFloat } from "@lowbit/graph/executor";
 * import { throws } from "node:assert/strict";
 * const g = { name: "g", opset: 13, initializers: new Map(), values: new Map(), nodes: [],
 *   inputs: [{ name: "x", dtype: "float32" as const, shape: [2] }],
 *   outputs: [{ name: "x", dtype: "float32" as const, shape: [2] }] };
 * throws(() => runFloat(g, {}), /value x: graph input is missing/);
 * ```
 */
export function runFloat(
  graph: Graph,
  inputs: Record<string, TensorInput>,
  options: RunFloatOptions = {},
): Record<string, GraphTensor> {
  const ops = { ...FLOAT_OPS, ...(options.ops ?? {}) };
  checkSupported(graph, ops);
  const order = topologicalOrder(graph);
  const env = new Map<string, GraphTensor>(graph.initializers);
  for (const info of graph.inputs) {
    if (graph.initializers.has(info.name) && inputs[info.name] === undefined) continue;
    env.set(info.name, bindInput(info, inputs[info.name]));
  }
  const wanted = options.outputs ?? graph.outputs.map((o) => o.name);
  // Free values after their last use, except the requested ones.
  const lastUse = new Map<string, number>();
  order.forEach((n, i) => n.inputs.forEach((v) => lastUse.set(v, i)));
  const keep = new Set(wanted);
  const ctx = { opset: graph.opset };
  order.forEach((node, i) => {
    const args = node.inputs.map((v) => (v === "" ? undefined : env.get(v)));
    const outs = ops[node.op].run(node, args, ctx);
    node.outputs.forEach((name, k) => {
      if (name === "") return;
      const t = outs[k];
      if (t === undefined) {
        throw new GraphError(`op produced ${outs.length} outputs, output ${k} is missing`, {
          node: node.name,
          value: name,
        });
      }
      env.set(name, t);
    });
    options.onNode?.(node, outs);
    for (const v of node.inputs) {
      if (lastUse.get(v) === i && !keep.has(v) && !graph.initializers.has(v)) env.delete(v);
    }
  });
  const result: Record<string, GraphTensor> = {};
  for (const name of wanted) {
    const t = env.get(name);
    if (t === undefined) throw new GraphError("requested value was not computed", { value: name });
    result[name] = t;
  }
  return result;
}

/**
 * Shape inference by evaluation: runs the graph once on zero inputs of the given shapes and
 * records every value's dtype and shape in `values` (and the outputs' shapes). Exact for every
 * op whose output shape does not depend on input values other than shape tensors and
 * initializers, which holds for the executor's op set.
 *
 * @param graph The graph.
 * @param shapes Concrete shapes for inputs with symbolic or unknown dimensions.
 * @returns A new graph with `values`, `inputs` and `outputs` shapes filled in.
 * @throws {GraphError} Naming the input when a dimension is dynamic and no shape was given.
 *
 * @example
 * ```ts
 * import { inferShapes } from "@lowbit/graph/executor";
 * import { deepEqual, throws } from "node:assert/strict";
 * const g = { name: "g", opset: 13, initializers: new Map(), values: new Map(),
 *   inputs: [{ name: "x", dtype: "float32" as const, shape: ["n", 3] }],
 *   outputs: [{ name: "y", dtype: "float32" as const, shape: ["n", 3] }],
 *   nodes: [{ name: "r", op: "Relu", inputs: ["x"], outputs: ["y"], attrs: {} }] };
 * deepEqual(inferShapes(g, { x: [2, 3] }).values.get("y")?.shape, [2, 3]);
 * throws(() => inferShapes(g), /value x: input has dynamic dimensions/);
 * ```
 */
export function inferShapes(graph: Graph, shapes: Record<string, readonly number[]> = {}): Graph {
  const out = cloneGraph(graph);
  const feeds: Record<string, TensorInput> = {};
  out.inputs = graph.inputs.map((info) => {
    if (graph.initializers.has(info.name)) return { ...info };
    const given = shapes[info.name];
    let shape: number[];
    if (given !== undefined) {
      if (given.length !== info.shape.length) {
        throw new GraphError(
          `given shape [${given}] must have rank ${info.shape.length} ([${info.shape}])`,
          { value: info.name },
        );
      }
      shape = [...given];
    } else {
      if (!info.shape.every((d) => typeof d === "number" && d >= 0)) {
        throw new GraphError(
          `input has dynamic dimensions [${info.shape}]; give its shape (e.g. --shape ${info.name}=1,3,224,224)`,
          { value: info.name },
        );
      }
      shape = info.shape as number[];
    }
    const z = zeros(info.dtype, shape);
    feeds[info.name] = z;
    return { ...info, shape };
  });
  const allValues = graph.nodes.flatMap((n) => n.outputs).filter((v) => v !== "");
  const seen = new Map<string, GraphTensor>();
  runFloat(out, feeds, {
    outputs: graph.outputs.map((o) => o.name),
    onNode: (node, outs) => node.outputs.forEach((v, k) => outs[k] && seen.set(v, outs[k])),
  });
  for (const v of allValues) {
    const t = seen.get(v);
    if (t === undefined) continue;
    const prev = out.values.get(v);
    out.values.set(v, { ...(prev ?? {}), name: v, dtype: t.dtype, shape: [...t.shape] });
  }
  out.outputs = graph.outputs.map((o) => {
    const t = seen.get(o.name) ?? (out.initializers.get(o.name));
    return t ? { ...o, dtype: t.dtype, shape: [...t.shape] } : { ...o };
  });
  return out;
}
