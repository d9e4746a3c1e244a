import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { runFloat } from "@lowbit/graph/executor";
import { type Graph, validateGraph } from "@lowbit/graph/ir";
import { decodeTfjsWeights, type TfjsWeightGroup } from "./_tfjs_weights.ts";
import { importTfjs, loadTfjs } from "./tfjs.ts";

const s = (t: string) => btoa(t);
const ints = (...v: number[]) => ({ list: { i: v.map(String) } });
const ph = (name: string, dims: number[], type = "DT_FLOAT") => ({
  name,
  op: "Placeholder",
  attr: { dtype: { type }, shape: { shape: { dim: dims.map((d) => ({ size: String(d) })) } } },
});
const f32 = (...v: number[]) => new Uint8Array(new Float32Array(v).buffer);
const i32 = (...v: number[]) => new Uint8Array(new Int32Array(v).buffer);
const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), o += p.length);
  return out;
};
const ops = (g: Graph) => g.nodes.map((n) => n.op);

// A hand-assembled manifest: group 0 = float16 [2] + int32 [1] split over two shards, group 1 =
// uint8-affine [3] + float32 [1]. Bytes written by hand (little endian).
const manifest: TfjsWeightGroup[] = [
  {
    paths: ["a", "b"],
    weights: [
      { name: "h", shape: [2], dtype: "float32", quantization: { dtype: "float16" } },
      { name: "i", shape: [1], dtype: "int32" },
    ],
  },
  {
    paths: ["c"],
    weights: [
      {
        name: "u",
        shape: [3],
        dtype: "float32",
        quantization: { dtype: "uint8", scale: 0.5, min: -1 },
      },
      { name: "f", shape: [1, 1], dtype: "float32" },
    ],
  },
];
// 1.5 = 0x3E00, -65504 = 0xFBFF (fp16); -2 = 0xFFFFFFFE; 0.25 = 0x3E800000 (fp32)
const g0 = new Uint8Array([0x00, 0x3e, 0xff, 0xfb, 0xfe, 0xff, 0xff, 0xff]);
const g1 = new Uint8Array([0, 3, 255, 0x00, 0x00, 0x80, 0x3e]);

Deno.test("decodeTfjsWeights: float16, int32, uint8 affine and float32 from hand-written bytes", () => {
  const w = decodeTfjsWeights(manifest, [g0, g1]);
  deepEqual([...w.keys()], ["h", "i", "u", "f"]);
  deepEqual([...w.get("h")!.data], [1.5, -65504]);
  deepEqual([...w.get("i")!.data], [-2]);
  equal(w.get("i")!.dtype, "int32");
  deepEqual([...w.get("u")!.data], [-1, 0.5, 126.5]); // q · 0.5 − 1
  deepEqual([...w.get("f")!.data], [0.25]);
});

Deno.test("decodeTfjsWeights rejects short, long and unsupported data", () => {
  throws(() => decodeTfjsWeights(manifest, [g0.subarray(0, 7), g1]), /weight i needs bytes 4\.\.8/);
  throws(
    () => decodeTfjsWeights(manifest, [new Uint8Array([...g0, 0]), g1]),
    /use 8 bytes; the shards hold 9/,
  );
  throws(() => decodeTfjsWeights(manifest, [g0]), /one buffer per manifest group \(2\); got 1/);
});

Deno.test("importTfjs: quantized weights become float32 initializers; shards split per path", () => {
  const model = {
    modelTopology: {
      node: [
        ph("x", [2]),
        { name: "h", op: "Const" },
        { name: "i", op: "Const" },
        { name: "u", op: "Const" },
        { name: "f", op: "Const" },
        { name: "y", op: "Mul", input: ["x", "h"] },
      ],
    },
    weightsManifest: manifest,
  };
  const g = importTfjs(model, [g0.subarray(0, 3), g0.subarray(3), g1]);
  const h = g.initializers.get("h")!;
  equal(h.dtype, "float32");
  deepEqual([...h.data], [1.5, -65504]);
  const { y } = runFloat(g, { x: { data: new Float32Array([2, 1]), shape: [2] } });
  deepEqual([...y.data], [3, -65504]);
  throws(() => importTfjs(model, [g0, g1]), /shards/);
});

