/**
 * Int32 accumulator overflow detection for the integer GEMM/convolution wrappers of this package
 * (MatMulInteger, QLinearMatMul, ConvInteger, QLinearConv, fullyConnected, conv2d).
 *
 * The kernels accumulate `bias + Σ (a − z_a)(b − z_b)` in int32 with wrapping arithmetic, as
 * ONNX prescribes; a sum outside [−2^31, 2^31 − 1] would silently wrap. Every wrapper therefore
 * checks, in three steps from cheap to exact:
 *
 * 1. the code-type bound |bias|max + K · max|a − z_a| · max|b − z_b| over the dtype ranges
 *    (no data read; passes for every K ≤ 33 025 with 8-bit codes and small biases);
 * 2. the same bound with the maxima taken over the actual codes (conv: per output channel);
 * 3. the exact accumulators in float64 (exact below 2^53), only for what step 2 could not clear.
 *
 * A sum that leaves int32 is a RangeError naming the arguments; nothing saturates.
 *
 * @module
 */

import type { Conv2dParams } from "@lowbit/kernels/conv-params";
import { quantizeMultiplier } from "@lowbit/kernels/requantize";

const INT32_MAX = 2147483647;
const INT32_MIN = -2147483648;

type Codes = ArrayLike<number>;

/** Largest |c − z| for codes of `codes`' storage type (int8 or uint8 ranges). */
function typeDeviation(codes: Codes, zp: number | ArrayLike<number>): number {
  const [lo, hi] = codes instanceof Int8Array ? [-128, 127] : [0, 255];
  const zs = typeof zp === "number" ? [zp] : zp;
  let d = 0;
  for (let i = 0; i < zs.length; i++) d = Math.max(d, Math.abs(hi - zs[i]), Math.abs(zs[i] - lo));
  return d;
}

function maxAbs(v: ArrayLike<number> | undefined): number {
  let m = 0;
  if (v !== undefined) { for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i])); }
  return m;
}

const zpAt = (zp: number | ArrayLike<number>, i: number): number =>
  typeof zp === "number" ? zp : zp[i];

function overflow(label: string, where: string, acc: number, gain: number): RangeError {
  return new RangeError(
    gain === 1
      ? `${label}: the int32 accumulator of output ${where} would be ${acc}, outside int32 ` +
        `[-2^31, 2^31 - 1], and wrap (ONNX accumulates in int32); reduce the inner dimension, ` +
        `the code ranges or the bias`
      : `${label}: the int32 accumulator of output ${where} is ${acc}; the fixed-point ` +
        `requantization shifts it left by ${Math.log2(gain)} (multiplier >= 1), giving ` +
        `${acc * gain}, outside int32, which would wrap; use mode "float" or a larger output scale`,
  );
}

/** 2^max(0, shift): the left shift gemmlowp applies before its high multiply. */
const gainAt = (shift: ArrayLike<number> | undefined, j: number): number =>
  shift === undefined ? 1 : 2 ** Math.max(0, shift.length === 1 ? shift[0] : shift[j]);

const maxGain = (shift: ArrayLike<number> | undefined): number => {
  let g = 1;
  if (shift !== undefined) {
    for (let i = 0; i < shift.length; i++) {
      g = Math.max(g, 2 ** shift[i]);
    }
  }
  return g;
};

const outside = (acc: number, gain: number): boolean =>
  acc * gain > INT32_MAX || acc * gain < INT32_MIN;

/** One GEMM `out[i, j] = bias[j] + Σ_k (a[i, k] − za_i)(b[k, j] − zb_j)`. */
export interface GemmCheck {
  /** Name of the arguments for the error message, e.g. `"a × b"`. */
  label: string;
  /** Rows of A (M). */
  m: number;
  /** Columns of B (N). */
  n: number;
  /** The inner dimension (K). */
  k: number;
  /** A, M × K row-major. */
  a: Codes;
  /** B, K × N row-major, or N × K when `transB`. */
  b: Codes;
  /** Whether `b` is stored N × K. */
  transB?: boolean;
  /** A's zero point: one, or one per row. */
  aZeroPoint: number | ArrayLike<number>;
  /** B's zero point: one, or one per column. */
  bZeroPoint: number | ArrayLike<number>;
  /** int32 bias, one per column. */
  bias?: ArrayLike<number>;
  /** Output index prefix for messages (the batch index), e.g. `"[0, "`. */
  prefix?: string;
  /**
   * Fixed-point requantization shifts, one or one per column: a positive shift s multiplies
   * the accumulator by 2^s in int32 first, so it must then stay in int32 too.
   */
  shift?: ArrayLike<number>;
}

