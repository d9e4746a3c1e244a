/**
 * Opset upgrade: rewrites a {@linkcode Graph} from its default-domain opset to a newer one
 * (13..21) for the ops whose signatures changed on the way — attributes that became inputs
 * (Clip, Slice, Squeeze, Unsqueeze, Split, Reduce*, Pad, Dropout, TopK, Reshape), Upsample →
 * Resize, legacy BatchNormalization/Dropout attributes, and the old 2-D coercion of
 * Softmax/LogSoftmax/Hardmax. Ops it cannot rewrite faithfully are rejected with a
 * {@linkcode GraphError} naming the node.
 *
 * @example Clip's opset-9 attributes become inputs
 * ```ts
 * import { upgradeOpset } from "@lowbit/onnx/upgrade";
 * import { runFloat } from "@lowbit/graph/executor";
 * import type { Graph } from "@lowbit/graph/ir";
 * import { deepEqual, equal } from "node:assert/strict";
 * const g: Graph = { name: "g", opset: 9, initializers: new Map(), values: new Map(),
 *   inputs: [{ name: "x", dtype: "float32", shape: [3] }],
 *   outputs: [{ name: "y", dtype: "float32", shape: [3] }],
 *   nodes: [{ name: "c", op: "Clip", inputs: ["x"], outputs: ["y"], attrs: { min: 0, max: 6 } }] };
 * const u = upgradeOpset(g, 13);
 * equal(u.opset, 13);
 * equal(u.nodes[0].inputs.length, 3);
 * const x = { data: new Float32Array([-1, 3, 9]), shape: [3] };
 * deepEqual([...runFloat(u, { x }).y.data], [0, 3, 6]);
 * ```
 *
 * @module
 */

import { GraphError } from "@lowbit/graph/errors";
import { cloneGraph } from "@lowbit/graph/ir";
import type { AttrValue, Graph, GraphDType, GraphTensor, Node } from "@lowbit/graph/ir";

export type {
  AttrValue,
  Graph,
  GraphData,
  GraphDType,
  GraphTensor,
  Node,
  QuantGrid,
  ValueInfo,
} from "@lowbit/graph/ir";

const I64_MAX = (1n << 63n) - 1n;
const I64_MIN = -(1n << 63n);

function int64s(values: readonly number[]): GraphTensor {
  const data = new BigInt64Array(values.length);
  values.forEach((v, i) => {
    // Attributes hold int64 as doubles: INT64_MAX reads back as 2^63, which must not wrap.
    const b = BigInt(Math.trunc(v));
    data[i] = b > I64_MAX ? I64_MAX : b < I64_MIN ? I64_MIN : b;
  });
  return { dtype: "int64", shape: [values.length], data };
}

function scalar(dtype: GraphDType, v: number, node: Node): GraphTensor {
  const shape: number[] = [];
  switch (dtype) {
    case "float32":
      return { dtype, shape, data: new Float32Array([v]) };
    case "float64":
      return { dtype, shape, data: new Float64Array([v]) };
    case "float16": {
      const h = new Float16Array([v]);
      return { dtype, shape, data: new Uint16Array(h.buffer) };
    }
    case "int8":
      return { dtype, shape, data: new Int8Array([v]) };
    case "uint8":
      return { dtype, shape, data: new Uint8Array([v]) };
    case "int16":
      return { dtype, shape, data: new Int16Array([v]) };
    case "uint16":
      return { dtype, shape, data: new Uint16Array([v]) };
    case "int32":
      return { dtype, shape, data: new Int32Array([v]) };
    case "uint32":
      return { dtype, shape, data: new Uint32Array([v]) };
    case "int64":
      return { dtype, shape: [], data: int64s([v]).data };
    default:
      throw new GraphError(`cannot make a ${dtype} scalar for the upgrade`, {
        node: node.name,
        op: node.op,
      });
  }
}

const REDUCE_18 = new Set([
  "ReduceMean",
  "ReduceMax",
  "ReduceMin",
  "ReduceProd",
  "ReduceL1",
  "ReduceL2",
  "ReduceLogSum",
  "ReduceLogSumExp",
  "ReduceSumSquare",
]);

