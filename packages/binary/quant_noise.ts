/**
 * Quant-Noise (Fan, Stock, Graham, Grave, Gribonval, Jégou & Joulin 2020, "Training with
 * Quantization Noise for Extreme Model Compression"; survey §III-H): in each training forward
 * pass only a random subset of a layer's weight blocks is replaced by its quantized value φ(b),
 * each block independently with probability p (the noise rate); the other blocks stay in full
 * precision. The gradient passes straight through: ∂L/∂w = ∂L/∂ŵ for every weight (the STE on
 * the quantized blocks, the exact gradient on the others, which is the point of the method: most
 * weights get an unbiased gradient). In evaluation mode every block is quantized, so the model is
 * evaluated at its final precision; p = 1 is plain quantization-aware training with the same φ.
 *
 * The blocks and φ come from a {@linkcode BlockQuantizer} of `block_quantizers.ts` (intN with a
 * per-layer min-max grid, or PQ with a k-means codebook); its parameters are re-estimated from the
 * float weights every `refreshEvery` training passes (and on the first pass). The block mask is
 * drawn from a seeded Philox stream ({@linkcode quantNoiseMask}), so a run is reproducible.
 *
 * @example p = 0.5 on int4: each weight is either its float value or its int4 value
 * ```ts
 * import { IntBlockQuantizer } from "@lowbit/binary/block-quantizers";
 * import { QuantNoise } from "@lowbit/binary/quant-noise";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { equal, ok } from "node:assert/strict";
 * const w = Variable.from(Array.from({ length: 400 }, (_, i) => Math.sin(i)), [4, 100]);
 * const qn = new QuantNoise({ quantizer: new IntBlockQuantizer({ bits: 4 }), p: 0.5, seed: 1 });
 * const y = qn.forward(w).data;
 * const mask = qn.lastMask!;
 * const full = qn.quantizer.quantize(w.data);
 * ok(y.every((v, i) => v === (mask[i] ? full[i] : w.data[i])));
 * const drawn = mask.reduce((a, b) => a + b, 0);
 * ok(drawn > 160 && drawn < 240); // ≈ p·400 (binomial sd 10)
 * qn.eval();
 * equal(qn.forward(w).data.every((v, i) => v === full[i]), true); // eval: every block quantized
 * ```
 *
 * @module
 */

import { accumulate, record, type Variable } from "@lowbit/nn/autograd";
import { Module } from "@lowbit/nn/module";
import type { WeightQuantizable } from "@lowbit/nn/qat";
import { Philox } from "@lowbit/rounding/philox";
import type { BlockQuantizer } from "./block_quantizers.ts";

function checkP(p: number): number {
  if (typeof p !== "number" || !(p >= 0 && p <= 1)) {
    throw new RangeError(`options.p must be a number in [0, 1]; got ${String(p)}`);
  }
  return p;
}

/**
 * Which blocks to quantize in one forward pass: block i is drawn (1) when the i-th uniform of
 * `random` (53 random bits, `Philox.uniform`) is below p, so each block independently with
 * probability p; p = 0 draws none, p = 1 every block.
 *
 * @param blocks Number of blocks.
 * @param p The noise rate in [0, 1].
 * @param random The seeded stream (advanced by `blocks` uniforms).
 * @returns One byte per block: 1 = quantized, 0 = full precision.
 * @throws {RangeError} If `blocks` is not a non-negative integer or `p` is outside [0, 1].
 *
 * @example The same seed gives the same mask
 * ```ts
 * import { quantNoiseMask } from "@lowbit/binary/quant-noise";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { deepEqual, equal } from "node:assert/strict";
 * const a = quantNoiseMask(1000, 0.1, new Philox(7)), b = quantNoiseMask(1000, 0.1, new Philox(7));
 * deepEqual(a, b);
 * equal(quantNoiseMask(5, 1, new Philox(7)).join(""), "11111");
 * ```
 */
