/**
 * OCP Microscaling (MX) block formats, v1.0: MXFP8 (E4M3, E5M2), MXFP6 (E3M2, E2M3), MXFP4
 * (E2M1) and MXINT8. A block of k consecutive values V_1..V_k is stored as one shared E8M0 scale
 * X = 2^shared_exp and k narrow elements P_i; the block's values are X·P_i.
 *
 * Rules, with where they come from ("spec" = OCP Microscaling Formats (MX) Specification v1.0;
 * "reference" = microsoft/microxcaling `mx/mx_ops.py` `_quantize_mx` and `mx/elemwise_ops.py`
 * `_quantize_elemwise_core`; "paper" = Rouhani et al., "Microscaling Data Formats for Deep
 * Learning", arXiv:2310.10537, Algorithm 1):
 *
 * 1. Concrete formats (spec §5, Table 1): block size k = 32 and an 8-bit E8M0 scale for every
 *    format, so one value costs elementBits + 8/32 bits (MXFP4: 4.25). E8M0 (spec §5.4.1)
 *    encodes 2^(E − 127) for E = 0..254 and NaN as 0xFF; see `@lowbit/numerics/e8m0`.
 * 2. Element types (spec §5.3): FP8 E4M3/E5M2 are the OFP8 formats; FP6 E3M2/E2M3 and FP4
 *    E2M1 have no Inf or NaN; INT8 is an 8-bit two's complement integer with an implicit scale
 *    2^−6, i.e. the value of code c is int8(c)/64 (0x7F = 1.984375, 0x80 = −2).
 * 3. Shared scale (spec §6.3, paper Algorithm 1 line 1, reference `_shared_exponents`):
 *
 *        shared_exp = ⌊log2 max_i |V_i|⌋ − emax_elem                               (MX.1)
 *
 *    where emax_elem is the unbiased exponent of the element type's largest normal: E4M3 8,
 *    E5M2 15, E3M2 4, E2M3 2, E2M1 2, INT8 0. It is clamped to E8M0's range [−127, 127]; below,
 *    it is raised to −127 (reference: `shared_exp[shared_exp < -scale_emax] = -scale_emax`);
 *    above it would be NaN, which float32 inputs cannot reach (⌊log2 max⌋ ≤ 127).
 * 4. Elements (spec §6.3, paper line 4): P_i = quantize(V_i / X) in the element type, rounding
 *    to nearest, ties to even; normal numbers beyond the element's range are clamped to its
 *    maximum, keeping the sign (saturation to ±max; the paper's wording of the spec's rule):
 *
 *        P_i = clamp(round_elem(V_i / X), −max_elem, +max_elem)                     (MX.2)
 *
 *    round_elem keeps the element type's subnormals (reference `allow_denorm=True`).
 *    For MXINT8 the reference clamps to ±127/64: codes are in [−127, 127] and −128 (−2) is never
 *    produced, though it decodes as −2 (symmetric range, as the reference's
 *    `_round_mantissa(..., clamp)` and `max_norm = 127/64`).
 * 5. Special values (spec §5 special-value rule; reference behaviour): if X is NaN every value
 *    of the block is NaN whatever the P_i. A block holding a NaN or ±∞ gets X = NaN (0xFF):
 *    in the reference, max|V_i| is then NaN or ∞, so shared_exp is NaN and every output of the
 *    block becomes NaN. The element codes of such a block are stored as 0.
 * 6. All-zero block: max = 0 has no logarithm. The scale is 2^−127 (E8M0 0x00), the smallest,
 *    as in Graphcore's gfloat `compute_scale_amax`; the reference gets the same byte for every
 *    FP element type (it takes log2 of FP32's min normal, 2^−126, then clamps), 2^−126 for
 *    INT8. The values decode to zeros either way. Zeros keep their sign in formats with −0.
 * 7. Decoding (spec §5): v_i = X · P_i. Every such product of an E8M0 scale and an element is
 *    a float32 value (at most 8 significant bits, exponent ≥ −143), so dequantization is exact
 *    (the one exception, INT8 code 0x80 = −2 under X = 2^127, is never produced and decodes to
 *    −∞).
 *
 * Deliberate choices beyond the spec:
 *
 * - Blocks are 1-D runs of `blockSize` consecutive elements (no axis argument). When the length
 *   is not a multiple of the block size the last block is partial; its scale comes from the
 *   elements present, which equals the reference's zero padding.
 * - `rounding` may select any {@linkcode RoundingMode} for the elements (the scale is always
 *   (MX.1)). The reference's own default `round="nearest"` is ties-away
 *   (`"nearest-away"` here); its `round="even"` is the default here.
 * - FP32 subnormal inputs are kept (the reference's `mx_flush_fp32_subnorms` option is off by
 *   default too).
 *
 * @module
 */

