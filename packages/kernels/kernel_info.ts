/**
 * What the kernels found about this engine and CPU at load time, and which paths they chose:
 * whether WebAssembly SIMD runs, the semantics of relaxed SIMD's `relaxed_dot_i8x16_i7x16_add`
 * on full-range bytes (probed with crafted operands), whether `relaxed_madd` is fused, the
 * int8 GEMM path, and the worker pool's threads. Benchmarks print it next to their numbers.
 *
 * @example
 * ```ts
 * import { kernelInfo } from "@lowbit/kernels/kernel-info";
 * import { ok } from "node:assert/strict";
 * const info = kernelInfo();
 * ok(["relaxed-dot-u8s8", "dot-i16", "ts"].includes(info.int8Gemm));
 * ok(info.int8Gemm !== "relaxed-dot-u8s8" || info.relaxedDot === "u8s8");
 * ```
 *
 * @module
 */

import { probe, type RelaxedDotSemantics } from "./_probe.ts";
import { int8Path } from "./_int8_path.ts";
import { kernels } from "./_wasm.ts";
import { activePoolThreads } from "./_pool_state.ts";

export type { RelaxedDotSemantics } from "./_probe.ts";

/** The result of {@link kernelInfo}. */
export interface KernelInfo {
  /** The WebAssembly SIMD kernels run here (else every kernel uses its TypeScript reference). */
  wasm: boolean;
  /** Kernel memory is a SharedArrayBuffer (the worker pool can start). */
  sharedMemory: boolean;
  /**
   * `i32x4.relaxed_dot_i8x16_i7x16_add_s(a, b, c)` on bytes of b ≥ 0x80: `"u8s8"` (b unsigned,
   * exact, as x86 VNNI `vpdpbusd`), `"u8s8-pair-saturating"` (`pmaddubsw` + `pmaddwd`),
   * `"s8s8"` (b signed, as Arm `sdot`), `"other"`, or `"absent"` (no relaxed SIMD).
   */
  relaxedDot: RelaxedDotSemantics;
  /** `f32x4.relaxed_madd` rounds once (FMA); null without relaxed SIMD. */
  fusedMadd: boolean | null;
  /**
   * The int8 GEMM path: `"relaxed-dot-u8s8"` (16 multiply-adds per instruction, chosen when
   * relaxedDot is `"u8s8"`), `"dot-i16"` (`i32x4.dot_i16x8_s`, 8 per instruction), or `"ts"`.
   */
  int8Gemm: "relaxed-dot-u8s8" | "dot-i16" | "ts";
  /** Threads of the enabled worker pool (1 when none). */
  poolThreads: number;
}

/**
 * Reports the probe's findings and the chosen kernel paths.
 *
 * @returns The kernel information (the probe runs once per process).
 *
 * @example
 * ```ts
 * import { kernelInfo } from "@lowbit/kernels/kernel-info";
 * import { equal } from "node:assert/strict";
 * equal(kernelInfo().poolThreads, 1); // no pool started
 * ```
 */
export function kernelInfo(): KernelInfo {
  const k = kernels();
  const p = probe();
  return {
    wasm: k !== null,
    sharedMemory: k !== null && k.memory.buffer instanceof SharedArrayBuffer,
    relaxedDot: p.relaxedDot,
    fusedMadd: p.fusedMadd,
    int8Gemm: k === null ? "ts" : int8Path(),
    poolThreads: activePoolThreads(),
  };
}
