// Binary and ternary GEMM on the worker pool: above the size threshold B's columns are split
// across threads; results equal integer dot products of the ±1 / {−1, 0, 1} matrices.
import { deepEqual } from "node:assert/strict";
import { Philox } from "@lowbit/rounding";
import { gemmBinary, packBinary } from "./gemm_binary.ts";
import { gemmTernary, packTernary } from "./gemm_ternary.ts";
import { startPool } from "./pool.ts";
import { naiveRowDots } from "./_test_util.ts";
import { BITS_PARALLEL_MIN } from "./_gemm_binary_wasm.ts";

function values(len: number, seed: number, zeros: boolean): Int8Array {
  const r = new Philox(seed, 9);
  return Int8Array.from(
    { length: len },
    () => zeros ? (r.nextUint32() % 3) - 1 : r.nextUint32() & 1 ? 1 : -1,
  );
}

Deno.test("gemmBinary / gemmTernary on two threads equal the integer dot products", async () => {
  await using _pool = await startPool({ threads: 2 });
  // above the threshold (split) and below it (one thread), odd n and k
  for (const [m, n, k] of [[40, 301, 3001], [5, 7, 65]]) {
    const big = m * n * k >= BITS_PARALLEL_MIN;
    const a = values(m * k, m, false), b = values(n * k, n, false);
    deepEqual(
      gemmBinary(m, n, k, packBinary(a, m, k), packBinary(b, n, k)),
      naiveRowDots(m, n, k, a, b),
      `binary ${m}×${n}×${k} split=${big}`,
    );
    const ta = values(m * k, m + 1, true), tb = values(n * k, n + 1, true);
    deepEqual(
      gemmTernary(m, n, k, packTernary(ta, m, k), packTernary(tb, n, k)),
      naiveRowDots(m, n, k, ta, tb),
      `ternary ${m}×${n}×${k} split=${big}`,
    );
  }
});
