/**
 * Weight codes on disk: the learned integer weights of `adaround` (or any precomputed
 * `QuantizedWeight` per node) written to and read from a safetensors file, so a slow
 * optimisation runs once and later quantizations reuse it through `quantizeStatic`'s `nodes`
 * option. `checkWeightCodes` still checks every code against the graph's weight when it is
 * used.
 *
 * Layout: for node `n`, tensors `n/codes` (I8, the weight's shape), `n/scale` (F32) and
 * `n/zero_point` (I32, same shape as the scale); the metadata key `lowbit.weight_codes` holds
 * `{ [n]: { dtype, axis? } }` (the code type and per-channel axis of the grid); other string
 * metadata is kept as given.
 *
 * @module
 */

import type { QuantGrid } from "@lowbit/graph";
import { decodeSafetensors, encodeSafetensors, type SafeTensor } from "@lowbit/nn/safetensors";
import type { NodeOverride } from "./static.ts";
import type { QuantizedWeight } from "./weights.ts";

const KEY = "lowbit.weight_codes";

/** What {@linkcode decodeWeightCodes} read. */
export interface WeightCodesFile {
  /** The codes by node name. */
  weights: Map<string, QuantizedWeight>;
  /** `{ [node]: { weightCodes } }`, ready for `quantizeStatic`'s `nodes` option. */
  overrides: Record<string, NodeOverride>;
  /** The file's other metadata. */
  metadata: Record<string, string>;
}

/**
 * Serializes weight codes by node to safetensors bytes.
 *
 * @param weights Codes by node name (e.g. `adaround(...).weights`).
 * @param metadata Extra string metadata (e.g. the command and seed that produced them).
 * @returns The file's bytes.
 * @throws {RangeError} If a node name contains `/`, codes are not int8/int4 in an Int8Array, or
 *   `metadata` uses the reserved key.
 *
 * @example Round trip of a 2×2 per-channel grid
 * ```ts
 * import { decodeWeightCodes, encodeWeightCodes } from "@lowbit/ptq/weight-codes-file";
 * import { quantizeWeight } from "@lowbit/ptq/weights";
 * import { tensor } from "@lowbit/graph";
 * import { deepEqual } from "node:assert/strict";
 * const q = quantizeWeight(tensor("float32", [2, 2], [1, -2, 0.5, 0.25]), 0, { bits: 4 });
 * const back = decodeWeightCodes(encodeWeightCodes(new Map([["fc", q]]), { seed: "0" }));
 * deepEqual(back.weights.get("fc"), q);
 * deepEqual(back.metadata, { seed: "0" });
 * ```
 */
export function encodeWeightCodes(
  weights: ReadonlyMap<string, QuantizedWeight>,
  metadata: Readonly<Record<string, string>> = {},
): Uint8Array {
  if (KEY in metadata) throw new RangeError(`metadata must not use the reserved key ${KEY}`);
  const tensors = new Map<string, SafeTensor>();
  const grids: Record<string, { dtype: QuantGrid["dtype"]; axis?: number }> = {};
  for (const [node, q] of weights) {
    if (node.includes("/")) {
      throw new RangeError(`weights: node name "${node}" must not contain "/"`);
    }
    if (
      (q.codes.dtype !== "int8" && q.codes.dtype !== "int4") || !(q.codes.data instanceof Int8Array)
    ) {
      throw new RangeError(`weights: node ${node}: codes must be int8 or int4 in an Int8Array`);
    }
    tensors.set(`${node}/codes`, { dtype: "I8", shape: [...q.codes.shape], data: q.codes.data });
    tensors.set(`${node}/scale`, {
      dtype: "F32",
      shape: [...q.scale.shape],
      data: q.scale.data as Float32Array,
    });
    tensors.set(`${node}/zero_point`, {
      dtype: "I32",
      shape: [...q.zeroPoint.shape],
      data: Int32Array.from(q.zeroPoint.data as ArrayLike<number>),
    });
    grids[node] = {
      dtype: q.grid.dtype,
      ...(q.grid.axis !== undefined ? { axis: q.grid.axis } : {}),
    };
  }
  return encodeSafetensors(tensors, { ...metadata, [KEY]: JSON.stringify(grids) });
}

/**
 * Reads weight codes written by {@linkcode encodeWeightCodes}.
 *
 * @param bytes The file's bytes.
 * @returns The codes by node, the matching `quantizeStatic` overrides and the other metadata.
 * @throws {RangeError} If the file is not safetensors, lacks the `lowbit.weight_codes`
 *   metadata, or a node's codes, scale or zero point is missing or has the wrong dtype.
 *
 * @example A file without weight codes is rejected
 * ```ts
 * import { decodeWeightCodes } from "@lowbit/ptq/weight-codes-file";
 * import { encodeSafetensors } from "@lowbit/nn/safetensors";
 * import { throws } from "node:assert/strict";
 * throws(() => decodeWeightCodes(encodeSafetensors(new Map())), /lowbit\.weight_codes/);
 * ```
 */
export function decodeWeightCodes(bytes: Uint8Array): WeightCodesFile {
  const { tensors, metadata } = decodeSafetensors(bytes);
  const raw = metadata[KEY];
  if (raw === undefined) {
    throw new RangeError(`bytes: no ${KEY} metadata; not a weight-codes file`);
  }
  const grids = JSON.parse(raw) as Record<string, { dtype: QuantGrid["dtype"]; axis?: number }>;
  const weights = new Map<string, QuantizedWeight>();
  const overrides: Record<string, NodeOverride> = {};
  for (const [node, g] of Object.entries(grids)) {
    const get = (part: string, dtype: string) => {
      const t = tensors.get(`${node}/${part}`);
      if (t === undefined || t.dtype !== dtype) {
        throw new RangeError(`bytes: node ${node}: ${part} is missing or not ${dtype}`);
      }
      return t;
    };
    const codes = get("codes", "I8"), scale = get("scale", "F32"), zp = get("zero_point", "I32");
    const codeType = g.dtype === "int4" ? "int4" : "int8";
    const scaleData = Float32Array.from(scale.data as Float32Array);
    const zpData = Int32Array.from(zp.data as Int32Array);
    const q: QuantizedWeight = {
      codes: {
        dtype: codeType,
        shape: [...codes.shape],
        data: Int8Array.from(codes.data as Int8Array),
      },
      scale: { dtype: "float32", shape: [...scale.shape], data: scaleData },
      zeroPoint: { dtype: codeType, shape: [...zp.shape], data: Int8Array.from(zpData) },
      grid: {
        dtype: g.dtype,
        scale: Float32Array.from(scaleData),
        zeroPoint: Int32Array.from(zpData),
        ...(g.axis !== undefined ? { axis: g.axis } : {}),
      },
    };
    weights.set(node, q);
    overrides[node] = { weightCodes: q };
  }
  const rest = { ...metadata };
  delete rest[KEY];
  return { weights, overrides, metadata: rest };
}
