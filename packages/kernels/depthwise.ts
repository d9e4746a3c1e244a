/**
 * Direct depthwise convolution (`groups = inChannels`, channel multiplier
 * `outChannels / inChannels`), NCHW activations and OIHW weights `[O][1][kH][kW]`: output
 * channel `c·mult + q` reads input channel c only. No im2col: each output row is a sum of
 * shifted, scaled input rows, which is what a GEMM with K = kH·kW cannot do well.
 *
 * `depthwiseConv2dF32` sums the exact float32 products in binary64 and rounds once (as the
 * reference GEMM does), then adds nothing more: the result is the correctly rounded sum up
 * to the binary64 summation error.
 *
 * The int8 variants follow ONNX `ConvInteger`/`QLinearConv`: accumulators
 * `Σ (x − z_x)(w − z_w[o]) + bias[o]` in int32 (exact: at most kH·kW·255² per output, then
 * the bias added with int32 wraparound), optionally requantized per output channel.
 *
 * @example Two channels, 3×3 kernels of ones, padding 1
 * ```ts
 * import { depthwiseConv2dF32 } from "@lowbit/kernels/depthwise";
 * import { deepEqual } from "node:assert/strict";
 * const p = { batch: 1, inChannels: 2, height: 2, width: 2, outChannels: 2, kernelH: 3,
 *   kernelW: 3, padding: 1, groups: 2 };
 * const x = new Float32Array([1, 2, 3, 4, 1, 1, 1, 1]);
 * const y = depthwiseConv2dF32(x, new Float32Array(18).fill(1), p);
 * deepEqual([...y], [10, 10, 10, 10, 4, 4, 4, 4]);
 * ```
 *
 * @module
 */

import { checkInput, checkWeight, resolveConv2d } from "./_conv_resolve.ts";
import { checkActivation, checkKernel, checkPerChannel, outputBuffer } from "./_conv_common.ts";
import { checkDepthwise } from "./_depthwise.ts";
import { runDepthwiseF32, runDepthwiseInt8 } from "./_depthwise_wasm.ts";
import type { FusedActivation } from "./gemm_f32.ts";
import type { Conv2dParams } from "./conv_params.ts";
import type { KernelChoice } from "./gemm_f32.ts";
import type { Int8Operand } from "./gemm_int8.ts";
import type { OutputStage } from "./output_stage.ts";
import { resolveOutputStage } from "./_output_stage.ts";
import { codesBuffer, resolveConvInt8 } from "./_conv_int8.ts";

/** Options of {@link depthwiseConv2dF32}. */
export interface DepthwiseF32Options {
  /** Per-output-channel bias (length outChannels). */
  bias?: Float32Array;
  /** Output activation. Default `"none"`. */
  activation?: FusedActivation;
  /** Output storage, NCHW (≥ batch·outChannels·outH·outW); allocated when omitted. */
  out?: Float32Array;
  /**
   * `"wasm"`/`"auto"`: the WebAssembly SIMD kernel (stride 1 or 2 along rows, dilation 1; same
   * result bit for bit), `"ts"`: the reference loops. Default `"auto"`.
   */
  kernel?: KernelChoice;
}

/**
 * Depthwise float32 convolution: `y[n][o] = Σ_ij w[o][0][i][j]·x[n][o / mult][…] + bias[o]`.
 *
 * @param input NCHW activations (`batch·inChannels·height·width`).
 * @param weight OIHW weights (`outChannels·1·kernelH·kernelW`).
 * @param p The convolution's shapes; `groups` must equal `inChannels`.
 * @param options Bias, activation, output buffer.
 * @returns NCHW output `[batch][outChannels][outH][outW]` (`options.out` when given).
 * @throws {RangeError} On bad params, groups ≠ inChannels, short buffers, a bias of the wrong
 *   length or an unknown activation.
 * @throws {TypeError} When a buffer is not a Float32Array.
 *
 * @example Channel multiplier 2, stride 2
 * ```ts
 * import { depthwiseConv2dF32 } from "@lowbit/kernels/depthwise";
 * import { deepEqual } from "node:assert/strict";
 * const p = { batch: 1, inChannels: 1, height: 1, width: 4, outChannels: 2, kernelH: 1,
 *   kernelW: 2, stride: 2, groups: 1 };
 * const y = depthwiseConv2dF32(new Float32Array([1, 2, 3, 4]), new Float32Array([1, 1, 1, -1]), p, {
 *   bias: new Float32Array([0, 10]),
 * });
 * deepEqual([...y], [3, 7, 9, 9]); // channel 0: 1+2, 3+4; channel 1: 10 + (1−2), 10 + (3−4)
 * ```
 */
export function depthwiseConv2dF32(
  input: Float32Array,
  weight: Float32Array,
  p: Conv2dParams,
  options: DepthwiseF32Options = {},
): Float32Array {
  const r = resolveConv2d(p);
  checkDepthwise(r);
  checkInput("input", input, r, [Float32Array]);
  checkWeight("weight", weight, r, [Float32Array]);
  const bias = checkPerChannel("options.bias", options.bias, r.outC, [Float32Array]);
  const act = checkActivation(options.activation);
  const need = r.batch * r.outC * r.outH * r.outW;
  const out = outputBuffer(options.out, need, `NCHW output = ${need}`, Float32Array, [
    Float32Array,
  ]);
  runDepthwiseF32(input, weight, r, bias, act, out, checkKernel(options.kernel));
  return out;
}

