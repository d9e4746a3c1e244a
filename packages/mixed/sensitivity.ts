/**
 * Second-order sensitivity of each weight layer (HAWQ): the top eigenvalue of the layer's
 * Hessian block by power iteration (HAWQ v1), the block's trace by Hutchinson's estimator with
 * Rademacher vectors and a confidence interval (HAWQ v2), and the HAWQ v3 score
 * Ω_i(b) = Tr(H_i)/n_i · ‖Q_b(W_i) − W_i‖². Every product H·v is exact
 * (`@lowbit/nn/hvp`, forward-over-reverse); all randomness comes from a seeded `Philox`.
 *
 * The trace of every layer comes from the same full-model Rademacher vectors z: for the block
 * of layer i, E[z_iᵀ(Hz)_i] = Σ_j E[z_iᵀH_ij z_j] = Tr(H_ii), since z_i and z_j (i ≠ j) are
 * independent with mean zero. So m samples cost m HVPs for all layers together (the cross terms
 * add variance, which the interval measures). The interval is mean ± q·s/√m with s the sample
 * standard deviation and q the normal quantile of the stated confidence (central limit theorem;
 * use m ≥ 30).
 *
 * @example Least squares: H = 2/N·XᵀX = diag(1, 4), so λ_max = 4 and Tr = 5
 * ```ts
 * import { hutchinsonTrace, topEigenvalue, weightLayers } from "@lowbit/mixed/sensitivity";
 * import { Linear } from "@lowbit/nn/linear";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { ok } from "node:assert/strict";
 * const fc = new Linear(2, 1, { random: new Philox(0), bias: false }).eval();
 * const x = Variable.from([1, 0, 0, 2], [2, 2]); // H = 2/2·diag(1, 4)
 * const loss = { kind: "mse" as const, target: new Float32Array(2) };
 * const [layer] = weightLayers(fc);
 * const eig = topEigenvalue(fc, x, loss, layer, { random: new Philox(1), tol: 1e-12 });
 * ok(Math.abs(eig.value - 4) < 1e-6);
 * const tr = hutchinsonTrace(fc, x, loss, { samples: 8, random: new Philox(2) });
 * ok(Math.abs(tr[0].trace - 5) < 1e-9); // z_i² = 1: exact for a diagonal H
 * ```
 *
 * @module
 */

import type { Variable } from "@lowbit/nn/autograd";
import { Conv2d } from "@lowbit/nn/conv2d";
import { hessianVectorProduct, type HvpLoss } from "@lowbit/nn/hvp";
import { Linear } from "@lowbit/nn/linear";
import type { Module } from "@lowbit/nn/module";
import { erf } from "@lowbit/nn/ops";
import { FakeQuant } from "@lowbit/nn/qat";
import { noGrad } from "@lowbit/nn/autograd";
import type { Philox } from "@lowbit/rounding/philox";

/** A Linear or Conv2d layer of a model with its path and parameter index. */
export interface WeightLayer {
  /** Path of the layer (e.g. `conv1`, `block2.body.expand`). */
  name: string;
  /** The layer. */
  layer: Linear | Conv2d;
  /** Index of its weight in `model.parameters()`. */
  param: number;
  /** n_i, the weight's element count. */
  size: number;
}

/**
 * The Linear and Conv2d layers of a model in parameter order.
 *
 * @param model The model.
 * @returns One entry per weight layer.
 *
 * @example
 * ```ts
 * import { weightLayers } from "@lowbit/mixed/sensitivity";
 * import { mnistCnn } from "@lowbit/nn/models";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(weightLayers(mnistCnn(0)).map((l) => [l.name, l.size]), [["conv1", 200], ["conv2", 3200], ["fc", 7840]]);
 * ```
 */
export function weightLayers(model: Module): WeightLayer[] {
  const params = model.parameters();
  const index = new Map<Variable, number>(params.map((p, i) => [p, i]));
  const out: WeightLayer[] = [];
  const visit = (m: Module, path: string) => {
    if (m instanceof Linear || m instanceof Conv2d) {
      out.push({ name: path, layer: m, param: index.get(m.weight) ?? -1, size: m.weight.size });
    }
    for (const [n, c] of m.namedChildren()) visit(c, path === "" ? n : `${path}.${n}`);
  };
  visit(model, "");
  return out;
}

/** Options of {@linkcode topEigenvalue}. */
export interface PowerIterationOptions {
  /** The seeded source of the start vector. */
  random: Philox;
  /** At most this many iterations (default 50). */
  maxIterations?: number;
  /** Stop when |λ_k − λ_{k−1}| ≤ tol·|λ_k| (default 1e-4). */
  tol?: number;
}

/** The result of {@linkcode topEigenvalue}. */
export interface Eigen {
  /** The Rayleigh quotient vᵀHv of the last unit vector (the dominant eigenvalue). */
  value: number;
  /** The unit eigenvector estimate. */
  vector: Float64Array;
  /** Iterations run. */
  iterations: number;
}

