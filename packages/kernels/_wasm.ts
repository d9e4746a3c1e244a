// Private: the WebAssembly side of @lowbit/kernels. Every kernel module imports one shared
// `WebAssembly.Memory`, so the worker pool's threads run the same modules over the same
// operands. Each call lays its operands out in an arena that starts after the per-thread
// scratch areas; calls are synchronous, so the arena is reused from its start by every call.

import { GEMM_F32_WASM_BASE64 } from "./_gemm_f32_wasm_bytes.ts";
import { GEMM_INT8_WASM_BASE64 } from "./_gemm_int8_wasm_bytes.ts";
import { DEPTHWISE_WASM_BASE64 } from "./_depthwise_wasm_bytes.ts";
import { BINARY_GEMM_WASM_BASE64 } from "./_binary_gemm_wasm_bytes.ts";
import { ELEMENTWISE_INT8_WASM_BASE64 } from "./_elementwise_int8_wasm_bytes.ts";

/** Bytes of private scratch per thread (a C tile and a packed 192×256 f32 block of A). */
export const SCRATCH_BYTES = 262144;
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

/** Exports of gemm_int8.wat. */
export interface Int8Exports {
  pack_a16(
    src: number,
    m: number,
    k: number,
    kp: number,
    signed: number,
    za: number,
    dst: number,
    rs: number,
  ): void;
  pack_b8(
    src: number,
    k: number,
    n: number,
    trans: number,
    flip: number,
    dst: number,
    pairs: number,
  ): void;
  im2col8(
    src: number,
    cin: number,
    h: number,
    w: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    dh: number,
    dw: number,
    padT: number,
    padL: number,
    outH: number,
    outW: number,
    fill: number,
    dst: number,
  ): void;
  gemm(
    a: number,
    kp: number,
    bp: number,
    c: number,
    n: number,
    i0: number,
    i1: number,
    scratch: number,
  ): void;
  gemv(
    a: number,
    kp: number,
    bp: number,
    c: number,
    n: number,
    j0: number,
    j1: number,
    scratch: number,
  ): void;
  prep_a_narrow(
    src: number,
    m: number,
    k: number,
    kp: number,
    signed: number,
    add: number,
    max: number,
    dst: number,
    rs: number,
  ): number;
  gemm_narrow(
    a: number,
    kp: number,
    bp: number,
    c: number,
    n: number,
    i0: number,
    i1: number,
    block: number,
    scratch: number,
  ): void;
  finish(c: number, n: number, i0: number, i1: number, rs: number, bias: number, zb: number): void;
  pack_a_dp(
    src: number,
    m: number,
    k: number,
    quads: number,
    flip: number,
    dst: number,
    rs: number,
  ): void;
  pack_b_dp(
    src: number,
    k: number,
    n: number,
    trans: number,
    flip: number,
    dst: number,
    quads: number,
  ): void;
  colsum_b_dp(bp: number, quads: number, n: number, cs: number): void;
  add_row_bias(c: number, n: number, m: number, bias: number): void;
  gemm_rows_q(
    a: number,
    kp: number,
    bp: number,
    n: number,
    i0: number,
    i1: number,
    scratch: number,
    off: number,
    mult: number,
    zp: number,
    lo: number,
    hi: number,
    dst: number,
    unsigned: number,
  ): void;
  requant_rows_float(
    c: number,
    n: number,
    m: number,
    off: number,
    mult: number,
    zp: number,
    lo: number,
    hi: number,
    dst: number,
    unsigned: number,
  ): void;
  gemm_dp(
    a: number,
    quads: number,
    bp: number,
    c: number,
    n: number,
    i0: number,
    i1: number,
    scratch: number,
  ): void;
  gemv_dp(
    a: number,
    i: number,
    quads: number,
    bp: number,
    c: number,
    n: number,
    j0: number,
    j1: number,
    scratch: number,
  ): void;
  requant_float(
    c: number,
    n: number,
    i0: number,
    i1: number,
    mult: number,
    zp: number,
    lo: number,
    hi: number,
    dst: number,
    unsigned: number,
  ): void;
  requant_fixed(
    c: number,
    n: number,
    i0: number,
    i1: number,
    mult: number,
    shift: number,
    zp: number,
    lo: number,
    hi: number,
    dst: number,
  ): void;
}

