/**
 * A small integer graph and its executors. Nodes run in list order (a topological order);
 * each reads named values and writes one value under its own name. The graph input is float
 * (it is quantized by a `quantize` node); every other value is a {@linkcode QuantizedTensor}.
 *
 * Two executors share the graph:
 * - {@linkcode runInteger}: integer-only from the first quantize on (int8 codes, int32
 *   accumulators, fixed-point or ONNX float requantization per `graph.mode`).
 * - {@linkcode runSimulated}: simulated ("fake") quantization in float32 — weights and biases
 *   dequantized (`S·q`), every node output rounded onto its grid by
 *   `fakeQuantize` — the computation a QAT framework runs. Their agreement is the contract the
 *   agreement report measures.
 *
 * @example A one-layer graph
 * ```ts
 * import { type IntegerGraph, runInteger } from "@lowbit/runtime/graph";
 * import { QuantizedTensor } from "@lowbit/runtime/quantized-tensor";
 * import { deepEqual } from "node:assert/strict";
 * const graph: IntegerGraph = { inputName: "x", inputShape: [2], output: "fc", mode: "fixed", nodes: [
 *   { op: "quantize", name: "q", input: "x", out: { scale: 0.5, zeroPoint: 0, dtype: "int8" } },
 *   { op: "fullyConnected", name: "fc", input: "q", activation: "relu",
 *     weight: new QuantizedTensor({ q: new Int8Array([2, -2]), shape: [1, 2], dtype: "int8", scale: 0.5 }),
 *     out: { scale: 1, zeroPoint: 0, dtype: "int8" } },
 * ] };
 * const y = runInteger(graph, { data: new Float32Array([3, 1, 1, 3]), shape: [2, 2] }).output;
 * deepEqual([...y.q], [2, 0]); // (6 − 2)·0.25·2 = 2; the second is negative → ReLU
 * ```
 *
 * @module
 */

import { conv2dF32 } from "@lowbit/kernels/conv2d";
import { gemmF32 } from "@lowbit/kernels/gemm-f32";
import { fakeQuantize, quantize } from "@lowbit/quantize/uniform";
import { add, concat } from "./elementwise.ts";
import {
  activationClamp,
  conv2d,
  type ConvGeometry,
  fullyConnected,
  type FusedActivation,
  type OutputQuant,
  type PackedInt8,
  packWeights,
} from "./fused.ts";
import type { FloatTensor } from "./onnx_quantize.ts";
import { avgPool2d, globalAvgPool2d, maxPool2d, type PoolOptions } from "./pool.ts";
import { DTYPE_RANGE, QuantizedTensor } from "./quantized_tensor.ts";
import type { RequantMode } from "./requantize.ts";

/** Quantizes the float graph input. */
export interface QuantizeNode {
  /** Discriminant. */
  op: "quantize";
  /** Value name. */
  name: string;
  /** The float input's name. */
  input: string;
  /** Grid of the codes. */
  out: OutputQuant;
}

/** Fused conv2d (+ bias, activation clamp). */
export interface ConvNode {
  /** Discriminant. */
  op: "conv2d";
  /** Value name. */
  name: string;
  /** Input value. */
  input: string;
  /** int8 OIHW weights (per-tensor or per-output-channel). */
  weight: QuantizedTensor;
  /** int32 bias at S_x·S_w[o]. */
  bias?: Int32Array;
  /** Stride, padding, dilation, groups. */
  geometry: ConvGeometry;
  /** Fused activation. */
  activation: FusedActivation;
  /** Output grid. */
  out: OutputQuant;
}

/** Fused fully connected (+ bias, activation clamp). */
export interface FullyConnectedNode {
  /** Discriminant. */
  op: "fullyConnected";
  /** Value name. */
  name: string;
  /** Input value `[N, K]`. */
  input: string;
  /** int8 weights `[O, K]`. */
  weight: QuantizedTensor;
  /** int32 bias at S_x·S_w[o]. */
  bias?: Int32Array;
  /** Fused activation. */
  activation: FusedActivation;
  /** Output grid. */
  out: OutputQuant;
}

