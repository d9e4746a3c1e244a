/**
 * Binary and ternary versions of the reference CNNs of `@lowbit/nn/models`, as the papers train
 * them: the first and the last layer stay in float (every paper below keeps them), the hidden
 * layers get a weight transform (installed with `setWeightQuant`, so the latent float weight is
 * what the optimizer updates), and for the methods with quantized activations the hidden ReLUs
 * become the method's activation quantizer.
 *
 * | method          | hidden weights                          | hidden activations                      |
 * | --------------- | --------------------------------------- | --------------------------------------- |
 * | `binaryConnect` | H·sign(W), identity STE (latent clipped to [−H, H]) | ReLU (float)                |
 * | `twn`           | α·t(W), Δ = 0.7·E\|W\| (per tensor)     | ReLU (float)                            |
 * | `bnn`           | sign(W), identity STE (latent clipped)  | sign(x), hard-tanh STE                  |
 * | `xnor`          | α_o·sign(W), α per output channel       | β_n·sign(x), β per sample (`scaledSign`) |
 * | `ttq`           | W_p / 0 / −W_n, W_p and W_n trained     | ReLU (float)                            |
 * | `dorefaW1A2`    | E\|W\|·sign(W)                          | 2-bit clip(x, 0, 1) (`QuantActivation`) |
 * | `dorefaW2A2`    | 2-bit tanh-normalised weights           | 2-bit clip(x, 0, 1)                     |
 * | `abc`           | 3 bases Σ α_m·B_m (ABC-Net M = 3)       | 3 bases Σ β_n·H_n(x) (N = 3), β trained |
 * | `biReal`        | α_o·sign(W) (magnitude-aware gradient)  | sign(x), ApproxSign STE; real shortcut  |
 * | `bnnPlus`       | α_o·sign(W)                             | sign(x), SignSwish STE (β = 5)          |
 *
 * Bi-Real Net (Liu et al. 2018, Fig. 1) wraps every binary layer with the batch norm after it
 * in a block out = BN(binconv(sign(x))) + x whose shortcut carries the real-valued input; its
 * hidden ReLUs are dropped (the sign inside each block is the nonlinearity, as in the paper's
 * network, whose stem is conv → BN → max-pool). Where the channel counts differ the shortcut is
 * the paper's real-valued downsampling branch without its average pool (the layers here have
 * stride 1): a float 1×1 convolution (initialised to channel replication, o ↦ o mod C) and a
 * batch norm. A binary Linear layer whose input and output sizes differ gets no shortcut.
 *
 * BinaryConnect's H is the layer's Glorot-uniform bound √(1.5/(fan_in + fan_out)) (fan_in =
 * C·kH·kW, fan_out = O·kH·kW), the binary values of Courbariaux et al.'s reference code; without
 * it a ±1 layer with no batch norm after it (fc1 here) multiplies its input's scale by ~√fan_in.
 * BNN needs no scale (a sign follows every binary layer), XNOR-Net and TWN learn theirs (α).
 *
 * @example The Fashion CNN with BNN layers: conv2 and fc1 binary, their inputs ±1
 * ```ts
 * import { binaryFashionCnn } from "@lowbit/binary/models";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * const net = binaryFashionCnn(1, "bnn");
 * deepEqual(net.layers.map(([n]) => n).slice(0, 4), ["conv1", "bn1", "sign1", "pool1"]);
 * deepEqual(net.forward(Variable.zeros([2, 1, 28, 28])).shape, [2, 10]);
 * ```
 *
 * @module
 */

import { Module, Sequential } from "@lowbit/nn/module";
import type { Variable } from "@lowbit/nn/autograd";
import { Conv2d } from "@lowbit/nn/conv2d";
import { Linear } from "@lowbit/nn/linear";
import { Activation } from "@lowbit/nn/layers";
import { BatchNorm1d, BatchNorm2d, BatchNormBase } from "@lowbit/nn/batchnorm";
import { Residual } from "@lowbit/nn/layers";
import { fashionCnn, mnistCnn } from "@lowbit/nn/models";
import { Philox } from "@lowbit/rounding/philox";
import { steBinarize, type SteName } from "./ste.ts";
import { binaryConnect, scaledSign, ternaryTwn } from "./weights.ts";
import {
  AbcActivation,
  AbcWeights,
  DorefaWeights,
  QuantActivation,
  TtqWeights,
} from "./method_layers.ts";

