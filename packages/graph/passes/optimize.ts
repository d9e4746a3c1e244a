/**
 * The standard pass pipeline: constant folding, shape-op simplification, activation fusion,
 * batch-norm folding and dead-code elimination, repeated until the graph stops changing.
 *
 * @example
 * ```ts
 * import { optimize } from "@lowbit/graph/passes/optimize";
 * import type { Graph } from "@lowbit/graph/ir";
 * import { deepEqual } from "node:assert/strict";
 * const g: Graph = { name: "g", opset: 13, values: new Map(), initializers: new Map(),
 *   inputs: [{ name: "x", dtype: "float32", shape: [2] }],
 *   outputs: [{ name: "y", dtype: "float32", shape: [2] }],
 *   nodes: [
 *     { name: "i", op: "Identity", inputs: ["x"], outputs: ["a"], attrs: {} },
 *     { name: "r", op: "Relu", inputs: ["a"], outputs: ["y"], attrs: {} },
 *     { name: "dead", op: "Relu", inputs: ["x"], outputs: ["unused"], attrs: {} },
 *   ] };
 * deepEqual(optimize(g).nodes.map((n) => [n.op, n.inputs[0]]), [["Relu", "x"]]);
 * ```
 *
 * @module
 */

import type { Graph } from "../ir.ts";
import { fingerprint } from "./_util.ts";
import { eliminateDeadCode } from "./dead_code.ts";
import { foldAffine } from "./fold_affine.ts";
import { foldBatchNorm } from "./fold_batchnorm.ts";
import { foldConstants } from "./fold_constants.ts";
import { fuseActivations } from "./fuse_activations.ts";
import { simplifyShapeOps } from "./simplify_shape_ops.ts";

/**
 * Runs foldConstants → simplifyShapeOps → fuseActivations → foldBatchNorm → foldAffine →
 * eliminateDeadCode to a fixed point (at most 16 rounds).
 *
 * @param graph The graph (not modified).
 * @param shapes Concrete shapes of inputs with symbolic dimensions; given, they enable shape
 *   inference (and so Shape folding and MatMul+BN folding) but specialise the graph to them.
 * @returns The optimised graph, computing the same outputs (BN and affine folding and HardSwish fusion
 *   round differently from the unfused chain; every other rewrite is exact).
 *
 * @example Shape folding needs shapes when the input is symbolic
 * ```ts
 * import { optimize } from "@lowbit/graph/passes/optimize";
 * import type { Graph } from "@lowbit/graph/ir";
 * import { deepEqual, equal } from "node:assert/strict";
 * const g: Graph = { name: "g", opset: 13, values: new Map(), initializers: new Map(),
 *   inputs: [{ name: "x", dtype: "float32", shape: ["n", 3] }],
 *   outputs: [{ name: "s", dtype: "int64", shape: [2] }],
 *   nodes: [{ name: "shape", op: "Shape", inputs: ["x"], outputs: ["s"], attrs: {} }] };
 * equal(optimize(g).nodes.length, 1);
 * deepEqual([...optimize(g, { x: [5, 3] }).initializers.get("s")!.data], [5n, 3n]);
 * ```
 */
export function optimize(graph: Graph, shapes?: Record<string, readonly number[]>): Graph {
  let g = graph;
  let before = fingerprint(g);
  for (let round = 0; round < 16; round++) {
    g = foldConstants(g, { shapes });
    g = simplifyShapeOps(g);
    g = fuseActivations(g);
    g = foldBatchNorm(g);
    g = foldAffine(g);
    g = eliminateDeadCode(g);
    const after = fingerprint(g);
    if (after === before) break;
    before = after;
  }
  return g;
}
