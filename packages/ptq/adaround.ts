/**
 * AdaRound (Nagel et al. 2020, "Up or Down? Adaptive Rounding for Post-Training
 * Quantization"): instead of rounding every weight to the nearest grid point, learn for each
 * weight whether to round up or down so that each layer's output is reconstructed as well as
 * possible on calibration data. The equations (numbered as in docs/ptq-adaround.md):
 *
 *     W̃ = s·clamp(⌊W/s⌋ + h(V), qmin, qmax)                                    (Eq. 2)
 *     h(V) = clip(σ(V)(ζ − γ) + γ, 0, 1),   ζ = 1.1, γ = −0.1                   (Eq. 3)
 *     V₀ = −ln((ζ − γ)/(r − γ) − 1),   r = W/s − ⌊W/s⌋  (so h(V₀) = r)          (Eq. 4)
 *     f_reg(V) = Σᵢ 1 − |2h(Vᵢ) − 1|^β                                         (Eq. 5)
 *     L(V) = (1/B) Σ_rows ‖f_a(W̃x̂ + b) − f_a(Wx + b)‖² + λ·f_reg(V)            (Eq. 6)
 *     β(t): off for t < t_w = warmup·T, then linear from β_start to β_end         (Eq. 7)
 *     W_q = s·clamp(⌊W/s⌋ + [V ≥ 0], qmin, qmax)                                (Eq. 8)
 *
 * Layers (Conv incl. grouped/depthwise, Gemm, MatMul with an initializer weight) are treated
 * one at a time in topological order. The input x̂ of a layer comes from the graph whose earlier
 * layers already carry their AdaRound weights (and, when `activations` is given, fake-quantized
 * activations from the QDQ graph of `quantizeStatic`); the target f_a(Wx + b) comes from the
 * float graph (asymmetric reconstruction, paper Eq. 25). f_a is the layer's following Relu or
 * Clip when that is the only reader of its output (the paper's choice in its Eq. 25), otherwise
 * the identity. Each layer's im2col rows (output positions) are subsampled, so memory stays
 * bounded by `rows` rows per layer whatever the calibration set size.
 *
 * @example AdaRound a 1×4 MatMul, then quantize statically with the learned codes
 * ```ts
 * import { adaround, quantizeStatic } from "@lowbit/ptq";
 * import { type Graph, runFloat, tensor } from "@lowbit/graph";
 * import { ok } from "node:assert/strict";
 * const g: Graph = {
 *   name: "mm", opset: 13, values: new Map(),
 *   inputs: [{ name: "x", dtype: "float32", shape: [8, 4] }],
 *   outputs: [{ name: "y", dtype: "float32", shape: [8, 1] }],
 *   nodes: [{ name: "mm", op: "MatMul", inputs: ["x", "w"], outputs: ["y"], attrs: {} }],
 *   initializers: new Map([["w", tensor("float32", [4, 1], [0.9, -0.37, 0.52, 0.11])]]),
 * };
 * const x = Float32Array.from({ length: 32 }, (_, i) => Math.sin(i * 1.7));
 * const samples = [{ x: { data: x, shape: [8, 4] } }];
 * const r = await adaround(g, samples, { bits: 3, iterations: 200, lr: 0.05, seed: 1 });
 * const layer = r.layers[0];
 * ok(layer.mseAdaRound <= layer.mseNearest);
 * const q = await quantizeStatic(g, samples, { weights: { bits: 3 }, nodes: r.overrides });
 * ok(runFloat(q, samples[0]).y.data.length === 8);
 * ```
 *
 * @module
 */

import {
  cloneGraph,
  type Graph,
  type GraphTensor,
  type Node,
  type OpTable,
  runFloat,
  type TensorInput,
  topologicalOrder,
} from "@lowbit/graph";
import { gemmF32 } from "@lowbit/kernels";
import { accumulate, record, Variable } from "@lowbit/nn/autograd";
import { add, linear, mul, relu, sub } from "@lowbit/nn/ops";
import { Adam } from "@lowbit/nn/optim";
import { Philox } from "@lowbit/rounding/philox";
import {
  type ActivationQuantOptions,
  type NodeOverride,
  quantizeStatic,
  type QuantizeStaticOptions,
} from "./static.ts";
import { type QuantizedWeight, quantizeWeight, weightCodeRange } from "./weights.ts";

export type { Variable } from "@lowbit/nn/autograd";

/** ζ of the rectified sigmoid (docs/ptq-adaround.md Eq. 3). */
export const ADAROUND_ZETA: number = 1.1;
/** γ of the rectified sigmoid (docs/ptq-adaround.md Eq. 3). */
export const ADAROUND_GAMMA: number = -0.1;

const Z = ADAROUND_ZETA, G0 = ADAROUND_GAMMA;

function sigmoid(v: number): number {
  return 1 / (1 + Math.exp(-v));
}

/**
 * The rectified sigmoid h(V) = clip(σ(V)(ζ − γ) + γ, 0, 1) elementwise, differentiable:
 * ∂h/∂V = (ζ − γ)σ(V)(1 − σ(V)) where 0 < σ(V)(ζ − γ) + γ < 1, else 0
 * (docs/ptq-adaround.md Eqs. 3, 9).
 *
 * @param v The continuous rounding variables V.
 * @returns h(V), same shape.
 *
 * @example h(0) = 1/2; h is exactly 0 and 1 beyond ±ln 11
 * ```ts
 * import { rectifiedSigmoid } from "@lowbit/ptq/adaround";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...rectifiedSigmoid(Variable.from([0, -3, 3])).data], [0.5, 0, 1]);
 * ```
 */
export function rectifiedSigmoid(v: Variable): Variable {
  const n = v.size, out = new Float32Array(n), d = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const s = sigmoid(v.data[i]);
    const t = s * (Z - G0) + G0;
    out[i] = t <= 0 ? 0 : t >= 1 ? 1 : t;
    d[i] = t > 0 && t < 1 ? (Z - G0) * s * (1 - s) : 0;
  }
  return record("rectifiedSigmoid", out, v.shape, [v], (g) => {
    const gv = new Float32Array(n);
    for (let i = 0; i < n; i++) gv[i] = g[i] * d[i];
    accumulate(v, gv);
  });
}

