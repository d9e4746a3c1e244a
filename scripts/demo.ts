/**
 * A short tour of what lowbit can do so far (README's first command runs it).
 *
 * Usage: `deno task demo`
 *
 * @module
 */

import { Philox, stochasticRoundArray } from "@lowbit/rounding";

console.log("lowbit demo\n");
console.log("Stochastic rounding (survey Eq. 8) of 1.25, 10 draws, seed 2024:");
console.log(" ", [...stochasticRoundArray(new Float64Array(10).fill(1.25), new Philox(2024))]);
