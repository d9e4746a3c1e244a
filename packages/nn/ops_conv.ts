/**
 * 2-D convolution over NCHW activations with OIHW weights (row of the table in `ops.ts`),
 * by im2col + GEMM on @lowbit/kernels: for image n and group g,
 *
 *     cols = im2col(X, n, g)                    [(C/G)·kh·kw][outH·outW]
 *     Y[n, g] = W_g · cols + b                  W_g: [O/G][(C/G)·kh·kw]          (C.1)
 *     W̄_g += Ḡ[n, g] · colsᵀ,   X̄ += col2im(W_gᵀ · Ḡ[n, g]),   b̄ = Σ_{n,p} Ḡ      (C.2)
 *
 * Groups = C = O gives a depthwise convolution. Stride, zero padding and dilation follow
 * PyTorch's `Conv2d`.
 *
 * @example A 3×3 box filter with padding 1 on a 3×3 image of ones
 * ```ts
 * import { conv2d } from "@lowbit/nn/ops-conv";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * const y = conv2d(Variable.from(new Array(9).fill(1), [1, 1, 3, 3]), Variable.from(new Array(9).fill(1), [1, 1, 3, 3]), undefined, { padding: 1 });
 * deepEqual([...y.data], [4, 6, 4, 6, 9, 6, 4, 6, 4]);
 * ```
 *
 * @module
 */

import {
  col2imF32,
  conv2dOutputShape,
  type Conv2dParams,
  gemmF32,
  im2colF32,
} from "@lowbit/kernels";
import { formatShape } from "@lowbit/tensor/shape";
import { accumulate, record, type Variable } from "./autograd.ts";

export type { Conv2dParams } from "@lowbit/kernels";

/** Geometry options of {@linkcode conv2d}. */
export interface Conv2dOptions {
  /** Stride: one number or [sh, sw] (default 1). */
  stride?: number | readonly [number, number];
  /** Zero padding: one number, [ph, pw], or [top, left, bottom, right] (default 0). */
  padding?: number | readonly [number, number] | readonly [number, number, number, number];
  /** Dilation: one number or [dh, dw] (default 1). */
  dilation?: number | readonly [number, number];
  /** Groups G (default 1); C and O must be multiples of G. */
  groups?: number;
}

function pair(v: number | readonly number[] | undefined, name: string, def: number, min: number) {
  const p = v === undefined ? [def, def] : typeof v === "number" ? [v, v] : [...v];
  if (p.length !== 2 || !p.every((d) => Number.isInteger(d) && d >= min)) {
    throw new RangeError(`${name} must be an integer ≥ ${min} or a pair of them; got ${String(v)}`);
  }
  return p as [number, number];
}

/**
 * Resolves the geometry of a convolution of `x` by `w` into the kernels' parameters.
 *
 * @param x Input shape `[N, C, H, W]`.
 * @param w Weight shape `[O, C/G, kh, kw]`.
 * @param options Stride, padding, dilation, groups.
 * @returns The kernel parameters and the output shape.
 * @throws {RangeError} If the shapes do not fit (the message names both) or an option is invalid.
 *
 * @example
 * ```ts
 * import { convGeometry } from "@lowbit/nn/ops-conv";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(convGeometry([2, 8, 14, 14], [16, 8, 3, 3], { padding: 1 }).outShape, [2, 16, 14, 14]);
 * ```
 */
export function convGeometry(
  x: readonly number[],
  w: readonly number[],
  options: Conv2dOptions = {},
): { params: Conv2dParams; outShape: number[] } {
  const groups = options.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) {
    throw new RangeError(`options.groups must be a positive integer; got ${String(groups)}`);
  }
  if (
    x.length !== 4 || w.length !== 4 || x[1] !== w[1] * groups || w[0] % groups !== 0
  ) {
    throw new RangeError(
      `conv2d: input ${formatShape(x)} does not fit weight ${
        formatShape(w)
      } with ${groups} group(s) (expected input [N, ${
        w[1] * groups
      }, H, W] and O divisible by groups)`,
    );
  }
  const stride = pair(options.stride, "options.stride", 1, 1);
  const dilation = pair(options.dilation, "options.dilation", 1, 1);
  const pad = options.padding ?? 0;
  const padding: [number, number, number, number] = typeof pad === "number"
    ? [pad, pad, pad, pad]
    : pad.length === 2
    ? [pad[0], pad[1], pad[0], pad[1]]
    : [pad[0], pad[1], pad[2], pad[3]];
  if (!padding.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new RangeError(`options.padding must be non-negative integers; got ${String(pad)}`);
  }
  const params: Conv2dParams = {
    batch: x[0],
    inChannels: x[1],
    height: x[2],
    width: x[3],
    outChannels: w[0],
    kernelH: w[2],
    kernelW: w[3],
    stride,
    padding,
    dilation,
    groups,
  };
  let outH = 0, outW = 0;
  try {
    ({ outH, outW } = conv2dOutputShape(params));
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
  }
  if (!(outH >= 1 && outW >= 1)) {
    throw new RangeError(
      `conv2d: kernel ${w[2]}×${w[3]} does not fit input ${
        formatShape(x)
      } with this padding/dilation`,
    );
  }
  return { params, outShape: [x[0], w[0], outH, outW] };
}

