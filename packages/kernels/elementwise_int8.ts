/**
 * Elementwise int8 multiplication with requantization (onnxruntime `QLinearMul`, float
 * semantics): `y_i = clamp(rne(f32(f32(f32(s_a·(a_i − z_a)) · f32(s_b·(b_i − z_b))) / s_y)) + z_y)`
 * — every step one float32 operation, round half to even, clamp to the output type (or a
 * fused ReLU/ReLU6 clamp in code units). The WebAssembly SIMD kernel does four lanes per
 * step with the same float32 operations and equals the TypeScript reference bit for bit.
 * Broadcasting is the caller's: both operands have one code per output element (an
 * `Int32Array` may hold codes gathered from a smaller tensor). {@link lookup8} applies a
 * 256-entry table to 8-bit codes (lookup-table activations), {@link clamp8} clamps them.
 *
 * @example A gate of 128/255 on int8 codes
 * ```ts
 * import { mulInt8Requantized } from "@lowbit/kernels/elementwise-int8";
 * import { deepEqual } from "node:assert/strict";
 * const y = mulInt8Requantized(new Int8Array([10, 20]), new Uint8Array([255, 128]), {
 *   aScale: 0.5, bScale: 1 / 255, outScale: 0.5, dtype: "int8",
 * });
 * deepEqual([...y], [10, 10]); // 5·1 / 0.5; 10·(128/255) / 0.5 = 10.04 → 10
 * ```
 *
 * @module
 */

import { checkIntRange, checkType } from "./_validate.ts";
import type { KernelChoice } from "./gemm_f32.ts";
import { Arena, kernels, reserve } from "./_wasm.ts";
import { checkKernel } from "./_conv_common.ts";

/**
 * The Wasm kernels a kernel choice asks for: `null` for `"ts"` or where Wasm SIMD is not
 * validated under `"auto"`; a RangeError naming `name` for `"wasm"` there.
 */
function kernelsFor(kernel: KernelChoice | undefined, name: string): ReturnType<typeof kernels> {
  const k = checkKernel(kernel);
  const w = k === "ts" ? null : kernels();
  if (k === "wasm" && !w) {
    throw new RangeError(`${name} is "wasm" but this runtime does not validate Wasm SIMD`);
  }
  return w;
}

/** Codes of one operand: int8, uint8, or int32 (e.g. gathered for broadcasting). */
export type CodesOperand = Int8Array | Uint8Array | Int32Array;

/** Options of {@link mulInt8Requantized}. */
export interface MulInt8Options {
  /** Scale of a (positive; taken as float32). */
  aScale: number;
  /** Zero point of a. Default 0. */
  aZeroPoint?: number;
  /** Scale of b (positive; taken as float32). */
  bScale: number;
  /** Zero point of b. Default 0. */
  bZeroPoint?: number;
  /** Output scale (positive; taken as float32). */
  outScale: number;
  /** Output zero point, inside the output type. Default 0. */
  outZeroPoint?: number;
  /** Output type. */
  dtype: "int8" | "uint8";
  /** Smallest output code (a fused activation). Default the type's minimum. */
  clampMin?: number;
  /** Largest output code. Default the type's maximum. */
  clampMax?: number;
  /** Output codes (length ≥ n, the type of `dtype`); allocated when omitted. */
  out?: Int8Array | Uint8Array;
  /**
   * Each code of b covers this many consecutive outputs (b.length · bInner = a.length): a
   * per-channel gate on NCHW codes has bInner = H·W. Default 1.
   */
  bInner?: number;
  /** Implementation. Default `"auto"`. */
  kernel?: KernelChoice;
}

function scale(name: string, v: unknown): number {
  if (typeof v !== "number" || !(v > 0) || !Number.isFinite(v)) {
    throw new RangeError(`${name} must be a positive finite number, got ${String(v)}`);
  }
  return Math.fround(v);
}

/**
 * Checks that `s · (q − z)` stays finite in float32 for every code q of the operand's type
 * (else a product could be 0 · ∞ or a sum ∞ − ∞, a NaN with no code).
 */
function finiteTerms(name: string, s: number, codes: CodesOperand, z: number): void {
  const [lo, hi] = codes instanceof Int8Array
    ? [-128, 127]
    : codes instanceof Uint8Array
    ? [0, 255]
    : [-(2 ** 31), 2 ** 31 - 1];
  const d = Math.max(hi - z, z - lo);
  if (!Number.isFinite(Math.fround(s * d))) {
    throw new RangeError(
      `${name} = ${s} times a code difference of up to ${d} overflows float32`,
    );
  }
}

