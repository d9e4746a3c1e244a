import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { runFloat } from "@lowbit/graph/executor";
import { GraphError, UnsupportedOpError } from "@lowbit/graph/errors";
import type { Graph, GraphTensor, Node } from "@lowbit/graph/ir";
import { compileQuantized } from "./qdq_run.ts";
import { node, param, toQdq, uniform } from "./_qdq_test_util.ts";

function graph(nodes: Node[], init: Record<string, GraphTensor>, x: number[], y: string): Graph {
  return {
    name: "t",
    opset: 13,
    values: new Map(),
    initializers: new Map(Object.entries(init)),
    inputs: [{ name: "x", dtype: "float32", shape: x }],
    outputs: [{ name: y, dtype: "float32", shape: [] }],
    nodes,
  };
}

/** A MobileNetV3-like block: conv, relu, depthwise, hard-swish, squeeze-excitation, residual. */
function cnn(): Graph {
  return graph(
    [
      node("c1", "Conv", ["x", "w1", "b1"], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
      node("r1", "Relu", ["c1"]),
      node("mp", "MaxPool", ["r1"], { kernel_shape: [2, 2], strides: [2, 2] }),
      node("dw", "Conv", ["mp", "w2", "b2"], {
        kernel_shape: [3, 3],
        pads: [1, 1, 1, 1],
        group: 8,
      }),
      node("hs", "HardSwish", ["dw"]),
      node("gap", "GlobalAveragePool", ["hs"]),
      node("se", "Conv", ["gap", "w3", "b3"], { kernel_shape: [1, 1] }),
      node("hsig", "HardSigmoid", ["se"], { alpha: 1 / 6, beta: 0.5 }),
      node("gate", "Mul", ["hs", "hsig"]),
      node("res", "Add", ["gate", "mp"]),
      node("p3", "Add", ["res", "three"]),
      node("d6", "Div", ["p3", "six"]),
      node("cat", "Concat", ["d6", "res"], { axis: 1 }),
      node("ap", "AveragePool", ["cat"], { kernel_shape: [2, 2], strides: [2, 2] }),
      node("fl", "Flatten", ["ap"], { axis: 1 }),
      node("fc", "Gemm", ["fl", "w4", "b4"], { transB: 1 }),
      node("sig", "Sigmoid", ["fc"]),
    ],
    {
      w1: param([8, 3, 3, 3], 1),
      b1: param([8], 2, 0.1),
      w2: param([8, 1, 3, 3], 3),
      b2: param([8], 4, 0.1),
      w3: param([8, 8, 1, 1], 5),
      b3: param([8], 6, 0.1),
      three: { dtype: "float32", shape: [], data: Float32Array.of(3) },
      six: { dtype: "float32", shape: [], data: Float32Array.of(6) },
      w4: param([5, 64], 7, 0.2),
      b4: param([5], 8, 0.1),
    },
    [1, 3, 8, 8],
    "sig",
  );
}

const CNN_PLAN = {
  weights: [["c1", 1, 0], ["dw", 1, 0], ["se", 1, 0], ["fc", 1, 0]] as [string, number, number][],
  biases: [["c1", 2], ["dw", 2], ["se", 2], ["fc", 2]] as [string, number][],
};

const input = (seed: number, shape = [1, 3, 8, 8]) => ({
  x: { dtype: "float32" as const, shape, data: uniform(shape.reduce((a, b) => a * b, 1), seed) },
});

function codeNames(q: Graph): string[] {
  return q.nodes.filter((n) => n.op === "QuantizeLinear").map((n) => n.outputs[0]);
}

Deno.test("compileQuantized: every op of a MobileNet-style block runs on codes, within one code of the QDQ simulation", () => {
  const f = cnn();
  const q = toQdq(f, input(100), CNN_PLAN);
  const c = compileQuantized(q);
  const names = codeNames(q);
  let same = 0, total = 0;
  for (let s = 0; s < 8; s++) {
    const x = input(200 + s);
    const run = c.run(x, { codes: names });
    const sim = runFloat(q, x, { outputs: names });
    for (const n of names) {
      const a = run.codes[n].q, b = sim[n].data as Uint8Array;
      equal(a.length, b.length, n);
      for (let i = 0; i < a.length; i++) {
        ok(Math.abs(a[i] - b[i]) <= 1, `${n}[${i}]: integer ${a[i]} vs simulated ${b[i]}`);
        if (a[i] === b[i]) same++;
      }
      total += a.length;
    }
    const compute = run.trace.filter((t) =>
      t.op !== "QuantizeLinear" && t.op !== "DequantizeLinear"
    );
    deepEqual(compute.filter((t) => t.path !== "integer"), [], "every op lowered");
    equal(compute.length, f.nodes.length);
  }
  ok(same / total > 0.99, `identical codes ${same}/${total}`);
});

Deno.test("compileQuantized: runs reuse their code arrays, yet each run equals a fresh compile and earlier results stay as returned", () => {
  const q = toQdq(cnn(), input(100), CNN_PLAN);
  const names = codeNames(q);
  const c = compileQuantized(q);
  // outputs: the float graph output and one integer value (a QuantizeLinear's codes)
  const opts = { codes: names, outputs: ["sig", names[1]] };
  const snapshot = (r: ReturnType<typeof c.run>) => ({
    out: Object.fromEntries(
      Object.entries(r.outputs).map(([k, t]) => [k, Array.from(t.data as ArrayLike<number>)]),
    ),
    codes: Object.fromEntries(Object.entries(r.codes).map(([k, t]) => [k, Array.from(t.q)])),
  });
  const runs = [300, 301, 300, 302].map((s) => c.run(input(s), opts));
  const kept = runs.map(snapshot);
  // every run equals the same input on a graph compiled for it alone
  [300, 301, 300, 302].forEach((s, i) =>
    deepEqual(kept[i], snapshot(compileQuantized(q).run(input(s), opts)), `run ${i}`)
  );
  // the later runs did not write into what the earlier ones returned
  runs.forEach((r, i) => deepEqual(snapshot(r), kept[i], `run ${i} after the others`));
  ok(JSON.stringify(kept[0]) !== JSON.stringify(kept[1]), "different inputs give different codes");
});

Deno.test("compileQuantized: tables, layout ops, max pooling and equal-grid concat reproduce the simulation code for code", () => {
  const f = graph(
    [
      node("t", "Tanh", ["x"]),
      node("tr", "Transpose", ["t"], { perm: [0, 1, 3, 2] }),
      node("mp", "MaxPool", ["tr"], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }),
      node("lr", "LeakyRelu", ["mp"], { alpha: 0.1 }),
      node("sq", "Sub", ["lr", "c"]),
      node("rs", "Reshape", ["sq", "shape"]),
      node("e", "Exp", ["rs"]),
    ],
    {
      c: { dtype: "float32", shape: [1], data: Float32Array.of(0.25) },
      shape: { dtype: "int64", shape: [2], data: BigInt64Array.of(1n, -1n) },
    },
    [1, 2, 6, 6],
    "e",
  );
  const q = toQdq(f, input(1, [1, 2, 6, 6]), { weights: [] });
  const c = compileQuantized(q);
  const names = codeNames(q);
  for (let s = 0; s < 4; s++) {
    const x = input(10 + s, [1, 2, 6, 6]);
    x.x.data = x.x.data.map((v) => 3 * v);
    const run = c.run(x, { codes: names });
    const sim = runFloat(q, x, { outputs: names });
    for (const n of names) deepEqual([...run.codes[n].q], [...(sim[n].data as Uint8Array)], n);
    equal(run.trace.filter((t) => t.path === "float").length, 0);
  }
});

