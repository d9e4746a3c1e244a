/**
 * Elementwise integer ops that must bring operands with different scales to one output
 * scale: addition, multiplication and concatenation.
 *
 * - {@linkcode add}, `"fixed"` mode, is TFLite's quantized ADD: both inputs are shifted left
 *   by 20 bits, rescaled by `S_i / (2·max(S_a, S_b))` with `multiplyByQuantizedMultiplier`,
 *   summed, and the sum rescaled by `2·max(S_a, S_b) / (2^20·S_y)`:
 *
 *       a' = MBQM((a − Z_a)·2^20, S_a/2m), b' = MBQM((b − Z_b)·2^20, S_b/2m)
 *       y  = clamp(MBQM(a' + b', 2m/(2^20·S_y)) + Z_y)                            (E.1)
 *
 *   `"float"` mode is the QLinearAdd formula (com.microsoft) in float32: `y = sat(rne(fl32(
 *   fl32(S_a/S_y)·(a − Z_a) + fl32(S_b/S_y)·(b − Z_b))) + Z_y)`.                    (E.2)
 *   onnxruntime evaluates QLinearAdd with a 22-bit fixed-point kernel when both ratios lie in
 *   [2^−14, 256); measured on all 65,536 uint8 code pairs it equals (E.2) exactly on some grids
 *   and differs by one code on a few pairs (35 of 65,536) on others.
 * - {@linkcode concat} requantizes each input to the output parameters: `"fixed"`:
 *   `MBQM(q − Z_i, S_i/S_y) + Z_y`; `"float"`: `rne(fl32(q − Z_i)·fl32(S_i/S_y)) + Z_y`;
 *   inputs whose parameters already equal the output's are copied.
 *
 * @example Adding two tensors with different scales
 * ```ts
 * import { add } from "@lowbit/runtime/elementwise";
 * import { QuantizedTensor } from "@lowbit/runtime/quantized-tensor";
 * import { deepEqual } from "node:assert/strict";
 * const a = new QuantizedTensor({ q: new Int8Array([10, -4]), shape: [2], dtype: "int8", scale: 0.5 });
 * const b = new QuantizedTensor({ q: new Int8Array([3, 8]), shape: [2], dtype: "int8", scale: 0.25 });
 *  deepEqual([...add(a, b, { scale: 0.5, zeroPoint: 0, dtype: "int8" }).q], [12, 0]); // (5 + 0.75) / 0.5 = 11.5 → 12; −2 + 2 = 0
 * ```
 *
 * @module
 */

import { broadcastIndex, broadcastShapes } from "@lowbit/graph/broadcast";
import { namedMultiplier, shiftLimit, shiftOverflow } from "./_int32_check.ts";
import { multiplyByQuantizedMultiplier, type RequantMode } from "./requantize.ts";
import { DTYPE_RANGE, QuantizedTensor } from "./quantized_tensor.ts";
import { addInt8Requantized, mulInt8Requantized } from "@lowbit/kernels/elementwise-int8";
import {
  activationClamp,
  checkOutputQuant,
  type CodeBuffer,
  type FusedActivation,
  type OutputQuant,
} from "./fused.ts";

/** Options of {@linkcode add}. */
export interface AddOptions {
  /** Fused activation clamp (default `"none"`). */
  activation?: FusedActivation;
  /** Requantization semantics (default `"fixed"`). */
  mode?: RequantMode;
  /**
   * Where the output codes go on the WebAssembly path (int8/uint8 output, `"float"` mode);
   * default a new array.
   */
  codes?: CodeBuffer;
}

function per(name: string, t: QuantizedTensor): void {
  if (!(t instanceof QuantizedTensor)) throw new TypeError(`${name} must be a QuantizedTensor`);
  if (t.perChannel) throw new RangeError(`${name} must be quantized per-tensor`);
}

const LEFT_SHIFT = 20;

