/**
 * Straight-through estimator (STE) gradients of quantizers, as pure functions over Float32Array
 * (survey §III-G, Fig. 5; Bengio et al. 2013). Rounding is flat almost everywhere, so its true
 * derivative is 0; the STE treats round(·) as the identity in the backward pass. Forward and
 * backward sit side by side; one table:
 *
 * | forward                                   | backward (this module)                        |
 * |-------------------------------------------|-----------------------------------------------|
 * | fake quant x̂ = (clamp(round(x/S)+Z) − Z)S | ∂x̂/∂x = 1 in [(qmin−Z)S, (qmax−Z)S], else 0 (S.1) |
 * | LSQ x̂ = s · clamp(round(x/s), qmin, qmax) | ∂x̂/∂s = −x/s + round(x/s) inside, qmin / qmax at the clipped ends (S.2) |
 * | PACT y = clamp(x, 0, α) (then quantized)  | ∂y/∂α = 1 where x ≥ α, else 0 (S.3); ∂y/∂x = 1 on [0, α) |
 *
 * **S.1** (`fakeQuantMask`): the clipping-range rule x ∈ [(qmin − Z)·S, (qmax − Z)·S] (ends
 * included, computed as float32 like Eq. U.2), or with `rule: "rounded"` PyTorch's
 * `fake_quantize_per_tensor_affine` mask, round_half_even(fl(x · fl(1/S))) + Z ∈ [qmin, qmax],
 * which also passes the half step just beyond each end.
 *
 * **S.2** (Esser et al. ICLR 2020 "Learned Step Size Quantization", Eq. 3), with v = x/s,
 * −Qn = qmin, Qp = qmax: ∂x̂/∂s = −v + round(v) if qmin < v < qmax; qmin if v ≤ qmin; qmax if
 * v ≥ qmax. It is the exact derivative of the STE surrogate x̂ = s · clamp(v + sg(round(v) − v),
 * qmin, qmax) (sg: stop-gradient); the true forward's derivative differs only by the STE term −v
 * inside. LSQ multiplies the step-size gradient by g = 1/√(N · Qp) (N: number of weights, or of
 * features for activations) to balance its magnitude against the weights' (paper §2.2).
 * Rounding is half to even; v = x/s is taken in float64.
 *
 * **S.3** (Choi et al. 2018 "PACT", Eq. 3): with the quantizer passed straight through
 * (∂y_q/∂y = 1), ∂y_q/∂α = ∂y/∂α = 1 for x ≥ α and 0 for x < α — the dependence of the step
 * α/(2^k − 1) on α is ignored, as in the paper.
 *
 * @module
 */

const f32 = Math.fround;

/** Per-tensor fake-quantization parameters (the per-tensor case of `QuantParams`). */
export interface FakeQuantRange {
  /** Step size S > 0. */
  scale: number;
  /** Integer zero point Z. */
  zeroPoint: number;
  /** Smallest code. */
  qmin: number;
  /** Largest code. */
  qmax: number;
}

/** Options of {@linkcode fakeQuantMask}. */
export interface FakeQuantMaskOptions {
  /**
   * `"range"` (default): x inside [(qmin − Z)S, (qmax − Z)S]. `"rounded"`: the rounded code
   * round_half_even(fl(x · fl(1/S))) + Z inside [qmin, qmax] (PyTorch's mask).
   */
  rule?: "range" | "rounded";
}

/** A code range `{ qmin, qmax }`. */
export interface CodeRange {
  /** Smallest code (−Qn). */
  qmin: number;
  /** Largest code (Qp). */
  qmax: number;
}

function checkArray(x: unknown, name: string): Float32Array {
  if (!(x instanceof Float32Array)) throw new TypeError(`${name} must be a Float32Array`);
  return x;
}

function checkScale(scale: unknown, name = "scale"): number {
  if (typeof scale !== "number" || !Number.isFinite(scale) || !(scale > 0)) {
    throw new RangeError(`${name} must be a finite positive number; got ${String(scale)}`);
  }
  return scale;
}

