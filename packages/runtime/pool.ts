/**
 * Integer pooling on NCHW codes. Both keep the input's scale and zero point, so no rescaling
 * is needed (TFLite requires equal input and output parameters):
 *
 * - max pooling is exact: `max` commutes with the increasing map `r = S·(q − Z)`.
 * - average pooling sums the raw codes of the window's valid taps (padding is not counted,
 *   TFLite's convention) and divides by the tap count rounding half away from zero (TFLite
 *   reference `(acc ± count/2) / count`), so the result is the nearest code to the exact mean.
 *
 * @example 2×2 average with a tie
 * ```ts
 * import { avgPool2d } from "@lowbit/runtime/pool";
 * import { QuantizedTensor } from "@lowbit/runtime/quantized-tensor";
 * import { deepEqual } from "node:assert/strict";
 * const x = new QuantizedTensor({ q: new Int8Array([1, 2, 3, 4]), shape: [1, 1, 2, 2], dtype: "int8", scale: 1 });
 * deepEqual([...avgPool2d(x, { kernel: 2 }).q], [3]); // 10 / 4 = 2.5 → 3
 * ```
 *
 * @module
 */

import { QuantizedTensor } from "./quantized_tensor.ts";

/** Pooling window geometry. */
export interface PoolOptions {
  /** Window size, one value or `[h, w]`. */
  kernel: number | [number, number];
  /** Stride (default: the kernel). */
  stride?: number | [number, number];
  /** Padding, one value or `[top, left, bottom, right]` (default 0). */
  padding?: number | [number, number, number, number];
  /**
   * Average pooling only: whether padded taps count in the divisor as real zeros (ONNX
   * `count_include_pad`; default false as in ONNX; PyTorch's `AvgPool2d` and @lowbit/nn's
   * `avgPool2d` default to true). Max pooling always ignores padded taps.
   */
  countIncludePad?: boolean;
}

interface PoolPlan {
  n: number;
  c: number;
  h: number;
  w: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  pt: number;
  pl: number;
  oh: number;
  ow: number;
}

function plan(x: QuantizedTensor, o: PoolOptions): PoolPlan {
  if (!(x instanceof QuantizedTensor)) throw new TypeError("x must be a QuantizedTensor");
  if (x.shape.length !== 4) {
    throw new RangeError(`x must be NCHW (4-D), got [${x.shape.join(", ")}]`);
  }
  if (x.perChannel && x.axis !== 1) throw new RangeError("x may be per-channel only along axis 1");
  const pair = (
    name: string,
    v: number | [number, number] | undefined,
    d: [number, number],
  ): [number, number] => {
    const r: [number, number] = v === undefined ? d : typeof v === "number" ? [v, v] : v;
    if (!r.every((z) => Number.isInteger(z) && z >= 1)) {
      throw new RangeError(`options.${name} must be positive integers, got ${String(v)}`);
    }
    return r;
  };
  const [kh, kw] = pair("kernel", o?.kernel, [0, 0]);
  const [sh, sw] = pair("stride", o.stride, [kh, kw]);
  const p = o.padding === undefined
    ? [0, 0, 0, 0]
    : typeof o.padding === "number"
    ? Array(4).fill(o.padding)
    : o.padding;
  if (
    p.length !== 4 || !p.every((z) => Number.isInteger(z) && z >= 0) || p[0] >= kh || p[2] >= kh ||
    p[1] >= kw || p[3] >= kw
  ) {
    throw new RangeError(
      `options.padding must be 4 non-negative integers below the kernel size, got ${
        String(o.padding)
      }`,
    );
  }
  const [n, c, h, w] = x.shape;
  const oh = Math.floor((h + p[0] + p[2] - kh) / sh) + 1,
    ow = Math.floor((w + p[1] + p[3] - kw) / sw) + 1;
  if (oh < 1 || ow < 1) {
    throw new RangeError(`the window does not fit the input [${x.shape.join(", ")}]`);
  }
  return { n, c, h, w, kh, kw, sh, sw, pt: p[0], pl: p[1], oh, ow };
}

