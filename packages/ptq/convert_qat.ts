/**
 * From a training-time QDQ graph (what `fromNn` makes of a QAT model: float weights behind
 * QuantizeLinear → DequantizeLinear, float biases, max pooling and reshapes on dequantized
 * values) to the deployable QDQ form that `quantizeStatic` writes and integer runtimes run —
 * with the trained grids, no recalibration (PyTorch's `convert` after `prepare_qat`):
 *
 * 1. `QuantizeLinear` of a float initializer becomes its code initializer (the codes QAT's
 *    forward pass used, by the ONNX rounding of `fl(x / S)`).
 * 2. A Conv/Gemm bias reading float values, whose input and weight are dequantized per tensor
 *    / per output channel, becomes int32 codes at `fl(s_x · s_w[o])` (as onnxruntime's
 *    quantizer writes it); the simulated output changes by at most half an accumulator step.
 * 3. Ops that commute with the affine map (`MaxPool`, `Flatten`, `Reshape`, `Transpose`,
 *    `Squeeze`, `Unsqueeze`, and a `Clip` whose bounds are codes of the grid, as `fromNn`
 *    writes for a code range narrower than its container) applied to a dequantized value get a QuantizeLinear →
 *    DequantizeLinear pair on their input's grid after them, so the next op reads a
 *    dequantized value too. This is exact: the pair maps every value on the grid to itself.
 *
 * @example A trained grid survives: max pooling gets its input's grid
 * ```ts
 * import { convertQat } from "@lowbit/ptq/convert-qat";
 * import type { Graph, GraphTensor } from "@lowbit/graph/ir";
 * import { deepEqual } from "node:assert/strict";
 * const f = (v: number): GraphTensor => ({ dtype: "float32", shape: [], data: Float32Array.of(v) });
 * const g: Graph = { name: "g", opset: 13, values: new Map(),
 *   inputs: [{ name: "x", dtype: "float32", shape: [1, 1, 2, 2] }],
 *   outputs: [{ name: "p", dtype: "float32", shape: [1, 1, 1, 1] }],
 *   initializers: new Map<string, GraphTensor>([["s", f(0.1)], ["z", { dtype: "uint8", shape: [], data: Uint8Array.of(0) }]]),
 *   nodes: [
 *     { name: "q", op: "QuantizeLinear", inputs: ["x", "s", "z"], outputs: ["xq"], attrs: {} },
 *     { name: "d", op: "DequantizeLinear", inputs: ["xq", "s", "z"], outputs: ["xd"], attrs: {} },
 *     { name: "mp", op: "MaxPool", inputs: ["xd"], outputs: ["p"], attrs: { kernel_shape: [2, 2] } },
 *   ] };
 * deepEqual(convertQat(g).nodes.map((n) => n.op), ["QuantizeLinear", "DequantizeLinear", "MaxPool", "QuantizeLinear", "DequantizeLinear"]);
 * ```
 *
 * @module
 */

import { FLOAT_OPS } from "@lowbit/graph/executor";
import { cloneGraph, type Graph, type GraphTensor, type Node } from "@lowbit/graph/ir";
import { addWeightDequantize, quantizeBias } from "./weights.ts";

/** Ops through which a grid passes unchanged. */
const GRID_PRESERVING = new Set([
  "MaxPool",
  "Flatten",
  "Reshape",
  "Transpose",
  "Squeeze",
  "Unsqueeze",
]);

function scaleOf(g: Graph, name: string | undefined): Float32Array | undefined {
  const t = name ? g.initializers.get(name) : undefined;
  return t && t.data instanceof Float32Array ? t.data : undefined;
}

/** A Clip whose constant bounds are codes of its input's grid keeps values on that grid. */
function clipOnGrid(g: Graph, clip: Node, dq: Node): boolean {
  const s = scaleOf(g, dq.inputs[1])![0];
  const zt = dq.inputs[2] ? g.initializers.get(dq.inputs[2]) : undefined;
  const z = zt ? Number(zt.data[0]) : 0;
  return [1, 2].every((i) => {
    const name = clip.inputs[i];
    if (name === undefined || name === "") return true;
    const t = g.initializers.get(name);
    if (!t || t.data.length !== 1 || typeof t.data[0] !== "number") return false;
    const k = t.data[0] / s + z;
    return Math.abs(k - Math.round(k)) < 1e-3;
  });
}

