/**
 * The reference architectures trained by `deno task train` (weights under `models/`, see the
 * package README). Layer names are the state-dict prefixes; inputs are `[N, 1, 28, 28]` images
 * normalised as (byte/255 − mean)/std with the mean and std recorded in each model's JSON.
 *
 * - {@linkcode mnistMlp}: flatten → fc1 784→256 → relu1 → fc2 256→128 → relu2 → fc3 128→10.
 * - {@linkcode mnistCnn}: conv1 1→c1 5×5 pad 2 → bn1 → relu1 → pool1 2×2 → conv2 c1→c2 5×5
 *   pad 2 → bn2 → relu2 → pool2 2×2 → flatten → fc c2·7·7→10 (c1 = 8, c2 = 16: 11,322
 *   parameters).
 * - {@linkcode fashionCnn}: conv1 1→16 → bn1 → relu1 → pool1 → conv2 16→32 → bn2 → relu2 →
 *   pool2 → flatten → fc1 1568→128 → relu3 → fc2 128→10 (3×3 convolutions, padding 1,
 *   2×2 max pooling).
 * - {@linkcode fashionMobileNetV2}: a small MobileNetV2 (stem conv → inverted-residual blocks
 *   with linear bottlenecks → 1×1 head conv → global average pool → fc).
 *
 * Weights are initialised from `new Philox(seed, 1)`.
 *
 * @example
 * ```ts
 * import { mnistCnn } from "@lowbit/nn/models";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(mnistCnn(0).forward(Variable.zeros([2, 1, 28, 28])).shape, [2, 10]);
 * ```
 *
 * @module
 */

import { Philox } from "@lowbit/rounding/philox";
import { accumulate, record, type Variable } from "./autograd.ts";
import { BatchNorm2d } from "./batchnorm.ts";
import { Conv2d, type Conv2dLayerOptions } from "./conv2d.ts";
import { Flatten, GlobalAvgPool, MaxPool2d, ReLU, ReLU6, Residual } from "./layers.ts";
import { Linear } from "./linear.ts";
import { expectShape, type Module, Sequential } from "./module.ts";

/**
 * The MNIST multilayer perceptron 784-256-128-10.
 *
 * @param seed Initialisation seed.
 * @returns The model.
 *
 * @example
 * ```ts
 * import { mnistMlp } from "@lowbit/nn/models";
 * import { equal } from "node:assert/strict";
 * equal(mnistMlp(0).parameters().reduce((a, p) => a + p.size, 0), 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10);
 * ```
 */
export function mnistMlp(seed: number): Sequential {
  const random = new Philox(seed, 1);
  return new Sequential([
    ["flatten", new Flatten()],
    ["fc1", new Linear(784, 256, { random })],
    ["relu1", new ReLU()],
    ["fc2", new Linear(256, 128, { random })],
    ["relu2", new ReLU()],
    ["fc3", new Linear(128, 10, { random })],
  ]);
}

/**
 * The small MNIST CNN (two 5×5 conv + BN + ReLU + max-pool stages, one linear layer).
 *
 * @param seed Initialisation seed.
 * @param channels [c1, c2] (default [8, 16]).
 * @returns The model.
 *
 * @example
 * ```ts
 * import { mnistCnn } from "@lowbit/nn/models";
 * import { deepEqual, equal } from "node:assert/strict";
 * equal(mnistCnn(0).parameters().reduce((a, p) => a + p.size, 0), 11322);
 * deepEqual(mnistCnn(0).layers.map(([n]) => n), ["conv1", "bn1", "relu1", "pool1", "conv2", "bn2", "relu2", "pool2", "flatten", "fc"]);
 * ```
 */
export function mnistCnn(seed: number, channels: readonly [number, number] = [8, 16]): Sequential {
  const random = new Philox(seed, 1);
  const [c1, c2] = channels;
  return new Sequential([
    ["conv1", new Conv2d(1, c1, 5, { random, padding: 2 })],
    ["bn1", new BatchNorm2d(c1)],
    ["relu1", new ReLU()],
    ["pool1", new MaxPool2d({ kernel: 2 })],
    ["conv2", new Conv2d(c1, c2, 5, { random, padding: 2 })],
    ["bn2", new BatchNorm2d(c2)],
    ["relu2", new ReLU()],
    ["pool2", new MaxPool2d({ kernel: 2 })],
    ["flatten", new Flatten()],
    ["fc", new Linear(c2 * 49, 10, { random })],
  ]);
}