/**
 * The V that gives h(V) = r for r in [0, 1): V = −ln((ζ − γ)/(r − γ) − 1)
 * (docs/ptq-adaround.md Eq. 4), so AdaRound starts from the unrounded weight.
 *
 * @param r The fractional part W/s − ⌊W/s⌋.
 * @returns V₀.
 * @throws {RangeError} If `r` is outside [0, 1].
 *
 * @example
 * ```ts
 * import { initialV } from "@lowbit/ptq/adaround";
 * import { ok } from "node:assert/strict";
 * ok(Math.abs(initialV(0.5)) < 1e-12);
 * ok(Math.abs(1 / (1 + Math.exp(-initialV(0.25))) * 1.2 - 0.1 - 0.25) < 1e-12);
 * ```
 */
export function initialV(r: number): number {
  if (!(r >= 0 && r <= 1)) throw new RangeError(`r must be in [0, 1], got ${r}`);
  return -Math.log((Z - G0) / (r - G0) - 1);
}

/**
 * The rounding regulariser f_reg = Σᵢ 1 − |2hᵢ − 1|^β as a `[1]` Variable, with
 * ∂f_reg/∂hᵢ = −2β·|2hᵢ − 1|^(β−1)·sign(2hᵢ − 1) (docs/ptq-adaround.md Eqs. 5, 9). It is
 * 0 when every h is 0 or 1 and largest (one per weight) at h = 1/2.
 *
 * @param h The soft rounding h(V), in [0, 1].
 * @param beta The exponent β ≥ 1.
 * @returns f_reg.
 * @throws {RangeError} If `beta` is below 1.
 *
 * @example β = 2 at h = (0, 0.25, 0.5, 1): 0 + 0.75 + 1 + 0
 * ```ts
 * import { roundingRegularizer } from "@lowbit/ptq/adaround";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { equal } from "node:assert/strict";
 * equal(roundingRegularizer(Variable.from([0, 0.25, 0.5, 1]), 2).data[0], 0 + 0.75 + 1 + 0);
 * ```
 */
export function roundingRegularizer(h: Variable, beta: number): Variable {
  if (!(beta >= 1)) throw new RangeError(`beta must be ≥ 1, got ${beta}`);
  let s = 0;
  const n = h.size;
  for (let i = 0; i < n; i++) s += 1 - Math.abs(2 * h.data[i] - 1) ** beta;
  return record("roundingRegularizer", Float32Array.of(s), [1], [h], (g) => {
    const gh = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const u = 2 * h.data[i] - 1;
      gh[i] = u === 0 ? 0 : -g[0] * 2 * beta * Math.abs(u) ** (beta - 1) * Math.sign(u);
    }
    accumulate(h, gh);
  });
}

/**
 * The annealed β at iteration t of T (docs/ptq-adaround.md Eq. 7): `undefined` (regulariser
 * off) during the warm-up t < warmup·T, then linear from β_start to β_end.
 *
 * @param t The iteration, 0-based.
 * @param iterations T.
 * @param warmup The warm-up fraction in [0, 1).
 * @param range [β_start, β_end].
 * @returns β, or undefined during the warm-up.
 *
 * @example T = 100, warm-up 20%: off at 10, 20 at 20, 11 at 60, 2 at 100
 * ```ts
 * import { annealedBeta } from "@lowbit/ptq/adaround";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([10, 20, 60, 100].map((t) => annealedBeta(t, 100, 0.2, [20, 2])), [undefined, 20, 11, 2]);
 * ```
 */
export function annealedBeta(
  t: number,
  iterations: number,
  warmup: number,
  range: readonly [number, number],
): number | undefined {
  const start = warmup * iterations;
  if (t < start) return undefined;
  const rel = iterations > start ? (t - start) / (iterations - start) : 1;
  return range[1] + (range[0] - range[1]) * Math.max(0, 1 - rel);
}

/** One layer's rounding problem in canonical form: rows of inputs times an [O, K] weight. */
export interface AdaRoundLayerSpec {
  /** The float weight, row-major [outChannels, K] (K = inputs per group). */
  weight: Float32Array;
  /** O, the output channels (rows of `weight`). */
  outChannels: number;
  /** Groups G (default 1): input rows hold G·K values, output channel o reads group ⌊o/(O/G)⌋. */
  groups?: number;
  /** Scales: one, or one per output channel. */
  scale: Float32Array;
  /** Smallest code. */
  qmin: number;
  /** Largest code. */
  qmax: number;
  /** Bias per output channel (added before the activation). */
  bias?: Float32Array;
  /** The activation f_a as a clamp to [min, max] (Relu: [0, ∞)); absent: identity. */
  activation?: { min: number; max: number };
}

/** Losses of one step of {@linkcode AdaRoundLayer.loss}. */
export interface AdaRoundLoss {
  /** The total L of Eq. 6, differentiable in `layer.v`. */
  loss: Variable;
  /** The reconstruction term (1/B) Σ ‖·‖². */
  reconstruction: number;
  /** λ·f_reg (0 when β is undefined). */
  regularizer: number;
}

/** Rounds half to even (the rounding of ONNX QuantizeLinear). */
function rne(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 ? (r % 2 === 0 ? r : r - 1) : r;
}

/** Clamps to [lo, hi] with gradient 1 inside (and on) the bounds, 0 outside. */
function clampOp(x: Variable, lo: number, hi: number): Variable {
  const out = new Float32Array(x.size);
  for (let i = 0; i < out.length; i++) out[i] = Math.min(hi, Math.max(lo, x.data[i]));
  return record("clamp", out, x.shape, [x], (g) => {
    const gx = new Float32Array(g.length);
    for (let i = 0; i < g.length; i++) gx[i] = x.data[i] >= lo && x.data[i] <= hi ? g[i] : 0;
    accumulate(x, gx);
  });
}

