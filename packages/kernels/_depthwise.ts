// Private: the direct depthwise loops (sums in binary64 rows, one rounding per output).

import { type ResolvedConv2d, validRange } from "./_conv_resolve.ts";

/** Throws unless the params describe a depthwise convolution. */
export function checkDepthwise(r: ResolvedConv2d): void {
  if (r.groups !== r.inC) {
    throw new RangeError(
      `p.groups must equal p.inChannels (${r.inC}) for a depthwise convolution, got ${r.groups}`,
    );
  }
}

/**
 * For each image n and output channel o = c·mult + q: binary64 row sums of shifted input rows,
 * then `finish(sum + bias[o])` stored. `zx`/`zw` are subtracted from the codes (integer paths).
 */
export function depthwiseF32Unchecked(
  input: ArrayLike<number>,
  weight: ArrayLike<number>,
  r: ResolvedConv2d,
  bias: ArrayLike<number> | undefined,
  out: { [i: number]: number },
  finish: (v: number, o: number) => number,
  zx = 0,
  zw: ArrayLike<number> | null = null,
): void {
  const { h, w, kh, kw, sh, sw, dh, dw, padT, padL, outH, outW, inC, outC } = r;
  const mult = outC / inC;
  const acc = new Float64Array(outW);
  const ranges: [number, number][] = [];
  for (let j = 0; j < kw; j++) ranges.push(validRange(j * dw - padL, sw, w, outW));
  for (let n = 0; n < r.batch; n++) {
    for (let o = 0; o < outC; o++) {
      const c = (o / mult) | 0;
      const base = (n * inC + c) * h * w;
      const b = bias ? bias[o] : 0;
      const z = zw ? zw[o] : 0;
      let dst = (n * outC + o) * outH * outW;
      for (let oh = 0; oh < outH; oh++) {
        acc.fill(0);
        for (let i = 0; i < kh; i++) {
          const ih = oh * sh + i * dh - padT;
          if (ih < 0 || ih >= h) continue;
          for (let j = 0; j < kw; j++) {
            const wv = weight[(o * kh + i) * kw + j] - z;
            const [ow0, ow1] = ranges[j];
            const src = base + ih * w + j * dw - padL;
            for (let ow = ow0; ow < ow1; ow++) acc[ow] += wv * (input[src + ow * sw] - zx);
          }
        }
        for (let ow = 0; ow < outW; ow++) out[dst++] = finish(acc[ow] + b, o);
      }
    }
  }
}
