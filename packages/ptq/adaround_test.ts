import {
  eliminateDeadCode,
  foldBatchNorm,
  fromNn,
  type Graph,
  type GraphTensor,
  runFloat,
  tensor,
  type TensorInput,
} from "@lowbit/graph";
import { type Dataset, imagesTensor, loadMnist, loadReferenceModel } from "@lowbit/nn";
import { Variable } from "@lowbit/nn/autograd";
import { equal, ok, rejects, throws } from "node:assert/strict";
import {
  adaround,
  AdaRoundLayer,
  annealedBeta,
  initialV,
  rectifiedSigmoid,
  roundingRegularizer,
} from "./adaround.ts";
import { quantizeStatic } from "./static.ts";
import { type QuantizedWeight, quantizeWeight, WeightCodesError } from "./weights.ts";
import { convReluGemm, rand, samples } from "./_fixtures_test_util.ts";

const f = Math.fround;
// Independent truth: ties to even.
function rne(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 ? (r % 2 === 0 ? r : r - 1) : r;
}

// ---------------------------------------------------------------- weights.bits

Deno.test("weights.bits 2..8: scale = max|w|/(2^(b−1)−1), codes = clamp(rne(w/s)), exhaustively", () => {
  // Every multiple of 1/32 in [−1, 1] as one channel, the same halved as another.
  const row = Array.from({ length: 65 }, (_, i) => (i - 32) / 32);
  const w = tensor("float32", [2, 65], [...row, ...row.map((v) => v / 2)]);
  for (let b = 2; b <= 8; b++) {
    const qmax = 2 ** (b - 1) - 1;
    const q = quantizeWeight(w, 0, { bits: b });
    equal(q.codes.dtype, "int8");
    ok(q.codes.data instanceof Int8Array);
    for (let o = 0; o < 2; o++) {
      const s = f((o === 0 ? 1 : 0.5) / qmax);
      equal(q.scale.data[o], s, `bits ${b} channel ${o}`);
      for (let i = 0; i < 65; i++) {
        const want = Math.max(-qmax, Math.min(qmax, rne(f((w.data[o * 65 + i] as number) / s))));
        equal(q.codes.data[o * 65 + i], want, `bits ${b} w ${w.data[o * 65 + i]}`);
      }
    }
    const pt = quantizeWeight(w, 0, { bits: b, granularity: "per-tensor" });
    equal(pt.scale.data[0], f(1 / qmax));
  }
  // int4 keeps working as bits 4 (codes equal, container int4).
  const i4 = quantizeWeight(w, 0, { dtype: "int4" });
  const b4 = quantizeWeight(w, 0, { bits: 4 });
  equal(i4.codes.dtype, "int4");
  ok(i4.codes.data.every((v, i) => v === b4.codes.data[i]));
  for (const bad of [1, 9, 2.5, NaN, 0]) {
    throws(
      () => quantizeWeight(w, 0, { bits: bad }),
      /weights\.bits must be an integer in \[2, 8\]/,
    );
  }
  throws(() => quantizeWeight(w, 0, { bits: 6, dtype: "int4" }), /weights\.bits/);
});

Deno.test("quantizeStatic with weights.bits 3: every weight code in [−3, 3]", async () => {
  const q = await quantizeStatic(convReluGemm(), samples(2, [1, 1, 3, 3]), {
    weights: { bits: 3 },
  });
  for (const name of ["W_quantized", "W2_quantized"]) {
    const c = q.initializers.get(name) as GraphTensor;
    ok(
      c.data.every((v) => Number(v) >= -3 && Number(v) <= 3) &&
        c.data.some((v) => v === 3 || v === -3),
    );
  }
});

// ---------------------------------------------------------------- weightCodes hook

