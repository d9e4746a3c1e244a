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
import {
  activate,
  checkActivation,
  checkKernel,
  checkPerChannel,
  outputBuffer,
} from "./_conv_common.ts";
import { depthwiseF32Unchecked } from "./_depthwise.ts";
import { im2colUnchecked } from "./_im2col.ts";
import { type Activation, gemmF32, type KernelChoice } from "./gemm_f32.ts";
import type { Conv2dParams } from "./conv_params.ts";

/** Options of {@link conv2dF32}. */
export interface Conv2dF32Options {
  /** Per-output-channel bias (length outChannels). */
  bias?: Float32Array;
  /** Output activation. Default `"none"`. */
  activation?: Activation;
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
    depthwiseF32Unchecked(input, weight, r, bias, out, (v) => activate(v, activation));
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