Deno.test("compileQuantized: GlobalAveragePool equals the closed form rne(Σ(q − Z_x)·S_x/(S_y·HW)) + Z_y", () => {
  const f = graph([node("g", "GlobalAveragePool", ["x"])], {}, [2, 3, 4, 4], "g");
  const q = toQdq(f, input(3, [2, 3, 4, 4]), { weights: [] });
  const x = input(4, [2, 3, 4, 4]);
  const run = compileQuantized(q).run(x, { codes: ["x/q", "g/q"] });
  const xq = run.codes["x/q"], yq = run.codes["g/q"];
  const sx = xq.scale[0], zx = xq.zeroPoint[0], sy = yq.scale[0], zy = yq.zeroPoint[0];
  for (let k = 0; k < 6; k++) {
    let sum = 0;
    for (let i = 0; i < 16; i++) sum += xq.q[k * 16 + i] - zx;
    const v = (sum * sx) / (sy * 16); // exact real quotient (float64)
    const fl = Math.floor(v), frac = v - fl;
    const rne = frac > 0.5 || (frac === 0.5 && fl % 2 !== 0) ? fl + 1 : fl;
    const want = Math.min(255, Math.max(0, rne + zy));
    // float32 multipliers may flip a rounding only next to a tie
    const nearTie = Math.abs(frac - 0.5) < 1e-4;
    ok(Math.abs(yq.q[k] - want) <= (nearTie ? 1 : 0), `channel ${k}: ${yq.q[k]} vs ${want}`);
  }
  deepEqual(yq.shape, [2, 3, 1, 1]);
});

