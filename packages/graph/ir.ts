/**
 * The graph IR: named values (dtype, shape, optional quantization grid), nodes with an
 * ONNX-like op vocabulary and attributes, initializers (constant tensors), graph inputs and
 * outputs. Every model — imported from ONNX or tfjs, or built with `@lowbit/nn` — becomes a
 * {@linkcode Graph}; passes are functions graph → graph that never mutate their argument.
 *
 * Tensors are {@linkcode GraphTensor} `{ dtype, shape, data }`. Storage per dtype:
 * float32 `Float32Array`, float64 `Float64Array`, float16 `Uint16Array` (IEEE bit patterns),
 * int8/int4 `Int8Array` (int4 one value per element), uint8/uint4/bool `Uint8Array`,
 * int16 `Int16Array`, uint16 `Uint16Array`, int32 `Int32Array`, uint32 `Uint32Array`,
 * int64 `BigInt64Array`, float8e4m3fn/float8e4m3fnuz/float8e5m2/float8e5m2fnuz/float4e2m1
 * `Uint8Array` (one bit pattern per element; float4 unpacked). Row-major, contiguous.
 *
 * Op semantics are ONNX's (default domain, the graph's `opset`); an input name `""` is an
 * omitted optional input, as in ONNX.
 *
 * @example Build a tensor and a one-node graph
 * ```ts
 * import { type Graph, tensor, topologicalOrder } from "@lowbit/graph/ir";
 * import { deepEqual } from "node:assert/strict";
 * const g: Graph = {
 *   name: "g", opset: 13,
 *   inputs: [{ name: "x", dtype: "float32", shape: [1, 4] }],
 *   outputs: [{ name: "y", dtype: "float32", shape: [1, 4] }],
 *   nodes: [{ name: "relu", op: "Relu", inputs: ["x"], outputs: ["y"], attrs: {} }],
 *   initializers: new Map(),
 *   values: new Map(),
 * };
 * deepEqual(topologicalOrder(g).map((n) => n.name), ["relu"]);
 * deepEqual(tensor("float32", [2], [1, 2]).data, new Float32Array([1, 2]));
 * ```
 *
 * @module
 */

import { GraphError } from "./errors.ts";

/** Element types of graph tensors. */
export type GraphDType =
  | "float32"
  | "float16"
  | "float64"
  | "int8"
  | "uint8"
  | "int16"
  | "uint16"
  | "int32"
  | "uint32"
  | "int64"
  | "bool"
  | "int4"
  | "uint4"
  | "float8e4m3fn"
  | "float8e4m3fnuz"
  | "float8e5m2"
  | "float8e5m2fnuz"
  | "float4e2m1";

/** Storage array of a graph tensor (see the module doc for the dtype ↔ array mapping). */
export type GraphData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array;

/** A dense, row-major tensor. */
export interface GraphTensor {
  /** Element type. */
  dtype: GraphDType;
  /** Dimensions (empty for a scalar). */
  shape: number[];
  /** Elements, `product(shape)` of them. */
  data: GraphData;
}

/** A quantization grid attached to a value: `real = scale · (q − zeroPoint)`. */
export interface QuantGrid {
  /** Code type. */
  dtype: "int8" | "uint8" | "int4" | "uint4" | "int16" | "int32";
  /** One scale (per tensor) or one per channel along `axis`. */
  scale: Float32Array;
  /** Zero points, same length as `scale`. */
  zeroPoint: Int32Array;
  /** Channel axis when per-channel. */
  axis?: number;
}

/** Type and shape of a named value. Dimensions may be symbolic (`"batch"`) or unknown (-1). */
export interface ValueInfo {
  /** Value name. */
  name: string;
  /** Element type. */
  dtype: GraphDType;
  /** Dimensions; a string is a symbolic dimension, -1 unknown. */
  shape: (number | string)[];
  /** Quantization grid, when the value is (to be) quantized. */
  quant?: QuantGrid;
}

/** An attribute value (ONNX AttributeProto without subgraphs). */
export type AttrValue = number | string | number[] | string[] | GraphTensor;

/** One operation. */
export interface Node {
  /** Unique node name (generated on import when the file has none). */
  name: string;
  /** Op type, ONNX spelling (`"Conv"`, `"HardSwish"`). */
  op: string;
  /** Input value names; `""` = omitted optional input. */
  inputs: string[];
  /** Output value names. */
  outputs: string[];
  /** Attributes by name. */
  attrs: Record<string, AttrValue>;
  /** Op domain; absent = the default ONNX domain (`"com.microsoft"` for contrib ops). */
  domain?: string;
}

