/**
 * Lookup-table (codebook) quantization over an arbitrary sorted set of levels (survey §III-F,
 * Eq. 6): a value is stored as the index of its nearest level and restored by table lookup.
 *
 *     code(x) = argmin_i |x − L_i|, ties to the lower index           (C.1)
 *     x̂      = fl(L_code)                                             (C.2)
 *
 * with the levels L_0 < L_1 < … < L_{K−1} strictly increasing and fl(·) rounding to float32.
 * The nearest level is found by binary search (O(log K) per value): the first level ≥ x and the
 * one before it are the only candidates. Distances are compared in float64.
 *
 * Tie rule (C.1): a value exactly halfway between two levels takes the lower index, i.e. the
 * smaller level — "round half down" in value. Uniform quantization rounds half to even instead
 * (`fakeQuantize` in `uniform.ts`, Eq. U.1); with {@linkcode uniformLevels} the two agree
 * everywhere except at those exact midpoints (and, for scales that are not powers of two, within
 * a float32 rounding of them, because U.1 multiplies by the float32 reciprocal of S).
 *
 * Values beyond the outermost levels clip to them (nearest level). Codes are stored in a
 * Uint8Array when the codebook has at most 256 levels, otherwise a Uint16Array (at most 65 536).
 *
 * @module
 */

import { asTensorLike, type QuantInput } from "../observer.ts";

/** Codes of a codebook: Uint8Array for ≤ 256 levels, Uint16Array for ≤ 65 536. */
export type CodebookCodes = Uint8Array | Uint16Array;

/**
 * The largest codebook size (codes are at most 16 bits).
 *
 * @example
 * ```ts
 * import { MAX_CODEBOOK_SIZE } from "@lowbit/quantize/nonuniform/codebook";
 * import { equal } from "node:assert/strict";
 * equal(MAX_CODEBOOK_SIZE, 2 ** 16);
 * ```
 */
export const MAX_CODEBOOK_SIZE = 65536;

/**
 * Validates a codebook: non-empty, at most 65 536 finite, strictly increasing levels.
 *
 * @param levels The candidate levels.
 * @param name The argument name used in error messages.
 * @returns The levels as a Float64Array copy.
 * @throws {TypeError} If `levels` is not array-like.
 * @throws {RangeError} If it is empty, too long, not finite or not strictly increasing.
 *
 * @example
 * ```ts
 * import { checkLevels } from "@lowbit/quantize/nonuniform/codebook";
 * import { deepEqual, throws } from "node:assert/strict";
 * deepEqual([...checkLevels([-1, 0, 2])], [-1, 0, 2]);
 * throws(() => checkLevels([0, 0]), RangeError);
 * ```
 */
export function checkLevels(levels: ArrayLike<number>, name = "levels"): Float64Array {
  if (levels === null || typeof levels !== "object" || typeof levels.length !== "number") {
    throw new TypeError(`${name} must be an array or typed array of numbers`);
  }
  const k = levels.length;
  if (k < 1 || k > MAX_CODEBOOK_SIZE) {
    throw new RangeError(`${name} must hold 1 to ${MAX_CODEBOOK_SIZE} levels; got ${k}`);
  }
  const out = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    const v = levels[i];
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new RangeError(`${name}[${i}] must be a finite number; got ${String(v)}`);
    }
    if (i > 0 && !(v > out[i - 1])) {
      throw new RangeError(
        `${name} must be strictly increasing; ${name}[${i}] = ${v} <= ${name}[${i - 1}] = ${
          out[i - 1]
        }`,
      );
    }
    out[i] = v;
  }
  return out;
}

