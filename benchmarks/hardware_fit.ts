/**
 * Fits each software stack of `hardware/validation.json` (docs/hardware.md §10): the four
 * kernel-kind efficiencies (conv, depthwise, pointwise, gemm) from the stack's `fit` latency
 * points on its `fitOn` target (`fitStackEfficiency`), and the run power of each target from
 * its `fit` energy point (measured energy / measured latency of the same submission and
 * model). With `--write`, stores them as `stacks.<name>` in the `fitOn` and `transferTo` target
 * files, each number's `source` naming the points it came from. Held-out points are not read.
 *
 *     tools/node_modules/.bin/deno run -A benchmarks/hardware_fit.ts [--write]
 *
 * @module
 */

import {
  fitStackEfficiency,
  KERNEL_KINDS,
  loadTarget,
  type Precision,
  type Quantity,
  type SoftwareStackFile,
  type TargetFile,
  uniform,
} from "@lowbit/hardware";
import { referenceModels } from "./hardware_models.ts";

interface Point {
  id: string;
  target: string;
  model: string;
  precision: Precision;
  quantity: "latency" | "energy";
  stack: string;
  role: "fit" | "held-out";
  measured: { value: number; unit: "ms" | "uJ"; source: string };
}
interface StackSpec {
  name: string;
  description: string;
  fitOn: string;
  transferTo: string[];
}
const root = new URL("../", import.meta.url);
const write = Deno.args.includes("--write");
const validation = JSON.parse(
  await Deno.readTextFile(new URL("hardware/validation.json", root)),
) as { points: Point[]; stacks: StackSpec[] };
const models = new Map(referenceModels(1).map((m) => [m.name, m]));
const fileOf = (t: string) => new URL(`hardware/${t}.json`, root);

for (const spec of validation.stacks) {
  const target = await loadTarget(fileOf(spec.fitOn));
  const fitPts = validation.points.filter((p) =>
    p.stack === spec.name && p.target === spec.fitOn && p.quantity === "latency" &&
    p.role === "fit"
  );
  const fit = fitStackEfficiency(
    fitPts.map((p) => {
      const m = models.get(p.model);
      if (m === undefined) throw new Error(`unknown model ${p.model}`);
      return { graph: m.graph, assignment: uniform(p.precision), seconds: p.measured.value / 1e3 };
    }),
    target,
    // Depthwise and pointwise layers come in pairs in both separable models (DS-CNN, MobileNet):
    // four points cannot tell them apart (a free depthwise efficiency runs to the bound 1),
    // so one efficiency covers the separable block; three parameters, four points.
    ["conv", ["depthwise", "pointwise"], "gemm"],
  );
  console.log(
    `${spec.name} on ${spec.fitOn}: ${
      KERNEL_KINDS.map((k) => `${k} ${(fit.efficiency[k] ?? 1).toFixed(4)}`).join(", ")
    }; at peak: ${fit.atPeak.join(", ") || "none"}; fit residuals ${
      fit.relativeErrors.map((e) => e.toExponential(1)).join(", ")
    } (${fit.solves} solves)`,
  );
  const ids = fitPts.map((p) => p.id).join(", ");
  const efficiency = Object.fromEntries(KERNEL_KINDS.map((k) => [
    k,
    {
      value: Number((fit.efficiency[k] ?? 1).toPrecision(4)),
      unit: "fraction",
      source:
        `fitted by benchmarks/hardware_fit.ts (least squares on relative error, efficiency ≤ 1, depthwise and pointwise sharing one value; peak = the target's int8 peak) to the ${spec.fitOn} latency points ${ids} of hardware/validation.json`,
    } satisfies Quantity,
  ])) as SoftwareStackFile["efficiency"];
  for (const tName of [spec.fitOn, ...spec.transferTo]) {
    const e = validation.points.find((p) =>
      p.stack === spec.name && p.target === tName && p.quantity === "energy" && p.role === "fit"
    );
    let runPower: Quantity | undefined;
    if (e !== undefined) {
      const lat = validation.points.find((p) =>
        p.stack === spec.name && p.target === tName && p.quantity === "latency" &&
        p.model === e.model && p.id.replace(/-latency$/, "") === e.id.replace(/-energy$/, "")
      );
      if (lat === undefined) throw new Error(`no latency point beside ${e.id}`);
      const mw = e.measured.value / lat.measured.value; // µJ / ms = mW
      runPower = {
        value: Number(mw.toPrecision(4)),
        unit: "mW",
        source:
          `derived from published measurements: energy / latency of ${e.id} and ${lat.id} (hardware/validation.json: ${e.measured.value} uJ / ${lat.measured.value} ms); board power while inferring`,
      };
      console.log(`  ${tName}: run power ${mw.toFixed(2)} mW (from ${e.id})`);
    }
    const stack: SoftwareStackFile = {
      description: spec.description,
      efficiency: tName === spec.fitOn ? efficiency : Object.fromEntries(
        Object.entries(efficiency).map(([k, q]) => [k, {
          ...q,
          note: `transferred unchanged from ${spec.fitOn} (same int8 peak per cycle)`,
        }]),
      ) as SoftwareStackFile["efficiency"],
      ...(runPower === undefined ? {} : { runPower }),
    };
    if (write) {
      const file = JSON.parse(await Deno.readTextFile(fileOf(tName))) as TargetFile;
      file.stacks = { ...(file.stacks ?? {}), [spec.name]: stack };
      await Deno.writeTextFile(fileOf(tName), JSON.stringify(file, null, 2) + "\n");
      console.log(`  wrote stacks.${spec.name} to hardware/${tName}.json`);
    }
  }
}
