/**
 * Cross-layer equalization (CLE) and high-bias absorption of data-free quantization (Nagel et
 * al. 2019, "Data-Free Quantization Through Weight Equalization and Bias Correction"; white
 * paper Nagel et al. 2021 §4.1), on graphs of `@lowbit/graph`. The equations are in
 * docs/ptq-equalization.md.
 *
 * A pair is two weight layers `A → f → B` where every op of f is positively homogeneous per
 * channel (Relu, LeakyRelu, Clip(0, ∞), MaxPool, AveragePool, Identity; a bounded Clip(0, m)
 * such as ReLU6 too when `relu6` says how to carry it) and every value between them has one
 * reader. Scaling
 * output channel i of A by 1/s_i and input channel i of B by s_i leaves the function
 * unchanged (Eq. 1); CLE picks s_i = √(r_i⁽¹⁾ / r_i⁽²⁾) so both ranges become √(r_i⁽¹⁾ r_i⁽²⁾)
 * (Eq. 3), and sweeps all pairs until no s_i moves by more than `tolerance` (Eq. 4).
 * A is a Conv (any group) or Gemm; B is a Conv with group 1, a depthwise or grouped Conv,
 * or a Gemm; weights and biases must be float32 initializers used by that node only.
 *
 * @module
 */

import {
  cloneGraph,
  type Graph,
  type GraphTensor,
  type Node,
  runFloat,
  type TensorInput,
} from "@lowbit/graph";
import { fresh, readers } from "./_graph_util.ts";

/**
 * What to do with a bounded Clip(0, m) (ReLU6) between two layers, which is not positively
 * homogeneous: `"keep"` blocks the pair; `"relu"` replaces it by Relu (DFQ's choice for
 * MobileNetV2; it changes the float function wherever an activation exceeded m);
 * `"per-channel"` keeps the function exact by replacing it with a Min with the per-channel
 * bound m / S_c (S_c the total scale applied to channel c) followed by Relu.
 */
export type Relu6Mode = "keep" | "relu" | "per-channel";

/** Options of {@linkcode equalizeCrossLayer}. */
export interface EqualizeOptions {
  /** Bounded Clip handling (default `"keep"`); see {@linkcode Relu6Mode}. */
  relu6?: Relu6Mode;
  /** Most sweeps over all pairs (default 50). */
  maxIterations?: number;
  /** Stop when every |s_i − 1| of a sweep is below this (default 1e-4). */
  tolerance?: number;
}

/** One equalized pair. */
export interface EqualizedPair {
  /** Name of the first layer (its output channels are scaled by 1/s). */
  first: string;
  /** Name of the second layer (its input channels are scaled by s). */
  second: string;
  /** Ops between them, by name. */
  through: string[];
  /** Number of channels equalized. */
  channels: number;
  /**
   * Smallest per-channel precision min_i r_i / max_j r_j of the first layer's weight before
   * (docs/ptq-equalization.md Eq. 2; all-zero channels left out). CLE raises the two
   * layers' precisions together; one of them alone can fall.
   */
  precisionBefore: number;
  /** The same after equalization. */
  precisionAfter: number;
}

/** Result of {@linkcode equalizeCrossLayer}. */
export interface EqualizeResult {
  /** The equalized graph (a new graph; the input is not modified). */
  graph: Graph;
  /** The pairs found and equalized, in graph order. */
  pairs: EqualizedPair[];
  /** Sweeps done. */
  iterations: number;
}

const HOMOGENEOUS = new Set(["Relu", "LeakyRelu", "MaxPool", "AveragePool", "Identity"]);

/** A Conv or Gemm node's float32 weight and bias initializers (used by it alone). */
interface Layer {
  node: Node;
  w: Float32Array;
  shape: number[];
  b: Float32Array | undefined;
  /** Output channel count. */
  out: number;
  /** Input channel count. */
  in: number;
}

interface Pair {
  a: Layer;
  b: Layer;
  through: Node[];
}

