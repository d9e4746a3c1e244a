/**
 * Compact files for trained binary and ternary models: the binarized layers' weights are stored
 * as int8 codes in {−1, 0, +1} (`<layer>.weight`, safetensors `I8`) with a float scale per
 * output channel (`<layer>.weight_scale`, `F32`: 1 for BinaryConnect/BNN, α_o for XNOR-Net,
 * TWN's α repeated), everything else as F32. The latent float weights are not kept: loading
 * sets the latent weight to scale·code, which the method's quantizer maps back onto the same
 * quantized weight (sign(±1) = ±1; XNOR's α = mean |α·code| = α; TWN's Δ = 0.7·E|α·t| < α
 * keeps every nonzero and α), so the loaded model computes what the trained one did. Layers
 * with the other transforms (TTQ's W_p/W_n, DoReFa's k-bit and ABC-Net's multi-basis weights)
 * and layers nested inside blocks (Bi-Real's residual blocks) are not {−s, 0, s} per channel
 * at the top level and keep their F32 latent weights, with the transforms' trained parameters.
 *
 * @example A round trip reproduces the quantized weights exactly
 * ```ts
 * import { decodeBinaryModel, encodeBinaryModel } from "@lowbit/binary/io";
 * import { binaryMnistCnn } from "@lowbit/binary/models";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * const a = binaryMnistCnn(1, "xnor"), b = binaryMnistCnn(2, "xnor");
 * decodeBinaryModel(b, encodeBinaryModel(a));
 * const x = Variable.from(Array.from({ length: 784 }, (_, i) => Math.sin(i)), [1, 1, 28, 28]);
 * a.eval();
 * b.eval();
 * deepEqual([...b.forward(x).data], [...a.forward(x).data]);
 * ```
 *
 * @module
 */

import { noGrad } from "@lowbit/nn/autograd";
import { Conv2d } from "@lowbit/nn/conv2d";
import { Linear } from "@lowbit/nn/linear";
import type { Sequential, StateDict } from "@lowbit/nn/module";
import { decodeSafetensors, encodeSafetensors, type SafeTensor } from "@lowbit/nn/safetensors";
import { WeightBinarizer } from "./models.ts";

/** A binarized layer's weight as codes and per-output-channel scales. */
export interface BinaryWeight {
  /** Codes in {−1, 0, +1}, the weight's shape (`[out, …]`). */
  codes: Int8Array;
  /** The weight's shape. */
  shape: readonly number[];
  /** One scale per output channel. */
  scale: Float32Array;
}

/**
 * The quantized weight of a layer with a {@linkcode WeightBinarizer}, as codes and scales.
 *
 * @param layer A Conv2d or Linear layer whose weight transform is a WeightBinarizer.
 * @returns Codes and scales with code·scale equal to the quantized weight.
 * @throws {RangeError} If the layer has no WeightBinarizer, or its quantized weight is not
 *   {−s_o, 0, s_o} per output channel.
 *
 * @example
 * ```ts
 * import { binaryWeight } from "@lowbit/binary/io";
 * import { binaryFashionCnn } from "@lowbit/binary/models";
 * import { Conv2d } from "@lowbit/nn/conv2d";
 * import { ok } from "node:assert/strict";
 * const conv2 = binaryFashionCnn(1, "xnor").layers[4][1] as Conv2d;
 * const { codes, scale } = binaryWeight(conv2);
 * ok(codes.every((c) => c === 1 || c === -1) && scale.length === 32);
 * ```
 */
export function binaryWeight(layer: Conv2d | Linear): BinaryWeight {
  const fq = layer.weightQuant;
  if (!(fq instanceof WeightBinarizer)) {
    throw new RangeError(`${layer.describe()} has no WeightBinarizer weight transform`);
  }
  const q = noGrad(() => fq.forward(layer.weight)).data;
  const shape = layer.weight.shape, rows = shape[0], n = q.length / rows;
  const codes = new Int8Array(q.length), scale = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let j = r * n; j < (r + 1) * n; j++) s = Math.max(s, Math.abs(q[j]));
    scale[r] = s;
    for (let j = r * n; j < (r + 1) * n; j++) {
      const v = q[j];
      if (v !== 0 && Math.abs(v) !== s) {
        throw new RangeError(
          `${layer.describe()}: quantized weight ${v} in channel ${r} is not 0 or ±${s}`,
        );
      }
      codes[j] = v === 0 ? 0 : v > 0 ? 1 : -1;
    }
  }
  return { codes, shape, scale };
}

