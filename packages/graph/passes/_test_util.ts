// Test-only helpers of the pass and fromNn tests: seeded inputs and a relative difference.

import { Philox } from "@lowbit/rounding/philox";

/** Seeded uniform float32 values in [lo, hi) from Philox(seed, 1). */
export function seeded(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = new Philox(seed, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * r.uniform();
  return out;
}

/** Largest |a − b| / max(1, |b|) over two arrays of equal length. */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  }
  return m;
}
