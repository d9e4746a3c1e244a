/**
 * Empirical bias correction (Nagel et al. 2019, DFQ §4.2; white paper Nagel et al. 2021 §4.2),
 * on a QDQ graph written by {@linkcode quantizeStatic} (or any graph whose Conv/Gemm read
 * DequantizeLinear'd int weights and activations). Quantization error shifts the mean of a
 * layer's output: E[ỹ] ≠ E[y]. For every such layer, in topological order, the per-channel
 * shift over the calibration samples
 *
 *     Δ_c = E[ỹ_c] − E[y_c]                                  (docs/ptq-equalization.md Eq. 7)
 *
 * is subtracted from its int32 bias codes (rounded to the bias grid s_x · s_w,c):
 *
 *     b̃_c ← b̃_c − round(Δ_c / (s_x s_w,c))                  (Eq. 8)
 *
 * ỹ comes from the quantized graph with every earlier layer already corrected, so the
 * correction is sequential: a layer does not correct a shift its predecessors have already
 * removed, and it does correct what quantizing the activations before it added. The samples
 * are run node by node (all samples through one node, then the next), so each layer's
 * correction reaches the layers after it in a single pass over the graph.
 *
 * @module
 */

import {
  bindInput,
  cloneGraph,
  FLOAT_OPS,
  type Graph,
  type GraphTensor,
  type Node,
  runFloat,
  type TensorInput,
  topologicalOrder,
} from "@lowbit/graph";

/** Options of {@linkcode correctBias}. */
export interface BiasCorrectionOptions {
  /** Correct only these layers (node names); default every eligible Conv and Gemm. */
  nodes?: readonly string[];
  /** Called after each corrected layer with its name, the count so far and the total. */
  onProgress?: (node: string, done: number, total: number) => void;
}

/** What one layer's correction did. */
export interface BiasCorrection {
  /** The Conv or Gemm node. */
  node: string;
  /** Largest |Δ_c| over channels before the correction (output units). */
  maxShift: number;
  /** Mean |Δ_c| over channels before the correction. */
  meanShift: number;
  /** Largest |Δ_c| left after it (at most half a bias step per channel). */
  maxShiftAfter: number;
}

/** Result of {@linkcode correctBias}. */
export interface BiasCorrectionResult {
  /** The corrected quantized graph (new; the input is not modified). */
  graph: Graph;
  /** One entry per corrected layer, in topological order. */
  corrections: BiasCorrection[];
}

interface Target {
  node: Node;
  axis: number;
  /** Bias step per channel, s_x · s_w,c. */
  step: Float32Array;
  /** The bias codes (a private copy in the output graph). */
  codes: Int32Array;
  /** Float-graph sum and count per channel. */
  sum: Float64Array;
  count: number;
}

function scalarScale(g: Graph, dq: Node | undefined): number | undefined {
  if (dq === undefined || dq.op !== "DequantizeLinear") return undefined;
  const s = g.initializers.get(dq.inputs[1]);
  return s !== undefined && s.data.length === 1 ? Number(s.data[0]) : undefined;
}

/**
 * Corrects the biases of a quantized graph so each layer's per-channel output mean matches the
 * float graph's on the calibration samples.
 *
 * @param float The float graph the quantized one was made from (same node names).
 * @param quant The QDQ graph.
 * @param samples Calibration inputs (at least one).
 * @param options Layers to correct, progress callback.
 * @returns The corrected graph and one report per layer.
 * @throws {RangeError} With no samples or a named layer that is not eligible.
 *
 * @example A weight rounded down by a quarter step gets its mean back through the bias
 * ```ts
 * import { correctBias } from "@lowbit/ptq/bias-correction";
 * import { quantizeStatic } from "@lowbit/ptq/static";
 * import { tensor, type Graph } from "@lowbit/graph/ir";
 * import { runFloat } from "@lowbit/graph/executor";
 * import { ok } from "node:assert/strict";
 * const float: Graph = { name: "g", opset: 13, values: new Map(),
 *   initializers: new Map([["w", tensor("float32", [1, 2], [1, 0.0123])], ["b", tensor("float32", [1], [0])]]),
 *   inputs: [{ name: "x", dtype: "float32", shape: [1, 2] }],
 *   outputs: [{ name: "y", dtype: "float32", shape: [1, 1] }],
 *   nodes: [{ name: "fc", op: "Gemm", inputs: ["x", "w", "b"], outputs: ["y"], attrs: { transB: 1 } }] };
 * const samples = [1, 2, 3, 4].map((v) => ({ x: { data: Float32Array.of(1, 10 * v), shape: [1, 2] } }));
 * const quant = await quantizeStatic(float, samples, { weights: { dtype: "int4" } });
 * const mean = (g: Graph) => samples.reduce((a, s) => a + Number(runFloat(g, s).y.data[0]), 0) / samples.length;
 * const { graph, corrections } = correctBias(float, quant, samples);
 * ok(Math.abs(mean(quant) - mean(float)) > 0.1);
 * ok(Math.abs(mean(graph) - mean(float)) < 0.02);
 * ok(corrections[0].maxShiftAfter < corrections[0].maxShift);
 * ```
 */
