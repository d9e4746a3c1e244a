/**
 * A small n-dimensional `Tensor` for lowbit: a dtype (`f32`, `f64`, `f16` bits, 8/16/32-bit
 * integers), typed storage and a strided layout; copy-free views (reshape, transpose, slice,
 * select, squeeze, unsqueeze); elementwise arithmetic with NumPy broadcasting; and the
 * reductions quantizers need (min, max, abs-max, sum, mean, per-channel min/max). The hot
 * loops (GEMM, convolution, requantization) live in `@lowbit/kernels`.
 *
 * @example Symmetric int8 quantization of a weight matrix by hand
 * ```ts
 * import { absMax, div, Tensor } from "@lowbit/tensor";
 * import { deepEqual, equal } from "node:assert/strict";
 * const w = Tensor.from([0.5, -1, 0.25, 0.125], [2, 2]);
 * const scale = absMax(w) / 127;
 * const q = div(w, scale).astype("i8"); // round half to even, saturate
 * deepEqual(q.toArray(), [64, -127, 32, 16]);
 * equal(q.dtype, "i8");
 * ```
 *
 * @module
 */

export * from "./dtype.ts";
export * from "./shape.ts";
export * from "./tensor.ts";
export * from "./reduce.ts";
export * from "./elementwise.ts";
