/**
 * The graph layer of lowbit: a DAG IR of a model (named values, ONNX-like nodes, initializers),
 * topological order and validation, shape inference, a float executor on the `@lowbit/kernels`
 * f32 kernels, graph passes (constant folding, dead-code elimination, BN folding, activation
 * fusion, shape-op simplification) and `fromNn` for `@lowbit/nn` models.
 *
 * @example
 * ```ts
 * import { sizeOf } from "@lowbit/graph";
 * import { equal } from "node:assert/strict";
 * equal(sizeOf([2, 3]), 6);
 * ```
 *
 * @module
 */

export * from "./errors.ts";
export * from "./ir.ts";
export * from "./op.ts";
export * from "./executor.ts";
export * from "./passes/mod.ts";
export * from "./from_nn.ts";
