/**
 * The post-training quantization debugging flow of the white paper (Nagel et al. 2021, "A
 * White Paper on Neural Network Quantization", §4.8 and its Fig. 8), as one measured report:
 *
 * 1. the float model and the whole model quantized (W`bits`A8);
 * 2. weights only and activations only, to see which of the two limits the metric;
 * 3. layer-wise analysis: every weight layer quantized alone with everything else float —
 *    its weight alone, its output activation (and that of its activation function) alone,
 *    and both — built from the float graph with the whole-model calibration grids;
 * 4. the layers that limit the metric, and for each the fixes of the flow tried one at a
 *    time on the whole quantized model — per-channel weights, a higher weight bit width for
 *    that layer, cross-layer equalization, another range setting (percentile, MSE) for the
 *    layer's output, keeping it in float (`float: true` overrides) — each with the metric
 *    gain it measurably brings.
 *
 * The metric is the output SQNR against the float graph in dB (Eq. 7 of
 * docs/ptq-zeroq-and-debugging.md) unless a metric function (e.g. test accuracy) is given.
 *
 * @module
 */

import { addQdqPair } from "./_qdq.ts";
import {
  cloneGraph,
  type Graph,
  type Node,
  type QuantGrid,
  runFloat,
  type TensorInput,
} from "@lowbit/graph";
import { equalizeCrossLayer, type EqualizeOptions } from "./equalize.ts";
import { type NodeOverride, type ObserverName, quantizeStatic } from "./static.ts";
import { weightCodeRange, weightInput, withQuantizedWeights } from "./weights.ts";
import { weightSensitivity } from "./weight_sensitivity.ts";

/** A fix the report tries for a limiting layer. */
export type PtqFixKind =
  | "per-channel"
  | "higher-bits"
  | "cle"
  | "observer-percentile"
  | "observer-mse"
  | "float";

/** Options of {@linkcode ptqDebugReport}. */
export interface PtqDebugOptions {
  /** Weight bit width b in 2..8 (default 8); activations are 8-bit (uint8 affine). */
  bits?: number;
  /** Weight granularity of the baseline (default `"per-tensor"`, the flow's starting point). */
  granularity?: "per-tensor" | "per-channel";
  /** Activation observer of the baseline (default `"minmax"`). */
  observer?: ObserverName;
  /** Samples for the default SQNR metric (default: the calibration samples). */
  evaluation?: readonly Record<string, TensorInput>[];
  /**
   * A metric of a graph, higher is better (e.g. test accuracy); replaces the output SQNR.
   * It is called on the float graph too.
   */
  metric?: (graph: Graph) => number;
  /** Name of the metric in the rendering (default `"SQNR (dB)"`, or `"metric"`). */
  metricName?: string;
  /** Restrict the layer-wise analysis to these nodes (default: every weight layer). */
  layers?: readonly string[];
  /**
   * A layer limits the metric when its degradation alone is at least this fraction of the
   * worst layer's (default 0.5).
   */
  threshold?: number;
  /** Most limiting layers to try fixes on (default 3). */
  maxFixLayers?: number;
  /**
   * Smallest gain (in metric units) for a fix to be suggested (default 0.1: 0.1 dB, or 0.1
   * points of an accuracy in percent). Keeping the layer in float is suggested only when no
   * quantized fix reaches it.
   */
  minGain?: number;
  /** Options of the CLE fix (default `{ relu6: "per-channel" }`). */
  equalize?: EqualizeOptions;
  /** Called with a short description of each quantized model measured. */
  onProgress?: (step: string) => void;
}

/** One layer of the layer-wise analysis. */
export interface LayerSensitivity {
  /** Node name. */
  node: string;
  /** Op type. */
  op: string;
  /** Metric with only this layer quantized (its weight and its input/output activations). */
  combined: number;
  /** Metric with only this layer's weight quantized. */
  weights: number;
  /** Metric with only this layer's output activation quantized (undefined without a grid). */
  activation: number | undefined;
  /**
   * Degradation of `combined` (Eq. 8): relative noise power 10^(−SQNR/10) for the SQNR
   * metric, float metric − metric otherwise.
   */
  degradation: number;
  /** Whether the layer limits the metric (degradation ≥ threshold × the worst, Eq. 10). */
  limiting: boolean;
}

