/**
 * Multi-bit layers as sums of binary ones (DoReFa W1A2/W2A2, ABC-Net): a weight that is a
 * weighted sum of ±1 planes, W = Σ_m a_m·B_m, meets an activation that is an offset plus a
 * weighted sum of ±1 planes, x = c + Σ_k b_k·H_k. Every pair (B_m, H_k) is one XNOR-popcount
 * product on `gemmBinary` (a {@linkcode PackedConv2d}/{@linkcode PackedLinear} per weight plane),
 * so with the int32 accumulators A_mk = B_m ⊛ H_k and S_m = B_m ⊛ 1 (the offset's term)
 *
 *     W ⊛ x = Σ_m a_m·(c·S_m + Σ_k b_k·A_mk)   (+ bias),
 *
 * combined in float64 once per output. Padding is exact: a padded input is 0 in every plane's
 * accumulator (the layers' Larq-CE correction) and in S_m (B_m ⊛ 1 over the real taps only).
 *
 * The planes of each method (all exact, checked on every value):
 *
 * | quantizer                        | values                       | planes                                       |
 * | -------------------------------- | ---------------------------- | -------------------------------------------- |
 * | DoReFa k-bit activation, n = 2ᵏ−1 | j/n, j = Σ_b 2ᵇ·bit_b        | c = ½, b_b = 2ᵇ⁻¹/n, H_b = 2·bit_b − 1       |
 * | DoReFa 1-bit weight              | E\|W\|·sign W                | one plane, a = E\|W\|                        |
 * | DoReFa k-bit weight, k > 1       | (2j − n)/n                   | a_b = 2ᵇ/n, B_b = 2·bit_b − 1                |
 * | ABC-Net weight (M bases)         | Σ_m α_m·B_m                  | the bases and α of `abcBases`                |
 * | ABC-Net activation (N bases)     | Σ_n β_n·H_n, N + 1 levels    | c = 0, b_n = β_n; H read off the level       |
 *
 * @example DoReFa 2-bit activations meet 1-bit weights: one output, 2 planes, exact
 * ```ts
 * import { dorefaActivationPlanes, PackedPlaneLinear } from "@lowbit/binary/packed-planes";
 * import { deepEqual } from "node:assert/strict";
 * const x = Float32Array.from([0, 1 / 3, 2 / 3, 1]);
 * const fc = new PackedPlaneLinear([new Int8Array([1, -1, 1, 1])], [0.5], 1, 4);
 * // 0.5·(0 − ⅓ + ⅔ + 1) = ⅔
 * deepEqual([...fc.forward(dorefaActivationPlanes(x, 2), 1)], [Math.fround(2 / 3)]);
 * ```
 *
 * @module
 */

import { PackedConv2d, type PackedConvGeometry, PackedLinear } from "./packed_layers.ts";
import { abcBases } from "./weights.ts";
import { checkCodes, packChannels } from "./packed_bits.ts";

/** An activation as c + Σ_k b_k·H_k with ±1 planes H_k (module doc). */
export interface ActivationPlanes {
  /** The ±1 planes, each the activation's length. */
  planes: Int8Array[];
  /** b_k, one per plane. */
  coef: number[];
  /** c. */
  offset: number;
}

/** A weight as Σ_m a_m·B_m with ±1 planes B_m (module doc). */
export interface WeightPlanes {
  /** The ±1 planes, each the weight's length (OIHW or `[O][K]`). */
  planes: Int8Array[];
  /** a_m, one per plane. */
  coef: number[];
}

function checkBits(bits: number): number {
  if (!Number.isInteger(bits) || bits < 1 || bits > 8) {
    throw new RangeError(`bits must be an integer in [1, 8]; got ${String(bits)}`);
  }
  return bits;
}

/** j ∈ [0, n] of a value on the grid {j/n} exactly as float32 (else a RangeError). */
function levelsOf(name: string, v: ArrayLike<number>, n: number, lo: number): Int32Array {
  const j = new Int32Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const t = Math.round(((v[i] - lo) * n) / (1 - lo));
    if (!(t >= 0 && t <= n) || Math.fround(lo + ((1 - lo) * t) / n) !== Math.fround(v[i])) {
      throw new RangeError(`${name}[${i}] = ${v[i]} is not one of the ${n + 1} levels`);
    }
    j[i] = t;
  }
  return j;
}

function bitPlanes(j: Int32Array, bits: number): Int8Array[] {
  return Array.from(
    { length: bits },
    (_, b) => Int8Array.from(j, (t) => ((t >> b) & 1 ? 1 : -1)),
  );
}

