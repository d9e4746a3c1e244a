import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { costModel, partitionedCost } from "./cost.ts";
import { CostError, PrecisionError } from "./errors.ts";
import { uniform } from "./precision.ts";
import { parseTarget, type TargetFile } from "./target.ts";
import { graph, node } from "./_test_util.ts";

const S = "test";
// 1 GMAC/s fp32, 4 GMAC/s int8; 2 KiB SRAM at 10 GB/s for activations; DRAM at 1 GB/s.
const toyFile: TargetFile = {
  name: "toy",
  description: "two-level toy",
  peak: {
    fp32: { value: 1, unit: "GMAC/s", source: S },
    int8: { value: 4, unit: "GMAC/s", source: S },
  },
  memory: [
    {
      name: "sram",
      kind: "sram",
      holds: ["activations"],
      size: { value: 2, unit: "KiB", source: S },
      bandwidth: { value: 10, unit: "GB/s", source: S },
    },
    {
      name: "dram",
      kind: "dram",
      holds: ["weights", "activations"],
      bandwidth: { value: 1, unit: "GB/s", source: S },
    },
  ],
};
const toy = parseTarget(toyFile);

// x [1, 256] → fc1 (Gemm 256→64, bias) → h [1, 64] → relu → y
const twoLayer = () =>
  graph(
    ["x", [1, 256]],
    [
      node("fc1", "Gemm", ["x", "w", "c"], ["h"], { transB: 1 }),
      node("relu", "Relu", ["h"], ["y"]),
    ],
    ["y"],
    { w: [64, 256], c: [64] },
  );

const close = (a: number, b: number, rel = 1e-12) =>
  ok(Math.abs(a - b) <= rel * Math.abs(b), `${a} ≉ ${b}`);

Deno.test("two-layer roofline at fp32, by hand", () => {
  const c = costModel(twoLayer(), toy, uniform("fp32"));
  // weights 64·256·4 + 64·4 = 65 792 B in DRAM; arena max(x+h, h+y) = 1024+256 = 1280 B ≤ 2 KiB
  deepEqual(c.placement, { weights: "dram", activations: "sram", fits: true });
  equal(c.totals.weightBytes, 65792);
  equal(c.totals.peakArenaBytes, 1280);
  equal(c.totals.footprintBytes, 65792 + 1280);
  const [fc, relu] = c.layers;
  // fc1: compute (16384 MAC + 64 bias adds) / 1e9; DRAM 65792 B / 1e9; SRAM 1280 B / 1e10
  close(fc.computeSeconds, 16448e-9);
  close(fc.memorySeconds.dram, 65792e-9);
  close(fc.memorySeconds.sram, 1280e-10);
  equal(fc.bound, "dram");
  // relu: 64 ops / 1e9 = 64 ns against 512 B / 1e10 = 51.2 ns
  equal(relu.bound, "compute");
  close(c.totals.latencySeconds, 65792e-9 + 64e-9);
  equal(c.totals.bops, 16384 * 32 * 32);
  // energy (pJ): MAC 3.7+0.9, op 0.9 (FP32 add), DRAM 640/4 per byte, SRAM 10/8 per byte
  const e = 16384 * 4.6 + 64 * 0.9 + 65792 * 160 + 1280 * 1.25 + 64 * 0.9 + 512 * 1.25;
  close(c.totals.energyJoules, e * 1e-12);
  deepEqual(c.unmodelled, []);
});

Deno.test("two-layer roofline at int8 and with int4 weights, by hand", () => {
  const c = costModel(twoLayer(), toy, uniform("int8"));
  // weights 16384 B + int32 bias 256 B; compute (16384 + 64) / 4e9 = 4.112 µs < 16.64 µs DRAM
  equal(c.totals.weightBytes, 16640);
  equal(c.totals.peakArenaBytes, 256 + 64);
  close(c.layers[0].latencySeconds, 16640e-9);
  close(c.layers[1].latencySeconds, 64 / 4e9); // 16 ns > 128 B / 10 GB/s
  equal(c.totals.bops, 16384 * 64);
  const e = 16384 * 0.3 + 64 * 0.03 + 16640 * 160 + 320 * 1.25 + 64 * 0.03 + 128 * 1.25;
  close(c.totals.energyJoules, e * 1e-12);
  // fc1 at w4a8 runs on the int8 peak; 4-bit weights take 8192 B
  const m = costModel(twoLayer(), toy, {
    default: { weight: "int8", activation: "int8" },
    nodes: { fc1: { weight: "int4", activation: "int8" } },
  });
  equal(m.layers[0].computePrecision, "int8");
  equal(m.layers[0].weightBytes, 8192 + 256);
  equal(m.layers[0].bops, 16384 * 4 * 8);
  close(
    m.layers[0].energyJoules,
    (16384 * (0.2 * 32 / 64 + 0.1) + 64 * 0.03 + 8448 * 160 + 320 * 1.25) * 1e-12,
  );
});

