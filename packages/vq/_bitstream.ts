// Private: bit-level writers and readers shared by Huffman coding, weight sharing and Deep
// Compression.
//
// Two layouts, each documented where it is used:
// - variable-length streams (Huffman codes, serialized containers) are MSB first: bit t of the
//   stream is bit 7 − (t mod 8) of byte ⌊t/8⌋, and a field of width b is written from its most
//   significant bit down, so the code "01" followed by "10" reads 0110… from the top of byte 0
//   (the JPEG convention, and the order in which the codes are printed);
// - fixed-width index arrays are LSB first, the layout of @lowbit/numerics `packBits` (field i
//   occupies bits [i·b, i·b + b) counted from the least significant bit of byte 0), extended
//   to any width 1..16.

/** Appends fields MSB first to a growable byte buffer. */
export class BitWriter {
  #bytes = new Uint8Array(64);
  #bits = 0;

  /** Number of bits written so far. */
  get bitLength(): number {
    return this.#bits;
  }

  #grow(extraBits: number): void {
    const need = Math.ceil((this.#bits + extraBits) / 8);
    if (need <= this.#bytes.length) return;
    let size = this.#bytes.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#bytes);
    this.#bytes = next;
  }

  /** Writes the low `width` bits of the non-negative integer `value` (width 0..53), MSB first. */
  write(value: number, width: number): void {
    this.#grow(width);
    // Split wide fields so every shift below works on < 2^31.
    while (width > 24) {
      const lowWidth = width - 24;
      const high = Math.floor(value / 2 ** lowWidth);
      this.#write24(high % 2 ** 24, 24);
      value -= high * 2 ** lowWidth;
      width = lowWidth;
    }
    this.#write24(value, width);
  }

  #write24(value: number, width: number): void {
    let t = this.#bits;
    for (let i = width - 1; i >= 0; i--, t++) {
      if ((value >>> i) & 1) this.#bytes[t >>> 3] |= 0x80 >>> (t & 7);
    }
    this.#bits = t;
  }

  /** Writes a float32 as its 32-bit IEEE pattern. */
  writeFloat32(x: number): void {
    const f = new Float32Array([x]);
    this.write(new Uint32Array(f.buffer)[0], 32);
  }

  /** The bytes written (⌈bitLength/8⌉, trailing bits zero). */
  finish(): Uint8Array {
    return this.#bytes.slice(0, Math.ceil(this.#bits / 8));
  }
}

/** Reads fields MSB first from a byte array with a known bit length. */
export class BitReader {
  #bytes: Uint8Array;
  #end: number;
  #pos = 0;

  /**
   * @param bytes The stream.
   * @param bitLength How many bits of it are valid (at most 8·bytes.length).
   */
  constructor(bytes: Uint8Array, bitLength: number) {
    this.#bytes = bytes;
    this.#end = bitLength;
  }

  /** Bits consumed so far. */
  get position(): number {
    return this.#pos;
  }

  /** Bits left before the end. */
  get remaining(): number {
    return this.#end - this.#pos;
  }

  /** Reads one bit; throws a RangeError past the end. */
  bit(): number {
    if (this.#pos >= this.#end) {
      throw new RangeError(`bitstream ended after ${this.#end} bits while a field was expected`);
    }
    const t = this.#pos++;
    return (this.#bytes[t >>> 3] >>> (7 - (t & 7))) & 1;
  }

  /** Reads a `width`-bit unsigned field (width 0..53). */
  read(width: number): number {
    let v = 0;
    for (let i = 0; i < width; i++) v = v * 2 + this.bit();
    return v;
  }

  /** Reads a float32 written by {@link BitWriter.writeFloat32}. */
  readFloat32(): number {
    return new Float32Array(new Uint32Array([this.read(32)]).buffer)[0];
  }
}

/**
 * Packs integers in [0, 2^bits) at a fixed width, LSB first (the `packBits` layout of
 * @lowbit/numerics, for any width 1..16). Values are assumed in range (callers check).
 */
export function packFixed(values: ArrayLike<number>, bits: number): Uint8Array {
  const out = new Uint8Array(Math.ceil((values.length * bits) / 8));
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const bit = i * bits;
    let byte = Math.floor(bit / 8);
    let shift = bit % 8;
    let left = bits, rest = v;
    while (left > 0) {
      const take = Math.min(left, 8 - shift);
      out[byte] |= (rest & ((1 << take) - 1)) << shift;
      rest >>>= take;
      left -= take;
      shift = 0;
      byte++;
    }
  }
  return out;
}

/** Inverse of {@link packFixed}: reads `length` fields of width `bits`. */
export function unpackFixed(bytes: Uint8Array, bits: number, length: number): Int32Array {
  const out = new Int32Array(length);
  for (let i = 0; i < length; i++) {
    const bit = i * bits;
    let byte = Math.floor(bit / 8);
    let shift = bit % 8;
    let left = bits, v = 0, got = 0;
    while (left > 0) {
      const take = Math.min(left, 8 - shift);
      v |= ((bytes[byte] >>> shift) & ((1 << take) - 1)) << got;
      got += take;
      left -= take;
      shift = 0;
      byte++;
    }
    out[i] = v;
  }
  return out;
}
