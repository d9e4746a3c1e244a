/**
 * Tensor-level binarizers and ternarizers with their backward rules (survey §IV-E). Each
 * works on a tensor viewed as `[rows, inner]` (rows = output channels of a weight, or samples
 * of a batch of activations):
 *
 * - `scaledSign` (XNOR-Net, Rastegari et al. 2016, Eq. 2–4): y = α_r·sign(x), α_r = mean |x_r|
 *   per row (per output channel α for weights, per-sample β for activations). Backward
 *   ∂L/∂x_j = α·ḡ_j·[|x_j| ≤ 1] + sign(x_j)/n·Σ_i ḡ_i·sign(x_i) (the α term differentiated).
 * - `binaryConnect` (Courbariaux et al. 2015, Eq. 9): deterministic sign, or stochastic +1 with
 *   probability hard-σ(x) = clip((x + 1)/2, 0, 1); gradient straight through (identity).
 * - `ternaryTwn` (TWN, Li et al. 2016, Eq. 9–10): Δ = 0.7·E|W|, α = mean of |W| over |W| > Δ,
 *   y = α·t(W); gradient straight through.
 * - `ternaryTtq` (TTQ, Zhu et al. 2017, Eq. 6–8): Δ = t·max|W|, y = W_p on W > Δ, 0 on |W| ≤ Δ,
 *   −W_n on W < −Δ; ∂L/∂W_p = Σ_{W>Δ} ḡ, ∂L/∂W_n = −Σ_{W<−Δ} ḡ, ∂L/∂W = W_p·ḡ / ḡ / W_n·ḡ.
 * - `dorefaWeights` (DoReFa, Zhou et al. 2016, Eq. 9 and 12): k = 1: E|W|·sign(W) (gradient
 *   straight through); k > 1: 2·q_k(tanh W / (2 max|tanh W|) + ½) − 1, q_k rounded to 2ᵏ − 1
 *   steps, backward exact through tanh and the max with q_k straight through.
 * - `dorefaGradient` (DoReFa Eq. 12): identity forward; the backward gradient is quantized to
 *   k bits with stochastic rounding, 2M·(sr((2ᵏ−1)(ḡ/2M + ½))/(2ᵏ−1) − ½), M = max |ḡ|.
 * - `abcWeights` (ABC-Net, Lin et al. 2017, Eq. 3–4): M bases B_m = sign(W − mean W + u_m·std W),
 *   u_m evenly spaced in [−1, 1], α by least squares; gradient straight through.
 * - `abcActivations` (ABC-Net Eq. 6–7): A = Σ_n β_n·H_n(x), H_n(x) = sign(clip(x + v_n, 0, 1) − ½);
 *   ∂L/∂β_n = Σ ḡ·H_n, ∂L/∂x = Σ_n β_n·ḡ·[0 ≤ x + v_n ≤ 1].
 *
 * @example XNOR-Net weights: α per output channel
 * ```ts
 * import { scaledSign } from "@lowbit/binary/weights";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * const w = Variable.from([0.5, -1.5, 2, 2], [2, 2]);
 * deepEqual([...scaledSign(w).data], [1, -1, 2, 2]);
 * ```
 *
 * @module
 */

import { accumulate, record, type Variable } from "@lowbit/nn/autograd";
import { type RandomSource, requireRandom } from "@lowbit/rounding/modes";
import { stochasticRound } from "@lowbit/rounding/stochastic";
import { formatShape } from "@lowbit/tensor/shape";
import { sign1 } from "./ste.ts";

function rowsOf(x: Variable): number {
  if (x.shape.length === 0 || x.size === 0) {
    throw new RangeError(
      `x must be a non-empty tensor with a leading axis; got ${formatShape(x.shape)}`,
    );
  }
  return x.shape[0];
}

/**
 * XNOR-Net's scaled sign per row of axis 0 (module doc): α_r·sign(x) with α_r = mean |x_r|.
 *
 * @param x Weights `[out, …]` (α per output channel) or activations `[N, …]` (β per sample).
 * @returns α·sign(x), same shape.
 * @throws {RangeError} If x is empty or a scalar.
 *
 * @example The α term reaches every element of the row
 * ```ts
 * import { scaledSign } from "@lowbit/binary/weights";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * const w = Variable.from([0.5, -0.5], [1, 2], { requiresGrad: true });
 * scaledSign(w).backward(new Float32Array([1, 0]));
 * deepEqual([...w.grad!], [0.5 + 0.5, -0.5]); // α·1 + sign/n·Σḡ·sign; sign(w₁)/2·1
 * ```
 */
