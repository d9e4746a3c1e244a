/**
 * Static post-training quantization into the ONNX QDQ form that onnxruntime's
 * `quantize_static` writes: each quantized activation value v becomes
 * QuantizeLinear(v) → DequantizeLinear → consumers, each quantized weight becomes an int8/int4
 * code initializer → DequantizeLinear, and Conv/Gemm biases become int32 codes at s_x · s_w[o].
 * Activation grids come from `@lowbit/quantize` observers fed by a calibration run of
 * `runFloat`.
 *
 * @module
 */

import {
  cloneGraph,
  type Graph,
  type GraphTensor,
  type Node,
  type OpTable,
  type QuantGrid,
  runFloat,
  type TensorInput,
} from "@lowbit/graph";
import {
  CrossEntropyObserver,
  EntropyObserver,
  HistogramObserver,
  MinMaxObserver,
  MovingAverageMinMaxObserver,
  MseObserver,
  type Observer,
  type ObserverOptions,
  PercentileObserver,
} from "@lowbit/quantize";
import { Philox } from "@lowbit/rounding/philox";
import { addQdqPair } from "./_qdq.ts";
import {
  addWeightDequantize,
  checkWeightCodes,
  quantizeBias,
  type QuantizedWeight,
  quantizeWeight,
  WeightCodesError,
  weightInput,
  type WeightQuantOptions,
} from "./weights.ts";

/** Calibration observers by name. */
export type ObserverName =
  | "minmax"
  | "moving-average"
  | "percentile"
  | "entropy"
  | "mse"
  | "histogram"
  | "cross-entropy";

/** How activations are quantized. */
export interface ActivationQuantOptions {
  /** `"uint8"` (default, [0, 255]) or `"int8"` ([−128, 127]); affine either way. */
  dtype?: "uint8" | "int8";
  /** Calibration observer (default `"minmax"`). */
  observer?: ObserverName;
  /** Percentile for `"percentile"` (default that of `PercentileObserver`). */
  percentile?: number;
  /**
   * Seed of the reservoir sampling that the `"percentile"` and `"mse"` observers switch to
   * once a value has had more than 2^24 elements observed (e.g. 64 calibration images of a
   * large model); each observed value draws from its own Philox stream (seed, k), so
   * calibration stays reproducible (default 0).
   */
  seed?: number;
}

/** Per-node overrides. */
export interface NodeOverride {
  /** Weight options of this node. */
  weights?: WeightQuantOptions;
  /** Observer of this node's output values. */
  observer?: ObserverName;
  /**
   * Keep this node in float (its inputs are read dequantized). Its output is still quantized
   * where a quantized node reads it, as onnxruntime's `nodes_to_exclude` does; add
   * `floatOutputs` to keep the output in float as well.
   */
  float?: boolean;
  /**
   * With `float`, keep the node's outputs in float too (default false): they get no grid, so
   * every reader takes the float value, and a quantized reader computes in float on it (its
   * weight is still quantized, its own output still gets a grid). This removes the activation
   * quantizer at the node's output, the white paper's "higher precision" fix (§4.8).
   */
  floatOutputs?: boolean;
  /**
   * Precomputed codes of this node's weight (e.g. from `adaround`), used instead of
   * rounding to nearest; checked against the weight by `checkWeightCodes` (weights.ts).
   */
  weightCodes?: QuantizedWeight;
}

/** Options of {@linkcode quantizeStatic}. */
export interface QuantizeStaticOptions {
  /** Weight quantization (default int8, per-channel, symmetric restricted range). */
  weights?: WeightQuantOptions;
  /** Activation quantization (default uint8 affine, min-max). */
  activations?: ActivationQuantOptions;
  /** Op types to quantize (default {@linkcode DEFAULT_STATIC_OP_TYPES}). */
  opTypes?: string[];
  /** Op types never quantized. */
  excludeOpTypes?: string[];
  /** Overrides by node name. */
  nodes?: Record<string, NodeOverride>;
  /** Called after each calibration sample with the count so far and the total if known. */
  onProgress?: (done: number, total: number | undefined) => void;
  /** Stop after this many calibration samples. */
  maxSamples?: number;
  /** Extra or replacement ops for the calibration run (passed to `runFloat`). */
  ops?: OpTable;
  /** A transformation applied first (e.g. constant folding so weights are initializers). */
  prepare?: (g: Graph) => Graph;
  /**
   * Leave the values inside chains of elementwise ops unquantized (default false): where a
   * quantized activation (HardSwish, HardSigmoid, Sigmoid, Tanh) or an Add/Sub/Mul/Div with a
   * scalar constant is the only reader of another's output — e.g. PP-LCNet's `HardSwish →
   * Mul(a) → Add(b)` affine blocks — only the chain's last output gets a grid. The QDQ graph
   * stays valid ONNX (the chain runs in float between DequantizeLinear and QuantizeLinear);
   * `@lowbit/runtime`'s `compileQuantized` runs such a chain as one 256-entry table.
   */
  fuseElementwise?: boolean;
}

