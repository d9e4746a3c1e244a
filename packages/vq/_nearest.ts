// Private: nearest-centroid search for k-means assignment and PQ encoding — the TypeScript
// reference (float32 arithmetic, operation by operation) and the WebAssembly SIMD kernel
// (wasm/pq.wat) that reproduces it bit for bit, behind one chooser.

import { PQ_WASM_BASE64 } from "./_pq_wasm_bytes.ts";

/** Sub-vectors to search: M sub-spaces of dsub floats each, for n vectors of dim = M·dsub. */
export interface NearestJob {
  /** The vectors, row-major n×dim. */
  x: Float32Array;
  n: number;
  dim: number;
  /** Number of sub-spaces (1 for plain k-means). */
  m: number;
  dsub: number;
  /** Centroids, sub-space by sub-space: `[m][ksub][dsub]`. */
  centroids: Float32Array;
  ksub: number;
}

/** Index of the nearest centroid of each (vector, sub-space), row-major n×m, and distances. */
export interface NearestResult {
  index: Int32Array;
  /** Squared distance to that centroid (float32), n×m. */
  distance: Float32Array;
}

import type { KernelChoice } from "./_types.ts";

/** The reference: float32 squared distances in dimension order; ties to the lowest index. */
export function nearestReference(job: NearestJob): NearestResult {
  const { x, n, dim, m, dsub, centroids, ksub } = job;
  const f = Math.fround;
  const index = new Int32Array(n * m), distance = new Float32Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let s = 0; s < m; s++) {
      const xo = i * dim + s * dsub;
      let best = Infinity, arg = 0;
      for (let j = 0; j < ksub; j++) {
        const co = (s * ksub + j) * dsub;
        let t = f(x[xo] - centroids[co]);
        let d = f(t * t);
        for (let q = 1; q < dsub; q++) {
          t = f(x[xo + q] - centroids[co + q]);
          d = f(d + f(t * t));
        }
        if (d < best || (j === 0)) {
          best = d;
          arg = j;
        }
      }
      index[i * m + s] = arg;
      distance[i * m + s] = best;
    }
  }
  return { index, distance };
}

interface PqExports {
  nearest(
    x: number,
    n: number,
    xstride: number,
    dsub: number,
    cent: number,
    kp: number,
    out: number,
    ostride: number,
    dist: number,
  ): void;
  nearest4(
    x: number,
    n: number,
    xstride: number,
    cent: number,
    kp: number,
    out: number,
    ostride: number,
    dist: number,
  ): void;
  adc(
    codes: number,
    n: number,
    m: number,
    ksub: number,
    tables: number,
    wide: number,
    out: number,
  ): void;
}

let state: { ex: PqExports; memory: WebAssembly.Memory } | null | undefined;

/** The Wasm kernels over their own memory, or null without Wasm SIMD. */
export function pqKernels(): { ex: PqExports; memory: WebAssembly.Memory } | null {
  if (state !== undefined) return state;
  if (typeof WebAssembly === "undefined") return state = null;
  const bytes = Uint8Array.from(atob(PQ_WASM_BASE64), (c) => c.charCodeAt(0));
  if (!WebAssembly.validate(bytes)) return state = null;
  const memory = new WebAssembly.Memory({ initial: 16, maximum: 32768 });
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  return state = { ex: inst.exports as unknown as PqExports, memory };
}

/** Grows the memory to hold `bytes` bytes; returns its buffer. */
export function reserve(memory: WebAssembly.Memory, bytes: number): ArrayBuffer {
  if (bytes > 2 ** 31) {
    throw new RangeError(
      `the data needs ${Math.ceil(bytes / 2 ** 20)} MiB of kernel memory (limit 2 GiB)`,
    );
  }
  const have = memory.buffer.byteLength;
  if (bytes > have) memory.grow(Math.ceil((bytes - have) / 65536));
  return memory.buffer as ArrayBuffer;
}

/** The Wasm kernel; same results as {@link nearestReference}. */
export function nearestWasm(job: NearestJob, k = pqKernels()!): NearestResult {
  const { x, n, dim, m, dsub, centroids, ksub } = job;
  const kp = Math.ceil(ksub / 4) * 4;
  const xAt = 64;
  const centAt = xAt + Math.ceil((n * dim * 4) / 64) * 64;
  const outAt = centAt + m * dsub * kp * 4;
  const distAt = outAt + n * m * 4;
  const buf = reserve(k.memory, distAt + n * m * 4);
  const f32 = new Float32Array(buf), i32 = new Int32Array(buf);
  f32.set(x.subarray(0, n * dim), xAt / 4);
  for (let s = 0; s < m; s++) {
    const base = centAt / 4 + s * dsub * kp;
    for (let q = 0; q < dsub; q++) {
      const row = base + q * kp;
      for (let j = 0; j < ksub; j++) f32[row + j] = centroids[(s * ksub + j) * dsub + q];
      // padding slots repeat the last centroid: equal distances, so ties to the lowest index
      // never pick them (a far-away sentinel could win when data reaches ±3.4e38)
      const last = centroids[(s * ksub + ksub - 1) * dsub + q];
      for (let j = ksub; j < kp; j++) f32[row + j] = last;
    }
  }
  for (let s = 0; s < m; s++) {
    // distances for sub-space s land at distAt + s·n·4 (one float per vector), copied below
    const xs = xAt + s * dsub * 4, cs = centAt + s * dsub * kp * 4;
    if (dsub === 4) k.ex.nearest4(xs, n, dim * 4, cs, kp, outAt + s * 4, m * 4, distAt + s * n * 4);
    else k.ex.nearest(xs, n, dim * 4, dsub, cs, kp, outAt + s * 4, m * 4, distAt + s * n * 4);
  }
  const index = i32.slice(outAt / 4, outAt / 4 + n * m);
  const distance = new Float32Array(n * m);
  for (let s = 0; s < m; s++) {
    const d = distAt / 4 + s * n;
    for (let i = 0; i < n; i++) distance[i * m + s] = f32[d + i];
  }
  return { index, distance };
}

/** Chooser: Wasm when available (or forced), else the reference. */
export function nearest(job: NearestJob, kernel: KernelChoice = "auto"): NearestResult {
  if (kernel !== "auto" && kernel !== "wasm" && kernel !== "ts") {
    throw new RangeError(`options.kernel must be "auto", "wasm" or "ts", got ${String(kernel)}`);
  }
  const k = kernel === "ts" ? null : pqKernels();
  if (kernel === "wasm" && !k) {
    throw new RangeError('options.kernel is "wasm" but Wasm SIMD is unavailable');
  }
  return k ? nearestWasm(job, k) : nearestReference(job);
}
