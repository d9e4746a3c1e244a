/**
 * Generic binary floating-point formats ("minifloats"): 1 sign bit, `exponentBits`, and
 * `mantissaBits`, with one of four conventions for special values. Every named format of this
 * package (FP16, BF16, TF32, FP8, FP6, FP4) is an instance; see `docs/number-formats.md` for the
 * equations cited below.
 *
 * Value of a pattern with fields (s, E, M), Eq. (1)–(2):
 *
 *     normal    (E ≥ 1):  (−1)^s · 2^(E − bias) · (1 + M / 2^m)
 *     subnormal (E = 0):  (−1)^s · 2^(1 − bias) · (M / 2^m)
 *
 * Special values by `finite` family:
 *
 * - `"ieee"`: E all ones encodes ±∞ (M = 0) and NaN (M ≠ 0) — FP16, BF16, TF32, FP8 E5M2.
 * - `"fn"`: finite; only E and M all ones encode NaN (OCP FP8 E4M3FN). No ∞.
 * - `"fnuz"`: finite, no negative zero; the pattern 1000…0 is the only NaN; default bias
 *   2^(e−1) (Graphcore/AMD FP8 E4M3FNUZ, E5M2FNUZ).
 * - `"all"`: every pattern is a finite number; no NaN or ∞ (OCP FP6 E3M2/E2M3, FP4 E2M1).
 *
 * Encoding rounds the exact input (a binary64 number) once, in the chosen mode, to the format's
 * precision with an unbounded exponent range above and gradual underflow below (Eq. 3); then a
 * result above `max` overflows (Eq. 4, IEEE 754 §7.4): to ±∞ for `"ieee"` (or ±max when the
 * mode rounds toward zero from that side), to NaN for `"fn"`/`"fnuz"`, to ±max for `"all"`, and
 * always to ±max with `saturate: true` (NVIDIA `__NV_SATFINITE`, OCP saturating mode; ±∞ inputs
 * saturate too).
 *
 * @module
 */

import {
  type RandomSource,
  resolveRounding,
  type RoundingMode,
  type RoundingOptions,
  roundInteger,
} from "@lowbit/rounding/modes";
import { exponentOf, f32Bits, f32FromBits } from "./_bits.ts";
import { rneF32, type RneParams } from "./_rne_f32.ts";
import { encodeRneWasm, minifloatWasmAvailable } from "./_minifloat_wasm.ts";
import type { BitsArray } from "./_types.ts";
import {
  f16WasmAvailable,
  float16BitsToFloat32Wasm,
  float32ToFloat16BitsWasm,
} from "./_f16_wasm.ts";

const CHUNK = 16384;
let scratch: Int32Array | undefined;

/** Runs the bit-level RNE kernel in chunks through an int32 scratch buffer, Eq. (7). */
function encodeRneChunked(
  src: Float32Array,
  dst: BitsArray,
  p: RneParams,
  name: string,
  from: number,
): void {
  const bits = new Int32Array(src.buffer, src.byteOffset, src.length);
  const tmp = scratch ??= new Int32Array(CHUNK);
  for (let s = from; s < bits.length; s += CHUNK) {
    const e = Math.min(bits.length, s + CHUNK);
    const bad = rneF32(bits, s, e, tmp, p);
    if (bad >= 0) throw new RangeError(`src[${bad}] is NaN, which ${name} cannot encode`);
    // Int32 → Uint8/16/32 conversion keeps the low bits: the patterns are exact.
    dst.set(e - s === CHUNK ? tmp : tmp.subarray(0, e - s), s);
  }
}

/** Which bit patterns encode special values; see the module documentation. */
export type SpecialValues = "ieee" | "fn" | "fnuz" | "all";

/** Parameters of a binary floating-point format. */
export interface MinifloatSpec {
  /** Exponent field width, 1..8 (2..8 for `"ieee"`). */
  exponentBits: number;
  /** Mantissa (fraction) field width, 1..23. */
  mantissaBits: number;
  /** Exponent bias; default 2^(e−1) − 1, or 2^(e−1) for `"fnuz"`. */
  bias?: number;
  /** Special-value convention, default `"ieee"`. */
  finite?: SpecialValues;
  /** Display name, default like `"E4M3FN"`. */
  name?: string;
}

