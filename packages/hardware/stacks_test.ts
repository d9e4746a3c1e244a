// The fitted software stacks in hardware/*.json are what benchmarks/hardware_fit.ts computes
// from hardware/validation.json's fit points (no drift between the files and the fit), and
// every validation point names a stack its target file has (or none).
import { ok } from "node:assert/strict";
import { referenceModels } from "../../benchmarks/hardware_models.ts";
import { fitStackEfficiency } from "./fit.ts";
import { uniform } from "./precision.ts";
import { KERNEL_KINDS, loadTarget } from "./target.ts";

interface Point {
  id: string;
  target: string;
  model: string;
  quantity: string;
  stack?: string;
  role: string;
  measured: { value: number };
}

Deno.test("hardware/*.json stacks equal a re-fit of validation.json's fit points", async () => {
  const dir = new URL("../../hardware/", import.meta.url);
  const v = JSON.parse(await Deno.readTextFile(new URL("validation.json", dir))) as {
    points: Point[];
    stacks: { name: string; fitOn: string; transferTo: string[] }[];
  };
  const models = new Map(referenceModels(1).map((m) => [m.name, m]));
  for (const spec of v.stacks) {
    const target = await loadTarget(new URL(`${spec.fitOn}.json`, dir));
    const pts = v.points.filter((p) =>
      p.stack === spec.name && p.target === spec.fitOn && p.quantity === "latency" &&
      p.role === "fit"
    );
    ok(pts.length === 4, `${spec.name}: ${pts.length} fit points`);
    const fit = fitStackEfficiency(
      pts.map((p) => ({
        graph: models.get(p.model)!.graph,
        assignment: uniform("int8"),
        seconds: p.measured.value / 1e3,
      })),
      target,
      ["conv", ["depthwise", "pointwise"], "gemm"],
    );
    for (const t of [spec.fitOn, ...spec.transferTo]) {
      const file = await loadTarget(new URL(`${t}.json`, dir));
      const stack = file.stacks[spec.name];
      ok(stack !== undefined, `${t} has no stack ${spec.name}`);
      for (const k of KERNEL_KINDS) {
        const rel = Math.abs(stack.efficiency[k] / (fit.efficiency[k] as number) - 1);
        ok(
          rel < 1e-3,
          `${t} ${spec.name} ${k}: file ${stack.efficiency[k]}, fit ${fit.efficiency[k]}`,
        );
      }
    }
  }
  for (const p of v.points) {
    if (p.stack === undefined) continue;
    const t = await loadTarget(new URL(`${p.target}.json`, dir));
    ok(t.stacks[p.stack] !== undefined, `${p.id}: ${p.target} has no stack ${p.stack}`);
    ok(p.role === "fit" || p.role === "held-out", p.id);
  }
});
