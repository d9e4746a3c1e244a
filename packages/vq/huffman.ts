/**
 * Huffman coding (lecture 5.3.1; Han et al. 2016, Deep Compression §4): the optimal prefix code
 * for given symbol frequencies, in canonical form, with bit-exact encoding and decoding of a
 * symbol stream.
 *
 * Construction (two-queue Huffman): leaves are sorted by (frequency, symbol); at each step the
 * two lightest nodes are merged, a leaf winning a tie against a merged node and older merged
 * nodes winning ties among themselves. This makes the code lengths deterministic (and of
 * minimum variance among optimal codes). Only the lengths matter: the codes themselves are the
 * canonical ones (DEFLATE, RFC 1951 §3.2.2) — symbols sorted by (length, symbol), each code the
 * previous one plus one, shifted left when the length grows — so a decoder needs only the
 * lengths.
 *
 * Bitstream layout: codes are written MSB first, bit t of the stream being bit 7 − (t mod 8)
 * of byte ⌊t/8⌋; the stream carries its exact bit length, the unused low bits of the last byte
 * are zero.
 *
 * Facts the tests check: the average length L = Σ pᵢ·lᵢ satisfies H ≤ L < H + 1 with
 * H = −Σ pᵢ log₂ pᵢ (Shannon); for two or more symbols the lengths satisfy Kraft's equality
 * Σ 2^−lᵢ = 1 (a Huffman tree is full); no other prefix code has a smaller Σ fᵢ·lᵢ.
 *
 * @example The textbook example (CLRS §16.3): 100 characters, 224 bits
 * ```ts
 * import { averageCodeLength, huffman } from "@lowbit/vq/huffman";
 * import { deepEqual, equal } from "node:assert/strict";
 * const f = [45, 13, 12, 16, 9, 5]; // a..f
 * const code = huffman(f);
 * deepEqual([...code.lengths], [1, 3, 3, 3, 4, 4]);
 * equal(averageCodeLength(code, f), 2.24);
 * ```
 *
 * @module
 */

import { BitReader, BitWriter } from "./_bitstream.ts";

/** The longest code this module writes (codes are held exactly in doubles). */
export const MAX_CODE_LENGTH = 53;

/** A canonical prefix code over symbols 0..n−1. */
export interface HuffmanCode {
  /** Code length in bits of each symbol; 0 for a symbol that cannot be coded (frequency 0). */
  lengths: Uint8Array;
  /** Canonical code of each symbol as an integer, written MSB first over `lengths[s]` bits. */
  codes: Float64Array;
}

/** A bitstream: its bytes and how many bits of them are used. */
export interface EncodedBits {
  /** ⌈bitLength/8⌉ bytes, MSB first, unused trailing bits zero. */
  bytes: Uint8Array;
  /** Exact number of bits. */
  bitLength: number;
}

function checkFrequencies(frequencies: ArrayLike<number>): void {
  if (
    frequencies === null || typeof frequencies !== "object" ||
    typeof frequencies.length !== "number"
  ) {
    throw new TypeError("frequencies must be an array-like of numbers");
  }
  let positive = false;
  for (let i = 0; i < frequencies.length; i++) {
    const f = frequencies[i];
    if (typeof f !== "number" || !Number.isFinite(f) || f < 0) {
      throw new RangeError(`frequencies[${i}] is ${String(f)}; frequencies must be finite and ≥ 0`);
    }
    if (f > 0) positive = true;
  }
  if (!positive) {
    throw new RangeError("frequencies must contain at least one positive entry");
  }
}

/**
 * Builds the optimal (Huffman) prefix code for the given symbol frequencies.
 *
 * @param frequencies Non-negative weight of each symbol 0..n−1 (counts or probabilities); at
 *   least one positive. Symbols of frequency 0 get no code (length 0). A single symbol with
 *   positive frequency gets the one-bit code `0`.
 * @returns Canonical code lengths and codes.
 * @throws {RangeError} On a negative or non-finite frequency, no positive frequency, or an
 *   optimal code longer than {@link MAX_CODE_LENGTH} bits (needs total weight ≳ 10¹¹·min).
 * @throws {TypeError} When frequencies is not array-like.
 *
 * @example Frequent symbols get short codes
 * ```ts
 * import { huffman } from "@lowbit/vq/huffman";
 * import { deepEqual } from "node:assert/strict";
 * const code = huffman([5, 1, 1, 2]);
 * deepEqual([...code.lengths], [1, 3, 3, 2]);
 * deepEqual([...code.codes], [0b0, 0b110, 0b111, 0b10]);
 * ```
 */
