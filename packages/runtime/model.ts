/**
 * A float model description the converter understands: a sequence of named layers with their
 * float32 parameters (what a trained `@lowbit/nn` Sequential holds, without depending on it),
 * a reference float forward pass, and batch-norm folding (white paper §2.3, Jacob et al. §3.2):
 *
 *     W'_o = W_o · γ_o/√(σ²_o + ε),   b'_o = (b_o − μ_o) · γ_o/√(σ²_o + ε) + β_o      (B.1)
 *
 * applied to every conv/linear immediately followed by a batch norm.
 *
 * @example Folding leaves the output unchanged
 * ```ts
 * import { foldBatchNorm, type FloatModel, runFloat } from "@lowbit/runtime/model";
 * import { ok } from "node:assert/strict";
 * const model: FloatModel = { inputShape: [2], layers: [
 *   { kind: "linear", name: "fc", weight: new Float32Array([1, 2, 3, 4]), outFeatures: 2, bias: new Float32Array([0.5, -1]) },
 *   { kind: "batchnorm", name: "bn", gamma: new Float32Array([2, 1]), beta: new Float32Array([0, 1]),
 *     mean: new Float32Array([1, 0]), variance: new Float32Array([4, 1]), eps: 0 },
 * ] };
 * const x = { data: new Float32Array([1, -1]), shape: [1, 2] };
 * const a = runFloat(model, x).output.data, b = runFloat(foldBatchNorm(model), x).output.data;
 * ok(Math.abs(a[0] - b[0]) < 1e-6 && Math.abs(a[1] - b[1]) < 1e-6);
 * ```
 *
 * @module
 */

import { conv2dF32 } from "@lowbit/kernels/conv2d";
import { gemmF32 } from "@lowbit/kernels/gemm-f32";
import { batchNormAffine } from "@lowbit/nn/fold";
import type { FloatTensor } from "./onnx_quantize.ts";

/** A 2-D convolution (OIHW weights). */
export interface ConvLayer {
  /** Discriminant. */
  kind: "conv2d";
  /** Layer name (used in errors and reports). */
  name: string;
  /** Weights `[outChannels][inChannels/groups][kernelH][kernelW]`. */
  weight: Float32Array;
  /** Weight shape `[O, C/groups, kH, kW]`. */
  weightShape: [number, number, number, number];
  /** Bias (length O). */
  bias?: Float32Array;
  /** Stride, one value or `[h, w]`. */
  stride?: number | [number, number];
  /** Padding, one value or `[top, left, bottom, right]`. */
  padding?: number | [number, number, number, number];
  /** Dilation, one value or `[h, w]`. */
  dilation?: number | [number, number];
  /** Groups. */
  groups?: number;
}

/** A fully connected layer (`[out][in]` weights, PyTorch Linear). */
export interface LinearLayer {
  /** Discriminant. */
  kind: "linear";
  /** Layer name. */
  name: string;
  /** Weights `[outFeatures][inFeatures]`. */
  weight: Float32Array;
  /** Output features. */
  outFeatures: number;
  /** Bias (length outFeatures). */
  bias?: Float32Array;
}

/** Batch norm in evaluation mode (running statistics). */
export interface BatchNormLayer {
  /** Discriminant. */
  kind: "batchnorm";
  /** Layer name. */
  name: string;
  /** γ. */
  gamma: Float32Array;
  /** β. */
  beta: Float32Array;
  /** Running mean μ. */
  mean: Float32Array;
  /** Running variance σ². */
  variance: Float32Array;
  /** ε. */
  eps: number;
}

/** A parameter-free layer. */
export interface SimpleLayer {
  /** Discriminant. */
  kind: "relu" | "relu6" | "flatten" | "globalavgpool";
  /** Layer name. */
  name: string;
}

/** 2-D pooling. */
export interface PoolLayer {
  /** Discriminant. */
  kind: "maxpool2d" | "avgpool2d";
  /** Layer name. */
  name: string;
  /** Window, one value or `[h, w]`. */
  kernel: number | [number, number];
  /** Stride (default the window). */
  stride?: number | [number, number];
  /** Padding (not counted in averages). */
  padding?: number | [number, number, number, number];
}

/** Any supported layer, or an unknown one (conversion rejects it, naming the layer). */
export type FloatLayer = ConvLayer | LinearLayer | BatchNormLayer | SimpleLayer | PoolLayer;

/** A sequential float model. */
export interface FloatModel {
  /** Shape of one input sample (e.g. `[1, 28, 28]`); batches add a leading dimension. */
  inputShape: readonly number[];
  /** Layers in execution order. */
  layers: readonly FloatLayer[];
}

/** Result of {@linkcode runFloat}: the output and every layer's output by name. */
export interface FloatRun {
  /** The model's output. */
  output: FloatTensor;
  /** Each layer's output, by layer name. */
  trace: Map<string, FloatTensor>;
}

