import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { type Graph, runFloat, tensor, type TensorInput } from "@lowbit/graph";
import { Philox } from "@lowbit/rounding/philox";
import { formatPtqDebugReport, ptqDebugReport, quantizeStatic } from "./mod.ts";

function gemm(name: string, x: string, w: string, y: string) {
  return { name, op: "Gemm", inputs: [x, w], outputs: [y], attrs: { transB: 1 } };
}
function relu(name: string, x: string, y: string) {
  return { name, op: "Relu", inputs: [x], outputs: [y], attrs: {} };
}

/** x[1,4] → a (4→4) → relu → b (4→4) → relu → c (4→2) → y; weights ~U(−1, 1). */
function threeLayers(scaleB: number): Graph {
  const r = new Philox(5);
  const w = (n: number) => Float32Array.from({ length: n }, () => 2 * r.uniform() - 1);
  const wb = w(16);
  const wc = w(8);
  // Output channel 0 of b scaled up, and c's input channel 0 scaled down by the same factor:
  // the float function is unchanged (Relu is positively homogeneous).
  for (let i = 0; i < 4; i++) wb[i] *= scaleB;
  for (let o = 0; o < 2; o++) wc[o * 4] /= scaleB;
  return {
    name: "three",
    opset: 13,
    inputs: [{ name: "x", dtype: "float32", shape: [1, 4] }],
    outputs: [{ name: "y", dtype: "float32", shape: [1, 2] }],
    nodes: [
      gemm("a", "x", "wa", "ha"),
      relu("ra", "ha", "xa"),
      gemm("b", "xa", "wb", "hb"),
      relu("rb", "hb", "xb"),
      gemm("c", "xb", "wc", "y"),
    ],
    initializers: new Map([
      ["wa", tensor("float32", [4, 4], w(16))],
      ["wb", tensor("float32", [4, 4], wb)],
      ["wc", tensor("float32", [2, 4], wc)],
    ]),
    values: new Map(),
  };
}

function inputs(n: number, seed: number, size = 4): Record<string, TensorInput>[] {
  const r = new Philox(seed);
  return Array.from({ length: n }, () => ({
    x: { data: Float32Array.from({ length: size }, () => 2 * r.uniform() - 1), shape: [1, size] },
  }));
}

Deno.test("ptqDebugReport: b's output channel 0 scaled 1000× (undone by c): b first, CLE fixes it", async () => {
  const g = threeLayers(1000);
  const samples = inputs(16, 1);
  const r = await ptqDebugReport(g, samples, { evaluation: inputs(16, 2) });
  // The float graph's outputs match the unscaled one (the construction is exact).
  const y0 = runFloat(threeLayers(1), samples[0]).y.data, y1 = runFloat(g, samples[0]).y.data;
  ok(Math.abs(Number(y0[0]) - Number(y1[0])) < 1e-4);
  equal(r.layers[0].node, "b");
  equal(r.limiting[0], "b");
  equal(r.limitedBy === "weights" || r.limitedBy === "both", true);
  const d = r.diagnoses[0];
  equal(d.node, "b");
  equal(d.suggestion?.fix, "cle");
  deepEqual(d.suggestion?.apply, { nodes: {}, equalize: true });
  ok(d.suggestion !== undefined && d.suggestion.gain > 20, `gain ${d.suggestion?.gain}`);
  // The suggestion's metric is that of the whole model quantized after CLE, measured again here.
  const { equalizeCrossLayer } = await import("./equalize.ts");
  const q = await quantizeStatic(equalizeCrossLayer(g, { relu6: "per-channel" }).graph, samples, {
    weights: { granularity: "per-tensor" },
  });
  const ev = inputs(16, 2);
  let s = 0, n = 0;
  for (const e of ev) {
    const a = runFloat(g, e).y.data, b = runFloat(q, e).y.data;
    for (let i = 0; i < a.length; i++) {
      s += Number(a[i]) ** 2;
      n += (Number(a[i]) - Number(b[i])) ** 2;
    }
  }
  ok(Math.abs(10 * Math.log10(s / n) - d.suggestion.metric) < 1e-6);
  // Without the imbalance no layer is nearly as bad: the whole model is ≥ 30 dB better.
  const clean = await ptqDebugReport(threeLayers(1), samples, { evaluation: ev });
  ok(clean.full > r.full + 30, `clean ${clean.full} vs ${r.full}`);
});

/**
 * x[1,64] → a (64→64) → sigmoid → b (64→1) → y. Row 0 of a is 50·(e₀ − e₁); normal inputs
 * have x₀ ≈ x₁, so that output stays near the others (|h| ≲ 2), but one calibration sample
 * (x₀ = 1, x₁ = −1) drives it to 100: a lone outlier in a's output activation. (Sigmoid is
 * not positively homogeneous, so CLE has no pair here.)
 */
