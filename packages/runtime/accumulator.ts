/**
 * Narrow-accumulator simulation: what an int8 dot product computes when the accumulator has
 * only 16, 24 or 32 bits and either wraps modulo 2^b (two's complement hardware) or saturates
 * at each addition (DSP-style `sat` adds). The reference int32 GEMM assumes the sum fits; this
 * module shows, per output, whether and where it would not.
 *
 * The order of accumulation is fixed and stated: the bias first, then p = 0, 1, …, k−1 —
 * saturation depends on the order, wrapping does not (it is the exact sum mod 2^b).
 *
 * @example A 16-bit accumulator overflows on a long dot product of large codes
 * ```ts
 * import { simulateAccumulation } from "@lowbit/runtime/accumulator";
 * import { deepEqual, equal } from "node:assert/strict";
 * const a = new Int8Array(4).fill(127), b = new Int8Array(4).fill(127);
 * const wrap = simulateAccumulation(1, 1, 4, a, b, { bits: 16, overflow: "wrap" });
 * equal(wrap.acc[0], 64516 - 65536); // 4·127² = 64516 wraps to −1020
 * equal(wrap.overflowed, 1);
 * const sat = simulateAccumulation(1, 1, 4, a, b, { bits: 16, overflow: "saturate" });
 *  deepEqual([sat.acc[0], sat.firstOverflowStep[0]], [32767, 3]); // step 3 = the third product
 * ```
 *
 * @module
 */

/** An 8-bit code operand of a simulated dot product. */
export type AccumulatorOperand = Int8Array | Uint8Array;

/** Accumulator widths that can be simulated. */
export type AccumulatorBits = 16 | 24 | 32;

/** Options of {@linkcode simulateAccumulation}. */
export interface AccumulationOptions {
  /** Accumulator width. */
  bits: AccumulatorBits;
  /** Overflow behaviour. */
  overflow: "wrap" | "saturate";
  /** Zero point of A (default 0). */
  aZeroPoint?: number;
  /** Zero point of B: one, or one per column (default 0). */
  bZeroPoint?: number | Int32Array;
  /** B stored n×k (default false: k×n). */
  transB?: boolean;
  /** Per-column bias, added first. */
  bias?: Int32Array;
}

/** Result of {@linkcode simulateAccumulation}. */
export interface AccumulationResult {
  /** The accumulators as the narrow hardware holds them (m×n, row-major). */
  acc: Int32Array;
  /** The exact sums (m×n), for comparison. */
  exact: Float64Array;
  /** How many outputs left the range at some step. */
  overflowed: number;
  /** Per output: the first step (0 = the bias, p + 1 = product p) whose partial sum left the
   * range, or −1. */
  firstOverflowStep: Int32Array;
  /** The largest |partial sum| seen anywhere. */
  maxAbsPartial: number;
}

/**
 * Accumulates `Σ_p (A_ip − z_A)(B_pj − z_B[j]) + bias_j` in a simulated b-bit register.
 *
 * @param m Rows of A.
 * @param n Columns of B.
 * @param k Inner dimension.
 * @param a A codes, m×k row-major.
 * @param b B codes, k×n (n×k with `transB`).
 * @param options Width, overflow mode, zero points, layout, bias.
 * @returns The narrow accumulators, the exact sums and overflow statistics.
 * @throws {RangeError} On bad dimensions, buffer lengths, widths or modes.
 *
 * @example With 32 bits nothing overflows and the result is the exact sum
 * ```ts
 * import { simulateAccumulation } from "@lowbit/runtime/accumulator";
 * import { deepEqual } from "node:assert/strict";
 * const r = simulateAccumulation(1, 2, 2, new Int8Array([1, 2]), new Int8Array([3, 4, 5, 6]), { bits: 32, overflow: "wrap" });
 * deepEqual([...r.acc], [13, 16]);
 * ```
 */