export function huffman(frequencies: ArrayLike<number>): HuffmanCode {
  checkFrequencies(frequencies);
  const n = frequencies.length;
  const leaves: number[] = [];
  for (let s = 0; s < n; s++) if (frequencies[s] > 0) leaves.push(s);
  const lengths = new Uint8Array(n);
  if (leaves.length === 1) {
    lengths[leaves[0]] = 1;
    return canonicalCode(lengths);
  }
  leaves.sort((a, b) => frequencies[a] - frequencies[b] || a - b);
  const m = leaves.length;
  // Nodes 0..m−1 are the sorted leaves, m..2m−2 the merged nodes in creation order (their
  // weights are non-decreasing, so a FIFO queue keeps them sorted).
  const weight = new Float64Array(2 * m - 1);
  const parent = new Int32Array(2 * m - 1).fill(-1);
  for (let i = 0; i < m; i++) weight[i] = frequencies[leaves[i]];
  let leaf = 0, merged = m, next = m;
  const take = (): number => {
    if (leaf < m && (merged >= next || weight[leaf] <= weight[merged])) return leaf++;
    return merged++;
  };
  while (next < 2 * m - 1) {
    const a = take(), b = take();
    weight[next] = weight[a] + weight[b];
    parent[a] = next;
    parent[b] = next;
    next++;
  }
  // Depths: the root is the last node; parents are created after their children.
  const depth = new Int32Array(2 * m - 1);
  for (let v = 2 * m - 3; v >= 0; v--) depth[v] = depth[parent[v]] + 1;
  for (let i = 0; i < m; i++) {
    if (depth[i] > MAX_CODE_LENGTH) {
      throw new RangeError(
        `frequencies need a code longer than ${MAX_CODE_LENGTH} bits (${depth[i]}); ` +
          "merge rare symbols or use fewer symbols",
      );
    }
    lengths[leaves[i]] = depth[i];
  }
  return canonicalCode(lengths);
}

/**
 * The canonical prefix code with the given code lengths (DEFLATE's rule: symbols in order of
 * (length, symbol) receive consecutive codes).
 *
 * @param lengths Length of each symbol's code, 0 = no code, at most {@link MAX_CODE_LENGTH};
 *   must satisfy Kraft's inequality Σ 2^−l ≤ 1 (otherwise no prefix code exists).
 * @returns The code.
 * @throws {RangeError} On a length outside 0..53 or lengths violating Kraft's inequality.
 *
 * @example The lecture's prefix code (lengths 2, 2, 3) in canonical form
 * ```ts
 * import { canonicalCode } from "@lowbit/vq/huffman";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...canonicalCode([2, 2, 3]).codes], [0b00, 0b01, 0b100]);
 * ```
 */
export function canonicalCode(lengths: ArrayLike<number>): HuffmanCode {
  const n = lengths.length;
  const out = new Uint8Array(n);
  for (let s = 0; s < n; s++) {
    const l = lengths[s];
    if (!Number.isInteger(l) || l < 0 || l > MAX_CODE_LENGTH) {
      throw new RangeError(`lengths[${s}] must be an integer in [0, ${MAX_CODE_LENGTH}], got ${l}`);
    }
    out[s] = l;
  }
  if (kraftSum(out) > 1) {
    throw new RangeError(
      `lengths violate Kraft's inequality (Σ 2^-l = ${kraftSum(out)} > 1); no prefix code exists`,
    );
  }
  const order = sortedSymbols(out);
  const codes = new Float64Array(n);
  let code = 0, prev = 0;
  for (const s of order) {
    code *= 2 ** (out[s] - prev);
    prev = out[s];
    codes[s] = code;
    code++;
  }
  return { lengths: out, codes };
}

/** Symbols with a code, ordered by (length, symbol). */
function sortedSymbols(lengths: Uint8Array): number[] {
  const order: number[] = [];
  for (let s = 0; s < lengths.length; s++) if (lengths[s] > 0) order.push(s);
  return order.sort((a, b) => lengths[a] - lengths[b] || a - b);
}

