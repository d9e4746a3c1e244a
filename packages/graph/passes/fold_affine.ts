/**
 * Affine folding: a constant per-channel (or scalar) `Mul` or `Add` next to a Conv or Gemm is
 * folded into that op's weight and bias, so a quantizer sees one linear op instead of a chain
 * of three that would each be requantized. PaddlePaddle's exporters write such chains for
 * PP-LCNetV3's "learnable affine blocks" (`Conv → Mul(a) → Add(b)` and `act → Mul(a) →
 * Add(b) → Conv`). With `c` the output channel (axis 0 of a Conv weight, the N axis of a
 * Gemm's):
 *
 * - after the op: `Mul(k)`: w'_c = w_c · k_c, b'_c = b_c · k_c; `Add(d)`: b'_c = b_c + d_c.
 * - before a Conv or Gemm (the constant is a scalar): `Mul(a)`: w' = a · w, exact for any
 *   padding since a · 0 = 0; `Add(d)`: b'_c = b_c + d · Σ w_c, only when the Conv has no
 *   padding (a padded tap reads 0, not d, so the fold would be wrong at the borders).
 *
 * The constant must be float32 and broadcast only along the channel axis: shape `[]`, `[1]`,
 * `[C, 1, 1]` or `[1, C, 1, 1]` for a Conv output (rank 4), `[N]` or `[1, N]` for a Gemm
 * output. The intermediate value must have no other reader and not be a graph output. Products
 * are computed in float64 and rounded once to float32, so results can differ from the unfolded
 * chain by float32 rounding. New initializers are created; {@linkcode eliminateDeadCode} removes
 * the old ones. One node is folded per op per call; `optimize` repeats to a fixed point.
 *
 * @example `Conv → Mul(2) → Add(1)` becomes one Conv
 * ```ts
 * import { foldAffine } from "@lowbit/graph/passes/fold-affine";
 * import { tensor, type Graph } from "@lowbit/graph/ir";
 * import { deepEqual } from "node:assert/strict";
 * const g: Graph = { name: "g", opset: 13, values: new Map(),
 *   initializers: new Map([["w", tensor("float32", [1, 1, 1, 1], [3])], ["k", tensor("float32", [1], [2])],
 *     ["d", tensor("float32", [1], [1])]]),
 *   inputs: [{ name: "x", dtype: "float32", shape: [1, 1, 2, 2] }],
 *   outputs: [{ name: "y", dtype: "float32", shape: [1, 1, 2, 2] }],
 *   nodes: [
 *     { name: "conv", op: "Conv", inputs: ["x", "w"], outputs: ["c"], attrs: {} },
 *     { name: "mul", op: "Mul", inputs: ["c", "k"], outputs: ["m"], attrs: {} },
 *     { name: "add", op: "Add", inputs: ["m", "d"], outputs: ["y"], attrs: {} },
 *   ] };
 * const out = foldAffine(foldAffine(g));
 * deepEqual(out.nodes.map((n) => n.op), ["Conv"]);
 * const [, w, b] = out.nodes[0].inputs;
 * deepEqual([...out.initializers.get(w)!.data, ...out.initializers.get(b)!.data], [6, 1]);
 * ```
 *
 * @module
 */

import { cloneGraph, type Graph, type GraphTensor, type Node } from "../ir.ts";
import {
  constantOf,
  freshNames,
  outputNames,
  producerOf,
  scaleWeight,
  soleConsumer,
} from "./_util.ts";

/** The per-channel values of a constant that broadcasts along `axis` only, or undefined. */
function channelValues(
  t: GraphTensor | undefined,
  channels: number,
  outRank: number,
  axis: number,
): Float64Array | undefined {
  if (t === undefined || t.dtype !== "float32") return undefined;
  const d = t.data as Float32Array;
  if (t.shape.length > outRank) return undefined;
  if (d.length === 1) return new Float64Array(channels).fill(d[0]);
  if (d.length !== channels) return undefined;
  // Right-aligned broadcasting: the constant's dimension facing `axis` must be C, the rest 1.
  const offset = outRank - t.shape.length;
  const ok = t.shape.every((n, i) => (i + offset === axis ? n === channels : n === 1));
  return ok ? Float64Array.from(d) : undefined;
}

