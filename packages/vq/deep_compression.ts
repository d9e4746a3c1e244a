/**
 * The Deep Compression pipeline for one weight tensor (Han et al. 2016; lecture 5.3–5.4):
 * magnitude pruning → k-means weight sharing of the surviving weights → relative sparse
 * indexing → Huffman coding of both the cluster-index stream and the gap stream, with exact
 * bit-level accounting and a lossless decoder.
 *
 * Stored form of a tensor of n weights whose survivors are written as E entries (survivors
 * plus filler zeros, see {@link encodeRelativeIndex}):
 *
 * - value stream: one symbol per entry, the cluster index 0..k−1 of a survivor, or the extra
 *   symbol k for a filler (the paper stores a literal zero; with a codebook that has no zero
 *   centroid the filler needs its own symbol — it only exists when fillers occur);
 * - gap stream: one b-bit gap per entry;
 * - codebook: k float32 values;
 * - Huffman tables: the canonical code lengths of both alphabets, 6 bits per symbol (lengths
 *   are ≤ 53);
 * - header: {@link HEADER_BITS} bits (the two stream bit lengths in 32 bits each, k − 1 in 16
 *   bits, b − 1 in 4 bits, a 1-bit flag for the filler symbol). The shape is part of the
 *   architecture and not counted.
 *
 * {@link packCompressed} writes exactly these fields into one bitstream (so the accounting is
 * the length of a real container) and {@link unpackCompressed} reads it back.
 *
 * Accounting (all in bits; dense = 32n):
 *
 *     huffman  = L_values + L_gaps + 32k + 6·(|values alphabet| + 2^b) + header           (1)
 *     fixed    = E·⌈log₂|values alphabet|⌉ + E·b + 32k + header  (no Huffman)           (2)
 *     pruned   = E·(32 + b) + header  (pruning + relative index only, float32 values)     (3)
 *
 * with L the exact lengths of the Huffman-coded streams; ratio = 32n / bits and bits per
 * weight = bits / n. The decoder rebuilds exactly the pruned-and-shared weights.
 *
 * @example Prune 60%, share 4 values, Huffman-code, decompress exactly
 * ```ts
 * import { deepCompress, deepDecompress } from "@lowbit/vq/deep-compression";
 * import { deepEqual, ok } from "node:assert/strict";
 * const w = new Float32Array(100).map((_, i) => Math.sin(i * 1.7) * (i % 7));
 * const r = deepCompress(w, [10, 10], { sparsity: 0.6, bits: 2, gapBits: 3 });
 * deepEqual(deepDecompress(r.compressed), r.shared);
 * ok(r.report.ratio > 4);
 * ```
 *
 * @module
 */

import { BitReader, BitWriter } from "./_bitstream.ts";
import { checkData, checkInt } from "./_check.ts";
import {
  averageCodeLength,
  canonicalCode,
  countSymbols,
  type EncodedBits,
  entropy,
  huffman,
  type HuffmanCode,
  huffmanDecode,
  huffmanEncode,
} from "./huffman.ts";
import { magnitudePrune } from "./pruning.ts";
import { decodeRelativeIndex, encodeRelativeIndex, positionsOf } from "./sparse_index.ts";
import { indexBits, reconstructShared, shareWeights } from "./weight_sharing.ts";

/** Header bits per tensor: two 32-bit stream lengths, k − 1 (16), b − 1 (4), filler flag (1). */
export const HEADER_BITS: number = 32 + 32 + 16 + 4 + 1;

/** Bits per stored Huffman code length. */
export const TABLE_BITS_PER_SYMBOL: number = 6;

/** Options of {@link deepCompress}. */
export interface DeepCompressionOptions {
  /** Fraction of weights (or rows) to prune, [0, 1) (default 0). */
  sparsity?: number;
  /** Cluster-index width: k = 2^bits shared values (1..16). */
  bits: number;
  /** Gap width b of the relative index, 1..16 (default 8; the paper uses 5 for FC layers). */
  gapBits?: number;
  /** Pruning structure (default `"unstructured"`). */
  structure?: "unstructured" | "rows";
  /** Clustering (default `"optimal"`: exact 1-D k-means; `"linear"`: Han et al.'s). */
  init?: "optimal" | "linear";
}

