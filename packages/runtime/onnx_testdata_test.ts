// The ONNX backend operator test vectors (Debian libonnx-testdata, ONNX 1.12): each model.onnx
// is read with @lowbit/onnx's importOnnx for its node and attributes (checkOps off: these ops
// are the runtime's, not the float executor's), each input_*.pb / output_*.pb TensorProto with
// importTensor, and our operator must reproduce every output exactly. All 17
// quantization-related vectors run; none is skipped (the *_expanded DynamicQuantizeLinear
// models are the same operator written as a function body, so they check the same inputs and
// outputs).
import { deepEqual, equal, ok } from "node:assert/strict";
import type { GraphTensor, Node } from "@lowbit/graph/ir";
import { importOnnx, importTensor } from "@lowbit/onnx/import";
import { dequantizeLinear, dynamicQuantizeLinear, quantizeLinear } from "./onnx_quantize.ts";
import { type CodeTensor, matMulInteger, qlinearMatMul } from "./onnx_matmul.ts";
import { type ConvAttributes, convInteger, qlinearConv } from "./onnx_conv.ts";
import { type QuantizedDType, QuantizedTensor } from "./quantized_tensor.ts";

const ROOT = "/usr/share/libonnx-testdata/data/node/";
const NAMES =
  /^test_(qlinearmatmul_|qlinearconv$|matmulinteger$|convinteger_|basic_convinteger$|quantizelinear|dequantizelinear|dynamicquantizelinear)/;

function available(): string[] {
  try {
    return [...Deno.readDirSync(ROOT)].map((e) => e.name).filter((n) => NAMES.test(n)).sort();
  } catch {
    return [];
  }
}

const dirs = available();

/** A test vector tensor; int64 data (bigint) is read as numbers. */
type Tensor = Omit<GraphTensor, "data"> & {
  data: Float32Array | Uint8Array | Int8Array | Int32Array | Float64Array;
};
const asTensor = (t: GraphTensor): Tensor =>
  t.data instanceof BigInt64Array ? { ...t, data: Float64Array.from(t.data, Number) } : {
    ...t,
    data: t.data as Tensor["data"],
  };

function load(dir: string): { node: Node; inputs: Tensor[]; outputs: Tensor[] } {
  const { nodes } = importOnnx(Deno.readFileSync(`${ROOT}${dir}/model.onnx`), {
    checkOps: false,
  });
  const set = `${ROOT}${dir}/test_data_set_0/`;
  const files = [...Deno.readDirSync(set)].map((e) => e.name).sort();
  const read = (prefix: string) =>
    files.filter((f) => f.startsWith(prefix)).sort((a, b) =>
      parseInt(a.slice(prefix.length)) - parseInt(b.slice(prefix.length))
    )
      .map((f) => asTensor(importTensor(Deno.readFileSync(set + f))));
  // Expanded models: the op is the DynamicQuantizeLinear function body; test the op itself.
  const node = dir.endsWith("_expanded")
    ? {
      name: "DynamicQuantizeLinear",
      op: "DynamicQuantizeLinear",
      inputs: ["x"],
      outputs: ["y", "y_scale", "y_zero_point"],
      attrs: {},
    }
    : nodes[0];
  return { node, inputs: read("input_"), outputs: read("output_") };
}

const dtypeOf = (t: Tensor): QuantizedDType => {
  if (t.dtype === "uint8" || t.dtype === "int8" || t.dtype === "int32") return t.dtype;
  throw new RangeError(`not a code type: ${t.dtype}`);
};
const codes = (t: Tensor): CodeTensor => ({
  data: t.data as Int8Array | Uint8Array,
  shape: t.shape,
});
const scalarOr = (
  t: Tensor,
): number | Float32Array => (t.data.length === 1 ? t.data[0] : t.data as Float32Array);
const zpOr = (t: Tensor | undefined): number | Int32Array =>
  t === undefined ? 0 : t.data.length === 1 ? t.data[0] : Int32Array.from(t.data);