function binarized(model: Sequential): Map<string, Conv2d | Linear> {
  const out = new Map<string, Conv2d | Linear>();
  for (const [name, m] of model.layers) {
    if ((m instanceof Conv2d || m instanceof Linear) && m.weightQuant instanceof WeightBinarizer) {
      out.set(name, m);
    }
  }
  return out;
}

/**
 * Encodes a binary model as safetensors bytes (module doc).
 *
 * @param model A model from `binarizeModel`.
 * @param metadata Optional string metadata.
 * @returns The file's bytes.
 *
 * @example
 * ```ts
 * import { encodeBinaryModel } from "@lowbit/binary/io";
 * import { binaryFashionCnn } from "@lowbit/binary/models";
 * import { ok } from "node:assert/strict";
 * ok(encodeBinaryModel(binaryFashionCnn(1, "bnn")).length < 300_000); // f32 would be 0.9 MB
 * ```
 */
export function encodeBinaryModel(
  model: Sequential,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  const layers = binarized(model);
  const tensors = new Map<string, SafeTensor>();
  for (const [n, t] of model.stateDict()) {
    const layer = n.endsWith(".weight") ? layers.get(n.slice(0, -7)) : undefined;
    if (layer === undefined) {
      tensors.set(n, { dtype: "F32", shape: t.shape, data: t.data });
      continue;
    }
    const w = binaryWeight(layer);
    tensors.set(n, { dtype: "I8", shape: w.shape, data: w.codes });
    tensors.set(`${n}_scale`, { dtype: "F32", shape: [w.scale.length], data: w.scale });
  }
  return encodeSafetensors(tensors, metadata);
}

/**
 * Loads bytes from {@linkcode encodeBinaryModel} into a model of the same architecture and
 * method (latent weights set to scale·code).
 *
 * @param model The model to fill (from `binarizeModel` with the same plan and method).
 * @param bytes The file's bytes.
 * @returns The file's metadata.
 * @throws {RangeError} If a tensor is missing, unexpected or of the wrong shape or dtype.
 *
 * @example
 * ```ts
 * import { decodeBinaryModel, encodeBinaryModel } from "@lowbit/binary/io";
 * import { binaryFashionCnn } from "@lowbit/binary/models";
 * import { deepEqual } from "node:assert/strict";
 * const bytes = encodeBinaryModel(binaryFashionCnn(1, "twn"), { seed: "1" });
 * deepEqual(decodeBinaryModel(binaryFashionCnn(2, "twn"), bytes), { seed: "1" });
 * ```
 */
export function decodeBinaryModel(model: Sequential, bytes: Uint8Array): Record<string, string> {
  const { tensors, metadata } = decodeSafetensors(bytes);
  const layers = binarized(model);
  const sd: StateDict = new Map();
  for (const [n, t] of tensors) {
    if (n.endsWith(".weight_scale") && layers.has(n.slice(0, -13))) continue;
    const layer = n.endsWith(".weight") ? layers.get(n.slice(0, -7)) : undefined;
    if (layer === undefined) {
      if (t.dtype !== "F32") throw new RangeError(`tensor "${n}" is ${t.dtype}; expected F32`);
      sd.set(n, { data: t.data as Float32Array, shape: t.shape });
      continue;
    }
    const s = tensors.get(`${n}_scale`);
    if (t.dtype !== "I8" || s === undefined || s.dtype !== "F32") {
      throw new RangeError(`tensor "${n}" must be I8 codes with an F32 "${n}_scale"`);
    }
    const codes = t.data as Int8Array, scale = s.data as Float32Array;
    const rows = t.shape[0], per = codes.length / rows;
    if (scale.length !== rows) {
      throw new RangeError(`"${n}_scale" has ${scale.length} entries for ${rows} channels`);
    }
    sd.set(n, {
      data: Float32Array.from(codes, (c, i) => c * scale[Math.floor(i / per)]),
      shape: t.shape,
    });
  }
  model.loadStateDict(sd);
  return metadata;
}
