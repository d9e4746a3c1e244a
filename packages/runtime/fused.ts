/**
 * Fused integer layers (Jacob et al. 2018 §2.4): fully connected and 2-D convolution (incl.
 * depthwise) with the int32 bias added to the accumulators and ReLU/ReLU6 applied as a clamp
 * of the output codes — no separate activation pass.
 *
 *     acc_o = Σ (x − Z_x)(w_o − Z_w[o]) + bias_o          bias_o at scale S_x·S_w[o], Z = 0
 *     y_o   = clamp(requant(acc_o, S_x·S_w[o]/S_y) + Z_y, lo, hi)                       (F.1)
 *
 * with `lo = max(q_min, Z_y)` for ReLU and additionally `hi = min(q_max, Z_y + round(6/S_y))`
 * for ReLU6 ({@linkcode activationClamp}). `requant` is gemmlowp fixed point (`"fixed"`,
 * the default here, as TFLite) or onnxruntime's float32 rescale (`"float"`).
 *
 * @example A 1×2 fully connected layer with ReLU
 * ```ts
 * import { fullyConnected } from "@lowbit/runtime/fused";
 * import { QuantizedTensor } from "@lowbit/runtime/quantized-tensor";
 * import { deepEqual } from "node:assert/strict";
 * const x = new QuantizedTensor({ q: new Int8Array([10, 20]), shape: [1, 2], dtype: "int8", scale: 0.5 });
 * const w = new QuantizedTensor({ q: new Int8Array([1, 1, 1, -1]), shape: [2, 2], dtype: "int8", scale: 0.5 });
 * const y = fullyConnected(x, w, { scale: 1, zeroPoint: 0, dtype: "int8" }, { activation: "relu" });
 * deepEqual([...y.q], [8, 0]); // 30·0.25 = 7.5 → 8; −10·0.25 → clamped at 0
 * ```
 *
 * @module
 */

import { conv2dInt8, conv2dInt8Requantized } from "@lowbit/kernels/conv2d";
import type { Conv2dParams } from "@lowbit/kernels/conv-params";
import { gemmInt8, gemmInt8Requantized, type Int8Operand } from "@lowbit/kernels/gemm-int8";
import { type FloatBiasPath, requantizeFloatBias } from "./_pytorch_requant.ts";
import { type PackedInt8, packInt8 } from "@lowbit/kernels/pack-int8";
import { DTYPE_RANGE, QuantizedTensor } from "./quantized_tensor.ts";
import { outputStageFor, type RequantMode } from "./requantize.ts";
import {
  checkConvAccumulators,
  checkGemmAccumulators,
  stageShifts,
  withMultiplierNames,
} from "./_int32_check.ts";

/** An activation fused into the output stage (the kernels' type: none, ReLU, ReLU6). */
export type { FusedActivation } from "@lowbit/kernels/gemm-f32";
import type { FusedActivation } from "@lowbit/kernels/gemm-f32";

/** Output quantization of a layer. */
export interface OutputQuant {
  /** Output scale (> 0). */
  scale: number;
  /** Output zero point. */
  zeroPoint: number;
  /** Output code type. */
  dtype: "int8" | "uint8";
}

/**
 * Where an op writes its output codes: called once with the code type and the number of codes,
 * it returns an array of exactly that type and length (e.g. one kept from the previous run of a
 * compiled graph, so a run allocates nothing). Ops that take one allocate a new array without
 * it.
 *
 * @example
 * ```ts
 * import type { CodeBuffer } from "@lowbit/runtime/fused";
 * import { equal } from "node:assert/strict";
 * const kept = new Uint8Array(4);
 * const codes: CodeBuffer = (dtype, n) =>
 *   dtype === "uint8" && n === kept.length ? kept : dtype === "int8" ? new Int8Array(n) : new Uint8Array(n);
 * equal(codes("uint8", 4), kept);
 * ```
 */
export type CodeBuffer = (dtype: "int8" | "uint8", length: number) => Int8Array | Uint8Array;

export type { PackedInt8 } from "@lowbit/kernels/pack-int8";

