/**
 * The `lowbit` command line: `inspect`, `quantize` and `compare` ONNX models. Run it as
 * `deno task lowbit <command> ...`; `lowbit <command> --help` prints each command's options.
 *
 * Nothing is written to an output path unless the whole command succeeded: the model is
 * written to a temporary file beside it and renamed at the end.
 *
 * @example Run a command in-process and read its exit code
 * ```ts
 * import { main } from "@lowbit/cli/main";
 * import { equal } from "node:assert/strict";
 * equal(await main(["--help"], { log: () => {} }), 0);
 * equal(await main(["frobnicate"], { log: () => {}, error: () => {} }), 2);
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { dirname, join } from "node:path";
import type { Graph } from "@lowbit/graph/ir";
import { inferShapes } from "@lowbit/graph/executor";
import { optimize } from "@lowbit/graph/passes/optimize";
import { exportOnnx } from "@lowbit/onnx/export";
import { importOnnx } from "@lowbit/onnx/import";
import { upgradeOpset } from "@lowbit/onnx/upgrade";
import { toQOperator } from "@lowbit/onnx/qoperator";
import {
  type BiasCorrection,
  correctBias,
  equalizeCrossLayer,
  formatPtqDebugReport,
  ptqDebugReport,
  quantizeDynamic,
  quantizeStatic,
  type QuantizeStaticOptions,
} from "@lowbit/ptq";
import { graphAgreement } from "@lowbit/runtime/graph-agreement";
import { formatReport, inspectGraph } from "./inspect.ts";
import { loadSamples, type Sample } from "./inputs.ts";
import { progress } from "./progress.ts";

/** Where the command writes (injectable for tests). */
export interface MainIo {
  /** Standard output lines. */
  log?: (line: string) => void;
  /** Standard error lines. */
  error?: (line: string) => void;
  /** Draw progress bars (default: stderr is a terminal). */
  progress?: boolean;
}

