/**
 * Attention transfer (Zagoruyko & Komodakis 2017, §3.1): the spatial attention map of an
 * activation A `[N, C, H, W]` is F(A) = Σ_c |A_c|^p (`[N, H·W]`, p = 2 by default), and the
 * transfer loss compares the L2-normalised maps of student and teacher:
 *
 *   L_AT = (β/2)·(1/N) Σ_n ‖ Q_s,n/‖Q_s,n‖₂ − Q_t,n/‖Q_t,n‖₂ ‖₂
 *
 * (the paper's Eq. 2 with its p = 2 norm of the difference; `squared: true` uses the squared
 * norm instead, as the authors' code does). Student and teacher maps need the same H×W; the
 * channel counts may differ. The teacher's map is a constant.
 *
 * @example Maps that differ only by a positive factor have zero loss
 * ```ts
 * import { attentionTransferLoss } from "@lowbit/distill/attention";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { ok } from "node:assert/strict";
 * const a = Variable.from([1, 2, 3, 4], [1, 1, 2, 2]);
 * const b = Variable.from([2, 4, 6, 8, 0, 0, 0, 0], [1, 2, 2, 2]);
 * ok(attentionTransferLoss(a, b).data[0] < 1e-6);
 * ```
 *
 * @module
 */

import { formatShape } from "@lowbit/tensor/shape";
import { accumulate, record, type Variable } from "@lowbit/nn/autograd";

/** Options of {@linkcode attentionTransferLoss}. */
export interface AttentionOptions {
  /** Exponent p of F(A) = Σ_c |A_c|^p (default 2; p ≥ 1). */
  p?: number;
  /** Weight β (default 1). */
  beta?: number;
  /** Use ‖·‖₂² of the difference instead of ‖·‖₂ (default false). */
  squared?: boolean;
}

function check4d(name: string, a: Variable): [number, number, number] {
  if (a.shape.length !== 4) {
    throw new RangeError(`${name} must be [N, C, H, W]; got ${formatShape(a.shape)}`);
  }
  const [n, c, h, w] = a.shape;
  return [n, c, h * w];
}

/**
 * The attention map F(A) = Σ_c |A_c|^p of every example, flattened to `[N, H·W]` (not
 * normalised), as plain numbers.
 *
 * @param a Activations `[N, C, H, W]`.
 * @param p The exponent (default 2).
 * @returns Float64Array of N·H·W values.
 * @throws {RangeError} If `a` is not 4-D or p < 1.
 *
 * @example
 * ```ts
 * import { attentionMap } from "@lowbit/distill/attention";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...attentionMap(Variable.from([1, -2, 3, 0], [1, 2, 1, 2]))], [10, 4]);
 * ```
 */
export function attentionMap(a: Variable, p = 2): Float64Array {
  if (typeof p !== "number" || !(p >= 1) || !Number.isFinite(p)) {
    throw new RangeError(`p must be a finite number ≥ 1; got ${String(p)}`);
  }
  const [n, c, hw] = check4d("a", a);
  const q = new Float64Array(n * hw);
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const base = (i * c + ch) * hw;
      for (let j = 0; j < hw; j++) q[i * hw + j] += Math.abs(a.data[base + j]) ** p;
    }
  }
  return q;
}

function normalizeRows(q: Float64Array, n: number, hw: number): Float64Array {
  const out = new Float64Array(q.length);
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (let j = 0; j < hw; j++) r += q[i * hw + j] ** 2;
    r = Math.sqrt(r);
    for (let j = 0; j < hw; j++) out[i * hw + j] = r > 0 ? q[i * hw + j] / r : 0;
  }
  return out;
}

/**
 * The attention-transfer loss of the module doc.
 *
 * @param student Student activations `[N, C_s, H, W]` (gradients flow here).
 * @param teacher Teacher activations `[N, C_t, H, W]` (a constant).
 * @param options p, β, squared.
 * @returns The loss, shape `[1]`.
 * @throws {RangeError} If an input is not 4-D, N or H×W differ, or an option is invalid.
 *
 * @example Different spatial sizes are refused
 * ```ts
 * import { attentionTransferLoss } from "@lowbit/distill/attention";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { throws } from "node:assert/strict";
 * throws(() => attentionTransferLoss(Variable.zeros([1, 1, 2, 2]), Variable.zeros([1, 1, 3, 3])), /H×W/);
 * ```
 */
export function attentionTransferLoss(
  student: Variable,
  teacher: Variable,
  options: AttentionOptions = {},
): Variable {
  const p = options.p ?? 2, beta = options.beta ?? 1;
  if (typeof beta !== "number" || !Number.isFinite(beta) || beta < 0) {
    throw new RangeError(`options.beta must be a finite number ≥ 0; got ${String(beta)}`);
  }
  if (typeof p !== "number" || !(p >= 1) || !Number.isFinite(p)) {
    throw new RangeError(`options.p must be a finite number ≥ 1; got ${String(p)}`);
  }
  const [n, cs, hw] = check4d("student", student);
  const [nt, , hwt] = check4d("teacher", teacher);
  if (n !== nt || hw !== hwt) {
    throw new RangeError(
      `attentionTransferLoss: student ${formatShape(student.shape)} and teacher ${
        formatShape(teacher.shape)
      } need the same N and H×W`,
    );
  }
  const squared = options.squared ?? false;
  const qs = attentionMap(student, p);
  const us = normalizeRows(qs, n, hw);
  const ut = normalizeRows(attentionMap(teacher, p), n, hw);
  const norms = new Float64Array(n), dist = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    let r = 0, d = 0;
    for (let j = 0; j < hw; j++) {
      r += qs[i * hw + j] ** 2;
      d += (us[i * hw + j] - ut[i * hw + j]) ** 2;
    }
    norms[i] = Math.sqrt(r);
    dist[i] = squared ? d : Math.sqrt(d);
    total += dist[i];
  }
  const value = (beta / 2) * total / n;
  return record("attentionTransferLoss", new Float32Array([value]), [1], [student], (g) => {
    const k = (g[0] * beta) / (2 * n);
    const ga = new Float32Array(student.size);
    const gq = new Float64Array(hw);
    for (let i = 0; i < n; i++) {
      if (norms[i] === 0) continue; // all-zero map: normalisation is constant 0 there
      // dL/du for this example.
      let dot = 0;
      for (let j = 0; j < hw; j++) {
        const diff = us[i * hw + j] - ut[i * hw + j];
        const gu = squared ? 2 * diff : dist[i] > 0 ? diff / dist[i] : 0;
        gq[j] = gu;
        dot += gu * us[i * hw + j];
      }
      // u = Q/‖Q‖: dL/dQ = (dL/du − u·(u·dL/du))/‖Q‖.
      for (let j = 0; j < hw; j++) gq[j] = (k * (gq[j] - us[i * hw + j] * dot)) / norms[i];
      for (let ch = 0; ch < cs; ch++) {
        const base = (i * cs + ch) * hw;
        for (let j = 0; j < hw; j++) {
          const x = student.data[base + j];
          // d|x|^p/dx = p·|x|^(p−1)·sign(x)
          ga[base + j] = x === 0 ? 0 : gq[j] * p * Math.abs(x) ** (p - 1) * Math.sign(x);
        }
      }
    }
    accumulate(student, ga);
  });
}
