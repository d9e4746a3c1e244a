/**
 * Packed weights for repeated GEMMs: B is rearranged once into the panel layout the
 * WebAssembly microkernel reads (8-column panels, k-major, zero-padded), so calls that reuse
 * the same weights skip the packing step.
 *
 * @example
 * ```ts
 * import { packF32 } from "@lowbit/kernels/pack";
 * import { gemmF32 } from "@lowbit/kernels/gemm-f32";
 * import { deepEqual } from "node:assert/strict";
 * const w = packF32(new Float32Array([1, 2, 3, 4, 5, 6]), 2, 3); // 2×3
 * deepEqual([...gemmF32(1, 3, 2, new Float32Array([1, 1]), w)], [5, 7, 9]);
 * ```
 *
 * @module
 */

import { checkDim, checkLength, checkType } from "./_validate.ts";
import { Arena, kernels, reserve } from "./_wasm.ts";

/** Columns per panel. */
export const PANEL_WIDTH = 8;

/** A k×n float32 matrix in panel layout; make one with {@link packF32}. */
export class PackedF32 {
  /** Rows (the GEMM's k). */
  readonly k: number;
  /** Columns (the GEMM's n). */
  readonly n: number;
  /**
   * Panel data: element (p, j) at `((j >> 3)·k + p)·8 + (j & 7)`; columns past n are zero.
   */
  readonly data: Float32Array;

  /**
   * Wraps panel data (no copy, no check: use {@link packF32}).
   *
   * @param k Rows.
   * @param n Columns.
   * @param data Panel data of length `ceil(n / 8)·k·8`.
   */
  constructor(k: number, n: number, data: Float32Array) {
    this.k = k;
    this.n = n;
    this.data = data;
  }
}

/**
 * Packs B (k×n row-major, or n×k with `transB`) for {@link gemmF32}.
 *
 * @param b The matrix.
 * @param k Rows of op(B).
 * @param n Columns of op(B).
 * @param options `transB`: b is stored n×k.
 * @returns The packed matrix.
 * @throws {RangeError} On bad dimensions or a short buffer.
 * @throws {TypeError} When b is not a Float32Array.
 *
 * @example Weights stored [out][in], as Linear layers keep them
 * ```ts
 * import { packF32 } from "@lowbit/kernels/pack";
 * import { equal } from "node:assert/strict";
 * const w = packF32(new Float32Array(30), 3, 10, { transB: true });
 * equal(w.data.length, 2 * 3 * 8); // two panels of 8 columns
 * ```
 */
export function packF32(
  b: Float32Array,
  k: number,
  n: number,
  options: { transB?: boolean } = {},
): PackedF32 {
  checkDim("k", k);
  checkDim("n", n);
  checkType("b", b, [Float32Array]);
  checkLength("b", b, k * n, `${options.transB ? "n×k" : "k×n"} = ${k * n}`);
  const trans = options.transB ?? false;
  const panels = Math.ceil(n / PANEL_WIDTH);
  const data = new Float32Array(panels * k * PANEL_WIDTH);
  const wasm = kernels();
  if (wasm) {
    const arena = new Arena();
    const src = arena.alloc(k * n * 4);
    const dst = arena.alloc(data.length * 4, true);
    const buf = new Float32Array(reserve(wasm, arena.end));
    buf.set(b.subarray(0, k * n), src / 4);
    wasm.f32.pack_b(src, k, n, trans ? 1 : 0, dst);
    data.set(buf.subarray(dst / 4, dst / 4 + data.length));
  } else {
    for (let jp = 0; jp < panels; jp++) {
      for (let p = 0; p < k; p++) {
        for (let jj = 0; jj < PANEL_WIDTH; jj++) {
          const j = jp * PANEL_WIDTH + jj;
          if (j < n) data[(jp * k + p) * 8 + jj] = trans ? b[j * k + p] : b[p * n + j];
        }
      }
    }
  }
  return new PackedF32(k, n, data);
}

/** True when `x` was made by {@link packF32}. */
export function isPackedF32(x: unknown): x is PackedF32 {
  return x instanceof PackedF32;
}

/**
 * Unpacks a packed matrix back to row-major k×n.
 *
 * @param p The packed matrix.
 * @returns B, row-major k×n.
 *
 * @example
 * ```ts
 * import { packF32, unpackF32 } from "@lowbit/kernels/pack";
 * import { deepEqual } from "node:assert/strict";
 * const b = new Float32Array([1, 2, 3, 4, 5, 6]);
 * deepEqual(unpackF32(packF32(b, 3, 2)), b);
 * ```
 */
export function unpackF32(p: PackedF32): Float32Array {
  const { k, n, data } = p;
  const b = new Float32Array(k * n);
  for (let p2 = 0; p2 < k; p2++) {
    for (let j = 0; j < n; j++) b[p2 * n + j] = data[((j >> 3) * k + p2) * 8 + (j & 7)];
  }
  return b;
}