/** A user error in the command line; the message names the option. */
export class UsageError extends Error {
  /**
   * Creates the error.
   *
   * @param message What is wrong.
   */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

const HELP: Record<string, string> = {
  "": `lowbit — quantize ONNX models natively in TypeScript

usage: lowbit <command> [options]

commands:
  inspect   <model.onnx>                      ops, parameters, sizes, per-layer weight ranges
  quantize  <in.onnx> <out.onnx> --calib ...  static (or --dynamic) int8/int4 quantization
  compare   <float.onnx> <quant.onnx> --inputs ...  float vs simulated vs integer: SQNR, LSB, top-1
  debug     <model.onnx> --calib ...            the white paper's PTQ debugging flow: which
                                              layers' weights or activations limit the output

Run lowbit <command> --help for a command's options.`,
  inspect: `usage: lowbit inspect <model.onnx> [--shape name=d0,d1,...]

Prints the graph's inputs/outputs, op counts, parameter count and bytes, and for each
Conv/Gemm/MatMul its weight range and max/min per-channel range ratio.

  --shape name=dims   concrete shape for an input with dynamic dimensions (repeatable)`,
  quantize:
    `usage: lowbit quantize <in.onnx> <out.onnx> --calib <folder|file.npy|file.bin> [options]

  --calib PATH          calibration inputs: a folder of .jpg/.png, a float32 .npy [N, ...] or .bin
  --samples N           at most N calibration samples (default 64)
  --shape name=dims     concrete input shape (needed for dynamic dimensions; images are resized to it)
  --mean a,b,c          image mean after scaling to [0, 1] (default 0,0,0)
  --std a,b,c           image std (default 1,1,1)
  --bgr                 feed images as BGR (PaddleOCR models)
  --per-channel         per-output-channel weight scales (default)
  --per-tensor          one weight scale per tensor
  --weights int8|int4   weight codes (default int8; int4 exports at opset 21)
  --activations uint8|int8   activation codes (default uint8)
  --observer NAME       minmax | moving-average | percentile | entropy | mse | histogram (default minmax)
  --percentile P        percentile of the percentile observer (default 99.99)
  --exclude OPS         op types to keep in float, comma-separated (e.g. Softmax,LayerNormalization)
  --float NODES         node names to keep in float, comma-separated (their outputs are still
                        quantized where a quantized node reads them, as onnxruntime does)
  --float-outputs NODES   node names to keep in float with their outputs: no grid on those
                        values, their readers compute in float on them
  --equalize            cross-layer equalization first (DFQ / white paper §4.1): rescale the
                        channels of consecutive Conv/Gemm pairs joined by ReLU-like ops so their
                        weight ranges meet (the written model carries the rescaled weights)
  --bias-correction     after calibrating, move each Conv/Gemm int32 bias so its per-channel
                        output mean on the calibration samples matches float (empirical bias
                        correction, DFQ / white paper §4.2; depthwise-heavy models gain most)
  --dynamic             dynamic quantization (weights, and activations per input; no --calib)
  --format qdq|qoperator   QuantizeLinear/DequantizeLinear pairs (default) or onnxruntime's
                        QLinearConv/QLinearMatMul/QLinearAdd/… nodes where they exist
  --opset N             upgrade the model to opset N first (default: the lowest that the
                        weights need: 13 for per-channel, 21 for int4, 10 otherwise; 14 and
                        later also fuse hard-swish chains into HardSwish)`,
  compare:
    `usage: lowbit compare <float.onnx> <quant.onnx> --inputs <folder|file.npy|file.bin> [options]

Runs the float model, the quantized (QDQ) model as simulated quantization and the quantized
model on lowbit's integer runtime on the same inputs, and prints, for every value both models
compute: how the integer runtime ran its op (int or float), its SQNR against float (dB;
simulated and integer), and for quantized values the largest code difference between integer
and simulated; then the top-1 agreement of each output over its last axis.

  --inputs PATH   inputs as for quantize --calib
  --samples N     at most N samples (default 32)
  --fixed         integer runtime with fixed-point requantization (default: float32
                  multipliers, as onnxruntime)
  --shape, --mean, --std, --bgr   as for quantize`,
  debug: `usage: lowbit debug <model.onnx> --calib <folder|file.npy|file.bin> [options]

The white paper's PTQ debugging flow (Nagel et al. 2021, Fig. 8) on the calibration inputs:
output SQNR against float of the whole model quantized, of its weights alone and of its
activations alone; then every Conv/Gemm/MatMul layer quantized alone (weights and output
activation, weights only, activation only), most harmful first; and, for the layers that limit
the output, the fixes tried (per-channel weights, 8-bit weights, CLE, other observers, keeping
the layer in float) with what each gains on the whole model.

  --calib PATH          inputs as for quantize --calib (calibration and SQNR samples)
  --samples N           at most N samples (default 8)
  --bits N              weight bits of the baseline, 2..8 (default 8)
  --per-channel         per-channel weights as the baseline (default per-tensor, the flow's start)
  --observer NAME       activation observer of the baseline (as for quantize; default minmax)
  --layers NODES        analyse only these Conv/Gemm/MatMul nodes, comma-separated
  --opset N             upgrade the model to opset N first (default 13)
  --shape, --mean, --std, --bgr   as for quantize`,
};

function parseShapes(values: readonly string[] | undefined): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const v of values ?? []) {
    const m = /^([^=]+)=([0-9,]+)$/.exec(v);
    if (!m) {
      throw new UsageError(`--shape must look like name=1,3,224,224, got ${JSON.stringify(v)}`);
    }
    out[m[1]] = m[2].split(",").map(Number);
  }
  return out;
}

function parseTriple(
  v: string | undefined,
  name: string,
  fallback: number,
): [number, number, number] {
  if (v === undefined) return [fallback, fallback, fallback];
  const parts = v.split(",").map(Number);
  if (parts.length === 1 && Number.isFinite(parts[0])) return [parts[0], parts[0], parts[0]];
  if (parts.length !== 3 || !parts.every(Number.isFinite)) {
    throw new UsageError(
      `${name} must be one number or three comma-separated numbers, got ${JSON.stringify(v)}`,
    );
  }
  return parts as [number, number, number];
}

function parseCount(v: string | undefined, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    throw new UsageError(`${name} must be a positive integer, got ${JSON.stringify(v)}`);
  }
  return n;
}

function oneOf<T extends string>(
  v: string | undefined,
  name: string,
  allowed: readonly T[],
  fallback: T,
): T {
  if (v === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(v)) {
    throw new UsageError(`${name} must be one of ${allowed.join(", ")}, got ${JSON.stringify(v)}`);
  }
  return v as T;
}

