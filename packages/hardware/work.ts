/**
 * What one graph node costs independently of the hardware: multiply-accumulates, element
 * operations, which inputs are weights and which are activations, and whether the output is a
 * view of the input (no copy). Shapes come from the graph's `values` (run `inferShapes`
 * first: `fromNn` and the importers fill them in).
 *
 * | op | MACs (docs/hardware.md Eq. 8) | element ops |
 * | --- | --- | --- |
 * | Conv (groups g, depthwise g = C) | N·M·OH·OW·(C/g)·KH·KW | — |
 * | Gemm | M·N·K | bias adds M·N when C is given |
 * | MatMul | product(output shape)·K | — |
 * | Add, Sub, Mul, Div, Max, Min | — | output elements |
 * | Relu, Clip, Sigmoid, Tanh, HardSigmoid, HardSwish, LeakyRelu, Erf, Softmax | — | output elements |
 * | BatchNormalization | — | 2 × output elements |
 * | MaxPool, AveragePool | — | output elements × KH·KW |
 * | GlobalAveragePool, GlobalMaxPool, ReduceMean | — | input elements (op class element-wise) |
 * | Concat, Transpose | — | — (a copy: bytes only) |
 * | Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout | — | — (a view: no bytes) |
 *
 * @example
 * ```ts
 * import { nodeWork } from "@lowbit/hardware/work";
 * import { type Graph, zeros } from "@lowbit/graph/ir";
 * import { equal } from "node:assert/strict";
 * const g: Graph = { name: "g", opset: 17, initializers: new Map([["w", zeros("float32", [4, 3])]]),
 *   values: new Map([["y", { name: "y", dtype: "float32", shape: [2, 4] }]]),
 *   inputs: [{ name: "x", dtype: "float32", shape: [2, 3] }],
 *   outputs: [{ name: "y", dtype: "float32", shape: [2, 4] }],
 *   nodes: [{ name: "fc", op: "Gemm", inputs: ["x", "w"], outputs: ["y"], attrs: { transB: 1 } }] };
 * const w = nodeWork(g, g.nodes[0]);
 * equal(w.macs, 2 * 4 * 3);
 * equal(w.weights[0].elements, 12);
 * ```
 *
 * @module
 */

import type { Graph, Node } from "@lowbit/graph/ir";
import { CostError } from "./errors.ts";
import type { KernelKind, OpClass } from "./target.ts";

/** A tensor a node reads or writes: its name and element count. */
export interface TensorUse {
  /** Value name. */
  name: string;
  /** Elements. */
  elements: number;
  /** A bias (stored as int32 under integer formats). */
  bias?: boolean;
}

/** The hardware-independent work of one node. */
export interface NodeWork {
  /** Multiply-accumulates. */
  macs: number;
  /** Element operations (adds, compares, activations, pooling taps). */
  elementOps: number;
  /** Weight and bias inputs (initializers of Conv/Gemm/MatMul/BatchNormalization/Add/Mul). */
  weights: TensorUse[];
  /** Activation inputs. */
  inputs: TensorUse[];
  /** Activation outputs. */
  outputs: TensorUse[];
  /** The output is a view of input 0 (no data moves). */
  view: boolean;
  /** Op class for a target's per-class rate (Eq. 1c); absent for copies and views. */
  opClass?: OpClass;
  /**
   * Kernel kind of a multiply-accumulate node for a software stack's efficiency (Eq. 1d):
   * depthwise (one input channel per group, groups > 1), pointwise (1×1, no groups), other
   * convolutions, Gemm and MatMul. Absent for nodes without MACs.
   */
  kernel?: KernelKind;
  /** Groups of a convolution. */
  groups?: number;
  /** Elements of a convolution's im2col patches, N·OH·OW·C·KH·KW. */
  patchElements?: number;
  /** Output rows of a convolution over all images and output channels, N·M·OH. */
  outputRows?: number;
}

const ELEMENTWISE = new Set(["Add", "Sub", "Mul", "Div", "Max", "Min", "Sum"]);
const ACTIVATIONS = new Set([
  "Relu",
  "Clip",
  "Sigmoid",
  "Tanh",
  "HardSigmoid",
  "HardSwish",
  "LeakyRelu",
  "Erf",
  "Softmax",
  "Neg",
  "Abs",
  "Sqrt",
  "Exp",
]);
const POOLS = new Set(["MaxPool", "AveragePool"]);
const GLOBAL = new Set(["GlobalAveragePool", "GlobalMaxPool", "ReduceMean"]);
const COPIES = new Set(["Concat", "Transpose"]);
const VIEWS = new Set(["Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout"]);