/** The stored form of a compressed tensor (everything the decoder needs). */
export interface CompressedWeights {
  /** Shape of the tensor. */
  shape: number[];
  /** Shared values (float32). */
  codebook: Float32Array;
  /** Gap width b. */
  gapBits: number;
  /** Canonical Huffman code of the value symbols (cluster indices, then the filler k). */
  valueCode: HuffmanCode;
  /** Huffman-coded value stream. */
  values: EncodedBits;
  /** Canonical Huffman code of the gaps 0..2^b − 1. */
  gapCode: HuffmanCode;
  /** Huffman-coded gap stream. */
  gaps: EncodedBits;
}

/** Exact storage of one tensor, eqs. (1)–(3), and statistics of the coded streams. */
export interface CompressionReport {
  /** Number of weights n. */
  weights: number;
  /** Surviving (non-pruned) weights. */
  kept: number;
  /** Stored entries E = kept + fillers. */
  entries: number;
  /** Filler entries. */
  fillers: number;
  /** Codebook size k. */
  clusters: number;
  /** 32n. */
  denseBits: number;
  /** 32k. */
  codebookBits: number;
  /** Huffman tables: 6 bits per symbol of both alphabets. */
  tableBits: number;
  /** {@link HEADER_BITS}. */
  headerBits: number;
  /** Exact length of the Huffman-coded value stream. */
  valueBits: number;
  /** Exact length of the Huffman-coded gap stream. */
  gapBits: number;
  /** Value stream at fixed width ⌈log₂|alphabet|⌉ per entry. */
  fixedValueBits: number;
  /** Gap stream at fixed width b per entry. */
  fixedGapBits: number;
  /** Eq. (1): with Huffman coding. */
  totalBits: number;
  /** Eq. (2): pruning + sharing at fixed widths. */
  fixedBits: number;
  /** Eq. (3): pruning + relative index with float32 values. */
  prunedBits: number;
  /** totalBits / n. */
  bitsPerWeight: number;
  /** denseBits / totalBits. */
  ratio: number;
  /** denseBits / fixedBits. */
  ratioFixed: number;
  /** denseBits / prunedBits. */
  ratioPruned: number;
  /** Entropy of the value symbols, bits per entry. */
  valueEntropy: number;
  /** Huffman average length of the value symbols, bits per entry. */
  valueAverageLength: number;
  /** Entropy of the gaps, bits per entry. */
  gapEntropy: number;
  /** Huffman average length of the gaps, bits per entry. */
  gapAverageLength: number;
}

/** Result of {@link deepCompress}. */
export interface DeepCompressionResult {
  /** The stored form. */
  compressed: CompressedWeights;
  /** Keep-mask of the pruning step. */
  mask: Uint8Array;
  /** Weights after pruning (float32, before sharing). */
  pruned: Float32Array;
  /** Weights after pruning and sharing — what {@link deepDecompress} returns. */
  shared: Float32Array;
  /** Exact bit accounting. */
  report: CompressionReport;
}

/**
 * Compresses one weight tensor: prune, share, index, Huffman-code.
 *
 * @param weights Row-major float32 weights (finite).
 * @param shape Their shape (product = weights.length).
 * @param options Sparsity, cluster bits, gap bits, pruning structure, clustering.
 * @returns Stored form, intermediate weights and the exact report.
 * @throws {RangeError} On empty/non-finite weights, a bad shape, option values outside their
 *   ranges, or a sparsity that leaves no weight.
 * @throws {TypeError} When weights is not a Float32Array/Float64Array.
 *
 * @example Accounting adds up
 * ```ts
 * import { deepCompress } from "@lowbit/vq/deep-compression";
 * import { equal } from "node:assert/strict";
 * const w = new Float32Array(64).map((_, i) => ((i * 37) % 64) / 32 - 1);
 * const { report: r } = deepCompress(w, [64], { sparsity: 0.5, bits: 3, gapBits: 2 });
 * equal(r.kept, 32);
 * equal(r.totalBits, r.valueBits + r.gapBits + r.codebookBits + r.tableBits + r.headerBits);
 * equal(r.codebookBits, 8 * 32);
 * ```
 */
