/**
 * Quantization ops for QAT (rows of the table in `ops.ts`), built on @lowbit/quantize: fake
 * quantization with the straight-through estimator, per tensor or per channel (axis 0), LSQ
 * with a learned step size (per tensor or per channel), and PACT with a learned clipping level.
 * The backward rules are `@lowbit/quantize/ste`'s Eqs. S.1–S.3.
 *
 * @example 4-bit fake quant passes the gradient inside the range only
 * ```ts
 * import { fakeQuant } from "@lowbit/nn/ops-quant";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * const x = Variable.from([0.3, -0.125, 5], [3], { requiresGrad: true });
 * const y = fakeQuant(x, { scale: 0.25, zeroPoint: 0, qmin: -8, qmax: 7 });
 * y.sum().backward();
 * deepEqual([...y.data], [0.25, -0, 1.75]);
 * deepEqual([...x.grad!], [1, 1, 0]);
 * ```
 *
 * @module
 */

import { fakeQuantize } from "@lowbit/quantize/uniform";
import {
  fakeQuantMask,
  lsqForward,
  lsqGradScale,
  lsqScaleGrad,
  pactAlphaGrad,
  pactForward,
  pactInputMask,
} from "@lowbit/quantize/ste";
import { formatShape } from "@lowbit/tensor/shape";
import { accumulate, record, type Variable } from "./autograd.ts";

/** Per-tensor quantization parameters. */
export interface TensorQParams {
  /** Step size S > 0. */
  scale: number;
  /** Zero point Z. */
  zeroPoint: number;
  /** Smallest code. */
  qmin: number;
  /** Largest code. */
  qmax: number;
}

/** Per-channel (axis 0) quantization parameters. */
export interface ChannelQParams {
  /** One step size per channel. */
  scale: Float32Array;
  /** One zero point per channel. */
  zeroPoint: Int32Array;
  /** Smallest code. */
  qmin: number;
  /** Largest code. */
  qmax: number;
}

/**
 * Fake quantization with the STE (Eq. S.1): forward `fakeQuantize`, backward passes ḡ where
 * x lies in [(qmin − Z)S, (qmax − Z)S], per tensor or per channel along axis 0.
 *
 * @param x The input.
 * @param params Per-tensor or per-channel (axis 0) parameters.
 * @returns x̂, same shape.
 * @throws {RangeError} If the per-channel parameter count differs from x.shape[0].
 *
 * @example Per channel: row 0 with S = 1, row 1 with S = 0.5
 * ```ts
 * import { fakeQuant } from "@lowbit/nn/ops-quant";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * const x = Variable.from([0.4, 2.6, 0.4, 2.6], [2, 2]);
 * const p = { scale: new Float32Array([1, 0.5]), zeroPoint: new Int32Array(2), qmin: -3, qmax: 3 };
 * deepEqual([...fakeQuant(x, p).data], [0, 3, 0.5, 1.5]);
 * ```
 */
export function fakeQuant(x: Variable, params: TensorQParams | ChannelQParams): Variable {
  let out: Float32Array;
  let mask: Uint8Array;
  if (typeof params.scale === "number") {
    const p = params as TensorQParams;
    out = fakeQuantize(x.data, p);
    mask = fakeQuantMask(x.data, p);
  } else {
    const p = params as ChannelQParams;
    const c = x.shape[0];
    if (p.scale.length !== c || p.zeroPoint.length !== c) {
      throw new RangeError(
        `fakeQuant: ${p.scale.length} scales and ${p.zeroPoint.length} zero points for ${c} channels of ${
          formatShape(x.shape)
        }`,
      );
    }
    out = fakeQuantize({ data: x.data, shape: x.shape }, { ...p, axis: 0 });
    mask = new Uint8Array(x.size);
    const inner = x.size / c;
    for (let i = 0; i < c; i++) {
      const seg = x.data.subarray(i * inner, (i + 1) * inner);
      const pc = { scale: p.scale[i], zeroPoint: p.zeroPoint[i], qmin: p.qmin, qmax: p.qmax };
      mask.set(fakeQuantMask(seg, pc), i * inner);
    }
  }
  return record("fakeQuant", out, x.shape, [x], (g) => {
    const gx = new Float32Array(g.length);
    for (let i = 0; i < g.length; i++) gx[i] = mask[i] ? g[i] : 0;
    accumulate(x, gx);
  });
}