import {
  type RandomSource,
  resolveRounding,
  type RoundingMode,
  roundInteger,
} from "@lowbit/rounding/modes";
import { exponentOf } from "./_bits.ts";
import { E8M0 } from "./e8m0.ts";
import { FP4_E2M1, FP6_E2M3, FP6_E3M2, FP8_E4M3FN, FP8_E5M2 } from "./formats.ts";
import type { FloatFormat } from "./minifloat.ts";

/** Names of the six concrete MX formats of OCP MX v1.0. */
export type MXFormatName =
  | "MXFP8_E4M3"
  | "MXFP8_E5M2"
  | "MXFP6_E3M2"
  | "MXFP6_E2M3"
  | "MXFP4_E2M1"
  | "MXINT8";

export type { RandomSource, RoundingMode } from "@lowbit/rounding/modes";

/**
 * What an MX format exposes of its element and scale types: enough to read codes. The float
 * element types are the `FloatFormat` objects of `@lowbit/numerics/formats`, the scale is
 * `E8M0` of `@lowbit/numerics/e8m0`; the INT8 element type is defined here.
 */
export interface MXScalarType {
  /** Type name, e.g. `"FP4_E2M1"`, `"INT8"`, `"E8M0"`. */
  readonly name: string;
  /** Bits per code. */
  readonly bits: number;
  /** Largest finite value. */
  readonly max: number;
  /** Smallest positive value. */
  readonly minSubnormal: number;
  /**
   * Value of a code.
   *
   * @param bits A code below 2^bits.
   * @returns Its value.
   */
  decode(bits: number): number;
}

/** A concrete MX format: element type, block size and scale type (OCP MX v1.0 §5, Table 1). */
export interface MXFormat {
  /** Format name, e.g. `"MXFP4_E2M1"`. */
  readonly name: MXFormatName;
  /** Element type name: `"E4M3"`, `"E5M2"`, `"E3M2"`, `"E2M3"`, `"E2M1"` or `"INT8"`. */
  readonly elementName: string;
  /** `"float"` for the FP element types, `"int"` for MXINT8. */
  readonly elementKind: "float" | "int";
  /** The element type (for the FP elements, the `FloatFormat` of `@lowbit/numerics/formats`). */
  readonly element: MXScalarType;
  /** Bits per element code (8, 6 or 4). */
  readonly elementBits: number;
  /** Largest element magnitude (448, 57344, 28, 7.5, 6, 127/64). */
  readonly elementMax: number;
  /** Smallest positive element magnitude (for MXINT8, 2^−6). */
  readonly elementMinSubnormal: number;
  /** Unbiased exponent of the largest normal element, emax_elem of (MX.1). */
  readonly emaxElem: number;
  /** Block size k of the concrete format: 32. */
  readonly blockSize: number;
  /** The shared-scale type, E8M0 (`@lowbit/numerics/e8m0`). */
  readonly scale: MXScalarType;
  /** Bits of the scale (8). */
  readonly scaleBits: number;
  /** Storage per value with the scale amortised: elementBits + scaleBits / blockSize. */
  readonly bitsPerElement: number;
}

