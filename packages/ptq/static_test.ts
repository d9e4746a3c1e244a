import { type GraphTensor, runFloat, validateGraph } from "@lowbit/graph";
import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { CrossEntropyObserver } from "@lowbit/quantize";
import { CalibrationError, quantizeStatic } from "./static.ts";
import { convReluGemm, residual, samples } from "./_fixtures_test_util.ts";

const f = Math.fround;
// Conv/Gemm/MatMul/... until the executor has them (then missingOps() is empty).
function rne(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 ? (r % 2 === 0 ? r : r - 1) : r;
}
/** Independent uint8 min-max grid (range widened to include 0). */
function minmaxU8(lo: number, hi: number): { s: number; z: number } {
  const l = f(Math.min(lo, 0)), h = f(Math.max(hi, 0));
  const s = f(f(h - l) / 255);
  return { s, z: Math.max(0, Math.min(255, -rne(f(l / s)))) };
}
function range(ts: GraphTensor[]): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const t of ts) {
    for (const v of t.data as Float32Array) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  }
  return [lo, hi];
}
function floatValues(
  g: ReturnType<typeof convReluGemm>,
  data: ReturnType<typeof samples>,
  v: string,
): GraphTensor[] {
  return data.map((s) => runFloat(g, s, { outputs: [v] })[v]);
}

Deno.test("Conv→Relu→Gemm: activation scales are min-max, weights per-channel, bias int32", async () => {
  const g = convReluGemm();
  const data = samples(4, [1, 1, 3, 3]);
  const q = await quantizeStatic(g, data);
  validateGraph(q);
  // The argument graph is untouched.
  equal(g.nodes.length, 4);
  ok(g.initializers.has("W") && !g.values.has("x"));
  const [xl, xh] = range(data.map((s) => s.x as GraphTensor));
  const gx = minmaxU8(xl, xh);
  equal(q.values.get("x")?.quant?.scale[0], gx.s);
  equal(q.values.get("x")?.quant?.zeroPoint[0], gx.z);
  const [rl, rh] = range(floatValues(g, data, "r"));
  const gr = minmaxU8(rl, rh);
  equal(q.values.get("r")?.quant?.scale[0], gr.s);
  // Flatten shares the Relu grid.
  equal(q.values.get("f")?.quant?.scale[0], gr.s);
  // The Conv output feeds only the Relu: it takes the Relu's grid [0, max] (zero point 0), and
  // its dequantized codes are the Relu's output — negative values clamp to code 0.
  equal(q.values.get("c")?.quant?.scale[0], gr.s);
  equal(q.values.get("c")?.quant?.zeroPoint[0], 0);
  for (const s of data) {
    const r = runFloat(q, s, { outputs: ["c_dequantized", "r"] });
    deepEqual([...r.c_dequantized.data], [...r.r.data]);
    ok([...r.c_dequantized.data].some((v) => v === 0));
  }
  // Conv weight per output channel (axis 0).
  const W = g.initializers.get("W")?.data as Float32Array;
  const ws = q.initializers.get("W_scale")?.data as Float32Array;
  for (let o = 0; o < 2; o++) {
    const m = Math.max(...Array.from(W.subarray(o * 4, o * 4 + 4), Math.abs));
    equal(ws[o], f(m / 127));
    for (let i = 0; i < 4; i++) {
      equal(q.initializers.get("W_quantized")?.data[o * 4 + i], rne(f(W[o * 4 + i] / ws[o])));
    }
  }
  // Gemm transB=1: axis 0 of [3, 8].
  equal(q.values.get("W2_quantized")?.quant?.axis, 0);
  // Conv bias: int32 at s_x * s_w[o].
  const bq = q.initializers.get("B_conv_quantized") as GraphTensor;
  equal(bq.dtype, "int32");
  deepEqual([...bq.data], [rne(f(f(0.1) / f(gx.s * ws[0]))), rne(f(f(-0.2) / f(gx.s * ws[1])))]);
  ok(!q.initializers.has("W") && !q.initializers.has("B"));
  // QDQ structure: Conv reads dequantized x, W and B; f is re-quantized on the Relu grid.
  deepEqual(q.nodes.find((n) => n.name === "conv")?.inputs, [
    "x_dequantized",
    "W_dequantized",
    "B_conv_dequantized",
  ]);
  equal(q.nodes.find((n) => n.name === "W_DequantizeLinear")?.attrs.axis, 0);
  equal(q.values.get("x_quantized")?.dtype, "uint8");
  deepEqual(
    q.nodes.filter((n) => n.op === "QuantizeLinear").map((n) => n.inputs[0]),
    ["x", "c", "r", "f", "y_prequant"],
  );
  // Simulated run: dequantized input within half a step; output close to float.
  for (const s of data) {
    const r = runFloat(q, s, { outputs: ["x_dequantized", "r_dequantized", "y"] });
    const x = s.x.data as Float32Array;
    (r.x_dequantized.data as Float32Array).forEach((v, i) =>
      ok(Math.abs(v - x[i]) <= gx.s / 2 + 1e-6)
    );
    const yf = runFloat(g, s).y.data as Float32Array;
    const gy = q.values.get("y")?.quant?.scale[0] as number;
    (r.y.data as Float32Array).forEach((v, i) =>
      ok(Math.abs(v - yf[i]) <= 4 * gy, `${v} ${yf[i]}`)
    );
  }
});

