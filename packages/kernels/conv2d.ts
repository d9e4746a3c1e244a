/**
 * 2-D convolution in float32, NCHW activations and OIHW weights (ONNX `Conv`, PyTorch
 * `conv2d`): `y[n][o][oh][ow] = act(bias[o] + Σ_{c,i,j} w[o][c][i][j]·x[n][g·C/G + c][…])`
 * over the group g of output channel o.
 *
 * Each (image, group) runs as one GEMM `Y_g = W_g · cols` with `W_g` the group's
 * `[O/G][(C/G)·kH·kW]` weight rows and `cols` the im2col matrix (a 1×1 kernel with stride 1
 * and no padding uses the input directly); results land in place in the NCHW output. Depthwise
 * convolutions (`groups = inChannels > 1`) take the direct loops of `depthwise.ts` instead.
 * The error bound is the GEMM's (see `gemm-f32.ts`) with `k = (C/G)·kH·kW`.
 *
 * The int8 convolutions follow ONNX `ConvInteger` (int32 accumulators
 * `Σ (x − z_x)(w − z_w[o]) + bias[o]`) and `QLinearConv` (plus a per-output-channel output
 * stage, see `output-stage.ts`). Orientation: each (image, group) is the GEMM
 * `patches · W_gᵀ` with the patches as rows (`im2colInt8`, padding filled with z_x) and the
 * OIHW weights used as they are stored (`transB`), so the output channels are the GEMM's
 * columns and the per-channel zero points, biases and output stages are its per-column
 * arrays; the `[outH·outW][O/G]` result is transposed into the NCHW output.
 *
 * @example 2×2 image, 2×2 kernel, padding 1 (a full correlation)
 * ```ts
 * import { conv2dF32 } from "@lowbit/kernels/conv2d";
 * import { deepEqual } from "node:assert/strict";
 * const p = { batch: 1, inChannels: 1, height: 2, width: 2, outChannels: 1, kernelH: 2,
 *   kernelW: 2, padding: 1 };
 * const y = conv2dF32(new Float32Array([1, 2, 3, 4]), new Float32Array([1, 0, 0, -1]), p);
 * deepEqual([...y], [-1, -2, 0, -3, -3, 2, 0, 3, 4]); // y = x[oh−1][ow−1] − x[oh][ow]
 * ```
 *
 * @module
 */

import { checkInput, checkWeight, resolveConv2d } from "./_conv_resolve.ts";
import { checkActivation, checkKernel, checkPerChannel, outputBuffer } from "./_conv_common.ts";
import { runDepthwiseF32, runDepthwiseInt8 } from "./_depthwise_wasm.ts";
import type { GemmInt8Call } from "./_gemm_int8_ref.ts";
import { gemmInt8Wasm } from "./_gemm_int8_wasm.ts";
import { wasmAvailable } from "./_wasm.ts";
import { type FusedActivation, gemmF32, type KernelChoice } from "./gemm_f32.ts";
import type { Conv2dParams } from "./conv_params.ts";
import { gemmInt8, gemmInt8Requantized, type Int8Operand } from "./gemm_int8.ts";
import type { OutputStage } from "./output_stage.ts";
import { resolveOutputStage } from "./_output_stage.ts";
import { im2colRowsUnchecked, im2colUnchecked } from "./_im2col.ts";
import { codesBuffer, type ConvInt8Call, resolveConvInt8, sliceStage } from "./_conv_int8.ts";

/** Options of {@link conv2dF32}. */
export interface Conv2dF32Options {
  /** Per-output-channel bias (length outChannels). */
  bias?: Float32Array;
  /** Output activation. Default `"none"`. */
  activation?: FusedActivation;
  /** Output storage, NCHW (≥ batch·outChannels·outH·outW); allocated when omitted. */
  out?: Float32Array;
  /** GEMM implementation (the depthwise direct loops are TypeScript). Default `"auto"`. */
  kernel?: KernelChoice;
}

/**
 * Float32 convolution (im2col + GEMM per image and group; direct loops for depthwise).
 *
 * @param input NCHW activations (`batch·inChannels·height·width`).
 * @param weight OIHW weights (`outChannels·(inChannels/groups)·kernelH·kernelW`).
 * @param p The convolution's shapes.
 * @param options Bias, activation, output buffer, GEMM kernel.
 * @returns NCHW output `[batch][outChannels][outH][outW]` (`options.out` when given).
 * @throws {RangeError} On bad params, short buffers, a bias of the wrong length, or an unknown
 *   activation or kernel.
 * @throws {TypeError} When a buffer is not a Float32Array.
 *
 * @example Two groups, stride 2, bias and ReLU
 * ```ts
 * import { conv2dF32 } from "@lowbit/kernels/conv2d";
 * import { deepEqual } from "node:assert/strict";
 * const p = { batch: 1, inChannels: 2, height: 1, width: 4, outChannels: 2, kernelH: 1,
 *   kernelW: 2, stride: 2, groups: 2 };
 * const x = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]);
 * const w = new Float32Array([1, 1, 1, -1]);
 * const y = conv2dF32(x, w, p, { bias: new Float32Array([0, 0.5]), activation: "relu" });
 * deepEqual([...y], [3, 7, 0, 0]); // group 1: 0.5 + (5 − 6), 0.5 + (7 − 8) → ReLU
 * ```
 */
