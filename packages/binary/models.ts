/**
 * Binary and ternary versions of the reference CNNs of `@lowbit/nn/models`, as the papers train
 * them: the first and the last layer stay in float (BinaryConnect, BNN, XNOR-Net and TWN all
 * keep them), the hidden layers get a weight transform (installed with `setWeightQuant`, so the
 * latent float weight is what the optimizer updates), and for the methods with binary
 * activations the hidden ReLUs become sign activations.
 *
 * | method          | hidden weights                          | hidden activations                      |
 * | --------------- | --------------------------------------- | --------------------------------------- |
 * | `binaryConnect` | H·sign(W), identity STE (latent clipped to [−H, H]) | ReLU (float)                |
 * | `twn`           | α·t(W), Δ = 0.7·E\|W\| (per tensor)     | ReLU (float)                            |
 * | `bnn`           | sign(W), identity STE (latent clipped)  | sign(x), hard-tanh STE                  |
 * | `xnor`          | α_o·sign(W), α per output channel       | β_n·sign(x), β per sample (`scaledSign`) |
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
import { BatchNorm1d } from "@lowbit/nn/batchnorm";
import { fashionCnn, mnistCnn } from "@lowbit/nn/models";
import { steBinarize, type SteName } from "./ste.ts";
import { binaryConnect, scaledSign, ternaryTwn } from "./weights.ts";

/** The training methods of {@linkcode binarizeModel}. */
export type BinaryMethod = "binaryConnect" | "twn" | "bnn" | "xnor";

/** Every {@linkcode BinaryMethod}, in the order of the module table. */
export const BINARY_METHODS: readonly BinaryMethod[] = Object.freeze([
  "binaryConnect",
  "twn",
  "bnn",
  "xnor",
]);

function checkMethod(method: BinaryMethod): BinaryMethod {
  if (!BINARY_METHODS.includes(method)) {
    throw new RangeError(`method must be one of ${BINARY_METHODS.join(", ")}; got ${method}`);
  }
  return method;
}

/** Whether a method binarizes the hidden activations too. */
export function binaryActivations(method: BinaryMethod): boolean {
  return checkMethod(method) === "bnn" || method === "xnor";
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
   * @throws {RangeError} If the method is unknown or `scale` is not a finite number > 0.
   */
  constructor(method: BinaryMethod, scale = 1) {
    super();
    this.method = checkMethod(method);
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
  /** Activation layers replaced by sign activations (methods with binary activations). */
  activations: readonly string[];
  /**
   * Linear layers after which methods with binary activations insert a `BatchNorm1d` named
   * `bn_<layer>` (BNN and XNOR-Net put batch norm after every binary layer: without it the
   * sign's hard-tanh STE sees a sum of K ±1 products, |x| ≫ 1, and cancels the gradient).
   */
  batchNormAfter?: readonly string[];
}

/**
 * Makes the binary version of a float model: a new Sequential over the same layer objects,
 * with weight transforms on `plan.layers` and, for BNN and XNOR-Net, `plan.activations`
 * replaced by {@linkcode SignActivation}s named `sign<i>` (for `relu<i>`) or `sign_<name>`.
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
  const acts = binaryActivations(method);
  const entries: (readonly [string, Module])[] = [];
  for (const [name, m] of model.layers) {
    entries.push(convert(name, m));
    if (acts && plan.batchNormAfter?.includes(name)) {
      if (!(m instanceof Linear)) {
        throw new RangeError(`plan.batchNormAfter: "${name}" is ${m.describe()}, not Linear`);
      }
      entries.push([`bn_${name}`, new BatchNorm1d(m.weight.shape[0])]);
    }
  }
  return new Sequential(entries);

  function convert(name: string, m: Module): readonly [string, Module] {
    if (plan.layers.includes(name)) {
      if (!(m instanceof Conv2d || m instanceof Linear)) {
        throw new RangeError(`plan.layers: "${name}" is ${m.describe()}, not Conv2d/Linear`);
      }
      const [fanIn, fanOut] = m instanceof Conv2d
        ? [m.weight.size / m.outChannels, m.outChannels * m.kernel[0] * m.kernel[1]]
        : [m.weight.shape[1], m.weight.shape[0]];
      m.setWeightQuant(new WeightBinarizer(method, Math.sqrt(1.5 / (fanIn + fanOut))));
      return [name, m] as const;
    }
    if (acts && plan.activations.includes(name)) {
      if (!(m instanceof Activation)) {
        throw new RangeError(`plan.activations: "${name}" is ${m.describe()}, not an activation`);
      }
      const renamed = /^relu(\d+)$/.test(name) ? `sign${name.slice(4)}` : `sign_${name}`;
      return [renamed, new SignActivation("hardTanh", method === "xnor")] as const;
    }
    return [name, m] as const;
  }
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
 * `mnistCnn(seed)` binarized by {@linkcode MNIST_CNN_PLAN}.
 *
 * @param seed Initialisation seed.
 * @param method The method.
 * @returns The model.
 *
 * @example
 * ```ts
 * import { binaryMnistCnn } from "@lowbit/binary/models";
 * import { equal } from "node:assert/strict";
 * equal(binaryMnistCnn(1, "xnor").layers[2][0], "sign1");
 * ```
 */
export function binaryMnistCnn(seed: number, method: BinaryMethod): Sequential {
  return binarizeModel(mnistCnn(seed), method, MNIST_CNN_PLAN);
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

function binarizedLayers(model: Sequential): [string, Conv2d | Linear][] {
  const out: [string, Conv2d | Linear][] = [];
  for (const [name, m] of model.layers) {
    if ((m instanceof Conv2d || m instanceof Linear) && m.weightQuant instanceof WeightBinarizer) {
      out.push([name, m]);
    }
  }
  return out;
}