/** The training methods of {@linkcode binarizeModel}. */
export type BinaryMethod =
  | "binaryConnect"
  | "twn"
  | "bnn"
  | "xnor"
  | "ttq"
  | "dorefaW1A2"
  | "dorefaW2A2"
  | "abc"
  | "biReal"
  | "bnnPlus";

/** Every {@linkcode BinaryMethod}, in the order of the module table. */
export const BINARY_METHODS: readonly BinaryMethod[] = Object.freeze([
  "binaryConnect",
  "twn",
  "bnn",
  "xnor",
  "ttq",
  "dorefaW1A2",
  "dorefaW2A2",
  "abc",
  "biReal",
  "bnnPlus",
]);

/** The methods whose weights are {−s, +s} or {−s, 0, +s} per channel ({@linkcode WeightBinarizer}). */
const SCALED_CODE_METHODS: readonly BinaryMethod[] = [
  "binaryConnect",
  "twn",
  "bnn",
  "xnor",
  "biReal",
  "bnnPlus",
];

function checkMethod(method: BinaryMethod): BinaryMethod {
  if (!BINARY_METHODS.includes(method)) {
    throw new RangeError(`method must be one of ${BINARY_METHODS.join(", ")}; got ${method}`);
  }
  return method;
}

/**
 * Whether a method binarizes the hidden activations to ±1 (sign activations).
 *
 * @param method The method.
 * @returns True for BNN, XNOR-Net, Bi-Real and BNN+.
 * @throws {RangeError} If the method is unknown.
 *
 * @example
 * ```ts
 * import { binaryActivations } from "@lowbit/binary/models";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(["bnn", "twn", "biReal", "dorefaW1A2"].map((m) => binaryActivations(m as never)), [true, false, true, false]);
 * ```
 */
export function binaryActivations(method: BinaryMethod): boolean {
  return ["bnn", "xnor", "biReal", "bnnPlus"].includes(checkMethod(method));
}

/**
 * Whether a method replaces the hidden ReLUs by an activation quantizer (sign, DoReFa k-bit or
 * ABC-Net bases).
 *
 * @param method The method.
 * @returns True unless the method keeps float ReLU activations (BinaryConnect, TWN, TTQ).
 * @throws {RangeError} If the method is unknown.
 *
 * @example
 * ```ts
 * import { quantizedActivations } from "@lowbit/binary/models";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(["ttq", "abc", "dorefaW2A2", "xnor"].map((m) => quantizedActivations(m as never)), [false, true, true, true]);
 * ```
 */
export function quantizedActivations(method: BinaryMethod): boolean {
  return !["binaryConnect", "twn", "ttq"].includes(checkMethod(method));
}

/**
 * Whether the training recipe clips a method's latent weights after each step (BinaryConnect to
 * [−H, H]; BNN, XNOR-Net, Bi-Real and BNN+ to [−1, 1]; see {@linkcode latentBounds}).
 *
 * @param method The method.
 * @returns True for the sign-weight methods other than DoReFa.
 * @throws {RangeError} If the method is unknown.
 *
 * @example
 * ```ts
 * import { clipsLatentWeights } from "@lowbit/binary/models";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(["bnn", "twn", "ttq", "biReal"].map((m) => clipsLatentWeights(m as never)), [true, false, false, true]);
 * ```
 */
export function clipsLatentWeights(method: BinaryMethod): boolean {
  return SCALED_CODE_METHODS.includes(checkMethod(method)) && method !== "twn";
}

/**
 * The weight transform of a method for one layer: a {@linkcode WeightBinarizer} for the
 * methods with per-channel codes, else TTQ's trained scales, DoReFa's k-bit weights or
 * ABC-Net's three bases.
 *
 * @param method The method.
 * @param layer The layer (its weight sets BinaryConnect's H and TTQ's starting scales).
 * @returns The transform for `setWeightQuant`.
 * @throws {RangeError} If the method is unknown.
 *
 * @example
 * ```ts
 * import { weightTransform } from "@lowbit/binary/models";
 * import { Linear } from "@lowbit/nn/linear";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { deepEqual } from "node:assert/strict";
 * const fc = new Linear(4, 2, { random: new Philox(1) });
 * deepEqual(["xnor", "ttq", "dorefaW2A2", "abc"].map((m) => weightTransform(m as never, fc).describe()),
 *   ["WeightBinarizer(xnor)", "TtqWeights(t=0.05)", "DorefaWeights(2)", "AbcWeights(3)"]);
 * ```
 */