export function simulateAccumulation(
  m: number,
  n: number,
  k: number,
  a: AccumulatorOperand,
  b: AccumulatorOperand,
  options: AccumulationOptions,
): AccumulationResult {
  for (const [name, v] of [["m", m], ["n", n], ["k", k]] as const) {
    if (!Number.isInteger(v) || v < 1) {
      throw new RangeError(`${name} must be a positive integer, got ${v}`);
    }
  }
  if (a.length < m * k) throw new RangeError(`a must hold m·k = ${m * k} codes, got ${a.length}`);
  if (b.length < k * n) throw new RangeError(`b must hold k·n = ${k * n} codes, got ${b.length}`);
  const bits = options.bits;
  if (bits !== 16 && bits !== 24 && bits !== 32) {
    throw new RangeError(`options.bits must be 16, 24 or 32, got ${bits}`);
  }
  const mode = options.overflow;
  if (mode !== "wrap" && mode !== "saturate") {
    throw new RangeError(`options.overflow must be "wrap" or "saturate", got ${String(mode)}`);
  }
  const lo = -(2 ** (bits - 1)), hi = 2 ** (bits - 1) - 1, mod = 2 ** bits;
  const za = options.aZeroPoint ?? 0;
  const zb = options.bZeroPoint ?? 0;
  if (typeof zb !== "number" && zb.length !== n) {
    throw new RangeError(`options.bZeroPoint must have length n = ${n}`);
  }
  if (options.bias && options.bias.length !== n) {
    throw new RangeError(`options.bias must have length n = ${n}`);
  }
  const wrap = (v: number) => {
    const r = ((v - lo) % mod + mod) % mod + lo;
    return r;
  };
  const acc = new Int32Array(m * n),
    exact = new Float64Array(m * n),
    first = new Int32Array(m * n).fill(-1);
  let overflowed = 0, maxAbs = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const zbj = typeof zb === "number" ? zb : zb[j];
      let s = options.bias ? options.bias[j] : 0; // exact partial sum
      let r = mode === "wrap" ? wrap(s) : Math.min(hi, Math.max(lo, s));
      let step = s < lo || s > hi ? 0 : -1;
      maxAbs = Math.max(maxAbs, Math.abs(s));
      for (let p = 0; p < k; p++) {
        const prod = (a[i * k + p] - za) * ((options.transB ? b[j * k + p] : b[p * n + j]) - zbj);
        s += prod;
        maxAbs = Math.max(maxAbs, Math.abs(s));
        if (mode === "wrap") r = wrap(r + prod);
        else r = Math.min(hi, Math.max(lo, r + prod));
        if (step < 0 && (mode === "wrap" ? s < lo || s > hi : r + 0 !== s)) step = p + 1;
      }
      acc[i * n + j] = r;
      exact[i * n + j] = s;
      first[i * n + j] = step;
      if (step >= 0) overflowed++;
    }
  }
  return { acc, exact, overflowed, firstOverflowStep: first, maxAbsPartial: maxAbs };
}

/**
 * The smallest accumulator width (in bits, two's complement) that holds every partial sum of
 * a dot product of length k with codes bounded by |a − z_A| ≤ maxA and |b − z_B| ≤ maxB, plus a
 * bias bounded by maxBias: `⌈log2(k·maxA·maxB + maxBias + 1)⌉ + 1`.
 *
 * @param k Dot-product length.
 * @param maxA Largest |a − z_A| (255 for uint8 with any zero point, 128 for int8 with 0).
 * @param maxB Largest |b − z_B|.
 * @param maxBias Largest |bias| (default 0).
 * @returns The number of bits.
 * @throws {RangeError} On negative or non-integer arguments.
 *
 * @example int8×int8 (|·| ≤ 128) over k = 4: 4·2^14 = 2^16 needs 18 bits
 * ```ts
 * import { requiredAccumulatorBits } from "@lowbit/runtime/accumulator";
 * import { equal } from "node:assert/strict";
 * equal(requiredAccumulatorBits(4, 128, 128), 18);
 * equal(requiredAccumulatorBits(1, 1, 1), 2);
 * ```
 */
export function requiredAccumulatorBits(
  k: number,
  maxA: number,
  maxB: number,
  maxBias = 0,
): number {
  for (
    const [name, v] of [["k", k], ["maxA", maxA], ["maxB", maxB], ["maxBias", maxBias]] as const
  ) {
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new RangeError(
        `${name} must be a non-negative integer, got ${v}`,
      );
    }
  }
  const bound = k * maxA * maxB + maxBias;
  // Need −2^(b−1) ≤ −bound and bound ≤ 2^(b−1) − 1, i.e. 2^(b−1) ≥ bound + 1.
  let b = 1;
  while (2 ** (b - 1) < bound + 1) b++;
  return b;
}