/**
 * The planes of DoReFa k-bit activations j/n (n = 2ᵏ − 1; module table).
 *
 * @param values Activations, each exactly a float32 level j/n.
 * @param bits k ∈ [1, 8].
 * @returns c = ½, b_b = 2ᵇ⁻¹/n, H_b = ±1 from bit b of j.
 * @throws {RangeError} If `bits` is out of range or a value is not a level.
 *
 * @example ⅔ = ½ − ⅙·1 + ⅓·1 (j = 2: bit 0 clear, bit 1 set)
 * ```ts
 * import { dorefaActivationPlanes } from "@lowbit/binary/packed-planes";
 * import { deepEqual } from "node:assert/strict";
 * const p = dorefaActivationPlanes(Float32Array.from([2 / 3]), 2);
 * deepEqual([p.offset, p.coef, p.planes.map((h) => h[0])], [0.5, [1 / 6, 1 / 3], [-1, 1]]);
 * ```
 */
export function dorefaActivationPlanes(values: ArrayLike<number>, bits: number): ActivationPlanes {
  const k = checkBits(bits), n = 2 ** k - 1;
  const j = levelsOf("values", values, n, 0);
  return {
    planes: bitPlanes(j, k),
    coef: Array.from({ length: k }, (_, b) => 2 ** b / (2 * n)),
    offset: 0.5,
  };
}

/**
 * The planes of a DoReFa k-bit quantized weight (module table).
 *
 * @param quantized The quantized weight (`dorefaWeights` output).
 * @param bits k ∈ [1, 8].
 * @returns One plane ±1 with a = E|W| (k = 1), else k planes with a_b = 2ᵇ/n.
 * @throws {RangeError} If `bits` is out of range or a value is off the method's levels.
 *
 * @example 2 bits: −⅓ = ⅓·1 + ⅔·(−1)
 * ```ts
 * import { dorefaWeightPlanes } from "@lowbit/binary/packed-planes";
 * import { deepEqual } from "node:assert/strict";
 * const p = dorefaWeightPlanes(Float32Array.from([-1 / 3, 1]), 2);
 * deepEqual([p.coef, p.planes.map((b) => [...b])], [[1 / 3, 2 / 3], [[1, 1], [-1, 1]]]);
 * ```
 */
export function dorefaWeightPlanes(quantized: ArrayLike<number>, bits: number): WeightPlanes {
  const k = checkBits(bits);
  if (quantized.length === 0) throw new RangeError("quantized must not be empty");
  if (k === 1) {
    const s = Math.abs(quantized[0]);
    const plane = new Int8Array(quantized.length);
    for (let i = 0; i < quantized.length; i++) {
      if (Math.abs(quantized[i]) !== s || s === 0) {
        throw new RangeError(`quantized[${i}] = ${quantized[i]} is not ±${s} (1-bit DoReFa)`);
      }
      plane[i] = quantized[i] > 0 ? 1 : -1;
    }
    return { planes: [plane], coef: [s] };
  }
  const n = 2 ** k - 1;
  const j = levelsOf("quantized", quantized, n, -1);
  return { planes: bitPlanes(j, k), coef: Array.from({ length: k }, (_, b) => 2 ** b / n) };
}

/**
 * The planes of an ABC-Net weight: the bases and α of `abcBases` on the latent weight (the
 * same call the training forward makes).
 *
 * @param latent The latent float weight.
 * @param bases M ∈ [1, 8].
 * @returns B_m and a_m = α_m.
 * @throws {RangeError} As `abcBases`.
 *
 * @example
 * ```ts
 * import { abcWeightPlanes } from "@lowbit/binary/packed-planes";
 * import { deepEqual } from "node:assert/strict";
 * const p = abcWeightPlanes(Float32Array.from([1, 3]), 1);
 * deepEqual([[...p.planes[0]], p.coef.map((a) => +a.toFixed(6))], [[-1, 1], [1]]);
 * ```
 */
export function abcWeightPlanes(latent: ArrayLike<number>, bases: number): WeightPlanes {
  const fit = abcBases(latent, bases);
  return { planes: fit.bases, coef: [...fit.alpha] };
}

/**
 * One level of an activation with ±1 planes: its float32 value and the plane codes there.
 */
export interface ActivationLevel {
  /** The activation's float32 value at this level. */
  value: number;
  /** The ±1 code of each plane. */
  codes: readonly number[];
}

