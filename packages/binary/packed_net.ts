/**
 * Runs a trained binary model (from `binarizeModel`) with its binary layers on the packed
 * kernels: wherever a binarized Conv2d/Linear receives ±1 codes it runs as a
 * {@linkcode PackedConv2d}/{@linkcode PackedLinear} (int32 accumulators, exact), and
 *
 * - when the layer (with an optional batch norm) feeds an unscaled sign activation, the scale
 *   α, bias and batch norm fold into integer thresholds and the layer emits the next codes
 *   directly (`BinaryThresholds`, XNOR's per-sample β included);
 * - otherwise the float output transform α·β·acc + b hands a float tensor to the next layer;
 * - a max-pool over codes runs on channel-packed bits (AND of words, `binaryMaxPool2d`);
 * - sign activations turn floats into codes by `sign1` (and β_n = mean |x_n| when scaled).
 *
 * The float layers (the first and last layer, batch norms that do not fold, ReLUs) run as the
 * model's own modules, so the two runs differ only where the packed kernels replace float
 * arithmetic: the integer accumulators equal the float simulation's exactly; a threshold decides
 * in float64 where the float model rounds its batch norm in float32, so a pre-activation within
 * rounding of 0 can binarize differently (`compare` counts such codes).
 *
 * @example An untrained BNN Fashion CNN: the packed run reproduces the float logits
 * ```ts
 * import { PackedNet } from "@lowbit/binary/packed-net";
 * import { binaryFashionCnn } from "@lowbit/binary/models";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { ok } from "node:assert/strict";
 * const model = binaryFashionCnn(1, "bnn");
 * model.eval();
 * const x = Variable.from(Array.from({ length: 2 * 784 }, (_, i) => Math.sin(i / 7)), [2, 1, 28, 28]);
 * const r = new PackedNet(model).compare(x);
 * ok(r.maxAbsLogitDiff < 1e-4 && r.codeMismatches === 0);
 * ```
 *
 * @module
 */

import { noGrad, Variable } from "@lowbit/nn/autograd";
import { BatchNormBase } from "@lowbit/nn/batchnorm";
import { Conv2d } from "@lowbit/nn/conv2d";
import { Flatten, MaxPool2d } from "@lowbit/nn/layers";
import { Linear } from "@lowbit/nn/linear";
import type { Module, Sequential } from "@lowbit/nn/module";
import { binaryWeight } from "./io.ts";
import { SignActivation, WeightBinarizer } from "./models.ts";
import { binaryMaxPool2d, packChannels, signCodes, unpackChannels } from "./packed_bits.ts";
import { PackedConv2d, PackedLinear } from "./packed_layers.ts";
import { affineOutput, type BatchNormStats, BinaryThresholds, foldAffine } from "./threshold.ts";

interface Codes {
  codes: Int8Array;
  shape: number[];
  beta: Float64Array | null;
}

interface Compiled {
  packed: PackedConv2d | PackedLinear;
  alpha: Float32Array;
  bias: Float32Array | null;
}

/** What {@linkcode PackedNet.run} returns. */
export interface PackedRun {
  /** The model's output. */
  output: Variable;
  /** The codes after each sign activation (or threshold), by layer name. */
  codes: Map<string, Int8Array>;
}

/** What {@linkcode PackedNet.compare} measured. */
export interface PackedComparison {
  /** max |packed − float| over the outputs. */
  maxAbsLogitDiff: number;
  /** Samples whose arg-max differs. */
  top1Mismatches: number;
  /** Sign-activation codes that differ, summed over layers. */
  codeMismatches: number;
  /** Sign-activation codes compared. */
  codesCompared: number;
  /** The packed run's output. */
  packedOutput: Float32Array;
  /** The float model's output. */
  floatOutput: Float32Array;
  /** Wall time of the packed run (ms). */
  packedMs: number;
  /** Wall time of the float run (ms). */
  floatMs: number;
}

function bnStats(m: BatchNormBase): BatchNormStats {
  return {
    gamma: m.weight.data,
    beta: m.bias.data,
    mean: m.runningMean.data,
    variance: m.runningVar.data,
    eps: m.eps,
  };
}

function padding4(
  p: number | readonly number[] | undefined,
): number | [number, number, number, number] {
  if (p === undefined || typeof p === "number") return p ?? 0;
  return p.length === 2 ? [p[0], p[1], p[0], p[1]] : [p[0], p[1], p[2], p[3]];
}