/** A fix tried on the whole quantized model. */
export interface FixTrial {
  /** The fix. */
  fix: PtqFixKind;
  /** What was changed. */
  description: string;
  /** Metric of the whole quantized model with the fix. */
  metric: number;
  /** metric − the baseline's whole-model metric (Eq. 11). */
  gain: number;
  /**
   * How to apply it: `quantizeStatic(equalize ? equalizeCrossLayer(graph, options.equalize)
   * .graph : graph, samples, { weights: { bits, granularity }, activations: { observer },
   * nodes })` with the report's baseline options.
   */
  apply: { nodes: Record<string, NodeOverride>; equalize: boolean };
}

/** The fixes tried for one limiting layer. */
export interface LayerDiagnosis {
  /** Node name. */
  node: string;
  /** Whether the layer's weight (`"weights"`) or output activation limits it more. */
  limitedBy: "weights" | "activation";
  /** The fixes tried, best first. */
  fixes: FixTrial[];
  /**
   * The best quantized fix if it gains at least `minGain`; else `"float"` (keep the layer in
   * higher precision) if that does; else undefined.
   */
  suggestion: FixTrial | undefined;
  /**
   * Metric of the whole quantized model with this layer and its activation function kept in
   * float (its weight and output unquantized): the most any fix of this layer can give.
   */
  floatLayer: number;
}

/** The report of {@linkcode ptqDebugReport}. */
export interface PtqDebugReport {
  /** Metric name. */
  metricName: string;
  /** Weight bits and granularity of the baseline. */
  bits: number;
  /** Baseline weight granularity. */
  granularity: "per-tensor" | "per-channel";
  /** Metric of the float graph (∞ for SQNR). */
  float: number;
  /** Metric of the whole model quantized (`quantizeStatic` with the baseline options). */
  full: number;
  /** Metric with all weights quantized, activations float. */
  weightsOnly: number;
  /** Metric with all activations quantized, weights float. */
  activationsOnly: number;
  /** Which of weights and activations limits the metric (factor 2 between degradations, Eq. 9). */
  limitedBy: "weights" | "activations" | "both" | "none";
  /** Layers, most harmful first. */
  layers: LayerSensitivity[];
  /** Names of the limiting layers, most harmful first. */
  limiting: string[];
  /** Fix trials of the limiting layers (at most `maxFixLayers`). */
  diagnoses: LayerDiagnosis[];
}

/** The graph with QuantizeLinear → DequantizeLinear inserted on each value of `grids`. */
function withQuantizedActivations(g: Graph, grids: ReadonlyMap<string, QuantGrid>): Graph {
  const out = cloneGraph(g);
  const outputs = new Set(out.outputs.map((o) => o.name));
  const rename = new Map<string, string>();
  const qdq = (v: string, src: string, dst: string, grid: QuantGrid): Node[] =>
    addQdqPair(out, `${v}_debug`, src, dst, grid);
  const list: Node[] = [];
  for (const i of out.inputs) {
    const grid = grids.get(i.name);
    if (grid === undefined || outputs.has(i.name)) continue;
    list.push(...qdq(i.name, i.name, `${i.name}_debug_dequantized`, grid));
    rename.set(i.name, `${i.name}_debug_dequantized`);
  }
  for (const n of out.nodes) {
    const node: Node = { ...n, inputs: n.inputs.map((v) => rename.get(v) ?? v) };
    const after: Node[] = [];
    node.outputs = n.outputs.map((v) => {
      const grid = grids.get(v);
      if (grid === undefined) return v;
      if (outputs.has(v)) {
        after.push(...qdq(v, `${v}_debug_float`, v, grid));
        return `${v}_debug_float`;
      }
      after.push(...qdq(v, v, `${v}_debug_dequantized`, grid));
      rename.set(v, `${v}_debug_dequantized`);
      return v;
    });
    list.push(node, ...after);
  }
  out.nodes = list;
  return out;
}

/** Activation functions folded into the preceding layer's output on integer hardware. */
const ACTIVATIONS = new Set([
  "Relu",
  "Clip",
  "LeakyRelu",
  "Sigmoid",
  "Tanh",
  "HardSigmoid",
  "HardSwish",
]);