export function scaledSign(x: Variable): Variable {
  const rows = rowsOf(x), n = x.size / rows;
  const alpha = new Float64Array(rows);
  const out = new Float32Array(x.size);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let j = r * n; j < (r + 1) * n; j++) s += Math.abs(x.data[j]);
    alpha[r] = s / n;
    for (let j = r * n; j < (r + 1) * n; j++) out[j] = alpha[r] * sign1(x.data[j]);
  }
  return record("xnorScaledSign", out, x.shape, [x], (g) => {
    const gx = new Float32Array(g.length);
    for (let r = 0; r < rows; r++) {
      let t = 0;
      for (let j = r * n; j < (r + 1) * n; j++) t += g[j] * sign1(x.data[j]);
      for (let j = r * n; j < (r + 1) * n; j++) {
        const v = x.data[j];
        gx[j] = (Math.abs(v) <= 1 ? alpha[r] * g[j] : 0) + (sign1(v) * t) / n;
      }
    }
    accumulate(x, gx);
  });
}

/**
 * BinaryConnect binarization (survey Eq. 9), deterministic (no `random`) or stochastic, with
 * the identity straight-through gradient.
 *
 * @param w Latent weights.
 * @param random When given, +1 with probability clip((w + 1)/2, 0, 1) from this seeded source.
 * @returns ±1, same shape.
 *
 * @example
 * ```ts
 * import { binaryConnect } from "@lowbit/binary/weights";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...binaryConnect(Variable.from([-0.2, 0.3])).data], [-1, 1]);
 * deepEqual([...binaryConnect(Variable.from([-5, 5]), new Philox(1)).data], [-1, 1]);
 * ```
 */
export function binaryConnect(w: Variable, random?: RandomSource): Variable {
  const out = new Float32Array(w.size);
  if (random === undefined) {
    for (let i = 0; i < out.length; i++) out[i] = sign1(w.data[i]);
  } else {
    const rng = requireRandom(random);
    for (let i = 0; i < out.length; i++) {
      const p = Math.min(1, Math.max(0, (w.data[i] + 1) / 2));
      out[i] = rng.uniform() < p ? 1 : -1;
    }
  }
  return record("binaryConnect", out, w.shape, [w], (g) => accumulate(w, g));
}

/**
 * The TWN threshold and scale of a tensor: Δ = 0.7·E|W|, α = mean of |W| over |W| > Δ.
 *
 * @param w The values.
 * @returns Δ and α (α = 0 when no element exceeds Δ, i.e. all zero).
 * @throws {RangeError} If `w` is empty.
 *
 * @example
 * ```ts
 * import { twnThreshold } from "@lowbit/binary/weights";
 * import { deepEqual } from "node:assert/strict";
 * // E|W| = 1 → Δ = 0.7; |W| > 0.7: 1.5, 1.3, 1 → α = 3.8/3
 * const t = twnThreshold([1.5, -0.2, -1.3, 1]);
 * deepEqual([t.delta, t.alpha].map((v) => +v.toFixed(9)), [0.7, +(3.8 / 3).toFixed(9)]);
 * ```
 */
export function twnThreshold(w: ArrayLike<number>): { delta: number; alpha: number } {
  if (w.length === 0) throw new RangeError("w must not be empty");
  let s = 0;
  for (let i = 0; i < w.length; i++) s += Math.abs(w[i]);
  const delta = (0.7 * s) / w.length;
  let a = 0, c = 0;
  for (let i = 0; i < w.length; i++) {
    if (Math.abs(w[i]) > delta) {
      a += Math.abs(w[i]);
      c++;
    }
  }
  return { delta, alpha: c === 0 ? 0 : a / c };
}

/**
 * TWN ternarization (module doc), per tensor, gradient straight through.
 *
 * @param w Latent weights.
 * @returns α·t(W) ∈ {−α, 0, α}.
 * @throws {RangeError} If `w` is empty.
 *
 * @example
 * ```ts
 * import { ternaryTwn } from "@lowbit/binary/weights";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * // Δ = 0.7·0.625 = 0.4375, α = (1 + 0.5 + 1)/3
 * deepEqual([...ternaryTwn(Variable.from([1, -0.5, 0, -1])).data], [1, -1, 0, -1].map((v) => Math.fround(v * 2.5 / 3)));
 * ```
 */