function checkRange(qmin: unknown, qmax: unknown, name: string): void {
  if (!Number.isInteger(qmin) || !Number.isInteger(qmax) || (qmin as number) >= (qmax as number)) {
    throw new RangeError(
      `${name}.qmin and ${name}.qmax must be integers with qmin < qmax; got ${String(qmin)}, ${
        String(qmax)
      }`,
    );
  }
}

function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The STE gradient mask of fake quantization w.r.t. its input (Eq. S.1): 1 where x passes
 * through, 0 where it is clipped.
 *
 * @param x The forward input.
 * @param params Scale, zero point and code range (per-tensor).
 * @param options `rule`: `"range"` (default) or `"rounded"` (PyTorch).
 * @returns A Uint8Array of 0/1.
 * @throws {TypeError} If `x` is not a Float32Array.
 * @throws {RangeError} If the parameters or `options.rule` are invalid.
 *
 * @example Signed 4-bit, S = 0.5: the range is [−4, 3.5]
 * ```ts
 * import { fakeQuantMask } from "@lowbit/quantize/ste";
 * import { deepEqual } from "node:assert/strict";
 * const x = new Float32Array([-5, -4, 0.3, 3.5, 3.7]);
 * const p = { scale: 0.5, zeroPoint: 0, qmin: -8, qmax: 7 };
 * deepEqual([...fakeQuantMask(x, p)], [0, 1, 1, 1, 0]);
 * deepEqual([...fakeQuantMask(x, p, { rule: "rounded" })], [0, 1, 1, 1, 1]); // round(7.4) = 7
 * ```
 */
export function fakeQuantMask(
  x: Float32Array,
  params: FakeQuantRange,
  options: FakeQuantMaskOptions = {},
): Uint8Array {
  checkArray(x, "x");
  const { scale, zeroPoint, qmin, qmax } = params ?? {};
  checkScale(scale, "params.scale");
  checkRange(qmin, qmax, "params");
  if (!Number.isInteger(zeroPoint)) {
    throw new RangeError(`params.zeroPoint must be an integer; got ${String(zeroPoint)}`);
  }
  const rule = options.rule ?? "range";
  const mask = new Uint8Array(x.length);
  const s = f32(scale);
  if (rule === "range") {
    const lo = f32((qmin - zeroPoint) * s), hi = f32((qmax - zeroPoint) * s);
    for (let i = 0; i < x.length; i++) mask[i] = x[i] >= lo && x[i] <= hi ? 1 : 0;
  } else if (rule === "rounded") {
    const inv = f32(1 / s);
    for (let i = 0; i < x.length; i++) {
      const q = roundHalfEven(f32(x[i] * inv)) + zeroPoint;
      mask[i] = q >= qmin && q <= qmax ? 1 : 0;
    }
  } else {
    throw new RangeError(`options.rule must be "range" or "rounded"; got ${String(rule)}`);
  }
  return mask;
}

/**
 * The straight-through gradient: the upstream gradient where the mask is set, 0 elsewhere.
 *
 * @param gradOut ∂L/∂x̂.
 * @param mask A 0/1 mask of the same length (Uint8Array or Float32Array).
 * @returns ∂L/∂x = gradOut ⊙ mask, a new Float32Array.
 * @throws {TypeError} If `gradOut` is not a Float32Array.
 * @throws {RangeError} If the lengths differ.
 *
 * @example
 * ```ts
 * import { steGrad } from "@lowbit/quantize/ste";
 * import { deepEqual } from "node:assert/strict";
 * const g = steGrad(new Float32Array([0.5, -2, 3]), new Uint8Array([1, 0, 1]));
 * deepEqual([...g], [0.5, 0, 3]);
 * ```
 */