/**
 * The index of the level nearest to `value` (Eq. C.1, ties to the lower index), by binary search.
 *
 * The levels are not validated here (use {@linkcode checkLevels} once); they must be strictly
 * increasing and non-empty.
 *
 * @param value A finite number.
 * @param levels Strictly increasing levels.
 * @returns The index in [0, levels.length − 1].
 *
 * @example Ties go to the lower index
 * ```ts
 * import { nearestLevelIndex } from "@lowbit/quantize/nonuniform/codebook";
 * import { equal } from "node:assert/strict";
 * const levels = [-1, 0, 0.5, 2];
 * equal(nearestLevelIndex(0.3, levels), 2);
 * equal(nearestLevelIndex(0.25, levels), 1); // halfway between 0 and 0.5
 * equal(nearestLevelIndex(1.25, levels), 2); // halfway between 0.5 and 2
 * equal(nearestLevelIndex(-7, levels), 0); // clips
 * equal(nearestLevelIndex(9, levels), 3);
 * ```
 */
export function nearestLevelIndex(value: number, levels: ArrayLike<number>): number {
  // lower bound: first i with levels[i] >= value
  let lo = 0, hi = levels.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (levels[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  if (lo === 0) return 0;
  if (lo === levels.length) return lo - 1;
  // levels[lo - 1] < value <= levels[lo]; the upper wins only when strictly nearer.
  return levels[lo] - value < value - levels[lo - 1] ? lo : lo - 1;
}

/**
 * A zeroed code array sized for a codebook of `size` levels.
 *
 * @param size The number of levels, 1..65 536.
 * @param length The number of codes.
 * @returns A Uint8Array when `size` ≤ 256, else a Uint16Array.
 * @throws {RangeError} If `size` is outside 1..65 536 or `length` is not a non-negative integer.
 *
 * @example
 * ```ts
 * import { allocateCodebookCodes } from "@lowbit/quantize/nonuniform/codebook";
 * import { ok } from "node:assert/strict";
 * ok(allocateCodebookCodes(256, 4) instanceof Uint8Array);
 * ok(allocateCodebookCodes(257, 4) instanceof Uint16Array);
 * ```
 */
export function allocateCodebookCodes(size: number, length: number): CodebookCodes {
  if (!Number.isInteger(size) || size < 1 || size > MAX_CODEBOOK_SIZE) {
    throw new RangeError(`size must be an integer in [1, ${MAX_CODEBOOK_SIZE}]; got ${size}`);
  }
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new RangeError(`length must be a non-negative integer; got ${length}`);
  }
  return size <= 256 ? new Uint8Array(length) : new Uint16Array(length);
}

function inputData(x: QuantInput): Float32Array {
  return asTensorLike(x).data;
}

/**
 * Encodes values as indices of their nearest levels (Eq. C.1, ties to the lower index).
 *
 * @param x A Float32Array or a tensor `{ data, shape }` (codes are row-major).
 * @param levels Strictly increasing levels (1..65 536 of them).
 * @returns Codes: Uint8Array for ≤ 256 levels, else Uint16Array.
 * @throws {TypeError} If `x` or `levels` has the wrong type.
 * @throws {RangeError} If the levels are invalid or an element of `x` is NaN.
 *
 * @example
 * ```ts
 * import { encodeCodebook } from "@lowbit/quantize/nonuniform/codebook";
 * import { deepEqual } from "node:assert/strict";
 * const codes = encodeCodebook(new Float32Array([-3, 0.1, 0.75, 1.5, 10]), [-1, 0, 0.5, 1, 2]);
 * deepEqual([...codes], [0, 1, 2, 3, 4]); // 0.75 and 1.5 are ties → lower index
 * ```
 */
export function encodeCodebook(x: QuantInput, levels: ArrayLike<number>): CodebookCodes {
  const table = checkLevels(levels);
  const data = inputData(x);
  const codes = allocateCodebookCodes(table.length, data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v !== v) throw new RangeError(`x[${i}] is NaN`);
    codes[i] = nearestLevelIndex(v, table);
  }
  return codes;
}

/**
 * Decodes codes to their levels, rounded to float32 (Eq. C.2).
 *
 * @param codes Level indices.
 * @param levels The codebook used to encode.
 * @returns A new Float32Array with `levels[code]` per element.
 * @throws {RangeError} If the levels are invalid or a code is not below `levels.length`.
 *
 * @example
 * ```ts
 * import { decodeCodebook } from "@lowbit/quantize/nonuniform/codebook";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...decodeCodebook(new Uint8Array([2, 0, 1]), [-1, 0, 0.5])], [0.5, -1, 0]);
 * ```
 */
