// Depthwise convolution beside its code: the TypeScript reference loops against the
// WebAssembly SIMD kernel (same results bit for bit), int8 with a fused requantization and
// f32, on MobileNet-class shapes (batch 1, single thread).
// Run: tools/node_modules/.bin/deno bench -A packages/kernels/depthwise_bench.ts

import { depthwiseConv2dF32, depthwiseConv2dInt8Requantized } from "./depthwise.ts";
import type { Conv2dParams } from "./conv_params.ts";
import { randomF32, randomInts } from "./_test_util.ts";
import { kernelInfo } from "./kernel_info.ts";

console.log(`kernels: ${JSON.stringify(kernelInfo())}`);

const CASES: [string, Conv2dParams][] = [
  ["3×3 s1 C=64 48×48", dw(64, 48, 48, 3, 1)],
  ["3×3 s2 C=64 48×48", dw(64, 48, 48, 3, 2)],
  ["5×5 s1 C=96 12×48", dw(96, 12, 48, 5, 1)],
  ["5×5 s2 C=96 24×96", dw(96, 24, 96, 5, 2)],
  // PP-OCR classifier's last layers: 2-row maps, 3 of the 5 kernel rows read padding
  ["5×5 s1 C=200 2×96", dw(200, 2, 96, 5, 1)],
];

function dw(c: number, h: number, w: number, k: number, s: number): Conv2dParams {
  return {
    batch: 1,
    inChannels: c,
    height: h,
    width: w,
    outChannels: c,
    kernelH: k,
    kernelW: k,
    stride: s,
    padding: k >> 1,
    groups: c,
  };
}

for (const [name, p] of CASES) {
  const nx = p.inChannels * p.height * p.width, nw = p.outChannels * p.kernelH * p.kernelW;
  const x = randomInts(Uint8Array, nx, 0, 255, 1), w = randomInts(Int8Array, nw, -127, 127, 2);
  const opts = {
    inputZeroPoint: 128,
    bias: new Int32Array(p.outChannels).fill(100),
    outputStage: {
      kind: "float" as const,
      multiplier: new Float32Array(p.outChannels).fill(0.001),
      zeroPoint: 0,
      dtype: "uint8" as const,
      clampMin: 0,
      clampMax: 6 / 0.05,
    },
  };
  const xf = randomF32(nx, 3), wf = randomF32(nw, 4);
  for (const kernel of ["ts", "wasm"] as const) {
    Deno.bench({
      name: `int8 requantized ${kernel}`,
      group: `int8 ${name}`,
      baseline: kernel === "ts",
      fn: () => void depthwiseConv2dInt8Requantized(x, w, p, { ...opts, kernel }),
    });
    Deno.bench({
      name: `f32 ReLU6 ${kernel}`,
      group: `f32 ${name}`,
      baseline: kernel === "ts",
      fn: () => void depthwiseConv2dF32(xf, wf, p, { activation: "relu6", kernel }),
    });
  }
}