export function steGrad(gradOut: Float32Array, mask: Uint8Array | Float32Array): Float32Array {
  checkArray(gradOut, "gradOut");
  if (mask?.length !== gradOut.length) {
    throw new RangeError(
      `mask must have gradOut's length ${gradOut.length}; got ${String(mask?.length)}`,
    );
  }
  const out = new Float32Array(gradOut.length);
  for (let i = 0; i < out.length; i++) out[i] = mask[i] ? gradOut[i] : 0;
  return out;
}

/**
 * LSQ's forward: x̂ = s · clamp(round_half_even(x/s), qmin, qmax), in float64 then float32.
 *
 * @param x The values.
 * @param scale Step size s > 0.
 * @param range `{ qmin: −Qn, qmax: Qp }`.
 * @returns A new Float32Array.
 * @throws {TypeError} If `x` is not a Float32Array.
 * @throws {RangeError} If `scale` or `range` is invalid.
 *
 * @example
 * ```ts
 * import { lsqForward } from "@lowbit/quantize/ste";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...lsqForward(new Float32Array([0.3, 1.25, -9]), 0.5, { qmin: -4, qmax: 3 })], [0.5, 1, -2]);
 * ```
 */
export function lsqForward(x: Float32Array, scale: number, range: CodeRange): Float32Array {
  checkArray(x, "x");
  checkScale(scale);
  checkRange(range?.qmin, range?.qmax, "range");
  const { qmin, qmax } = range;
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const q = roundHalfEven(x[i] / scale);
    out[i] = scale * (q < qmin ? qmin : q > qmax ? qmax : q);
  }
  return out;
}

/**
 * LSQ's per-element step-size gradient ∂x̂/∂s (Eq. S.2, without the scale g).
 *
 * @param x The forward input.
 * @param scale Step size s > 0.
 * @param range `{ qmin: −Qn, qmax: Qp }`.
 * @returns A new Float32Array of ∂x̂_i/∂s.
 * @throws {TypeError} If `x` is not a Float32Array.
 * @throws {RangeError} If `scale` or `range` is invalid.
 *
 * @example s = 1, 3-bit signed: inside −v + round(v), then −4 and 3 at the ends
 * ```ts
 * import { lsqLocalGrad } from "@lowbit/quantize/ste";
 * import { deepEqual } from "node:assert/strict";
 * const g = lsqLocalGrad(new Float32Array([0.25, 1.75, -5, 3.5]), 1, { qmin: -4, qmax: 3 });
 * deepEqual([...g], [-0.25, 0.25, -4, 3]);
 * ```
 */
export function lsqLocalGrad(x: Float32Array, scale: number, range: CodeRange): Float32Array {
  checkArray(x, "x");
  checkScale(scale);
  checkRange(range?.qmin, range?.qmax, "range");
  const { qmin, qmax } = range;
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i] / scale;
    out[i] = v <= qmin ? qmin : v >= qmax ? qmax : roundHalfEven(v) - v;
  }
  return out;
}

/**
 * LSQ's gradient scale g = 1/√(N · Qp).
 *
 * @param count N: the number of weights in the layer (or features, for activations).
 * @param qmax Qp > 0, the largest code.
 * @returns g.
 * @throws {RangeError} If `count` is not a positive integer or `qmax` is not positive.
 *
 * @example A 3×3×64×64 conv weight at 4 bits (Qp = 7)
 * ```ts
 * import { lsqGradScale } from "@lowbit/quantize/ste";
 * import { ok } from "node:assert/strict";
 * ok(Math.abs(lsqGradScale(36864, 7) - 1 / Math.sqrt(36864 * 7)) < 1e-15); // ≈ 0.00195
 * ```
 */
export function lsqGradScale(count: number, qmax: number): number {
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new RangeError(`count must be a positive integer; got ${String(count)}`);
  }
  if (typeof qmax !== "number" || !(qmax > 0) || !Number.isFinite(qmax)) {
    throw new RangeError(`qmax (Qp) must be a positive number; got ${String(qmax)}`);
  }
  return 1 / Math.sqrt(count * qmax);
}