Deno.test("residual Add: shared x gets one grid, Add output quantized, output near float", async () => {
  const g = residual();
  const data = samples(3, [1, 4]);
  const q = await quantizeStatic(g, data);
  validateGraph(q);
  equal(q.nodes.filter((n) => n.name === "x_QuantizeLinear").length, 1);
  const [yl, yh] = range(floatValues(g, data, "y"));
  equal(q.values.get("y")?.quant?.scale[0], minmaxU8(yl, yh).s);
  equal(q.values.get("W_quantized")?.quant?.axis, 1);
  // Graph output keeps its name and float dtype.
  deepEqual(q.outputs.map((o) => o.name), ["y"]);
  for (const s of data) {
    const yq = runFloat(q, s).y.data as Float32Array;
    const yf = runFloat(g, s).y.data as Float32Array;
    yq.forEach((v, i) => ok(Math.abs(v - yf[i]) <= 4 * minmaxU8(yl, yh).s));
  }
});

Deno.test("options: exclude, opTypes, per-node float and weight overrides, int8 activations", async () => {
  const data = samples(2, [1, 1, 3, 3]);
  const ex = await quantizeStatic(convReluGemm(), data, { excludeOpTypes: ["Gemm"] });
  ok(ex.initializers.has("W2") && !ex.initializers.has("W2_quantized"));
  ok(ex.initializers.has("W_quantized"));
  const only = await quantizeStatic(convReluGemm(), data, { opTypes: ["Gemm"] });
  ok(only.initializers.has("W") && only.initializers.has("W2_quantized"));
  ok(!only.values.get("c")?.quant);
  const fl = await quantizeStatic(convReluGemm(), data, { nodes: { conv: { float: true } } });
  ok(fl.initializers.has("W") && !fl.values.get("x")?.quant);
  ok(fl.nodes.find((n) => n.name === "relu")?.inputs[0] === "c_dequantized");
  // floatOutputs: the conv's output gets no grid; the relu reads it in float and only its own
  // output (the gemm's input) is quantized
  const fo = await quantizeStatic(convReluGemm(), data, {
    nodes: { conv: { float: true, floatOutputs: true } },
  });
  ok(fo.initializers.has("W") && !fo.values.get("c")?.quant && !fo.values.get("x")?.quant);
  equal(fo.nodes.find((n) => n.name === "relu")?.inputs[0], "c");
  ok(fo.values.get("r")?.quant);
  deepEqual(
    fo.nodes.filter((n) => n.op === "QuantizeLinear").map((n) => n.inputs[0]),
    ["r", "f", "y_prequant"],
  );
  await rejects(
    quantizeStatic(convReluGemm(), data, { nodes: { conv: { floatOutputs: true } } }),
    /options\.nodes\.conv\.floatOutputs needs float: true/,
  );
  const pt = await quantizeStatic(convReluGemm(), data, {
    nodes: { gemm: { weights: { granularity: "per-tensor", dtype: "int4" } } },
  });
  deepEqual(pt.initializers.get("W2_scale")?.shape, []);
  equal(pt.initializers.get("W2_quantized")?.dtype, "int4");
  deepEqual(pt.initializers.get("W_scale")?.shape, [2]);
  const s8 = await quantizeStatic(convReluGemm(), data, { activations: { dtype: "int8" } });
  equal(s8.values.get("x")?.quant?.dtype, "int8");
  equal(s8.initializers.get("x_zero_point")?.dtype, "int8");
  for (const obs of ["percentile", "mse", "histogram", "entropy", "moving-average"] as const) {
    const q = await quantizeStatic(convReluGemm(), data, { activations: { observer: obs } });
    ok((q.values.get("r")?.quant?.scale[0] ?? 0) > 0, obs);
  }
});

