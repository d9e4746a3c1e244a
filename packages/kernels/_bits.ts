// Private: bit-level helpers of the 1-bit and ternary GEMMs.

/** Population count of a 32-bit word by the SWAR bit tricks (Hacker's Delight 5-2). */
export function pop32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** 32-bit words per packed row of k elements. */
export function wordsPerRow(k: number): number {
  return Math.ceil(k / 32);
}

/** Mask of the valid bits of a row's last word (all ones when 32 divides k). */
export function lastWordMask(k: number): number {
  const r = k & 31;
  return r === 0 ? -1 : (1 << r) - 1;
}
