// Private: WebAssembly SIMD path of quantize() for segments with constant parameters (source:
// wasm/quantize_affine.wat, embedded by `deno task build:wasm`). Bit-identical to the
// TypeScript kernel in uniform.ts; a test compares them on every storage type.

import { QUANTIZE_AFFINE_WASM_BASE64 } from "./_quantize_affine_wasm_bytes.ts";

type Codes = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array;

const CHUNK = 32768;
// Buffers start 2 KiB into a page: copying out of Wasm memory into a page-aligned array is
// much slower when both are page-aligned (4 KiB aliasing, see @lowbit/numerics).
const SRC = 65536 + 2048;
const DST = SRC + CHUNK * 4 + 2048;

interface Kernel {
  run: (
    src: number,
    dst: number,
    n: number,
    inv: number,
    scale: number,
    zp: number,
    qmin: number,
    qmax: number,
    divide: number,
    width: number,
  ) => number;
  run16: (
    src: number,
    dst: number,
    n: number,
    inv: number,
    scale: number,
    zp: number,
    qmin: number,
    qmax: number,
    divide: number,
    unsigned: number,
  ) => number;
  src: Float32Array;
  buffer: ArrayBufferLike;
}

let kernel: Kernel | null | undefined;

function getKernel(): Kernel | null {
  if (kernel !== undefined) return kernel;
  const bytes: Uint8Array<ArrayBuffer> = Uint8Array.from(
    atob(QUANTIZE_AFFINE_WASM_BASE64),
    (c) => c.charCodeAt(0),
  );
  if (typeof WebAssembly === "undefined" || !WebAssembly.validate(bytes)) return kernel = null;
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
  const memory = instance.exports.memory as WebAssembly.Memory;
  const k: Kernel = {
    run: instance.exports.quantize_f32 as Kernel["run"],
    run16: instance.exports.quantize_f32_x16 as Kernel["run16"],
    src: new Float32Array(memory.buffer, SRC, CHUNK),
    buffer: memory.buffer,
  };
  kernel = k;
  return k;
}

/** Whether the SIMD kernel can run here. */
export function quantizeWasmAvailable(): boolean {
  return getKernel() !== null;
}

function widthCode(q: Codes): number {
  if (q instanceof Int8Array) return 1;
  if (q instanceof Uint8Array) return 5;
  if (q instanceof Int16Array) return 2;
  if (q instanceof Uint16Array) return 6;
  return 4;
}

function view(q: Codes, buffer: ArrayBufferLike, n: number): Codes {
  const C = q.constructor as new (b: ArrayBufferLike, o: number, n: number) => Codes;
  return new C(buffer, DST, n);
}

/**
 * Quantizes src[start .. start + m) into q[start ..) with one scale and zero point, where m is
 * the largest multiple of 4 not above n (the caller finishes the tail).
 *
 * @returns m, or −1 − i when element i is NaN, or 0 when Wasm SIMD is unavailable.
 */
export function quantizeSegmentWasm(
  src: Float32Array,
  start: number,
  n: number,
  q: Codes,
  scale: number,
  inv: number,
  zp: number,
  qmin: number,
  qmax: number,
  divide: boolean,
): number {
  const k = getKernel();
  if (k === null) return 0;
  const m = n - (n % 4);
  const width = widthCode(q);
  for (let s = 0; s < m; s += CHUNK) {
    const len = Math.min(CHUNK, m - s);
    k.src.set(src.subarray(start + s, start + s + len));
    const d = divide ? 1 : 0;
    // 8-bit codes: the unrolled kernel takes the multiple-of-16 prefix.
    const m16 = width === 1 || width === 5 ? len - (len % 16) : 0;
    let nan = m16 > 0
      ? k.run16(SRC, DST, m16, inv, scale, zp, qmin, qmax, d, width === 5 ? 1 : 0)
      : 0;
    if (m16 < len) {
      const off = m16 * (width === 5 ? 1 : width);
      nan |= k.run(SRC + m16 * 4, DST + off, len - m16, inv, scale, zp, qmin, qmax, d, width);
    }
    if (nan !== 0) {
      for (let i = start + s; i < start + s + len; i++) if (src[i] !== src[i]) return -1 - i;
    }
    q.set(view(q, k.buffer, len), start + s);
  }
  return m;
}
