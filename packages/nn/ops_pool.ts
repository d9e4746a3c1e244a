/**
 * Pooling over NCHW activations (rows of the table in `ops.ts`): max pooling routes the gradient
 * to the arg-max of each window (the first one on ties, scanning rows then columns), average
 * pooling spreads it evenly over the window (padding counted as zeros, PyTorch's
 * `count_include_pad=True`), global average pooling averages each channel's plane.
 *
 * @example
 * ```ts
 * import { maxPool2d } from "@lowbit/nn/ops-pool";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * const x = Variable.from([1, 5, 2, 0, 3, 4, 7, 6, 1, 1, 0, 2, 9, 8, 3, 4], [1, 1, 4, 4]);
 * deepEqual([...maxPool2d(x, { kernel: 2 }).data], [5, 7, 9, 4]);
 * ```
 *
 * @module
 */

import { formatShape } from "@lowbit/tensor/shape";
import { accumulate, record, type Variable } from "./autograd.ts";

/** Window geometry of a 2-D pooling. */
export interface Pool2dOptions {
  /** Window size: one number or [kh, kw]. */
  kernel: number | readonly [number, number];
  /** Step (default: the kernel size). */
  stride?: number | readonly [number, number];
  /** Zero padding on each side (default 0): one number or [ph, pw]. */
  padding?: number | readonly [number, number];
  /**
   * Average pooling only: whether padded zeros count in the divisor (default true, PyTorch's
   * `count_include_pad`; ONNX AveragePool and @lowbit/runtime's `avgPool2d` default to false).
   */
  countIncludePad?: boolean;
}

/** Resolved pooling geometry. */
interface Geometry {
  n: number;
  c: number;
  h: number;
  w: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  oh: number;
  ow: number;
}

function pair(v: number | readonly [number, number], name: string, min: number): [number, number] {
  const p: [number, number] = typeof v === "number" ? [v, v] : [v[0], v[1]];
  if (!p.every((d) => Number.isInteger(d) && d >= min)) {
    throw new RangeError(`${name} must be an integer ≥ ${min} or a pair of them; got ${String(v)}`);
  }
  return p;
}

function geometry(op: string, x: Variable, o: Pool2dOptions): Geometry {
  if (x.shape.length !== 4) {
    throw new RangeError(`${op}: input must be NCHW (4-D); got ${formatShape(x.shape)}`);
  }
  const [kh, kw] = pair(o.kernel, "options.kernel", 1);
  const [sh, sw] = pair(o.stride ?? o.kernel, "options.stride", 1);
  const [ph, pw] = pair(o.padding ?? 0, "options.padding", 0);
  if (2 * ph > kh || 2 * pw > kw) {
    throw new RangeError(`${op}: padding [${ph}, ${pw}] must be at most half the kernel`);
  }
  const [n, c, h, w] = x.shape;
  const oh = Math.floor((h + 2 * ph - kh) / sh) + 1;
  const ow = Math.floor((w + 2 * pw - kw) / sw) + 1;
  if (oh < 1 || ow < 1) {
    throw new RangeError(
      `${op}: kernel [${kh}, ${kw}] does not fit input ${formatShape(x.shape)} with padding`,
    );
  }
  return { n, c, h, w, kh, kw, sh, sw, ph, pw, oh, ow };
}

/**
 * 2-D max pooling (padding never wins: padded positions are −∞).
 *
 * @param x Input `[N, C, H, W]`.
 * @param options Kernel, stride (default kernel), padding.
 * @returns `[N, C, outH, outW]`, outH = ⌊(H + 2p − k)/s⌋ + 1.
 * @throws {RangeError} On a non-4-D input or a window that does not fit.
 *
 * @example
 * ```ts
 * import { maxPool2d } from "@lowbit/nn/ops-pool";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(maxPool2d(Variable.zeros([2, 3, 7, 7]), { kernel: 2 }).shape, [2, 3, 3, 3]);
 * ```
 */
export function maxPool2d(x: Variable, options: Pool2dOptions): Variable {
  const g = geometry("maxPool2d", x, options);
  const { n, c, h, w, kh, kw, sh, sw, ph, pw, oh, ow } = g;
  const out = new Float32Array(n * c * oh * ow);
  const arg = new Int32Array(out.length);
  const xd = x.data;
  for (let p = 0, o = 0; p < n * c; p++) {
    const base = p * h * w;
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++, o++) {
        let best = -Infinity, at = -1;
        for (let a = 0; a < kh; a++) {
          const r = i * sh - ph + a;
          if (r < 0 || r >= h) continue;
          for (let b = 0; b < kw; b++) {
            const col = j * sw - pw + b;
            if (col < 0 || col >= w) continue;
            const v = xd[base + r * w + col];
            if (v > best || at < 0) {
              best = v;
              at = base + r * w + col;
            }
          }
        }
        out[o] = best;
        arg[o] = at;
      }
    }
  }
  return record("maxPool2d", out, [n, c, oh, ow], [x], (gy) => {
    const gx = new Float32Array(x.size);
    for (let o = 0; o < gy.length; o++) gx[arg[o]] += gy[o];
    accumulate(x, gx);
  });
}

