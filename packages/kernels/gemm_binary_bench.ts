// The 1-bit and ternary GEMMs at 1024³ against our f32 GEMM (Wasm SIMD) at the same shape, single thread,
// side by side in one run. GOP/s count 2 operations per bit multiply-accumulate (2·1024³ per
// product), like GFLOP/s for f32.
//   tools/node_modules/.bin/deno bench -A packages/kernels/gemm_binary_bench.ts
//     (the group summary gives the ratio to the f32 baseline)
//   tools/node_modules/.bin/deno run -A packages/kernels/gemm_binary_bench.ts
//     (prints median ms, GOP/s and the ratio)

import { gemmF32 } from "./gemm_f32.ts";
import { gemmBinary, packBinary } from "./gemm_binary.ts";
import { gemmTernary, packTernary } from "./gemm_ternary.ts";
import { randomF32 } from "./_test_util.ts";

const N = 1024;
const OPS = 2 * N * N * N;
const a = randomF32(N * N, 1), b = randomF32(N * N, 2), c = new Float32Array(N * N);
const pa = packBinary(a, N, N), pb = packBinary(b, N, N), acc = new Int32Array(N * N);
const ta = packTernary(a, N, N, { threshold: 0.35 }),
  tb = packTernary(b, N, N, { threshold: 0.35 });

const cases: { name: string; baseline?: boolean; fn: () => void }[] = [
  {
    name: "f32 GEMM, Wasm SIMD",
    baseline: true,
    fn: () => gemmF32(N, N, N, a, b, { out: c, kernel: "wasm" }),
  },
  {
    name: "binary XNOR-popcount, Wasm i64.popcnt",
    fn: () => gemmBinary(N, N, N, pa, pb, { out: acc, kernel: "wasm" }),
  },
  {
    name: "ternary (two bit-planes), Wasm i64.popcnt",
    fn: () => gemmTernary(N, N, N, ta, tb, { out: acc, kernel: "wasm" }),
  },
  {
    name: "binary XNOR-popcount, TypeScript reference",
    fn: () => gemmBinary(N, N, N, pa, pb, { out: acc, kernel: "ts" }),
  },
];

for (const k of cases) {
  Deno.bench({ name: k.name, group: "1024³", baseline: k.baseline ?? false }, k.fn);
}

if (import.meta.main) {
  const rows: [string, number][] = [];
  for (const k of cases) {
    for (let i = 0; i < 3; i++) k.fn();
    const t: number[] = [];
    for (let i = 0; i < 15; i++) {
      const s = performance.now();
      k.fn();
      t.push(performance.now() - s);
    }
    rows.push([k.name, t.sort((x, y) => x - y)[7]]);
  }
  const base = rows[0][1];
  console.log("| 1024³ | median | G(FL)OP/s | × f32 |\n|---|---|---|---|");
  for (const [name, ms] of rows) {
    console.log(
      `| ${name} | ${ms.toFixed(2)} ms | ${(OPS / ms / 1e6).toFixed(1)} | ${
        (base / ms).toFixed(2)
      } |`,
    );
  }
  Deno.exit(0); // the kernel pool's workers would keep the process alive
}