function clipBounds(graph: Graph, n: Node): [number, number] | undefined {
  let lo = typeof n.attrs.min === "number" ? n.attrs.min : -Infinity;
  let hi = typeof n.attrs.max === "number" ? n.attrs.max : Infinity;
  for (const [i, set] of [[1, (v: number) => (lo = v)], [2, (v: number) => (hi = v)]] as const) {
    const name = n.inputs[i];
    if (name === undefined || name === "") continue;
    const t = graph.initializers.get(name);
    if (t === undefined || t.data.length !== 1) return undefined;
    set(Number(t.data[0]));
  }
  return [lo, hi];
}

/** Whether a node passes channel scaling through (and whether it is a ReLU6 to replace). */
function passKind(graph: Graph, n: Node, relu6: Relu6Mode): "pass" | "relu6" | undefined {
  if (HOMOGENEOUS.has(n.op)) return "pass";
  if (n.op === "Clip") {
    const b = clipBounds(graph, n);
    if (b === undefined || b[0] !== 0) return undefined;
    if (b[1] === Infinity) return "pass";
    if (b[1] > 0 && Number.isFinite(b[1]) && relu6 !== "keep") return "relu6";
  }
  return undefined;
}

function layerOf(graph: Graph, n: Node, uses: Map<string, Node[]>): Layer | undefined {
  if (n.op !== "Conv" && n.op !== "Gemm") return undefined;
  const own = (name: string | undefined) =>
    name !== undefined && name !== "" && (uses.get(name) ?? []).length === 1 &&
    !graph.inputs.some((v) => v.name === name);
  const wName = n.inputs[1];
  const w = graph.initializers.get(wName);
  if (w === undefined || w.dtype !== "float32" || !own(wName)) return undefined;
  const bName = n.inputs[2];
  let b: Float32Array | undefined;
  if (bName !== undefined && bName !== "") {
    const bt = graph.initializers.get(bName);
    if (bt === undefined || bt.dtype !== "float32" || !own(bName)) return undefined;
    b = bt.data as Float32Array;
  }
  if (n.op === "Conv") {
    if (w.shape.length < 3) return undefined;
    const group = typeof n.attrs.group === "number" ? n.attrs.group : 1;
    const out = w.shape[0];
    if (b !== undefined && b.length !== out) return undefined;
    return { node: n, w: w.data as Float32Array, shape: w.shape, b, out, in: w.shape[1] * group };
  }
  if (w.shape.length !== 2 || n.attrs.transA === 1) return undefined;
  const transB = n.attrs.transB === 1;
  const out = transB ? w.shape[0] : w.shape[1];
  if (b !== undefined && b.length !== out) return undefined;
  const alpha = typeof n.attrs.alpha === "number" ? n.attrs.alpha : 1;
  const beta = typeof n.attrs.beta === "number" ? n.attrs.beta : 1;
  if (alpha !== 1 || (b !== undefined && beta !== 1)) return undefined;
  return {
    node: n,
    w: w.data as Float32Array,
    shape: w.shape,
    b,
    out,
    in: transB ? w.shape[1] : w.shape[0],
  };
}

/** Calls `f(index)` for every weight element of output channel `c`. */
function forOutput(l: Layer, c: number, f: (i: number) => void): void {
  if (l.node.op === "Conv") {
    const inner = l.w.length / l.out;
    for (let i = c * inner; i < (c + 1) * inner; i++) f(i);
  } else if (l.node.attrs.transB === 1) {
    const k = l.shape[1];
    for (let i = c * k; i < (c + 1) * k; i++) f(i);
  } else {
    const n = l.shape[1];
    for (let i = c; i < l.w.length; i += n) f(i);
  }
}

/** Calls `f(index)` for every weight element reading input channel `c`. */
function forInput(l: Layer, c: number, f: (i: number) => void): void {
  forInputByOutput(l, c, (_o, i) => f(i));
}

function outputRanges(l: Layer): Float64Array {
  const r = new Float64Array(l.out);
  for (let c = 0; c < l.out; c++) forOutput(l, c, (i) => (r[c] = Math.max(r[c], Math.abs(l.w[i]))));
  return r;
}

function inputRanges(l: Layer): Float64Array {
  const r = new Float64Array(l.in);
  for (let c = 0; c < l.in; c++) forInput(l, c, (i) => (r[c] = Math.max(r[c], Math.abs(l.w[i]))));
  return r;
}

