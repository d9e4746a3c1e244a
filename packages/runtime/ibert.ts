/**
 * Integer-only nonlinearities of I-BERT (Kim et al. 2021): every function maps int32 codes q
 * with a real scale S (r = S·q, zero point 0) to int32 codes with a new scale, using only
 * integer additions, multiplications, shifts and divisions at run time; the scale and the
 * integer constants are fixed when the model is converted.
 *
 *     i-poly(q, S; a, b, c):  q_b = ⌊b/S⌋, q_c = ⌊c/(a·S²)⌋
 *                             q' = (q + q_b)² + q_c, S' = a·S²   ≈ a(x + b)² + c      (I.1)
 *     i-erf:  sgn(q)·i-poly(min(|q|, ⌊−b/S⌋), S; a = −0.2888, b = −1.769, c = 1)       (I.2)
 *     i-GELU: (q_e, S_e) = i-erf(q, S/√2), q' = q·(q_e + ⌊1/S_e⌋), S' = S·S_e/2         (I.3)
 *     i-exp (x ≤ 0): x = −z·ln2 + p, p ∈ (−ln2, 0], q_ln2 = ⌊ln2/S⌋,
 *             z = ⌊−q/q_ln2⌋, q_p = q + z·q_ln2,
 *             (q_L, S_L) = i-poly(q_p, S; 0.3585, 1.353, 0.344), q' = q_L >> z         (I.4)
 *     i-softmax: q̃ = q − max q, e = i-exp(q̃), y = ⌊e·2^m / Σe⌋ (≤ 2^m − 1), S' = 2^−m (I.5)
 *     i-sqrt: Newton x_{i+1} = ⌊(x_i + ⌊n/x_i⌋)/2⌋ from x_0 = 2^⌈bits(n)/2⌉ while it
 *             decreases; returns ⌊√n⌋ exactly                                        (I.6)
 *     i-LayerNorm: y = d·q − Σq (= d·(q − μ), exact), σ' = i-sqrt(Σy²·4^K), K = 26,
 *             norm = ⌊y·2^(F+K)/σ'⌋ at scale √d/2^F; with u = |γ|·√d/2^F and
 *             β' = rna(β/u): out = sgn(γ)·MBQM(norm + sgn(γ)·β', u/S_y) + Z_y       (I.7)
 *
 * Division by a power of two floors (`>>`); all other divisions floor as well (I-BERT's
 * `floor`). Deliberate differences in (I.7): I-BERT rounds the mean and shifts Σy² right to
 * stay in int32; we keep the mean exact (y = d·q − Σq) and shift Σy² left by 2K bits, with
 * the row sums in wide integers (BigInt, as an int64/int128 accumulator would hold them), so
 * the result is within one output code of float LayerNorm even for short, low-variance rows.
 *
 * @example i-GELU on three codes
 * ```ts
 * import { iGelu } from "@lowbit/runtime/ibert";
 * import { ok } from "node:assert/strict";
 * const S = 0.01;
 * const { q, scale } = iGelu(new Int32Array([-200, 0, 150]), S);
 * const gelu = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
 * ok([-2, 0, 1.5].every((x, i) => Math.abs(q[i] * scale - gelu(x)) < 0.02));
 * ```
 *
 * @module
 */

import { multiplyByQuantizedMultiplier } from "@lowbit/kernels/requantize";
import { namedMultiplier, shiftLimit, shiftOverflow } from "./_int32_check.ts";
import type { OutputQuant } from "./fused.ts";
import { DTYPE_RANGE, QuantizedTensor } from "./quantized_tensor.ts";

/** int32 codes with one real scale (zero point 0). */
export interface ScaledInt {
  /** The codes. */
  q: Int32Array;
  /** Real value of one code. */
  scale: number;
}

function checkScale(scale: number): void {
  if (!(scale > 0) || !Number.isFinite(scale)) {
    throw new RangeError(`scale must be finite and > 0, got ${scale}`);
  }
}