async function readModel(path: string | undefined, what: string): Promise<Graph> {
  if (path === undefined) throw new UsageError(`missing ${what}`);
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch {
    throw new UsageError(`${what} ${path}: cannot read the file`);
  }
  return importOnnx(bytes);
}

/** Reads a model, upgrades it to at least `opset` and runs the graph optimisations. */
async function readOptimized(
  path: string | undefined,
  what: string,
  opset: number,
): Promise<Graph> {
  const graph = await readModel(path, what);
  return optimize(graph.opset < opset ? upgradeOpset(graph, opset) : graph);
}

/** Writes bytes to `path` atomically: a temporary file beside it, renamed when complete. */
async function writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `.${crypto.randomUUID()}.lowbit-tmp`);
  try {
    await Deno.writeFile(tmp, bytes);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

async function samplesFor(
  graph: Graph,
  path: string | undefined,
  flag: string,
  values: Record<string, string | boolean | string[] | undefined>,
  fallbackCount: number,
): Promise<{ samples: Sample[]; graph: Graph }> {
  if (path === undefined) throw new UsageError(`${flag} is required`);
  if (graph.inputs.length !== 1) {
    throw new UsageError(
      `${flag} feeds models with one input; this one has ${graph.inputs.length} (${
        graph.inputs.map((v) => v.name)
      })`,
    );
  }
  const shapes = parseShapes(values.shape as string[] | undefined);
  const input = graph.inputs[0];
  const shape = shapes[input.name] ??
    (input.shape.every((d) => typeof d === "number" && d > 0)
      ? input.shape as number[]
      : undefined);
  if (shape === undefined) {
    throw new UsageError(
      `input ${input.name} has dynamic dimensions [${input.shape}]; give --shape ${input.name}=1,3,H,W`,
    );
  }
  const samples = await loadSamples(path, {
    name: input.name,
    shape,
    mean: parseTriple(values.mean as string | undefined, "--mean", 0),
    std: parseTriple(values.std as string | undefined, "--std", 1),
    channels: values.bgr ? "bgr" : "rgb",
    limit: parseCount(values.samples as string | undefined, "--samples", fallbackCount),
  });
  return { samples, graph: inferShapes(graph, { [input.name]: shape }) };
}

/** The activation observers `--observer` accepts (quantize, debug). */
const OBSERVERS = [
  "minmax",
  "moving-average",
  "percentile",
  "entropy",
  "mse",
  "histogram",
] as const;

const COMMON = {
  help: { type: "boolean" },
  shape: { type: "string", multiple: true },
  mean: { type: "string" },
  std: { type: "string" },
  bgr: { type: "boolean" },
  samples: { type: "string" },
} as const;

async function inspect(args: string[], log: (s: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: COMMON,
    allowPositionals: true,
    strict: true,
  });
  if (values.help) return log(HELP.inspect), 0;
  if (positionals.length !== 1) throw new UsageError("inspect takes one model path");
  let graph = optimize(await readModel(positionals[0], "model"));
  const shapes = parseShapes(values.shape);
  if (Object.keys(shapes).length > 0) graph = inferShapes(graph, shapes);
  log(formatReport(inspectGraph(graph)));
  return 0;
}

