import { deepEqual, equal, throws } from "node:assert/strict";
import { Philox } from "@lowbit/rounding";
import { col2imF32, im2colF32 } from "./im2col.ts";
import { conv2dOutputShape } from "./conv_params.ts";
import { CONV_GRID, label } from "./_conv_test_util.ts";
import type { Conv2dParams } from "./conv_params.ts";

/** Small integers, so every float32 sum below is exact. */
function smallInts(len: number, seed: number): Float32Array {
  const r = new Philox(seed, 3);
  return new Float32Array(len).map(() => (r.nextUint32() % 17) - 8);
}

function two(v: number | [number, number] | undefined): [number, number] {
  return v === undefined ? [1, 1] : typeof v === "number" ? [v, v] : v;
}

for (const [t, p] of CONV_GRID.entries()) {
  Deno.test(`im2col: element formula and adjointness, ${label(p)}`, () => {
    const { outH, outW } = conv2dOutputShape(p);
    const G = p.groups ?? 1, cg = p.inChannels / G;
    const rows = cg * p.kernelH * p.kernelW, hw = outH * outW;
    const x = smallInts(p.batch * p.inChannels * p.height * p.width, t);
    const [sh, sw] = two(p.stride), [dh, dw] = two(p.dilation);
    const pad = p.padding ?? 0;
    const [top, left] = typeof pad === "number" ? [pad, pad] : pad;
    const dx = new Float32Array(x.length);
    let lhs = 0;
    for (let n = 0; n < p.batch; n++) {
      for (let g = 0; g < G; g++) {
        // into a reused buffer full of NaN: every element, padding included, must be written
        const cols = im2colF32(x, p, n, g, new Float32Array(rows * hw).fill(NaN));
        equal(cols.length, rows * hw);
        // each element by its definition
        for (let c = 0; c < cg; c++) {
          for (let i = 0; i < p.kernelH; i++) {
            for (let j = 0; j < p.kernelW; j++) {
              for (let oh = 0; oh < outH; oh++) {
                for (let ow = 0; ow < outW; ow++) {
                  const ih = oh * sh - top + i * dh, iw = ow * sw - left + j * dw;
                  const inside = ih >= 0 && ih < p.height && iw >= 0 && iw < p.width;
                  const want = inside
                    ? x[((n * p.inChannels + g * cg + c) * p.height + ih) * p.width + iw]
                    : 0;
                  const got = cols[((c * p.kernelH + i) * p.kernelW + j) * hw + oh * outW + ow];
                  if (got !== want) throw new Error(`n${n} g${g} c${c} i${i} j${j} ${oh},${ow}`);
                }
              }
            }
          }
        }
        // ⟨im2col(x), y⟩ = ⟨x, col2im(y)⟩ summed over every (n, g)
        const y = smallInts(rows * hw, 1000 + t * 31 + n * 7 + g);
        for (let e = 0; e < y.length; e++) lhs += cols[e] * y[e];
        col2imF32(y, p, n, g, dx);
      }
    }
    let rhs = 0;
    for (let e = 0; e < x.length; e++) rhs += x[e] * dx[e];
    equal(lhs, rhs);
  });
}

Deno.test("col2im adds into gradInput (does not overwrite) and writes only image n, group g", () => {
  const p: Conv2dParams = {
    batch: 2,
    inChannels: 4,
    height: 3,
    width: 3,
    outChannels: 2,
    kernelH: 2,
    kernelW: 2,
    groups: 2,
  };
  const dx = new Float32Array(2 * 4 * 9).fill(1);
  col2imF32(new Float32Array(2 * 4 * 4).fill(1), p, 1, 0, dx);
  // image 1, channels 0 and 1: how many 2×2 windows of a 3×3 image cover each pixel
  const cover = [1, 2, 1, 2, 4, 2, 1, 2, 1];
  const want = new Float32Array(72).fill(1);
  for (const c of [0, 1]) for (let e = 0; e < 9; e++) want[(4 + c) * 9 + e] = 1 + cover[e];
  deepEqual(dx, want);
});

Deno.test("im2col/col2im: bad input errors name the argument", () => {
  const p: Conv2dParams = {
    batch: 1,
    inChannels: 2,
    height: 4,
    width: 4,
    outChannels: 2,
    kernelH: 3,
    kernelW: 3,
  };
  const x = new Float32Array(32);
  throws(() => im2colF32(new Float32Array(31), p, 0, 0), /input is too small/);
  throws(() => im2colF32(new Float64Array(32) as unknown as Float32Array, p, 0, 0), TypeError);
  throws(() => im2colF32(x, p, 1, 0), /^RangeError: n must be an integer in \[0, 0\]/);
  throws(() => im2colF32(x, p, 0, 0.5), /^RangeError: g must be/);
  throws(() => im2colF32(x, p, 0, 0, new Float32Array(71)), /out is too small/);
  throws(() => im2colF32(x, { ...p, groups: 3 }, 0, 0), /p.groups must divide/);
  throws(() => im2colF32(x, { ...p, height: 2.5 }, 0, 0), /p.height must be an integer/);
  throws(() => im2colF32(x, { ...p, stride: [1, 0] }, 0, 0), /p.stride\[1\]/);
  throws(() => im2colF32(x, { ...p, padding: -1 }, 0, 0), /p.padding must be an integer/);
  throws(
    () => im2colF32(x, { ...p, padding: [1, 1] as unknown as number }, 0, 0),
    /p.padding must be/,
  );
  throws(() => im2colF32(x, { ...p, dilation: 2 }, 0, 0), /empty output/);
  throws(() => col2imF32(new Float32Array(10), p, 0, 0, x), /cols is too small/);
  throws(() => col2imF32(new Float32Array(72), p, 0, 0, new Float32Array(8)), /gradInput/);
  throws(() => conv2dOutputShape(null as unknown as Conv2dParams), TypeError);
});
