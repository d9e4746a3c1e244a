/**
 * Analytic (data-free) bias correction of DFQ (Nagel et al. 2019, §4.2): the expected error a
 * quantized weight adds to a layer's output, E[ε x] = ε E[x], computed without data from the
 * batch norm that precedes the layer. If the layer's input is z = BN(·) (optionally through
 * ReLU or ReLU6), DFQ treats z_c as Gaussian with the BN's shift β_c and scale |γ_c|, which
 * gives E[x_c] in closed form (docs/ptq-equalization.md Eq. 9–10):
 *
 *     identity: E[x_c] = β_c
 *     ReLU:     E[x_c] = g(β_c, |γ_c|),  g(μ, σ) = μ Φ(μ/σ) + σ φ(μ/σ)
 *     Clip(0,m): E[x_c] = g(β_c, |γ_c|) − g(β_c − m, |γ_c|)
 *
 * The graph's batch norms are then folded and every such layer's bias is lowered by
 * Σ_c,taps ε[o, c, taps] E[x_c] with ε = Q(W) − W for the weight options that
 * {@linkcode quantizeStatic} will use, so quantizing the returned float graph with the same
 * options gives corrected biases. Padded taps read zeros, not E[x]; like DFQ, the correction
 * ignores that border effect.
 *
 * @module
 */

import {
  eliminateDeadCode,
  foldBatchNorm,
  type Graph,
  type GraphTensor,
  type Node,
} from "@lowbit/graph";
import { erf } from "@lowbit/nn/ops";
import { quantizeWeight, type WeightQuantOptions } from "./weights.ts";

/** Options of {@linkcode analyticBiasCorrection}. */
export interface AnalyticBiasCorrectionOptions {
  /** The weight grid `quantizeStatic` will use (default int8 per-channel). */
  weights?: WeightQuantOptions;
}

/** Result of {@linkcode analyticBiasCorrection}. */
export interface AnalyticBiasCorrectionResult {
  /** The float graph, batch norms folded, biases corrected. */
  graph: Graph;
  /** Per corrected layer: its name, the activation before it and the largest |correction|. */
  corrections: { node: string; activation: "identity" | "relu" | "clip"; maxShift: number }[];
}

const SQRT2 = Math.SQRT2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * E[max(0, z)] for z ~ N(μ, σ²) (docs/ptq-equalization.md Eq. 10).
 *
 * @param mu Mean μ.
 * @param sigma Standard deviation σ ≥ 0.
 * @returns μ Φ(μ/σ) + σ φ(μ/σ) (max(μ, 0) when σ = 0).
 *
 * @example The standard normal's positive part has mean 1/√(2π)
 * ```ts
 * import { expectedRelu } from "@lowbit/ptq/analytic-bias-correction";
 * import { ok } from "node:assert/strict";
 * ok(Math.abs(expectedRelu(0, 1) - 1 / Math.sqrt(2 * Math.PI)) < 1e-7);
 * ok(Math.abs(expectedRelu(-3, 0) - 0) < 1e-12);
 * ```
 */
export function expectedRelu(mu: number, sigma: number): number {
  if (!(sigma > 0)) return Math.max(mu, 0);
  const t = mu / sigma;
  return mu * 0.5 * (1 + erf(t / SQRT2)) + sigma * INV_SQRT_2PI * Math.exp(-0.5 * t * t);
}

function f32(g: Graph, name: string | undefined): Float32Array | undefined {
  if (name === undefined || name === "") return undefined;
  const t = g.initializers.get(name);
  return t?.dtype === "float32" ? (t.data as Float32Array) : undefined;
}

function clipMax(g: Graph, n: Node): number | undefined {
  let lo = typeof n.attrs.min === "number" ? n.attrs.min : -Infinity;
  let hi = typeof n.attrs.max === "number" ? n.attrs.max : Infinity;
  const a = f32(g, n.inputs[1]), b = f32(g, n.inputs[2]);
  if (a) lo = a[0];
  if (b) hi = b[0];
  return lo === 0 ? hi : undefined;
}