Deno.test("quantizeStatic uses weightCodes verbatim and rejects codes that do not fit", async () => {
  const g = convReluGemm();
  const data = samples(3, [1, 1, 3, 3]);
  const rtn = quantizeWeight(g.initializers.get("W2") as GraphTensor, 0, { bits: 4 });
  const codes = Int8Array.from(rtn.codes.data as Int8Array);
  // Row 0 (output 0) one code off nearest everywhere.
  for (let i = 0; i < 8; i++) codes[i] = codes[i] > 0 ? codes[i] - 1 : codes[i] + 1;
  const given: QuantizedWeight = { ...rtn, codes: { ...rtn.codes, data: codes } };
  const q = await quantizeStatic(g, data, {
    weights: { bits: 4 },
    nodes: { gemm: { weightCodes: given } },
  });
  ok([...(q.initializers.get("W2_quantized") as GraphTensor).data].every((v, i) => v === codes[i]));
  const near = await quantizeStatic(g, data, { weights: { bits: 4 } });
  ok(
    data.some((s) => {
      const o = ["y_prequant"];
      const a = runFloat(q, s, { outputs: o }).y_prequant.data;
      const b = runFloat(near, s, { outputs: o }).y_prequant.data;
      return a.some((v, i) => v !== b[i]);
    }),
  );
  const bad = (q: QuantizedWeight, re: RegExp) =>
    rejects(quantizeStatic(g, data, { nodes: { gemm: { weightCodes: q } } }), (e: unknown) => {
      ok(e instanceof WeightCodesError && e.node === "gemm" && re.test(e.message), String(e));
      return true;
    });
  await bad({ ...rtn, codes: { ...rtn.codes, shape: [8, 3] } }, /codes shape \[8,3\]/);
  await bad(quantizeWeight(g.initializers.get("W2") as GraphTensor, 1), /axis 1/);
  const ptScale = quantizeWeight(g.initializers.get("W2") as GraphTensor, 0, {
    granularity: "per-tensor",
  });
  await bad({ ...rtn, scale: ptScale.scale }, /scale must have shape \[3\]/);
  await bad(
    { ...rtn, grid: { ...rtn.grid, scale: Float32Array.of(1, 1, 1) } },
    /equal to grid.scale/,
  );
  await rejects(
    quantizeStatic(g, data, { nodes: { relu: { weightCodes: rtn } } }),
    /node relu: weightCodes: the node has no float initializer weight/,
  );
});

// ---------------------------------------------------------------- h(V), f_reg, β

Deno.test("h(V) = clip(1.2σ(V) − 0.1, 0, 1) and its derivative; V₀ inverts it", () => {
  const vs = Array.from({ length: 81 }, (_, i) => (i - 40) / 10);
  const v = Variable.from(vs, [vs.length], { requiresGrad: true });
  const h = rectifiedSigmoid(v);
  h.sum().backward();
  vs.forEach((x, i) => {
    const s = 1 / (1 + Math.exp(-x));
    const t = 1.2 * s - 0.1;
    ok(Math.abs(h.data[i] - Math.min(1, Math.max(0, t))) < 1e-6, `h(${x})`);
    const d = t > 0 && t < 1 ? 1.2 * s * (1 - s) : 0;
    ok(Math.abs((v.grad as Float32Array)[i] - d) < 1e-6, `h'(${x})`);
  });
  for (const r of [0, 0.01, 0.25, 0.5, 0.75, 0.999]) {
    const h0 = rectifiedSigmoid(Variable.from([initialV(r)])).data[0];
    ok(Math.abs(h0 - r) < 1e-6, `h(V₀(${r})) = ${h0}`);
  }
});

