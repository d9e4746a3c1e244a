/**
 * 8-bit integer GEMM with int32 accumulation (ONNX `MatMulInteger` semantics, Jacob et al.
 * 2018 §2.3): `C_ij = Σ_p (A_ip − z_A)(B_pj − z_B[j]) + bias_j`, A u8 or i8, B i8 or u8,
 * optional per-column B zero points. Accumulation wraps modulo 2^32 like int32 hardware; it
 * is exact whenever `k·255·255` (plus the bias) fits in int32, i.e. k ≤ 33,025.
 * {@link gemmInt8Requantized} adds a fused output stage (see `output-stage.ts`).
 *
 * Zero points are handled as in gemmlowp: the kernel multiplies raw codes and corrects with
 * precomputed row sums of A and column sums of B:
 * `Σ(a − z_A)(b − z_B) = Σab − z_B·Σ_p a − z_A·Σ_p b + k·z_A·z_B`.
 *
 * @example uint8 activations × int8 weights with a zero point
 * ```ts
 * import { gemmInt8 } from "@lowbit/kernels/gemm-int8";
 * import { deepEqual } from "node:assert/strict";
 * const a = new Uint8Array([130, 128, 127, 255]); // 2×2, zero point 128
 * const b = new Int8Array([1, 2, 3, 4]); // 2×2
 * deepEqual([...gemmInt8(2, 2, 2, a, b, { aZeroPoint: 128 })], [2, 4, 380, 506]);
 * ```
 *
 * @module
 */

import { checkLength, checkType } from "./_validate.ts";
import type { GemmInt8Options, Int8Operand } from "./_types.ts";
export type { GemmInt8Options, Int8Operand } from "./_types.ts";
import type { OutputStage } from "./output_stage.ts";
import { requantizeResolved, resolveOutputStage } from "./_output_stage.ts";
import { gemmInt8Reference, resolveGemmInt8 } from "./_gemm_int8_ref.ts";
import { gemmInt8Wasm } from "./_gemm_int8_wasm.ts";
import type { PackedInt8 } from "./pack_int8.ts";

/** Options of {@link gemmInt8Requantized}. */
export interface GemmInt8RequantizedOptions extends Omit<GemmInt8Options, "out"> {
  /** How accumulators become output codes. */
  outputStage: OutputStage;
  /** Output codes (≥ m·n, Int8Array for int8 or Uint8Array for uint8). */
  out?: Int8Array | Uint8Array;
}

/**
 * Computes int32 accumulators `C = (A − z_A)·(B − z_B) + bias` (row-major m×n).
 *
 * @param m Rows of A and C.
 * @param n Columns of B and C.
 * @param k Columns of A = rows of B.
 * @param a A codes, row-major m×k (Uint8Array or Int8Array).
 * @param b B codes, row-major k×n (n×k when `transB`), or packed once with `packInt8`.
 * @param options Zero points, transpose, bias, output, kernel.
 * @returns The accumulators.
 * @throws {RangeError} On bad dimensions, short buffers, zero points outside the operand's
 *   type, or a bias/zero-point array of the wrong length.
 * @throws {TypeError} When an operand is not an Int8Array/Uint8Array.
 *
 * @example Per-column weight zero points
 * ```ts
 * import { gemmInt8 } from "@lowbit/kernels/gemm-int8";
 * import { deepEqual } from "node:assert/strict";
 * const acc = gemmInt8(1, 2, 2, new Int8Array([1, 1]), new Int8Array([5, 5, 5, 5]), {
 *   bZeroPoint: new Int32Array([5, 4]),
 * });
 * deepEqual([...acc], [0, 2]);
 * ```
 */
export function gemmInt8(
  m: number,
  n: number,
  k: number,
  a: Int8Operand,
  b: Int8Operand | PackedInt8,
  options: GemmInt8Options = {},
): Int32Array {
  const call = resolveGemmInt8(m, n, k, a, b, options);
  const out = options.out ?? new Int32Array(m * n);
  checkType("options.out", out, [Int32Array]);
  checkLength("options.out", out, m * n, `m×n = ${m * n}`);
  if (call.useWasm) gemmInt8Wasm(call, call.packed, { kind: "acc", out });
  else gemmInt8Reference(call, out);
  return out;
}

/**
 * int8 GEMM with a fused output stage: accumulators are requantized to int8/uint8 codes as
 * {@link requantizeAccumulators} does, without materialising the int32 matrix.
 *
 * @param m Rows of A and C.
 * @param n Columns of B and C.
 * @param k Columns of A = rows of B.
 * @param a A codes, row-major m×k.
 * @param b B codes, row-major k×n (n×k when `transB`), or a `PackedInt8`.
 * @param options GEMM options plus `outputStage` and the code output.
 * @returns The output codes.
 * @throws {RangeError} As {@link gemmInt8}, plus a bad output stage or output buffer.
 *
 * @example QLinearMatMul-style rescale to uint8
 * ```ts
 * import { gemmInt8Requantized } from "@lowbit/kernels/gemm-int8";
 * import { deepEqual } from "node:assert/strict";
 * const y = gemmInt8Requantized(1, 2, 2, new Uint8Array([2, 4]), new Int8Array([1, -1, 1, 1]), {
 *   outputStage: { kind: "float", multiplier: 0.5, zeroPoint: 128, dtype: "uint8" },
 * });
 * deepEqual([...y], [131, 129]); // acc [6, 2] → 3 + 128, 1 + 128
 * ```
 */
export function gemmInt8Requantized(
  m: number,
  n: number,
  k: number,
  a: Int8Operand,
  b: Int8Operand | PackedInt8,
  options: GemmInt8RequantizedOptions,
): Int8Array | Uint8Array {
  if (options === null || typeof options !== "object") {
    throw new TypeError("options must be an object with an outputStage");
  }
  const call = resolveGemmInt8(m, n, k, a, b, options);
  const stage = resolveOutputStage(options.outputStage, n);
  const out = options.out ??
    (stage.dtype === "int8" ? new Int8Array(m * n) : new Uint8Array(m * n));
  if ((stage.dtype === "int8") !== (out instanceof Int8Array) || out.length < m * n) {
    throw new RangeError(
      `options.out must be a${
        stage.dtype === "int8" ? "n Int8Array" : " Uint8Array"
      } of length ≥ m×n = ${m * n}`,
    );
  }
  if (call.useWasm) {
    gemmInt8Wasm(call, call.packed, { kind: "codes", stage, out });
    return out;
  }
  // Row blocks keep the int32 scratch small.
  const rows = Math.max(1, Math.min(m, Math.floor(65536 / n)));
  const acc = new Int32Array(rows * n);
  for (let i0 = 0; i0 < m; i0 += rows) {
    const r = Math.min(rows, m - i0);
    const sub = { ...call, m: r, a: call.a.subarray(i0 * k, (i0 + r) * k) };
    gemmInt8Reference(sub, acc);
    requantizeResolved(acc, 0, r, n, stage, out, i0 * n);
  }
  return out;
}