export function ternaryTwn(w: Variable): Variable {
  rowsOf(w);
  const { delta, alpha } = twnThreshold(w.data);
  const out = w.data.map((v) => (v > delta ? alpha : v < -delta ? -alpha : 0));
  return record("twn", out, w.shape, [w], (g) => accumulate(w, g));
}

/**
 * TTQ ternarization with trained scales W_p, W_n (module doc).
 *
 * @param w Latent weights.
 * @param wp Positive scale, shape `[1]`.
 * @param wn Negative scale, shape `[1]`.
 * @param t Threshold fraction of max|W| (default 0.05, the paper's value).
 * @returns The ternary weights.
 * @throws {RangeError} If a scale is not a single value or `t` is not in [0, 1).
 *
 * @example
 * ```ts
 * import { ternaryTtq } from "@lowbit/binary/weights";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * const y = ternaryTtq(Variable.from([2, 0.05, -1]), Variable.from([0.5]), Variable.from([0.25]));
 * deepEqual([...y.data], [0.5, 0, -0.25]); // Δ = 0.1
 * ```
 */
export function ternaryTtq(w: Variable, wp: Variable, wn: Variable, t = 0.05): Variable {
  rowsOf(w);
  for (const [nm, v] of [["wp", wp], ["wn", wn]] as const) {
    if (v.size !== 1) {
      throw new RangeError(`${nm} must have shape [1]; got ${formatShape(v.shape)}`);
    }
  }
  if (!(t >= 0 && t < 1)) throw new RangeError(`t must be in [0, 1); got ${String(t)}`);
  let m = 0;
  for (const v of w.data) m = Math.max(m, Math.abs(v));
  const delta = t * m, p = wp.data[0], q = wn.data[0];
  const region = Int8Array.from(w.data, (v) => (v > delta ? 1 : v < -delta ? -1 : 0));
  const out = Float32Array.from(region, (r) => (r === 1 ? p : r === -1 ? -q : 0));
  return record("ttq", out, w.shape, [w, wp, wn], (g) => {
    let gp = 0, gn = 0;
    const gw = new Float32Array(g.length);
    for (let i = 0; i < g.length; i++) {
      if (region[i] === 1) {
        gp += g[i];
        gw[i] = p * g[i];
      } else if (region[i] === -1) {
        gn -= g[i];
        gw[i] = q * g[i];
      } else gw[i] = g[i];
    }
    accumulate(w, gw);
    accumulate(wp, new Float32Array([gp]));
    accumulate(wn, new Float32Array([gn]));
  });
}

function checkBits(bits: number): number {
  if (!Number.isInteger(bits) || bits < 1 || bits > 16) {
    throw new RangeError(`bits must be an integer in [1, 16]; got ${String(bits)}`);
  }
  return 2 ** bits - 1;
}

/**
 * DoReFa k-bit weights (module doc).
 *
 * @param w Latent weights.
 * @param bits k ∈ [1, 16].
 * @returns Weights in [−1, 1] on 2ᵏ levels (k = 1: ±E|W|).
 * @throws {RangeError} If `bits` is out of range or `w` is empty.
 *
 * @example 2 bits: levels −1, −⅓, ⅓, 1
 * ```ts
 * import { dorefaWeights } from "@lowbit/binary/weights";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * const y = dorefaWeights(Variable.from([3, -3, 0.01]), 2);
 * deepEqual([...y.data].map((v) => Math.round(v * 3)), [3, -3, 1]);
 * ```
 */
