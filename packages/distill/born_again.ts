/**
 * Born-again networks (Furlanello et al. 2018): self-distillation over generations. Generation
 * 1 is distilled from the given trained teacher into a fresh network of the *same*
 * architecture; generation k + 1 is distilled from generation k. Each generation is trained
 * with {@linkcode distill} (so with Hinton's loss; α = 0, β = 1 is the paper's pure
 * teacher-matching objective, a non-zero α adds the labels).
 *
 * @example Two generations of a linear classifier on a toy set
 * ```ts
 * import { bornAgain } from "@lowbit/distill/born-again";
 * import { Flatten, Linear, Sequential, SGD } from "@lowbit/nn";
 * import { evaluate } from "@lowbit/nn/train";
 * import type { Dataset } from "@lowbit/nn/data/dataset";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { equal } from "node:assert/strict";
 * const ds: Dataset = { name: "toy", images: new Uint8Array([0, 255, 255, 0, 10, 250, 240, 5]), labels: new Uint8Array([0, 1, 0, 1]), count: 4, channels: 1, height: 1, width: 2, classes: 2 };
 * const make = (g: number) => new Sequential([new Flatten(), new Linear(2, 2, { random: new Philox(g) })]);
 * const teacher = make(0);
 * const gens = bornAgain(teacher, ds, {
 *   generations: 2,
 *   makeStudent: make,
 *   distillOptions: (_g, s) => ({ epochs: 30, batchSize: 2, seed: 1, temperature: 1, alpha: 1, beta: 1, optimizer: new SGD(s.parameters(), { lr: 0.5 }), log: () => {} }),
 * });
 * equal(gens.length, 2);
 * equal(evaluate(gens[1].student, ds).accuracy, 1);
 * ```
 *
 * @module
 */

import type { Dataset } from "@lowbit/nn/data/dataset";
import type { Module } from "@lowbit/nn/module";
import type { EpochStats } from "@lowbit/nn/train";
import { distill, type DistillOptions } from "./trainer.ts";

/** Options of {@linkcode bornAgain}. */
export interface BornAgainOptions<M extends Module> {
  /** Number of student generations (positive integer). */
  generations: number;
  /** A fresh network of the teacher's architecture for generation g (1-based). */
  makeStudent: (generation: number) => M;
  /** The `distill` options of generation g (without `teacher`), given its student. */
  distillOptions: (generation: number, student: M) => Omit<DistillOptions, "teacher">;
}

/** One generation's result. */
export interface Generation<M extends Module> {
  /** 1-based generation. */
  generation: number;
  /** The trained student (the next generation's teacher). */
  student: M;
  /** Its training statistics. */
  history: EpochStats[];
}

/**
 * Trains `generations` born-again students in sequence, each from the previous one.
 *
 * @param teacher The trained generation-0 network.
 * @param train The training set.
 * @param options Generations, student builder, per-generation options.
 * @returns One {@linkcode Generation} per generation, in order.
 * @throws {RangeError} If `options.generations` is not a positive integer, or a student is
 *   the same object as its teacher.
 *
 * @example Generations must be a positive integer
 * ```ts
 * import { bornAgain } from "@lowbit/distill/born-again";
 * import { Flatten } from "@lowbit/nn";
 * import type { Dataset } from "@lowbit/nn/data/dataset";
 * import { throws } from "node:assert/strict";
 * const ds: Dataset = { name: "t", images: new Uint8Array(2), labels: new Uint8Array(1), count: 1, channels: 1, height: 1, width: 2, classes: 2 };
 * throws(() => bornAgain(new Flatten(), ds, { generations: 0, makeStudent: () => new Flatten(), distillOptions: () => ({ epochs: 1, batchSize: 1, seed: 1, optimizer: { lr: 0, step() {}, zeroGrad() {} } }) }), /options.generations/);
 * ```
 */
export function bornAgain<M extends Module>(
  teacher: Module,
  train: Dataset,
  options: BornAgainOptions<M>,
): Generation<M>[] {
  const g = options.generations;
  if (!Number.isInteger(g) || g < 1) {
    throw new RangeError(`options.generations must be a positive integer; got ${String(g)}`);
  }
  const out: Generation<M>[] = [];
  let current: Module = teacher;
  for (let k = 1; k <= g; k++) {
    const student = options.makeStudent(k);
    if ((student as Module) === current) {
      throw new RangeError(`options.makeStudent(${k}) returned its own teacher`);
    }
    const history = distill(student, train, {
      ...options.distillOptions(k, student),
      teacher: current,
    });
    out.push({ generation: k, student, history });
    current = student;
  }
  return out;
}
