/**
 * `deno task train:distill`: knowledge distillation of the Fashion-MNIST CNN into a w2a2 QAT
 * student and a binary student (survey §IV-D), with and without KD, three seeds, the same epochs;
 * then small T and α sweeps for notebook 11.
 *
 *     deno task train:distill                # the 12 main runs (skips runs whose json exists), both sweeps, data-free
 *     deno task train:distill main           # only the w2a2 student's 6 runs
 *     deno task train:distill binary         # only the binary (BNN) student's 6 runs
 *     deno task train:distill sweep          # only the w2a2 sweep
 *     deno task train:distill sweep-binary   # only the binary student's sweep
 *     deno task train:distill binary-chosen  # the binary student's 3 KD runs at the sweep's choice
 *     deno task train:distill data-free      # only the data-free (ZeroQ images) experiment
 *     deno task train:distill binary-long [--seeds=1,2]  # the binary student, both arms, 4 epochs
 *     deno task train:distill xnor [--seeds=1,2]  # an XNOR-Net binary student, both arms
 *     deno task train:distill bnn-scratch [--seeds=1,2]  # the BNN student from a fresh init, both arms
 *     deno task train:distill sweep-binary-at  # attention transfer added to the binary student's KD (validation)
 *
 * Teacher: `models/fashion-cnn.safetensors` (`fashionCnn(1)`, float, batch norm in eval mode).
 * Its logits on the 60,000 training images are computed once and cached in
 * `out/distill/fashion-teacher-logits.safetensors` (rejected and recomputed when stale).
 *
 * Student (Apprentice scheme C, Mishra & Marr 2018: the low-precision student starts from the
 * trained full-precision weights and is fine-tuned with the teacher's soft targets): the
 * teacher's weights, batch norm folded, `prepareQat` with 2-bit per-channel symmetric weights
 * and 2-bit unsigned activations after every ReLU (min-max grids, 8-bit input, float logits),
 * observers calibrated on the first 500 training images. Training: Adam lr 5e-4 cosine to 0
 * per step, batch 64, no augmentation, shuffling seed 100 + s. Arms: `ce` (softmax
 * cross-entropy) and `kd` (Hinton loss α = 0.5, β = 0.5, T = 4, fixed a priori, not tuned).
 * Each run writes `models/distill/fashion-w2a2-<arm>-seed<s>.json`.
 *
 * Binary student (`binary`, the same scheme): the teacher's weights binarized by `@lowbit/binary`
 * (`binarizeModel(…, "bnn", FASHION_CNN_PLAN)`: BNN sign weights in conv2 and fc1, sign
 * activations with the hard-tanh STE, a new batch norm after fc1, conv1 and fc2 float), Adam
 * wrapped in `LatentClip` (latent weights clipped to [−1, 1]), otherwise the same recipe, arms,
 * seeds, epochs and teacher-logit cache; each run writes
 * `models/distill/fashion-bnn-<arm>-seed<s>.json`. The sweeps write
 * `models/distill/fashion-w2a2-sweep.json` and `models/distill/fashion-bnn-sweep.json` (each
 * student as in its main runs; T ∈ {1, 2, 4, 8, 16} at α = 0.5 and α ∈ {0, 0.25, 0.75, 1} at
 * T = 4, β = 1 − α; 1 epoch on training images 0..9,999, accuracy on training images
 * 50,000..59,999 as a validation set, never the test set). `binary-chosen` (after
 * `sweep-binary`) picks the binary student's (T, α) by `chooseSetting` (best validation point;
 * ties keep the a-priori T = 4, α = 0.5) and, if that differs from the a-priori setting, reruns
 * only the three KD arms with it (the CE arm does not depend on T or α), same seeds, epochs and
 * recipe, into `models/distill/fashion-bnn-kd-T<T>-a<α>-seed<s>.json`; the a-priori runs stay
 * (`all` does not include it). `binary-long` (after `sweep-binary`) trains the binary student's
 * CE and KD arms (KD at the same validation-chosen setting) for `LONG.epochs` epochs instead of
 * `RECIPE.epochs`, same seeds and recipe otherwise, into
 * `models/distill/fashion-bnn-<arm>-e<epochs>-seed<s>.json`: whether the gain holds or grows when
 * both arms train longer (fixed before those runs: 4 epochs, both arms, the three seeds).
 * `xnor` trains a second binary student, XNOR-Net instead of BNN (`binarizeModel(…, "xnor",
 * FASHION_CNN_PLAN)`: α-scaled sign weights, β-scaled sign activations only at the inputs of
 * conv2 and fc1), both arms, the three seeds, the same recipe and the a-priori KD setting, into
 * `models/distill/fashion-xnor-<arm>-seed<s>.json`.
 * `bnn-scratch` trains the BNN student from a fresh `fashionCnn(seed)` instead of the teacher's
 * weights (`binaryStudentFromScratch`), both arms, the three seeds, the same recipe and the
 * a-priori KD setting, into `models/distill/fashion-bnn-scratch-<arm>-seed<s>.json`.
 * `--seeds=a,b` runs only those seeds (two processes can then share the machine's cores). The
 * data-free experiment writes
 * `models/distill/fashion-w2a2-data-free.json` (256 ZeroQ images distilled from the teacher's
 * batch-norm statistics, soft targets only, against 256 real training images).
 *
 * @module
 */