export function correctBias(
  float: Graph,
  quant: Graph,
  samples: readonly Record<string, TensorInput>[],
  options: BiasCorrectionOptions = {},
): BiasCorrectionResult {
  if (!Array.isArray(samples) || samples.length === 0) {
    throw new RangeError("samples must hold at least one calibration input");
  }
  const g = cloneGraph(quant);
  const producer = new Map<string, Node>();
  for (const n of g.nodes) for (const o of n.outputs) if (o !== "") producer.set(o, n);
  const floatNodes = new Map(float.nodes.map((n) => [n.name, n]));
  const wanted = options.nodes === undefined ? undefined : new Set(options.nodes);
  const targets = new Map<string, Target>(); // by quant node name
  const floatValue = new Map<string, Target>(); // float output value → target
  for (const n of [...g.nodes]) {
    if ((n.op !== "Conv" && n.op !== "Gemm") || (wanted && !wanted.has(n.name))) continue;
    const f = floatNodes.get(n.name);
    const t = f && eligible(g, n, producer, f);
    if (t === undefined || f === undefined) {
      if (wanted) {
        throw new RangeError(
          `options.nodes: ${n.name} has no quantized weight, input and float twin`,
        );
      }
      continue;
    }
    targets.set(n.name, t);
    floatValue.set(f.outputs[0], t);
  }
  if (wanted) {
    for (const name of wanted) {
      if (!targets.has(name)) throw new RangeError(`options.nodes: no Conv or Gemm named ${name}`);
    }
  }
  // 1. Float means per channel.
  for (const s of samples) {
    runFloat(float, s, {
      onNode: (node, outs) => {
        const t = floatValue.get(node.outputs[0]);
        if (t !== undefined) t.count += addChannelSums(outs[0], t.axis, t.sum);
      },
    });
  }
  // 2. The quantized graph, node by node over all samples, correcting as it goes.
  const order = topologicalOrder(g);
  const envs = samples.map((s) => {
    const env = new Map<string, GraphTensor>(g.initializers);
    for (const info of g.inputs) {
      if (g.initializers.has(info.name) && s[info.name] === undefined) continue;
      env.set(info.name, bindInput(info, s[info.name]));
    }
    return env;
  });
  const lastUse = new Map<string, number>();
  order.forEach((n, i) => n.inputs.forEach((v) => lastUse.set(v, i)));
  const keep = new Set(g.outputs.map((o) => o.name));
  const ctx = { opset: g.opset };
  const corrections: BiasCorrection[] = [];
  order.forEach((node, i) => {
    const kernel = FLOAT_OPS[node.op];
    if (kernel === undefined) {
      throw new RangeError(`quant: unsupported op ${node.op} at node ${node.name}`);
    }
    const outs = envs.map((env) =>
      kernel.run(node, node.inputs.map((v) => (v === "" ? undefined : env.get(v))), ctx)
    );
    const t = targets.get(node.name);
    if (t !== undefined) {
      corrections.push(correct(t, outs.map((o) => o[0])));
      options.onProgress?.(node.name, corrections.length, targets.size);
    }
    envs.forEach((env, k) => {
      node.outputs.forEach((name, j) => name !== "" && env.set(name, outs[k][j]));
      for (const v of node.inputs) {
        if (lastUse.get(v) === i && !keep.has(v) && !g.initializers.has(v)) env.delete(v);
      }
    });
  });
  return { graph: g, corrections };
}

/** Adds per-channel sums of `t` along `axis` into `sum`; returns the elements per channel. */
function addChannelSums(t: GraphTensor, axis: number, sum: Float64Array): number {
  const d = t.data as Float32Array;
  const c = t.shape[axis];
  const inner = t.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  for (let i = 0; i < d.length; i++) sum[Math.floor(i / inner) % c] += d[i];
  return d.length / c;
}

function correct(t: Target, outs: GraphTensor[]): BiasCorrection {
  const c = t.sum.length;
  const qs = new Float64Array(c);
  let count = 0;
  for (const o of outs) count += addChannelSums(o, t.axis, qs);
  const shift = new Int32Array(c);
  let maxShift = 0, meanShift = 0, maxAfter = 0;
  for (let ch = 0; ch < c; ch++) {
    const delta = qs[ch] / count - t.sum[ch] / t.count;
    const k = Math.round(delta / t.step[ch]);
    const next = Math.min(2 ** 31 - 1, Math.max(-(2 ** 31) + 1, t.codes[ch] - k));
    shift[ch] = t.codes[ch] - next;
    t.codes[ch] = next;
    maxShift = Math.max(maxShift, Math.abs(delta));
    meanShift += Math.abs(delta) / c;
    maxAfter = Math.max(maxAfter, Math.abs(delta - shift[ch] * t.step[ch]));
  }
  // The outputs already computed move with the bias, so later layers see corrected inputs.
  for (const o of outs) {
    const d = o.data as Float32Array;
    const inner = o.shape.slice(t.axis + 1).reduce((a, b) => a * b, 1);
    for (let i = 0; i < d.length; i++) {
      const ch = Math.floor(i / inner) % c;
      if (shift[ch] !== 0) d[i] -= shift[ch] * t.step[ch];
    }
  }
  return { node: t.node.name, maxShift, meanShift, maxShiftAfter: maxAfter };
}

