/**
 * ONNX `ConvInteger` and `QLinearConv` (1-D and 2-D, NCHW activations, OIHW weights) on the
 * `@lowbit/kernels` int8 convolutions:
 *
 *     ConvInteger:  y[n][o] = Σ_{c,taps} (x − x_zp)(w[o] − w_zp[o])        int32   (C.1)
 *     QLinearConv:  y = saturate(rne(fl32((acc + B[o]) · M_o)) + y_zp),
 *                   M_o = fl32(fl32(x_scale · w_scale[o]) / y_scale)                (C.2)
 *
 * Padded taps contribute 0 (they hold x_zp). Attributes follow ONNX: `pads` as all begins then
 * all ends, `strides`, `dilations`, `group`, `autoPad` (`NOTSET`, `VALID`, `SAME_UPPER`,
 * `SAME_LOWER`) and an optional `kernelShape` that must match the weights. `"fixed"` mode
 * swaps (C.2)'s float rescale for gemmlowp's fixed-point one.
 *
 * @example The ONNX test vector `test_convinteger_with_padding`
 * ```ts
 * import { convInteger } from "@lowbit/runtime/onnx-conv";
 * import { deepEqual } from "node:assert/strict";
 * const x = { data: new Uint8Array([2, 3, 4, 5, 6, 7, 8, 9, 10]), shape: [1, 1, 3, 3] };
 * const w = { data: new Uint8Array([1, 1, 1, 1]), shape: [1, 1, 2, 2] };
 * const y = convInteger(x, w, { xZeroPoint: 1, pads: [1, 1, 1, 1] });
 * deepEqual([...y.data], [1, 3, 5, 3, 5, 12, 16, 9, 11, 24, 28, 15, 7, 15, 17, 9]);
 * ```
 *
 * @module
 */

import { conv2dInt8, conv2dInt8Requantized } from "@lowbit/kernels/conv2d";
import type { Conv2dParams } from "@lowbit/kernels/conv-params";
import type { Int8Operand } from "@lowbit/kernels/gemm-int8";
import { QuantizedTensor } from "./quantized_tensor.ts";
import { checkConvAccumulators, stageShifts, withMultiplierNames } from "./_int32_check.ts";
import type { CodeBuffer } from "./fused.ts";
import {
  type CodeTensor,
  type Int32Tensor,
  type QLinearOptions,
  type QLinearOutput,
  qlinearStage,
} from "./onnx_matmul.ts";

/** ONNX convolution attributes. */
export interface ConvAttributes {
  /** Padding policy (default `"NOTSET"`: use `pads`). */
  autoPad?: "NOTSET" | "VALID" | "SAME_UPPER" | "SAME_LOWER";
  /** Dilation per spatial axis (default 1s). */
  dilations?: readonly number[];
  /** Groups (default 1). */
  group?: number;
  /** Kernel shape; checked against the weights when given. */
  kernelShape?: readonly number[];
  /** Pads: begins of every spatial axis, then ends (default 0s). */
  pads?: readonly number[];
  /** Stride per spatial axis (default 1s). */
  strides?: readonly number[];
}

/** Options of {@linkcode convInteger}. */
export interface ConvIntegerOptions extends ConvAttributes {
  /** Input zero point (default 0). */
  xZeroPoint?: number;
  /** Weight zero point: scalar or one per output channel (default 0). */
  wZeroPoint?: number | Int32Array;
}

/** Options of {@linkcode qlinearConv}. */
export interface QLinearConvOptions extends ConvAttributes, QLinearOptions {
  /** int32 bias `B` (one per output channel, scale x_scale·w_scale[o], zero point 0). */
  bias?: Int32Array;
  /** Where the output codes go (NCHW); default a new array. */
  codes?: CodeBuffer;
}

/** Resolved 2-D geometry of an ONNX convolution. */
interface ConvPlan {
  params: Conv2dParams;
  outShape: number[];
}