/**
 * The planes of an activation that takes finitely many values, each a known pattern of codes
 * (ABC-Net's Σ β_n·H_n: N + 1 levels), by looking every value up.
 *
 * @param values Activations, each one of the levels' values (a max-pool keeps them so).
 * @param levels The levels (value → codes); where two share a value the first is used.
 * @param coef b_k, one per plane (ABC-Net: β).
 * @returns c = 0, b = coef, H_k the codes of each value's level.
 * @throws {RangeError} If a value is not a level's, or a level has the wrong number of codes.
 *
 * @example Two planes, three levels: −3 = −1 − 2, −1 = 1 − 2, 3 = 1 + 2
 * ```ts
 * import { levelActivationPlanes } from "@lowbit/binary/packed-planes";
 * import { deepEqual } from "node:assert/strict";
 * const lv = [{ value: -3, codes: [-1, -1] }, { value: -1, codes: [1, -1] }, { value: 3, codes: [1, 1] }];
 * const p = levelActivationPlanes(Float32Array.from([3, -1]), lv, [1, 2]);
 * deepEqual(p.planes.map((h) => [...h]), [[1, 1], [1, -1]]);
 * ```
 */
export function levelActivationPlanes(
  values: ArrayLike<number>,
  levels: readonly ActivationLevel[],
  coef: readonly number[],
): ActivationPlanes {
  const K = coef.length, byValue = new Map<number, readonly number[]>();
  for (const l of levels) {
    if (l.codes.length !== K) {
      throw new RangeError(`a level has ${l.codes.length} codes; coef has ${K} planes`);
    }
    if (!byValue.has(Math.fround(l.value))) byValue.set(Math.fround(l.value), l.codes);
  }
  const planes = Array.from({ length: K }, () => new Int8Array(values.length));
  for (let i = 0; i < values.length; i++) {
    const c = byValue.get(values[i]);
    if (c === undefined) throw new RangeError(`values[${i}] = ${values[i]} is not a level`);
    for (let k = 0; k < K; k++) planes[k][i] = c[k];
  }
  return { planes, coef: [...coef], offset: 0 };
}

function checkPlanes(w: WeightPlanes, length: number): void {
  if (w.planes.length === 0 || w.planes.length !== w.coef.length) {
    throw new RangeError(
      `weights has ${w.planes.length} planes and ${w.coef.length} coefficients; need ≥ 1, equal`,
    );
  }
  for (const p of w.planes) {
    if (p.length !== length) {
      throw new RangeError(`a weight plane has ${p.length} codes; expected ${length}`);
    }
  }
}

function checkBias(bias: ArrayLike<number> | null, O: number): void {
  if (bias !== null && bias.length !== O) {
    throw new RangeError(`bias has ${bias.length} entries; expected ${O}`);
  }
}

/** out[(n·O + o)·P + p] = Σ_m a_m·(c·S_m[o·P + p] + Σ_k b_k·A_mk[…]) + bias_o, float64 → f32. */
function combine(
  acc: Int32Array[][],
  ones: Int32Array[],
  w: WeightPlanes,
  x: ActivationPlanes,
  bias: ArrayLike<number> | null,
  N: number,
  O: number,
  P: number,
): Float32Array {
  const out = new Float32Array(N * O * P);
  for (let i = 0; i < out.length; i++) {
    const op = i % (O * P), o = Math.floor(op / P);
    let s = 0;
    for (let m = 0; m < w.planes.length; m++) {
      let t = x.offset === 0 ? 0 : x.offset * ones[m][op];
      for (let k = 0; k < x.planes.length; k++) t += x.coef[k] * acc[m][k][i];
      s += w.coef[m] * t;
    }
    out[i] = bias === null ? s : s + bias[o];
  }
  return out;
}

/**
 * A Linear layer W = Σ_m a_m·B_m on activations with ±1 planes (module doc).
 *
 * @example One weight plane, ±1 input (c = 0, b = 1): the plain XNOR-popcount product × a
 * ```ts
 * import { PackedPlaneLinear } from "@lowbit/binary/packed-planes";
 * import { deepEqual } from "node:assert/strict";
 * const fc = new PackedPlaneLinear([new Int8Array([1, 1, -1])], [2], 1, 3, [0.5]);
 * const y = fc.forward({ planes: [new Int8Array([1, -1, -1])], coef: [1], offset: 0 }, 1);
 * deepEqual([...y], [2 * 1 + 0.5]);
 * ```
 */
export class PackedPlaneLinear {
  /** O. */
  readonly outFeatures: number;
  /** K. */
  readonly inFeatures: number;
  readonly #w: WeightPlanes;
  readonly #layers: PackedLinear[];
  readonly #ones: Int32Array[];
  readonly #bias: ArrayLike<number> | null;