export function weightTransform(method: BinaryMethod, layer: Conv2d | Linear): Module {
  switch (checkMethod(method)) {
    case "ttq":
      return new TtqWeights(layer.weight);
    case "dorefaW1A2":
      return new DorefaWeights(1);
    case "dorefaW2A2":
      return new DorefaWeights(2);
    case "abc":
      return new AbcWeights(3);
    default: {
      const [fanIn, fanOut] = layer instanceof Conv2d
        ? [
          layer.weight.size / layer.outChannels,
          layer.outChannels * layer.kernel[0] * layer.kernel[1],
        ]
        : [layer.weight.shape[1], layer.weight.shape[0]];
      return new WeightBinarizer(method, Math.sqrt(1.5 / (fanIn + fanOut)));
    }
  }
}

/**
 * The hidden activation of a method (module table), or null where the ReLU stays.
 *
 * @param method The method.
 * @returns The layer that replaces a hidden ReLU.
 * @throws {RangeError} If the method is unknown.
 *
 * @example
 * ```ts
 * import { activationFor } from "@lowbit/binary/models";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(["twn", "bnn", "xnor", "biReal", "bnnPlus", "dorefaW1A2", "abc"].map((m) => activationFor(m as never)?.describe() ?? null),
 *   [null, "sign(hardTanh)", "betaSign(hardTanh)", "sign(approxSign)", "sign(signSwish)", "dorefaAct(2)", "AbcActivation(3)"]);
 * ```
 */
export function activationFor(method: BinaryMethod): Module | null {
  switch (checkMethod(method)) {
    case "bnn":
      return new SignActivation("hardTanh");
    case "xnor":
      return new SignActivation("hardTanh", true);
    case "biReal":
      return new SignActivation("approxSign");
    case "bnnPlus":
      return new SignActivation("signSwish");
    case "dorefaW1A2":
    case "dorefaW2A2":
      return new QuantActivation(2);
    case "abc":
      return new AbcActivation(3);
    default:
      return null;
  }
}

/**
 * The weight transform of a method (module table), for `setWeightQuant`.
 *
 * @example
 * ```ts
 * import { WeightBinarizer } from "@lowbit/binary/models";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * const w = Variable.from([0.5, -1.5, 2, 2], [2, 2]);
 * deepEqual([...new WeightBinarizer("xnor").forward(w).data], [1, -1, 2, 2]);
 * deepEqual([...new WeightBinarizer("bnn").forward(w).data], [1, -1, 1, 1]);
 * ```
 */
export class WeightBinarizer extends Module {
  /** The method. */
  readonly method: BinaryMethod;
  /** BinaryConnect's H (1 for the other methods). */
  readonly scale: number;

  /**
   * Makes the transform.
   *
   * @param method The method.
   * @param scale BinaryConnect's binary value H > 0 (default 1; ignored by the other methods).
   * @throws {RangeError} If the method is unknown or not one with per-channel codes (TTQ,
   *   DoReFa and ABC-Net have their own transforms, {@linkcode weightTransform}), or `scale` is
   *   not a finite number > 0.
   */
  constructor(method: BinaryMethod, scale = 1) {
    super();
    this.method = checkMethod(method);
    if (!SCALED_CODE_METHODS.includes(method)) {
      throw new RangeError(
        `method ${method} has no WeightBinarizer; use weightTransform (one of ${
          SCALED_CODE_METHODS.join(", ")
        } here)`,
      );
    }
    if (!(scale > 0) || !Number.isFinite(scale)) {
      throw new RangeError(`scale must be a finite number > 0; got ${String(scale)}`);
    }
    this.scale = method === "binaryConnect" ? scale : 1;
  }

  /**
   * Binarizes (or ternarizes) a latent weight.
   *
   * @param w `[out, …]`.
   * @returns The quantized weight, same shape.
   */
  forward(w: Variable): Variable {
    switch (this.method) {
      case "twn":
        return ternaryTwn(w);
      case "xnor":
      case "biReal":
      case "bnnPlus":
        return scaledSign(w);
      default: {
        const b = binaryConnect(w);
        return this.scale === 1 ? b : b.mulScalar(this.scale);
      }
    }
  }

  /**
   * The transform's name.
   *
   * @returns e.g. `WeightBinarizer(xnor)`.
   */
  describe(): string {
    return `WeightBinarizer(${this.method})`;
  }
}

