// Private bit-casting helpers shared by the numerics modules (not exported from the package).

const F64 = new Float64Array(1);
const U32_OF_F64 = new Uint32Array(F64.buffer);
const F32 = new Float32Array(1);
const U32_OF_F32 = new Uint32Array(F32.buffer);
/** Index of the high word of a float64 in a Uint32Array view (platform endianness). */
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

/** The IEEE binary32 bit pattern of `x` after rounding it to float32 (RNE), as a uint32. */
export function f32Bits(x: number): number {
  F32[0] = x;
  return U32_OF_F32[0];
}

/** The float32 value whose bit pattern is the uint32 `u`. */
export function f32FromBits(u: number): number {
  U32_OF_F32[0] = u;
  return F32[0];
}

/**
 * ⌊log2 |x|⌋ for a finite non-zero binary64 `x`, read from its exponent field (exact, unlike
 * Math.log2 near powers of two).
 */
export function exponentOf(x: number): number {
  F64[0] = x;
  const biased = (U32_OF_F64[HI] >>> 20) & 0x7ff;
  if (biased !== 0) return biased - 1023;
  F64[0] = x * 18446744073709551616; // 2^64: lift a binary64 subnormal into the normal range
  return ((U32_OF_F64[HI] >>> 20) & 0x7ff) - 1023 - 64;
}

/** 2^k as an exact binary64 for integer k in [−1074, 1023]. */
export function pow2(k: number): number {
  return 2 ** k;
}