/**
 * The Fashion-MNIST CNN (two 3×3 conv stages of 16 and 32 channels, a 128-unit hidden layer).
 *
 * @param seed Initialisation seed.
 * @returns The model.
 *
 * @example
 * ```ts
 * import { fashionCnn } from "@lowbit/nn/models";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(fashionCnn(0).namedParameters().map(([n]) => n).slice(-4), ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]);
 * ```
 */
export function fashionCnn(seed: number): Sequential {
  const random = new Philox(seed, 1);
  return new Sequential([
    ["conv1", new Conv2d(1, 16, 3, { random, padding: 1 })],
    ["bn1", new BatchNorm2d(16)],
    ["relu1", new ReLU()],
    ["pool1", new MaxPool2d({ kernel: 2 })],
    ["conv2", new Conv2d(16, 32, 3, { random, padding: 1 })],
    ["bn2", new BatchNorm2d(32)],
    ["relu2", new ReLU()],
    ["pool2", new MaxPool2d({ kernel: 2 })],
    ["flatten", new Flatten()],
    ["fc1", new Linear(32 * 49, 128, { random })],
    ["relu3", new ReLU()],
    ["fc2", new Linear(128, 10, { random })],
  ]);
}

/**
 * A depthwise convolution (groups = C = O, one kernel per channel) with a direct
 * forward and backward instead of conv2d's per-(image, channel) im2col + GEMM, which for
 * depthwise layers spends its time in call overhead (K = kh·kw, one output row per GEMM).
 * It is a {@linkcode Conv2d} (same parameters, state-dict names, `describe`, `fromNn`
 * conversion to `Conv` with `group` = C); only `forward` differs, and only in rounding (each
 * output's taps are summed in binary64 and rounded once, the gradients likewise per plane).
 * Geometries other than a number stride, a number padding and dilation 1 fall back to
 * `Conv2d.forward`. (The fast path belongs in `conv2d` of `ops_conv.ts`; it lives here
 * because this builder needed it and that file is outside this change.)
 *
 * @example Same output as the grouped Conv2d it replaces
 * ```ts
 * import { DepthwiseConv2d } from "@lowbit/nn/models";
 * import { Conv2d } from "@lowbit/nn/conv2d";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { ok } from "node:assert/strict";
 * const dw = new DepthwiseConv2d(4, 3, { random: new Philox(1), stride: 2, padding: 1 });
 * const ref = new Conv2d(4, 4, 3, { random: new Philox(1), stride: 2, padding: 1, groups: 4 });
 * const x = Variable.from(Array.from({ length: 4 * 25 }, (_, i) => Math.sin(i)), [1, 4, 5, 5]);
 * const a = dw.forward(x).data, b = ref.forward(x).data;
 * ok(a.every((v, i) => Math.abs(v - b[i]) < 1e-6));
 * ```
 */
export class DepthwiseConv2d extends Conv2d {
  /**
   * Makes the layer: `Conv2d(channels, channels, kernel, { ...options, groups: channels })`.
   *
   * @param channels C = O = groups.
   * @param kernel kh = kw, or [kh, kw].
   * @param options Seeded source, stride, padding, dilation, bias switch (groups is set).
   */
  constructor(
    channels: number,
    kernel: number | readonly [number, number],
    options: Conv2dLayerOptions,
  ) {
    super(channels, channels, kernel, { ...options, groups: channels });
  }

  /**
   * Convolves each channel with its own kernel.
   *
   * @param x `[N, C, H, W]`.
   * @returns `[N, C, outH, outW]`.
   * @throws {RangeError} If the input shape does not fit.
   */
  override forward(x: Variable): Variable {
    const { stride = 1, padding = 0, dilation = 1 } = this.options;
    if (typeof stride !== "number" || typeof padding !== "number" || dilation !== 1) {
      return super.forward(x);
    }
    expectShape(this.describe(), x, [null, this.inChannels, null, null]);
    const w = this.weightQuant === null ? this.weight : this.weightQuant.forward(this.weight);
    return depthwise(x, w, this.bias, stride, padding);
  }
}

/** Copies plane `src[at …]` (h×w) into the middle of `dst` ((h+2p)×(w+2p), border zero). */
function padPlane(
  src: Float32Array,
  at: number,
  h: number,
  w: number,
  p: number,
  dst: Float32Array,
) {
  const wp = w + 2 * p;
  for (let y = 0; y < h; y++) {
    const from = at + y * w, to = (y + p) * wp + p;
    for (let x = 0; x < w; x++) dst[to + x] = src[from + x];
  }
}