Deno.test("compileQuantized: AveragePool with pads runs integer-only for count_include_pad 0 and 1 (closed form)", () => {
  for (const include of [0, 1]) {
    const attrs = {
      kernel_shape: [3, 3],
      strides: [2, 2],
      pads: [1, 1, 1, 1],
      count_include_pad: include,
    };
    const f = graph([node("a", "AveragePool", ["x"], attrs)], {}, [1, 2, 5, 6], "a");
    const q = toQdq(f, input(7, [1, 2, 5, 6]), { weights: [] });
    const run = compileQuantized(q).run(input(8, [1, 2, 5, 6]), { codes: ["x/q", "a/q"] });
    equal(run.trace.find((t) => t.node === "a")?.path, "integer");
    const xq = run.codes["x/q"], yq = run.codes["a/q"];
    const sx = xq.scale[0], zx = xq.zeroPoint[0], sy = yq.scale[0], zy = yq.zeroPoint[0];
    const [h, w, oh, ow] = [5, 6, 3, 3];
    deepEqual(yq.shape, [1, 2, oh, ow]);
    for (let c = 0; c < 2; c++) {
      for (let i = 0; i < oh; i++) {
        for (let j = 0; j < ow; j++) {
          let sum = 0, valid = 0;
          for (let a = 0; a < 3; a++) {
            for (let b = 0; b < 3; b++) {
              const r = 2 * i - 1 + a, col = 2 * j - 1 + b;
              if (r < 0 || r >= h || col < 0 || col >= w) continue;
              sum += xq.q[(c * h + r) * w + col] - zx;
              valid++;
            }
          }
          const v = (sum * sx) / (sy * (include ? 9 : valid));
          const fl = Math.floor(v), frac = v - fl;
          const rne = frac > 0.5 || (frac === 0.5 && fl % 2 !== 0) ? fl + 1 : fl;
          const want = Math.min(255, Math.max(0, rne + zy));
          const got = yq.q[(c * oh + i) * ow + j];
          ok(
            Math.abs(got - want) <= (Math.abs(frac - 0.5) < 1e-4 ? 1 : 0),
            `include ${include}: ${got} vs ${want}`,
          );
        }
      }
    }
  }
});

Deno.test("compileQuantized: fixed-point mode stays within one code of the float-multiplier mode on one layer", () => {
  const f = graph(
    [node("c", "Conv", ["x", "w", "b"], { kernel_shape: [3, 3], strides: [2, 2] })],
    { w: param([6, 3, 3, 3], 11), b: param([6], 12, 0.1) },
    [1, 3, 9, 9],
    "c",
  );
  const q = toQdq(f, input(5, [1, 3, 9, 9]), { weights: [["c", 1, 0]], biases: [["c", 2]] });
  const x = input(6, [1, 3, 9, 9]);
  const a = compileQuantized(q).run(x, { codes: ["c/q"] }).codes["c/q"].q;
  const b = compileQuantized(q, { mode: "fixed" }).run(x, { codes: ["c/q"] }).codes["c/q"].q;
  let same = 0;
  for (let i = 0; i < a.length; i++) {
    ok(Math.abs(a[i] - b[i]) <= 1, `${i}`);
    if (a[i] === b[i]) same++;
  }
  ok(same / a.length > 0.95, `${same}/${a.length} identical`);
});

