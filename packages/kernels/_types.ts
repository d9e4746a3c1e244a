/**
 * Types shared by a public module of @lowbit/kernels and the internal modules behind it
 * (references, Wasm paths, resolvers), so that neither imports the other's types: the public
 * modules re-export them (`Conv2dParams` from conv-params, `KernelChoice` and
 * `FusedActivation` from gemm-f32, `Int8Operand` and `GemmInt8Options` from gemm-int8, the
 * output stages from output-stage).
 *
 * @module
 */

/** A 2-D convolution's shapes (NCHW activations, OIHW weights). */
export interface Conv2dParams {
  /** Images in the batch (N). */
  batch: number;
  /** Input channels (C). */
  inChannels: number;
  /** Input height (H). */
  height: number;
  /** Input width (W). */
  width: number;
  /** Output channels (O). */
  outChannels: number;
  /** Kernel height. */
  kernelH: number;
  /** Kernel width. */
  kernelW: number;
  /** Stride, one value or `[h, w]`. Default 1. */
  stride?: number | [number, number];
  /**
   * Zero padding, one value or `[top, left, bottom, right]` (the order of ONNX `pads`:
   * all begins, then all ends). Default 0.
   */
  padding?: number | [number, number, number, number];
  /** Dilation, one value or `[h, w]`. Default 1. */
  dilation?: number | [number, number];
  /** Groups; `inChannels` and `outChannels` must be divisible by it. Default 1. */
  groups?: number;
}

/** Which implementation runs: the chooser (`"auto"`), or one forced. */
export type KernelChoice = "auto" | "wasm" | "ts";

/** Output activation applied after the bias: none, `max(x, 0)`, or `min(max(x, 0), 6)`. */
export type FusedActivation = "none" | "relu" | "relu6";

/** An 8-bit operand: signed or unsigned codes. */
export type Int8Operand = Int8Array | Uint8Array;

/** Options of {@link gemmInt8}. */
export interface GemmInt8Options {
  /** Zero point of A, inside A's type range. Default 0. */
  aZeroPoint?: number;
  /** Zero point of B: one value, or one per column (length n). Default 0. */
  bZeroPoint?: number | Int32Array;
  /** B is stored n×k (weights as [out][in]). Default false. */
  transB?: boolean;
  /** Per-column int32 bias (length n), added to the accumulators. */
  bias?: Int32Array;
  /** Accumulator storage (≥ m·n); allocated when omitted. */
  out?: Int32Array;
  /** Implementation. Default `"auto"`. */
  kernel?: KernelChoice;
}

/** Output code type of an output stage. */
export type OutputDType = "int8" | "uint8";

/** Fields shared by both output stages. */
export interface OutputStageBase {
  /** Output zero point, inside the output type's range. */
  zeroPoint: number;
  /** Output storage type. */
  dtype: OutputDType;
  /** Smallest code allowed (fused activation); default the type's minimum. */
  clampMin?: number;
  /** Largest code allowed (fused activation); default the type's maximum. */
  clampMax?: number;
}

/** onnxruntime semantics: float32 multiplier(s), round half to even, saturate. */
export interface OutputStageFloat extends OutputStageBase {
  /** Discriminant. */
  kind: "float";
  /** `S_a·S_b/S_y`: one value, or one per output column (length n). Rounded to float32. */
  multiplier: number | Float32Array;
}

/** gemmlowp/TFLite semantics: Q31 multiplier(s) and shift(s) from `quantizeMultiplier`. */
export interface OutputStageFixed extends OutputStageBase {
  /** Discriminant. */
  kind: "fixed";
  /** Q31 mantissa(s): one value, or one per output column. */
  multiplier: number | Int32Array;
  /** Exponent(s) in [-31, 30]: one value, or one per output column. */
  shift: number | Int32Array;
}

/** Either output stage. */
export type OutputStage = OutputStageFloat | OutputStageFixed;
