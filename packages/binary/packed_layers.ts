/**
 * Bit-packed binary and ternary Linear and Conv2d layers on the XNOR-popcount kernels of
 * `@lowbit/kernels` (`gemmBinary`, `gemmTernary`). Weights and activations are codes (±1 for
 * binary, {−1, 0, +1} for ternary); each layer returns the exact int32 accumulators
 * acc = Σ w·x (what `threshold.ts` turns into the next layer's codes or into floats).
 *
 * A convolution runs per image as one GEMM `patches · Wᵀ`. Binary layers work on channel-packed
 * activations (`packChannels` of `packed_bits.ts`: one row of ⌈C/32⌉ words per pixel, the
 * layout the binary max-pool produces): a patch row is the concatenation of its kH·kW taps'
 * words (all-zero words for padded taps), k = kH·kW·32·⌈C/32⌉ bits, and the weights are packed
 * once in the same order ([O][kH][kW][C], each tap padded to whole words). The unused channel
 * bits are 0 in both operands, so each of the kH·kW·(32·⌈C/32⌉ − C) of them counts +1 in
 * k − 2·popcount; the layer subtracts that constant. Ternary layers pack the patches of
 * `im2colInt8` (one patch per row, k = C·kH·kW in OIHW order, padded taps written as 0).
 *
 * Padding (binary layers). A padded input is 0, which has no ±1 code: packed, the 0 becomes
 * bit 0, i.e. +1, so the popcount result counts +w for every padded tap. As Larq Compute Engine
 * does, the layer subtracts that per output position: with S_o(i, j) = Σ_c w[o][c][i][j], the
 * correction at (oh, ow) is Σ S_o(i, j) over the taps (i, j) that fall into the padding there
 * (nonzero only on the border), computed once per input size. The result equals the float
 * convolution of the ±1 activations with zero padding. Ternary layers need no correction: the
 * padded 0 is a ternary 0 (its nonzero bit is clear).
 *
 * @example A 3×3 binary convolution with padding 1 against the hand count
 * ```ts
 * import { PackedConv2d } from "@lowbit/binary/packed-layers";
 * import { deepEqual } from "node:assert/strict";
 * const conv = new PackedConv2d(new Int8Array(9).fill(1), { inChannels: 1, outChannels: 1, kernelH: 3, kernelW: 3, padding: 1 });
 * const { acc } = conv.forward(new Int8Array(4).fill(1), 1, 2, 2);
 * deepEqual([...acc], [4, 4, 4, 4]); // every output sees the 4 real pixels, 5 padded taps
 * ```
 *
 * @module
 */

import { gemmBinary, packBinary, type PackedBits } from "@lowbit/kernels/gemm-binary";
import { gemmTernary, type PackedTernary, packTernary } from "@lowbit/kernels/gemm-ternary";
import { im2colInt8 } from "@lowbit/kernels/im2col";
import type { KernelChoice } from "@lowbit/kernels/gemm-f32";
import { conv2dOutputShape, type Conv2dParams } from "@lowbit/kernels/conv-params";
import { checkCodes, packChannels } from "./packed_bits.ts";

/** Binary (±1 codes, XNOR-popcount) or ternary ({−1, 0, +1}, two bit-planes). */
export type PackedKind = "binary" | "ternary";

function checkKind(kind: PackedKind): PackedKind {
  if (kind !== "binary" && kind !== "ternary") {
    throw new RangeError(`options.kind must be "binary" or "ternary"; got ${String(kind)}`);
  }
  return kind;
}

function positive(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) {
    throw new RangeError(`${name} must be a positive integer; got ${String(v)}`);
  }
  return v;
}

/** Options of the packed layers. */
export interface PackedLayerOptions {
  /** Default `"binary"`. */
  kind?: PackedKind;
  /** GEMM implementation (default `"auto"`). */
  kernel?: KernelChoice;
}

/**
 * A packed Linear layer: acc[n][o] = Σ_k w[o][k]·x[n][k].
 *
 * @example
 * ```ts
 * import { PackedLinear } from "@lowbit/binary/packed-layers";
 * import { deepEqual } from "node:assert/strict";
 * const fc = new PackedLinear(new Int8Array([1, -1, 1, 1, 1, 1]), 2, 3);
 * deepEqual([...fc.forward(new Int8Array([1, 1, -1]), 1)], [-1, 1]);
 * ```
 */