function planConv(
  xShape: readonly number[],
  wShape: readonly number[],
  a: ConvAttributes,
): ConvPlan {
  const rank = xShape.length;
  if (rank !== 3 && rank !== 4) {
    throw new RangeError(`x must be 3-D (N, C, L) or 4-D (N, C, H, W), got [${xShape.join(", ")}]`);
  }
  if (wShape.length !== rank) {
    throw new RangeError(`w must have x's rank (${rank}), got [${wShape.join(", ")}]`);
  }
  const s = rank - 2;
  const list = (
    name: string,
    v: readonly number[] | undefined,
    len: number,
    dflt: number,
    min = 0,
  ): number[] => {
    const r = v ? [...v] : Array(len).fill(dflt);
    if (r.length !== len || r.some((x) => !Number.isInteger(x) || x < min)) {
      throw new RangeError(
        `options.${name} must be ${len} ${min > 0 ? "positive" : "non-negative"} integers, got [${
          r.join(", ")
        }]`,
      );
    }
    return r;
  };
  const strides = list("strides", a.strides, s, 1, 1);
  const dilations = list("dilations", a.dilations, s, 1, 1);
  const kernel = wShape.slice(2);
  if (a.kernelShape && a.kernelShape.join() !== kernel.join()) {
    throw new RangeError(
      `kernelShape [${a.kernelShape.join(", ")}] differs from the weights' [${kernel.join(", ")}]`,
    );
  }
  let pads = list("pads", a.pads, 2 * s, 0);
  const autoPad = a.autoPad ?? "NOTSET";
  if (autoPad === "VALID") pads = Array(2 * s).fill(0);
  else if (autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") {
    for (let d = 0; d < s; d++) {
      const inp = xShape[2 + d], out = Math.ceil(inp / strides[d]);
      const total = Math.max(0, (out - 1) * strides[d] + (kernel[d] - 1) * dilations[d] + 1 - inp);
      const small = Math.floor(total / 2);
      pads[d] = autoPad === "SAME_UPPER" ? small : total - small;
      pads[d + s] = total - pads[d];
    }
  } else if (autoPad !== "NOTSET") {
    throw new RangeError(
      `autoPad must be "NOTSET", "VALID", "SAME_UPPER" or "SAME_LOWER", got ${autoPad}`,
    );
  }
  const group = a.group ?? 1;
  const [n, c] = xShape, [o, cg] = wShape;
  if (!Number.isInteger(group) || group < 1 || c !== cg * group || o % group !== 0) {
    throw new RangeError(
      `options.group (${group}) × w.shape[1] (${cg}) must equal the input channels (${c}) and divide the output channels (${o})`,
    );
  }
  const two = <T>(v: T[], one: T): [T, T] => (s === 1 ? [one, v[0]] : [v[0], v[1]]);
  const [kh, kw] = two(kernel, 1);
  const [h, w] = two(xShape.slice(2), 1);
  const params: Conv2dParams = {
    batch: n,
    inChannels: c,
    height: h,
    width: w,
    outChannels: o,
    kernelH: kh,
    kernelW: kw,
    stride: two(strides, 1),
    dilation: two(dilations, 1),
    padding: s === 1 ? [0, pads[0], 0, pads[1]] : [pads[0], pads[1], pads[2], pads[3]],
    groups: group,
  };
  const outDims: number[] = [];
  for (let d = 0; d < s; d++) {
    const span = dilations[d] * (kernel[d] - 1) + 1;
    outDims.push(Math.floor((xShape[2 + d] + pads[d] + pads[d + s] - span) / strides[d]) + 1);
  }
  if (outDims.some((v) => v < 1)) {
    throw new RangeError(
      `the kernel does not fit the padded input: output [${outDims.join(", ")}]`,
    );
  }
  return { params, outShape: [n, o, ...outDims] };
}

function checkCodes(name: string, t: CodeTensor): void {
  if (
    t === null || typeof t !== "object" ||
    !(t.data instanceof Int8Array || t.data instanceof Uint8Array)
  ) {
    throw new TypeError(`${name} must be { data: Int8Array | Uint8Array, shape }`);
  }
  if (t.shape.reduce((a, b) => a * b, 1) !== t.data.length) {
    throw new RangeError(
      `${name}.shape [${t.shape.join(", ")}] does not hold data.length (${t.data.length}) elements`,
    );
  }
}