/** Options shared by the fused layers. */
export interface FusedOptions {
  /** int32 bias per output channel, at scale S_x·S_w[o] with zero point 0. */
  bias?: Int32Array;
  /** Fused activation (default `"none"`). */
  activation?: FusedActivation;
  /** Requantization semantics (default `"fixed"`). */
  mode?: RequantMode;
  /**
   * Float bias per output channel, with PyTorch's numerics (quantized `Linear`/`Conv2d` on
   * the fbgemm/x86 engines): `b/f32(S_x·S_w[o])` is added in float32 to the accumulators
   * (no int32 bias), the sum times `f32(f32(S_x·S_w[o])/S_y)` is rounded half to even.
   * Excludes `bias` and `mode`. An int32 bias (`bias`) rounds `b/(S_x·S_w)`
   * first and so differs from PyTorch by one code on about 0.1% of outputs.
   */
  floatBias?: Float32Array;
}

/** Options of {@linkcode fullyConnected}. */
export interface FullyConnectedOptions extends FusedOptions {
  /**
   * The weights packed once by {@linkcode packWeights} (the kernels' panel layout in kernel
   * memory): repeated calls then stream them without repacking. Must hold `weight`'s codes.
   */
  packed?: PackedInt8;
}

/**
 * Packs fully connected weights `[O, K]` once for repeated {@linkcode fullyConnected} calls.
 *
 * @param weight int8/uint8 weights `[O, K]`.
 * @returns The packed matrix (dispose it, or let it be collected).
 * @throws {RangeError} When the weights are not 2-D 8-bit codes.
 *
 * @example
 * ```ts
 * import { fullyConnected, packWeights } from "@lowbit/runtime/fused";
 * import { QuantizedTensor } from "@lowbit/runtime/quantized-tensor";
 * import { deepEqual } from "node:assert/strict";
 * const w = new QuantizedTensor({ q: new Int8Array([1, 2, 3, 4]), shape: [2, 2], dtype: "int8", scale: 1 });
 * const x = new QuantizedTensor({ q: new Int8Array([1, 1]), shape: [1, 2], dtype: "int8", scale: 1 });
 * using packed = packWeights(w);
 * deepEqual([...fullyConnected(x, w, { scale: 1, zeroPoint: 0, dtype: "int8" }, { packed }).q], [3, 7]);
 * ```
 */
export function packWeights(weight: QuantizedTensor): PackedInt8 {
  const wq = check8("weight", weight);
  if (weight.shape.length !== 2) {
    throw new RangeError(`weight must be [O, K], got [${weight.shape.join(", ")}]`);
  }
  return packInt8(wq, weight.shape[1], weight.shape[0], { transB: true });
}

/**
 * The code clamp that implements an activation on the output grid (F.1).
 *
 * @param activation The activation.
 * @param out Output quantization.
 * @returns `{ clampMin, clampMax }` in output codes.
 * @throws {RangeError} On an unknown activation.
 *
 * @example ReLU6 with S = 0.05, Z = −128: 6 / 0.05 = 120 codes above the zero point
 * ```ts
 * import { activationClamp } from "@lowbit/runtime/fused";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(activationClamp("relu6", { scale: 0.05, zeroPoint: -128, dtype: "int8" }), { clampMin: -128, clampMax: -8 });
 * ```
 */
export function activationClamp(
  activation: FusedActivation,
  out: OutputQuant,
): { clampMin: number; clampMax: number } {
  const { min, max } = DTYPE_RANGE[out.dtype];
  if (activation === "none") return { clampMin: min, clampMax: max };
  const lo = Math.max(min, out.zeroPoint);
  if (activation === "relu") return { clampMin: lo, clampMax: max };
  if (activation === "relu6") {
    return { clampMin: lo, clampMax: Math.min(max, out.zeroPoint + Math.round(6 / out.scale)) };
  }
  throw new RangeError(`activation must be "none", "relu" or "relu6", got ${String(activation)}`);
}

function check8(name: string, t: QuantizedTensor): Int8Operand {
  if (!(t instanceof QuantizedTensor)) throw new TypeError(`${name} must be a QuantizedTensor`);
  if (t.dtype !== "int8" && t.dtype !== "uint8") {
    throw new RangeError(`${name}.dtype must be "int8" or "uint8", got ${t.dtype}`);
  }
  return t.q as Int8Operand;
}

