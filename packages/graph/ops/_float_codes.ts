// Private: the float code types (float8 of ONNX opset 19, float4 E2M1 of opset 23) stored as one
// bit pattern per element in a Uint8Array, with the @lowbit/numerics codecs.

import {
  FP4_E2M1,
  FP8_E4M3FN,
  FP8_E4M3FNUZ,
  FP8_E5M2,
  FP8_E5M2FNUZ,
} from "@lowbit/numerics/formats";
import type { FloatFormat } from "@lowbit/numerics/minifloat";

/** The ONNX float code types. */
export type FloatCodeType =
  | "float8e4m3fn"
  | "float8e4m3fnuz"
  | "float8e5m2"
  | "float8e5m2fnuz"
  | "float4e2m1";

/** The codec of each float code type. */
export const FLOAT_CODECS: Readonly<Record<FloatCodeType, FloatFormat<Uint8Array>>> = Object
  .freeze({
    float8e4m3fn: FP8_E4M3FN,
    float8e4m3fnuz: FP8_E4M3FNUZ,
    float8e5m2: FP8_E5M2,
    float8e5m2fnuz: FP8_E5M2FNUZ,
    float4e2m1: FP4_E2M1,
  });

/** Whether a dtype name is a float code type. */
export function isFloatCode(dtype: string): dtype is FloatCodeType {
  return Object.hasOwn(FLOAT_CODECS, dtype);
}

/** Decodes bit patterns to float32 values. */
export function decodeFloatCodes(dtype: FloatCodeType, bits: Uint8Array): Float32Array {
  return FLOAT_CODECS[dtype].decodeArray(bits);
}

/**
 * Encodes values with round to nearest even; `saturate` (ONNX Cast/QuantizeLinear, default true)
 * sends overflow and ±∞ to ±max. Float4 E2M1 always saturates and, as ONNX's reference, encodes
 * NaN as +6.
 */
export function encodeFloatCodes(
  dtype: FloatCodeType,
  values: ArrayLike<number>,
  saturate = true,
): Uint8Array {
  const four = dtype === "float4e2m1";
  const v = Float32Array.from(values, (x) => (four && x !== x ? Infinity : x));
  return FLOAT_CODECS[dtype].encodeArray(v, { saturate: four || saturate });
}
