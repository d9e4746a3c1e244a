/**
 * Outlier channel splitting (OCS; Zhao et al. 2019, "Improving Neural Network Quantization
 * without Retraining using Outlier Channel Splitting"; survey §III-G2), on graphs of
 * `@lowbit/graph`. The equations are in docs/ptq-range-ocs-bn.md.
 *
 * A layer y = Σ_c W[:, c] ∗ x_c (Conv with group 1, or Gemm) is unchanged when input channel j
 * is duplicated and both copies of its weights are halved:
 *
 *     W[:, j] x_j = (W[:, j] / 2) x_j + (W[:, j] / 2) x_j                                 (O.1)
 *
 * Splitting the channel that holds the largest |w| moves that outlier toward the centre of the
 * weight distribution, so a per-tensor grid (whose step follows max |w|) gets finer for all
 * other weights. OCS repeats this ⌈r · C⌉ times per layer (r the expand ratio, C the input
 * channels), each time on the channel holding the current largest |w| (a channel may be split
 * again), and widens the layer's input to match (the indices of Eq. O.2):
 *
 *     x' = (x_0, …, x_{C−1}, x_{j_1}, …, x_{j_k})                                         (O.2)
 *
 * The input is widened without new ops when it comes from a Conv (group 1) or Gemm through
 * channelwise ops only (Relu, LeakyRelu, Clip, pools, …) with one reader each: that producer's
 * output channels are duplicated (the network grows by k channels, as in the paper). Otherwise
 * a `Gather` on the channel axis (indices of Eq. O.2) is inserted before the layer; the integer
 * runtime runs it on the codes. Halving is exact in float32, so the float function is unchanged
 * up to the order of the accumulation. The input graph is not modified.
 *
 * @example Split the 8.0 outlier of a 1×1 convolution's weight twice
 * ```ts
 * import { splitOutlierChannels } from "@lowbit/ptq/ocs";
 * import { runFloat } from "@lowbit/graph";
 * import { deepEqual, equal } from "node:assert/strict";
 * const g = {
 *   name: "g", opset: 13,
 *   inputs: [{ name: "x", dtype: "float32" as const, shape: [1, 2, 1, 1] }],
 *   outputs: [{ name: "y", dtype: "float32" as const, shape: [1, 1, 1, 1] }],
 *   nodes: [{ name: "conv", op: "Conv", inputs: ["x", "W"], outputs: ["y"], attrs: {} }],
 *   initializers: new Map([["W", { dtype: "float32" as const, shape: [1, 2, 1, 1], data: Float32Array.of(8, 1) }]]),
 *   values: new Map(),
 * };
 * const r = splitOutlierChannels(g, { expandRatio: 1 });
 * deepEqual(r.layers.map((l) => [l.splits, l.maxBefore, l.maxAfter, l.widenedBy]), [[2, 8, 4, "gather"]]);
 * const x = { data: Float32Array.of(0.5, 3), shape: [1, 2, 1, 1] };
 * equal(runFloat(r.graph, { x }).y.data[0], 7); // 8·0.5 + 1·3, as before
 * ```
 *
 * @module
 */

import { cloneGraph, type Graph, type GraphTensor, type Node } from "@lowbit/graph";
import { fresh, readers } from "./_graph_util.ts";

/** Options of {@linkcode splitOutlierChannels}. */
export interface OcsOptions {
  /** Splits per layer as a fraction r of its input channels, ⌈r · C⌉ (default 0.05); in (0, 1]. */
  expandRatio?: number;
  /**
   * Names of the layers to split (default: every Conv with group 1 and every Gemm whose weight
   * is a float32 initializer).
   */
  nodes?: readonly string[];
  /** Widen by duplicating the producer's output channels when possible (default true). */
  absorb?: boolean;
}

/** What {@linkcode splitOutlierChannels} did to one layer. */
export interface SplitLayer {
  /** The layer's node name. */
  node: string;
  /** Input channels before splitting. */
  channels: number;
  /** Channels added (⌈r · C⌉). */
  splits: number;
  /** The original input channel of each added channel, in order (Eq. O.2). */
  sources: number[];
  /** Largest |w| of the layer's weight before. */
  maxBefore: number;
  /** Largest |w| after. */
  maxAfter: number;
  /** `"gather"`, or the name of the layer whose output channels were duplicated. */
  widenedBy: string;
}

