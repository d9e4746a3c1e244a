// End to end on a seeded small CNN: BN folding, conversion with calibration, integer vs
// simulated (fake-quant) agreement, save/load, bad input. The MNIST CNN version runs as
// `deno task agreement` (scripts/runtime_agreement.ts) when the trained model is present.
import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { HistogramObserver } from "@lowbit/quantize/observers/histogram";
import { agreementReport } from "./agreement.ts";
import { convertModel } from "./convert.ts";
import { runInteger } from "./graph.ts";
import { type FloatModel, foldBatchNorm, runFloat } from "./model.ts";
import { loadIntegerGraph, saveIntegerGraph } from "./serialize.ts";
import { smallCnn, smallInputs } from "./_test_models.ts";

Deno.test("BN folding keeps the float model's outputs (within float32 rounding)", () => {
  const model = smallCnn(1), x = smallInputs(2, 16);
  const a = runFloat(model, x).output.data, b = runFloat(foldBatchNorm(model), x).output.data;
  const scale = Math.max(...a.map(Math.abs));
  for (let i = 0; i < a.length; i++) {
    ok(Math.abs(a[i] - b[i]) <= 1e-5 * scale, `${i}: ${a[i]} vs ${b[i]}`);
  }
  equal(foldBatchNorm(model).layers.filter((l) => l.kind === "batchnorm").length, 0);
});

Deno.test("integer-only agrees with simulated quantization within 1 LSB per layer (fixed and float modes)", () => {
  const model = smallCnn(3), calib = [smallInputs(4, 64)], x = smallInputs(5, 200);
  for (const mode of ["fixed", "float"] as const) {
    const graph = convertModel(model, calib, { mode });
    deepEqual(graph.nodes.map((n) => n.op), [
      "quantize",
      "conv2d",
      "maxPool2d",
      "conv2d",
      "conv2d",
      "avgPool2d",
      "flatten",
      "fullyConnected",
    ]);
    const r = agreementReport(model, graph, x);
    for (const l of r.layers) {
      ok(l.isolated.max <= 1, `${mode} ${l.node}: isolated max ${l.isolated.max}`);
      ok(
        l.isolated.counts.zero / (l.isolated.counts.zero + l.isolated.counts.one) > 0.95,
        `${mode} ${l.node}: mostly exact`,
      );
      ok(l.floatMax < 40, `${mode} ${l.node}: float within a few dozen LSB (${l.floatMax})`);
    }
    ok(r.top1.simulatedVsInteger >= 0.97, `${mode}: top-1 ${r.top1.simulatedVsInteger}`);
    ok(r.top1.floatVsInteger >= 0.9, `${mode}: float top-1 ${r.top1.floatVsInteger}`);
  }
});

Deno.test("a saved and loaded graph computes the same codes; corrupted files are rejected", () => {
  const model = smallCnn(6), graph = convertModel(model, [smallInputs(7, 32)]);
  const bytes = saveIntegerGraph(graph);
  const back = loadIntegerGraph(bytes);
  const x = smallInputs(8, 20);
  deepEqual([...runInteger(back, x).output.q], [...runInteger(graph, x).output.q]);
  const text = new TextDecoder().decode(bytes);
  throws(
    () => loadIntegerGraph(new TextEncoder().encode(text.replace('"version":1', '"version":9'))),
    /version/,
  );
  throws(
    () =>
      loadIntegerGraph(
        new TextEncoder().encode(text.replaceAll('"dtype":"int8"', '"dtype":"int9"')),
      ),
    /dtype/,
  );
  throws(() => loadIntegerGraph(new TextEncoder().encode("not json")), /JSON/);
});

Deno.test("conversion: other observers, unsupported layers named, batch norm without a layer", () => {
  const model = smallCnn(9);
  const g = convertModel(model, [smallInputs(10, 32)], {
    observer: () => new HistogramObserver({ qmin: -128, qmax: 127 }),
  });
  ok(g.nodes.length === 8);
  const bad: FloatModel = {
    inputShape: [4],
    layers: [{ kind: "softmax" as "relu", name: "probs" }],
  };
  throws(
    () => convertModel(bad, [{ data: new Float32Array(4), shape: [1, 4] }]),
    /layer "probs" \(softmax\)/,
  );
  const lonelyBn: FloatModel = {
    inputShape: [1],
    layers: [{
      kind: "batchnorm",
      name: "bn0",
      gamma: new Float32Array(1),
      beta: new Float32Array(1),
      mean: new Float32Array(1),
      variance: new Float32Array(1),
      eps: 1e-5,
    }],
  };
  throws(() => convertModel(lonelyBn, [{ data: new Float32Array(1), shape: [1, 1] }]), /"bn0"/);
  throws(() => convertModel(model, []), /calibration/);
  throws(
    () =>
      convertModel(model, [smallInputs(10, 4)], {
        observer: () => new HistogramObserver({ qmin: 0, qmax: 15 }),
      }),
    /\[0, 15\]/,
  );
});