Deno.test("f_reg = Σ 1 − |2h − 1|^β and its gradient −2β|2h−1|^(β−1)·sign", () => {
  const hs = [0, 0.05, 0.3, 0.5, 0.62, 0.9, 1];
  for (const beta of [2, 3.5, 20]) {
    const h = Variable.from(hs, [hs.length], { requiresGrad: true });
    const r = roundingRegularizer(h, beta);
    const want = hs.reduce((a, x) => a + 1 - Math.abs(2 * x - 1) ** beta, 0);
    ok(Math.abs(r.data[0] - want) < 1e-5, `β ${beta}`);
    r.backward();
    hs.forEach((x, i) => {
      const u = 2 * f(x) - 1;
      const g = -2 * beta * Math.abs(u) ** (beta - 1) * Math.sign(u);
      ok(
        Math.abs((h.grad as Float32Array)[i] - g) < 1e-3 * Math.max(1, Math.abs(g)),
        `β ${beta} h ${x}`,
      );
    });
  }
  // The schedule: warm-up off, then linear 20 → 2.
  equal(annealedBeta(199, 1000, 0.2, [20, 2]), undefined);
  equal(annealedBeta(200, 1000, 0.2, [20, 2]), 20);
  equal(annealedBeta(600, 1000, 0.2, [20, 2]), 11);
  equal(annealedBeta(1000, 1000, 0.2, [20, 2]), 2);
});

// ---------------------------------------------------------------- the layer loss gradient

Deno.test("per-layer loss gradient ∂L/∂V matches central finite differences (plain and grouped)", () => {
  for (const groups of [1, 2]) {
    const o = 4, k = 6, rows = 12;
    const w = rand(o * k, 11 + groups, -0.8, 0.8);
    const layer = new AdaRoundLayer({
      weight: w,
      outChannels: o,
      groups,
      scale: Float32Array.of(0.1, 0.13, 0.09, 0.2),
      qmin: -15,
      qmax: 15,
      bias: Float32Array.of(0.1, -0.05, 0.2, 0),
      activation: { min: 0, max: Infinity },
    });
    layer.v.data.set(rand(o * k, 3, -2, 2));
    const x = rand(rows * groups * k, 7, -1, 1.5);
    const target = rand(rows * o, 8, 0, 1);
    const beta = 3, lambda = 0.05;
    const l = layer.loss(x, target, rows, beta, lambda);
    l.loss.backward();
    const grad = Float32Array.from(layer.v.grad as Float32Array);
    const eps = 1e-2;
    let worst = 0;
    for (let i = 0; i < o * k; i++) {
      const v0 = layer.v.data[i];
      layer.v.data[i] = v0 + eps;
      const up = layer.loss(x, target, rows, beta, lambda).loss.data[0];
      layer.v.data[i] = v0 - eps;
      const dn = layer.loss(x, target, rows, beta, lambda).loss.data[0];
      layer.v.data[i] = v0;
      const fd = (up - dn) / (2 * eps);
      worst = Math.max(worst, Math.abs(fd - grad[i]) / Math.max(1e-2, Math.abs(fd)));
    }
    ok(worst < 2e-2, `groups ${groups}: worst relative difference ${worst}`);
  }
});

// ---------------------------------------------------------------- rows vs the graph's Conv

function mseOf(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s / a.length;
}

