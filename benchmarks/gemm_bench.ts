/**
 * GEMM on this host: lowbit's WebAssembly kernels against onnxruntime-web (the JavaScript
 * peer, single thread, weights as initializers so it may prepack them), side by side.
 * Run: `tools/node_modules/.bin/deno bench -A benchmarks/gemm_bench.ts`. Each group's summary
 * gives the ratio to its baseline; the names carry the operation count, so GFLOP/s = ops /
 * time. `deno run -A benchmarks/gemm_report.ts` prints the same cases as a GOP/s table.
 *
 * @module
 */

import { CASES } from "./_gemm_cases.ts";

for (const c of await Promise.all(CASES.map((make) => make()))) {
  for (const entry of c.entries) {
    Deno.bench({
      name: `${entry.name} (${(c.ops / 1e9).toFixed(2)} G${c.unit})`,
      group: c.group,
      baseline: entry.baseline ?? false,
      n: c.iterations,
      warmup: 5,
      fn: entry.fn,
    });
  }
}
