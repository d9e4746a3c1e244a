/**
 * A worker pool for the WebAssembly kernels: `threads − 1` workers plus the calling thread
 * run row (or column) ranges of one GEMM over the same shared `WebAssembly.Memory`. Jobs are
 * dispatched through a SharedArrayBuffer with Atomics (no postMessage per call); the caller
 * blocks until every range is done, so the kernels stay synchronous. Once started, the pool is
 * used automatically by `gemmF32`, `gemmInt8` and `gemmInt8Requantized` for products of at
 * least 2^21 multiply-adds, and by `gemmBinary`/`gemmTernary` from 2^25 bit multiply-adds;
 * smaller ones run on the calling thread.
 *
 * Dispose the pool when done (`using` or `dispose()`), otherwise the workers keep the process
 * alive.
 *
 * @example
 * ```ts
 * import { startPool } from "@lowbit/kernels/pool";
 * import { gemmF32 } from "@lowbit/kernels/gemm-f32";
 * import { equal } from "node:assert/strict";
 * await using pool = await startPool({ threads: 2 });
 * const n = 160;
 * const c = gemmF32(n, n, n, new Float32Array(n * n).fill(1), new Float32Array(n * n).fill(2));
 * equal(c[n * n - 1], 2 * n);
 * equal(pool.threads, 2);
 * ```
 *
 * @module
 */

import { kernels, MAX_THREADS, scratchAt } from "./_wasm.ts";
import { activePool, type PoolRunner, setActivePool } from "./_pool_state.ts";
import { OP, SLOT, SLOT_ARGS, SLOT_OP, SLOT_SEQ } from "./_pool_protocol.ts";
import { bitsColumns } from "./_gemm_binary_wasm.ts";

let running = false;

/** Options of {@link startPool}. */
export interface WorkerPoolOptions {
  /**
   * Threads, including the calling one. Default `navigator.hardwareConcurrency` (at most 16).
   */
  threads?: number;
}

/** A running pool (from {@link startPool}). */
export interface KernelPool {
  /** Threads that share the work, the calling thread included. */
  readonly threads: number;
  /**
   * Whether kernels dispatch to the pool (default true). Set false to run single-threaded
   * without stopping the workers (e.g. to compare both in one benchmark run).
   */
  enabled: boolean;
  /** Stops the workers and returns to single-threaded kernels. */
  dispose(): Promise<void>;
  /** Same as `dispose`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts the pool and makes the kernels use it. Only one pool is active at a time.
 *
 * @param options Thread count.
 * @returns The pool, once every worker is ready.
 * @throws {RangeError} When `threads` is not an integer in [1, 16], a pool is already
 *   running, or this runtime has no WebAssembly SIMD / shared memory.
 *
 * @example A single-thread pool is allowed (no workers)
 * ```ts
 * import { startPool } from "@lowbit/kernels/pool";
 * import { equal } from "node:assert/strict";
 * const pool = await startPool({ threads: 1 });
 * equal(pool.threads, 1);
 * await pool.dispose();
 * ```
 */
export async function startPool(options: WorkerPoolOptions = {}): Promise<KernelPool> {
  const hw = typeof navigator !== "undefined" ? navigator.hardwareConcurrency ?? 1 : 1;
  const threads = options.threads ?? Math.min(MAX_THREADS, hw);
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new RangeError(
      `options.threads must be an integer in [1, ${MAX_THREADS}], got ${String(threads)}`,
    );
  }
  if (running) throw new RangeError("a kernel pool is already running; dispose it first");
  const k = kernels();
  if (!k || !(k.memory.buffer instanceof SharedArrayBuffer)) {
    throw new RangeError("the kernel pool needs WebAssembly SIMD and SharedArrayBuffer");
  }
  const control = new SharedArrayBuffer(SLOT * 4 * (threads + 1));
  const ctrl = new Int32Array(control);
  const workers: Worker[] = [];
  const ready: Promise<void>[] = [];
  for (let w = 1; w < threads; w++) {
    const worker = new Worker(new URL("./_pool_worker.ts", import.meta.url), { type: "module" });
    workers.push(worker);
    const channel = new MessageChannel();
    ready.push(
      new Promise((resolve, reject) => {
        channel.port1.onmessage = () => {
          channel.port1.close();
          resolve();
        };
        worker.onerror = (e) => reject(new Error(`kernel pool worker failed: ${e.message}`));
      }),
    );
    worker.postMessage({
      memory: k.memory,
      modules: k.modules,
      control,
      slot: w,
      port: channel.port2,
    }, [
      channel.port2,
    ]);
  }
  try {
    await Promise.all(ready);
  } catch (e) {
    for (const w of workers) w.terminate();
    throw e;
  }
  running = true;

