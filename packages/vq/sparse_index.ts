/**
 * Relative sparse indexing (Han et al. 2016, Deep Compression §2, Fig. 2): the positions of the
 * stored (non-pruned) weights of a flattened tensor are written as gaps — the number of zeros
 * skipped since the previous stored entry — in a fixed width of b bits, instead of absolute
 * positions.
 *
 * For entries at flat positions p₀ < p₁ < … (with p₋₁ = −1), entry i stores
 *
 *     zᵢ = pᵢ − pᵢ₋₁ − 1  ∈ [0, 2^b − 1]                                                (1)
 *
 * When a run of zeros is longer than 2^b − 1, a filler entry (a stored zero) is placed 2^b
 * positions after the previous entry with gap 2^b − 1, as often as needed: a run of z zeros
 * costs ⌊z / 2^b⌋ fillers. (The paper's Fig. 2 uses 3-bit gaps and a filler when "the
 * difference exceeds 8"; its differences pᵢ − pᵢ₋₁ are zᵢ + 1 ∈ [1, 8] here.) Zeros after the
 * last stored entry need no entry: the tensor's length is known.
 *
 * @example 3-bit gaps: positions 1, 4, 15 need one filler (at 12)
 * ```ts
 * import { decodeRelativeIndex, encodeRelativeIndex } from "@lowbit/vq/sparse-index";
 * import { deepEqual } from "node:assert/strict";
 * const r = encodeRelativeIndex([1, 4, 15], 3);
 * deepEqual([...r.gaps], [1, 2, 7, 2]);
 * deepEqual([...r.source], [0, 1, -1, 2]);
 * deepEqual([...decodeRelativeIndex(r.gaps)], [1, 4, 12, 15]);
 * ```
 *
 * @module
 */

import { checkInt } from "./_check.ts";

/** Entries of a relative index: gaps, and which input position each entry stands for. */
export interface RelativeIndex {
  /** Gap zᵢ of each entry, eq. (1), each in [0, 2^gapBits − 1]. */
  gaps: Int32Array;
  /** For each entry, the index into the input positions, or −1 for a filler entry. */
  source: Int32Array;
  /** Number of filler entries. */
  fillers: number;
}

/**
 * Positions of the non-zero entries of a mask (or of any array: entries ≠ 0).
 *
 * @param mask Keep-mask or values.
 * @returns Ascending flat positions.
 *
 * @example
 * ```ts
 * import { positionsOf } from "@lowbit/vq/sparse-index";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...positionsOf(new Uint8Array([0, 1, 1, 0, 1]))], [1, 2, 4]);
 * ```
 */
export function positionsOf(mask: ArrayLike<number>): Int32Array {
  let count = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) count++;
  const out = new Int32Array(count);
  for (let i = 0, j = 0; i < mask.length; i++) if (mask[i] !== 0) out[j++] = i;
  return out;
}

/**
 * Encodes ascending positions as b-bit gaps with filler entries, eq. (1).
 *
 * @param positions Strictly ascending non-negative integer positions.
 * @param gapBits Gap width b, 1..16 (the paper: 8 for conv, 5 for fully connected layers).
 * @returns Gaps, the source of each entry, and the filler count.
 * @throws {RangeError} On a bad width or positions that are not strictly ascending
 *   non-negative integers.
 *
 * @example One filler per full 2^b run of zeros
 * ```ts
 * import { encodeRelativeIndex } from "@lowbit/vq/sparse-index";
 * import { equal } from "node:assert/strict";
 * equal(encodeRelativeIndex([40], 2).fillers, 10); // ⌊40 / 4⌋
 * ```
 */
export function encodeRelativeIndex(positions: ArrayLike<number>, gapBits: number): RelativeIndex {
  checkInt("gapBits", gapBits, 1, 16);
  const span = 2 ** gapBits, maxGap = span - 1;
  const gaps: number[] = [], source: number[] = [];
  let prev = -1, fillers = 0;
  for (let i = 0; i < positions.length; i++) {
    const p = positions[i];
    if (!Number.isInteger(p) || p <= prev) {
      throw new RangeError(
        `positions[${i}] is ${p}; positions must be strictly ascending non-negative integers`,
      );
    }
    let z = p - prev - 1;
    while (z > maxGap) {
      gaps.push(maxGap);
      source.push(-1);
      fillers++;
      z -= span;
    }
    gaps.push(z);
    source.push(i);
    prev = p;
  }
  return { gaps: Int32Array.from(gaps), source: Int32Array.from(source), fillers };
}

/**
 * Absolute positions of all entries (fillers included) from their gaps: pᵢ = pᵢ₋₁ + 1 + zᵢ.
 *
 * @param gaps Non-negative integer gaps.
 * @returns Positions.
 * @throws {RangeError} On a negative or non-integer gap.
 *
 * @example
 * ```ts
 * import { decodeRelativeIndex } from "@lowbit/vq/sparse-index";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...decodeRelativeIndex([0, 0, 3])], [0, 1, 5]);
 * ```
 */
export function decodeRelativeIndex(gaps: ArrayLike<number>): Int32Array {
  const out = new Int32Array(gaps.length);
  let p = -1;
  for (let i = 0; i < gaps.length; i++) {
    const z = gaps[i];
    if (!Number.isInteger(z) || z < 0) {
      throw new RangeError(`gaps[${i}] is ${z}; gaps must be non-negative integers`);
    }
    p += 1 + z;
    out[i] = p;
  }
  return out;
}
