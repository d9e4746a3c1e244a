// Private: WebAssembly SIMD path of FloatFormat.encodeArray — float32 → minifloat bit patterns
// with round-to-nearest-even, one kernel for every format (source: wasm/minifloat_rne.wat,
// embedded by `deno task build:wasm`). Bit-identical to the TypeScript kernel in _rne_f32.ts.

import type { BitsArray } from "./_types.ts";
import type { RneParams } from "./_rne_f32.ts";
import { MINIFLOAT_RNE_WASM_BASE64 } from "./_minifloat_rne_wasm_bytes.ts";

/** Elements per call: 32 Ki float32 in, at most 32 Ki u32 out (memory holds 10 pages). */
const CHUNK = 32768;
const PARAMS = 0;
// Both buffers start 2 KiB into a page: TypedArray.set out of Wasm memory into a page-aligned
// JS array is ~17x slower when the source is page-aligned too (4 KiB aliasing, measured here).
const SRC = 65536 + 2048;
const DST = SRC + CHUNK * 4 + 2048;

interface Kernel {
  memory: WebAssembly.Memory;
  rne: (src: number, dst: number, n: number, width: number) => number;
  params: Int32Array;
  src: Float32Array;
  out8: Uint8Array;
  out16: Uint16Array;
  out32: Uint32Array;
  loaded: RneParams | null;
}

let bytes: Uint8Array<ArrayBuffer> | undefined;
let kernel: Kernel | null | undefined;

function wasmBytes(): Uint8Array<ArrayBuffer> {
  return bytes ??= Uint8Array.from(atob(MINIFLOAT_RNE_WASM_BASE64), (c) => c.charCodeAt(0));
}

/** Whether this runtime can run the SIMD kernel (`WebAssembly.validate` accepts it). */
export function minifloatWasmAvailable(): boolean {
  return getKernel() !== null;
}

function getKernel(): Kernel | null {
  if (kernel !== undefined) return kernel;
  const code = wasmBytes();
  if (typeof WebAssembly === "undefined" || !WebAssembly.validate(code)) return kernel = null;
  const instance = new WebAssembly.Instance(new WebAssembly.Module(code));
  const memory = instance.exports.memory as WebAssembly.Memory;
  const buf = memory.buffer;
  kernel = {
    memory,
    rne: instance.exports.rne_f32 as Kernel["rne"],
    params: new Int32Array(buf, PARAMS, 12),
    src: new Float32Array(buf, SRC, CHUNK),
    out8: new Uint8Array(buf, DST, CHUNK),
    out16: new Uint16Array(buf, DST, CHUNK),
    out32: new Uint32Array(buf, DST, CHUNK),
    loaded: null,
  };
  return kernel;
}

function load(k: Kernel, p: RneParams): void {
  if (k.loaded === p) return;
  const w = k.params;
  w[0] = p.shift;
  w[1] = 2 ** (p.shift - 1) - 1;
  w[2] = p.overflowFrom;
  w[3] = p.normalFrom;
  w[4] = p.rebias;
  w[5] = p.magicBits;
  w[6] = p.signBit;
  w[7] = p.keepNegZero ? -1 : 0;
  w[8] = p.nan;
  w[9] = p.overflow;
  w[10] = 0;
  w[11] = p.storageShift;
  k.loaded = p;
}

/**
 * Encodes `src[0..n)` with the Wasm kernel, where n is the largest multiple of 4 not above
 * `src.length` (the caller finishes the tail).
 *
 * @returns The number of elements done, or −1 − i when element i is NaN and the format has no
 *   NaN (nothing is guaranteed about `dst` then), or 0 when Wasm SIMD is unavailable.
 */
export function encodeRneWasm(src: Float32Array, dst: BitsArray, p: RneParams): number {
  const k = getKernel();
  if (k === null) return 0;
  load(k, p);
  const n = src.length - (src.length % 4);
  const width = dst.BYTES_PER_ELEMENT;
  const out = width === 1 ? k.out8 : width === 2 ? k.out16 : k.out32;
  for (let s = 0; s < n; s += CHUNK) {
    const e = Math.min(n, s + CHUNK);
    k.src.set(src.subarray(s, e));
    if (k.rne(SRC, DST, e - s, width) !== 0 && p.nan < 0) {
      for (let i = s; i < e; i++) if (src[i] !== src[i]) return -1 - i;
    }
    dst.set(e - s === CHUNK ? out : out.subarray(0, e - s), s);
  }
  return n;
}
