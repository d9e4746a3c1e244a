// Private: the plain TypeScript reference f32 GEMM (the truth the Wasm kernel is tested
// against) and the validated call it takes.

import type { FusedActivation } from "./_types.ts";

/** Validated arguments shared by the kernels. */
export interface GemmF32Call {
  m: number;
  n: number;
  k: number;
  a: Float32Array;
  transA: boolean;
  b: Float32Array;
  transB: boolean;
  bias: Float32Array | undefined;
  activation: FusedActivation;
  accumulate: boolean;
  out: Float32Array;
}

/**
 * The reference kernel: each `C_ij` is `Σ_p A_ip·B_pj` summed in binary64 (every product of
 * two float32 values is exact there), plus the bias, rounded once to float32, then activated.
 *
 * @param c The validated call.
 * @returns `c.out`.
 */
export function gemmF32Reference(c: GemmF32Call): Float32Array {
  const { m, n, k, a, b, out, bias, activation } = c;
  const row = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    row.fill(0);
    for (let p = 0; p < k; p++) {
      const av = c.transA ? a[p * m + i] : a[i * k + p];
      if (c.transB) {
        for (let j = 0; j < n; j++) row[j] += av * b[j * k + p];
      } else {
        const off = p * n;
        for (let j = 0; j < n; j++) row[j] += av * b[off + j];
      }
    }
    const o = i * n;
    for (let j = 0; j < n; j++) {
      let v = row[j] + (bias ? bias[j] : 0);
      if (c.accumulate) v += out[o + j];
      v = Math.fround(v);
      if (activation !== "none" && !(v > 0) && v === v) v = 0; // max(v, +0), NaN kept
      if (activation === "relu6" && v > 6) v = 6;
      out[o + j] = v;
    }
  }
  return out;
}
