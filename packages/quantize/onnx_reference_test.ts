// Third-party check: quantize(..., { scaling: "divide" }) against onnxruntime-web's
// QuantizeLinear / DequantizeLinear (ONNX opset 19) on seeded random inputs, per-tensor and
// per-axis. The one-node ONNX models are written here with a minimal protobuf encoder.
import { deepEqual, equal } from "node:assert/strict";
import * as ort from "onnxruntime-web";
import { Philox } from "@lowbit/rounding/philox";
import { dequantize, quantize } from "./uniform.ts";

ort.env.wasm.numThreads = 1;

// --- minimal protobuf writer (wire types 0 = varint, 2 = length-delimited) -----------------
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

const FLOAT = 1, UINT8 = 2, INT8 = 3;
const tensor = (name: string, type: number, dims: number[], raw: Uint8Array): Field[] => [
  ...dims.map((d): Field => [1, d]),
  [2, type],
  [8, name],
  [9, raw],
];
const valueInfo = (name: string, type: number, dims: number[]): Field[] => [
  [1, name],
  [2, [[1, [[1, type], [2, dims.map((d): Field => [1, [[1, d]]])]]]]],
];

/** A model y = Op(x, scale, zeroPoint) with the parameters as initializers. */
function model(
  op: "QuantizeLinear" | "DequantizeLinear",
  xType: number,
  yType: number,
  dims: number[],
  scale: Float32Array,
  zp: Int8Array | Uint8Array,
  axis?: number,
): Uint8Array {
  const pdims = axis === undefined ? [] : [scale.length];
  const node: Field[] = [[1, "x"], [1, "s"], [1, "z"], [2, "y"], [4, op]];
  if (axis !== undefined) node.push([5, [[1, "axis"], [3, axis], [20, 2]]]);
  const graph: Field[] = [
    [1, node],
    [2, "g"],
    [5, tensor("s", FLOAT, pdims, new Uint8Array(scale.buffer))],
    [5, tensor("z", zp instanceof Int8Array ? INT8 : UINT8, pdims, new Uint8Array(zp.buffer))],
    [11, valueInfo("x", xType, dims)],
    [12, valueInfo("y", yType, dims)],
  ];
  return encode([[1, 9], [8, [[1, ""], [2, 19]]], [7, graph]]);
}

async function run(bytes: Uint8Array, x: ort.Tensor): Promise<ort.Tensor> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    return (await session.run({ x })).y;
  } finally {
    await session.release();
  }
}

function randomInput(n: number, seed: number, spread: number): Float32Array {
  const g = new Philox(seed);
  return new Float32Array(n).map(() => (g.uniform() - 0.5) * 2 * spread);
}

Deno.test("per-tensor QuantizeLinear / DequantizeLinear equal onnxruntime-web (int8 and uint8)", async () => {
  for (const [signed, seed] of [[true, 1], [false, 2]] as const) {
    const g = new Philox(seed + 10);
    for (let trial = 0; trial < 4; trial++) {
      const scale = Math.fround(0.001 + g.uniform() * 0.2);
      const z = signed ? Math.floor(g.uniform() * 40) - 20 : Math.floor(g.uniform() * 255);
      const x = randomInput(4096, seed * 100 + trial, 300 * scale);
      // Add exact ties (k + 1/2)·S and their float32 neighbours, where rounding is decided.
      for (let k = 0; k < 256; k++) x[k] = Math.fround((k - 128 + 0.5) * scale);
      const [qmin, qmax] = signed ? [-128, 127] : [0, 255];
      const zp = signed ? Int8Array.of(z) : Uint8Array.of(z);
      const s = Float32Array.of(scale);
      const y = await run(
        model("QuantizeLinear", FLOAT, signed ? INT8 : UINT8, [x.length], s, zp),
        new ort.Tensor("float32", x, [x.length]),
      );
      const ours = quantize(x, { scale, zeroPoint: z, qmin, qmax }, { scaling: "divide" });
      deepEqual([...ours.q], [...(y.data as Int8Array | Uint8Array)], `trial ${trial}`);
      const back = await run(
        model("DequantizeLinear", signed ? INT8 : UINT8, FLOAT, [x.length], s, zp),
        new ort.Tensor(signed ? "int8" : "uint8", ours.q as Int8Array | Uint8Array, [x.length]),
      );
      deepEqual(dequantize(ours), back.data as Float32Array);
    }
  }
});

Deno.test("per-axis QuantizeLinear (axis 1 of [8, 16, 4]) equals onnxruntime-web", async () => {
  const dims = [8, 16, 4];
  const g = new Philox(7);
  const scale = new Float32Array(16).map(() => 0.002 + g.uniform() * 0.05);
  const zp = new Int8Array(16).map(() => Math.floor(g.uniform() * 20) - 10);
  const x = randomInput(8 * 16 * 4, 8, 4);
  const y = await run(
    model("QuantizeLinear", FLOAT, INT8, dims, scale, zp, 1),
    new ort.Tensor("float32", x, dims),
  );
  const ours = quantize({ data: x, shape: dims }, {
    scale,
    zeroPoint: Int32Array.from(zp),
    qmin: -128,
    qmax: 127,
    axis: 1,
  }, { scaling: "divide" });
  const theirs = y.data as Int8Array;
  equal(theirs.length, ours.q.length);
  deepEqual([...ours.q], [...theirs]);
});
