/**
 * Prints the GEMM cases of gemm_bench.ts as a table: median time (and the spread over the
 * rounds), G(FL)OP/s, the ratio to each group's baseline and the share of the instruction
 * peak (fastest round against the best peak run: on a loaded machine both are the least
 * disturbed), all from one run on this host. The CPU, the relaxed-SIMD probe (`kernelInfo`) and the
 * peak microkernels (`_peaks.ts`) are printed first. Within a group the entries run
 * interleaved, one call each per round, so load from other processes hits all of them alike.
 * Run: `tools/node_modules/.bin/deno run -A benchmarks/gemm_report.ts [--rounds=N]`.
 *
 * @module
 */

import { CASES, type Entry } from "./_gemm_cases.ts";
import { measurePeaks, type Peak } from "./_peaks.ts";
import { hostLines } from "./_host.ts";

const roundsArg = Deno.args.find((a) => a.startsWith("--rounds="));

/** Medians and spreads of interleaved rounds. */
async function interleaved(entries: Entry[], rounds: number): Promise<number[][]> {
  for (let w = 0; w < 5; w++) for (const e of entries) await e.fn();
  const t: number[][] = entries.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < entries.length; i++) {
      const s = performance.now();
      await entries[i].fn();
      t[i].push(performance.now() - s);
    }
  }
  return t.map((x) => x.sort((a, b) => a - b));
}

const fmt = (ms: number) => ms < 1 ? (ms * 1000).toFixed(0) + " µs" : ms.toFixed(1) + " ms";

const lines = hostLines();
console.error(lines.join("\n"));
const peaks: Peak[] = await measurePeaks(5);
const peakRows = [
  "| peak microkernel (registers only, 1 thread) | best | runs |",
  "|---|---|---|",
  ...peaks.map((p) =>
    `| ${p.name} | ${p.best.toFixed(1)} G${p.unit}/s | ${
      p.runs.map((r) => r.toFixed(0)).join(", ")
    } |`
  ),
];
const rows: string[] = [
  "| case | implementation | median (min–max) | G/s (median) | × baseline (medians) | % of peak (best vs best) |",
  "|---|---|---|---|---|---|",
];
for (const make of CASES) {
  const c = await make();
  const rounds = roundsArg ? Number(roundsArg.split("=")[1]) : c.iterations;
  const times = await interleaved(c.entries, rounds);
  const med = times.map((t) => t[Math.floor(t.length / 2)]);
  const base = med[c.entries.findIndex((e) => e.baseline)];
  const peak = c.peak ? peaks.find((p) => p.name.startsWith(c.peak!)) : undefined;
  c.entries.forEach((e, i) => {
    const gs = c.ops / med[i] / 1e6;
    console.error(`${c.group}: ${e.name} ${med[i].toFixed(2)} ms`);
    const single = !e.name.includes("2 threads");
    rows.push(
      `| ${c.group} | ${e.name} | ${fmt(med[i])} (${fmt(times[i][0])}–${
        fmt(times[i][times[i].length - 1])
      }) | ${gs.toFixed(1)} G${c.unit}/s | ${(base / med[i]).toFixed(2)} | ${
        peak && single && e.name.startsWith("lowbit")
          ? ((100 * gs) / peak.best).toFixed(0) + "%"
          : ""
      } |`,
    );
  });
}
console.log([...lines, "", ...peakRows, "", ...rows].join("\n"));
Deno.exit(0); // the kernel pool's workers would keep the process alive
