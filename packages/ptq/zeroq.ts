/**
 * ZeroQ distilled data (Cai et al. 2020, "ZeroQ: A Novel Zero Shot Quantization Framework";
 * survey Gholami et al. 2021 §III-G3): calibration inputs made from the model alone. Starting
 * from seeded Gaussian noise, the inputs are optimised with Adam so that, at every batch-norm
 * layer, the statistics of the layer's input match the mean and variance the layer stored
 * during training (docs/ptq-zeroq-and-debugging.md Eqs. 1–4). The result feeds
 * `quantizeStatic` as calibration data when no real data may be used.
 *
 * @module
 */

import {
  accumulate,
  Adam,
  type BatchNormBase,
  type Module,
  noGrad,
  record,
  Variable,
} from "@lowbit/nn";
import { Philox } from "@lowbit/rounding/philox";
import type { TensorInput } from "@lowbit/graph";
import { batchNorms, watchBatchNorms } from "./_batchnorms.ts";

export type {
  BackwardFn,
  Buffer,
  Module,
  StateDict,
  StateTensor,
  Variable,
  VariableOptions,
} from "@lowbit/nn";

/**
 * Which statistics of a batch-norm input are matched:
 * - `"batch"`: per channel over N·H·W (the paper's Eq. 4 on the batch), Eq. 2;
 * - `"per-sample"`: per image and channel over H·W, averaged over the images (what the
 *   authors' code computes), Eq. 3. Inputs `[N, C]` (BatchNorm1d) always use `"batch"`.
 */
export type ZeroqStatistics = "batch" | "per-sample";

/** Target statistics of the model input (ZeroQ matches mean 0, standard deviation 1). */
export interface InputStatistics {
  /** Mean per input channel, or one number for all (e.g. 0 for normalised inputs). */
  mean: number | readonly number[];
  /** Standard deviation per input channel, or one number (e.g. 1). */
  std: number | readonly number[];
}

/** Progress of {@linkcode distillData}. */
export interface DistillProgress {
  /** Batch index (0-based). */
  batch: number;
  /** Number of batches. */
  batches: number;
  /** Iteration within the batch (1-based; 0 is the loss of the starting noise). */
  iteration: number;
  /** Iterations per batch. */
  iterations: number;
  /** The loss L of Eq. 4 (plus Eq. 5 when input statistics are matched) at this iteration. */
  loss: number;
}

/** Options of {@linkcode distillData}. */
export interface DistillOptions {
  /** Shape of one sample without the batch dimension, e.g. `[1, 28, 28]`. */
  sampleShape: readonly number[];
  /** Samples to make (default 64). */
  count?: number;
  /** Samples optimised together (default min(count, 32)); the last batch may be smaller. */
  batch?: number;
  /** Adam steps per batch (default 500, as in the authors' code). */
  iterations?: number;
  /** Adam learning rate (default 0.5, as in the authors' code). */
  lr?: number;
  /** Philox seed of the starting noise (default 0). */
  seed?: number;
  /** Batch statistics or per-sample statistics (default `"batch"`). */
  statistics?: ZeroqStatistics;
  /** Also match these statistics of the input itself (Eq. 5); default: not matched. */
  input?: InputStatistics;
  /** Clamp the inputs into [lo, hi] after each step (e.g. the normalised pixel range). */
  range?: readonly [number, number];
  /** Name of the graph input in the returned samples (default `"input"`, as `fromNn`). */
  inputName?: string;
  /** Called with the loss every `progressEvery` iterations, at iteration 0 and at the end. */
  onProgress?: (p: DistillProgress) => void;
  /** Progress period in iterations (default 50). */
  progressEvery?: number;
}

/** Result of {@linkcode distillData}. */
export interface DistillResult {
  /** One calibration sample per image, `{ [inputName]: [1, ...sampleShape] }`. */
  samples: Record<string, TensorInput>[];
  /** The same images as batches `[b, ...sampleShape]` (for graphs with a free batch size). */
  batches: Record<string, TensorInput>[];
  /** All images, row-major `[count, ...sampleShape]`. */
  data: Float32Array;
  /** Dotted paths of the batch-norm layers matched, in forward order. */
  layers: string[];
  /** Loss of each batch before the first and after the last step. */
  losses: { initial: number; final: number }[];
}