/** Per-output-channel real multipliers S_x·S_w[o]/S_y (float64, as TFLite computes them). */
function multipliers(
  x: QuantizedTensor,
  w: QuantizedTensor,
  outC: number,
  out: OutputQuant,
): Float64Array {
  const m = new Float64Array(outC);
  for (let o = 0; o < outC; o++) m[o] = (x.scale[0] * w.scale[w.perChannel ? o : 0]) / out.scale;
  return m;
}

/** The float32 products S_x·S_w[o] and the checked float bias of the PyTorch path. */
function pytorchPath(
  x: QuantizedTensor,
  w: QuantizedTensor,
  outC: number,
  o: FusedOptions,
): FloatBiasPath {
  const b = o.floatBias!;
  if (o.bias !== undefined) {
    throw new RangeError("options.bias and options.floatBias exclude each other");
  }
  if (o.mode !== undefined) {
    throw new RangeError(
      `options.mode must be omitted with options.floatBias (PyTorch numerics), got ${o.mode}`,
    );
  }
  if (!(b instanceof Float32Array)) {
    throw new TypeError("options.floatBias must be a Float32Array");
  }
  if (b.length !== outC) {
    throw new RangeError(
      `options.floatBias must have one value per output channel (${outC}), got ${b.length}`,
    );
  }
  const bad = b.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new RangeError(`options.floatBias[${bad}] must be finite, got ${b[bad]}`);
  const scaleXW = new Float32Array(outC);
  for (let c = 0; c < outC; c++) {
    scaleXW[c] = Math.fround(x.scale[0]) * Math.fround(w.scale[w.perChannel ? c : 0]);
  }
  return { scaleXW, bias: b };
}

/**
 * Checks output quantization parameters: an 8-bit code type, a finite positive scale and a
 * zero point among the type's codes.
 *
 * @param out The parameters.
 * @param name The argument's name in errors (default `"out"`).
 * @throws {RangeError} Naming `<name>.dtype`, `<name>.scale` or `<name>.zeroPoint`.
 *
 * @example
 * ```ts
 * import { checkOutputQuant } from "@lowbit/runtime/fused";
 * import { throws } from "node:assert/strict";
 * throws(() => checkOutputQuant({ scale: 1, zeroPoint: 0, dtype: "int16" as "int8" }), /out\.dtype must be "int8" or "uint8", got int16/);
 * throws(() => checkOutputQuant({ scale: 0, zeroPoint: 0, dtype: "int8" }), /out\.scale/);
 * ```
 */
export function checkOutputQuant(out: OutputQuant, name = "out"): void {
  if (out === null || typeof out !== "object") {
    throw new TypeError(`${name} must be an object { scale, zeroPoint, dtype }`);
  }
  if (out.dtype !== "int8" && out.dtype !== "uint8") {
    throw new RangeError(`${name}.dtype must be "int8" or "uint8", got ${String(out.dtype)}`);
  }
  if (!(out.scale > 0) || !Number.isFinite(out.scale)) {
    throw new RangeError(`${name}.scale must be finite and > 0, got ${out.scale}`);
  }
  const r = DTYPE_RANGE[out.dtype];
  if (!Number.isInteger(out.zeroPoint) || out.zeroPoint < r.min || out.zeroPoint > r.max) {
    throw new RangeError(
      `${name}.zeroPoint must be an integer in [${r.min}, ${r.max}], got ${out.zeroPoint}`,
    );
  }
}

function stage(
  x: QuantizedTensor,
  w: QuantizedTensor,
  outC: number,
  out: OutputQuant,
  o: FusedOptions,
) {
  checkOutputQuant(out);
  if (x.perChannel) throw new RangeError("x must be quantized per-tensor");
  if (w.perChannel && w.axis !== 0) {
    throw new RangeError(
      `weight may be per-channel only along axis 0 (output channels), got axis ${w.axis}`,
    );
  }
  const mode = o.mode ?? "fixed";
  const reals = mode === "float"
    ? Float32Array.from(multipliers(x, w, outC, out))
    : multipliers(x, w, outC, out);
  return withMultiplierNames(
    () =>
      outputStageFor(reals, {
        mode,
        zeroPoint: out.zeroPoint,
        dtype: out.dtype,
        ...activationClamp(o.activation ?? "none", out),
      }),
    "x.scale · weight.scale / out.scale",
  );
}

