import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { fitStackEfficiency, kernelSeconds } from "./fit.ts";
import { uniform } from "./precision.ts";
import { parseTarget } from "./target.ts";
import { graph, node } from "./_test_util.ts";

const S = "test";
const target = parseTarget({
  name: "mcu",
  description: "d",
  peak: { int8: { value: 1, unit: "GMAC/s", source: S } },
  memory: [{ name: "ram", kind: "sram", holds: ["weights", "activations"] }],
});
const a = uniform("int8");

// A net with c channels on an s×s map: conv 3×3 (i→c), depthwise 3×3, pointwise 1×1 (c→c),
// Gemm (c·s² → i² + 2). MACs in closed form; the four columns are independent across the points.
const net = (c: number, s: number, i = 1) =>
  graph(
    ["x", [1, i, s, s]],
    [
      node("c", "Conv", ["x", "wc"], ["a"], { pads: [1, 1, 1, 1] }),
      node("d", "Conv", ["a", "wd"], ["b"], { pads: [1, 1, 1, 1], group: c }),
      node("p", "Conv", ["b", "wp"], ["e"]),
      node("f", "Flatten", ["e"], ["h"]),
      node("fc", "Gemm", ["h", "wf"], ["y"], { transB: 1 }),
    ],
    ["y"],
    { wc: [c, i, 3, 3], wd: [c, 1, 3, 3], wp: [c, c, 1, 1], wf: [i * i + 2, c * s * s] },
  );
const macs = (c: number, s: number, i = 1) => ({
  conv: c * s * s * 9 * i,
  depthwise: c * s * s * 9,
  pointwise: c * c * s * s,
  gemm: (i * i + 2) * c * s * s,
});

Deno.test("kernelSeconds splits MAC time by kind in closed form", () => {
  const k = kernelSeconds(net(4, 6), target, a);
  const m = macs(4, 6);
  for (const kind of ["conv", "depthwise", "pointwise", "gemm"] as const) {
    ok(Math.abs(k.byKind[kind] - m[kind] / 1e9) < 1e-18, kind);
  }
  equal(k.rest, 0); // no element-wise nodes, a view, no io level
});

Deno.test("fit recovers known efficiencies from closed-form latencies (and tied kinds)", () => {
  const truth = { conv: 0.3, depthwise: 0.07, pointwise: 0.2, gemm: 0.12 };
  const shapes: [number, number, number][] = [[2, 8, 1], [8, 4, 3], [16, 6, 2], [4, 10, 5], [
    12,
    12,
    1,
  ]];
  const points = shapes.map(([c, s, i]) => {
    const m = macs(c, s, i);
    const t = (Object.keys(truth) as (keyof typeof truth)[])
      .reduce((sum, k) => sum + m[k] / (1e9 * truth[k]), 0);
    return { graph: net(c, s, i), assignment: a, seconds: t };
  });
  const fit = fitStackEfficiency(points, target);
  for (const k of Object.keys(truth) as (keyof typeof truth)[]) {
    ok(Math.abs((fit.efficiency[k] ?? 0) / truth[k] - 1) < 1e-6, `${k}: ${fit.efficiency[k]}`);
  }
  ok(fit.relativeErrors.every((e) => Math.abs(e) < 1e-8));
  deepEqual(fit.atPeak, []);
  // depthwise and pointwise tied at one value: the fit is a compromise with residuals
  const tied = fitStackEfficiency(points, target, ["conv", ["depthwise", "pointwise"], "gemm"]);
  equal(tied.efficiency.depthwise, tied.efficiency.pointwise);
  ok(fit.relativeErrors.every((e) => Math.abs(e) < 1e-8));
  ok(tied.relativeErrors.some((e) => Math.abs(e) > 1e-3));
});

Deno.test("fit: data faster than peak hit the bound 1; bad input is a RangeError naming it", () => {
  const m = macs(4, 6);
  const peakTime = (m.conv + m.depthwise + m.pointwise + m.gemm) / 1e9;
  const fit = fitStackEfficiency(
    [{ graph: net(4, 6), assignment: a, seconds: peakTime / 2 }],
    target,
    [
      ["conv", "depthwise", "pointwise", "gemm"],
    ],
  );
  deepEqual(fit.atPeak, ["conv", "depthwise", "pointwise", "gemm"]);
  equal(fit.efficiency.gemm, 1);
  const g = net(4, 6);
  throws(() => fitStackEfficiency([], target), /points: at least one/);
  throws(
    () => fitStackEfficiency([{ graph: g, assignment: a, seconds: -1 }], target),
    /points\[0\]\.seconds: must be a positive number/,
  );
  throws(
    () => fitStackEfficiency([{ graph: g, assignment: a, seconds: 1 }], target, ["conv", "conv"]),
    /kinds: conv is listed twice/,
  );
  throws(
    // the fixed (unfitted) kinds alone take longer than the measurement
    () => fitStackEfficiency([{ graph: g, assignment: a, seconds: 1e-9 }], target, ["conv"]),
    /points\[0\]: the time outside the fitted kinds/,
  );
});