// Experimental/removed ops and ops carrying subgraphs: no faithful rewrite.
const REJECT = new Set([
  "Affine",
  "ConstantFill",
  "Crop",
  "DynamicSlice",
  "GRUUnit",
  "GivenTensorFill",
  "ImageScaler",
  "ParametricSoftplus",
  "Scale",
  "ScaledTanh",
  "Loop",
  "If",
  "Scan",
]);

const BINARY_BROADCAST = new Set([
  "Add",
  "Sub",
  "Mul",
  "Div",
  "Pow",
  "And",
  "Or",
  "Xor",
  "Equal",
  "Greater",
  "Less",
  "PRelu",
  "Gemm",
]);

/** State of one upgrade: the new graph and a fresh-name source. */
class Rewriter {
  readonly g: Graph;
  readonly from: number;
  readonly target: number;
  private readonly used = new Set<string>();
  private readonly shared = new Map<string, string>();
  private readonly consumers = new Map<string, number>();

  constructor(g: Graph, target: number) {
    this.g = g;
    this.from = g.opset;
    this.target = target;
    for (const v of [...g.inputs, ...g.outputs]) this.used.add(v.name);
    for (const k of [...g.initializers.keys(), ...g.values.keys()]) this.used.add(k);
    for (const n of g.nodes) {
      this.used.add(n.name);
      for (const v of [...n.inputs, ...n.outputs]) this.used.add(v);
      for (const v of n.inputs) this.consumers.set(v, (this.consumers.get(v) ?? 0) + 1);
    }
    for (const o of g.outputs) this.consumers.set(o.name, (this.consumers.get(o.name) ?? 0) + 1);
  }

  fresh(base: string): string {
    let name = base, i = 0;
    while (this.used.has(name)) name = `${base}_${++i}`;
    this.used.add(name);
    return name;
  }

  isUsed(value: string): boolean {
    return (this.consumers.get(value) ?? 0) > 0;
  }

  /** An initializer holding `t` (one per distinct content, shared between nodes). */
  constant(base: string, t: GraphTensor): string {
    const key = `${t.dtype}|${t.shape}|${
      Array.from(t.data as ArrayLike<number | bigint>).join(",")
    }`;
    const have = this.shared.get(key);
    if (have !== undefined) return have;
    const name = this.fresh(`upgrade_${base}`);
    this.g.initializers.set(name, t);
    this.shared.set(key, name);
    return name;
  }

  dtypeOf(value: string): GraphDType {
    const init = this.g.initializers.get(value);
    if (init) return init.dtype;
    const info = this.g.values.get(value) ?? this.g.inputs.find((v) => v.name === value) ??
      this.g.outputs.find((v) => v.name === value);
    return info?.dtype ?? "float32";
  }

  rankOf(value: string): number | undefined {
    const init = this.g.initializers.get(value);
    if (init) return init.shape.length;
    const info = this.g.values.get(value) ?? this.g.inputs.find((v) => v.name === value) ??
      this.g.outputs.find((v) => v.name === value);
    return info?.shape.length;
  }
}

function without(attrs: Record<string, AttrValue>, ...names: string[]): Record<string, AttrValue> {
  const out = { ...attrs };
  for (const n of names) delete out[n];
  return out;
}

function ints(node: Node, name: string): number[] | undefined {
  const v = node.attrs[name];
  if (v === undefined) return undefined;
  if (typeof v === "number") return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === "number")) return v as number[];
  throw new GraphError(`attribute ${name} must be a list of integers`, {
    node: node.name,
    op: node.op,
  });
}

function floatAttr(node: Node, name: string): number | undefined {
  const v = node.attrs[name];
  if (v === undefined) return undefined;
  if (typeof v !== "number") {
    throw new GraphError(`attribute ${name} must be a number`, { node: node.name, op: node.op });
  }
  return v;
}