/**
 * A sign activation: sign(x) with an STE row of `STE_RULES` backwards, or XNOR-Net's
 * β_n·sign(x) with β per sample (`scaled`).
 *
 * @example
 * ```ts
 * import { SignActivation } from "@lowbit/binary/models";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * const x = Variable.from([-0.5, 0, 2, 1], [2, 2]);
 * deepEqual([...new SignActivation("hardTanh").forward(x).data], [-1, 1, 1, 1]);
 * deepEqual([...new SignActivation("hardTanh", true).forward(x).data], [-0.25, 0.25, 1.5, 1.5]);
 * ```
 */
export class SignActivation extends Module {
  /** The STE row (unscaled form). */
  readonly rule: SteName;
  /** β per sample (XNOR-Net). */
  readonly scaled: boolean;

  /**
   * Makes the layer.
   *
   * @param rule The STE row (default `"hardTanh"`).
   * @param scaled Multiply by β_n = mean |x_n| per sample (default false).
   */
  constructor(rule: SteName = "hardTanh", scaled = false) {
    super();
    this.rule = rule;
    this.scaled = scaled;
  }

  /**
   * Binarizes.
   *
   * @param x `[N, …]`.
   * @returns ±1 (or ±β_n), same shape.
   */
  forward(x: Variable): Variable {
    return this.scaled ? scaledSign(x) : steBinarize(x, this.rule);
  }

  /**
   * The layer's name.
   *
   * @returns e.g. `sign(hardTanh)`.
   */
  describe(): string {
    return this.scaled ? `betaSign(${this.rule})` : `sign(${this.rule})`;
  }
}

/** Which layers of a model {@linkcode binarizeModel} changes. */
export interface BinarizePlan {
  /** Hidden Conv2d/Linear layers whose weights are binarized (first and last excluded). */
  layers: readonly string[];
  /**
   * Activation layers replaced by the method's activation quantizer (methods with quantized
   * activations; Bi-Real drops them, its blocks' signs being the nonlinearity). XNOR-Net
   * replaces only those whose next Conv2d/Linear is binarized: its block is BN → BinActiv →
   * BinConv → Pool (Rastegari et al. 2016, §3.2, Fig. 3), so a real layer (the last) reads the
   * real-valued activation of the float network.
   */
  activations: readonly string[];
  /**
   * Linear layers after which methods with quantized activations insert a `BatchNorm1d` named
   * `bn_<layer>` (BNN and XNOR-Net put batch norm after every binary layer: without it the
   * sign's hard-tanh STE sees a sum of K ±1 products, |x| ≫ 1, and cancels the gradient).
   */
  batchNormAfter?: readonly string[];
}

/**
 * Makes the binary version of a float model: a new Sequential over the same layer objects,
 * with weight transforms ({@linkcode weightTransform}) on `plan.layers` and, for the methods
 * with quantized activations, `plan.activations` replaced by {@linkcode activationFor} layers
 * named `sign<i>` (sign activations) or `act<i>` (the others) for `relu<i>`, else
 * `sign_<name>` / `act_<name>`. For Bi-Real the activations are dropped and each binary layer
 * becomes a block `block_<layer>` (module doc).
 *
 * @param model The float model (its layers are reused, not copied).
 * @param method The method.
 * @param plan The layers to change.
 * @returns The binary model.
 * @throws {RangeError} If a named layer is missing or of the wrong kind.
 *
 * @example
 * ```ts
 * import { binarizeModel } from "@lowbit/binary/models";
 * import { mnistCnn } from "@lowbit/nn/models";
 * import { deepEqual } from "node:assert/strict";
 * const net = binarizeModel(mnistCnn(1), "twn", { layers: ["conv2"], activations: [] });
 * deepEqual(net.namedParameters().length, mnistCnn(1).namedParameters().length);
 * const ttq = binarizeModel(mnistCnn(1), "ttq", { layers: ["conv2"], activations: [] });
 * deepEqual(ttq.namedParameters().length, mnistCnn(1).namedParameters().length + 2); // W_p, W_n
 * ```
 */