function pair(v: number | readonly number[] | undefined): number | [number, number] {
  return v === undefined || typeof v === "number" ? v ?? 1 : [v[0], v[1]];
}

/**
 * A compiled packed runner of a binary model (module doc).
 *
 * @example
 * ```ts
 * import { PackedNet } from "@lowbit/binary/packed-net";
 * import { binaryMnistCnn } from "@lowbit/binary/models";
 * import { equal } from "node:assert/strict";
 * equal(new PackedNet(binaryMnistCnn(1, "xnor")).packedLayers, 1); // conv2
 * ```
 */
export class PackedNet {
  readonly #model: Sequential;
  readonly #compiled = new Map<string, Compiled>();

  /**
   * Packs the weights of every binarized layer (groups 1).
   *
   * @param model A model from `binarizeModel` (put it in evaluation mode before running).
   * @throws {RangeError} If a binarized convolution is grouped.
   */
  constructor(model: Sequential) {
    this.#model = model;
    for (const [name, m] of model.layers) {
      if (!(m instanceof Conv2d || m instanceof Linear)) continue;
      if (!(m.weightQuant instanceof WeightBinarizer)) continue;
      const { codes, scale } = binaryWeight(m);
      const kind = m.weightQuant.method === "twn" ? "ternary" : "binary";
      const bias = m.bias === null ? null : m.bias.data;
      if (m instanceof Conv2d) {
        if ((m.options.groups ?? 1) !== 1) {
          throw new RangeError(`layer "${name}": grouped binary convolutions are not supported`);
        }
        const packed = new PackedConv2d(codes, {
          inChannels: m.inChannels,
          outChannels: m.outChannels,
          kernelH: m.kernel[0],
          kernelW: m.kernel[1],
          stride: pair(m.options.stride),
          padding: padding4(m.options.padding),
          dilation: pair(m.options.dilation),
        }, { kind });
        this.#compiled.set(name, { packed, alpha: scale, bias });
      } else {
        const [O, K] = m.weight.shape;
        this.#compiled.set(name, {
          packed: new PackedLinear(codes, O, K, { kind }),
          alpha: scale,
          bias,
        });
      }
    }
  }

  /** How many layers run on the packed kernels. */
  get packedLayers(): number {
    return this.#compiled.size;
  }

  /**
   * Runs the model with the packed layers.
   *
   * @param x The model's input.
   * @returns The output and the codes of every sign activation.
   */
  run(x: Variable): PackedRun {
    return noGrad(() => this.#run(x));
  }

  #run(input: Variable): PackedRun {
    const layers = this.#model.layers;
    const codesOut = new Map<string, Int8Array>();
    let state: Variable | Codes = input;
    for (let i = 0; i < layers.length;) {
      const [name, m] = layers[i];
      if (state instanceof Variable) {
        if (m instanceof SignActivation) {
          state = toCodes(state, m.scaled);
          codesOut.set(name, state.codes);
        } else state = m.forward(state);
        i++;
        continue;
      }
      const c: Codes = state;
      const compiled = this.#compiled.get(name);
      if (compiled !== undefined) {
        const { acc, shape } = runPacked(compiled, c);
        const O = shape[1], plane = shape.length === 4 ? shape[2] * shape[3] : 1;
        let j = i + 1;
        const bn = j < layers.length && layers[j][1] instanceof BatchNormBase
          ? bnStats(layers[j++][1] as BatchNormBase)
          : undefined;
        const next: Module | undefined = layers[j]?.[1];
        const beta = c.beta ?? undefined;
        if (next instanceof SignActivation && !next.scaled) {
          const f = foldAffine(O, { alpha: compiled.alpha, bias: compiled.bias ?? undefined, bn });
          const codes = new BinaryThresholds(f.scale, f.shift).apply(acc, O, plane, beta);
          codesOut.set(layers[j][0], codes);
          state = { codes, shape, beta: null };
          i = j + 1;
        } else {
          const f = foldAffine(O, { alpha: compiled.alpha, bias: compiled.bias ?? undefined });
          state = new Variable(affineOutput(acc, f, plane, beta), shape);
          i++;
        }
        continue;
      }
      if (m instanceof MaxPool2d && c.shape.length === 4 && squarePool(m)) {
        const [N, C, H, W] = c.shape, k = squarePool(m)!;
        const pooled = binaryMaxPool2d(
          packChannels(c.codes, N, C, H, W),
          {
            batch: N,
            channels: C,
            height: H,
            width: W,
          },
          k[0],
          k[1],
        );
        const s = pooled.shape;
        state = {
          codes: unpackChannels(pooled.bits, N, C, s.height, s.width),
          shape: [N, C, s.height, s.width],
          beta: c.beta,
        };
        i++;
        continue;
      }
      if (m instanceof Flatten) {
        state = { codes: c.codes, shape: [c.shape[0], c.codes.length / c.shape[0]], beta: c.beta };
        i++;
        continue;
      }
      state = fromCodes(c); // a float layer reads the codes as numbers (β·code)
    }
    const output = state instanceof Variable ? state : fromCodes(state);
    return { output, codes: codesOut };
  }

  /**
   * Runs the packed and the float model on the same input and compares them.
   *
   * @param x The model's input.
   * @returns Output difference, arg-max and sign-code mismatches.
   */
  compare(x: Variable): PackedComparison {
    const t0 = performance.now();
    const packed = this.run(x);
    const t1 = performance.now();
    const floatCodes = new Map<string, Int8Array>();
    const y = noGrad(() => {
      let v = x;
      for (const [name, m] of this.#model.layers) {
        v = m.forward(v);
        if (m instanceof SignActivation) floatCodes.set(name, signCodes(v.data));
      }
      return v;
    });
    const t2 = performance.now();
    let maxAbs = 0;
    y.data.forEach((v, i) => (maxAbs = Math.max(maxAbs, Math.abs(v - packed.output.data[i]))));
    const [N, K] = y.shape;
    let top1 = 0;
    for (let n = 0; n < N; n++) {
      if (argmax(y.data, n * K, K) !== argmax(packed.output.data, n * K, K)) top1++;
    }
    let mism = 0, compared = 0;
    for (const [name, codes] of packed.codes) {
      const f = floatCodes.get(name);
      if (f === undefined) continue;
      compared += codes.length;
      for (let i = 0; i < codes.length; i++) if (codes[i] !== f[i]) mism++;
    }
    return {
      maxAbsLogitDiff: maxAbs,
      top1Mismatches: top1,
      codeMismatches: mism,
      codesCompared: compared,
      packedOutput: packed.output.data,
      floatOutput: y.data,
      packedMs: t1 - t0,
      floatMs: t2 - t1,
    };
  }
}

