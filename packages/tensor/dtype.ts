/**
 * Element types of a {@linkcode Tensor}: names, storage typed arrays, ranges and the one
 * conversion rule from a JavaScript number into a dtype.
 *
 * | dtype | storage | values |
 * |---|---|---|
 * | `"f32"` | `Float32Array` | IEEE binary32 |
 * | `"f64"` | `Float64Array` | IEEE binary64 |
 * | `"f16"` | `Uint16Array` | IEEE binary16 **bit patterns** (read and written as numbers) |
 * | `"i8"`, `"u8"`, `"i16"`, `"u16"`, `"i32"`, `"u32"` | the matching integer array | integers |
 *
 * Conversion into an integer dtype rounds half to even and saturates to the dtype's range
 * (NaN becomes 0), the rule quantizers need; typed-array assignment would instead truncate and
 * wrap around. Conversion into `"f32"` and `"f16"` rounds to nearest, ties to even, with
 * overflow to ±Infinity.
 *
 * @module
 */

import { f16BitsFromNumber } from "./_f16.ts";

/** The element type of a tensor. `"f16"` stores IEEE binary16 bit patterns in a Uint16Array. */
export type DType = "f32" | "f64" | "i8" | "u8" | "i16" | "u16" | "i32" | "u32" | "f16";

/** The storage typed array of each {@linkcode DType}. */
export interface TypedArrayMap {
  /** IEEE binary32. */
  f32: Float32Array;
  /** IEEE binary64. */
  f64: Float64Array;
  /** Signed 8-bit integers. */
  i8: Int8Array;
  /** Unsigned 8-bit integers. */
  u8: Uint8Array;
  /** Signed 16-bit integers. */
  i16: Int16Array;
  /** Unsigned 16-bit integers. */
  u16: Uint16Array;
  /** Signed 32-bit integers. */
  i32: Int32Array;
  /** Unsigned 32-bit integers. */
  u32: Uint32Array;
  /** IEEE binary16 bit patterns. */
  f16: Uint16Array;
}

/** The storage typed array of the dtype `D` (`TypedArrayFor<"f16">` is `Uint16Array`). */
export type TypedArrayFor<D extends DType> = TypedArrayMap[D];

/** Any storage typed array of a tensor. */
export type TypedArray = TypedArrayMap[DType];

/** The dtype {@linkcode dtypeOf} reports for a typed array type (`Uint16Array` is `"u16"`). */
export type DTypeOf<A extends TypedArray> = A extends Float32Array ? "f32"
  : A extends Float64Array ? "f64"
  : A extends Int8Array ? "i8"
  : A extends Uint8Array ? "u8"
  : A extends Int16Array ? "i16"
  : A extends Uint16Array ? "u16"
  : A extends Int32Array ? "i32"
  : A extends Uint32Array ? "u32"
  : never;

/** A constructor of the storage typed array of dtype `D`. */
export interface TypedArrayConstructorFor<D extends DType> {
  /** Allocates `length` zeroed elements. */
  new (length: number): TypedArrayFor<D>;
  /** Bytes per element. */
  readonly BYTES_PER_ELEMENT: number;
}

/**
 * The storage typed array constructor of every dtype.
 *
 * @example Allocating storage
 * ```ts
 * import { TYPED_ARRAYS } from "@lowbit/tensor/dtype";
 * import { equal } from "node:assert/strict";
 * const bits = new TYPED_ARRAYS.f16(3);
 * equal(bits.constructor, Uint16Array);
 * equal(TYPED_ARRAYS.i8.BYTES_PER_ELEMENT, 1);
 * ```
 */
export const TYPED_ARRAYS: { readonly [D in DType]: TypedArrayConstructorFor<D> } = Object
  .freeze({
    f32: Float32Array,
    f64: Float64Array,
    i8: Int8Array,
    u8: Uint8Array,
    i16: Int16Array,
    u16: Uint16Array,
    i32: Int32Array,
    u32: Uint32Array,
    f16: Uint16Array,
  });

/**
 * Every {@linkcode DType}, in a fixed order.
 *
 * @example Listing the dtypes
 * ```ts
 * import { DTYPES } from "@lowbit/tensor/dtype";
 * import { equal } from "node:assert/strict";
 * equal(DTYPES.length, 9);
 * equal(DTYPES[0], "f32");
 * ```
 */
export const DTYPES: readonly DType[] = Object.freeze([
  "f32",
  "f64",
  "i8",
  "u8",
  "i16",
  "u16",
  "i32",
  "u32",
  "f16",
]);

/**
 * Checks that a value names a {@linkcode DType}.
 *
 * @param dtype The value to check.
 * @param name The argument name used in the error message.
 * @returns The same value, typed as a dtype.
 * @throws {RangeError} If `dtype` is not one of {@linkcode DTYPES}.
 *
 * @example Validating input
 * ```ts
 * import { assertDType } from "@lowbit/tensor/dtype";
 * import { equal, throws } from "node:assert/strict";
 * equal(assertDType("i8"), "i8");
 * throws(() => assertDType("int8"), /dtype must be one of/);
 * ```
 */