/**
 * A layer's output activations: its output and, while the value has exactly one reader that
 * is an activation function, that function's output (Conv → Relu: both values).
 */
function outputChain(g: Graph, node: Node): string[] {
  const chain: string[] = [];
  let v = node.outputs[0];
  while (v !== undefined && v !== "") {
    chain.push(v);
    const readers = g.nodes.filter((n) => n.inputs.includes(v));
    if (readers.length !== 1 || !ACTIVATIONS.has(readers[0].op)) break;
    v = readers[0].outputs[0];
  }
  return chain;
}

/** Activation grids of a QDQ graph from `quantizeStatic`, for values of the float graph. */
function gridsOf(q: Graph, g: Graph): Map<string, QuantGrid> {
  const names = new Set<string>(g.inputs.map((i) => i.name));
  for (const n of g.nodes) for (const o of n.outputs) names.add(o);
  const grids = new Map<string, QuantGrid>();
  for (const v of names) {
    const info = q.values.get(v);
    if (info?.quant !== undefined && info.dtype === "float32") grids.set(v, info.quant);
  }
  return grids;
}

/** Output SQNR in dB (Eq. 7) of `q` against the float outputs, over all samples and outputs. */
function sqnrMetric(
  g: Graph,
  samples: readonly Record<string, TensorInput>[],
): (q: Graph) => number {
  const ref = samples.map((s) => runFloat(g, s));
  const names = g.outputs.map((o) => o.name);
  return (q: Graph) => {
    let signal = 0, noise = 0;
    samples.forEach((s, k) => {
      const y = runFloat(q, s);
      for (const name of names) {
        const a = ref[k][name].data, b = y[name].data;
        for (let i = 0; i < a.length; i++) {
          const x = Number(a[i]);
          signal += x * x;
          noise += (x - Number(b[i])) ** 2;
        }
      }
    });
    return noise === 0 ? Infinity : 10 * Math.log10(signal / noise);
  };
}

/**
 * Runs the white paper's PTQ debugging flow (Fig. 8) on a float graph and returns a measured
 * report: the float and whole-model metrics, weights-only and activations-only, the layers
 * ranked by the damage each does when quantized alone, the layers that limit the metric, and
 * for each the fixes tried with their measured gains. {@linkcode formatPtqDebugReport}
 * renders it as Markdown.
 *
 * @param float The float graph (batch norms folded, weights as initializers).
 * @param samples Calibration samples (also the SQNR evaluation samples unless `evaluation`).
 * @param options Bits, granularity, metric, evaluation samples, layer selection, thresholds.
 * @returns The report.
 * @throws {RangeError} Naming `samples` when there is no calibration sample, `bits` when it is
 *   not an integer in [2, 8], `evaluation` when it is empty, `threshold` outside (0, 1] or
 *   `maxFixLayers` below 0.
 * @throws {TypeError} Naming `options.layers` for a node that is not a weight layer.
 *
 * @example Channel 0 of `a` is 1000× larger and `b` reads it with 1000× smaller weights: `b`'s
 * per-tensor weight cannot hold both ranges, the report names `b` and CLE (which moves the
 * scale back) is the fix that helps most

 * ```ts
 * import { ptqDebugReport } from "@lowbit/ptq/debug";
 * import { tensor, type Graph } from "@lowbit/graph";
 * import { deepEqual, equal, ok } from "node:assert/strict";
 * const g: Graph = { name: "g", opset: 13, values: new Map(),
 *   initializers: new Map([
 *     ["wa", tensor("float32", [2, 2], [1000, 1000, 0.5, -0.3])],
 *     ["wb", tensor("float32", [2, 2], [0.001, 1, -0.002, 0.8])]]),
 *   inputs: [{ name: "x", dtype: "float32", shape: [1, 2] }],
 *   outputs: [{ name: "y", dtype: "float32", shape: [1, 2] }],
 *   nodes: [
 *     { name: "a", op: "Gemm", inputs: ["x", "wa"], outputs: ["h"], attrs: { transB: 1 } },
 *     { name: "relu", op: "Relu", inputs: ["h"], outputs: ["r"], attrs: {} },
 *     { name: "b", op: "Gemm", inputs: ["r", "wb"], outputs: ["y"], attrs: { transB: 1 } },
 *   ] };
 * const samples = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => ({
 *   x: { data: Float32Array.of(Math.sin(i), Math.cos(3 * i)), shape: [1, 2] },
 * }));
 * const r = await ptqDebugReport(g, samples);
 * equal(r.layers[0].node, "b");
 * deepEqual(r.limiting, ["b"]);
 * const fix = r.diagnoses[0].suggestion;
 * equal(fix?.fix, "cle");
 * ok(fix.gain > 20); // dB, on the whole quantized model
 * ```
 */