export function conv2dF32(
  input: Float32Array,
  weight: Float32Array,
  p: Conv2dParams,
  options: Conv2dF32Options = {},
): Float32Array {
  const r = resolveConv2d(p);
  checkInput("input", input, r, [Float32Array]);
  checkWeight("weight", weight, r, [Float32Array]);
  const bias = checkPerChannel("options.bias", options.bias, r.outC, [Float32Array]);
  const activation = checkActivation(options.activation);
  const kernel = checkKernel(options.kernel);
  const hw = r.outH * r.outW;
  const need = r.batch * r.outC * hw;
  const out = outputBuffer(options.out, need, `NCHW output = ${need}`, Float32Array, [
    Float32Array,
  ]);
  if (r.groups === r.inC && r.groups > 1) {
    runDepthwiseF32(input, weight, r, bias, activation, out, kernel);
    return out;
  }
  const { kSize, coutG, cinG } = r;
  const direct = r.kh === 1 && r.kw === 1 && r.sh === 1 && r.sw === 1 &&
    r.padT + r.padL + r.padB + r.padR === 0;
  const cols = direct ? null : new Float32Array(kSize * hw);
  for (let n = 0; n < r.batch; n++) {
    for (let g = 0; g < r.groups; g++) {
      let b: Float32Array;
      if (cols) {
        im2colUnchecked(input, r, n, g, cols, 0);
        b = cols;
      } else {
        const at = (n * r.inC + g * cinG) * r.h * r.w;
        b = input.subarray(at, at + kSize * hw);
      }
      const o0 = (n * r.outC + g * coutG) * hw;
      const y = out.subarray(o0, o0 + coutG * hw);
      if (bias) {
        for (let o = 0; o < coutG; o++) y.fill(bias[g * coutG + o], o * hw, (o + 1) * hw);
      }
      const a = weight.subarray(g * coutG * kSize, (g + 1) * coutG * kSize);
      gemmF32(coutG, hw, kSize, a, b, {
        out: y,
        accumulate: bias !== undefined,
        activation,
        kernel,
      });
    }
  }
  return out;
}

/** Options of {@link conv2dInt8} (ONNX `ConvInteger` plus a bias). */
export interface Conv2dInt8Options {
  /** Input zero point, inside the input type's range. Default 0. */
  inputZeroPoint?: number;
  /** Weight zero point: one value, or one per output channel (length outChannels). Default 0. */
  weightZeroPoint?: number | Int32Array;
  /** Per-output-channel int32 bias, added to the accumulators. */
  bias?: Int32Array;
  /** Accumulator output, NCHW (≥ batch·outChannels·outH·outW); allocated when omitted. */
  out?: Int32Array;
  /** GEMM implementation (depthwise runs direct TypeScript loops). Default `"auto"`. */
  kernel?: KernelChoice;
}

/** Options of {@link conv2dInt8Requantized} (ONNX `QLinearConv`). */
export interface Conv2dInt8RequantizedOptions extends Omit<Conv2dInt8Options, "out"> {
  /** How accumulators become codes; per-channel arrays have one value per output channel. */
  outputStage: OutputStage;
  /** Output codes, NCHW (Int8Array for int8, Uint8Array for uint8). */
  out?: Int8Array | Uint8Array;
}

/**
 * int8 convolution to int32 accumulators (ONNX `ConvInteger` semantics, plus a bias):
 * `y[n][o] = Σ_{c,i,j} (x − z_x)(w[o][c][i][j] − z_w[o]) + bias[o]`, padded taps contributing 0.
 * Exact while `(C/G)·kH·kW·255²` plus the bias fits in int32; wraps modulo 2^32 beyond.
 *
 * @param input NCHW codes (Uint8Array or Int8Array).
 * @param weight OIHW codes (Int8Array or Uint8Array).
 * @param p The convolution's shapes.
 * @param options Zero points, bias, output buffer, kernel.
 * @returns NCHW int32 accumulators (`options.out` when given).
 * @throws {RangeError} On bad params, short buffers, zero points outside their type's range,
 *   or per-channel arrays of the wrong length.
 * @throws {TypeError} When a buffer has the wrong type.
 *
 * @example uint8 activations with a zero point, per-channel weight zero points
 * ```ts
 * import { conv2dInt8 } from "@lowbit/kernels/conv2d";
 * import { deepEqual } from "node:assert/strict";
 * const p = { batch: 1, inChannels: 1, height: 1, width: 3, outChannels: 2, kernelH: 1,
 *   kernelW: 2 };
 * const y = conv2dInt8(new Uint8Array([129, 130, 126]), new Int8Array([1, 1, 3, 2]), p, {
 *   inputZeroPoint: 128, weightZeroPoint: new Int32Array([0, 2]),
 * });
 * deepEqual([...y], [3, 0, 1, 2]); // x − z = (1, 2, −2); channel 1 weights (1, 0)
 * ```
 */