/** Moves an integer-list attribute to input slot `slot` (as an int64 initializer). */
function attrToInput(r: Rewriter, node: Node, attr: string, slot: number): Node {
  const v = ints(node, attr);
  const inputs = [...node.inputs];
  if (v !== undefined) {
    while (inputs.length < slot) inputs.push("");
    inputs[slot] = r.constant(`${attr}`, int64s(v));
  }
  return { ...node, inputs, attrs: without(node.attrs, attr) };
}

function fail(node: Node, message: string): never {
  throw new GraphError(`cannot upgrade ${node.op}: ${message}`, { node: node.name, op: node.op });
}

function upgradeNode(r: Rewriter, node: Node): Node[] {
  if (node.domain !== undefined && node.domain !== "" && node.domain !== "ai.onnx") return [node];
  const { from, target } = r;
  if (REJECT.has(node.op)) fail(node, "experimental op or op with a subgraph");
  let n: Node = node;
  if (n.attrs.consumed_inputs !== undefined) {
    n = { ...n, attrs: without(n.attrs, "consumed_inputs") };
  }
  if (n.attrs.broadcast !== undefined && BINARY_BROADCAST.has(n.op)) {
    if (n.attrs.axis !== undefined && n.op !== "Gemm") fail(n, "legacy broadcast with an axis");
    n = { ...n, attrs: without(n.attrs, "broadcast") };
  }
  switch (n.op) {
    case "Clip": {
      if (from >= 11) return [n];
      const lo = floatAttr(n, "min"), hi = floatAttr(n, "max");
      const dt = r.dtypeOf(n.inputs[0]);
      const inputs = [n.inputs[0]];
      if (lo !== undefined || hi !== undefined) {
        inputs.push(lo === undefined ? "" : r.constant("clip_min", scalar(dt, lo, n)));
      }
      if (hi !== undefined) inputs.push(r.constant("clip_max", scalar(dt, hi, n)));
      return [{ ...n, inputs, attrs: without(n.attrs, "min", "max") }];
    }
    case "Slice": {
      if (from >= 10) return [n];
      const starts = ints(n, "starts"), ends = ints(n, "ends"), axes = ints(n, "axes");
      if (starts === undefined || ends === undefined) fail(n, "starts and ends are required");
      const inputs = [
        n.inputs[0],
        r.constant("starts", int64s(starts)),
        r.constant("ends", int64s(ends)),
      ];
      if (axes !== undefined) inputs.push(r.constant("axes", int64s(axes)));
      return [{ ...n, inputs, attrs: without(n.attrs, "starts", "ends", "axes") }];
    }
    case "Squeeze":
    case "Unsqueeze":
      return [from >= 13 ? n : attrToInput(r, n, "axes", 1)];
    case "ReduceSum":
      return [from >= 13 ? n : attrToInput(r, n, "axes", 1)];
    case "Split": {
      let m = from >= 13 ? n : attrToInput(r, n, "split", 1);
      if (target >= 18 && (m.inputs[1] ?? "") === "" && m.attrs.num_outputs === undefined) {
        m = { ...m, inputs: [m.inputs[0]], attrs: { ...m.attrs, num_outputs: m.outputs.length } };
      }
      return [m];
    }
    case "TopK":
      if (from >= 10) return [n];
      if (ints(n, "k") === undefined) fail(n, "k is required");
      return [attrToInput(r, n, "k", 1)];
    case "Reshape":
      if (from >= 5) return [n];
      if (ints(n, "shape") === undefined) fail(n, "shape is required");
      return [attrToInput(r, n, "shape", 1)];
    case "Pad": {
      if (from >= 11) return [n];
      const pads = ints(n, from < 2 ? "paddings" : "pads");
      if (pads === undefined) fail(n, "pads is required");
      const value = floatAttr(n, "value");
      const inputs = [n.inputs[0], r.constant("pads", int64s(pads))];
      const mode = n.attrs.mode ?? "constant";
      if (value !== undefined && value !== 0 && mode === "constant") {
        inputs.push(r.constant("pad_value", scalar(r.dtypeOf(n.inputs[0]), value, n)));
      }
      return [{ ...n, inputs, attrs: without(n.attrs, "pads", "paddings", "value") }];
    }
    case "Upsample": {
      if (from < 7) fail(n, "opset < 7 Upsample (width_scale/height_scale)");
      const modeAttr = n.attrs.mode ?? "nearest";
      if (modeAttr !== "nearest" && modeAttr !== "linear" && modeAttr !== "bilinear") {
        fail(n, `mode ${String(modeAttr)}`);
      }
      let scales = n.inputs[1] ?? "";
      if (from < 9) {
        const s = n.attrs.scales;
        if (!Array.isArray(s) || !s.every((x) => typeof x === "number")) {
          fail(n, "scales attribute is required");
        }
        scales = r.constant("scales", {
          dtype: "float32",
          shape: [s.length],
          data: new Float32Array(s as number[]),
        });
      }
      const st = r.g.initializers.get(scales);
      if (
        modeAttr === "nearest" && st !== undefined &&
        Array.from(st.data as Float32Array).some((v) => v < 1)
      ) {
        fail(n, "nearest downsampling (Upsample rounds up there, Resize floor does not)");
      }
      return [{
        ...n,
        op: "Resize",
        inputs: [n.inputs[0], "", scales],
        attrs: {
          mode: modeAttr === "nearest" ? "nearest" : "linear",
          coordinate_transformation_mode: "asymmetric",
          nearest_mode: "floor",
        },
      }];
    }
    case "Resize":
      if (from < 11) fail(n, "opset-10 Resize (nearest rounding differs from every opset-11 mode)");
      return [n];
    case "BatchNormalization": {
      if (n.attrs.spatial !== undefined && n.attrs.spatial !== 1) fail(n, "spatial = 0");
      if (n.outputs.slice(1).some((o) => o !== "" && r.isUsed(o))) {
        fail(n, "training outputs (mean, var, saved mean/var) are used");
      }
      for (const o of n.outputs.slice(1)) r.g.values.delete(o);
      return [{
        ...n,
        outputs: [n.outputs[0]],
        attrs: without(n.attrs, "spatial", "is_test", "consumed_inputs"),
      }];
    }
    case "Dropout": {
      let m: Node = { ...n, attrs: without(n.attrs, "is_test") };
      if (from < 12 && target >= 12) {
        const ratio = floatAttr(m, "ratio");
        m = { ...m, attrs: without(m.attrs, "ratio") };
        if (ratio !== undefined) {
          m = { ...m, inputs: [m.inputs[0], r.constant("ratio", scalar("float32", ratio, m))] };
        }
      }
      if (from < 10 && m.outputs[1]) {
        const info = r.g.values.get(m.outputs[1]);
        if (info) r.g.values.set(m.outputs[1], { ...info, dtype: "bool" });
      }
      return [m];
    }
    case "Softmax":
    case "LogSoftmax":
    case "Hardmax": {
      if (from >= 13) return [n];
      const axisAttr = n.attrs.axis ?? 1;
      if (typeof axisAttr !== "number") fail(n, "axis must be an integer");
      const rank = r.rankOf(n.inputs[0]);
      const axis = rank !== undefined && axisAttr < 0 ? axisAttr + rank : axisAttr;
      if (rank !== undefined && axis === rank - 1 || axisAttr === -1) {
        return [{ ...n, attrs: { ...n.attrs, axis: -1 } }];
      }
      // Old semantics: coerce to 2-D at axis, normalize each row, restore the shape.
      const flat = r.fresh(`${n.outputs[0]}_flat`), soft = r.fresh(`${n.outputs[0]}_2d`);
      const shape = r.fresh(`${n.outputs[0]}_shape`);
      return [
        {
          name: r.fresh(`${n.name}_flatten`),
          op: "Flatten",
          inputs: [n.inputs[0]],
          outputs: [flat],
          attrs: { axis },
        },
        {
          name: r.fresh(`${n.name}_shape`),
          op: "Shape",
          inputs: [n.inputs[0]],
          outputs: [shape],
          attrs: {},
        },
        { ...n, inputs: [flat], outputs: [soft], attrs: { ...n.attrs, axis: 1 } },
        {
          name: r.fresh(`${n.name}_reshape`),
          op: "Reshape",
          inputs: [soft, shape],
          outputs: [n.outputs[0]],
          attrs: target >= 14 ? { allowzero: 1 } : {},
        },
      ];
    }
    case "GridSample": {
      if (from >= 20 || target < 20) return [n];
      const mode = n.attrs.mode ?? "bilinear";
      const renamed = mode === "bilinear" ? "linear" : mode === "bicubic" ? "cubic" : mode;
      return [{ ...n, attrs: { ...n.attrs, mode: renamed } }];
    }
    case "Scatter":
      return [{ ...n, op: "ScatterElements" }];
    case "Cast":
      if (typeof n.attrs.to === "string") fail(n, "opset < 6 string `to`");
      return [n];
    case "Concat":
      if (n.attrs.axis === undefined) fail(n, "axis is required since opset 4");
      return [n];
    case "Tile":
      if (from < 6) fail(n, "opset < 6 Tile (tiles, axis inputs)");
      return [n];
    default:
      if (REDUCE_18.has(n.op) && from < 18 && target >= 18) return [attrToInput(r, n, "axes", 1)];
      return [n];
  }
}