/** Options of {@linkcode lsqScaleGrad}. */
export interface LsqScaleGradOptions extends CodeRange {
  /** ∂L/∂x̂ per element (default: all ones, i.e. the gradient of Σ x̂). */
  gradOut?: Float32Array;
  /** Gradient scale g (default 1/√(N · qmax) with N = x.length; requires qmax > 0). */
  gradScale?: number;
}

/**
 * ∂L/∂s for LSQ: g · Σ_i gradOut_i · ∂x̂_i/∂s (Eq. S.2), accumulated in float64.
 *
 * @param x The forward input.
 * @param scale Step size s > 0.
 * @param options Code range, upstream gradient, gradient scale.
 * @returns The scalar gradient of the step size.
 * @throws {TypeError} If `x` or `gradOut` is not a Float32Array.
 * @throws {RangeError} If the scale, range, lengths or gradient scale are invalid.
 *
 * @example Unscaled (g = 1): −0.25 + 0.25 − 4 + 3
 * ```ts
 * import { lsqScaleGrad } from "@lowbit/quantize/ste";
 * import { equal } from "node:assert/strict";
 * const x = new Float32Array([0.25, 1.75, -5, 3.5]);
 * equal(lsqScaleGrad(x, 1, { qmin: -4, qmax: 3, gradScale: 1 }), -1);
 * equal(lsqScaleGrad(x, 1, { qmin: -4, qmax: 3 }), -1 / Math.sqrt(4 * 3));
 * ```
 */
export function lsqScaleGrad(x: Float32Array, scale: number, options: LsqScaleGradOptions): number {
  const local = lsqLocalGrad(x, scale, options);
  const g = options.gradScale ?? lsqGradScale(Math.max(x.length, 1), options.qmax);
  if (typeof g !== "number" || !Number.isFinite(g)) {
    throw new RangeError(`options.gradScale must be a finite number; got ${String(g)}`);
  }
  const gradOut = options.gradOut;
  if (gradOut !== undefined) {
    checkArray(gradOut, "options.gradOut");
    if (gradOut.length !== x.length) {
      throw new RangeError(
        `options.gradOut must have x's length ${x.length}; got ${gradOut.length}`,
      );
    }
  }
  let s = 0;
  for (let i = 0; i < local.length; i++) s += (gradOut ? gradOut[i] : 1) * local[i];
  return g * s;
}

function checkAlpha(alpha: unknown): number {
  if (typeof alpha !== "number" || !Number.isFinite(alpha) || !(alpha > 0)) {
    throw new RangeError(`alpha must be a finite positive number; got ${String(alpha)}`);
  }
  return alpha;
}

/**
 * PACT's forward: y = clamp(x, 0, α), then, with `bits`, uniform k-bit quantization
 * y_q = round_half_even(y · (2^k − 1)/α) · α/(2^k − 1).
 *
 * @param x The activations.
 * @param alpha The clipping level α > 0.
 * @param bits Optional bit width k in 1..16 (omit for the unquantized clip).
 * @returns A new Float32Array.
 * @throws {TypeError} If `x` is not a Float32Array.
 * @throws {RangeError} If `alpha` or `bits` is invalid.
 *
 * @example α = 3, 2 bits: levels 0, 1, 2, 3
 * ```ts
 * import { pactForward } from "@lowbit/quantize/ste";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...pactForward(new Float32Array([-1, 1.4, 5]), 3)], [0, Math.fround(1.4), 3]);
 * deepEqual([...pactForward(new Float32Array([-1, 1.4, 5]), 3, 2)], [0, 1, 3]);
 * ```
 */