/** Op types {@linkcode nodeWork} prices. */
export const COSTED_OPS: ReadonlySet<string> = new Set([
  "Conv",
  "Gemm",
  "MatMul",
  "BatchNormalization",
  ...ELEMENTWISE,
  ...ACTIVATIONS,
  ...POOLS,
  ...GLOBAL,
  ...COPIES,
  ...VIEWS,
]);

/**
 * The static shape of a value (graph input/output, intermediate value or initializer).
 *
 * @param graph The graph.
 * @param name The value's name.
 * @returns Its dimensions, or undefined when unknown or not fully static.
 *
 * @example
 * ```ts
 * import { shapeOf } from "@lowbit/hardware/work";
 * import { equal } from "node:assert/strict";
 * const g = { name: "g", opset: 17, initializers: new Map(), values: new Map(), nodes: [],
 *   inputs: [{ name: "x", dtype: "float32" as const, shape: ["n", 3] }], outputs: [] };
 * equal(shapeOf(g, "x"), undefined);
 * ```
 */
export function shapeOf(graph: Graph, name: string): number[] | undefined {
  const init = graph.initializers.get(name);
  if (init !== undefined) return init.shape;
  const info = graph.values.get(name) ?? graph.inputs.find((v) => v.name === name) ??
    graph.outputs.find((v) => v.name === name);
  if (info === undefined) return undefined;
  if (!info.shape.every((d) => typeof d === "number" && d >= 0)) return undefined;
  return info.shape as number[];
}

function product(s: readonly number[]): number {
  return s.reduce((a, b) => a * b, 1);
}

function attrInts(node: Node, key: string): number[] | undefined {
  const v = node.attrs[key];
  if (v === undefined) return undefined;
  if (Array.isArray(v) && v.every((x) => typeof x === "number")) return v as number[];
  throw new CostError(node.name, node.op, `attribute ${key} must be a list of integers`);
}

/**
 * The work of one node (the table in the module doc).
 *
 * @param graph The graph (with shapes).
 * @param node The node.
 * @returns MACs, element operations, weight/activation tensors and whether it is a view.
 * @throws {CostError} For an op outside {@linkcode COSTED_OPS}, naming node and op, or a
 *   value whose shape is unknown.
 *
 * @example A depthwise convolution and an unknown op
 * ```ts
 * import { nodeWork } from "@lowbit/hardware/work";
 * import { type Graph, zeros } from "@lowbit/graph/ir";
 * import { equal, throws } from "node:assert/strict";
 * const g: Graph = { name: "g", opset: 17, initializers: new Map([["w", zeros("float32", [8, 1, 3, 3])]]),
 *   values: new Map([["y", { name: "y", dtype: "float32", shape: [1, 8, 6, 6] }]]),
 *   inputs: [{ name: "x", dtype: "float32", shape: [1, 8, 6, 6] }], outputs: [],
 *   nodes: [{ name: "dw", op: "Conv", inputs: ["x", "w"], outputs: ["y"], attrs: { group: 8, pads: [1, 1, 1, 1] } },
 *     { name: "odd", op: "Frobnicate", inputs: ["y"], outputs: ["z"], attrs: {} }] };
 * equal(nodeWork(g, g.nodes[0]).macs, 8 * 6 * 6 * 9);
 * throws(() => nodeWork(g, g.nodes[1]), /node odd \(Frobnicate\): the cost model does not know this op/);
 * ```
 */