function argmax(v: Float32Array, at: number, k: number): number {
  let b = 0;
  for (let j = 1; j < k; j++) if (v[at + j] > v[at + b]) b = j;
  return b;
}

function squarePool(m: MaxPool2d): [number, number] | null {
  const { kernel, stride, padding } = m.options;
  if (
    padding !== undefined && (typeof padding === "number" ? padding : padding[0] + padding[1]) !== 0
  ) {
    return null;
  }
  const k = typeof kernel === "number" ? [kernel, kernel] : kernel;
  const s = stride === undefined ? k : typeof stride === "number" ? [stride, stride] : stride;
  return k[0] === k[1] && s[0] === s[1] ? [k[0], s[0]] : null;
}

function toCodes(x: Variable, scaled: boolean): Codes {
  const codes = signCodes(x.data);
  let beta: Float64Array | null = null;
  if (scaled) {
    const N = x.shape[0], n = x.size / N;
    beta = new Float64Array(N);
    for (let r = 0; r < N; r++) {
      let s = 0;
      for (let j = r * n; j < (r + 1) * n; j++) s += Math.abs(x.data[j]);
      beta[r] = s / n;
    }
  }
  return { codes, shape: [...x.shape], beta };
}

function fromCodes(c: Codes): Variable {
  const N = c.shape[0], n = c.codes.length / N;
  const data = Float32Array.from(c.codes, (v, i) => (c.beta ? c.beta[Math.floor(i / n)] * v : v));
  return new Variable(data, c.shape);
}

function runPacked(compiled: Compiled, c: Codes): { acc: Int32Array; shape: number[] } {
  const { packed } = compiled;
  if (packed instanceof PackedConv2d) {
    const [N, , H, W] = c.shape;
    const { acc, outH, outW } = packed.forward(c.codes, N, H, W);
    return { acc, shape: [N, packed.geometry.outChannels, outH, outW] };
  }
  const N = c.shape[0];
  return { acc: packed.forward(c.codes, N), shape: [N, packed.outFeatures] };
}