Deno.test("placement: activations that do not fit the SRAM move out; fits is false when nothing fits", () => {
  const small = parseTarget({
    ...toyFile,
    memory: [
      { ...toyFile.memory[0], size: { value: 1, unit: "KiB", source: S } },
      toyFile.memory[1],
    ],
  });
  deepEqual(costModel(twoLayer(), small, uniform("fp32")).placement, {
    weights: "dram",
    activations: "dram",
    fits: true,
  });
  const tiny = parseTarget({
    ...toyFile,
    memory: [
      { ...toyFile.memory[0], size: { value: 1, unit: "KiB", source: S } },
      { ...toyFile.memory[1], holds: ["weights"] },
    ],
  });
  deepEqual(costModel(twoLayer(), tiny, uniform("fp32")).placement, {
    weights: "dram",
    activations: "sram",
    fits: false,
  });
});

Deno.test("process scaling, io link, unmodelled levels", () => {
  const t = parseTarget({
    ...toyFile,
    processNode: { value: 9, unit: "nm", source: S },
    memory: [
      toyFile.memory[0],
      { name: "flash", kind: "flash", holds: ["weights"] },
      {
        name: "usb",
        kind: "link",
        holds: ["io"],
        bandwidth: { value: 5, unit: "Gbit/s", source: S },
      },
    ],
  });
  const c = costModel(twoLayer(), t, uniform("int8"));
  // io: x 256 B + y 64 B over 625 MB/s
  equal(c.totals.ioBytes, 320);
  close(c.totals.ioSeconds, 320 / 625e6);
  deepEqual(c.unmodelled, ["flash (energy)", "flash (time)", "usb (energy)"]);
  // energy at 9 nm: logic and SRAM × 0.2; flash and link not counted
  const e = (16384 * 0.3 + 64 * 0.03 + 320 * 1.25 + 64 * 0.03 + 128 * 1.25) * 0.2;
  close(c.totals.energyJoules, e * 1e-12, 1e-9);
  // latency: fc1 compute-only (flash time unknown) 4.112 µs, relu 16 ns, + io
  close(c.totals.latencySeconds, 16448 / 4e9 + 64 / 4e9 + 320 / 625e6);
});

Deno.test("typed errors: missing precision names precision and target; unknown op names node", () => {
  throws(
    () => costModel(twoLayer(), toy, uniform("int4")),
    (e: unknown) =>
      e instanceof PrecisionError && e.precision === "int4" && e.target === "toy" &&
      /target toy has no int4 peak \(node fc1\)/.test(e.message),
  );
  const g = twoLayer();
  g.nodes.push(node("mystery", "NonMaxSuppression", ["y"], ["z"]));
  throws(
    () => costModel(g, toy, uniform("fp32")),
    (e: unknown) => e instanceof CostError && e.node === "mystery" && e.op === "NonMaxSuppression",
  );
});

Deno.test("op-class rates and node overhead (Eq. 1c), by hand", () => {
  const t = parseTarget({
    ...toyFile,
    opClassRate: {
      gemm: { fp32: { value: 0.5, unit: "Gop/s", source: S } },
      elementwise: { fp32: { value: 10, unit: "Mop/s", source: S } },
    },
    nodeOverhead: { value: 2, unit: "us", source: S },
  });
  const c = costModel(twoLayer(), t, uniform("fp32"));
  // fc1: (16384 + 64) / 0.5e9 = 32.896 µs < 65.792 µs DRAM → 65.792 + 2 µs
  close(c.layers[0].computeSeconds, 16448 / 0.5e9);
  close(c.layers[0].latencySeconds, 65792e-9 + 2e-6);
  // relu: 64 / 1e7 = 6.4 µs (compute-bound) + 2 µs
  close(c.layers[1].latencySeconds, 6.4e-6 + 2e-6);
  // int8 has no class rate: falls back to the 4 GMAC/s peak
  const q = costModel(twoLayer(), t, uniform("int8"));
  close(q.layers[1].computeSeconds, 64 / 4e9);
});