const TYPE: [new (n: number) => CodesOperand, number][] = [
  [Int8Array, 0],
  [Uint8Array, 1],
  [Int32Array, 2],
];

/**
 * Multiplies two code arrays elementwise and requantizes the products.
 *
 * @param a Codes of a (one per output element).
 * @param b Codes of b (same length as a).
 * @param options Scales, zero points, output type, clamp, output, kernel.
 * @returns The output codes (`options.out` when given).
 * @throws {RangeError} On lengths that do not match (`a.length = b.length · bInner`), scales
 *   that are not positive and finite (or so large that a scale times a code difference
 *   overflows float32), zero
 *   points or clamps outside the output type, or a short output.
 * @throws {TypeError} When an operand is not an Int8Array, Uint8Array or Int32Array.
 *
 * @example A fused ReLU clamp in code units
 * ```ts
 * import { mulInt8Requantized } from "@lowbit/kernels/elementwise-int8";
 * import { deepEqual } from "node:assert/strict";
 * const y = mulInt8Requantized(new Int8Array([-4, 4, 3]), new Int8Array([1, 1, 1]), {
 *   aScale: 1, bScale: 1, outScale: 2, dtype: "uint8", outZeroPoint: 10, clampMin: 10,
 * });
 * deepEqual([...y], [10, 12, 12]); // −2 → clamped to the zero point; 2; 1.5 → 2 (ties to even)
 * ```
 */
export function mulInt8Requantized(
  a: CodesOperand,
  b: CodesOperand,
  options: MulInt8Options,
): Int8Array | Uint8Array {
  if (options === null || typeof options !== "object") {
    throw new TypeError("options must be an object with the scales and dtype");
  }
  const inner = checkIntRange("options.bInner", options.bInner ?? 1, 1, 2 ** 31 - 1);
  const { n, za, zb, zp, lo, hi, out, w } = resolveCodes(a, b, options, inner);
  const sa = scale("options.aScale", options.aScale);
  const sb = scale("options.bScale", options.bScale);
  const sy = scale("options.outScale", options.outScale);
  finiteTerms("options.aScale", sa, a, za);
  finiteTerms("options.bScale", sb, b, zb);
  const dtype = options.dtype;
  if (!w) {
    const f = Math.fround;
    for (let i = 0; i < n; i++) {
      let v = f(f(f(sa * (a[i] - za)) * f(sb * (b[(i / inner) | 0] - zb))) / sy);
      v = v < lo - zp ? lo - zp : v > hi - zp ? hi - zp : v;
      let r = Math.floor(v + 0.5);
      if (r - v === 0.5 && (r & 1) !== 0) r -= 1; // tie: to even
      out[i] = r + zp;
    }
    return out;
  }
  const { aAt, ta, bAt, tb, dAt, u8 } = stage(w, a, b, n);
  const unsigned = dtype === "uint8" ? 1 : 0;
  if (inner === 1) w.ew.mul_q(aAt, ta, bAt, tb, n, za, sa, zb, sb, sy, zp, lo, hi, dAt, unsigned);
  else {
    w.ew.mul_q_blocks(
      aAt,
      ta,
      bAt,
      tb,
      b.length,
      inner,
      za,
      sa,
      zb,
      sb,
      sy,
      zp,
      lo,
      hi,
      dAt,
      unsigned,
    );
  }
  new Uint8Array(out.buffer, out.byteOffset, n).set(u8.subarray(dAt, dAt + n));
  return out;
}

/**
 * Table lookup on 8-bit codes: `out[i] = table[byte(src[i])]`, where byte(c) is the code's
 * storage byte (c + 256 for a negative int8 code) and the table holds output bytes (an int8
 * output −1 is the byte 255). The WebAssembly kernel does 16 codes per step with 16
 * `i8x16.swizzle`s of 16-entry slices.
 *
 * @param table 256 output bytes, indexed by input byte.
 * @param src Input codes.
 * @param out Output codes (length ≥ src.length); a Uint8Array is allocated when omitted.
 * @param kernel Implementation. Default `"auto"`.
 * @returns `out`.
 * @throws {RangeError} On a table that is not 256 bytes, or a short output.
 * @throws {TypeError} When an array has the wrong type.
 *
 * @example Negation of int8 codes, stored as bytes
 * ```ts
 * import { lookup8 } from "@lowbit/kernels/elementwise-int8";
 * import { deepEqual } from "node:assert/strict";
 * const table = new Uint8Array(256).map((_, b) => -((b << 24) >> 24) & 0xff);
 * const y = lookup8(table, new Int8Array([3, -5, 0]), new Int8Array(3));
 * deepEqual([...y], [-3, 5, 0]);
 * ```
 */
