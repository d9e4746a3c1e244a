// 1×1 int8 convolutions run as weights · input on the Wasm GEMM (output channels as rows,
// per-row bias and output stage): equal to the reference loops bit for bit on both int8 GEMM
// paths, both output stages with clamps (the float one to uint8 and, without a bias, to int8),
// signed and unsigned operands, extreme zero points, batches; non-uniform weight zero points take the im2col route, also equal.
import { deepEqual } from "node:assert/strict";
import { conv2dInt8Requantized } from "./conv2d.ts";
import type { Conv2dParams } from "./conv_params.ts";
import type { OutputStage } from "./output_stage.ts";
import { quantizeMultiplier } from "./requantize.ts";
import { randomInts } from "./_test_util.ts";
import { forceInt8Path, type Int8Path } from "./_int8_path.ts";
import { probe } from "./_probe.ts";

const PATHS: Int8Path[] = probe().relaxedDot === "u8s8"
  ? ["relaxed-dot-u8s8", "dot-i16"]
  : ["dot-i16"];

Deno.test("pointwise conv2dInt8Requantized (weights · input) equals the reference", () => {
  for (const path of PATHS) {
    forceInt8Path(path);
    try {
      let seed = 0;
      for (
        const [batch, inC, outC, h, w] of [
          [1, 1, 1, 1, 1],
          [2, 3, 5, 3, 5],
          [1, 17, 9, 7, 9],
          [1, 16, 16, 4, 4],
          [2, 8, 3, 1, 13],
        ]
      ) {
        for (const signedX of [false, true]) {
          seed++;
          const p: Conv2dParams = {
            batch,
            inChannels: inC,
            height: h,
            width: w,
            outChannels: outC,
            kernelH: 1,
            kernelW: 1,
          };
          const x = signedX
            ? randomInts(Int8Array, batch * inC * h * w, -128, 127, seed)
            : randomInts(Uint8Array, batch * inC * h * w, 0, 255, seed);
          const signedW = seed % 3 !== 0;
          const wt = signedW
            ? randomInts(Int8Array, outC * inC, -128, 127, seed + 50)
            : randomInts(Uint8Array, outC * inC, 0, 255, seed + 50);
          const zx = signedX ? [-128, 127, 0][seed % 3] : [0, 255, 128][seed % 3];
          const zwU = signedW ? [0, -128, 127][seed % 3] : [0, 255, 128][seed % 3];
          const zwN = new Int32Array(outC).map((_, o) => (signedW ? o % 3 : 128 + (o % 3)));
          const bias = new Int32Array(outC).map((_, o) => (o - 2) * 40321);
          const { multiplier, shift } = quantizeMultiplier(0.0013);
          const stages: OutputStage[] = [
            {
              kind: "float",
              multiplier: new Float32Array(outC).map((_, o) => 0.0004 * (o + 1)),
              zeroPoint: 7,
              dtype: "uint8",
              clampMin: 7,
            },
            {
              kind: "fixed",
              multiplier: new Int32Array(outC).fill(multiplier),
              shift: new Int32Array(outC).fill(shift),
              zeroPoint: -4,
              dtype: "int8",
              clampMax: 90,
            },
            {
              // large multipliers: most outputs saturate at either end of int8
              kind: "float",
              multiplier: new Float32Array(outC).map((_, o) => 0.003 * (o + 1)),
              zeroPoint: -3,
              dtype: "int8",
              clampMin: -100,
            },
          ];
          for (const outputStage of stages) {
            for (const weightZeroPoint of [zwU, zwN]) {
              const b = outputStage.dtype === "int8" && outputStage.kind === "float"
                ? undefined
                : bias;
              const opts = { inputZeroPoint: zx, weightZeroPoint, bias: b, outputStage };
              deepEqual(
                conv2dInt8Requantized(x, wt, p, opts),
                conv2dInt8Requantized(x, wt, p, { ...opts, kernel: "ts" }),
                `${path} ${JSON.stringify(p)} sx=${signedX} sw=${signedW} ${outputStage.kind} zw=${
                  typeof weightZeroPoint === "number" ? weightZeroPoint : "per-channel"
                }`,
              );
            }
          }
        }
      }
    } finally {
      forceInt8Path(null);
    }
  }
});