/**
 * Converts a graph to a newer default-domain opset, rewriting the ops whose signature changed
 * between `graph.opset` and `target` so that the result computes the same values. Nodes of
 * other domains are kept as they are. New constants become initializers named `upgrade_*`
 * (shared between nodes with equal content).
 *
 * @param graph The graph (not mutated).
 * @param target The opset to convert to, 13..21, at least `graph.opset`.
 * @returns A new graph with `opset = target`.
 * @throws {RangeError} When `target` is outside 13..21 or below the graph's opset.
 * @throws {GraphError} Naming the node, for an op it cannot upgrade faithfully (experimental
 *   ops, subgraph ops, opset-10 Resize, legacy axis broadcasting, BatchNormalization with
 *   `spatial = 0` or used training outputs, nearest Upsample that downsamples).
 *
 * @example Softmax of opset 9 over a non-last axis keeps its 2-D semantics
 * ```ts
 * import { upgradeOpset } from "@lowbit/onnx/upgrade";
 * import { runFloat } from "@lowbit/graph/executor";
 * import type { Graph } from "@lowbit/graph/ir";
 * import { deepEqual } from "node:assert/strict";
 * const g: Graph = { name: "g", opset: 9, initializers: new Map(), values: new Map(),
 *   inputs: [{ name: "x", dtype: "float32", shape: [1, 2, 2] }],
 *   outputs: [{ name: "y", dtype: "float32", shape: [1, 2, 2] }],
 *   nodes: [{ name: "s", op: "Softmax", inputs: ["x"], outputs: ["y"], attrs: { axis: 1 } }] };
 * const u = upgradeOpset(g, 13);
 * deepEqual(u.nodes.map((n) => n.op), ["Flatten", "Shape", "Softmax", "Reshape"]);
 * const x = { data: new Float32Array([0, 0, 0, 0]), shape: [1, 2, 2] };
 * deepEqual([...runFloat(u, { x }).y.data], [0.25, 0.25, 0.25, 0.25]);
 * ```
 */
export function upgradeOpset(graph: Graph, target: number): Graph {
  if (!Number.isInteger(target) || target < 13 || target > 21) {
    throw new RangeError(`target opset must be an integer in 13..21, got ${target}`);
  }
  if (target < graph.opset) {
    throw new RangeError(`cannot downgrade from opset ${graph.opset} to ${target}`);
  }
  const g = cloneGraph(graph);
  const r = new Rewriter(g, target);
  g.nodes = graph.nodes.flatMap((n) => upgradeNode(r, n));
  g.opset = target;
  return g;
}