export function decodeCodebook(codes: ArrayLike<number>, levels: ArrayLike<number>): Float32Array {
  const table = checkLevels(levels);
  const out = new Float32Array(codes.length);
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (!Number.isInteger(c) || c < 0 || c >= table.length) {
      throw new RangeError(
        `codes[${i}] must be an integer in [0, ${table.length - 1}]; got ${String(c)}`,
      );
    }
    out[i] = table[c];
  }
  return out;
}

/**
 * Fake quantization onto a codebook: each value replaced by its nearest level (C.1 then C.2).
 *
 * @param x A Float32Array or a tensor `{ data, shape }`.
 * @param levels Strictly increasing levels.
 * @returns A new Float32Array, row-major.
 * @throws {TypeError} If `x` or `levels` has the wrong type.
 * @throws {RangeError} If the levels are invalid or an element of `x` is NaN.
 *
 * @example
 * ```ts
 * import { quantizeCodebook } from "@lowbit/quantize/nonuniform/codebook";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...quantizeCodebook(new Float32Array([0.2, 0.3, 4]), [0, 0.5, 1])], [0, 0.5, 1]);
 * ```
 */
export function quantizeCodebook(x: QuantInput, levels: ArrayLike<number>): Float32Array {
  const table = checkLevels(levels);
  const data = inputData(x);
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v !== v) throw new RangeError(`x[${i}] is NaN`);
    out[i] = table[nearestLevelIndex(v, table)];
  }
  return out;
}

/**
 * The levels of uniform quantization as a codebook: fl((q − Z) · S) for q = qmin..qmax, in the
 * order of q (Eq. U.2), so that code i stands for the integer q = qmin + i.
 *
 * @param scale Step size S > 0 (finite).
 * @param zeroPoint Integer zero point Z.
 * @param range `{ qmin, qmax }`, integers with 1 ≤ qmax − qmin + 1 ≤ 65 536.
 * @returns A new Float32Array of qmax − qmin + 1 increasing levels.
 * @throws {RangeError} If the scale, zero point or range is invalid, or two levels collide in
 *   float32.
 *
 * @example 2-bit signed, S = 0.5
 * ```ts
 * import { uniformLevels } from "@lowbit/quantize/nonuniform/codebook";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...uniformLevels(0.5, 0, { qmin: -2, qmax: 1 })], [-1, -0.5, 0, 0.5]);
 * deepEqual([...uniformLevels(1, 1, { qmin: 0, qmax: 3 })], [-1, 0, 1, 2]);
 * ```
 */
export function uniformLevels(
  scale: number,
  zeroPoint: number,
  range: { qmin: number; qmax: number },
): Float32Array {
  if (typeof scale !== "number" || !Number.isFinite(scale) || !(scale > 0)) {
    throw new RangeError(`scale must be a finite positive number; got ${String(scale)}`);
  }
  if (!Number.isInteger(zeroPoint)) {
    throw new RangeError(`zeroPoint must be an integer; got ${String(zeroPoint)}`);
  }
  const { qmin, qmax } = range ?? {};
  if (
    !Number.isInteger(qmin) || !Number.isInteger(qmax) || qmax < qmin ||
    qmax - qmin + 1 > MAX_CODEBOOK_SIZE
  ) {
    throw new RangeError(
      `range.qmin and range.qmax must be integers with 1 <= qmax − qmin + 1 <= ${MAX_CODEBOOK_SIZE}; got ${
        String(qmin)
      }, ${String(qmax)}`,
    );
  }
  const s = Math.fround(scale);
  const out = new Float32Array(qmax - qmin + 1);
  for (let q = qmin; q <= qmax; q++) {
    out[q - qmin] = (q - zeroPoint) * s;
    if (q > qmin && !(out[q - qmin] > out[q - qmin - 1])) {
      throw new RangeError(`scale ${scale} is too small: levels collide in float32`);
    }
  }
  return out;
}
