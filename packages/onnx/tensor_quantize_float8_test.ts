// Float8/float4 tensors end to end: TensorProto import and ONNX models with QuantizeLinear,
// DequantizeLinear and Cast run by the graph executor. Truths: the ONNX backend examples and bit
// patterns worked out by hand (packages/graph/ops/tensor_quantize_float_test.ts explains them).
import { deepEqual } from "node:assert/strict";
import onnxProto from "onnx-proto";
import { runFloat } from "@lowbit/graph/executor";
import { importOnnx, importTensor } from "./import_onnx.ts";

const { onnx } = onnxProto;

function model(
  nodes: onnxProto.onnx.INodeProto[],
  initializer: onnxProto.onnx.ITensorProto[],
  x: number[],
  outputs: [string, number][],
  opset: number,
): Uint8Array {
  const vi = (name: string, elemType: number, dims: number[]) => ({
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
  });
  return onnx.ModelProto.encode({
    irVersion: 10,
    opsetImport: [{ domain: "", version: opset }],
    graph: {
      name: "g",
      node: nodes,
      initializer,
      input: [vi("x", 1, [x.length])],
      output: outputs.map(([name, t]) => vi(name, t, [x.length])),
    },
  }).finish();
}

Deno.test("importTensor reads float8 (int32_data, raw_data) and float4e2m1 (two per byte)", () => {
  const z = importTensor(
    onnx.TensorProto.encode({ dims: [1], dataType: 17, int32Data: [0x38] }).finish(),
  );
  deepEqual([z.dtype, [...z.data]], ["float8e4m3fn", [0x38]]);
  const e5 = importTensor(
    onnx.TensorProto.encode({ dims: [2], dataType: 19, rawData: Uint8Array.of(0x3c, 0x7a) })
      .finish(),
  );
  deepEqual([e5.dtype, [...e5.data]], ["float8e5m2", [0x3c, 0x7a]]);
  // Low nibble first: 0x21 holds patterns 1 (0.5) and 2 (1.0); 0x0f holds 15 (−6).
  const f4 = importTensor(
    onnx.TensorProto.encode({ dims: [3], dataType: 23, rawData: Uint8Array.of(0x21, 0x0f) })
      .finish(),
  );
  deepEqual([f4.dtype, [...f4.data]], ["float4e2m1", [1, 2, 15]]);
});

Deno.test("ONNX model: QuantizeLinear → float8e4m3fn → DequantizeLinear (test_quantizelinear_e4m3fn), saturate 0, Cast to e5m2", () => {
  const x = [0, 1, 2, 100000, 200];
  const bytes = model(
    [
      { name: "q", opType: "QuantizeLinear", input: ["x", "s", "z"], output: ["y"] },
      {
        name: "qn",
        opType: "QuantizeLinear",
        input: ["x", "s", "z"],
        output: ["yn"],
        attribute: [{ name: "saturate", type: 2, i: 0 }],
      },
      { name: "d", opType: "DequantizeLinear", input: ["y", "s", "z"], output: ["r"] },
      {
        name: "c",
        opType: "Cast",
        input: ["r"],
        output: ["c5"],
        attribute: [{ name: "to", type: 2, i: 19 }],
      },
    ],
    [
      { name: "s", dims: [], dataType: 1, floatData: [2] },
      { name: "z", dims: [1], dataType: 17, int32Data: [0] },
    ],
    x,
    [["y", 17], ["yn", 17], ["r", 1], ["c5", 19]],
    19,
  );
  const out = runFloat(importOnnx(bytes), { x: { data: Float32Array.from(x), shape: [5] } });
  // 0, 0.5, 1, 448 (saturated), 96 (100 ties to even).
  deepEqual([...out.y.data], [0x00, 0x30, 0x38, 0x7e, 0x6c]);
  deepEqual(Number(out.yn.data[3]) & 0x7f, 0x7f); // NaN without saturation
  deepEqual([...out.r.data], [0, 1, 2, 896, 192]);
  // Cast to e5m2 saturates by default: 896 = 0 11000 11, 192 = 0 10110 10.
  deepEqual([...out.c5.data], [0x00, 0x3c, 0x40, 0x63, 0x5a]);
});

Deno.test("ONNX model: QuantizeLinear with output_dtype float4e2m1 (opset 23)", () => {
  const x = [0.5, 1.25, -7, 5];
  const bytes = model(
    [
      {
        name: "q",
        opType: "QuantizeLinear",
        input: ["x", "s"],
        output: ["y"],
        attribute: [{ name: "output_dtype", type: 2, i: 23 }],
      },
      { name: "d", opType: "DequantizeLinear", input: ["y", "s"], output: ["r"] },
    ],
    [{ name: "s", dims: [], dataType: 1, floatData: [1] }],
    x,
    [["y", 23], ["r", 1]],
    23,
  );
  const out = runFloat(importOnnx(bytes), { x: { data: Float32Array.from(x), shape: [4] } });
  // 0.5 → 1; 1.25 ties to 1 (2); −7 saturates to −6 (0xf); 5 ties to 4 (6).
  deepEqual([...out.y.data], [1, 2, 0xf, 6]);
  deepEqual([...out.r.data], [0.5, 1, -6, 4]);
});