function checkPositiveInt(name: string, v: number, min = 1): void {
  if (!Number.isInteger(v) || v < min) {
    throw new RangeError(`${name} must be an integer ≥ ${min}; got ${String(v)}`);
  }
}

/**
 * HAWQ v1: the eigenvalue of largest magnitude of the Hessian block H_ii of one layer's
 * weight, by power iteration v ← H_ii v/‖H_ii v‖ from a seeded normal start.
 *
 * @param model The model (eval mode).
 * @param x The input batch.
 * @param loss The loss.
 * @param layer The layer (from {@linkcode weightLayers}).
 * @param options Seeded source, iteration cap, tolerance.
 * @returns Eigenvalue, vector, iterations.
 * @throws {RangeError} If an option is out of range.
 *
 * @example See the module example.
 * ```ts
 * import { topEigenvalue, weightLayers } from "@lowbit/mixed/sensitivity";
 * import { Linear } from "@lowbit/nn/linear";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { ok } from "node:assert/strict";
 * const fc = new Linear(2, 1, { random: new Philox(0), bias: false }).eval();
 * const x = Variable.from([1, 1, 1, -1], [2, 2]); // H = 2/2·XᵀX = diag(2, 2)
 * const e = topEigenvalue(fc, x, { kind: "mse", target: new Float32Array(2) }, weightLayers(fc)[0], { random: new Philox(3) });
 * ok(Math.abs(e.value - 2) < 1e-9);
 * ```
 */
export function topEigenvalue(
  model: Module,
  x: Variable,
  loss: HvpLoss,
  layer: WeightLayer,
  options: PowerIterationOptions,
): Eigen {
  const maxIt = options.maxIterations ?? 50, tol = options.tol ?? 1e-4;
  checkPositiveInt("options.maxIterations", maxIt);
  if (!(tol > 0)) throw new RangeError(`options.tol must be positive; got ${tol}`);
  const params = model.parameters();
  let v: Float64Array = options.random.fillNormal(new Float64Array(layer.size));
  normalize(v);
  let value = 0, it = 0;
  for (it = 1; it <= maxIt; it++) {
    const dirs = params.map((p, k) => (k === layer.param ? v : new Float64Array(p.size)));
    const hv = hessianVectorProduct(model, x, loss, dirs).hv[layer.param];
    let q = 0;
    for (let i = 0; i < hv.length; i++) q += v[i] * hv[i];
    const prev = value;
    value = q;
    const nrm = normalize(hv);
    if (nrm === 0) break;
    v = hv;
    if (it > 1 && Math.abs(value - prev) <= tol * Math.abs(value)) break;
  }
  return { value, vector: v, iterations: Math.min(it, maxIt) };
}

function normalize(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const n = Math.sqrt(s);
  if (n > 0) { for (let i = 0; i < v.length; i++) v[i] /= n; }
  return n;
}

/** Options of {@linkcode hutchinsonTrace}. */
export interface HutchinsonOptions {
  /** Rademacher samples m (default 64). */
  samples?: number;
  /** The seeded source of the ±1 entries. */
  random: Philox;
  /** Confidence of the interval (default 0.95). */
  confidence?: number;
  /** Called after each sample (progress). */
  onSample?: (done: number, total: number) => void;
}

/** One layer's trace estimate. */
export interface TraceEstimate {
  /** Layer path. */
  name: string;
  /** n_i. */
  size: number;
  /** The sample mean of z_iᵀ(Hz)_i. */
  trace: number;
  /** s/√m. */
  standardError: number;
  /** mean ∓ q·s/√m at the stated confidence. */
  interval: [number, number];
  /** The confidence of `interval`. */
  confidence: number;
  /** m. */
  samples: number;
}

/**
 * The normal quantile Φ⁻¹(p) by bisection on `erf` (|error| < 1e-9 in the argument).
 *
 * @param p A probability in (0, 1).
 * @returns z with Φ(z) = p.
 * @throws {RangeError} If p is not in (0, 1).
 *
 * @example
 * ```ts
 * import { normalQuantile } from "@lowbit/mixed/sensitivity";
 * import { ok } from "node:assert/strict";
 * ok(Math.abs(normalQuantile(0.975) - 1.959964) < 1e-5);
 * ```
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`p must be in (0, 1); got ${p}`);
  let lo = -40, hi = 40;
  for (let i = 0; i < 100 && hi - lo > 1e-10; i++) {
    const mid = (lo + hi) / 2;
    if (0.5 * (1 + erf(mid * Math.SQRT1_2)) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * HAWQ v2: Hutchinson's estimate of Tr(H_ii) for every weight layer at once, with a
 * confidence interval (see the module notes).
 *
 * @param model The model (eval mode).
 * @param x The input batch.
 * @param loss The loss.
 * @param options Samples, seeded source, confidence, progress callback.
 * @returns One estimate per layer of {@linkcode weightLayers}.
 * @throws {RangeError} If `samples` < 2 or `confidence` is not in (0, 1).
 *
 * @example Exact for a diagonal Hessian (z_i² = 1)
 * ```ts
 * import { hutchinsonTrace } from "@lowbit/mixed/sensitivity";
 * import { Linear } from "@lowbit/nn/linear";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { equal } from "node:assert/strict";
 * const fc = new Linear(2, 1, { random: new Philox(0), bias: false }).eval();
 * const t = hutchinsonTrace(fc, Variable.from([3, 0, 0, 1], [2, 2]), { kind: "mse", target: new Float32Array(2) }, { samples: 4, random: new Philox(1) });
 * equal(t[0].trace, 10); // 2/2·(9 + 1)
 * equal(t[0].standardError, 0);
 * ```
 */
