/**
 * Tensor ops of the float executor with ONNX semantics: broadcasting arithmetic, comparisons
 * and unary math, shape and layout ops (Reshape, Transpose, Concat, Split, Slice, Pad, Gather,
 * …), casts, constants, reductions and the quantization ops QuantizeLinear, DequantizeLinear
 * and DynamicQuantizeLinear.
 *
 * @example Run a broadcasting Add through the table
 * ```ts
 * import { TENSOR_OPS } from "./tensor.ts";
 * import { deepEqual } from "node:assert/strict";
 * const node = { name: "a", op: "Add", inputs: ["x", "b"], outputs: ["y"], attrs: {} };
 * const [y] = TENSOR_OPS.Add.run(node, [
 *   { dtype: "float32", shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) },
 *   { dtype: "float32", shape: [2], data: new Float32Array([10, 20]) },
 * ], { opset: 13 });
 * deepEqual([...y.data], [11, 22, 13, 24]);
 * ```
 *
 * @module
 */

import type { OpTable } from "../op.ts";

// Re-exported so the documented table's types are public from this module.
export type { OpContext, OpKernel, OpTable } from "../op.ts";
export type { AttrValue, GraphData, GraphDType, GraphTensor, Node } from "../ir.ts";
import { CAST_OPS } from "./tensor_cast.ts";
import { CONSTANT_OPS } from "./tensor_constant.ts";
import { ELEMENTWISE_OPS } from "./tensor_elementwise.ts";
import { INDEX_OPS } from "./tensor_index.ts";
import { LAYOUT_OPS } from "./tensor_layout.ts";
import { PAD_OPS } from "./tensor_pad.ts";
import { QUANTIZE_OPS } from "./tensor_quantize.ts";
import { REDUCE_OPS } from "./tensor_reduce.ts";
import { SHAPE_OPS } from "./tensor_shape_ops.ts";
import { SLICE_OPS } from "./tensor_slice.ts";

/**
 * The tensor ops by ONNX op type.
 *
 * @example
 * ```ts
 * import { TENSOR_OPS } from "./tensor.ts";
 * import { ok } from "node:assert/strict";
 * ok(["Reshape", "Slice", "QuantizeLinear", "ReduceMean"].every((op) => op in TENSOR_OPS));
 * ```
 */
export const TENSOR_OPS: OpTable = {
  ...ELEMENTWISE_OPS,
  ...SHAPE_OPS,
  ...LAYOUT_OPS,
  ...SLICE_OPS,
  ...PAD_OPS,
  ...CAST_OPS,
  ...CONSTANT_OPS,
  ...REDUCE_OPS,
  ...QUANTIZE_OPS,
  ...INDEX_OPS,
};