function checkZeroPoint(name: string, z: number, codes: Int8Array | Uint8Array): void {
  const [lo, hi] = codes instanceof Int8Array ? [-128, 127] : [0, 255];
  if (!Number.isInteger(z) || z < lo || z > hi) {
    throw new RangeError(`${name} must be an integer in [${lo}, ${hi}], got ${z}`);
  }
}

/**
 * ONNX ConvInteger (C.1).
 *
 * @param x Input codes `[N, C, H, W]` or `[N, C, L]`.
 * @param w Weight codes `[O, C/group, kH, kW]` or `[O, C/group, k]`.
 * @param options Zero points and convolution attributes.
 * @returns int32 output `[N, O, outH, outW]` (or `[N, O, outL]`).
 * @throws {RangeError} If an int32 accumulator (bias included) would leave int32 and wrap,
 *   naming the arguments and the output index; with fixed-point requantization also if the
 *   left shift of a multiplier ≥ 1 would take it out of int32. Nothing saturates silently.
 *   Zero-size dimensions give empty outputs (K = 0: the empty sum, 0).
 * @throws {RangeError} On bad shapes or attributes, or zero points outside their type.
 * @throws {TypeError} When an operand is not 8-bit codes.
 *
 * @example A 1-D convolution with stride 2
 * ```ts
 * import { convInteger } from "@lowbit/runtime/onnx-conv";
 * import { deepEqual } from "node:assert/strict";
 * const y = convInteger({ data: new Int8Array([1, 2, 3, 4, 5]), shape: [1, 1, 5] }, { data: new Int8Array([1, -1]), shape: [1, 1, 2] }, { strides: [2] });
 * deepEqual([...y.data], [-1, -1]);
 * deepEqual(y.shape, [1, 1, 2]);
 * ```
 */
export function convInteger(
  x: CodeTensor,
  w: CodeTensor,
  options: ConvIntegerOptions = {},
): Int32Tensor {
  checkCodes("x", x);
  checkCodes("w", w);
  const plan = planConv(x.shape, w.shape, options);
  const xZp = options.xZeroPoint ?? 0;
  checkZeroPoint("options.xZeroPoint", xZp, x.data);
  let wZp = options.wZeroPoint ?? 0;
  if (typeof wZp !== "number" && wZp.length === 1) wZp = wZp[0];
  if (typeof wZp === "number") checkZeroPoint("options.wZeroPoint", wZp, w.data);
  else {
    if (wZp.length !== w.shape[0]) {
      throw new RangeError(
        `options.wZeroPoint must be a scalar or have one value per output channel (${
          w.shape[0]
        }), got ${wZp.length}`,
      );
    }
    wZp.forEach((z, i) => checkZeroPoint(`options.wZeroPoint[${i}]`, z, w.data));
  }
  const size = plan.outShape.reduce((p, d) => p * d, 1);
  if (size === 0) return { data: new Int32Array(0), shape: plan.outShape };
  checkConvAccumulators("convInteger(x, w)", x.data, w.data, plan.params, xZp, wZp);
  const data = conv2dInt8(x.data, w.data, plan.params, {
    inputZeroPoint: xZp,
    weightZeroPoint: wZp,
  });
  return { data, shape: plan.outShape };
}

