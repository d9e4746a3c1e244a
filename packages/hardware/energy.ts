/**
 * Energy per operation and per byte: the 45 nm table of Horowitz (ISSCC 2014, "Computing's
 * energy problem (and what we can do about it)"), the numbers the survey (Gholami et al. 2021,
 * Fig. 7) and notebook 05 use, with a multiply-accumulate costed as a multiplication plus an
 * addition at the accumulator's width (docs/hardware.md Eq. 3), and scaled to a target's
 * process node by Eq. 7.
 *
 * Formats the table lacks are modelled, not measured (Eq. 3b): an integer b_w × b_a multiply
 * costs `E(INT8 mult) · b_w·b_a / 64` (array-multiplier area grows with the product of the
 * widths), accumulation stays an INT32 add.
 *
 * @example
 * ```ts
 * import { HOROWITZ_45NM, macEnergy45 } from "@lowbit/hardware/energy";
 * import { equal } from "node:assert/strict";
 * equal(Math.round(HOROWITZ_45NM.fp32Add / HOROWITZ_45NM.int8Add), 30); // the survey's 30×
 * equal(macEnergy45({ weight: "fp32", activation: "fp32" }), 3.7 + 0.9);
 * equal(macEnergy45({ weight: "int8", activation: "int8" }), 0.2 + 0.1);
 * ```
 *
 * @module
 */

import { bitsOf, computePrecision, type NodePrecision } from "./precision.ts";
import type { MemoryLevel, Target } from "./target.ts";

/** Horowitz 2014, 45 nm, 0.9 V: energy per operation (pJ) and per memory access. */
export const HOROWITZ_45NM = {
  /** INT8 add, pJ. */
  int8Add: 0.03,
  /** INT16 add, pJ. */
  int16Add: 0.05,
  /** INT32 add, pJ. */
  int32Add: 0.1,
  /** FP16 add, pJ. */
  fp16Add: 0.4,
  /** FP32 add, pJ. */
  fp32Add: 0.9,
  /** INT8 multiply, pJ. */
  int8Mult: 0.2,
  /** INT32 multiply, pJ. */
  int32Mult: 3.1,
  /** FP16 multiply, pJ. */
  fp16Mult: 1.1,
  /** FP32 multiply, pJ. */
  fp32Mult: 3.7,
  /** 64-bit read of an 8 KB SRAM (cache), pJ. */
  sram8kB64bit: 10,
  /** 32-bit DRAM read, pJ (6400 × a 32-bit add). */
  dram32bit: 640,
} as const;

/** Where the table was read. */
export const HOROWITZ_SOURCE: string =
  "M. Horowitz, Computing's energy problem (and what we can do about it), ISSCC 2014, 45 nm table " +
  "(survey Gholami et al. 2021 Fig. 7; notebook 05); memory rows as quoted in " +
  "https://pmc.ncbi.nlm.nih.gov/articles/PMC8934428/ Table 3 (8 kB 64-bit cache access) and " +
  "http://cs149.stanford.edu/fall20/lecture/dnneval/slide_33 (32-bit DRAM = 6400 × 32-bit add)";

/**
 * Energy of one multiply-accumulate at 45 nm (docs/hardware.md Eq. 3 and 3b).
 *
 * @param p The node's weight and activation formats.
 * @returns Picojoules per MAC: fp32 3.7 + 0.9; fp16 1.1 + 0.9 (FP32 accumulation); integer
 *   `0.2 · b_w·b_a/64 + 0.1`; a float/integer mix costs the float MAC (weights dequantized).
 *
 * @example
 * ```ts
 * import { macEnergy45 } from "@lowbit/hardware/energy";
 * import { equal } from "node:assert/strict";
 * equal(macEnergy45({ weight: "int4", activation: "int4" }), 0.2 * 16 / 64 + 0.1);
 * equal(macEnergy45({ weight: "fp16", activation: "fp16" }), 1.1 + 0.9);
 * ```
 */
