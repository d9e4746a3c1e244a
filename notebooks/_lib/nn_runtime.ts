/**
 * The bridge between `@lowbit/nn` and `@lowbit/runtime` for the notebooks: a trained
 * `Sequential` described as the runtime's `FloatModel` (the input of `convertModel` and
 * `agreementReport`), and dataset images as the runtime's normalised float tensors.
 *
 * Neither package imports the other (DESIGN.md §2), and `scripts/runtime_agreement.ts` keeps
 * its own copy of this mapping inside a script, so notebook 04 has it here. Layers map one to
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
  type Dataset,
  Flatten,
  GlobalAvgPool,
  Linear,
  MaxPool2d,
  ReLU,
  ReLU6,
  type Sequential,
} from "@lowbit/nn";
import type { FloatLayer, FloatModel, FloatTensor } from "@lowbit/runtime";

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

/**
 * Images `[from, from + count)` of a dataset as a normalised float tensor
 * `[count, C, H, W]`, x = (byte/255 − mean)/std computed exactly as `@lowbit/nn`'s `batches`
 * does (byte·(1/(255·std)) − mean/std, stored as float32), so both packages see the same
 * inputs bit for bit.
 *
 * @param ds The dataset.
 * @param from First image.
 * @param count Number of images.
 * @param norm Mean and standard deviation.
 * @returns The tensor.
 * @throws {RangeError} If the range is outside the dataset or std is not positive.
 *
 * @example
 * ```ts
 * import { imagesTensor } from "./nn_runtime.ts";
 * import { deepEqual } from "node:assert/strict";
 * const ds = { name: "toy", images: new Uint8Array([0, 255, 51, 102]), labels: new Uint8Array([0, 1, 1, 0]), count: 4, channels: 1, height: 1, width: 1, classes: 2 };
 * const t = imagesTensor(ds, 1, 2, { mean: 0, std: 1 });
 * deepEqual([[...t.data], t.shape], [[1, 0.20000000298023224], [2, 1, 1, 1]]);
 * ```
 */
export function imagesTensor(
  ds: Dataset,
  from: number,
  count: number,
  norm: { mean: number; std: number },
): FloatTensor {
  if (!Number.isInteger(from) || !Number.isInteger(count) || from < 0 || count < 1) {
    throw new RangeError(`from and count must be integers ≥ 0 and ≥ 1; got ${from}, ${count}`);
  }
  if (from + count > ds.count) {
    throw new RangeError(`images [${from}, ${from + count}) exceed the ${ds.count} of ${ds.name}`);
  }
  if (!(norm.std > 0)) throw new RangeError(`norm.std must be > 0; got ${norm.std}`);
  const per = ds.channels * ds.height * ds.width;
  const a = 1 / (255 * norm.std), b = -norm.mean / norm.std;
  const data = new Float32Array(count * per);
  for (let i = 0; i < data.length; i++) data[i] = ds.images[from * per + i] * a + b;
  return { data, shape: [count, ds.channels, ds.height, ds.width] };
}