/** Options of {@linkcode zeroqLoss}. */
export interface ZeroqLossOptions {
  /** Batch statistics or per-sample statistics (default `"batch"`). */
  statistics?: ZeroqStatistics;
  /** Also match these statistics of the input (Eq. 5). */
  input?: InputStatistics;
}

/** The loss of {@linkcode zeroqLoss} and its parts. */
export interface ZeroqLoss {
  /** L as a `[1]` Variable (backpropagates to the input). */
  loss: Variable;
  /** Each batch-norm layer's term of Eq. 4, by dotted path, in forward order. */
  terms: { layer: string; value: number }[];
  /** The input term of Eq. 5 (0 when not matched). */
  inputTerm: number;
  /** The model output. */
  output: Variable;
}

function perChannel(
  v: number | readonly number[],
  c: number,
  what: string,
): Float64Array {
  if (typeof v === "number") return new Float64Array(c).fill(v);
  if (v.length !== c) {
    throw new RangeError(`${what} must have one entry per input channel (${c}), got ${v.length}`);
  }
  return Float64Array.from(v);
}

/**
 * The statistics-matching term of one tensor (Eqs. 2–3) as an autograd op: groups are
 * (channel) for `"batch"` and (sample, channel) for `"per-sample"`; each group g of M values has
 * mean m_g, biased variance v_g and σ̃_g = √(v_g + ε); the term is
 * w·Σ_g (m_g − μ_c)² + (σ̃_g − σ_c)² with w = 1 (batch) or 1/N (per sample), and
 * ∂/∂x_i = w·(2/M)·[(m_g − μ_c) + (σ̃_g − σ_c)(x_i − m_g)/σ̃_g] (Eq. 6).
 */
function statTerm(
  x: Variable,
  mu: Float64Array,
  sigma: Float64Array,
  eps: number,
  statistics: ZeroqStatistics,
): Variable {
  const n = x.shape[0], c = x.shape[1];
  const inner = x.size / (n * c);
  const perSample = statistics === "per-sample" && x.shape.length > 2;
  const groups = perSample ? n * c : c;
  const size = perSample ? inner : n * inner;
  const w = perSample ? 1 / n : 1;
  const group = (i: number): number => {
    const nc = Math.floor(i / inner);
    return perSample ? nc : nc % c;
  };
  const xd = x.data;
  const mean = new Float64Array(groups), sq = new Float64Array(groups);
  for (let i = 0; i < xd.length; i++) mean[group(i)] += xd[i];
  for (let g = 0; g < groups; g++) mean[g] /= size;
  for (let i = 0; i < xd.length; i++) {
    const d = xd[i] - mean[group(i)];
    sq[group(i)] += d * d;
  }
  const std = new Float64Array(groups);
  let loss = 0;
  for (let g = 0; g < groups; g++) {
    const ch = perSample ? g % c : g;
    std[g] = Math.sqrt(sq[g] / size + eps);
    loss += (mean[g] - mu[ch]) ** 2 + (std[g] - sigma[ch]) ** 2;
  }
  return record("zeroqStatistics", Float32Array.of(w * loss), [1], [x], (gOut) => {
    const gx = new Float32Array(xd.length);
    const k = (gOut[0] * w * 2) / size;
    for (let i = 0; i < xd.length; i++) {
      const g = group(i);
      const ch = perSample ? g % c : g;
      gx[i] = k * ((mean[g] - mu[ch]) + ((std[g] - sigma[ch]) * (xd[i] - mean[g])) / std[g]);
    }
    accumulate(x, gx);
  });
}

function sumTerms(terms: Variable[]): Variable {
  const values = terms.map((t) => t.data[0]);
  let s = 0;
  for (const v of values) s += v;
  return record("sum", Float32Array.of(s), [1], terms, (g) => {
    for (const t of terms) accumulate(t, Float32Array.of(g[0]));
  });
}

