// Private: a minimal protobuf wire-format reader and writer for the parts of ONNX the tests
// use (ModelProto → GraphProto → NodeProto/AttributeProto, TensorProto). Wire types:
// 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32.

/** One decoded field: its number, wire type and raw value. */
interface RawField {
  num: number;
  wire: number;
  /** varint / fixed values as bigint, length-delimited as bytes. */
  value: bigint | Uint8Array;
}

function readVarint(buf: Uint8Array, pos: { at: number }): bigint {
  let result = 0n, shift = 0n;
  for (;;) {
    if (pos.at >= buf.length) throw new RangeError("protobuf: truncated varint");
    const b = buf[pos.at++];
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return result;
    shift += 7n;
  }
}

/** Splits a message into its fields, in order. */
export function decodeFields(buf: Uint8Array): RawField[] {
  const out: RawField[] = [];
  const pos = { at: 0 };
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  while (pos.at < buf.length) {
    const key = Number(readVarint(buf, pos));
    const num = key >>> 3, wire = key & 7;
    if (wire === 0) out.push({ num, wire, value: readVarint(buf, pos) });
    else if (wire === 1) {
      out.push({ num, wire, value: view.getBigUint64(pos.at, true) });
      pos.at += 8;
    } else if (wire === 5) {
      out.push({ num, wire, value: BigInt(view.getUint32(pos.at, true)) });
      pos.at += 4;
    } else if (wire === 2) {
      const len = Number(readVarint(buf, pos));
      out.push({ num, wire, value: buf.subarray(pos.at, pos.at + len) });
      pos.at += len;
    } else throw new RangeError(`protobuf: unsupported wire type ${wire}`);
  }
  return out;
}

const text = (v: bigint | Uint8Array) => new TextDecoder().decode(v as Uint8Array);

/** Repeated integers, packed (wire 2) or not (wire 0), as signed int64 numbers. */
function ints(fields: RawField[], num: number): number[] {
  const out: number[] = [];
  for (const f of fields) {
    if (f.num !== num) continue;
    if (f.wire === 0) out.push(Number(BigInt.asIntN(64, f.value as bigint)));
    else {
      const buf = f.value as Uint8Array, pos = { at: 0 };
      while (pos.at < buf.length) out.push(Number(BigInt.asIntN(64, readVarint(buf, pos))));
    }
  }
  return out;
}

function floats(fields: RawField[], num: number): number[] {
  const out: number[] = [];
  for (const f of fields) {
    if (f.num !== num) continue;
    if (f.wire === 5) {
      out.push(new Float32Array(new Uint32Array([Number(f.value)]).buffer)[0]);
    } else {
      const b = f.value as Uint8Array;
      const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
      for (let i = 0; i + 4 <= b.length; i += 4) out.push(v.getFloat32(i, true));
    }
  }
  return out;
}

/** ONNX TensorProto data types used here. */
export const ONNX_TYPE = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7 } as const;

/** A decoded TensorProto. */
export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  data: Float32Array | Uint8Array | Int8Array | Int32Array | Float64Array;
}

/** Decodes a TensorProto (raw_data or the typed repeated fields). */
export function decodeTensor(buf: Uint8Array): OnnxTensor {
  const f = decodeFields(buf);
  const dims = ints(f, 1);
  const dataType = ints(f, 2)[0] ?? 0;
  const name = f.find((x) => x.num === 8);
  const raw = f.find((x) => x.num === 9)?.value as Uint8Array | undefined;
  const size = dims.reduce((a, b) => a * b, 1);
  const copy = raw ? raw.slice() : undefined;
  let data: OnnxTensor["data"];
  switch (dataType) {
    case ONNX_TYPE.FLOAT:
      data = copy ? new Float32Array(copy.buffer) : Float32Array.from(floats(f, 4));
      break;
    case ONNX_TYPE.UINT8:
      data = copy ? new Uint8Array(copy.buffer) : Uint8Array.from(ints(f, 5));
      break;
    case ONNX_TYPE.INT8:
      data = copy ? new Int8Array(copy.buffer) : Int8Array.from(ints(f, 5));
      break;
    case ONNX_TYPE.INT32:
      data = copy ? new Int32Array(copy.buffer) : Int32Array.from(ints(f, 5));
      break;
    case ONNX_TYPE.INT64:
      data = copy
        ? Float64Array.from(new BigInt64Array(copy.buffer), Number)
        : Float64Array.from(ints(f, 7));
      break;
    default:
      throw new RangeError(`unsupported ONNX data type ${dataType}`);
  }
  if (data.length !== size) {
    throw new RangeError(
      `tensor ${name ? text(name.value) : ""}: ${data.length} values for dims [${dims}]`,
    );
  }
  return { name: name ? text(name.value) : "", dims, dataType, data };
}