export async function ptqDebugReport(
  float: Graph,
  samples: readonly Record<string, TensorInput>[],
  options: PtqDebugOptions = {},
): Promise<PtqDebugReport> {
  if (!Array.isArray(samples) || samples.length === 0) {
    throw new RangeError("samples must hold at least one calibration sample");
  }
  const bits = options.bits ?? 8;
  if (typeof bits !== "number" || !Number.isInteger(bits) || bits < 2 || bits > 8) {
    throw new RangeError(`bits must be an integer in [2, 8], got ${String(bits)}`);
  }
  weightCodeRange({ bits });
  const granularity = options.granularity ?? "per-tensor";
  if (granularity !== "per-tensor" && granularity !== "per-channel") {
    throw new RangeError(
      `granularity must be "per-tensor" or "per-channel", got ${String(granularity)}`,
    );
  }
  const threshold = options.threshold ?? 0.5;
  if (!(threshold > 0 && threshold <= 1)) {
    throw new RangeError(`threshold must be in (0, 1], got ${threshold}`);
  }
  const minGain = options.minGain ?? 0.1;
  if (!(minGain >= 0)) throw new RangeError(`minGain must be ≥ 0, got ${minGain}`);
  const maxFixLayers = options.maxFixLayers ?? 3;
  if (!Number.isInteger(maxFixLayers) || maxFixLayers < 0) {
    throw new RangeError(`maxFixLayers must be an integer ≥ 0, got ${maxFixLayers}`);
  }
  const evaluation = options.evaluation ?? samples;
  if (options.metric === undefined && evaluation.length === 0) {
    throw new RangeError("evaluation must hold at least one sample");
  }
  const g = cloneGraph(float);
  const weightLayers = g.nodes.filter((n) => weightInput(n, g) !== undefined).map((n) => n.name);
  const layerNames = options.layers ?? weightLayers;
  for (const name of layerNames) {
    if (!weightLayers.includes(name)) {
      throw new TypeError(
        `options.layers: ${name} is not a Conv/Gemm/MatMul node with a float32 weight`,
      );
    }
  }
  const sqnr = options.metric === undefined;
  const metric = options.metric ?? sqnrMetric(g, evaluation);
  const metricName = options.metricName ?? (sqnr ? "SQNR (dB)" : "metric");
  const progress = options.onProgress ?? (() => {});
  const floatMetric = sqnr ? Infinity : metric(g);
  // Eq. 8.
  const degradation = (m: number): number =>
    sqnr ? (m === Infinity ? 0 : 10 ** (-m / 10)) : floatMetric - m;
  const observer = options.observer ?? "minmax";
  const base = { weights: { bits, granularity }, activations: { observer } } as const;
  const quantize = (graph: Graph, nodes: Record<string, NodeOverride> = {}) =>
    quantizeStatic(graph, samples, { ...base, nodes });
  const measure = (what: string, q: Graph): number => {
    const m = metric(q);
    progress(`${what}: ${m.toFixed(3)}`);
    return m;
  };

  // (a) The whole model; (b) weights only and activations only.
  const fullGraph = await quantize(g);
  const full = measure("whole model", fullGraph);
  const grids = gridsOf(fullGraph, g);
  const weightsOnly = measure(
    "weights only",
    withQuantizedWeights(g, new Set(weightLayers), { bits, granularity }),
  );
  const activationsOnly = measure("activations only", withQuantizedActivations(g, grids));
  const dW = degradation(weightsOnly), dA = degradation(activationsOnly);
  const tiny = 1e-12;
  // Eq. 9.
  const limitedBy = dW <= tiny && dA <= tiny
    ? "none"
    : dW > 2 * dA
    ? "weights"
    : dA > 2 * dW
    ? "activations"
    : "both";

  // (c) Layer-wise analysis: the layer's weight, then its output activations, then both.
  const weightAlone = new Map(
    weightSensitivity(g, metric, {
      bits,
      granularity,
      layers: layerNames,
      onLayer: (l) => progress(`${l.node} weight alone: ${l.metric.toFixed(3)}`),
    }).map((l) => [l.node, l.metric]),
  );
  const layers: LayerSensitivity[] = [];
  const chains = new Map<string, string[]>();
  for (const name of layerNames) {
    const node = g.nodes.find((n) => n.name === name) as Node;
    const chain = outputChain(g, node);
    chains.set(name, chain);
    const own = new Map<string, QuantGrid>();
    for (const v of chain) {
      const grid = grids.get(v);
      if (grid !== undefined) own.set(v, grid);
    }
    const weights = weightAlone.get(name) as number;
    const activation = own.size === 0
      ? undefined
      : measure(`${name} output alone`, withQuantizedActivations(g, own));
    const combined = own.size === 0 ? weights : measure(
      `${name} alone`,
      withQuantizedActivations(
        withQuantizedWeights(g, new Set([name]), { bits, granularity }),
        own,
      ),
    );
    layers.push({
      node: name,
      op: node.op,
      combined,
      weights,
      activation,
      degradation: degradation(combined),
      limiting: false,
    });
  }
  layers.sort((a, b) => b.degradation - a.degradation);
  const worst = layers[0]?.degradation ?? 0;
  // Eq. 10.
  for (const l of layers) l.limiting = l.degradation > tiny && l.degradation >= threshold * worst;
  const limiting = layers.filter((l) => l.limiting).map((l) => l.node);

  // (d) Fixes, each tried on the whole model.
  let equalized: Graph | undefined;
  let equalizedPairs: { first: string; second: string }[] = [];
  const diagnoses: LayerDiagnosis[] = [];
  for (const l of layers.filter((x) => x.limiting).slice(0, maxFixLayers)) {
    const fixes: FixTrial[] = [];
    const trial = async (
      fix: PtqFixKind,
      description: string,
      nodes: Record<string, NodeOverride>,
      equalize = false,
    ): Promise<void> => {
      const q = await quantize(equalize ? equalized as Graph : g, nodes);
      const m = measure(`${l.node}: ${description}`, q);
      fixes.push({ fix, description, metric: m, gain: m - full, apply: { nodes, equalize } }); // Eq. 11
    };
    if (granularity === "per-tensor") {
      await trial(
        "per-channel",
        `per-channel weights for ${l.node}`,
        { [l.node]: { weights: { bits, granularity: "per-channel" } } },
      );
    }
    if (bits < 8) {
      await trial(
        "higher-bits",
        `8-bit weights for ${l.node}`,
        { [l.node]: { weights: { bits: 8, granularity } } },
      );
    }
    if (equalized === undefined) {
      const r = equalizeCrossLayer(g, options.equalize ?? { relu6: "per-channel" });
      equalized = r.graph;
      equalizedPairs = r.pairs;
    }
    const pairs = equalizedPairs.filter((p) => p.first === l.node || p.second === l.node);
    if (pairs.length > 0) {
      await trial(
        "cle",
        `cross-layer equalization before quantizing (${
          pairs.map((p) => `${p.first} → ${p.second}`).join(", ")
        } among ${equalizedPairs.length} pairs)`,
        {},
        true,
      );
    }
    if (l.activation !== undefined) {
      const producers = (chains.get(l.node) ?? []).map((v) =>
        g.nodes.find((n) => n.outputs[0] === v)?.name ?? ""
      );
      for (const obs of ["percentile", "mse"] as const) {
        if (obs === observer) continue;
        const nodes: Record<string, NodeOverride> = {};
        for (const p of producers) nodes[p] = { observer: obs };
        await trial(
          `observer-${obs}`,
          `${obs} range for the output of ${l.node}`,
          nodes,
        );
      }
    }
    const keep: Record<string, NodeOverride> = {};
    for (const v of chains.get(l.node) ?? []) {
      const p = g.nodes.find((n) => n.outputs[0] === v);
      if (p !== undefined) keep[p.name] = { float: true, floatOutputs: true };
    }
    await trial("float", `keep ${l.node} and its output in float (higher precision)`, keep);
    const floatLayer = fixes[fixes.length - 1].metric;
    fixes.sort((a, b) => b.gain - a.gain);
    const act = l.activation === undefined ? 0 : degradation(l.activation);
    const best = fixes.find((f) => f.fix !== "float" && f.gain >= minGain) ??
      fixes.find((f) => f.fix === "float" && f.gain >= minGain);
    diagnoses.push({
      node: l.node,
      limitedBy: degradation(l.weights) >= act ? "weights" : "activation",
      fixes,
      suggestion: best,
      floatLayer,
    });
  }
  return {
    metricName,
    bits,
    granularity,
    float: floatMetric,
    full,
    weightsOnly,
    activationsOnly,
    limitedBy,
    layers,
    limiting,
    diagnoses,
  };
}

