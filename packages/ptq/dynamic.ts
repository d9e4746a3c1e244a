/**
 * Dynamic post-training quantization in QDQ form: weights of MatMul, Gemm and Conv become
 * int8/int4 codes → DequantizeLinear (as in {@linkcode quantizeWeight}); their activation input
 * is quantized at run time by DynamicQuantizeLinear (ONNX semantics: uint8, range widened to
 * include 0) → DequantizeLinear. Biases stay float.
 *
 * @module
 */

import { cloneGraph, type Graph, type Node } from "@lowbit/graph";
import { addWeightDequantize, quantizeWeight, type WeightQuantOptions } from "./weights.ts";

/** Options of {@linkcode quantizeDynamic}. */
export interface QuantizeDynamicOptions {
  /** Weight quantization (default int8, per-channel, symmetric restricted range). */
  weights?: WeightQuantOptions;
  /** Op types to quantize (default MatMul, Gemm, Conv). */
  opTypes?: string[];
  /** Op types never quantized. */
  excludeOpTypes?: string[];
  /** Overrides by node name. */
  nodes?: Record<string, { weights?: WeightQuantOptions; float?: boolean }>;
}

/**
 * Quantizes a graph dynamically. The argument graph is not changed.
 *
 * @param graph The float graph with weights as initializers.
 * @param options Weights, op selection and overrides.
 * @returns The QDQ graph.
 *
 * @example
 * ```ts
 * import { quantizeDynamic } from "@lowbit/ptq";
 * import { type Graph, tensor } from "@lowbit/graph";
 * import { deepEqual, ok } from "node:assert/strict";
 * const g: Graph = {
 *   name: "m", opset: 13,
 *   inputs: [{ name: "x", dtype: "float32", shape: [1, 2] }],
 *   outputs: [{ name: "y", dtype: "float32", shape: [1, 1] }],
 *   nodes: [{ name: "mm", op: "MatMul", inputs: ["x", "w"], outputs: ["y"], attrs: {} }],
 *   initializers: new Map([["w", tensor("float32", [2, 1], [0.5, -0.5])]]),
 *   values: new Map(),
 * };
 * const q = quantizeDynamic(g);
 * ok(q.nodes.some((n) => n.op === "DynamicQuantizeLinear"));
 * deepEqual([...q.initializers.get("w_mm_quantized")!.data], [127, -127]);
 * deepEqual([...q.initializers.get("w_mm_scale")!.data], [Math.fround(0.5 / 127)]);
 * ```
 */
export function quantizeDynamic(graph: Graph, options: QuantizeDynamicOptions = {}): Graph {
  const g = cloneGraph(graph);
  const opTypes = new Set(options.opTypes ?? ["MatMul", "Gemm", "Conv"]);
  const exclude = new Set(options.excludeOpTypes ?? []);
  const out: Node[] = [];
  const dqOf = new Map<string, string>();
  const used = new Set<string>();
  for (const n0 of g.nodes) {
    const w = g.initializers.get(n0.inputs[1] ?? "");
    const x = n0.inputs[0];
    const eligible = opTypes.has(n0.op) && !exclude.has(n0.op) &&
      options.nodes?.[n0.name]?.float !== true && w !== undefined &&
      (w.data instanceof Float32Array || w.data instanceof Float64Array) &&
      (n0.op === "Conv" || w.shape.length === 2) && x !== undefined && !g.initializers.has(x);
    if (!eligible) {
      out.push(n0);
      continue;
    }
    const n: Node = { ...n0, inputs: [...n0.inputs] };
    let xd = dqOf.get(x);
    if (xd === undefined) {
      xd = `${x}_dequantized`;
      out.push(
        {
          name: `${x}_DynamicQuantizeLinear`,
          op: "DynamicQuantizeLinear",
          inputs: [x],
          outputs: [`${x}_quantized`, `${x}_scale`, `${x}_zero_point`],
          attrs: {},
        },
        {
          name: `${x}_DequantizeLinear`,
          op: "DequantizeLinear",
          inputs: [`${x}_quantized`, `${x}_scale`, `${x}_zero_point`],
          outputs: [xd],
          attrs: {},
        },
      );
      dqOf.set(x, xd);
    }
    n.inputs[0] = xd;
    const axis = n0.op === "Conv" ? 0 : n0.op === "Gemm" && n0.attrs.transB === 1 ? 0 : 1;
    const wName = n0.inputs[1];
    const wOpts = { ...options.weights, ...options.nodes?.[n0.name]?.weights };
    const base = `${wName}_${n0.name}`;
    const q = quantizeWeight(w, axis, wOpts);
    out.push(addWeightDequantize(g, base, q));
    n.inputs[1] = `${base}_dequantized`;
    out.push(n);
  }
  g.nodes = out;
  for (const n of out) for (const v of n.inputs) used.add(v);
  for (const o of g.outputs) used.add(o.name);
  for (const name of [...g.initializers.keys()]) {
    if (!used.has(name) && !g.inputs.some((i) => i.name === name)) g.initializers.delete(name);
  }
  return g;
}
