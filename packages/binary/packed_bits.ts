/**
 * Binary activations as codes and as packed bits, and the binary max-pool on packed bits.
 *
 * Codes are Int8Array values in {−1, +1} (ternary layers also allow 0). A float activation
 * becomes a code by `sign1` of `ste.ts` (x ≥ 0 → +1, so −0 → +1): {@linkcode signCodes}.
 * The kernels' `packBinary` would map a float −0 to −1 (it reads the sign bit); packing codes
 * instead of floats makes the two agree, and every packed layer here takes codes.
 *
 * Bits follow `@lowbit/kernels/gemm-binary`: bit 1 ↔ −1, bit 0 ↔ +1, LSB first. For the pool,
 * activations are packed along channels, one packed row per pixel (NHWC order: row
 * `(n·H + y)·W + x`, k = C). The maximum of ±1 values is +1 unless every value is −1, i.e. the
 * pooled bit is 1 only when all window bits are 1: under this mapping the binary max-pool is
 * the bitwise AND of the window's words (it would be an OR under the opposite mapping
 * +1 ↔ 1), 32 channels per operation.
 *
 * @example
 * ```ts
 * import { binaryMaxPool2d, packChannels, unpackChannels } from "@lowbit/binary/packed-bits";
 * import { deepEqual } from "node:assert/strict";
 * // one image, one channel, 2×2 → 1×1: max(−1, −1, +1, −1) = +1
 * const p = packChannels(new Int8Array([-1, -1, 1, -1]), 1, 1, 2, 2);
 * const y = binaryMaxPool2d(p, { batch: 1, channels: 1, height: 2, width: 2 }, 2);
 * deepEqual([...unpackChannels(y.bits, 1, 1, 1, 1)], [1]);
 * ```
 *
 * @module
 */

import { packBinary, type PackedBits } from "@lowbit/kernels/gemm-binary";
import { sign1 } from "./ste.ts";

function checkDims(dims: Record<string, number>): void {
  for (const [n, v] of Object.entries(dims)) {
    if (!Number.isInteger(v) || v < 1) {
      throw new RangeError(`${n} must be a positive integer; got ${String(v)}`);
    }
  }
}

/**
 * The ±1 codes of float activations by `sign1` (−0 and 0 → +1).
 *
 * @param x Float activations.
 * @returns Codes in {−1, +1}.
 * @throws {RangeError} If a value is NaN.
 *
 * @example −0 is +1 here (the kernels' packBinary of a float −0 would give −1)
 * ```ts
 * import { signCodes } from "@lowbit/binary/packed-bits";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...signCodes(new Float32Array([-0, 0, -2, 3]))], [1, 1, -1, 1]);
 * ```
 */
export function signCodes(x: ArrayLike<number>): Int8Array {
  const out = new Int8Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v !== v) throw new RangeError(`x[${i}] is NaN; a sign needs a number`);
    out[i] = sign1(v);
  }
  return out;
}

/**
 * Checks that codes are ±1 (binary) or in {−1, 0, +1} (ternary).
 *
 * @param name The argument's name for the message.
 * @param codes The codes.
 * @param ternary Whether 0 is allowed.
 * @param length The expected length (at least).
 * @throws {TypeError} If `codes` is not an Int8Array.
 * @throws {RangeError} If a code is out of the set or the array is too short.
 *
 * @example
 * ```ts
 * import { checkCodes } from "@lowbit/binary/packed-bits";
 * import { throws } from "node:assert/strict";
 * throws(() => checkCodes("x", new Int8Array([1, 0]), false, 2), /x\[1\] = 0/);
 * ```
 */
export function checkCodes(name: string, codes: unknown, ternary: boolean, length: number): void {
  if (!(codes instanceof Int8Array)) {
    throw new TypeError(`${name} must be an Int8Array of codes`);
  }
  if (codes.length < length) {
    throw new RangeError(`${name} has ${codes.length} codes; ${length} needed`);
  }
  for (let i = 0; i < length; i++) {
    const c = codes[i];
    if (c !== 1 && c !== -1 && !(ternary && c === 0)) {
      throw new RangeError(
        `${name}[${i}] = ${c}; ${ternary ? "ternary codes are −1, 0, +1" : "binary codes are ±1"}`,
      );
    }
  }
}

/**
 * Packs NCHW ±1 codes along channels, one packed row per pixel (module doc).
 *
 * @param codes NCHW codes, `batch·channels·height·width`.
 * @param batch N.
 * @param channels C.
 * @param height H.
 * @param width W.
 * @returns `batch·height·width` packed rows of C bits.
 * @throws {RangeError} On bad dimensions or a code that is not ±1.
 * @throws {TypeError} If `codes` is not an Int8Array.
 *
 * @example 33 channels take two words per pixel
 * ```ts
 * import { packChannels } from "@lowbit/binary/packed-bits";
 * import { equal } from "node:assert/strict";
 * equal(packChannels(new Int8Array(33 * 4).fill(1), 1, 33, 2, 2).words.length, 8);
 * ```
 */