export function binarizeModel(
  model: Sequential,
  method: BinaryMethod,
  plan: BinarizePlan,
): Sequential {
  checkMethod(method);
  const names = new Set(model.layers.map(([n]) => n));
  for (const n of [...plan.layers, ...plan.activations]) {
    if (!names.has(n)) throw new RangeError(`plan names layer "${n}", which the model lacks`);
  }
  const acts = quantizedActivations(method);
  const order = model.layers.map(([n]) => n);
  /** XNOR-Net binarizes only inputs of binary layers (its block: BN → BinActiv → BinConv → Pool). */
  const feedsBinaryLayer = (name: string): boolean => {
    for (const [n, m] of model.layers.slice(order.indexOf(name) + 1)) {
      if (m instanceof Conv2d || m instanceof Linear) return plan.layers.includes(n);
    }
    return false;
  };
  const entries: (readonly [string, Module])[] = [];
  for (const [name, m] of model.layers) {
    const e = convert(name, m);
    if (e !== null) entries.push(e);
    if (acts && plan.batchNormAfter?.includes(name)) {
      if (!(m instanceof Linear)) {
        throw new RangeError(`plan.batchNormAfter: "${name}" is ${m.describe()}, not Linear`);
      }
      entries.push([`bn_${name}`, new BatchNorm1d(m.weight.shape[0])]);
    }
  }
  return new Sequential(method === "biReal" ? biRealBlocks(entries, plan.layers) : entries);

  function convert(name: string, m: Module): readonly [string, Module] | null {
    if (plan.layers.includes(name)) {
      if (!(m instanceof Conv2d || m instanceof Linear)) {
        throw new RangeError(`plan.layers: "${name}" is ${m.describe()}, not Conv2d/Linear`);
      }
      m.setWeightQuant(weightTransform(method, m));
      return [name, m] as const;
    }
    if (acts && plan.activations.includes(name)) {
      if (!(m instanceof Activation)) {
        throw new RangeError(`plan.activations: "${name}" is ${m.describe()}, not an activation`);
      }
      if (method === "biReal") return null;
      if (method === "xnor" && !feedsBinaryLayer(name)) return [name, m] as const;
      const a = activationFor(method)!;
      const kind = a instanceof SignActivation ? "sign" : "act";
      const renamed = /^relu(\d+)$/.test(name) ? `${kind}${name.slice(4)}` : `${kind}_${name}`;
      return [renamed, a] as const;
    }
    return [name, m] as const;
  }
}

/** Bi-Real: [sign, layer, batch norm?] per binary layer, with the real shortcut (module doc). */
function biRealBlocks(
  entries: readonly (readonly [string, Module])[],
  layers: readonly string[],
): (readonly [string, Module])[] {
  const out: (readonly [string, Module])[] = [];
  for (let i = 0; i < entries.length; i++) {
    const [name, m] = entries[i];
    if (!layers.includes(name)) {
      out.push(entries[i]);
      continue;
    }
    const body: (readonly [string, Module])[] = [["sign", activationFor("biReal")!], [name, m]];
    const next = entries[i + 1];
    if (next !== undefined && next[1] instanceof BatchNormBase) {
      body.push(next);
      i++;
    }
    let shortcut: Module | undefined;
    if (m instanceof Conv2d) {
      const stride = m.options.stride ?? 1;
      const strided = typeof stride === "number" ? stride !== 1 : stride.some((v) => v !== 1);
      if (m.inChannels !== m.outChannels || strided) {
        const proj = new Conv2d(m.inChannels, m.outChannels, 1, {
          random: new Philox(0),
          stride,
          bias: false,
        });
        const C = m.inChannels;
        proj.weight.data.fill(0);
        for (let o = 0; o < m.outChannels; o++) proj.weight.data[o * C + (o % C)] = 1;
        shortcut = new Sequential([["conv", proj], ["bn", new BatchNorm2d(m.outChannels)]]);
      }
    } else if ((m as Linear).weight.shape[0] !== (m as Linear).weight.shape[1]) {
      out.push([`sign_${name}`, body[0][1]], ...body.slice(1));
      continue;
    }
    out.push([`block_${name}`, new Residual(new Sequential(body), shortcut)]);
  }
  return out;
}

/**
 * The plan of the Fashion CNN: conv2 and fc1 binary; conv1 and fc2 stay float; BNN and
 * XNOR-Net get a batch norm `bn_fc1` after fc1 (the float CNN has none there).
 */
export const FASHION_CNN_PLAN: BinarizePlan = Object.freeze({
  layers: Object.freeze(["conv2", "fc1"]),
  activations: Object.freeze(["relu1", "relu2", "relu3"]),
  batchNormAfter: Object.freeze(["fc1"]),
});

