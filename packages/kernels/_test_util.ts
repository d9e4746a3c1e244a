// Private test helpers: seeded random operands.

import { Philox } from "@lowbit/rounding";

/** Seeded Float32Array of uniform values in [-1, 1). */
export function randomF32(len: number, seed: number, stream = 0): Float32Array {
  const r = new Philox(seed, stream);
  const x = new Float32Array(len);
  for (let i = 0; i < len; i++) x[i] = r.uniform() * 2 - 1;
  return x;
}

/** Seeded integer codes in [lo, hi], optionally forcing some extremes. */
export function randomInts<T extends Int8Array | Uint8Array>(
  make: new (n: number) => T,
  len: number,
  lo: number,
  hi: number,
  seed: number,
): T {
  const r = new Philox(seed, 1);
  const x = new make(len);
  for (let i = 0; i < len; i++) {
    const u = r.nextUint32() / 4294967296;
    // a quarter of the values at the ends of the range
    x[i] = u < 0.125 ? lo : u < 0.25 ? hi : lo + Math.floor(r.uniform() * (hi - lo + 1));
  }
  return x;
}

/** Integer dot products C = A·Bᵀ (A m×k, B given as n rows of k), the bit-GEMM truth. */
export function naiveRowDots(
  m: number,
  n: number,
  k: number,
  a: Int8Array,
  bt: Int8Array,
): Int32Array {
  const c = new Int32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p] * bt[j * k + p];
      c[i * n + j] = s;
    }
  }
  return c;
}

/** K values of the bit-GEMM grid: around the 32- and 64-bit word edges. */
export const KS = [1, 31, 32, 33, 63, 64, 65, 255, 256, 257];
/** m, n values of the bit-GEMM grid. */
export const MN = [1, 3, 7, 16, 17, 63, 64, 65];