import {
  Adam,
  type Batch,
  batches,
  cosineLR,
  type Dataset,
  type EpochStats,
  evaluate,
  fashionCnn,
  fit,
  foldBatchNorm,
  loadFashionMnist,
  loadSafetensors,
  noGrad,
  type Optimizer,
  prepareQat,
  type Sequential,
  type StateDict,
  subset,
} from "@lowbit/nn";
import { distillData } from "@lowbit/ptq/zeroq";
import {
  binarizedWeights,
  binarizeModel,
  FASHION_CNN_PLAN,
  latentBounds,
} from "@lowbit/binary/models";
import { LatentClip } from "@lowbit/binary/optim";
import { syntheticDataset } from "../data_free.ts";
import { distill } from "../trainer.ts";
import { seedsArg } from "../../../scripts/_train_run.ts";
import {
  computeTeacherLogits,
  loadTeacherLogits,
  saveTeacherLogits,
  StaleTeacherCacheError,
  type TeacherLogits,
} from "../teacher_cache.ts";

const ROOT = new URL("../../../", import.meta.url);
const MODELS = new URL("models/", ROOT);
const OUT = new URL("models/distill/", ROOT);
const CACHE = new URL("out/distill/fashion-teacher-logits.safetensors", ROOT);

/** The fixed recipe of every run. */
export const RECIPE = {
  bits: 2,
  epochs: 2,
  batchSize: 64,
  lr: 5e-4,
  calibrationImages: 500,
  seeds: [1, 2, 3],
  kd: { alpha: 0.5, beta: 0.5, temperature: 4 },
} as const;

/** The longer binary runs (`binary-long`): epochs per run. */
export const LONG = { epochs: 4 } as const;

/** The T/α sweep: settings and data. */
export const SWEEP = {
  trainImages: 10_000,
  valImages: 10_000,
  seed: 7,
  temperatures: [1, 2, 4, 8, 16],
  fixedAlpha: 0.5,
  alphas: [0, 0.25, 0.5, 0.75, 1],
  fixedTemperature: 4,
} as const;

/** A (T, α) point of the sweep; β = 1 − α. */
export interface KdSetting {
  temperature: number;
  alpha: number;
}

/** The sweep's points: the T grid at the fixed α, then the other α values at the fixed T. */
export function sweepSettings(): KdSetting[] {
  return [
    ...SWEEP.temperatures.map((temperature) => ({ temperature, alpha: SWEEP.fixedAlpha })),
    ...SWEEP.alphas.filter((a) => a !== SWEEP.fixedAlpha).map((alpha) => ({
      temperature: SWEEP.fixedTemperature,
      alpha,
    })),
  ];
}