export class PackedLinear {
  /** Output features O. */
  readonly outFeatures: number;
  /** Input features K. */
  readonly inFeatures: number;
  /** Binary or ternary. */
  readonly kind: PackedKind;
  readonly #w: PackedBits | PackedTernary;
  readonly #kernel: KernelChoice;

  /**
   * Packs the weights once.
   *
   * @param weights Codes `[O][K]` row-major.
   * @param outFeatures O.
   * @param inFeatures K.
   * @param options Kind and kernel.
   * @throws {RangeError} On bad sizes or codes outside the kind's set.
   * @throws {TypeError} If `weights` is not an Int8Array.
   */
  constructor(
    weights: Int8Array,
    outFeatures: number,
    inFeatures: number,
    options: PackedLayerOptions = {},
  ) {
    this.outFeatures = positive("outFeatures", outFeatures);
    this.inFeatures = positive("inFeatures", inFeatures);
    this.kind = checkKind(options.kind ?? "binary");
    this.#kernel = options.kernel ?? "auto";
    checkCodes("weights", weights, this.kind === "ternary", outFeatures * inFeatures);
    this.#w = this.kind === "binary"
      ? packBinary(weights, outFeatures, inFeatures)
      : packTernary(weights, outFeatures, inFeatures);
  }

  /**
   * Multiplies.
   *
   * @param x Codes `[N][K]`.
   * @param batch N.
   * @returns acc `[N][O]`.
   * @throws {RangeError} On a bad batch or codes outside the kind's set.
   * @throws {TypeError} If `x` is not an Int8Array.
   */
  forward(x: Int8Array, batch: number): Int32Array {
    positive("batch", batch);
    const K = this.inFeatures, O = this.outFeatures;
    checkCodes("x", x, this.kind === "ternary", batch * K);
    const kernel = this.#kernel;
    return this.kind === "binary"
      ? gemmBinary(batch, O, K, packBinary(x, batch, K), this.#w as PackedBits, { kernel })
      : gemmTernary(batch, O, K, packTernary(x, batch, K), this.#w as PackedTernary, { kernel });
  }
}

/**
 * The geometry of a {@linkcode PackedConv2d} (groups 1): the kernels' `Conv2dParams` fields
 * that do not depend on the input (channels, kernel size, stride, padding
 * `[top, left, bottom, right]`, dilation).
 */
export type PackedConvGeometry = Pick<
  Conv2dParams,
  "inChannels" | "outChannels" | "kernelH" | "kernelW" | "stride" | "padding" | "dilation"
>;

/**
 * A packed 2-D convolution (module doc), NCHW activations, OIHW weight codes.
 *
 * @example Odd channel counts and a stride
 * ```ts
 * import { PackedConv2d } from "@lowbit/binary/packed-layers";
 * import { deepEqual } from "node:assert/strict";
 * const w = new Int8Array(2 * 3 * 1 * 1).fill(-1); // O = 2, C = 3, 1×1
 * const conv = new PackedConv2d(w, { inChannels: 3, outChannels: 2, kernelH: 1, kernelW: 1, stride: 2 });
 * const out = conv.forward(new Int8Array(3 * 9).fill(1), 1, 3, 3);
 * deepEqual([out.outH, out.outW, out.acc[0]], [2, 2, -3]);
 * ```
 */
export class PackedConv2d {
  /** The geometry. */
  readonly geometry: Readonly<PackedConvGeometry>;
  /** Binary or ternary. */
  readonly kind: PackedKind;
  readonly #w: PackedBits | PackedTernary;
  readonly #tapSums: Int32Array;
  readonly #kernel: KernelChoice;
  #corr = new Map<string, Int32Array>();

  /**
   * Packs the weights once.
   *
   * @param weights OIHW codes.
   * @param geometry Channels, kernel, stride, padding, dilation.
   * @param options Kind and kernel.
   * @throws {RangeError} On bad geometry or codes outside the kind's set.
   * @throws {TypeError} If `weights` is not an Int8Array.
   */
  constructor(weights: Int8Array, geometry: PackedConvGeometry, options: PackedLayerOptions = {}) {
    const { inChannels: C, outChannels: O, kernelH: kh, kernelW: kw } = geometry;
    positive("geometry.inChannels", C);
    positive("geometry.outChannels", O);
    positive("geometry.kernelH", kh);
    positive("geometry.kernelW", kw);
    this.geometry = Object.freeze({ ...geometry });
    this.kind = checkKind(options.kind ?? "binary");
    this.#kernel = options.kernel ?? "auto";
    const K = C * kh * kw, T = kh * kw;
    checkCodes("weights", weights, this.kind === "ternary", O * K);
    if (this.kind === "binary") {
      // [O][kH][kW][C]: one packed row of C bits per (o, tap), ⌈C/32⌉ words each
      const ohwc = new Int8Array(O * K);
      for (let o = 0; o < O; o++) {
        for (let c = 0; c < C; c++) {
          for (let t = 0; t < T; t++) ohwc[(o * T + t) * C + c] = weights[o * K + c * T + t];
        }
      }
      const taps = packBinary(ohwc, O * T, C), wc = Math.ceil(C / 32);
      this.#w = { rows: O, k: T * wc * 32, words: taps.words };
    } else {
      this.#w = packTernary(weights, O, K);
    }
    this.#tapSums = new Int32Array(O * kh * kw);
    for (let o = 0; o < O; o++) {
      for (let c = 0; c < C; c++) {
        for (let t = 0; t < kh * kw; t++) {
          this.#tapSums[o * kh * kw + t] += weights[o * K + c * kh * kw + t];
        }
      }
    }
  }

  #params(batch: number, height: number, width: number): Conv2dParams {
    const g = this.geometry;
    return {
      batch,
      inChannels: g.inChannels,
      height,
      width,
      outChannels: g.outChannels,
      kernelH: g.kernelH,
      kernelW: g.kernelW,
      stride: g.stride,
      padding: g.padding,
      dilation: g.dilation,
    };
  }

  /**
   * The padding correction `[O][outH·outW]` for an input size (module doc): Σ S_o(i, j) over
   * the padded taps of each output position.
   *
   * @param height H.
   * @param width W.
   * @returns The correction (zero away from the border).
   */
  paddingCorrection(height: number, width: number): Int32Array {
    const key = `${height}x${width}`;
    const hit = this.#corr.get(key);
    if (hit) return hit;
    const { outH, outW } = conv2dOutputShape(this.#params(1, height, width));
    const g = this.geometry, kh = g.kernelH, kw = g.kernelW, O = g.outChannels;
    const [sh, sw] = pair(g.stride), [dh, dw] = pair(g.dilation), [pt, pl] = padBegin(g.padding);
    const hw = outH * outW, corr = new Int32Array(O * hw);
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) {
        for (let i = 0; i < kh; i++) {
          const y = oh * sh - pt + i * dh;
          for (let j = 0; j < kw; j++) {
            const x = ow * sw - pl + j * dw;
            if (y >= 0 && y < height && x >= 0 && x < width) continue;
            for (let o = 0; o < O; o++) {
              corr[o * hw + oh * outW + ow] += this.#tapSums[(o * kh + i) * kw + j];
            }
          }
        }
      }
    }
    this.#corr.set(key, corr);
    return corr;
  }

