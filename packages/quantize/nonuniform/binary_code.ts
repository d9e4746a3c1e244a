/**
 * Binary-code quantization (survey §III-F): a real vector r ∈ ℝ^n approximated by m scaled
 * binary vectors,
 *
 *     r ≈ Σ_{i=1..m} α_i b_i,   α_i ∈ ℝ,  b_i ∈ {−1, +1}^n                       (B.1)
 *
 * so a dot product with r costs m XNOR-popcounts and m multiplies. Minimizing ‖r − Σ α_i b_i‖²
 * jointly has no closed form for m > 1; two heuristics are given:
 *
 * **Greedy** (Guo et al. 2017 "Network Sketching"; m = 1 is XNOR-Net's optimum): with the
 * residual r_1 = r and r_{i+1} = r_i − α_i b_i,
 *
 *     b_i = sign(r_i) (sign(0) = +1),   α_i = mean |r_i| = ‖r_i‖₁ / n               (B.2)
 *
 * Each step is the best single binary term for the current residual and lowers the squared error
 * by exactly n · α_i² (‖r_{i+1}‖² = ‖r_i‖² − n α_i²), so the error strictly decreases with m
 * while the residual is nonzero.
 *
 * **Alternating** (Xu et al. ICLR 2018 "Alternating Multi-bit Quantization"): start from greedy,
 * then alternate two exact sub-problems:
 *
 * 1. α given B: least squares, the m × m normal equations (B Bᵀ) α = B r (B.3), solved by
 *    Gaussian elimination with partial pivoting in float64. A singular system (two equal or
 *    opposite rows of B) keeps the previous α for that step.
 * 2. B given α: each coordinate independently picks the sign pattern s ∈ {±1}^m whose value
 *    Σ α_i s_i is nearest to r_j (B.4). The 2^m values are sorted once and each r_j is placed by
 *    binary search — the paper's "binary search tree" — O(n · m) per sweep after an
 *    O(2^m · m) table. Exact ties take the smaller value.
 *
 * Neither step can raise the error, so the error is non-increasing; iteration stops after
 * `iterations` sweeps or when a sweep lowers the error by less than `tolerance` (relative). The
 * best code seen is returned, so the alternating error is never above the greedy one.
 *
 * Finally every α_i < 0 is made positive by flipping b_i (same product). Accumulation is in
 * float64; {@linkcode decodeBinaryCode} rounds the reconstruction to float32.
 *
 * @module
 */

import { asTensorLike, type QuantInput } from "../observer.ts";

/** A binary-code approximation Σ α_i b_i of a length-n vector (Eq. B.1). */
export interface BinaryCode {
  /** Number of binary vectors m. */
  readonly m: number;
  /** Vector length n. */
  readonly n: number;
  /** Scales α_1..α_m (non-negative). */
  readonly alphas: Float64Array;
  /** Signs, m × n row-major: `signs[i * n + j]` is b_i[j] ∈ {−1, +1}. */
  readonly signs: Int8Array;
}

/** Options of {@linkcode binaryCodeAlternating}. */
export interface AlternatingOptions {
  /** Maximum number of (α, B) sweeps after the greedy start (default 20). */
  iterations?: number;
  /** Stop when a sweep lowers the squared error by less than this fraction (default 1e-9). */
  tolerance?: number;
}

function inputValues(x: QuantInput): Float32Array {
  const data = asTensorLike(x).data;
  if (data.length === 0) throw new RangeError("x must not be empty");
  for (let j = 0; j < data.length; j++) {
    if (!Number.isFinite(data[j])) {
      throw new RangeError(`x[${j}] must be finite; got ${data[j]}`);
    }
  }
  return data;
}

function checkM(m: number): void {
  if (typeof m !== "number" || !Number.isInteger(m) || m < 1 || m > 16) {
    throw new RangeError(`m must be an integer in [1, 16]; got ${String(m)}`);
  }
}

function sse(x: Float32Array, alphas: Float64Array, signs: Int8Array, m: number): number {
  const n = x.length;
  let s = 0;
  for (let j = 0; j < n; j++) {
    let v = 0;
    for (let i = 0; i < m; i++) v += alphas[i] * signs[i * n + j];
    const e = x[j] - v;
    s += e * e;
  }
  return s;
}

