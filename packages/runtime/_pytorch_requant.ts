// PyTorch's quantized Linear/Conv numerics (the fbgemm and x86 engines), for fused.ts: the
// bias stays in float, divided by the accumulator scale and added to the int32 accumulators
// as a float; the sum times the float32 multiplier is rounded half to even:
//
//   y = clamp(round_half_even(f32(f32(f32(acc) + f32(b_o / s_xw[o])) · m_o)) + Z_y, lo, hi)
//   s_xw[o] = f32(S_x · S_w[o]),   m_o = f32(s_xw[o] / S_y)
//
// (Scaling the accumulator first, f32(acc·s_xw) + b, then dividing by S_y, disagrees with
// torch on about one output in 10^4.)
// Checked bit for bit against torch 2.13 (packages/runtime/testdata/pytorch_fbgemm.json).
import type { OutputStage } from "@lowbit/kernels/output-stage";
import { roundHalfEven } from "@lowbit/rounding/modes";
import { DTYPE_RANGE } from "./quantized_tensor.ts";

const f32 = Math.fround;

/** The float32 products S_x·S_w[o] and the float bias, one per output channel. */
export interface FloatBiasPath {
  /** f32(S_x · S_w[o]). */
  scaleXW: Float32Array;
  /** b_o. */
  bias: Float32Array;
}

/**
 * Requantizes int32 accumulators laid out `[..., channels, inner]` (inner = 1 for a fully
 * connected layer's `[N, O]`, H·W for NCHW convolutions) to the codes of `stage` (its zero
 * point, type and clamp; its multipliers are not used), channels = `path.scaleXW.length`.
 */
export function requantizeFloatBias(
  acc: Int32Array,
  inner: number,
  path: FloatBiasPath,
  stage: OutputStage,
  outScale: number,
): Int8Array | Uint8Array {
  const { scaleXW, bias } = path;
  const channels = scaleXW.length;
  const { min, max } = DTYPE_RANGE[stage.dtype];
  const lo = Math.max(min, stage.clampMin ?? min), hi = Math.min(max, stage.clampMax ?? max);
  const q = stage.dtype === "int8" ? new Int8Array(acc.length) : new Uint8Array(acc.length);
  const sy = f32(outScale);
  const shift = new Float32Array(channels), mult = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    shift[c] = bias[c] / scaleXW[c];
    mult[c] = scaleXW[c] / sy;
  }
  for (let i = 0; i < acc.length; i++) {
    const c = Math.floor(i / inner) % channels;
    const v = f32(f32(f32(acc[i]) + shift[c]) * mult[c]);
    const y = roundHalfEven(v) + stage.zeroPoint;
    q[i] = y < lo ? lo : y > hi ? hi : y;
  }
  return q;
}