/**
 * Folds the graph's batch norms and corrects the bias of every Conv/Gemm that reads a batch
 * norm's output (directly or through ReLU/Clip(0, m)) for the expected error of its quantized
 * weight.
 *
 * @param graph A float graph with BatchNormalization nodes (e.g. `fromNn` of an nn model).
 * @param options The weight grid.
 * @returns The folded, corrected graph and the corrections.
 * @throws {TypeError} When the graph has no BatchNormalization node (naming `graph`).
 *
 * @example BN(β = 1, γ = 2) → Conv 1×1 with weight 0.3 at 2 bits (grid 0.3: no error) and 0.25
 * ```ts
 * import { analyticBiasCorrection } from "@lowbit/ptq/analytic-bias-correction";
 * import { tensor, type Graph } from "@lowbit/graph/ir";
 * import { ok } from "node:assert/strict";
 * const f = (v: number[]) => tensor("float32", [v.length], v);
 * const g: Graph = { name: "g", opset: 13, values: new Map(),
 *   initializers: new Map([["s", f([2])], ["b", f([1])], ["m", f([0])], ["v", f([1])],
 *     ["w", tensor("float32", [2, 1, 1, 1], [0.3, 0.25])], ["c", f([0, 0])]]),
 *   inputs: [{ name: "x", dtype: "float32", shape: [1, 1, 2, 2] }],
 *   outputs: [{ name: "y", dtype: "float32", shape: [1, 2, 2, 2] }],
 *   nodes: [
 *     { name: "bn", op: "BatchNormalization", inputs: ["x", "s", "b", "m", "v"], outputs: ["z"], attrs: { epsilon: 0 } },
 *     { name: "conv", op: "Conv", inputs: ["z", "w", "c"], outputs: ["y"], attrs: {} },
 *   ] };
 * // per-tensor 2-bit grid {−0.3, 0, 0.3}: ε = [0, 0.3 − 0.25]; E[z] = β = 1
 * const r = analyticBiasCorrection(g, { weights: { bits: 2, granularity: "per-tensor" } });
 * const conv = r.graph.nodes.find((n) => n.name === "conv")!;
 * const bias = r.graph.initializers.get(conv.inputs[2])!.data as Float32Array;
 * ok(Math.abs(bias[0]) < 1e-7 && Math.abs(bias[1] + 0.05) < 1e-6);
 * ```
 */