/** Pooling (keeps the input grid). */
export interface PoolNode {
  /** Discriminant. */
  op: "maxPool2d" | "avgPool2d";
  /** Value name. */
  name: string;
  /** Input value. */
  input: string;
  /** Window geometry. */
  pool: PoolOptions;
}

/** A node with one input and no parameters. */
export interface UnaryNode {
  /** Discriminant: global average pooling, or flatten to `[N, rest]`. */
  op: "globalAvgPool2d" | "flatten";
  /** Value name. */
  name: string;
  /** Input value. */
  input: string;
}

/** Elementwise addition rescaled to `out`. */
export interface AddNode {
  /** Discriminant. */
  op: "add";
  /** Value name. */
  name: string;
  /** The two input values. */
  inputs: [string, string];
  /** Fused activation. */
  activation: FusedActivation;
  /** Output grid. */
  out: OutputQuant;
}

/** Concatenation rescaled to `out`. */
export interface ConcatNode {
  /** Discriminant. */
  op: "concat";
  /** Value name. */
  name: string;
  /** Input values. */
  inputs: string[];
  /** Axis. */
  axis: number;
  /** Output grid. */
  out: OutputQuant;
}

/** Any node. */
export type IntegerNode =
  | QuantizeNode
  | ConvNode
  | FullyConnectedNode
  | PoolNode
  | UnaryNode
  | AddNode
  | ConcatNode;

/** An integer graph. */
export interface IntegerGraph {
  /** Name of the float input. */
  inputName: string;
  /** Shape of one input sample. */
  inputShape: number[];
  /** Nodes in execution order. */
  nodes: IntegerNode[];
  /** Name of the output value. */
  output: string;
  /** Requantization semantics of the fused layers and adds/concats. */
  mode: RequantMode;
  /** For each node, the float-model layer whose output it corresponds to (reports). */
  floatRefs?: Record<string, string>;
}

/** Result of {@linkcode runInteger}. */
export interface IntegerRun {
  /** The output value. */
  output: QuantizedTensor;
  /** Every node's output by name. */
  trace: Map<string, QuantizedTensor>;
}

/** Options of {@linkcode runSimulated}. */
export interface SimulateOptions {
  /**
   * Isolated mode: take every node's inputs from this integer trace (dequantized) instead of
   * the simulated values, to compare layer by layer without propagated differences.
   */
  inputsFrom?: Map<string, QuantizedTensor>;
}

/** Result of {@linkcode runSimulated}. */
export interface SimulatedRun {
  /** The output value (float32 values on the output grid). */
  output: FloatTensor;
  /** Every node's output by name. */
  trace: Map<string, FloatTensor>;
}

function get<T>(values: { get(name: string): T | undefined }, name: string, node: string): T {
  const v = values.get(name);
  if (v === undefined) {
    throw new RangeError(`node "${node}" reads "${name}", which is not defined before it`);
  }
  return v;
}

function checkInput(graph: IntegerGraph, x: FloatTensor): void {
  if (x.shape.slice(1).join() !== graph.inputShape.join()) {
    throw new RangeError(
      `input shape [${x.shape.join(", ")}] must be [N, ${graph.inputShape.join(", ")}]`,
    );
  }
}

/**
 * Quantizes a float tensor onto a grid (PyTorch semantics: multiply by fl(1/S), round half to
 * even, saturate) — the graph's entry, shared by both executors.
 *
 * @param x Float input.
 * @param out Grid.
 * @returns The codes.
 *
 * @example
 * ```ts
 * import { quantizeInput } from "@lowbit/runtime/graph";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...quantizeInput({ data: new Float32Array([0.26, -9]), shape: [2] }, { scale: 0.1, zeroPoint: 3, dtype: "int8" }).q], [6, -87]);
 * ```
 */