/** min_i r_i / max_j r_j over the channels with r_i > 0 (an all-zero channel is exact). */
function precision(r: Float64Array): number {
  let lo = Infinity, hi = 0;
  for (const v of r) if (v > 0) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
  return hi === 0 ? 1 : lo / hi;
}

/** Pairs A → f → B of the graph (weights copied so the caller may scale them). */
function findPairs(graph: Graph, relu6: Relu6Mode): Pair[] {
  const uses = readers(graph);
  const outs = new Set(graph.outputs.map((o) => o.name));
  const pairs: Pair[] = [];
  for (const n of graph.nodes) {
    const a = layerOf(graph, n, uses);
    if (a === undefined || n.outputs.length !== 1) continue;
    let v = n.outputs[0];
    const through: Node[] = [];
    let b: Layer | undefined;
    for (let steps = 0; steps < 8; steps++) {
      const rs = uses.get(v) ?? [];
      if (outs.has(v) || rs.length !== 1) break;
      const r = rs[0];
      if (r.inputs[0] !== v || r.inputs.slice(1).includes(v)) break;
      const lb = layerOf(graph, r, uses);
      if (lb !== undefined) {
        if (lb.in === a.out) b = lb;
        break;
      }
      if (passKind(graph, r, relu6) === undefined || r.outputs.length < 1) break;
      through.push(r);
      v = r.outputs[0];
    }
    if (b !== undefined) pairs.push({ a, b, through });
  }
  return pairs;
}

/**
 * Equalizes the per-channel weight ranges of every consecutive layer pair (DFQ §4.1).
 *
 * @param graph A float graph, batch norms folded (e.g. by `optimize` of `@lowbit/graph`).
 * @param options ReLU6 handling, sweep limits.
 * @returns The equalized graph, the pairs and the sweep count.
 * @throws {RangeError} For `maxIterations` < 1 or a `tolerance` that is not positive.
 *
 * @example Two 1×1 convolutions whose channel ranges differ 100× end with equal ranges
 * ```ts
 * import { equalizeCrossLayer } from "@lowbit/ptq/equalize";
 * import { tensor, type Graph } from "@lowbit/graph/ir";
 * import { runFloat } from "@lowbit/graph/executor";
 * import { deepEqual, ok } from "node:assert/strict";
 * const g: Graph = { name: "g", opset: 13, values: new Map(),
 *   initializers: new Map([["w1", tensor("float32", [2, 1, 1, 1], [100, 1])], ["w2", tensor("float32", [1, 2, 1, 1], [1, 1])]]),
 *   inputs: [{ name: "x", dtype: "float32", shape: [1, 1, 1, 1] }],
 *   outputs: [{ name: "y", dtype: "float32", shape: [1, 1, 1, 1] }],
 *   nodes: [
 *     { name: "a", op: "Conv", inputs: ["x", "w1"], outputs: ["h"], attrs: {} },
 *     { name: "relu", op: "Relu", inputs: ["h"], outputs: ["r"], attrs: {} },
 *     { name: "b", op: "Conv", inputs: ["r", "w2"], outputs: ["y"], attrs: {} },
 *   ] };
 * const { graph, pairs } = equalizeCrossLayer(g);
 * deepEqual(pairs.map((p) => [p.first, p.second, p.through]), [["a", "b", ["relu"]]]);
 * deepEqual([...graph.initializers.get("w1")!.data], [10, 1]); // √(100·1), √(1·1)
 * deepEqual([...graph.initializers.get("w2")!.data], [10, 1]);
 * const x = { data: Float32Array.of(2), shape: [1, 1, 1, 1] };
 * ok(Math.abs(Number(runFloat(graph, { x }).y.data[0]) - 202) < 1e-4); // 2·100·1 + 2·1·1
 * ```
 */