function canonical(m: number, n: number, alphas: Float64Array, signs: Int8Array): BinaryCode {
  for (let i = 0; i < m; i++) {
    if (alphas[i] < 0) {
      alphas[i] = -alphas[i];
      for (let j = 0; j < n; j++) signs[i * n + j] = -signs[i * n + j] as -1 | 1;
    }
  }
  return { m, n, alphas, signs };
}

/**
 * Greedy binary-code quantization (Eq. B.2): each term binarizes the current residual.
 *
 * @param x The vector: a Float32Array or a tensor `{ data, shape }` (flattened row-major).
 * @param m Number of binary vectors, 1..16.
 * @returns The code.
 * @throws {TypeError} If `x` is not a Float32Array or tensor.
 * @throws {RangeError} If `x` is empty or not finite, or `m` is outside 1..16.
 *
 * @example m = 1 is XNOR-Net: α = mean |x|, b = sign(x); m = 2 refines the residual
 * ```ts
 * import { binaryCodeGreedy } from "@lowbit/quantize/nonuniform/binary-code";
 * import { deepEqual } from "node:assert/strict";
 * const x = new Float32Array([3, -1, 0.5, -2.5]);
 * const c = binaryCodeGreedy(x, 2);
 * deepEqual([...c.alphas], [1.75, 1]); // mean|x| = 7/4; residual [1.25, 0.75, −1.25, −0.75]
 * deepEqual([...c.signs], [1, -1, 1, -1, 1, 1, -1, -1]);
 * ```
 */
export function binaryCodeGreedy(x: QuantInput, m: number): BinaryCode {
  checkM(m);
  const data = inputValues(x);
  const n = data.length;
  const r = Float64Array.from(data);
  const alphas = new Float64Array(m);
  const signs = new Int8Array(m * n);
  for (let i = 0; i < m; i++) {
    let l1 = 0;
    for (let j = 0; j < n; j++) l1 += Math.abs(r[j]);
    const a = l1 / n;
    alphas[i] = a;
    for (let j = 0; j < n; j++) {
      const s = r[j] >= 0 ? 1 : -1;
      signs[i * n + j] = s;
      r[j] -= a * s;
    }
  }
  return { m, n, alphas, signs };
}

/** Solves the m × m system G a = rhs in place by Gaussian elimination; false if singular. */
function solve(g: Float64Array, rhs: Float64Array, m: number, out: Float64Array): boolean {
  let scale = 0;
  for (let i = 0; i < m * m; i++) scale = Math.max(scale, Math.abs(g[i]));
  for (let c = 0; c < m; c++) {
    let p = c;
    for (let r = c + 1; r < m; r++) if (Math.abs(g[r * m + c]) > Math.abs(g[p * m + c])) p = r;
    if (!(Math.abs(g[p * m + c]) > 1e-9 * scale)) return false;
    if (p !== c) {
      for (let k = 0; k < m; k++) {
        const t = g[c * m + k];
        g[c * m + k] = g[p * m + k];
        g[p * m + k] = t;
      }
      const t = rhs[c];
      rhs[c] = rhs[p];
      rhs[p] = t;
    }
    for (let r = c + 1; r < m; r++) {
      const f = g[r * m + c] / g[c * m + c];
      if (f === 0) continue;
      for (let k = c; k < m; k++) g[r * m + k] -= f * g[c * m + k];
      rhs[r] -= f * rhs[c];
    }
  }
  for (let c = m - 1; c >= 0; c--) {
    let s = rhs[c];
    for (let k = c + 1; k < m; k++) s -= g[c * m + k] * out[k];
    out[c] = s / g[c * m + c];
  }
  return true;
}

/** Least-squares α given B (Eq. B.3); leaves `alphas` unchanged when B Bᵀ is singular. */
function fitAlphas(x: Float32Array, signs: Int8Array, m: number, alphas: Float64Array): void {
  const n = x.length;
  const g = new Float64Array(m * m), rhs = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += signs[i * n + j] * x[j];
    rhs[i] = s;
    for (let k = i; k < m; k++) {
      let d = 0;
      for (let j = 0; j < n; j++) d += signs[i * n + j] * signs[k * n + j];
      g[i * m + k] = d;
      g[k * m + i] = d;
    }
  }
  const out = new Float64Array(m);
  if (solve(g, rhs, m, out)) alphas.set(out);
}