/** Result of {@linkcode splitOutlierChannels}. */
export interface OcsResult {
  /** The split graph (a new graph). */
  graph: Graph;
  /** The layers split, in graph order. */
  layers: SplitLayer[];
}

/** Ops that act on each channel alone with scalar parameters: widening passes through them. */
const CHANNELWISE = new Set([
  "Relu",
  "LeakyRelu",
  "Clip",
  "MaxPool",
  "AveragePool",
  "Identity",
  "Sigmoid",
  "Tanh",
  "HardSigmoid",
  "HardSwish",
  "Elu",
]);

/** A weight layer's geometry: input-channel column c holds w[o·inStride + c·k + t]. */
interface Geometry {
  w: GraphTensor;
  out: number;
  channels: number;
  /** Elements per (output, input) pair: kh·kw for Conv, 1 for Gemm. */
  k: number;
  /** Index of element t of (output o, input c). */
  at: (o: number, c: number, t: number, channels: number) => number;
}

function geometry(g: Graph, n: Node): Geometry | undefined {
  const w = g.initializers.get(n.inputs[1] ?? "");
  if (w === undefined || w.dtype !== "float32") return undefined;
  if (g.inputs.some((v) => v.name === n.inputs[1])) return undefined;
  if (n.op === "Conv") {
    const group = typeof n.attrs.group === "number" ? n.attrs.group : 1;
    if (group !== 1 || w.shape.length < 3) return undefined;
    const k = w.shape.slice(2).reduce((a, b) => a * b, 1);
    return {
      w,
      out: w.shape[0],
      channels: w.shape[1],
      k,
      at: (o, c, t, ch) => (o * ch + c) * k + t,
    };
  }
  if (n.op === "Gemm" && w.shape.length === 2 && n.attrs.transA !== 1) {
    if (n.attrs.transB === 1) {
      return { w, out: w.shape[0], channels: w.shape[1], k: 1, at: (o, c, _t, ch) => o * ch + c };
    }
    const out = w.shape[1];
    return { w, out, channels: w.shape[0], k: 1, at: (o, c) => c * out + o };
  }
  return undefined;
}

/** The split weight (Eq. O.1 repeated) and the source channel of each added column. */
function split(geo: Geometry, splits: number): { data: Float32Array; sources: number[] } {
  const { out, channels, k } = geo;
  const src = geo.w.data as Float32Array;
  const cols: Float32Array[] = [];
  const colMax: number[] = [];
  for (let c = 0; c < channels; c++) {
    const col = new Float32Array(out * k);
    let m = 0;
    for (let o = 0; o < out; o++) {
      for (let t = 0; t < k; t++) {
        const v = src[geo.at(o, c, t, channels)];
        col[o * k + t] = v;
        m = Math.max(m, Math.abs(v));
      }
    }
    cols.push(col);
    colMax.push(m);
  }
  const origin = cols.map((_, c) => c);
  for (let s = 0; s < splits; s++) {
    let j = 0;
    for (let c = 1; c < cols.length; c++) if (colMax[c] > colMax[j]) j = c;
    for (let i = 0; i < cols[j].length; i++) cols[j][i] /= 2;
    colMax[j] /= 2;
    cols.push(Float32Array.from(cols[j]));
    colMax.push(colMax[j]);
    origin.push(origin[j]);
  }
  const wide = cols.length;
  const data = new Float32Array(out * wide * k);
  for (let c = 0; c < wide; c++) {
    for (let o = 0; o < out; o++) {
      for (let t = 0; t < k; t++) data[geo.at(o, c, t, wide)] = cols[c][o * k + t];
    }
  }
  return { data, sources: origin.slice(channels) };
}

function maxAbs(a: Float32Array): number {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}