/**
 * Y[b, o] = Σ_k X[b, g·K + k]·W[o, k] + bias[o] with g = ⌊o/(O/G)⌋ (a grouped convolution on
 * im2col rows), differentiable in W.
 */
function groupedRows(
  x: Float32Array,
  rows: number,
  w: Variable,
  groups: number,
  bias: Float32Array | undefined,
): Variable {
  const [o, k] = w.shape, og = o / groups;
  const out = new Float32Array(rows * o);
  const xg: Float32Array[] = [];
  for (let g = 0; g < groups; g++) {
    const xs = new Float32Array(rows * k);
    for (let b = 0; b < rows; b++) {
      xs.set(x.subarray(b * groups * k + g * k, b * groups * k + (g + 1) * k), b * k);
    }
    xg.push(xs);
    const y = gemmF32(rows, og, k, xs, w.data.subarray(g * og * k, (g + 1) * og * k), {
      transB: true,
    });
    for (let b = 0; b < rows; b++) {
      for (let j = 0; j < og; j++) {
        out[b * o + g * og + j] = y[b * og + j] + (bias ? bias[g * og + j] : 0);
      }
    }
  }
  return record("groupedRows", out, [rows, o], [w], (gy) => {
    const gw = new Float32Array(w.size);
    for (let g = 0; g < groups; g++) {
      const gyg = new Float32Array(rows * og);
      for (let b = 0; b < rows; b++) {
        for (let j = 0; j < og; j++) gyg[b * og + j] = gy[b * o + g * og + j];
      }
      gemmF32(og, k, rows, gyg, xg[g], {
        transA: true,
        out: gw.subarray(g * og * k, (g + 1) * og * k),
      });
    }
    accumulate(w, gw);
  });
}

/**
 * The AdaRound problem of one layer: the variables V (docs/ptq-adaround.md Eq. 4 at start),
 * the soft-quantized weight (Eq. 2), the loss (Eq. 6) and the hard codes (Eq. 8).
 *
 * @example One weight 0.3 on scale 1: V₀ gives h = 0.3; the codes round at V ≥ 0
 * ```ts
 * import { AdaRoundLayer } from "@lowbit/ptq/adaround";
 * import { deepEqual, ok } from "node:assert/strict";
 * const l = new AdaRoundLayer({ weight: Float32Array.of(0.3), outChannels: 1, scale: Float32Array.of(1), qmin: -1, qmax: 1 });
 * ok(Math.abs(l.softWeight().data[0] - 0.3) < 1e-6);
 * deepEqual([...l.codes()], [0]);
 * l.v.data[0] = 0.1;
 * deepEqual([...l.codes()], [1]);
 * ```
 */
export class AdaRoundLayer {
  /** The continuous rounding variables V, [O, K] (the Adam parameter). */
  readonly v: Variable;
  /** ⌊W/s⌋ per weight. */
  readonly floor: Float32Array;
  /** Round-to-nearest codes clamp(⌊W/s⌉, qmin, qmax) (docs/ptq-adaround.md Eq. 1; ties to even). */
  readonly nearest: Int8Array;
  readonly #spec: Required<Omit<AdaRoundLayerSpec, "bias" | "activation">> & AdaRoundLayerSpec;
  readonly #k: number;

