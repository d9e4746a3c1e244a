/**
 * Losses (rows of the table in `ops.ts`): softmax cross-entropy with a stable log-sum-exp,
 * mean squared error, and the temperature-scaled KL divergence of knowledge distillation
 * (Hinton et al. 2015), each a mean over the batch returning a `[1]` Variable.
 *
 * @example
 * ```ts
 * import { softmaxCrossEntropy } from "@lowbit/nn/losses";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { ok } from "node:assert/strict";
 * // Uniform logits over 4 classes: loss ln 4
 * const loss = softmaxCrossEntropy(Variable.zeros([1, 4]), new Int32Array([2]));
 * ok(Math.abs(loss.data[0] - Math.log(4)) < 1e-6);
 * ```
 *
 * @module
 */

import { formatShape, shapesEqual } from "@lowbit/tensor/shape";
import { accumulate, record, type Variable } from "./autograd.ts";

/** Integer class labels, one per row. */
export type Labels = Int32Array | Uint8Array | readonly number[];

function check2d(op: string, z: Variable): [number, number] {
  if (z.shape.length !== 2) {
    throw new RangeError(`${op}: logits must be [N, classes]; got ${formatShape(z.shape)}`);
  }
  return [z.shape[0], z.shape[1]];
}

/**
 * Row-wise log-softmax in float64: z − max − log Σ exp(z − max) (no overflow for any finite z).
 *
 * @param z Logits, row-major `[n][c]`.
 * @param n Rows.
 * @param c Columns.
 * @returns A Float64Array of log-probabilities.
 *
 * @example
 * ```ts
 * import { logSoftmaxRows } from "@lowbit/nn/losses";
 * import { ok } from "node:assert/strict";
 * const l = logSoftmaxRows(new Float32Array([1000, 1000]), 1, 2);
 * ok(Math.abs(l[0] - Math.log(0.5)) < 1e-12);
 * ```
 */
export function logSoftmaxRows(z: Float32Array, n: number, c: number): Float64Array {
  const out = new Float64Array(n * c);
  for (let i = 0; i < n; i++) {
    let m = -Infinity;
    for (let j = 0; j < c; j++) m = Math.max(m, z[i * c + j]);
    let s = 0;
    for (let j = 0; j < c; j++) s += Math.exp(z[i * c + j] - m);
    const lse = m + Math.log(s);
    for (let j = 0; j < c; j++) out[i * c + j] = z[i * c + j] - lse;
  }
  return out;
}

/**
 * Mean softmax cross-entropy L = (1/N) Σ_n (logsumexp(z_n) − z_n[t_n]).
 *
 * @param logits `[N, C]`.
 * @param labels N integer labels in [0, C).
 * @returns The mean loss, shape `[1]`.
 * @throws {RangeError} If the label count differs from N or a label is out of range (the
 *   message names the index and the allowed range).
 *
 * @example
 * ```ts
 * import { softmaxCrossEntropy } from "@lowbit/nn/losses";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { throws } from "node:assert/strict";
 * throws(() => softmaxCrossEntropy(Variable.zeros([1, 3]), [3]), /labels\[0\] = 3/);
 * ```
 */
export function softmaxCrossEntropy(logits: Variable, labels: Labels): Variable {
  const [n, c] = check2d("softmaxCrossEntropy", logits);
  if (labels.length !== n) {
    throw new RangeError(`softmaxCrossEntropy: ${labels.length} labels for ${n} rows of logits`);
  }
  for (let i = 0; i < n; i++) {
    const t = labels[i];
    if (!Number.isInteger(t) || t < 0 || t >= c) {
      throw new RangeError(
        `softmaxCrossEntropy: labels[${i}] = ${t} is outside the classes 0..${c - 1}`,
      );
    }
  }
  const logp = logSoftmaxRows(logits.data, n, c);
  let s = 0;
  for (let i = 0; i < n; i++) s -= logp[i * c + labels[i]];
  return record("softmaxCrossEntropy", new Float32Array([s / n]), [1], [logits], (g) => {
    const k = g[0] / n;
    const gz = new Float32Array(n * c);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < c; j++) gz[i * c + j] = k * Math.exp(logp[i * c + j]);
      gz[i * c + labels[i]] -= k;
    }
    accumulate(logits, gz);
  });
}