/** Exports of depthwise.wat. */
export interface DepthwiseExports {
  pad_i16(
    src: number,
    h: number,
    w: number,
    signed: number,
    zx: number,
    dst: number,
    padT: number,
    padL: number,
    hp: number,
    wq: number,
  ): void;
  /** Every plane of an int8 depthwise convolution (see wasm/depthwise.wat). */
  channels_i16(
    input: number,
    batch: number,
    inC: number,
    mult: number,
    h: number,
    w: number,
    signed: number,
    zx: number,
    rows: number,
    pairs: number,
    padT: number,
    padL: number,
    hp: number,
    wq: number,
    sw1: number,
    rowstep: number,
    outH: number,
    outW: number,
    taps: number,
    spans: number,
    offs: number,
    wts: number,
    bias: number,
    acc: number,
    scratch: number,
    codes: number,
    zero: number,
    multf: number,
    zp: number,
    lo: number,
    hi: number,
    out: number,
    unsigned: number,
  ): void;
  pad_f64(
    src: number,
    h: number,
    w: number,
    dst: number,
    padT: number,
    padL: number,
    hp: number,
    s: number,
    wq: number,
  ): void;
  pairs_i16(src: number, rows: number, wq: number, dst: number): void;
  plane_pairs_i16(
    plane: number,
    rowstep: number,
    outH: number,
    outW: number,
    spans: number,
    offs: number,
    wts: number,
    bias: number,
    acc: number,
    scratch: number,
  ): void;
  plane_f64(
    plane: number,
    rowstep: number,
    outH: number,
    outW: number,
    taps: number,
    offs: number,
    wts: number,
    bias: number,
    act: number,
    dst: number,
    scratch: number,
  ): void;
}

/** Exports of binary_gemm.wat. */
export interface BinaryExports {
  binary(
    a: number,
    b: number,
    c: number,
    mp: number,
    np: number,
    w: number,
    k: number,
    j0: number,
    j1: number,
  ): void;
  ternary(
    a: number,
    b: number,
    c: number,
    mp: number,
    np: number,
    w: number,
    j0: number,
    j1: number,
  ): void;
}

/** Exports of elementwise_int8.wat. */
export interface ElementwiseExports {
  mul_q(
    a: number,
    ta: number,
    b: number,
    tb: number,
    n: number,
    za: number,
    sa: number,
    zb: number,
    sb: number,
    sy: number,
    zp: number,
    lo: number,
    hi: number,
    dst: number,
    unsigned: number,
  ): void;
  lut8(table: number, src: number, dst: number, n: number): void;
  clamp8(src: number, dst: number, n: number, lo: number, hi: number, signed: number): void;
  row_sums8(src: number, rows: number, len: number, signed: number, dst: number): void;
  add_q(
    a: number,
    ta: number,
    b: number,
    tb: number,
    n: number,
    za: number,
    ra: number,
    zb: number,
    rb: number,
    unused: number,
    zp: number,
    lo: number,
    hi: number,
    dst: number,
    unsigned: number,
  ): void;
  mul_q_blocks(
    a: number,
    ta: number,
    b: number,
    tb: number,
    nb: number,
    inner: number,
    za: number,
    sa: number,
    zb: number,
    sb: number,
    sy: number,
    zp: number,
    lo: number,
    hi: number,
    dst: number,
    unsigned: number,
  ): void;
}

/** The compiled modules (shared by the pool's workers). */
export interface CompiledModules {
  f32: WebAssembly.Module;
  int8: WebAssembly.Module;
  dw: WebAssembly.Module;
  bin: WebAssembly.Module;
  ew: WebAssembly.Module;
}

/** The compiled modules, their instances over the memory, and the memory. */
export interface KernelModules {
  memory: WebAssembly.Memory;
  modules: CompiledModules;
  f32: F32Exports;
  int8: Int8Exports;
  dw: DepthwiseExports;
  bin: BinaryExports;
  ew: ElementwiseExports;
}