export function nodeWork(graph: Graph, node: Node): NodeWork {
  if (node.domain !== undefined && node.domain !== "" && node.domain !== "ai.onnx") {
    throw new CostError(
      node.name,
      `${node.domain}.${node.op}`,
      "the cost model does not know this op",
    );
  }
  if (!COSTED_OPS.has(node.op)) {
    throw new CostError(node.name, node.op, "the cost model does not know this op");
  }
  const shape = (name: string): number[] => {
    const s = shapeOf(graph, name);
    if (s === undefined) {
      throw new CostError(
        node.name,
        node.op,
        `value ${name} has no static shape (run inferShapes)`,
      );
    }
    return s;
  };
  const use = (name: string, bias = false): TensorUse => ({
    name,
    elements: product(shape(name)),
    ...(bias ? { bias } : {}),
  });
  const present = node.inputs.filter((v) => v !== "");
  const isInit = (v: string) => graph.initializers.has(v);
  const outputs = node.outputs.filter((v) => v !== "").map((v) => use(v));
  const activations = (names: string[]) => names.filter((v) => !isInit(v)).map((v) => use(v));
  const out0 = outputs[0]?.elements ?? 0;
  const op = node.op;

  if (op === "Conv") {
    const [x, w, b] = node.inputs;
    const ws = shape(w);
    const ys = shape(node.outputs[0]);
    if (ws.length !== 4 || ys.length !== 4) {
      throw new CostError(node.name, op, "only 2-D convolutions (NCHW, OIHW) are costed");
    }
    const macs = ys[0] * ys[1] * ys[2] * ys[3] * ws[1] * ws[2] * ws[3];
    const weights = [w, ...(b ? [b] : [])].filter(isInit).map((v) => use(v, v === b));
    const group = typeof node.attrs.group === "number" ? node.attrs.group : 1;
    return {
      macs,
      elementOps: 0,
      weights,
      inputs: activations([x, w, ...(b ? [b] : [])]),
      outputs,
      view: false,
      groups: group,
      patchElements: macs * group / ws[0],
      outputRows: ys[0] * ys[1] * ys[2],
      opClass: ws[1] === 1 && group > 1 ? "depthwise" : "conv",
      kernel: ws[1] === 1 && group > 1
        ? "depthwise"
        : ws[2] === 1 && ws[3] === 1 && group === 1
        ? "pointwise"
        : "conv",
    };
  }
  if (op === "Gemm") {
    const [a, bIn, c] = node.inputs;
    const as = shape(a);
    const transA = node.attrs.transA === 1;
    const k = transA ? as[0] : as[1];
    const macs = out0 * k;
    const weights = [bIn, ...(c ? [c] : [])].filter(isInit).map((v) => use(v, v === c));
    return {
      macs,
      elementOps: c ? out0 : 0,
      weights,
      inputs: activations(present),
      outputs,
      view: false,
      opClass: "gemm",
      kernel: "gemm",
    };
  }
  if (op === "MatMul") {
    const as = shape(node.inputs[0]);
    const k = as[as.length - 1];
    return {
      macs: out0 * k,
      elementOps: 0,
      weights: present.filter(isInit).map((v) => use(v)),
      inputs: activations(present),
      outputs,
      view: false,
      opClass: "gemm",
      kernel: "gemm",
    };
  }
  if (op === "BatchNormalization") {
    return {
      macs: 0,
      elementOps: 2 * out0,
      weights: present.slice(1).filter(isInit).map((v) => use(v)),
      inputs: activations(present.slice(0, 1)),
      outputs: outputs.slice(0, 1),
      view: false,
      opClass: "elementwise",
    };
  }
  if (ELEMENTWISE.has(op) || ACTIVATIONS.has(op)) {
    const data = op === "Clip" ? present.slice(0, 1) : present;
    return {
      macs: 0,
      elementOps: out0,
      weights: ELEMENTWISE.has(op) ? data.filter(isInit).map((v) => use(v)) : [],
      inputs: activations(data),
      outputs,
      view: false,
      opClass: "elementwise",
    };
  }
  if (POOLS.has(op)) {
    const k = attrInts(node, "kernel_shape");
    if (k === undefined) throw new CostError(node.name, op, "attribute kernel_shape is missing");
    return {
      macs: 0,
      elementOps: out0 * product(k),
      weights: [],
      inputs: activations(present),
      outputs: outputs.slice(0, 1),
      view: false,
      opClass: "pool",
    };
  }
  if (GLOBAL.has(op)) {
    // a reduction over the input: priced like element-wise ops (one op per input element)
    const inputs = activations(present.slice(0, 1));
    return {
      macs: 0,
      elementOps: inputs.reduce((s, t) => s + t.elements, 0),
      weights: [],
      inputs,
      outputs,
      view: false,
      opClass: "elementwise",
    };
  }
  if (COPIES.has(op)) {
    return {
      macs: 0,
      elementOps: 0,
      weights: [],
      inputs: activations(present),
      outputs,
      view: false,
    };
  }
  // Views: the data input only (shape tensors are not data).
  return {
    macs: 0,
    elementOps: 0,
    weights: [],
    inputs: activations(present.slice(0, 1)),
    outputs: outputs.slice(0, 1),
    view: true,
  };
}