export function hutchinsonTrace(
  model: Module,
  x: Variable,
  loss: HvpLoss,
  options: HutchinsonOptions,
): TraceEstimate[] {
  const m = options.samples ?? 64, conf = options.confidence ?? 0.95;
  checkPositiveInt("options.samples", m, 2);
  if (!(conf > 0 && conf < 1)) {
    throw new RangeError(`options.confidence must be in (0, 1); got ${conf}`);
  }
  const layers = weightLayers(model);
  const params = model.parameters();
  const sums = layers.map(() => [0, 0]);
  for (let s = 0; s < m; s++) {
    const z = params.map((p) => {
      const v = new Float64Array(p.size);
      for (let i = 0; i < v.length; i++) v[i] = options.random.nextUint32() & 1 ? 1 : -1;
      return v;
    });
    const hz = hessianVectorProduct(model, x, loss, z).hv;
    layers.forEach((l, k) => {
      let q = 0;
      const a = z[l.param], b = hz[l.param];
      for (let i = 0; i < a.length; i++) q += a[i] * b[i];
      sums[k][0] += q;
      sums[k][1] += q * q;
    });
    options.onSample?.(s + 1, m);
  }
  const q = normalQuantile(0.5 + conf / 2);
  return layers.map((l, k) => {
    const mean = sums[k][0] / m;
    const variance = Math.max(0, (sums[k][1] - m * mean * mean) / (m - 1));
    const se = Math.sqrt(variance / m);
    return {
      name: l.name,
      size: l.size,
      trace: mean,
      standardError: se,
      interval: [mean - q * se, mean + q * se],
      confidence: conf,
      samples: m,
    };
  });
}

/**
 * ‖Q_b(W) − W‖² for the per-channel symmetric b-bit grid that QAT uses (`FakeQuant` of
 * `@lowbit/nn/qat`, min-max scale max|w_c|/(2^(b−1) − 1)).
 *
 * @param layer The layer.
 * @param bits Weight bits (2..16).
 * @returns The squared quantization error, float64.
 * @throws {RangeError} If `bits` is invalid.
 *
 * @example 2-bit grid {−S, 0, S} with S = max|w|
 * ```ts
 * import { quantizationError } from "@lowbit/mixed/sensitivity";
 * import { Linear } from "@lowbit/nn/linear";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { ok } from "node:assert/strict";
 * const fc = new Linear(3, 1, { random: new Philox(0) });
 * fc.weight.data.set([1, 0.4, -0.6]);
 * ok(Math.abs(quantizationError(fc, 2) - (0.16 + 0.16)) < 1e-6);
 * ```
 */
export function quantizationError(layer: Linear | Conv2d, bits: number): number {
  const fq = new FakeQuant({ target: "weight", bits, channels: layer.weight.shape[0] });
  const q = noGrad(() => fq.forward(layer.weight));
  let s = 0;
  const w = layer.weight.data;
  for (let i = 0; i < w.length; i++) s += (q.data[i] - w[i]) ** 2;
  return s;
}

/**
 * HAWQ v3's sensitivity Ω_i(b) = Tr(H_i)/n_i · ‖Q_b(W_i) − W_i‖².
 *
 * @param trace Tr(H_i).
 * @param layer The layer (n_i = its weight size).
 * @param bits Weight bits.
 * @returns Ω_i(b).
 *
 * @example
 * ```ts
 * import { hawqOmega } from "@lowbit/mixed/sensitivity";
 * import { Linear } from "@lowbit/nn/linear";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { ok } from "node:assert/strict";
 * const fc = new Linear(3, 1, { random: new Philox(0) });
 * fc.weight.data.set([1, 0.4, -0.6]);
 * ok(Math.abs(hawqOmega(6, fc, 2) - 6 / 3 * 0.32) < 1e-6);
 * ```
 */
export function hawqOmega(trace: number, layer: Linear | Conv2d, bits: number): number {
  return (trace / layer.weight.size) * quantizationError(layer, bits);
}