/** INT8 element: two's complement code c has the value int8(c) · 2^−6 (spec §5.3). */
const INT8_ELEMENT: MXScalarType = Object.freeze({
  name: "INT8",
  bits: 8,
  max: 127 / 64,
  minSubnormal: 2 ** -6,
  decode(bits: number): number {
    if (typeof bits !== "number" || !Number.isInteger(bits) || bits < 0 || bits > 255) {
      throw new RangeError(`bits must be an integer in [0, 255] for INT8; got ${String(bits)}`);
    }
    return ((bits << 24) >> 24) / 64;
  },
});

/** The float element encoders, keyed by format (MXINT8 has none: its encoder is inline). */
const FLOAT_ELEMENTS = new Map<MXFormat, FloatFormat<Uint8Array>>();

function makeFormat(
  name: MXFormatName,
  elementName: string,
  float: FloatFormat<Uint8Array> | null,
): MXFormat {
  const element: MXScalarType = float ?? INT8_ELEMENT;
  const format: MXFormat = Object.freeze({
    name,
    elementName,
    elementKind: float === null ? "int" : "float",
    element,
    elementBits: element.bits,
    elementMax: element.max,
    elementMinSubnormal: element.minSubnormal,
    emaxElem: exponentOf(element.max),
    blockSize: 32,
    scale: E8M0,
    scaleBits: 8,
    bitsPerElement: element.bits + 8 / 32,
  });
  if (float !== null) FLOAT_ELEMENTS.set(format, float);
  return format;
}

/**
 * MXFP8 with FP8 E4M3 elements (max 448, emax_elem 8).
 *
 * @example
 * ```ts
 * import { MXFP8_E4M3 } from "@lowbit/numerics/mx";
 * import { equal } from "node:assert/strict";
 * equal(MXFP8_E4M3.emaxElem, 8);
 * equal(MXFP8_E4M3.bitsPerElement, 8.25);
 * ```
 */
export const MXFP8_E4M3: MXFormat = makeFormat("MXFP8_E4M3", "E4M3", FP8_E4M3FN);

/**
 * MXFP8 with FP8 E5M2 elements (max 57344, emax_elem 15).
 *
 * @example
 * ```ts
 * import { MXFP8_E5M2 } from "@lowbit/numerics/mx";
 * import { equal } from "node:assert/strict";
 * equal(MXFP8_E5M2.emaxElem, 15);
 * equal(MXFP8_E5M2.elementMax, 57344);
 * ```
 */
export const MXFP8_E5M2: MXFormat = makeFormat("MXFP8_E5M2", "E5M2", FP8_E5M2);

/**
 * MXFP6 with FP6 E3M2 elements (max 28, emax_elem 4).
 *
 * @example
 * ```ts
 * import { MXFP6_E3M2 } from "@lowbit/numerics/mx";
 * import { equal } from "node:assert/strict";
 * equal(MXFP6_E3M2.emaxElem, 4);
 * equal(MXFP6_E3M2.bitsPerElement, 6.25);
 * ```
 */
export const MXFP6_E3M2: MXFormat = makeFormat("MXFP6_E3M2", "E3M2", FP6_E3M2);

/**
 * MXFP6 with FP6 E2M3 elements (max 7.5, emax_elem 2).
 *
 * @example
 * ```ts
 * import { MXFP6_E2M3 } from "@lowbit/numerics/mx";
 * import { equal } from "node:assert/strict";
 * equal(MXFP6_E2M3.emaxElem, 2);
 * equal(MXFP6_E2M3.elementMax, 7.5);
 * ```
 */
export const MXFP6_E2M3: MXFormat = makeFormat("MXFP6_E2M3", "E2M3", FP6_E2M3);

/**
 * MXFP4 with FP4 E2M1 elements (levels 0, 0.5, 1, 1.5, 2, 3, 4, 6; emax_elem 2).
 *
 * @example
 * ```ts
 * import { MXFP4_E2M1 } from "@lowbit/numerics/mx";
 * import { equal } from "node:assert/strict";
 * equal(MXFP4_E2M1.emaxElem, 2);
 * equal(MXFP4_E2M1.bitsPerElement, 4.25);
 * ```
 */