export function quantizeInput(x: FloatTensor, out: OutputQuant): QuantizedTensor {
  const { min, max } = DTYPE_RANGE[out.dtype];
  const t = quantize({ data: x.data, shape: [...x.shape] }, {
    scale: out.scale,
    zeroPoint: out.zeroPoint,
    qmin: min,
    qmax: max,
  });
  return new QuantizedTensor({
    q: out.dtype === "int8" ? Int8Array.from(t.q) : Uint8Array.from(t.q),
    shape: x.shape,
    dtype: out.dtype,
    scale: out.scale,
    zeroPoint: out.zeroPoint,
  });
}

/** Fully connected weights packed once per weight tensor (freed with it). */
const PACKED = new WeakMap<QuantizedTensor, PackedInt8>();

/**
 * Runs the graph integer-only (fully connected weights are packed for the kernels on first
 * use and kept while the weight tensor lives).
 *
 * @param graph The graph.
 * @param x Float input batch `[N, ...inputShape]`.
 * @returns The output and every node's output.
 * @throws {RangeError} On a shape mismatch, a node reading an undefined value, or bad node
 *   parameters.
 *
 * @example See the module example.
 * ```ts
 * import { runInteger } from "@lowbit/runtime/graph";
 * import { equal } from "node:assert/strict";
 * const g = { inputName: "x", inputShape: [1], output: "q", mode: "fixed" as const, nodes: [
 *   { op: "quantize" as const, name: "q", input: "x", out: { scale: 1, zeroPoint: 0, dtype: "int8" as const } },
 * ] };
 * equal(runInteger(g, { data: new Float32Array([2.5]), shape: [1, 1] }).output.q[0], 2);
 * ```
 */
export function runInteger(graph: IntegerGraph, x: FloatTensor): IntegerRun {
  checkInput(graph, x);
  const trace = new Map<string, QuantizedTensor>();
  const mode = graph.mode;
  for (const node of graph.nodes) {
    let y: QuantizedTensor;
    switch (node.op) {
      case "quantize":
        if (node.input !== graph.inputName) {
          throw new RangeError(`quantize node "${node.name}" must read the graph input`);
        }
        y = quantizeInput(x, node.out);
        break;
      case "conv2d":
        y = conv2d(get(trace, node.input, node.name), node.weight, node.out, {
          ...node.geometry,
          bias: node.bias,
          activation: node.activation,
          mode,
        });
        break;
      case "fullyConnected": {
        let packed = PACKED.get(node.weight);
        if (!packed) {
          packed = packWeights(node.weight);
          PACKED.set(node.weight, packed);
        }
        y = fullyConnected(get(trace, node.input, node.name), node.weight, node.out, {
          bias: node.bias,
          activation: node.activation,
          mode,
          packed,
        });
        break;
      }
      case "maxPool2d":
        y = maxPool2d(get(trace, node.input, node.name), node.pool);
        break;
      case "avgPool2d":
        y = avgPool2d(get(trace, node.input, node.name), node.pool);
        break;
      case "globalAvgPool2d":
        y = globalAvgPool2d(get(trace, node.input, node.name));
        break;
      case "flatten": {
        const t = get(trace, node.input, node.name);
        y = new QuantizedTensor({
          q: t.q,
          shape: [t.shape[0], t.size / t.shape[0]],
          dtype: t.dtype,
          scale: t.scale[0],
          zeroPoint: t.zeroPoint[0],
        });
        break;
      }
      case "add":
        y = add(
          get(trace, node.inputs[0], node.name),
          get(trace, node.inputs[1], node.name),
          node.out,
          {
            activation: node.activation,
            mode,
          },
        );
        break;
      case "concat":
        y = concat(node.inputs.map((n) => get(trace, n, node.name)), node.axis, node.out, { mode });
        break;
      default:
        throw new RangeError(`unknown node op ${String((node as { op: unknown }).op)}`);
    }
    trace.set(node.name, y);
  }
  return { output: get(trace, graph.output, "output"), trace };
}

