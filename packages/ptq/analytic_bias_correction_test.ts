import { deepEqual, ok, throws } from "node:assert/strict";
import { type Graph, type GraphTensor, type Node, runFloat } from "@lowbit/graph";
import { Philox } from "@lowbit/rounding/philox";
import { analyticBiasCorrection, expectedRelu } from "./analytic_bias_correction.ts";
import { quantizeWeight } from "./weights.ts";

const t = (shape: number[], data: ArrayLike<number>): GraphTensor => ({
  dtype: "float32",
  shape,
  data: Float32Array.from(data),
});

Deno.test("expectedRelu: matches numerical integration of max(0, z)·φ over a grid", () => {
  for (const [mu, sigma] of [[0, 1], [1.5, 0.5], [-2, 3], [0.3, 0.01]]) {
    let s = 0;
    const h = sigma / 2000;
    for (let z = mu - 12 * sigma; z <= mu + 12 * sigma; z += h) {
      s += Math.max(0, z) * Math.exp(-0.5 * ((z - mu) / sigma) ** 2) /
        (sigma * Math.sqrt(2 * Math.PI)) * h;
    }
    ok(
      Math.abs(expectedRelu(mu, sigma) - s) < 1e-4,
      `${mu}, ${sigma}: ${expectedRelu(mu, sigma)} vs ${s}`,
    );
  }
});

/** x → BN (4 channels) → act → Conv 4→3 3×3 (no padding), weights from a seed. */
function net(act: "none" | "relu" | "relu6"): Graph {
  const r = new Philox(4, 1);
  const u = (n: number, lo: number, hi: number) =>
    Array.from({ length: n }, () => lo + (hi - lo) * r.uniform());
  const nodes: Node[] = [
    {
      name: "bn",
      op: "BatchNormalization",
      inputs: ["x", "g", "b", "m", "v"],
      outputs: ["z"],
      attrs: { epsilon: 1e-5 },
    },
  ];
  let v = "z";
  if (act === "relu") {
    nodes.push({ name: "act", op: "Relu", inputs: ["z"], outputs: ["a"], attrs: {} }), (v = "a");
  }
  if (act === "relu6") {
    nodes.push({ name: "act", op: "Clip", inputs: ["z", "lo", "hi"], outputs: ["a"], attrs: {} });
    v = "a";
  }
  nodes.push({
    name: "conv",
    op: "Conv",
    inputs: [v, "w", "c"],
    outputs: ["y"],
    attrs: { kernel_shape: [3, 3] },
  });
  return {
    name: "g",
    opset: 13,
    values: new Map(),
    initializers: new Map([
      ["g", t([4], [0.5, 2, 1, 3])],
      ["b", t([4], [1, -0.5, 2, 5])],
      ["m", t([4], [0.2, -1, 0, 3])],
      ["v", t([4], [1, 4, 0.25, 2])],
      ["w", t([3, 4, 3, 3], u(108, -1, 1))],
      ["c", t([3], [0.1, 0.2, 0.3])],
      ["lo", t([], [0])],
      ["hi", t([], [6])],
    ]),
    inputs: [{ name: "x", dtype: "float32", shape: [1, 4, 6, 6] }],
    outputs: [{ name: "y", dtype: "float32", shape: [1, 3, 4, 4] }],
    nodes,
  };
}

Deno.test("analyticBiasCorrection: equals the Monte Carlo mean of ε·x when BN outputs are Gaussian (identity, ReLU, ReLU6)", () => {
  for (const act of ["none", "relu", "relu6"] as const) {
    const g = net(act);
    const weights = { bits: 3, granularity: "per-tensor" as const };
    const r = analyticBiasCorrection(g, { weights });
    deepEqual(r.corrections.map((c) => c.node), ["conv"]);
    const conv = r.graph.nodes.find((n) => n.name === "conv")!;
    const after = r.graph.initializers.get(conv.inputs[2])!.data as Float32Array;
    const shift = [0.1, 0.2, 0.3].map((b, o) => b - after[o]);
    // Monte Carlo: x_c ~ N(mean_c, var_c) so BN(x)_c ~ N(β_c, γ_c²); E over samples of ε ∗ act(z).
    const w = g.initializers.get("w")!;
    const q = quantizeWeight(w, 0, weights);
    const eps = Float32Array.from(
      w.data as Float32Array,
      (v, i) => (q.codes.data[i] as number) * (q.scale.data[0] as number) - v,
    );
    const mean = [0.2, -1, 0, 3], sd = [1, 2, 0.5, Math.sqrt(2)];
    const rng = new Philox(9, 3);
    const n = 2000;
    const acc = new Float64Array(3), acc2 = new Float64Array(3);
    const z = new Float64Array(4 * 36);
    const gamma = [0.5, 2, 1, 3], beta = [1, -0.5, 2, 5];
    for (let s = 0; s < n; s++) {
      rng.fillNormal(z);
      const a = z.map((v, i) => {
        const c = Math.floor(i / 36);
        const x = mean[c] + sd[c] * v;
        const bn = gamma[c] * (x - mean[c]) / Math.sqrt(sd[c] ** 2 + 1e-5) + beta[c];
        return act === "none"
          ? bn
          : act === "relu"
          ? Math.max(0, bn)
          : Math.min(6, Math.max(0, bn));
      });
      for (let o = 0; o < 3; o++) {
        let sampleMean = 0; // over the 16 output positions of this sample
        for (let p = 0; p < 16; p++) {
          const [py, px] = [Math.floor(p / 4), p % 4];
          let e = 0;
          for (let c = 0; c < 4; c++) {
            for (let k = 0; k < 9; k++) {
              e += eps[(o * 4 + c) * 9 + k] *
                a[c * 36 + (py + Math.floor(k / 3)) * 6 + px + (k % 3)];
            }
          }
          sampleMean += e / 16;
        }
        acc[o] += sampleMean;
        acc2[o] += sampleMean * sampleMean;
      }
    }
    for (let o = 0; o < 3; o++) {
      const m = acc[o] / n;
      const se = Math.sqrt(Math.max(acc2[o] / n - m * m, 1e-12) / n) * 4;
      ok(
        Math.abs(shift[o] - m) < 5 * se + 1e-5,
        `${act}, output ${o}: analytic ${shift[o]} vs Monte Carlo ${m} ± ${se}`,
      );
    }
    // the returned graph computes the same BN ∘ act ∘ conv with only the conv's bias lowered
    const x = { data: new Philox(1).fillNormal(new Float32Array(144)), shape: [1, 4, 6, 6] };
    const y0 = runFloat(g, { x }).y.data as Float32Array,
      y1 = runFloat(r.graph, { x }).y.data as Float32Array;
    y0.forEach((v, i) => ok(Math.abs(v - shift[Math.floor(i / 16)] - y1[i]) < 1e-4));
  }
});

Deno.test("analyticBiasCorrection: a graph without batch norm is a TypeError naming the graph", () => {
  const g = net("relu");
  g.nodes = g.nodes.filter((n) => n.op !== "BatchNormalization").map((n) =>
    n.name === "act" ? { ...n, inputs: ["x"] } : n
  );
  throws(() => analyticBiasCorrection(g), /graph has no BatchNormalization node/);
});
