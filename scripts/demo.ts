/**
 * A short tour of what lowbit can do so far (README's first command runs it).
 *
 * Usage: `deno task demo`
 *
 * @module
 */

import { Philox, stochasticRoundArray } from "@lowbit/rounding";
import {
  BF16,
  explainFloat32,
  FP16,
  FP4_E2M1,
  FP6_E3M2,
  FP8_E4M3FN,
  FP8_E5M2,
  mxError,
  MXFP4_E2M1,
  MXFP6_E2M3,
  MXFP8_E4M3,
  MXINT8,
  TF32,
} from "@lowbit/numerics";

console.log("lowbit demo\n");

const e = explainFloat32(-314.625);
console.log("IEEE 754 binary32 of -314.625 (lecture 5.1.3, example 1):");
console.log(`  ${e.fields}\n  ${e.formula}\n`);

console.log("0.1 in each format (nearest value, pattern):");
for (const f of [FP16, BF16, TF32, FP8_E4M3FN, FP8_E5M2, FP6_E3M2, FP4_E2M1]) {
  const bits = f.encode(0.1);
  console.log(
    `  ${f.name.padEnd(12)} ${String(f.round(0.1)).padEnd(22)} 0x${bits.toString(16)}` +
      `   max ${f.max}, min subnormal ${f.minSubnormal}`,
  );
}

console.log("\nSumming 1.0 a thousand times in BF16 (8 significant bits):");
let rne = 0, sr = 0;
const rng = new Philox(2024);
for (let i = 0; i < 1000; i++) {
  rne = BF16.round(rne + 1);
  sr = BF16.round(sr + 1, { rounding: "stochastic", random: rng });
}
console.log(`  round-to-nearest-even stalls at ${rne}; stochastic rounding reaches ${sr}`);

console.log("\nOCP Microscaling on 4096 seeded Gaussian values (SQNR, higher is better):");
const x = new Float32Array(4096);
const g = new Philox(7);
for (let i = 0; i < x.length; i++) {
  x[i] = Math.sqrt(-2 * Math.log(1 - g.uniform())) * Math.cos(2 * Math.PI * g.uniform());
}
for (const f of [MXINT8, MXFP8_E4M3, MXFP6_E2M3, MXFP4_E2M1]) {
  console.log(`  ${f.name.padEnd(11)} ${mxError(x, f).sqnrDb.toFixed(1)} dB`);
}

console.log("\nStochastic rounding (survey Eq. 8) of 1.25, 10 draws, seed 2024:");
console.log(
  " ",
  [...stochasticRoundArray(new Float64Array(10).fill(1.25), new Philox(2024))].join(" "),
);
