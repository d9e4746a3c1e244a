/**
 * The quantized tensor of the integer runtime (Jacob et al. 2018 §2.1, the seed's
 * `QuantizedBuffer {q, S, Z}`): integer codes q with the affine map `r = S·(q − Z)`, one
 * (S, Z) per tensor or one per slice along a channel axis.
 *
 * Storage: `int8` → Int8Array, `uint8` → Uint8Array, `int32` → Int32Array (biases and
 * accumulators), `int4`/`uint4` → two codes per byte packed by `@lowbit/numerics` `packBits`
 * (element 0 in the low nibble, as ONNX INT4). Construction validates everything: scales must
 * be finite and > 0, zero points integers inside the storage type, per-channel arrays exactly as
 * long as the axis, the code array as long as the shape says.
 *
 * @example Per-channel int8 weights
 * ```ts
 * import { QuantizedTensor } from "@lowbit/runtime/quantized-tensor";
 * import { deepEqual } from "node:assert/strict";
 * const w = new QuantizedTensor({
 *   q: new Int8Array([10, -20, 3, 4]), shape: [2, 2], dtype: "int8",
 *   scale: new Float32Array([0.5, 0.25]), zeroPoint: new Int32Array([0, 0]), axis: 0,
 * });
 * deepEqual([...w.dequantize()], [5, -10, 0.75, 1]);
 * ```
 *
 * @module
 */

import { packBits, unpackBits } from "@lowbit/numerics/packing";

/** Storage types of quantized codes. */
export type QuantizedDType = "int8" | "uint8" | "int32" | "int4" | "uint4";

/** Typed storage of codes (int4/uint4 are packed two per byte in a Uint8Array). */
export type QuantizedStorage = Int8Array | Uint8Array | Int32Array;

/** The inclusive code range of each storage type. */
export const DTYPE_RANGE: Readonly<Record<QuantizedDType, { min: number; max: number }>> = {
  int8: { min: -128, max: 127 },
  uint8: { min: 0, max: 255 },
  int32: { min: -2147483648, max: 2147483647 },
  int4: { min: -8, max: 7 },
  uint4: { min: 0, max: 15 },
};

/** What {@linkcode QuantizedTensor}'s constructor takes. */
export interface QuantizedTensorInit {
  /** The codes (row-major); int4/uint4 packed two per byte. */
  q: QuantizedStorage;
  /** The dimensions. */
  shape: readonly number[];
  /** Storage type of the codes. */
  dtype: QuantizedDType;
  /** Scale: one number (per-tensor) or one per slice along `axis`. */
  scale: number | Float32Array;
  /** Zero point: one integer or one per slice along `axis` (default 0). */
  zeroPoint?: number | Int32Array;
  /** Channel axis of per-channel parameters (negative counts from the end). */
  axis?: number;
}

function storageFor(
  dtype: QuantizedDType,
): typeof Int8Array | typeof Uint8Array | typeof Int32Array {
  return dtype === "int8" ? Int8Array : dtype === "int32" ? Int32Array : Uint8Array;
}

/** The number of storage elements `length` codes of `dtype` occupy. */
export function storageLength(dtype: QuantizedDType, length: number): number {
  return dtype === "int4" || dtype === "uint4" ? Math.ceil(length / 2) : length;
}

function checkDType(dtype: unknown): QuantizedDType {
  if (typeof dtype !== "string" || !(dtype in DTYPE_RANGE)) {
    throw new RangeError(
      `dtype must be "int8", "uint8", "int32", "int4" or "uint4", got ${String(dtype)}`,
    );
  }
  return dtype as QuantizedDType;
}

/**
 * Checks scales: finite and > 0 (float32 values).
 *
 * @param name The argument name for the error message.
 * @param scale One scale or several.
 * @returns The scales as a Float32Array (a new array for a number).
 * @throws {RangeError} When a scale is ≤ 0, NaN or infinite (the message names its index).
 *
 * @example
 * ```ts
 * import { checkScales } from "@lowbit/runtime/quantized-tensor";
 * import { throws } from "node:assert/strict";
 * throws(() => checkScales("scale", new Float32Array([0.1, 0])), RangeError);
 * ```
 */
export function checkScales(name: string, scale: number | Float32Array): Float32Array {
  const s = typeof scale === "number" ? Float32Array.of(scale) : scale;
  if (!(s instanceof Float32Array)) {
    throw new TypeError(`${name} must be a number or a Float32Array`);
  }
  for (let i = 0; i < s.length; i++) {
    if (!(s[i] > 0) || !Number.isFinite(s[i])) {
      throw new RangeError(
        `${name}${s.length > 1 ? `[${i}]` : ""} must be finite and > 0, got ${s[i]}`,
      );
    }
  }
  if (typeof scale === "number" && s[0] === 0) {
    throw new RangeError(`${name} must be finite and > 0 as a float32, got ${scale}`);
  }
  return s;
}