/**
 * Ops quantized by default: compute ops with weights, elementwise, pooling, activations and
 * layout ops (which share their input's grid). ConvTranspose is not in the list.
 *
 * @example
 * ```ts
 * import { DEFAULT_STATIC_OP_TYPES } from "@lowbit/ptq/static";
 * import { ok } from "node:assert/strict";
 * ok(DEFAULT_STATIC_OP_TYPES.includes("Conv"));
 * ```
 */
export const DEFAULT_STATIC_OP_TYPES: readonly string[] = [
  "Conv",
  "Gemm",
  "MatMul",
  "Add",
  "Mul",
  "Concat",
  "MaxPool",
  "AveragePool",
  "GlobalAveragePool",
  "Relu",
  "Clip",
  "HardSigmoid",
  "HardSwish",
  "Sigmoid",
  "Tanh",
  "Softmax",
  "Reshape",
  "Flatten",
  "Transpose",
  "Squeeze",
  "Unsqueeze",
];

/** Unary activations that may start or continue an elementwise chain (`fuseElementwise`). */
const CHAIN_UNARY = new Set(["HardSwish", "HardSigmoid", "Sigmoid", "Tanh"]);
/** Binary ops that continue a chain when their other operand is a scalar constant. */
const CHAIN_SCALAR = new Set(["Add", "Sub", "Mul", "Div"]);

/** Ops whose output takes their input's grid (as onnxruntime does). */
const SHARES_INPUT_GRID = new Set([
  "MaxPool",
  "Reshape",
  "Flatten",
  "Transpose",
  "Squeeze",
  "Unsqueeze",
]);

/** The fixed output grid of Softmax by activation type: scale 1/256, [0, 1) onto the code range. */
const SOFTMAX_GRID: Readonly<Record<"uint8" | "int8", QuantGrid>> = {
  uint8: { dtype: "uint8", scale: Float32Array.of(1 / 256), zeroPoint: Int32Array.of(0) },
  int8: { dtype: "int8", scale: Float32Array.of(1 / 256), zeroPoint: Int32Array.of(-128) },
};

/** A calibration sample that does not match the graph inputs. */
export class CalibrationError extends Error {
  /** Index of the bad sample. */
  readonly sample: number;
  /** The graph input the error is about. */
  readonly value: string;
  /**
   * Makes the error; the message names the sample and the input.
   *
   * @param message What is wrong.
   * @param input The graph input name.
   * @param sample The sample index.
   */
  constructor(message: string, input: string, sample: number) {
    super(`value ${input}: calibration sample ${sample}: ${message}`);
    this.name = "CalibrationError";
    this.value = input;
    this.sample = sample;
  }
}

function makeObserver(
  name: ObserverName,
  opts: ObserverOptions,
  percentile: number | undefined,
  random: () => Philox,
): Observer {
  switch (name) {
    case "minmax":
      return new MinMaxObserver(opts);
    case "moving-average":
      return new MovingAverageMinMaxObserver(opts);
    case "percentile":
      return new PercentileObserver({
        ...opts,
        ...(percentile !== undefined ? { percentile } : {}),
        random: random(),
      });
    case "entropy":
      return new EntropyObserver(opts);
    case "mse":
      return new MseObserver({ ...opts, random: random() });
    case "histogram":
      return new HistogramObserver(opts);
    case "cross-entropy":
      return new CrossEntropyObserver(opts);
    default:
      throw new RangeError(`unknown observer ${String(name)}`);
  }
}

