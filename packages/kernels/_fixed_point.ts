// Private: unchecked requantization arithmetic shared by the public primitives
// (requantize.ts), the output stages and the reference kernels. Exact in binary64.

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const TWO31 = 2147483648;

/** Unchecked SRDHM on int32 values (exact with doubles; see the exported wrapper). */
export function srdhm(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  // a·b = x·2^16 + y with x = a·bh, y = a·bl, both exact in binary64.
  const bh = b >> 16; // signed upper half
  const bl = b & 0xffff; // unsigned lower half
  const x = a * bh;
  const y = a * bl;
  const nonNegative = (a >= 0) === (b >= 0) || a === 0 || b === 0;
  const nudge = nonNegative ? 1073741824 : 1 - 1073741824;
  // x = xq·2^15 + xr, so a·b + nudge = xq·2^31 + r with r small enough to be exact.
  const xq = Math.floor(x / 32768);
  const xr = x - xq * 32768;
  const r = xr * 65536 + y + nudge;
  // a·b + nudge has the sign of a·b, so truncation is a floor for a non-negative product and a
  // ceiling otherwise; xq is an integer, so it can be taken out of the floor / ceiling.
  return (xq + (nonNegative ? Math.floor(r / TWO31) : Math.ceil(r / TWO31))) | 0;
}

/** Unchecked RoundingDivideByPOT on an int32 value. */
export function rdbpot(x: number, exponent: number): number {
  if (exponent === 0) return x;
  const mask = exponent === 31 ? 0x7fffffff : (1 << exponent) - 1;
  const remainder = x & mask;
  const threshold = (mask >>> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/** Unchecked MultiplyByQuantizedMultiplier. */
export function mbqm(acc: number, multiplier: number, shift: number): number {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  return rdbpot(srdhm(left > 0 ? (acc << left) | 0 : acc, multiplier), right);
}

/** Unchecked float requantization; `m` must already be a float32 value. */
export function rqf(acc: number, m: number, zeroPoint: number, qmin: number, qmax: number): number {
  let v = Math.fround(Math.fround(acc) * m);
  // Clamping to the integer bounds before rounding gives the same code and keeps v small.
  const lo = qmin - zeroPoint, hi = qmax - zeroPoint;
  v = v < lo ? lo : v > hi ? hi : v;
  let r = Math.floor(v + 0.5);
  if (r - v === 0.5 && (r & 1) !== 0) r -= 1; // tie: to even
  return r + zeroPoint;
}