/**
 * The 2^m values Σ α_i s_i over sign patterns s, ascending, with their patterns (bit i set ⇔
 * s_i = +1). Ties in value keep the smaller pattern first.
 *
 * @param alphas The scales α_1..α_m (m ≤ 16).
 * @returns `{ values, patterns }`, both of length 2^m.
 * @throws {RangeError} If there are no scales, more than 16, or one is not finite.
 *
 * @example α = (2, 1): values −3, −1, 1, 3
 * ```ts
 * import { binaryCodeLevels } from "@lowbit/quantize/nonuniform/binary-code";
 * import { deepEqual } from "node:assert/strict";
 * const { values, patterns } = binaryCodeLevels([2, 1]);
 * deepEqual([...values], [-3, -1, 1, 3]);
 * deepEqual([...patterns], [0b00, 0b10, 0b01, 0b11]); // −2−1, −2+1, +2−1, +2+1
 * ```
 */
export function binaryCodeLevels(
  alphas: ArrayLike<number>,
): { values: Float64Array; patterns: Uint16Array } {
  const m = alphas.length;
  checkM(m);
  for (let i = 0; i < m; i++) {
    if (!Number.isFinite(alphas[i])) {
      throw new RangeError(`alphas[${i}] must be finite; got ${alphas[i]}`);
    }
  }
  const count = 2 ** m;
  const raw = new Float64Array(count);
  for (let p = 0; p < count; p++) {
    let v = 0;
    for (let i = 0; i < m; i++) v += (p >> i) & 1 ? alphas[i] : -alphas[i];
    raw[p] = v;
  }
  const order = Array.from({ length: count }, (_, p) => p).sort((a, b) => raw[a] - raw[b] || a - b);
  return {
    values: Float64Array.from(order, (p) => raw[p]),
    patterns: Uint16Array.from(order),
  };
}