  let seq = 0;
  /** Runs op on workers 1..parts-1 with args(t), the caller's share inline, then waits. */
  function run(op: number, parts: number, args: (t: number) => number[], own: () => void) {
    seq++;
    const target = Atomics.load(ctrl, 0) + parts - 1;
    for (let t = 1; t < parts; t++) {
      const base = t * SLOT;
      const a = args(t);
      ctrl[base + SLOT_OP] = op;
      for (let i = 0; i < a.length; i++) ctrl[base + SLOT_ARGS + i] = a[i];
      Atomics.store(ctrl, base + SLOT_SEQ, seq);
      Atomics.notify(ctrl, base + SLOT_SEQ);
    }
    own();
    for (;;) {
      const done = Atomics.load(ctrl, 0);
      if (done >= target) break;
      try {
        Atomics.wait(ctrl, 0, done, 50);
      } catch {
        // a thread that may not block (a browser's main thread): spin
      }
    }
  }

  /** Splits [0, total) into `threads` ranges aligned to `align`. */
  function split(total: number, align: number): number[] {
    const bounds = [0];
    for (let t = 1; t < threads; t++) {
      bounds.push(Math.min(total, Math.round((total * t) / threads / align) * align));
    }
    bounds.push(total);
    return bounds;
  }

  const runner: PoolRunner = {
    threads,
    runGemmF32(a, bp, c, kk, n, m, load) {
      const b = split(m, 6);
      run(
        OP.gemmF32,
        threads,
        (t) => [a, bp, c, kk, n, b[t], b[t + 1], load, scratchAt(t)],
        () => k.f32.gemm(a, bp, c, kk, n, b[0], b[1], load, scratchAt(0)),
      );
    },
    runGemmInt8(a16, kp, bp, c, n, m) {
      const b = split(m, 6);
      run(
        OP.gemmInt8,
        threads,
        (t) => [a16, kp, bp, c, n, b[t], b[t + 1], scratchAt(t)],
        () => k.int8.gemm(a16, kp, bp, c, n, b[0], b[1], scratchAt(0)),
      );
    },
    runGemmNarrow(a8, kp, bp, c, n, m, block) {
      const b = split(m, 6);
      run(
        OP.gemmNarrow,
        threads,
        (t) => [a8, kp, bp, c, n, b[t], b[t + 1], block, scratchAt(t)],
        () => k.int8.gemm_narrow(a8, kp, bp, c, n, b[0], b[1], block, scratchAt(0)),
      );
    },
    runGemvInt8(a16, kp, bp, c, n) {
      const b = split(n, 32);
      run(
        OP.gemvInt8,
        threads,
        (t) => [a16, kp, bp, c, n, b[t], b[t + 1], scratchAt(t)],
        () => k.int8.gemv(a16, kp, bp, c, n, b[0], b[1], scratchAt(0)),
      );
    },
    runBits(planes, a, b, c, mp, np, w, kk, nr, nb) {
      const s = split(np, nr);
      run(
        OP.bits,
        threads,
        (t) => [planes, a, b, c, mp, np, w, kk, s[t], s[t + 1], nb],
        () => bitsColumns(k.bin, planes, a, b, c, mp, np, w, kk, s[0], s[1], nb),
      );
    },
    runGemmDp(a, quads, bp, c, n, m) {
      const b = split(m, 6);
      run(
        OP.gemmDp,
        threads,
        (t) => [a, quads, bp, c, n, b[t], b[t + 1], scratchAt(t)],
        () => k.int8.gemm_dp(a, quads, bp, c, n, b[0], b[1], scratchAt(0)),
      );
    },
    runGemvDp(a, i, quads, bp, c, n) {
      const b = split(n, 32);
      run(
        OP.gemvDp,
        threads,
        (t) => [a, i, quads, bp, c, n, b[t], b[t + 1], scratchAt(t)],
        () => k.int8.gemv_dp(a, i, quads, bp, c, n, b[0], b[1], scratchAt(0)),
      );
    },
  };
  setActivePool(threads > 1 ? runner : null);
  let disposed = false;
  const dispose = async () => {
    if (disposed) return;
    disposed = true;
    running = false;
    if (activePool() === runner) setActivePool(null);
    for (let t = 1; t < threads; t++) {
      ctrl[t * SLOT + SLOT_OP] = OP.exit;
      Atomics.store(ctrl, t * SLOT + SLOT_SEQ, ++seq);
      Atomics.notify(ctrl, t * SLOT + SLOT_SEQ);
    }
    for (const w of workers) w.terminate();
    await Promise.resolve();
  };
  return {
    threads,
    get enabled() {
      return activePool() === runner;
    },
    set enabled(on: boolean) {
      if (disposed) throw new RangeError("the pool was disposed");
      setActivePool(on && threads > 1 ? runner : null);
    },
    dispose,
    [Symbol.asyncDispose]: dispose,
  };
}