Deno.test("importTfjs: SAME padding equals TF's (extra pad at the end) and strides map", () => {
  const mk = (size: number) => ({
    modelTopology: {
      node: [ph("x", [1, size, size, 1]), { name: "w", op: "Const" }, {
        name: "y",
        op: "Conv2D",
        input: ["x", "w"],
        attr: { strides: ints(1, 2, 2, 1), padding: { s: s("SAME") } },
      }],
    },
    weightsManifest: [{
      paths: ["w"],
      weights: [{ name: "w", shape: [3, 3, 1, 1], dtype: "float32" }],
    }],
  });
  const conv = (size: number) =>
    importTfjs(mk(size), [f32(...Array(9).fill(1))]).nodes.find((n) => n.op === "Conv")!;
  deepEqual(conv(5).attrs.pads, [1, 1, 1, 1]); // out 3: total 2
  deepEqual(conv(6).attrs.pads, [0, 0, 1, 1]); // out 3: total 1, at the end
  deepEqual(conv(6).attrs.strides, [2, 2]);
  deepEqual(conv(6).attrs.kernel_shape, [3, 3]);
});

Deno.test("importTfjs: depthwise filter [kh, kw, cin, m] → [cin·m, 1, kh, kw] with group cin", () => {
  const model = {
    modelTopology: {
      node: [ph("x", [1, 1, 2, 2]), { name: "w", op: "Const" }, {
        name: "y",
        op: "DepthwiseConv2dNative",
        input: ["x", "w"],
        attr: { strides: ints(1, 1, 1, 1), padding: { s: s("VALID") } },
      }],
    },
    weightsManifest: [{
      paths: ["w"],
      weights: [{ name: "w", shape: [1, 2, 2, 2], dtype: "float32" }],
    }],
  };
  const g = importTfjs(model, [f32(0, 1, 2, 3, 4, 5, 6, 7)]);
  const conv = g.nodes.find((n) => n.op === "Conv")!;
  equal(conv.attrs.group, 2);
  const w = g.initializers.get(conv.inputs[1])!;
  deepEqual(w.shape, [4, 1, 1, 2]);
  // channel c·m + o, tap b: TF index (b·cin + c)·m + o
  deepEqual([...w.data], [0, 4, 1, 5, 2, 6, 3, 7]);
  deepEqual(g.outputs[0].shape, [1, 1, 1, 4]);
});

Deno.test("importTfjs: layouts are tracked — Conv → BiasAdd → Relu6 → Conv needs two Transposes", () => {
  const conv = (name: string, x: string) => ({
    name,
    op: "Conv2D",
    input: [x, "w"],
    attr: { strides: ints(1, 1, 1, 1), padding: { s: s("VALID") } },
  });
  const model = {
    modelTopology: {
      node: [
        ph("x", [1, 2, 2, 2]),
        { name: "w", op: "Const" },
        { name: "b", op: "Const" },
        conv("c1", "x"),
        { name: "a", op: "BiasAdd", input: ["c1", "b"] },
        { name: "r", op: "Relu6", input: ["a"] },
        conv("c2", "r"),
      ],
    },
    weightsManifest: [{
      paths: ["w"],
      weights: [
        { name: "w", shape: [1, 1, 2, 2], dtype: "float32" },
        { name: "b", shape: [2], dtype: "float32" },
      ],
    }],
  };
  const g = importTfjs(model, [f32(1, 0, 0, 1, 10, 20)]);
  validateGraph(g);
  deepEqual(ops(g), ["Transpose", "Conv", "Add", "Clip", "Conv", "Transpose"]);
  const add = g.nodes.find((n) => n.op === "Add")!;
  deepEqual(g.initializers.get(add.inputs[1])!.shape, [1, 2, 1, 1]); // bias permuted to NCHW
  deepEqual(g.outputs.map((o) => o.name), ["c2"]);
});

Deno.test("importTfjs: unknown ops fail at load with the op and node", () => {
  const model = {
    modelTopology: { node: [ph("x", [1]), { name: "weird", op: "Frobnicate", input: ["x"] }] },
    weightsManifest: [],
  };
  throws(() => importTfjs(model, []), /unsupported op Frobnicate at node weird/);
  throws(() => importTfjs({ weightsManifest: [] }, []), /not a tfjs graph model/);
});