function num(v: number | undefined): string {
  if (v === undefined) return "–";
  if (v === Infinity) return "∞";
  return v.toFixed(2);
}

/**
 * Renders a {@linkcode PtqDebugReport} as Markdown: summary lines, the layer table (worst
 * first) and the fixes of each limiting layer with their gains.
 *
 * @param r The report.
 * @returns Markdown text.
 *
 * @example
 * ```ts
 * import { formatPtqDebugReport, type PtqDebugReport } from "@lowbit/ptq/debug";
 * import { ok } from "node:assert/strict";
 * const r: PtqDebugReport = { metricName: "SQNR (dB)", bits: 8, granularity: "per-tensor",
 *   float: Infinity, full: 20, weightsOnly: 21, activationsOnly: 40, limitedBy: "weights",
 *   layers: [{ node: "a", op: "Gemm", combined: 21, weights: 21.5, activation: 45,
 *     degradation: 0.0079, limiting: true }],
 *   limiting: ["a"],
 *   diagnoses: [{ node: "a", limitedBy: "weights", floatLayer: 39,
 *     fixes: [{ fix: "per-channel", description: "per-channel weights for a", metric: 35, gain: 15,
 *       apply: { nodes: { a: { weights: { granularity: "per-channel" } } }, equalize: false } }],
 *     suggestion: undefined }] };
 * r.diagnoses[0].suggestion = r.diagnoses[0].fixes[0];
 * const md = formatPtqDebugReport(r);
 * ok(md.includes("| a | Gemm | 21.00 | 21.50 | 45.00 | yes |"));
 * ok(md.includes("suggested: per-channel weights for a (+15.00)"));
 * ```
 */
