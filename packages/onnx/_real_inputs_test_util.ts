// Test helper: real inputs for the PP-OCR models (darknet photo crops, a page of darknet glyphs).
import { Buffer } from "node:buffer";
import jpeg from "jpeg-js";
import pngjs from "pngjs";

/** A photo crop resized (nearest) to h×w, PaddleOCR-normalised, BGR, NCHW. */
export function photoInput(
  file: string,
  h: number,
  w: number,
  x0: number,
  y0: number,
): Float32Array {
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
export function textPage(): Float32Array {
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

const PHOTOS = ["dog", "eagle", "giraffe", "horses", "kite", "person", "scream"];

/**
 * Input sample i of the PP-OCR classifier ({ x: 1×3×48×192 }): darknet photo i mod 7, the crop
 * starting 60·⌊i/7⌋ rows down.
 */
export function clsPhotoSample(i: number): { x: { data: Float32Array; shape: number[] } } {
  const file = `/usr/share/darknet/data/${PHOTOS[i % 7]}.jpg`;
  return {
    x: { data: photoInput(file, 48, 192, 0, 60 * Math.floor(i / 7)), shape: [1, 3, 48, 192] },
  };
}