/** A model graph. */
export interface Graph {
  /** Graph name. */
  name: string;
  /** Default-domain opset version the op semantics follow. */
  opset: number;
  /** Graph inputs (excluding initializers). */
  inputs: ValueInfo[];
  /** Graph outputs. */
  outputs: ValueInfo[];
  /** Nodes (any order; {@linkcode topologicalOrder} sorts them). */
  nodes: Node[];
  /** Constant tensors by value name. */
  initializers: Map<string, GraphTensor>;
  /** Known types/shapes/grids of intermediate values by name. */
  values: Map<string, ValueInfo>;
}

const ARRAY_OF: Record<GraphDType, new (n: number) => GraphData> = {
  float32: Float32Array,
  float16: Uint16Array,
  float64: Float64Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  bool: Uint8Array,
  int4: Int8Array,
  uint4: Uint8Array,
  float8e4m3fn: Uint8Array,
  float8e4m3fnuz: Uint8Array,
  float8e5m2: Uint8Array,
  float8e5m2fnuz: Uint8Array,
  float4e2m1: Uint8Array,
};

/**
 * Number of elements of a static shape.
 *
 * @param shape Dimensions.
 * @returns Their product (1 for a scalar).
 *
 * @example
 * ```ts
 * import { sizeOf } from "@lowbit/graph/ir";
 * import { equal } from "node:assert/strict";
 * equal(sizeOf([2, 3, 4]), 24);
 * equal(sizeOf([]), 1);
 * ```
 */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Allocates a zero tensor of a dtype and shape.
 *
 * @param dtype Element type.
 * @param shape Dimensions (non-negative integers).
 * @returns The tensor.
 *
 * @example
 * ```ts
 * import { zeros } from "@lowbit/graph/ir";
 * import { equal } from "node:assert/strict";
 * equal(zeros("int64", [3]).data.length, 3);
 * ```
 */
export function zeros(dtype: GraphDType, shape: readonly number[]): GraphTensor {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new RangeError(`shape must hold non-negative integers, got [${shape}]`);
    }
  }
  return { dtype, shape: [...shape], data: new ARRAY_OF[dtype](sizeOf(shape)) };
}

/**
 * Builds a tensor from numbers (int64 values are converted to bigint).
 *
 * @param dtype Element type.
 * @param shape Dimensions.
 * @param values `product(shape)` values.
 * @returns The tensor.
 *
 * @example
 * ```ts
 * import { tensor } from "@lowbit/graph/ir";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(tensor("int64", [2], [3, -1]).data, new BigInt64Array([3n, -1n]));
 * ```
 */
export function tensor(
  dtype: GraphDType,
  shape: readonly number[],
  values: ArrayLike<number>,
): GraphTensor {
  const t = zeros(dtype, shape);
  if (values.length !== t.data.length) {
    throw new RangeError(
      `values must hold ${t.data.length} elements for shape [${shape}], got ${values.length}`,
    );
  }
  if (t.data instanceof BigInt64Array) {
    for (let i = 0; i < values.length; i++) t.data[i] = BigInt(Math.trunc(values[i]));
  } else (t.data as Exclude<GraphData, BigInt64Array>).set(values);
  return t;
}

/**
 * The elements of a tensor as numbers (int64 via `Number`, float16 bits decoded).
 *
 * @param t The tensor.
 * @returns A plain array of its values.
 *
 * @example
 * ```ts
 * import { tensor, toNumbers } from "@lowbit/graph/ir";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(toNumbers(tensor("int64", [2], [4, 5])), [4, 5]);
 * ```
 */
export function toNumbers(t: GraphTensor): number[] {
  if (t.dtype === "float16") {
    const f = new Float16Array((t.data as Uint16Array).buffer, t.data.byteOffset, t.data.length);
    return Array.from(f, Number);
  }
  return Array.from(t.data as ArrayLike<number | bigint>, Number);
}

/**
 * Nodes in a topological order (stable: ties keep the list order). Values produced by no node
 * must be graph inputs or initializers.
 *
 * @param graph The graph.
 * @returns The nodes, each after the producers of its inputs.
 * @throws {GraphError} On a cycle, a value produced twice, or an input nobody produces.
 *
 * @example
 * ```ts
 * import { type Graph, topologicalOrder } from "@lowbit/graph/ir";
 * import { deepEqual } from "node:assert/strict";
 * const g: Graph = { name: "g", opset: 13, initializers: new Map(), values: new Map(),
 *   inputs: [{ name: "x", dtype: "float32", shape: [1] }],
 *   outputs: [{ name: "z", dtype: "float32", shape: [1] }],
 *   nodes: [
 *     { name: "b", op: "Relu", inputs: ["y"], outputs: ["z"], attrs: {} },
 *     { name: "a", op: "Neg", inputs: ["x"], outputs: ["y"], attrs: {} },
 *   ] };
 * deepEqual(topologicalOrder(g).map((n) => n.name), ["a", "b"]);
 * ```
 */