export function macEnergy45(p: NodePrecision): number {
  const h = HOROWITZ_45NM;
  const c = computePrecision(p);
  if (c === "fp32") return h.fp32Mult + h.fp32Add;
  if (c === "fp16") return h.fp16Mult + h.fp32Add;
  return h.int8Mult * bitsOf(p.weight) * bitsOf(p.activation) / 64 + h.int32Add;
}

/**
 * Energy of one element-wise operation (add, compare, scale) at 45 nm: an add at the
 * activation format (integer formats below 8 bits cost an INT8 add).
 *
 * @param p The node's formats.
 * @returns Picojoules per element operation.
 *
 * @example
 * ```ts
 * import { opEnergy45 } from "@lowbit/hardware/energy";
 * import { equal } from "node:assert/strict";
 * equal(opEnergy45({ weight: "fp32", activation: "fp32" }), 0.9);
 * equal(opEnergy45({ weight: "int4", activation: "int4" }), 0.03);
 * ```
 */
export function opEnergy45(p: NodePrecision): number {
  const c = computePrecision(p);
  if (c === "fp32") return HOROWITZ_45NM.fp32Add;
  if (c === "fp16") return HOROWITZ_45NM.fp16Add;
  return HOROWITZ_45NM.int8Add;
}

/**
 * Process scaling of logic and SRAM energy (docs/hardware.md Eq. 7): `L / 45 nm` (switched
 * capacitance ∝ feature size at roughly constant supply voltage); 1 when the target gives no
 * process node.
 *
 * @param target The target.
 * @returns The factor multiplying the 45 nm energies.
 *
 * @example
 * ```ts
 * import { processScale } from "@lowbit/hardware/energy";
 * import { equal } from "node:assert/strict";
 * equal(processScale({ processNode: 9 }), 0.2);
 * equal(processScale({}), 1);
 * ```
 */
export function processScale(target: Pick<Target, "processNode">): number {
  return target.processNode === undefined ? 1 : target.processNode / 45;
}

/**
 * Energy per byte moved at a memory level: the file's own figure, else the Horowitz default of
 * the kind (SRAM 10 pJ / 8 B, scaled by Eq. 7; DRAM and HBM 640 pJ / 4 B, not scaled: the
 * interface dominates), else `undefined` (flash and host links are not modelled).
 *
 * @param level The level.
 * @param scale The process factor of {@linkcode processScale}.
 * @returns Picojoules per byte, or undefined.
 *
 * @example
 * ```ts
 * import { levelEnergyPerByte } from "@lowbit/hardware/energy";
 * import { equal } from "node:assert/strict";
 * const sram = { name: "s", kind: "sram" as const, holds: ["activations" as const], size: 1 };
 * equal(levelEnergyPerByte(sram, 1), 1.25);
 * equal(levelEnergyPerByte({ ...sram, kind: "flash" }, 1), undefined);
 * ```
 */
export function levelEnergyPerByte(level: MemoryLevel, scale: number): number | undefined {
  if (level.energyPerByte !== undefined) return level.energyPerByte;
  if (level.kind === "sram") return HOROWITZ_45NM.sram8kB64bit / 8 * scale;
  if (level.kind === "dram" || level.kind === "hbm") return HOROWITZ_45NM.dram32bit / 4;
  return undefined;
}

/**
 * Energy of one MAC on a target: the file's `macEnergy` for the compute format when given,
 * else the 45 nm value scaled by Eq. 7.
 *
 * @param target The target.
 * @param p The node's formats.
 * @returns Picojoules per MAC.
 *
 * @example
 * ```ts
 * import { targetMacEnergy } from "@lowbit/hardware/energy";
 * import { equal } from "node:assert/strict";
 * const p = { weight: "fp32", activation: "fp32" } as const;
 * equal(targetMacEnergy({ processNode: 22.5, macEnergy: {} }, p), (3.7 + 0.9) / 2);
 * equal(targetMacEnergy({ macEnergy: { fp32: 1 } }, p), 1);
 * ```
 */
export function targetMacEnergy(
  target: Pick<Target, "processNode" | "macEnergy">,
  p: NodePrecision,
): number {
  const own = target.macEnergy[computePrecision(p)];
  return own ?? macEnergy45(p) * processScale(target);
}
