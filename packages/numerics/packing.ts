/**
 * Sub-byte packing: int4/int2/int1 fields in bytes, and sign bits in 32-bit words for
 * XNOR-popcount kernels.
 *
 * Bit order (both functions): element i occupies bits [(i·b) mod 8, (i·b) mod 8 + b) of byte
 * ⌊i·b/8⌋, counting from the least significant bit — element 0 is the low nibble, as in ONNX
 * INT4/UINT4, PyTorch `quint4x2` and GGML. Trailing bits of the last byte are zero. Signed
 * fields are two's complement (int4: −8..7, int2: −2..1, int1: −1..0).
 *
 * Sign words: bit j of word w is element 32w + j (LSB first), set when the element is negative
 * (the IEEE sign bit, Larq Compute Engine's convention), so +1 ↦ 0 and −1 ↦ 1 and the ±1 dot
 * product of K elements is K − 2·popcount(a XOR b).
 *
 * @module
 */

/** Field widths that divide a byte. */
export type PackBits = 1 | 2 | 4 | 8;

/** Options of {@linkcode packBits} / {@linkcode unpackBits}. */
export interface PackOptions {
  /** Two's-complement fields (default `false`: unsigned). */
  signed?: boolean;
}

function checkWidth(bits: unknown): PackBits {
  if (bits !== 1 && bits !== 2 && bits !== 4 && bits !== 8) {
    throw new RangeError(`bits must be 1, 2, 4 or 8; got ${String(bits)}`);
  }
  return bits;
}

/**
 * Packs small integers into bytes, LSB first.
 *
 * @param values Integers in the field range: [0, 2^b − 1], or [−2^(b−1), 2^(b−1) − 1] signed.
 * @param bits Field width b: 1, 2, 4 or 8.
 * @param options Signedness.
 * @returns ⌈n·b/8⌉ bytes.
 * @throws {RangeError} If `bits` is invalid or a value is outside the field range.
 *
 * @example int4: element 0 in the low nibble
 * ```ts
 * import { packBits } from "@lowbit/numerics/packing";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...packBits([1, 2, -1], 4, { signed: true })], [0x21, 0x0f]);
 * deepEqual([...packBits([1, 0, 1, 1], 1)], [0b1101]);
 * ```
 */
export function packBits(
  values: ArrayLike<number>,
  bits: PackBits,
  options?: PackOptions,
): Uint8Array {
  const b = checkWidth(bits);
  const signed = options?.signed ?? false;
  const lo = signed ? -(2 ** (b - 1)) : 0, hi = signed ? 2 ** (b - 1) - 1 : 2 ** b - 1;
  const mask = (1 << b) - 1;
  const out = new Uint8Array(Math.ceil((values.length * b) / 8));
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < lo || v > hi) {
      throw new RangeError(
        `values[${i}] must be an integer in [${lo}, ${hi}] for ${signed ? "signed" : "unsigned"} ` +
          `${b}-bit fields; got ${v}`,
      );
    }
    const bit = i * b;
    out[bit >>> 3] |= (v & mask) << (bit & 7);
  }
  return out;
}

/**
 * Unpacks fields written by {@linkcode packBits}.
 *
 * @param packed The bytes.
 * @param bits Field width: 1, 2, 4 or 8.
 * @param length How many fields to read.
 * @param options Signedness: signed fields are sign-extended into an Int8Array.
 * @returns The values: Int8Array when signed, else Uint8Array.
 * @throws {RangeError} If `bits` is invalid, `length` negative or `packed` too short.
 *
 * @example
 * ```ts
 * import { unpackBits } from "@lowbit/numerics/packing";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...unpackBits(new Uint8Array([0x21, 0x0f]), 4, 3, { signed: true })], [1, 2, -1]);
 * deepEqual([...unpackBits(new Uint8Array([0b1101]), 1, 4)], [1, 0, 1, 1]);
 * ```
 */
export function unpackBits(
  packed: Uint8Array,
  bits: PackBits,
  length: number,
  options?: PackOptions,
): Int8Array | Uint8Array {
  const b = checkWidth(bits);
  if (!Number.isInteger(length) || length < 0) {
    throw new RangeError(`length must be a non-negative integer; got ${length}`);
  }
  const need = Math.ceil((length * b) / 8);
  if (!(packed instanceof Uint8Array) || packed.length < need) {
    throw new RangeError(
      `packed must be a Uint8Array of at least ${need} bytes for ${length} fields`,
    );
  }
  const signed = options?.signed ?? false;
  const out = signed ? new Int8Array(length) : new Uint8Array(length);
  const mask = (1 << b) - 1, shift = 32 - b;
  for (let i = 0; i < length; i++) {
    const bit = i * b;
    const v = (packed[bit >>> 3] >>> (bit & 7)) & mask;
    out[i] = signed ? (v << shift) >> shift : v;
  }
  return out;
}

/**
 * Packs the signs of values into 32-bit words: bit = 1 for negative (−1), 0 otherwise (+1;
 * zero counts as +1, the `sign(0) = +1` convention of binary networks).
 *
 * @param values The values (typically ±1, or real weights to binarize by sign).
 * @returns ⌈n/32⌉ words; unused high bits of the last word are zero.
 * @throws {RangeError} If a value is NaN.
 *
 * @example The ±1 dot product from XOR and popcount
 * ```ts
 * import { packSigns } from "@lowbit/numerics/packing";
 * import { equal } from "node:assert/strict";
 * const a = [1, -1, -1, 1, 1], b = [1, 1, -1, -1, 1];
 * const x = packSigns(a)[0] ^ packSigns(b)[0];
 * let pop = 0;
 * for (let v = x; v; v &= v - 1) pop++;
 * equal(a.length - 2 * pop, a.reduce((s, ai, i) => s + ai * b[i], 0)); // 1 = 1+(-1)+1+(-1)+1
 * ```
 */
export function packSigns(values: ArrayLike<number>): Uint32Array {
  const out = new Uint32Array(Math.ceil(values.length / 32));
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== v) throw new RangeError(`values[${i}] is NaN; a sign needs a number`);
    if (v < 0 || Object.is(v, -0)) out[i >>> 5] |= 1 << (i & 31);
  }
  return out;
}

/**
 * Unpacks sign words into ±1.
 *
 * @param words Words from {@linkcode packSigns}.
 * @param length How many elements.
 * @returns An Int8Array of +1 / −1.
 * @throws {RangeError} If `length` is negative or `words` too short.
 *
 * @example
 * ```ts
 * import { packSigns, unpackSigns } from "@lowbit/numerics/packing";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...unpackSigns(packSigns([0.5, -2, 0, -0.1]), 4)], [1, -1, 1, -1]);
 * ```
 */
export function unpackSigns(words: Uint32Array, length: number): Int8Array {
  if (!Number.isInteger(length) || length < 0) {
    throw new RangeError(`length must be a non-negative integer; got ${length}`);
  }
  if (words.length < Math.ceil(length / 32)) {
    throw new RangeError(
      `words must hold at least ${Math.ceil(length / 32)} words for ${length} signs`,
    );
  }
  const out = new Int8Array(length);
  for (let i = 0; i < length; i++) out[i] = (words[i >>> 5] >>> (i & 31)) & 1 ? -1 : 1;
  return out;
}
