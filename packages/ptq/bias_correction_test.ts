import { deepEqual, ok, throws } from "node:assert/strict";
import { type Graph, type GraphTensor, runFloat, type TensorInput } from "@lowbit/graph";
import { Philox } from "@lowbit/rounding/philox";
import { correctBias } from "./bias_correction.ts";
import { quantizeStatic } from "./static.ts";

function rand(shape: number[], seed: number, lo = -1, hi = 1): GraphTensor {
  const r = new Philox(seed, 1);
  const n = shape.reduce((a, b) => a * b, 1);
  return {
    dtype: "float32",
    shape,
    data: Float32Array.from({ length: n }, () => lo + (hi - lo) * r.uniform()),
  };
}

/** conv1 3→6 3×3 pad 1 (bias) → Relu → conv2 6→4 1×1 (no bias) → y. */
function net(seed: number): Graph {
  return {
    name: "g",
    opset: 13,
    values: new Map(),
    initializers: new Map([
      ["w1", rand([6, 3, 3, 3], seed)],
      ["b1", rand([6], seed + 1, 0, 0.5)],
      ["w2", rand([4, 6, 1, 1], seed + 2)],
    ]),
    inputs: [{ name: "x", dtype: "float32", shape: [1, 3, 8, 8] }],
    outputs: [{ name: "y", dtype: "float32", shape: [1, 4, 8, 8] }],
    nodes: [
      {
        name: "conv1",
        op: "Conv",
        inputs: ["x", "w1", "b1"],
        outputs: ["h"],
        attrs: { pads: [1, 1, 1, 1], kernel_shape: [3, 3] },
      },
      { name: "relu", op: "Relu", inputs: ["h"], outputs: ["r"], attrs: {} },
      { name: "conv2", op: "Conv", inputs: ["r", "w2"], outputs: ["y"], attrs: {} },
    ],
  };
}

function samples(n: number, seed: number): Record<string, TensorInput>[] {
  // inputs with a positive mean, so weight errors shift output means
  return Array.from(
    { length: n },
    (_, i) => ({ x: { data: rand([1, 3, 8, 8], seed + i, 0, 1).data, shape: [1, 3, 8, 8] } }),
  );
}

function channelMeans(g: Graph, value: string, xs: Record<string, TensorInput>[]): number[] {
  const sum = new Float64Array(64);
  let c = 0, per = 0;
  for (const x of xs) {
    const t = runFloat(g, x, { outputs: [value] })[value];
    c = t.shape[1];
    per = t.data.length / c;
    for (let i = 0; i < t.data.length; i++) sum[Math.floor(i / per) % c] += Number(t.data[i]);
  }
  return Array.from(sum.slice(0, c), (s) => s / (per * xs.length));
}

Deno.test("correctBias: sequentially, every layer's channel means end within half a bias step of float (checked by a separate runFloat)", async () => {
  const float = net(1);
  const calib = samples(8, 100);
  // 4-bit per-tensor weights: large rounding errors, large mean shifts.
  const quant = await quantizeStatic(float, calib, {
    weights: { dtype: "int4", granularity: "per-tensor" },
  });
  const { graph, corrections } = correctBias(float, quant, calib);
  deepEqual(corrections.map((c) => c.node), ["conv1", "conv2"]);
  const steps: Record<string, number> = {};
  for (const n of graph.nodes) {
    if (n.op !== "Conv") continue;
    const dq = graph.nodes.find((m) => m.outputs[0] === n.inputs[2])!;
    steps[n.name] = Math.max(
      ...Array.from(graph.initializers.get(dq.inputs[1])!.data as Float32Array),
    );
  }
  for (const [layer, value] of [["conv1", "h"], ["conv2", "y"]] as const) {
    const f = channelMeans(float, value, calib);
    const before = channelMeans(quant, value, calib);
    const after = channelMeans(graph, value, calib);
    const worst = Math.max(...after.map((v, i) => Math.abs(v - f[i])));
    const was = Math.max(...before.map((v, i) => Math.abs(v - f[i])));
    ok(was > 4 * steps[layer], `${layer}: the test needs a visible shift, had ${was}`);
    ok(
      worst <= 0.5 * steps[layer] * (1 + 1e-3) + 1e-6,
      `${layer}: mean error ${worst} > half step ${steps[layer] / 2}`,
    );
  }
  // conv2 had no bias: it got int32 codes on s_x·s_w through a DequantizeLinear.
  const conv2 = graph.nodes.find((n) => n.name === "conv2")!;
  ok(conv2.inputs[2] !== undefined && conv2.inputs[2] !== "");
  // The input graph is untouched.
  deepEqual(quant.nodes.find((n) => n.name === "conv2")!.inputs.length, 2);
});

Deno.test("correctBias: a non-sequential correction (each layer against uncorrected predecessors) leaves conv2 off; this one does not", async () => {
  const float = net(3);
  const calib = samples(6, 7);
  const quant = await quantizeStatic(float, calib, {
    weights: { dtype: "int4", granularity: "per-tensor" },
  });
  // conv2 alone (its input still has conv1's uncorrected shift), then conv1 alone:
  const only2 = correctBias(float, quant, calib, { nodes: ["conv2"] }).graph;
  const both = correctBias(float, only2, calib, { nodes: ["conv1"] }).graph;
  const seq = correctBias(float, quant, calib).graph;
  const f = channelMeans(float, "y", calib);
  const err = (g: Graph) =>
    Math.max(...channelMeans(g, "y", calib).map((v, i) => Math.abs(v - f[i])));
  ok(err(seq) < err(both), `sequential ${err(seq)} vs out of order ${err(both)}`);
});

Deno.test("correctBias: typed errors for no samples and for a layer that cannot be corrected", async () => {
  const float = net(1);
  const calib = samples(2, 1);
  const quant = await quantizeStatic(float, calib);
  throws(() => correctBias(float, quant, []), /samples must hold at least one/);
  throws(
    () => correctBias(float, quant, calib, { nodes: ["relu"] }),
    /options\.nodes: no Conv or Gemm named relu/,
  );
  throws(
    () => correctBias(float, float, calib, { nodes: ["conv1"] }),
    /options\.nodes: conv1 has no quantized weight/,
  );
});