/**
 * Runs the model on `x` and returns ZeroQ's loss (Eq. 4, plus Eq. 5 with `input`): at every
 * batch-norm layer (any depth, BatchNorm1d or BatchNorm2d), the squared distance between the
 * statistics of the layer's input and its running mean μ and standard deviation
 * σ = √(running variance + ε). The model must be in evaluation mode; its parameters and
 * buffers are not changed.
 *
 * @param model A model with batch-norm layers, in evaluation mode.
 * @param x The input batch (give it `requiresGrad: true` to get ∂L/∂x from `loss.backward()`).
 * @param options Statistics form and input targets.
 * @returns The loss Variable, each layer's term, the input term and the output.
 * @throws {TypeError} Naming `model` if it has no batch-norm layer or is in training mode.
 *
 * @example One BN whose running statistics are those of the input: the loss is 0 there
 * ```ts
 * import { zeroqLoss } from "@lowbit/ptq/zeroq";
 * import { BatchNorm1d, Sequential, Variable } from "@lowbit/nn";
 * import { ok } from "node:assert/strict";
 * const bn = new BatchNorm1d(1, { eps: 1e-12 });
 * bn.runningMean.data[0] = 2; // x = [1, 3]: mean 2, biased variance 1
 * const net = new Sequential([bn]).eval();
 * const { loss } = zeroqLoss(net, Variable.from([1, 3], [2, 1]));
 * ok(Math.abs(loss.data[0]) < 1e-6);
 * const far = zeroqLoss(net, Variable.from([0, 0], [2, 1])).loss.data[0];
 * ok(Math.abs(far - (4 + 1)) < 1e-5); // (0 − 2)² + (√ε − 1)²
 * ```
 */
export function zeroqLoss(model: Module, x: Variable, options: ZeroqLossOptions = {}): ZeroqLoss {
  const bns = batchNorms(model);
  if (bns.length === 0) {
    throw new TypeError(`model has no batch-norm layer (ZeroQ matches batch-norm statistics)`);
  }
  if (model.training) {
    throw new TypeError(`model must be in evaluation mode (call model.eval())`);
  }
  const statistics = options.statistics ?? "batch";
  if (statistics !== "batch" && statistics !== "per-sample") {
    throw new RangeError(`statistics must be "batch" or "per-sample", got ${String(statistics)}`);
  }
  const captured = new Map<BatchNormBase, Variable>();
  const output = watchBatchNorms(
    bns.map(([, bn]) => bn),
    (bn, v) => captured.has(bn) || captured.set(bn, v),
    () => model.forward(x),
  );
  const terms: { layer: string; value: number }[] = [];
  const parts: Variable[] = [];
  for (const [path, bn] of bns) {
    const v = captured.get(bn);
    if (v === undefined) continue;
    const mu = Float64Array.from(bn.runningMean.data);
    // Eq. 1.
    const sigma = Float64Array.from(bn.runningVar.data, (r) => Math.sqrt(r + bn.eps));
    const t = statTerm(v, mu, sigma, bn.eps, statistics);
    terms.push({ layer: path, value: t.data[0] });
    parts.push(t);
  }
  let inputTerm = 0;
  if (options.input !== undefined) {
    const c = x.shape[1];
    const mu = perChannel(options.input.mean, c, "input.mean");
    const sigma = perChannel(options.input.std, c, "input.std");
    const t = statTerm(x, mu, sigma, 1e-5, statistics);
    inputTerm = t.data[0];
    parts.push(t);
  }
  return { loss: sumTerms(parts), terms, inputTerm, output };
}

function positiveInteger(v: number, name: string): number {
  if (!Number.isInteger(v) || v < 1) {
    throw new RangeError(`${name} must be an integer ≥ 1, got ${String(v)}`);
  }
  return v;
}

/**
 * ZeroQ's distilled data: `count` inputs optimised, `batch` at a time, from seeded standard
 * Gaussian noise by Adam on the loss of {@linkcode zeroqLoss} (docs/ptq-zeroq-and-debugging.md
 * Eq. 4). Parameters and buffers of the model are unchanged (their gradients are not
 * computed). Same options and seed → the same data.
 *
 * @param model A model with batch-norm layers (e.g. `mnistCnn`), in evaluation mode.
 * @param options Sample shape, count, batch, iterations, learning rate, seed, progress.
 * @returns The images as per-image and per-batch calibration samples, the layers, the losses.
 * @throws {TypeError} Naming `model` if it has no batch-norm layer or is in training mode;
 *   naming `options.sampleShape` if it is missing.
 * @throws {RangeError} Naming `count`, `batch`, `iterations`, `lr` or `progressEvery` when out
 *   of range.
 *
 * @example Distilled digits for the (untrained) MNIST CNN: the BN loss falls ≥ 10×
 * ```ts
 * import { distillData } from "@lowbit/ptq/zeroq";
 * import { mnistCnn } from "@lowbit/nn";
 * import { deepEqual, equal, ok } from "node:assert/strict";
 * const r = distillData(mnistCnn(0).eval(), { sampleShape: [1, 28, 28], count: 4, iterations: 40, lr: 0.1 });
 * deepEqual(r.layers, ["bn1", "bn2"]);
 * equal(r.samples.length, 4);
 * deepEqual(r.samples[0].input.shape, [1, 1, 28, 28]);
 * ok(r.losses[0].final < r.losses[0].initial / 10);
 * ```
 */