function depthwise(x: Variable, w: Variable, b: Variable | null, s: number, p: number): Variable {
  const [n, c, h, wd] = x.shape;
  const [, , kh, kw] = w.shape;
  const oh = Math.floor((h + 2 * p - kh) / s) + 1, ow = Math.floor((wd + 2 * p - kw) / s) + 1;
  if (oh < 1 || ow < 1) {
    throw new RangeError(`depthwise: input ${h}×${wd} too small for ${kh}×${kw} (padding ${p})`);
  }
  const xd = x.data, wdat = w.data, hw = h * wd, ohw = oh * ow, wp = wd + 2 * p;
  const plane = new Float32Array((h + 2 * p) * wp);
  const out = new Float32Array(n * c * ohw);
  for (let nc = 0; nc < n * c; nc++) {
    const ch = nc % c, yo = nc * ohw, k0 = ch * kh * kw;
    const bias = b === null ? 0 : b.data[ch];
    padPlane(xd, nc * hw, h, wd, p, plane);
    if (kh === 3 && kw === 3) {
      const w0 = wdat[k0], w1 = wdat[k0 + 1], w2 = wdat[k0 + 2], w3 = wdat[k0 + 3];
      const w4 = wdat[k0 + 4], w5 = wdat[k0 + 5], w6 = wdat[k0 + 6], w7 = wdat[k0 + 7];
      const w8 = wdat[k0 + 8];
      for (let oy = 0; oy < oh; oy++) {
        const o = yo + oy * ow;
        for (let ox = 0; ox < ow; ox++) {
          const r0 = oy * s * wp + ox * s, r1 = r0 + wp, r2 = r1 + wp;
          out[o + ox] = w0 * plane[r0] + w1 * plane[r0 + 1] + w2 * plane[r0 + 2] +
            w3 * plane[r1] + w4 * plane[r1 + 1] + w5 * plane[r1 + 2] +
            w6 * plane[r2] + w7 * plane[r2 + 1] + w8 * plane[r2 + 2] + bias;
        }
      }
      continue;
    }
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        let acc = 0;
        for (let i = 0; i < kh; i++) {
          const row = (oy * s + i) * wp + ox * s, kr = k0 + i * kw;
          for (let j = 0; j < kw; j++) acc += wdat[kr + j] * plane[row + j];
        }
        out[yo + oy * ow + ox] = acc + bias;
      }
    }
  }
  const parents = b === null ? [x, w] : [x, w, b];
  return record("depthwiseConv2d", out, [n, c, oh, ow], parents, (gy) => {
    const gx = x.requiresGrad ? new Float32Array(x.size) : null;
    const gw = w.requiresGrad ? new Float32Array(w.size) : null;
    const gplane = new Float32Array(plane.length);
    for (let nc = 0; nc < n * c; nc++) {
      const yo = nc * ohw, k0 = (nc % c) * kh * kw;
      if (gw !== null) {
        padPlane(xd, nc * hw, h, wd, p, plane);
        if (kh === 3 && kw === 3) {
          weightGrad3x3(gy, yo, oh, ow, s, wp, plane, gw, k0);
        } else {
          for (let i = 0; i < kh; i++) {
            for (let j = 0; j < kw; j++) {
              let acc = 0;
              for (let oy = 0; oy < oh; oy++) {
                const row = (oy * s + i) * wp + j, g = yo + oy * ow;
                for (let ox = 0; ox < ow; ox++) acc += gy[g + ox] * plane[row + ox * s];
              }
              gw[k0 + i * kw + j] += acc;
            }
          }
        }
      }
      if (gx !== null) {
        gplane.fill(0);
        if (kh === 3 && kw === 3) {
          scatter3x3(gy, yo, oh, ow, s, wp, wdat, k0, gplane);
        } else {
          for (let oy = 0; oy < oh; oy++) {
            for (let ox = 0; ox < ow; ox++) {
              const g = gy[yo + oy * ow + ox];
              for (let i = 0; i < kh; i++) {
                const row = (oy * s + i) * wp + ox * s, kr = k0 + i * kw;
                for (let j = 0; j < kw; j++) gplane[row + j] += wdat[kr + j] * g;
              }
            }
          }
        }
        const at = nc * hw;
        for (let y = 0; y < h; y++) {
          const from = (y + p) * wp + p, to = at + y * wd;
          for (let xx = 0; xx < wd; xx++) gx[to + xx] = gplane[from + xx];
        }
      }
    }
    if (gx !== null) accumulate(x, gx);
    if (gw !== null) accumulate(w, gw);
    if (b !== null && b.requiresGrad) {
      const gb = new Float32Array(c);
      for (let nc = 0; nc < n * c; nc++) {
        let t = 0;
        for (let q = nc * ohw; q < (nc + 1) * ohw; q++) t += gy[q];
        gb[nc % c] += t;
      }
      accumulate(b, gb);
    }
  });
}

