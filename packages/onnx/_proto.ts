// Private: the onnx-proto (protobufjs static code of onnx.proto) namespace and conversions
// between TensorProto and graph tensors, shared by the importer and the exporter.

import onnxProto from "onnx-proto";
import { type GraphDType, type GraphTensor, sizeOf, zeros } from "@lowbit/graph/ir";
import { GraphError } from "@lowbit/graph/errors";

export const { onnx } = onnxProto;
export type ITensorProto = onnxProto.onnx.ITensorProto;
export type IModelProto = onnxProto.onnx.IModelProto;
export type IAttributeProto = onnxProto.onnx.IAttributeProto;
export type IValueInfoProto = onnxProto.onnx.IValueInfoProto;
export type INodeProto = onnxProto.onnx.INodeProto;

/** ONNX TensorProto.DataType numbers of the graph dtypes. */
export const ONNX_TYPE: Readonly<Record<GraphDType, number>> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int16: 5,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
  uint32: 12,
  uint4: 21,
  int4: 22,
  float8e4m3fn: 17,
  float8e4m3fnuz: 18,
  float8e5m2: 19,
  float8e5m2fnuz: 20,
  float4e2m1: 23,
};

/** Sub-byte dtypes stored two per byte, low nibble first. */
const nibbles = (d: GraphDType): boolean => d === "int4" || d === "uint4" || d === "float4e2m1";

const DTYPE_OF = new Map<number, GraphDType>(
  Object.entries(ONNX_TYPE).map(([k, v]) => [v, k as GraphDType]),
);

export function dtypeOfOnnx(code: number, place: { value?: string; node?: string }): GraphDType {
  const d = DTYPE_OF.get(code);
  if (d === undefined) {
    throw new GraphError(`ONNX data type ${code} is not supported`, place);
  }
  return d;
}

export type LongLike = number | string | { low: number; high: number; unsigned?: boolean };

export function toBig(v: LongLike | null | undefined): bigint {
  if (v === null || v === undefined) return 0n;
  if (typeof v === "number") return BigInt(Math.trunc(v));
  if (typeof v === "string") return BigInt(v);
  const u = (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
  return v.unsigned ? u : BigInt.asIntN(64, u);
}

export function toNum(v: LongLike | null | undefined): number {
  return Number(toBig(v));
}

/** Decodes a TensorProto (raw_data or typed fields; int4/uint4/float4 packed two per byte). */
export function tensorFromProto(
  p: ITensorProto,
  place: { value?: string; node?: string },
): GraphTensor {
  if (p.dataLocation === 1) {
    const loc = (p.externalData ?? []).find((e) => e.key === "location")?.value ?? "?";
    throw new GraphError(
      `tensor uses external data file ${loc}; not supported (embed the weights)`,
      place,
    );
  }
  const dtype = dtypeOfOnnx(p.dataType ?? 0, place);
  const shape = (p.dims ?? []).map((d) => toNum(d as LongLike));
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new GraphError(`tensor has invalid dims [${shape}]`, place);
  }
  const t = zeros(dtype, shape);
  const n = sizeOf(shape);
  const raw = p.rawData;
  if (raw && raw.length > 0) {
    if (nibbles(dtype)) {
      if (raw.length !== Math.ceil(n / 2)) {
        throw new GraphError(
          `raw_data holds ${raw.length} bytes, ${dtype} [${shape}] needs ${Math.ceil(n / 2)}`,
          place,
        );
      }
      for (let i = 0; i < n; i++) {
        const nib = (raw[i >> 1] >> (4 * (i & 1))) & 15;
        t.data[i] = dtype === "int4" && nib > 7 ? nib - 16 : nib;
      }
      return t;
    }
    const bytes = t.data.BYTES_PER_ELEMENT * n;
    if (raw.length !== bytes) {
      throw new GraphError(
        `raw_data holds ${raw.length} bytes, ${dtype} [${shape}] needs ${bytes}`,
        place,
      );
    }
    new Uint8Array(t.data.buffer).set(raw);
    return t;
  }
  const src: ArrayLike<LongLike> = dtype === "int64"
    ? (p.int64Data ?? []) as LongLike[]
    : dtype === "float32"
    ? p.floatData ?? []
    : dtype === "float64"
    ? p.doubleData ?? []
    : dtype === "uint32"
    ? (p.uint64Data ?? []) as LongLike[]
    : p.int32Data ?? [];
  const need = nibbles(dtype) ? Math.ceil(n / 2) : n;
  if (src.length !== need) {
    throw new GraphError(
      `tensor holds ${src.length} values, ${dtype} [${shape}] needs ${need}`,
      place,
    );
  }
  if (nibbles(dtype)) {
    for (let i = 0; i < n; i++) {
      const nib = (toNum(src[i >> 1]) >> (4 * (i & 1))) & 15;
      t.data[i] = dtype === "int4" && nib > 7 ? nib - 16 : nib;
    }
  } else if (dtype === "int64") {
    const d = t.data as BigInt64Array;
    for (let i = 0; i < n; i++) d[i] = toBig(src[i]);
  } else {
    const d = t.data as Exclude<typeof t.data, BigInt64Array>;
    for (let i = 0; i < n; i++) {
      const v = src[i];
      d[i] = typeof v === "number" ? v : toNum(v);
    }
  }
  return t;
}

/** Encodes a graph tensor as a TensorProto with raw_data (int4/uint4 packed, low nibble first). */
export function tensorToProto(name: string, t: GraphTensor): ITensorProto {
  let raw: Uint8Array;
  if (nibbles(t.dtype)) {
    raw = new Uint8Array(Math.ceil(t.data.length / 2));
    for (let i = 0; i < t.data.length; i++) {
      raw[i >> 1] |= (Number(t.data[i]) & 15) << (4 * (i & 1));
    }
  } else {
    raw = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength).slice();
  }
  return { name, dataType: ONNX_TYPE[t.dtype], dims: [...t.shape], rawData: raw };
}