export function equalizeCrossLayer(graph: Graph, options: EqualizeOptions = {}): EqualizeResult {
  const maxIterations = options.maxIterations ?? 50;
  const tolerance = options.tolerance ?? 1e-4;
  if (!Number.isInteger(maxIterations) || maxIterations < 1) {
    throw new RangeError(`options.maxIterations must be an integer ≥ 1, got ${maxIterations}`);
  }
  if (!(tolerance > 0)) {
    throw new RangeError(`options.tolerance must be positive, got ${tolerance}`);
  }
  const relu6 = options.relu6 ?? "keep";
  if (relu6 !== "keep" && relu6 !== "relu" && relu6 !== "per-channel") {
    throw new RangeError(
      `options.relu6 must be "keep", "relu" or "per-channel", got ${String(relu6)}`,
    );
  }
  const g = cloneGraph(graph);
  // Private copies of every weight and bias that takes part, so scaling never aliases.
  for (const n of g.nodes) {
    for (const i of [1, 2]) {
      const name = n.inputs[i];
      const t = name ? g.initializers.get(name) : undefined;
      if (t !== undefined && t.dtype === "float32") {
        g.initializers.set(name, {
          ...t,
          shape: [...t.shape],
          data: Float32Array.from(t.data as Float32Array),
        });
      }
    }
  }
  const pairs = findPairs(g, relu6);
  const before = pairs.map((p) => precision(outputRanges(p.a)));
  const total = pairs.map((p) => new Float64Array(p.a.out).fill(1)); // S_c per pair
  let iterations = 0;
  for (; iterations < maxIterations;) {
    iterations++;
    let moved = 0;
    for (const [k, { a, b }] of pairs.entries()) {
      const r1 = outputRanges(a), r2 = inputRanges(b);
      for (let c = 0; c < a.out; c++) {
        if (!(r1[c] > 0) || !(r2[c] > 0)) continue;
        const s = Math.sqrt(r1[c] / r2[c]);
        if (!Number.isFinite(s)) continue;
        moved = Math.max(moved, Math.abs(s - 1));
        total[k][c] *= s;
        forOutput(a, c, (i) => (a.w[i] = a.w[i] / s));
        if (a.b !== undefined) a.b[c] = a.b[c] / s;
        forInput(b, c, (i) => (b.w[i] = b.w[i] * s));
      }
    }
    if (moved < tolerance) break;
  }
  // Bounded clips inside equalized pairs: Relu, and for "per-channel" a Min with m / S_c.
  const rewrite = new Map<Node, Node[]>();
  pairs.forEach((p, k) => {
    for (const n of p.through) {
      if (passKind(g, n, relu6) !== "relu6") continue;
      const relu: Node = { ...n, op: "Relu", inputs: [n.inputs[0]], attrs: {} };
      if (relu6 === "relu") {
        rewrite.set(n, [relu]);
        continue;
      }
      const m = (clipBounds(g, n) as [number, number])[1];
      const rank = p.a.node.op === "Conv" ? p.a.shape.length : 2;
      const shape = Array.from({ length: rank }, (_, i) => (i === 1 ? p.a.out : 1));
      const bound = fresh(g, `${n.name}.per_channel_max`);
      g.initializers.set(bound, {
        dtype: "float32",
        shape,
        data: Float32Array.from(total[k], (s) => m / s),
      });
      // Min first, so every value the quantizer observes after it is bounded: Relu(Min(z, b))
      // equals Min(Relu(z), b) for b ≥ 0.
      const mid = fresh(g, `${n.name}.min`);
      rewrite.set(n, [{
        name: mid,
        op: "Min",
        inputs: [n.inputs[0], bound],
        outputs: [mid],
        attrs: {},
      }, { ...relu, inputs: [mid] }]);
    }
  });
  g.nodes = g.nodes.flatMap((n) => rewrite.get(n) ?? [n]);
  return {
    graph: g,
    iterations,
    pairs: pairs.map((p, k) => ({
      first: p.a.node.name,
      second: p.b.node.name,
      through: p.through.map((n) => n.name),
      channels: p.a.out,
      precisionBefore: before[k],
      precisionAfter: precision(outputRanges(p.a)),
    })),
  };
}

/** Options of {@linkcode absorbHighBias}. */
export interface AbsorbOptions {
  /** Standard deviations below the mean that stay absorbed (DFQ: 3). Default 3. */
  sigmas?: number;
}

