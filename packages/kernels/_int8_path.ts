// Private: which WebAssembly int8 GEMM path runs, chosen from the relaxed-SIMD probe. Tests
// force each path with forceInt8Path (weights packed while a path is forced keep its layout).

import { probe } from "./_probe.ts";

/** The WebAssembly int8 GEMM paths. */
export type Int8Path =
  /** u8×s8 with `i32x4.relaxed_dot_i8x16_i7x16_add_s` (where it lowers to VNNI). */
  | "relaxed-dot-u8s8"
  /** i16×i16 with `i32x4.dot_i16x8_s` (pmaddwd), deterministic everywhere. */
  | "dot-i16";

let forced: Int8Path | null = null;

/** The path int8 GEMMs (and packInt8's layout) use. */
export function int8Path(): Int8Path {
  if (forced) return forced;
  return probe().relaxedDot === "u8s8" ? "relaxed-dot-u8s8" : "dot-i16";
}

/** Forces a path (null: back to the probe's choice). */
export function forceInt8Path(path: Int8Path | null): void {
  forced = path;
}