/**
 * Throws if an int32 accumulator of the GEMM leaves int32 (see the module documentation).
 *
 * @param g The GEMM.
 * @throws {RangeError} Naming `g.label` and the first output whose accumulator leaves int32.
 */
export function checkGemmAccumulators(g: GemmCheck): void {
  const { m, n, k, a, b } = g;
  if (m === 0 || n === 0 || k === 0) {
    // Only the bias remains, which is int32 by type.
    return;
  }
  const bias = maxAbs(g.bias), gain = maxGain(g.shift);
  const coarse = bias + k * typeDeviation(a, g.aZeroPoint) * typeDeviation(b, g.bZeroPoint);
  if (coarse * gain <= INT32_MAX) return;
  let da = 0, db = 0;
  for (let i = 0; i < m * k; i++) {
    da = Math.max(da, Math.abs(a[i] - zpAt(g.aZeroPoint, Math.floor(i / k))));
  }
  for (let i = 0; i < k * n; i++) {
    const col = g.transB ? Math.floor(i / k) : i % n;
    db = Math.max(db, Math.abs(b[i] - zpAt(g.bZeroPoint, col)));
  }
  if ((bias + k * da * db) * gain <= INT32_MAX) return;
  for (let i = 0; i < m; i++) {
    const za = zpAt(g.aZeroPoint, i);
    for (let j = 0; j < n; j++) {
      const zb = zpAt(g.bZeroPoint, j);
      let acc = g.bias ? g.bias[j] : 0;
      for (let t = 0; t < k; t++) {
        acc += (a[i * k + t] - za) * (b[g.transB ? j * k + t : t * n + j] - zb);
      }
      const gj = gainAt(g.shift, j);
      if (outside(acc, gj)) throw overflow(g.label, `${g.prefix ?? "["}${i}, ${j}]`, acc, gj);
    }
  }
}

const pair = (v: number | [number, number] | undefined, d: number): [number, number] =>
  v === undefined ? [d, d] : typeof v === "number" ? [v, v] : v;

/**
 * Throws if an int32 accumulator of the convolution leaves int32: per output channel the bound
 * |bias_o| + max|x − z_x| · Σ|w_o − z_w,o|, then the exact sums of the channels it cannot clear.
 * Padding contributes 0 (it holds the input zero point).
 *
 * @param label Name of the arguments for the error message.
 * @param x NCHW input codes.
 * @param w OIHW weight codes (I = inChannels / groups).
 * @param p The geometry (validated by the caller).
 * @param xZeroPoint Input zero point.
 * @param wZeroPoint Weight zero point: one, or one per output channel.
 * @param bias int32 bias, one per output channel.
 * @param shift Fixed-point requantization shifts (see {@linkcode GemmCheck.shift}).
 * @throws {RangeError} Naming `label` and the first output whose accumulator leaves int32.
 */