export function analyticBiasCorrection(
  graph: Graph,
  options: AnalyticBiasCorrectionOptions = {},
): AnalyticBiasCorrectionResult {
  const bns = graph.nodes.filter((n) => n.op === "BatchNormalization");
  if (bns.length === 0) {
    throw new TypeError("graph has no BatchNormalization node: analytic bias correction needs one");
  }
  const producer = new Map<string, Node>();
  for (const n of graph.nodes) for (const o of n.outputs) producer.set(o, n);
  // E[x] per channel for every layer whose input comes from a BN (through an activation).
  const expected = new Map<string, { e: Float64Array; activation: "identity" | "relu" | "clip" }>();
  for (const n of graph.nodes) {
    if (n.op !== "Conv" && n.op !== "Gemm") continue;
    let p = producer.get(n.inputs[0]);
    let activation: "identity" | "relu" | "clip" = "identity";
    let m = Infinity;
    if (p?.op === "Relu") {
      activation = "relu";
      p = producer.get(p.inputs[0]);
    } else if (p?.op === "Clip") {
      const hi = clipMax(graph, p);
      if (hi === undefined) continue;
      activation = hi === Infinity ? "relu" : "clip";
      m = hi;
      p = producer.get(p.inputs[0]);
    }
    if (p?.op !== "BatchNormalization") continue;
    const gamma = f32(graph, p.inputs[1]), beta = f32(graph, p.inputs[2]);
    if (!gamma || !beta) continue;
    const e = new Float64Array(gamma.length);
    for (let c = 0; c < e.length; c++) {
      const mu = beta[c], sigma = Math.abs(gamma[c]);
      e[c] = activation === "identity"
        ? mu
        : activation === "relu"
        ? expectedRelu(mu, sigma)
        : expectedRelu(mu, sigma) - expectedRelu(mu - m, sigma);
    }
    expected.set(n.name, { e, activation });
  }
  const g = eliminateDeadCode(foldBatchNorm(graph));
  const corrections: AnalyticBiasCorrectionResult["corrections"] = [];
  g.nodes = g.nodes.map((n) => {
    const ex = expected.get(n.name);
    const w = ex && g.initializers.get(n.inputs[1]);
    if (ex === undefined || w === undefined || w.dtype !== "float32") return n;
    const gemm = n.op === "Gemm";
    if (gemm && (n.attrs.transA === 1 || (n.attrs.alpha ?? 1) !== 1)) return n;
    const axis = n.op === "Conv" ? 0 : n.attrs.transB === 1 ? 0 : 1;
    const q = quantizeWeight(w, axis, options.weights);
    const shift = weightErrorTimesMean(n, w, q.codes, q.scale, ex.e);
    if (shift === undefined) return n;
    const out = shift.length;
    const bName = n.inputs[2];
    const old = bName ? f32(g, bName) : undefined;
    const beta = gemm && typeof n.attrs.beta === "number" ? n.attrs.beta : 1;
    const bias = new Float32Array(out);
    for (let o = 0; o < out; o++) bias[o] = (old ? old[o] * beta : 0) - shift[o];
    let name = `${n.name}.bias_corrected`;
    for (let i = 1; g.initializers.has(name); i++) name = `${n.name}.bias_corrected_${i}`;
    g.initializers.set(name, { dtype: "float32", shape: [out], data: bias });
    corrections.push({
      node: n.name,
      activation: ex.activation,
      maxShift: shift.reduce((a, v) => Math.max(a, Math.abs(v)), 0),
    });
    const inputs = [...n.inputs];
    while (inputs.length < 3) inputs.push("");
    inputs[2] = name;
    return { ...n, inputs, attrs: gemm ? { ...n.attrs, beta: 1 } : n.attrs };
  });
  return { graph: eliminateDeadCode(g), corrections };
}

/** Σ_c,taps (Q(W) − W)[o, c, taps] · E[x_c] per output o, or undefined on a shape mismatch. */
function weightErrorTimesMean(
  n: Node,
  w: GraphTensor,
  codes: GraphTensor,
  scale: GraphTensor,
  e: Float64Array,
): Float64Array | undefined {
  const d = w.data as Float32Array, q = codes.data as Int8Array, s = scale.data as Float32Array;
  if (n.op === "Conv") {
    const [o, cpg] = w.shape;
    const taps = d.length / (o * cpg);
    const group = e.length / cpg;
    if (!Number.isInteger(group) || o % group !== 0) return undefined;
    const opg = o / group;
    const out = new Float64Array(o);
    for (let oc = 0; oc < o; oc++) {
      const sc = s.length === 1 ? s[0] : s[oc];
      const g0 = Math.floor(oc / opg) * cpg;
      for (let j = 0; j < cpg; j++) {
        for (let t = 0; t < taps; t++) {
          const i = (oc * cpg + j) * taps + t;
          out[oc] += (q[i] * sc - d[i]) * e[g0 + j];
        }
      }
    }
    return out;
  }
  const transB = n.attrs.transB === 1;
  const [r, c] = w.shape;
  const nOut = transB ? r : c, k = transB ? c : r;
  if (k !== e.length) return undefined;
  const out = new Float64Array(nOut);
  for (let a = 0; a < r; a++) {
    for (let b = 0; b < c; b++) {
      const oc = transB ? a : b, ic = transB ? b : a;
      const sc = s.length === 1 ? s[0] : s[oc];
      const i = a * c + b;
      out[oc] += (q[i] * sc - d[i]) * e[ic];
    }
  }
  return out;
}
