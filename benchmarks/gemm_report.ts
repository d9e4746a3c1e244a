/**
 * Prints the GEMM cases of gemm_bench.ts as a table: median time, GOP/s (GFLOP/s for f32)
 * and the ratio to each group's baseline, all from one run on this host.
 * Run: `tools/node_modules/.bin/deno run -A benchmarks/gemm_report.ts`.
 *
 * @module
 */

import { CASES } from "./_gemm_cases.ts";

async function median(fn: () => void | Promise<void>, n: number): Promise<number> {
  for (let i = 0; i < 5; i++) await fn();
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await fn();
    t.push(performance.now() - s);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(n / 2)];
}

const rows: string[] = [
  "| case | implementation | median | G/s | × baseline |",
  "|---|---|---|---|---|",
];
for (const make of CASES) {
  const c = await make();
  let base = NaN;
  const results: [string, number][] = [];
  for (const e of c.entries) {
    const ms = await median(e.fn, c.iterations);
    if (e.baseline) base = ms;
    results.push([e.name, ms]);
    console.error(`${c.group}: ${e.name} ${ms.toFixed(2)} ms`);
  }
  for (const [name, ms] of results) {
    const gs = c.ops / ms / 1e6;
    rows.push(
      `| ${c.group} | ${name} | ${
        ms < 1 ? (ms * 1000).toFixed(0) + " µs" : ms.toFixed(1) + " ms"
      } | ${gs.toFixed(1)} G${c.unit}/s | ${(base / ms).toFixed(2)} |`,
    );
  }
}
console.log(rows.join("\n"));
Deno.exit(0); // the kernel pool's workers would keep the process alive
