/**
 * Requantization primitives of the integer runtime (DESIGN.md §3). The scalar primitives are
 * those of `@lowbit/kernels` re-exported unchanged — one implementation, so the fused GEMM and
 * convolution output stages compute exactly what these functions compute:
 *
 * - `quantizeMultiplier(real) → { multiplier, shift }`: TFLite `QuantizeMultiplier`, Q31
 *   mantissa in [2^30, 2^31) and exponent with `real ≈ multiplier·2^(shift − 31)`.
 * - `multiplyByQuantizedMultiplier(acc, multiplier, shift)`: TFLite/gemmlowp, a left shift by
 *   max(shift, 0), `SaturatingRoundingDoublingHighMul`, then `RoundingDivideByPOT` by
 *   max(−shift, 0).
 * - `requantizeFloat(acc, multiplier, zeroPoint, qmin, qmax)`: the ONNX/onnxruntime form,
 *   float32 multiplier, round half to even, saturate.
 *
 * This module adds the per-channel variants, the strict `(0, 1)` form TFLite uses for
 * convolution multipliers, and {@linkcode outputStageFor}, which turns real multipliers into
 * a kernel output stage in either mode.
 *
 * @example Per-channel multipliers, gemmlowp mode
 * ```ts
 * import { multiplyByQuantizedMultipliers, quantizeMultipliers } from "@lowbit/runtime/requantize";
 * import { deepEqual } from "node:assert/strict";
 * const m = quantizeMultipliers(new Float32Array([0.5, 0.25]));
 * // 3.5 → 4, 1.75 → 2; −3.5 → −3 (SRDHM's tie goes up), −1.75: −3.5 → −3, then −1.5 → −2
 * deepEqual([...multiplyByQuantizedMultipliers(new Int32Array([7, 7, -7, -7]), m)], [4, 2, -3, -2]);
 * ```
 *
 * @module
 */

import {
  multiplyByQuantizedMultiplier,
  type OutputDType,
  type OutputStage,
  quantizeMultiplier,
} from "@lowbit/kernels";

export type {
  OutputDType,
  OutputStage,
  OutputStageBase,
  OutputStageFixed,
  OutputStageFloat,
} from "@lowbit/kernels/output-stage";
export {
  multiplyByQuantizedMultiplier,
  type QuantizedMultiplier,
  quantizeMultiplier,
  requantizeFloat,
  roundingDivideByPOT,
  saturatingRoundingDoublingHighMul,
} from "@lowbit/kernels/requantize";

/** Which requantization semantics a layer uses. */
export type RequantMode = "fixed" | "float";

/** Per-channel Q31 multipliers and exponents. */
export interface QuantizedMultipliers {
  /** Q31 mantissas, one per channel. */
  multiplier: Int32Array;
  /** Exponents, one per channel. */
  shift: Int32Array;
}

/**
 * TFLite `QuantizeMultiplierSmallerThanOneExp`: like `quantizeMultiplier` but requires the
 * real multiplier to lie strictly inside (0, 1) (so `shift ≤ 0`), as TFLite's convolution and
 * fully connected kernels do.
 *
 * @param real The multiplier, in (0, 1).
 * @returns `{ multiplier, shift }` with `shift ≤ 0`.
 * @throws {RangeError} When `real` is not in (0, 1).
 *
 * @example
 * ```ts
 * import { quantizeMultiplierSmallerThanOne } from "@lowbit/runtime/requantize";
 * import { deepEqual, throws } from "node:assert/strict";
 * deepEqual(quantizeMultiplierSmallerThanOne(0.375), { multiplier: 0x60000000, shift: -1 });
 * throws(() => quantizeMultiplierSmallerThanOne(1.5), RangeError);
 * ```
 */
export function quantizeMultiplierSmallerThanOne(
  real: number,
): { multiplier: number; shift: number } {
  if (typeof real !== "number" || !(real > 0 && real < 1)) {
    throw new RangeError(`real must be a multiplier in (0, 1), got ${real}`);
  }
  return quantizeMultiplier(real);
}

/**
 * `quantizeMultiplier` applied to each channel's real multiplier.
 *
 * @param reals Real multipliers, finite and ≥ 0 (one per channel).
 * @returns The mantissas and exponents.
 * @throws {RangeError} When a multiplier is negative, NaN, infinite or ≥ 2^31 (its index is named).
 *
 * @example
 * ```ts
 * import { quantizeMultipliers } from "@lowbit/runtime/requantize";
 * import { deepEqual } from "node:assert/strict";
 * const m = quantizeMultipliers([0.75, 3]);
 * deepEqual([...m.multiplier], [0x60000000, 0x60000000]);
 * deepEqual([...m.shift], [0, 2]);
 * ```
 */