/**
 * The rule fixed before the binary sweep was run: the point of highest validation accuracy;
 * a tie that includes the a-priori setting (T = 4, α = 0.5) keeps it, any other tie takes the
 * first tied point in sweep order.
 *
 * ```ts
 * import { chooseSetting } from "./train_fashion.ts";
 * import { deepStrictEqual } from "node:assert/strict";
 * const pts = [
 *   { temperature: 2, alpha: 0.5, validationAccuracy: 0.8 },
 *   { temperature: 4, alpha: 0.5, validationAccuracy: 0.8 },
 *   { temperature: 8, alpha: 0.5, validationAccuracy: 0.7 },
 * ];
 * deepStrictEqual(chooseSetting(pts), { temperature: 4, alpha: 0.5 }); // the tie keeps T = 4, α = 0.5
 * deepStrictEqual(chooseSetting([pts[0], pts[2]]), { temperature: 2, alpha: 0.5 }); // the best point
 * ```
 */
export function chooseSetting(
  points: readonly (KdSetting & { validationAccuracy: number })[],
): KdSetting {
  if (points.length === 0) throw new RangeError("chooseSetting: no sweep points");
  const best = Math.max(...points.map((p) => p.validationAccuracy));
  const tied = points.filter((p) => p.validationAccuracy === best);
  const prior = tied.find((p) =>
    p.temperature === RECIPE.kd.temperature && p.alpha === RECIPE.kd.alpha
  );
  const pick = prior ?? tied[0];
  return { temperature: pick.temperature, alpha: pick.alpha };
}

/**
 * The binary student's attention-transfer sweep (`sweep-binary-at`, after `sweep-binary`): KD
 * at the sweep's chosen (T, α) plus `attentionTransferLoss` between layer pairs — the binary
 * conv's batch-normed output (before the sign) against the teacher's same layer or its ReLU —
 * at β ∈ `betas`, on the sweep's data and validation set. β = 0 is KD alone.
 */
export const AT_SWEEP = {
  pairs: [
    [["bn2", "relu2"]],
    [["bn2", "bn2"]],
    [["bn1", "relu1"], ["bn2", "relu2"]],
  ] as const,
  betas: [1, 10, 100],
} as const;

/** Data-free distillation: ZeroQ images, soft targets only. */
export const DATA_FREE = {
  zeroq: {
    sampleShape: [1, 28, 28],
    count: 256,
    batch: 32,
    iterations: 300,
    seed: 0,
    input: { mean: 0, std: 1 },
  },
  kd: { alpha: 0, beta: 1, temperature: 4 },
  epochs: 20,
  seed: 9,
} as const;

/** The binary student: @lowbit/binary's method (BNN: sign weights, sign activations). */
export const BINARY = { method: "bnn" } as const;

/**
 * The binary student made from the teacher's float state dict (Apprentice scheme C as for
 * the w2a2 student): `fashionCnn(1)` with the teacher's weights and batch norms, binarized by
 * `FASHION_CNN_PLAN` (conv2 and fc1 sign weights, sign activations, a new batch norm after fc1;
 * conv1 and fc2 float), in eval mode.
 */
export function binaryStudent(
  sd: StateDict,
  method: "bnn" | "xnor" = BINARY.method,
): Sequential {
  const base = fashionCnn(1);
  base.loadStateDict(sd);
  const q = binarizeModel(base, method, FASHION_CNN_PLAN);
  q.eval();
  return q;
}

/**
 * The binary student trained from scratch (the setting of Hinton et al. and of Polino et al.'s
 * quantized distillation, where the student does not inherit the teacher's weights):
 * `fashionCnn(seed)` freshly initialised, binarized by `FASHION_CNN_PLAN` as
 * {@linkcode binaryStudent}, in eval mode.
 */
export function binaryStudentFromScratch(seed: number): Sequential {
  const q = binarizeModel(fashionCnn(seed), BINARY.method, FASHION_CNN_PLAN);
  q.eval();
  return q;
}

interface StudentKind {
  name: string;
  prefix: string;
  /** The command of its T/α sweep (students without a sweep have none). */
  sweepCommand?: string;
  /** The student of a run (`seed`: the run's seed; only a from-scratch student uses it). */
  make: (seed: number) => Sequential;
  optimizer: (q: Sequential) => Optimizer;
  description: string;
  optimizerText: string;
  command: string;
}