/** Max pooling of 8-bit codes into codes of the same type (the window's largest valid tap). */
function maxPool8(q: Int8Array | Uint8Array, r: ReturnType<typeof plan>): Int8Array | Uint8Array {
  const { h, w, kh, kw, sh, sw, pt, pl, oh, ow } = r;
  const out = q instanceof Int8Array
    ? new Int8Array(r.n * r.c * oh * ow)
    : new Uint8Array(r.n * r.c * oh * ow);
  let at = 0;
  if (
    kh === 2 && kw === 2 && sh === 2 && sw === 2 && pt === 0 && pl === 0 && 2 * oh <= h &&
    2 * ow <= w
  ) {
    // the common 2×2 stride-2 window, every window inside the plane (2·oh ≤ h and 2·ow ≤ w
    // rule out bottom or right padding): four codes per output
    for (let b = 0; b < r.n * r.c; b++) {
      for (let i = 0; i < oh; i++) {
        const r0 = b * h * w + 2 * i * w, r1 = r0 + w;
        for (let j = 0; j < ow; j++) {
          const a = q[r0 + 2 * j], c = q[r0 + 2 * j + 1], d = q[r1 + 2 * j], e = q[r1 + 2 * j + 1];
          const m = a > c ? a : c, n = d > e ? d : e;
          out[at++] = m > n ? m : n;
        }
      }
    }
    return out;
  }
  for (let b = 0; b < r.n * r.c; b++) {
    const base = b * h * w;
    for (let i = 0; i < oh; i++) {
      const y0 = Math.max(0, i * sh - pt), y1 = Math.min(h, i * sh - pt + kh);
      for (let j = 0; j < ow; j++) {
        const x0 = Math.max(0, j * sw - pl), x1 = Math.min(w, j * sw - pl + kw);
        let acc = q[base + y0 * w + x0];
        for (let yy = y0; yy < y1; yy++) {
          const row = base + yy * w;
          for (let xx = x0; xx < x1; xx++) {
            const v = q[row + xx];
            if (v > acc) acc = v;
          }
        }
        out[at++] = acc;
      }
    }
  }
  return out;
}

function pool(x: QuantizedTensor, o: PoolOptions, reduce: "max" | "avg"): QuantizedTensor {
  const r = plan(x, o);
  const includePad = o.countIncludePad ?? false;
  if (typeof includePad !== "boolean") {
    throw new TypeError(`options.countIncludePad must be a boolean, got ${String(includePad)}`);
  }
  if (
    reduce === "max" && (x.dtype === "int8" || x.dtype === "uint8") &&
    (x.q instanceof Int8Array || x.q instanceof Uint8Array)
  ) {
    return new QuantizedTensor({
      q: maxPool8(x.q, r),
      shape: [r.n, r.c, r.oh, r.ow],
      dtype: x.dtype,
      scale: x.perChannel ? x.scale : x.scale[0],
      zeroPoint: x.perChannel ? x.zeroPoint : x.zeroPoint[0],
      axis: x.axis,
    });
  }
  const q = x.codes();
  const out = x.dtype === "int32"
    ? new Int32Array(r.n * r.c * r.oh * r.ow)
    : new Int32Array(r.n * r.c * r.oh * r.ow);
  let at = 0;
  for (let b = 0; b < r.n * r.c; b++) {
    const base = b * r.h * r.w;
    for (let i = 0; i < r.oh; i++) {
      const y0 = Math.max(0, i * r.sh - r.pt), y1 = Math.min(r.h, i * r.sh - r.pt + r.kh);
      for (let j = 0; j < r.ow; j++) {
        const x0 = Math.max(0, j * r.sw - r.pl), x1 = Math.min(r.w, j * r.sw - r.pl + r.kw);
        let acc = reduce === "max" ? -Infinity : 0;
        for (let yy = y0; yy < y1; yy++) {
          for (let xx = x0; xx < x1; xx++) {
            const v = q[base + yy * r.w + xx];
            acc = reduce === "max" ? (v > acc ? v : acc) : acc + v;
          }
        }
        if (reduce === "avg") {
          let count = (y1 - y0) * (x1 - x0);
          if (includePad) {
            // a padded tap is the real value 0, i.e. the channel's zero point in codes
            const zp = x.perChannel ? x.zeroPoint[b % r.c] : x.zeroPoint[0];
            acc += zp * (r.kh * r.kw - count);
            count = r.kh * r.kw;
          }
          const half = Math.floor(count / 2);
          acc = acc >= 0 ? Math.trunc((acc + half) / count) : Math.trunc((acc - half) / count);
        }
        out[at++] = acc;
      }
    }
  }
  return QuantizedTensor.fromCodes(
    out,
    [r.n, r.c, r.oh, r.ow],
    x.dtype,
    x.perChannel ? x.scale : x.scale[0],
    {
      zeroPoint: x.perChannel ? x.zeroPoint : x.zeroPoint[0],
      axis: x.axis,
    },
  );
}

