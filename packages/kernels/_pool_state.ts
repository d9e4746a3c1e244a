// Private: the worker pool the kernels dispatch to, when one is enabled (see pool.ts). Kept
// apart from pool.ts so kernels do not import the worker machinery.

/** What a kernel needs from the pool: run row ranges of a GEMM on all threads and wait. */
export interface PoolRunner {
  /** Threads sharing the work, the calling one included. */
  threads: number;
  /** Splits rows [0, m) of an f32 GEMM (operands already in the shared memory). */
  runGemmF32(a: number, bp: number, c: number, k: number, n: number, m: number, load: number): void;
  /** Splits rows [0, m) of an int8 GEMM (raw products). */
  runGemmInt8(a16: number, kp: number, bp: number, c: number, n: number, m: number): void;
  /** Splits rows [0, m) of the narrow (i16-accumulating) GEMM. */
  runGemmNarrow(
    a8: number,
    kp: number,
    bp: number,
    c: number,
    n: number,
    m: number,
    block: number,
  ): void;
  /** Splits the columns of one int8 GEMV row. */
  runGemvInt8(a16: number, kp: number, bp: number, c: number, n: number): void;
  /** Splits the columns [0, np) of a binary (planes 1) or ternary (2) GEMM in nr-aligned ranges. */
  runBits(
    planes: number,
    a: number,
    b: number,
    c: number,
    mp: number,
    np: number,
    w: number,
    k: number,
    nr: number,
    nb: number,
  ): void;
  /** Splits rows [0, m) of the u8×s8 relaxed-dot int8 GEMM (raw products). */
  runGemmDp(a: number, quads: number, bp: number, c: number, n: number, m: number): void;
  /** Splits the columns of row i of the u8×s8 relaxed-dot GEMV. */
  runGemvDp(a: number, i: number, quads: number, bp: number, c: number, n: number): void;
}

/** Smallest m·n·k (multiply-adds) worth splitting across the pool's threads. */
export const PARALLEL_MIN_WORK = 1 << 21;

let current: PoolRunner | null = null;

/** The enabled pool, or null. */
export function activePool(): PoolRunner | null {
  return current;
}

/** Threads of the enabled pool (1 when none). */
export function activePoolThreads(): number {
  return current ? current.threads : 1;
}

/** Enables (or, with null, disables) a pool. */
export function setActivePool(p: PoolRunner | null): void {
  current = p;
}
