// Private: the WebAssembly driver of the 1-bit and ternary GEMMs (kernel source:
// wasm/binary_gemm.wat). The module runs over the kernels' shared memory, so the worker pool
// splits B's columns across threads for products of at least BITS_PARALLEL_MIN bit
// multiply-adds; where the SIMD kernels do not load (the popcount module needs no SIMD) it
// runs alone over a private memory. Operands are copied in as 2-row (A) and 3- or 4-row (B) panels of 64-bit
// words with the padding bits masked to zero; the kernel sweeps column blocks of B sized to
// stay in L2.

import { BINARY_GEMM_WASM_BASE64 } from "./_binary_gemm_wasm_bytes.ts";
import { lastWordMask, wordsPerRow } from "./_bits.ts";
import { Arena, type BinaryExports, kernels, unshareMemoryImport } from "./_wasm.ts";
import { activePool } from "./_pool_state.ts";

/** Smallest m·n·k (bit multiply-adds) worth splitting across the pool's threads. */
export const BITS_PARALLEL_MIN = 1 << 25;

interface Loaded {
  ex: BinaryExports;
  memory: WebAssembly.Memory;
  /** Over the kernels' shared memory (operands go in the arena, the pool may run). */
  shared: boolean;
}

let state: Loaded | null | undefined;

function load(): Loaded | null {
  if (state !== undefined) return state;
  const k = kernels();
  if (k) return state = { ex: k.bin, memory: k.memory, shared: true };
  if (typeof WebAssembly === "undefined") return state = null;
  let bytes = Uint8Array.from(atob(BINARY_GEMM_WASM_BASE64), (c) => c.charCodeAt(0));
  bytes = unshareMemoryImport(bytes);
  if (!WebAssembly.validate(bytes)) return state = null;
  const memory = new WebAssembly.Memory({ initial: 16, maximum: 32768 });
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  return state = { ex: inst.exports as unknown as BinaryExports, memory, shared: false };
}

/**
 * Columns [j0, j1) of the product in blocks of nb columns (what each pool thread runs).
 *
 * @param ex The module's exports.
 * @param planes 1 (binary) or 2 (ternary).
 */
export function bitsColumns(
  ex: BinaryExports,
  planes: number,
  a: number,
  b: number,
  c: number,
  mp: number,
  np: number,
  w: number,
  k: number,
  j0: number,
  j1: number,
  nb: number,
): void {
  for (let j = j0; j < j1; j += nb) {
    const je = Math.min(j1, j + nb);
    if (planes === 1) ex.binary(a, b, c, mp, np, w, k, j, je);
    else ex.ternary(a, b, c, mp, np, w, j, je);
  }
}

/** True when the WebAssembly popcount kernels run here. */
export function binaryWasmAvailable(): boolean {
  return load() !== null;
}

/** Bytes of B kept per column block (L2 on this machine is 512 KiB). */
const BLOCK_BYTES = 196608;

function reserve(memory: WebAssembly.Memory, end: number): ArrayBufferLike {
  if (end > 2 ** 31) {
    throw new RangeError(
      `operands need ${Math.ceil(end / 2 ** 20)} MiB of kernel memory, more than the 2 GiB limit`,
    );
  }
  const have = memory.buffer.byteLength;
  if (end > have) memory.grow(Math.ceil((end - have) / 65536));
  return memory.buffer;
}

/**
 * Runs the binary (planes = 1) or ternary (planes = 2: `[nonzero, sign]`) kernel on packed
 * rows (`ceil(k/32)` words per row and plane) and writes the m×n result.
 */
export function gemmBitsWasm(
  m: number,
  n: number,
  k: number,
  a: readonly Uint32Array[],
  b: readonly Uint32Array[],
  out: Int32Array,
): void {
  const { ex, memory, shared } = load()!;
  const planes = a.length;
  const W = wordsPerRow(k);
  // 64-bit words per row (a multiple of 4 for the binary kernel: four words per loop step)
  // and B's panel height (3 binary, 4 ternary)
  const w = planes === 1 ? Math.ceil(k / 256) * 4 : Math.ceil(k / 64);
  const nr = planes === 1 ? 3 : 4;
  const mp = m + (m & 1), np = Math.ceil(n / nr) * nr;
  const rowBytes = w * 8 * planes;
  const aAt = shared ? new Arena().alloc(0) : 0;
  const bAt = aAt + mp * rowBytes, cAt = bAt + np * rowBytes;
  const u32 = new Uint32Array(reserve(memory, cAt + mp * np * 4));
  // padding rows and words must read as zero; every other word is written below
  if (mp !== m || np !== n || 2 * w !== W) u32.fill(0, aAt / 4, cAt / 4);
  const mask = lastWordMask(k);
  const stride = 2 * planes; // u32 per 64-bit word of one row (all planes)
  copyPanels(a, m, W, u32, aAt / 4, 2, w, stride, mask);
  copyPanels(b, n, W, u32, bAt / 4, nr, w, stride, mask);
  const nb = Math.max(nr, Math.floor(BLOCK_BYTES / rowBytes / nr) * nr);
  const pool = shared ? activePool() : null;
  if (pool && m * n * k >= BITS_PARALLEL_MIN && np >= 4 * nr) {
    pool.runBits(planes, aAt, bAt, cAt, mp, np, w, k, nr, nb);
  } else {
    bitsColumns(ex, planes, aAt, bAt, cAt, mp, np, w, k, 0, np, nb);
  }
  const c = new Int32Array(memory.buffer, cAt, mp * np);
  if (np === n) out.set(c.subarray(0, m * n));
  else for (let i = 0; i < m; i++) out.set(c.subarray(i * np, i * np + n), i * n);
}

/**
 * Writes `rows` packed rows into panels of `r` rows: 64-bit word p of row i lands at u32
 * index `at + ((⌊i/r⌋·w + p)·r + i mod r)·stride` (+ 2·plane for the plane's half-words);
 * the last word of each row is masked.
 */
function copyPanels(
  src: readonly Uint32Array[],
  rows: number,
  W: number,
  u32: Uint32Array,
  at: number,
  r: number,
  w: number,
  stride: number,
  mask: number,
): void {
  const step = r * stride; // u32 between consecutive 64-bit words of one row
  for (let pl = 0; pl < src.length; pl++) {
    const s = src[pl];
    for (let i = 0; i < rows; i++) {
      const base = at + (Math.floor(i / r) * w * r + (i % r)) * stride + pl * 2;
      const s0 = i * W;
      let d = base;
      for (let q = 0; q + 1 < W; q += 2, d += step) {
        u32[d] = s[s0 + q];
        u32[d + 1] = s[s0 + q + 1];
      }
      if (W & 1) u32[d] = s[s0 + W - 1];
      // the last word (index W − 1) again, masked
      u32[base + ((W - 1) >> 1) * step + ((W - 1) & 1)] = s[s0 + W - 1] & mask;
    }
  }
}
