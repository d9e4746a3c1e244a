/**
 * Integer-only inference (Jacob et al. 2018, survey §IV-A): quantized tensors (q, S, Z),
 * fixed-point and ONNX requantization, ONNX integer operators, fused integer layers, I-BERT
 * integer GELU/softmax/LayerNorm, accumulator overflow simulation, BN folding, a small integer
 * graph with an executor, conversion from a float model with calibration, and the agreement
 * report between float, simulated-quantized and integer-only execution.
 *
 * @example Requantize an accumulator the gemmlowp way
 * ```ts
 * import { multiplyByQuantizedMultiplier, quantizeMultiplier } from "@lowbit/runtime";
 * import { equal } from "node:assert/strict";
 * const { multiplier, shift } = quantizeMultiplier(0.0625);
 * equal(multiplyByQuantizedMultiplier(1000, multiplier, shift), 63); // 62.5 → 63
 * ```
 *
 * @module
 */

export * from "./quantized_tensor.ts";
export * from "./requantize.ts";
export * from "./dyadic.ts";
export * from "./onnx_quantize.ts";
export * from "./onnx_matmul.ts";
export * from "./onnx_conv.ts";
export * from "./fused.ts";
export * from "./pool.ts";
export * from "./elementwise.ts";
export * from "./ibert.ts";
export * from "./accumulator.ts";
export * from "./model.ts";
export * from "./graph.ts";
export * from "./convert.ts";
export * from "./serialize.ts";
export * from "./agreement.ts";
export * from "./accumulator_report.ts";
export * from "./lut.ts";
export * from "./qdq_lower.ts";
export * from "./qdq_run.ts";
export * from "./graph_agreement.ts";
