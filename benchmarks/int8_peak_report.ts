/**
 * int8 GEMM 1024³ against the relaxed-dot peak and onnxruntime-web MatMulInteger with
 * per-round ratios: each round runs every int8 entry of `_gemm_cases.ts` once and then the
 * register-only relaxed-dot peak loop, so each ratio compares measurements taken seconds
 * apart (robust on a machine shared with other jobs). Prints the CPU and kernelInfo first.
 * Run: `tools/node_modules/.bin/deno run -A benchmarks/int8_peak_report.ts`.
 *
 * @module
 */
import { CASES } from "./_gemm_cases.ts";
import { measurePeaks } from "./_peaks.ts";
import { hostLines } from "./_host.ts";
console.log(hostLines().join("\n"));
const c = await CASES[1]();
const pick = c.entries.filter((e) => !e.name.includes("2 threads"));
for (let w = 0; w < 3; w++) for (const e of pick) await e.fn();
const t = pick.map(() => [] as number[]), peaks: number[] = [];
for (let r = 0; r < 12; r++) {
  for (let i = 0; i < pick.length; i++) {
    const s = performance.now();
    await pick[i].fn();
    t[i].push(performance.now() - s);
  }
  peaks.push((await measurePeaks(1))[0].best);
}
const ops = c.ops;
pick.forEach((e, i) => {
  const x = [...t[i]].sort((a, b) => a - b);
  console.log(
    `${e.name}: median ${x[6].toFixed(1)} ms (${(ops / x[6] / 1e6).toFixed(1)} GOP/s), min ${
      x[0].toFixed(1)
    } ms (${(ops / x[0] / 1e6).toFixed(1)} GOP/s)`,
  );
});
const p = [...peaks].sort((a, b) => a - b);
console.log(
  `relaxed-dot peak: median ${p[6].toFixed(1)}, best ${p[11].toFixed(1)} GOP/s; runs ${
    peaks.map((x) => x.toFixed(0)).join(" ")
  }`,
);
// per-round ratio: lowbit packed (chosen) vs the peak run right after it, and vs ORT (B initializer)
const iP = pick.findIndex((e) => e.name.includes("packed B") && e.name.includes("chosen"));
const ratios = t[iP].map((ms, r) => (ops / ms / 1e6) / peaks[r]).sort((a, b) => a - b);
const vsOrt = t[0].map((ms, r) => ms / t[iP][r]).sort((a, b) => a - b);
console.log(
  `per-round lowbit packed / peak: median ${ratios[6].toFixed(2)} (min ${
    ratios[0].toFixed(2)
  }, max ${ratios[11].toFixed(2)})`,
);
console.log(
  `per-round ORT(B init) time / lowbit packed time: median ${vsOrt[6].toFixed(2)} (min ${
    vsOrt[0].toFixed(2)
  }, max ${vsOrt[11].toFixed(2)})`,
);
Deno.exit(0);