Deno.test("calibration: progress, maxSamples, async iterables and typed errors", async () => {
  const calls: [number, number | undefined][] = [];
  await quantizeStatic(residual(), samples(3, [1, 4]), {
    onProgress: (d, t) => calls.push([d, t]),
  });
  deepEqual(calls, [[1, 3], [2, 3], [3, 3]]);
  const seen: number[] = [];
  async function* gen() {
    for (const s of samples(5, [1, 4])) yield s;
  }
  await quantizeStatic(residual(), gen(), { maxSamples: 2, onProgress: (d) => seen.push(d) });
  deepEqual(seen, [1, 2]);
  await rejects(
    () => quantizeStatic(residual(), []),
    (e: Error) => e instanceof RangeError && /calibration/.test(e.message),
  );
  const bad = [...samples(1, [1, 4]), ...samples(1, [1, 5])];
  await rejects(
    () => quantizeStatic(residual(), bad),
    (e: Error) =>
      e instanceof CalibrationError && e.sample === 1 && e.value === "x" &&
      /sample 1/.test(e.message),
  );
  const f64 = [{ x: { data: new Float64Array(4), shape: [1, 4] } }];
  await rejects(
    () => quantizeStatic(residual(), f64),
    (e: Error) => e instanceof CalibrationError && e.sample === 0 && /Float32Array/.test(e.message),
  );
  const missing = [{ z: { data: new Float32Array(4), shape: [1, 4] } }];
  await rejects(
    () => quantizeStatic(residual(), missing),
    (e: Error) => e instanceof CalibrationError && /missing/.test(e.message),
  );
});

Deno.test("prepare runs first on a copy; inputs and outputs stay float", async () => {
  const g = residual();
  let called = 0;
  const q = await quantizeStatic(g, samples(1, [1, 4]), {
    prepare: (x) => {
      called++;
      x.initializers.set("unused", { dtype: "float32", shape: [1], data: new Float32Array(1) });
      return x;
    },
  });
  equal(called, 1);
  ok(!g.initializers.has("unused") && !q.initializers.has("unused"));
  deepEqual(q.inputs, g.inputs);
  deepEqual(q.outputs.map((o) => o.dtype), ["float32"]);
  equal(q.nodes.find((n) => n.name === "y_DequantizeLinear")?.outputs[0], "y");
});

Deno.test("a node's cross-entropy observer sets the grid of its logits (white paper §3.1)", async () => {
  // One far-out sample: min-max stretches the logit grid over it, cross-entropy clips it.
  const data = samples(16, [1, 1, 3, 3]);
  data.push({
    x: {
      data: Float32Array.from(data[0].x.data as Float32Array, (v) => v * 300),
      shape: [1, 1, 3, 3],
    },
  });
  const q = await quantizeStatic(convReluGemm(), data, {
    nodes: { gemm: { observer: "cross-entropy" } },
  });
  // Independently: the float logits of every sample through one CrossEntropyObserver.
  const obs = new CrossEntropyObserver();
  for (const s of data) {
    const y = runFloat(convReluGemm(), s).y;
    obs.observe({ data: y.data as Float32Array, shape: y.shape });
  }
  const want = obs.qparams();
  const grid = q.values.get("y")?.quant;
  equal(grid?.scale[0], want.scale);
  equal(grid?.zeroPoint[0], want.zeroPoint);
  // The other activations keep min-max; the logits' grid is not min-max's.
  const mm = await quantizeStatic(convReluGemm(), data);
  deepEqual(q.values.get("r")?.quant, mm.values.get("r")?.quant);
  ok(Number(want.scale) < mm.values.get("y")!.quant!.scale[0] / 2, `${want.scale}`);
});

