/**
 * Private: decoding of tfjs weight shards (float32, int32, float16 and uint8/uint16 affine).
 *
 * @module
 */

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
export function decodeTfjsWeights(
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