Deno.test("partitioned cost (Eq. 9): the first unsupported node and the rest run on the fallback", () => {
  const tpu = parseTarget({
    name: "tpu",
    description: "int8 accelerator",
    peak: { int8: { value: 4, unit: "GMAC/s", source: S } },
    supportedOps: { ops: ["Gemm"], source: S },
    memory: [
      {
        name: "sram",
        kind: "sram",
        holds: ["weights", "activations"],
        bandwidth: { value: 10, unit: "GB/s", source: S },
      },
      {
        name: "usb",
        kind: "link",
        holds: ["io"],
        bandwidth: { value: 1, unit: "GB/s", source: S },
      },
    ],
  });
  const cpu = parseTarget({
    name: "cpu",
    description: "fallback",
    peak: {
      int8: { value: 1, unit: "GMAC/s", source: S },
      fp32: { value: 1, unit: "GMAC/s", source: S },
    },
    memory: [toyFile.memory[1]],
  });
  const c = partitionedCost(twoLayer(), tpu, cpu, uniform("int8"));
  deepEqual(c.partition.accelerator, ["fc1"]);
  deepEqual(c.partition.fallback, ["relu"]);
  deepEqual(c.partition.firstUnsupported, {
    node: "relu",
    op: "Relu",
    reason: "op Relu not supported",
  });
  deepEqual(c.partition.crossing.sort(), ["h", "x"]);
  // tpu: fc1 compute (16384 + 64) / 4e9 = 4.112 µs > (16640 + 320) B / 10 GB/s; USB: x 256 B + h 64 B
  close(c.accelerator.totals.latencySeconds, 4.112e-6 + 320e-9);
  // cpu: relu 64 ops / 1e9 = 64 ns < 128 B / 1 GB/s = 128 ns
  close(c.fallback?.totals.latencySeconds ?? 0, 128e-9);
  close(c.latencySeconds, 4.112e-6 + 320e-9 + 128e-9);
  // a precision the accelerator lacks also splits: relu at fp32
  const mixed = partitionedCost(
    twoLayer(),
    parseTarget({ ...tpu.file, supportedOps: { ops: ["Gemm", "Relu"], source: S } }),
    cpu,
    {
      default: { weight: "int8", activation: "int8" },
      nodes: { relu: { weight: "fp32", activation: "fp32" } },
    },
  );
  equal(mixed.partition.firstUnsupported?.reason, "no fp32 peak");
  // everything supported: no fallback part, the link carries input and output only
  const all = partitionedCost(
    twoLayer(),
    parseTarget({ ...tpu.file, supportedOps: { ops: ["Gemm", "Relu"], source: S } }),
    cpu,
    uniform("int8"),
  );
  equal(all.fallback, undefined);
  deepEqual(all.partition.crossing.sort(), ["x", "y"]);
});

Deno.test("software stack (Eq. 1d, 3c): efficiency per kernel kind, layer overhead, run power, by hand", () => {
  // conv 3×3 (1→4 on 6×6, pad 1), depthwise 3×3 (4 ch), pointwise 1×1 (4→8), then Gemm 288→10
  const g = graph(
    ["x", [1, 1, 6, 6]],
    [
      node("c", "Conv", ["x", "wc"], ["a"], { pads: [1, 1, 1, 1] }),
      node("d", "Conv", ["a", "wd"], ["b"], { pads: [1, 1, 1, 1], group: 4 }),
      node("p", "Conv", ["b", "wp"], ["e"]),
      node("f", "Flatten", ["e"], ["h"]),
      node("fc", "Gemm", ["h", "wf"], ["y"], { transB: 1 }),
    ],
    ["y"],
    { wc: [4, 1, 3, 3], wd: [4, 1, 3, 3], wp: [8, 4, 1, 1], wf: [10, 288] },
  );
  const file: TargetFile = {
    name: "mcu",
    description: "d",
    clock: { value: 100, unit: "MHz", source: S },
    peak: { int8: { value: 1, unit: "MAC/cycle/core", source: S } },
    memory: [{ name: "ram", kind: "sram", holds: ["weights", "activations"] }],
    stacks: {
      s: {
        description: "d",
        efficiency: {
          conv: { value: 0.5, unit: "fraction", source: S },
          depthwise: { value: 0.25, unit: "fraction", source: S },
          pointwise: { value: 0.8, unit: "fraction", source: S },
          gemm: { value: 0.1, unit: "fraction", source: S },
        },
        layerOverhead: { value: 1000, unit: "cycles", source: S },
        runPower: { value: 50, unit: "mW", source: S },
      },
    },
  };
  const t = parseTarget(file);
  const macs = { c: 36 * 4 * 9, d: 36 * 4 * 9, p: 36 * 8 * 4, fc: 288 * 10 };
  const peak = 100e6;
  const c = costModel(g, t, uniform("int8"), { stack: "s" });
  const at = (n: string) => c.layers.find((l) => l.node === n) as (typeof c.layers)[number];
  close(at("c").latencySeconds, macs.c / (peak * 0.5) + 10e-6);
  close(at("d").latencySeconds, macs.d / (peak * 0.25) + 10e-6);
  close(at("p").latencySeconds, macs.p / (peak * 0.8) + 10e-6);
  close(at("fc").latencySeconds, macs.fc / (peak * 0.1) + 10e-6);
  equal(at("f").latencySeconds, 0); // a view: no overhead
  equal(c.stack, "s");
  close(c.totals.energyJoules, 0.05 * c.totals.latencySeconds);
  // without the stack: peaks, no overhead
  const p0 = costModel(g, t, uniform("int8"));
  close(p0.totals.latencySeconds, (macs.c + macs.d + macs.p + macs.fc) / peak);
  throws(
    () => costModel(g, t, uniform("int8"), { stack: "cmsis" }),
    (e: unknown) =>
      e instanceof RangeError &&
      /options\.stack: target mcu has no stack "cmsis"; it has s/.test(e.message),
  );
});

