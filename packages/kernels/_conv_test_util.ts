// Private test helpers: the naive seven-loop convolution (binary64, the definition written
// out index by index, independent of im2col) and a grid of convolution shapes.

import type { Conv2dParams } from "./conv_params.ts";

/** A naive result: exact-ish sums in binary64 and Σ|w·x| per output (for error bounds). */
export interface NaiveConv {
  y: Float64Array;
  absSum: Float64Array;
  outH: number;
  outW: number;
}

function two(v: number | [number, number] | undefined): [number, number] {
  return v === undefined ? [1, 1] : typeof v === "number" ? [v, v] : v;
}

/**
 * `y[n][o][oh][ow] = Σ_c Σ_i Σ_j (w[o][c][i][j] − zw[o])·(x[n][g·cg + c][ih][iw] − zx)`
 * with ih = oh·sh − top + i·dh, iw = ow·sw − left + j·dw, taps outside the image skipped.
 */
export function naiveConv(
  x: ArrayLike<number>,
  wt: ArrayLike<number>,
  p: Conv2dParams,
  zx = 0,
  zw: (o: number) => number = () => 0,
): NaiveConv {
  const [sh, sw] = two(p.stride);
  const [dh, dw] = two(p.dilation);
  const pad = p.padding ?? 0;
  const [top, left, bottom, right] = typeof pad === "number" ? [pad, pad, pad, pad] : pad;
  const G = p.groups ?? 1;
  const N = p.batch, C = p.inChannels, H = p.height, W = p.width, O = p.outChannels;
  const KH = p.kernelH, KW = p.kernelW, cg = C / G, og = O / G;
  const outH = Math.floor((H + top + bottom - dh * (KH - 1) - 1) / sh) + 1;
  const outW = Math.floor((W + left + right - dw * (KW - 1) - 1) / sw) + 1;
  const y = new Float64Array(N * O * outH * outW);
  const absSum = new Float64Array(y.length);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      const g = Math.floor(o / og);
      for (let oh = 0; oh < outH; oh++) {
        for (let ow = 0; ow < outW; ow++) {
          let s = 0, a = 0;
          for (let c = 0; c < cg; c++) {
            for (let i = 0; i < KH; i++) {
              for (let j = 0; j < KW; j++) {
                const ih = oh * sh - top + i * dh, iw = ow * sw - left + j * dw;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                const xv = x[((n * C + g * cg + c) * H + ih) * W + iw] - zx;
                const wv = wt[((o * cg + c) * KH + i) * KW + j] - zw(o);
                s += xv * wv;
                a += Math.abs(xv * wv);
              }
            }
          }
          const at = ((n * O + o) * outH + oh) * outW + ow;
          y[at] = s;
          absSum[at] = a;
        }
      }
    }
  }
  return { y, absSum, outH, outW };
}

type Pads = [number, number, number, number];

/** Convolution shapes covering stride, asymmetric padding, dilation, groups, odd sizes. */
export const CONV_GRID: Conv2dParams[] = [
  { batch: 1, inChannels: 1, height: 1, width: 1, outChannels: 1, kernelH: 1, kernelW: 1 },
  { batch: 2, inChannels: 3, height: 7, width: 5, outChannels: 4, kernelH: 3, kernelW: 3 },
  {
    batch: 1,
    inChannels: 3,
    height: 9,
    width: 8,
    outChannels: 5,
    kernelH: 3,
    kernelW: 2,
    stride: [2, 3],
    padding: [1, 0, 2, 1] as Pads,
  },
  {
    batch: 2,
    inChannels: 4,
    height: 10,
    width: 11,
    outChannels: 6,
    kernelH: 3,
    kernelW: 3,
    dilation: [2, 3],
    padding: 2,
    groups: 2,
  },
  {
    batch: 1,
    inChannels: 6,
    height: 8,
    width: 8,
    outChannels: 6,
    kernelH: 3,
    kernelW: 3,
    stride: 2,
    padding: 1,
    groups: 3,
  },
  {
    batch: 1,
    inChannels: 4,
    height: 7,
    width: 6,
    outChannels: 8,
    kernelH: 3,
    kernelW: 3,
    padding: 1,
    groups: 4,
  },
  {
    batch: 2,
    inChannels: 3,
    height: 5,
    width: 6,
    outChannels: 3,
    kernelH: 5,
    kernelW: 4,
    stride: [1, 2],
    padding: [2, 1, 2, 2] as Pads,
    dilation: [1, 2],
    groups: 3,
  },
  { batch: 1, inChannels: 17, height: 6, width: 5, outChannels: 9, kernelH: 1, kernelW: 1 },
  {
    batch: 1,
    inChannels: 2,
    height: 2,
    width: 3,
    outChannels: 3,
    kernelH: 5,
    kernelW: 5,
    padding: 2,
  },
  {
    batch: 1,
    inChannels: 8,
    height: 16,
    width: 17,
    outChannels: 16,
    kernelH: 3,
    kernelW: 3,
    stride: 1,
    padding: [0, 1, 1, 0] as Pads,
  },
  {
    batch: 1,
    inChannels: 1,
    height: 12,
    width: 9,
    outChannels: 7,
    kernelH: 4,
    kernelW: 3,
    stride: [3, 1],
    groups: 1,
  },
];

/** Human-readable label of a params object. */
export function label(p: Conv2dParams): string {
  return `N${p.batch} C${p.inChannels} ${p.height}×${p.width} O${p.outChannels} k${p.kernelH}×${p.kernelW}` +
    ` s${JSON.stringify(p.stride ?? 1)} p${JSON.stringify(p.padding ?? 0)}` +
    ` d${JSON.stringify(p.dilation ?? 1)} g${p.groups ?? 1}`;
}

/** The float32 error bound γ_(k+2)·(Σ|w·x| + |bias|) with u = 2^-24. */
export function f32Bound(k: number, absSum: number, bias: number): number {
  const u = 2 ** -24, n = k + 2;
  return (n * u / (1 - n * u)) * (absSum + Math.abs(bias)) + 1e-30;
}
