// Private IEEE binary16 helpers for the "f16" dtype (bit patterns stored in a Uint16Array).
// Written out rather than using the native Float16Array so the package runs on every runtime.

/**
 * The IEEE binary16 bit pattern nearest to `x`, rounding the binary64 value once, to nearest,
 * ties to even. Overflow (|x| ≥ 65520) gives ±Infinity; every NaN gives the quiet NaN 0x7e00.
 */
export function f16BitsFromNumber(x: number): number {
  if (x !== x) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= 65520) return sign | 0x7c00;
  if (a < 2 ** -14) return sign | roundHalfEvenNonNegative(a * 2 ** 24); // subnormal (or 0x0400)
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  let m = roundHalfEvenNonNegative(a * 2 ** (10 - e)); // in [1024, 2048]; the scaling is exact
  if (m === 2048) {
    m = 1024;
    e++;
  }
  return sign | ((e + 15) << 10) | (m - 1024);
}

/** The number whose IEEE binary16 bit pattern is the low 16 bits of `bits`. */
export function numberFromF16Bits(bits: number): number {
  const exp = (bits >>> 10) & 0x1f;
  const man = bits & 0x3ff;
  const sign = bits & 0x8000 ? -1 : 1;
  if (exp === 0) return sign * man * 2 ** -24;
  if (exp === 31) return man === 0 ? sign * Infinity : NaN;
  return sign * (1024 + man) * 2 ** (exp - 25);
}

let table: Float32Array | undefined;

/** A lazily built table of all 65536 binary16 values (each exact in float32), indexed by bits. */
export function f16Table(): Float32Array {
  if (table === undefined) {
    table = new Float32Array(65536);
    for (let b = 0; b < 65536; b++) table[b] = numberFromF16Bits(b);
  }
  return table;
}

function roundHalfEvenNonNegative(v: number): number {
  const r = Math.round(v); // ties up; exact for binary64
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