function checkCodes(q: Int32Array): void {
  if (!(q instanceof Int32Array)) throw new TypeError("q must be an Int32Array");
}

/** Integer multiply that must stay exact in a double (|result| < 2^53). */
function exactMul(a: number, b: number): number {
  const p = a * b;
  if (!Number.isSafeInteger(p)) throw new RangeError(`intermediate product ${a}·${b} exceeds 2^53`);
  return p;
}

/**
 * I-BERT integer polynomial (I.1): `a(x + b)² + c` for x = S·q.
 *
 * @param q Codes.
 * @param scale Their scale S.
 * @param coefficients `[a, b, c]` (a ≠ 0).
 * @returns Codes and scale `a·S²` of the polynomial.
 * @throws {RangeError} On a bad scale or a zero `a`.
 *
 * @example x² + 1 on x = 0.5, 1
 * ```ts
 * import { iPoly } from "@lowbit/runtime/ibert";
 * import { deepEqual } from "node:assert/strict";
 * const r = iPoly(new Int32Array([2, 4]), 0.25, [1, 0, 1]);
 * deepEqual([...r.q].map((v) => v * r.scale), [1.25, 2]);
 * ```
 */
export function iPoly(
  q: Int32Array,
  scale: number,
  coefficients: readonly [number, number, number],
): ScaledInt {
  checkCodes(q);
  checkScale(scale);
  const [a, b, c] = coefficients;
  if (!(a !== 0) || !Number.isFinite(a)) {
    throw new RangeError(`coefficients[0] must be finite and non-zero, got ${a}`);
  }
  const qb = Math.floor(b / scale), qc = Math.floor(c / (a * scale * scale));
  const out = new Int32Array(q.length);
  for (let i = 0; i < q.length; i++) {
    const t = q[i] + qb;
    const v = exactMul(t, t) + qc;
    if (v > 2147483647 || v < -2147483648) {
      throw new RangeError(`i-poly result ${v} exceeds int32; use a larger scale`);
    }
    out[i] = v;
  }
  return { q: out, scale: a * scale * scale };
}

/**
 * I-BERT integer erf (I.2).
 *
 * @param q Codes.
 * @param scale Their scale.
 * @returns erf codes and scale.
 * @throws {RangeError} On a bad scale.
 *
 * @example
 * ```ts
 * import { iErf } from "@lowbit/runtime/ibert";
 * import { ok } from "node:assert/strict";
 * const r = iErf(new Int32Array([100]), 0.01); // erf(1) = 0.8427
 * ok(Math.abs(r.q[0] * r.scale - 0.8427) < 0.02);
 * ```
 */
export function iErf(q: Int32Array, scale: number): ScaledInt {
  checkCodes(q);
  checkScale(scale);
  const a = -0.2888, b = -1.769;
  const cap = Math.floor(-b / scale);
  const mag = q.map((v) => Math.min(Math.abs(v), cap));
  const p = iPoly(mag, scale, [a, b, 1]);
  for (let i = 0; i < q.length; i++) p.q[i] = q[i] < 0 ? -p.q[i] : q[i] === 0 ? 0 : p.q[i];
  return p;
}

/**
 * I-BERT integer GELU (I.3).
 *
 * @param q Codes.
 * @param scale Their scale.
 * @returns GELU codes and scale.
 * @throws {RangeError} On a bad scale or an intermediate beyond int32.
 *
 * @example
 * ```ts
 * import { iGelu } from "@lowbit/runtime/ibert";
 * import { equal } from "node:assert/strict";
 * equal(iGelu(new Int32Array([0]), 0.1).q[0], 0);
 * ```
 */
export function iGelu(q: Int32Array, scale: number): ScaledInt {
  checkCodes(q);
  checkScale(scale);
  const e = iErf(q, scale / Math.SQRT2);
  const one = Math.floor(1 / e.scale);
  const out = new Int32Array(q.length);
  for (let i = 0; i < q.length; i++) {
    const v = exactMul(q[i], e.q[i] + one);
    if (v > 2147483647 || v < -2147483648) throw new RangeError(`i-GELU result ${v} exceeds int32`);
    out[i] = v;
  }
  return { q: out, scale: (scale * e.scale) / 2 };
}