export function checkConvAccumulators(
  label: string,
  x: Codes,
  w: Codes,
  p: Conv2dParams,
  xZeroPoint: number,
  wZeroPoint: number | ArrayLike<number>,
  bias?: ArrayLike<number>,
  shift?: ArrayLike<number>,
): void {
  const groups = p.groups ?? 1;
  const cg = p.inChannels / groups, og = p.outChannels / groups;
  const kk = cg * p.kernelH * p.kernelW;
  if (x.length === 0 || kk === 0) return;
  const b0 = maxAbs(bias), gain = maxGain(shift);
  if ((b0 + kk * typeDeviation(x, xZeroPoint) * typeDeviation(w, wZeroPoint)) * gain <= INT32_MAX) {
    return;
  }
  let dx = 0;
  for (let i = 0; i < x.length; i++) dx = Math.max(dx, Math.abs(x[i] - xZeroPoint));
  const suspects: number[] = [];
  for (let o = 0; o < p.outChannels; o++) {
    let l1 = 0;
    const zw = zpAt(wZeroPoint, o);
    for (let t = 0; t < kk; t++) l1 += Math.abs(w[o * kk + t] - zw);
    if ((Math.abs(bias ? bias[o] : 0) + dx * l1) * gainAt(shift, o) > INT32_MAX) suspects.push(o);
  }
  if (suspects.length === 0) return;
  const [sh, sw] = pair(p.stride, 1), [dh, dw] = pair(p.dilation, 1);
  const pad = p.padding === undefined
    ? [0, 0, 0, 0]
    : typeof p.padding === "number"
    ? [p.padding, p.padding, p.padding, p.padding]
    : p.padding;
  const { height: h, width: wd, kernelH: kh, kernelW: kw } = p;
  const oh = Math.floor((h + pad[0] + pad[2] - dh * (kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((wd + pad[1] + pad[3] - dw * (kw - 1) - 1) / sw) + 1;
  for (let nb = 0; nb < p.batch; nb++) {
    for (const o of suspects) {
      const g = Math.floor(o / og), zw = zpAt(wZeroPoint, o);
      for (let y = 0; y < oh; y++) {
        for (let xo = 0; xo < ow; xo++) {
          let acc = bias ? bias[o] : 0;
          for (let c = 0; c < cg; c++) {
            const ic = g * cg + c;
            for (let i = 0; i < kh; i++) {
              const iy = y * sh - pad[0] + i * dh;
              if (iy < 0 || iy >= h) continue;
              for (let j = 0; j < kw; j++) {
                const ix = xo * sw - pad[1] + j * dw;
                if (ix < 0 || ix >= wd) continue;
                const xv = x[((nb * p.inChannels + ic) * h + iy) * wd + ix] - xZeroPoint;
                acc += xv * (w[((o * cg + c) * kh + i) * kw + j] - zw);
              }
            }
          }
          const go = gainAt(shift, o);
          if (outside(acc, go)) throw overflow(label, `[${nb}, ${o}, ${y}, ${xo}]`, acc, go);
        }
      }
    }
  }
}

/**
 * Runs `make` (an `outputStageFor` call) and turns its `reals[i]` errors, which name the internal
 * multiplier array, into errors naming the user's scales.
 *
 * @param make Builds the output stage.
 * @param what How the multiplier is formed from the arguments, e.g. `"a.scale · b.scale / output.scale"`.
 * @returns What `make` returns.
 * @throws {RangeError} Naming `what` and the channel when a multiplier is unusable.
 */
export function withMultiplierNames<T>(make: () => T, what: string): T {
  try {
    return make();
  } catch (e) {
    const m = e instanceof RangeError ? /^reals\[(\d+)\]:?\s*(.*)$/s.exec(e.message) : null;
    if (m === null) throw e;
    throw new RangeError(
      `the requantization multiplier ${what} of output channel ${m[1]} is unusable: ${m[2]}`,
    );
  }
}

/**
 * The left shifts of a fixed-point output stage (none for float requantization, which cannot
 * wrap).
 *
 * @param stage The output stage.
 * @returns Its shifts, or `undefined`.
 */
export function stageShifts(
  stage: { kind: string; shift?: number | ArrayLike<number> },
): ArrayLike<number> | undefined {
  if (stage.kind !== "fixed" || stage.shift === undefined) return undefined;
  return typeof stage.shift === "number" ? [stage.shift] : stage.shift;
}

/**
 * `quantizeMultiplier(real)` whose errors name `what` (the user's scales) instead of the internal
 * `real`.
 *
 * @param real The real multiplier.
 * @param what How it is formed, e.g. `"a.scale · b.scale / out.scale"`.
 * @returns The Q31 multiplier and shift.
 * @throws {RangeError} Naming `what` when the multiplier is not representable.
 */
export function namedMultiplier(real: number, what: string): { multiplier: number; shift: number } {
  try {
    return quantizeMultiplier(real);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw new RangeError(
      `the requantization multiplier ${what} = ${real} is unusable: ${
        e.message.replace(/^real\s*/, "it ")
      }`,
    );
  }
}

/**
 * The largest |acc| that gemmlowp's left shift by `shift` (a multiplier ≥ 1) keeps in int32;
 * `Infinity` when there is no left shift.
 *
 * @param shift The multiplier's shift.
 * @returns The limit.
 */
export function shiftLimit(shift: number): number {
  return shift > 0 ? Math.floor(INT32_MAX / 2 ** shift) : Infinity;
}

/**
 * The error for an accumulator that the left shift of a multiplier ≥ 1 would take out of int32.
 *
 * @param label The function and arguments.
 * @param index The element index.
 * @param acc The accumulator.
 * @param shift The shift.
 * @returns The RangeError to throw.
 */
export function shiftOverflow(
  label: string,
  index: number,
  acc: number,
  shift: number,
): RangeError {
  return overflow(label, `[${index}]`, acc, 2 ** shift);
}
