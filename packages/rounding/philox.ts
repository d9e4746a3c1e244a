/**
 * Philox4x32-10: a counter-based pseudo-random generator (Salmon et al., "Parallel random
 * numbers: as easy as 1, 2, 3", SC 2011), the generator behind cuRAND, JAX and PyTorch's CUDA
 * dropout.
 *
 * Counter-based means the n-th output is a pure function of (key, counter): streams can be
 * split, skipped and reproduced on every platform, with no hidden global state. Outputs match
 * the Random123 known-answer vectors bit for bit.
 *
 * @module
 */

import type { RandomSource } from "./modes.ts";

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** High 32 bits of the 64-bit product of two uint32 values, exact in binary64 arithmetic. */
function mulhi32(a: number, b: number): number {
  const lo = a * (b & 0xffff); // < 2^48, exact
  const hi = a * (b >>> 16); // < 2^48, exact
  return Math.floor((hi + Math.floor(lo / 65536)) / 65536) >>> 0;
}

/**
 * One Philox4x32-10 block: encrypts a 128-bit counter under a 64-bit key.
 *
 * @param counter Four uint32 words (c0 is the least significant).
 * @param key Two uint32 words.
 * @param out Where the four output words go (a new array if omitted).
 * @returns `out`, holding the four uint32 output words.
 *
 * @example Random123 known-answer vector (counter 0, key 0)
 * ```ts
 * import { philox4x32 } from "@lowbit/rounding/philox";
 * import { deepEqual } from "node:assert/strict";
 * const r = philox4x32([0, 0, 0, 0], [0, 0]);
 * deepEqual([...r].map((w) => w.toString(16)), ["6627e8d5", "e169c58d", "bc57ac4c", "9b00dbd8"]);
 * ```
 */