/**
 * Positions of a node's inputs that are activations to quantize: input 0 of Conv/Gemm, every
 * non-initializer input of MatMul/Add/Mul/Concat, input 0 of the other ops.
 *
 * @param node The node.
 * @param initializers The graph's initializers (never activations).
 * @returns Input positions.
 *
 * @example
 * ```ts
 * import { activationInputs } from "@lowbit/ptq/static";
 * import { deepEqual } from "node:assert/strict";
 * const n = { name: "a", op: "Add", inputs: ["x", "c"], outputs: ["y"], attrs: {} };
 * deepEqual(activationInputs(n, new Map([["c", { dtype: "float32", shape: [], data: new Float32Array(1) }]])), [0]);
 * ```
 */
export function activationInputs(
  node: Node,
  initializers: ReadonlyMap<string, GraphTensor>,
): number[] {
  const act = (i: number) =>
    node.inputs[i] !== undefined && node.inputs[i] !== "" && !initializers.has(node.inputs[i]);
  switch (node.op) {
    case "MatMul":
    case "Add":
    case "Mul":
    case "Concat":
      return node.inputs.map((_, i) => i).filter(act);
    default:
      return act(0) ? [0] : [];
  }
}

function isFloat(t: GraphTensor): boolean {
  return t.dtype === "float32";
}

function asF32(t: GraphTensor): Float32Array {
  return t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>);
}

function checkSample(g: Graph, sample: Record<string, TensorInput>, index: number): void {
  if (sample === null || typeof sample !== "object") {
    throw new TypeError(`calibration sample ${index} must be a record of tensors`);
  }
  for (const info of g.inputs) {
    if (g.initializers.has(info.name)) continue;
    const t = sample[info.name];
    if (t === undefined) throw new CalibrationError("input is missing", info.name, index);
    const ok = t.shape.length === info.shape.length &&
      info.shape.every((d, i) => typeof d !== "number" || d < 0 || t.shape[i] === d);
    if (info.dtype === "float32" && !(t.data instanceof Float32Array)) {
      throw new CalibrationError("data must be a Float32Array", info.name, index);
    }
    if (!ok) {
      throw new CalibrationError(
        `shape [${t.shape}] does not match [${info.shape}]`,
        info.name,
        index,
      );
    }
  }
}

/** A value to quantize, its grid key and shape. */
interface Plan {
  grids: Map<string, QuantGrid>;
}

function gridOf(o: Observer, dtype: "uint8" | "int8"): QuantGrid {
  const p = o.qparams();
  return {
    dtype,
    scale: Float32Array.of(typeof p.scale === "number" ? p.scale : p.scale[0]),
    zeroPoint: Int32Array.of(typeof p.zeroPoint === "number" ? p.zeroPoint : p.zeroPoint[0]),
  };
}

/**
 * Quantizes a float graph statically into a QDQ graph (simulated quantization when run with
 * `runFloat`). The argument graph is not changed; graph inputs and outputs stay float.
 *
 * @param graph The float graph (weights as initializers; see `prepare`).
 * @param calibration Input samples, sync or async iterable.
 * @param options Weights, activations, op selection, overrides, progress, sample limit.
 * @returns The QDQ graph with `ValueInfo.quant` set on each quantized value.
 * @throws {RangeError} If `calibration` yields no sample.
 * @throws {CalibrationError} If a sample lacks an input or has a wrong shape.
 *
 * @example Relu on a range [−1, 2.55]: uint8 scale = 2.55/255 at zero point 0 for the output
 * ```ts
 * import { quantizeStatic } from "@lowbit/ptq";
 * import type { Graph } from "@lowbit/graph";
 * import { equal, ok } from "node:assert/strict";
 * const g: Graph = {
 *   name: "r", opset: 13,
 *   inputs: [{ name: "x", dtype: "float32", shape: [2] }],
 *   outputs: [{ name: "y", dtype: "float32", shape: [2] }],
 *   nodes: [{ name: "relu", op: "Relu", inputs: ["x"], outputs: ["y"], attrs: {} }],
 *   initializers: new Map(), values: new Map(),
 * };
 * const q = await quantizeStatic(g, [{ x: { data: Float32Array.of(-1, 2.55), shape: [2] } }]);
 * const grid = q.values.get("y")?.quant;
 * ok(grid !== undefined);
 * equal(grid.scale[0], Math.fround(Math.fround(2.55) / 255));
 * equal(grid.zeroPoint[0], 0);
 * ```
 */