/** Float32 fake quantization onto a grid (with an activation clamp in codes). */
function onGrid(
  data: Float32Array,
  shape: readonly number[],
  out: OutputQuant,
  act: FusedActivation,
): FloatTensor {
  const { clampMin, clampMax } = activationClamp(act, out);
  return {
    data: fakeQuantize({ data, shape: [...shape] }, {
      scale: out.scale,
      zeroPoint: out.zeroPoint,
      qmin: clampMin,
      qmax: clampMax,
    }),
    shape,
  };
}

/** Dequantized int32 bias at S_x·S_w[o]. */
function biasF32(
  bias: Int32Array | undefined,
  xScale: number,
  w: QuantizedTensor,
): Float32Array | undefined {
  if (!bias) return undefined;
  return Float32Array.from(bias, (b, o) => b * (xScale * w.scale[w.perChannel ? o : 0]));
}

/**
 * Runs the graph as simulated quantization in float32: the float operators on dequantized
 * weights, biases and inputs, each node output fake-quantized onto its grid (activations as
 * code clamps, like the integer path).
 *
 * @param graph The graph.
 * @param x Float input batch `[N, ...inputShape]`.
 * @param options Isolated mode.
 * @returns The output and every node's output (float32 values on their grids).
 * @throws {RangeError} On a shape mismatch or a node reading an undefined value.
 *
 * @example
 * ```ts
 * import { runSimulated } from "@lowbit/runtime/graph";
 * import { deepEqual } from "node:assert/strict";
 * const g = { inputName: "x", inputShape: [1], output: "q", mode: "fixed" as const, nodes: [
 *   { op: "quantize" as const, name: "q", input: "x", out: { scale: 0.5, zeroPoint: 0, dtype: "int8" as const } },
 * ] };
 * deepEqual([...runSimulated(g, { data: new Float32Array([0.7]), shape: [1, 1] }).output.data], [0.5]);
 * ```
 */
