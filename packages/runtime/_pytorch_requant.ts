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
import { roundHalfEven } from "@lowbit/rounding/modes";

const f32 = Math.fround;

/**
 * Requantizes int32 accumulators laid out `[..., channels, inner]` (inner = 1 for a fully
 * connected layer's `[N, O]`, H·W for NCHW convolutions).
 */
export function requantizeFloatBias(
  acc: Int32Array,
  channels: number,
  inner: number,
  scaleXW: Float32Array,
  bias: Float32Array,
  outScale: number,
  zeroPoint: number,
  lo: number,
  hi: number,
  dtype: "int8" | "uint8",
): Int8Array | Uint8Array {
  const q = dtype === "int8" ? new Int8Array(acc.length) : new Uint8Array(acc.length);
  const sy = f32(outScale);
  const shift = new Float32Array(channels), mult = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    shift[c] = bias[c] / scaleXW[c];
    mult[c] = scaleXW[c] / sy;
  }
  for (let i = 0; i < acc.length; i++) {
    const c = Math.floor(i / inner) % channels;
    const v = f32(f32(f32(acc[i]) + shift[c]) * mult[c]);
    const y = roundHalfEven(v) + zeroPoint;
    q[i] = y < lo ? lo : y > hi ? hi : y;
  }
  return q;
}