export function deepCompress(
  weights: Float32Array | Float64Array,
  shape: readonly number[],
  options: DeepCompressionOptions,
): DeepCompressionResult {
  checkData("weights", weights);
  const n = weights.length;
  const shp = checkTensorShape(shape, n);
  if (options === null || typeof options !== "object") {
    throw new TypeError("options must be an object with at least { bits }");
  }
  const sparsity = options.sparsity ?? 0;
  if (typeof sparsity !== "number" || !(sparsity >= 0 && sparsity < 1)) {
    throw new RangeError(`options.sparsity must be a number in [0, 1), got ${String(sparsity)}`);
  }
  const bits = checkInt("options.bits", options.bits, 1, 16);
  const gapBits = checkInt("options.gapBits", options.gapBits ?? 8, 1, 16);
  const { pruned, mask, kept } = magnitudePrune(weights, sparsity, {
    structure: options.structure,
    shape: shp,
  });
  if (kept === 0) {
    throw new RangeError(`options.sparsity ${sparsity} leaves no weight of ${n}; lower it`);
  }
  const positions = positionsOf(mask);
  const survivors = new Float32Array(kept);
  for (let i = 0; i < kept; i++) survivors[i] = pruned[positions[i]];
  const sharing = shareWeights(survivors, Math.min(2 ** bits, kept), { init: options.init });
  const k = sharing.codebook.length;
  const index = encodeRelativeIndex(positions, gapBits);
  const entries = index.gaps.length;
  const alphabet = k + (index.fillers > 0 ? 1 : 0);
  const valueSymbols = new Int32Array(entries);
  for (let e = 0; e < entries; e++) {
    const s = index.source[e];
    valueSymbols[e] = s < 0 ? k : sharing.indices[s];
  }
  const valueCounts = countSymbols(valueSymbols, alphabet);
  const gapCounts = countSymbols(index.gaps, 2 ** gapBits);
  const valueCode = huffman(valueCounts);
  const gapCode = huffman(gapCounts);
  const values = huffmanEncode(valueCode, valueSymbols);
  const gaps = huffmanEncode(gapCode, index.gaps);

  const sharedSurvivors = reconstructShared(sharing);
  const shared = new Float32Array(n);
  for (let i = 0; i < kept; i++) shared[positions[i]] = sharedSurvivors[i];

  const denseBits = 32 * n;
  const codebookBits = 32 * k;
  const tableBits = TABLE_BITS_PER_SYMBOL * (alphabet + 2 ** gapBits);
  const fixedValueBits = entries * indexBits(alphabet);
  const fixedGapBits = entries * gapBits;
  const totalBits = values.bitLength + gaps.bitLength + codebookBits + tableBits + HEADER_BITS;
  const fixedBits = fixedValueBits + fixedGapBits + codebookBits + HEADER_BITS;
  const prunedBits = entries * (32 + gapBits) + HEADER_BITS;
  const report: CompressionReport = {
    weights: n,
    kept,
    entries,
    fillers: index.fillers,
    clusters: k,
    denseBits,
    codebookBits,
    tableBits,
    headerBits: HEADER_BITS,
    valueBits: values.bitLength,
    gapBits: gaps.bitLength,
    fixedValueBits,
    fixedGapBits,
    totalBits,
    fixedBits,
    prunedBits,
    bitsPerWeight: totalBits / n,
    ratio: denseBits / totalBits,
    ratioFixed: denseBits / fixedBits,
    ratioPruned: denseBits / prunedBits,
    valueEntropy: entropy(valueCounts),
    valueAverageLength: averageCodeLength(valueCode, valueCounts),
    gapEntropy: entropy(gapCounts),
    gapAverageLength: averageCodeLength(gapCode, gapCounts),
  };
  return {
    compressed: {
      shape: shp,
      codebook: sharing.codebook,
      gapBits,
      valueCode,
      values,
      gapCode,
      gaps,
    },
    mask,
    pruned,
    shared,
    report,
  };
}

