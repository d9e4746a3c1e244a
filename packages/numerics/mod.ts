/**
 * Bit-exact number formats for quantization: IEEE FP32 anatomy, FP16, BF16, TF32, the OCP FP8
 * (E4M3FN, E5M2) and FNUZ variants, FP6 (E3M2, E2M3), FP4 (E2M1), the E8M0 scale, any other
 * binary float via `minifloat`, OCP Microscaling block formats (MXFP8/6/4, MXINT8) and block
 * floating point.
 *
 * Every format encodes with round-to-nearest-even by default (any `@lowbit/rounding` mode,
 * stochastic included, on request), decodes exactly, and has array versions on typed arrays;
 * float32 arrays go through one WebAssembly SIMD kernel for every format. The equations are in
 * `docs/number-formats.md`.
 *
 * @example FP8 E4M3FN, FP16 and BF16 of the same number
 * ```ts
 * import { BF16, FP16, FP8_E4M3FN } from "@lowbit/numerics";
 * import { equal } from "node:assert/strict";
 * equal(FP16.round(0.1), 0.0999755859375);
 * equal(BF16.round(0.1), 0.10009765625);
 * equal(FP8_E4M3FN.round(0.1), 0.1015625);
 * ```
 *
 * @module
 */

export * from "./float32.ts";
export * from "./minifloat.ts";
export * from "./formats.ts";
export * from "./e8m0.ts";
export * from "./mx.ts";
export * from "./block_fp.ts";
export * from "./fixed_point.ts";
export * from "./integer.ts";
export * from "./packing.ts";
export * from "./f16.ts";