/**
 * Elementwise sum of two quantized tensors with NumPy broadcasting, rescaled to the output
 * grid ((E.1) or (E.2)).
 *
 * @param a First operand (per-tensor).
 * @param b Second operand (per-tensor), broadcastable with `a`.
 * @param out Output quantization.
 * @param options Activation clamp and mode.
 * @returns The quantized sum.
 * @throws {RangeError} On shapes that do not broadcast, per-channel operands or bad output
 *   parameters.
 *
 * @example Float (onnxruntime QLinearAdd) mode rounds ties to even
 * ```ts
 * import { add } from "@lowbit/runtime/elementwise";
 * import { QuantizedTensor } from "@lowbit/runtime/quantized-tensor";
 * import { deepEqual } from "node:assert/strict";
 * const a = new QuantizedTensor({ q: new Uint8Array([1]), shape: [1], dtype: "uint8", scale: 1 });
 * const b = new QuantizedTensor({ q: new Uint8Array([4]), shape: [1], dtype: "uint8", scale: 1 });
 * deepEqual([...add(a, b, { scale: 2, zeroPoint: 0, dtype: "uint8" }, { mode: "float" }).q], [2]); // 2.5 → 2
 * ```
 */
export function add(
  a: QuantizedTensor,
  b: QuantizedTensor,
  out: OutputQuant,
  options: AddOptions = {},
): QuantizedTensor {
  const { shape, qa, qb, za, zb, clampMin, clampMax } = binaryOperands("add", a, b, out, options);
  // int32 codes before the final clamp to the output type; not needed on the kernel path
  let y: Int32Array;
  const mode = options.mode ?? "fixed";
  if (mode === "float") {
    const f = Math.fround;
    const ra = f(a.scale[0] / out.scale), rb = f(b.scale[0] / out.scale);
    if (
      (out.dtype === "int8" || out.dtype === "uint8") && isCodeArray(qa) && isCodeArray(qb) &&
      ra > 0 && rb > 0 && Number.isFinite(ra) && Number.isFinite(rb)
    ) {
      // the same float32 steps on the kernels' WebAssembly SIMD loop (bit for bit)
      const q = addInt8Requantized(qa, qb, {
        aRatio: ra,
        aZeroPoint: za,
        bRatio: rb,
        bZeroPoint: zb,
        outZeroPoint: out.zeroPoint,
        dtype: out.dtype,
        clampMin,
        clampMax,
        out: options.codes?.(out.dtype, qa.length),
      });
      return new QuantizedTensor({
        q,
        shape,
        dtype: out.dtype,
        scale: out.scale,
        zeroPoint: out.zeroPoint,
      });
    }
    y = new Int32Array(qa.length);
    for (let i = 0; i < y.length; i++) {
      const v = f(f(ra * (qa[i] - za)) + f(rb * (qb[i] - zb)));
      y[i] = rneClamp(v, out.zeroPoint, clampMin, clampMax);
    }
  } else if (mode === "fixed") {
    const twiceMax = 2 * Math.max(a.scale[0], b.scale[0]);
    const ma = namedMultiplier(a.scale[0] / twiceMax, "a.scale / (2 · max(a.scale, b.scale))"),
      mb = namedMultiplier(b.scale[0] / twiceMax, "b.scale / (2 · max(a.scale, b.scale))");
    const mo = namedMultiplier(
      twiceMax / (2 ** LEFT_SHIFT * out.scale),
      "2 · max(a.scale, b.scale) / (2^20 · out.scale)",
    );
    const lim = shiftLimit(mo.shift);
    y = new Int32Array(qa.length);
    for (let i = 0; i < y.length; i++) {
      const sa = multiplyByQuantizedMultiplier(
        (qa[i] - za) * 2 ** LEFT_SHIFT,
        ma.multiplier,
        ma.shift,
      );
      const sb = multiplyByQuantizedMultiplier(
        (qb[i] - zb) * 2 ** LEFT_SHIFT,
        mb.multiplier,
        mb.shift,
      );
      if (Math.abs(sa + sb) > lim) throw shiftOverflow("add(a, b, out)", i, sa + sb, mo.shift);
      const v = multiplyByQuantizedMultiplier(sa + sb, mo.multiplier, mo.shift) + out.zeroPoint;
      y[i] = v < clampMin ? clampMin : v > clampMax ? clampMax : v;
    }
  } else throw new RangeError(`options.mode must be "fixed" or "float", got ${String(mode)}`);
  return QuantizedTensor.fromCodes(y, shape, out.dtype, out.scale, { zeroPoint: out.zeroPoint });
}

