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
import type { RgbImage } from "@lowbit/cli/image";
import { clsInput } from "../../notebooks/_lib/ocr_data.ts";
import { clsEvalImages } from "../_cls_eval_images.ts";

const dir = Deno.args[0];
if (dir === undefined) throw new RangeError("usage: ort_cls_inputs.ts <output folder>");
Deno.mkdirSync(dir, { recursive: true });
const write = (name: string, images: RgbImage[]) => {
  const xs = images.map((im) => clsInput(im).data as Float32Array);
  const all = new Float32Array(xs.length * xs[0].length);
  xs.forEach((x, i) => all.set(x, i * x.length));
  Deno.writeFileSync(`${dir}/${name}.f32`, new Uint8Array(all.buffer));
  console.log(`${name}: ${xs.length} × [3, 48, 192]`);
};
const images = clsEvalImages(300, 100); // eval:real-models' defaults
write("calib", images.calibration);
write("lines", images.lines);
write("crops", images.crops);
write("devlines", images.dev.slice(0, 100));
write("devcrops", images.dev.slice(100));
