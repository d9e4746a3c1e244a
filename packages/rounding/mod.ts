/**
 * Rounding for quantization: the IEEE deterministic modes, stochastic rounding (survey Eq. 8),
 * stochastic binarization (survey Eq. 9) and a seeded, counter-based Philox4x32-10 generator so
 * every random choice is reproducible.
 *
 * @example Stochastic rounding is unbiased
 * ```ts
 * import { Philox, stochasticRoundArray } from "@lowbit/rounding";
 * import { ok } from "node:assert/strict";
 * const x = new Float64Array(20000).fill(1.25);
 * const r = stochasticRoundArray(x, new Philox(2024));
 * const mean = r.reduce((a, b) => a + b, 0) / r.length;
 * ok(Math.abs(mean - 1.25) < 0.01);
 * ```
 *
 * @module
 */

export * from "./modes.ts";
export * from "./philox.ts";
export * from "./stochastic.ts";