/** Rows (output channels) of a producer's weight and bias picked by `idx`. */
function duplicateOutputs(g: Graph, p: Node, idx: number[]): void {
  const geo = geometry(g, p) as Geometry;
  const src = geo.w.data as Float32Array;
  const { channels, k } = geo;
  const wide = idx.length;
  const data = new Float32Array(wide * channels * k);
  let shape: number[];
  if (p.op === "Conv" || p.attrs.transB === 1) {
    const row = channels * k;
    idx.forEach((o, r) => data.set(src.subarray(o * row, (o + 1) * row), r * row));
    shape = [wide, ...geo.w.shape.slice(1)];
  } else {
    for (let c = 0; c < channels; c++) {
      idx.forEach((o, r) => (data[c * wide + r] = src[c * geo.out + o]));
    }
    shape = [channels, wide];
  }
  const wName = fresh(g, `${p.inputs[1]}_ocs`);
  g.initializers.set(wName, { dtype: "float32", shape, data });
  const inputs = [...p.inputs];
  inputs[1] = wName;
  const b = p.inputs[2] ? g.initializers.get(p.inputs[2]) : undefined;
  if (b !== undefined) {
    const bData = Float32Array.from(idx, (o) => Number((b.data as Float32Array)[o]));
    const bName = fresh(g, `${p.inputs[2]}_ocs`);
    g.initializers.set(bName, { dtype: "float32", shape: [wide], data: bData });
    inputs[2] = bName;
  }
  replaceNode(g, p, { ...p, inputs });
}

function replaceNode(g: Graph, from: Node, to: Node): void {
  g.nodes = g.nodes.map((n) => (n === from ? to : n));
}

/** Drops initializers no node reads any more (the replaced weights). */
function dropUnread(g: Graph, names: Iterable<string>): void {
  const uses = readers(g);
  for (const name of names) {
    if (!uses.has(name) && !g.outputs.some((o) => o.name === name)) g.initializers.delete(name);
  }
}

/**
 * The producer layer whose output channels can be duplicated for `value` (through channelwise
 * ops with one reader each), with the values in between, or undefined.
 */
function absorber(g: Graph, value: string): { layer: Node; chain: string[] } | undefined {
  const uses = readers(g);
  const outputs = new Set(g.outputs.map((o) => o.name));
  const chain: string[] = [];
  let v = value;
  for (;;) {
    if (outputs.has(v) || (uses.get(v) ?? []).length !== 1) return undefined;
    chain.push(v);
    const p = g.nodes.find((n) => n.outputs.includes(v));
    if (p === undefined) return undefined;
    if (CHANNELWISE.has(p.op)) {
      if (p.outputs.filter((o) => o !== "").length !== 1) return undefined;
      v = p.inputs[0];
      continue;
    }
    const geo = geometry(g, p);
    if (geo === undefined) return undefined;
    for (const i of [1, 2]) {
      const name = p.inputs[i];
      if (name && (uses.get(name) ?? []).length !== 1) return undefined;
    }
    if (p.inputs[2] && !g.initializers.has(p.inputs[2])) return undefined;
    return { layer: p, chain };
  }
}

/**
 * Splits the outlier input channels of Conv (group 1) and Gemm layers (Eqs. O.1–O.2), keeping
 * the float function.
 *
 * @param graph A float graph with weights as float32 initializers (e.g. after `optimize`).
 * @param options Expand ratio, layers, absorption.
 * @returns The split graph and what was done per layer.
 * @throws {RangeError} If `options.expandRatio` is not in (0, 1], or a name in `options.nodes`
 *   is not a Conv with group 1 or a Gemm with a float32 initializer weight.
 *
 * @example A Gemm whose input comes from another Gemm through Relu: the producer widens
 * ```ts
 * import { splitOutlierChannels } from "@lowbit/ptq/ocs";
 * import type { Graph } from "@lowbit/graph";
 * import { equal } from "node:assert/strict";
 * const t = (shape: number[], v: number[]) => ({ dtype: "float32" as const, shape, data: Float32Array.from(v) });
 * const g: Graph = {
 *   name: "mlp", opset: 13,
 *   inputs: [{ name: "x", dtype: "float32" as const, shape: [1, 2] }],
 *   outputs: [{ name: "y", dtype: "float32" as const, shape: [1, 1] }],
 *   nodes: [
 *     { name: "fc1", op: "Gemm", inputs: ["x", "W1", "B1"], outputs: ["h"], attrs: { transB: 1 } },
 *     { name: "relu", op: "Relu", inputs: ["h"], outputs: ["r"], attrs: {} },
 *     { name: "fc2", op: "Gemm", inputs: ["r", "W2"], outputs: ["y"], attrs: { transB: 1 } },
 *   ],
 *   initializers: new Map([["W1", t([2, 2], [1, 0, 0, 1])], ["B1", t([2], [0, 0])], ["W2", t([1, 2], [-6, 1])]]),
 *   values: new Map(),
 * };
 * const r = splitOutlierChannels(g, { nodes: ["fc2"], expandRatio: 0.5 });
 * equal(r.layers[0].widenedBy, "fc1");
 * equal(r.graph.initializers.get(r.graph.nodes[0].inputs[1])!.shape[0], 3); // fc1 has 3 outputs
 * ```
 */
