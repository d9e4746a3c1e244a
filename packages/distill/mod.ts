/**
 * Knowledge distillation for low-bit students (survey §IV-D): Hinton soft-target loss with the
 * T² convention, FitNets hints, attention transfer, multi-teacher logits, born-again
 * generations, teacher-logit caching and a teacher–student trainer on `@lowbit/nn`.
 *
 * @example
 * ```ts
 * import { hintonLoss } from "@lowbit/distill";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { ok } from "node:assert/strict";
 * const z = Variable.from([2, 0, -1], [1, 3]);
 * ok(hintonLoss(z, z, [0], { alpha: 1, beta: 0 }).data[0] > 0);
 * ```
 *
 * @module
 */

export * from "./kd.ts";
export * from "./schedule.ts";
export * from "./teacher_cache.ts";
export * from "./trainer.ts";
export * from "./features.ts";
export * from "./hint.ts";
export * from "./attention.ts";
export * from "./multi_teacher.ts";
export * from "./born_again.ts";
export * from "./data_free.ts";
export * from "./graph_teacher.ts";