export function dorefaWeights(w: Variable, bits: number): Variable {
  rowsOf(w);
  const n = checkBits(bits);
  if (n === 1) {
    let s = 0;
    for (const v of w.data) s += Math.abs(v);
    const e = s / w.size;
    const out = w.data.map((v) => e * sign1(v));
    return record("dorefaW1", out, w.shape, [w], (g) => accumulate(w, g));
  }
  const th = Float64Array.from(w.data, Math.tanh);
  let m = 0, arg = 0;
  th.forEach((v, i) => {
    if (Math.abs(v) > m) [m, arg] = [Math.abs(v), i];
  });
  const mm = m === 0 ? 1 : m;
  const out = Float32Array.from(th, (v) => (2 * Math.round((v / (2 * mm) + 0.5) * n)) / n - 1);
  return record(`dorefaW${bits}`, out, w.shape, [w], (g) => {
    // y_i ≈ t_i/M (q straight through): ∂/∂t_j = δ_ij/M − [j = arg]·sign(t_j)·Σ_i g_i t_i/M².
    const gw = new Float32Array(g.length);
    let dot = 0;
    for (let i = 0; i < g.length; i++) dot += g[i] * th[i];
    for (let j = 0; j < g.length; j++) {
      let gt = g[j] / mm;
      if (j === arg && m !== 0) gt -= (Math.sign(th[j]) * dot) / (mm * mm);
      gw[j] = gt * (1 - th[j] * th[j]);
    }
    accumulate(w, gw);
  });
}

/**
 * DoReFa gradient quantization (module doc): identity forward, k-bit stochastic gradient back.
 *
 * @param x The value whose gradient is quantized.
 * @param bits k ∈ [1, 16].
 * @param random Seeded uniform source for the stochastic rounding.
 * @returns x (a new node).
 * @throws {RangeError} If `bits` is out of range.
 * @throws {TypeError} If `random` is missing.
 *
 * @example With many bits the gradient comes back nearly unchanged
 * ```ts
 * import { dorefaGradient } from "@lowbit/binary/weights";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { ok } from "node:assert/strict";
 * const x = Variable.from([1, 2], [2], { requiresGrad: true });
 * dorefaGradient(x, 16, new Philox(0)).backward(new Float32Array([0.5, -1]));
 * ok(Math.abs(x.grad![0] - 0.5) < 1e-4 && Math.abs(x.grad![1] + 1) < 1e-4);
 * ```
 */
export function dorefaGradient(x: Variable, bits: number, random: RandomSource): Variable {
  const n = checkBits(bits);
  const rng = requireRandom(random);
  return record("dorefaGrad", x.data.slice(), x.shape, [x], (g) => {
    let m = 0;
    for (const v of g) m = Math.max(m, Math.abs(v));
    if (m === 0) return accumulate(x, g);
    const gx = new Float32Array(g.length);
    for (let i = 0; i < g.length; i++) {
      const u = (g[i] / (2 * m) + 0.5) * n;
      gx[i] = 2 * m * (stochasticRound(u, rng) / n - 0.5);
    }
    accumulate(x, gx);
  });
}

/**
 * The ABC-Net weight approximation W ≈ Σ_m α_m·B_m (module doc), per tensor.
 *
 * @param w The weights.
 * @param bases M ≥ 1.
 * @returns The bases (±1, M rows of w.length) and α (least squares).
 * @throws {RangeError} If `bases` is not an integer in [1, 8] or `w` is empty.
 *
 * @example One basis: B = sign(W − mean), α = ⟨W, B⟩/n
 * ```ts
 * import { abcBases } from "@lowbit/binary/weights";
 * import { deepEqual } from "node:assert/strict";
 * const { alpha } = abcBases(Float32Array.from([1, 3]), 1);
 * deepEqual([...alpha].map((v) => +v.toFixed(6)), [1]); // B = (−1, 1): α = (−1 + 3)/2
 * ```
 */
