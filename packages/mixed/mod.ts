/**
 * @lowbit/mixed: mixed-precision bit allocation from second-order sensitivity (HAWQ v1/v2/v3)
 * under size, BOPS and latency budgets.
 *
 * @example
 * ```ts
 * import { normalQuantile } from "@lowbit/mixed";
 * import { ok } from "node:assert/strict";
 * ok(Math.abs(normalQuantile(0.5)) < 1e-9);
 * ```
 *
 * @module
 */

export * from "./sensitivity.ts";
export * from "./allocate.ts";
export * from "./baselines.ts";
export * from "./costs.ts";