export function lookup8<T extends Int8Array | Uint8Array = Uint8Array>(
  table: Uint8Array,
  src: Int8Array | Uint8Array,
  out?: T,
  kernel: KernelChoice = "auto",
): T {
  checkType("table", table, [Uint8Array]);
  if (table.length !== 256) {
    throw new RangeError(`table must have 256 entries, got ${table.length}`);
  }
  checkType("src", src, [Int8Array, Uint8Array]);
  const n = src.length;
  const dst = (out ?? new Uint8Array(n)) as T;
  checkType("out", dst, [Int8Array, Uint8Array]);
  if (dst.length < n) throw new RangeError(`out must have length ≥ ${n}, got ${dst.length}`);
  const w = kernelsFor(kernel, "kernel");
  const s8 = new Uint8Array(src.buffer, src.byteOffset, n);
  const d8 = new Uint8Array(dst.buffer, dst.byteOffset, n);
  if (!w) {
    for (let i = 0; i < n; i++) d8[i] = table[s8[i]];
    return dst;
  }
  const arena = new Arena();
  const tAt = arena.alloc(256), sAt = arena.alloc(n), dAt = arena.alloc(n);
  const u8 = new Uint8Array(reserve(w, arena.end));
  u8.set(table, tAt);
  u8.set(s8, sAt);
  w.ew.lut8(tAt, sAt, dAt, n);
  d8.set(u8.subarray(dAt, dAt + n));
  return dst;
}

/**
 * Clamps 8-bit codes to [lo, hi] (a Relu or Clip whose input and output share one grid: on
 * codes it is a clamp; `@lowbit/runtime` applies it where a lookup table is one). Wasm SIMD:
 * 16 codes per `i8x16.min`/`max` pair.
 *
 * @param src Codes (Int8Array: signed, Uint8Array: unsigned).
 * @param lo Smallest output code (inside the type's range).
 * @param hi Largest output code (≥ lo, inside the type's range).
 * @param out Output of src's type (length ≥ src's); allocated when omitted.
 * @param kernel Implementation. Default `"auto"`.
 * @returns `out`.
 * @throws {RangeError} On bounds outside the type or lo > hi, a short `out`, or `"wasm"` where
 *   Wasm SIMD is unavailable.
 * @throws {TypeError} When `src` or `out` has the wrong type.
 *
 * @example ReLU6 of uint8 codes at zero point 10, scale 0.1: codes clamped to [10, 70]
 * ```ts
 * import { clamp8 } from "@lowbit/kernels/elementwise-int8";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...clamp8(new Uint8Array([0, 10, 42, 70, 255]), 10, 70)], [10, 10, 42, 70, 70]);
 * ```
 */
export function clamp8<T extends Int8Array | Uint8Array>(
  src: T,
  lo: number,
  hi: number,
  out?: T,
  kernel: KernelChoice = "auto",
): T {
  checkType("src", src, [Int8Array, Uint8Array]);
  const signed = src instanceof Int8Array;
  const [tlo, thi] = signed ? [-128, 127] : [0, 255];
  checkIntRange("lo", lo, tlo, thi);
  checkIntRange("hi", hi, lo, thi);
  const n = src.length;
  const dst = out ?? (signed ? new Int8Array(n) : new Uint8Array(n)) as T;
  checkType("out", dst, [signed ? Int8Array : Uint8Array]);
  if (dst.length < n) throw new RangeError(`out must have length ≥ ${n}, got ${dst.length}`);
  const w = kernelsFor(kernel, "kernel");
  if (!w) {
    for (let i = 0; i < n; i++) dst[i] = src[i] < lo ? lo : src[i] > hi ? hi : src[i];
    return dst;
  }
  const arena = new Arena();
  const sAt = arena.alloc(n), dAt = arena.alloc(n);
  const u8 = new Uint8Array(reserve(w, arena.end));
  u8.set(new Uint8Array(src.buffer, src.byteOffset, n), sAt);
  w.ew.clamp8(sAt, dAt, n, lo, hi, signed ? 1 : 0);
  new Uint8Array(dst.buffer, dst.byteOffset, n).set(u8.subarray(dAt, dAt + n));
  return dst;
}