/** ∂L/∂w of one 3×3 channel (added into `gw[k0 …]`): nine sums in one pass. */
function weightGrad3x3(
  gy: Float32Array,
  yo: number,
  oh: number,
  ow: number,
  s: number,
  wp: number,
  plane: Float32Array,
  gw: Float32Array,
  k0: number,
): void {
  let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0, a8 = 0;
  for (let oy = 0; oy < oh; oy++) {
    const o = yo + oy * ow;
    for (let ox = 0; ox < ow; ox++) {
      const g = gy[o + ox];
      const r0 = oy * s * wp + ox * s, r1 = r0 + wp, r2 = r1 + wp;
      a0 += g * plane[r0];
      a1 += g * plane[r0 + 1];
      a2 += g * plane[r0 + 2];
      a3 += g * plane[r1];
      a4 += g * plane[r1 + 1];
      a5 += g * plane[r1 + 2];
      a6 += g * plane[r2];
      a7 += g * plane[r2 + 1];
      a8 += g * plane[r2 + 2];
    }
  }
  gw[k0] += a0;
  gw[k0 + 1] += a1;
  gw[k0 + 2] += a2;
  gw[k0 + 3] += a3;
  gw[k0 + 4] += a4;
  gw[k0 + 5] += a5;
  gw[k0 + 6] += a6;
  gw[k0 + 7] += a7;
  gw[k0 + 8] += a8;
}

/** ∂L/∂(padded input plane) of one 3×3 channel: each output gradient scattered to its taps. */
function scatter3x3(
  gy: Float32Array,
  yo: number,
  oh: number,
  ow: number,
  s: number,
  wp: number,
  w: Float32Array,
  k0: number,
  gplane: Float32Array,
): void {
  const w0 = w[k0], w1 = w[k0 + 1], w2 = w[k0 + 2], w3 = w[k0 + 3], w4 = w[k0 + 4];
  const w5 = w[k0 + 5], w6 = w[k0 + 6], w7 = w[k0 + 7], w8 = w[k0 + 8];
  for (let oy = 0; oy < oh; oy++) {
    const o = yo + oy * ow;
    for (let ox = 0; ox < ow; ox++) {
      const g = gy[o + ox];
      const r0 = oy * s * wp + ox * s, r1 = r0 + wp, r2 = r1 + wp;
      gplane[r0] += w0 * g;
      gplane[r0 + 1] += w1 * g;
      gplane[r0 + 2] += w2 * g;
      gplane[r1] += w3 * g;
      gplane[r1 + 1] += w4 * g;
      gplane[r1 + 2] += w5 * g;
      gplane[r2] += w6 * g;
      gplane[r2 + 1] += w7 * g;
      gplane[r2 + 2] += w8 * g;
    }
  }
}

/** One inverted-residual block of {@linkcode fashionMobileNetV2}. */
export interface InvertedResidualSpec {
  /** Output channels. */
  out: number;
  /** Expansion factor t: the hidden width is t · input channels. */
  expansion: number;
  /** Stride of the depthwise convolution. */
  stride: 1 | 2;
}

/** Options of {@linkcode fashionMobileNetV2}. */
export interface MobileNetV2Options {
  /** Channels of the stem convolution (default 24). */
  stem?: number;
  /** Stride of the stem convolution (default 2: 28×28 → 14×14). */
  stemStride?: 1 | 2;
  /** The blocks in order (default {@linkcode FASHION_MBV2_BLOCKS}). */
  blocks?: readonly InvertedResidualSpec[];
  /** Channels of the final 1×1 convolution (default 256). */
  head?: number;
  /** Classes (default 10). */
  classes?: number;
}

/**
 * The default blocks of {@linkcode fashionMobileNetV2} (after the stride-2 stem, 24 channels
 * at 14×14): 24 → 32 (t 3, 14×14) → 64 (t 4, stride 2, 14→7) → 64 (t 4, residual) → 64 (t 4,
 * residual). Block 1 at 14×14 and 64-channel blocks (with a 256-channel head) are what took
 * the trained net past 92% on Fashion-MNIST; the earlier 48-channel net with block 1 at
 * stride 2 stayed at 91.0–91.9%.
 */
export const FASHION_MBV2_BLOCKS: readonly InvertedResidualSpec[] = [
  { out: 32, expansion: 3, stride: 1 },
  { out: 64, expansion: 4, stride: 2 },
  { out: 64, expansion: 4, stride: 1 },
  { out: 64, expansion: 4, stride: 1 },
];