  /**
   * Packs every weight plane.
   *
   * @param planes B_m, each `[O][K]` ±1 codes.
   * @param coef a_m.
   * @param outFeatures O.
   * @param inFeatures K.
   * @param bias Per-output bias (default none).
   * @throws {RangeError} On mismatched planes, coefficients, sizes or bias.
   */
  constructor(
    planes: Int8Array[],
    coef: readonly number[],
    outFeatures: number,
    inFeatures: number,
    bias: ArrayLike<number> | null = null,
  ) {
    this.#w = { planes, coef: [...coef] };
    checkPlanes(this.#w, outFeatures * inFeatures);
    checkBias(bias, outFeatures);
    this.outFeatures = outFeatures;
    this.inFeatures = inFeatures;
    this.#layers = planes.map((p) => new PackedLinear(p, outFeatures, inFeatures));
    this.#ones = planes.map((p) => {
      const s = new Int32Array(outFeatures);
      for (let i = 0; i < p.length; i++) s[Math.floor(i / inFeatures)] += p[i];
      return s;
    });
    this.#bias = bias;
  }

  /**
   * Multiplies.
   *
   * @param x The input's planes, each `[N][K]`.
   * @param batch N.
   * @returns `[N][O]` float32.
   * @throws {RangeError} On planes of another length.
   */
  forward(x: ActivationPlanes, batch: number): Float32Array {
    const acc = this.#layers.map((l) => x.planes.map((h) => l.forward(h, batch)));
    return combine(acc, this.#ones, this.#w, x, this.#bias, batch, this.outFeatures, 1);
  }
}

/**
 * A 2-D convolution W = Σ_m a_m·B_m (OIHW planes) on NCHW activations with ±1 planes.
 *
 * @example A 1×1 convolution with padding 1: the border outputs are the bias (padded zeros)
 * ```ts
 * import { PackedPlaneConv2d } from "@lowbit/binary/packed-planes";
 * import { deepEqual } from "node:assert/strict";
 * const conv = new PackedPlaneConv2d([new Int8Array([1])], [3], { inChannels: 1, outChannels: 1, kernelH: 1, kernelW: 1, padding: 1 }, [1]);
 * const { out, outH, outW } = conv.forward({ planes: [new Int8Array([-1])], coef: [0.5], offset: 0.5 }, 1, 1, 1);
 * deepEqual([outH, outW, out[4], out[0]], [3, 3, 1, 1]); // x = 0.5 − 0.5 = 0: 3·0 + 1
 * ```
 */
export class PackedPlaneConv2d {
  /** The geometry. */
  readonly geometry: Readonly<PackedConvGeometry>;
  readonly #w: WeightPlanes;
  readonly #layers: PackedConv2d[];
  readonly #bias: ArrayLike<number> | null;
  readonly #ones = new Map<string, Int32Array[]>();

  /**
   * Packs every weight plane.
   *
   * @param planes B_m, each OIHW ±1 codes.
   * @param coef a_m.
   * @param geometry Channels, kernel, stride, padding, dilation (groups 1).
   * @param bias Per-output-channel bias (default none).
   * @throws {RangeError} On mismatched planes, coefficients, geometry or bias.
   */
  constructor(
    planes: Int8Array[],
    coef: readonly number[],
    geometry: PackedConvGeometry,
    bias: ArrayLike<number> | null = null,
  ) {
    const O = geometry.outChannels;
    this.#w = { planes, coef: [...coef] };
    checkPlanes(this.#w, O * geometry.inChannels * geometry.kernelH * geometry.kernelW);
    checkBias(bias, O);
    this.#layers = planes.map((p) => new PackedConv2d(p, geometry));
    this.geometry = this.#layers[0].geometry;
    this.#bias = bias;
  }

  /**
   * Convolves.
   *
   * @param x The input's planes, each NCHW.
   * @param batch N.
   * @param height H.
   * @param width W.
   * @returns NCHW float32 output and its size.
   * @throws {RangeError} On bad sizes or planes of another length.
   */
  forward(
    x: ActivationPlanes,
    batch: number,
    height: number,
    width: number,
  ): { out: Float32Array; outH: number; outW: number } {
    const C = this.geometry.inChannels;
    for (const h of x.planes) checkCodes("x.planes", h, false, batch * C * height * width);
    // each activation plane is packed once and meets every weight plane
    const bits = x.planes.map((h) => packChannels(h, batch, C, height, width));
    const res = this.#layers.map((l) => bits.map((b) => l.forwardPacked(b, batch, height, width)));
    const { outH, outW } = res[0][0];
    const key = `${height}x${width}`;
    let ones = this.#ones.get(key);
    if (ones === undefined) {
      const one = new Int8Array(this.geometry.inChannels * height * width).fill(1);
      ones = this.#layers.map((l) => l.forward(one, 1, height, width).acc);
      this.#ones.set(key, ones);
    }
    const acc = res.map((r) => r.map((a) => a.acc));
    const O = this.geometry.outChannels;
    return {
      out: combine(acc, ones, this.#w, x, this.#bias, batch, O, outH * outW),
      outH,
      outW,
    };
  }
}
