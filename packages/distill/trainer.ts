/**
 * Teacher–student training on `@lowbit/nn`: {@linkcode distill} runs `fit` (the nn training
 * loop: seeded shuffles, optimizer, schedule, per-epoch evaluation and progress lines) with
 * the loss of {@linkcode hintonLoss} against a frozen teacher. The teacher is either a module
 * (run in evaluation mode without a graph on every batch, so augmentation is seen by both) or
 * cached {@linkcode TeacherLogits} of the training set (the rows of each batch are looked up:
 * `fit` draws batch k of epoch e from `permutation(count, seed, e)`, and every lookup checks
 * the batch's labels against the dataset's, so a mismatch fails loudly instead of training
 * on the wrong targets). T, α and β may each be a constant or a `Schedule` over the global
 * step (see `schedule.ts`). The student can be any module, typically a QAT model from
 * `prepareQat` (a w2a2 student) whose fake quantizers pass gradients straight through.
 *
 * @example Distil a 2-class teacher into a fresh linear student
 * ```ts
 * import { distill } from "@lowbit/distill/trainer";
 * import { Flatten, Linear, Sequential, SGD } from "@lowbit/nn";
 * import { evaluate } from "@lowbit/nn/train";
 * import type { Dataset } from "@lowbit/nn/data/dataset";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { equal } from "node:assert/strict";
 * const ds: Dataset = { name: "toy", images: new Uint8Array([0, 255, 255, 0, 10, 250, 240, 5]), labels: new Uint8Array([0, 1, 0, 1]), count: 4, channels: 1, height: 1, width: 2, classes: 2 };
 * const teacher = new Flatten(); // logits = pixels: class 0 when the first pixel is brighter
 * const student = new Sequential([new Flatten(), new Linear(2, 2, { random: new Philox(1) })]);
 * distill(student, ds, { teacher, temperature: 2, epochs: 30, batchSize: 2, seed: 1, optimizer: new SGD(student.parameters(), { lr: 0.5 }), log: () => {} });
 * equal(evaluate(student, ds).accuracy, 1);
 * ```
 *
 * @module
 */

import { noGrad, Variable } from "@lowbit/nn/autograd";
import { type Batch, type Dataset, permutation } from "@lowbit/nn/data/dataset";
import { Module, Sequential } from "@lowbit/nn/module";
import { add } from "@lowbit/nn/ops";
import { attentionTransferLoss } from "./attention.ts";
import { forwardWithFeatures } from "./features.ts";
import type { Schedule } from "@lowbit/nn/schedule";
import { type EpochStats, fit, type FitOptions } from "@lowbit/nn/train";
import { hintonLoss, resolveHintonOptions } from "./kd.ts";
import type { TeacherLogits } from "./teacher_cache.ts";

/** A constant or a schedule over the global step. */
export type Scheduled = number | Schedule;

/** Options of {@linkcode distill}: `fit`'s options without `loss`, plus the teacher and KD weights. */
export interface DistillOptions extends Omit<FitOptions, "loss"> {
  /** The frozen teacher: a module, or its cached logits on the training set. */
  teacher: Module | TeacherLogits;
  /** Temperature T (default 4). */
  temperature?: Scheduled;
  /** Weight α of the hard-label term (default 0.5). */
  alpha?: Scheduled;
  /** Weight β of the soft term (default 0.5). */
  beta?: Scheduled;
  /**
   * Attention transfer added to the Hinton loss (Zagoruyko & Komodakis 2017; the
   * real-to-binary recipe of Martinez et al. 2020 uses it for binary students): for each
   * `[student layer, teacher layer]` pair, `attentionTransferLoss` of the two layers' outputs.
   * Needs a `Sequential` student and a `Sequential` teacher module (not cached logits).
   */
  attention?: AttentionTransfer;
}

/** The attention-transfer term of {@linkcode DistillOptions}. */
export interface AttentionTransfer {
  /** `[student layer, teacher layer]` pairs of top-level layer names with the same H×W. */
  pairs: readonly (readonly [string, string])[];
  /** Weight β of each pair's term (a constant or a schedule over the global step). */
  beta: Scheduled;
  /** Exponent p of the maps (default 2). */
  p?: number;
  /** Squared distance of the normalised maps (default false, see `attentionTransferLoss`). */
  squared?: boolean;
}

