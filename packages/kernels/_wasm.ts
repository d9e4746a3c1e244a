// Private: the WebAssembly side of @lowbit/kernels. Every kernel module imports one shared
// `WebAssembly.Memory`, so the worker pool's threads run the same modules over the same
// operands. Each call lays its operands out in an arena that starts after the per-thread
// scratch areas; calls are synchronous, so the arena is reused from its start by every call.

import { GEMM_F32_WASM_BASE64 } from "./_gemm_f32_wasm_bytes.ts";

/** Bytes of private scratch per thread (a 6×8 f32 tile + a 6×256 f32 slice, rounded up). */
export const SCRATCH_BYTES = 16384;
/** Most threads that get a scratch area. */
export const MAX_THREADS = 16;
/** Start of the operand arena. */
export const ARENA = 65536 + SCRATCH_BYTES * MAX_THREADS;
const MAX_PAGES = 32768; // 2 GiB

/** Exports of gemm_f32.wat. */
export interface F32Exports {
  pack_b(src: number, k: number, n: number, trans: number, dst: number): void;
  gemm(
    a: number,
    bp: number,
    c: number,
    k: number,
    n: number,
    i0: number,
    i1: number,
    load: number,
    scratch: number,
  ): void;
  bias_act(c: number, n: number, i0: number, i1: number, bias: number, act: number): void;
}

/** The compiled modules (shared by the pool's workers) and the memory. */
export interface KernelModules {
  memory: WebAssembly.Memory;
  modules: { f32: WebAssembly.Module };
  f32: F32Exports;
}

/** Decodes a base64 module. */
export function decode(base64: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

let state: KernelModules | null | undefined;

/** Instantiates the modules over a memory (used by the main thread and by each worker). */
export function instantiate(
  memory: WebAssembly.Memory,
  modules: KernelModules["modules"],
): KernelModules {
  const env = { env: { memory } };
  const f32 = new WebAssembly.Instance(modules.f32, env).exports as unknown as F32Exports;
  return { memory, modules, f32 };
}

/** The kernels, or null when this runtime lacks Wasm SIMD, relaxed SIMD or shared memory. */
export function kernels(): KernelModules | null {
  if (state !== undefined) return state;
  try {
    const bytes = decode(GEMM_F32_WASM_BASE64);
    if (typeof WebAssembly === "undefined" || !WebAssembly.validate(bytes)) return state = null;
    const memory = new WebAssembly.Memory({ initial: 64, maximum: MAX_PAGES, shared: true });
    state = instantiate(memory, { f32: new WebAssembly.Module(bytes) });
  } catch {
    state = null; // no SharedArrayBuffer (e.g. a page without cross-origin isolation)
  }
  return state;
}

/** True when the WebAssembly kernels can run here. */
export function wasmAvailable(): boolean {
  return kernels() !== null;
}

/** Grows the memory so that `[0, end)` is addressable; returns the current buffer. */
export function reserve(k: KernelModules, end: number): ArrayBufferLike {
  const have = k.memory.buffer.byteLength;
  if (end > have) {
    const pages = Math.ceil((end - have) / 65536);
    if (have / 65536 + pages > MAX_PAGES) {
      throw new RangeError(
        `operands need ${Math.ceil(end / 2 ** 20)} MiB of kernel memory, more than the 2 GiB limit`,
      );
    }
    k.memory.grow(pages);
  }
  return k.memory.buffer;
}

/**
 * A bump allocator over the arena. Regions are 64-byte aligned; `offsetPage` puts a region
 * 2 KiB into a 4 KiB page (copies between two page-aligned buffers are much slower here).
 */
export class Arena {
  #next = ARENA;
  /** Returns the address of a new region of `bytes` bytes. */
  alloc(bytes: number, offsetPage = false): number {
    let at = Math.ceil(this.#next / 64) * 64;
    if (offsetPage) at = Math.ceil((at - 2048) / 4096) * 4096 + 2048;
    this.#next = at + bytes;
    return at;
  }
  /** End of the last region. */
  get end(): number {
    return this.#next;
  }
}

/** Address of thread `t`'s scratch area (thread 0 is the calling thread). */
export function scratchAt(t: number): number {
  return 65536 + t * SCRATCH_BYTES;
}