/** Decodes a base64 module. */
export function decode(base64: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

let state: KernelModules | null | undefined;

/** Instantiates the modules over a memory (used by the main thread and by each worker). */
export function instantiate(
  memory: WebAssembly.Memory,
  modules: CompiledModules,
): KernelModules {
  const env = { env: { memory } };
  const f32 = new WebAssembly.Instance(modules.f32, env).exports as unknown as F32Exports;
  const int8 = new WebAssembly.Instance(modules.int8, env).exports as unknown as Int8Exports;
  const dw = new WebAssembly.Instance(modules.dw, {
    env: { memory, requant_rows_float: int8.requant_rows_float },
  }).exports as unknown as DepthwiseExports;
  const bin = new WebAssembly.Instance(modules.bin, env).exports as unknown as BinaryExports;
  const ew = new WebAssembly.Instance(modules.ew, env).exports as unknown as ElementwiseExports;
  return { memory, modules, f32, int8, dw, bin, ew };
}

/** The kernels, or null when this runtime lacks Wasm SIMD or relaxed SIMD. */
export function kernels(): KernelModules | null {
  if (state !== undefined) return state;
  if (typeof WebAssembly === "undefined") return state = null;
  const f32 = decode(GEMM_F32_WASM_BASE64), int8 = decode(GEMM_INT8_WASM_BASE64);
  const dw = decode(DEPTHWISE_WASM_BASE64), bin = decode(BINARY_GEMM_WASM_BASE64);
  const ew = decode(ELEMENTWISE_INT8_WASM_BASE64);
  if (![f32, int8, dw, bin, ew].every((b) => WebAssembly.validate(b))) return state = null;
  let memory: WebAssembly.Memory;
  let shared = true;
  try {
    memory = new WebAssembly.Memory({ initial: 64, maximum: MAX_PAGES, shared: true });
  } catch {
    // No SharedArrayBuffer (e.g. a page without cross-origin isolation): same modules over a
    // private memory, single-threaded.
    shared = false;
    memory = new WebAssembly.Memory({ initial: 64, maximum: MAX_PAGES });
  }
  const compile = (bytes: Uint8Array<ArrayBuffer>) =>
    new WebAssembly.Module(shared ? bytes : unshareMemoryImport(bytes));
  return state = instantiate(memory, {
    f32: compile(f32),
    int8: compile(int8),
    dw: compile(dw),
    bin: compile(bin),
    ew: compile(ew),
  });
}

/**
 * Rewrites the module's `env.memory` import from shared to unshared: the import's limits flag
 * byte 0x03 (maximum + shared) becomes 0x01 (maximum). The modules use no atomics, so they
 * validate and run the same over a private memory.
 */
export function unshareMemoryImport(bytes: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  // "env" "memory" import of kind 2 (memory): 03 65 6e 76 06 6d 65 6d 6f 72 79 02 <flags>
  const pattern = [3, 0x65, 0x6e, 0x76, 6, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 2, 3];
  const out = bytes.slice();
  for (let i = 0; i + pattern.length <= out.length; i++) {
    if (pattern.every((b, j) => out[i + j] === b)) {
      out[i + pattern.length - 1] = 1;
      return out;
    }
  }
  throw new Error("kernel module has no shared env.memory import");
}

/** The raw module bytes (for tests of the unshared variant). */
export function moduleBytes(): { f32: Uint8Array<ArrayBuffer>; int8: Uint8Array<ArrayBuffer> } {
  return { f32: decode(GEMM_F32_WASM_BASE64), int8: decode(GEMM_INT8_WASM_BASE64) };
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
  #next = heapTop();
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

// Persistent blocks (packed weights that stay in kernel memory between calls), first fit,
// sorted by address. The per-call arena starts above the highest block.
const blocks: { at: number; bytes: number }[] = [];

function heapTop(): number {
  return blocks.length === 0
    ? ARENA
    : blocks[blocks.length - 1].at + blocks[blocks.length - 1].bytes;
}

/** Allocates a persistent 64-byte-aligned block; returns its address. */
export function allocPersistent(k: KernelModules, bytes: number): number {
  let at = ARENA;
  let idx = 0;
  for (; idx < blocks.length; idx++) {
    const aligned = Math.ceil(at / 64) * 64;
    if (aligned + bytes <= blocks[idx].at) break;
    at = blocks[idx].at + blocks[idx].bytes;
  }
  at = Math.ceil(at / 64) * 64;
  reserve(k, at + bytes);
  blocks.splice(idx, 0, { at, bytes });
  return at;
}

/** Frees a persistent block (no-op for an unknown address). */
export function freePersistent(at: number): void {
  const i = blocks.findIndex((b) => b.at === at);
  if (i >= 0) blocks.splice(i, 1);
}

/** Bytes held by persistent blocks. */
export function persistentBytes(): number {
  return blocks.reduce((s, b) => s + b.bytes, 0);
}