function checkTensorShape(shape: unknown, n: number): number[] {
  if (!Array.isArray(shape) || shape.length === 0) {
    throw new RangeError("shape must be a non-empty array of positive integers");
  }
  let size = 1;
  for (let i = 0; i < shape.length; i++) {
    checkInt(`shape[${i}]`, shape[i], 1, 2 ** 31);
    size *= shape[i];
  }
  if (size !== n) {
    throw new RangeError(`shape [${shape.join(", ")}] has ${size} elements; weights have ${n}`);
  }
  return shape.slice();
}

/**
 * Decodes a compressed tensor: Huffman-decodes both streams, rebuilds positions from the gaps
 * and looks the cluster indices up in the codebook (fillers and unlisted positions are +0).
 *
 * @param c The stored form from {@link deepCompress}.
 * @returns The pruned-and-shared weights (float32, row-major).
 * @throws {RangeError} When the streams are inconsistent (different entry counts, a position
 *   past the end, an index outside the codebook).
 *
 * @example
 * ```ts
 * import { deepCompress, deepDecompress } from "@lowbit/vq/deep-compression";
 * import { deepEqual } from "node:assert/strict";
 * const w = new Float32Array([0, 3, 0, 0, -1, 0, 0, 0, 0, 2.5]);
 * const r = deepCompress(w, [10], { bits: 2, gapBits: 2 });
 * deepEqual([...deepDecompress(r.compressed)], [0, 3, 0, 0, -1, 0, 0, 0, 0, 2.5]);
 * ```
 */
export function deepDecompress(c: CompressedWeights): Float32Array {
  const n = checkTensorShape(c.shape, c.shape.reduce((a, b) => a * b, 1)).reduce(
    (a, b) => a * b,
    1,
  );
  const symbols = huffmanDecode(c.valueCode, c.values.bytes, c.values.bitLength);
  const gaps = huffmanDecode(c.gapCode, c.gaps.bytes, c.gaps.bitLength);
  if (symbols.length !== gaps.length) {
    throw new RangeError(
      `value stream has ${symbols.length} entries but gap stream has ${gaps.length}`,
    );
  }
  const positions = decodeRelativeIndex(gaps);
  const k = c.codebook.length;
  const out = new Float32Array(n);
  for (let e = 0; e < positions.length; e++) {
    const p = positions[e], s = symbols[e];
    if (p >= n) throw new RangeError(`entry ${e} lies at position ${p}, past the ${n} weights`);
    if (s > k) throw new RangeError(`entry ${e} has symbol ${s}; the codebook has ${k} entries`);
    if (s < k) out[p] = c.codebook[s];
  }
  return out;
}

/**
 * Serializes a compressed tensor into one bitstream (MSB first) in the order of the
 * accounting: header, codebook (float32 bit patterns), value code lengths (6 bits each), gap
 * code lengths (6 bits each), value stream, gap stream. Its bit length equals the report's
 * `totalBits`.
 *
 * @param c The stored form from {@link deepCompress}.
 * @returns The container's bytes and exact bit length.
 * @throws {RangeError} When a stream is longer than 2^32 − 1 bits or the code tables do not
 *   match the codebook and gap width.
 *
 * @example The container is exactly as long as the accounting says
 * ```ts
 * import { deepCompress, packCompressed } from "@lowbit/vq/deep-compression";
 * import { equal } from "node:assert/strict";
 * const w = new Float32Array(200).map((_, i) => Math.cos(i * 0.37) * (i % 5));
 * const r = deepCompress(w, [20, 10], { sparsity: 0.7, bits: 3, gapBits: 2 });
 * equal(packCompressed(r.compressed).bitLength, r.report.totalBits);
 * ```
 */