/**
 * Kraft sum Σ 2^−lᵢ over the symbols that have a code (lᵢ > 0); ≤ 1 for every prefix code and
 * exactly 1 for a Huffman code of two or more symbols.
 *
 * @param lengths Code lengths (0 = no code).
 * @returns The sum (exact in binary64 for lengths ≤ 53 and fewer than 2^53 symbols).
 *
 * @example
 * ```ts
 * import { kraftSum } from "@lowbit/vq/huffman";
 * import { equal } from "node:assert/strict";
 * equal(kraftSum([1, 2, 2]), 1);
 * equal(kraftSum([2, 2, 3]), 0.625);
 * ```
 */
export function kraftSum(lengths: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < lengths.length; i++) if (lengths[i] > 0) s += 2 ** -lengths[i];
  return s;
}

/**
 * Shannon entropy H = −Σ pᵢ log₂ pᵢ of the distribution proportional to `frequencies`, in bits
 * per symbol (the lower bound on the average length of any uniquely decodable code).
 *
 * @param frequencies Non-negative weights, at least one positive.
 * @returns H in bits.
 * @throws {RangeError} On a negative/non-finite weight or none positive.
 *
 * @example
 * ```ts
 * import { entropy } from "@lowbit/vq/huffman";
 * import { equal } from "node:assert/strict";
 * equal(entropy([1, 1, 1, 1]), 2);
 * equal(entropy([2, 1, 1]), 1.5);
 * ```
 */
export function entropy(frequencies: ArrayLike<number>): number {
  checkFrequencies(frequencies);
  let total = 0;
  for (let i = 0; i < frequencies.length; i++) total += frequencies[i];
  let h = 0;
  for (let i = 0; i < frequencies.length; i++) {
    const p = frequencies[i] / total;
    if (p > 0) h -= p * Math.log2(p);
  }
  return h;
}

/**
 * Average code length Σ pᵢ·lᵢ in bits per symbol under the distribution ∝ `frequencies`.
 *
 * @param code The code.
 * @param frequencies Weight of each symbol (same length as the code).
 * @returns Bits per symbol.
 * @throws {RangeError} On a length mismatch, invalid weights, or a symbol of positive weight
 *   that has no code.
 *
 * @example
 * ```ts
 * import { averageCodeLength, huffman } from "@lowbit/vq/huffman";
 * import { equal } from "node:assert/strict";
 * equal(averageCodeLength(huffman([2, 1, 1]), [2, 1, 1]), 1.5);
 * ```
 */
export function averageCodeLength(code: HuffmanCode, frequencies: ArrayLike<number>): number {
  checkFrequencies(frequencies);
  if (frequencies.length !== code.lengths.length) {
    throw new RangeError(
      `frequencies must have one entry per symbol (${code.lengths.length}), got ${frequencies.length}`,
    );
  }
  let total = 0, bits = 0;
  for (let s = 0; s < frequencies.length; s++) {
    const f = frequencies[s];
    if (f > 0 && code.lengths[s] === 0) {
      throw new RangeError(`symbol ${s} has frequency ${f} but no code`);
    }
    total += f;
    bits += f * code.lengths[s];
  }
  return bits / total;
}

/**
 * Counts how often each symbol 0..alphabetSize−1 occurs.
 *
 * @param symbols The stream.
 * @param alphabetSize Number of symbols.
 * @returns Counts (Float64Array, usable as `frequencies`).
 * @throws {RangeError} On a symbol outside [0, alphabetSize) or a bad alphabetSize.
 *
 * @example
 * ```ts
 * import { countSymbols } from "@lowbit/vq/huffman";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...countSymbols([0, 2, 2, 1, 2], 4)], [1, 1, 3, 0]);
 * ```
 */
export function countSymbols(symbols: ArrayLike<number>, alphabetSize: number): Float64Array {
  if (!Number.isInteger(alphabetSize) || alphabetSize < 1) {
    throw new RangeError(`alphabetSize must be a positive integer, got ${alphabetSize}`);
  }
  const counts = new Float64Array(alphabetSize);
  for (let i = 0; i < symbols.length; i++) {
    const s = symbols[i];
    if (!Number.isInteger(s) || s < 0 || s >= alphabetSize) {
      throw new RangeError(
        `symbols[${i}] must be an integer in [0, ${alphabetSize - 1}], got ${s}`,
      );
    }
    counts[s]++;
  }
  return counts;
}