/**
 * Mean squared error (1/size) Σ (p − t)².
 *
 * @param pred Predictions.
 * @param target Targets of the same shape (constant).
 * @returns The mean loss, shape `[1]`.
 * @throws {RangeError} If the shapes differ.
 *
 * @example
 * ```ts
 * import { mseLoss } from "@lowbit/nn/losses";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { equal } from "node:assert/strict";
 * equal(mseLoss(Variable.from([1, 2]), Variable.from([0, 4])).data[0], 2.5);
 * ```
 */
export function mseLoss(pred: Variable, target: Variable): Variable {
  if (!shapesEqual(pred.shape, target.shape)) {
    throw new RangeError(
      `mseLoss: pred ${formatShape(pred.shape)} and target ${formatShape(target.shape)} differ`,
    );
  }
  let s = 0;
  for (let i = 0; i < pred.size; i++) s += (pred.data[i] - target.data[i]) ** 2;
  const size = pred.size;
  return record("mseLoss", new Float32Array([s / size]), [1], [pred], (g) => {
    const k = (2 * g[0]) / size;
    accumulate(pred, pred.data.map((p, i) => k * (p - target.data[i])));
  });
}

/** Options of {@linkcode klDivergence}. */
export interface KlOptions {
  /** Softening temperature T > 0 (default 1). */
  temperature?: number;
}

/**
 * Distillation loss: T²·(1/N) Σ_n KL(softmax(t_n/T) ‖ softmax(z_n/T)); the teacher is a
 * constant (no gradient), the T² factor keeps gradient magnitudes comparable across T.
 *
 * @param student Student logits `[N, C]`.
 * @param teacher Teacher logits `[N, C]`.
 * @param options Temperature.
 * @returns The loss, shape `[1]`.
 * @throws {RangeError} If the shapes differ or T is not positive.
 *
 * @example Equal logits: zero divergence
 * ```ts
 * import { klDivergence } from "@lowbit/nn/losses";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { ok } from "node:assert/strict";
 * const z = Variable.from([1, 2, 3], [1, 3]);
 * ok(Math.abs(klDivergence(z, z, { temperature: 4 }).data[0]) < 1e-7);
 * ```
 */
export function klDivergence(
  student: Variable,
  teacher: Variable,
  options: KlOptions = {},
): Variable {
  const [n, c] = check2d("klDivergence", student);
  if (!shapesEqual(student.shape, teacher.shape)) {
    throw new RangeError(
      `klDivergence: student ${formatShape(student.shape)} and teacher ${
        formatShape(teacher.shape)
      } differ`,
    );
  }
  const t = options.temperature ?? 1;
  if (typeof t !== "number" || !(t > 0) || !Number.isFinite(t)) {
    throw new RangeError(`options.temperature must be a positive number; got ${String(t)}`);
  }
  const scaled = (z: Float32Array) => logSoftmaxRows(z.map((v) => v / t), n, c);
  const ls = scaled(student.data), lt = scaled(teacher.data);
  let s = 0;
  for (let i = 0; i < n * c; i++) s += Math.exp(lt[i]) * (lt[i] - ls[i]);
  return record("klDivergence", new Float32Array([(t * t * s) / n]), [1], [student], (g) => {
    const k = (g[0] * t) / n;
    const gz = new Float32Array(n * c);
    for (let i = 0; i < n * c; i++) gz[i] = k * (Math.exp(ls[i]) - Math.exp(lt[i]));
    accumulate(student, gz);
  });
}