/**
 * Y = conv2d(X, W) + b (Eq. C.1), differentiable in X, W and b (Eq. C.2).
 *
 * @param x Input `[N, C, H, W]`.
 * @param w Weight `[O, C/G, kh, kw]`.
 * @param b Optional bias `[O]`.
 * @param options Stride, padding, dilation, groups.
 * @returns `[N, O, outH, outW]`.
 * @throws {RangeError} If the shapes do not fit.
 *
 * @example Depthwise: each channel convolved with its own 1×1 kernel
 * ```ts
 * import { conv2d } from "@lowbit/nn/ops-conv";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * const y = conv2d(Variable.from([1, 2, 3, 4], [1, 2, 1, 2]), Variable.from([10, -1], [2, 1, 1, 1]), undefined, { groups: 2 });
 * deepEqual([...y.data], [10, 20, -3, -4]);
 * ```
 */
export function conv2d(
  x: Variable,
  w: Variable,
  b?: Variable,
  options: Conv2dOptions = {},
): Variable {
  const { params, outShape } = convGeometry(x.shape, w.shape, options);
  const [n, o, oh, ow] = outShape;
  if (b !== undefined && (b.shape.length !== 1 || b.size !== o)) {
    throw new RangeError(`conv2d: bias ${formatShape(b.shape)} must be [${o}]`);
  }
  const groups = params.groups ?? 1;
  const og = o / groups, k = w.shape[1] * w.shape[2] * w.shape[3], p = oh * ow;
  const out = new Float32Array(n * o * p);
  const cols: Float32Array[] = [];
  for (let i = 0; i < n; i++) {
    for (let g = 0; g < groups; g++) {
      const c = im2colF32(x.data, params, i, g);
      cols.push(c);
      const wg = w.data.subarray(g * og * k, (g + 1) * og * k);
      gemmF32(og, p, k, wg, c, {
        out: out.subarray((i * o + g * og) * p, (i * o + (g + 1) * og) * p),
      });
    }
  }
  if (b !== undefined) {
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < o; c++) {
        const bc = b.data[c];
        const at = (i * o + c) * p;
        for (let q = 0; q < p; q++) out[at + q] += bc;
      }
    }
  }
  const parents = b === undefined ? [x, w] : [x, w, b];
  return record("conv2d", out, outShape, parents, (gy) => {
    const gw = w.requiresGrad ? new Float32Array(w.size) : null;
    const gx = x.requiresGrad ? new Float32Array(x.size) : null;
    for (let i = 0; i < n; i++) {
      for (let g = 0; g < groups; g++) {
        const gyng = gy.subarray((i * o + g * og) * p, (i * o + (g + 1) * og) * p);
        const c = cols[i * groups + g];
        if (gw !== null) {
          gemmF32(og, k, p, gyng, c, {
            transB: true,
            accumulate: true,
            out: gw.subarray(g * og * k, (g + 1) * og * k),
          });
        }
        if (gx !== null) {
          const wg = w.data.subarray(g * og * k, (g + 1) * og * k);
          const dcols = gemmF32(k, p, og, wg, gyng, { transA: true });
          col2imF32(dcols, params, i, g, gx);
        }
      }
    }
    if (gw !== null) accumulate(w, gw);
    if (gx !== null) accumulate(x, gx);
    if (b !== undefined && b.requiresGrad) {
      const gb = new Float32Array(o);
      for (let i = 0; i < n; i++) {
        for (let c = 0; c < o; c++) {
          let s = 0;
          const at = (i * o + c) * p;
          for (let q = 0; q < p; q++) s += gy[at + q];
          gb[c] += s;
        }
      }
      accumulate(b, gb);
    }
  });
}