/**
 * Encodes a symbol stream with a prefix code, bit-exactly (MSB first, codes back to back).
 *
 * @param code The code (from {@link huffman} or {@link canonicalCode}).
 * @param symbols The stream; every symbol must have a code.
 * @returns The bytes and the exact bit length Σ l(symbolᵢ).
 * @throws {RangeError} On a symbol outside the alphabet or without a code.
 *
 * @example "01 10 111": the lecture's three codes, 7 bits in one byte
 * ```ts
 * import { canonicalCode, huffmanEncode } from "@lowbit/vq/huffman";
 * import { deepEqual, equal } from "node:assert/strict";
 * const code = { lengths: new Uint8Array([2, 2, 3]), codes: new Float64Array([0b01, 0b10, 0b111]) };
 * const { bytes, bitLength } = huffmanEncode(code, [0, 1, 2]);
 * equal(bitLength, 7);
 * deepEqual([...bytes], [0b0110_1110]);
 * ```
 */
export function huffmanEncode(code: HuffmanCode, symbols: ArrayLike<number>): EncodedBits {
  const { lengths, codes } = code;
  const w = new BitWriter();
  for (let i = 0; i < symbols.length; i++) {
    const s = symbols[i];
    if (!Number.isInteger(s) || s < 0 || s >= lengths.length || lengths[s] === 0) {
      throw new RangeError(
        `symbols[${i}] is ${s}; it must be a symbol in [0, ${lengths.length - 1}] that has a code`,
      );
    }
    w.write(codes[s], lengths[s]);
  }
  return { bytes: w.finish(), bitLength: w.bitLength };
}

/**
 * Decodes a stream written by {@link huffmanEncode} with the same canonical code. Only the code
 * lengths are used (the codes are canonical).
 *
 * @param code The code (its `lengths` define it).
 * @param bytes The stream.
 * @param bitLength Exact number of bits to decode; decoding stops when they are used up.
 * @returns The symbols (Int32Array).
 * @throws {RangeError} When the bits do not parse into whole codewords, or bitLength exceeds
 *   the bytes.
 *
 * @example
 * ```ts
 * import { huffman, huffmanDecode, huffmanEncode } from "@lowbit/vq/huffman";
 * import { deepEqual } from "node:assert/strict";
 * const code = huffman([5, 1, 1, 2]);
 * const s = [0, 3, 0, 1, 2, 0];
 * const { bytes, bitLength } = huffmanEncode(code, s);
 * deepEqual([...huffmanDecode(code, bytes, bitLength)], s);
 * ```
 */
export function huffmanDecode(code: HuffmanCode, bytes: Uint8Array, bitLength: number): Int32Array {
  if (!(bytes instanceof Uint8Array)) throw new TypeError("bytes must be a Uint8Array");
  if (!Number.isInteger(bitLength) || bitLength < 0 || bitLength > 8 * bytes.length) {
    throw new RangeError(
      `bitLength must be an integer in [0, ${
        8 * bytes.length
      }] for ${bytes.length} bytes, got ${bitLength}`,
    );
  }
  const decoder = new HuffmanDecoder(code);
  const r = new BitReader(bytes, bitLength);
  const out: number[] = [];
  while (r.remaining > 0) out.push(decoder.next(r));
  return Int32Array.from(out);
}

/** Canonical decoder (the counting method of zlib's `puff`), reusable across streams. */
class HuffmanDecoder {
  #count: Float64Array; // number of codes of each length
  #sorted: Int32Array; // symbols in canonical order
  #maxLength: number;

  constructor(code: HuffmanCode) {
    const order = sortedSymbols(code.lengths);
    if (order.length === 0) throw new RangeError("code has no symbol with a positive length");
    this.#sorted = Int32Array.from(order);
    this.#maxLength = code.lengths[order[order.length - 1]];
    this.#count = new Float64Array(this.#maxLength + 1);
    for (const s of order) this.#count[code.lengths[s]]++;
  }

  /** Reads one codeword and returns its symbol. */
  next(r: BitReader): number {
    let code = 0, first = 0, index = 0;
    for (let len = 1; len <= this.#maxLength; len++) {
      code += r.bit();
      const c = this.#count[len];
      if (code - first < c) return this.#sorted[index + code - first];
      index += c;
      first = (first + c) * 2;
      code *= 2;
    }
    throw new RangeError(`bitstream holds an invalid codeword ending at bit ${r.position}`);
  }
}