export function quantNoiseMask(blocks: number, p: number, random: Philox): Uint8Array {
  if (!Number.isInteger(blocks) || blocks < 0) {
    throw new RangeError(`blocks must be a non-negative integer; got ${String(blocks)}`);
  }
  checkP(p);
  const mask = new Uint8Array(blocks);
  for (let i = 0; i < blocks; i++) mask[i] = random.uniform() < p ? 1 : 0;
  return mask;
}

/** Options of {@linkcode QuantNoise}. */
export interface QuantNoiseOptions {
  /** The blocks and their quantized value φ. */
  quantizer: BlockQuantizer;
  /** Noise rate p ∈ [0, 1]: the probability that a block is quantized in a training pass. */
  p: number;
  /** Seed of the block mask's Philox stream. */
  seed: number;
  /** Philox stream number (default 0; give each layer its own). */
  stream?: number;
  /** Training forward passes between re-estimations of φ's parameters (default 1: every pass). */
  refreshEvery?: number;
}

/**
 * The Quant-Noise weight transform (module doc); install it with a layer's `setWeightQuant` or
 * {@linkcode prepareQuantNoise}.
 *
 * @example p = 0 is the float forward pass, p = 1 the full quantizer; the gradient is the identity
 * ```ts
 * import { IntBlockQuantizer } from "@lowbit/binary/block-quantizers";
 * import { QuantNoise } from "@lowbit/binary/quant-noise";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * const w = Variable.from([0.3, -0.7, 1.1, 0.05], [2, 2], { requiresGrad: true });
 * const off = new QuantNoise({ quantizer: new IntBlockQuantizer({ bits: 2 }), p: 0, seed: 1 });
 * deepEqual([...off.forward(w).data], [...w.data]);
 * const on = new QuantNoise({ quantizer: new IntBlockQuantizer({ bits: 2 }), p: 1, seed: 1 });
 * const y = on.forward(w);
 * deepEqual([...y.data], [...on.quantizer.quantize(w.data)]);
 * y.backward(new Float32Array([1, 2, 3, 4]));
 * deepEqual([...w.grad!], [1, 2, 3, 4]);
 * ```
 */
export class QuantNoise extends Module {
  /** The blocks and φ. */
  readonly quantizer: BlockQuantizer;
  /** Noise rate p. */
  readonly p: number;
  /** Training passes between refreshes. */
  readonly refreshEvery: number;
  /** The mask of the last training pass (1 = quantized block), or null before one. */
  lastMask: Uint8Array | null = null;
  readonly #random: Philox;
  #passes = 0;
  #refreshed = false;

  /**
   * Makes the transform.
   *
   * @param options Quantizer, noise rate, seed, stream, refresh period.
   * @throws {RangeError} If `options.p` is outside [0, 1] or `options.refreshEvery` is not a
   *   positive integer.
   */
  constructor(options: QuantNoiseOptions) {
    super();
    this.quantizer = options.quantizer;
    this.p = checkP(options.p);
    this.refreshEvery = options.refreshEvery ?? 1;
    if (!Number.isInteger(this.refreshEvery) || this.refreshEvery < 1) {
      throw new RangeError(
        `options.refreshEvery must be a positive integer; got ${String(options.refreshEvery)}`,
      );
    }
    this.#random = new Philox(options.seed, options.stream ?? 0);
  }

  /**
   * Re-estimates φ's parameters from the float weights now (e.g. the codebook of the trained
   * weights before the final evaluation).
   *
   * @param w The layer's weights.
   */
  refresh(w: Variable): void {
    this.quantizer.refresh(w.data);
    this.#refreshed = true;
  }