/**
 * A MobileNetV2-style network for `[N, 1, 28, 28]` inputs. Layers (state-dict prefixes):
 *
 * - `stem` 1→s 3×3 p1 (no bias) → `stem_bn` → `stem_relu` (ReLU6);
 * - `block1` … `blockK`, each an inverted residual with linear bottleneck: `expand` 1×1 c→t·c →
 *   `expand_bn` → `expand_relu` (ReLU6) → `dw` 3×3 depthwise (groups = t·c, stride 1 or 2,
 *   p1) → `dw_bn` → `dw_relu` (ReLU6) → `project` 1×1 t·c→o → `project_bn` (no activation).
 *   When the stride is 1 and c = o the block is a {@linkcode Residual} whose `body` is that
 *   chain (names `blockK.body.expand.weight`, …), otherwise the chain itself
 *   (`blockK.expand.weight`, …);
 * - `head` 1×1 →h (no bias) → `head_bn` → `head_relu` (ReLU6) → `pool` (global average) →
 *   `flatten` → `fc` h→classes.
 *
 * Convolutions have no bias (each is followed by batch norm). Parameters: stem 9s + 2s; a
 * block with input c, hidden m = t·c, output o: cm + 2m + 9m + 2m + mo + 2o; head ch + 2h;
 * fc 10h + 10 (c: the last block's output). With the defaults: 111,290.
 *
 * @param seed Initialisation seed (`new Philox(seed, 1)`, consumed in layer order).
 * @param options Stem and head widths, blocks, classes.
 * @returns The model.
 * @throws {RangeError} If a width or expansion is not a positive integer.
 *
 * @example
 * ```ts
 * import { fashionMobileNetV2 } from "@lowbit/nn/models";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual, equal } from "node:assert/strict";
 * const net = fashionMobileNetV2(1);
 * deepEqual(net.forward(Variable.zeros([2, 1, 28, 28])).shape, [2, 10]);
 * equal(net.parameters().reduce((a, p) => a + p.size, 0), 111290);
 * ```
 */
export function fashionMobileNetV2(seed: number, options: MobileNetV2Options = {}): Sequential {
  const stem = options.stem ?? 24;
  const head = options.head ?? 256;
  const stemStride = options.stemStride ?? 2;
  const classes = options.classes ?? 10;
  const blocks = options.blocks ?? FASHION_MBV2_BLOCKS;
  const widths: [string, number][] = [["stem", stem], ["head", head], ["classes", classes]];
  blocks.forEach((b, i) => {
    widths.push([`blocks[${i}].out`, b.out], [`blocks[${i}].expansion`, b.expansion]);
    if (b.stride !== 1 && b.stride !== 2) {
      throw new RangeError(`blocks[${i}].stride must be 1 or 2; got ${String(b.stride)}`);
    }
  });
  for (const [n, v] of widths) {
    if (!Number.isInteger(v) || v < 1) {
      throw new RangeError(`${n} must be a positive integer; got ${String(v)}`);
    }
  }
  const random = new Philox(seed, 1);
  const layers: [string, Module][] = [
    ["stem", new Conv2d(1, stem, 3, { random, stride: stemStride, padding: 1, bias: false })],
    ["stem_bn", new BatchNorm2d(stem)],
    ["stem_relu", new ReLU6()],
  ];
  let c = stem;
  blocks.forEach((b, i) => {
    const m = b.expansion * c;
    const body = new Sequential([
      ["expand", new Conv2d(c, m, 1, { random, bias: false })],
      ["expand_bn", new BatchNorm2d(m)],
      ["expand_relu", new ReLU6()],
      ["dw", new DepthwiseConv2d(m, 3, { random, stride: b.stride, padding: 1, bias: false })],
      ["dw_bn", new BatchNorm2d(m)],
      ["dw_relu", new ReLU6()],
      ["project", new Conv2d(m, b.out, 1, { random, bias: false })],
      ["project_bn", new BatchNorm2d(b.out)],
    ]);
    layers.push([`block${i + 1}`, b.stride === 1 && b.out === c ? new Residual(body) : body]);
    c = b.out;
  });
  layers.push(
    ["head", new Conv2d(c, head, 1, { random, bias: false })],
    ["head_bn", new BatchNorm2d(head)],
    ["head_relu", new ReLU6()],
    ["pool", new GlobalAvgPool()],
    ["flatten", new Flatten()],
    ["fc", new Linear(head, classes, { random })],
  );
  return new Sequential(layers);
}