/**
 * Sums of the codes of each row: `out[r] = Σ_j src[r·length + j]` over `rows` rows of `length`
 * int8 or uint8 codes (int32, exact for `length` < 2^23; the global average pool's per-channel
 * sums).
 *
 * @param src The codes, `rows·length` of them.
 * @param rows Number of rows.
 * @param length Codes per row.
 * @param out Sums (allocated when omitted), length ≥ rows.
 * @param kernel `"auto"` (Wasm SIMD where validated), `"wasm"` or `"ts"`.
 * @returns `out`.
 * @throws {RangeError} On a `rows`/`length` that is not a non-negative integer, a `src` shorter
 *   than `rows·length`, `length` ≥ 2^23, a short `out`, or `"wasm"` where Wasm SIMD is
 *   unavailable.
 * @throws {TypeError} When `src` or `out` has the wrong type.
 *
 * @example
 * ```ts
 * import { rowSums8 } from "@lowbit/kernels/elementwise-int8";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...rowSums8(new Int8Array([1, -2, 3, 127, 127, -128]), 2, 3)], [2, 126]);
 * ```
 */
export function rowSums8(
  src: Int8Array | Uint8Array,
  rows: number,
  length: number,
  out?: Int32Array,
  kernel: KernelChoice = "auto",
): Int32Array {
  checkType("src", src, [Int8Array, Uint8Array]);
  checkIntRange("rows", rows, 0, 2 ** 31 - 1);
  checkIntRange("length", length, 0, 2 ** 23 - 1);
  const n = rows * length;
  if (src.length < n) {
    throw new RangeError(`src must hold rows·length = ${n} codes, got ${src.length}`);
  }
  const dst = out ?? new Int32Array(rows);
  checkType("out", dst, [Int32Array]);
  if (dst.length < rows) throw new RangeError(`out must have length ≥ ${rows}, got ${dst.length}`);
  const w = kernelsFor(kernel, "kernel");
  if (!w || n === 0) {
    for (let r = 0, at = 0; r < rows; r++) {
      let s = 0;
      for (const end = at + length; at < end; at++) s += src[at];
      dst[r] = s;
    }
    return dst;
  }
  const arena = new Arena();
  const sAt = arena.alloc(n), dAt = arena.alloc(4 * rows);
  const buf = reserve(w, arena.end);
  new Uint8Array(buf).set(new Uint8Array(src.buffer, src.byteOffset, n), sAt);
  w.ew.row_sums8(sAt, rows, length, src instanceof Int8Array ? 1 : 0, dAt);
  dst.set(new Int32Array(buf, dAt, rows));
  return dst;
}

/** Options of {@link addInt8Requantized}. */
export interface AddInt8Options {
  /** r_a = s_a / s_y, taken as float32 (positive). */
  aRatio: number;
  /** Zero point of a. Default 0. */
  aZeroPoint?: number;
  /** r_b = s_b / s_y, taken as float32 (positive). */
  bRatio: number;
  /** Zero point of b. Default 0. */
  bZeroPoint?: number;
  /** Output zero point, inside the output type. Default 0. */
  outZeroPoint?: number;
  /** Output type. */
  dtype: "int8" | "uint8";
  /** Smallest output code (a fused activation). Default the type's minimum. */
  clampMin?: number;
  /** Largest output code. Default the type's maximum. */
  clampMax?: number;
  /** Output codes (length ≥ n, the type of `dtype`); allocated when omitted. */
  out?: Int8Array | Uint8Array;
  /** Implementation. Default `"auto"`. */
  kernel?: KernelChoice;
}

/**
 * Elementwise int8 addition with requantization (onnxruntime `QLinearAdd`, float semantics):
 * `y_i = clamp(rne(f32(f32(r_a·(a_i − z_a)) + f32(r_b·(b_i − z_b)))) + z_y)` with the rescale
 * ratios `r = s / s_y` as float32. Both operands have one code per output element.
 *
 * @param a Codes of a.
 * @param b Codes of b (same length).
 * @param options Ratios, zero points, output type, clamp, output, kernel.
 * @returns The output codes (`options.out` when given).
 * @throws {RangeError} On lengths that differ, ratios that are not positive and finite (or so
 *   large that a ratio times a code difference overflows float32), zero points or clamps
 *   outside the output type, or a short output.
 * @throws {TypeError} When an operand is not an Int8Array, Uint8Array or Int32Array.
 *
 * @example A residual add on one grid
 * ```ts
 * import { addInt8Requantized } from "@lowbit/kernels/elementwise-int8";
 * import { deepEqual } from "node:assert/strict";
 * const y = addInt8Requantized(new Int8Array([1, 100, -3]), new Int8Array([2, 100, 0]), {
 *   aRatio: 0.5, bRatio: 0.5, dtype: "int8",
 * });
 * deepEqual([...y], [2, 100, -2]); // 1.5 → 2, 100, −1.5 → −2 (ties to even)
 * ```
 */