/**
 * 2-D average pooling; by default the zeros in the padding count toward the mean (PyTorch),
 * `countIncludePad: false` divides by the in-bounds taps only (ONNX's default).
 *
 * @param x Input `[N, C, H, W]`.
 * @param options Kernel, stride (default kernel), padding.
 * @returns `[N, C, outH, outW]`.
 * @throws {RangeError} On a non-4-D input or a window that does not fit.
 *
 * @example
 * ```ts
 * import { avgPool2d } from "@lowbit/nn/ops-pool";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...avgPool2d(Variable.from([1, 2, 3, 6], [1, 1, 2, 2]), { kernel: 2 }).data], [3]);
 * const x = Variable.from([4], [1, 1, 1, 1]);
 * deepEqual([...avgPool2d(x, { kernel: [1, 3], padding: [0, 1] }).data], [Math.fround(4 / 3)]);
 * deepEqual([...avgPool2d(x, { kernel: [1, 3], padding: [0, 1], countIncludePad: false }).data], [4]);
 * ```
 */
export function avgPool2d(x: Variable, options: Pool2dOptions): Variable {
  const { n, c, h, w, kh, kw, sh, sw, ph, pw, oh, ow } = geometry("avgPool2d", x, options);
  const includePad = options.countIncludePad ?? true;
  if (typeof includePad !== "boolean") {
    throw new TypeError(`options.countIncludePad must be a boolean; got ${String(includePad)}`);
  }
  // 1 / divisor per output position (the same for every image and channel)
  const invAt = new Float64Array(oh * ow);
  for (let i = 0; i < oh; i++) {
    const rows = Math.min(h, i * sh - ph + kh) - Math.max(0, i * sh - ph);
    for (let j = 0; j < ow; j++) {
      const cols = Math.min(w, j * sw - pw + kw) - Math.max(0, j * sw - pw);
      invAt[i * ow + j] = 1 / (includePad ? kh * kw : rows * cols);
    }
  }
  const out = new Float32Array(n * c * oh * ow);
  const xd = x.data;
  const window = (p: number, i: number, j: number, visit: (idx: number) => void) => {
    const base = p * h * w;
    for (let a = 0; a < kh; a++) {
      const r = i * sh - ph + a;
      if (r < 0 || r >= h) continue;
      for (let b = 0; b < kw; b++) {
        const col = j * sw - pw + b;
        if (col >= 0 && col < w) visit(base + r * w + col);
      }
    }
  };
  for (let p = 0, o = 0; p < n * c; p++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++, o++) {
        let s = 0;
        window(p, i, j, (idx) => s += xd[idx]);
        out[o] = s * invAt[i * ow + j];
      }
    }
  }
  return record("avgPool2d", out, [n, c, oh, ow], [x], (gy) => {
    const gx = new Float32Array(x.size);
    for (let p = 0, o = 0; p < n * c; p++) {
      for (let i = 0; i < oh; i++) {
        for (let j = 0; j < ow; j++, o++) {
          const v = gy[o] * invAt[i * ow + j];
          window(p, i, j, (idx) => gx[idx] += v);
        }
      }
    }
    accumulate(x, gx);
  });
}

/**
 * Global average pooling: the mean of each channel's H×W plane.
 *
 * @param x Input `[N, C, H, W]`.
 * @returns `[N, C]`.
 * @throws {RangeError} On a non-4-D input.
 *
 * @example
 * ```ts
 * import { globalAvgPool } from "@lowbit/nn/ops-pool";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * const y = globalAvgPool(Variable.from([1, 2, 3, 6, 0, 0, 0, 4], [1, 2, 2, 2]));
 * deepEqual([...y.data], [3, 1]);
 * ```
 */
export function globalAvgPool(x: Variable): Variable {
  if (x.shape.length !== 4) {
    throw new RangeError(`globalAvgPool: input must be NCHW (4-D); got ${formatShape(x.shape)}`);
  }
  const [n, c, h, w] = x.shape;
  const hw = h * w;
  const out = new Float32Array(n * c);
  for (let p = 0; p < n * c; p++) {
    let s = 0;
    for (let i = 0; i < hw; i++) s += x.data[p * hw + i];
    out[p] = s / hw;
  }
  return record("globalAvgPool", out, [n, c], [x], (g) => {
    const gx = new Float32Array(x.size);
    for (let p = 0; p < n * c; p++) gx.fill(g[p] / hw, p * hw, (p + 1) * hw);
    accumulate(x, gx);
  });
}