/** Result of {@linkcode absorbHighBias}. */
export interface AbsorbResult {
  /** The graph with biases moved. */
  graph: Graph;
  /** Per pair: first layer, second layer, total |c| moved. */
  absorbed: { first: string; second: string; amount: number }[];
}

/**
 * High-bias absorption (DFQ §4.1.1, docs/ptq-equalization.md Eq. 5–6): for a pair
 * A → ReLU → B, moves c_i = max(0, μ_i − k·σ_i) (μ, σ: mean and standard deviation of A's
 * output channel i over the calibration samples, k = `sigmas`) from A's bias into B's:
 * b_A,i −= c_i, b_B += W_B·c. Exact where A's output stays above c_i; only pairs whose
 * B has no padding (a padded tap reads 0, not c) and whose path is a single Relu (or an
 * unbounded Clip) are used.
 *
 * @param graph A float graph (e.g. after {@linkcode equalizeCrossLayer}).
 * @param samples Calibration inputs (at least one).
 * @param options k.
 * @returns The new graph and what moved.
 * @throws {RangeError} With no samples or a `sigmas` that is negative or not finite.
 *
 * @example A constant input: everything above 0 moves into the second layer's bias
 * ```ts
 * import { absorbHighBias } from "@lowbit/ptq/equalize";
 * import { tensor, type Graph } from "@lowbit/graph/ir";
 * import { runFloat } from "@lowbit/graph/executor";
 * import { deepEqual, equal } from "node:assert/strict";
 * const g: Graph = { name: "g", opset: 13, values: new Map(),
 *   initializers: new Map([["w1", tensor("float32", [1, 1], [1])], ["b1", tensor("float32", [1], [5])],
 *     ["w2", tensor("float32", [1, 1], [2])], ["b2", tensor("float32", [1], [0])]]),
 *   inputs: [{ name: "x", dtype: "float32", shape: [1, 1] }],
 *   outputs: [{ name: "y", dtype: "float32", shape: [1, 1] }],
 *   nodes: [
 *     { name: "a", op: "Gemm", inputs: ["x", "w1", "b1"], outputs: ["h"], attrs: {} },
 *     { name: "relu", op: "Relu", inputs: ["h"], outputs: ["r"], attrs: {} },
 *     { name: "b", op: "Gemm", inputs: ["r", "w2", "b2"], outputs: ["y"], attrs: {} },
 *   ] };
 * const x = { data: Float32Array.of(1), shape: [1, 1] };
 * const out = absorbHighBias(g, [{ x }]);
 * deepEqual([...out.graph.initializers.get("b1")!.data, ...out.graph.initializers.get("b2")!.data], [-1, 12]);
 * equal(runFloat(out.graph, { x }).y.data[0], 12); // = 2·relu(1 + 5)
 * ```
 */
export function absorbHighBias(
  graph: Graph,
  samples: readonly Record<string, TensorInput>[],
  options: AbsorbOptions = {},
): AbsorbResult {
  if (!Array.isArray(samples) || samples.length === 0) {
    throw new RangeError("samples must hold at least one calibration input");
  }
  const k = options.sigmas ?? 3;
  if (!Number.isFinite(k) || k < 0) {
    throw new RangeError(`options.sigmas must be a finite number ≥ 0, got ${k}`);
  }
  const g = cloneGraph(graph);
  const pairs = findPairs(g, "keep").filter((p) =>
    p.through.length === 1 && (p.through[0].op === "Relu" ||
      (p.through[0].op === "Clip" && clipBounds(g, p.through[0])?.[1] === Infinity)) &&
    !hasPadding(p.b.node)
  );
  // Channel statistics of each A's output.
  const stats = new Map<string, { s: Float64Array; s2: Float64Array; n: number }>();
  for (const p of pairs) {
    stats.set(p.a.node.outputs[0], {
      s: new Float64Array(p.a.out),
      s2: new Float64Array(p.a.out),
      n: 0,
    });
  }
  for (const sample of samples) {
    runFloat(g, sample, {
      onNode: (node, outs) => {
        const st = stats.get(node.outputs[0]);
        if (st === undefined) return;
        accumulate(st, outs[0], node.op === "Conv" ? 1 : outs[0].shape.length - 1);
      },
    });
  }
  const absorbed: AbsorbResult["absorbed"] = [];
  for (const p of pairs) {
    const st = stats.get(p.a.node.outputs[0]);
    if (st === undefined || st.n === 0) continue;
    const c = new Float64Array(p.a.out);
    for (let i = 0; i < p.a.out; i++) {
      const mu = st.s[i] / st.n;
      const sd = Math.sqrt(Math.max(0, st.s2[i] / st.n - mu * mu));
      c[i] = Math.max(0, mu - k * sd);
    }
    if (c.every((v) => v === 0)) continue;
    const aBias = ensureBias(g, p.a);
    const bBias = ensureBias(g, p.b);
    let amount = 0;
    for (let i = 0; i < p.a.out; i++) {
      if (c[i] === 0) continue;
      aBias[i] -= c[i];
      amount += c[i];
      // b_B[o] += Σ_taps W_B[o, i, taps]·c_i, per output o of B
      forInputByOutput(p.b, i, (o, wi) => (bBias[o] += p.b.w[wi] * c[i]));
    }
    absorbed.push({ first: p.a.node.name, second: p.b.node.name, amount });
  }
  return { graph: g, absorbed };
}

