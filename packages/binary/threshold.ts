/**
 * What follows a packed layer's int32 accumulators `acc` (the exact Σ w·x of its codes):
 *
 * - the per-channel affine map `y = a_o·acc + c_o` that a binary layer's weight scale α_o,
 *   bias b_o and an evaluation-mode batch norm (γ, β, μ, σ² with ε) fold into:
 *   s_o = γ_o/√(σ²_o + ε), a_o = α_o·s_o, c_o = (b_o − μ_o)·s_o + β_o ({@linkcode foldAffine});
 *   XNOR-Net's per-sample input scale β_n multiplies a_o;
 * - when the next activation is binary, sign1(y) is decided by one integer comparison per
 *   output: for a_o > 0, y ≥ 0 ⇔ acc ≥ T_o; for a_o < 0, y ≥ 0 ⇔ acc ≤ T_o; for a_o = 0 the
 *   output is the constant sign1(c_o) ({@linkcode BinaryThresholds}). T_o starts at ⌈−c/a⌉
 *   (⌊−c/a⌋) and is then moved until the float64 value of a·acc + c changes sign between T_o
 *   and its neighbour, so the integer test reproduces the float64 decision sign1(a·acc + c)
 *   for every integer acc, ties (y = 0 → +1) included;
 * - otherwise the float output transform {@linkcode affineOutput} (float32 y).
 *
 * @example BN folded into thresholds: y = 2·acc − 5 ≥ 0 ⇔ acc ≥ 3 (2.5 rounded up)
 * ```ts
 * import { BinaryThresholds } from "@lowbit/binary/threshold";
 * import { deepEqual } from "node:assert/strict";
 * const t = new BinaryThresholds([2], [-5]);
 * deepEqual([...t.threshold], [3]);
 * deepEqual([...t.apply(new Int32Array([1, 2, 3, 4]), 1, 4)], [-1, -1, 1, 1]);
 * ```
 *
 * @module
 */

/** Batch-norm statistics and affine parameters (evaluation mode). */
export interface BatchNormStats {
  /** γ. */
  gamma: ArrayLike<number>;
  /** β. */
  beta: ArrayLike<number>;
  /** Running mean μ. */
  mean: ArrayLike<number>;
  /** Running variance σ². */
  variance: ArrayLike<number>;
  /** ε (default 1e-5). */
  eps?: number;
}

/** A per-channel affine map y = scale·acc + shift. */
export interface ChannelAffine {
  /** a_o. */
  scale: Float64Array;
  /** c_o. */
  shift: Float64Array;
}

function checkLen(name: string, v: ArrayLike<number> | undefined, n: number): void {
  if (v !== undefined && v.length !== n) {
    throw new RangeError(`${name} has ${v.length} entries; ${n} channels expected`);
  }
}

/**
 * Folds a weight scale, a bias and an optional batch norm into y = a·acc + c (module doc).
 *
 * @param channels O.
 * @param parts α per channel (default 1), bias (default 0), batch norm (default none).
 * @returns a and c, float64.
 * @throws {RangeError} If an array's length is not O.
 *
 * @example γ = 2, σ² + ε = 4 → s = 1; α = 0.5, b = 1, μ = 3, β = 0.25
 * ```ts
 * import { foldAffine } from "@lowbit/binary/threshold";
 * import { deepEqual } from "node:assert/strict";
 * const f = foldAffine(1, { alpha: [0.5], bias: [1], bn: { gamma: [2], beta: [0.25], mean: [3], variance: [4], eps: 0 } });
 * deepEqual([f.scale[0], f.shift[0]], [0.5, -1.75]);
 * ```
 */