Deno.test("fused activations: a sole-reader Relu after a listed producer at a listed format costs nothing; otherwise priced", () => {
  const fusing = parseTarget({
    ...toyFile,
    fusedActivations: { precisions: ["int8"], ops: ["Relu"], producers: ["Gemm"], source: S },
  });
  const plain = costModel(twoLayer(), toy, uniform("int8"));
  const fused = costModel(twoLayer(), fusing, uniform("int8"));
  const relu = fused.layers[1];
  const priced = (l: typeof relu) => ok(l.bound !== "fused" && l.latencySeconds > 0, l.bound);
  equal(relu.bound, "fused");
  equal(relu.fusedInto, "fc1");
  equal(relu.latencySeconds, 0);
  equal(relu.energyJoules, 0);
  equal(relu.inputBytes + relu.outputBytes + relu.weightBytes, 0);
  deepEqual(fused.layers[0], plain.layers[0]); // the producer is priced as before
  close(
    fused.totals.latencySeconds,
    plain.totals.latencySeconds - plain.layers[1].latencySeconds,
  );
  // a runtime that still dispatches the fused node: the file's seconds, no energy
  const dispatched = costModel(
    twoLayer(),
    parseTarget({
      ...toyFile,
      fusedActivations: {
        precisions: ["int8"],
        ops: ["Relu"],
        producers: ["Gemm"],
        source: S,
        seconds: { value: 2, unit: "us", source: S },
      },
    }),
    uniform("int8"),
  );
  equal(dispatched.layers[1].bound, "fused");
  equal(dispatched.layers[1].latencySeconds, 2e-6);
  equal(dispatched.layers[1].energyJoules, 0);
  close(dispatched.totals.latencySeconds, fused.totals.latencySeconds + 2e-6);
  // not at fp32 (not listed), not when fc1 runs at another format than the Relu
  priced(costModel(twoLayer(), fusing, uniform("fp32")).layers[1]);
  const mixed = costModel(twoLayer(), fusing, {
    default: { weight: "int8", activation: "int8" },
    nodes: { fc1: { weight: "fp32", activation: "fp32" } },
  });
  priced(mixed.layers[1]);
  // not when the producer's output has a second reader, nor when it is a graph output
  const twoReaders = graph(
    ["x", [1, 256]],
    [
      node("fc1", "Gemm", ["x", "w", "c"], ["h"], { transB: 1 }),
      node("relu", "Relu", ["h"], ["y"]),
      node("add", "Add", ["h", "y"], ["z"]),
    ],
    ["z"],
    { w: [64, 256], c: [64] },
  );
  priced(costModel(twoReaders, fusing, uniform("int8")).layers[1]);
  const exposed = graph(
    ["x", [1, 256]],
    [
      node("fc1", "Gemm", ["x", "w", "c"], ["h"], { transB: 1 }),
      node("relu", "Relu", ["h"], ["y"]),
    ],
    ["y", "h"],
    { w: [64, 256], c: [64] },
  );
  priced(costModel(exposed, fusing, uniform("int8")).layers[1]);
  // a producer not in the list
  const afterAdd = graph(
    ["x", [1, 64]],
    [node("add", "Add", ["x", "x"], ["h"]), node("relu", "Relu", ["h"], ["y"])],
    ["y"],
    {},
  );
  priced(costModel(afterAdd, fusing, uniform("int8")).layers[1]);
});
