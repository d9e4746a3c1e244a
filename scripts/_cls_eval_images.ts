/**
 * The PP-OCR classifier's image sets of `deno task eval:real-models` (scripts/real_models_eval.ts),
 * one definition for the eval and for the onnxruntime reference (scripts/reference/ort_cls_inputs.ts),
 * so both always see the same seeded images.
 *
 * @module
 */
import { Philox } from "@lowbit/rounding/philox";
import type { RgbImage } from "@lowbit/cli/image";
import { photoCrops, textLines } from "../notebooks/_lib/ocr_data.ts";

/** Calibration, test and development images of the classifier evaluation. */
export interface ClsEvalImages {
  /** 48 rendered lines (Philox 11/1) + 16 photo crops (11/2) = 64 images (the notebook's). */
  calibration: RgbImage[];
  /** Test lines (Philox 101/1), distinct from calibration and the notebook's test (12, 13). */
  lines: RgbImage[];
  /** Test photo crops (Philox 102/1). */
  crops: RgbImage[];
  /** Development: 100 lines (Philox 105/1), then 100 photo crops (103/1). */
  dev: RgbImage[];
}

/**
 * Builds the classifier evaluation's images.
 *
 * @param lineCount Test lines (the eval's `--cls-lines`, default 300).
 * @param cropCount Test photo crops (`--cls-crops`, default 100).
 * @returns The image sets.
 *
 * @example The calibration set is 64 images, the development set 200
 * ```ts
 * import { clsEvalImages } from "./_cls_eval_images.ts";
 * import { equal } from "node:assert/strict";
 * const s = clsEvalImages(3, 2);
 * equal(s.calibration.length, 64);
 * equal(s.dev.length, 200);
 * equal(s.lines.length + s.crops.length, 5);
 * ```
 */
export function clsEvalImages(lineCount: number, cropCount: number): ClsEvalImages {
  return {
    calibration: [
      ...textLines(48, new Philox(11, 1)).map((l) => l.image),
      ...photoCrops(16, new Philox(11, 2)),
    ],
    lines: textLines(lineCount, new Philox(101, 1)).map((l) => l.image),
    crops: photoCrops(cropCount, new Philox(102, 1)),
    dev: [
      ...textLines(100, new Philox(105, 1)).map((l) => l.image),
      ...photoCrops(100, new Philox(103, 1)),
    ],
  };
}