export function distillData(model: Module, options: DistillOptions): DistillResult {
  const bns = batchNorms(model);
  if (bns.length === 0) {
    throw new TypeError(`model has no batch-norm layer (ZeroQ matches batch-norm statistics)`);
  }
  if (model.training) throw new TypeError(`model must be in evaluation mode (call model.eval())`);
  const shape = options?.sampleShape;
  if (
    !Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d > 0)
  ) {
    throw new TypeError(
      `options.sampleShape must list the positive dimensions of one sample, e.g. [1, 28, 28]`,
    );
  }
  const count = positiveInteger(options.count ?? 64, "count");
  const batch = positiveInteger(options.batch ?? Math.min(count, 32), "batch");
  const iterations = positiveInteger(options.iterations ?? 500, "iterations");
  const every = positiveInteger(options.progressEvery ?? 50, "progressEvery");
  const lr = options.lr ?? 0.5;
  if (!(lr > 0) || !Number.isFinite(lr)) throw new RangeError(`lr must be positive, got ${lr}`);
  const range = options.range;
  if (range !== undefined && !(range[0] < range[1])) {
    throw new RangeError(`range must be [lo, hi] with lo < hi, got [${range}]`);
  }
  const inputName = options.inputName ?? "input";
  const per = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(count * per);
  new Philox(options.seed ?? 0).fillNormal(data);
  const lossOptions: ZeroqLossOptions = {
    statistics: options.statistics ?? "batch",
    ...(options.input !== undefined ? { input: options.input } : {}),
  };
  const params = model.parameters();
  const flags = params.map((p) => p.requiresGrad);
  const batches = Math.ceil(count / batch);
  const losses: { initial: number; final: number }[] = [];
  const clamp = (d: Float32Array) => {
    if (range === undefined) return;
    for (let i = 0; i < d.length; i++) d[i] = Math.min(range[1], Math.max(range[0], d[i]));
  };
  try {
    for (const p of params) p.requiresGrad = false;
    for (let b = 0; b < batches; b++) {
      const n = Math.min(batch, count - b * batch);
      const x = new Variable(data.slice(b * batch * per, (b * batch + n) * per), [n, ...shape], {
        requiresGrad: true,
      });
      clamp(x.data);
      const opt = new Adam([x], { lr });
      let initial = NaN, last = NaN;
      const report = (iteration: number, loss: number) =>
        options.onProgress?.({ batch: b, batches, iteration, iterations, loss });
      for (let it = 0; it < iterations; it++) {
        x.zeroGrad();
        const { loss } = zeroqLoss(model, x, lossOptions);
        if (it === 0) {
          initial = loss.data[0];
          report(0, initial);
        } else if (it % every === 0) report(it, loss.data[0]);
        loss.backward();
        opt.step();
        clamp(x.data);
      }
      last = noGrad(() => zeroqLoss(model, x.detach(), lossOptions).loss.data[0]);
      report(iterations, last);
      losses.push({ initial, final: last });
      data.set(x.data, b * batch * per);
    }
  } finally {
    params.forEach((p, i) => (p.requiresGrad = flags[i]));
  }
  const samples = Array.from({ length: count }, (_, i) => ({
    [inputName]: { data: data.slice(i * per, (i + 1) * per), shape: [1, ...shape] },
  }));
  const batchSamples = Array.from({ length: batches }, (_, b) => {
    const n = Math.min(batch, count - b * batch);
    return {
      [inputName]: {
        data: data.slice(b * batch * per, (b * batch + n) * per),
        shape: [n, ...shape],
      },
    };
  });
  return {
    samples,
    batches: batchSamples,
    data,
    layers: bns.map(([p]) => p),
    losses,
  };
}
