import { deepEqual, throws } from "node:assert/strict";
import { depthwiseConv2dF32 } from "./depthwise.ts";
import type { Conv2dParams } from "./conv_params.ts";
import { f32Bound, label, naiveConv } from "./_conv_test_util.ts";
import { randomF32 } from "./_test_util.ts";

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