export function packCompressed(c: CompressedWeights): EncodedBits {
  const k = c.codebook.length;
  const alphabet = c.valueCode.lengths.length;
  const gapBits = checkInt("c.gapBits", c.gapBits, 1, 16);
  checkInt("c.codebook.length", k, 1, 65536);
  if (alphabet !== k && alphabet !== k + 1) {
    throw new RangeError(`c.valueCode must have ${k} or ${k + 1} symbols, got ${alphabet}`);
  }
  if (c.gapCode.lengths.length !== 2 ** gapBits) {
    throw new RangeError(
      `c.gapCode must have 2^gapBits = ${2 ** gapBits} symbols, got ${c.gapCode.lengths.length}`,
    );
  }
  for (const [name, s] of [["values", c.values], ["gaps", c.gaps]] as const) {
    checkInt(`c.${name}.bitLength`, s.bitLength, 0, 2 ** 32 - 1);
  }
  const w = new BitWriter();
  w.write(c.values.bitLength, 32);
  w.write(c.gaps.bitLength, 32);
  w.write(k - 1, 16);
  w.write(gapBits - 1, 4);
  w.write(alphabet > k ? 1 : 0, 1);
  for (let j = 0; j < k; j++) w.writeFloat32(c.codebook[j]);
  for (const l of c.valueCode.lengths) w.write(l, TABLE_BITS_PER_SYMBOL);
  for (const l of c.gapCode.lengths) w.write(l, TABLE_BITS_PER_SYMBOL);
  copyBits(w, c.values);
  copyBits(w, c.gaps);
  return { bytes: w.finish(), bitLength: w.bitLength };
}

function copyBits(w: BitWriter, s: EncodedBits): void {
  const r = new BitReader(s.bytes, s.bitLength);
  while (r.remaining >= 24) w.write(r.read(24), 24);
  const tail = r.remaining;
  w.write(r.read(tail), tail);
}

function readBits(r: BitReader, bitLength: number): EncodedBits {
  const w = new BitWriter();
  let left = bitLength;
  while (left >= 24) {
    w.write(r.read(24), 24);
    left -= 24;
  }
  w.write(r.read(left), left);
  return { bytes: w.finish(), bitLength };
}

/**
 * Reads a container written by {@link packCompressed}.
 *
 * @param bytes The container.
 * @param bitLength Its exact bit length.
 * @param shape The tensor's shape (not stored: part of the architecture).
 * @returns The stored form, ready for {@link deepDecompress}.
 * @throws {RangeError} When the container is truncated or its code tables are invalid.
 *
 * @example
 * ```ts
 * import { deepCompress, deepDecompress, packCompressed, unpackCompressed } from "@lowbit/vq/deep-compression";
 * import { deepEqual } from "node:assert/strict";
 * const w = new Float32Array(64).map((_, i) => Math.sin(i) * (i % 3));
 * const r = deepCompress(w, [8, 8], { sparsity: 0.5, bits: 2, gapBits: 3 });
 * const { bytes, bitLength } = packCompressed(r.compressed);
 * deepEqual(deepDecompress(unpackCompressed(bytes, bitLength, [8, 8])), r.shared);
 * ```
 */
export function unpackCompressed(
  bytes: Uint8Array,
  bitLength: number,
  shape: readonly number[],
): CompressedWeights {
  if (!(bytes instanceof Uint8Array)) throw new TypeError("bytes must be a Uint8Array");
  checkInt("bitLength", bitLength, 0, 8 * bytes.length);
  const r = new BitReader(bytes, bitLength);
  const valueBits = r.read(32), gapStreamBits = r.read(32);
  const k = r.read(16) + 1, gapBits = r.read(4) + 1, filler = r.read(1);
  const codebook = new Float32Array(k);
  for (let j = 0; j < k; j++) codebook[j] = r.readFloat32();
  const valueLengths = new Uint8Array(k + filler);
  for (let j = 0; j < valueLengths.length; j++) valueLengths[j] = r.read(TABLE_BITS_PER_SYMBOL);
  const gapLengths = new Uint8Array(2 ** gapBits);
  for (let j = 0; j < gapLengths.length; j++) gapLengths[j] = r.read(TABLE_BITS_PER_SYMBOL);
  const values = readBits(r, valueBits);
  const gaps = readBits(r, gapStreamBits);
  return {
    shape: checkTensorShape(shape, shape.reduce((a, b) => a * b, 1)),
    codebook,
    gapBits,
    valueCode: canonicalCode(valueLengths),
    values,
    gapCode: canonicalCode(gapLengths),
    gaps,
  };
}