export const MXFP4_E2M1: MXFormat = makeFormat("MXFP4_E2M1", "E2M1", FP4_E2M1);

/**
 * MXINT8: two's complement 8-bit elements with implicit scale 2^−6 (codes −127..127 produced,
 * values k/64; emax_elem 0).
 *
 * @example
 * ```ts
 * import { MXINT8 } from "@lowbit/numerics/mx";
 * import { equal } from "node:assert/strict";
 * equal(MXINT8.elementMax, 1.984375);
 * equal(MXINT8.emaxElem, 0);
 * ```
 */
export const MXINT8: MXFormat = makeFormat("MXINT8", "INT8", null);

/**
 * The six concrete MX formats, in the order of the spec's Table 1.
 *
 * @example
 * ```ts
 * import { MX_FORMATS } from "@lowbit/numerics/mx";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(MX_FORMATS.map((f) => f.bitsPerElement), [8.25, 8.25, 6.25, 6.25, 4.25, 8.25]);
 * ```
 */
export const MX_FORMATS: readonly MXFormat[] = Object.freeze([
  MXFP8_E4M3,
  MXFP8_E5M2,
  MXFP6_E3M2,
  MXFP6_E2M3,
  MXFP4_E2M1,
  MXINT8,
]);

/** 1.5·2^52: for |t| < 2^51, (t + RNE_MAGIC) − RNE_MAGIC is t rounded to nearest even. */
const RNE_MAGIC = 6755399441055744;

/** Per-format decode tables: value of every element code (INT8: int8(c)/64). */
const TABLES = new Map<MXFormat, Float64Array>(
  MX_FORMATS.map((f) => {
    const t = new Float64Array(2 ** f.elementBits);
    for (let c = 0; c < t.length; c++) t[c] = f.element.decode(c);
    return [f, t];
  }),
);

function resolveFormat(format: unknown): MXFormat {
  if (typeof format === "string") {
    const found = MX_FORMATS.find((f) => f.name === format);
    if (found) return found;
  } else if (MX_FORMATS.includes(format as MXFormat)) return format as MXFormat;
  const shown = typeof format === "string"
    ? `"${format}"`
    : typeof format === "object" && format !== null && "name" in format
    ? `an object named ${String((format as { name: unknown }).name)}`
    : String(format);
  throw new RangeError(
    `format must be one of the MX formats (${
      MX_FORMATS.map((f) => f.name).join(", ")
    }) or its descriptor; got ${shown}`,
  );
}

function checkBlockSize(blockSize: unknown): number {
  if (
    typeof blockSize !== "number" || !Number.isSafeInteger(blockSize) || blockSize <= 0
  ) {
    throw new RangeError(`blockSize must be a positive integer; got ${String(blockSize)}`);
  }
  return blockSize;
}

/** Options of {@linkcode mxQuantize} and {@linkcode mxError}. */
export interface MXQuantizeOptions {
  /** Values per shared scale; default 32 (the spec's k). Blocks run over consecutive values. */
  blockSize?: number;
  /** Element rounding mode (the scale is always Eq. MX.1); default `"nearest-even"`. */
  rounding?: RoundingMode;
  /** Seeded uniform source, required when `rounding` is `"stochastic"`. */
  random?: RandomSource;
}

/** A vector in an MX format: one E8M0 scale per block and one element code per value. */
export interface MXTensor {
  /** The MX format. */
  readonly format: MXFormat;
  /** Number of values. */
  readonly length: number;
  /** Values per block; the last block holds the remaining `length % blockSize` if non-zero. */
  readonly blockSize: number;
  /** E8M0 scale patterns, ⌈length / blockSize⌉ of them (0xFF: NaN block). */
  readonly scales: Uint8Array;
  /**
   * Element codes, one per value, unpacked: FP6 and FP4 codes in the low 6 or 4 bits, INT8 as
   * its two's complement byte.
   */
  readonly elements: Uint8Array;
}

