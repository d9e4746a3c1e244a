// Private: the TypeScript bit-level kernel that rounds float32 bit patterns to a minifloat with
// round-to-nearest-even (docs/number-formats.md Eq. 7). Integer-only so V8 keeps it in int32.

/** Format constants the kernel needs; built once per format (monomorphic shape). */
export interface RneParams {
  /** 23 − m: how many float32 mantissa bits are dropped. */
  readonly shift: number;
  /** Float32 magnitude bits from which the result overflows (ties resolved). */
  readonly overflowFrom: number;
  /** Float32 bits of the format's smallest normal. */
  readonly normalFrom: number;
  /** (127 − bias)·2^23: moves the float32 exponent to the format's bias. */
  readonly rebias: number;
  /** Float32 bits of 2^(emin − m + 23): adding it rounds a subnormal result onto its grid. */
  readonly magicBits: number;
  /** emin − m + 150: shift that takes a float32 significand to units of the min subnormal. */
  readonly subShiftBase: number;
  /** The sign bit of the format's pattern. */
  readonly signBit: number;
  /** 1 if −0 exists (the sign of a zero result is kept), else 0. */
  readonly keepNegZero: number;
  /** Canonical (positive) NaN pattern, or −1 when the format has no NaN. */
  readonly nan: number;
  /** Magnitude pattern for finite overflow (∞, NaN or max). */
  readonly overflow: number;
  /** Magnitude pattern for ±∞ input. */
  readonly infinity: number;
  /** Shift of the pattern inside its storage word (13 for TF32). */
  readonly storageShift: number;
}

/**
 * Rounds src[start..end) (float32 bit patterns viewed as int32) into out[0..end−start).
 *
 * @returns −1, or the index of the first NaN when the format cannot encode NaN.
 */
export function rneF32(
  src: Int32Array,
  start: number,
  end: number,
  out: Int32Array,
  p: RneParams,
): number {
  const shift = p.shift | 0, roundBias = ((1 << (shift - 1)) - 1) | 0;
  const overflowFrom = p.overflowFrom | 0, normalFrom = p.normalFrom | 0;
  const rebias = p.rebias | 0, subShiftBase = p.subShiftBase | 0;
  const signBit = p.signBit | 0, keepNegZero = p.keepNegZero | 0;
  const nan = p.nan | 0, overflow = p.overflow | 0, infinity = p.infinity | 0;
  const storageShift = p.storageShift | 0;
  for (let i = start, j = 0; i < end; i++, j++) {
    const u = src[i];
    const a = u & 0x7fffffff;
    let mag = 0;
    if (a < normalFrom) {
      // Subnormal result: RNE of the float32 significand shifted to min-subnormal units.
      const e = a >>> 23;
      const sig = e === 0 ? a : (a & 0x7fffff) | 0x800000;
      const k = subShiftBase - (e === 0 ? 1 : e); // ≥ 1 here
      if (k <= 25) {
        const q = sig >>> k, rem = sig - (q << k), half = 1 << (k - 1);
        mag = q + (rem > half || (rem === half && (q & 1) === 1) ? 1 : 0);
      }
    } else if (a < overflowFrom) {
      mag = (a - rebias + roundBias + ((a >>> shift) & 1)) >>> shift;
    } else if (a > 0x7f800000) {
      if (nan < 0) return i;
      // The canonical NaN with the input's sign (as native Float16Array); fnuz's NaN is the
      // sign bit itself, so the OR leaves it unchanged.
      out[j] = (nan | ((u >> 31) & signBit)) << storageShift;
      continue;
    } else {
      mag = a === 0x7f800000 ? infinity : overflow;
    }
    // Sign: kept unless the result is a zero in a format without −0, or already set (fnuz NaN).
    out[j] = (mag | ((u >> 31) & (-(mag | keepNegZero) >> 31) & signBit)) << storageShift;
  }
  return -1;
}
