/**
 * Writes the PP-OCR classifier inputs of `deno task eval:real-models` (calibration, test lines,
 * test photo crops; the same seeds) as raw little-endian float32 NCHW files for
 * ort_quantize_static_cls.py, which quantizes the model with onnxruntime's own quantizer and
 * writes the agreement numbers it reaches (committed in scripts/reference/ort_cls_agreement.json).
 *
 * Run: `deno run -A scripts/reference/ort_cls_inputs.ts /tmp/clsref`.
 *
 * @module
 */
import { Philox } from "@lowbit/rounding/philox";
import { clsInput, photoCrops, textLines } from "../../notebooks/_lib/ocr_data.ts";

const dir = Deno.args[0];
if (dir === undefined) throw new RangeError("usage: ort_cls_inputs.ts <output folder>");
Deno.mkdirSync(dir, { recursive: true });
const write = (name: string, images: Parameters<typeof clsInput>[0][]) => {
  const xs = images.map((im) => clsInput(im).data as Float32Array);
  const all = new Float32Array(xs.length * xs[0].length);
  xs.forEach((x, i) => all.set(x, i * x.length));
  Deno.writeFileSync(`${dir}/${name}.f32`, new Uint8Array(all.buffer));
  console.log(`${name}: ${xs.length} × [3, 48, 192]`);
};
// as in scripts/real_models_eval.ts
write("calib", [
  ...textLines(48, new Philox(11, 1)).map((l) => l.image),
  ...photoCrops(16, new Philox(11, 2)),
]);
write("lines", textLines(300, new Philox(101, 1)).map((l) => l.image));
write("crops", photoCrops(100, new Philox(102, 1)));
write("devlines", textLines(100, new Philox(105, 1)).map((l) => l.image));
write("devcrops", photoCrops(100, new Philox(103, 1)));