export function philox4x32(
  counter: ArrayLike<number>,
  key: ArrayLike<number>,
  out: Uint32Array = new Uint32Array(4),
): Uint32Array {
  let c0 = counter[0] >>> 0, c1 = counter[1] >>> 0, c2 = counter[2] >>> 0, c3 = counter[3] >>> 0;
  let k0 = key[0] >>> 0, k1 = key[1] >>> 0;
  for (let round = 0; round < 10; round++) {
    const hi0 = mulhi32(M0, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi32(M1, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
  return out;
}

function checkWord64(value: number | bigint, name: string): [number, number] {
  if (typeof value === "bigint") {
    if (value < 0n || value >= 1n << 64n) {
      throw new RangeError(`${name} must be an integer in [0, 2^64); got ${value}`);
    }
    return [Number(value & 0xffffffffn), Number(value >> 32n)];
  }
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(
      `${name} must be a non-negative safe integer or a bigint below 2^64; got ${value}`,
    );
  }
  return [value % 0x100000000, Math.floor(value / 0x100000000)];
}

/**
 * A seeded Philox4x32-10 stream implementing {@linkcode RandomSource}.
 *
 * The key is the 64-bit seed; the counter's low 64 bits count blocks of four outputs and its
 * high 64 bits are the stream id. `new Philox(seed, stream)` therefore gives 2^64 independent,
 * non-overlapping streams per seed, each of 2^66 outputs. The same (seed, stream) yields the
 * same numbers on every run and platform.
 *
 * @example Reproducible draws
 * ```ts
 * import { Philox } from "@lowbit/rounding/philox";
 * import { equal, notEqual } from "node:assert/strict";
 * const a = new Philox(42), b = new Philox(42), c = new Philox(42, 1);
 * const x = a.nextUint32();
 * equal(x, b.nextUint32());
 * notEqual(x, c.nextUint32());
 * ```
 */
export class Philox implements RandomSource {
  #key: [number, number];
  #stream: [number, number];
  #block = 0; // low 64 bits of the counter, as a safe integer (2^53 blocks is plenty)
  #buf = new Uint32Array(4);
  #pos = 4;
  #ctr = new Uint32Array(4);

  /**
   * Creates a stream.
   *
   * @param seed The 64-bit key: a non-negative safe integer or a bigint below 2^64.
   * @param stream The stream id (high 64 bits of the counter), default 0.
   * @throws {RangeError} If `seed` or `stream` is negative, fractional or too large.
   */
  constructor(seed: number | bigint, stream: number | bigint = 0) {
    this.#key = checkWord64(seed, "seed");
    this.#stream = checkWord64(stream, "stream");
  }

  /** The number of uint32 outputs drawn so far. */
  get position(): number {
    return this.#block * 4 - (4 - this.#pos);
  }

  /**
   * Moves to an absolute output position (counter-based generators can skip in O(1)).
   *
   * @param position Index of the next uint32 output, a non-negative safe integer.
   * @throws {RangeError} If `position` is not a non-negative safe integer.
   */
  seek(position: number): void {
    if (!Number.isSafeInteger(position) || position < 0) {
      throw new RangeError(`position must be a non-negative safe integer; got ${position}`);
    }
    this.#block = Math.floor(position / 4);
    this.#refill();
    this.#pos = position % 4;
  }

  #refill(): void {
    const c = this.#ctr;
    c[0] = this.#block % 0x100000000;
    c[1] = Math.floor(this.#block / 0x100000000);
    c[2] = this.#stream[0];
    c[3] = this.#stream[1];
    philox4x32(c, this.#key, this.#buf);
    this.#block++;
    this.#pos = 0;
  }

  /**
   * The next uniform 32-bit unsigned integer.
   *
   * @returns An integer in [0, 2^32).
   */
  nextUint32(): number {
    if (this.#pos === 4) this.#refill();
    return this.#buf[this.#pos++];
  }

  /**
   * The next uniform number in [0, 1) with 53 random bits (two outputs).
   *
   * @returns A multiple of 2^-53 in [0, 1).
   */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /**
   * Fills an array with uniform numbers in [0, 1): 24 random bits per element for a
   * Float32Array (exactly representable, never rounds up to 1), 53 bits for a Float64Array.
   *
   * @param out The array to fill.
   * @returns `out`.
   *
   * @example A seeded batch of uniforms
   * ```ts
   * import { Philox } from "@lowbit/rounding/philox";
   * import { ok } from "node:assert/strict";
   * const u = new Philox(7).fillUniform(new Float32Array(1000));
   * ok(u.every((v) => v >= 0 && v < 1));
   * ```
   */
  fillUniform<T extends Float32Array | Float64Array>(out: T): T {
    if (out instanceof Float32Array) {
      for (let i = 0; i < out.length; i++) {
        out[i] = (this.nextUint32() >>> 8) * 5.9604644775390625e-8;
      }
    } else {
      for (let i = 0; i < out.length; i++) out[i] = this.uniform();
    }
    return out;
  }

  /**
   * Fills an array with standard normal numbers by the Box–Muller transform on pairs of
   * {@linkcode Philox.uniform} draws u₁, u₂: r = √(−2 ln(1 − u₁)), θ = 2π u₂,
   * out[i] = r cos θ, out[i + 1] = r sin θ (an odd last element uses only the cosine).
   *
   * @param out The array to fill.
   * @returns `out`.
   *
   * @example Mean ≈ 0 and variance ≈ 1 over 20,000 draws (4 standard errors)
   * ```ts
   * import { Philox } from "@lowbit/rounding/philox";
   * import { ok } from "node:assert/strict";
   * const z = new Philox(3).fillNormal(new Float64Array(20_000));
   * const mean = z.reduce((a, v) => a + v, 0) / z.length;
   * const variance = z.reduce((a, v) => a + (v - mean) ** 2, 0) / z.length;
   * ok(Math.abs(mean) < 4 / Math.sqrt(z.length));
   * ok(Math.abs(variance - 1) < 4 * Math.sqrt(2 / z.length));
   * ```
   */
  fillNormal<T extends Float32Array | Float64Array>(out: T): T {
    for (let i = 0; i < out.length; i += 2) {
      const r = Math.sqrt(-2 * Math.log(1 - this.uniform()));
      const t = 2 * Math.PI * this.uniform();
      out[i] = r * Math.cos(t);
      if (i + 1 < out.length) out[i + 1] = r * Math.sin(t);
    }
    return out;
  }

  /**
   * Fills a Uint32Array with raw outputs.
   *
   * @param out The array to fill.
   * @returns `out`.
   */
  fillUint32(out: Uint32Array): Uint32Array {
    for (let i = 0; i < out.length; i++) out[i] = this.nextUint32();
    return out;
  }

  /**
   * Splits off an independent child generator, keyed by the next two outputs of this one.
   *
   * The parent advances by two outputs, so successive splits give different children; the
   * whole tree of splits is reproducible from the root seed.
   *
   * @returns A new generator with a derived key, stream 0.
   *
   * @example Per-layer generators from one seed
   * ```ts
   * import { Philox } from "@lowbit/rounding/philox";
   * import { notEqual, equal } from "node:assert/strict";
   * const root = new Philox(1);
   * const a = root.split(), b = root.split();
   * notEqual(a.nextUint32(), b.nextUint32());
   * equal(new Philox(1).split().nextUint32(), new Philox(1).split().nextUint32());
   * ```
   */
  split(): Philox {
    const lo = this.nextUint32();
    const hi = this.nextUint32();
    return new Philox((BigInt(hi) << 32n) | BigInt(lo));
  }
}