Deno.test("the reported MSEs equal the graph's own Conv/Gemm/MatMul outputs (grouped, strided, padded)", async () => {
  const cases: { g: Graph; x: number[]; clip?: [number, number] }[] = [];
  const one = (
    node: Graph["nodes"][0],
    w: GraphTensor,
    x: number[],
    extra: [string, GraphTensor][] = [],
    clip?: [number, number],
  ) =>
    cases.push({
      x,
      ...(clip ? { clip } : {}),
      g: {
        name: node.name,
        opset: 13,
        values: new Map(),
        inputs: [{ name: "x", dtype: "float32", shape: x }],
        outputs: [{ name: "y", dtype: "float32", shape: [] }],
        nodes: clip
          ? [{ ...node, outputs: ["c"] }, {
            name: "clip",
            op: "Clip",
            inputs: ["c", "lo", "hi"],
            outputs: ["y"],
            attrs: {},
          }]
          : [node],
        initializers: new Map([
          ["w", w],
          ...extra,
          ...(clip
            ? [["lo", tensor("float32", [], [clip[0]])], [
              "hi",
              tensor("float32", [], [clip[1]]),
            ]] as [
              string,
              GraphTensor,
            ][]
            : []),
        ]),
      },
    });
  one(
    {
      name: "gconv",
      op: "Conv",
      inputs: ["x", "w", "b"],
      outputs: ["y"],
      attrs: { group: 2, strides: [2, 1], pads: [1, 0, 2, 1], dilations: [1, 2] },
    },
    tensor("float32", [4, 2, 3, 2], rand(48, 21)),
    [2, 4, 7, 6],
    [["b", tensor("float32", [4], [0.1, -0.2, 0.3, 0])]],
  );
  one(
    {
      name: "clipconv",
      op: "Conv",
      inputs: ["x", "w"],
      outputs: ["y"],
      attrs: { pads: [1, 1, 1, 1] },
    },
    tensor("float32", [3, 2, 3, 3], rand(54, 25)),
    [1, 2, 5, 5],
    [],
    [0, 0.5],
  );
  one(
    {
      name: "dw",
      op: "Conv",
      inputs: ["x", "w"],
      outputs: ["y"],
      attrs: { group: 3, pads: [1, 1, 1, 1] },
    },
    tensor("float32", [3, 1, 3, 3], rand(27, 22)),
    [1, 3, 5, 5],
  );
  one(
    {
      name: "gemm",
      op: "Gemm",
      inputs: ["x", "w", "c"],
      outputs: ["y"],
      attrs: { alpha: 0.5, beta: 2 },
    },
    tensor("float32", [5, 3], rand(15, 23)),
    [6, 5],
    [["c", tensor("float32", [3], [0.2, 0.1, -0.4])]],
  );
  one(
    { name: "mm", op: "MatMul", inputs: ["x", "w"], outputs: ["y"], attrs: {} },
    tensor("float32", [5, 4], rand(20, 24)),
    [
      2,
      3,
      5,
    ],
  );
  for (
    const [{ g, x, clip }, granularity] of cases.flatMap((c) =>
      (["per-channel", "per-tensor"] as const).map((gr) => [c, gr] as const)
    )
  ) {
    const size = x.reduce((a, b) => a * b, 1);
    const s: Record<string, TensorInput> = { x: { data: rand(size, 30, -1, 1), shape: x } };
    const r = await adaround(g, [s], {
      bits: 3,
      granularity,
      iterations: 300,
      lr: 0.05,
      rows: 100000,
      seed: 2,
    });
    const y = runFloat(g, s).y.data as Float32Array;
    const name = g.nodes[0].name;
    const weights = { bits: 3, granularity };
    const near = await quantizeStatic(g, [s], { weights, opTypes: [g.nodes[0].op] });
    const ada = await quantizeStatic(g, [s], {
      weights,
      opTypes: [g.nodes[0].op],
      nodes: r.overrides,
    });
    equal(r.layers[0].activation, clip ? "Clip" : "none");
    // Weights only: read the node's output before any output quantization.
    const yName = (q: Graph) => q.nodes.find((n) => n.name === name)?.outputs[0] as string;
    const run = (q: Graph) => {
      // Float input and float bias (quantizeStatic made them QDQ and int32).
      const orig = g.nodes[0].inputs;
      const noAct: Graph = {
        ...q,
        initializers: new Map([...q.initializers, ...g.initializers].filter(([k]) => k !== "w")),
        nodes: q.nodes.map((n) =>
          n.name === name ? { ...n, inputs: n.inputs.map((v, i) => (i === 1 ? v : orig[i])) } : n
        ),
      };
      const raw = runFloat(noAct, s, { outputs: [yName(q)] })[yName(q)].data as Float32Array;
      return clip ? raw.map((v) => Math.min(clip[1], Math.max(clip[0], v))) : raw;
    };
    const l = r.layers[0];
    equal(
      l.rows,
      y.length / (g.initializers.get("w")!.shape[name === "gemm" || name === "mm" ? 1 : 0]),
    );
    const mn = mseOf(run(near), y), ma = mseOf(run(ada), y);
    ok(
      Math.abs(l.mseNearest - mn) <= 1e-4 * mn + 1e-9,
      `${name}: nearest ${l.mseNearest} vs graph ${mn}`,
    );
    ok(
      Math.abs(l.mseAdaRound - ma) <= 1e-4 * ma + 1e-9,
      `${name}: adaround ${l.mseAdaRound} vs graph ${ma}`,
    );
    ok(l.mseAdaRound <= l.mseNearest, `${name} ${granularity}: ${l.mseAdaRound} > ${l.mseNearest}`);
  }
});