export function packChannels(
  codes: Int8Array,
  batch: number,
  channels: number,
  height: number,
  width: number,
): PackedBits {
  checkDims({ batch, channels, height, width });
  const hw = height * width, total = batch * channels * hw;
  checkCodes("codes", codes, false, total);
  const nhwc = new Int8Array(total);
  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < channels; c++) {
      const src = (n * channels + c) * hw;
      for (let p = 0; p < hw; p++) nhwc[(n * hw + p) * channels + c] = codes[src + p];
    }
  }
  return packBinary(nhwc, batch * hw, channels);
}

/**
 * Unpacks channel-packed rows (from {@linkcode packChannels}) into NCHW ±1 codes.
 *
 * @param bits The packed rows (`batch·height·width` rows of `channels` bits).
 * @param batch N.
 * @param channels C.
 * @param height H.
 * @param width W.
 * @returns NCHW codes.
 * @throws {RangeError} If the packed shape does not match.
 *
 * @example
 * ```ts
 * import { packChannels, unpackChannels } from "@lowbit/binary/packed-bits";
 * import { deepEqual } from "node:assert/strict";
 * const x = new Int8Array([1, -1, -1, 1, 1, 1]); // N = 1, C = 2, 1×3
 * deepEqual(unpackChannels(packChannels(x, 1, 2, 1, 3), 1, 2, 1, 3), x);
 * ```
 */
export function unpackChannels(
  bits: PackedBits,
  batch: number,
  channels: number,
  height: number,
  width: number,
): Int8Array {
  checkDims({ batch, channels, height, width });
  const hw = height * width, words = Math.ceil(channels / 32);
  if (bits.rows !== batch * hw || bits.k !== channels || bits.words.length < bits.rows * words) {
    throw new RangeError(
      `bits has ${bits.rows} rows of ${bits.k} bits; expected ${batch * hw} rows of ${channels}`,
    );
  }
  const out = new Int8Array(batch * channels * hw);
  for (let n = 0; n < batch; n++) {
    for (let p = 0; p < hw; p++) {
      const row = (n * hw + p) * words;
      for (let c = 0; c < channels; c++) {
        const b = (bits.words[row + (c >>> 5)] >>> (c & 31)) & 1;
        out[(n * channels + c) * hw + p] = b === 1 ? -1 : 1;
      }
    }
  }
  return out;
}

/** The shape of channel-packed activations. */
export interface PackedShape {
  /** N. */
  batch: number;
  /** C. */
  channels: number;
  /** H. */
  height: number;
  /** W. */
  width: number;
}

/**
 * Binary max-pool on channel-packed bits: the AND of each window's words (module doc). No
 * padding; the output size is ⌊(H − k)/s⌋ + 1 per axis, as `maxPool2d` of `@lowbit/nn`.
 *
 * @param bits Packed rows from {@linkcode packChannels}.
 * @param shape The activations' shape.
 * @param kernel Window size (square).
 * @param stride Step (default = kernel).
 * @returns The pooled bits and their shape.
 * @throws {RangeError} On bad sizes, a window larger than the input, or bits of another shape.
 *
 * @example 40 channels, 2×2 → 1×1
 * ```ts
 * import { binaryMaxPool2d, packChannels, unpackChannels } from "@lowbit/binary/packed-bits";
 * import { deepEqual } from "node:assert/strict";
 * const x = new Int8Array(40 * 4).fill(-1);
 * x[39 * 4 + 3] = 1; // channel 39, pixel (1, 1)
 * const { bits, shape } = binaryMaxPool2d(packChannels(x, 1, 40, 2, 2), { batch: 1, channels: 40, height: 2, width: 2 }, 2);
 * const y = unpackChannels(bits, 1, 40, shape.height, shape.width);
 * deepEqual([y[0], y[38], y[39]], [-1, -1, 1]);
 * ```
 */
export function binaryMaxPool2d(
  bits: PackedBits,
  shape: PackedShape,
  kernel: number,
  stride: number = kernel,
): { bits: PackedBits; shape: PackedShape } {
  const { batch, channels, height, width } = shape;
  checkDims({ "shape.batch": batch, "shape.channels": channels, "shape.height": height });
  checkDims({ "shape.width": width, kernel, stride });
  if (kernel > height || kernel > width) {
    throw new RangeError(`kernel ${kernel} is larger than the input ${height}×${width}`);
  }
  const words = Math.ceil(channels / 32);
  if (bits.rows !== batch * height * width || bits.k !== channels) {
    throw new RangeError(
      `bits has ${bits.rows} rows of ${bits.k} bits; shape needs ${
        batch * height * width
      } rows of ${channels}`,
    );
  }
  const oh = Math.floor((height - kernel) / stride) + 1;
  const ow = Math.floor((width - kernel) / stride) + 1;
  const out = new Uint32Array(batch * oh * ow * words);
  const src = bits.words;
  for (let n = 0; n < batch; n++) {
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        const dst = ((n * oh + y) * ow + x) * words;
        for (let q = 0; q < words; q++) {
          let acc = 0xffffffff;
          for (let i = 0; i < kernel; i++) {
            const row = (n * height + y * stride + i) * width + x * stride;
            for (let j = 0; j < kernel; j++) acc &= src[(row + j) * words + q];
          }
          out[dst + q] = acc;
        }
      }
    }
  }
  return {
    bits: { rows: batch * oh * ow, k: channels, words: out },
    shape: { batch, channels, height: oh, width: ow },
  };
}