export async function quantizeStatic(
  graph: Graph,
  calibration:
    | AsyncIterable<Record<string, TensorInput>>
    | Iterable<Record<string, TensorInput>>,
  options: QuantizeStaticOptions = {},
): Promise<Graph> {
  let g = cloneGraph(graph);
  if (options.prepare) g = cloneGraph(options.prepare(g));
  const opTypes = new Set(options.opTypes ?? DEFAULT_STATIC_OP_TYPES);
  const exclude = new Set(options.excludeOpTypes ?? []);
  const overrides = options.nodes ?? {};
  const actDtype = options.activations?.dtype ?? "uint8";
  const obsOpts: ObserverOptions = actDtype === "uint8" ? { bits: 8 } : { bits: 8, signed: true };
  const defaultObserver = options.activations?.observer ?? "minmax";
  const quantized = g.nodes.filter((n) =>
    opTypes.has(n.op) && !exclude.has(n.op) && overrides[n.name]?.float !== true
  );
  const quantizedSet = new Set(quantized.map((n) => n.name));
  const floatValues = new Set<string>();
  for (const n of g.nodes) {
    const o = overrides[n.name];
    if (o?.floatOutputs === true) {
      if (o.float !== true) {
        throw new RangeError(
          `options.nodes.${n.name}.floatOutputs needs float: true on the same node`,
        );
      }
      for (const v of n.outputs) if (v !== "") floatValues.add(v);
    }
  }
  // Values to observe; layout ops alias their output to their input's grid.
  const alias = new Map<string, string>();
  const observed = new Map<string, ObserverName>();
  const root = (v: string): string => {
    let r = v;
    while (alias.has(r)) r = alias.get(r) as string;
    return r;
  };
  for (const n of quantized) {
    for (const i of activationInputs(n, g.initializers)) {
      const v = n.inputs[i];
      if (!observed.has(v) && !floatValues.has(v)) observed.set(v, defaultObserver);
    }
  }
  for (const n of quantized) {
    const out = n.outputs[0];
    if (out === undefined || out === "") continue;
    if (SHARES_INPUT_GRID.has(n.op) && (observed.has(n.inputs[0]) || alias.has(n.inputs[0]))) {
      alias.set(out, n.inputs[0]);
      observed.delete(out);
    } else if (!alias.has(out)) {
      observed.set(out, overrides[n.name]?.observer ?? observed.get(out) ?? defaultObserver);
    }
  }
  // A Relu or Clip(0, m) that is the only reader of a quantized op's output lends that output
  // its own grid, [0, max] instead of [min, max]: the quantizer's clamp at code zero_point is
  // the ReLU, so the op's output keeps twice the resolution for uint8 (onnxruntime's quantizer
  // does the same when it folds such activations into the op before it).
  const readers = new Map<string, number>();
  for (const n of g.nodes) for (const v of n.inputs) readers.set(v, (readers.get(v) ?? 0) + 1);
  const producers = new Map<string, Node>();
  for (const n of g.nodes) for (const o of n.outputs) producers.set(o, n);
  for (const n of quantized) {
    const v = n.inputs[0], out = n.outputs[0];
    if (!out || !isZeroFloorActivation(g, n) || alias.has(v) || alias.has(out)) continue;
    const p = producers.get(v);
    if (p === undefined || !quantizedSet.has(p.name) || SHARES_INPUT_GRID.has(p.op)) continue;
    if (readers.get(v) !== 1 || g.outputs.some((o) => o.name === v)) continue;
    alias.set(v, out);
    observed.delete(v);
  }
  if (options.fuseElementwise === true) {
    const lent = new Set(alias.values());
    const chainOp = (n: Node | undefined): n is Node =>
      n !== undefined && quantizedSet.has(n.name) && (CHAIN_UNARY.has(n.op) ||
        (CHAIN_SCALAR.has(n.op) && n.inputs.some((i) => g.initializers.get(i)?.data.length === 1)));
    const outputs = new Set(g.outputs.map((o) => o.name));
    for (const n of g.nodes) {
      if (!chainOp(n)) continue;
      const v = n.inputs.find((i) => !g.initializers.has(i) && i !== "");
      if (v === undefined || !observed.has(v) || lent.has(v) || outputs.has(v)) continue;
      if (readers.get(v) !== 1 || !chainOp(producers.get(v))) continue;
      observed.delete(v);
    }
  }
  const observers = new Map<string, Observer>();
  const seed = options.activations?.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(
      `options.activations.seed must be a non-negative safe integer, got ${String(seed)}`,
    );
  }
  let stream = 0;
  for (const [v, name] of observed) {
    if (alias.has(v)) continue;
    const k = stream++;
    observers.set(
      v,
      makeObserver(name, obsOpts, options.activations?.percentile, () => new Philox(seed, k)),
    );
  }
  const dtypes = new Map<string, GraphTensor["shape"]>();
  const seen = new Set<string>();
  const see = (v: string, t: GraphTensor): void => {
    if (!dtypes.has(v)) dtypes.set(v, [...t.shape]);
    const o = observers.get(v);
    if (o === undefined || !isFloat(t)) {
      if (o !== undefined) observers.delete(v);
      return;
    }
    o.observe({ data: asF32(t), shape: t.shape });
    seen.add(v);
  };
  // Calibration.
  const total = Array.isArray(calibration) ? calibration.length : undefined;
  const limit = options.maxSamples ?? Infinity;
  let count = 0;
  for await (const sample of calibration as AsyncIterable<Record<string, TensorInput>>) {
    if (count >= limit) break;
    checkSample(g, sample, count);
    for (const info of g.inputs) {
      const t = sample[info.name];
      if (t !== undefined && observers.has(info.name)) {
        see(info.name, { dtype: info.dtype, shape: [...t.shape], data: t.data });
      }
    }
    runFloat(g, sample, {
      ops: options.ops,
      onNode: (node, outs) => node.outputs.forEach((v, k) => outs[k] && see(v, outs[k])),
    });
    count++;
    options.onProgress?.(count, total === undefined ? undefined : Math.min(total, limit));
  }
  if (count === 0) throw new RangeError("calibration must yield at least one sample");
  const plan: Plan = { grids: new Map() };
  for (const [v, o] of observers) if (seen.has(v)) plan.grids.set(v, gridOf(o, actDtype));
  // A softmax output lies in [0, 1]: the fixed grid 1/256 (onnxruntime's quantizer sets the
  // same, and its fused QLinearSoftmax assumes it).
  for (const n of quantized) {
    if (n.op === "Softmax" && n.outputs[0] && plan.grids.has(n.outputs[0])) {
      plan.grids.set(n.outputs[0], SOFTMAX_GRID[actDtype]);
    }
  }
  const gridFor = (v: string): QuantGrid | undefined => plan.grids.get(root(v));
  return rewrite(g, quantizedSet, gridFor, options, dtypes);
}

