/**
 * Calibration and comparison inputs from files: a folder of JPEG/PNG images (resized to the
 * model input and normalised), a NumPy `.npy` float32 array `[N, ...sample]`, or a raw
 * little-endian float32 `.bin` file holding whole samples back to back.
 *
 * @example Samples from a .bin file
 * ```ts
 * import { loadSamples } from "@lowbit/cli/inputs";
 * import { equal } from "node:assert/strict";
 * const path = await Deno.makeTempFile({ suffix: ".bin" });
 * await Deno.writeFile(path, new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer));
 * const samples = await loadSamples(path, { name: "x", shape: [1, 3] });
 * equal(samples.length, 2);
 * equal(samples[1].x.data[0], 4);
 * await Deno.remove(path);
 * ```
 *
 * @module
 */

import { extname, join } from "node:path";
import { imageToTensor, readImage, resizeImage } from "./image.ts";

/** One model input sample by input name. */
export type Sample = Record<string, { data: Float32Array; shape: number[] }>;

/** Options of {@linkcode loadSamples}. */
export interface LoadSamplesOptions {
  /** The model input's name. */
  name: string;
  /** The model input's shape for one sample, batch 1 (e.g. `[1, 3, 48, 192]`, NCHW). */
  shape: readonly number[];
  /** Image mean per channel after scaling to [0, 1] (default 0). */
  mean?: readonly [number, number, number];
  /** Image std per channel (default 1). */
  std?: readonly [number, number, number];
  /** Channel order for images (default rgb). */
  channels?: "rgb" | "bgr";
  /** At most this many samples (default all). */
  limit?: number;
}

/** A file or folder that cannot serve as model inputs; the message names it. */
export class InputsError extends Error {
  /**
   * Creates the error.
   *
   * @param message What is wrong, starting with the path.
   */
  constructor(message: string) {
    super(message);
    this.name = "InputsError";
  }
}

function parseNpy(bytes: Uint8Array, path: string): { data: Float32Array; shape: number[] } {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || !magic.every((b, i) => bytes[i] === b)) {
    throw new InputsError(`${path}: not a .npy file (bad magic)`);
  }
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major >= 2 ? view.getUint32(8, true) : view.getUint16(8, true);
  const start = major >= 2 ? 12 : 10;
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr !== "<f4") {
    throw new InputsError(`${path}: dtype must be float32 ('<f4'), got ${descr}`);
  }
  if (fortran !== "False") {
    throw new InputsError(`${path}: Fortran-ordered arrays are not supported`);
  }
  if (shapeText === undefined) throw new InputsError(`${path}: no shape in the header`);
  const shape = shapeText.split(",").map((s) => s.trim()).filter((s) => s).map(Number);
  const offset = start + headerLen;
  const n = shape.reduce((a, b) => a * b, 1);
  if (bytes.length - offset !== 4 * n) {
    throw new InputsError(
      `${path}: ${bytes.length - offset} data bytes, shape (${shape}) needs ${4 * n}`,
    );
  }
  return { data: new Float32Array(bytes.slice(offset).buffer), shape };
}

function split(
  data: Float32Array,
  options: LoadSamplesOptions,
  path: string,
): Sample[] {
  const per = options.shape.reduce((a, b) => a * b, 1);
  if (data.length === 0 || data.length % per !== 0) {
    throw new InputsError(
      `${path}: ${data.length} floats are not a whole number of samples of shape [${options.shape}] (${per} each)`,
    );
  }
  const out: Sample[] = [];
  const count = Math.min(data.length / per, options.limit ?? Infinity);
  for (let i = 0; i < count; i++) {
    out.push({
      [options.name]: { data: data.slice(i * per, (i + 1) * per), shape: [...options.shape] },
    });
  }
  return out;
}

/**
 * Loads model input samples from a folder of images, a `.npy` or a `.bin` file.
 *
 * @param path Folder or file.
 * @param options Input name and per-sample shape; image normalisation; a limit.
 * @returns The samples, in file-name order for folders.
 * @throws {InputsError} Naming the path when it is missing, empty, of an unknown kind, or holds
 *   data of the wrong size.
 */
export async function loadSamples(path: string, options: LoadSamplesOptions): Promise<Sample[]> {
  let stat: Deno.FileInfo;
  try {
    stat = await Deno.stat(path);
  } catch {
    throw new InputsError(`${path}: no such file or folder`);
  }
  if (stat.isDirectory) {
    const files: string[] = [];
    for await (const e of Deno.readDir(path)) {
      if (e.isFile && /\.(jpe?g|png)$/i.test(e.name)) files.push(e.name);
    }
    files.sort();
    if (files.length === 0) {
      throw new InputsError(`${path}: the folder holds no .jpg or .png images`);
    }
    const s = options.shape;
    if (s.length !== 4 || s[0] !== 1 || s[1] !== 3) {
      throw new InputsError(
        `${path}: images need a model input of shape [1, 3, H, W], the input ${options.name} is [${s}]`,
      );
    }
    const out: Sample[] = [];
    for (const f of files.slice(0, options.limit ?? files.length)) {
      const img = resizeImage(await readImage(join(path, f)), s[3], s[2]);
      const t = imageToTensor(img, {
        mean: options.mean,
        std: options.std,
        channels: options.channels,
      });
      out.push({ [options.name]: t });
    }
    return out;
  }
  const bytes = await Deno.readFile(path);
  const ext = extname(path).toLowerCase();
  if (ext === ".npy") {
    const a = parseNpy(bytes, path);
    return split(a.data, options, path);
  }
  if (ext === ".bin") {
    if (bytes.length % 4 !== 0) {
      throw new InputsError(`${path}: length ${bytes.length} is not a multiple of 4`);
    }
    return split(new Float32Array(bytes.slice().buffer), options, path);
  }
  throw new InputsError(`${path}: expected a folder of images, a .npy or a .bin file`);
}