/** The weight's output-channel axis and count of a Conv or Gemm with a constant weight. */
function outputAxis(
  graph: Graph,
  op: Node,
): { w: GraphTensor; axis: number; c: number } | undefined {
  const w = constantOf(graph, op.inputs[1]);
  if (w === undefined || w.dtype !== "float32") return undefined;
  if (op.op === "Conv") return w.shape.length >= 3 ? { w, axis: 0, c: w.shape[0] } : undefined;
  if (op.op === "Gemm" && w.shape.length === 2) {
    const axis = op.attrs.transB === 1 ? 0 : 1;
    return { w, axis, c: w.shape[axis] };
  }
  return undefined;
}

/** The op's bias as float64 per channel (Gemm's beta applied), or undefined if not foldable. */
function biasOf(graph: Graph, op: Node, c: number): Float64Array | undefined {
  const name = op.inputs[2];
  if (name === undefined || name === "") return new Float64Array(c);
  const t = constantOf(graph, name);
  const rank = op.op === "Conv" ? 1 : 2;
  const v = channelValues(t, c, rank, rank - 1);
  if (v === undefined) return undefined;
  const beta = op.op === "Gemm" && typeof op.attrs.beta === "number" ? op.attrs.beta : 1;
  return v.map((x) => x * beta);
}

function f32(v: Float64Array): GraphTensor {
  return { dtype: "float32", shape: [v.length], data: Float32Array.from(v) };
}

function hasPadding(conv: Node): boolean {
  const pads = conv.attrs.pads;
  const autoPad = conv.attrs.auto_pad;
  if (typeof autoPad === "string" && autoPad !== "NOTSET" && autoPad !== "VALID") return true;
  return Array.isArray(pads) && pads.some((p) => p !== 0);
}

/** The flowing operand and the constant of a binary Mul/Add, or undefined. */
function split(graph: Graph, n: Node): { flow: string; k: GraphTensor } | undefined {
  if ((n.op !== "Mul" && n.op !== "Add") || n.inputs.length !== 2) return undefined;
  const [a, b] = n.inputs;
  const ka = constantOf(graph, a), kb = constantOf(graph, b);
  if (kb !== undefined && ka === undefined) return { flow: a, k: kb };
  if (ka !== undefined && kb === undefined) return { flow: b, k: ka };
  return undefined;
}

/**
 * Folds constant per-channel or scalar Mul/Add nodes into an adjacent Conv or Gemm.
 *
 * @param graph The graph (not modified).
 * @returns A new graph where each foldable Mul/Add is gone and the Conv/Gemm computes it.
 *
 * @example A scalar Mul before a padded Conv folds; a scalar Add before it does not
 * ```ts
 * import { foldAffine } from "@lowbit/graph/passes/fold-affine";
 * import { tensor, type Graph } from "@lowbit/graph/ir";
 * import { deepEqual } from "node:assert/strict";
 * const g = (op: string): Graph => ({ name: "g", opset: 13, values: new Map(),
 *   initializers: new Map([["w", tensor("float32", [1, 1, 3, 3], new Array(9).fill(1))], ["a", tensor("float32", [], [0.5])]]),
 *   inputs: [{ name: "x", dtype: "float32", shape: [1, 1, 4, 4] }],
 *   outputs: [{ name: "y", dtype: "float32", shape: [1, 1, 4, 4] }],
 *   nodes: [
 *     { name: "pre", op, inputs: ["x", "a"], outputs: ["m"], attrs: {} },
 *     { name: "conv", op: "Conv", inputs: ["m", "w"], outputs: ["y"], attrs: { pads: [1, 1, 1, 1] } },
 *   ] });
 * deepEqual(foldAffine(g("Mul")).nodes.map((n) => n.op), ["Conv"]);
 * deepEqual(foldAffine(g("Add")).nodes.map((n) => n.op), ["Add", "Conv"]);
 * ```
 */