/**
 * Checks zero points: integers inside the storage type's range.
 *
 * @param name The argument name for the error message.
 * @param zeroPoint One zero point or several.
 * @param dtype The storage type whose range they must lie in.
 * @returns The zero points as an Int32Array (a new array for a number).
 * @throws {RangeError} When a zero point is not an integer inside the range.
 *
 * @example
 * ```ts
 * import { checkZeroPoints } from "@lowbit/runtime/quantized-tensor";
 * import { throws } from "node:assert/strict";
 * throws(() => checkZeroPoints("zeroPoint", 128, "int8"), RangeError);
 * ```
 */
export function checkZeroPoints(
  name: string,
  zeroPoint: number | Int32Array,
  dtype: QuantizedDType,
): Int32Array {
  const { min, max } = DTYPE_RANGE[checkDType(dtype)];
  if (typeof zeroPoint === "number") {
    if (!Number.isInteger(zeroPoint) || zeroPoint < min || zeroPoint > max) {
      throw new RangeError(
        `${name} must be an integer in [${min}, ${max}] for ${dtype}, got ${zeroPoint}`,
      );
    }
    return Int32Array.of(zeroPoint);
  }
  if (!(zeroPoint instanceof Int32Array)) {
    throw new TypeError(`${name} must be a number or an Int32Array`);
  }
  for (let i = 0; i < zeroPoint.length; i++) {
    if (zeroPoint[i] < min || zeroPoint[i] > max) {
      throw new RangeError(
        `${name}[${i}] must be in [${min}, ${max}] for ${dtype}, got ${zeroPoint[i]}`,
      );
    }
  }
  return zeroPoint;
}

/** Integer codes with their scale(s) and zero point(s): `r = S·(q − Z)`. */
export class QuantizedTensor {
  /** The codes (int4/uint4: packed two per byte, low nibble first). */
  readonly q: QuantizedStorage;
  /** The dimensions. */
  readonly shape: readonly number[];
  /** Storage type. */
  readonly dtype: QuantizedDType;
  /** Scales: length 1 (per-tensor) or the size of `axis`. */
  readonly scale: Float32Array;
  /** Zero points, same length as `scale`. */
  readonly zeroPoint: Int32Array;
  /** The channel axis (non-negative) for per-channel parameters, else undefined. */
  readonly axis: number | undefined;

