// Private: the unchecked im2col loops shared by the f32 and int8 convolutions.

import { type ResolvedConv2d, validRange } from "./_conv_resolve.ts";

/**
 * Writes group g of image n's patch matrix at `cols[at…]`, padding filled with `fill`
 * (unchecked; shared by the f32 and int8 paths).
 */
export function im2colUnchecked<T extends Float32Array | Int8Array | Uint8Array>(
  input: T,
  r: ResolvedConv2d,
  n: number,
  g: number,
  cols: T,
  at: number,
  fill = 0,
): void {
  const { h, w, kh, kw, sh, sw, dh, dw, padT, padL, outH, outW, cinG } = r;
  const hw = outH * outW;
  let row = 0;
  for (let c = 0; c < cinG; c++) {
    const base = ((n * r.inC) + g * cinG + c) * h * w;
    for (let i = 0; i < kh; i++) {
      const [oh0, oh1] = validRange(i * dh - padT, sh, h, outH);
      for (let j = 0; j < kw; j++, row++) {
        const offW = j * dw - padL;
        const [ow0, ow1] = validRange(offW, sw, w, outW);
        const rowAt = at + row * hw;
        if (oh0 > 0) cols.fill(fill, rowAt, rowAt + oh0 * outW);
        if (oh1 < outH) cols.fill(fill, rowAt + oh1 * outW, rowAt + hw);
        for (let oh = oh0; oh < oh1; oh++) {
          const dst = rowAt + oh * outW;
          const src = base + (oh * sh + i * dh - padT) * w + offW;
          // element loops: on short rows (a few to a few dozen elements) the calls of
          // fill/set/subarray cost more than the copy; long rows take one block copy
          for (let ow = 0; ow < ow0; ow++) cols[dst + ow] = fill;
          if (sw === 1 && ow1 - ow0 >= 64) {
            cols.set(input.subarray(src + ow0, src + ow1), dst + ow0);
          } else {
            for (let ow = ow0; ow < ow1; ow++) cols[dst + ow] = input[src + ow * sw];
          }
          for (let ow = ow1; ow < outW; ow++) cols[dst + ow] = fill;
        }
      }
    }
  }
}

/**
 * Writes group g of image n's patches as rows: `cols[at + (oh·outW + ow)·K + (c·kH + i)·kW + j]`
 * (K = (C/G)·kH·kW, the transpose of the f32 layout), padding filled with `fill`.
 */
export function im2colRowsUnchecked<T extends Int8Array | Uint8Array>(
  input: T,
  r: ResolvedConv2d,
  n: number,
  g: number,
  cols: T,
  at: number,
  fill: number,
): void {
  const { h, w, kh, kw, sh, sw, dh, dw, padT, padL, outH, outW, cinG, kSize } = r;
  const end = at + outH * outW * kSize;
  cols.fill(fill, at, end);
  let row = 0;
  for (let c = 0; c < cinG; c++) {
    const base = ((n * r.inC) + g * cinG + c) * h * w;
    for (let i = 0; i < kh; i++) {
      const [oh0, oh1] = validRange(i * dh - padT, sh, h, outH);
      for (let j = 0; j < kw; j++, row++) {
        const offW = j * dw - padL;
        const [ow0, ow1] = validRange(offW, sw, w, outW);
        for (let oh = oh0; oh < oh1; oh++) {
          const src = base + (oh * sh + i * dh - padT) * w + offW;
          let dst = at + (oh * outW + ow0) * kSize + row;
          for (let ow = ow0; ow < ow1; ow++, dst += kSize) cols[dst] = input[src + ow * sw];
        }
      }
    }
  }
}
