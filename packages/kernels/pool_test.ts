import { deepEqual, equal, rejects } from "node:assert/strict";
import { startPool } from "./pool.ts";
import { gemmF32 } from "./gemm_f32.ts";
import { gemmInt8, gemmInt8Requantized } from "./gemm_int8.ts";
import { packInt8 } from "./pack_int8.ts";
import { randomF32, randomInts } from "./_test_util.ts";
import { oneNodeModel, ONNX_TYPE, ort, runModel } from "./_onnx_test_util.ts";

Deno.test("pool: two threads give bit-identical results to one (f32, int8 GEMM, int8 GEMV)", async () => {
  const m = 203, n = 131, k = 300;
  const a = randomF32(m * k, 1), b = randomF32(k * n, 2);
  const qa = randomInts(Uint8Array, m * k, 0, 255, 3),
    qb = randomInts(Int8Array, k * n, -128, 127, 4);
  const K = 2048, N = 1100;
  const x = randomInts(Uint8Array, K, 0, 255, 5), w = randomInts(Int8Array, K * N, -128, 127, 6);
  using pw = packInt8(w, K, N, { transB: true });
  const stage = { kind: "float", multiplier: 1e-4, zeroPoint: 0, dtype: "int8" } as const;
  const single = [
    gemmF32(m, n, k, a, b),
    gemmInt8(m, n, k, qa, qb, { aZeroPoint: 7 }),
    gemmInt8(1, N, K, x, pw, { aZeroPoint: 100 }),
    gemmInt8Requantized(m, n, k, qa, qb, { outputStage: stage }),
  ];
  {
    await using pool = await startPool({ threads: 2 });
    equal(pool.threads, 2);
    await rejects(startPool({ threads: 2 }), /already running/);
    const multi = [
      gemmF32(m, n, k, a, b),
      gemmInt8(m, n, k, qa, qb, { aZeroPoint: 7 }),
      gemmInt8(1, N, K, x, pw, { aZeroPoint: 100 }),
      gemmInt8Requantized(m, n, k, qa, qb, { outputStage: stage }),
    ];
    for (let i = 0; i < single.length; i++) deepEqual(multi[i], single[i], `case ${i}`);
    pool.enabled = false;
    deepEqual(gemmF32(m, n, k, a, b), single[0]);
    equal(pool.enabled, false);
    pool.enabled = true;
    // Many small dispatches in a row (job sequencing)
    for (let r = 0; r < 50; r++) {
      deepEqual(gemmInt8(1, N, K, x, pw, { aZeroPoint: 100 }), single[2]);
    }
  }
  // disposed: a new pool can start again
  const again = await startPool({ threads: 2 });
  await again.dispose();
});

Deno.test("pool: bad thread counts are rejected", async () => {
  await rejects(startPool({ threads: 0 }), /options.threads must be an integer in \[1, 16\]/);
  await rejects(startPool({ threads: 2.5 }), RangeError);
});

Deno.test("pool: starts after onnxruntime-web has run in the process (Deno then starts workers without `self`)", async () => {
  ort.env.wasm.numThreads = 1;
  const info = { name: "x", type: ONNX_TYPE.float, dims: [2] };
  const y = await runModel(
    oneNodeModel("Relu", ["x"], {}, [], [info], { ...info, name: "y" }),
    { x: new ort.Tensor("float32", Float32Array.of(-1, 1), [2]) },
    "y",
  );
  deepEqual([...(y.data as Float32Array)], [0, 1]);
  await using pool = await startPool({ threads: 2 });
  const n = 160;
  const c = gemmF32(n, n, n, new Float32Array(n * n).fill(1), new Float32Array(n * n).fill(2));
  equal(c[n * n - 1], 2 * n);
  equal(pool.threads, 2);
});