export function conv2dInt8(
  input: Int8Operand,
  weight: Int8Operand,
  p: Conv2dParams,
  options: Conv2dInt8Options = {},
): Int32Array {
  const c = resolveConvInt8(input, weight, p, options);
  const { r } = c;
  const hw = r.outH * r.outW;
  const need = r.batch * r.outC * hw;
  const out = outputBuffer(options.out, need, `NCHW output = ${need}`, Int32Array, [Int32Array]);
  if (r.groups === r.inC && r.groups > 1) {
    runDepthwiseInt8(input, weight, c, { kind: "acc", out });
    return out;
  }
  const acc = new Int32Array(chunkImages(r, hw) * hw * r.coutG);
  perGroup(c, input, weight, (n0, count, g, cols, wg, gemmOptions) => {
    gemmInt8(count * hw, r.coutG, r.kSize, cols, wg, { ...gemmOptions, out: acc });
    for (let t = 0; t < count; t++) {
      const src = acc.subarray(t * hw * r.coutG, (t + 1) * hw * r.coutG);
      transposeInto(src, hw, r.coutG, out, ((n0 + t) * r.outC + g * r.coutG) * hw);
    }
  });
  return out;
}

/**
 * int8 convolution with a fused per-output-channel output stage (ONNX `QLinearConv` with the
 * float stage; TFLite's fixed-point rescale with the fixed stage).
 *
 * @param input NCHW codes (Uint8Array or Int8Array).
 * @param weight OIHW codes (Int8Array or Uint8Array).
 * @param p The convolution's shapes.
 * @param options As {@link conv2dInt8}, plus the output stage and the code output.
 * @returns NCHW codes (`options.out` when given).
 * @throws {RangeError} As {@link conv2dInt8}, plus a bad output stage or output buffer.
 * @throws {TypeError} When a buffer has the wrong type.
 *
 * @example QLinearConv-style rescale to uint8
 * ```ts
 * import { conv2dInt8Requantized } from "@lowbit/kernels/conv2d";
 * import { deepEqual } from "node:assert/strict";
 * const p = { batch: 1, inChannels: 2, height: 1, width: 1, outChannels: 1, kernelH: 1,
 *   kernelW: 1 };
 * const y = conv2dInt8Requantized(new Uint8Array([10, 20]), new Int8Array([1, 2]), p, {
 *   bias: new Int32Array([1]),
 *   outputStage: { kind: "float", multiplier: 0.25, zeroPoint: 100, dtype: "uint8" },
 * });
 * deepEqual([...y], [113]); // (10 + 40 + 1) · 0.25 = 12.75 → 13, + 100
 * ```
 */