/** Relu, or Clip with a constant lower bound 0: an activation whose output floor is 0. */
function isZeroFloorActivation(g: Graph, n: Node): boolean {
  if (n.op === "Relu") return true;
  if (n.op !== "Clip") return false;
  if (typeof n.attrs.min === "number") return n.attrs.min === 0;
  const lo = n.inputs[1] ? g.initializers.get(n.inputs[1]) : undefined;
  return lo !== undefined && lo.data.length === 1 && Number(lo.data[0]) === 0;
}

function rewrite(
  g: Graph,
  quantized: Set<string>,
  gridFor: (v: string) => QuantGrid | undefined,
  options: QuantizeStaticOptions,
  shapes: Map<string, GraphTensor["shape"]>,
): Graph {
  const outputNames = new Set(g.outputs.map((o) => o.name));
  const dq = new Map<string, string>(); // activation value → its dequantized name
  const newNodes: Node[] = [];
  const rename = new Map<string, string>(); // graph outputs: producer output → prequant name
  const activations = new Set<string>();
  for (const n of g.nodes) {
    if (!quantized.has(n.name)) continue;
    for (const i of activationInputs(n, g.initializers)) activations.add(n.inputs[i]);
    if (n.outputs[0]) activations.add(n.outputs[0]);
  }
  const qdqNodes = new Map<string, Node[]>(); // placed after the producer
  for (const v of activations) {
    const grid = gridFor(v);
    if (grid === undefined) continue;
    const src = outputNames.has(v) ? `${v}_prequant` : v;
    if (src !== v) rename.set(v, src);
    const out = outputNames.has(v) ? v : `${v}_dequantized`;
    dq.set(v, out);
    const zdt = grid.dtype === "int8" ? "int8" : "uint8";
    qdqNodes.set(v, addQdqPair(g, v, src, out, grid));
    const shape = shapes.get(v);
    const prev = g.values.get(v);
    const info = {
      ...(prev ?? { dtype: "float32" as const, shape: shape ?? [] }),
      name: v,
      quant: grid,
    };
    g.values.set(v, info);
    g.values.set(`${v}_quantized`, { ...info, name: `${v}_quantized`, dtype: zdt });
    if (out !== v) g.values.set(out, { ...info, name: out });
  }
  const used = new Set<string>();
  const weightCache = new Map<string, { name: string; scale: Float32Array }>();
  const place = (v: string) => {
    const nodes = qdqNodes.get(v);
    if (nodes) {
      newNodes.push(...nodes);
      qdqNodes.delete(v);
    }
  };
  for (const info of g.inputs) place(info.name);
  for (const n0 of g.nodes) {
    const n: Node = {
      ...n0,
      inputs: [...n0.inputs],
      outputs: n0.outputs.map((o) => rename.get(o) ?? o),
    };
    // Every consumer (quantized or float) reads the dequantized activation.
    n.inputs = n.inputs.map((v) => dq.get(v) ?? v);
    if (quantized.has(n.name)) {
      const wt = weightInput(n0, g);
      const wOpts = { ...options.weights, ...options.nodes?.[n.name]?.weights };
      if (wt === undefined && options.nodes?.[n.name]?.weightCodes !== undefined) {
        throw new WeightCodesError("the node has no float initializer weight to replace", n.name);
      }
      if (wt !== undefined) {
        const wName = n0.inputs[wt.index];
        const given = options.nodes?.[n.name]?.weightCodes;
        const key = given !== undefined
          ? `${wName}|codes of ${n.name}`
          : `${wName}|${wOpts.dtype}|${wOpts.bits}|${wOpts.granularity}|${wt.axis}`;
        let cached = weightCache.get(key);
        if (cached === undefined) {
          const w = g.initializers.get(wName) as GraphTensor;
          if (given !== undefined) checkWeightCodes(n.name, w, wt.axis, given);
          const q = given ?? quantizeWeight(w, wt.axis, wOpts);
          const base = weightCache.size === 0 || !g.initializers.has(`${wName}_quantized`)
            ? wName
            : `${wName}_${weightCache.size}`;
          newNodes.push(addWeightDequantize(g, base, q));
          cached = { name: `${base}_dequantized`, scale: q.grid.scale };
          weightCache.set(key, cached);
        }
        n.inputs[wt.index] = cached.name;
        const bName = n0.inputs[2];
        const xGrid = gridFor(n0.inputs[0]);
        const b = bName ? g.initializers.get(bName) : undefined;
        if (
          (n0.op === "Conv" || n0.op === "Gemm") && b !== undefined && xGrid !== undefined &&
          b.shape.length === 1 && (b.data instanceof Float32Array)
        ) {
          const qb = quantizeBias(b, xGrid.scale[0], cached.scale);
          const base = `${bName}_${n0.name}`;
          g.initializers.set(`${base}_quantized`, qb.codes);
          g.initializers.set(`${base}_scale`, qb.scale);
          g.initializers.set(`${base}_zero_point`, qb.zeroPoint);
          g.values.set(`${base}_quantized`, {
            name: `${base}_quantized`,
            dtype: "int32",
            shape: [...b.shape],
            quant: qb.grid,
          });
          newNodes.push({
            name: `${base}_DequantizeLinear`,
            op: "DequantizeLinear",
            inputs: [`${base}_quantized`, `${base}_scale`, `${base}_zero_point`],
            outputs: [`${base}_dequantized`],
            attrs: qb.grid.axis !== undefined ? { axis: 0 } : {},
          });
          n.inputs[2] = `${base}_dequantized`;
        }
      }
    }
    for (const v of n.inputs) used.add(v);
    newNodes.push(n);
    for (const o of n0.outputs) place(o);
  }
  g.nodes = newNodes;
  for (const n of newNodes) for (const v of n.inputs) used.add(v);
  for (const o of g.outputs) used.add(o.name);
  for (const name of [...g.initializers.keys()]) {
    if (!used.has(name) && !g.inputs.some((i) => i.name === name)) g.initializers.delete(name);
  }
  return g;
}