/** The w2a2 student made from the teacher's float state dict, calibrated, in eval mode. */
export function w2a2Student(
  sd: StateDict,
  calibration: Dataset,
  norm: { mean: number; std: number },
): Sequential {
  const base = fashionCnn(1);
  base.loadStateDict(sd);
  base.eval();
  const q = prepareQat(foldBatchNorm(base), {
    weightBits: RECIPE.bits,
    activationBits: RECIPE.bits,
  });
  q.train();
  noGrad(() => {
    for (const b of batches(calibration, { batchSize: calibration.count, ...norm })) q.forward(b.x);
  });
  q.eval();
  return q;
}

async function teacherLogits(
  teacher: Sequential,
  train: Dataset,
  norm: { mean: number; std: number },
): Promise<TeacherLogits> {
  try {
    const c = await loadTeacherLogits(CACHE, teacher, train, norm);
    console.log(`teacher logits: cache hit ${CACHE.pathname}`);
    return c;
  } catch (e) {
    if (!(e instanceof StaleTeacherCacheError) && !(e instanceof Deno.errors.NotFound)) throw e;
    console.log(`teacher logits: ${e instanceof Error ? e.message : e}; computing`);
  }
  const t0 = performance.now();
  const c = await computeTeacherLogits(teacher, train, { ...norm, log: console.log });
  await Deno.mkdir(new URL(".", CACHE), { recursive: true });
  await saveTeacherLogits(CACHE, c);
  console.log(`teacher logits: computed in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return c;
}

function stepLogger(every: number): () => void {
  let n = 0, t0 = performance.now();
  return () => {
    n++;
    if (n % every === 0) {
      const s = (performance.now() - t0) / 1000;
      console.log(`  step ${n}  ${(every / s).toFixed(1)} steps/s`);
      t0 = performance.now();
    }
  };
}

if (import.meta.main) {
  const what = Deno.args[0] ?? "all";
  const modes = [
    "all",
    "main",
    "binary",
    "sweep",
    "sweep-binary",
    "binary-chosen",
    "binary-long",
    "sweep-binary-at",
    "xnor",
    "bnn-scratch",
    "data-free",
  ];
  if (!modes.includes(what)) {
    throw new RangeError(`argument must be one of ${modes.join(", ")}; got ${what}`);
  }
  const meta = JSON.parse(await Deno.readTextFile(new URL("fashion-cnn.json", MODELS)));
  const norm = { mean: meta.input.mean as number, std: meta.input.std as number };
  const { stateDict } = await loadSafetensors(new URL("fashion-cnn.safetensors", MODELS));
  const { train, test } = await loadFashionMnist();
  const teacher = fashionCnn(1);
  teacher.loadStateDict(stateDict);
  teacher.eval();
  const teacherAcc = evaluate(teacher, test, norm).accuracy;
  console.log(`teacher ${(100 * teacherAcc).toFixed(2)}% on ${test.count} test images`);
  const calibration = subset(train, Array.from({ length: RECIPE.calibrationImages }, (_, i) => i));
  await Deno.mkdir(OUT, { recursive: true });

  // Both binary students: Adam with the latent binary weights clipped to [−1, 1] after each step.
  const clippedAdam = (q: Sequential) =>
    new LatentClip(
      new Adam(q.parameters(), { lr: RECIPE.lr }),
      binarizedWeights(q),
      latentBounds(q),
    );
  const clippedAdamText =
    `Adam lr ${RECIPE.lr}, cosine to 0 per step, batch ${RECIPE.batchSize}, latent binary weights clipped to [−1, 1] (LatentClip)`;
  const students: Record<"w2a2" | "bnn" | "xnor" | "bnnScratch", StudentKind> = {
    w2a2: {
      name: "w2a2",
      prefix: "fashion-w2a2",
      sweepCommand: "deno task train:distill sweep",
      make: () => w2a2Student(stateDict, calibration, norm),
      optimizer: (q) => new Adam(q.parameters(), { lr: RECIPE.lr }),
      description:
        "prepareQat(foldBatchNorm(fashionCnn(1) with the teacher's weights), { weightBits: 2, activationBits: 2 }), min-max observers calibrated on training images 0..499",
      optimizerText: `Adam lr ${RECIPE.lr}, cosine to 0 per step, batch ${RECIPE.batchSize}`,
      command: "deno task train:distill main",
    },
    bnn: {
      name: "binary (BNN)",
      prefix: `fashion-${BINARY.method}`,
      sweepCommand: "deno task train:distill sweep-binary",
      make: () => binaryStudent(stateDict),
      optimizer: clippedAdam,
      description:
        `binarizeModel(fashionCnn(1) with the teacher's weights, "${BINARY.method}", FASHION_CNN_PLAN) of @lowbit/binary: conv2 and fc1 sign(W), sign activations after bn1, bn2 and a new bn_fc1 (hard-tanh STE), conv1 and fc2 float`,
      optimizerText: clippedAdamText,
      command: "deno task train:distill binary",
    },
    xnor: {
      name: "binary (XNOR-Net)",
      prefix: "fashion-xnor",
      make: () => binaryStudent(stateDict, "xnor"),
      optimizer: clippedAdam,
      description:
        `binarizeModel(fashionCnn(1) with the teacher's weights, "xnor", FASHION_CNN_PLAN) of @lowbit/binary: conv2 and fc1 α·sign(W) per output channel, β·sign activations at the inputs of conv2 and fc1 only (hard-tanh STE), a new bn_fc1, conv1 and fc2 float (fc2 reads the real ReLU output)`,
      optimizerText: clippedAdamText,
      command: "deno task train:distill xnor",
    },
    bnnScratch: {
      name: "binary (BNN) from scratch",
      prefix: "fashion-bnn-scratch",
      make: (seed) => binaryStudentFromScratch(seed),
      optimizer: clippedAdam,
      description:
        `binarizeModel(fashionCnn(seed), "${BINARY.method}", FASHION_CNN_PLAN) of @lowbit/binary, freshly initialised (not the teacher's weights): conv2 and fc1 sign(W), sign activations after bn1, bn2 and a new bn_fc1 (hard-tanh STE), conv1 and fc2 float`,
      optimizerText: clippedAdamText,
      command: "deno task train:distill bnn-scratch",
    },
  };
  const kinds: ("w2a2" | "bnn")[] = what === "all"
    ? ["w2a2", "bnn"]
    : what === "main"
    ? ["w2a2"]
    : what === "binary"
    ? ["bnn"]
    : [];
  // Each job: one student, arm and seed; `kd` is the Hinton setting of a KD arm.
  interface Job {
    kind: "w2a2" | "bnn" | "xnor" | "bnnScratch";
    arm: "kd" | "ce";
    seed: number;
    kd: { alpha: number; beta: number; temperature: number };
    file: URL;
    command: string;
    chosenBy?: string;
    epochs?: number;
  }
  const jobs: Job[] = [];
  // Both arms of a student at the a-priori KD setting (RECIPE.kd), into <prefix>-<arm>-seed<s>.json.
  const aPrioriJobs = (kind: Job["kind"], seeds: readonly number[]): Job[] =>
    seeds.flatMap((seed) =>
      (["kd", "ce"] as const).map((arm) => ({
        kind,
        arm,
        seed,
        kd: RECIPE.kd,
        file: new URL(`${students[kind].prefix}-${arm}-seed${seed}.json`, OUT),
        command: students[kind].command,
      }))
    );
  for (const kind of kinds) jobs.push(...aPrioriJobs(kind, RECIPE.seeds));
  // The binary student's (T, α) as its validation sweep chose it, and where that came from.
  const binaryChoice = async () => {
    const S = students.bnn;
    const sweep = JSON.parse(await Deno.readTextFile(new URL(`${S.prefix}-sweep.json`, OUT)));
    return {
      ...chooseSetting(sweep.points),
      chosenBy: `chooseSetting of models/distill/${S.prefix}-sweep.json (validation accuracy)`,
    };
  };
  if (what === "binary-chosen") {
    // Only the three KD arms of the binary student, at the (T, α) its sweep chose on validation.
    const S = students.bnn;
    const { temperature, alpha, chosenBy } = await binaryChoice();
    console.log(`binary sweep chose T ${temperature} α ${alpha}`);
    if (temperature === RECIPE.kd.temperature && alpha === RECIPE.kd.alpha) {
      console.log("the a-priori setting: nothing to rerun");
    } else {
      for (const seed of RECIPE.seeds) {
        jobs.push({
          kind: "bnn",
          arm: "kd",
          seed,
          kd: { alpha, beta: 1 - alpha, temperature },
          file: new URL(`${S.prefix}-kd-T${temperature}-a${alpha}-seed${seed}.json`, OUT),
          command: "deno task train:distill binary-chosen",
          chosenBy,
        });
      }
    }
  }
  // The XNOR-Net student and the BNN student from a fresh initialisation: both arms, the
  // a-priori KD setting.
  if (what === "xnor") jobs.push(...aPrioriJobs("xnor", seedsArg(RECIPE.seeds)));
  if (what === "bnn-scratch") jobs.push(...aPrioriJobs("bnnScratch", seedsArg(RECIPE.seeds)));
  if (what === "binary-long") {
    const S = students.bnn;
    const { temperature, alpha, chosenBy } = await binaryChoice();
    for (const seed of seedsArg(RECIPE.seeds)) {
      for (const arm of ["kd", "ce"] as const) {
        jobs.push({
          kind: "bnn",
          arm,
          seed,
          kd: { alpha, beta: 1 - alpha, temperature },
          file: new URL(`${S.prefix}-${arm}-e${LONG.epochs}-seed${seed}.json`, OUT),
          command: "deno task train:distill binary-long",
          ...(arm === "kd" ? { chosenBy } : {}),
          epochs: LONG.epochs,
        });
      }
    }
  }
  if (jobs.length > 0) {
    const cache = await teacherLogits(teacher, train, norm);
    for (const { kind, arm, seed, kd, file, command, chosenBy, epochs: jobEpochs } of jobs) {
      const epochs = jobEpochs ?? RECIPE.epochs;
      const S = students[kind];
      try {
        await Deno.stat(file);
        console.log(`skip ${file.pathname} (exists)`);
        continue;
      } catch { /* run it */ }
      const started = performance.now();
      const q = S.make(seed);
      const ptq = evaluate(q, test, norm).accuracy;
      console.log(`== ${kind} ${arm} seed ${seed}: before training ${(100 * ptq).toFixed(2)}%`);
      const steps = epochs * Math.ceil(train.count / RECIPE.batchSize);
      const opt = S.optimizer(q);
      const tick = stepLogger(200);
      const common = {
        epochs,
        batchSize: RECIPE.batchSize,
        seed: 100 + seed,
        optimizer: opt,
        // Progress inside an epoch only: returns the batch unchanged (no augmentation).
        augment: (b: Batch) => {
          tick();
          return b;
        },
        schedule: cosineLR({ lr: RECIPE.lr, total: steps }),
        test,
        ...norm,
      };
      let history: EpochStats[];
      if (arm === "kd") {
        history = distill(q, train, { ...common, teacher: cache, ...kd });
      } else {
        history = fit(q, train, { ...common });
      }
      const final = evaluate(q, test, norm);
      const record = {
        arm,
        seed,
        shuffleSeed: 100 + seed,
        command,
        teacher: { file: "models/fashion-cnn.safetensors", testAccuracy: teacherAcc },
        student: S.description,
        loss: arm === "kd" ? { kind: "hinton", ...kd } : { kind: "cross-entropy" },
        ...(chosenBy ? { chosenBy } : {}),
        optimizer: S.optimizerText,
        epochs,
        steps,
        ptqAccuracy: ptq,
        finalAccuracy: final.accuracy,
        finalCorrect: final.correct,
        testCount: test.count,
        seconds: Math.round((performance.now() - started) / 1000),
        history: history.map((h) => ({
          epoch: h.epoch,
          loss: Number(h.loss.toPrecision(5)),
          trainAccuracy: h.trainAccuracy,
          testAccuracy: h.testAccuracy,
          seconds: Math.round(h.seconds),
        })),
      };
      await Deno.writeTextFile(file, JSON.stringify(record, null, 2) + "\n");
      console.log(
        `${kind} ${arm} seed ${seed}: ${(100 * final.accuracy).toFixed(2)}% → ${file.pathname}`,
      );
    }
  }
  const sweepKinds: ("w2a2" | "bnn")[] = what === "all"
    ? ["w2a2", "bnn"]
    : what === "sweep"
    ? ["w2a2"]
    : what === "sweep-binary"
    ? ["bnn"]
    : [];
  /** Sweep data: 1 epoch on training images 0..9,999, validation on 50,000..59,999. */
  const sweepTrain = subset(train, Array.from({ length: SWEEP.trainImages }, (_, i) => i));
  const sweepVal = subset(
    train,
    Array.from({ length: SWEEP.valImages }, (_, i) => train.count - SWEEP.valImages + i),
  );
  /** One sweep point: a fresh student, 1 epoch of KD (plus attention transfer if given). */
  const sweepPoint = (
    S: StudentKind,
    kd: { temperature: number; alpha: number },
    attention?: { pairs: readonly (readonly [string, string])[]; beta: number },
  ): { accuracy: number; seconds: number } => {
    const t0 = performance.now();
    const q = S.make(SWEEP.seed);
    const steps = Math.ceil(sweepTrain.count / RECIPE.batchSize);
    distill(q, sweepTrain, {
      teacher,
      temperature: kd.temperature,
      alpha: kd.alpha,
      beta: 1 - kd.alpha,
      ...(attention && attention.pairs.length > 0 ? { attention } : {}),
      epochs: 1,
      batchSize: RECIPE.batchSize,
      seed: SWEEP.seed,
      optimizer: S.optimizer(q),
      schedule: cosineLR({ lr: RECIPE.lr, total: steps }),
      ...norm,
      log: () => {},
    });
    return {
      accuracy: evaluate(q, sweepVal, norm).accuracy,
      seconds: (performance.now() - t0) / 1000,
    };
  };
  for (const kind of sweepKinds) {
    const S = students[kind];
    const points = [];
    for (const { temperature, alpha } of sweepSettings()) {
      const { accuracy: acc, seconds } = sweepPoint(S, { temperature, alpha });
      console.log(
        `sweep ${kind} T ${temperature} α ${alpha}: validation ${(100 * acc).toFixed(2)}% (${
          seconds.toFixed(0)
        } s)`,
      );
      points.push({ temperature, alpha, beta: 1 - alpha, validationAccuracy: acc });
    }
    const out = {
      command: S.sweepCommand,
      description:
        `${S.name} student (same construction as the main runs) fine-tuned 1 epoch on training images 0..9,999 with hintonLoss(α, β = 1 − α, T) against the float teacher (online), ${S.optimizerText}, shuffling seed ` +
        SWEEP.seed +
        "; accuracy on training images 50,000..59,999 (validation, not the test set). α = 1 is plain cross-entropy.",
      trainImages: SWEEP.trainImages,
      valImages: SWEEP.valImages,
      points,
    };
    await Deno.writeTextFile(
      new URL(`${S.prefix}-sweep.json`, OUT),
      JSON.stringify(out, null, 2) + "\n",
    );
  }

  if (what === "sweep-binary-at") {
    // Attention transfer on top of KD, validation only (the data and seed of the T/α sweep).
    const S = students.bnn;
    const { temperature, alpha, chosenBy } = await binaryChoice();
    const settings: { pairs: readonly (readonly [string, string])[]; beta: number }[] = [
      { pairs: [], beta: 0 },
      ...AT_SWEEP.pairs.flatMap((pairs) => AT_SWEEP.betas.map((beta) => ({ pairs, beta }))),
    ];
    const points = [];
    for (const { pairs, beta } of settings) {
      const { accuracy: acc, seconds } = sweepPoint(S, { temperature, alpha }, { pairs, beta });
      const label = pairs.length ? pairs.map(([a, b]) => `${a}→${b}`).join(" + ") : "KD alone";
      console.log(
        `sweep-binary-at ${label} β ${beta}: validation ${(100 * acc).toFixed(2)}% (${
          seconds.toFixed(0)
        } s)`,
      );
      points.push({ pairs, attentionBeta: beta, validationAccuracy: acc });
    }
    await Deno.writeTextFile(
      new URL(`${S.prefix}-at-sweep.json`, OUT),
      JSON.stringify(
        {
          command: "deno task train:distill sweep-binary-at",
          description:
            `${S.name} student fine-tuned 1 epoch on training images 0..9,999 with hintonLoss at T ${temperature}, α ${alpha} (${chosenBy}) plus attentionTransferLoss (p = 2, β per point) between [student, teacher] layer outputs, ${S.optimizerText}, shuffling seed ${SWEEP.seed}; accuracy on training images 50,000..59,999 (validation)`,
          kd: { temperature, alpha, beta: 1 - alpha },
          points,
        },
        null,
        2,
      ) + "\n",
    );
  }

  if (what === "all" || what === "data-free") {
    // Data-free: ZeroQ images from the teacher's batch-norm statistics, labelled by the teacher.
    const t0 = performance.now();
    const zq = distillData(teacher, {
      ...DATA_FREE.zeroq,
      onProgress: (p) => {
        if (p.iteration === p.iterations) {
          console.log(`zeroq batch ${p.batch + 1}/${p.batches}: loss ${p.loss.toFixed(4)}`);
        }
      },
    });
    const synthetic = syntheticDataset(zq.data, [1, 28, 28], teacher, norm);
    const zqSeconds = Math.round((performance.now() - t0) / 1000);
    const real = subset(train, Array.from({ length: DATA_FREE.zeroq.count }, (_, i) => i));
    const arms: Record<string, number> = {};
    const ptq = evaluate(w2a2Student(stateDict, calibration, norm), test, norm).accuracy;
    for (const [name, data] of [["zeroq", synthetic], ["real", real]] as const) {
      const q = w2a2Student(stateDict, calibration, norm);
      const steps = DATA_FREE.epochs * Math.ceil(data.count / RECIPE.batchSize);
      distill(q, data, {
        teacher,
        ...DATA_FREE.kd,
        epochs: DATA_FREE.epochs,
        batchSize: RECIPE.batchSize,
        seed: DATA_FREE.seed,
        optimizer: new Adam(q.parameters(), { lr: RECIPE.lr }),
        schedule: cosineLR({ lr: RECIPE.lr, total: steps }),
        ...norm,
        log: () => {},
      });
      arms[name] = evaluate(q, test, norm).accuracy;
      console.log(
        `data-free: KD on ${data.count} ${name} images → ${(100 * arms[name]).toFixed(2)}%`,
      );
    }
    const out = {
      command: "deno task train:distill data-free",
      description:
        "w2a2 student (as in the main runs; its activation observers are calibrated on 500 real training images) fine-tuned with hintonLoss (soft targets only) against the float teacher on ZeroQ images distilled from the teacher (distillData of @lowbit/ptq, labelled by syntheticDataset) or on the same number of real training images; official test set",
      zeroq: {
        ...DATA_FREE.zeroq,
        seconds: zqSeconds,
        labelHistogram: Array.from(
          { length: 10 },
          (_, c) => synthetic.labels.filter((l) => l === c).length,
        ),
      },
      kd: DATA_FREE.kd,
      epochs: DATA_FREE.epochs,
      seed: DATA_FREE.seed,
      ptqAccuracy: ptq,
      zeroqAccuracy: arms.zeroq,
      realAccuracy: arms.real,
      testCount: test.count,
    };
    await Deno.writeTextFile(
      new URL("fashion-w2a2-data-free.json", OUT),
      JSON.stringify(out, null, 2) + "\n",
    );
  }
}