export function formatPtqDebugReport(r: PtqDebugReport): string {
  const lines = [
    `## PTQ debug report: W${r.bits}A8, ${r.granularity} weights, metric ${r.metricName}`,
    "",
    `- float: ${num(r.float)}`,
    `- whole model quantized: ${num(r.full)}`,
    `- weights only: ${num(r.weightsOnly)}; activations only: ${num(r.activationsOnly)} ` +
    `→ limited by ${r.limitedBy}`,
    `- limiting layers: ${r.limiting.length > 0 ? r.limiting.join(", ") : "none"}`,
    "",
    "| layer | op | alone | weight alone | output alone | limiting |",
    "|---|---|---|---|---|---|",
    ...r.layers.map((l) =>
      `| ${l.node} | ${l.op} | ${num(l.combined)} | ${num(l.weights)} | ${num(l.activation)} | ${
        l.limiting ? "yes" : "no"
      } |`
    ),
  ];
  for (const d of r.diagnoses) {
    lines.push(
      "",
      `### ${d.node} (limited by its ${d.limitedBy}; whole model with ${d.node} in float: ${
        num(d.floatLayer)
      })`,
      "",
      ...d.fixes.map((f) =>
        `- ${f.description}: ${num(f.metric)} (${f.gain >= 0 ? "+" : ""}${num(f.gain)})`
      ),
      d.suggestion === undefined
        ? "- no fix tried here improves the metric by the minimum gain"
        : `- suggested: ${d.suggestion.description} (+${num(d.suggestion.gain)})`,
    );
  }
  return lines.join("\n") + "\n";
}
