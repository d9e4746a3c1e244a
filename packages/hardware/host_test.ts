import { equal, ok } from "node:assert/strict";
import { costModel } from "./cost.ts";
import { measureHost, type Probe } from "./host.ts";
import { shapeOf } from "./work.ts";
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

Deno.test("measureHost with a fixed fake probe measurement: the kernel-time fits recover it and the cost model uses it", () => {
  // fake: every probe takes 3 µs + 0.5 ns per MAC/element op + 2 ns per output element
  const fake = (p: Probe) => {
    const n = p.graph.nodes[0];
    const out = shapeOf(p.graph, n.outputs[0]) as number[];
    const outputs = out.reduce((a, b) => a * b, 1);
    let work = outputs; // Relu: one op per element
    if (n.op === "Conv") {
      const w = p.graph.initializers.get(n.inputs[1])?.shape as number[];
      work = outputs * w[1] * w[2] * w[3];
    } else if (n.op === "Gemm") {
      const k = (shapeOf(p.graph, n.inputs[0]) as number[])[1];
      work = outputs * k + outputs; // + bias adds
    } else if (n.op === "MaxPool") {
      const k = n.attrs.kernel_shape as number[];
      work = outputs * k[0] * k[1];
    } else if (n.op === "GlobalAveragePool") {
      work = (shapeOf(p.graph, n.inputs[0]) as number[]).reduce((a, b) => a * b, 1);
    }
    return 3e-6 + 0.5e-9 * work + 2e-9 * outputs;
  };
  const { file, info } = measureHost({
    seconds: 0.2,
    print: false,
    probeTimer: fake,
    int8ProbeTimer: (p) => fake(p) / 2, // the integer runtime, faked at twice the speed
  });
  for (const cls of ["conv", "pointwise", "gemm", "pool", "elementwise"] as const) {
    const t8 = info.kernelTimeInt8[cls]?.terms ?? {};
    ok(Math.abs((t8.fixed ?? 0) / 1.5e-6 - 1) < 1e-6, `${cls} int8 fixed ${t8.fixed}`);
    ok(Math.abs((t8.perMac ?? 0) / 0.25e-9 - 1) < 1e-6, `${cls} int8 perMac ${t8.perMac}`);
  }
  equal(file.kernelTime?.gemm?.int8?.fixed?.value, 1500); // ns
  for (const cls of ["conv", "pointwise", "gemm", "pool", "elementwise"] as const) {
    const terms = info.kernelTime[cls]?.terms ?? {};
    ok(Math.abs((terms.fixed ?? 0) / 3e-6 - 1) < 1e-6, `${cls} fixed ${terms.fixed}`);
    ok(Math.abs((terms.perMac ?? 0) / 0.5e-9 - 1) < 1e-6, `${cls} perMac ${terms.perMac}`);
    ok(Math.abs((terms.perOutput ?? 0) / 2e-9 - 1) < 1e-6, `${cls} perOutput ${terms.perOutput}`);
    ok(info.kernelTime[cls]?.relativeErrors.every((e) => Math.abs(e) < 1e-9));
  }
  // depthwise probes (all 3×3: outputs = MACs / 9) cannot tell the output term apart: the fit
  // folds it into perMac and still reproduces every probe
  ok(info.kernelTime.depthwise?.relativeErrors.every((e) => Math.abs(e) < 1e-9));
  const dw = info.kernelTime.depthwise?.terms ?? {};
  ok(Math.abs((dw.perMac ?? 0) / (0.5e-9 + 2e-9 / 9) - 1) < 1e-6, `depthwise perMac ${dw.perMac}`);
  // the file carries the fit in ns with a source, and the cost model prices a Conv with it
  equal(file.kernelTime?.conv?.fp32?.fixed?.unit, "ns");
  ok(file.kernelTime?.conv?.fp32?.perMac?.source.startsWith("measured on this host"));
  const t = parseTarget(file);
  const g = graph(
    ["x", [1, 2, 8, 8]],
    [node("c", "Conv", ["x", "w"], ["y"], { pads: [1, 1, 1, 1] })],
    ["y"],
    {
      w: [4, 2, 3, 3],
    },
  );
  const c = costModel(g, t, uniform("fp32"));
  const outputs = 4 * 8 * 8, macs = outputs * 2 * 9;
  const expect = 3e-6 + 0.5e-9 * macs + 2e-9 * outputs; // no separate node overhead
  ok(
    Math.abs(c.layers[0].computeSeconds / expect - 1) < 1e-3,
    `${c.layers[0].computeSeconds} vs ${expect}`,
  );
});
