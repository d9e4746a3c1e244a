/**
 * Output stages: requantizing a row-major m×n block of int32 accumulators (channels along n)
 * to int8/uint8 codes with per-tensor or per-channel multipliers, a zero point and an optional
 * clamp (a fused ReLU/ReLU6 expressed in code units). The semantics are exactly those of
 * {@link "./requantize.ts"}: `"fixed"` = TFLite `MultiplyByQuantizedMultiplier`, `"float"` =
 * onnxruntime's float32 rescale with round half to even.
 *
 * @example ReLU fused as a clamp at the zero point
 * ```ts
 * import { requantizeAccumulators } from "@lowbit/kernels/output-stage";
 * import { deepEqual } from "node:assert/strict";
 * const acc = new Int32Array([-40, 10, 41, 1000]);
 * const q = requantizeAccumulators(acc, 2, {
 *   kind: "float", multiplier: 0.1, zeroPoint: -5, dtype: "int8", clampMin: -5,
 * });
 * deepEqual([...q], [-5, -4, -1, 95]);
 * ```
 *
 * @module
 */

import { requantizeResolved, resolveOutputStage } from "./_output_stage.ts";

import type { OutputStage } from "./_types.ts";
export type {
  OutputDType,
  OutputStage,
  OutputStageBase,
  OutputStageFixed,
  OutputStageFloat,
} from "./_types.ts";

/**
 * Requantizes row-major accumulators (n columns = channels) to int8/uint8 codes.
 *
 * @param acc The accumulators (bias already added), length a multiple of n.
 * @param n Number of columns (channels).
 * @param stage The output stage.
 * @param out Output codes (Int8Array for `"int8"`, Uint8Array for `"uint8"`); allocated when
 *   omitted.
 * @returns The codes.
 * @throws {RangeError} When `acc.length` is not a multiple of n or `out` is too small/wrong type.
 *
 * @example Per-channel fixed-point rescaling
 * ```ts
 * import { requantizeAccumulators } from "@lowbit/kernels/output-stage";
 * import { quantizeMultiplier } from "@lowbit/kernels/requantize";
 * import { deepEqual } from "node:assert/strict";
 * const h = quantizeMultiplier(0.5), q = quantizeMultiplier(0.25);
 * const codes = requantizeAccumulators(new Int32Array([10, 10, 7, 7]), 2, {
 *   kind: "fixed", multiplier: new Int32Array([h.multiplier, q.multiplier]),
 *   shift: new Int32Array([h.shift, q.shift]), zeroPoint: 0, dtype: "int8",
 * });
 * deepEqual([...codes], [5, 3, 4, 2]); // 3.5 → 4 and 1.75 → 2 (ties away from zero)
 * ```
 */
export function requantizeAccumulators(
  acc: Int32Array,
  n: number,
  stage: OutputStage,
  out?: Int8Array | Uint8Array,
): Int8Array | Uint8Array {
  if (!(acc instanceof Int32Array)) throw new TypeError("acc must be an Int32Array");
  if (!Number.isInteger(n) || n < 1 || acc.length % n !== 0) {
    throw new RangeError(
      `n must be a positive integer dividing acc.length (${acc.length}), got ${n}`,
    );
  }
  const r = resolveOutputStage(stage, n);
  const dst = out ?? (r.dtype === "int8" ? new Int8Array(acc.length) : new Uint8Array(acc.length));
  if ((r.dtype === "int8") !== (dst instanceof Int8Array) || dst.length < acc.length) {
    throw new RangeError(
      `out must be a${
        r.dtype === "int8" ? "n Int8Array" : " Uint8Array"
      } of length ≥ ${acc.length}`,
    );
  }
  requantizeResolved(acc, 0, acc.length / n, n, r, dst, 0);
  return dst;
}