/** The checked operands of add/mul: broadcast shape, codes per output element, zero points, clamp. */
function binaryOperands(
  op: string,
  a: QuantizedTensor,
  b: QuantizedTensor,
  out: OutputQuant,
  options: AddOptions,
) {
  per("a", a);
  per("b", b);
  checkOutputQuant(out);
  const { shape, ia, ib } = broadcastPlan(op, a, b);
  return {
    shape,
    qa: gathered(a.codes(), ia),
    qb: gathered(b.codes(), ib),
    za: a.zeroPoint[0],
    zb: b.zeroPoint[0],
    ...activationClamp(options.activation ?? "none", out),
  };
}

/** Output shape and per-operand index maps of a broadcast binary op. */
function broadcastPlan(
  op: string,
  a: QuantizedTensor,
  b: QuantizedTensor,
): { shape: number[]; ia: Int32Array | undefined; ib: Int32Array | undefined } {
  const node = { name: op, op, inputs: ["a", "b"], outputs: ["y"], attrs: {} };
  let shape: number[];
  try {
    shape = broadcastShapes(node, [a.shape, b.shape]);
  } catch {
    throw new RangeError(
      `a [${a.shape.join(", ")}] and b [${b.shape.join(", ")}] do not broadcast`,
    );
  }
  return { shape, ia: broadcastIndex(shape, a.shape), ib: broadcastIndex(shape, b.shape) };
}

/** The codes behind every output element (the codes themselves for the identity map). */
function gathered(
  q: Int8Array | Uint8Array | Int32Array,
  index: Int32Array | undefined,
): ArrayLike<number> {
  if (index === undefined) return q;
  const out = new Int32Array(index.length);
  for (let i = 0; i < index.length; i++) out[i] = q[index[i]];
  return out;
}

/**
 * Elementwise product of two quantized tensors with NumPy broadcasting, rescaled to the
 * output grid:
 *
 * - `"float"` (default; onnxruntime's QLinearMul): `y = sat(rne(fl32(fl32(S_a·(a − Z_a)) ·
 *   fl32(S_b·(b − Z_b))) / S_y) + Z_y)`.
 * - `"fixed"` (TFLite's quantized MUL, integer-only): `y = sat(MBQM((a − Z_a)·(b − Z_b),
 *   S_a·S_b/S_y) + Z_y)`.
 *
 * @param a First operand (per-tensor).
 * @param b Second operand (per-tensor), broadcastable with `a` (e.g. an `[N, C, 1, 1]` gate).
 * @param out Output quantization.
 * @param options Activation clamp and mode.
 * @returns The quantized product, of the broadcast shape.
 * @throws {RangeError} On shapes that do not broadcast, per-channel operands or bad output
 *   parameters.
 *
 * @example A squeeze-excitation gate: each channel scaled by its own gate value
 * ```ts
 * import { mul } from "@lowbit/runtime/elementwise";
 * import { QuantizedTensor } from "@lowbit/runtime/quantized-tensor";
 * import { deepEqual } from "node:assert/strict";
 * const x = new QuantizedTensor({ q: new Int8Array([10, 20, 30, 40]), shape: [1, 2, 2, 1], dtype: "int8", scale: 0.5 });
 * const g = new QuantizedTensor({ q: new Uint8Array([255, 128]), shape: [1, 2, 1, 1], dtype: "uint8", scale: 1 / 255 });
 * deepEqual([...mul(x, g, { scale: 0.5, zeroPoint: 0, dtype: "int8" }).q], [10, 20, 15, 20]); // ×1, ×128/255
 * ```
 */
