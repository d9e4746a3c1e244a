import { deepEqual, throws } from "node:assert/strict";
import {
  depthwiseConv2dF32,
  depthwiseConv2dInt8,
  depthwiseConv2dInt8Requantized,
} from "./depthwise.ts";
import { im2colInt8 } from "./im2col.ts";
import { gemmInt8 } from "./gemm_int8.ts";
import { conv2dOutputShape } from "./conv_params.ts";
import {
  multiplyByQuantizedMultiplier,
  quantizeMultiplier,
  requantizeFloat,
} from "./requantize.ts";
import type { Conv2dParams } from "./conv_params.ts";
import { f32Bound, label, naiveConv } from "./_conv_test_util.ts";
import { randomF32, randomInts } from "./_test_util.ts";

type Pads = [number, number, number, number];

/** Depthwise shapes: 1×1 images, kernels larger than the input, multipliers, strides. */
const DEPTHWISE_GRID: Conv2dParams[] = [
  { batch: 1, inChannels: 1, height: 1, width: 1, outChannels: 1, kernelH: 1, kernelW: 1 },
  {
    batch: 2,
    inChannels: 3,
    height: 1,
    width: 1,
    outChannels: 6,
    kernelH: 3,
    kernelW: 3,
    padding: 1,
    groups: 3,
  },
  {
    batch: 1,
    inChannels: 4,
    height: 2,
    width: 3,
    outChannels: 4,
    kernelH: 5,
    kernelW: 7,
    padding: [2, 3, 2, 3] as Pads,
    groups: 4,
  },
  {
    batch: 1,
    inChannels: 5,
    height: 9,
    width: 10,
    outChannels: 15,
    kernelH: 3,
    kernelW: 3,
    stride: 2,
    padding: [0, 0, 1, 1] as Pads,
    groups: 5,
  },
  {
    batch: 2,
    inChannels: 2,
    height: 11,
    width: 7,
    outChannels: 2,
    kernelH: 3,
    kernelW: 2,
    stride: [1, 3],
    dilation: [3, 2],
    padding: [1, 2, 0, 1] as Pads,
    groups: 2,
  },
  {
    batch: 1,
    inChannels: 16,
    height: 17,
    width: 16,
    outChannels: 16,
    kernelH: 3,
    kernelW: 3,
    padding: 1,
    groups: 16,
  },
];

for (const [t, p] of DEPTHWISE_GRID.entries()) {
  Deno.test(`depthwiseConv2dF32 equals the naive convolution, ${label(p)}`, () => {
    const x = randomF32(p.batch * p.inChannels * p.height * p.width, 70 + t);
    const w = randomF32(p.outChannels * p.kernelH * p.kernelW, 80 + t);
    const bias = randomF32(p.outChannels, 90 + t);
    const got = depthwiseConv2dF32(x, w, p, { bias });
    const { y, absSum, outH, outW } = naiveConv(x, w, p);
    deepEqual(got.length, y.length);
    for (let e = 0; e < y.length; e++) {
      const b = bias[Math.floor(e / (outH * outW)) % p.outChannels];
      const tol = f32Bound(p.kernelH * p.kernelW, absSum[e], b);
      if (!(Math.abs(got[e] - (y[e] + b)) <= tol)) {
        throw new Error(`element ${e}: got ${got[e]}, want ${y[e] + b}`);
      }
    }
  });
}

Deno.test("depthwiseConv2dF32: relu6 clamps, NaN in a padded-away tap is never read", () => {
  const p: Conv2dParams = {
    batch: 1,
    inChannels: 1,
    height: 1,
    width: 3,
    outChannels: 1,
    kernelH: 1,
    kernelW: 1,
    stride: 2,
  };
  const y = depthwiseConv2dF32(new Float32Array([10, NaN, -3]), new Float32Array([1]), p, {
    activation: "relu6",
  });
  deepEqual([...y], [6, 0]);
});

Deno.test("depthwiseConv2dF32: bad input errors name the argument", () => {
  const p = DEPTHWISE_GRID[3];
  const x = new Float32Array(5 * 90), w = new Float32Array(15 * 9);
  throws(() => depthwiseConv2dF32(x, w, { ...p, groups: 1 }), /p.groups must equal p.inChannels/);
  throws(() => depthwiseConv2dF32(x, w.subarray(9), p), /weight is too small/);
  throws(() => depthwiseConv2dF32(x.subarray(1), w, p), /input is too small/);
  throws(() => depthwiseConv2dF32(x, w, p, { bias: new Float32Array(5) }), /options.bias/);
  throws(() => depthwiseConv2dF32(x, w, p, { out: new Float32Array(4) }), /options.out/);
});