export function quantizeMultipliers(reals: ArrayLike<number>): QuantizedMultipliers {
  const multiplier = new Int32Array(reals.length), shift = new Int32Array(reals.length);
  for (let i = 0; i < reals.length; i++) {
    try {
      const q = quantizeMultiplier(reals[i]);
      multiplier[i] = q.multiplier;
      shift[i] = q.shift;
    } catch (e) {
      throw new RangeError(`reals[${i}]: ${(e as Error).message}`);
    }
  }
  return { multiplier, shift };
}

/**
 * Per-channel `multiplyByQuantizedMultiplier` over row-major accumulators whose last
 * dimension is the channel (element i uses channel `i mod channels`).
 *
 * @param acc int32 accumulators, length a multiple of the channel count.
 * @param m Per-channel mantissas and exponents (one channel = per-tensor).
 * @param out Destination (a new Int32Array when omitted).
 * @returns The rescaled values (no zero point added, no clamp).
 * @throws {RangeError} When `acc.length` is not a multiple of the channel count.
 *
 * @example
 * ```ts
 * import { multiplyByQuantizedMultipliers, quantizeMultipliers } from "@lowbit/runtime/requantize";
 * import { deepEqual } from "node:assert/strict";
 * // 2.5 → 3 and −2.5 → −2: one SRDHM (shift 0), whose exact ties round toward +∞
 * deepEqual([...multiplyByQuantizedMultipliers(new Int32Array([5, -5]), quantizeMultipliers([0.5]))], [3, -2]);
 * ```
 */
export function multiplyByQuantizedMultipliers(
  acc: Int32Array,
  m: QuantizedMultipliers,
  out: Int32Array = new Int32Array(acc.length),
): Int32Array {
  const c = m.multiplier.length;
  if (c < 1 || m.shift.length !== c || acc.length % c !== 0) {
    throw new RangeError(
      `acc.length (${acc.length}) must be a multiple of the channel count (${c}); multiplier and shift must have equal lengths`,
    );
  }
  for (let i = 0; i < acc.length; i++) {
    const j = i % c;
    out[i] = multiplyByQuantizedMultiplier(acc[i], m.multiplier[j], m.shift[j]);
  }
  return out;
}

/** Options of {@linkcode outputStageFor}. */
export interface OutputStageOptions {
  /** Requantization semantics. */
  mode: RequantMode;
  /** Output zero point. */
  zeroPoint: number;
  /** Output code type. */
  dtype: OutputDType;
  /** Smallest allowed code (a fused ReLU/ReLU6 lower bound). */
  clampMin?: number;
  /** Largest allowed code (a fused ReLU6 upper bound). */
  clampMax?: number;
}

/**
 * A kernel output stage for real multipliers `S_in·S_w/S_out` (one, or one per channel): the
 * float32 multipliers themselves in `"float"` mode, their Q31 form in `"fixed"` mode.
 *
 * @param reals The real multipliers (> 0).
 * @param options Mode, zero point, dtype and clamp.
 * @returns An `OutputStage` for `@lowbit/kernels`.
 * @throws {RangeError} When a multiplier is not finite and > 0, or the mode is unknown.
 *
 * @example
 * ```ts
 * import { outputStageFor } from "@lowbit/runtime/requantize";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(outputStageFor([0.75], { mode: "fixed", zeroPoint: 0, dtype: "int8" }), {
 *   kind: "fixed", multiplier: Int32Array.of(0x60000000), shift: Int32Array.of(0),
 *   zeroPoint: 0, dtype: "int8", clampMin: undefined, clampMax: undefined,
 * });
 * ```
 */
export function outputStageFor(reals: ArrayLike<number>, options: OutputStageOptions): OutputStage {
  for (let i = 0; i < reals.length; i++) {
    if (!(reals[i] > 0) || !Number.isFinite(reals[i])) {
      throw new RangeError(`reals[${i}] must be a finite multiplier > 0, got ${reals[i]}`);
    }
  }
  const { zeroPoint, dtype, clampMin, clampMax } = options;
  if (options.mode === "float") {
    return {
      kind: "float",
      multiplier: Float32Array.from(reals),
      zeroPoint,
      dtype,
      clampMin,
      clampMax,
    };
  }
  if (options.mode === "fixed") {
    const m = quantizeMultipliers(reals);
    return {
      kind: "fixed",
      multiplier: m.multiplier,
      shift: m.shift,
      zeroPoint,
      dtype,
      clampMin,
      clampMax,
    };
  }
  throw new RangeError(`options.mode must be "fixed" or "float", got ${String(options.mode)}`);
}
