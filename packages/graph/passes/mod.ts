/**
 * Graph passes: functions graph → graph that never mutate their argument. See each module:
 * {@linkcode foldConstants}, {@linkcode eliminateDeadCode}, {@linkcode foldBatchNorm}, {@linkcode foldAffine},
 * {@linkcode fuseActivations}, {@linkcode simplifyShapeOps} and the pipeline
 * {@linkcode optimize}.
 *
 * @example
 * ```ts
 * import { eliminateDeadCode } from "@lowbit/graph/passes";
 * import { equal } from "node:assert/strict";
 * const g = { name: "g", opset: 13, values: new Map(), initializers: new Map(), nodes: [],
 *   inputs: [], outputs: [] };
 * equal(eliminateDeadCode(g).nodes.length, 0);
 * ```
 *
 * @module
 */

export * from "./dead_code.ts";
export * from "./fold_affine.ts";
export * from "./fold_batchnorm.ts";
export * from "./fold_constants.ts";
export * from "./fuse_activations.ts";
export * from "./optimize.ts";
export * from "./simplify_shape_ops.ts";