Deno.test("calibration past 2^24 values per tensor: seeded reservoir, reproducible, near the exact percentile", async () => {
  // three samples of a ramp over [0, 1): 16.8M values > the observers' 2^24 capacity
  const n = 5_600_000;
  const g = {
    name: "big",
    opset: 13,
    inputs: [{ name: "x", dtype: "float32" as const, shape: [n] }],
    outputs: [{ name: "y", dtype: "float32" as const, shape: [n] }],
    nodes: [{ name: "relu", op: "Relu", inputs: ["x"], outputs: ["y"], attrs: {} }],
    initializers: new Map(),
    values: new Map(),
  };
  const calib = [0, 1, 2].map((k) => ({
    x: { data: Float32Array.from({ length: n }, (_, i) => (3 * i + k) / (3 * n)), shape: [n] },
  }));
  const scaleOf = async (seed: number) => {
    const q = await quantizeStatic(g, calib, { activations: { observer: "percentile", seed } });
    return q.values.get("y")!.quant!.scale[0];
  };
  const a = await scaleOf(0), b = await scaleOf(0);
  equal(a, b); // same seed, same grid
  // the 99.99th percentile of the ramp is 0.9999; the reservoir keeps 99.8% of the values
  ok(Math.abs(a * 255 / 0.9999 - 1) < 1e-3, `scale ${a}`);
  await rejects(
    () => quantizeStatic(g, calib, { activations: { observer: "mse", seed: -1 } }),
    /options\.activations\.seed/,
  );
});

Deno.test("quantizeStatic fuseElementwise: HardSwish → Mul(a) → Add(b) keeps one grid, at the chain's end", async () => {
  const c = (v: number): GraphTensor => ({ dtype: "float32", shape: [], data: Float32Array.of(v) });
  const g = {
    name: "chain",
    opset: 14,
    values: new Map(),
    initializers: new Map([["a", c(0.7)], ["b", c(-0.3)]]),
    inputs: [{ name: "x", dtype: "float32" as const, shape: [1, 8] }],
    outputs: [{ name: "y", dtype: "float32" as const, shape: [1, 8] }],
    nodes: [
      { name: "hs", op: "HardSwish", inputs: ["x"], outputs: ["h"], attrs: {} },
      { name: "mul", op: "Mul", inputs: ["a", "h"], outputs: ["m"], attrs: {} },
      { name: "add", op: "Add", inputs: ["m", "b"], outputs: ["y"], attrs: {} },
    ],
  };
  const data = [0, 1, 2].map((k) => ({
    x: { data: Float32Array.from({ length: 8 }, (_, i) => (i - 4 + k) * 0.9), shape: [1, 8] },
  }));
  const quantizedValues = (q: Awaited<ReturnType<typeof quantizeStatic>>) =>
    new Set(q.nodes.filter((n) => n.op === "QuantizeLinear").map((n) => n.inputs[0]));
  const plain = quantizedValues(await quantizeStatic(g, data));
  ok(plain.has("h") && plain.has("m"), `without the option every value has a grid: ${[...plain]}`);
  const fusedQ = await quantizeStatic(g, data, { fuseElementwise: true });
  validateGraph(fusedQ);
  const fused = quantizedValues(fusedQ);
  ok(!fused.has("h") && !fused.has("m"), `inner values quantized: ${[...fused]}`);
  ok(fused.has("x"), "the chain's input keeps its grid");
  // the chain's end keeps a grid: the output is read through QuantizeLinear → DequantizeLinear
  ok(fusedQ.nodes.some((n) => n.op === "DequantizeLinear" && n.outputs[0] === "y"));
  // one rounding instead of three: closer to float on the calibration data
  const err = (q: typeof fusedQ) =>
    data.reduce((s, d) => {
      const a = runFloat(g, d).y.data as Float32Array, b = runFloat(q, d).y.data as Float32Array;
      return s + a.reduce((t, v, i) => t + (v - b[i]) ** 2, 0);
    }, 0);
  ok(err(fusedQ) < err(await quantizeStatic(g, data)));
});