/**
 * I-BERT integer exp for non-positive inputs (I.4).
 *
 * @param q Codes ≤ 0.
 * @param scale Their scale.
 * @returns exp codes and scale.
 * @throws {RangeError} On a positive code or a bad scale (S must be < ln 2).
 *
 * @example
 * ```ts
 * import { iExp } from "@lowbit/runtime/ibert";
 * import { ok } from "node:assert/strict";
 * const r = iExp(new Int32Array([0, -100, -300]), 0.01);
 * ok([0, -1, -3].every((x, i) => Math.abs(r.q[i] * r.scale - Math.exp(x)) < 0.01));
 * ```
 */
export function iExp(q: Int32Array, scale: number): ScaledInt {
  checkCodes(q);
  checkScale(scale);
  const qln2 = Math.floor(Math.LN2 / scale);
  if (qln2 < 1) throw new RangeError(`scale must be below ln 2 for i-exp, got ${scale}`);
  const z = new Int32Array(q.length), p = new Int32Array(q.length);
  for (let i = 0; i < q.length; i++) {
    if (q[i] > 0) throw new RangeError(`q[${i}] must be ≤ 0 for i-exp, got ${q[i]}`);
    z[i] = Math.floor(-q[i] / qln2);
    p[i] = q[i] + z[i] * qln2;
  }
  const l = iPoly(p, scale, [0.3585, 1.353, 0.344]);
  for (let i = 0; i < q.length; i++) l.q[i] = z[i] >= 31 ? 0 : l.q[i] >> z[i];
  return l;
}

/**
 * I-BERT integer softmax over the last axis (I.5).
 *
 * @param q Codes, row-major `[rows, n]`.
 * @param scale Their scale (< ln 2).
 * @param n Row length.
 * @param outBits Output bits m (default 8): codes in [0, 2^m − 1] at scale 2^−m.
 * @returns Probabilities as codes and scale.
 * @throws {RangeError} When `n` does not divide the length, or on bad arguments.
 *
 * @example
 * ```ts
 * import { iSoftmax } from "@lowbit/runtime/ibert";
 * import { ok } from "node:assert/strict";
 * const r = iSoftmax(new Int32Array([0, 100, 200]), 0.01, 3);
 * const e = [1, Math.E, Math.E ** 2], s = e[0] + e[1] + e[2];
 * ok([...r.q].every((v, i) => Math.abs(v * r.scale - e[i] / s) < 0.01));
 * ```
 */
export function iSoftmax(q: Int32Array, scale: number, n: number, outBits = 8): ScaledInt {
  checkCodes(q);
  checkScale(scale);
  if (!Number.isInteger(n) || n < 1 || q.length % n !== 0) {
    throw new RangeError(`n must be a positive integer dividing q.length (${q.length}), got ${n}`);
  }
  if (!Number.isInteger(outBits) || outBits < 1 || outBits > 16) {
    throw new RangeError(`outBits must be an integer in [1, 16], got ${outBits}`);
  }
  const out = new Int32Array(q.length);
  const row = new Int32Array(n);
  for (let r = 0; r < q.length / n; r++) {
    let mx = -2147483648;
    for (let j = 0; j < n; j++) mx = Math.max(mx, q[r * n + j]);
    for (let j = 0; j < n; j++) row[j] = q[r * n + j] - mx;
    const e = iExp(row, scale).q;
    let sum = 0;
    for (let j = 0; j < n; j++) sum += e[j];
    const top = 2 ** outBits - 1;
    for (let j = 0; j < n; j++) {
      out[r * n + j] = Math.min(top, Math.floor(exactMul(e[j], 2 ** outBits) / sum));
    }
  }
  return { q: out, scale: 2 ** -outBits };
}

