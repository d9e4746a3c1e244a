/**
 * QDQ → QOperator: every `DequantizeLinear → op → QuantizeLinear` region with an onnxruntime
 * QLinear counterpart becomes that one node, reading and writing codes:
 *
 * | op | QOperator node |
 * |---|---|
 * | Conv | `QLinearConv` (ONNX, opset 10; int32 bias, per-channel weights) |
 * | MatMul | `QLinearMatMul` (ONNX, opset 10) |
 * | Add, Mul | `com.microsoft.QLinearAdd` / `QLinearMul` (broadcasting) |
 * | GlobalAveragePool | `com.microsoft.QLinearGlobalAveragePool` (NCHW) |
 * | Concat | `com.microsoft.QLinearConcat` |
 * | Sigmoid, LeakyRelu | `com.microsoft.QLinearSigmoid` / `QLinearLeakyRelu` |
 *
 * Regions without one (HardSwish, Softmax, layout ops, …) stay in QDQ form, which onnxruntime
 * runs as well, so the result is always a valid model. The grids are the graph's; nothing is
 * requantized. onnxruntime evaluates these nodes exactly as it evaluates the fused QDQ form,
 * which is what lowbit's integer runtime reproduces (`@lowbit/runtime/qdq-run`).
 *
 * @example A Conv region becomes one QLinearConv
 * ```ts
 * import { toQOperator } from "@lowbit/onnx/qoperator";
 * import type { Graph, GraphTensor } from "@lowbit/graph/ir";
 * import { deepEqual } from "node:assert/strict";
 * const f = (v: number): GraphTensor => ({ dtype: "float32", shape: [], data: Float32Array.of(v) });
 * const u8 = (v: number): GraphTensor => ({ dtype: "uint8", shape: [], data: Uint8Array.of(v) });
 * const g: Graph = { name: "g", opset: 13, values: new Map(),
 *   inputs: [{ name: "x", dtype: "float32", shape: [1, 1, 1, 2] }],
 *   outputs: [{ name: "y", dtype: "float32", shape: [1, 1, 1, 1] }],
 *   initializers: new Map<string, GraphTensor>([["s", f(0.5)], ["z", u8(0)], ["ys", f(0.25)],
 *     ["w", { dtype: "int8", shape: [1, 1, 1, 2], data: Int8Array.of(2, 1) }], ["ws", f(0.25)]]),
 *   nodes: [
 *     { name: "qx", op: "QuantizeLinear", inputs: ["x", "s", "z"], outputs: ["xq"], attrs: {} },
 *     { name: "dx", op: "DequantizeLinear", inputs: ["xq", "s", "z"], outputs: ["xd"], attrs: {} },
 *     { name: "dw", op: "DequantizeLinear", inputs: ["w", "ws"], outputs: ["wd"], attrs: {} },
 *     { name: "conv", op: "Conv", inputs: ["xd", "wd"], outputs: ["c"], attrs: { kernel_shape: [1, 2] } },
 *     { name: "qc", op: "QuantizeLinear", inputs: ["c", "ys", "z"], outputs: ["cq"], attrs: {} },
 *     { name: "dc", op: "DequantizeLinear", inputs: ["cq", "ys", "z"], outputs: ["y"], attrs: {} },
 *   ] };
 * deepEqual(toQOperator(g).nodes.map((n) => n.op), ["QuantizeLinear", "QLinearConv", "DequantizeLinear"]);
 * ```
 *
 * @module
 */

import { cloneGraph, type Graph, type Node } from "@lowbit/graph/ir";
import { eliminateDeadCode } from "@lowbit/graph/passes/dead-code";

/** The (codes, scale, zero point) operands behind a DequantizeLinear. */
interface Operand {
  codes: string;
  scale: string;
  zeroPoint: string;
}

const CONTRIB: Record<string, string> = {
  Add: "QLinearAdd",
  Mul: "QLinearMul",
  GlobalAveragePool: "QLinearGlobalAveragePool",
  Concat: "QLinearConcat",
  Sigmoid: "QLinearSigmoid",
  LeakyRelu: "QLinearLeakyRelu",
};

/**
 * Rewrites a QDQ graph into QOperator form (see the module doc).
 *
 * @param graph A QDQ graph (e.g. from `quantizeStatic`); not changed.
 * @returns The graph with QLinear nodes; unused Q/DQ nodes removed.
 */