/** A correctable layer: int weight and activation through DequantizeLinear, a float twin. */
function eligible(
  g: Graph,
  n: Node,
  producer: Map<string, Node>,
  f: Node,
): Target | undefined {
  if (f.op !== n.op || f.outputs.length < 1) return undefined;
  if (n.op === "Gemm") {
    const alpha = typeof n.attrs.alpha === "number" ? n.attrs.alpha : 1;
    const beta = typeof n.attrs.beta === "number" ? n.attrs.beta : 1;
    if (alpha !== 1 || beta !== 1 || n.attrs.transA === 1) return undefined;
  }
  const wDq = producer.get(n.inputs[1]);
  const wCodes = wDq?.op === "DequantizeLinear" ? g.initializers.get(wDq.inputs[0]) : undefined;
  if (wDq === undefined || wCodes === undefined || wCodes.dtype === "float32") return undefined;
  const sx = scalarScale(g, producer.get(n.inputs[0]));
  const sw = g.initializers.get(wDq.inputs[1]);
  if (sx === undefined || sw === undefined) return undefined;
  const channels = n.op === "Conv"
    ? wCodes.shape[0]
    : n.attrs.transB === 1
    ? wCodes.shape[0]
    : wCodes.shape[1];
  if (sw.data.length !== 1 && sw.data.length !== channels) return undefined;
  const swAt = (c: number) => Number(sw.data[sw.data.length === 1 ? 0 : c]);
  const axis = 1; // channels of a Conv output [N, C, …] and of a Gemm output [M, N]
  const bName = n.inputs[2];
  let codes: Int32Array;
  let step: Float32Array;
  if (bName !== undefined && bName !== "") {
    const bDq = producer.get(bName);
    const bt = bDq?.op === "DequantizeLinear" ? g.initializers.get(bDq.inputs[0]) : undefined;
    const bs = bDq && g.initializers.get(bDq.inputs[1]);
    if (bDq === undefined || bt === undefined || bt.dtype !== "int32" || bs === undefined) {
      return undefined;
    }
    if (bt.data.length !== channels || (bs.data.length !== 1 && bs.data.length !== channels)) {
      return undefined;
    }
    const zp = bDq.inputs[2] ? g.initializers.get(bDq.inputs[2]) : undefined;
    if (zp !== undefined && Array.from(zp.data as Int32Array).some((z) => Number(z) !== 0)) {
      return undefined;
    }
    codes = Int32Array.from(bt.data as Int32Array);
    g.initializers.set(bDq.inputs[0], { ...bt, data: codes });
    step = Float32Array.from(
      { length: channels },
      (_, c) => Number(bs.data[bs.data.length === 1 ? 0 : c]),
    );
  } else {
    // No bias: add int32 zero codes on the grid s_x · s_w,c, dequantized for the node.
    step = Float32Array.from({ length: channels }, (_, c) => Math.fround(sx * swAt(c)));
    codes = new Int32Array(channels);
    let base = `${n.name}_bias`;
    for (let i = 1; g.initializers.has(`${base}_quantized`); i++) base = `${n.name}_bias_${i}`;
    g.initializers.set(`${base}_quantized`, { dtype: "int32", shape: [channels], data: codes });
    g.initializers.set(`${base}_scale`, { dtype: "float32", shape: [channels], data: step });
    g.initializers.set(`${base}_zero_point`, {
      dtype: "int32",
      shape: [channels],
      data: new Int32Array(channels),
    });
    const dq: Node = {
      name: `${base}_DequantizeLinear`,
      op: "DequantizeLinear",
      inputs: [`${base}_quantized`, `${base}_scale`, `${base}_zero_point`],
      outputs: [`${base}_dequantized`],
      attrs: { axis: 0 },
    };
    const inputs = [...n.inputs];
    while (inputs.length < 3) inputs.push("");
    inputs[2] = `${base}_dequantized`;
    const updated: Node = { ...n, inputs };
    // (the graph's node list is a copy; the caller iterates over a snapshot of it)
    g.nodes = g.nodes.flatMap((m) => (m === n ? [dq, updated] : [m]));
    producer.set(dq.outputs[0], dq);
    return { node: updated, axis, step, codes, sum: new Float64Array(channels), count: 0 };
  }
  return { node: n, axis, step, codes, sum: new Float64Array(channels), count: 0 };
}