function outlierGraph(): Graph {
  const r = new Philox(8);
  const wa = Float32Array.from({ length: 64 * 64 }, () => 0.25 * r.uniform() - 0.125);
  wa.fill(0, 0, 64);
  wa[0] = 50;
  wa[1] = -50;
  const wb = Float32Array.from({ length: 64 }, () => 0.25 * r.uniform() - 0.125);
  return {
    name: "outlier",
    opset: 13,
    inputs: [{ name: "x", dtype: "float32", shape: [1, 64] }],
    outputs: [{ name: "y", dtype: "float32", shape: [1, 1] }],
    nodes: [
      gemm("a", "x", "wa", "h"),
      { name: "s", op: "Sigmoid", inputs: ["h"], outputs: ["hs"], attrs: {} },
      gemm("b", "hs", "wb", "y"),
    ],
    initializers: new Map([
      ["wa", tensor("float32", [64, 64], wa)],
      ["wb", tensor("float32", [1, 64], wb)],
    ]),
    values: new Map(),
  };
}

function nearlyEqualInputs(n: number, seed: number): Record<string, TensorInput>[] {
  const r = new Philox(seed);
  return Array.from({ length: n }, () => {
    const x = Float32Array.from({ length: 64 }, () => 2 * r.uniform() - 1);
    x[1] = x[0] - 0.02 * r.uniform();
    return { x: { data: x, shape: [1, 64] } };
  });
}

Deno.test("ptqDebugReport: an activation outlier in calibration names a; percentile fixes it", async () => {
  const g = outlierGraph();
  const outlier = new Float32Array(64);
  outlier[0] = 1;
  outlier[1] = -1;
  const calibration = [...nearlyEqualInputs(255, 3), { x: { data: outlier, shape: [1, 64] } }];
  const r = await ptqDebugReport(g, calibration, {
    evaluation: nearlyEqualInputs(64, 4),
    granularity: "per-channel",
  });
  equal(r.layers[0].node, "a");
  equal(r.limitedBy, "activations");
  const d = r.diagnoses[0];
  equal(d.node, "a");
  equal(d.limitedBy, "activation");
  equal(d.suggestion?.fix, "observer-percentile");
  ok(d.suggestion !== undefined && d.suggestion.gain > 10, `gain ${d.suggestion?.gain} dB`);
  // Only the two range fixes apply (per-channel is the baseline, 8 bits the most, no CLE
  // pair), besides keeping a in float, which is not suggested while a quantized fix helps.
  deepEqual(d.fixes.map((f) => f.fix).sort(), ["float", "observer-mse", "observer-percentile"]);
  const kept = d.fixes.find((f) => f.fix === "float");
  equal(kept?.metric, d.floatLayer);
  // Keeping a in float removes the quantizer of its output too (`floatOutputs`), the range
  // the outlier spoiled: that alone gains as much as a better range
  ok(kept !== undefined && kept.gain > 10, `float gain ${kept?.gain} dB`);
  // A minimum gain nothing reaches: no suggestion.
  const strict = await ptqDebugReport(g, calibration, {
    evaluation: nearlyEqualInputs(64, 4),
    granularity: "per-channel",
    minGain: 1000,
  });
  equal(strict.diagnoses[0].suggestion, undefined);
});

Deno.test("ptqDebugReport: a user metric (accuracy-like) and bits below 8 add the higher-bits fix", async () => {
  const g = threeLayers(1);
  const samples = inputs(8, 1);
  const ev = inputs(64, 9);
  const ref = ev.map((s) => runFloat(g, s).y.data);
  // Agreement of argmax with the float model, in percent.
  const agreement = (q: Graph) =>
    100 * ev.filter((s, k) => {
      const y = runFloat(q, s).y.data;
      return (Number(y[0]) > Number(y[1])) === (Number(ref[k][0]) > Number(ref[k][1]));
    }).length / ev.length;
  const r = await ptqDebugReport(g, samples, {
    bits: 2,
    metric: agreement,
    metricName: "agreement (%)",
    threshold: 1,
  });
  equal(r.float, 100);
  equal(r.layers.length, 3);
  for (const l of r.layers) equal(l.degradation, 100 - l.combined);
  ok(r.layers[0].degradation >= r.layers[1].degradation);
  if (r.diagnoses.length > 0) {
    ok(r.diagnoses[0].fixes.some((f) => f.fix === "higher-bits"));
  }
  const md = formatPtqDebugReport(r);
  ok(md.startsWith("## PTQ debug report: W2A8, per-tensor weights, metric agreement (%)"));
  ok(md.includes("| layer | op | alone | weight alone | output alone | limiting |"));
});

Deno.test("ptqDebugReport: typed errors naming the argument", async () => {
  const g = threeLayers(1);
  await rejects(() => ptqDebugReport(g, []), RangeError, "samples must hold");
  await rejects(
    () => ptqDebugReport(g, inputs(1, 1), { bits: 9 }),
    (e: unknown) =>
      e instanceof RangeError && /^bits must be an integer in \[2, 8\], got 9/.test(e.message),
  );
  await rejects(
    () => ptqDebugReport(g, inputs(1, 1), { bits: 1 }),
    (e: unknown) => e instanceof RangeError && e.message.includes("bits"),
  );
  await rejects(
    () => ptqDebugReport(g, inputs(1, 1), { layers: ["ra"] }),
    (e: unknown) => e instanceof TypeError && e.message.includes("options.layers: ra"),
  );
  await rejects(
    () => ptqDebugReport(g, inputs(1, 1), { evaluation: [] }),
    (e: unknown) => e instanceof RangeError && e.message.includes("evaluation"),
  );
});
