/**
 * Several teachers: their logits are combined into one target before the soft-target loss,
 * as a weighted average z = Σ_k w_k·z_k / Σ_k w_k (equal weights by default: the averaged
 * ensemble logits of Hinton et al. 2015 §1 and the "averaged logits" baseline of multi-teacher
 * distillation, e.g. You et al. 2017).
 *
 * @example The mean of two teachers
 * ```ts
 * import { combineTeacherLogits } from "@lowbit/distill/multi-teacher";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...combineTeacherLogits([new Float32Array([1, 3]), new Float32Array([3, 5])])], [2, 4]);
 * ```
 *
 * @module
 */

/**
 * Weighted average of equally long logit arrays (e.g. `[N, C]` row-major of each teacher, or
 * whole cached `TeacherLogits.logits`).
 *
 * @param logits One array per teacher.
 * @param weights Non-negative weights (default all 1), not all 0; normalised by their sum.
 * @returns The combined logits, float32 (each value summed in float64, rounded once).
 * @throws {RangeError} If there are no teachers, lengths differ, or the weights are invalid.
 *
 * @example Weights 3:1
 * ```ts
 * import { combineTeacherLogits } from "@lowbit/distill/multi-teacher";
 * import { deepEqual, throws } from "node:assert/strict";
 * deepEqual([...combineTeacherLogits([new Float32Array([4]), new Float32Array([0])], [3, 1])], [3]);
 * throws(() => combineTeacherLogits([new Float32Array(2), new Float32Array(3)]), /logits\[1\]/);
 * ```
 */
export function combineTeacherLogits(
  logits: readonly Float32Array[],
  weights?: readonly number[],
): Float32Array {
  if (logits.length === 0) throw new RangeError("logits must hold at least one teacher");
  const len = logits[0].length;
  logits.forEach((z, k) => {
    if (z.length !== len) {
      throw new RangeError(`logits[${k}] has ${z.length} values, logits[0] has ${len}`);
    }
  });
  const w = weights ?? logits.map(() => 1);
  if (w.length !== logits.length) {
    throw new RangeError(`weights has ${w.length} entries for ${logits.length} teachers`);
  }
  let sum = 0;
  w.forEach((v, k) => {
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
      throw new RangeError(`weights[${k}] must be a finite number ≥ 0; got ${String(v)}`);
    }
    sum += v;
  });
  if (!(sum > 0)) throw new RangeError("weights must not all be 0");
  const out = new Float32Array(len);
  for (let i = 0; i < len; i++) {
    let s = 0;
    for (let k = 0; k < logits.length; k++) s += w[k] * logits[k][i];
    out[i] = s / sum;
  }
  return out;
}
