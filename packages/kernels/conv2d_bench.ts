// Convolutions on real layer shapes (MobileNetV2-style, batch 1, 56×56 / 28×28 maps), single
// thread: f32 im2col + GEMM (Wasm SIMD vs the TypeScript reference GEMM), the direct depthwise
// loops, and the int8 path (im2colInt8 + gemmInt8, Wasm) with the f32 Wasm path as baseline.
// Run: tools/node_modules/.bin/deno bench -A packages/kernels/conv2d_bench.ts

import { conv2dF32, conv2dInt8 } from "./conv2d.ts";
import type { Conv2dParams } from "./conv_params.ts";
import { randomF32, randomInts } from "./_test_util.ts";

const conv3x3: Conv2dParams = {
  batch: 1,
  inChannels: 32,
  height: 56,
  width: 56,
  outChannels: 64,
  kernelH: 3,
  kernelW: 3,
  padding: 1,
};
const pointwise: Conv2dParams = {
  batch: 1,
  inChannels: 96,
  height: 28,
  width: 28,
  outChannels: 96,
  kernelH: 1,
  kernelW: 1,
};
const depthwise: Conv2dParams = {
  batch: 1,
  inChannels: 144,
  height: 56,
  width: 56,
  outChannels: 144,
  kernelH: 3,
  kernelW: 3,
  padding: 1,
  groups: 144,
};

for (const [group, p] of [["3×3 32→64 @56²", conv3x3], ["1×1 96→96 @28²", pointwise]] as const) {
  const xs = p.batch * p.inChannels * p.height * p.width;
  const ws = p.outChannels * p.inChannels * p.kernelH * p.kernelW;
  const x = randomF32(xs, 1), w = randomF32(ws, 2);
  const qx = randomInts(Uint8Array, xs, 0, 255, 3), qw = randomInts(Int8Array, ws, -127, 127, 4);
  Deno.bench({ name: "f32 im2col + Wasm GEMM", group, baseline: true }, () => {
    conv2dF32(x, w, p, { kernel: "wasm" });
  });
  Deno.bench({ name: "f32 im2col + TS reference GEMM", group, n: 3 }, () => {
    conv2dF32(x, w, p, { kernel: "ts" });
  });
  Deno.bench({ name: "int8 im2colInt8 + Wasm gemmInt8", group }, () => {
    conv2dInt8(qx, qw, p, { inputZeroPoint: 128, kernel: "wasm" });
  });
}

const dx = randomF32(144 * 56 * 56, 5), dw = randomF32(144 * 9, 6);
const qdx = randomInts(Uint8Array, dx.length, 0, 255, 7);
const qdw = randomInts(Int8Array, dw.length, -127, 127, 8);
Deno.bench(
  { name: "f32 direct depthwise (TS)", group: "depthwise 3×3 144 @56²", baseline: true },
  () => {
    conv2dF32(dx, dw, depthwise);
  },
);
Deno.bench({ name: "int8 direct depthwise (TS)", group: "depthwise 3×3 144 @56²" }, () => {
  conv2dInt8(qdx, qdw, depthwise, { inputZeroPoint: 128 });
});