/**
 * Folds each batch norm into the conv/linear layer right before it (B.1).
 *
 * @param model The model.
 * @returns A new model without those batch norms (other layers shared).
 * @throws {RangeError} When a batch norm's channel count differs from its predecessor's
 *   outputs, or a batch norm follows something that is not a conv/linear layer.
 *
 * @example
 * ```ts
 * import { foldBatchNorm } from "@lowbit/runtime/model";
 * import { deepEqual } from "node:assert/strict";
 * const m = foldBatchNorm({ inputShape: [1], layers: [
 *   { kind: "linear", name: "fc", weight: new Float32Array([3]), outFeatures: 1 },
 *   { kind: "batchnorm", name: "bn", gamma: new Float32Array([2]), beta: new Float32Array([1]),
 *     mean: new Float32Array([1]), variance: new Float32Array([1]), eps: 0 },
 * ] });
 * deepEqual(m.layers.map((l) => l.name), ["fc"]);
 * ```
 */
export function foldBatchNorm(model: FloatModel): FloatModel {
  const out: FloatLayer[] = [];
  for (const layer of model.layers) {
    if (layer.kind !== "batchnorm") {
      out.push(layer);
      continue;
    }
    const prev = out[out.length - 1];
    if (!prev || (prev.kind !== "conv2d" && prev.kind !== "linear")) {
      throw new RangeError(
        `cannot fold batch norm "${layer.name}": it must follow a conv2d or linear layer`,
      );
    }
    const o = prev.kind === "conv2d" ? prev.weightShape[0] : prev.outFeatures;
    for (const f of ["gamma", "beta", "mean", "variance"] as const) {
      if (layer[f].length !== o) {
        throw new RangeError(
          `batch norm "${layer.name}".${f} has ${
            layer[f].length
          } channels, "${prev.name}" has ${o}`,
        );
      }
    }
    const inner = prev.weight.length / o;
    const weight = new Float32Array(prev.weight.length), bias = new Float32Array(o);
    if (!(layer.eps >= 0) || !Number.isFinite(layer.eps)) {
      throw new RangeError(
        `batch norm "${layer.name}".eps must be finite and ≥ 0, got ${layer.eps}`,
      );
    }
    const { scale, shift } = batchNormAffine(
      layer.gamma,
      layer.beta,
      layer.mean,
      layer.variance,
      layer.eps,
    );
    for (let c = 0; c < o; c++) {
      for (let j = c * inner; j < (c + 1) * inner; j++) weight[j] = prev.weight[j] * scale[c];
      bias[c] = (prev.bias ? prev.bias[c] : 0) * scale[c] + shift[c];
    }
    out[out.length - 1] = { ...prev, weight, bias };
  }
  return { inputShape: model.inputShape, layers: out };
}

function pair(v: number | [number, number] | undefined, d: number): [number, number] {
  return v === undefined ? [d, d] : typeof v === "number" ? [v, v] : v;
}

/** Float pooling over NCHW (padded taps ignored). */
function poolF32(x: FloatTensor, l: PoolLayer | SimpleLayer): FloatTensor {
  const [n, c, h, w] = x.shape;
  const [kh, kw] = l.kind === "globalavgpool" ? [h, w] : pair((l as PoolLayer).kernel, 1);
  const [sh, sw] = l.kind === "globalavgpool"
    ? [1, 1]
    : pair((l as PoolLayer).stride, 0).map((v, i) => v || [kh, kw][i]);
  const pd = l.kind === "globalavgpool" ? 0 : (l as PoolLayer).padding ?? 0;
  const p = typeof pd === "number" ? [pd, pd, pd, pd] : pd;
  const oh = Math.floor((h + p[0] + p[2] - kh) / sh) + 1,
    ow = Math.floor((w + p[1] + p[3] - kw) / sw) + 1;
  const out = new Float32Array(n * c * oh * ow);
  let at = 0;
  for (let b = 0; b < n * c; b++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        let acc = l.kind === "maxpool2d" ? -Infinity : 0, cnt = 0;
        for (let u = 0; u < kh; u++) {
          const yy = i * sh - p[0] + u;
          if (yy < 0 || yy >= h) continue;
          for (let v = 0; v < kw; v++) {
            const xx = j * sw - p[1] + v;
            if (xx < 0 || xx >= w) continue;
            const t = x.data[(b * h + yy) * w + xx];
            acc = l.kind === "maxpool2d" ? Math.max(acc, t) : acc + t;
            cnt++;
          }
        }
        out[at++] = l.kind === "maxpool2d" ? acc : acc / cnt;
      }
    }
  }
  return { data: out, shape: [n, c, oh, ow] };
}