export function toQOperator(graph: Graph): Graph {
  const g = cloneGraph(graph);
  const producer = new Map<string, Node>();
  const readers = new Map<string, Node[]>();
  for (const n of g.nodes) {
    for (const o of n.outputs) producer.set(o, n);
    for (const i of n.inputs) readers.set(i, [...(readers.get(i) ?? []), n]);
  }
  const graphOutputs = new Set(g.outputs.map((o) => o.name));
  let fresh = 0;
  const zeroFor = (codes: string): string => {
    const dtype = g.initializers.get(codes)?.dtype ?? g.values.get(codes)?.dtype ?? "uint8";
    const name = `qop_zero_point_${fresh++}`;
    const data = dtype === "int8" ? Int8Array.of(0) : Uint8Array.of(0);
    g.initializers.set(name, { dtype: dtype === "int8" ? "int8" : "uint8", shape: [], data });
    return name;
  };
  const operand = (v: string, perTensor: boolean): Operand | undefined => {
    const d = producer.get(v);
    if (!d || d.op !== "DequantizeLinear") return undefined;
    const s = g.initializers.get(d.inputs[1]);
    if (!s || (perTensor && s.data.length !== 1)) return undefined;
    const zp = d.inputs[2] && d.inputs[2] !== "" ? d.inputs[2] : zeroFor(d.inputs[0]);
    return { codes: d.inputs[0], scale: d.inputs[1], zeroPoint: zp };
  };
  const replaced = new Map<Node, Node>();
  const dead = new Set<Node>();
  for (const n of g.nodes) {
    if (n.op !== "Conv" && n.op !== "MatMul" && !(n.op in CONTRIB)) continue;
    const out = n.outputs[0];
    const qs = readers.get(out) ?? [];
    if (graphOutputs.has(out) || qs.length !== 1 || qs[0].op !== "QuantizeLinear") continue;
    const q = qs[0];
    const ys = g.initializers.get(q.inputs[1]);
    if (!ys || ys.data.length !== 1) continue;
    const y: Operand = {
      codes: q.outputs[0],
      scale: q.inputs[1],
      zeroPoint: q.inputs[2] && q.inputs[2] !== "" ? q.inputs[2] : zeroFor(q.inputs[0]),
    };
    const data = n.inputs.filter((v) => v !== "");
    let node: Node | undefined;
    if (n.op === "Conv" || n.op === "MatMul") {
      const x = operand(data[0], true), w = operand(data[1], false);
      if (!x || !w) continue;
      const inputs = [
        x.codes,
        x.scale,
        x.zeroPoint,
        w.codes,
        w.scale,
        w.zeroPoint,
        y.scale,
        y.zeroPoint,
      ];
      if (n.op === "Conv" && data[2] !== undefined) {
        const b = producer.get(data[2]);
        const bias = b?.op === "DequantizeLinear" ? g.initializers.get(b.inputs[0]) : undefined;
        if (!bias || bias.dtype !== "int32") continue;
        inputs.push(b!.inputs[0]);
      }
      node = {
        name: `${n.name}_quant`,
        op: n.op === "Conv" ? "QLinearConv" : "QLinearMatMul",
        inputs,
        outputs: [y.codes],
        attrs: n.op === "Conv" ? { ...n.attrs } : {},
      };
    } else {
      const xs = data.map((v) => operand(v, true));
      if (xs.some((x) => x === undefined)) continue;
      const ops = xs as Operand[];
      const flat = ops.flatMap((x) => [x.codes, x.scale, x.zeroPoint]);
      const op = CONTRIB[n.op];
      if ((op === "QLinearAdd" || op === "QLinearMul") && ops.length !== 2) continue;
      const inputs = op === "QLinearConcat"
        ? [y.scale, y.zeroPoint, ...flat]
        : [...flat, y.scale, y.zeroPoint];
      const attrs = op === "QLinearGlobalAveragePool" ? { channels_last: 0 } : { ...n.attrs };
      node = {
        name: `${n.name}_quant`,
        op,
        inputs,
        outputs: [y.codes],
        attrs,
        domain: "com.microsoft",
      };
    }
    replaced.set(n, node);
    dead.add(q);
  }
  g.nodes = g.nodes.filter((n) => !dead.has(n)).map((n) => replaced.get(n) ?? n);
  return eliminateDeadCode(g);
}

/** The QOperator op types this module writes (for readers that check support). */
export const QOPERATOR_OPS: readonly string[] = [
  "QLinearConv",
  "QLinearMatMul",
  ...Object.values(CONTRIB),
];
