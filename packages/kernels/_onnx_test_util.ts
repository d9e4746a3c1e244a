// Private test helpers: one-node ONNX models written with a minimal protobuf encoder, run on
// onnxruntime-web (single thread) as an independent implementation.

import * as ort from "onnxruntime-web";

ort.env.wasm.numThreads = 1;

type Field = [number, number | string | Uint8Array | Field[]];

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

function encode(fields: Field[]): Uint8Array {
  const bytes: number[] = [];
  for (const [num, value] of fields) {
    if (typeof value === "number") {
      bytes.push(...varint(num << 3), ...varint(value));
      continue;
    }
    const body = typeof value === "string"
      ? new TextEncoder().encode(value)
      : value instanceof Uint8Array
      ? value
      : encode(value);
    bytes.push(...varint((num << 3) | 2), ...varint(body.length), ...body);
  }
  return Uint8Array.from(bytes);
}

/** ONNX TensorProto data types used here. */
export const ONNX_TYPE = { float: 1, uint8: 2, int8: 3, int32: 6 } as const;

/** A typed array that becomes an ONNX initializer. */
export interface Initializer {
  name: string;
  type: number;
  dims: number[];
  data: Float32Array | Int8Array | Uint8Array | Int32Array;
}

/** One graph input or output. */
export interface ValueInfo {
  name: string;
  type: number;
  dims: number[];
}

/** Builds a one-node model `outputs = op(inputs)` with int / int-list attributes (opset 19). */
export function oneNodeModel(
  op: string,
  inputs: string[],
  attributes: Record<string, number | number[]>,
  initializers: Initializer[],
  graphInputs: ValueInfo[],
  graphOutput: ValueInfo,
): Uint8Array {
  const node: Field[] = [...inputs.map((i): Field => [1, i]), [2, graphOutput.name], [4, op]];
  for (const [name, v] of Object.entries(attributes)) {
    // AttributeProto: name = 1, i = 3, ints = 8, type = 20 (INT = 2, INTS = 7)
    node.push([
      5,
      typeof v === "number" ? [[1, name], [3, v], [20, 2]] : [
        [1, name],
        ...v.map((x): Field => [8, x]),
        [20, 7],
      ],
    ]);
  }
  const valueInfo = (v: ValueInfo): Field[] => [
    [1, v.name],
    [2, [[1, [[1, v.type], [2, v.dims.map((d): Field => [1, [[1, d]]])]]]]],
  ];
  const graph: Field[] = [
    [1, node],
    [2, "g"],
    ...initializers.map((t): Field => [5, [
      ...t.dims.map((d): Field => [1, d]),
      [2, t.type],
      [8, t.name],
      [9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)],
    ]]),
    ...graphInputs.map((v): Field => [11, valueInfo(v)]),
    [12, valueInfo(graphOutput)],
  ];
  return encode([[1, 9], [8, [[1, ""], [2, 19]]], [7, graph]]);
}

/** Runs a model once and returns its single output. */
export async function runModel(
  bytes: Uint8Array,
  feeds: Record<string, ort.Tensor>,
  output: string,
): Promise<ort.Tensor> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    return (await session.run(feeds))[output];
  } finally {
    await session.release();
  }
}

export { ort };