  /**
   * Convolves.
   *
   * @param x NCHW codes.
   * @param batch N.
   * @param height H.
   * @param width W.
   * @returns acc NCHW `[N][O][outH][outW]` and the output size.
   * @throws {RangeError} On bad sizes (an empty output included) or codes outside the kind's set.
   * @throws {TypeError} If `x` is not an Int8Array.
   */
  forward(
    x: Int8Array,
    batch: number,
    height: number,
    width: number,
  ): { acc: Int32Array; outH: number; outW: number } {
    const p = this.#params(positive("batch", batch), height, width);
    const { outH, outW } = conv2dOutputShape(p);
    const g = this.geometry, O = g.outChannels, K = g.inChannels * g.kernelH * g.kernelW;
    const ternary = this.kind === "ternary";
    checkCodes("x", x, ternary, batch * g.inChannels * height * width);
    if (!ternary) {
      return this.forwardPacked(
        packChannels(x, batch, g.inChannels, height, width),
        batch,
        height,
        width,
      );
    }
    const hw = outH * outW;
    const rows = new Int8Array(hw * K), res = new Int32Array(hw * O);
    const acc = new Int32Array(batch * O * hw);
    const kernel = this.#kernel;
    for (let n = 0; n < batch; n++) {
      im2colInt8(x, p, n, 0, { zeroPoint: 0, out: rows });
      gemmTernary(hw, O, K, packTernary(rows, hw, K), this.#w as PackedTernary, {
        out: res,
        kernel,
      });
      transposeInto(res, acc, n * O * hw, hw, O, null);
    }
    return { acc, outH, outW };
  }

  /**
   * Convolves channel-packed ±1 activations (binary layers; module doc).
   *
   * @param bits `packChannels` rows: `batch·height·width` rows of C bits.
   * @param batch N.
   * @param height H.
   * @param width W.
   * @returns acc NCHW `[N][O][outH][outW]` and the output size.
   * @throws {RangeError} On a ternary layer, bad sizes, or bits of another shape.
   */
  forwardPacked(
    bits: PackedBits,
    batch: number,
    height: number,
    width: number,
  ): { acc: Int32Array; outH: number; outW: number } {
    if (this.kind !== "binary") throw new RangeError("forwardPacked needs a binary layer");
    const p = this.#params(positive("batch", batch), height, width);
    const { outH, outW } = conv2dOutputShape(p);
    const g = this.geometry, O = g.outChannels, C = g.inChannels;
    const wc = Math.ceil(C / 32), kh = g.kernelH, kw = g.kernelW;
    if (
      bits.rows !== batch * height * width || bits.k !== C || bits.words.length < bits.rows * wc
    ) {
      throw new RangeError(
        `bits has ${bits.rows} rows of ${bits.k} bits; expected ${
          batch * height * width
        } rows of ${C}`,
      );
    }
    const [sh, sw] = pair(g.stride), [dh, dw] = pair(g.dilation), [pt, pl] = padBegin(g.padding);
    const hw = outH * outW, rowWords = kh * kw * wc, kBits = rowWords * 32;
    const unused = kh * kw * (wc * 32 - C);
    // all images' patches in one GEMM (one Wasm call)
    const patches = new Uint32Array(batch * hw * rowWords), res = new Int32Array(batch * hw * O);
    const acc = new Int32Array(batch * O * hw);
    const corr = this.paddingCorrection(height, width), src = bits.words;
    for (let n = 0; n < batch; n++) {
      for (let oh = 0; oh < outH; oh++) {
        for (let ow = 0; ow < outW; ow++) {
          let dst = ((n * outH + oh) * outW + ow) * rowWords;
          for (let i = 0; i < kh; i++) {
            const y = oh * sh - pt + i * dh;
            for (let j = 0; j < kw; j++, dst += wc) {
              const x = ow * sw - pl + j * dw;
              if (y < 0 || y >= height || x < 0 || x >= width) continue;
              const from = ((n * height + y) * width + x) * wc;
              for (let q = 0; q < wc; q++) patches[dst + q] = src[from + q];
            }
          }
        }
      }
    }
    gemmBinary(batch * hw, O, kBits, patches, (this.#w as PackedBits).words, {
      out: res,
      kernel: this.#kernel,
    });
    for (let n = 0; n < batch; n++) {
      transposeInto(res.subarray(n * hw * O), acc, n * O * hw, hw, O, corr, unused);
    }
    return { acc, outH, outW };
  }
}

function pair(v: number | [number, number] | undefined): [number, number] {
  return v === undefined ? [1, 1] : typeof v === "number" ? [v, v] : v;
}

function padBegin(v: number | [number, number, number, number] | undefined): [number, number] {
  const pad = v ?? 0;
  return typeof pad === "number" ? [pad, pad] : [pad[0], pad[1]];
}

/** `[hw][O]` GEMM result → the NCHW block at `base`, minus the corrections. */
function transposeInto(
  res: Int32Array,
  acc: Int32Array,
  base: number,
  hw: number,
  O: number,
  corr: Int32Array | null,
  unused = 0,
): void {
  for (let q = 0; q < hw; q++) {
    for (let o = 0; o < O; o++) acc[base + o * hw + q] = res[q * O + o] - unused;
  }
  if (corr) { for (let i = 0; i < O * hw; i++) acc[base + i] -= corr[i]; }
}