export function topologicalOrder(graph: Graph): Node[] {
  const producer = new Map<string, number>();
  graph.nodes.forEach((n, i) => {
    for (const o of n.outputs) {
      if (o === "") continue;
      if (producer.has(o) || graph.initializers.has(o)) {
        throw new GraphError("value is produced more than once", { node: n.name, value: o });
      }
      producer.set(o, i);
    }
  });
  const available = new Set<string>([...graph.initializers.keys()]);
  for (const v of graph.inputs) available.add(v.name);
  const state = new Uint8Array(graph.nodes.length); // 0 new, 1 visiting, 2 done
  const order: Node[] = [];
  const visit = (i: number): void => {
    if (state[i] === 2) return;
    const node = graph.nodes[i];
    if (state[i] === 1) throw new GraphError("the graph has a cycle", { node: node.name });
    state[i] = 1;
    for (const inp of node.inputs) {
      if (inp === "" || available.has(inp)) continue;
      const p = producer.get(inp);
      if (p === undefined) {
        throw new GraphError("input is not a graph input, an initializer or a node output", {
          node: node.name,
          value: inp,
        });
      }
      visit(p);
    }
    state[i] = 2;
    order.push(node);
  };
  for (let i = 0; i < graph.nodes.length; i++) visit(i);
  return order;
}

/**
 * Checks a graph: unique node names, every input produced (no cycles), every output produced,
 * initializers with `product(shape)` elements of the right array type.
 *
 * @param graph The graph.
 * @throws {GraphError} Naming the node and value at fault.
 *
 * @example
 * ```ts
 * import { type Graph, validateGraph } from "@lowbit/graph/ir";
 * import { throws } from "node:assert/strict";
 * const g: Graph = { name: "g", opset: 13, initializers: new Map(), values: new Map(),
 *   inputs: [], outputs: [{ name: "y", dtype: "float32", shape: [1] }],
 *   nodes: [{ name: "r", op: "Relu", inputs: ["w"], outputs: ["y"], attrs: {} }] };
 * throws(() => validateGraph(g), /node r, value w: input is not/);
 * ```
 */
export function validateGraph(graph: Graph): void {
  const names = new Set<string>();
  for (const n of graph.nodes) {
    if (names.has(n.name)) throw new GraphError("node name is not unique", { node: n.name });
    names.add(n.name);
  }
  for (const [name, t] of graph.initializers) {
    if (!(t.data instanceof ARRAY_OF[t.dtype]) || t.data.length !== sizeOf(t.shape)) {
      throw new GraphError(
        `initializer of dtype ${t.dtype} and shape [${t.shape}] must hold ${
          sizeOf(t.shape)
        } elements in a ${ARRAY_OF[t.dtype].name}`,
        { value: name },
      );
    }
  }
  topologicalOrder(graph);
  const produced = new Set<string>([
    ...graph.initializers.keys(),
    ...graph.inputs.map((v) => v.name),
  ]);
  for (const n of graph.nodes) for (const o of n.outputs) produced.add(o);
  for (const o of graph.outputs) {
    if (!produced.has(o.name)) {
      throw new GraphError("graph output is never produced", { value: o.name });
    }
  }
}

/**
 * A shallow copy of a graph whose node list, maps and info arrays can be changed without
 * touching the original (tensors and node objects are shared; replace, do not mutate them).
 *
 * @param graph The graph.
 * @returns The copy.
 *
 * @example
 * ```ts
 * import { cloneGraph, type Graph } from "@lowbit/graph/ir";
 * import { equal } from "node:assert/strict";
 * const g: Graph = { name: "g", opset: 13, inputs: [], outputs: [], nodes: [],
 *   initializers: new Map(), values: new Map() };
 * const c = cloneGraph(g);
 * c.nodes.push({ name: "n", op: "Relu", inputs: [], outputs: [], attrs: {} });
 * equal(g.nodes.length, 0);
 * ```
 */
export function cloneGraph(graph: Graph): Graph {
  return {
    ...graph,
    inputs: graph.inputs.map((v) => ({ ...v })),
    outputs: graph.outputs.map((v) => ({ ...v })),
    nodes: [...graph.nodes],
    initializers: new Map(graph.initializers),
    values: new Map(graph.values),
  };
}
