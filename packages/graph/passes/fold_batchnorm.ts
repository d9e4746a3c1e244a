/**
 * Batch-norm folding: `Conv → BatchNormalization`, `Gemm → BatchNormalization` and
 * `MatMul (→ Add) → BatchNormalization` become one Conv / Gemm / MatMul(+Add) with
 *
 *   k_c = γ_c / √(σ²_c + ε),  w'_c = w_c · k_c,  b'_c = (b_c − μ_c) · k_c + β_c
 *
 * computed in float64 and rounded once to float32 (per output channel c: axis 0 of a Conv
 * weight, the N axis of a Gemm/MatMul weight). A pattern is folded only when the weight, bias
 * and BN parameters are float32 constants, the intermediate value has no other reader and is
 * not a graph output, and the BN is in inference mode. MatMul needs a known rank-2 output (the
 * BN channel axis 1 must be the MatMul's N axis); `values` supplies it. New initializers are
 * created (shared weights are left alone); {@linkcode eliminateDeadCode} removes the old ones.
 *
 * @example
 * ```ts
 * import { foldBatchNorm } from "@lowbit/graph/passes/fold-batchnorm";
 * import { tensor, type Graph } from "@lowbit/graph/ir";
 * import { deepEqual } from "node:assert/strict";
 * const f = (v: number[]) => tensor("float32", [v.length], v);
 * const g: Graph = { name: "g", opset: 13, values: new Map(),
 *   initializers: new Map([["w", tensor("float32", [1, 1, 1, 1], [2])], ["g", f([3])], ["b", f([1])], ["m", f([0.5])], ["v", f([3])]]),
 *   inputs: [{ name: "x", dtype: "float32", shape: [1, 1, 2, 2] }],
 *   outputs: [{ name: "y", dtype: "float32", shape: [1, 1, 2, 2] }],
 *   nodes: [
 *     { name: "conv", op: "Conv", inputs: ["x", "w"], outputs: ["c"], attrs: {} },
 *     { name: "bn", op: "BatchNormalization", inputs: ["c", "g", "b", "m", "v"], outputs: ["y"], attrs: { epsilon: 1 } },
 *   ] };
 * const out = foldBatchNorm(g);
 * deepEqual(out.nodes.map((n) => n.op), ["Conv"]);
 * const [, w, b] = out.nodes[0].inputs;
 * deepEqual([...out.initializers.get(w)!.data, ...out.initializers.get(b)!.data], [3, 0.25]); // k = 3/2, b = (0 − 0.5)·k + 1
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
import { batchNormAffine } from "@lowbit/nn/fold";

interface BnParams {
  k: Float64Array;
  shift: Float64Array; // b' = (b − μ)·k + β = b·k + shift
}

function f32(graph: Graph, name: string | undefined): Float32Array | undefined {
  if (name === undefined || name === "") return undefined;
  const t = constantOf(graph, name);
  return t?.dtype === "float32" ? (t.data as Float32Array) : undefined;
}

function bnParams(graph: Graph, bn: Node): BnParams | undefined {
  if (bn.op !== "BatchNormalization" || bn.inputs.length < 5) return undefined;
  if (bn.outputs.slice(1).some((o) => o !== "" && graph.nodes.some((n) => n.inputs.includes(o)))) {
    return undefined;
  }
  if (typeof bn.attrs.training_mode === "number" && bn.attrs.training_mode !== 0) return undefined;
  const [gamma, beta, mean, variance] = bn.inputs.slice(1, 5).map((v) => f32(graph, v));
  if (!gamma || !beta || !mean || !variance) return undefined;
  const c = gamma.length;
  if (beta.length !== c || mean.length !== c || variance.length !== c) return undefined;
  const eps = typeof bn.attrs.epsilon === "number" ? bn.attrs.epsilon : 1e-5;
  if (!(eps >= 0) || !Number.isFinite(eps)) return undefined;
  const { scale, shift } = batchNormAffine(gamma, beta, mean, variance, eps);
  return { k: scale, shift };
}

function bias(b: Float32Array | undefined, p: BnParams, bScale = 1): GraphTensor {
  const c = p.k.length;
  const data = new Float32Array(c);
  for (let i = 0; i < c; i++) data[i] = (b === undefined ? 0 : b[i] * bScale) * p.k[i] + p.shift[i];
  return { dtype: "float32", shape: [c], data };
}

/** A length-N bias vector from a constant of shape [N], [1, N] or a broadcast scalar. */
function vectorBias(t: GraphTensor | undefined, n: number): Float32Array | undefined {
  if (t === undefined || t.dtype !== "float32") return undefined;
  const d = t.data as Float32Array;
  if (d.length === n && t.shape[t.shape.length - 1] === n) return d;
  if (d.length === 1 && t.shape.length <= 1) return new Float32Array(n).fill(d[0]);
  return undefined;
}

function rankOf(graph: Graph, value: string): number | undefined {
  const info = graph.values.get(value) ?? graph.inputs.find((v) => v.name === value);
  return info?.shape.length;
}

