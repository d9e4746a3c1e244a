// The GEMM kernels beside their code: the TypeScript reference against the WebAssembly
// kernel at 256³ (single thread), per data type. The peer comparison (onnxruntime-web) and
// 1024³ shapes are in benchmarks/gemm_bench.ts.
// Run: tools/node_modules/.bin/deno bench -A packages/kernels/gemm_bench.ts

import { gemmF32 } from "./gemm_f32.ts";
import { gemmInt8 } from "./gemm_int8.ts";
import { gemmNarrow } from "./gemm_narrow.ts";
import { randomF32, randomInts } from "./_test_util.ts";

const n = 256;
const a = randomF32(n * n, 1), b = randomF32(n * n, 2), c = new Float32Array(n * n);
const qa = randomInts(Uint8Array, n * n, 0, 15, 3), qb = randomInts(Int8Array, n * n, -8, 7, 4);
const acc = new Int32Array(n * n);

Deno.bench({ name: "f32 reference (TS)", group: "f32 256³", baseline: true, n: 5 }, () => {
  gemmF32(n, n, n, a, b, { out: c, kernel: "ts" });
});
Deno.bench({ name: "f32 Wasm SIMD", group: "f32 256³" }, () => {
  gemmF32(n, n, n, a, b, { out: c, kernel: "wasm" });
});
Deno.bench({ name: "int8 reference (TS)", group: "int8 256³", baseline: true, n: 5 }, () => {
  gemmInt8(n, n, n, qa, qb, { out: acc, kernel: "ts" });
});
Deno.bench({ name: "int8 Wasm SIMD", group: "int8 256³" }, () => {
  gemmInt8(n, n, n, qa, qb, { out: acc, kernel: "wasm" });
});
Deno.bench({ name: "4-bit via int8 Wasm", group: "4-bit 256³", baseline: true }, () => {
  gemmInt8(n, n, n, qa, qb, { out: acc, kernel: "wasm" });
});
Deno.bench({ name: "4-bit narrow Wasm (i16 accumulation)", group: "4-bit 256³" }, () => {
  gemmNarrow(n, n, n, qa, qb, { out: acc });
});