/** The plan of the MNIST CNN: conv2 binary; conv1 and fc stay float. */
export const MNIST_CNN_PLAN: BinarizePlan = Object.freeze({
  layers: Object.freeze(["conv2"]),
  activations: Object.freeze(["relu1", "relu2"]),
});

/**
 * `fashionCnn(seed)` binarized by {@linkcode FASHION_CNN_PLAN}.
 *
 * @param seed Initialisation seed.
 * @param method The method.
 * @returns The model.
 *
 * @example
 * ```ts
 * import { binaryFashionCnn } from "@lowbit/binary/models";
 * import { equal } from "node:assert/strict";
 * equal(binaryFashionCnn(1, "twn").layers.length, 12);
 * equal(binaryFashionCnn(1, "bnn").layers[10][0], "bn_fc1");
 * ```
 */
export function binaryFashionCnn(seed: number, method: BinaryMethod): Sequential {
  return binarizeModel(fashionCnn(seed), method, FASHION_CNN_PLAN);
}

/**
 * `mnistCnn(seed, channels)` binarized by {@linkcode MNIST_CNN_PLAN}.
 *
 * @param seed Initialisation seed.
 * @param method The method.
 * @param channels Output channels of conv1 and conv2 (default `[8, 16]`, `mnistCnn`'s).
 * @returns The model.
 *
 * @example The default widths, and a 2×-wide BNN (conv2 32 → 64 channels, fc reads 64·7·7)
 * ```ts
 * import { binaryMnistCnn } from "@lowbit/binary/models";
 * import { deepEqual, equal } from "node:assert/strict";
 * equal(binaryMnistCnn(1, "xnor").layers[2][0], "sign1");
 * const wide = binaryMnistCnn(1, "bnn", [32, 64]);
 * deepEqual(wide.parameters().map((p) => p.shape).filter((s) => s.length > 1),
 *   [[32, 1, 5, 5], [64, 32, 5, 5], [10, 3136]]);
 * ```
 */
export function binaryMnistCnn(
  seed: number,
  method: BinaryMethod,
  channels: readonly [number, number] = [8, 16],
): Sequential {
  return binarizeModel(mnistCnn(seed, channels), method, MNIST_CNN_PLAN);
}

/**
 * The latent weights of the binarized layers (the ones to clip for BinaryConnect, BNN and
 * XNOR-Net, or to give to Bop).
 *
 * @param model A model from {@linkcode binarizeModel}.
 * @returns The weights with a {@linkcode WeightBinarizer}.
 *
 * @example
 * ```ts
 * import { binarizedWeights, binaryFashionCnn } from "@lowbit/binary/models";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(binarizedWeights(binaryFashionCnn(1, "bnn")).map((w) => w.shape), [[32, 16, 3, 3], [128, 1568]]);
 * ```
 */
export function binarizedWeights(model: Sequential): Variable[] {
  return binarizedLayers(model).map(([, m]) => m.weight);
}

/**
 * The clipping bounds of {@linkcode binarizedWeights}, in the same order: H for BinaryConnect
 * (its reference code clips to [−H, H]), 1 otherwise (BNN, XNOR-Net).
 *
 * @param model A model from {@linkcode binarizeModel}.
 * @returns One bound per binarized weight.
 *
 * @example
 * ```ts
 * import { binaryFashionCnn, latentBounds } from "@lowbit/binary/models";
 * import { ok } from "node:assert/strict";
 * const [conv2, fc1] = latentBounds(binaryFashionCnn(1, "binaryConnect"));
 * ok(Math.abs(conv2 - Math.sqrt(1.5 / (144 + 288))) < 1e-12 && Math.abs(fc1 - Math.sqrt(1.5 / (1568 + 128))) < 1e-12);
 * ```
 */
export function latentBounds(model: Sequential): number[] {
  return binarizedLayers(model).map(([, m]) => (m.weightQuant as WeightBinarizer).scale);
}

function binarizedLayers(model: Module): [string, Conv2d | Linear][] {
  const out: [string, Conv2d | Linear][] = [];
  const walk = (prefix: string, m: Module) => {
    for (const [name, c] of m.namedChildren()) {
      const path = prefix === "" ? name : `${prefix}.${name}`;
      if (
        (c instanceof Conv2d || c instanceof Linear) && c.weightQuant instanceof WeightBinarizer
      ) {
        out.push([path, c]);
      } else walk(path, c);
    }
  };
  walk("", model);
  return out;
}