/**
 * Integer square root by Newton's iteration (I.6): ⌊√n⌋ exactly.
 *
 * @param n A non-negative safe integer.
 * @returns ⌊√n⌋.
 * @throws {RangeError} When `n` is negative or not a safe integer.
 *
 * @example
 * ```ts
 * import { iSqrt } from "@lowbit/runtime/ibert";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([0, 1, 15, 16, 17, 2 ** 52].map(iSqrt), [0, 1, 3, 4, 4, 2 ** 26]);
 * ```
 */
export function iSqrt(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`n must be a non-negative safe integer, got ${n}`);
  }
  if (n < 2) return n;
  const bits = Math.floor(Math.log2(n)) + 1;
  let x = 2 ** Math.ceil(bits / 2);
  for (;;) {
    const next = Math.floor((x + Math.floor(n / x)) / 2);
    if (next >= x) return x;
    x = next;
  }
}

/** Options of {@linkcode iLayerNorm}. */
export interface ILayerNormOptions {
  /** Per-feature scale γ (length d; default all 1). */
  gamma?: Float32Array;
  /** Per-feature shift β (length d; default all 0). */
  beta?: Float32Array;
  /** Fraction bits F of the normalised values (default 15). */
  fractionBits?: number;
}

/**
 * I-BERT integer LayerNorm over the last axis (I.7), requantized to an 8-bit output with the
 * gemmlowp fixed-point multiplier per feature.
 *
 * @param x Quantized input `[..., d]` (per-tensor; any storage type).
 * @param out Output quantization.
 * @param options γ, β and the fraction bits.
 * @returns The normalised, affinely transformed, quantized tensor.
 * @throws {RangeError} On per-channel input, γ/β of the wrong length, or sums beyond 2^53.
 *
 * @example
 * ```ts
 * import { iLayerNorm } from "@lowbit/runtime/ibert";
 * import { QuantizedTensor } from "@lowbit/runtime/quantized-tensor";
 * import { deepEqual } from "node:assert/strict";
 * const x = QuantizedTensor.fromCodes([1, 3], [1, 2], "int8", 0.1);
 * deepEqual([...iLayerNorm(x, { scale: 0.5, zeroPoint: 0, dtype: "int8" }).q], [-2, 2]); // ∓1 → ∓2 codes
 * ```
 */
export function iLayerNorm(
  x: QuantizedTensor,
  out: OutputQuant,
  options: ILayerNormOptions = {},
): QuantizedTensor {
  if (!(x instanceof QuantizedTensor)) throw new TypeError("x must be a QuantizedTensor");
  if (x.perChannel) throw new RangeError("x must be quantized per-tensor");
  checkScale(out.scale);
  const d = x.shape[x.shape.length - 1];
  const F = options.fractionBits ?? 15;
  if (!Number.isInteger(F) || F < 1 || F > 30) {
    throw new RangeError(`options.fractionBits must be in [1, 30], got ${F}`);
  }
  const gamma = options.gamma ?? new Float32Array(d).fill(1),
    beta = options.beta ?? new Float32Array(d);
  if (gamma.length !== d || beta.length !== d) {
    throw new RangeError(
      `options.gamma and options.beta must have length d = ${d}, got ${gamma.length} and ${beta.length}`,
    );
  }
  const { min, max } = DTYPE_RANGE[out.dtype];
  const normScale = Math.sqrt(d) / 2 ** F;
  // Per feature: |γ|·normScale/S_y as a Q31 multiplier, β in units of |γ|·normScale so it is
  // added before the single final rounding.
  const mults = Array.from(
    gamma,
    (
      g,
    ) => (g === 0
      ? null
      : namedMultiplier(Math.abs(g) * normScale / out.scale, "|gamma[j]| · √d / 2^F / out.scale")),
  );
  const betaNorm = Array.from(beta, (b, j) => {
    const unit = Math.abs(gamma[j]) * normScale;
    return gamma[j] === 0 ? 0 : Math.sign(b) * Math.floor(Math.abs(b / unit) + 0.5);
  });
  const betaCodes = Array.from(
    beta,
    (b) => Math.sign(b) * Math.floor(Math.abs(b / out.scale) + 0.5),
  );
  const q = x.codes();
  const res = new Int32Array(q.length);
  const y = new Array<bigint>(d);
  const dd = BigInt(d), shift = BigInt(F + PRECISION_BITS);
  for (let r = 0; r < q.length / d; r++) {
    let sum = 0n;
    for (let j = 0; j < d; j++) sum += BigInt(q[r * d + j]);
    let v = 0n;
    for (let j = 0; j < d; j++) {
      y[j] = dd * BigInt(q[r * d + j]) - sum; // d·(q − μ), exact
      v += y[j] * y[j];
    }
    const sd = isqrtBig(v << BigInt(2 * PRECISION_BITS)); // ≈ 2^K·√(Σy²)
    for (let j = 0; j < d; j++) {
      const m = mults[j];
      let c: number;
      if (m === null) c = betaCodes[j];
      else {
        let norm = 0;
        if (sd !== 0n) {
          const num = y[j] << shift;
          norm = Number(num >= 0n ? num / sd : -((-num + sd - 1n) / sd)); // floor
        }
        c = signedMbqm(norm + Math.sign(gamma[j]) * betaNorm[j], m, gamma[j]);
      }
      c += out.zeroPoint;
      res[r * d + j] = c < min ? min : c > max ? max : c;
    }
  }
  return QuantizedTensor.fromCodes(res, x.shape, out.dtype, out.scale, {
    zeroPoint: out.zeroPoint,
  });
}

