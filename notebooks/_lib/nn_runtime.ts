/**
 * The bridge between `@lowbit/nn` and `@lowbit/runtime` for the notebooks: a trained
 * `Sequential` described as the runtime's `FloatModel` (the input of `convertModel` and
 * `agreementReport`). Dataset images as normalised float tensors moved to `@lowbit/nn`
 * (`imagesTensor`, re-exported here).
 *
 * Neither package imports the other (DESIGN.md §2), so notebook 04 and
 * `scripts/runtime_agreement.ts` share the mapping from here. Layers map one to
 * one (same names): Conv2d, BatchNorm1d/2d (running statistics), Linear, ReLU, ReLU6, Flatten,
 * GlobalAvgPool and unpadded MaxPool2d/AvgPool2d; anything else is rejected with a RangeError
 * naming the layer.
 *
 * @module
 */

import {
  AvgPool2d,
  BatchNormBase,
  Conv2d,
  Flatten,
  GlobalAvgPool,
  Linear,
  MaxPool2d,
  ReLU,
  ReLU6,
  type Sequential,
} from "@lowbit/nn";
import type { FloatLayer, FloatModel } from "@lowbit/runtime";

type Pair = number | readonly number[] | undefined;

function pair(p: Pair): number | [number, number] | undefined {
  return p === undefined || typeof p === "number" ? p : [p[0], p[1]];
}

function pad4(p: Pair): number | [number, number, number, number] | undefined {
  if (p === undefined || typeof p === "number") return p;
  return p.length === 2 ? [p[0], p[1], p[0], p[1]] : [p[0], p[1], p[2], p[3]];
}

function unpadded(name: string, p: Pair): void {
  const zero = p === undefined || (typeof p === "number" ? p === 0 : p.every((v) => v === 0));
  if (!zero) {
    throw new RangeError(
      `layer "${name}": padded pooling is not mapped (the packages differ on padded windows); got padding ${
        String(p)
      }`,
    );
  }
}

/**
 * Describes an `@lowbit/nn` Sequential (evaluation semantics) as a runtime `FloatModel`.
 * Arrays are shared with the module, not copied.
 *
 * @param model The trained model.
 * @param inputShape One sample's shape, e.g. `[1, 28, 28]`.
 * @returns The float model description, layer names kept.
 * @throws {RangeError} On a layer without a runtime counterpart (the message names it).
 *
 * @example
 * ```ts
 * import { Linear, ReLU, Sequential } from "@lowbit/nn";
 * import { Philox } from "@lowbit/rounding";
 * import { deepEqual } from "node:assert/strict";
 * import { runtimeModelOf } from "./nn_runtime.ts";
 * const net = new Sequential([["fc", new Linear(3, 2, { random: new Philox(1) })], ["act", new ReLU()]]);
 * deepEqual(runtimeModelOf(net, [3]).layers.map((l) => l.kind), ["linear", "relu"]);
 * ```
 */
export function runtimeModelOf(model: Sequential, inputShape: readonly number[]): FloatModel {
  const layers = model.layers.map(([name, m]): FloatLayer => {
    if (m instanceof Conv2d) {
      const [o, c, kh, kw] = m.weight.shape;
      return {
        kind: "conv2d",
        name,
        weight: m.weight.data,
        weightShape: [o, c, kh, kw],
        bias: m.bias?.data,
        stride: pair(m.options.stride),
        padding: pad4(m.options.padding),
        dilation: pair(m.options.dilation),
        groups: m.options.groups,
      };
    }
    if (m instanceof BatchNormBase) {
      return {
        kind: "batchnorm",
        name,
        gamma: m.weight.data,
        beta: m.bias.data,
        mean: m.runningMean.data,
        variance: m.runningVar.data,
        eps: m.eps,
      };
    }
    if (m instanceof Linear) {
      return {
        kind: "linear",
        name,
        weight: m.weight.data,
        outFeatures: m.outFeatures,
        bias: m.bias?.data,
      };
    }
    if (m instanceof ReLU) return { kind: "relu", name };
    if (m instanceof ReLU6) return { kind: "relu6", name };
    if (m instanceof Flatten) return { kind: "flatten", name };
    if (m instanceof GlobalAvgPool) return { kind: "globalavgpool", name };
    if (m instanceof MaxPool2d || m instanceof AvgPool2d) {
      unpadded(name, m.options.padding);
      return {
        kind: m instanceof MaxPool2d ? "maxpool2d" : "avgpool2d",
        name,
        kernel: pair(m.options.kernel)!,
        stride: pair(m.options.stride),
      };
    }
    throw new RangeError(`layer "${name}" (${m.constructor.name}) has no runtime equivalent`);
  });
  return { inputShape: [...inputShape], layers };
}

/** Re-exported from `@lowbit/nn` (its home now) for notebook 04's import of this module. */
export { imagesTensor } from "@lowbit/nn";