export function abcBases(
  w: ArrayLike<number>,
  bases: number,
): { bases: Int8Array[]; alpha: Float64Array } {
  if (!Number.isInteger(bases) || bases < 1 || bases > 8) {
    throw new RangeError(`bases must be an integer in [1, 8]; got ${String(bases)}`);
  }
  const n = w.length;
  if (n === 0) throw new RangeError("w must not be empty");
  let mean = 0;
  for (let i = 0; i < n; i++) mean += w[i];
  mean /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (w[i] - mean) ** 2;
  const std = Math.sqrt(v / n);
  const B: Int8Array[] = [];
  for (let m = 0; m < bases; m++) {
    const u = bases === 1 ? 0 : -1 + (2 * m) / (bases - 1);
    B.push(Int8Array.from({ length: n }, (_, i) => sign1(w[i] - mean + u * std)));
  }
  // Normal equations (BᵀB)α = Bᵀw, solved by Gaussian elimination with partial pivoting;
  // duplicate bases (possible when std = 0) get α = 0 through a tiny ridge.
  const M = bases, A = Array.from({ length: M }, () => new Float64Array(M + 1));
  for (let a = 0; a < M; a++) {
    for (let b = 0; b < M; b++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += B[a][i] * B[b][i];
      A[a][b] = s + (a === b ? 1e-9 * n : 0);
    }
    let s = 0;
    for (let i = 0; i < n; i++) s += B[a][i] * w[i];
    A[a][M] = s;
  }
  for (let c = 0; c < M; c++) {
    let p = c;
    for (let r = c + 1; r < M; r++) if (Math.abs(A[r][c]) > Math.abs(A[p][c])) p = r;
    [A[c], A[p]] = [A[p], A[c]];
    for (let r = 0; r < M; r++) {
      if (r === c) continue;
      const f = A[r][c] / A[c][c];
      for (let k = c; k <= M; k++) A[r][k] -= f * A[c][k];
    }
  }
  const alpha = Float64Array.from({ length: M }, (_, c) => A[c][M] / A[c][c]);
  return { bases: B, alpha };
}

/**
 * ABC-Net weights: Σ_m α_m·B_m (module doc), gradient straight through.
 *
 * @param w Latent weights.
 * @param bases M.
 * @returns The approximation, same shape.
 * @throws {RangeError} As {@linkcode abcBases}.
 *
 * @example Three bases fit better than one
 * ```ts
 * import { abcWeights } from "@lowbit/binary/weights";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { ok } from "node:assert/strict";
 * const w = Variable.from([0.1, -0.7, 0.4, 1.2, -0.3, 0.05]);
 * const err = (y: Float32Array) => y.reduce((s, v, i) => s + (v - w.data[i]) ** 2, 0);
 * ok(err(abcWeights(w, 3).data) < err(abcWeights(w, 1).data));
 * ```
 */
export function abcWeights(w: Variable, bases: number): Variable {
  const { bases: B, alpha } = abcBases(w.data, bases);
  const out = new Float32Array(w.size);
  for (let m = 0; m < B.length; m++) {
    for (let i = 0; i < out.length; i++) out[i] += alpha[m] * B[m][i];
  }
  return record(`abcW${bases}`, out, w.shape, [w], (g) => accumulate(w, g));
}

/**
 * ABC-Net activations A = Σ_n β_n·H_n(x) with learned β (module doc).
 *
 * @param x Activations.
 * @param beta β, shape `[N]` (N bases).
 * @param shifts v_n, N numbers.
 * @returns A, same shape as x.
 * @throws {RangeError} If `shifts` and `beta` differ in length.
 *
 * @example
 * ```ts
 * import { abcActivations } from "@lowbit/binary/weights";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * const y = abcActivations(Variable.from([0.2, 0.8]), Variable.from([1, 2]), [0, 0.5]);
 * deepEqual([...y.data], [-1 + 2, 1 + 2]); // H₀ = −1, +1; H₁ = +1, +1
 * ```
 */
export function abcActivations(x: Variable, beta: Variable, shifts: readonly number[]): Variable {
  if (shifts.length !== beta.size || beta.size === 0) {
    throw new RangeError(
      `shifts has ${shifts.length} entries for beta ${formatShape(beta.shape)}; they must match`,
    );
  }
  const N = shifts.length;
  const H = shifts.map((v) => Int8Array.from(x.data, (t) => (t + v >= 0.5 ? 1 : -1)));
  const out = new Float32Array(x.size);
  for (let k = 0; k < N; k++) {
    for (let i = 0; i < out.length; i++) out[i] += beta.data[k] * H[k][i];
  }
  return record(`abcA${N}`, out, x.shape, [x, beta], (g) => {
    if (x.requiresGrad) {
      const gx = new Float32Array(g.length);
      for (let k = 0; k < N; k++) {
        for (let i = 0; i < g.length; i++) {
          const t = x.data[i] + shifts[k];
          if (t >= 0 && t <= 1) gx[i] += beta.data[k] * g[i];
        }
      }
      accumulate(x, gx);
    }
    const gb = new Float32Array(N);
    for (let k = 0; k < N; k++) {
      let s = 0;
      for (let i = 0; i < g.length; i++) s += g[i] * H[k][i];
      gb[k] = s;
    }
    accumulate(beta, gb);
  });
}