export function pactForward(x: Float32Array, alpha: number, bits?: number): Float32Array {
  checkArray(x, "x");
  checkAlpha(alpha);
  if (bits !== undefined && (!Number.isInteger(bits) || bits < 1 || bits > 16)) {
    throw new RangeError(`bits must be an integer in [1, 16]; got ${String(bits)}`);
  }
  const out = new Float32Array(x.length);
  const levels = bits === undefined ? 0 : 2 ** bits - 1;
  for (let i = 0; i < x.length; i++) {
    const y = x[i] < 0 ? 0 : x[i] > alpha ? alpha : x[i];
    out[i] = levels ? (roundHalfEven((y * levels) / alpha) * alpha) / levels : y;
  }
  return out;
}

/**
 * PACT's STE mask for α (Eq. S.3): 1 where x ≥ α, else 0.
 *
 * @param x The forward input.
 * @param alpha The clipping level α > 0.
 * @returns A Uint8Array of 0/1.
 * @throws {TypeError} If `x` is not a Float32Array.
 * @throws {RangeError} If `alpha` is invalid.
 *
 * @example
 * ```ts
 * import { pactAlphaMask } from "@lowbit/quantize/ste";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...pactAlphaMask(new Float32Array([-1, 2, 3, 7]), 3)], [0, 0, 1, 1]);
 * ```
 */
export function pactAlphaMask(x: Float32Array, alpha: number): Uint8Array {
  checkArray(x, "x");
  checkAlpha(alpha);
  const m = new Uint8Array(x.length);
  for (let i = 0; i < x.length; i++) m[i] = x[i] >= alpha ? 1 : 0;
  return m;
}

/**
 * PACT's STE mask for the input: 1 where 0 ≤ x < α (the pass-through part), else 0.
 *
 * @param x The forward input.
 * @param alpha The clipping level α > 0.
 * @returns A Uint8Array of 0/1.
 * @throws {TypeError} If `x` is not a Float32Array.
 * @throws {RangeError} If `alpha` is invalid.
 *
 * @example
 * ```ts
 * import { pactInputMask } from "@lowbit/quantize/ste";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...pactInputMask(new Float32Array([-1, 0, 2, 3, 7]), 3)], [0, 1, 1, 0, 0]);
 * ```
 */
export function pactInputMask(x: Float32Array, alpha: number): Uint8Array {
  checkArray(x, "x");
  checkAlpha(alpha);
  const m = new Uint8Array(x.length);
  for (let i = 0; i < x.length; i++) m[i] = x[i] >= 0 && x[i] < alpha ? 1 : 0;
  return m;
}

/**
 * ∂L/∂α for PACT: Σ_i gradOut_i · [x_i ≥ α] (Eq. S.3), accumulated in float64.
 *
 * @param x The forward input.
 * @param alpha The clipping level α > 0.
 * @param gradOut ∂L/∂y_q per element (default all ones).
 * @returns The scalar gradient of α.
 * @throws {TypeError} If `x` or `gradOut` is not a Float32Array.
 * @throws {RangeError} If `alpha` is invalid or the lengths differ.
 *
 * @example
 * ```ts
 * import { pactAlphaGrad } from "@lowbit/quantize/ste";
 * import { equal } from "node:assert/strict";
 * const x = new Float32Array([-1, 2, 3, 7]);
 * equal(pactAlphaGrad(x, 3), 2);
 * equal(pactAlphaGrad(x, 3, new Float32Array([5, 5, 0.5, -2])), -1.5);
 * ```
 */
export function pactAlphaGrad(x: Float32Array, alpha: number, gradOut?: Float32Array): number {
  const m = pactAlphaMask(x, alpha);
  if (gradOut !== undefined) {
    checkArray(gradOut, "gradOut");
    if (gradOut.length !== x.length) {
      throw new RangeError(`gradOut must have x's length ${x.length}; got ${gradOut.length}`);
    }
  }
  let s = 0;
  for (let i = 0; i < m.length; i++) if (m[i]) s += gradOut ? gradOut[i] : 1;
  return s;
}