/** Optimal B given α (Eq. B.4): nearest pattern value per coordinate, by binary search. */
function assignSigns(x: Float32Array, alphas: Float64Array, m: number, signs: Int8Array): void {
  const n = x.length;
  const { values, patterns } = binaryCodeLevels(alphas);
  const k = values.length;
  for (let j = 0; j < n; j++) {
    const v = x[j];
    let lo = 0, hi = k;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (values[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    let idx: number;
    if (lo === 0) idx = 0;
    else if (lo === k) idx = k - 1;
    else idx = values[lo] - v < v - values[lo - 1] ? lo : lo - 1;
    const p = patterns[idx];
    for (let i = 0; i < m; i++) signs[i * n + j] = (p >> i) & 1 ? 1 : -1;
  }
}

/**
 * Alternating binary-code quantization (Xu et al. 2018): greedy start, then alternate least
 * squares for α (Eq. B.3) and the binary-search assignment of B (Eq. B.4).
 *
 * @param x The vector: a Float32Array or a tensor `{ data, shape }` (flattened row-major).
 * @param m Number of binary vectors, 1..16.
 * @param options Maximum sweeps and relative tolerance.
 * @returns The best code seen (squared error ≤ the greedy code's).
 * @throws {TypeError} If `x` is not a Float32Array or tensor.
 * @throws {RangeError} If `x` is empty or not finite, `m` is outside 1..16, or the options are
 *   invalid.
 *
 * @example Four values that two binary terms can represent exactly
 * ```ts
 * import { binaryCodeAlternating, binaryCodeGreedy, binaryCodeSquaredError } from "@lowbit/quantize/nonuniform/binary-code";
 * import { ok } from "node:assert/strict";
 * const x = new Float32Array([3, 1, -1, -3, 3, -3]); // 2·b1 + 1·b2
 * const alt = binaryCodeAlternating(x, 2);
 * ok(binaryCodeSquaredError(x, alt) < 1e-20);
 * ok(binaryCodeSquaredError(x, binaryCodeGreedy(x, 2)) > 0.1);
 * ```
 */
export function binaryCodeAlternating(
  x: QuantInput,
  m: number,
  options: AlternatingOptions = {},
): BinaryCode {
  const iterations = options.iterations ?? 20;
  const tolerance = options.tolerance ?? 1e-9;
  if (!Number.isInteger(iterations) || iterations < 0) {
    throw new RangeError(
      `options.iterations must be a non-negative integer; got ${String(iterations)}`,
    );
  }
  if (typeof tolerance !== "number" || !(tolerance >= 0)) {
    throw new RangeError(`options.tolerance must be a number >= 0; got ${String(tolerance)}`);
  }
  const start = binaryCodeGreedy(x, m);
  const data = inputValues(x);
  const n = data.length;
  let best = { alphas: start.alphas.slice(), signs: start.signs.slice() };
  let bestErr = sse(data, best.alphas, best.signs, m);
  const alphas = start.alphas, signs = start.signs;
  for (let t = 0; t < iterations && bestErr > 0; t++) {
    fitAlphas(data, signs, m, alphas);
    assignSigns(data, alphas, m, signs);
    const err = sse(data, alphas, signs, m);
    const improved = bestErr - err;
    if (err < bestErr) {
      best = { alphas: alphas.slice(), signs: signs.slice() };
      bestErr = err;
    }
    if (!(improved > tolerance * bestErr)) break;
  }
  return canonical(m, n, best.alphas, best.signs);
}

/**
 * The reconstruction Σ α_i b_i of a code (Eq. B.1), accumulated in float64, rounded to float32.
 *
 * @param code A binary code.
 * @returns A new Float32Array of length n.
 * @throws {RangeError} If the code's arrays do not match its `m` and `n`.
 *
 * @example
 * ```ts
 * import { decodeBinaryCode } from "@lowbit/quantize/nonuniform/binary-code";
 * import { deepEqual } from "node:assert/strict";
 * const code = { m: 2, n: 3, alphas: new Float64Array([2, 0.5]), signs: new Int8Array([1, -1, 1, 1, 1, -1]) };
 * deepEqual([...decodeBinaryCode(code)], [2.5, -1.5, 1.5]);
 * ```
 */
export function decodeBinaryCode(code: BinaryCode): Float32Array {
  const { m, n } = checkCode(code);
  const out = new Float32Array(n);
  for (let j = 0; j < n; j++) {
    let v = 0;
    for (let i = 0; i < m; i++) v += code.alphas[i] * code.signs[i * n + j];
    out[j] = v;
  }
  return out;
}

function checkCode(code: BinaryCode): { m: number; n: number } {
  const { m, n } = code ?? {};
  if (
    !Number.isInteger(m) || !Number.isInteger(n) || m < 1 || n < 0 ||
    code.alphas?.length !== m || code.signs?.length !== m * n
  ) {
    throw new RangeError("code must have m alphas and m × n signs");
  }
  return { m, n };
}

/**
 * The squared error ‖x − Σ α_i b_i‖² in float64 (reconstruction not rounded to float32).
 *
 * @param x The vector the code approximates.
 * @param code A binary code of the same length.
 * @returns Σ_j (x_j − Σ_i α_i b_i[j])².
 * @throws {RangeError} If the lengths differ or the code is malformed.
 *
 * @example Greedy lowers the error by n·α_i² per term
 * ```ts
 * import { binaryCodeGreedy, binaryCodeSquaredError } from "@lowbit/quantize/nonuniform/binary-code";
 * import { equal } from "node:assert/strict";
 * const x = new Float32Array([3, -1, 0.5, -2.5]); // ‖x‖² = 16.5
 * equal(binaryCodeSquaredError(x, binaryCodeGreedy(x, 1)), 16.5 - 4 * 1.75 ** 2);
 * ```
 */
export function binaryCodeSquaredError(x: QuantInput, code: BinaryCode): number {
  const data = asTensorLike(x).data;
  const { m, n } = checkCode(code);
  if (data.length !== n) {
    throw new RangeError(`x has ${data.length} elements but the code has n = ${n}`);
  }
  return sse(data, code.alphas, code.signs, m);
}