/**
 * Fully connected layer (F.1): `x [N, K]` times `weight [O, K]` (PyTorch `Linear` layout,
 * per-tensor or per-output-channel), plus bias, activation clamp.
 *
 * @param x Quantized activations `[N, K]`, per-tensor.
 * @param weight Quantized weights `[O, K]`.
 * @param out Output quantization.
 * @param options Bias, activation, mode, pre-packed weights.
 * @returns Quantized output `[N, O]`.
 * @throws {RangeError} If an int32 accumulator (bias included) would leave int32 and wrap,
 *   naming the arguments and the output index; with fixed-point requantization also if the
 *   left shift of a multiplier ≥ 1 would take it out of int32. Nothing saturates silently.
 *   Zero-size dimensions give empty outputs (K = 0: the empty sum, 0).
 * @throws {RangeError} On mismatched shapes, per-channel x, bad output parameters.
 *
 * @example Per-channel weights
 * ```ts
 * import { fullyConnected } from "@lowbit/runtime/fused";
 * import { QuantizedTensor } from "@lowbit/runtime/quantized-tensor";
 * import { deepEqual } from "node:assert/strict";
 * const x = new QuantizedTensor({ q: new Uint8Array([130, 126]), shape: [1, 2], dtype: "uint8", scale: 1, zeroPoint: 128 });
 * const w = new QuantizedTensor({ q: new Int8Array([3, 0, 0, 3]), shape: [2, 2], dtype: "int8", scale: new Float32Array([1, 0.5]), axis: 0 });
 * deepEqual([...fullyConnected(x, w, { scale: 1, zeroPoint: 0, dtype: "int8" }, { bias: new Int32Array([1, 0]) }).q], [7, -3]);
 * ```
 */
export function fullyConnected(
  x: QuantizedTensor,
  weight: QuantizedTensor,
  out: OutputQuant,
  options: FullyConnectedOptions = {},
): QuantizedTensor {
  const xq = check8("x", x), wq = check8("weight", weight);
  if (x.shape.length !== 2 || weight.shape.length !== 2 || x.shape[1] !== weight.shape[1]) {
    throw new RangeError(
      `x [N, K] and weight [O, K] must agree on K, got [${x.shape.join(", ")}] and [${
        weight.shape.join(", ")
      }]`,
    );
  }
  const [n, k] = x.shape, o = weight.shape[0];
  const packed = options.packed;
  if (packed && (packed.k !== k || packed.n !== o)) {
    throw new RangeError(`options.packed is ${packed.k}×${packed.n}, the weights need ${k}×${o}`);
  }
  const torch = options.floatBias !== undefined ? pytorchPath(x, weight, o, options) : undefined;
  const outputStage = stage(x, weight, o, out, torch ? { ...options, mode: "float" } : options);
  if (options.bias !== undefined && options.bias.length !== o) {
    throw new RangeError(
      `options.bias must have one value per output channel (${o}), got ${options.bias.length}`,
    );
  }
  const bZeroPoint = weight.perChannel ? weight.zeroPoint : weight.zeroPoint[0];
  let q: Int8Array | Uint8Array;
  if (n === 0 || o === 0) {
    q = out.dtype === "int8" ? new Int8Array(0) : new Uint8Array(0); // empty batch or layer
  } else {
    if (k === 0) throw new RangeError("x.shape[1] (K) must be at least 1");
    checkGemmAccumulators({
      label: torch ? "fullyConnected(x, weight)" : "fullyConnected(x, weight, options.bias)",
      m: n,
      n: o,
      k,
      a: xq,
      b: wq,
      transB: true,
      aZeroPoint: x.zeroPoint[0],
      bZeroPoint,
      bias: options.bias,
      shift: torch ? undefined : stageShifts(outputStage),
    });
    const gemm = { aZeroPoint: x.zeroPoint[0], bZeroPoint, transB: packed ? undefined : true };
    if (torch) {
      const acc = gemmInt8(n, o, k, xq, packed ?? wq, gemm);
      q = requantizeFloatBias(acc, 1, torch, outputStage, out.scale);
    } else {
      q = gemmInt8Requantized(n, o, k, xq, packed ?? wq, {
        ...gemm,
        bias: options.bias,
        outputStage,
      });
    }
  }
  return new QuantizedTensor({
    q,
    shape: [n, o],
    dtype: out.dtype,
    scale: out.scale,
    zeroPoint: out.zeroPoint,
  });
}

