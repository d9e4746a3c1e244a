import { equal, ok } from "node:assert/strict";
import { costModel } from "./cost.ts";
import { measureHost } from "./host.ts";
import { uniform } from "./precision.ts";
import { parseTarget } from "./target.ts";
import { graph, node } from "./_test_util.ts";

Deno.test("measureHost returns a target the cost model accepts, with sources", () => {
  const { file, info } = measureHost({ seconds: 0.3, print: false });
  const t = parseTarget(file);
  for (const p of ["fp32", "int8", "int4", "binary"] as const) {
    ok((t.peak[p] ?? 0) > 1e6, `${p} peak ${t.peak[p]}`);
    ok(file.peak[p]?.source.startsWith("measured on this host"));
  }
  ok(t.levels.every((l) => (l.bandwidth ?? 0) > 1e8));
  ok(info.cpuModel.length > 0);
  ok(info.gemvBytesPerSecond > 0);
  const g = graph(["x", [4, 64]], [node("fc", "Gemm", ["x", "w"], ["y"], { transB: 1 })], ["y"], {
    w: [32, 64],
  });
  const c = costModel(g, t, uniform("int8"));
  equal(c.totals.macs, 4 * 32 * 64);
  ok(c.totals.latencySeconds > 0);
});