  /**
   * Validates and wraps codes and parameters.
   *
   * @param init Codes, shape, dtype, scale(s), zero point(s), axis.
   * @throws {RangeError} On a bad dtype, shape, scale (≤ 0 or NaN), zero point outside the
   *   storage type, per-channel arrays whose length differs from the axis size, an axis out of
   *   range, or a code array of the wrong length.
   * @throws {TypeError} When `q` is not the storage type's typed array.
   *
   * @example
   * ```ts
   * import { QuantizedTensor } from "@lowbit/runtime/quantized-tensor";
   * import { throws } from "node:assert/strict";
   * throws(() => new QuantizedTensor({ q: new Uint8Array(2), shape: [2], dtype: "uint8", scale: -1 }), RangeError);
   * ```
   */
  constructor(init: QuantizedTensorInit) {
    if (init === null || typeof init !== "object") throw new TypeError("init must be an object");
    const dtype = checkDType(init.dtype);
    const shape = [...init.shape];
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) {
        throw new RangeError(`shape must hold non-negative integers, got [${shape.join(", ")}]`);
      }
    }
    const size = shape.reduce((a, b) => a * b, 1);
    const Storage = storageFor(dtype);
    if (!(init.q instanceof Storage)) {
      throw new TypeError(
        `q must be a ${Storage.name} for dtype ${dtype}, got ${init.q?.constructor?.name}`,
      );
    }
    const want = storageLength(dtype, size);
    if (init.q.length !== want) {
      throw new RangeError(
        `q must hold ${want} elements for shape [${
          shape.join(", ")
        }] (${dtype}), got ${init.q.length}`,
      );
    }
    const scale = checkScales("scale", init.scale);
    const zeroPoint = checkZeroPoints("zeroPoint", init.zeroPoint ?? 0, dtype);
    let axis: number | undefined;
    if (init.axis !== undefined) {
      if (!Number.isInteger(init.axis) || init.axis < -shape.length || init.axis >= shape.length) {
        throw new RangeError(
          `axis must be an integer in [${-shape.length}, ${shape.length - 1}], got ${init.axis}`,
        );
      }
      axis = init.axis < 0 ? init.axis + shape.length : init.axis;
      const dim = shape[axis];
      if (scale.length !== dim) {
        throw new RangeError(
          `scale must have one value per slice of axis ${axis} (${dim}), got ${scale.length}`,
        );
      }
      if (typeof init.zeroPoint === "object" && zeroPoint.length !== dim) {
        throw new RangeError(
          `zeroPoint must have one value per slice of axis ${axis} (${dim}), got ${zeroPoint.length}`,
        );
      }
    } else if (scale.length !== 1 || zeroPoint.length !== 1) {
      throw new RangeError(
        `per-tensor parameters need exactly one scale and zero point (got ${scale.length} and ${zeroPoint.length}); pass axis for per-channel`,
      );
    }
    this.q = init.q;
    this.shape = shape;
    this.dtype = dtype;
    this.scale = scale;
    this.zeroPoint = axis !== undefined && typeof init.zeroPoint !== "object"
      ? new Int32Array(shape[axis]).fill(zeroPoint[0])
      : zeroPoint;
    this.axis = axis;
  }

  /** Number of elements. */
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** Whether the parameters are per-channel. */
  get perChannel(): boolean {
    return this.axis !== undefined;
  }

  /**
   * The codes as plain integers (unpacks int4/uint4; copies nothing for other types).
   *
   * @returns The codes, one element per tensor element.
   *
   * @example
   * ```ts
   * import { QuantizedTensor } from "@lowbit/runtime/quantized-tensor";
   * import { deepEqual } from "node:assert/strict";
   * const t = QuantizedTensor.fromCodes(new Int32Array([-8, 7, 3]), [3], "int4", 1);
   * deepEqual([...t.codes()], [-8, 7, 3]);
   * ```
   */
  codes(): Int8Array | Uint8Array | Int32Array {
    if (this.dtype === "int4" || this.dtype === "uint4") {
      return unpackBits(this.q as Uint8Array, 4, this.size, { signed: this.dtype === "int4" });
    }
    return this.q;
  }

  /**
   * The (inner, dim, outer) layout of the channel axis: element i belongs to channel
   * `⌊i / inner⌋ mod dim`.
   *
   * @returns `inner` (product of dimensions after the axis) and `dim` (1 when per-tensor).
   *
   * @example
   * ```ts
   * import { QuantizedTensor } from "@lowbit/runtime/quantized-tensor";
   * import { deepEqual } from "node:assert/strict";
   * const t = new QuantizedTensor({ q: new Int8Array(6), shape: [2, 3], dtype: "int8", scale: new Float32Array([1, 1, 1]), axis: 1 });
   * deepEqual(t.channelLayout(), { inner: 1, dim: 3 });
   * ```
   */
  channelLayout(): { inner: number; dim: number } {
    if (this.axis === undefined) return { inner: this.size, dim: 1 };
    let inner = 1;
    for (let d = this.axis + 1; d < this.shape.length; d++) inner *= this.shape[d];
    return { inner, dim: this.shape[this.axis] };
  }

  /**
   * Real values `S·(q − Z)` in float32, as ONNX DequantizeLinear / onnxruntime compute them:
   * the integer difference rounded to float32 (exact below 2^24), then one float32 product.
   *
   * @returns A new Float32Array.
   *
   * @example
   * ```ts
   * import { QuantizedTensor } from "@lowbit/runtime/quantized-tensor";
   * import { deepEqual } from "node:assert/strict";
   * const t = new QuantizedTensor({ q: new Uint8Array([128, 130]), shape: [2], dtype: "uint8", scale: 0.5, zeroPoint: 128 });
   * deepEqual([...t.dequantize()], [0, 1]);
   * ```
   */
  dequantize(): Float32Array {
    const q = this.codes();
    const out = new Float32Array(q.length);
    const { inner, dim } = this.channelLayout();
    for (let i = 0; i < q.length; i++) {
      const c = dim === 1 ? 0 : Math.floor(i / inner) % dim;
      // int32 difference, rounded to float32, times the float32 scale (onnxruntime's order).
      out[i] = Math.fround(q[i] - this.zeroPoint[c]) * this.scale[c];
    }
    return out;
  }

  /**
   * Builds a tensor from unpacked integer codes, packing int4/uint4 and narrowing the storage.
   *
   * @param codes Integer codes, one per element, inside the dtype's range.
   * @param shape The dimensions.
   * @param dtype Storage type.
   * @param scale Scale(s).
   * @param options Zero point(s) and axis.
   * @returns The tensor.
   * @throws {RangeError} When a code is outside the dtype's range, or as the constructor.
   *
   * @example int4 codes are packed two per byte
   * ```ts
   * import { QuantizedTensor } from "@lowbit/runtime/quantized-tensor";
   * import { deepEqual } from "node:assert/strict";
   * const t = QuantizedTensor.fromCodes(new Int32Array([1, -1, 2]), [3], "int4", 0.5);
   * deepEqual([...t.q], [0xf1, 0x02]);
   * ```
   */
  static fromCodes(
    codes: ArrayLike<number>,
    shape: readonly number[],
    dtype: QuantizedDType,
    scale: number | Float32Array,
    options: { zeroPoint?: number | Int32Array; axis?: number } = {},
  ): QuantizedTensor {
    const { min, max } = DTYPE_RANGE[checkDType(dtype)];
    for (let i = 0; i < codes.length; i++) {
      const v = codes[i];
      if (!Number.isInteger(v) || v < min || v > max) {
        throw new RangeError(
          `codes[${i}] must be an integer in [${min}, ${max}] for ${dtype}, got ${v}`,
        );
      }
    }
    const q = dtype === "int4" || dtype === "uint4"
      ? packBits(codes, 4, { signed: dtype === "int4" })
      : storageFor(dtype).from(codes as ArrayLike<number>);
    return new QuantizedTensor({ q, shape, dtype, scale, ...options });
  }
}