/**
 * Converts a training-time QDQ graph to the deployable QDQ form (see the module doc).
 *
 * @param graph The graph (e.g. `fromNn` of a QAT model); not changed.
 * @returns The converted graph.
 * @throws {GraphError} From the QuantizeLinear kernel, naming the node, for a bad grid.
 */
export function convertQat(graph: Graph): Graph {
  const g = cloneGraph(graph);
  g.nodes = g.nodes.map((n) => ({ ...n, inputs: [...n.inputs], outputs: [...n.outputs] }));
  // 1. Fold QuantizeLinear of float initializers into code initializers.
  g.nodes = g.nodes.filter((n) => {
    if (n.op !== "QuantizeLinear" || !g.initializers.has(n.inputs[0])) return true;
    const args = n.inputs.map((v) => (v === "" ? undefined : g.initializers.get(v)));
    if (args.some((a, i) => a === undefined && n.inputs[i] !== "")) return true;
    const [codes] = FLOAT_OPS.QuantizeLinear.run(n, args, { opset: g.opset });
    g.initializers.set(n.outputs[0], codes);
    return false;
  });
  const producer = new Map<string, Node>();
  for (const n of g.nodes) for (const o of n.outputs) producer.set(o, n);
  const dqOf = (v: string): Node | undefined => {
    const p = producer.get(v);
    return p?.op === "DequantizeLinear" ? p : undefined;
  };
  // 3. Grid-preserving ops on dequantized values get a Q/DQ pair on the same grid.
  const out: Node[] = [];
  const consumersOf = (v: string) => g.nodes.filter((n) => n.inputs.includes(v));
  for (const n of g.nodes) {
    out.push(n);
    const dq = GRID_PRESERVING.has(n.op) || n.op === "Clip" ? dqOf(n.inputs[0]) : undefined;
    if (!dq || g.initializers.has(dq.inputs[0]) || scaleOf(g, dq.inputs[1])?.length !== 1) continue;
    if (n.op === "Clip" && !clipOnGrid(g, n, dq)) continue;
    const v = n.outputs[0];
    if (consumersOf(v).some((c) => c.op === "QuantizeLinear")) continue;
    const [, s, z] = dq.inputs;
    const isOutput = g.outputs.some((o) => o.name === v);
    const src = isOutput ? `${v}_prequant` : v;
    if (isOutput) n.outputs = [src];
    const dst = isOutput ? v : `${v}_dequantized`;
    const zp = z ? [z] : [];
    out.push(
      {
        name: `${v}_QuantizeLinear`,
        op: "QuantizeLinear",
        inputs: [src, s, ...zp],
        outputs: [`${v}_quantized`],
        attrs: {},
      },
      {
        name: `${v}_DequantizeLinear`,
        op: "DequantizeLinear",
        inputs: [`${v}_quantized`, s, ...zp],
        outputs: [dst],
        attrs: {},
      },
    );
    if (!isOutput) {
      for (const c of g.nodes) c.inputs = c.inputs.map((i) => (i === v && c !== n ? dst : i));
    }
    producer.set(dst, out[out.length - 1]);
  }
  g.nodes = out;
  // 2. Float biases of Conv/Gemm between dequantized inputs and weights → int32 codes.
  const added: Node[] = [];
  for (const n of g.nodes) {
    if ((n.op !== "Conv" && n.op !== "Gemm") || !n.inputs[2]) continue;
    const b = g.initializers.get(n.inputs[2]);
    const x = dqOf(n.inputs[0]), w = dqOf(n.inputs[1]);
    if (!b || !(b.data instanceof Float32Array) || !x || !w) continue;
    const sx = scaleOf(g, x.inputs[1]), sw = scaleOf(g, w.inputs[1]);
    if (!sx || sx.length !== 1 || !sw || !g.initializers.has(w.inputs[0])) continue;
    const q = quantizeBias(b as GraphTensor, sx[0], sw);
    const dq = addWeightDequantize(g, n.inputs[2], q);
    added.push(dq);
    n.inputs[2] = dq.outputs[0];
  }
  g.nodes = [...added, ...g.nodes];
  return g;
}
