/**
 * Post-training quantization of `@lowbit/graph` graphs into the ONNX QDQ form (the form
 * onnxruntime's `quantize_static` / `quantize_dynamic` write): static quantization calibrated
 * with `@lowbit/quantize` observers (weights rounded to nearest or by AdaRound), and dynamic
 * quantization with DynamicQuantizeLinear.
 *
 * @example
 * ```ts
 * import { quantizeWeight } from "@lowbit/ptq";
 * import { tensor } from "@lowbit/graph";
 * import { deepEqual } from "node:assert/strict";
 * const q = quantizeWeight(tensor("float32", [1, 2], [0.5, -1.27]), 0);
 * deepEqual([...q.codes.data], [50, -127]);
 * ```
 *
 * @module
 */

export * from "./weights.ts";
export * from "./weight_sensitivity.ts";
export * from "./static.ts";
export * from "./dynamic.ts";
export * from "./convert_qat.ts";
export * from "./equalize.ts";
export * from "./ocs.ts";
export * from "./bn_reestimation.ts";
export * from "./bias_correction.ts";
export * from "./analytic_bias_correction.ts";
export * from "./pipeline.ts";
export * from "./adaround.ts";
export * from "./weight_codes_file.ts";
export * from "./zeroq.ts";
export * from "./debug.ts";
export type {
  AttrValue,
  Graph,
  GraphData,
  GraphDType,
  GraphTensor,
  Node,
  OpContext,
  OpKernel,
  OpTable,
  QuantGrid,
  TensorInput,
  ValueInfo,
} from "@lowbit/graph";