/** The student seen by `fit` when attention transfer is on: keeps its last named features. */
class FeatureTap extends Module {
  readonly inner: Sequential;
  readonly names: readonly string[];
  features: Map<string, Variable> = new Map();
  constructor(inner: Sequential, names: readonly string[]) {
    super();
    this.inner = this.registerModule("inner", inner);
    this.names = names;
  }
  forward(x: Variable): Variable {
    const r = forwardWithFeatures(this.inner, x, this.names);
    this.features = r.features;
    return r.output;
  }
  describe(): string {
    return this.inner.describe();
  }
}

function checkAttention(
  a: AttentionTransfer,
  student: Module | undefined,
  teacher: Module | TeacherLogits,
): void {
  if (!Array.isArray(a.pairs) || a.pairs.length === 0) {
    throw new RangeError(
      "options.attention.pairs must be a non-empty array of [student, teacher] layer names",
    );
  }
  if (!(teacher instanceof Sequential)) {
    throw new RangeError(
      "options.teacher must be a Sequential module when options.attention is given (cached logits have no features)",
    );
  }
  if (student !== undefined && !(student instanceof Sequential)) {
    throw new RangeError("the student must be a Sequential when options.attention is given");
  }
  const layers = (m: Sequential) => new Set(m.layers.map(([n]) => n));
  const tl = layers(teacher), sl = student instanceof Sequential ? layers(student) : undefined;
  a.pairs.forEach(([s, t], i) => {
    if (sl !== undefined && !sl.has(s)) {
      throw new RangeError(
        `options.attention.pairs[${i}][0] = "${s}" is not a layer of the student`,
      );
    }
    if (!tl.has(t)) {
      throw new RangeError(
        `options.attention.pairs[${i}][1] = "${t}" is not a layer of the teacher`,
      );
    }
  });
  if (typeof a.beta === "number" && !(Number.isFinite(a.beta) && a.beta >= 0)) {
    throw new RangeError(`options.attention.beta must be a finite number ≥ 0; got ${a.beta}`);
  }
}

function at(s: Scheduled | undefined, step: number): number | undefined {
  return typeof s === "function" ? s(step) : s;
}

function isCache(t: Module | TeacherLogits): t is TeacherLogits {
  return (t as TeacherLogits).logits instanceof Float32Array;
}

/**
 * The loss callback {@linkcode distill} gives `fit`: call it once per step, in `fit`'s order.
 *
 * @param train The training set (for cached logits: the one they were computed on).
 * @param options The distillation options.
 * @returns `(logits, batch) → loss`, and `step()`: how many steps it has seen.
 * @throws {RangeError} If cached logits do not cover `train` (count) or an option is invalid.
 *
 * @example With T = 1, α = 0, β = 1 and the teacher equal to the student the gradient is 0
 * ```ts
 * import { distillationLoss } from "@lowbit/distill/trainer";
 * import { Flatten } from "@lowbit/nn/layers";
 * import { Variable } from "@lowbit/nn/autograd";
 * import type { Dataset } from "@lowbit/nn/data/dataset";
 * import { ok } from "node:assert/strict";
 * const ds: Dataset = { name: "t", images: new Uint8Array([255, 0]), labels: new Uint8Array([0]), count: 1, channels: 1, height: 1, width: 2, classes: 2 };
 * const { loss } = distillationLoss(ds, { teacher: new Flatten(), temperature: 1, alpha: 0, beta: 1, epochs: 1, batchSize: 1, seed: 1, optimizer: { lr: 0, step() {}, zeroGrad() {} } });
 * const z = new Variable(new Float32Array([1, 0]), [1, 2], { requiresGrad: true });
 * loss(z, { x: Variable.from([1, 0], [1, 1, 1, 2]), labels: new Int32Array([0]) }).backward();
 * ok(z.grad!.every((g) => Math.abs(g) < 1e-7));
 * ```
 */