/**
 * Folds inference-mode BatchNormalization into a preceding Conv, Gemm or MatMul(+Add).
 *
 * @param graph The graph (not modified).
 * @returns A new graph; every foldable BN is gone and its consumers read the folded op.
 *
 * @example A Gemm with transB and a BN on its 2 outputs
 * ```ts
 * import { foldBatchNorm } from "@lowbit/graph/passes/fold-batchnorm";
 * import { tensor, type Graph } from "@lowbit/graph/ir";
 * import { deepEqual } from "node:assert/strict";
 * const f = (v: number[]) => tensor("float32", [v.length], v);
 * const g: Graph = { name: "g", opset: 13, values: new Map(),
 *   initializers: new Map([["w", tensor("float32", [2, 1], [1, 2])], ["g", f([2, 1])], ["b", f([0, 1])], ["m", f([1, 0])], ["v", f([1, 1])]]),
 *   inputs: [{ name: "x", dtype: "float32", shape: [1, 1] }],
 *   outputs: [{ name: "y", dtype: "float32", shape: [1, 2] }],
 *   nodes: [
 *     { name: "fc", op: "Gemm", inputs: ["x", "w"], outputs: ["h"], attrs: { transB: 1 } },
 *     { name: "bn", op: "BatchNormalization", inputs: ["h", "g", "b", "m", "v"], outputs: ["y"], attrs: { epsilon: 0 } },
 *   ] };
 * const out = foldBatchNorm(g);
 * deepEqual(out.nodes.map((n) => n.op), ["Gemm"]);
 * deepEqual([...out.initializers.get(out.nodes[0].inputs[1])!.data], [2, 2]);
 * deepEqual([...out.initializers.get(out.nodes[0].inputs[2])!.data], [-2, 1]);
 * ```
 */
export function foldBatchNorm(graph: Graph): Graph {
  const out = cloneGraph(graph);
  const fresh = freshNames(graph);
  const outs = outputNames(graph);
  const replaced = new Map<Node, Node[]>(); // node → replacement (empty = removed)
  for (const bn of graph.nodes) {
    if (bn.op !== "BatchNormalization" || replaced.has(bn)) continue;
    const x = bn.inputs[0];
    if (outs.has(x) || soleConsumer(graph, x) !== bn) continue;
    const prev = producerOf(graph, x);
    if (prev === undefined || replaced.has(prev)) continue;
    const p = bnParams(graph, bn);
    if (p === undefined) continue;
    const c = p.k.length;
    const y = bn.outputs[0];
    if (prev.op === "Conv") {
      const w = constantOf(graph, prev.inputs[1]);
      if (w === undefined || w.dtype !== "float32" || w.shape[0] !== c) continue;
      const b = prev.inputs[2] ? f32(graph, prev.inputs[2]) : undefined;
      if (prev.inputs[2] && (b === undefined || b.length !== c)) continue;
      const wn = fresh(`${prev.name}.bn_weight`), bName = fresh(`${prev.name}.bn_bias`);
      out.initializers.set(wn, scaleWeight(w, 0, p.k));
      out.initializers.set(bName, bias(b, p));
      replaced.set(prev, [{ ...prev, inputs: [prev.inputs[0], wn, bName], outputs: [y] }]);
      replaced.set(bn, []);
    } else if (prev.op === "Gemm") {
      const w = constantOf(graph, prev.inputs[1]);
      if (w === undefined || w.dtype !== "float32" || w.shape.length !== 2) continue;
      const transB = prev.attrs.transB === 1;
      if ((transB ? w.shape[0] : w.shape[1]) !== c) continue;
      const beta = typeof prev.attrs.beta === "number" ? prev.attrs.beta : 1;
      let b: Float32Array | undefined;
      if (prev.inputs[2]) {
        b = vectorBias(constantOf(graph, prev.inputs[2]), c);
        if (b === undefined) continue;
      }
      const wn = fresh(`${prev.name}.bn_weight`), bName = fresh(`${prev.name}.bn_bias`);
      out.initializers.set(wn, scaleWeight(w, transB ? 0 : 1, p.k));
      out.initializers.set(bName, bias(b, p, beta));
      replaced.set(prev, [{
        ...prev,
        inputs: [prev.inputs[0], wn, bName],
        outputs: [y],
        attrs: { ...prev.attrs, beta: 1 },
      }]);
      replaced.set(bn, []);
    } else if (prev.op === "MatMul" || prev.op === "Add") {
      // MatMul(x, W) [→ Add(·, b)] → BN, W of shape [K, N], rank-2 MatMul output.
      let mm = prev, add: Node | undefined, b: Float32Array | undefined;
      if (prev.op === "Add") {
        const other = prev.inputs.find((v) => constantOf(graph, v) !== undefined);
        const flow = prev.inputs.find((v) => v !== other);
        if (other === undefined || flow === undefined) continue;
        b = vectorBias(constantOf(graph, other), c);
        const m = producerOf(graph, flow);
        if (b === undefined || m === undefined || m.op !== "MatMul") continue;
        if (outs.has(flow) || soleConsumer(graph, flow) !== prev || replaced.has(m)) continue;
        if (rankOf(graph, x) !== 2) continue;
        add = prev;
        mm = m;
      }
      const w = constantOf(graph, mm.inputs[1]);
      if (w === undefined || w.dtype !== "float32" || w.shape.length !== 2 || w.shape[1] !== c) {
        continue;
      }
      if (rankOf(graph, mm.outputs[0]) !== 2 && rankOf(graph, mm.inputs[0]) !== 2) continue;
      const wn = fresh(`${mm.name}.bn_weight`), bName = fresh(`${mm.name}.bn_bias`);
      out.initializers.set(wn, scaleWeight(w, 1, p.k));
      out.initializers.set(bName, bias(b, p));
      const mid = add === undefined ? fresh(`${mm.name}.out`) : mm.outputs[0];
      const newMm = { ...mm, inputs: [mm.inputs[0], wn], outputs: [mid] };
      const newAdd: Node = add === undefined
        ? {
          name: fresh(`${mm.name}.bn_add`),
          op: "Add",
          inputs: [mid, bName],
          outputs: [y],
          attrs: {},
        }
        : { ...add, inputs: [mid, bName], outputs: [y] };
      replaced.set(mm, [newMm, newAdd]);
      if (add !== undefined) replaced.set(add, []);
      replaced.set(bn, []);
    }
  }
  out.nodes = graph.nodes.flatMap((n) => replaced.get(n) ?? [n]);
  return out;
}