/** Extra bits of the LayerNorm square root (σ' keeps ~26 significant bits). */
const PRECISION_BITS = 26;

/** ⌊√n⌋ of a non-negative bigint by the Newton iteration of (I.6). */
function isqrtBig(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / 2));
  for (;;) {
    const next = (x + n / x) >> 1n;
    if (next >= x) return x;
    x = next;
  }
}

/** sgn(γ)·MBQM(t, |γ|-multiplier): the sign of γ applied after the magnitude rescale. */
function signedMbqm(t: number, m: { multiplier: number; shift: number }, gamma: number): number {
  const g = multiplyByQuantizedMultiplier(
    Math.max(-2147483648, Math.min(2147483647, t)),
    m.multiplier,
    m.shift,
  );
  return gamma < 0 ? -g : g;
}

/**
 * Requantizes int32 codes with a real scale onto an 8-bit grid with the gemmlowp multiplier
 * `S_in / S_out` (after an i-GELU or i-softmax).
 *
 * @param x Codes and their scale.
 * @param out Output quantization.
 * @returns The quantized tensor, shape `[length]`.
 * @throws {RangeError} On bad scales.
 *
 * @example
 * ```ts
 * import { requantizeScaled } from "@lowbit/runtime/ibert";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...requantizeScaled({ q: new Int32Array([100, -7]), scale: 0.01 }, { scale: 0.1, zeroPoint: 0, dtype: "int8" }).q], [10, -1]);
 * ```
 */
export function requantizeScaled(x: ScaledInt, out: OutputQuant): QuantizedTensor {
  checkCodes(x.q);
  checkScale(x.scale);
  checkScale(out.scale);
  const { min, max } = DTYPE_RANGE[out.dtype];
  const m = namedMultiplier(x.scale / out.scale, "x.scale / out.scale");
  const lim = shiftLimit(m.shift);
  const y = new Int32Array(x.q.length);
  for (let i = 0; i < y.length; i++) {
    if (Math.abs(x.q[i]) > lim) throw shiftOverflow("requantizeScaled(x, out)", i, x.q[i], m.shift);
    const c = multiplyByQuantizedMultiplier(x.q[i], m.multiplier, m.shift) + out.zeroPoint;
    y[i] = c < min ? min : c > max ? max : c;
  }
  return QuantizedTensor.fromCodes(y, [y.length], out.dtype, out.scale, {
    zeroPoint: out.zeroPoint,
  });
}