export function addInt8Requantized(
  a: CodesOperand,
  b: CodesOperand,
  options: AddInt8Options,
): Int8Array | Uint8Array {
  if (options === null || typeof options !== "object") {
    throw new TypeError("options must be an object with the ratios and dtype");
  }
  const c = resolveCodes(a, b, options, 1);
  const ra = scale("options.aRatio", options.aRatio);
  const rb = scale("options.bRatio", options.bRatio);
  const { n, za, zb, zp, lo, hi, out, w } = c;
  finiteTerms("options.aRatio", ra, a, za);
  finiteTerms("options.bRatio", rb, b, zb);
  if (!w) {
    const f = Math.fround;
    for (let i = 0; i < n; i++) {
      let v = f(f(ra * (a[i] - za)) + f(rb * (b[i] - zb)));
      v = v < lo - zp ? lo - zp : v > hi - zp ? hi - zp : v;
      let r = Math.floor(v + 0.5);
      if (r - v === 0.5 && (r & 1) !== 0) r -= 1; // tie: to even
      out[i] = r + zp;
    }
    return out;
  }
  const { aAt, ta, bAt, tb, dAt, u8 } = stage(w, a, b, n);
  w.ew.add_q(
    aAt,
    ta,
    bAt,
    tb,
    n,
    za,
    ra,
    zb,
    rb,
    1,
    zp,
    lo,
    hi,
    dAt,
    options.dtype === "uint8" ? 1 : 0,
  );
  new Uint8Array(out.buffer, out.byteOffset, n).set(u8.subarray(dAt, dAt + n));
  return out;
}

/** Shared validation of the elementwise calls (operands, zero points, clamp, output, kernel). */
function resolveCodes(
  a: CodesOperand,
  b: CodesOperand,
  options: {
    aZeroPoint?: number;
    bZeroPoint?: number;
    outZeroPoint?: number;
    dtype: "int8" | "uint8";
    clampMin?: number;
    clampMax?: number;
    out?: Int8Array | Uint8Array;
    kernel?: KernelChoice;
  },
  inner: number,
) {
  checkType("a", a, [Int8Array, Uint8Array, Int32Array]);
  checkType("b", b, [Int8Array, Uint8Array, Int32Array]);
  if (a.length !== b.length * inner) {
    throw new RangeError(
      inner === 1
        ? `a and b must have the same length, got ${a.length} and ${b.length}`
        : `a must have b.length · options.bInner = ${b.length * inner} codes, got ${a.length}`,
    );
  }
  const dtype = options.dtype;
  if (dtype !== "int8" && dtype !== "uint8") {
    throw new RangeError(`options.dtype must be "int8" or "uint8", got ${String(dtype)}`);
  }
  const [tlo, thi] = dtype === "int8" ? [-128, 127] : [0, 255];
  const za = checkIntRange("options.aZeroPoint", options.aZeroPoint ?? 0, -(2 ** 31), 2 ** 31 - 1);
  const zb = checkIntRange("options.bZeroPoint", options.bZeroPoint ?? 0, -(2 ** 31), 2 ** 31 - 1);
  const zp = checkIntRange("options.outZeroPoint", options.outZeroPoint ?? 0, tlo, thi);
  const lo = checkIntRange("options.clampMin", options.clampMin ?? tlo, tlo, thi);
  const hi = checkIntRange("options.clampMax", options.clampMax ?? thi, lo, thi);
  const n = a.length;
  const out = options.out ?? (dtype === "int8" ? new Int8Array(n) : new Uint8Array(n));
  if ((dtype === "int8") !== (out instanceof Int8Array) || out.length < n) {
    throw new RangeError(
      `options.out must be a${dtype === "int8" ? "n Int8Array" : " Uint8Array"} of length ≥ ${n}`,
    );
  }
  const w = kernelsFor(options.kernel, "options.kernel");
  return { n, za, zb, zp, lo, hi, out, w };
}

/** Copies both operands into the arena; returns their addresses, type codes and the output's. */
function stage(
  w: NonNullable<ReturnType<typeof kernels>>,
  a: CodesOperand,
  b: CodesOperand,
  n: number,
) {
  const ta = TYPE.find(([t]) => a instanceof t)![1], tb = TYPE.find(([t]) => b instanceof t)![1];
  const arena = new Arena();
  const aAt = arena.alloc(a.byteLength), bAt = arena.alloc(b.byteLength), dAt = arena.alloc(n);
  const u8 = new Uint8Array(reserve(w, arena.end));
  u8.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), aAt);
  u8.set(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), bAt);
  return { aAt, ta, bAt, tb, dAt, u8 };
}