export function distillationLoss(
  train: Dataset,
  options: DistillOptions,
  studentFeatures?: () => Map<string, Variable>,
): { loss: (logits: Variable, batch: Batch) => Variable; step: () => number } {
  const { teacher } = options;
  const attention = options.attention;
  if (attention !== undefined) checkAttention(attention, undefined, teacher);
  if (attention !== undefined && studentFeatures === undefined) {
    throw new RangeError("options.attention needs the student's features: train with distill()");
  }
  const teacherNames = attention?.pairs.map(([, t]) => t) ?? [];
  // Validate the constant parts now rather than at the first step.
  resolveHintonOptions({
    alpha: typeof options.alpha === "number" ? options.alpha : undefined,
    beta: typeof options.beta === "number" ? options.beta : undefined,
    temperature: typeof options.temperature === "number" ? options.temperature : undefined,
  });
  const cached = isCache(teacher) ? teacher : null;
  if (cached && cached.count !== train.count) {
    throw new RangeError(
      `options.teacher: cached logits cover ${cached.count} examples, the training set has ${train.count}`,
    );
  }
  const bs = options.batchSize;
  const perEpoch = Math.ceil(train.count / bs);
  let step = 0, orderEpoch = -1;
  let order: Int32Array = new Int32Array(0);
  const loss = (logits: Variable, batch: Batch): Variable => {
    const n = batch.labels.length;
    let zt: Variable;
    let teacherFeatures: Map<string, Variable> | undefined;
    if (cached) {
      const epoch = Math.floor(step / perEpoch), k = step % perEpoch;
      if (epoch !== orderEpoch) {
        order = permutation(train.count, options.seed, epoch);
        orderEpoch = epoch;
      }
      const c = cached.classes;
      const rows = new Float32Array(n * c);
      for (let i = 0; i < n; i++) {
        const idx = order[k * bs + i];
        if (idx === undefined || train.labels[idx] !== batch.labels[i]) {
          throw new RangeError(
            `cached teacher logits: step ${
              step + 1
            } row ${i} does not match the training set's order`,
          );
        }
        rows.set(cached.logits.subarray(idx * c, idx * c + c), i * c);
      }
      zt = new Variable(rows, [n, c]);
    } else {
      const m = teacher as Module;
      const was = m.training;
      m.eval();
      try {
        if (attention !== undefined) {
          const r = noGrad(() => forwardWithFeatures(m as Sequential, batch.x, teacherNames));
          zt = r.output;
          teacherFeatures = r.features;
        } else {
          zt = noGrad(() => m.forward(batch.x));
        }
      } finally {
        m.train(was);
      }
    }
    let out = hintonLoss(logits, zt, batch.labels, {
      alpha: at(options.alpha, step),
      beta: at(options.beta, step),
      temperature: at(options.temperature, step),
    });
    if (attention !== undefined && teacherFeatures !== undefined && studentFeatures) {
      const sf = studentFeatures();
      const beta = at(attention.beta, step) as number;
      for (const [sName, tName] of attention.pairs) {
        const a = sf.get(sName), b = teacherFeatures.get(tName);
        if (a === undefined || b === undefined) {
          throw new RangeError(`attention transfer: no feature for the pair [${sName}, ${tName}]`);
        }
        out = add(
          out,
          attentionTransferLoss(a, b, { beta, p: attention.p, squared: attention.squared }),
        );
      }
    }
    step++;
    return out;
  };
  return { loss, step: () => step };
}

/**
 * Trains `student` against the frozen teacher with {@linkcode hintonLoss} through `fit`.
 *
 * @param student The student (trained in place).
 * @param train The training set.
 * @param options `fit`'s options, the teacher, T, α, β.
 * @returns `fit`'s per-epoch statistics.
 * @throws {RangeError} On invalid options or cached logits that do not match `train`.
 *
 * @example See the module example; an invalid temperature fails before training
 * ```ts
 * import { distill } from "@lowbit/distill/trainer";
 * import { Flatten } from "@lowbit/nn/layers";
 * import type { Dataset } from "@lowbit/nn/data/dataset";
 * import { throws } from "node:assert/strict";
 * const ds: Dataset = { name: "t", images: new Uint8Array(2), labels: new Uint8Array(1), count: 1, channels: 1, height: 1, width: 2, classes: 2 };
 * throws(() => distill(new Flatten(), ds, { teacher: new Flatten(), temperature: -1, epochs: 1, batchSize: 1, seed: 1, optimizer: { lr: 0, step() {}, zeroGrad() {} } }), /options.temperature/);
 * ```
 */
export function distill(student: Module, train: Dataset, options: DistillOptions): EpochStats[] {
  if (options.attention === undefined) {
    const { loss } = distillationLoss(train, options);
    return fit(student, train, { ...options, loss });
  }
  checkAttention(options.attention, student, options.teacher);
  const tap = new FeatureTap(student as Sequential, options.attention.pairs.map(([s]) => s));
  const { loss } = distillationLoss(train, options, () => tap.features);
  return fit(tap, train, { ...options, loss });
}
