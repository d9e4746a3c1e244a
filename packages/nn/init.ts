/**
 * Seeded parameter initialisation. Weights use He (Kaiming) uniform initialisation for ReLU
 * networks, U(−b, b) with b = √(6 / fan_in) (He et al. 2015: variance 2/fan_in); biases start
 * at zero.
 *
 * @example
 * ```ts
 * import { heUniform } from "@lowbit/nn/init";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { ok } from "node:assert/strict";
 * const w = heUniform(1000, 24, new Philox(3));
 * ok(w.every((v) => Math.abs(v) <= Math.sqrt(6 / 24)));
 * ```
 *
 * @module
 */

/** A seeded source of uniform numbers in [0, 1) (a `Philox` from @lowbit/rounding is one). */
export interface UniformSource {
  /** The next uniform number in [0, 1). */
  uniform(): number;
}

/**
 * He-uniform values: U(−√(6/fanIn), √(6/fanIn)).
 *
 * @param count How many values.
 * @param fanIn Inputs per output (in·kh·kw for a conv).
 * @param random The seeded source.
 * @returns A new Float32Array.
 * @throws {RangeError} If `count` or `fanIn` is not a positive integer.
 *
 * @example
 * ```ts
 * import { heUniform } from "@lowbit/nn/init";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(heUniform(3, 6, new Philox(1)), heUniform(3, 6, new Philox(1)));
 * ```
 */
export function heUniform(count: number, fanIn: number, random: UniformSource): Float32Array {
  if (!Number.isInteger(count) || count < 0 || !Number.isInteger(fanIn) || fanIn < 1) {
    throw new RangeError(
      `count must be a non-negative integer and fanIn a positive one; got ${count}, ${fanIn}`,
    );
  }
  const b = Math.sqrt(6 / fanIn);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (2 * random.uniform() - 1) * b;
  return out;
}
