/**
 * Image files for calibration and evaluation: JPEG and PNG decoding (npm `jpeg-js`, `pngjs`)
 * into 8-bit RGB, bilinear resizing, 180° rotation, and conversion to a normalised float
 * NCHW tensor.
 *
 * @example Build an image, resize it and turn it into a tensor
 * ```ts
 * import { imageToTensor, resizeImage, type RgbImage } from "@lowbit/cli/image";
 * import { deepEqual } from "node:assert/strict";
 * const img: RgbImage = { width: 2, height: 1, data: new Uint8Array([0, 0, 0, 255, 255, 255]) };
 * const big = resizeImage(img, 4, 1);
 * deepEqual([...big.data.filter((_, i) => i % 3 === 0)], [0, 64, 191, 255]);
 * const t = imageToTensor(img, { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
 * deepEqual(t.shape, [1, 3, 1, 2]);
 * deepEqual([...t.data], [-1, 1, -1, 1, -1, 1]);
 * ```
 *
 * @module
 */

import { Buffer } from "node:buffer";
import jpeg from "jpeg-js";
import pngjs from "pngjs";

/** An 8-bit RGB image, row-major, 3 bytes per pixel. */
export interface RgbImage {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** `width·height·3` bytes, R G B per pixel. */
  data: Uint8Array;
}

function checkImage(name: string, img: RgbImage): void {
  if (
    !Number.isInteger(img.width) || !Number.isInteger(img.height) || img.width < 1 ||
    img.height < 1 || !(img.data instanceof Uint8Array) ||
    img.data.length !== img.width * img.height * 3
  ) {
    throw new RangeError(
      `${name} must be an RGB image with width·height·3 bytes, got ${img.width}×${img.height} and ${img.data?.length} bytes`,
    );
  }
}

function dropAlpha(rgba: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    // Composite on white: what the picture looks like in a viewer.
    const a = rgba[4 * i + 3] / 255;
    for (let c = 0; c < 3; c++) {
      out[3 * i + c] = Math.floor(rgba[4 * i + c] * a + 255 * (1 - a) + 0.5);
    }
  }
  return out;
}

/**
 * Decodes a JPEG or PNG file (detected from its signature) into RGB; PNG alpha is composited on
 * white.
 *
 * @param bytes The file's bytes.
 * @param name How to call the file in errors (default `"bytes"`).
 * @returns The image.
 * @throws {TypeError} When the bytes are neither JPEG nor PNG, or do not decode.
 *
 * @example
 * ```ts
 * import { decodeImage } from "@lowbit/cli/image";
 * import { throws } from "node:assert/strict";
 * throws(() => decodeImage(new Uint8Array([1, 2, 3]), "x.bin"), /x.bin: not a JPEG or PNG file/);
 * ```
 */
export function decodeImage(bytes: Uint8Array, name = "bytes"): RgbImage {
  const isJpeg = bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8;
  const isPng = bytes.length > 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e &&
    bytes[3] === 0x47;
  if (!isJpeg && !isPng) throw new TypeError(`${name}: not a JPEG or PNG file`);
  try {
    if (isJpeg) {
      const j = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
      return { width: j.width, height: j.height, data: dropAlpha(j.data, j.width * j.height) };
    }
    const p = pngjs.PNG.sync.read(Buffer.from(bytes));
    return {
      width: p.width,
      height: p.height,
      data: dropAlpha(new Uint8Array(p.data), p.width * p.height),
    };
  } catch (e) {
    throw new TypeError(`${name}: cannot decode (${e instanceof Error ? e.message : e})`);
  }
}

/**
 * Reads and decodes an image file.
 *
 * @param path File path.
 * @returns The image.
 * @throws {TypeError} When the file is not a decodable JPEG or PNG (the message names it).
 *
 * @example
 * ```ts
 * import { readImage } from "@lowbit/cli/image";
 * import { rejects } from "node:assert/strict";
 * const path = await Deno.makeTempFile({ suffix: ".png" });
 * await Deno.writeFile(path, new Uint8Array(10));
 * await rejects(() => readImage(path), /not a JPEG or PNG file/);
 * await Deno.remove(path);
 * ```
 */
export async function readImage(path: string): Promise<RgbImage> {
  return decodeImage(await Deno.readFile(path), path);
}

/**
 * Bilinear resize with half-pixel centres (OpenCV `INTER_LINEAR`, ONNX Resize
 * `half_pixel`), rounding to the nearest byte.
 *
 * @param img Source image.
 * @param width Target width (positive integer).
 * @param height Target height (positive integer).
 * @returns The resized image.
 * @throws {RangeError} Naming `width`/`height` when not positive integers.
 *
 * @example
 * ```ts
 * import { resizeImage } from "@lowbit/cli/image";
 * import { equal } from "node:assert/strict";
 * const img = { width: 1, height: 1, data: new Uint8Array([10, 20, 30]) };
 * equal(resizeImage(img, 3, 2).data[3 * 5 + 2], 30);
 * ```
 */