Deno.test("asymmetric reconstruction: layer 2 sees layer 1's AdaRound weights (and QDQ activations)", async () => {
  const g: Graph = {
    name: "two",
    opset: 13,
    values: new Map(),
    inputs: [{ name: "x", dtype: "float32", shape: [1, 2, 6, 6] }],
    outputs: [{ name: "y", dtype: "float32", shape: [1, 3, 6, 6] }],
    nodes: [
      {
        name: "conv1",
        op: "Conv",
        inputs: ["x", "w1", "b1"],
        outputs: ["c"],
        attrs: { pads: [1, 1, 1, 1] },
      },
      { name: "relu", op: "Relu", inputs: ["c"], outputs: ["r"], attrs: {} },
      {
        name: "conv2",
        op: "Conv",
        inputs: ["r", "w2"],
        outputs: ["y"],
        attrs: { group: 3, pads: [1, 1, 1, 1] },
      },
    ],
    initializers: new Map([
      ["w1", tensor("float32", [3, 2, 3, 3], rand(54, 61))],
      ["b1", tensor("float32", [3], [0.1, 0.3, -0.1])],
      ["w2", tensor("float32", [3, 1, 3, 3], rand(27, 62))],
    ]),
  };
  const s = { x: { data: rand(72, 63, -1, 2), shape: [1, 2, 6, 6] } };
  const yf = runFloat(g, s).y.data as Float32Array;
  const deq = (q: QuantizedWeight) => {
    const inner = q.codes.data.length / q.codes.shape[0];
    const v = [...q.codes.data].map((c, i) =>
      f(Number(q.scale.data[Math.floor(i / inner)]) * Number(c))
    );
    return tensor("float32", q.codes.shape, v);
  };
  for (const withActs of [false, true]) {
    const r = await adaround(g, [s], {
      bits: 3,
      iterations: 200,
      lr: 0.05,
      rows: 1000,
      seed: 3,
      ...(withActs ? { activations: {} } : {}),
    });
    const l2 = r.layers[1];
    equal(l2.rows, 36);
    const w1 = r.weights.get("conv1") as QuantizedWeight;
    for (
      const [which, q2] of [
        ["nearest", quantizeWeight(g.initializers.get("w2") as GraphTensor, 0, { bits: 3 })],
        ["adaround", r.weights.get("conv2") as QuantizedWeight],
      ] as const
    ) {
      let y: Float32Array;
      if (withActs) {
        const q = await quantizeStatic(g, [s], {
          weights: { bits: 3 },
          nodes: { conv1: { weightCodes: w1 }, conv2: { weightCodes: q2 } },
        });
        y = runFloat(q, s, { outputs: ["y_prequant"] }).y_prequant.data as Float32Array;
      } else {
        const h: Graph = {
          ...g,
          initializers: new Map([...g.initializers, ["w1", deq(w1)], ["w2", deq(q2)]]),
        };
        y = runFloat(h, s).y.data as Float32Array;
      }
      const want = mseOf(y, yf);
      const got = which === "nearest" ? l2.mseNearest : l2.mseAdaRound;
      ok(
        Math.abs(got - want) <= 1e-4 * want,
        `acts ${withActs} ${which}: report ${got}, graph ${want}`,
      );
    }
    ok(l2.mseAdaRound <= l2.mseNearest, `acts ${withActs}`);
  }
});

// ---------------------------------------------------------------- brute force

