// Private: validation of int8 GEMM calls and the plain TypeScript reference kernel.

import { checkDim, checkIntRange, checkIntRangeEach, checkLength, checkType } from "./_validate.ts";
import type { GemmInt8Options, Int8Operand, KernelChoice } from "./_types.ts";
import { PackedInt8 } from "./pack_int8.ts";
import { wasmAvailable } from "./_wasm.ts";
import type { ResolvedConv2d } from "./_conv_resolve.ts";

/** A validated int8 GEMM call. */
export interface GemmInt8Call {
  m: number;
  n: number;
  k: number;
  a: Int8Operand;
  /** B codes (for a packed B: read back lazily by the reference path). */
  b: Int8Operand;
  /** The packed B, when B came packed. */
  packed: PackedInt8 | null;
  transB: boolean;
  /** Whether the Wasm kernel runs. */
  useWasm: boolean;
  aZeroPoint: number;
  bZeroPoint: Int32Array;
  bias: Int32Array | undefined;
  /**
   * B as the im2col patch matrix of one image of a convolution's input, gathered in kernel
   * memory by the Wasm driver (then `b` is not read): the Wasm kernels only.
   */
  bIm2col?: { input: Int8Operand; r: ResolvedConv2d; image: number; fill: number };
  kernel: KernelChoice;
}

function rangeOf(x: Int8Operand): [number, number] {
  return x instanceof Int8Array ? [-128, 127] : [0, 255];
}

/** Validates the arguments shared by both entry points. */
export function resolveGemmInt8(
  m: number,
  n: number,
  k: number,
  a: Int8Operand,
  b: Int8Operand | PackedInt8,
  options: Omit<GemmInt8Options, "out">,
): GemmInt8Call {
  checkDim("m", m);
  checkDim("n", n);
  checkDim("k", k);
  checkType("a", a, [Int8Array, Uint8Array]);
  checkLength("a", a, m * k, `m×k = ${m * k}`);
  let packed: PackedInt8 | null = null;
  if (b instanceof PackedInt8) {
    if (b.k !== k || b.n !== n) {
      throw new RangeError(`b is packed as ${b.k}×${b.n}, the call needs k×n = ${k}×${n}`);
    }
    if (b.disposed) throw new RangeError("b (a PackedInt8) was disposed");
    packed = b;
  } else {
    checkType("b", b, [Int8Array, Uint8Array]);
    checkLength("b", b, k * n, `${options.transB ? "n×k" : "k×n"} = ${k * n}`);
  }
  const [alo, ahi] = rangeOf(a);
  const aZeroPoint = checkIntRange("options.aZeroPoint", options.aZeroPoint ?? 0, alo, ahi);
  const [blo, bhi] = packed ? (packed.signed ? [-128, 127] : [0, 255]) : rangeOf(b as Int8Operand);
  const bz = options.bZeroPoint ?? 0;
  let bZeroPoint: Int32Array;
  if (typeof bz === "number") {
    bZeroPoint = new Int32Array(n).fill(checkIntRange("options.bZeroPoint", bz, blo, bhi));
  } else {
    checkType("options.bZeroPoint", bz, [Int32Array]);
    if (bz.length !== n) {
      throw new RangeError(`options.bZeroPoint must have length n = ${n}, got ${bz.length}`);
    }
    checkIntRangeEach("options.bZeroPoint", bz, blo, bhi);
    bZeroPoint = bz;
  }
  if (options.bias !== undefined) {
    checkType("options.bias", options.bias, [Int32Array]);
    if (options.bias.length !== n) {
      throw new RangeError(`options.bias must have length n = ${n}, got ${options.bias.length}`);
    }
  }
  const kernel = options.kernel ?? "auto";
  if (kernel !== "auto" && kernel !== "wasm" && kernel !== "ts") {
    throw new RangeError(`options.kernel must be "auto", "wasm" or "ts", got ${String(kernel)}`);
  }
  if (kernel === "wasm" && !wasmAvailable()) {
    throw new RangeError('options.kernel is "wasm" but this runtime does not validate Wasm SIMD');
  }
  const useWasm = kernel === "wasm" || (kernel === "auto" && wasmAvailable());
  return {
    m,
    n,
    k,
    a,
    // a packed B is row-major once read back
    b: packed ? (useWasm ? new Int8Array(0) : packed.toRowMajor()) : b as Int8Operand,
    packed,
    transB: packed ? false : options.transB ?? false,
    useWasm,
    aZeroPoint,
    bZeroPoint,
    bias: options.bias,
    kernel,
  };
}

/**
 * The reference kernel: direct `Σ (a − z_A)(b − z_B)` with int32 wraparound (`Math.imul`).
 *
 * @param c The validated call.
 * @param out Accumulator storage (≥ m·n).
 * @returns `out`.
 */
export function gemmInt8Reference(c: GemmInt8Call, out: Int32Array): Int32Array {
  const { m, n, k, a, b, aZeroPoint: za, bZeroPoint: zb, bias } = c;
  const row = new Int32Array(n);
  for (let i = 0; i < m; i++) {
    if (bias) row.set(bias);
    else row.fill(0);
    for (let p = 0; p < k; p++) {
      const av = a[i * k + p] - za;
      if (c.transB) {
        for (let j = 0; j < n; j++) row[j] = (row[j] + Math.imul(av, b[j * k + p] - zb[j])) | 0;
      } else {
        const off = p * n;
        for (let j = 0; j < n; j++) row[j] = (row[j] + Math.imul(av, b[off + j] - zb[j])) | 0;
      }
    }
    out.set(row, i * n);
  }
  return out;
}