async function quantize(args: string[], io: Required<MainIo>): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      ...COMMON,
      calib: { type: "string" },
      "per-channel": { type: "boolean" },
      "per-tensor": { type: "boolean" },
      weights: { type: "string" },
      activations: { type: "string" },
      observer: { type: "string" },
      percentile: { type: "string" },
      exclude: { type: "string" },
      float: { type: "string" },
      "float-outputs": { type: "string" },
      "bias-correction": { type: "boolean" },
      equalize: { type: "boolean" },
      dynamic: { type: "boolean" },
      opset: { type: "string" },
      format: { type: "string" },
    },
  });
  if (values.help) return io.log(HELP.quantize), 0;
  if (positionals.length !== 2) throw new UsageError("quantize takes <in.onnx> <out.onnx>");
  const [inPath, outPath] = positionals;
  if (values["per-channel"] && values["per-tensor"]) {
    throw new UsageError("--per-channel and --per-tensor exclude each other");
  }
  const weights = oneOf(values.weights, "--weights", ["int8", "int4"] as const, "int8");
  const format = oneOf(values.format, "--format", ["qdq", "qoperator"] as const, "qdq");
  const granularity = values["per-tensor"] ? "per-tensor" : "per-channel";
  // DequantizeLinear exists from opset 10, its axis (per-channel) from 13, int4 from 21; older
  // models are upgraded first (onnxruntime's quantizer writes invalid files here instead).
  const needOpset = weights === "int4" ? 21 : granularity === "per-channel" ? 13 : 10;
  const wanted = values.opset === undefined ? needOpset : parseCount(values.opset, "--opset", 13);
  if (wanted < needOpset) {
    throw new UsageError(
      `--opset ${wanted} is too old for ${weights} ${granularity} weights (needs ${needOpset})`,
    );
  }
  const read = await readOptimized(inPath, "input model", wanted);
  const equalized = values.equalize ? equalizeCrossLayer(read) : undefined;
  const graph = equalized?.graph ?? read;
  let quantized: Graph;
  let corrected: BiasCorrection[] | undefined;
  if (values.dynamic) {
    if (values.calib !== undefined) throw new UsageError("--dynamic takes no --calib");
    if (values["bias-correction"]) {
      throw new UsageError("--bias-correction needs calibration data: not with --dynamic");
    }
    quantized = quantizeDynamic(graph, { weights: { dtype: weights, granularity } });
  } else {
    const { samples, graph: shaped } = await samplesFor(graph, values.calib, "--calib", values, 64);
    const bar = progress("calibrating", samples.length, { enabled: io.progress });
    const options: QuantizeStaticOptions = {
      weights: { dtype: weights, granularity },
      activations: {
        dtype: oneOf(values.activations, "--activations", ["uint8", "int8"] as const, "uint8"),
        observer: oneOf(
          values.observer,
          "--observer",
          OBSERVERS,
          "minmax",
        ),
        percentile: values.percentile === undefined ? undefined : Number(values.percentile),
      },
      excludeOpTypes: values.exclude?.split(",").filter((s) => s),
      nodes: Object.fromEntries([
        ...(values.float?.split(",").filter((s) => s) ?? []).map((n) => [n, { float: true }]),
        ...(values["float-outputs"]?.split(",").filter((s) => s) ?? []).map((n) => [
          n,
          { float: true, floatOutputs: true },
        ]),
      ]),
      onProgress: () => bar.tick(),
    };
    try {
      quantized = await quantizeStatic(shaped, samples, options);
    } finally {
      bar.stop();
    }
    if (values["bias-correction"]) {
      const layers = progress("bias correction", undefined, { enabled: io.progress });
      try {
        const r = correctBias(shaped, quantized, samples, {
          onProgress: (_node, _done, total) => layers.tick(total),
        });
        quantized = r.graph;
        corrected = r.corrections;
      } finally {
        layers.stop();
      }
    }
  }
  const bytes = exportOnnx(format === "qoperator" ? toQOperator(quantized) : quantized);
  await writeAtomically(outPath, bytes);
  if (equalized !== undefined) {
    io.log(`equalization: ${equalized.pairs.length} layer pairs rescaled`);
  }
  if (corrected !== undefined) {
    const worst = corrected.reduce((m, c) => Math.max(m, c.maxShift), 0);
    io.log(
      `bias correction: ${corrected.length} layers, largest per-channel mean shift ${
        worst.toPrecision(3)
      } before (at most half a bias step after)`,
    );
  }
  io.log(
    `wrote ${outPath} (${
      format === "qoperator" ? "QOperator" : "QDQ"
    }, ${weights} ${granularity} weights, opset ${graph.opset}, ${
      (bytes.length / 1024).toFixed(1)
    } KiB)`,
  );
  return 0;
}

