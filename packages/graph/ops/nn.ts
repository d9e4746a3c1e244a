/**
 * Neural-network ops of the float executor (convolutions, normalisation, matrix products,
 * pooling, activations, resize), ONNX semantics on float32 tensors.
 *
 * @example Relu through the table
 * ```ts
 * import { NN_OPS } from "./nn.ts";
 * import { deepEqual } from "node:assert/strict";
 * const node = { name: "r", op: "Relu", inputs: ["x"], outputs: ["y"], attrs: {} };
 * const x = { dtype: "float32" as const, shape: [2], data: new Float32Array([-1, 2]) };
 * deepEqual([...NN_OPS.Relu.run(node, [x], { opset: 13 })[0].data], [0, 2]);
 * ```
 *
 * @module
 */

import type { OpTable } from "../op.ts";
import { ACTIVATION_OPS } from "./nn_activation.ts";
import { CONV_OPS } from "./nn_conv.ts";
import { MATMUL_OPS } from "./nn_matmul.ts";
import { NORM_OPS } from "./nn_norm.ts";
import { POOL_OPS } from "./nn_pool.ts";
import { RESIZE_OPS } from "./nn_resize.ts";

// Re-exported so the types NN_OPS exposes are documented with it (deno doc --lint).
export type { OpContext, OpKernel, OpTable } from "../op.ts";
export type { AttrValue, GraphData, GraphDType, GraphTensor, Node } from "../ir.ts";

/** The neural-network ops by ONNX op type. */
export const NN_OPS: OpTable = {
  ...ACTIVATION_OPS,
  ...CONV_OPS,
  ...MATMUL_OPS,
  ...NORM_OPS,
  ...POOL_OPS,
  ...RESIZE_OPS,
};
