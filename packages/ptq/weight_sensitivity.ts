/**
 * The weight-only step of the white paper's PTQ debugging flow (Nagel et al. 2021, §4.8 and
 * Fig. 8): each weight layer quantized alone — its weight on the quantization grid, every other
 * weight and every activation in float — and the model measured, so the layers whose weights
 * limit the metric stand out.
 *
 * @module
 */

import type { Graph } from "@lowbit/graph";
import { weightInput, type WeightQuantOptions, withQuantizedWeights } from "./weights.ts";

/** One weight layer measured with only its weight quantized. */
export interface WeightLayerMetric {
  /** Node name. */
  node: string;
  /** Op type (Conv, Gemm or MatMul). */
  op: string;
  /** The metric of the graph with only this node's weight quantized. */
  metric: number;
}

/** Options of {@linkcode weightSensitivity}: the weight grid and the layers to measure. */
export interface WeightSensitivityOptions extends WeightQuantOptions {
  /** The nodes to measure (default: every Conv, Gemm and MatMul with a float weight). */
  layers?: readonly string[];
  /** Called after each layer with its result (progress). */
  onLayer?: (result: WeightLayerMetric, done: number, total: number) => void;
}

/**
 * Measures every weight layer of a float graph with only its weight quantized
 * (`withQuantizedWeights` of that one node, default int8 per-channel; everything else float).
 *
 * @param graph The float graph (not changed).
 * @param metric A metric of a graph, higher is better (e.g. output SQNR in dB, or accuracy).
 * @param options Weight grid (`bits`, `granularity`, `dtype`), the layers, a progress callback.
 * @returns One entry per layer, in graph order; sort by `metric` for the weakest.
 * @throws {RangeError} Naming `options.layers` for a node that is not a weight layer of the
 *   graph, `metric` when it returns NaN or a non-number, or bad weight options.
 *
 * @example One MatMul, y = x·w with x = [1, 1] and w = [1, 0.25]ᵀ: at 2 bits (codes {−1, 0, 1},
 * scale max|w| = 1) w becomes [1, 0]ᵀ, so y falls from 1.25 to 1
 * ```ts
 * import { weightSensitivity } from "@lowbit/ptq/weight-sensitivity";
 * import { type Graph, runFloat, tensor } from "@lowbit/graph";
 * import { deepEqual } from "node:assert/strict";
 * const g: Graph = { name: "g", opset: 13, values: new Map(),
 *   inputs: [{ name: "x", dtype: "float32", shape: [1, 2] }],
 *   outputs: [{ name: "y", dtype: "float32", shape: [1, 1] }],
 *   nodes: [{ name: "mm", op: "MatMul", inputs: ["x", "w"], outputs: ["y"], attrs: {} }],
 *   initializers: new Map([["w", tensor("float32", [2, 1], [1, 0.25])]]) };
 * const y = (q: Graph) => runFloat(q, { x: { data: Float32Array.of(1, 1), shape: [1, 2] } }).y.data[0] as number;
 * deepEqual(weightSensitivity(g, (q) => -Math.abs(y(q) - 1.25), { bits: 2 }), [
 *   { node: "mm", op: "MatMul", metric: -0.25 },
 * ]);
 * ```
 */
export function weightSensitivity(
  graph: Graph,
  metric: (graph: Graph) => number,
  options: WeightSensitivityOptions = {},
): WeightLayerMetric[] {
  const weightLayers = graph.nodes.filter((n) => weightInput(n, graph) !== undefined);
  const names = options.layers ?? weightLayers.map((n) => n.name);
  for (const name of names) {
    if (!weightLayers.some((n) => n.name === name)) {
      throw new RangeError(
        `options.layers: ${name} is not a Conv/Gemm/MatMul node with a float weight in the graph`,
      );
    }
  }
  const { layers: _layers, onLayer, ...grid } = options;
  const out: WeightLayerMetric[] = [];
  for (const name of names) {
    const node = weightLayers.find((n) => n.name === name)!;
    const m = metric(withQuantizedWeights(graph, new Set([name]), grid));
    if (typeof m !== "number" || Number.isNaN(m)) {
      throw new RangeError(`metric returned ${String(m)} for ${name}; it must return a number`);
    }
    const r = { node: name, op: node.op, metric: m };
    out.push(r);
    onLayer?.(r, out.length, names.length);
  }
  return out;
}