export function splitOutlierChannels(graph: Graph, options: OcsOptions = {}): OcsResult {
  const ratio = options.expandRatio ?? 0.05;
  if (!(ratio > 0 && ratio <= 1)) {
    throw new RangeError(`options.expandRatio must be in (0, 1]; got ${String(ratio)}`);
  }
  const g = cloneGraph(graph);
  const named = options.nodes;
  if (named !== undefined) {
    for (const name of named) {
      const n = g.nodes.find((x) => x.name === name);
      if (n === undefined || geometry(g, n) === undefined) {
        throw new RangeError(
          `options.nodes: "${name}" is not a Conv with group 1 or a Gemm with a float32 initializer weight`,
        );
      }
    }
  }
  const targets = g.nodes
    .filter((n) => (named === undefined ? geometry(g, n) !== undefined : named.includes(n.name)))
    .map((n) => n.name);
  const layers: SplitLayer[] = [];
  for (const name of targets) {
    const node = g.nodes.find((x) => x.name === name) as Node;
    const geo = geometry(g, node) as Geometry;
    const splits = Math.ceil(ratio * geo.channels);
    const { data, sources } = split(geo, splits);
    const wide = geo.channels + splits;
    const idx = [...Array(geo.channels).keys(), ...sources];
    const wName = fresh(g, `${node.inputs[1]}_ocs`);
    const shape = node.op === "Conv"
      ? [geo.out, wide, ...geo.w.shape.slice(2)]
      : node.attrs.transB === 1
      ? [geo.out, wide]
      : [wide, geo.out];
    g.initializers.set(wName, { dtype: "float32", shape, data });
    const inputs = [...node.inputs];
    inputs[1] = wName;
    const old = [node.inputs[1]];
    const found = options.absorb === false ? undefined : absorber(g, node.inputs[0]);
    let widenedBy = "gather";
    if (found !== undefined) {
      old.push(...found.layer.inputs.slice(1, 3).filter((v) => v !== ""));
      duplicateOutputs(g, found.layer, [...Array(geo.channels).keys()].concat(sources));
      widenedBy = found.layer.name;
      for (const v of found.chain) {
        const info = g.values.get(v);
        if (info?.shape !== undefined && info.shape.length >= 2) {
          const s = [...info.shape];
          s[1] = wide;
          g.values.set(v, { ...info, shape: s });
        }
      }
      replaceNode(g, node, { ...node, inputs });
    } else {
      const idxName = fresh(g, `${node.name}.ocs_indices`);
      g.initializers.set(idxName, {
        dtype: "int64",
        shape: [wide],
        data: BigInt64Array.from(idx, (i) => BigInt(i)),
      });
      const gathered = fresh(g, `${node.inputs[0]}_ocs`);
      const gather: Node = {
        name: fresh(g, `${node.name}.ocs_gather`),
        op: "Gather",
        inputs: [node.inputs[0], idxName],
        outputs: [gathered],
        attrs: { axis: 1 },
      };
      inputs[0] = gathered;
      const at = g.nodes.indexOf(node);
      g.nodes = [...g.nodes.slice(0, at), gather, { ...node, inputs }, ...g.nodes.slice(at + 1)];
    }
    dropUnread(g, old);
    layers.push({
      node: name,
      channels: geo.channels,
      splits,
      sources,
      maxBefore: maxAbs(geo.w.data as Float32Array),
      maxAfter: maxAbs(data),
      widenedBy,
    });
  }
  return { graph: g, layers };
}