/** Geometry of {@linkcode conv2d} (everything but the shapes, which come from the tensors). */
export interface ConvGeometry {
  /** Stride, one value or `[h, w]`. Default 1. */
  stride?: number | [number, number];
  /** Padding, one value or `[top, left, bottom, right]`. Default 0. */
  padding?: number | [number, number, number, number];
  /** Dilation, one value or `[h, w]`. Default 1. */
  dilation?: number | [number, number];
  /** Groups (= input channels for depthwise). Default 1. */
  groups?: number;
}

/**
 * 2-D convolution (F.1), NCHW activations and OIHW weights; depthwise when
 * `groups = inChannels` (the kernels run their direct depthwise loops).
 *
 * @param x Quantized activations `[N, C, H, W]`, per-tensor.
 * @param weight Quantized weights `[O, C/groups, kH, kW]`, per-tensor or per-output-channel.
 * @param out Output quantization.
 * @param options Geometry, bias, activation, mode.
 * @returns Quantized output `[N, O, outH, outW]`.
 * @throws {RangeError} If an int32 accumulator (bias included) would leave int32 and wrap,
 *   naming the arguments and the output index; with fixed-point requantization also if the
 *   left shift of a multiplier ≥ 1 would take it out of int32. Nothing saturates silently.
 *   Zero-size dimensions give empty outputs (K = 0: the empty sum, 0).
 * @throws {RangeError} On bad shapes or geometry, per-channel x, bad output parameters.
 *
 * @example 1×1 convolution with ReLU6 (S_y = 1: codes above 6 clamp)
 * ```ts
 * import { conv2d } from "@lowbit/runtime/fused";
 * import { QuantizedTensor } from "@lowbit/runtime/quantized-tensor";
 * import { deepEqual } from "node:assert/strict";
 * const x = new QuantizedTensor({ q: new Int8Array([2, 5, -3]), shape: [1, 1, 1, 3], dtype: "int8", scale: 1 });
 * const w = new QuantizedTensor({ q: new Int8Array([2]), shape: [1, 1, 1, 1], dtype: "int8", scale: 1 });
 * deepEqual([...conv2d(x, w, { scale: 1, zeroPoint: 0, dtype: "int8" }, { activation: "relu6" }).q], [4, 6, 0]);
 * ```
 */
