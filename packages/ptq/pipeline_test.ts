import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { type Graph, type GraphTensor, runFloat, type TensorInput } from "@lowbit/graph";
import { Philox } from "@lowbit/rounding/philox";
import { ptqPipeline } from "./pipeline.ts";
import { quantizeStatic } from "./static.ts";

function rand(shape: number[], seed: number, spread = 0): GraphTensor {
  const r = new Philox(seed, 1);
  const n = shape.reduce((a, b) => a * b, 1), inner = n / shape[0];
  const k = Array.from({ length: shape[0] }, () => 10 ** (spread * (2 * r.uniform() - 1)));
  const data = Float32Array.from(
    { length: n },
    (_, i) => (2 * r.uniform() - 1) * k[Math.floor(i / inner)],
  );
  return { dtype: "float32", shape, data };
}

/** conv 3→8 (channel ranges spread 10^±1.5) → Relu → depthwise 3×3 → Relu → conv 8→4. */
function net(): Graph {
  return {
    name: "g",
    opset: 13,
    values: new Map(),
    initializers: new Map([
      ["w1", rand([8, 3, 1, 1], 1, 1.5)],
      ["b1", rand([8], 2)],
      ["w2", rand([8, 1, 3, 3], 3, 1.5)],
      ["b2", rand([8], 4)],
      ["w3", rand([4, 8, 1, 1], 5)],
    ]),
    inputs: [{ name: "x", dtype: "float32", shape: [1, 3, 6, 6] }],
    outputs: [{ name: "y", dtype: "float32", shape: [1, 4, 6, 6] }],
    nodes: [
      { name: "c1", op: "Conv", inputs: ["x", "w1", "b1"], outputs: ["h1"], attrs: {} },
      { name: "r1", op: "Relu", inputs: ["h1"], outputs: ["a1"], attrs: {} },
      {
        name: "dw",
        op: "Conv",
        inputs: ["a1", "w2", "b2"],
        outputs: ["h2"],
        attrs: { group: 8, pads: [1, 1, 1, 1], kernel_shape: [3, 3] },
      },
      { name: "r2", op: "Relu", inputs: ["h2"], outputs: ["a2"], attrs: {} },
      { name: "c3", op: "Conv", inputs: ["a2", "w3"], outputs: ["y"], attrs: {} },
    ],
  };
}

const inputs = (n: number, seed: number): Record<string, TensorInput>[] =>
  Array.from(
    { length: n },
    (_, i) => ({ x: { data: rand([1, 3, 6, 6], seed + i).data, shape: [1, 3, 6, 6] } }),
  );

function sqnr(g: Graph, q: Graph, xs: Record<string, TensorInput>[]): number {
  let s = 0, e = 0;
  for (const x of xs) {
    const a = runFloat(g, x).y.data as Float32Array, b = runFloat(q, x).y.data as Float32Array;
    a.forEach((v, i) => ((s += v * v), (e += (v - b[i]) ** 2)));
  }
  return 10 * Math.log10(s / e);
}

Deno.test("ptqPipeline: per-tensor W8A8 with CLE + bias correction beats plain per-tensor by > 6 dB on spread channels", async () => {
  const g = net();
  const calib = inputs(8, 100), test = inputs(8, 200);
  const perTensor = { granularity: "per-tensor" as const };
  const plain = await quantizeStatic(g, calib, { weights: perTensor });
  const steps: string[] = [];
  const r = await ptqPipeline(g, calib, { weights: perTensor, onStep: (s) => steps.push(s) });
  equal(r.rounding, "bias-correction");
  deepEqual(steps, ["equalize", "quantize", "bias-correction"]);
  deepEqual(r.pairs.map((p) => [p.first, p.second]), [["c1", "dw"], ["dw", "c3"]]);
  deepEqual(r.biasCorrections?.map((c) => c.node), ["c1", "dw", "c3"]);
  const gain = sqnr(g, r.graph, test) - sqnr(g, plain, test);
  ok(gain > 6, `gain ${gain.toFixed(2)} dB`);
});

Deno.test("ptqPipeline: below 8 bits it uses AdaRound by default, and its result is no worse than nearest at W3A8", async () => {
  const g = net();
  const calib = inputs(8, 300), test = inputs(8, 400);
  const r = await ptqPipeline(g, calib, {
    weights: { bits: 3 },
    adaround: { iterations: 200, seed: 1 },
  });
  equal(r.rounding, "adaround");
  deepEqual(r.adaround?.layers.map((l) => l.node), ["c1", "dw", "c3"]);
  const nearest = await ptqPipeline(g, calib, { weights: { bits: 3 }, rounding: "nearest" });
  ok(sqnr(g, r.graph, test) > sqnr(g, nearest.graph, test));
});

Deno.test("ptqPipeline: typed errors", async () => {
  const g = net();
  await rejects(() => ptqPipeline(g, []), /calibration must hold at least one input/);
  await rejects(
    () => ptqPipeline(g, inputs(1, 0), { weights: { bits: 9 } }),
    /weights\.bits must be an integer in \[2, 8\]/,
  );
  const rounding = "stochastic" as unknown as "nearest"; // what an untyped caller can pass
  await rejects(() => ptqPipeline(g, inputs(1, 0), { rounding }), /options\.rounding/);
});