/**
 * One float layer's forward pass (NCHW activations; linear layers take `[N, features]`).
 *
 * @param layer The layer.
 * @param x Its input.
 * @returns Its output.
 * @throws {RangeError} On shape mismatches or an unsupported layer kind (named).
 *
 * @example
 * ```ts
 * import { floatLayerForward } from "@lowbit/runtime/model";
 * import { deepEqual } from "node:assert/strict";
 * const y = floatLayerForward({ kind: "relu6", name: "act" }, { data: new Float32Array([-1, 3, 9]), shape: [3] });
 * deepEqual([...y.data], [0, 3, 6]);
 * ```
 */
export function floatLayerForward(layer: FloatLayer, x: FloatTensor): FloatTensor {
  switch (layer.kind) {
    case "conv2d": {
      if (x.shape.length !== 4) {
        throw new RangeError(`layer "${layer.name}" needs NCHW input, got [${x.shape.join(", ")}]`);
      }
      const [o, , kh, kw] = layer.weightShape;
      const [n, c, h, w] = x.shape;
      const p = {
        batch: n,
        inChannels: c,
        height: h,
        width: w,
        outChannels: o,
        kernelH: kh,
        kernelW: kw,
        stride: layer.stride,
        padding: layer.padding,
        dilation: layer.dilation,
        groups: layer.groups,
      };
      const data = conv2dF32(x.data, layer.weight, p, { bias: layer.bias });
      const hw = data.length / (n * o);
      const [sh] = pair(layer.stride, 1), [dh] = pair(layer.dilation, 1);
      const pd = layer.padding ?? 0, pp = typeof pd === "number" ? [pd, pd, pd, pd] : pd;
      const oh = Math.floor((h + pp[0] + pp[2] - dh * (kh - 1) - 1) / sh) + 1;
      return { data, shape: [n, o, oh, hw / oh] };
    }
    case "linear": {
      const k = layer.weight.length / layer.outFeatures;
      if (x.shape.length !== 2 || x.shape[1] !== k) {
        throw new RangeError(
          `layer "${layer.name}" needs [N, ${k}] input, got [${x.shape.join(", ")}]`,
        );
      }
      const data = gemmF32(x.shape[0], layer.outFeatures, k, x.data, layer.weight, {
        transB: true,
        bias: layer.bias,
      });
      return { data, shape: [x.shape[0], layer.outFeatures] };
    }
    case "batchnorm": {
      const c = layer.gamma.length, inner = x.shape.slice(2).reduce((a, b) => a * b, 1);
      const out = new Float32Array(x.data.length);
      for (let i = 0; i < out.length; i++) {
        const ch = Math.floor(i / inner) % c;
        out[i] = (x.data[i] - layer.mean[ch]) * layer.gamma[ch] /
            Math.sqrt(layer.variance[ch] + layer.eps) + layer.beta[ch];
      }
      return { data: out, shape: x.shape };
    }
    case "relu":
      return { data: x.data.map((v) => (v > 0 ? v : 0)), shape: x.shape };
    case "relu6":
      return { data: x.data.map((v) => (v > 0 ? (v < 6 ? v : 6) : 0)), shape: x.shape };
    case "flatten":
      return { data: x.data, shape: [x.shape[0], x.data.length / x.shape[0]] };
    case "maxpool2d":
    case "avgpool2d":
    case "globalavgpool":
      if (x.shape.length !== 4) throw new RangeError(`layer "${layer.name}" needs NCHW input`);
      return poolF32(x, layer);
  }
  const unknown = layer as { kind: unknown; name: unknown };
  throw new RangeError(`layer "${String(unknown.name)}": unsupported kind ${String(unknown.kind)}`);
}

/**
 * Runs the model in float32, recording every layer's output.
 *
 * @param model The model.
 * @param x A batch `[N, ...inputShape]`.
 * @returns The output and the per-layer trace.
 * @throws {RangeError} On a shape mismatch or an unsupported layer (named).
 *
 * @example
 * ```ts
 * import { runFloat } from "@lowbit/runtime/model";
 * import { deepEqual } from "node:assert/strict";
 * const r = runFloat({ inputShape: [2], layers: [
 *   { kind: "linear", name: "fc", weight: new Float32Array([1, -1]), outFeatures: 1 },
 *   { kind: "relu", name: "act" },
 * ] }, { data: new Float32Array([1, 3, 3, 1]), shape: [2, 2] });
 * deepEqual([...r.output.data], [0, 2]);
 * ```
 */
export function runFloat(model: FloatModel, x: FloatTensor): FloatRun {
  if (x.shape.slice(1).join() !== model.inputShape.join()) {
    throw new RangeError(
      `input shape [${x.shape.join(", ")}] must be [N, ${model.inputShape.join(", ")}]`,
    );
  }
  const trace = new Map<string, FloatTensor>();
  let t = x;
  for (const layer of model.layers) {
    t = floatLayerForward(layer, t);
    trace.set(layer.name, t);
  }
  return { output: t, trace };
}