export function conv2dInt8Requantized(
  input: Int8Operand,
  weight: Int8Operand,
  p: Conv2dParams,
  options: Conv2dInt8RequantizedOptions,
): Int8Array | Uint8Array {
  const c = resolveConvInt8(input, weight, p, options);
  const { r } = c;
  const stage = resolveOutputStage(options.outputStage, r.outC);
  const hw = r.outH * r.outW;
  const out = codesBuffer(options.out, r.batch * r.outC * hw, stage);
  if (r.groups === r.inC && r.groups > 1) {
    runDepthwiseInt8(input, weight, c, { kind: "codes", stage, out });
    return out;
  }
  if (weightsTimesColumns(c, weight)) {
    // NCHW output = W (outC×K) · X_n (K×HW) per image, X_n the input itself for a 1×1
    // convolution (stride 1, no padding), else its patch columns (im2col's K×HW layout, padding
    // = the input's zero point): no transpose; output channels are the GEMM's rows (per-row
    // bias and output stage)
    const plane = r.inC * r.h * r.w, outPlane = r.outC * hw;
    const direct = r.kh === 1 && r.kw === 1 && r.sh === 1 && r.sw === 1 &&
      r.padT + r.padL + r.padB + r.padR === 0;
    // operands validated above (resolveConvInt8): the call is built, not re-checked; the patch
    // columns are gathered in kernel memory by the Wasm im2col8 (bIm2col)
    const bZeroPoint = new Int32Array(hw).fill(c.zx);
    for (let n = 0; n < r.batch; n++) {
      const call: GemmInt8Call = {
        m: r.outC,
        n: hw,
        k: r.kSize,
        a: weight,
        b: direct ? input.subarray(n * plane, (n + 1) * plane) : input,
        packed: null,
        transB: false,
        useWasm: true,
        aZeroPoint: c.zw[0],
        bZeroPoint,
        bias: undefined,
        kernel: "wasm",
        ...(direct ? {} : { bIm2col: { input, r, image: n, fill: c.zx } }),
      };
      gemmInt8Wasm(call, null, {
        kind: "rowCodes",
        stage,
        rowBias: c.bias,
        out: out.subarray(n * outPlane, (n + 1) * outPlane),
      });
    }
    return out;
  }
  const len = chunkImages(r, hw) * hw * r.coutG;
  const codes = stage.dtype === "int8" ? new Int8Array(len) : new Uint8Array(len);
  const stages = Array.from(
    { length: r.groups },
    (_, g) => sliceStage(stage, g * r.coutG, r.coutG),
  );
  perGroup(c, input, weight, (n0, count, g, cols, wg, gemmOptions) => {
    gemmInt8Requantized(count * hw, r.coutG, r.kSize, cols, wg, {
      ...gemmOptions,
      outputStage: stages[g],
      out: codes,
    });
    for (let t = 0; t < count; t++) {
      const src = codes.subarray(t * hw * r.coutG, (t + 1) * hw * r.coutG);
      transposeInto(src, hw, r.coutG, out, ((n0 + t) * r.outC + g * r.coutG) * hw);
    }
  });
  return out;
}

/**
 * Whether a convolution runs as weights · columns on the Wasm GEMM: one group, one weight zero
 * point for every output channel (per-channel weights are symmetric in practice, z_w = 0).
 */
function weightsTimesColumns(c: ConvInt8Call, weight: Int8Operand): boolean {
  const { r } = c;
  if (c.kernel === "ts" || !wasmAvailable() || r.groups !== 1) return false;
  if (weight.length !== r.outC * r.kSize) return false;
  for (let o = 1; o < r.outC; o++) if (c.zw[o] !== c.zw[0]) return false;
  return true;
}

/** GEMM options of one group (zero points and bias restricted to its output channels). */
interface GroupGemmOptions {
  aZeroPoint: number;
  bZeroPoint: number | Int32Array;
  bias: Int32Array | undefined;
  transB: true;
  kernel: KernelChoice;
}

/** Patch rows per GEMM call: images are batched into one product up to about this many. */
const CHUNK_ROWS = 16384;

/** Images per GEMM call (at least one). */
function chunkImages(r: ConvInt8Call["r"], hw: number): number {
  return Math.max(1, Math.min(r.batch, Math.floor(CHUNK_ROWS / hw)));
}

/**
 * Runs `body` for each group and each chunk of images, with the chunk's patch rows stacked
 * (image after image) so one GEMM covers several images.
 */
function perGroup(
  c: ConvInt8Call,
  input: Int8Operand,
  weight: Int8Operand,
  body: (
    n0: number,
    count: number,
    g: number,
    cols: Int8Operand,
    wg: Int8Operand,
    o: GroupGemmOptions,
  ) => void,
): void {
  const { r } = c;
  const hw = r.outH * r.outW, k = r.kSize, cg = r.coutG;
  const per = chunkImages(r, hw);
  const cols = input instanceof Int8Array
    ? new Int8Array(per * hw * k)
    : new Uint8Array(per * hw * k);
  for (let g = 0; g < r.groups; g++) {
    const o: GroupGemmOptions = {
      aZeroPoint: c.zx,
      bZeroPoint: typeof c.zwGiven === "number" ? c.zwGiven : c.zw.subarray(g * cg, (g + 1) * cg),
      bias: c.bias?.subarray(g * cg, (g + 1) * cg),
      transB: true,
      kernel: c.kernel,
    };
    const wg = weight.subarray(g * cg * k, (g + 1) * cg * k);
    for (let n0 = 0; n0 < r.batch; n0 += per) {
      const count = Math.min(per, r.batch - n0);
      for (let t = 0; t < count; t++) {
        im2colRowsUnchecked(input, r, n0 + t, g, cols, t * hw * k, c.zx);
      }
      body(n0, count, g, cols.subarray(0, count * hw * k), wg, o);
    }
  }
}

/** Writes the transpose of a row-major rows×cols matrix at `dst[at…]`. */
function transposeInto(
  src: ArrayLike<number>,
  rows: number,
  cols: number,
  dst: { [i: number]: number },
  at: number,
): void {
  for (let j = 0; j < cols; j++) {
    const d = at + j * rows;
    for (let i = 0; i < rows; i++) dst[d + i] = src[i * cols + j];
  }
}