Deno.test("on 10-weight problems AdaRound reaches the brute-force optimum over all 2^10 roundings (or ≤ 2% above)", async () => {
  for (const seed of [1, 2, 3, 4]) {
    const k = 10, rows = 40;
    const w = rand(k, 40 + seed, -1, 1);
    // Correlated inputs make nearest rounding suboptimal.
    const base = rand(rows * 3, 50 + seed, -1, 1);
    const x = new Float32Array(rows * k);
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < k; i++) {
        x[r * k + i] = base[r * 3 + (i % 3)] + 0.3 * rand(1, 1000 * seed + r * k + i)[0];
      }
    }
    const g: Graph = {
      name: "mm",
      opset: 13,
      values: new Map(),
      inputs: [{ name: "x", dtype: "float32", shape: [rows, k] }],
      outputs: [{ name: "y", dtype: "float32", shape: [rows, 1] }],
      nodes: [{ name: "mm", op: "MatMul", inputs: ["x", "w"], outputs: ["y"], attrs: {} }],
      initializers: new Map([["w", tensor("float32", [k, 1], w)]]),
    };
    const s = { x: { data: x, shape: [rows, k] } };
    const y = runFloat(g, s).y.data as Float32Array;
    const q = quantizeWeight(g.initializers.get("w") as GraphTensor, 1, { bits: 3 });
    const sc = q.scale.data[0] as number;
    const loss = (codes: ArrayLike<number>) => {
      let e = 0;
      for (let r = 0; r < rows; r++) {
        let acc = 0;
        for (let i = 0; i < k; i++) acc += x[r * k + i] * f(sc * codes[i]);
        e += (acc - y[r]) ** 2;
      }
      return e / rows;
    };
    let best = Infinity;
    const c = new Array<number>(k);
    for (let m = 0; m < 1 << k; m++) {
      for (let i = 0; i < k; i++) {
        c[i] = Math.min(3, Math.max(-3, Math.floor(f(w[i] / sc)) + ((m >> i) & 1)));
      }
      best = Math.min(best, loss(c));
    }
    const r = await adaround(g, [s], { bits: 3, iterations: 1000, lr: 0.05, seed });
    const ada = loss(r.weights.get("mm")!.codes.data as Int8Array);
    const near = loss(q.codes.data as Int8Array);
    console.log(`seed ${seed}: nearest ${near}, AdaRound ${ada}, optimum ${best}`);
    ok(ada <= near + 1e-12, `seed ${seed}: adaround ${ada} > nearest ${near}`);
    ok(
      ada <= best * 1.02 + 1e-12,
      `seed ${seed}: adaround ${ada}, optimum ${best}, nearest ${near}`,
    );
  }
});

// ---------------------------------------------------------------- errors

Deno.test("adaround rejects no samples, bits outside 2..8 and iterations < 1, naming them", async () => {
  const g = convReluGemm();
  const s = samples(1, [1, 1, 3, 3]);
  await rejects(adaround(g, []), /samples must hold at least one sample/);
  await rejects(adaround(g, {} as unknown as []), TypeError);
  await rejects(adaround(g, s, { bits: 9 }), /options\.bits must be an integer in \[2, 8\], got 9/);
  await rejects(adaround(g, s, { bits: 1 }), RangeError);
  await rejects(adaround(g, s, { iterations: 0 }), /options\.iterations must be an integer ≥ 1/);
  await rejects(adaround(g, s, { warmup: 1 }), /options\.warmup/);
});

Deno.test("adaround is reproducible from its seed and reports every candidate layer", async () => {
  const g = convReluGemm();
  const s = samples(4, [1, 1, 3, 3]);
  const o = { bits: 3, iterations: 40, rows: 6, batchSize: 4, lr: 0.05 };
  const a = await adaround(g, s, { ...o, seed: 5 });
  const b = await adaround(g, s, { ...o, seed: 5 });
  equal(
    a.layers.map((l) => `${l.node}:${l.activation}:${l.rows}`).join(),
    "conv:Relu:6,gemm:none:4",
  );
  for (const n of ["conv", "gemm"]) {
    const ca = a.weights.get(n)!.codes.data, cb = b.weights.get(n)!.codes.data;
    ok(ca.every((v, i) => v === cb[i]), n);
  }
  equal(a.skipped.length, 0);
});