export function resizeImage(img: RgbImage, width: number, height: number): RgbImage {
  checkImage("img", img);
  if (!Number.isInteger(width) || width < 1) {
    throw new RangeError(`width must be a positive integer, got ${width}`);
  }
  if (!Number.isInteger(height) || height < 1) {
    throw new RangeError(`height must be a positive integer, got ${height}`);
  }
  const out = new Uint8Array(width * height * 3);
  const sx = img.width / width, sy = img.height / height;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), img.height - 1);
    const y0 = Math.floor(fy), y1 = Math.min(y0 + 1, img.height - 1), wy = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), img.width - 1);
      const x0 = Math.floor(fx), x1 = Math.min(x0 + 1, img.width - 1), wx = fx - x0;
      for (let c = 0; c < 3; c++) {
        const a = img.data[(y0 * img.width + x0) * 3 + c],
          b = img.data[(y0 * img.width + x1) * 3 + c];
        const d = img.data[(y1 * img.width + x0) * 3 + c],
          e = img.data[(y1 * img.width + x1) * 3 + c];
        const v = (a * (1 - wx) + b * wx) * (1 - wy) + (d * (1 - wx) + e * wx) * wy;
        out[(y * width + x) * 3 + c] = Math.floor(v + 0.5);
      }
    }
  }
  return { width, height, data: out };
}

/**
 * The image turned by 180°.
 *
 * @param img Source image.
 * @returns The rotated image.
 *
 * @example
 * ```ts
 * import { rotate180 } from "@lowbit/cli/image";
 * import { deepEqual } from "node:assert/strict";
 * const img = { width: 2, height: 1, data: new Uint8Array([1, 2, 3, 4, 5, 6]) };
 * deepEqual([...rotate180(img).data], [4, 5, 6, 1, 2, 3]);
 * ```
 */
export function rotate180(img: RgbImage): RgbImage {
  checkImage("img", img);
  const n = img.width * img.height, out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) out[3 * (n - 1 - i) + c] = img.data[3 * i + c];
  }
  return { width: img.width, height: img.height, data: out };
}

/**
 * A rectangle of an image (clipped to the image).
 *
 * @param img Source image.
 * @param x Left column.
 * @param y Top row.
 * @param width Width.
 * @param height Height.
 * @returns The crop.
 * @throws {RangeError} When the rectangle does not overlap the image.
 *
 * @example
 * ```ts
 * import { cropImage } from "@lowbit/cli/image";
 * import { deepEqual } from "node:assert/strict";
 * const img = { width: 2, height: 1, data: new Uint8Array([1, 2, 3, 4, 5, 6]) };
 * deepEqual([...cropImage(img, 1, 0, 5, 5).data], [4, 5, 6]);
 * ```
 */
export function cropImage(
  img: RgbImage,
  x: number,
  y: number,
  width: number,
  height: number,
): RgbImage {
  checkImage("img", img);
  const x0 = Math.max(0, Math.floor(x)), y0 = Math.max(0, Math.floor(y));
  const x1 = Math.min(img.width, Math.floor(x + width)),
    y1 = Math.min(img.height, Math.floor(y + height));
  if (x1 <= x0 || y1 <= y0) {
    throw new RangeError(`the rectangle (${x}, ${y}, ${width}×${height}) is outside the image`);
  }
  const w = x1 - x0, h = y1 - y0, out = new Uint8Array(w * h * 3);
  for (let r = 0; r < h; r++) {
    out.set(
      img.data.subarray(((y0 + r) * img.width + x0) * 3, ((y0 + r) * img.width + x1) * 3),
      r * w * 3,
    );
  }
  return { width: w, height: h, data: out };
}

/** Options of {@linkcode imageToTensor}. */
export interface ImageTensorOptions {
  /** Per-channel mean subtracted after scaling bytes by `scale` (default 0). */
  mean?: readonly [number, number, number];
  /** Per-channel standard deviation divided by (default 1). */
  std?: readonly [number, number, number];
  /** Byte scale (default 1/255). */
  scale?: number;
  /** Channel order of the tensor (default `"rgb"`; PaddleOCR models read `"bgr"`). */
  channels?: "rgb" | "bgr";
  /** Tensor layout (default `"nchw"`). */
  layout?: "nchw" | "nhwc";
}

/**
 * Converts an image to a float32 tensor `(byte·scale − mean[c]) / std[c]`, batch 1.
 *
 * @param img The image.
 * @param options Mean, std, scale, channel order, layout.
 * @returns `{ data, shape }` with shape `[1, 3, H, W]` (nchw) or `[1, H, W, 3]` (nhwc).
 * @throws {RangeError} When a std is 0 or not finite.
 *
 * @example
 * ```ts
 * import { imageToTensor } from "@lowbit/cli/image";
 * import { deepEqual } from "node:assert/strict";
 * const img = { width: 1, height: 1, data: new Uint8Array([255, 0, 51]) };
 * deepEqual([...imageToTensor(img, { channels: "bgr" }).data].map((v) => +v.toFixed(2)), [0.2, 0, 1]);
 * ```
 */
export function imageToTensor(
  img: RgbImage,
  options: ImageTensorOptions = {},
): { data: Float32Array; shape: number[] } {
  checkImage("img", img);
  const mean = options.mean ?? [0, 0, 0], std = options.std ?? [1, 1, 1];
  const scale = options.scale ?? 1 / 255;
  for (const s of std) {
    if (!Number.isFinite(s) || s === 0) {
      throw new RangeError(`options.std must hold finite non-zero numbers, got [${std}]`);
    }
  }
  const { width: w, height: h } = img, n = w * h;
  const out = new Float32Array(n * 3);
  const bgr = options.channels === "bgr", nhwc = options.layout === "nhwc";
  for (let c = 0; c < 3; c++) {
    const src = bgr ? 2 - c : c;
    for (let i = 0; i < n; i++) {
      const v = (img.data[3 * i + src] * scale - mean[c]) / std[c];
      out[nhwc ? 3 * i + c : c * n + i] = v;
    }
  }
  return { data: out, shape: nhwc ? [1, h, w, 3] : [1, 3, h, w] };
}