/**
 * Quantizes a float32 vector to an MX format (OCP MX v1.0 §6.3; rules in the module doc).
 *
 * Per block: X = 2^(⌊log2 max|V_i|⌋ − emax_elem) clamped to [2^−127, 2^127] (Eq. MX.1), then
 * P_i = V_i / X rounded in the element type and saturated to ±max (Eq. MX.2). A block holding
 * NaN or ±∞ gets the NaN scale 0xFF; an all-zero block the scale 2^−127.
 *
 * @param src The values (FP32, as the spec's conversion takes).
 * @param format An MX format descriptor or its name.
 * @param options Block size (default 32), element rounding mode, random source.
 * @returns The scales and unpacked element codes.
 * @throws {TypeError} If `src` is not a Float32Array, or stochastic rounding lacks `random`.
 * @throws {RangeError} If `format` is unknown, `blockSize` is not a positive integer, or
 *   `rounding` is unknown.
 *
 * @example MXFP4: a block with max 100 gets scale 2^(6 − 2) = 16
 * ```ts
 * import { mxDequantize, mxQuantize } from "@lowbit/numerics/mx";
 * import { deepEqual, equal } from "node:assert/strict";
 * const t = mxQuantize(new Float32Array([100, 3, 12, -40]), "MXFP4_E2M1");
 * equal(t.scales[0], 127 + 4); // E8M0 pattern of 16
 * // 100/16 = 6.25 → 6, 3/16 → 0, 12/16 = 0.75 → 1 (tie to even), −40/16 = −2.5 → −2
 * deepEqual([...t.elements], [0x7, 0x0, 0x2, 0xc]);
 * deepEqual([...mxDequantize(t)], [96, 0, 16, -32]);
 * ```
 */
export function mxQuantize(
  src: Float32Array,
  format: MXFormat | MXFormatName,
  options: MXQuantizeOptions = {},
): MXTensor {
  if (!(src instanceof Float32Array)) {
    throw new TypeError(
      `src must be a Float32Array (MX conversion starts from FP32); got ${
        (src as unknown as object)?.constructor?.name ?? typeof src
      }`,
    );
  }
  const fmt = resolveFormat(format);
  const bs = checkBlockSize(options.blockSize ?? fmt.blockSize);
  const { mode, random } = resolveRounding(options);
  const n = src.length;
  const nb = Math.ceil(n / bs);
  const scales = new Uint8Array(nb);
  const elements = new Uint8Array(n);
  const el = FLOAT_ELEMENTS.get(fmt) ?? null;
  const emax = fmt.emaxElem;
  // Round to nearest even on float elements: scale into float32 (exact: a power-of-two product
  // of a float32 that stays ≥ 2^−126 or underflows far below the element's half-subnormal) and
  // encode the whole vector with the element type's bit-level kernel.
  const fast = el !== null && mode === "nearest-even";
  const scaled = fast ? new Float32Array(n) : undefined;
  const encodeOptions = { saturate: true, rounding: mode, random };
  for (let b = 0; b < nb; b++) {
    const lo = b * bs;
    const hi = Math.min(lo + bs, n);
    let amax = 0;
    let nan = false;
    for (let i = lo; i < hi; i++) {
      const a = Math.abs(src[i]);
      if (a > amax) amax = a;
      else if (a !== a) nan = true;
    }
    if (nan || amax === Infinity) {
      scales[b] = 0xff; // rule 5: the whole block is NaN; element codes stay 0
      continue;
    }
    let e = amax === 0 ? -127 : exponentOf(amax) - emax; // Eq. (MX.1)
    if (e < -127) e = -127;
    if (e > 127) {
      scales[b] = 0xff; // unreachable from float32 inputs; kept for the rule's completeness
      continue;
    }
    scales[b] = e + 127;
    const inv = 2 ** -e;
    if (scaled !== undefined) {
      for (let i = lo; i < hi; i++) scaled[i] = src[i] * inv;
    } else if (el !== null) {
      for (let i = lo; i < hi; i++) elements[i] = el.encode(src[i] * inv, encodeOptions);
    } else {
      const inv64 = inv * 64; // INT8: P_i = k / 64, k = round(V_i / X · 64) clamped to ±127
      if (mode === "nearest-even") {
        // |V_i / X · 64| < 128, so adding and subtracting 1.5·2^52 rounds to nearest even.
        for (let i = lo; i < hi; i++) {
          let k = src[i] * inv64 + RNE_MAGIC - RNE_MAGIC;
          if (k > 127) k = 127;
          else if (k < -127) k = -127;
          elements[i] = k & 0xff;
        }
      } else {
        for (let i = lo; i < hi; i++) {
          let k = roundInteger(src[i] * inv64, mode, random);
          if (k > 127) k = 127;
          else if (k < -127) k = -127;
          elements[i] = k & 0xff;
        }
      }
    }
  }
  if (scaled !== undefined && el !== null) el.encodeArray(scaled, { saturate: true }, elements);
  return { format: fmt, length: n, blockSize: bs, scales, elements };
}