/** Options of {@link depthwiseConv2dInt8} (ONNX `ConvInteger` plus a bias). */
export interface DepthwiseInt8Options {
  /** Input zero point, inside the input type's range. Default 0. */
  inputZeroPoint?: number;
  /** Weight zero point: one value, or one per output channel. Default 0. */
  weightZeroPoint?: number | Int32Array;
  /** Per-output-channel int32 bias, added to the accumulators. */
  bias?: Int32Array;
  /** Accumulator output, NCHW (≥ batch·outChannels·outH·outW); allocated when omitted. */
  out?: Int32Array;
  /**
   * `"wasm"`/`"auto"`: the WebAssembly SIMD kernel where it applies (stride 1 or 2 along rows,
   * dilation 1; same result bit for bit), `"ts"`: the reference loops. Default `"auto"`.
   */
  kernel?: KernelChoice;
}

/** Options of {@link depthwiseConv2dInt8Requantized}. */
export interface DepthwiseInt8RequantizedOptions extends Omit<DepthwiseInt8Options, "out"> {
  /** How accumulators become codes; per-channel arrays have one value per output channel. */
  outputStage: OutputStage;
  /** Output codes, NCHW (Int8Array for int8, Uint8Array for uint8). */
  out?: Int8Array | Uint8Array;
}

/**
 * Depthwise int8 convolution to int32 accumulators:
 * `y[n][o] = Σ_ij (x[n][o / mult][…] − z_x)·(w[o][0][i][j] − z_w[o]) + bias[o]`.
 *
 * @param input NCHW codes (Uint8Array or Int8Array).
 * @param weight OIHW codes `[outChannels][1][kH][kW]` (Int8Array or Uint8Array).
 * @param p The convolution's shapes; `groups` must equal `inChannels`.
 * @param options Zero points, bias, output buffer.
 * @returns NCHW int32 accumulators (`options.out` when given).
 * @throws {RangeError} On bad params, groups ≠ inChannels, short buffers, zero points outside
 *   their type's range, or per-channel arrays of the wrong length.
 * @throws {TypeError} When a buffer has the wrong type.
 *
 * @example Padded taps contribute nothing
 * ```ts
 * import { depthwiseConv2dInt8 } from "@lowbit/kernels/depthwise";
 * import { deepEqual } from "node:assert/strict";
 * const p = { batch: 1, inChannels: 1, height: 1, width: 2, outChannels: 1, kernelH: 1,
 *   kernelW: 3, padding: [0, 1, 0, 0] as [number, number, number, number], groups: 1 };
 * const y = depthwiseConv2dInt8(new Uint8Array([130, 120]), new Int8Array([1, 2, 3]), p, {
 *   inputZeroPoint: 128,
 * });
 * deepEqual([...y], [2 * 2 + 3 * -8]); // taps (pad, 2, −8) · (1, 2, 3)
 * ```
 */
export function depthwiseConv2dInt8(
  input: Int8Operand,
  weight: Int8Operand,
  p: Conv2dParams,
  options: DepthwiseInt8Options = {},
): Int32Array {
  const c = resolveConvInt8(input, weight, p, options, true);
  const { r } = c;
  const need = r.batch * r.outC * r.outH * r.outW;
  const out = outputBuffer(options.out, need, `NCHW output = ${need}`, Int32Array, [Int32Array]);
  runDepthwiseInt8(input, weight, c, { kind: "acc", out });
  return out;
}

/**
 * Depthwise int8 convolution with a per-output-channel output stage (ONNX `QLinearConv` with
 * the float stage, TFLite with the fixed-point stage).
 *
 * @param input NCHW codes (Uint8Array or Int8Array).
 * @param weight OIHW codes `[outChannels][1][kH][kW]`.
 * @param p The convolution's shapes; `groups` must equal `inChannels`.
 * @param options As {@link depthwiseConv2dInt8}, plus the output stage and code output.
 * @returns NCHW codes (`options.out` when given).
 * @throws {RangeError} As {@link depthwiseConv2dInt8}, plus a bad output stage or output.
 * @throws {TypeError} When a buffer has the wrong type.
 *
 * @example
 * ```ts
 * import { depthwiseConv2dInt8Requantized } from "@lowbit/kernels/depthwise";
 * import { deepEqual } from "node:assert/strict";
 * const p = { batch: 1, inChannels: 2, height: 1, width: 1, outChannels: 2, kernelH: 1,
 *   kernelW: 1, groups: 2 };
 * const y = depthwiseConv2dInt8Requantized(new Int8Array([10, 10]), new Int8Array([3, 5]), p, {
 *   outputStage: { kind: "float", multiplier: new Float32Array([0.5, 0.1]), zeroPoint: 0,
 *     dtype: "int8" },
 * });
 * deepEqual([...y], [15, 5]); // 30 · 0.5, 50 · 0.1
 * ```
 */
export function depthwiseConv2dInt8Requantized(
  input: Int8Operand,
  weight: Int8Operand,
  p: Conv2dParams,
  options: DepthwiseInt8RequantizedOptions,
): Int8Array | Uint8Array {
  const c = resolveConvInt8(input, weight, p, options, true);
  const { r } = c;
  const stage = resolveOutputStage(options.outputStage, r.outC);
  const out = codesBuffer(options.out, r.batch * r.outC * r.outH * r.outW, stage);
  runDepthwiseInt8(input, weight, c, { kind: "codes", stage, out });
  return out;
}