export function conv2d(
  x: QuantizedTensor,
  weight: QuantizedTensor,
  out: OutputQuant,
  options: FusedOptions & ConvGeometry = {},
): QuantizedTensor {
  const xq = check8("x", x), wq = check8("weight", weight);
  if (x.shape.length !== 4 || weight.shape.length !== 4) {
    throw new RangeError(
      `x and weight must be 4-D (NCHW, OIHW), got [${x.shape.join(", ")}] and [${
        weight.shape.join(", ")
      }]`,
    );
  }
  const p: Conv2dParams = {
    batch: x.shape[0],
    inChannels: x.shape[1],
    height: x.shape[2],
    width: x.shape[3],
    outChannels: weight.shape[0],
    kernelH: weight.shape[2],
    kernelW: weight.shape[3],
    stride: options.stride,
    padding: options.padding,
    dilation: options.dilation,
    groups: options.groups,
  };
  if (weight.shape[1] * (options.groups ?? 1) !== x.shape[1]) {
    throw new RangeError(
      `weight.shape[1] (${weight.shape[1]}) × groups (${
        options.groups ?? 1
      }) must equal x's channels (${x.shape[1]})`,
    );
  }
  const o = weight.shape[0];
  checkGeometry(options, o);
  const torch = options.floatBias !== undefined ? pytorchPath(x, weight, o, options) : undefined;
  const outputStage = stage(x, weight, o, out, torch ? { ...options, mode: "float" } : options);
  if (options.bias !== undefined && options.bias.length !== o) {
    throw new RangeError(
      `options.bias must have one value per output channel (${o}), got ${options.bias.length}`,
    );
  }
  const sp = convOutHW(p);
  if (!(sp[0] >= 1 && sp[1] >= 1)) {
    throw new RangeError(`the kernel does not fit the padded input: output [${sp.join(", ")}]`);
  }
  if (x.shape[0] === 0 || o === 0) {
    const q = out.dtype === "int8" ? new Int8Array(0) : new Uint8Array(0);
    return new QuantizedTensor({
      q,
      shape: [x.shape[0], o, sp[0], sp[1]],
      dtype: out.dtype,
      scale: out.scale,
      zeroPoint: out.zeroPoint,
    });
  }
  const weightZeroPoint = weight.perChannel ? weight.zeroPoint : weight.zeroPoint[0];
  checkConvAccumulators(
    "conv2d(x, weight, options.bias)",
    xq,
    wq,
    p,
    x.zeroPoint[0],
    weightZeroPoint,
    options.bias,
    stageShifts(outputStage),
  );
  let q: Int8Array | Uint8Array;
  if (torch) {
    const acc = conv2dInt8(xq, wq, p, { inputZeroPoint: x.zeroPoint[0], weightZeroPoint });
    q = requantizeFloatBias(acc, sp[0] * sp[1], torch, outputStage, out.scale);
  } else {
    q = conv2dInt8Requantized(xq, wq, p, {
      inputZeroPoint: x.zeroPoint[0],
      weightZeroPoint,
      bias: options.bias,
      outputStage,
    });
  }
  const hw = q.length / (x.shape[0] * o);
  if (sp[0] * sp[1] !== hw) throw new RangeError("internal: output size mismatch");
  return new QuantizedTensor({
    q,
    shape: [x.shape[0], o, sp[0], sp[1]],
    dtype: out.dtype,
    scale: out.scale,
    zeroPoint: out.zeroPoint,
  });
}

/** Validates stride, padding, dilation and groups under the user's option names. */
function checkGeometry(g: ConvGeometry, outChannels: number): void {
  const ints = (name: string, v: unknown, lens: number[], min: number): void => {
    const ok = (e: unknown) => typeof e === "number" && Number.isInteger(e) && e >= min;
    const valid = v === undefined || ok(v) ||
      (Array.isArray(v) && lens.includes(v.length) && v.every(ok));
    if (!valid) {
      throw new RangeError(
        `options.${name} must be one ${min > 0 ? "positive" : "non-negative"} integer or ${
          lens[0]
        } of them; got ${JSON.stringify(v)}`,
      );
    }
  };
  ints("stride", g.stride, [2], 1);
  ints("dilation", g.dilation, [2], 1);
  ints("padding", g.padding, [4], 0);
  const groups = g.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1 || outChannels % groups !== 0) {
    throw new RangeError(
      `options.groups must be a positive integer dividing the output channels (${outChannels}); got ${groups}`,
    );
  }
}

function convOutHW(p: Conv2dParams): [number, number] {
  const two = (v: number | [number, number] | undefined, d: number): [number, number] =>
    v === undefined ? [d, d] : typeof v === "number" ? [v, v] : v;
  const [sh, sw] = two(p.stride, 1), [dh, dw] = two(p.dilation, 1);
  const pad = p.padding === undefined
    ? [0, 0, 0, 0]
    : typeof p.padding === "number"
    ? [p.padding, p.padding, p.padding, p.padding]
    : p.padding;
  return [
    Math.floor((p.height + pad[0] + pad[2] - dh * (p.kernelH - 1) - 1) / sh) + 1,
    Math.floor((p.width + pad[1] + pad[3] - dw * (p.kernelW - 1) - 1) / sw) + 1,
  ];
}