export function foldAffine(graph: Graph): Graph {
  const out = cloneGraph(graph);
  const fresh = freshNames(graph);
  const outs = outputNames(graph);
  const replaced = new Map<Node, Node[]>();
  const fold = (op: Node, inputs: string[], w: GraphTensor, b: Float64Array, outputs: string[]) => {
    const wn = fresh(`${op.name}.affine_weight`), bn = fresh(`${op.name}.affine_bias`);
    out.initializers.set(wn, w);
    out.initializers.set(bn, f32(b));
    const attrs = op.op === "Gemm" ? { ...op.attrs, beta: 1 } : op.attrs;
    return { ...op, inputs: [inputs[0], wn, bn], outputs, attrs };
  };
  for (const n of graph.nodes) {
    if (replaced.has(n)) continue;
    const s = split(graph, n);
    if (s === undefined) continue;
    // After the op: Conv/Gemm → n.
    const prev = producerOf(graph, s.flow);
    if (
      prev !== undefined && !replaced.has(prev) && (prev.op === "Conv" || prev.op === "Gemm") &&
      !outs.has(s.flow) && soleConsumer(graph, s.flow) === n && prev.outputs.length === 1
    ) {
      const o = outputAxis(graph, prev);
      const b = o && biasOf(graph, prev, o.c);
      const rank = prev.op === "Conv" ? o?.w.shape.length ?? 0 : 2;
      const k = o && channelValues(s.k, o.c, rank, 1);
      if (o && b && k) {
        const w = n.op === "Mul" ? scaleWeight(o.w, o.axis, k) : o.w;
        const nb = n.op === "Mul" ? b.map((x, i) => x * k[i]) : b.map((x, i) => x + k[i]);
        replaced.set(prev, [fold(prev, prev.inputs, w, nb, n.outputs)]);
        replaced.set(n, []);
        continue;
      }
    }
    // Before the op: n → Conv/Gemm (input 0), scalar constant.
    const y = n.outputs[0];
    const next = outs.has(y) ? undefined : soleConsumer(graph, y);
    if (
      next === undefined || replaced.has(next) || (next.op !== "Conv" && next.op !== "Gemm") ||
      next.inputs[0] !== y || s.k.dtype !== "float32" || s.k.data.length !== 1 ||
      (next.op === "Gemm" && next.attrs.transA === 1)
    ) continue;
    const o = outputAxis(graph, next);
    const b = o && biasOf(graph, next, o.c);
    if (o === undefined || b === undefined) continue;
    const a = (s.k.data as Float32Array)[0];
    if (n.op === "Mul") {
      const w = scaleWeight(o.w, o.axis, new Float64Array(o.c).fill(a));
      replaced.set(next, [fold(next, [s.flow], w, b, next.outputs)]);
    } else {
      if (next.op === "Conv" && hasPadding(next)) continue;
      // Σ over every weight of output channel c (times alpha for a Gemm).
      const alpha = next.op === "Gemm" && typeof next.attrs.alpha === "number"
        ? next.attrs.alpha
        : 1;
      const wd = o.w.data as Float32Array;
      const inner = o.w.shape.slice(o.axis + 1).reduce((p, q) => p * q, 1);
      const sums = new Float64Array(o.c);
      for (let i = 0; i < wd.length; i++) sums[Math.floor(i / inner) % o.c] += wd[i];
      const nb = b.map((x, c) => x + alpha * a * sums[c]);
      replaced.set(next, [fold(next, [s.flow], o.w, nb, next.outputs)]);
    }
    replaced.set(n, []);
  }
  out.nodes = graph.nodes.flatMap((n) => replaced.get(n) ?? [n]);
  return out;
}