export function assertDType(dtype: unknown, name = "dtype"): DType {
  if (typeof dtype !== "string" || !(DTYPES as readonly string[]).includes(dtype)) {
    throw new RangeError(
      `${name} must be one of ${DTYPES.map((d) => `"${d}"`).join(", ")}; got ${
        typeof dtype === "string" ? `"${dtype}"` : String(dtype)
      }`,
    );
  }
  return dtype as DType;
}

/**
 * The dtype of a typed array: the one whose storage it is. A `Uint16Array` is `"u16"`; to treat
 * one as binary16 bits, say `"f16"` explicitly where a dtype is asked for.
 *
 * @param array A typed array.
 * @returns Its dtype.
 * @throws {TypeError} If `array` is not a Float32/Float64/Int8/Uint8/Int16/Uint16/Int32/Uint32
 * array (Uint8ClampedArray, Float16Array and BigInt arrays are not tensor storage).
 *
 * @example Naming storage
 * ```ts
 * import { dtypeOf } from "@lowbit/tensor/dtype";
 * import { equal } from "node:assert/strict";
 * equal(dtypeOf(new Float32Array(2)), "f32");
 * equal(dtypeOf(new Int8Array(2)), "i8");
 * equal(dtypeOf(new Uint16Array(2)), "u16");
 * ```
 */
export function dtypeOf<A extends TypedArray>(array: A): DTypeOf<A> {
  const ctor = (array as { constructor?: unknown } | null | undefined)?.constructor;
  for (const d of DTYPES) {
    if (d !== "f16" && ctor === TYPED_ARRAYS[d]) return d as DTypeOf<A>;
  }
  throw new TypeError(
    `array must be a Float32Array, Float64Array, Int8Array, Uint8Array, Int16Array, ` +
      `Uint16Array, Int32Array or Uint32Array; got ${describe(array)}`,
  );
}

/**
 * Whether a dtype holds floating-point values (`"f16"`, `"f32"`, `"f64"`).
 *
 * @param dtype A dtype.
 * @returns `true` for the float dtypes.
 *
 * @example
 * ```ts
 * import { isFloatDType } from "@lowbit/tensor/dtype";
 * import { equal } from "node:assert/strict";
 * equal(isFloatDType("f16"), true);
 * equal(isFloatDType("u8"), false);
 * ```
 */
export function isFloatDType(dtype: DType): boolean {
  return dtype === "f32" || dtype === "f64" || dtype === "f16";
}

/**
 * The range of an integer dtype.
 *
 * @param dtype An integer dtype.
 * @returns `{ min, max }`, the smallest and largest storable values.
 * @throws {RangeError} If `dtype` is a float dtype.
 *
 * @example
 * ```ts
 * import { integerRange } from "@lowbit/tensor/dtype";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(integerRange("i8"), { min: -128, max: 127 });
 * deepEqual(integerRange("u32"), { min: 0, max: 4294967295 });
 * ```
 */
export function integerRange(dtype: DType): { min: number; max: number } {
  switch (dtype) {
    case "i8":
      return { min: -128, max: 127 };
    case "u8":
      return { min: 0, max: 255 };
    case "i16":
      return { min: -32768, max: 32767 };
    case "u16":
      return { min: 0, max: 65535 };
    case "i32":
      return { min: -2147483648, max: 2147483647 };
    case "u32":
      return { min: 0, max: 4294967295 };
    default:
      throw new RangeError(
        `dtype must be an integer dtype ("i8", "u8", "i16", "u16", "i32", "u32"); got "${dtype}"`,
      );
  }
}

/**
 * Converts a number to the value a dtype stores for it (for `"f16"`: the bit pattern).
 *
 * - integer dtypes: round half to even, then saturate to the range; NaN → 0, ±∞ → max/min;
 * - `"f32"`: nearest binary32, ties to even (`Math.fround`);
 * - `"f16"`: the bit pattern of the nearest binary16, ties to even, overflow → ±∞;
 * - `"f64"`: unchanged.
 *
 * @param value The number to convert.
 * @param dtype The target dtype.
 * @returns The storage value.
 *
 * @example Rounding and saturating into int8
 * ```ts
 * import { castNumber } from "@lowbit/tensor/dtype";
 * import { deepEqual, equal } from "node:assert/strict";
 * deepEqual([2.5, 3.5, -2.5, 300, -300, NaN].map((x) => castNumber(x, "i8")), [2, 4, -2, 127, -128, 0]);
 * equal(castNumber(1, "f16"), 0x3c00);
 * equal(castNumber(0.1, "f32"), 0.10000000149011612);
 * ```
 */
export function castNumber(value: number, dtype: DType): number {
  switch (dtype) {
    case "f64":
      return value;
    case "f32":
      return Math.fround(value);
    case "f16":
      return f16BitsFromNumber(value);
    default: {
      if (value !== value) return 0;
      const { min, max } = integerRange(dtype);
      if (value <= min) return min;
      if (value >= max) return max;
      const r = Math.round(value);
      return r - value === 0.5 && r % 2 !== 0 ? r - 1 : r === 0 ? 0 : r;
    }
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") {
    return (value as { constructor?: { name?: string } }).constructor?.name ?? "object";
  }
  return typeof value;
}