async function compare(args: string[], io: Required<MainIo>): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: { ...COMMON, inputs: { type: "string" }, fixed: { type: "boolean" } },
  });
  if (values.help) return io.log(HELP.compare), 0;
  if (positionals.length !== 2) throw new UsageError("compare takes <float.onnx> <quant.onnx>");
  const floatGraph = optimize(await readModel(positionals[0], "float model"));
  const quantGraph = await readModel(positionals[1], "quantized model");
  const { samples } = await samplesFor(floatGraph, values.inputs, "--inputs", values, 32);
  const bar = progress("comparing", samples.length, { enabled: io.progress });
  const report = await graphAgreement(floatGraph, quantGraph, samples, {
    mode: values.fixed ? "fixed" : "float",
    onProgress: () => bar.tick(),
  });
  bar.stop();
  io.log(
    "value".padEnd(40) + "op".padEnd(20) + "path".padEnd(7) + "SQNR sim".padStart(10) +
      "SQNR int".padStart(10) + "max LSB".padStart(9),
  );
  const db = (v: number) => (v === Infinity ? "inf" : v.toFixed(1)).padStart(10);
  for (const r of report.values) {
    io.log(
      r.name.slice(0, 39).padEnd(40) + r.op.slice(0, 19).padEnd(20) +
        (r.path === "integer" ? "int" : "float").padEnd(7) + db(r.sqnrSimDb) +
        db(r.sqnrIntegerDb) + (r.maxLsb === undefined ? "-" : String(r.maxLsb)).padStart(9),
    );
  }
  io.log(`nodes on integers: ${report.nodes.integer}, in float: ${report.nodes.float}`);
  for (const o of report.outputs) {
    io.log(
      `output ${o.name}: top-1 agreement ${(100 * o.top1IntegerVsFloat).toFixed(2)}% integer, ` +
        `${(100 * o.top1SimVsFloat).toFixed(2)}% simulated, vs float (${o.rows} rows)`,
    );
  }
  return 0;
}

async function debug(args: string[], io: Required<MainIo>): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      ...COMMON,
      calib: { type: "string" },
      bits: { type: "string" },
      "per-channel": { type: "boolean" },
      observer: { type: "string" },
      layers: { type: "string" },
      opset: { type: "string" },
    },
  });
  if (values.help) return io.log(HELP.debug), 0;
  if (positionals.length !== 1) throw new UsageError("debug takes <model.onnx>");
  const bits = values.bits === undefined ? 8 : parseCount(values.bits, "--bits", 8);
  if (bits < 2 || bits > 8) throw new UsageError(`--bits must be in 2..8, got ${bits}`);
  const opset = values.opset === undefined ? 13 : parseCount(values.opset, "--opset", 13);
  const graph = await readOptimized(positionals[0], "model", opset);
  const { samples, graph: shaped } = await samplesFor(graph, values.calib, "--calib", values, 8);
  const layers = values.layers?.split(",").filter((s) => s);
  for (const l of layers ?? []) {
    if (!shaped.nodes.some((n) => n.name === l)) {
      throw new UsageError(`--layers: no node named ${JSON.stringify(l)} in the model`);
    }
  }
  let steps = 0;
  const report = await ptqDebugReport(shaped, samples, {
    bits,
    granularity: values["per-channel"] ? "per-channel" : "per-tensor",
    observer: oneOf(
      values.observer,
      "--observer",
      OBSERVERS,
      "minmax",
    ),
    ...(layers ? { layers } : {}),
    onProgress: (step) => {
      steps++;
      if (io.progress) io.error(`[${steps}] ${step}`);
    },
  });
  io.log(formatPtqDebugReport(report));
  return 0;
}

/**
 * Runs the CLI.
 *
 * @param args Command-line arguments (without the program name).
 * @param io Output sinks and progress setting.
 * @returns The exit code: 0 success, 1 failure of the work, 2 a usage error.
 */
export async function main(args: readonly string[], io: MainIo = {}): Promise<number> {
  const full: Required<MainIo> = {
    log: io.log ?? ((s) => console.log(s)),
    error: io.error ?? ((s) => console.error(s)),
    progress: io.progress ?? Deno.stderr.isTerminal(),
  };
  const [command, ...rest] = args;
  try {
    if (command === undefined || command === "--help" || command === "-h" || command === "help") {
      full.log(HELP[""]);
      return command === undefined ? 2 : 0;
    }
    if (command === "inspect") return await inspect(rest, full.log);
    if (command === "quantize") return await quantize(rest, full);
    if (command === "compare") return await compare(rest, full);
    if (command === "debug") return await debug(rest, full);
    throw new UsageError(`unknown command ${JSON.stringify(command)}; try lowbit --help`);
  } catch (e) {
    const usage = e instanceof UsageError ||
      (e instanceof TypeError && (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS"));
    full.error(`lowbit ${command ?? ""}: ${e instanceof Error ? e.message : String(e)}`);
    return usage ? 2 : 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
