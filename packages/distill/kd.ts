/**
 * Hinton et al. (2015) soft-target knowledge distillation, written as the survey's Eqs. 10–11
 * (Gholami et al., "A Survey of Quantization Methods…", §IV-D):
 *
 *   L = α·H(y, σ(z_s)) + β·H(σ(z_t/T), σ(z_s/T)),   σ(z/T)_i = exp(z_i/T) / Σ_j exp(z_j/T).
 *
 * **Convention.** Both cross-entropies are means over the batch of N rows, and the soft term is
 * multiplied by T² (Hinton et al. §2: the soft targets' gradients scale as 1/T², so multiplying
 * by T² keeps their relative contribution unchanged when T changes). The value returned is
 *
 *   L = (α/N) Σ_n H(y_n, σ(z_s,n)) + (β·T²/N) Σ_n H(σ(z_t,n/T), σ(z_s,n/T)),
 *
 * and its gradient with respect to the student logits z_s is, in closed form,
 *
 *   ∂L/∂z_s = (α/N)(σ(z_s) − onehot(y)) + (β·T²/T)(σ(z_s/T) − σ(z_t/T))/N.
 *
 * The teacher logits are constants (no gradient flows to the teacher). H is the cross-entropy,
 * not the KL divergence: the two differ by the teacher's entropy, a constant, so the gradients
 * are the same (`klDivergence` of `@lowbit/nn/losses` is the KL form of the soft term).
 *
 * @example With α = 0 and equal logits, the soft term is T²·(entropy of the soft targets)
 * ```ts
 * import { hintonLoss } from "@lowbit/distill/kd";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { ok } from "node:assert/strict";
 * const z = Variable.from([0, 0], [1, 2]); // uniform over 2 classes at any T
 * const l = hintonLoss(z, z, [0], { alpha: 0, beta: 1, temperature: 3 });
 * ok(Math.abs(l.data[0] - 9 * Math.log(2)) < 1e-6);
 * ```
 *
 * @module
 */

import { formatShape, shapesEqual } from "@lowbit/tensor/shape";
import { accumulate, record, type Variable } from "@lowbit/nn/autograd";
import { type Labels, logSoftmaxRows } from "@lowbit/nn/losses";

/** Weights and temperature of {@linkcode hintonLoss}. */
export interface HintonOptions {
  /** Weight α of the hard-label term H(y, σ(z_s)) (default 0.5; ≥ 0). */
  alpha?: number;
  /** Weight β of the soft-target term (default 0.5; ≥ 0). */
  beta?: number;
  /** Temperature T > 0 of the soft term (default 4). */
  temperature?: number;
}

function nonNegative(name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
    throw new RangeError(`${name} must be a finite number ≥ 0; got ${String(v)}`);
  }
  return v;
}

/**
 * Checks and returns `(alpha, beta, temperature)` of {@linkcode HintonOptions} with defaults.
 *
 * @param options The options.
 * @returns The resolved weights and temperature.
 * @throws {RangeError} Naming `options.alpha`, `options.beta` or `options.temperature`.
 *
 * @example
 * ```ts
 * import { resolveHintonOptions } from "@lowbit/distill/kd";
 * import { deepEqual, throws } from "node:assert/strict";
 * deepEqual(resolveHintonOptions({}), { alpha: 0.5, beta: 0.5, temperature: 4 });
 * throws(() => resolveHintonOptions({ temperature: 0 }), /options.temperature/);
 * ```
 */
export function resolveHintonOptions(
  options: HintonOptions,
): { alpha: number; beta: number; temperature: number } {
  const alpha = nonNegative("options.alpha", options.alpha ?? 0.5);
  const beta = nonNegative("options.beta", options.beta ?? 0.5);
  const t = options.temperature ?? 4;
  if (typeof t !== "number" || !Number.isFinite(t) || !(t > 0)) {
    throw new RangeError(`options.temperature must be a positive number; got ${String(t)}`);
  }
  return { alpha, beta, temperature: t };
}

/**
 * The distillation loss of Eqs. 10–11 with the T² convention of the module doc.
 *
 * @param student Student logits `[N, C]` (gradients flow here).
 * @param teacher Teacher logits `[N, C]` (a constant).
 * @param labels N hard labels in [0, C).
 * @param options α, β and T.
 * @returns The loss, shape `[1]`.
 * @throws {RangeError} If `student` is not 2-D, `teacher`'s shape differs, a label is out of
 *   range or the label count differs, or an option is invalid.
 *
 * @example β = 0 is plain cross-entropy
 * ```ts
 * import { hintonLoss } from "@lowbit/distill/kd";
 * import { softmaxCrossEntropy } from "@lowbit/nn/losses";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { ok } from "node:assert/strict";
 * const zs = Variable.from([1, -2, 0.5, 3, 0, 1], [2, 3]);
 * const zt = Variable.from([0, 0, 4, 2, 2, 2], [2, 3]);
 * const a = hintonLoss(zs, zt, [2, 0], { alpha: 1, beta: 0 }).data[0];
 * ok(Math.abs(a - softmaxCrossEntropy(zs, [2, 0]).data[0]) < 1e-6);
 * ```
 */
export function hintonLoss(
  student: Variable,
  teacher: Variable,
  labels: Labels,
  options: HintonOptions = {},
): Variable {
  const { alpha, beta, temperature: t } = resolveHintonOptions(options);
  if (student.shape.length !== 2) {
    throw new RangeError(
      `hintonLoss: student must be [N, classes]; got ${formatShape(student.shape)}`,
    );
  }
  if (!shapesEqual(student.shape, teacher.shape)) {
    throw new RangeError(
      `hintonLoss: student ${formatShape(student.shape)} and teacher ${
        formatShape(teacher.shape)
      } differ`,
    );
  }
  const [n, c] = student.shape;
  if (labels.length !== n) {
    throw new RangeError(`hintonLoss: ${labels.length} labels for ${n} rows of logits`);
  }
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    if (!Number.isInteger(y) || y < 0 || y >= c) {
      throw new RangeError(`hintonLoss: labels[${i}] = ${y} is outside the classes 0..${c - 1}`);
    }
  }
  const ls1 = logSoftmaxRows(student.data, n, c);
  const lsT = logSoftmaxRows(student.data.map((v) => v / t), n, c);
  const ltT = logSoftmaxRows(teacher.data.map((v) => v / t), n, c);
  let hard = 0, soft = 0;
  for (let i = 0; i < n; i++) hard -= ls1[i * c + labels[i]];
  for (let k = 0; k < n * c; k++) soft -= Math.exp(ltT[k]) * lsT[k];
  const value = (alpha * hard + beta * t * t * soft) / n;
  return record("hintonLoss", new Float32Array([value]), [1], [student], (g) => {
    const ka = (g[0] * alpha) / n, kb = (g[0] * beta * t) / n;
    const gz = new Float32Array(n * c);
    for (let k = 0; k < n * c; k++) {
      gz[k] = ka * Math.exp(ls1[k]) + kb * (Math.exp(lsT[k]) - Math.exp(ltT[k]));
    }
    for (let i = 0; i < n; i++) gz[i * c + labels[i]] -= ka;
    accumulate(student, gz);
  });
}
