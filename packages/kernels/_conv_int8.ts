// Private: validation of the int8 convolution options (ONNX ConvInteger / QLinearConv
// semantics) shared by conv2d.ts and depthwise.ts.

import { checkIntRange, checkIntRangeEach, checkType } from "./_validate.ts";
import { checkInput, checkWeight, resolveConv2d, type ResolvedConv2d } from "./_conv_resolve.ts";
import { checkKernel, checkPerChannel } from "./_conv_common.ts";
import type { KernelChoice } from "./gemm_f32.ts";
import type { Int8Operand } from "./gemm_int8.ts";
import type { OutputStage } from "./output_stage.ts";
import type { ResolvedOutputStage } from "./_output_stage.ts";
import { mbqm, rqf } from "./_fixed_point.ts";
import { checkDepthwise } from "./_depthwise.ts";
import type { Conv2dParams } from "./conv_params.ts";

/** Options shared by the int8 convolutions. */
export interface ConvInt8OptionsBase {
  inputZeroPoint?: number;
  weightZeroPoint?: number | Int32Array;
  bias?: Int32Array;
  kernel?: KernelChoice;
}

/** A validated int8 convolution call. */
export interface ConvInt8Call {
  r: ResolvedConv2d;
  zx: number;
  /** Weight zero point per output channel. */
  zw: Int32Array;
  /** The zero point as given (a number stays a number for the GEMM). */
  zwGiven: number | Int32Array;
  bias: Int32Array | undefined;
  kernel: KernelChoice;
}

function range(x: Int8Operand): [number, number] {
  return x instanceof Int8Array ? [-128, 127] : [0, 255];
}

/** Validates an int8 convolution's operands and options; errors name the argument. */
export function resolveConvInt8(
  input: Int8Operand,
  weight: Int8Operand,
  p: Conv2dParams,
  options: ConvInt8OptionsBase,
  depthwise = false,
): ConvInt8Call {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`options must be an object, got ${String(options)}`);
  }
  const r = resolveConv2d(p);
  if (depthwise) checkDepthwise(r);
  checkInput("input", input, r, [Uint8Array, Int8Array]);
  checkWeight("weight", weight, r, [Int8Array, Uint8Array]);
  const [xlo, xhi] = range(input), [wlo, whi] = range(weight);
  const zx = checkIntRange("options.inputZeroPoint", options.inputZeroPoint ?? 0, xlo, xhi);
  const zg = options.weightZeroPoint ?? 0;
  let zw: Int32Array;
  if (typeof zg === "number") {
    zw = new Int32Array(r.outC).fill(checkIntRange("options.weightZeroPoint", zg, wlo, whi));
  } else {
    checkType("options.weightZeroPoint", zg, [Int32Array]);
    checkPerChannel("options.weightZeroPoint", zg, r.outC, [Int32Array]);
    checkIntRangeEach("options.weightZeroPoint", zg, wlo, whi);
    zw = zg;
  }
  const bias = checkPerChannel("options.bias", options.bias, r.outC, [Int32Array]);
  return { r, zx, zw, zwGiven: zg, bias, kernel: checkKernel(options.kernel) };
}

/** The output stage restricted to output channels [o0, o0 + count). */
export function sliceStage(s: ResolvedOutputStage, o0: number, count: number): OutputStage {
  const base = { zeroPoint: s.zeroPoint, dtype: s.dtype, clampMin: s.lo, clampMax: s.hi };
  if (s.kind === "float") {
    return {
      ...base,
      kind: "float",
      multiplier: (s.multiplier as Float32Array).subarray(o0, o0 + count),
    };
  }
  return {
    ...base,
    kind: "fixed",
    multiplier: (s.multiplier as Int32Array).subarray(o0, o0 + count),
    shift: s.shift.subarray(o0, o0 + count),
  };
}

/** Validates or allocates the code output of a requantized convolution. */
export function codesBuffer(
  out: Int8Array | Uint8Array | undefined,
  need: number,
  stage: ResolvedOutputStage,
): Int8Array | Uint8Array {
  const dst = out ?? (stage.dtype === "int8" ? new Int8Array(need) : new Uint8Array(need));
  if ((stage.dtype === "int8") !== (dst instanceof Int8Array) || dst.length < need) {
    throw new RangeError(
      `options.out must be a${
        stage.dtype === "int8" ? "n Int8Array" : " Uint8Array"
      } of length ≥ ${need} (NCHW output), got ${dst.constructor.name}(${dst.length})`,
    );
  }
  return dst;
}

/** A per-output-channel scalar requantizer (same semantics as the GEMM output stages). */
export function channelRequantizer(s: ResolvedOutputStage): (acc: number, o: number) => number {
  const { zeroPoint: zp, lo, hi } = s;
  if (s.kind === "float") {
    const m = s.multiplier as Float32Array;
    return (acc, o) => rqf(acc | 0, m[o], zp, lo, hi);
  }
  const m = s.multiplier as Int32Array, sh = s.shift;
  return (acc, o) => {
    const v = mbqm(acc | 0, m[o], sh[o]) + zp;
    return v < lo ? lo : v > hi ? hi : v;
  };
}