export function foldAffine(
  channels: number,
  parts: { alpha?: ArrayLike<number>; bias?: ArrayLike<number>; bn?: BatchNormStats } = {},
): ChannelAffine {
  if (!Number.isInteger(channels) || channels < 1) {
    throw new RangeError(`channels must be a positive integer; got ${String(channels)}`);
  }
  const { alpha, bias, bn } = parts;
  checkLen("alpha", alpha, channels);
  checkLen("bias", bias, channels);
  if (bn) {
    for (const k of ["gamma", "beta", "mean", "variance"] as const) {
      checkLen(`bn.${k}`, bn[k], channels);
    }
  }
  const scale = new Float64Array(channels), shift = new Float64Array(channels);
  const eps = bn?.eps ?? 1e-5;
  for (let o = 0; o < channels; o++) {
    const s = bn ? bn.gamma[o] / Math.sqrt(bn.variance[o] + eps) : 1;
    const b = bias ? bias[o] : 0;
    scale[o] = (alpha ? alpha[o] : 1) * s;
    shift[o] = bn ? (b - bn.mean[o]) * s + bn.beta[o] : b;
  }
  return { scale, shift };
}

const LIMIT = 2 ** 30;

/** The integer threshold and mode of sign1(a·acc + c) (module doc). */
function thresholdOf(a: number, c: number): [number, number] {
  if (a === 0) return [0, c >= 0 ? 2 : -2]; // constant +1 / −1
  const t0 = -c / a;
  if (!(Math.abs(t0) < LIMIT)) {
    // beyond any accumulator: constant output
    const pos = a > 0 ? t0 < 0 : t0 > 0; // acc ≥ T always (a > 0, T → −∞) or acc ≤ T always
    return [0, pos ? 2 : -2];
  }
  const ok = (acc: number) => a * acc + c >= 0;
  if (a > 0) {
    let t = Math.ceil(t0);
    while (ok(t - 1)) t--;
    while (!ok(t)) t++;
    return [t, 1];
  }
  let t = Math.floor(t0);
  while (ok(t + 1)) t++;
  while (!ok(t)) t--;
  return [t, -1];
}

/**
 * Integer thresholds of sign1(a_o·acc + c_o) (module doc).
 *
 * @example A negative scale flips the comparison
 * ```ts
 * import { BinaryThresholds } from "@lowbit/binary/threshold";
 * import { deepEqual } from "node:assert/strict";
 * const t = new BinaryThresholds([-1, 0], [0.5, -1]); // channel 0: acc ≤ 0; channel 1: −1
 * deepEqual([...t.apply(new Int32Array([-3, 0, 1, -3, 0, 1]), 2, 3)], [1, 1, -1, -1, -1, -1]);
 * ```
 */
export class BinaryThresholds {
  /** T_o (0 for constant channels). */
  readonly threshold: Int32Array;
  /** 1: +1 iff acc ≥ T; −1: +1 iff acc ≤ T; 2: always +1; −2: always −1. */
  readonly mode: Int8Array;
  readonly #scale: Float64Array;
  readonly #shift: Float64Array;

