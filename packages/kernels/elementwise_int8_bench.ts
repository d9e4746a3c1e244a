// Elementwise int8 kernels beside their code: a ReLU6-like clamp of uint8 codes as a 256-entry
// table lookup (`lookup8`, the general path) against `clamp8` (what `@lowbit/runtime` uses when
// a table is a clamp), both Wasm SIMD, and the TypeScript loops, on a MobileNet-sized
// activation (96 channels × 96 × 96, batch 1, one thread).
// Run: tools/node_modules/.bin/deno bench -A packages/kernels/elementwise_int8_bench.ts

import { clamp8, lookup8, rowSums8 } from "./elementwise_int8.ts";
import { randomInts } from "./_test_util.ts";
import { kernelInfo } from "./kernel_info.ts";

console.log(`kernels: ${JSON.stringify(kernelInfo())}`);

const n = 96 * 96 * 96;
const src = randomInts(Uint8Array, n, 0, 255, 1);
const [lo, hi] = [30, 150];
const table = Uint8Array.from({ length: 256 }, (_, q) => Math.min(Math.max(q, lo), hi));
const out = new Uint8Array(n);

Deno.bench({
  name: "lookup8 (Wasm swizzles)",
  group: "clamp 884,736 uint8 codes",
  baseline: true,
  fn: () => void lookup8(table, src, out),
});
Deno.bench({
  name: "clamp8 (Wasm min/max)",
  group: "clamp 884,736 uint8 codes",
  fn: () => void clamp8(src, lo, hi, out),
});
Deno.bench({
  name: "clamp8 (TypeScript)",
  group: "clamp 884,736 uint8 codes",
  fn: () => void clamp8(src, lo, hi, out, "ts"),
});

// Per-channel sums (the global average pool of a squeeze-excitation block): 96 channels of 24×96.
const gap = randomInts(Uint8Array, 96 * 24 * 96, 0, 255, 2);
const sums = new Int32Array(96);
Deno.bench({
  name: "rowSums8 (Wasm SIMD)",
  group: "row sums 96 × 2304 uint8 codes",
  baseline: true,
  fn: () => void rowSums8(gap, 96, 24 * 96, sums),
});
Deno.bench({
  name: "rowSums8 (TypeScript)",
  group: "row sums 96 × 2304 uint8 codes",
  fn: () => void rowSums8(gap, 96, 24 * 96, sums, "ts"),
});