Deno.test("importTfjs: Pad (NCHW), Transpose, Reshape, ConcatV2, StridedSlice, ExpandDims, Pack run as TF does", () => {
  const model = {
    modelTopology: {
      node: [
        ph("x", [1, 1, 2, 1]),
        { name: "p", op: "Const" },
        { name: "perm", op: "Const" },
        { name: "shape", op: "Const" },
        { name: "axis", op: "Const" },
        { name: "begin", op: "Const" },
        { name: "end", op: "Const" },
        { name: "stride", op: "Const" },
        { name: "pad", op: "Pad", input: ["x", "p"] }, // [1, 1, 3, 2]
        { name: "t", op: "Transpose", input: ["pad", "perm"] }, // [1, 2, 1, 3]
        { name: "r", op: "Reshape", input: ["t", "shape"] }, // [6]
        { name: "c", op: "ConcatV2", input: ["r", "r", "axis"] }, // [12]
        {
          name: "ss",
          op: "StridedSlice",
          input: ["c", "begin", "end", "stride"],
          attr: { begin_mask: { i: "0" }, end_mask: { i: "1" } },
        }, // c[1::3]
        { name: "e", op: "ExpandDims", input: ["ss", "axis"] },
        { name: "k", op: "Pack", input: ["ss", "ss"], attr: { axis: { i: "1" } } },
      ],
    },
    weightsManifest: [{
      paths: ["w"],
      weights: [
        { name: "p", shape: [4, 2], dtype: "int32" },
        { name: "perm", shape: [4], dtype: "int32" },
        { name: "shape", shape: [1], dtype: "int32" },
        { name: "axis", shape: [], dtype: "int32" },
        { name: "begin", shape: [1], dtype: "int32" },
        { name: "end", shape: [1], dtype: "int32" },
        { name: "stride", shape: [1], dtype: "int32" },
      ],
    }],
  };
  const bytes = cat(
    i32(0, 0, 0, 0, 0, 1, 0, 1),
    i32(0, 3, 1, 2),
    i32(-1),
    i32(0),
    i32(1),
    i32(0),
    i32(3),
  );
  const g = importTfjs(model, [bytes]);
  validateGraph(g);
  // pad: (w, ch) rows [[1,0],[2,0],[0,0]] → transpose to [ch][w]: [1,2,0, 0,0,0]; c[1::3]
  const { e, k } = runFloat(g, { x: { data: new Float32Array([1, 2]), shape: [1, 1, 2, 1] } });
  deepEqual(e.shape, [1, 4]);
  deepEqual([...e.data], [2, 0, 2, 0]);
  deepEqual(k.shape, [4, 2]);
  deepEqual([...k.data], [2, 2, 0, 0, 2, 2, 0, 0]);
  deepEqual(g.outputs.map((o) => o.name), ["e", "k"]);
});

Deno.test("MoveNet Lightning and BlazeFace (npm @vladmandic/human) import into valid graphs", async () => {
  const dir = new URL("../../node_modules/@vladmandic/human/models/", import.meta.url).pathname;
  const movenet = await loadTfjs(`${dir}movenet-lightning.json`);
  validateGraph(movenet);
  const convs = movenet.nodes.filter((n) => n.op === "Conv");
  equal(convs.length, 74);
  equal(convs.filter((n) => n.attrs.group !== 1).length, 24);
  deepEqual(movenet.inputs, [{ name: "input", dtype: "int32", shape: [1, 192, 192, 3] }]);
  deepEqual(movenet.outputs.map((o) => [o.name, o.shape]), [["Identity", [1, 1, 17, 3]]]);
  ok([...movenet.initializers.values()].every((t) => t.dtype !== "float16"));
  const blaze = await loadTfjs(`${dir}blazeface.json`);
  validateGraph(blaze);
  equal(blaze.nodes.filter((n) => n.op === "Conv").length, 69);
  deepEqual(blaze.outputs.map((o) => o.shape), [[1, 512, 1], [1, 512, 16], [1, 384, 16], [
    1,
    384,
    1,
  ]]);
  // Two Transposes into NCHW would be a layout leak: only the input and 4 outputs' paths.
  ok(blaze.nodes.filter((n) => n.op === "Transpose").length <= 5);
});
