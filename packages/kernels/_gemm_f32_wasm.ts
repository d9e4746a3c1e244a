// Private: the WebAssembly SIMD f32 GEMM driver (kernel source: wasm/gemm_f32.wat). Lays out
// A, packed B and C in the shared kernel memory, runs the blocked kernel over row ranges
// (split across the worker pool when one is active and the product is large), applies bias
// and activation, and copies C out.

import type { GemmF32Call } from "./_gemm_f32_ref.ts";
import type { PackedF32 } from "./pack.ts";
import { Arena, kernels, reserve, scratchAt } from "./_wasm.ts";
import { activePool, PARALLEL_MIN_WORK } from "./_pool_state.ts";

const ACT = { none: 0, relu: 1, relu6: 2 } as const;

/** Runs a validated call on the Wasm kernel; `packed` replaces `c.b` when given. */
export function gemmF32Wasm(c: GemmF32Call, packed: PackedF32 | null): void {
  const w = kernels()!;
  const { m, n, k } = c;
  const panels = Math.ceil(n / 8);
  const arena = new Arena();
  const aAt = arena.alloc(m * k * 4, true);
  const bAt = arena.alloc(panels * 8 * k * 4, true);
  const cAt = arena.alloc(m * n * 4, true);
  const biasAt = c.bias ? arena.alloc(n * 4) : 0;
  const rawAt = packed ? 0 : arena.alloc(k * n * 4, true);
  const f = new Float32Array(reserve(w, arena.end));
  if (c.transA) {
    // A is stored k×m: transpose while copying in.
    const a = c.a;
    for (let i = 0; i < m; i++) {
      const row = aAt / 4 + i * k;
      for (let p = 0; p < k; p++) f[row + p] = a[p * m + i];
    }
  } else {
    f.set(c.a.subarray(0, m * k), aAt / 4);
  }
  if (packed) {
    f.set(packed.data, bAt / 4);
  } else {
    f.set(c.b.subarray(0, k * n), rawAt / 4);
    w.f32.pack_b(rawAt, k, n, c.transB ? 1 : 0, bAt);
  }
  if (c.accumulate) f.set(c.out.subarray(0, m * n), cAt / 4);
  if (c.bias) f.set(c.bias, biasAt / 4);
  const load = c.accumulate ? 1 : 0;
  const pool = activePool();
  if (pool && m >= 12 && m * n * k >= PARALLEL_MIN_WORK) {
    pool.runGemmF32(aAt, bAt, cAt, k, n, m, load);
  } else {
    w.f32.gemm(aAt, bAt, cAt, k, n, 0, m, load, scratchAt(0));
  }
  const act = ACT[c.activation];
  if (c.bias || act !== 0) w.f32.bias_act(cAt, n, 0, m, biasAt, act);
  c.out.set(f.subarray(cAt / 4, cAt / 4 + m * n));
}