/**
 * ONNX QLinearConv (C.2): `x` per-tensor, `w` per-tensor or per-output-channel (axis 0),
 * output per-tensor, optional int32 bias.
 *
 * @param x Quantized input `[N, C, H, W]` or `[N, C, L]`.
 * @param w Quantized weights `[O, C/group, kH, kW]` (per-tensor or axis 0).
 * @param output Output scale, zero point and type.
 * @param options Bias, mode and convolution attributes.
 * @returns The quantized output.
 * @throws {RangeError} If an int32 accumulator (bias included) would leave int32 and wrap,
 *   naming the arguments and the output index; with fixed-point requantization also if the
 *   left shift of a multiplier ≥ 1 would take it out of int32. Nothing saturates silently.
 *   Zero-size dimensions give empty outputs (K = 0: the empty sum, 0).
 * @throws {RangeError} On per-channel `x`, `w` per-channel along another axis, bad shapes,
 *   attributes or output parameters.
 *
 * @example ReLU-free 1×1 convolution to uint8
 * ```ts
 * import { qlinearConv } from "@lowbit/runtime/onnx-conv";
 * import { QuantizedTensor } from "@lowbit/runtime/quantized-tensor";
 * import { deepEqual } from "node:assert/strict";
 * const x = new QuantizedTensor({ q: new Uint8Array([10, 20]), shape: [1, 2, 1, 1], dtype: "uint8", scale: 0.5 });
 * const w = new QuantizedTensor({ q: new Int8Array([1, 2]), shape: [1, 2, 1, 1], dtype: "int8", scale: 0.5 });
 * const y = qlinearConv(x, w, { scale: 1, zeroPoint: 100 }, { bias: new Int32Array([1]) });
 * deepEqual([...y.q], [113]); // (10 + 40 + 1) · 0.25 = 12.75 → 13, + 100
 * ```
 */
export function qlinearConv(
  x: QuantizedTensor,
  w: QuantizedTensor,
  output: QLinearOutput,
  options: QLinearConvOptions = {},
): QuantizedTensor {
  if (!(x instanceof QuantizedTensor) || !(w instanceof QuantizedTensor)) {
    throw new TypeError("x and w must be QuantizedTensors");
  }
  for (const [name, t] of [["x", x], ["w", w]] as const) {
    if (t.dtype !== "int8" && t.dtype !== "uint8") {
      throw new RangeError(`${name}.dtype must be "int8" or "uint8", got ${t.dtype}`);
    }
  }
  if (x.perChannel) throw new RangeError("x must be quantized per-tensor");
  if (w.perChannel && w.axis !== 0) {
    throw new RangeError(`w may be per-channel only along axis 0, got axis ${w.axis}`);
  }
  if (!(output.scale > 0) || !Number.isFinite(output.scale)) {
    throw new RangeError(`output.scale must be finite and > 0, got ${output.scale}`);
  }
  const plan = planConv(x.shape, w.shape, options);
  const o = w.shape[0];
  const dtype = output.dtype ?? (x.dtype as "int8" | "uint8");
  const zeroPoint = output.zeroPoint ?? 0;
  const stage = withMultiplierNames(
    () =>
      qlinearStage(x.scale[0], w.scale, o, output.scale, {
        mode: options.mode ?? "float",
        zeroPoint,
        dtype,
      }),
    "fl(fl(x.scale · w.scale) / output.scale)",
  );
  const wZp = w.perChannel ? w.zeroPoint : w.zeroPoint[0];
  if (options.bias !== undefined && options.bias.length !== o) {
    throw new RangeError(
      `options.bias must have one value per output channel (${o}), got ${options.bias.length}`,
    );
  }
  const size = plan.outShape.reduce((p, d) => p * d, 1);
  if (size === 0) {
    const q = dtype === "int8" ? new Int8Array(0) : new Uint8Array(0);
    return new QuantizedTensor({ q, shape: plan.outShape, dtype, scale: output.scale, zeroPoint });
  }
  checkConvAccumulators(
    "qlinearConv(x, w, options.bias)",
    x.q,
    w.q,
    plan.params,
    x.zeroPoint[0],
    wZp,
    options.bias,
    stageShifts(stage),
  );
  const q = conv2dInt8Requantized(x.q as Int8Operand, w.q as Int8Operand, plan.params, {
    inputZeroPoint: x.zeroPoint[0],
    weightZeroPoint: wZp,
    bias: options.bias,
    outputStage: stage,
    out: options.codes?.(dtype, size),
  });
  return new QuantizedTensor({ q, shape: plan.outShape, dtype, scale: output.scale, zeroPoint });
}
