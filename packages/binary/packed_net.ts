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
 * - sign activations turn floats into codes by `sign1` (and β_n = mean |x_n| when scaled);
 * - a DoReFa or ABC-Net layer (`DorefaWeights` / `AbcWeights`) whose input comes from a
 *   `QuantActivation` / `AbcActivation` (through max-pools and flattens) runs as a sum of
 *   binary products on `gemmBinary` (`packed_planes.ts`: weight planes × activation planes, the
 *   activation's levels read back off its float values), handing a float tensor on;
 * - a Bi-Real block (`Residual` over sign → binarized layer → batch norm) runs its binary layer
 *   packed, the batch norm and the real-valued shortcut in float, and adds them.
 *
 * TWN and TTQ keep float ReLU activations (as their papers do), so their ternary layers never
 * receive codes and run in float: `gemmTernary` multiplies ternary by ternary only, and a float
 * input has no exact form there.
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
import { Flatten, MaxPool2d, Residual } from "@lowbit/nn/layers";
import { Linear } from "@lowbit/nn/linear";
import { type Module, Sequential } from "@lowbit/nn/module";
import { add } from "@lowbit/nn/ops";
import { binaryWeight } from "./io.ts";
import { SignActivation, WeightBinarizer } from "./models.ts";
import {
  AbcActivation,
  AbcWeights,
  DorefaWeights,
  FixedWeightTransform,
  QuantActivation,
} from "./method_layers.ts";
import {
  abcWeightPlanes,
  type ActivationLevel,
  type ActivationPlanes,
  dorefaActivationPlanes,
  dorefaWeightPlanes,
  levelActivationPlanes,
  PackedPlaneConv2d,
  PackedPlaneLinear,
  type WeightPlanes,
} from "./packed_planes.ts";
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

/** A multi-bit layer as binary planes, with the activation whose levels feed it. */
interface CompiledPlanes {
  packed: PackedPlaneConv2d | PackedPlaneLinear;
  planesOf: (x: Float32Array) => ActivationPlanes;
}

/** A Bi-Real block: sign → packed binary layer → optional batch norm, plus the real shortcut. */
interface CompiledBlock {
  layer: Compiled;
  bn: Module | null;
  shortcut: Module | null;
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
  readonly #planes = new Map<string, CompiledPlanes>();
  readonly #blocks = new Map<string, CompiledBlock>();

  /**
   * Packs the weights of every binarized layer (groups 1).
   *
   * @param model A model from `binarizeModel` (put it in evaluation mode before running).
   * @throws {RangeError} If a binarized convolution is grouped.
   */
  constructor(model: Sequential) {
    this.#model = model;
    const layers = model.layers;
    for (let i = 0; i < layers.length; i++) {
      const [name, m] = layers[i];
      if (m instanceof Residual) {
        const block = compileBlock(name, m);
        if (block !== null) this.#blocks.set(name, block);
        continue;
      }
      if (!(m instanceof Conv2d || m instanceof Linear)) continue;
      if (m.weightQuant instanceof WeightBinarizer) {
        this.#compiled.set(name, compileBinary(name, m));
      } else if (m.weightQuant instanceof FixedWeightTransform) {
        const source = levelSource(layers, i);
        if (source !== null) this.#planes.set(name, compilePlanes(name, m, source));
      }
    }
  }

  /** How many layers run on the packed kernels. */
  get packedLayers(): number {
    return this.#compiled.size + this.#planes.size + this.#blocks.size;
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
        const planes = this.#planes.get(name), block = this.#blocks.get(name);
        if (planes !== undefined) state = runPlanes(planes, state);
        else if (block !== undefined) state = runBlock(block, state);
        else if (m instanceof SignActivation) {
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

function runPacked(
  compiled: Compiled,
  c: Pick<Codes, "codes" | "shape">,
): { acc: Int32Array; shape: number[] } {
  const { packed } = compiled;
  if (packed instanceof PackedConv2d) {
    const [N, , H, W] = c.shape;
    const { acc, outH, outW } = packed.forward(c.codes, N, H, W);
    return { acc, shape: [N, packed.geometry.outChannels, outH, outW] };
  }
  const N = c.shape[0];
  return { acc: packed.forward(c.codes, N), shape: [N, packed.outFeatures] };
}

function compileBinary(name: string, m: Conv2d | Linear): Compiled {
  const { codes, scale } = binaryWeight(m);
  const kind = (m.weightQuant as WeightBinarizer).method === "twn" ? "ternary" : "binary";
  const bias = m.bias === null ? null : m.bias.data;
  if (m instanceof Linear) {
    const [O, K] = m.weight.shape;
    return { packed: new PackedLinear(codes, O, K, { kind }), alpha: scale, bias };
  }
  const packed = new PackedConv2d(codes, convGeometry(name, m), { kind });
  return { packed, alpha: scale, bias };
}

function convGeometry(name: string, m: Conv2d) {
  if ((m.options.groups ?? 1) !== 1) {
    throw new RangeError(`layer "${name}": grouped binary convolutions are not supported`);
  }
  return {
    inChannels: m.inChannels,
    outChannels: m.outChannels,
    kernelH: m.kernel[0],
    kernelW: m.kernel[1],
    stride: pair(m.options.stride),
    padding: padding4(m.options.padding),
    dilation: pair(m.options.dilation),
  };
}

/** The DoReFa/ABC-Net activation whose levels reach layer `i` (through pools and flattens). */
function levelSource(
  layers: readonly (readonly [string, Module])[],
  i: number,
): QuantActivation | AbcActivation | null {
  for (let j = i - 1; j >= 0; j--) {
    const m = layers[j][1];
    if (m instanceof QuantActivation || m instanceof AbcActivation) return m;
    if (!(m instanceof MaxPool2d || m instanceof Flatten)) return null;
  }
  return null;
}

/** ABC-Net's N + 1 levels: one input below, between and above the thresholds 0.5 − v_n. */
function abcLevels(act: AbcActivation): ActivationLevel[] {
  const t = act.shifts.map((v) => 0.5 - v).sort((a, b) => a - b);
  const reps = [t[0] - 1, ...t.slice(1).map((u, k) => (t[k] + u) / 2), t[t.length - 1] + 1];
  const values = noGrad(() => act.forward(Variable.from(reps))).data;
  return reps.map((x, r) => ({
    value: values[r],
    codes: act.shifts.map((v) => (Math.fround(x) + v >= 0.5 ? 1 : -1)),
  }));
}

function compilePlanes(
  name: string,
  m: Conv2d | Linear,
  source: QuantActivation | AbcActivation,
): CompiledPlanes {
  const wq = m.weightQuant;
  let w: WeightPlanes;
  if (wq instanceof DorefaWeights) {
    w = dorefaWeightPlanes(noGrad(() => wq.forward(m.weight)).data, wq.weightBits);
  } else if (wq instanceof AbcWeights) {
    w = abcWeightPlanes(m.weight.data, wq.bases);
  } else {
    throw new RangeError(`layer "${name}": ${wq?.describe()} has no binary-plane form`);
  }
  let planesOf: (x: Float32Array) => ActivationPlanes;
  if (source instanceof QuantActivation) {
    const bits = source.bits;
    planesOf = (x) => dorefaActivationPlanes(x, bits);
  } else {
    const levels = abcLevels(source), beta = [...source.beta.data];
    planesOf = (x) => levelActivationPlanes(x, levels, beta);
  }
  const bias = m.bias === null ? null : m.bias.data;
  const packed = m instanceof Conv2d
    ? new PackedPlaneConv2d(w.planes, w.coef, convGeometry(name, m), bias)
    : new PackedPlaneLinear(w.planes, w.coef, m.weight.shape[0], m.weight.shape[1], bias);
  return { packed, planesOf };
}

function runPlanes(p: CompiledPlanes, x: Variable): Variable {
  const planes = p.planesOf(x.data);
  if (p.packed instanceof PackedPlaneConv2d) {
    const [N, , H, W] = x.shape;
    const { out, outH, outW } = p.packed.forward(planes, N, H, W);
    return new Variable(out, [N, p.packed.geometry.outChannels, outH, outW]);
  }
  const N = x.shape[0];
  return new Variable(p.packed.forward(planes, N), [N, p.packed.outFeatures]);
}

/** A Bi-Real block (`binarizeModel`): body [sign, binarized layer, batch norm?], real shortcut. */
function compileBlock(name: string, r: Residual): CompiledBlock | null {
  if (!(r.body instanceof Sequential)) return null;
  const body = r.body.layers.map(([, m]) => m);
  const [sign, layer, bn] = body;
  if (!(sign instanceof SignActivation) || sign.scaled) return null;
  if (!(layer instanceof Conv2d || layer instanceof Linear)) return null;
  if (!(layer.weightQuant instanceof WeightBinarizer)) return null;
  if (body.length > 3 || (bn !== undefined && !(bn instanceof BatchNormBase))) return null;
  return { layer: compileBinary(name, layer), bn: bn ?? null, shortcut: r.shortcut };
}

function runBlock(b: CompiledBlock, x: Variable): Variable {
  const { acc, shape } = runPacked(b.layer, {
    codes: signCodes(x.data),
    shape: [...x.shape],
  });
  const O = shape[1], plane = shape.length === 4 ? shape[2] * shape[3] : 1;
  const f = foldAffine(O, { alpha: b.layer.alpha, bias: b.layer.bias ?? undefined });
  const y = new Variable(affineOutput(acc, f, plane), shape);
  const a = b.bn === null ? y : b.bn.forward(y);
  return add(a, b.shortcut === null ? x : b.shortcut.forward(x));
}