/** Options of {@linkcode lsqQuant}. */
export interface LsqOptions {
  /** Smallest code (−Qn). */
  qmin: number;
  /** Largest code (Qp). */
  qmax: number;
  /** Gradient scale g (default 1/√(N·Qp), N = elements per scale). */
  gradScale?: number;
}

/**
 * LSQ (Eq. S.2): x̂ = s·clamp(round(x/s), qmin, qmax) with a learned step `s`, one per tensor
 * (`s` of shape `[1]`) or one per channel along axis 0 (`s` of shape `[C]`). Backward: ḡ to x
 * where qmin < x/s < qmax; to s, g·Σ ḡ·∂x̂/∂s.
 *
 * @param x The input.
 * @param s The step size(s), positive.
 * @param options Code range and gradient scale.
 * @returns x̂.
 * @throws {RangeError} If `s` has neither 1 nor x.shape[0] elements, or a step is not positive.
 *
 * @example
 * ```ts
 * import { lsqQuant } from "@lowbit/nn/ops-quant";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * const y = lsqQuant(Variable.from([0.3, 1.25, -9]), Variable.from([0.5]), { qmin: -4, qmax: 3 });
 * deepEqual([...y.data], [0.5, 1, -2]);
 * ```
 */
export function lsqQuant(x: Variable, s: Variable, options: LsqOptions): Variable {
  const c = s.size;
  if (c !== 1 && c !== x.shape[0]) {
    throw new RangeError(
      `lsqQuant: step sizes ${formatShape(s.shape)} must be [1] or [${x.shape[0]}] for x ${
        formatShape(x.shape)
      }`,
    );
  }
  const inner = x.size / c;
  const range = { qmin: options.qmin, qmax: options.qmax };
  const gs = options.gradScale ?? lsqGradScale(Math.max(inner, 1), Math.max(options.qmax, 1));
  const out = new Float32Array(x.size);
  for (let i = 0; i < c; i++) {
    out.set(lsqForward(x.data.subarray(i * inner, (i + 1) * inner), s.data[i], range), i * inner);
  }
  return record("lsq", out, x.shape, [x, s], (g) => {
    if (x.requiresGrad) {
      const gx = new Float32Array(g.length);
      for (let i = 0; i < c; i++) {
        const si = s.data[i];
        for (let k = i * inner; k < (i + 1) * inner; k++) {
          const v = x.data[k] / si;
          gx[k] = v > range.qmin && v < range.qmax ? g[k] : 0;
        }
      }
      accumulate(x, gx);
    }
    if (s.requiresGrad) {
      const gsv = new Float32Array(c);
      for (let i = 0; i < c; i++) {
        const seg = (a: Float32Array) => a.subarray(i * inner, (i + 1) * inner);
        gsv[i] = lsqScaleGrad(seg(x.data), s.data[i], {
          ...range,
          gradOut: seg(g),
          gradScale: gs,
        });
      }
      accumulate(s, gsv);
    }
  });
}

/**
 * PACT (Eq. S.3): y = quant_k(clamp(x, 0, α)) with a learned clipping level α (shape `[1]`).
 * Backward: ḡ to x where 0 ≤ x < α; Σ ḡ·[x ≥ α] to α.
 *
 * @param x The activations.
 * @param alpha α > 0, shape `[1]`.
 * @param bits k (omit for the unquantized clip).
 * @returns y.
 * @throws {RangeError} If α is not a single positive value or `bits` is invalid.
 *
 * @example α = 3, 2 bits: levels 0, 1, 2, 3
 * ```ts
 * import { pactQuant } from "@lowbit/nn/ops-quant";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...pactQuant(Variable.from([-1, 1.4, 5]), Variable.from([3]), 2).data], [0, 1, 3]);
 * ```
 */
export function pactQuant(x: Variable, alpha: Variable, bits?: number): Variable {
  if (alpha.size !== 1) {
    throw new RangeError(`pactQuant: alpha must have shape [1]; got ${formatShape(alpha.shape)}`);
  }
  const a = alpha.data[0];
  const out = pactForward(x.data, a, bits);
  return record("pact", out, x.shape, [x, alpha], (g) => {
    if (x.requiresGrad) {
      const m = pactInputMask(x.data, a);
      accumulate(x, g.map((v, i) => (m[i] ? v : 0)));
    }
    accumulate(alpha, new Float32Array([pactAlphaGrad(x.data, a, g)]));
  });
}
