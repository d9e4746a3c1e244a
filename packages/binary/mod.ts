/**
 * @lowbit/binary: binarizers, ternarizers and their straight-through estimators (survey §IV-E).
 *
 * @example
 * ```ts
 * import { STE_RULES } from "@lowbit/binary";
 * import { equal } from "node:assert/strict";
 * equal(STE_RULES.hardTanh.grad(2, {}), 0);
 * ```
 *
 * @module
 */
export * from "./ste.ts";
export * from "./weights.ts";
export * from "./method_layers.ts";
export * from "./optim.ts";
export * from "./models.ts";
export * from "./io.ts";
export * from "./packed_bits.ts";
export * from "./packed_layers.ts";
export * from "./packed_planes.ts";
export * from "./threshold.ts";
export * from "./packed_net.ts";
export * from "./summary.ts";
export * from "./block_quantizers.ts";
export * from "./quant_noise.ts";