for (const [t, p] of DEPTHWISE_GRID.entries()) {
  Deno.test(`depthwiseConv2dInt8 is bit-exact against the naive loops and im2colInt8 + gemmInt8, ${label(p)}`, () => {
    const { outH, outW } = conv2dOutputShape(p);
    const hw = outH * outW, k = p.kernelH * p.kernelW, mult = p.outChannels / p.inChannels;
    for (const signedX of [false, true]) {
      const [xlo, xhi] = signedX ? [-128, 127] : [0, 255];
      const x = signedX
        ? randomInts(Int8Array, p.batch * p.inChannels * p.height * p.width, xlo, xhi, t)
        : randomInts(Uint8Array, p.batch * p.inChannels * p.height * p.width, xlo, xhi, t);
      const w = randomInts(Int8Array, p.outChannels * k, -128, 127, t + 9);
      for (const zx of [xlo, xhi, signedX ? 0 : 128]) {
        // per-channel weight zero points alternating between the ends of the range
        const zw = new Int32Array(p.outChannels).map((_, o) => (o % 2 ? 127 : -128));
        const bias = new Int32Array(p.outChannels).map((_, o) => 1000 * o - 2 ** 30);
        const got = depthwiseConv2dInt8(x, w, p, { inputZeroPoint: zx, weightZeroPoint: zw, bias });
        const { y } = naiveConv(x, w, p, zx, (o) => zw[o]);
        deepEqual(
          got,
          Int32Array.from(y, (v, e) => (v + bias[Math.floor(e / hw) % p.outChannels]) | 0),
        );
        // second implementation: patch rows × weights per channel group
        for (let n = 0; n < p.batch; n++) {
          for (let g = 0; g < p.inChannels; g++) {
            const rows = im2colInt8(x, p, n, g, { zeroPoint: zx });
            const acc = gemmInt8(hw, mult, k, rows, w.subarray(g * mult * k, (g + 1) * mult * k), {
              aZeroPoint: zx,
              bZeroPoint: zw.subarray(g * mult, (g + 1) * mult),
              bias: bias.subarray(g * mult, (g + 1) * mult),
              transB: true,
              kernel: "ts",
            });
            for (let q = 0; q < mult; q++) {
              for (let s = 0; s < hw; s++) {
                const o = g * mult + q;
                if (got[(n * p.outChannels + o) * hw + s] !== acc[s * mult + q]) {
                  throw new Error(`n${n} o${o} pixel ${s}`);
                }
              }
            }
          }
        }
      }
    }
  });
}

Deno.test("depthwiseConv2dInt8Requantized equals the scalar requantizers (float and fixed)", () => {
  for (const [t, p] of DEPTHWISE_GRID.entries()) {
    const { outH, outW } = conv2dOutputShape(p);
    const hw = outH * outW;
    const x = randomInts(Uint8Array, p.batch * p.inChannels * p.height * p.width, 0, 255, t);
    const w = randomInts(Int8Array, p.outChannels * p.kernelH * p.kernelW, -128, 127, t + 1);
    const acc = depthwiseConv2dInt8(x, w, p, { inputZeroPoint: 255 });
    const reals = Array.from({ length: p.outChannels }, (_, o) => 2 ** -(5 + (o % 7)));
    const mult = Float32Array.from(reals), fixed = reals.map(quantizeMultiplier);
    const yf = depthwiseConv2dInt8Requantized(x, w, p, {
      inputZeroPoint: 255,
      outputStage: { kind: "float", multiplier: mult, zeroPoint: -128, dtype: "int8" },
    });
    deepEqual(
      [...yf],
      [...acc].map((a, e) =>
        requantizeFloat(a, mult[Math.floor(e / hw) % p.outChannels], -128, -128, 127)
      ),
    );
    const yq = depthwiseConv2dInt8Requantized(x, w, p, {
      inputZeroPoint: 255,
      outputStage: {
        kind: "fixed",
        multiplier: Int32Array.from(fixed, (f) => f.multiplier),
        shift: Int32Array.from(fixed, (f) => f.shift),
        zeroPoint: 128,
        dtype: "uint8",
        clampMax: 200,
      },
    });
    deepEqual(
      [...yq],
      [...acc].map((a, e) => {
        const f = fixed[Math.floor(e / hw) % p.outChannels];
        return Math.min(
          200,
          Math.max(0, multiplyByQuantizedMultiplier(a, f.multiplier, f.shift) + 128),
        );
      }),
    );
  }
});

Deno.test("depthwiseConv2dInt8: bad input errors name the argument", () => {
  const p = DEPTHWISE_GRID[3];
  const x = new Uint8Array(5 * 90), w = new Int8Array(15 * 9);
  throws(() => depthwiseConv2dInt8(x, w, { ...p, groups: 1 }), /p.groups must equal p.inChannels/);
  throws(() => depthwiseConv2dInt8(x, w, p, { inputZeroPoint: -1 }), /options.inputZeroPoint/);
  throws(() => depthwiseConv2dInt8(x, w, p, { out: new Int32Array(3) }), /options.out/);
  throws(
    () =>
      depthwiseConv2dInt8Requantized(x, w, p, {
        outputStage: { kind: "float", multiplier: 1, zeroPoint: 0, dtype: "uint8" },
        out: new Uint8Array(3),
      }),
    /options.out must be a Uint8Array of length ≥/,
  );
});