export function mul(
  a: QuantizedTensor,
  b: QuantizedTensor,
  out: OutputQuant,
  options: AddOptions = {},
): QuantizedTensor {
  const blocks = mulByBlocks(a, b, out, options);
  if (blocks) return blocks;
  const { shape, qa, qb, za, zb, clampMin, clampMax } = binaryOperands("mul", a, b, out, options);
  // int32 codes before the final clamp to the output type; not needed on the kernel path
  let y: Int32Array;
  const mode = options.mode ?? "float";
  if (mode === "float") {
    const f = Math.fround, sa = a.scale[0], sb = b.scale[0], sy = f(out.scale);
    if (
      (out.dtype === "int8" || out.dtype === "uint8") && isCodeArray(qa) && isCodeArray(qb)
    ) {
      // the same float32 steps on the kernels' WebAssembly SIMD loop (bit for bit)
      const q = mulInt8Requantized(qa, qb, {
        aScale: sa,
        aZeroPoint: za,
        bScale: sb,
        bZeroPoint: zb,
        outScale: sy,
        outZeroPoint: out.zeroPoint,
        dtype: out.dtype,
        clampMin,
        clampMax,
        out: options.codes?.(out.dtype, qa.length),
      });
      return new QuantizedTensor({
        q,
        shape,
        dtype: out.dtype,
        scale: out.scale,
        zeroPoint: out.zeroPoint,
      });
    }
    y = new Int32Array(qa.length);
    for (let i = 0; i < y.length; i++) {
      const v = f(f(f(sa * (qa[i] - za)) * f(sb * (qb[i] - zb))) / sy);
      y[i] = rneClamp(v, out.zeroPoint, clampMin, clampMax);
    }
  } else if (mode === "fixed") {
    const m = namedMultiplier(
      (a.scale[0] * b.scale[0]) / out.scale,
      "a.scale · b.scale / out.scale",
    );
    const lim = shiftLimit(m.shift);
    y = new Int32Array(qa.length);
    for (let i = 0; i < y.length; i++) {
      const acc = (qa[i] - za) * (qb[i] - zb);
      if (Math.abs(acc) > lim) throw shiftOverflow("mul(a, b, out)", i, acc, m.shift);
      const v = multiplyByQuantizedMultiplier(acc, m.multiplier, m.shift) +
        out.zeroPoint;
      y[i] = v < clampMin ? clampMin : v > clampMax ? clampMax : v;
    }
  } else throw new RangeError(`options.mode must be "fixed" or "float", got ${String(mode)}`);
  return QuantizedTensor.fromCodes(y, shape, out.dtype, out.scale, { zeroPoint: out.zeroPoint });
}

/**
 * The float-mode product when one operand's shape is the other's with trailing 1s (equal
 * shapes, a per-channel gate [N, C, 1, 1] on [N, C, H, W], a scalar): the kernels' loop with
 * b broadcast in blocks, no index maps or gathered copies. The formula is symmetric in a and
 * b, so either may be the small one. Null when the case does not apply.
 */
function mulByBlocks(
  a: QuantizedTensor,
  b: QuantizedTensor,
  out: OutputQuant,
  options: AddOptions,
): QuantizedTensor | null {
  if ((options.mode ?? "float") !== "float" || (out.dtype !== "int8" && out.dtype !== "uint8")) {
    return null;
  }
  per("a", a);
  per("b", b);
  checkOutputQuant(out);
  for (const [x, g] of [[a, b], [b, a]]) {
    const s = x.shape, t = g.shape;
    if (s.length !== t.length) continue;
    let d = s.length;
    while (d > 0 && t[d - 1] === 1) d--;
    let same = true;
    for (let i = 0; i < d; i++) same &&= s[i] === t[i];
    if (!same) continue;
    const qx = x.codes(), qg = g.codes();
    if (!isCodeArray(qx) || !isCodeArray(qg) || qx.length === 0 || qg.length === 0) return null;
    const { clampMin, clampMax } = activationClamp(options.activation ?? "none", out);
    const q = mulInt8Requantized(qx, qg, {
      aScale: x.scale[0],
      aZeroPoint: x.zeroPoint[0],
      bScale: g.scale[0],
      bZeroPoint: g.zeroPoint[0],
      outScale: Math.fround(out.scale),
      outZeroPoint: out.zeroPoint,
      dtype: out.dtype,
      clampMin,
      clampMax,
      bInner: qx.length / qg.length,
      out: options.codes?.(out.dtype, qx.length),
    });
    return new QuantizedTensor({
      q,
      shape: [...s],
      dtype: out.dtype,
      scale: out.scale,
      zeroPoint: out.zeroPoint,
    });
  }
  return null;
}

/** Whether codes are in one of the arrays the kernels' elementwise loops take. */
function isCodeArray(x: ArrayLike<number>): x is Int8Array | Uint8Array | Int32Array {
  return x instanceof Int8Array || x instanceof Uint8Array || x instanceof Int32Array;
}

/** rne(v) + zp, clamped. */
function rneClamp(v: number, zp: number, lo: number, hi: number): number {
  const f = Math.floor(v), d = v - f;
  const r = (d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f) + zp;
  return r < lo ? lo : r > hi ? hi : r;
}