  /**
   * Computes the thresholds.
   *
   * @param scale a_o.
   * @param shift c_o.
   * @throws {RangeError} If the lengths differ or a value is not finite.
   */
  constructor(scale: ArrayLike<number>, shift: ArrayLike<number>) {
    if (scale.length !== shift.length || scale.length === 0) {
      throw new RangeError(
        `scale and shift must be non-empty and equally long; got ${scale.length}, ${shift.length}`,
      );
    }
    const O = scale.length;
    this.#scale = Float64Array.from(scale);
    this.#shift = Float64Array.from(shift);
    this.threshold = new Int32Array(O);
    this.mode = new Int8Array(O);
    for (let o = 0; o < O; o++) {
      if (!Number.isFinite(this.#scale[o]) || !Number.isFinite(this.#shift[o])) {
        throw new RangeError(`scale[${o}] and shift[${o}] must be finite`);
      }
      [this.threshold[o], this.mode[o]] = thresholdOf(this.#scale[o], this.#shift[o]);
    }
  }

  /**
   * Binarizes accumulators `[N][O][plane]` (NCHW, plane = outH·outW; 1 for a linear layer).
   *
   * @param acc The accumulators.
   * @param channels O (must match).
   * @param plane Outputs per channel and sample.
   * @param sampleScale Optional β_n > 0 per sample (XNOR-Net): thresholds of sign1(β_n·a·acc + c).
   * @returns ±1 codes, same layout.
   * @throws {RangeError} On a channel count or length mismatch, or a β that is not > 0.
   */
  apply(
    acc: Int32Array,
    channels: number,
    plane: number,
    sampleScale?: ArrayLike<number>,
  ): Int8Array {
    const O = this.threshold.length;
    if (channels !== O) throw new RangeError(`channels ${channels}; thresholds have ${O}`);
    if (!Number.isInteger(plane) || plane < 1 || acc.length % (O * plane) !== 0) {
      throw new RangeError(`acc length ${acc.length} is not N·${O}·${plane}`);
    }
    const N = acc.length / (O * plane);
    if (sampleScale !== undefined && sampleScale.length !== N) {
      throw new RangeError(`sampleScale has ${sampleScale.length} entries for ${N} samples`);
    }
    const out = new Int8Array(acc.length);
    let T = this.threshold, mode = this.mode;
    for (let n = 0; n < N; n++) {
      if (sampleScale !== undefined) {
        const b = sampleScale[n];
        if (!(b > 0) || !Number.isFinite(b)) {
          throw new RangeError(`sampleScale[${n}] must be a finite number > 0; got ${b}`);
        }
        T = new Int32Array(O);
        mode = new Int8Array(O);
        for (let o = 0; o < O; o++) {
          [T[o], mode[o]] = thresholdOf(this.#scale[o] * b, this.#shift[o]);
        }
      }
      for (let o = 0; o < O; o++) {
        const base = (n * O + o) * plane, t = T[o], m = mode[o];
        for (let p = base; p < base + plane; p++) {
          const v = acc[p];
          out[p] = m === 1 ? (v >= t ? 1 : -1) : m === -1 ? (v <= t ? 1 : -1) : m > 0 ? 1 : -1;
        }
      }
    }
    return out;
  }
}

/**
 * The float output transform y = a_o·(β_n·acc) + c_o in float32, NCHW.
 *
 * @param acc Accumulators `[N][O][plane]`.
 * @param f a and c (from {@linkcode foldAffine}).
 * @param plane Outputs per channel and sample.
 * @param sampleScale Optional β_n per sample.
 * @returns y, same layout.
 * @throws {RangeError} On a length mismatch.
 *
 * @example
 * ```ts
 * import { affineOutput } from "@lowbit/binary/threshold";
 * import { deepEqual } from "node:assert/strict";
 * const y = affineOutput(new Int32Array([3, -1]), { scale: Float64Array.of(0.5), shift: Float64Array.of(1) }, 1, [1, 2]);
 * deepEqual([...y], [2.5, 0]);
 * ```
 */
export function affineOutput(
  acc: Int32Array,
  f: ChannelAffine,
  plane: number,
  sampleScale?: ArrayLike<number>,
): Float32Array {
  const O = f.scale.length;
  if (f.shift.length !== O || !Number.isInteger(plane) || plane < 1 || acc.length % (O * plane)) {
    throw new RangeError(`acc length ${acc.length} is not N·${O}·${plane}`);
  }
  const N = acc.length / (O * plane);
  if (sampleScale !== undefined && sampleScale.length !== N) {
    throw new RangeError(`sampleScale has ${sampleScale.length} entries for ${N} samples`);
  }
  const out = new Float32Array(acc.length);
  for (let n = 0; n < N; n++) {
    const b = sampleScale === undefined ? 1 : sampleScale[n];
    for (let o = 0; o < O; o++) {
      const base = (n * O + o) * plane, a = f.scale[o] * b, c = f.shift[o];
      for (let p = base; p < base + plane; p++) out[p] = a * acc[p] + c;
    }
  }
  return out;
}