/**
 * Decodes an MX vector: value_i = X · P_i (OCP MX v1.0 §5), NaN for every value of a block
 * whose scale is NaN (0xFF). Exact: each product is a float32 value.
 *
 * @param tensor The MX vector, as returned by {@linkcode mxQuantize}.
 * @returns A new Float32Array of `tensor.length` values.
 * @throws {RangeError} If the format is unknown, the block size is invalid, `scales` or
 *   `elements` is too short, or an element code does not fit the element width.
 *
 * @example A NaN scale makes the whole block NaN
 * ```ts
 * import { MXFP8_E4M3, mxDequantize } from "@lowbit/numerics/mx";
 * import { deepEqual } from "node:assert/strict";
 * const t = {
 *   format: MXFP8_E4M3,
 *   length: 3,
 *   blockSize: 2,
 *   scales: new Uint8Array([128, 255]), // 2^1, NaN
 *   elements: new Uint8Array([0x38, 0xc0, 0x38]), // 1, −2, 1
 * };
 * deepEqual([...mxDequantize(t)], [2, -4, NaN]);
 * ```
 */
export function mxDequantize(tensor: MXTensor): Float32Array {
  if (tensor === null || typeof tensor !== "object") {
    throw new TypeError(
      "tensor must be an MXTensor { format, length, blockSize, scales, elements }",
    );
  }
  const fmt = resolveFormat(tensor.format);
  const bs = checkBlockSize(tensor.blockSize);
  const n = tensor.length;
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`tensor.length must be a non-negative integer; got ${String(n)}`);
  }
  const { scales, elements } = tensor;
  const nb = Math.ceil(n / bs);
  if (!(scales instanceof Uint8Array) || scales.length < nb) {
    throw new RangeError(`tensor.scales must be a Uint8Array of at least ${nb} E8M0 patterns`);
  }
  if (!(elements instanceof Uint8Array) || elements.length < n) {
    throw new RangeError(`tensor.elements must be a Uint8Array of at least ${n} codes`);
  }
  const table = TABLES.get(fmt) as Float64Array;
  const limit = table.length;
  const out = new Float32Array(n);
  for (let b = 0; b < nb; b++) {
    const lo = b * bs;
    const hi = Math.min(lo + bs, n);
    const s = scales[b];
    const x = s === 0xff ? NaN : 2 ** (s - 127);
    for (let i = lo; i < hi; i++) {
      const c = elements[i];
      if (c >= limit) {
        throw new RangeError(
          `tensor.elements[${i}] = ${c} is not a ${fmt.elementBits}-bit ${fmt.elementName} code`,
        );
      }
      out[i] = x * table[c];
    }
  }
  return out;
}

/** Error of an MX round trip, from {@linkcode mxError}. */
export interface MXErrorStats {
  /** Mean squared error, Σ(x − x̂)² / n (0 for an empty input). */
  mse: number;
  /** Signal-to-quantization-noise ratio 10·log10(Σx² / Σ(x − x̂)²) in dB; +∞ when exact. */
  sqnrDb: number;
  /** Largest |x − x̂|. */
  maxAbsError: number;
}