  /**
   * Sets V₀ so that h(V₀) is the fractional part of W/s (Eq. 4).
   *
   * @param spec The canonical layer.
   * @throws {RangeError} If the sizes disagree or a scale is not positive.
   */
  constructor(spec: AdaRoundLayerSpec) {
    const o = spec.outChannels, groups = spec.groups ?? 1;
    if (!Number.isInteger(o) || o < 1 || spec.weight.length % o !== 0 || o % groups !== 0) {
      throw new RangeError(
        `weight of ${spec.weight.length} values does not fit ${o} output channels in ${groups} groups`,
      );
    }
    if (spec.scale.length !== 1 && spec.scale.length !== o) {
      throw new RangeError(`scale must hold 1 or ${o} values, got ${spec.scale.length}`);
    }
    if (!spec.scale.every((s) => s > 0 && Number.isFinite(s))) {
      throw new RangeError("scales must be positive and finite");
    }
    if (spec.bias !== undefined && spec.bias.length !== o) {
      throw new RangeError(`bias must hold ${o} values, got ${spec.bias.length}`);
    }
    this.#spec = { ...spec, groups };
    const k = spec.weight.length / o;
    this.#k = k;
    const n = spec.weight.length;
    this.floor = new Float32Array(n);
    this.nearest = new Int8Array(n);
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const s = this.#scaleOf(Math.floor(i / k));
      const q = Math.fround(spec.weight[i] / s);
      const f = Math.floor(q);
      this.floor[i] = f;
      this.nearest[i] = Math.min(spec.qmax, Math.max(spec.qmin, rne(q)));
      v[i] = initialV(q - f);
    }
    this.v = new Variable(v, [o, k], { requiresGrad: true });
  }

  #scaleOf(row: number): number {
    const s = this.#spec.scale;
    return s.length === 1 ? s[0] : s[row];
  }

  /**
   * W̃ = s·clamp(⌊W/s⌋ + h, qmin, qmax) (Eq. 2), differentiable in h where the clamp is not
   * active.
   *
   * @param h h(V) (default: {@linkcode rectifiedSigmoid} of `v`).
   * @returns W̃, [O, K].
   */
  softWeight(h: Variable = rectifiedSigmoid(this.v)): Variable {
    const { qmin, qmax } = this.#spec, k = this.#k;
    const n = h.size, out = new Float32Array(n), scales = new Float32Array(n);
    const inside = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const s = this.#scaleOf(Math.floor(i / k));
      const t = this.floor[i] + h.data[i];
      inside[i] = t >= qmin && t <= qmax ? 1 : 0;
      out[i] = s * Math.min(qmax, Math.max(qmin, t));
      scales[i] = s;
    }
    return record("softQuantize", out, this.v.shape, [h], (g) => {
      const gh = new Float32Array(n);
      for (let i = 0; i < n; i++) gh[i] = inside[i] ? g[i] * scales[i] : 0;
      accumulate(h, gh);
    });
  }

  /**
   * The layer's output f_a(X·W̃ᵀ + b) on `rows` input rows.
   *
   * @param x Input rows, [rows, G·K].
   * @param rows The row count.
   * @param w The weight to apply, [O, K].
   * @returns [rows, O].
   */
  forward(x: Float32Array, rows: number, w: Variable): Variable {
    const { groups, bias, activation } = this.#spec;
    let y: Variable;
    if (groups === 1) {
      const b = bias === undefined ? undefined : new Variable(bias, [bias.length]);
      y = linear(new Variable(x.subarray(0, rows * this.#k), [rows, this.#k]), w, b);
    } else {
      y = groupedRows(x, rows, w, groups, bias);
    }
    if (activation === undefined) return y;
    if (activation.min === 0 && activation.max === Infinity) return relu(y);
    return clampOp(y, activation.min, activation.max);
  }

  /**
   * The AdaRound loss of Eq. 6 on a batch: (1/B) Σ_rows ‖f_a(W̃x + b) − target‖² plus
   * λ·f_reg(V) when β is given.
   *
   * @param x Input rows, [rows, G·K].
   * @param target Float targets, [rows, O].
   * @param rows B.
   * @param beta β, or undefined (warm-up: no regulariser).
   * @param lambda λ.
   * @returns The differentiable total and its two terms.
   */
  loss(
    x: Float32Array,
    target: Float32Array,
    rows: number,
    beta: number | undefined,
    lambda: number,
  ): AdaRoundLoss {
    const h = rectifiedSigmoid(this.v);
    const y = this.forward(x, rows, this.softWeight(h));
    const d = sub(y, new Variable(target.subarray(0, y.size), y.shape));
    const rec = mul(d, d).sum().mulScalar(1 / rows);
    if (beta === undefined) return { loss: rec, reconstruction: rec.data[0], regularizer: 0 };
    const reg = roundingRegularizer(h, beta).mulScalar(lambda);
    return { loss: add(rec, reg), reconstruction: rec.data[0], regularizer: reg.data[0] };
  }

  /**
   * The hard codes of Eq. 8: clamp(⌊W/s⌋ + [V ≥ 0], qmin, qmax) (h(V) ≥ 1/2 ⇔ V ≥ 0).
   *
   * @returns Codes, [O·K].
   */
  codes(): Int8Array {
    const { qmin, qmax } = this.#spec;
    const out = new Int8Array(this.floor.length);
    for (let i = 0; i < out.length; i++) {
      out[i] = Math.min(qmax, Math.max(qmin, this.floor[i] + (this.v.data[i] >= 0 ? 1 : 0)));
    }
    return out;
  }

  /**
   * Mean squared error per output element of f_a(X·(s·q)ᵀ + b) against the target
   * (docs/ptq-adaround.md Eq. 10).
   *
   * @param x Input rows.
   * @param target Float targets, [rows, O].
   * @param rows The row count.
   * @param codes The codes q to evaluate.
   * @returns The MSE.
   */
  mse(x: Float32Array, target: Float32Array, rows: number, codes: Int8Array): number {
    const k = this.#k, w = new Float32Array(codes.length);
    for (let i = 0; i < w.length; i++) {
      w[i] = Math.fround(this.#scaleOf(Math.floor(i / k)) * codes[i]);
    }
    const y = this.forward(x, rows, new Variable(w, this.v.shape)).data;
    let s = 0;
    for (let i = 0; i < y.length; i++) s += (y[i] - target[i]) ** 2;
    return y.length === 0 ? 0 : s / y.length;
  }
}

/** Progress of {@linkcode adaround}, reported every `progressEvery` iterations. */
export interface AdaRoundProgress {
  /** The node being rounded. */
  node: string;
  /** Its position among the layers, 0-based. */
  layer: number;
  /** The number of layers. */
  layers: number;
  /** Iterations done on this layer. */
  iteration: number;
  /** Iterations per layer. */
  iterations: number;
  /** β of the step (undefined during the warm-up). */
  beta: number | undefined;
  /** Reconstruction term of the step. */
  reconstruction: number;
  /** λ·f_reg of the step. */
  regularizer: number;
}

/** Options of {@linkcode adaround}. */
export interface AdaRoundOptions {
  /** Weight bit width b in [2, 8] (default 4). */
  bits?: number;
  /** `"per-channel"` (default) or `"per-tensor"` scales (max-abs, as `quantizeWeight`). */
  granularity?: "per-channel" | "per-tensor";
  /** Adam iterations per layer (default 2000; the paper uses 10k–20k). */
  iterations?: number;
  /** Rows per Adam step (default 512, at most `rows`). */
  batchSize?: number;
  /** Rows (output positions) cached per layer, drawn from all samples (default 4096). */
  rows?: number;
  /** Adam learning rate on V (default 0.01). */
  lr?: number;
  /** λ, the regulariser weight (default 0.01). */
  lambda?: number;
  /** [β_start, β_end] (default [20, 2]). */
  beta?: readonly [number, number];
  /** Warm-up fraction without regulariser (default 0.2). */
  warmup?: number;
  /** Seed of the Philox stream that samples rows and batches (default 0). */
  seed?: number;
  /**
   * Activation quantization: when given, each layer's input is read from the QDQ graph that
   * `quantizeStatic` makes with these options (activations fake-quantized, earlier layers'
   * AdaRound codes in place); otherwise earlier layers' weights are replaced in the float graph.
   */
  activations?: ActivationQuantOptions;
  /** Reconstruct after the following Relu/Clip when it is the only reader (default true). */
  throughActivation?: boolean;
  /** Only these nodes (default: every Conv, Gemm and MatMul with an initializer weight). */
  nodes?: readonly string[];
  /** Extra ops for the runs (passed to `runFloat`). */
  ops?: OpTable;
  /** Called every `progressEvery` iterations and at the last one. */
  onProgress?: (p: AdaRoundProgress) => void;
  /** Iterations between progress reports (default 100). */
  progressEvery?: number;
}

/** What {@linkcode adaround} did to one layer. */
export interface AdaRoundLayerReport {
  /** The node. */
  node: string;
  /** Its op. */
  op: string;
  /** The weight count. */
  weights: number;
  /** The cached rows the layer was fitted on. */
  rows: number;
  /** The activation included in the reconstruction (`"none"` for the identity). */
  activation: "none" | "Relu" | "Clip";
  /** MSE per output element with round-to-nearest codes on the cached rows (Eq. 10). */
  mseNearest: number;
  /** The same with the AdaRound codes. */
  mseAdaRound: number;
  /** Fraction of weights whose code differs from round-to-nearest. */
  flipped: number;
  /** Wall-clock seconds. */
  seconds: number;
  /** Set when the node shares its weight with an earlier node and reuses its codes. */
  sharedWith?: string;
}

/** The result of {@linkcode adaround}. */
export interface AdaRoundResult {
  /** The learned codes by node name (scales as `quantizeWeight` with the same options). */
  weights: Map<string, QuantizedWeight>;
  /** `{ [node]: { weightCodes } }`, ready for `quantizeStatic`'s `nodes` option. */
  overrides: Record<string, NodeOverride>;
  /** One report per rounded layer, in topological order. */
  layers: AdaRoundLayerReport[];
  /** Layers left to round-to-nearest and why. */
  skipped: { node: string; reason: string }[];
}

/** A layer in canonical form plus how to read its rows from graph values. */
interface Plan {
  node: Node;
  weightName: string;
  weight: GraphTensor;
  axis: number;
  /** codes in weight layout ↔ canonical [O, K] */
  transposed: boolean;
  outChannels: number;
  groups: number;
  k: number;
  canonical: Float32Array;
  bias?: Float32Array;
  activation?: { min: number; max: number; op: "Relu" | "Clip"; output: string };
  /** Extracts rows for positions; returns the position count on the first call. */
  positions(y: GraphTensor): number;
  xRow(x: GraphTensor, p: number, out: Float32Array, at: number): void;
  yRow(y: GraphTensor, p: number, out: Float32Array, at: number): void;
}

function f32(t: GraphTensor | undefined): Float32Array | undefined {
  if (t === undefined) return undefined;
  if (t.data instanceof Float32Array) return t.data;
  if (t.data instanceof Float64Array) return Float32Array.from(t.data);
  return undefined;
}

function ints(v: unknown, def: number[]): number[] {
  return Array.isArray(v) && v.every((d) => typeof d === "number") ? v as number[] : def;
}

function scalarConst(g: Graph, name: string | undefined): number | undefined {
  if (name === undefined || name === "") return undefined;
  const t = g.initializers.get(name);
  if (t === undefined || t.data.length !== 1) return undefined;
  return Number(t.data[0]);
}

/** The Relu/Clip that alone reads `value`, if any. */
function activationAfter(
  g: Graph,
  value: string,
): { min: number; max: number; op: "Relu" | "Clip"; output: string } | undefined {
  if (g.outputs.some((o) => o.name === value)) return undefined;
  const readers = g.nodes.filter((n) => n.inputs.includes(value));
  if (readers.length !== 1) return undefined;
  const a = readers[0];
  if (a.inputs[0] !== value || !a.outputs[0]) return undefined;
  if (a.op === "Relu") return { min: 0, max: Infinity, op: "Relu", output: a.outputs[0] };
  if (a.op !== "Clip") return undefined;
  let lo: number | undefined = -Infinity, hi: number | undefined = Infinity;
  if (g.opset < 11) {
    if (typeof a.attrs.min === "number") lo = a.attrs.min;
    if (typeof a.attrs.max === "number") hi = a.attrs.max;
  } else {
    if (a.inputs[1]) lo = scalarConst(g, a.inputs[1]);
    if (a.inputs[2]) hi = scalarConst(g, a.inputs[2]);
  }
  if (lo === undefined || hi === undefined) return undefined;
  return { min: lo, max: hi, op: "Clip", output: a.outputs[0] };
}

function transpose(w: Float32Array, r: number, c: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = w[i * c + j];
  return out;
}

/** Builds the plan of a node, or the reason it is skipped. */
function planOf(g: Graph, node: Node, throughActivation: boolean): Plan | string {
  const wName = node.inputs[1] ?? "";
  const weight = g.initializers.get(wName);
  const w = f32(weight);
  if (weight === undefined || w === undefined) return "the weight is not a float initializer";
  const out = node.outputs[0];
  if (!out) return "the node has no output";
  const act = throughActivation ? activationAfter(g, out) : undefined;
  const common = { node, weightName: wName, weight, ...(act ? { activation: act } : {}) };
  if (node.op === "Conv") {
    if (weight.shape.length !== 4) return "only 2-D convolutions are supported";
    const [o, cg, kh, kw] = weight.shape;
    const groups = typeof node.attrs.group === "number" ? node.attrs.group : 1;
    const [sh, sw] = ints(node.attrs.strides, [1, 1]);
    const [dh, dw] = ints(node.attrs.dilations, [1, 1]);
    const autoPad = typeof node.attrs.auto_pad === "string" ? node.attrs.auto_pad : "NOTSET";
    let pads = ints(node.attrs.pads, [0, 0, 0, 0]);
    const bias = f32(g.initializers.get(node.inputs[2] ?? ""));
    if (node.inputs[2] && bias === undefined) return "the bias is not a float initializer";
    let outH = 0, outW = 0;
    const positions = (y: GraphTensor) => {
      outH = y.shape[2];
      outW = y.shape[3];
      return y.shape[0] * outH * outW;
    };
    const xRow = (x: GraphTensor, p: number, row: Float32Array, at: number) => {
      const [, c, hh, ww] = x.shape;
      if (autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") {
        const tot = (len: number, st: number, k: number, d: number, ol: number) =>
          Math.max(0, (ol - 1) * st + (k - 1) * d + 1 - len);
        const th = tot(hh, sh, kh, dh, outH), tw = tot(ww, sw, kw, dw, outW);
        pads = autoPad === "SAME_UPPER"
          ? [Math.floor(th / 2), Math.floor(tw / 2)]
          : [Math.ceil(th / 2), Math.ceil(tw / 2)];
      } else if (autoPad === "VALID") pads = [0, 0];
      const n = Math.floor(p / (outH * outW)), r = p % (outH * outW);
      const oy = Math.floor(r / outW), ox = r % outW;
      const xd = x.data as Float32Array;
      let q = at;
      for (let gi = 0; gi < groups; gi++) {
        for (let ci = 0; ci < cg; ci++) {
          const base = (n * c + gi * cg + ci) * hh;
          for (let i = 0; i < kh; i++) {
            const iy = oy * sh - pads[0] + i * dh;
            for (let j = 0; j < kw; j++, q++) {
              const ix = ox * sw - pads[1] + j * dw;
              row[q] = iy >= 0 && iy < hh && ix >= 0 && ix < ww ? xd[(base + iy) * ww + ix] : 0;
            }
          }
        }
      }
    };
    const yRow = (y: GraphTensor, p: number, row: Float32Array, at: number) => {
      const hw = outH * outW, n = Math.floor(p / hw), r = p % hw;
      const yd = y.data as Float32Array;
      for (let oc = 0; oc < o; oc++) row[at + oc] = yd[(n * o + oc) * hw + r];
    };
    return {
      ...common,
      axis: 0,
      transposed: false,
      outChannels: o,
      groups,
      k: cg * kh * kw,
      canonical: w,
      ...(bias ? { bias } : {}),
      positions,
      xRow,
      yRow,
    };
  }
  if (weight.shape.length !== 2) return "the weight is not 2-D";
  if (node.op === "Gemm" || node.op === "MatMul") {
    const gemm = node.op === "Gemm";
    const transB = gemm && node.attrs.transB === 1;
    const transA = gemm && node.attrs.transA === 1;
    const alpha = gemm && typeof node.attrs.alpha === "number" ? node.attrs.alpha : 1;
    const beta = gemm && typeof node.attrs.beta === "number" ? node.attrs.beta : 1;
    const [r, c] = weight.shape;
    const o = transB ? r : c, k = transB ? c : r;
    let bias: Float32Array | undefined;
    if (gemm && node.inputs[2]) {
      const cT = f32(g.initializers.get(node.inputs[2]));
      if (cT === undefined) return "the Gemm C input is not a float initializer";
      if (cT.length === 1) bias = new Float32Array(o).fill(Math.fround(beta * cT[0]));
      else if (cT.length === o) bias = cT.map((v) => Math.fround(beta * v));
      else return "the Gemm C input is not a vector of length N";
    }
    const positions = (y: GraphTensor) => y.data.length / o;
    const xRow = (x: GraphTensor, p: number, row: Float32Array, at: number) => {
      const xd = x.data as Float32Array;
      if (transA) {
        const m = x.shape[1];
        for (let i = 0; i < k; i++) row[at + i] = alpha * xd[i * m + p];
      } else {
        for (let i = 0; i < k; i++) row[at + i] = alpha * xd[p * k + i];
      }
    };
    const yRow = (y: GraphTensor, p: number, row: Float32Array, at: number) => {
      row.set((y.data as Float32Array).subarray(p * o, (p + 1) * o), at);
    };
    return {
      ...common,
      axis: transB ? 0 : 1,
      transposed: !transB,
      outChannels: o,
      groups: 1,
      k,
      canonical: transB ? w : transpose(w, r, c),
      ...(bias ? { bias } : {}),
      positions,
      xRow,
      yRow,
    };
  }
  return `op ${node.op} has no AdaRound rule`;
}

/** The nodes needed to compute `values` (a graph prefix sharing the maps of `g`). */
function prefix(g: Graph, values: readonly string[]): Graph {
  const producer = new Map<string, Node>();
  for (const n of g.nodes) for (const o of n.outputs) if (o) producer.set(o, n);
  const keep = new Set<Node>();
  const stack = [...values];
  while (stack.length > 0) {
    const n = producer.get(stack.pop() as string);
    if (n === undefined || keep.has(n)) continue;
    keep.add(n);
    for (const i of n.inputs) if (i) stack.push(i);
  }
  return { ...g, nodes: g.nodes.filter((n) => keep.has(n)) };
}

function checkOptions(samples: unknown, o: AdaRoundOptions): void {
  if (!Array.isArray(samples)) throw new TypeError("samples must be an array of input records");
  if (samples.length === 0) throw new RangeError("samples must hold at least one sample");
  const b = o.bits;
  if (b !== undefined && (typeof b !== "number" || !Number.isInteger(b) || b < 2 || b > 8)) {
    throw new RangeError(`options.bits must be an integer in [2, 8], got ${String(b)}`);
  }
  const pos = (name: string, v: number | undefined, min: number) => {
    if (v !== undefined && !(Number.isInteger(v) && v >= min)) {
      throw new RangeError(`options.${name} must be an integer ≥ ${min}, got ${v}`);
    }
  };
  pos("iterations", o.iterations, 1);
  pos("batchSize", o.batchSize, 1);
  pos("rows", o.rows, 1);
  pos("progressEvery", o.progressEvery, 1);
  const num = (name: string, v: number | undefined, ok: (x: number) => boolean) => {
    if (v !== undefined && (typeof v !== "number" || !ok(v))) {
      throw new RangeError(`options.${name} is out of range, got ${v}`);
    }
  };
  num("lr", o.lr, (x) => x > 0 && Number.isFinite(x));
  num("lambda", o.lambda, (x) => x >= 0 && Number.isFinite(x));
  num("warmup", o.warmup, (x) => x >= 0 && x < 1);
  num("seed", o.seed, (x) => Number.isSafeInteger(x) && x >= 0);
  if (o.beta !== undefined && !(o.beta.length === 2 && o.beta.every((b) => b >= 1))) {
    throw new RangeError(`options.beta must be two numbers ≥ 1, got [${o.beta}]`);
  }
  if (
    o.granularity !== undefined && o.granularity !== "per-channel" && o.granularity !== "per-tensor"
  ) {
    throw new RangeError(`options.granularity must be "per-channel" or "per-tensor"`);
  }
}

/** k distinct indices of [0, n) (all of them when k ≥ n), by a partial Fisher–Yates shuffle. */
function choose(n: number, k: number, random: Philox, scratch?: Uint32Array): Uint32Array {
  const idx = scratch && scratch.length === n ? scratch : new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  const m = Math.min(k, n);
  for (let i = 0; i < m; i++) {
    const j = i + Math.floor(random.uniform() * (n - i));
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
  return idx.slice(0, m);
}

/**
 * Learns AdaRound weight codes for the Conv, Gemm and MatMul nodes of a float graph, layer by
 * layer in topological order (docs/ptq-adaround.md Eqs. 2–8; see the module doc). Batch norms
 * should be folded first (`foldBatchNorm`), so that the rounded weights are the deployed ones.
 *
 * @param graph The float graph (weights as initializers). Not changed.
 * @param samples Calibration inputs (each a record of graph inputs; batches are fine).
 * @param options Bits, granularity, iterations, batch, learning rate, λ, β, warm-up, seed,
 *   activation quantization, progress.
 * @returns Codes by node, `quantizeStatic` overrides, per-layer reports, skipped nodes.
 * @throws {TypeError} If `samples` is not an array.
 * @throws {RangeError} If `samples` is empty, `bits` is outside 2..8, `iterations` < 1 or
 *   another option is out of range (the message names it).
 *
 * @example A 3-bit Gemm: the AdaRound codes reconstruct better than nearest rounding
 * ```ts
 * import { adaround } from "@lowbit/ptq/adaround";
 * import { type Graph, tensor } from "@lowbit/graph";
 * import { ok } from "node:assert/strict";
 * const w = Float32Array.from({ length: 24 }, (_, i) => Math.cos(i * 2.3) * 0.5);
 * const g: Graph = {
 *   name: "fc", opset: 13, values: new Map(),
 *   inputs: [{ name: "x", dtype: "float32", shape: [16, 6] }],
 *   outputs: [{ name: "y", dtype: "float32", shape: [16, 4] }],
 *   nodes: [{ name: "fc", op: "Gemm", inputs: ["x", "w"], outputs: ["y"], attrs: { transB: 1 } }],
 *   initializers: new Map([["w", tensor("float32", [4, 6], w)]]),
 * };
 * const x = Float32Array.from({ length: 96 }, (_, i) => Math.sin(i * 0.77 + 1));
 * const r = await adaround(g, [{ x: { data: x, shape: [16, 6] } }], { bits: 3, iterations: 300, lr: 0.05 });
 * ok(r.layers[0].mseAdaRound < r.layers[0].mseNearest);
 * ok(r.weights.get("fc")!.codes.data.every((q) => q >= -3 && q <= 3));
 * ```
 */
export async function adaround(
  graph: Graph,
  samples: readonly Record<string, TensorInput>[],
  options: AdaRoundOptions = {},
): Promise<AdaRoundResult> {
  checkOptions(samples, options);
  const bits = options.bits ?? 4;
  const granularity = options.granularity ?? "per-channel";
  const wOpts = { bits, granularity };
  const { qmin, qmax } = weightCodeRange(wOpts);
  const iterations = options.iterations ?? 2000;
  const maxRows = options.rows ?? 4096;
  const batchSize = Math.min(options.batchSize ?? 512, maxRows);
  const lr = options.lr ?? 0.01, lambda = options.lambda ?? 0.01;
  const betaRange = options.beta ?? [20, 2];
  const warmup = options.warmup ?? 0.2;
  const every = options.progressEvery ?? 100;
  const random = new Philox(options.seed ?? 0, 0x0ada);
  const ops = options.ops;
  const only = options.nodes === undefined ? undefined : new Set(options.nodes);

  const float = graph;
  // The graph each layer's input is read from; updated after every layer.
  let work: Graph;
  if (options.activations !== undefined) {
    const sopts: QuantizeStaticOptions = { weights: wOpts, activations: options.activations };
    if (ops) sopts.ops = ops;
    work = await quantizeStatic(graph, samples, sopts);
  } else {
    work = cloneGraph(graph);
  }
  const workNode = new Map(work.nodes.map((n) => [n.name, n]));
  const producerInWork = new Map<string, Node>();
  for (const n of work.nodes) for (const o of n.outputs) if (o) producerInWork.set(o, n);

  const result: AdaRoundResult = { weights: new Map(), overrides: {}, layers: [], skipped: [] };
  const candidates = topologicalOrder(float).filter((n) =>
    (n.op === "Conv" || n.op === "Gemm" || n.op === "MatMul") &&
    (only === undefined || only.has(n.name))
  );
  const plans: Plan[] = [];
  for (const n of candidates) {
    const p = planOf(float, n, options.throughActivation ?? true);
    if (typeof p === "string") {
      if (n.op !== "MatMul" || float.initializers.has(n.inputs[1] ?? "")) {
        result.skipped.push({ node: n.name, reason: p });
      }
    } else plans.push(p);
  }
  const firstUser = new Map<string, string>();

  for (let li = 0; li < plans.length; li++) {
    const plan = plans[li];
    const t0 = performance.now();
    const name = plan.node.name;
    const rtn = quantizeWeight(plan.weight, plan.axis, wOpts);
    const shared = firstUser.get(plan.weightName);
    let codes: Int8Array;
    let report: AdaRoundLayerReport;
    const wn = workNode.get(name);
    const xName = wn?.inputs[0] ?? plan.node.inputs[0];
    const yName = plan.activation?.output ?? (plan.node.outputs[0] as string);
    // Cache rows: x̂ from the work graph, targets from the float graph.
    const workPrefix = prefix(work, [xName]);
    const floatPrefix = prefix(float, [yName]);
    const perSample = Math.max(1, Math.ceil(maxRows / samples.length));
    const kx = plan.groups * plan.k, o = plan.outChannels;
    let xs = new Float32Array(0), ys = new Float32Array(0);
    let rows = 0;
    if (shared === undefined) {
      const xParts: Float32Array[] = [], yParts: Float32Array[] = [];
      for (const s of samples) {
        if (rows >= maxRows) break;
        const x = runFloat(workPrefix, s, { outputs: [xName], ...(ops ? { ops } : {}) })[xName];
        const y = runFloat(floatPrefix, s, { outputs: [yName], ...(ops ? { ops } : {}) })[yName];
        const positions = plan.positions(y);
        const pick = choose(positions, Math.min(perSample, maxRows - rows), random);
        const xr = new Float32Array(pick.length * kx), yr = new Float32Array(pick.length * o);
        pick.forEach((p, i) => {
          plan.xRow(x, p, xr, i * kx);
          plan.yRow(y, p, yr, i * o);
        });
        xParts.push(xr);
        yParts.push(yr);
        rows += pick.length;
      }
      xs = new Float32Array(rows * kx);
      ys = new Float32Array(rows * o);
      let at = 0;
      for (let i = 0; i < xParts.length; i++) {
        xs.set(xParts[i], at * kx);
        ys.set(yParts[i], at * o);
        at += xParts[i].length / kx;
      }
    }
    const scale = rtn.scale.data as Float32Array;
    const layer = new AdaRoundLayer({
      weight: plan.canonical,
      outChannels: o,
      groups: plan.groups,
      scale: scale.length === 1 ? scale : Float32Array.from(scale),
      qmin,
      qmax,
      ...(plan.bias ? { bias: plan.bias } : {}),
      ...(plan.activation ? { activation: plan.activation } : {}),
    });
    const toLayout = (c: Int8Array): Int8Array => {
      if (!plan.transposed) return c;
      const [r, cc] = plan.weight.shape; // weight [K, O], canonical [O, K]
      const out = new Int8Array(c.length);
      for (let i = 0; i < r; i++) for (let j = 0; j < cc; j++) out[i * cc + j] = c[j * r + i];
      return out;
    };
    if (shared !== undefined) {
      codes = result.weights.get(shared)?.codes.data as Int8Array;
      report = {
        node: name,
        op: plan.node.op,
        weights: codes.length,
        rows: 0,
        activation: plan.activation?.op ?? "none",
        mseNearest: NaN,
        mseAdaRound: NaN,
        flipped: 0,
        seconds: 0,
        sharedWith: shared,
      };
    } else {
      const opt = new Adam([layer.v], { lr });
      const xb = new Float32Array(batchSize * kx), yb = new Float32Array(batchSize * o);
      const scratch = new Uint32Array(rows);
      for (let t = 0; t < iterations; t++) {
        const beta = annealedBeta(t, iterations, warmup, betaRange);
        let b = rows;
        let bx = xs, by = ys;
        if (rows > batchSize) {
          const pick = choose(rows, batchSize, random, scratch);
          pick.forEach((p, i) => {
            xb.set(xs.subarray(p * kx, (p + 1) * kx), i * kx);
            yb.set(ys.subarray(p * o, (p + 1) * o), i * o);
          });
          b = batchSize;
          bx = xb;
          by = yb;
        }
        opt.zeroGrad();
        const l = layer.loss(bx, by, b, beta, lambda);
        l.loss.backward();
        opt.step();
        if (options.onProgress && ((t + 1) % every === 0 || t + 1 === iterations)) {
          options.onProgress({
            node: name,
            layer: li,
            layers: plans.length,
            iteration: t + 1,
            iterations,
            beta,
            reconstruction: l.reconstruction,
            regularizer: l.regularizer,
          });
        }
      }
      const hard = layer.codes();
      const mseNearest = layer.mse(xs, ys, rows, layer.nearest);
      const mseAdaRound = layer.mse(xs, ys, rows, hard);
      let flipped = 0;
      for (let i = 0; i < hard.length; i++) if (hard[i] !== layer.nearest[i]) flipped++;
      codes = toLayout(hard);
      report = {
        node: name,
        op: plan.node.op,
        weights: hard.length,
        rows,
        activation: plan.activation?.op ?? "none",
        mseNearest,
        mseAdaRound,
        flipped: flipped / hard.length,
        seconds: (performance.now() - t0) / 1000,
      };
      firstUser.set(plan.weightName, name);
    }
    const q: QuantizedWeight = {
      ...rtn,
      codes: { dtype: rtn.codes.dtype, shape: [...rtn.codes.shape], data: Int8Array.from(codes) },
    };
    result.weights.set(name, q);
    result.overrides[name] = { weightCodes: q };
    result.layers.push(report);
    // Put the codes into the work graph for the next layers' inputs.
    if (wn !== undefined) {
      const dq = producerInWork.get(wn.inputs[1] ?? "");
      if (dq !== undefined && dq.op === "DequantizeLinear" && work.initializers.has(dq.inputs[0])) {
        work.initializers.set(dq.inputs[0], q.codes);
      } else {
        const s = q.scale.data as Float32Array, c = q.codes.data as Int8Array;
        const inner = plan.axis === 0 ? c.length / plan.weight.shape[0] : 1;
        const ch = plan.weight.shape[plan.axis];
        const deq = new Float32Array(c.length);
        for (let i = 0; i < c.length; i++) {
          const si = s.length === 1 ? s[0] : s[Math.floor(i / inner) % ch];
          deq[i] = Math.fround(si * c[i]);
        }
        const wNew = `${plan.weightName}_adaround_${name}`;
        work.initializers.set(wNew, { dtype: "float32", shape: [...plan.weight.shape], data: deq });
        // A new node object: cloneGraph shares nodes with the argument graph.
        const replaced: Node = { ...wn, inputs: wn.inputs.map((v, i) => (i === 1 ? wNew : v)) };
        work.nodes = work.nodes.map((n) => (n === wn ? replaced : n));
        workNode.set(name, replaced);
      }
    }
  }
  return result;
}
