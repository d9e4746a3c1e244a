/**
 * Single-precision GEMM: `C = act(A·B + bias)` (row-major, optional transposes), with a
 * plain TypeScript reference (the truth: products summed in binary64 and rounded once) and a
 * WebAssembly SIMD kernel (float32 fused multiply-add accumulation, packed panels); one
 * chooser picks the kernel. Above a size threshold the work is shared with the worker pool
 * when one is enabled (see `pool.ts`).
 *
 * Error bound of the Wasm kernel against the reference, checked element by element in the
 * tests: `|C_wasm − C_ref| ≤ γ_(k+2) · Σ_p |A_ip|·|B_pj| + u·|C_ref|` with `u = 2^-24` and
 * `γ_n = n·u / (1 − n·u)` (recursive float32 summation, the bias and a possibly unfused
 * multiply-add counted as extra terms; see docs/kernels.md).
 *
 * @example
 * ```ts
 * import { gemmF32 } from "@lowbit/kernels/gemm-f32";
 * import { deepEqual } from "node:assert/strict";
 * // [1 2; 3 4] · [5 6; 7 8] = [19 22; 43 50]
 * const c = gemmF32(2, 2, 2, new Float32Array([1, 2, 3, 4]), new Float32Array([5, 6, 7, 8]));
 * deepEqual([...c], [19, 22, 43, 50]);
 * ```
 *
 * @module
 */

import { checkDim, checkLength, checkType } from "./_validate.ts";
import type { FusedActivation, KernelChoice } from "./_types.ts";
export type { FusedActivation, KernelChoice } from "./_types.ts";
import { type GemmF32Call, gemmF32Reference } from "./_gemm_f32_ref.ts";
import { wasmAvailable } from "./_wasm.ts";
import { gemmF32Wasm } from "./_gemm_f32_wasm.ts";
import { isPackedF32, type PackedF32, unpackF32 } from "./pack.ts";

/** Options of {@link gemmF32}. */
export interface GemmF32Options {
  /** A is stored k×m (use Aᵀ). Default false. */
  transA?: boolean;
  /** B is stored n×k (use Bᵀ). Default false. Ignored for a packed B (packing fixed it). */
  transB?: boolean;
  /** Per-column bias of length n, added before the activation. */
  bias?: Float32Array;
  /** Output activation. Default `"none"`. */
  activation?: FusedActivation;
  /** Add the product into `out` instead of overwriting it (`C += A·B`). Default false. */
  accumulate?: boolean;
  /** Output storage (at least m·n elements); allocated when omitted. */
  out?: Float32Array;
  /** Implementation. Default `"auto"` (Wasm SIMD when the runtime validates it). */
  kernel?: KernelChoice;
}

const ACTIVATIONS: readonly FusedActivation[] = ["none", "relu", "relu6"];

/**
 * Computes `C = act(op(A)·op(B) + bias)` in float32, C row-major m×n.
 *
 * @param m Rows of op(A) and C.
 * @param n Columns of op(B) and C.
 * @param k Columns of op(A) = rows of op(B).
 * @param a A, row-major m×k (k×m when `transA`).
 * @param b B, row-major k×n (n×k when `transB`), or packed once with `packF32`.
 * @param options Transposes, bias, activation, accumulation, output, kernel.
 * @returns C (the `out` array when given).
 * @throws {RangeError} On a non-integer or non-positive dimension, a buffer too small, a bias
 *   of the wrong length, an unknown activation or kernel, or a packed B of another shape.
 * @throws {TypeError} When a buffer is not a Float32Array.
 *
 * @example Bias and ReLU
 * ```ts
 * import { gemmF32 } from "@lowbit/kernels/gemm-f32";
 * import { deepEqual } from "node:assert/strict";
 * const a = new Float32Array([1, -1]); // 1×2
 * const b = new Float32Array([2, 3, 4, 5]); // 2×2
 * const c = gemmF32(1, 2, 2, a, b, { bias: new Float32Array([1, -3]), activation: "relu" });
 * deepEqual([...c], [0, 0]); // act([-2 + 1, -2 - 3])
 * ```
 */
export function gemmF32(
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  b: Float32Array | PackedF32,
  options: GemmF32Options = {},
): Float32Array {
  checkDim("m", m);
  checkDim("n", n);
  checkDim("k", k);
  checkType("a", a, [Float32Array]);
  checkLength("a", a, m * k, `${options.transA ? "k×m" : "m×k"} = ${m * k}`);
  const activation = options.activation ?? "none";
  if (!ACTIVATIONS.includes(activation)) {
    throw new RangeError(
      `options.activation must be one of ${ACTIVATIONS.join(", ")}, got ${String(activation)}`,
    );
  }
  const kernel = options.kernel ?? "auto";
  if (kernel !== "auto" && kernel !== "wasm" && kernel !== "ts") {
    throw new RangeError(`options.kernel must be "auto", "wasm" or "ts", got ${String(kernel)}`);
  }
  if (options.bias !== undefined) {
    checkType("options.bias", options.bias, [Float32Array]);
    if (options.bias.length !== n) {
      throw new RangeError(`options.bias must have length n = ${n}, got ${options.bias.length}`);
    }
  }
  const out = options.out ?? new Float32Array(m * n);
  checkType("options.out", out, [Float32Array]);
  checkLength("options.out", out, m * n, `m×n = ${m * n}`);
  if (options.accumulate && options.out === undefined) {
    throw new RangeError("options.accumulate needs options.out (the matrix to add into)");
  }
  const useWasm = kernel === "wasm" || (kernel === "auto" && wasmAvailable());
  if (kernel === "wasm" && !wasmAvailable()) {
    throw new RangeError('options.kernel is "wasm" but this runtime does not validate Wasm SIMD');
  }
  if (isPackedF32(b)) {
    if (b.k !== k || b.n !== n) {
      throw new RangeError(`b is packed as ${b.k}×${b.n}, the call needs k×n = ${k}×${n}`);
    }
    const call: GemmF32Call = { ...common(), b: b.data, transB: false };
    if (useWasm) gemmF32Wasm(call, b);
    else gemmF32Reference({ ...call, b: unpackF32(b) });
    return out;
  }
  checkType("b", b, [Float32Array]);
  checkLength("b", b, k * n, `${options.transB ? "n×k" : "k×n"} = ${k * n}`);
  const call: GemmF32Call = { ...common(), b, transB: options.transB ?? false };
  if (useWasm) gemmF32Wasm(call, null);
  else gemmF32Reference(call);
  return out;

  function common() {
    return {
      m,
      n,
      k,
      a,
      transA: options.transA ?? false,
      bias: options.bias,
      activation,
      accumulate: options.accumulate ?? false,
      out,
    };
  }
}