/** An attribute value. */
export type OnnxAttribute = number | number[] | string | OnnxTensor;

/** A decoded NodeProto. */
export interface OnnxNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, OnnxAttribute>;
}

function decodeAttribute(buf: Uint8Array): [string, OnnxAttribute] {
  const f = decodeFields(buf);
  const name = text(f.find((x) => x.num === 1)!.value);
  const type = ints(f, 20)[0];
  switch (type) {
    case 1:
      return [name, floats(f, 2)[0]];
    case 2:
      return [name, ints(f, 3)[0]];
    case 3:
      return [name, text(f.find((x) => x.num === 4)!.value)];
    case 4:
      return [name, decodeTensor(f.find((x) => x.num === 5)!.value as Uint8Array)];
    case 6:
      return [name, floats(f, 7)];
    case 7:
      return [name, ints(f, 8)];
    default:
      throw new RangeError(`attribute ${name}: unsupported type ${type}`);
  }
}

/** The nodes of a ModelProto's graph (initializers are not needed by the operator tests). */
export function decodeModelNodes(buf: Uint8Array): OnnxNode[] {
  const graph = decodeFields(buf).find((x) => x.num === 7);
  if (!graph) throw new RangeError("model has no graph");
  return decodeFields(graph.value as Uint8Array).filter((x) => x.num === 1).map((n) => {
    const f = decodeFields(n.value as Uint8Array);
    const attributes: Record<string, OnnxAttribute> = {};
    for (const a of f.filter((x) => x.num === 5)) {
      const [k, v] = decodeAttribute(a.value as Uint8Array);
      attributes[k] = v;
    }
    return {
      opType: text(f.find((x) => x.num === 4)!.value),
      inputs: f.filter((x) => x.num === 1).map((x) => text(x.value)),
      outputs: f.filter((x) => x.num === 2).map((x) => text(x.value)),
      attributes,
    };
  });
}

// --- writer ------------------------------------------------------------------------------

/** A field to encode: number and value (integer → varint, else length-delimited). */
export type Field = [number, number | string | Uint8Array | Field[]];

function pushVarint(out: number[], n: number): void {
  let v = BigInt.asUintN(64, BigInt(n));
  do {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v ? b | 0x80 : b);
  } while (v);
}

/** Encodes fields in order. */
export function encodeFields(fields: Field[]): Uint8Array {
  const out: number[] = [];
  for (const [num, value] of fields) {
    if (typeof value === "number") {
      pushVarint(out, num << 3);
      pushVarint(out, value);
      continue;
    }
    const body = typeof value === "string"
      ? new TextEncoder().encode(value)
      : value instanceof Uint8Array
      ? value
      : encodeFields(value);
    pushVarint(out, (num << 3) | 2);
    pushVarint(out, body.length);
    for (const b of body) out.push(b);
  }
  return Uint8Array.from(out);
}

/** A TensorProto with raw data. */
export function tensorField(
  name: string,
  type: number,
  dims: readonly number[],
  data: Float32Array | Uint8Array | Int8Array | Int32Array,
): Field[] {
  return [
    ...dims.map((d): Field => [1, d]),
    [2, type],
    [8, name],
    [9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice()],
  ];
}

/** A ValueInfoProto of a tensor with a fixed shape. */
export function valueInfoField(name: string, type: number, dims: readonly number[]): Field[] {
  return [[1, name], [2, [[1, [[1, type], [2, dims.map((d): Field => [1, [[1, d]]])]]]]]];
}

/** An integer-list attribute. */
export function intsAttribute(name: string, values: readonly number[]): Field[] {
  return [[1, name], ...values.map((v): Field => [8, v]), [20, 7]];
}

/** An integer attribute. */
export function intAttribute(name: string, value: number): Field[] {
  return [[1, name], [3, value], [20, 2]];
}

/** A one-node model: inputs are graph inputs, `initializers` are constant tensors. */
export function oneNodeModel(
  op: string,
  inputs: string[],
  attributes: Field[][],
  initializers: Field[][],
  graphInputs: Field[][],
  output: Field[],
  opset = 13,
): Uint8Array {
  const node: Field[] = [
    ...inputs.map((i): Field => [1, i]),
    [2, "y"],
    [4, op],
    ...attributes.map((a): Field => [5, a]),
  ];
  const graph: Field[] = [
    [1, node],
    [2, "g"],
    ...initializers.map((t): Field => [5, t]),
    ...graphInputs.map((v): Field => [11, v]),
    [12, output],
  ];
  return encodeFields([[1, 8], [8, [[1, ""], [2, opset]]], [7, graph]]);
}