export function runSimulated(
  graph: IntegerGraph,
  x: FloatTensor,
  options: SimulateOptions = {},
): SimulatedRun {
  checkInput(graph, x);
  const own = new Map<string, FloatTensor>();
  const grids = new Map<string, OutputQuant>();
  const gridOf = (name: string, node: string): OutputQuant => get(grids, name, node);
  const from = options.inputsFrom;
  // Isolated mode: every node reads the integer executor's values (dequantized) instead of
  // the simulated ones, so differences do not propagate from layer to layer.
  const trace = from === undefined ? own : {
    get: (name: string): FloatTensor | undefined => {
      const q = from.get(name);
      return q === undefined ? undefined : { data: q.dequantize(), shape: q.shape };
    },
  };
  for (const node of graph.nodes) {
    let y: FloatTensor, grid: OutputQuant;
    switch (node.op) {
      case "quantize":
        grid = node.out;
        y = onGrid(x.data, x.shape, grid, "none");
        break;
      case "conv2d": {
        const t = get(trace, node.input, node.name), g = gridOf(node.input, node.name);
        const w = node.weight;
        const [n, c, h, wd] = t.shape;
        const p = {
          batch: n,
          inChannels: c,
          height: h,
          width: wd,
          outChannels: w.shape[0],
          kernelH: w.shape[2],
          kernelW: w.shape[3],
          ...node.geometry,
        };
        const data = conv2dF32(t.data, w.dequantize(), p, { bias: biasF32(node.bias, g.scale, w) });
        const hw = data.length / (n * w.shape[0]);
        const ref = runIntegerShape(t.shape, node);
        if (ref[2] * ref[3] !== hw) {
          throw new RangeError(`node "${node.name}": output size mismatch`);
        }
        grid = node.out;
        y = onGrid(data, ref, grid, node.activation);
        break;
      }
      case "fullyConnected": {
        const t = get(trace, node.input, node.name), g = gridOf(node.input, node.name);
        const [n, k] = t.shape, o = node.weight.shape[0];
        const data = gemmF32(n, o, k, t.data, node.weight.dequantize(), {
          transB: true,
          bias: biasF32(node.bias, g.scale, node.weight),
        });
        grid = node.out;
        y = onGrid(data, [n, o], grid, node.activation);
        break;
      }
      case "maxPool2d":
      case "avgPool2d":
      case "globalAvgPool2d": {
        // Pools keep the grid; the simulated average rounds back onto it like the integer one.
        const t = get(trace, node.input, node.name);
        grid = gridOf(node.input, node.name);
        const q = QuantizedTensor.fromCodes(
          Array.from(t.data, (v) => Math.round(v / grid.scale) + grid.zeroPoint),
          t.shape,
          grid.dtype,
          grid.scale,
          { zeroPoint: grid.zeroPoint },
        );
        const r = node.op === "maxPool2d"
          ? maxPool2d(q, node.pool)
          : node.op === "avgPool2d"
          ? avgPool2d(q, node.pool)
          : globalAvgPool2d(q);
        y = { data: r.dequantize(), shape: r.shape };
        break;
      }
      case "flatten": {
        const t = get(trace, node.input, node.name);
        grid = gridOf(node.input, node.name);
        y = { data: t.data, shape: [t.shape[0], t.data.length / t.shape[0]] };
        break;
      }
      case "add": {
        const a = get(trace, node.inputs[0], node.name), b = get(trace, node.inputs[1], node.name);
        grid = node.out;
        y = onGrid(a.data.map((v, i) => v + b.data[i]), a.shape, grid, node.activation);
        break;
      }
      case "concat": {
        const parts = node.inputs.map((n) => get(trace, n, node.name));
        const rank = parts[0].shape.length, ax = node.axis < 0 ? node.axis + rank : node.axis;
        const outer = parts[0].shape.slice(0, ax).reduce((a, b) => a * b, 1);
        const lens = parts.map((p) => p.data.length / outer);
        const data = new Float32Array(parts.reduce((s, p) => s + p.data.length, 0));
        const row = lens.reduce((a, b) => a + b, 0);
        for (let o = 0; o < outer; o++) {
          let off = 0;
          parts.forEach((p, i) => {
            data.set(p.data.subarray(o * lens[i], (o + 1) * lens[i]), o * row + off);
            off += lens[i];
          });
        }
        const shape = [...parts[0].shape];
        shape[ax] = parts.reduce((s, p) => s + p.shape[ax], 0);
        grid = node.out;
        y = onGrid(data, shape, grid, "none");
        break;
      }
      default:
        throw new RangeError(`unknown node op ${String((node as { op: unknown }).op)}`);
    }
    own.set(node.name, y);
    grids.set(node.name, grid);
  }
  return { output: get(own, graph.output, "output"), trace: own };
}

/** Output shape of a conv node for an input shape. */
function runIntegerShape(shape: readonly number[], node: ConvNode): number[] {
  const two = (v: number | [number, number] | undefined, d: number): [number, number] =>
    v === undefined ? [d, d] : typeof v === "number" ? [v, v] : v;
  const [sh, sw] = two(node.geometry.stride, 1), [dh, dw] = two(node.geometry.dilation, 1);
  const pd = node.geometry.padding ?? 0, p = typeof pd === "number" ? [pd, pd, pd, pd] : pd;
  const [kh, kw] = [node.weight.shape[2], node.weight.shape[3]];
  return [
    shape[0],
    node.weight.shape[0],
    Math.floor((shape[2] + p[0] + p[2] - dh * (kh - 1) - 1) / sh) + 1,
    Math.floor((shape[3] + p[1] + p[3] - dw * (kw - 1) - 1) / sw) + 1,
  ];
}