// ---------------------------------------------------------------- MNIST CNN

Deno.test("MNIST CNN: per-layer MSE ≤ nearest at W4; accuracy ≥ nearest at W4A8 and W3A8", async () => {
  const root = new URL("../../", import.meta.url);
  const ref = await loadReferenceModel(new URL("models/mnist-cnn.safetensors", root));
  const g0 = eliminateDeadCode(foldBatchNorm(fromNn(ref.model, { inputShape: [1, 1, 28, 28] })));
  const g: Graph = { ...g0, inputs: g0.inputs.map((i) => ({ ...i, shape: ["N", 1, 28, 28] })) };
  const { train, test } = await loadMnist();
  const batch = (ds: Dataset, from: number, count: number) => ({
    input: imagesTensor(ds, from, count, ref),
  });
  const calib = Array.from({ length: 8 }, (_, b) => batch(train, b * 32, 32)); // 256 train digits
  const evals = Array.from({ length: 5 }, (_, b) => batch(test, b * 100, 100)); // 500 test digits
  const accuracy = (q: Graph) => {
    let correct = 0;
    evals.forEach((s, b) => {
      const y = runFloat(q, s).output.data as Float32Array;
      for (let i = 0; i < 100; i++) {
        let best = 0;
        for (let c = 1; c < 10; c++) if (y[i * 10 + c] > y[i * 10 + best]) best = c;
        if (best === test.labels[b * 100 + i]) correct++;
      }
    });
    return correct / 500;
  };
  const opts = { iterations: 300, batchSize: 256, rows: 2048, lr: 0.02, seed: 0, activations: {} };
  const measured: string[] = [];
  for (const bits of [4, 3]) {
    const r = await adaround(g, calib, { ...opts, bits });
    equal(r.layers.length, 3);
    const near = await quantizeStatic(g, calib, { weights: { bits } });
    const ada = await quantizeStatic(g, calib, { weights: { bits }, nodes: r.overrides });
    if (bits === 4) {
      // Independent per-layer check on every output position of the 256 calibration digits:
      // the layer's output (after its Relu; the fc logits) in each QDQ graph vs the float graph.
      for (const l of r.layers) {
        ok(l.mseAdaRound <= l.mseNearest, `${l.node}: report ${l.mseAdaRound} > ${l.mseNearest}`);
        // Raw layer outputs (bn1, bn2: the folded convs; the fc logits), Relu applied here.
        const v = l.node === "fc" ? "output_prequant" : l.node.replace("conv", "bn");
        const fv = l.node === "fc" ? "output" : v;
        const act = (t: GraphTensor) =>
          (t.data as Float32Array).map((z) => (l.node === "fc" ? z : Math.max(0, z)));
        let en = 0, ea = 0;
        for (const s of calib) {
          const y = act(runFloat(g, s, { outputs: [fv] })[fv]);
          en += mseOf(act(runFloat(near, s, { outputs: [v] })[v]), y);
          ea += mseOf(act(runFloat(ada, s, { outputs: [v] })[v]), y);
        }
        ok(ea <= en, `${l.node}: AdaRound MSE ${ea / 8} > nearest ${en / 8}`);
        measured.push(`${l.node} mse ${(en / 8).toExponential(2)} → ${(ea / 8).toExponential(2)}`);
      }
    }
    const an = accuracy(near), aa = accuracy(ada);
    measured.push(`W${bits}A8 nearest ${an} adaround ${aa}`);
    ok(aa >= an, `W${bits}A8: AdaRound ${aa} < nearest ${an}`);
  }
  console.log(measured.join("; "));
});