/** A quantized tensor from (codes, scale, zero point) inputs; per-channel along `axis` when 1-D. */
function qt(
  q: Tensor,
  s: Tensor,
  z: Tensor | undefined,
  axis: number,
): QuantizedTensor {
  const per = s.data.length > 1;
  return new QuantizedTensor({
    q: q.data as Int8Array | Uint8Array,
    shape: q.shape,
    dtype: dtypeOf(q),
    scale: per ? s.data as Float32Array : s.data[0],
    zeroPoint: zpOr(z),
    axis: per ? axis : undefined,
  });
}
function convAttributes(a: Node["attrs"]): ConvAttributes {
  const list = (k: string) => a[k] as number[] | undefined;
  return {
    pads: list("pads"),
    strides: list("strides"),
    dilations: list("dilations"),
    kernelShape: list("kernel_shape"),
    group: a.group as number | undefined,
    autoPad: a.auto_pad as ConvAttributes["autoPad"],
  };
}

function run(node: Node, inp: Tensor[]): { data: ArrayLike<number>; dims: number[] }[] {
  const a = node.attrs;
  switch (node.op) {
    case "QuantizeLinear": {
      const x = { data: inp[0].data as Float32Array, shape: inp[0].shape };
      const dtype = inp[2] ? dtypeOf(inp[2]) : "uint8";
      const y = quantizeLinear(x, scalarOr(inp[1]), zpOr(inp[2]), {
        dtype: dtype as "int8" | "uint8",
        axis: (a.axis as number) ?? 1,
      });
      return [{ data: y.q, dims: [...y.shape] }];
    }
    case "DequantizeLinear": {
      const y = dequantizeLinear(qt(inp[0], inp[1], inp[2], (a.axis as number) ?? 1));
      return [{ data: y, dims: inp[0].shape }];
    }
    case "DynamicQuantizeLinear": {
      const y = dynamicQuantizeLinear({ data: inp[0].data as Float32Array, shape: inp[0].shape });
      return [{ data: y.q, dims: [...y.shape] }, { data: y.scale, dims: [] }, {
        data: y.zeroPoint,
        dims: [],
      }];
    }
    case "MatMulInteger": {
      const y = matMulInteger(codes(inp[0]), codes(inp[1]), {
        aZeroPoint: zpOr(inp[2]),
        bZeroPoint: zpOr(inp[3]),
      });
      return [{ data: y.data, dims: y.shape }];
    }
    case "QLinearMatMul": {
      const A = qt(inp[0], inp[1], inp[2], 0),
        B = qt(inp[3], inp[4], inp[5], inp[3].shape.length - 1);
      const y = qlinearMatMul(A, B, {
        scale: inp[6].data[0],
        zeroPoint: inp[7].data[0],
        dtype: dtypeOf(inp[7]) as "uint8",
      });
      return [{ data: y.q, dims: [...y.shape] }];
    }
    case "ConvInteger": {
      const y = convInteger(codes(inp[0]), codes(inp[1]), {
        xZeroPoint: inp[2] ? inp[2].data[0] : 0,
        wZeroPoint: zpOr(inp[3]),
        ...convAttributes(a),
      });
      return [{ data: y.data, dims: y.shape }];
    }
    case "QLinearConv": {
      const X = qt(inp[0], inp[1], inp[2], 1), W = qt(inp[3], inp[4], inp[5], 0);
      const y = qlinearConv(X, W, {
        scale: inp[6].data[0],
        zeroPoint: inp[7].data[0],
        dtype: dtypeOf(inp[7]) as "uint8",
      }, {
        bias: inp[8] ? inp[8].data as Int32Array : undefined,
        ...convAttributes(a),
      });
      return [{ data: y.q, dims: [...y.shape] }];
    }
  }
  throw new RangeError(`unsupported op ${node.op}`);
}

Deno.test({
  name: "ONNX operator test vectors (libonnx-testdata) match exactly",
  ignore: dirs.length === 0,
  fn() {
    equal(dirs.length, 17, `found ${dirs.join(", ")}`);
    for (const dir of dirs) {
      const { node, inputs, outputs } = load(dir);
      const got = run(node, inputs);
      equal(got.length, outputs.length, dir);
      outputs.forEach((want, i) => {
        deepEqual(Array.from(got[i].data), [...want.data], `${dir} output ${i}`);
        if (want.shape.length > 0) deepEqual(got[i].dims, want.shape, `${dir} output ${i} shape`);
      });
    }
  },
});

Deno.test({
  name: "the vectors are read, not empty (reader sanity on a known file)",
  ignore: dirs.length === 0,
  fn() {
    const { node, inputs, outputs } = load("test_qlinearconv");
    equal(node.op, "QLinearConv");
    deepEqual(inputs[0].shape, [1, 1, 7, 7]);
    ok(outputs[0].data.length === 49);
  },
});