/** A name not used by any value, initializer or node of the graph. */
function hasPadding(n: Node): boolean {
  if (n.op !== "Conv") return false;
  const autoPad = n.attrs.auto_pad;
  if (typeof autoPad === "string" && autoPad !== "NOTSET" && autoPad !== "VALID") return true;
  const pads = n.attrs.pads;
  return Array.isArray(pads) && pads.some((v) => v !== 0);
}

function accumulate(
  st: { s: Float64Array; s2: Float64Array; n: number },
  t: GraphTensor,
  axis: number,
): void {
  const d = t.data as Float32Array;
  const c = t.shape[axis];
  const inner = t.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  for (let i = 0; i < d.length; i++) {
    const ch = Math.floor(i / inner) % c;
    st.s[ch] += d[i];
    st.s2[ch] += d[i] * d[i];
  }
  st.n += d.length / c;
}

/** The layer's bias as a writable array, creating a zero bias initializer when it has none. */
function ensureBias(g: Graph, l: Layer): Float32Array {
  const name = l.node.inputs[2];
  if (name !== undefined && name !== "") {
    const t = g.initializers.get(name) as GraphTensor;
    const copy = Float32Array.from(t.data as Float32Array);
    g.initializers.set(name, { ...t, data: copy });
    l.b = copy;
    return copy;
  }
  let fresh = `${l.node.name}.absorbed_bias`;
  for (let i = 1; g.initializers.has(fresh); i++) fresh = `${l.node.name}.absorbed_bias_${i}`;
  const data = new Float32Array(l.out);
  g.initializers.set(fresh, { dtype: "float32", shape: [l.out], data });
  const node = g.nodes.find((n) => n.name === l.node.name) as Node;
  const inputs = [...node.inputs];
  inputs[2] = fresh;
  const updated = { ...node, inputs };
  g.nodes = g.nodes.map((n) => (n === node ? updated : n));
  l.node = updated;
  l.b = data;
  return data;
}

/** Calls `f(output channel, index)` for every weight element reading input channel `c`. */
function forInputByOutput(l: Layer, c: number, f: (o: number, i: number) => void): void {
  if (l.node.op === "Conv") {
    const [o, cpg] = l.shape;
    const k = l.w.length / (o * cpg);
    const group = l.in / cpg;
    const opg = o / group;
    const g = Math.floor(c / cpg), j = c % cpg;
    for (let oc = g * opg; oc < (g + 1) * opg; oc++) {
      const base = (oc * cpg + j) * k;
      for (let t = 0; t < k; t++) f(oc, base + t);
    }
  } else if (l.node.attrs.transB === 1) {
    const [n, k] = l.shape;
    for (let r = 0; r < n; r++) f(r, r * k + c);
  } else {
    const n = l.shape[1];
    for (let r = 0; r < n; r++) f(r, c * n + r);
  }
}
