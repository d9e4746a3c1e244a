// A minimal ONNX model writer (protobuf wire format) for one-node peer models run by
// onnxruntime-web in the benchmarks. Large initializers are written without copying them
// through JS arrays.

type Value = number | string | Uint8Array | Field[];
/** A protobuf field: number and value (varint, string, bytes or nested message). */
export type Field = [number, Value];

function varint(n: number): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(64, BigInt(n));
  do {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v ? b | 0x80 : b);
  } while (v);
  return out;
}

function parts(fields: Field[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const [num, value] of fields) {
    if (typeof value === "number") {
      out.push(Uint8Array.from([...varint(num << 3), ...varint(value)]));
      continue;
    }
    const body = typeof value === "string"
      ? [new TextEncoder().encode(value)]
      : value instanceof Uint8Array
      ? [value]
      : parts(value);
    const len = body.reduce((s, p) => s + p.length, 0);
    out.push(Uint8Array.from([...varint((num << 3) | 2), ...varint(len)]), ...body);
  }
  return out;
}

/** Encodes a message. */
export function encode(fields: Field[]): Uint8Array {
  const ps = parts(fields);
  const out = new Uint8Array(ps.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of ps) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** ONNX element types used here. */
export const DT = { float: 1, uint8: 2, int8: 3, int32: 6 } as const;

/** A TensorProto initializer. */
export function tensor(
  name: string,
  type: number,
  dims: number[],
  data: ArrayBufferView,
): Field[] {
  return [
    ...dims.map((d): Field => [1, d]),
    [2, type],
    [8, name],
    [9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength)],
  ];
}

/** A ValueInfoProto of a tensor. */
export function valueInfo(name: string, type: number, dims: number[]): Field[] {
  return [[1, name], [2, [[1, [[1, type], [2, dims.map((d): Field => [1, [[1, d]]])]]]]]];
}

/** A one-node model: `outputs = op(inputs)`, with initializers, opset 19. */
export function oneNodeModel(
  op: string,
  inputs: { name: string; type: number; dims: number[] }[],
  initializers: Field[][],
  nodeInputs: string[],
  output: { name: string; type: number; dims: number[] },
): Uint8Array {
  const node: Field[] = [...nodeInputs.map((n): Field => [1, n]), [2, output.name], [4, op]];
  const graph: Field[] = [
    [1, node],
    [2, "g"],
    ...initializers.map((t): Field => [5, t]),
    ...inputs.map((i): Field => [11, valueInfo(i.name, i.type, i.dims)]),
    [12, valueInfo(output.name, output.type, output.dims)],
  ];
  return encode([[1, 9], [8, [[1, ""], [2, 19]]], [7, graph]]);
}