/**
 * Quantizes to an MX format and back and measures the error.
 *
 * @param src The values; must be finite (the error of a NaN block is undefined).
 * @param format An MX format descriptor or its name.
 * @param options As for {@linkcode mxQuantize}.
 * @returns MSE, SQNR in dB (+Infinity when the round trip is exact) and max absolute error.
 * @throws {TypeError} As {@linkcode mxQuantize}.
 * @throws {RangeError} As {@linkcode mxQuantize}, or if an element of `src` is NaN or ±∞.
 *
 * @example
 * ```ts
 * import { mxError } from "@lowbit/numerics/mx";
 * import { equal } from "node:assert/strict";
 * // One block: scale 16, 100 → 96 and 12 → 16: errors 4 and 4
 * const e = mxError(new Float32Array([100, 12]), "MXFP4_E2M1");
 * equal(e.mse, 16);
 * equal(e.maxAbsError, 4);
 * equal(e.sqnrDb, 10 * Math.log10((100 ** 2 + 12 ** 2) / 32));
 * equal(mxError(new Float32Array([1, 2, 3]), "MXFP8_E4M3").sqnrDb, Infinity);
 * ```
 */
export function mxError(
  src: Float32Array,
  format: MXFormat | MXFormatName,
  options?: MXQuantizeOptions,
): MXErrorStats {
  const q = mxQuantize(src, format, options);
  for (let i = 0; i < src.length; i++) {
    if (!Number.isFinite(src[i])) {
      throw new RangeError(`src[${i}] is ${src[i]}; mxError needs finite values`);
    }
  }
  const y = mxDequantize(q);
  let signal = 0, noise = 0, maxAbs = 0;
  for (let i = 0; i < src.length; i++) {
    const x = src[i];
    const d = Math.abs(x - y[i]);
    signal += x * x;
    noise += d * d;
    if (d > maxAbs) maxAbs = d;
  }
  return {
    mse: src.length === 0 ? 0 : noise / src.length,
    sqnrDb: noise === 0 ? Infinity : 10 * Math.log10(signal / noise),
    maxAbsError: maxAbs,
  };
}

/** Options of {@linkcode mxStorageBytes}. */
export interface MXStorageOptions {
  /**
   * Whether element codes are bit-packed (⌈length·elementBits / 8⌉ bytes) or stored one per
   * byte as in {@linkcode MXTensor}; default `true`.
   */
  packed?: boolean;
  /** Values per scale; default the format's 32. */
  blockSize?: number;
}

/**
 * Bytes needed to store `length` values in an MX format: the elements (bit-packed, or one byte
 * each) plus one E8M0 byte per block.
 *
 * @param length Number of values, a non-negative integer.
 * @param format An MX format descriptor or its name.
 * @param options Packing and block size.
 * @returns The byte count.
 * @throws {RangeError} If `length` is not a non-negative integer, `format` is unknown, or
 *   `blockSize` is not a positive integer.
 *
 * @example 1000 MXFP6 values: 750 element bytes + 32 scales
 * ```ts
 * import { mxStorageBytes } from "@lowbit/numerics/mx";
 * import { equal } from "node:assert/strict";
 * equal(mxStorageBytes(1000, "MXFP6_E3M2"), 750 + 32);
 * equal(mxStorageBytes(1000, "MXFP6_E3M2", { packed: false }), 1000 + 32);
 * equal(mxStorageBytes(33, "MXFP4_E2M1"), 17 + 2);
 * ```
 */
export function mxStorageBytes(
  length: number,
  format: MXFormat | MXFormatName,
  options: MXStorageOptions = {},
): number {
  if (typeof length !== "number" || !Number.isSafeInteger(length) || length < 0) {
    throw new RangeError(`length must be a non-negative integer; got ${String(length)}`);
  }
  const fmt = resolveFormat(format);
  const bs = checkBlockSize(options.blockSize ?? fmt.blockSize);
  const elementBytes = (options.packed ?? true)
    ? Math.ceil((length * fmt.elementBits) / 8)
    : length;
  return elementBytes + Math.ceil(length / bs);
}