Deno.test("compileQuantized: keepFloat nodes run in float and then equal the simulation exactly", () => {
  const f = cnn();
  const q = toQdq(f, input(100), CNN_PLAN);
  const x = input(300);
  const run = compileQuantized(q, { keepFloat: ["c1"] }).run(x, { codes: ["c1/q"] });
  equal(run.trace.find((t) => t.node === "c1")?.path, "float");
  equal(run.trace.find((t) => t.node === "dw")?.path, "integer");
  const sim = runFloat(q, x, { outputs: ["c1/q"] });
  deepEqual([...run.codes["c1/q"].q], [...(sim["c1/q"].data as Uint8Array)]);
});

Deno.test("compileQuantized: typed errors for an unknown op, a missing input, a bad mode", () => {
  const q = toQdq(cnn(), input(100), CNN_PLAN);
  throws(
    () => compileQuantized({ ...q, nodes: [...q.nodes, node("z", "Frobnicate", ["x"])] }),
    (e: unknown) =>
      e instanceof UnsupportedOpError && /unsupported op Frobnicate at node z/.test(e.message),
  );
  throws(
    () => compileQuantized(q).run({}),
    (e: unknown) => e instanceof GraphError && /value x/.test(e.message),
  );
  throws(
    () => compileQuantized(q).run({ x: { data: new Float32Array(10), shape: [1, 3, 8, 8] } }),
    /value x: input data holds 10 elements/,
  );
  throws(() => compileQuantized(q, { mode: "exact" as "float" }), /options\.mode/);
  throws(
    () => compileQuantized(q).run(input(1), { codes: ["x"] }),
    /value x: requested value has no codes/,
  );
});

