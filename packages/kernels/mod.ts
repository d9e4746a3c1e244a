/**
 * Hot loops of lowbit: f32 and int8 GEMM, requantization (gemmlowp fixed-point and ONNX
 * float semantics) and fused output stages. Each kernel has a plain TypeScript reference (the
 * truth) and, where it pays, a WebAssembly SIMD implementation behind one chooser.
 *
 * @example
 * ```ts
 * import { gemmInt8Requantized, quantizeMultiplier } from "@lowbit/kernels";
 * import { deepEqual } from "node:assert/strict";
 * const { multiplier, shift } = quantizeMultiplier(0.5);
 * const y = gemmInt8Requantized(1, 1, 2, new Int8Array([3, 4]), new Int8Array([1, 1]), {
 *   outputStage: { kind: "fixed", multiplier, shift, zeroPoint: 0, dtype: "int8" },
 * });
 * deepEqual([...y], [4]); // 7 · 0.5 = 3.5 → 4 (ties away from zero)
 * ```
 *
 * @module
 */

export * from "./gemm_f32.ts";
export * from "./pack.ts";
export * from "./pack_int8.ts";
export * from "./pool.ts";
export * from "./gemm_int8.ts";
export * from "./gemm_narrow.ts";
export * from "./requantize.ts";
export * from "./output_stage.ts";
export * from "./conv_params.ts";
export * from "./im2col.ts";
export * from "./conv2d.ts";
export * from "./depthwise.ts";
export * from "./gemm_binary.ts";
export * from "./gemm_ternary.ts";
export * from "./kernel_info.ts";
export * from "./elementwise_int8.ts";