/** Options of {@linkcode FloatFormat.encode} and friends. */
export interface EncodeOptions extends RoundingOptions {
  /** Clamp overflow (and ±∞) to ±max instead of ∞/NaN. Default `false`. */
  saturate?: boolean;
  /**
   * Which array kernel to use for Float32Array input with round-to-nearest-even: `"auto"`
   * (default: WebAssembly SIMD when available, else TypeScript), `"wasm"` (throws if
   * unavailable) or `"ts"`. All give identical bits; this exists for tests and benchmarks.
   */
  kernel?: "auto" | "wasm" | "ts";
}

export type { BitsArray };

interface Layout {
  /** Pattern shift inside the storage word (13 for TF32 stored as float32 bits). */
  storageShift?: number;
}

function checkInt(value: unknown, name: string, lo: number, hi: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < lo || value > hi) {
    throw new RangeError(`${name} must be an integer in [${lo}, ${hi}]; got ${String(value)}`);
  }
  return value;
}

/**
 * A binary floating-point format with bit-exact encode/decode. Create one with
 * {@linkcode minifloat}; the named formats are in `@lowbit/numerics/formats`.
 *
 * @typeParam T The typed array used by {@linkcode FloatFormat.encodeArray}.
 */
export class FloatFormat<T extends BitsArray = BitsArray> {
  /** Display name, e.g. `"E4M3FN"`. */
  readonly name: string;
  /** Exponent field width. */
  readonly exponentBits: number;
  /** Mantissa field width m. */
  readonly mantissaBits: number;
  /** Exponent bias. */
  readonly bias: number;
  /** Special-value convention. */
  readonly finite: SpecialValues;
  /** Significant width of a pattern: 1 + exponentBits + mantissaBits. */
  readonly bits: number;
  /** Width of the stored word (differs from `bits` only for TF32, stored as float32 bits). */
  readonly storageBits: number;
  /** Largest finite value. */
  readonly max: number;
  /** Smallest positive normal value, 2^(1 − bias). */
  readonly minNormal: number;
  /** Smallest positive subnormal value, 2^(1 − bias − m). */
  readonly minSubnormal: number;
  /** Machine epsilon: the gap between 1 and the next value, 2^−m. */
  readonly epsilon: number;
  /** Whether ±∞ exist. */
  readonly hasInfinity: boolean;
  /** Whether NaN exists. */
  readonly hasNaN: boolean;
  /** Whether −0 exists. */
  readonly hasNegativeZero: boolean;

  readonly #shift: number;
  readonly #signBit: number;
  readonly #emin: number; // unbiased exponent of minNormal
  readonly #maxBits: number; // magnitude pattern of max
  readonly #infBits: number; // magnitude pattern of +∞ (ieee only)
  readonly #nanBits: number; // full pattern of the canonical positive NaN
  readonly #arrayType: new (n: number) => T;
  // Fast float32 → pattern path (round to nearest even), see encodeArray; null if not valid.
  readonly #rne: RneParams | null;
  readonly #rneSat: RneParams | null;
  readonly #isBinary16: boolean;
  #table?: Float32Array;