  /**
   * Training: a fresh mask, drawn blocks quantized, the rest in float. Evaluation: every block
   * quantized with the parameters of the last refresh. The gradient is the identity.
   *
   * @param w The layer's weights `[out, ...]`.
   * @returns ŵ, same shape.
   * @throws {RangeError} If a row of `w` is not a whole number of blocks.
   */
  forward(w: Variable): Variable {
    const bs = this.quantizer.blockSize;
    const rows = w.shape[0] ?? 1, inner = rows === 0 ? 0 : w.size / rows;
    if (inner % bs !== 0) {
      throw new RangeError(
        `${this.describe()}: a row of the weight ${
          JSON.stringify(w.shape)
        } has ${inner} weights, not a multiple of blockSize ${bs}`,
      );
    }
    if (this.training) {
      if (!this.#refreshed || this.#passes % this.refreshEvery === 0) this.refresh(w);
      this.#passes++;
    } else if (!this.#refreshed) this.refresh(w);
    const full = this.quantizer.quantize(w.data);
    let out = full;
    if (this.training) {
      const mask = quantNoiseMask(w.size / bs, this.p, this.#random);
      this.lastMask = mask;
      out = new Float32Array(w.size);
      for (let b = 0, i = 0; b < mask.length; b++) {
        const src = mask[b] === 1 ? full : w.data;
        for (let k = 0; k < bs; k++, i++) out[i] = src[i];
      }
    }
    return record("quantNoise", out, w.shape, [w], (g) => accumulate(w, g));
  }

  /**
   * The transform in words.
   *
   * @returns e.g. `QuantNoise(p = 0.1, int4 (per-layer min-max), blocks of 1)`.
   */
  describe(): string {
    return `QuantNoise(p = ${this.p}, ${this.quantizer.describe()})`;
  }
}

/** Options of {@linkcode prepareQuantNoise}. */
export interface PrepareQuantNoiseOptions {
  /** Noise rate p of every layer. */
  p: number;
  /** Mask seed; layer k (in visiting order) uses Philox stream k. */
  seed: number;
  /**
   * The quantizer of a layer by its path (e.g. `conv2`, `block.fc`), or null to leave the layer
   * in float.
   */
  quantizer: (path: string, weight: Variable) => BlockQuantizer | null;
  /** Training passes between refreshes (default 1). */
  refreshEvery?: number;
}

function isWeightQuantizable(m: Module): m is Module & WeightQuantizable {
  return typeof (m as Partial<WeightQuantizable>).setWeightQuant === "function";
}

/**
 * Installs a {@linkcode QuantNoise} on every Linear/Conv2d of `model` (at any depth) that the
 * `quantizer` callback gives a quantizer, in place.
 *
 * @param model The model (its layers get the transforms).
 * @param options Noise rate, seed, quantizer per layer, refresh period.
 * @returns The installed transforms by layer path.
 * @throws {RangeError} If `options.p` is outside [0, 1] or a layer already has a weight
 *   transform.
 *
 * @example int8 noise on the two layers of a small MLP
 * ```ts
 * import { IntBlockQuantizer } from "@lowbit/binary/block-quantizers";
 * import { prepareQuantNoise } from "@lowbit/binary/quant-noise";
 * import { Linear, ReLU, Sequential } from "@lowbit/nn";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { deepEqual } from "node:assert/strict";
 * const random = new Philox(1);
 * const m = new Sequential([["fc1", new Linear(4, 8, { random })], ["relu", new ReLU()], ["fc2", new Linear(8, 2, { random })]]);
 * const qn = prepareQuantNoise(m, { p: 0.1, seed: 3, quantizer: () => new IntBlockQuantizer({ bits: 8 }) });
 * deepEqual([...qn.keys()], ["fc1", "fc2"]);
 * ```
 */
export function prepareQuantNoise(
  model: Module,
  options: PrepareQuantNoiseOptions,
): Map<string, QuantNoise> {
  checkP(options.p);
  const out = new Map<string, QuantNoise>();
  const visit = (m: Module, path: string) => {
    if (isWeightQuantizable(m)) {
      const q = options.quantizer(path, m.weight);
      if (q !== null) {
        const qn = new QuantNoise({
          quantizer: q,
          p: options.p,
          seed: options.seed,
          stream: out.size,
          refreshEvery: options.refreshEvery,
        });
        m.setWeightQuant(qn);
        out.set(path, qn);
      }
    }
    for (const [n, c] of m.namedChildren()) visit(c, path === "" ? n : `${path}.${n}`);
  };
  visit(model, "");
  return out;
}