/**
 * Concatenation along an axis, each input requantized to the output's scale and zero point.
 *
 * @param inputs Per-tensor quantized tensors whose shapes agree except along `axis`.
 * @param axis The concatenation axis (negative counts from the end).
 * @param out Output quantization.
 * @param options Mode (default `"fixed"`).
 * @returns The concatenated tensor.
 * @throws {RangeError} On an empty list, mismatched shapes, a bad axis or output parameters.
 *
 * @example
 * ```ts
 * import { concat } from "@lowbit/runtime/elementwise";
 * import { QuantizedTensor } from "@lowbit/runtime/quantized-tensor";
 * import { deepEqual } from "node:assert/strict";
 * const a = new QuantizedTensor({ q: new Uint8Array([10, 20]), shape: [2, 1], dtype: "uint8", scale: 1, zeroPoint: 10 });
 * const b = new QuantizedTensor({ q: new Uint8Array([7, 9]), shape: [2, 1], dtype: "uint8", scale: 2 });
 * deepEqual([...concat([a, b], 1, { scale: 1, zeroPoint: 10, dtype: "uint8" }).q], [10, 24, 20, 28]);
 * ```
 */
export function concat(
  inputs: readonly QuantizedTensor[],
  axis: number,
  out: OutputQuant,
  options: { mode?: RequantMode } = {},
): QuantizedTensor {
  if (!Array.isArray(inputs) || inputs.length === 0) {
    throw new RangeError("inputs must be a non-empty array");
  }
  inputs.forEach((t, i) => per(`inputs[${i}]`, t));
  checkOutputQuant(out);
  const rank = inputs[0].shape.length;
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new RangeError(`axis must be an integer in [${-rank}, ${rank - 1}], got ${axis}`);
  }
  const ax = axis < 0 ? axis + rank : axis;
  for (const [i, t] of inputs.entries()) {
    if (
      t.shape.length !== rank ||
      t.shape.some((d: number, j: number) => j !== ax && d !== inputs[0].shape[j])
    ) {
      throw new RangeError(
        `inputs[${i}] has shape [${t.shape.join(", ")}], which does not concatenate with [${
          inputs[0].shape.join(", ")
        }] along ${ax}`,
      );
    }
  }
  const outer = inputs[0].shape.slice(0, ax).reduce((x: number, v: number) => x * v, 1);
  const shape = [...inputs[0].shape];
  shape[ax] = inputs.reduce((s, t) => s + t.shape[ax], 0);
  const inner = shape.slice(ax + 1).reduce((x, y) => x * y, 1);
  const { min, max } = DTYPE_RANGE[out.dtype];
  const mode = options.mode ?? "fixed";
  if (mode !== "fixed" && mode !== "float") {
    throw new RangeError(`options.mode must be "fixed" or "float", got ${String(mode)}`);
  }
  const y = new Int32Array(shape.reduce((x, v) => x * v, 1));
  const rowLen = shape[ax] * inner;
  let offset = 0;
  for (const t of inputs) {
    const q = t.codes(), z = t.zeroPoint[0], len = t.shape[ax] * inner;
    const same = t.scale[0] === Math.fround(out.scale) && z === out.zeroPoint;
    const m = namedMultiplier(t.scale[0] / out.scale, "inputs[i].scale / out.scale");
    const lim = shiftLimit(m.shift);
    const r = Math.fround(t.scale[0] / out.scale);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < len; i++) {
        const v = q[o * len + i];
        let c: number;
        if (same) c = v;
        else if (mode === "fixed") {
          if (Math.abs(v - z) > lim) {
            throw shiftOverflow("concat(inputs, axis, out)", o * len + i, v - z, m.shift);
          }
          c = multiplyByQuantizedMultiplier(v - z, m.multiplier, m.shift) + out.zeroPoint;
        } else c = rneClamp(Math.fround(Math.fround(v - z) * r), out.zeroPoint, min, max);
        y[o * rowLen + offset + i] = c < min ? min : c > max ? max : c;
      }
    }
    offset += len;
  }
  return QuantizedTensor.fromCodes(y, shape, out.dtype, out.scale, { zeroPoint: out.zeroPoint });
}