/**
 * Max pooling on codes (exact).
 *
 * @param x Quantized NCHW input.
 * @param options Window, stride (default the window), padding (padded taps are ignored).
 * @returns Pooled codes with the input's parameters.
 * @throws {RangeError} On a non-4-D input or bad geometry.
 *
 * @example
 * ```ts
 * import { maxPool2d } from "@lowbit/runtime/pool";
 * import { QuantizedTensor } from "@lowbit/runtime/quantized-tensor";
 * import { deepEqual } from "node:assert/strict";
 * const x = new QuantizedTensor({ q: new Uint8Array([1, 9, 3, 4, 5, 6, 7, 8]), shape: [1, 1, 2, 4], dtype: "uint8", scale: 0.1, zeroPoint: 3 });
 * deepEqual([...maxPool2d(x, { kernel: 2 }).q], [9, 8]);
 * ```
 */
export function maxPool2d(x: QuantizedTensor, options: PoolOptions): QuantizedTensor {
  return pool(x, options, "max");
}

/**
 * Average pooling on codes: nearest code to the mean of the valid taps, ties away from zero.
 *
 * @param x Quantized NCHW input.
 * @param options Window, stride (default the window), padding (not counted).
 * @returns Pooled codes with the input's parameters.
 * @throws {RangeError} On a non-4-D input or bad geometry.
 *
 * @example Negative tie rounds away from zero; padding counted or not
 * ```ts
 * import { avgPool2d } from "@lowbit/runtime/pool";
 * import { QuantizedTensor } from "@lowbit/runtime/quantized-tensor";
 * import { deepEqual } from "node:assert/strict";
 * const x = new QuantizedTensor({ q: new Int8Array([-1, -2]), shape: [1, 1, 1, 2], dtype: "int8", scale: 1 });
 * deepEqual([...avgPool2d(x, { kernel: [1, 2] }).q], [-2]); // −1.5 → −2
 * const y = new QuantizedTensor({ q: new Uint8Array([12]), shape: [1, 1, 1, 1], dtype: "uint8", scale: 1, zeroPoint: 10 });
 * const pad = { kernel: [1, 2] as [number, number], padding: [0, 0, 0, 1] as [number, number, number, number] };
 * deepEqual([...avgPool2d(y, pad).q], [12]); // mean of the one real tap, 2
 * deepEqual([...avgPool2d(y, { ...pad, countIncludePad: true }).q], [11]); // (2 + 0) / 2 = 1
 * ```
 */
export function avgPool2d(x: QuantizedTensor, options: PoolOptions): QuantizedTensor {
  return pool(x, options, "avg");
}

/**
 * Global average pooling: one code per (image, channel), `[N, C, 1, 1]`.
 *
 * @param x Quantized NCHW input.
 * @returns Pooled codes with the input's parameters.
 * @throws {RangeError} On a non-4-D input.
 *
 * @example
 * ```ts
 * import { globalAvgPool2d } from "@lowbit/runtime/pool";
 * import { QuantizedTensor } from "@lowbit/runtime/quantized-tensor";
 * import { deepEqual } from "node:assert/strict";
 * const x = new QuantizedTensor({ q: new Uint8Array([1, 2, 3, 5]), shape: [1, 1, 2, 2], dtype: "uint8", scale: 1 });
 * deepEqual([...globalAvgPool2d(x).q], [3]); // 11 / 4 = 2.75 → 3
 * ```
 */
export function globalAvgPool2d(x: QuantizedTensor): QuantizedTensor {
  if (!(x instanceof QuantizedTensor) || x.shape.length !== 4) {
    throw new RangeError("x must be a 4-D (NCHW) QuantizedTensor");
  }
  return pool(x, { kernel: [x.shape[2], x.shape[3]] }, "avg");
}