  /**
   * Builds a format; prefer {@linkcode minifloat}, which validates friendlier.
   *
   * @param spec The format parameters.
   * @param layout Storage details (TF32 only).
   * @throws {RangeError} On unsupported parameters.
   */
  constructor(spec: MinifloatSpec, layout: Layout = {}) {
    if (spec === null || typeof spec !== "object") {
      throw new TypeError("spec must be an object { exponentBits, mantissaBits, bias?, finite? }");
    }
    const finite = spec.finite ?? "ieee";
    if (!["ieee", "fn", "fnuz", "all"].includes(finite)) {
      throw new RangeError(
        `finite must be one of "ieee", "fn", "fnuz", "all"; got ${String(spec.finite)}`,
      );
    }
    const e = checkInt(spec.exponentBits, "exponentBits", finite === "ieee" ? 2 : 1, 8);
    const m = checkInt(spec.mantissaBits, "mantissaBits", 1, 23);
    const defaultBias = finite === "fnuz" ? 2 ** (e - 1) : 2 ** (e - 1) - 1;
    const bias = checkInt(spec.bias ?? defaultBias, "bias", -1024, 1024);
    this.exponentBits = e;
    this.mantissaBits = m;
    this.bias = bias;
    this.finite = finite;
    this.bits = 1 + e + m;
    this.#shift = layout.storageShift ?? 0;
    this.storageBits = this.bits + this.#shift;
    this.#signBit = 2 ** (e + m);
    this.name = spec.name ??
      `E${e}M${m}${finite === "ieee" || finite === "all" ? "" : finite.toUpperCase()}`;

    const topE = 2 ** e - 1;
    const fullM = 2 ** m - 1;
    // Largest finite magnitude pattern, Eq. (5).
    const maxE = finite === "ieee" ? topE - 1 : topE;
    const maxM = finite === "fn" ? fullM - 1 : fullM;
    this.#maxBits = maxE * 2 ** m + maxM;
    this.max = 2 ** (maxE - bias) * (1 + maxM / 2 ** m);
    this.#emin = 1 - bias;
    this.minNormal = 2 ** this.#emin;
    this.minSubnormal = 2 ** (this.#emin - m);
    this.epsilon = 2 ** -m;
    this.hasInfinity = finite === "ieee";
    this.hasNaN = finite !== "all";
    this.hasNegativeZero = finite !== "fnuz";
    this.#infBits = topE * 2 ** m;
    this.#nanBits = finite === "ieee"
      ? topE * 2 ** m + 2 ** (m - 1)
      : finite === "fn"
      ? topE * 2 ** m + fullM
      : finite === "fnuz"
      ? this.#signBit
      : -1;
    if (!(this.max <= 3.4028234663852886e38) || this.minSubnormal < 2 ** -149) {
      throw new RangeError(
        `bias ${bias} puts E${e}M${m} outside the float32 range (max ${this.max}, ` +
          `min subnormal ${this.minSubnormal}); pick a bias so values fit in float32`,
      );
    }
    const sb = this.storageBits;
    this.#arrayType =
      (sb <= 8 ? Uint8Array : sb <= 16 ? Uint16Array : Uint32Array) as unknown as new (
        n: number,
      ) => T;

    // Fast path constants (round to nearest even from float32 bits); valid while the format's
    // normal range starts inside float32's and m < 23.
    if (this.minNormal >= 2 ** -126 && m < 23) {
      const half = 2 ** (maxE - bias - m - 1); // half an ulp at max
      const significandOdd = ((2 ** m + maxM) & 1) === 1;
      this.#rne = Object.freeze({
        shift: 23 - m,
        // Ties at max + half go up (overflow) iff the max significand is odd, Eq. (6).
        overflowFrom: f32Bits(this.max + half) + (significandOdd ? 0 : 1),
        normalFrom: f32Bits(this.minNormal),
        rebias: (127 - bias) * 2 ** 23,
        magicBits: f32Bits(2 ** (this.#emin - m + 23)),
        subShiftBase: this.#emin - m + 150,
        signBit: this.#signBit,
        keepNegZero: this.hasNegativeZero ? 1 : 0,
        nan: this.#nanBits,
        overflow: finite === "ieee"
          ? this.#infBits
          : finite === "all"
          ? this.#maxBits
          : this.#nanBits,
        infinity: finite === "ieee"
          ? this.#infBits
          : finite === "all"
          ? this.#maxBits
          : this.#nanBits,
        storageShift: this.#shift,
      });
      this.#rneSat = Object.freeze({
        ...this.#rne,
        overflow: this.#maxBits,
        infinity: this.#maxBits,
      });
    } else {
      this.#rne = this.#rneSat = null;
    }
    this.#isBinary16 = e === 5 && m === 10 && bias === 15 && finite === "ieee" && !this.#shift;
    Object.freeze(this);
  }

  /**
   * Encodes a number as a bit pattern.
   *
   * @param x The number to encode (exact binary64; rounded once).
   * @param options Rounding mode, saturation and the random source for stochastic rounding.
   * @returns The bit pattern, an unsigned integer below 2^storageBits.
   * @throws {TypeError} If `x` is not a number, or stochastic rounding lacks `random`.
   * @throws {RangeError} If `x` is NaN and the format has no NaN, or `rounding` is unknown.
   *
   * @example FP8 E4M3FN: ties to even, overflow to NaN unless saturating
   * ```ts
   * import { minifloat } from "@lowbit/numerics/minifloat";
   * import { equal } from "node:assert/strict";
   * const e4m3 = minifloat({ exponentBits: 4, mantissaBits: 3, finite: "fn" });
   * equal(e4m3.encode(1), 0x38);
   * equal(e4m3.encode(1.0625), 0x38); // tie between 1 and 1.125: even mantissa wins
   * equal(e4m3.encode(500), 0x7f); // NaN
   * equal(e4m3.encode(500, { saturate: true }), 0x7e); // 448
   * ```
   */
  encode(x: number, options?: EncodeOptions): number {
    if (typeof x !== "number") throw new TypeError(`x must be a number; got ${typeof x}`);
    const { mode, random } = resolveRounding(options);
    return this.#encodeOne(x, mode, options?.saturate ?? false, random);
  }

  #encodeOne(x: number, mode: RoundingMode, saturate: boolean, random?: RandomSource): number {
    if (x !== x) {
      if (this.#nanBits < 0) {
        throw new RangeError(`x is NaN, which ${this.name} cannot encode (it has no NaN)`);
      }
      return this.#nanBits * 2 ** this.#shift;
    }
    const negative = x < 0 || Object.is(x, -0);
    let mag: number;
    if (x === Infinity || x === -Infinity) {
      mag = saturate || this.finite === "all"
        ? this.#maxBits
        : this.finite === "ieee"
        ? this.#infBits
        : -1;
    } else {
      const a = Math.abs(x);
      const m = this.mantissaBits;
      const e = a === 0 ? this.#emin : Math.max(exponentOf(a), this.#emin);
      const ulp = 2 ** (e - m);
      const r = Math.abs(roundInteger(x / ulp, mode, random)); // Eq. (3)
      const v = r * ulp;
      if (v > this.max) mag = this.#overflow(negative, mode, saturate);
      else if (v < this.minNormal) mag = r; // subnormal: E = 0, M = r
      else {
        const ev = exponentOf(v);
        mag = (ev + this.bias) * 2 ** m + (v / 2 ** (ev - m) - 2 ** m);
      }
    }
    if (mag < 0) mag = this.#nanBits; // overflow to NaN (fn keeps the sign; fnuz has one NaN)
    if (negative && (mag !== 0 || this.hasNegativeZero) && mag < this.#signBit) {
      mag += this.#signBit;
    }
    return mag * 2 ** this.#shift;
  }

  /** Magnitude pattern for a finite overflow, Eq. (4); −1 means NaN. */
  #overflow(negative: boolean, mode: RoundingMode, saturate: boolean): number {
    if (saturate || this.finite === "all") return this.#maxBits;
    const towardZero = mode === "toward-zero" || (mode === "floor" && !negative) ||
      (mode === "ceil" && negative);
    if (towardZero) return this.#maxBits;
    return this.finite === "ieee" ? this.#infBits : -1;
  }

  /**
   * Decodes a bit pattern.
   *
   * @param bits An integer pattern below 2^storageBits (for TF32, float32 bits whose low 13
   *   bits are zero).
   * @returns The encoded value (NaN, ±∞ where the format has them).
   * @throws {RangeError} If `bits` is not a valid pattern.
   *
   * @example FP8 E5M2 and E4M3FN patterns
   * ```ts
   * import { minifloat } from "@lowbit/numerics/minifloat";
   * import { equal } from "node:assert/strict";
   * const e5m2 = minifloat({ exponentBits: 5, mantissaBits: 2 });
   * equal(e5m2.decode(0x7b), 57344);
   * equal(e5m2.decode(0x7c), Infinity);
   * equal(e5m2.decode(0x01), 2 ** -16);
   * ```
   */
  decode(bits: number): number {
    const limit = 2 ** this.storageBits;
    if (
      typeof bits !== "number" || !Number.isInteger(bits) || bits < 0 || bits >= limit ||
      bits % 2 ** this.#shift !== 0
    ) {
      throw new RangeError(
        `bits must be an integer pattern in [0, ${limit})${
          this.#shift ? ` with the low ${this.#shift} bits zero` : ""
        } for ${this.name}; got ${String(bits)}`,
      );
    }
    return this.#decodeOne(bits / 2 ** this.#shift);
  }

  #decodeOne(p: number): number {
    const m = this.mantissaBits;
    const negative = p >= this.#signBit;
    const mag = negative ? p - this.#signBit : p;
    if (p === this.#nanBits) return NaN;
    if (this.finite === "ieee" && mag >= this.#infBits) {
      return mag === this.#infBits ? (negative ? -Infinity : Infinity) : NaN;
    }
    if (this.finite === "fn" && mag === this.#nanBits) return NaN;
    const E = Math.floor(mag / 2 ** m);
    const M = mag - E * 2 ** m;
    const v = E === 0 ? 2 ** this.#emin * (M / 2 ** m) : 2 ** (E - this.bias) * (1 + M / 2 ** m);
    return negative ? -v : v;
  }

  /**
   * The nearest representable value: `decode(encode(x, options))`.
   *
   * @param x The number to round.
   * @param options As for {@linkcode FloatFormat.encode}.
   * @returns The representable value.
   *
   * @example FP4 E2M1 has the levels 0, 0.5, 1, 1.5, 2, 3, 4, 6
   * ```ts
   * import { minifloat } from "@lowbit/numerics/minifloat";
   * import { deepEqual } from "node:assert/strict";
   * const fp4 = minifloat({ exponentBits: 2, mantissaBits: 1, finite: "all" });
   * deepEqual([0.3, 1.2, 2.5, 5, 5.1, 100].map((x) => fp4.round(x)), [0.5, 1, 2, 4, 6, 6]);
   * ```
   */
  round(x: number, options?: EncodeOptions): number {
    return this.decode(this.encode(x, options));
  }

  /**
   * Encodes every element. Float32Array input with round-to-nearest-even uses a branch-light
   * bit-level kernel (same results as {@linkcode FloatFormat.encode}); other inputs and modes
   * encode element by element.
   *
   * @param src The values.
   * @param options As for {@linkcode FloatFormat.encode}; stochastic rounding draws one uniform
   *   per element in order.
   * @param out Destination for the patterns (a new array if omitted).
   * @returns `out`: Uint8Array for formats up to 8 bits, Uint16Array up to 16, else Uint32Array.
   * @throws {RangeError} If `out` is too short, or an element is NaN and the format has no NaN.
   *
   * @example BF16 patterns of a Float32Array
   * ```ts
   * import { minifloat } from "@lowbit/numerics/minifloat";
   * import { deepEqual } from "node:assert/strict";
   * const bf16 = minifloat({ exponentBits: 8, mantissaBits: 7 });
   * deepEqual([...bf16.encodeArray(new Float32Array([1, -2, 3.14159]))], [0x3f80, 0xc000, 0x4049]);
   * ```
   */
  encodeArray(src: ArrayLike<number>, options?: EncodeOptions, out?: T): T {
    const n = src.length;
    const dst = out ?? new this.#arrayType(n);
    if (dst.length < n) {
      throw new RangeError(`out must hold at least ${n} elements; got ${dst.length}`);
    }
    const mode = options?.rounding ?? "nearest-even";
    const saturate = options?.saturate ?? false;
    const rne = saturate ? this.#rneSat : this.#rne;
    if (mode === "nearest-even" && rne !== null && src instanceof Float32Array) {
      const kernel = options?.kernel ?? "auto";
      if (kernel !== "auto" && kernel !== "wasm" && kernel !== "ts") {
        throw new RangeError(`kernel must be "auto", "wasm" or "ts"; got ${String(kernel)}`);
      }
      if (kernel === "wasm" && !minifloatWasmAvailable()) {
        throw new RangeError('kernel "wasm" requested but WebAssembly SIMD is unavailable here');
      }
      let done = 0;
      if (kernel !== "ts") {
        // Chooser: IEEE binary16 has its own constant-folded kernel (1.5x the generic one).
        if (this.#isBinary16 && f16WasmAvailable()) {
          float32ToFloat16BitsWasm(src, dst as Uint16Array, saturate);
          return dst;
        }
        done = encodeRneWasm(src, dst, rne);
      }
      if (done < 0) {
        throw new RangeError(`src[${-1 - done}] is NaN, which ${this.name} cannot encode`);
      }
      encodeRneChunked(src, dst, rne, this.name, done);
      return dst;
    }
    const { random } = resolveRounding(options);
    for (let i = 0; i < n; i++) {
      const x = src[i];
      if (x !== x && this.#nanBits < 0) {
        throw new RangeError(`src[${i}] is NaN, which ${this.name} cannot encode`);
      }
      dst[i] = this.#encodeOne(x, mode, saturate, random);
    }
    return dst;
  }

  /**
   * Decodes every pattern into a Float32Array (all values of these formats are float32 values).
   *
   * @param bits The patterns.
   * @param out Destination (a new Float32Array if omitted).
   * @returns `out`.
   * @throws {RangeError} If a pattern is invalid or `out` is too short.
   *
   * @example
   * ```ts
   * import { minifloat } from "@lowbit/numerics/minifloat";
   * import { deepEqual } from "node:assert/strict";
   * const fp6 = minifloat({ exponentBits: 3, mantissaBits: 2, finite: "all" });
   * deepEqual([...fp6.decodeArray(new Uint8Array([0x00, 0x1f, 0x3f]))], [0, 28, -28]);
   * ```
   */
  decodeArray(bits: ArrayLike<number>, out?: Float32Array): Float32Array {
    const n = bits.length;
    const dst = out ?? new Float32Array(n);
    if (dst.length < n) {
      throw new RangeError(`out must hold at least ${n} elements; got ${dst.length}`);
    }
    if (this.#shift !== 0 && this.bits + this.#shift === 32) {
      // TF32: patterns are float32 bits.
      for (let i = 0; i < n; i++) {
        const b = bits[i];
        if (!(b >= 0 && b <= 0xffffffff && b % 8192 === 0)) this.decode(b); // throws
        dst[i] = f32FromBits(b);
      }
      return dst;
    }
    if (this.bits > 16) {
      for (let i = 0; i < n; i++) dst[i] = this.decode(bits[i]);
      return dst;
    }
    if (this.#isBinary16 && bits instanceof Uint16Array && f16WasmAvailable()) {
      return float16BitsToFloat32Wasm(bits, dst);
    }
    const table = this.#table ??= this.#buildTable();
    for (let i = 0; i < n; i++) {
      const v = table[bits[i]];
      if (v === undefined) this.decode(bits[i]); // throws a RangeError naming the pattern
      dst[i] = v;
    }
    return dst;
  }

  #buildTable(): Float32Array {
    const t = new Float32Array(2 ** this.bits);
    for (let p = 0; p < t.length; p++) t[p] = this.#decodeOne(p);
    return t;
  }

  /**
   * Every finite non-negative value of the format in increasing order (formats up to 16 bits).
   *
   * @returns The values, starting with 0.
   * @throws {RangeError} For formats wider than 16 bits.
   *
   * @example FP4 E2M1
   * ```ts
   * import { minifloat } from "@lowbit/numerics/minifloat";
   * import { deepEqual } from "node:assert/strict";
   * const fp4 = minifloat({ exponentBits: 2, mantissaBits: 1, finite: "all" });
   * deepEqual([...fp4.values()], [0, 0.5, 1, 1.5, 2, 3, 4, 6]);
   * ```
   */
  values(): Float64Array {
    if (this.bits > 16) {
      throw new RangeError(`values() lists formats up to 16 bits; ${this.name} has ${this.bits}`);
    }
    const out: number[] = [];
    for (let p = 0; p <= this.#maxBits; p++) {
      const v = this.#decodeOne(p);
      if (Number.isFinite(v)) out.push(v);
    }
    return Float64Array.from(out);
  }
}

/**
 * Creates a binary floating-point format.
 *
 * @param spec Exponent and mantissa widths, optional bias and special-value family.
 * @returns The format (frozen).
 * @throws {RangeError} If `exponentBits` is outside 1..8 (2..8 for `"ieee"`), `mantissaBits`
 *   outside 1..23, `bias` not an integer, `finite` unknown, or the values would not fit in float32.
 *
 * @example OCP FP8 E4M3FN constants
 * ```ts
 * import { minifloat } from "@lowbit/numerics/minifloat";
 * import { equal } from "node:assert/strict";
 * const f = minifloat({ exponentBits: 4, mantissaBits: 3, finite: "fn" });
 * equal(f.max, 448);
 * equal(f.minNormal, 2 ** -6);
 * equal(f.minSubnormal, 2 ** -9);
 * equal(f.bits, 8);
 * ```
 */
export function minifloat(spec: MinifloatSpec): FloatFormat {
  return new FloatFormat(spec);
}
