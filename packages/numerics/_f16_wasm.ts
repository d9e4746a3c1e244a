// Private: the FP16 WebAssembly SIMD kernel (source: `wasm/f16.wat`, embedded by
// `deno task build:wasm`) behind the public module f16.ts; minifloat.ts uses it for FP16.

import { F16_WASM_BASE64 } from "./_f16_wasm_bytes.ts";

/** Elements per kernel call. */
const CHUNK = 65536;
/**
 * Both buffers start 2 KiB into a page: copying out of wasm memory into a page-aligned array
 * (as large typed arrays are) with TypedArray.set measured ~17× slower when the source was
 * page-aligned too (4 KiB aliasing in the copy).
 */
const F32_AT = 2048;
const U16_AT = F32_AT + CHUNK * 4;
const PAGE = 65536;

interface Kernel {
  encode: (src: number, dst: number, n: number, saturate: number) => void;
  decode: (src: number, dst: number, n: number) => void;
  f32: Float32Array;
  u16: Uint16Array;
}

let bytes: Uint8Array<ArrayBuffer> | undefined;
let kernel: Kernel | null | undefined;

function wasmBytes(): Uint8Array<ArrayBuffer> {
  return bytes ??= Uint8Array.from(atob(F16_WASM_BASE64), (c) => c.charCodeAt(0));
}

function getKernel(): Kernel | null {
  if (kernel !== undefined) return kernel;
  const code = wasmBytes();
  if (typeof WebAssembly === "undefined" || !WebAssembly.validate(code)) return kernel = null;
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(code));
  const memory = exports.memory as WebAssembly.Memory;
  const pages = Math.ceil((U16_AT + CHUNK * 2) / PAGE);
  const have = memory.buffer.byteLength / PAGE;
  if (have < pages) memory.grow(pages - have);
  return kernel = {
    encode: exports.f32_to_f16 as Kernel["encode"],
    decode: exports.f16_to_f32 as Kernel["decode"],
    f32: new Float32Array(memory.buffer, F32_AT, CHUNK),
    u16: new Uint16Array(memory.buffer, U16_AT, CHUNK),
  };
}

function requireKernel(): Kernel {
  const k = getKernel();
  if (k === null) throw new Error("WebAssembly SIMD is not available in this runtime");
  return k;
}

/**
 * Whether this runtime can run the FP16 SIMD kernel (`WebAssembly.validate` accepts it).
 *
 * @returns `true` when WebAssembly with SIMD128 is available.
 *
 * @example Check before choosing the kernel
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { f16WasmAvailable } from "@lowbit/numerics/f16";
 *
 * equal(f16WasmAvailable(), true); // Deno has WebAssembly SIMD
 * ```
 */
export function f16WasmAvailable(): boolean {
  return getKernel() !== null;
}

/**
 * Converts float32 values to FP16 bit patterns, rounding half to even like `Float16Array`.
 *
 * Overflow gives ±Inf (0x7c00 / 0xfc00); with `saturate` it gives ±65504 (0x7bff / 0xfbff),
 * for infinite input too. NaN gives the quiet NaN `sign | 0x7e00`; -0 gives 0x8000.
 *
 * @param src The float32 values.
 * @param out Receives `src.length` patterns at its start; must be at least as long as `src`.
 * @param saturate Clamp overflow and infinities to the largest finite FP16 value.
 * @returns `out`.
 * @throws {RangeError} If `out` is shorter than `src`.
 *
 * @example Round to nearest even, overflow and saturation
 * ```ts
 * import { deepEqual, equal } from "node:assert/strict";
 * import { float32ToFloat16BitsWasm } from "@lowbit/numerics/f16";
 *
 * const src = new Float32Array([1, -2, 65519, 65520, 2 ** -24 * 3, -0]);
 * const bits = float32ToFloat16BitsWasm(src, new Uint16Array(6), false);
 * // 65519 is below the midpoint 65520 and rounds to 65504; the tie 65520 goes to even: Inf
 * deepEqual([...bits], [0x3c00, 0xc000, 0x7bff, 0x7c00, 0x0003, 0x8000]);
 * const big = new Float32Array([65520, -Infinity]);
 * deepEqual([...float32ToFloat16BitsWasm(big, new Uint16Array(2), true)], [0x7bff, 0xfbff]);
 * equal(float32ToFloat16BitsWasm(new Float32Array([NaN]), new Uint16Array(1), false)[0], 0x7e00);
 * ```
 */
export function float32ToFloat16BitsWasm(
  src: Float32Array,
  out: Uint16Array,
  saturate: boolean,
): Uint16Array {
  if (out.length < src.length) {
    throw new RangeError(`out has length ${out.length}, shorter than src (${src.length})`);
  }
  const k = requireKernel();
  const n = src.length;
  const sat = saturate ? 1 : 0;
  for (let i = 0; i < n; i += CHUNK) {
    const len = Math.min(CHUNK, n - i);
    k.f32.set(src.subarray(i, i + len));
    k.encode(F32_AT, U16_AT, len, sat);
    out.set(k.u16.subarray(0, len), i);
  }
  return out;
}

/**
 * Converts FP16 bit patterns to their exact float32 values.
 *
 * NaN patterns give a quiet float32 NaN with the same sign.
 *
 * @param src The FP16 bit patterns.
 * @param out Receives `src.length` values at its start; must be at least as long as `src`.
 * @returns `out`.
 * @throws {RangeError} If `out` is shorter than `src`.
 *
 * @example Normal, subnormal, signed zero and infinity
 * ```ts
 * import { deepEqual, equal } from "node:assert/strict";
 * import { float16BitsToFloat32Wasm } from "@lowbit/numerics/f16";
 *
 * const bits = new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x8000, 0xfc00]);
 * const values = float16BitsToFloat32Wasm(bits, new Float32Array(6));
 * deepEqual([...values], [1, -2, 65504, 2 ** -24, -0, -Infinity]);
 * const nan = float16BitsToFloat32Wasm(new Uint16Array([0x7e00]), new Float32Array(1));
 * equal(Number.isNaN(nan[0]), true);
 * ```
 */
export function float16BitsToFloat32Wasm(src: Uint16Array, out: Float32Array): Float32Array {
  if (out.length < src.length) {
    throw new RangeError(`out has length ${out.length}, shorter than src (${src.length})`);
  }
  const k = requireKernel();
  const n = src.length;
  for (let i = 0; i < n; i += CHUNK) {
    const len = Math.min(CHUNK, n - i);
    k.u16.set(src.subarray(i, i + len));
    k.decode(U16_AT, F32_AT, len);
    out.set(k.f32.subarray(0, len), i);
  }
  return out;
}