Deno.test("compileQuantized: Conv, Gemm and MatMul with a float output accumulate on codes and scale once, as the simulation computes them", () => {
  const f = graph(
    [
      node("c", "Conv", ["x", "w", "b"], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
      node("fl", "Flatten", ["c"], { axis: 1 }),
      node("fc", "Gemm", ["fl", "w2", "b2"], { transB: 1 }),
      node("mm", "MatMul", ["fl", "w3"]),
    ],
    {
      w: param([4, 3, 3, 3], 21),
      b: param([4], 22, 0.1),
      w2: param([5, 64], 23),
      b2: param([5], 24, 0.1),
      w3: param([64, 6], 25),
    },
    [1, 3, 4, 4],
    "fc",
  );
  const x0 = input(26, [1, 3, 4, 4]);
  const q = toQdq(f, x0, {
    weights: [["c", 1, 0], ["fc", 1, 0], ["mm", 1, 1]],
    biases: [["c", 2], ["fc", 2]],
  });
  // The float outputs are the pre-quantization values themselves.
  const outs = ["c", "fc", "mm"];
  const g: Graph = { ...q, outputs: outs.map((name) => ({ name, dtype: "float32", shape: [] })) };
  const c = compileQuantized(g);
  for (let s = 0; s < 4; s++) {
    const x = input(30 + s, [1, 3, 4, 4]);
    const run = c.run(x);
    const sim = runFloat(g, x, { outputs: outs });
    for (const n of outs) {
      const a = run.outputs[n].data as Float32Array, b = sim[n].data as Float32Array;
      deepEqual(run.outputs[n].shape, sim[n].shape);
      let scale = 0;
      for (const v of b) scale = Math.max(scale, Math.abs(v));
      for (let i = 0; i < a.length; i++) ok(Math.abs(a[i] - b[i]) <= 1e-5 * scale, `${n}[${i}]`);
    }
    for (const n of ["c", "fc", "mm"]) {
      equal(run.trace.find((t) => t.node === n)?.path, "integer", n);
    }
  }
});

Deno.test("compileQuantized: DQ → HardSwish → Mul(a) → Add(b) → Q runs as one table, equal to the QDQ simulation on all 256 codes", () => {
  const f = (v: number): GraphTensor => ({ dtype: "float32", shape: [], data: Float32Array.of(v) });
  const u8 = (v: number): GraphTensor => ({ dtype: "uint8", shape: [], data: Uint8Array.of(v) });
  const g: Graph = {
    ...graph(
      [
        { name: "qx", op: "QuantizeLinear", inputs: ["x", "sx", "zx"], outputs: ["xq"], attrs: {} },
        {
          name: "dx",
          op: "DequantizeLinear",
          inputs: ["xq", "sx", "zx"],
          outputs: ["xd"],
          attrs: {},
        },
        node("hs", "HardSwish", ["xd"]),
        node("mul", "Mul", ["a", "hs"]),
        node("add", "Add", ["mul", "b"]),
        {
          name: "qy",
          op: "QuantizeLinear",
          inputs: ["add", "sy", "zy"],
          outputs: ["yq"],
          attrs: {},
        },
        {
          name: "dy",
          op: "DequantizeLinear",
          inputs: ["yq", "sy", "zy"],
          outputs: ["y"],
          attrs: {},
        },
      ],
      { sx: f(0.05), zx: u8(128), a: f(0.7), b: f(-0.3), sy: f(0.02), zy: u8(20) },
      [256],
      "y",
    ),
  };
  g.outputs = [{ name: "y", dtype: "float32", shape: [256] }];
  // one input per code: x = (k − 128)·0.05
  const x = {
    x: { data: Float32Array.from({ length: 256 }, (_, k) => (k - 128) * 0.05), shape: [256] },
  };
  const sim = runFloat(g, x).y.data as Float32Array;
  const run = compileQuantized(g).run(x);
  deepEqual(Array.from(run.outputs.y.data as Float32Array), Array.from(sim));
  for (const n of ["hs", "mul", "add"]) {
    equal(run.trace.find((t) => t.node === n)?.path, "integer", n);
  }
  // the outputs span many codes, so an off-by-one table would show
  ok(new Set(sim).size > 100);
  // a chain node kept in float breaks the chain: all three run in float, same numbers
  const kept = compileQuantized(g, { keepFloat: ["mul"] }).run(x);
  deepEqual(Array.from(kept.outputs.y.data as Float32Array), Array.from(sim));
  equal(kept.trace.find((t) => t.node === "hs")?.path, "float");
});

Deno.test("compileQuantized: timing reports each node's seconds, summing to no more than the run, and is absent unless asked", () => {
  const q = toQdq(cnn(), input(100), CNN_PLAN);
  const c = compileQuantized(q);
  const x = input(201);
  ok(c.run(x).trace.every((t) => t.seconds === undefined), "no timing by default");
  const t0 = performance.now();
  const run = c.run(x, { timing: true });
  const wall = (performance.now() - t0) / 1000;
  equal(run.trace.length, q.nodes.length);
  for (const t of run.trace) {
    ok(typeof t.seconds === "number" && t.seconds >= 0 && Number.isFinite(t.seconds), t.node);
  }
  const sum = run.trace.reduce((s, t) => s + (t.seconds as number), 0);
  ok(sum > 0 && sum <= wall, `Σ node seconds ${sum} vs run ${wall}`);
  // the timed run computes the same codes
  const names = codeNames(q);
  const a = c.run(x, { codes: names, timing: true }), b = c.run(x, { codes: names });
  for (const n of names) deepEqual(a.codes[n].q, b.codes[n].q, n);
});

Deno.test("lowerElementwiseChain: a Relu whose table is the identity shares its input codes; any other grid runs the table", async () => {
  const { lowerElementwiseChain } = await import("./qdq_lower.ts");
  const { QuantizedTensor } = await import("./quantized_tensor.ts");
  const relu = { name: "r", op: "Relu", inputs: ["x"], outputs: ["y"], attrs: {} };
  const ctx = { mode: "float" as const, opset: 17, tables: new Map() };
  const cases: { dtype: "uint8" | "int8"; zx: number; zy: number; shared: boolean }[] = [
    { dtype: "uint8", zx: 0, zy: 0, shared: true }, // floor at the zero point: max(q, 0) = q
    { dtype: "int8", zx: -128, zy: -128, shared: true },
    { dtype: "uint8", zx: 10, zy: 10, shared: false }, // codes below 10 are clamped
    { dtype: "int8", zx: 0, zy: 0, shared: false },
    { dtype: "uint8", zx: 0, zy: 3, shared: false }, // another output grid
  ];
  // every case twice, in turn (the node's last table is reused only for the same grids)
  for (const { dtype, zx, zy, shared } of [...cases, ...cases]) {
    const lo = dtype === "int8" ? -128 : 0;
    const all = Array.from({ length: 256 }, (_, i) => i + lo);
    const q = dtype === "int8" ? Int8Array.from(all) : Uint8Array.from(all);
    const x = new QuantizedTensor({ q, shape: [256], dtype, scale: 0.5, zeroPoint: zx });
    const y = lowerElementwiseChain(relu, [x], [], { dtype, scale: 0.5, zeroPoint: zy }, ctx)!;
    const label = `${dtype} Z_x ${zx} Z_y ${zy}`;
    equal(y.q === x.q, shared, label);
    // closed form on the same scale: Q(relu(x)) = clamp(max(q − Z_x, 0) + Z_y)
    for (let i = 0; i < 256; i++) {
      const want = Math.min(lo + 255, Math.max(0, all[i] - zx) + zy);
      equal(y.q[i], want, `${label}, code ${all[i]}`);
    }
  }
  // a Clip whose bound is changed in place between runs gets a new table
  const clip = { name: "c", op: "Clip", inputs: ["x", "", "hi"], outputs: ["y"], attrs: {} };
  const hi = { dtype: "float32" as const, shape: [], data: Float32Array.of(10) };
  const q = Uint8Array.from({ length: 256 }, (_, i) => i);
  const x = new QuantizedTensor({ q, shape: [256], dtype: "uint8", scale: 1, zeroPoint: 0 });
  const grid = { dtype: "uint8" as const, scale: 1, zeroPoint: 0 };
  for (const bound of [10, 10, 20, 20, 5]) {
    hi.data[0] = bound;
    const y = lowerElementwiseChain(clip, [x, undefined, hi], [], grid, ctx)!;
    equal(Math.max(...y.q), bound, `Clip max ${bound}`);
  }
});

Deno.test("Conv lowering on 1×1 images (squeeze-excitation, weights packed once): the same codes as qlinearConv for per-tensor and per-channel weights, int8 and uint8", async () => {
  const { LOWERINGS } = await import("./qdq_lower.ts");
  const { qlinearConv } = await import("./onnx_conv.ts");
  const { QuantizedTensor } = await import("./quantized_tensor.ts");
  const { Philox } = await import("@lowbit/rounding/philox");
  const r = new Philox(77, 1);
  const int = (lo: number, hi: number) => lo + (r.nextUint32() % (hi - lo + 1));
  const { PackedInt8 } = await import("@lowbit/kernels/pack-int8");
  const ctx = {
    mode: "float" as const,
    opset: 17,
    tables: new Map(),
    packed: new WeakMap<InstanceType<typeof QuantizedTensor>, InstanceType<typeof PackedInt8>>(),
  };
  for (let t = 0; t < 24; t++) {
    const n = int(1, 3), c = int(1, 70), o = int(1, 40);
    const signed = t % 2 === 1, perChannel = t % 4 >= 2;
    const xq = signed
      ? Int8Array.from({ length: n * c }, () => int(-128, 127))
      : Uint8Array.from({ length: n * c }, () => int(0, 255));
    const x = new QuantizedTensor({
      q: xq,
      shape: [n, c, 1, 1],
      dtype: signed ? "int8" : "uint8",
      scale: 0.02 + 0.01 * (t % 3),
      zeroPoint: signed ? int(-20, 20) : int(100, 150),
    });
    const w = new QuantizedTensor({
      q: Int8Array.from({ length: o * c }, () => int(-127, 127)),
      shape: [o, c, 1, 1],
      dtype: "int8",
      scale: perChannel ? Float32Array.from({ length: o }, (_, k) => 0.003 * (1 + k % 7)) : 0.004,
      ...(perChannel ? { axis: 0 } : {}),
    });
    const bias = Int32Array.from({ length: o }, () => int(-5000, 5000));
    const out = { scale: 0.05, zeroPoint: signed ? -3 : 9, dtype: x.dtype as "int8" | "uint8" };
    const node = { name: `se${t}`, op: "Conv", inputs: ["x", "w", "b"], outputs: ["y"], attrs: {} };
    // the int32 bias on the grid S_x·S_w[o], as a QDQ graph dequantizes it
    const biasT = new QuantizedTensor({
      q: bias,
      shape: [o],
      dtype: "int32",
      scale: Float32Array.from({ length: o }, (_, k) => x.scale[0] * w.scale[perChannel ? k : 0]),
      axis: 0,
    });
    const viaLowering = LOWERINGS.Conv(node, [x, w, biasT], out, ctx)!;
    const direct = qlinearConv(x, w, out, { bias });
    deepEqual(viaLowering.shape, [n, o, 1, 1]);
    deepEqual([...viaLowering.q], [...direct.q], `case ${t}: n ${n}, c ${c}, o ${o}`);
    ok(!ctx.packed.has(w), "the first run copies the weights in (they may be an activation)");
    // the second run with the same tensor packs it, the third reuses it: the same codes
    deepEqual([...LOWERINGS.Conv(node, [x, w, biasT], out, ctx)!.q], [...direct.q]);
    const packed = ctx.packed.get(w);
    ok(packed !== undefined, "the weights were packed and kept");
    deepEqual([...LOWERINGS.Conv(node, [x, w, biasT], out, ctx)!.q], [...direct.q]);
    ok(ctx.packed.get(w) === packed, "and reused");
  }
});

Deno.test("Gemm lowering packs constant weights from the second run on: the same codes as the unpacked kernel call, transB 0 and 1, per-tensor and per-column weights; an activation B is never packed", async () => {
  const { LOWERINGS } = await import("./qdq_lower.ts");
  const { QuantizedTensor } = await import("./quantized_tensor.ts");
  const { Philox } = await import("@lowbit/rounding/philox");
  const { PackedInt8 } = await import("@lowbit/kernels/pack-int8");
  const r = new Philox(78, 1);
  const int = (lo: number, hi: number) => lo + (r.nextUint32() % (hi - lo + 1));
  const packedCtx = {
    mode: "float" as const,
    opset: 17,
    tables: new Map(),
    packed: new WeakMap<InstanceType<typeof QuantizedTensor>, InstanceType<typeof PackedInt8>>(),
  };
  const plainCtx = { mode: "float" as const, opset: 17, tables: new Map() };
  for (let t = 0; t < 16; t++) {
    const m = int(1, 5), k = int(1, 90), n = int(1, 40);
    const transB = t % 2 === 1, perColumn = t % 4 >= 2;
    const a = new QuantizedTensor({
      q: Uint8Array.from({ length: m * k }, () => int(0, 255)),
      shape: [m, k],
      dtype: "uint8",
      scale: 0.03,
      zeroPoint: int(100, 150),
    });
    const b = new QuantizedTensor({
      q: Int8Array.from({ length: k * n }, () => int(-127, 127)),
      shape: transB ? [n, k] : [k, n],
      dtype: "int8",
      scale: perColumn ? Float32Array.from({ length: n }, (_, j) => 0.002 * (1 + j % 5)) : 0.003,
      ...(perColumn ? { axis: transB ? 0 : 1 } : {}),
    });
    const out = { scale: 0.07, zeroPoint: 11, dtype: "uint8" as const };
    const node: Node = {
      name: `fc${t}`,
      op: "Gemm",
      inputs: ["a", "b"],
      outputs: ["y"],
      attrs: transB ? { transB: 1 } : {},
    };
    const want = [...LOWERINGS.Gemm(node, [a, b], out, plainCtx)!.q];
    for (let run = 0; run < 3; run++) {
      deepEqual(
        [...LOWERINGS.Gemm(node, [a, b], out, packedCtx)!.q],
        want,
        `case ${t}, run ${run}`,
      );
      equal(packedCtx.packed.has(b), run >= 1, `case ${t}: packed after run ${run}`);
    }
    // a new B tensor each call (an activation): copied in every time, never packed
    const b2 = new QuantizedTensor({
      q: b.q.slice(),
      shape: b.shape,
      dtype: "int8",
      scale: b.scale,
      ...(perColumn ? { axis: b.axis } : {}),
    });
    deepEqual([...LOWERINGS.Gemm(node, [a, b2], out, packedCtx)!.q], want);
    ok(!packedCtx.packed.has(b2));
  }
});
