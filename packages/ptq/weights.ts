/**
 * Weight and bias quantization for QDQ graphs: symmetric codes on the restricted range
 * (±127 for int8, ±7 for int4, like onnxruntime's `quantize_static` with
 * `WeightSymmetric=True`; any width b in 2..8 via `bits`: ±(2^(b−1) − 1) stored in int8),
 * per output channel or per tensor, and int32 biases at scale
 * s_x · s_w[o] with zero point 0. Scales come from `@lowbit/quantize`'s `qparamsFromRanges`
 * and codes from its `quantize` (ONNX QuantizeLinear division semantics).
 *
 * @module
 */

import { cloneGraph, type Graph, type GraphTensor, type Node, type QuantGrid } from "@lowbit/graph";
import { qparamsFromRanges, quantize } from "@lowbit/quantize";

/** How weights are quantized. */
export interface WeightQuantOptions {
  /** Code type: `"int8"` (default, codes in [−127, 127]) or `"int4"` ([−7, 7], unpacked). */
  dtype?: "int8" | "int4";
  /**
   * Bit width b, an integer in [2, 8]: codes in [−(2^(b−1) − 1), 2^(b−1) − 1] (symmetric,
   * restricted range), stored in the `dtype` container. Default 8 for `"int8"` and 4 for
   * `"int4"`; with `dtype: "int4"` only 2..4 fit.
   */
  bits?: number;
  /** `"per-channel"` (default) along the output-channel axis, or `"per-tensor"`. */
  granularity?: "per-channel" | "per-tensor";
}

/** A quantized weight: codes, scale and zero point tensors and the grid. */
export interface QuantizedWeight {
  /** Integer codes (Int8Array for int8 and int4). */
  codes: GraphTensor;
  /** Scale: a scalar (per-tensor) or 1-D along `grid.axis`. */
  scale: GraphTensor;
  /** Zero point (all 0), same shape as `scale`, dtype of the codes. */
  zeroPoint: GraphTensor;
  /** The grid for `ValueInfo.quant`. */
  grid: QuantGrid;
}

/** The code range of {@linkcode WeightQuantOptions}, resolved. */
export interface WeightCodeRange {
  /** Bit width b. */
  bits: number;
  /** −(2^(b−1) − 1). */
  qmin: number;
  /** 2^(b−1) − 1. */
  qmax: number;
  /** The container type of the codes. */
  dtype: "int8" | "int4";
}

/**
 * Resolves and checks the bit width of weight options.
 *
 * @param options Weight options (`dtype`, `bits`).
 * @returns Bits, the restricted symmetric range and the container dtype.
 * @throws {RangeError} Naming `bits` if it is not an integer in [2, 8] (or does not fit int4),
 *   naming `dtype` if it is neither `"int8"` nor `"int4"`.
 *
 * @example 3 bits: codes in [−3, 3]
 * ```ts
 * import { weightCodeRange } from "@lowbit/ptq/weights";
 * import { deepEqual, throws } from "node:assert/strict";
 * deepEqual(weightCodeRange({ bits: 3 }), { bits: 3, qmin: -3, qmax: 3, dtype: "int8" });
 * deepEqual(weightCodeRange({ dtype: "int4" }), { bits: 4, qmin: -7, qmax: 7, dtype: "int4" });
 * throws(() => weightCodeRange({ bits: 9 }), /weights.bits must be an integer in \[2, 8\], got 9/);
 * ```
 */
export function weightCodeRange(options: WeightQuantOptions = {}): WeightCodeRange {
  const dtype = options.dtype ?? "int8";
  if (dtype !== "int8" && dtype !== "int4") {
    throw new RangeError(`weights.dtype must be "int8" or "int4", got ${String(dtype)}`);
  }
  const bits = options.bits ?? (dtype === "int4" ? 4 : 8);
  if (typeof bits !== "number" || !Number.isInteger(bits) || bits < 2 || bits > 8) {
    throw new RangeError(`weights.bits must be an integer in [2, 8], got ${String(bits)}`);
  }
  if (dtype === "int4" && bits > 4) {
    throw new RangeError(`weights.bits must be at most 4 with dtype "int4", got ${bits}`);
  }
  const qmax = 2 ** (bits - 1) - 1;
  return { bits, qmin: -qmax, qmax, dtype };
}

function toF32(t: GraphTensor, what: string): Float32Array {
  if (t.data instanceof Float32Array) return t.data;
  if (t.data instanceof Float64Array) return Float32Array.from(t.data);
  throw new TypeError(`${what} must be float32 or float64, got ${t.dtype}`);
}

/**
 * Quantizes a weight symmetrically on the restricted range.
 *
 * @param w The float weight.
 * @param axis The output-channel axis (used when per-channel).
 * @param options Code type, bit width and granularity.
 * @returns Codes, scale, zero point and grid.
 * @throws {TypeError} If `w` is not float.
 * @throws {RangeError} If `axis` is outside the weight's rank, or `bits` is not an integer in
 *   [2, 8] (see {@linkcode weightCodeRange}).
 *
 * @example Per-channel int8: scale[o] = max|w[o]| / 127
 * ```ts
 * import { quantizeWeight } from "@lowbit/ptq/weights";
 * import { tensor } from "@lowbit/graph";
 * import { deepEqual } from "node:assert/strict";
 * const q = quantizeWeight(tensor("float32", [2, 2], [1.27, -0.5, 0.1, -0.254]), 0);
 * deepEqual([...q.scale.data], [Math.fround(1.27 / 127), Math.fround(0.254 / 127)]);
 * deepEqual([...q.codes.data], [127, -50, 50, -127]);
 * ```
 *
 * @example 2 bits (ternary): scale = max|w|, codes in {−1, 0, 1}
 * ```ts
 * import { quantizeWeight } from "@lowbit/ptq/weights";
 * import { tensor } from "@lowbit/graph";
 * import { deepEqual } from "node:assert/strict";
 * const q = quantizeWeight(tensor("float32", [1, 4], [1, 0.4, -0.6, -1]), 0, { bits: 2 });
 * deepEqual([...q.codes.data], [1, 0, -1, -1]);
 * ```
 */
export function quantizeWeight(
  w: GraphTensor,
  axis: number,
  options: WeightQuantOptions = {},
): QuantizedWeight {
  const data = toF32(w, "weight");
  const { dtype, qmin, qmax } = weightCodeRange(options);
  const perChannel = (options.granularity ?? "per-channel") === "per-channel";
  if (perChannel && (!Number.isInteger(axis) || axis < 0 || axis >= w.shape.length)) {
    throw new RangeError(`axis must be in [0, ${w.shape.length}), got ${axis}`);
  }
  const channels = perChannel ? w.shape[axis] : 1;
  const inner = perChannel ? w.shape.slice(axis + 1).reduce((a, b) => a * b, 1) : data.length;
  const mins = new Float64Array(channels).fill(0), maxs = new Float64Array(channels).fill(0);
  for (let i = 0; i < data.length; i++) {
    const c = perChannel ? Math.floor(i / inner) % channels : 0;
    const v = data[i];
    if (v < mins[c]) mins[c] = v;
    if (v > maxs[c]) maxs[c] = v;
  }
  const p = qparamsFromRanges(mins, maxs, { qmin, qmax, symmetric: true });
  const q = quantize({ data, shape: [...w.shape] }, {
    scale: perChannel ? p.scale : p.scale[0],
    zeroPoint: perChannel ? p.zeroPoint : 0,
    qmin,
    qmax,
    axis: perChannel ? axis : undefined,
  }, { scaling: "divide" });
  const codes = Int8Array.from(q.q);
  const sShape = perChannel ? [channels] : [];
  return {
    codes: { dtype, shape: [...w.shape], data: codes },
    scale: { dtype: "float32", shape: sShape, data: p.scale },
    zeroPoint: { dtype, shape: sShape, data: new Int8Array(channels) },
    grid: {
      dtype,
      scale: p.scale,
      zeroPoint: new Int32Array(channels),
      ...(perChannel ? { axis } : {}),
    },
  };
}

/** Precomputed weight codes that do not fit the node's weight. */
export class WeightCodesError extends Error {
  /** The node whose `weightCodes` are wrong. */
  readonly node: string;
  /**
   * Makes the error; the message names the node.
   *
   * @param message What is wrong.
   * @param node The node name.
   */
  constructor(message: string, node: string) {
    super(`node ${node}: weightCodes: ${message}`);
    this.name = "WeightCodesError";
    this.node = node;
  }
}

/**
 * Checks precomputed weight codes against a node's float weight: same shape, integer dtype in
 * an Int8Array, scale per tensor (shape `[]`) or one per channel along `axis` (shape
 * `[shape[axis]]`, `grid.axis === axis`), positive finite scales equal to `grid.scale`, zero
 * points 0.
 *
 * @param node The node name (for the error).
 * @param weight The float weight.
 * @param axis The output-channel axis of the weight.
 * @param q The codes.
 * @throws {WeightCodesError} Naming the node and the mismatch.
 *
 * @example
 * ```ts
 * import { checkWeightCodes, quantizeWeight } from "@lowbit/ptq/weights";
 * import { tensor } from "@lowbit/graph";
 * import { throws } from "node:assert/strict";
 * const w = tensor("float32", [2, 2], [1, 2, 3, 4]);
 * checkWeightCodes("fc", w, 0, quantizeWeight(w, 0));
 * throws(() => checkWeightCodes("fc", w, 1, quantizeWeight(w, 0)), /node fc: weightCodes: per-channel axis 0/);
 * ```
 */
export function checkWeightCodes(
  node: string,
  weight: GraphTensor,
  axis: number,
  q: QuantizedWeight,
): void {
  const fail = (m: string) => new WeightCodesError(m, node);
  const { codes, scale, zeroPoint, grid } = q;
  if (
    codes.shape.length !== weight.shape.length || codes.shape.some((d, i) => d !== weight.shape[i])
  ) {
    throw fail(`codes shape [${codes.shape}] differs from the weight's [${weight.shape}]`);
  }
  if (!(codes.data instanceof Int8Array) || (codes.dtype !== "int8" && codes.dtype !== "int4")) {
    throw fail(`codes must be int8 or int4 in an Int8Array, got ${codes.dtype}`);
  }
  if (codes.data.length !== weight.data.length) {
    throw fail(`codes hold ${codes.data.length} elements, the weight ${weight.data.length}`);
  }
  const n = scale.data.length;
  if (grid.axis === undefined) {
    if (scale.shape.length !== 0 || n !== 1) {
      throw fail(`per-tensor scale must have shape [], got [${scale.shape}]`);
    }
  } else if (grid.axis !== axis) {
    throw fail(`per-channel axis ${grid.axis} is not the weight's output axis ${axis}`);
  } else if (scale.shape.length !== 1 || n !== weight.shape[axis]) {
    throw fail(`per-channel scale must have shape [${weight.shape[axis]}], got [${scale.shape}]`);
  }
  if (grid.scale.length !== n || zeroPoint.data.length !== n || grid.zeroPoint.length !== n) {
    throw fail(`scale, zero point and grid hold different channel counts`);
  }
  for (let i = 0; i < n; i++) {
    const s = Number(scale.data[i]);
    if (!(s > 0 && Number.isFinite(s)) || grid.scale[i] !== s) {
      throw fail(`scale ${i} must be positive, finite and equal to grid.scale, got ${s}`);
    }
    if (Number(zeroPoint.data[i]) !== 0 || grid.zeroPoint[i] !== 0) {
      throw fail(`zero point ${i} must be 0 (symmetric weights)`);
    }
  }
}

/**
 * Quantizes a bias to int32 codes at scale s_x · s_w[o] (zero point 0), as onnxruntime does
 * for Conv and Gemm biases.
 *
 * @param b The float bias, 1-D of length O.
 * @param inputScale The input activation scale s_x.
 * @param weightScale The weight scales (1 or O of them).
 * @returns Codes, scale, zero point and grid (axis 0 when the weight is per-channel).
 * @throws {RangeError} If the scale count is neither 1 nor O.
 *
 * @example
 * ```ts
 * import { quantizeBias } from "@lowbit/ptq/weights";
 * import { tensor } from "@lowbit/graph";
 * import { deepEqual } from "node:assert/strict";
 * const q = quantizeBias(tensor("float32", [2], [0.5, -1]), 0.01, Float32Array.of(0.5, 0.1));
 * deepEqual([...q.codes.data], [100, -1000]);
 * ```
 */
export function quantizeBias(
  b: GraphTensor,
  inputScale: number,
  weightScale: Float32Array,
): QuantizedWeight {
  const data = toF32(b, "bias");
  const n = weightScale.length;
  if (n !== 1 && n !== data.length) {
    throw new RangeError(`bias has ${data.length} elements but ${n} weight scales`);
  }
  const scale = weightScale.map((s) => Math.fround(inputScale * s));
  const q = quantize({ data, shape: [data.length] }, {
    scale: n === 1 ? scale[0] : scale,
    zeroPoint: n === 1 ? 0 : new Int32Array(n),
    qmin: -(2 ** 31) + 1,
    qmax: 2 ** 31 - 1,
    axis: n === 1 ? undefined : 0,
  }, { scaling: "divide" });
  const sShape = n === 1 ? [] : [n];
  return {
    codes: { dtype: "int32", shape: [...b.shape], data: Int32Array.from(q.q) },
    scale: { dtype: "float32", shape: sShape, data: scale },
    zeroPoint: { dtype: "int32", shape: sShape, data: new Int32Array(n) },
    grid: {
      dtype: "int32",
      scale,
      zeroPoint: new Int32Array(n),
      ...(n === 1 ? {} : { axis: 0 }),
    },
  };
}

/**
 * Stores a quantized weight in a graph the QDQ way: `<base>_quantized`, `<base>_scale` and
 * `<base>_zero_point` initializers (the codes' grid recorded in `graph.values`), and returns the
 * DequantizeLinear node that turns them into `<base>_dequantized` (per-channel via `axis`).
 *
 * @param graph The graph being built (its maps are changed).
 * @param base Name prefix of the new values.
 * @param q The quantized weight.
 * @returns The DequantizeLinear node, to be inserted before the weight's consumer.
 *
 * @example
 * ```ts
 * import { addWeightDequantize, quantizeWeight } from "@lowbit/ptq/weights";
 * import { tensor } from "@lowbit/graph/ir";
 * import { deepEqual } from "node:assert/strict";
 * const g = { name: "g", opset: 13, inputs: [], outputs: [], nodes: [], initializers: new Map(), values: new Map() };
 * const node = addWeightDequantize(g, "w", quantizeWeight(tensor("float32", [2, 1], [0.5, -1]), 0));
 * deepEqual(node.inputs, ["w_quantized", "w_scale", "w_zero_point"]);
 * deepEqual([...g.initializers.get("w_quantized")!.data], [127, -127]);
 * ```
 */
export function addWeightDequantize(graph: Graph, base: string, q: QuantizedWeight): Node {
  graph.initializers.set(`${base}_quantized`, q.codes);
  graph.initializers.set(`${base}_scale`, q.scale);
  graph.initializers.set(`${base}_zero_point`, q.zeroPoint);
  graph.values.set(`${base}_quantized`, {
    name: `${base}_quantized`,
    dtype: q.codes.dtype,
    shape: [...q.codes.shape],
    quant: q.grid,
  });
  return {
    name: `${base}_DequantizeLinear`,
    op: "DequantizeLinear",
    inputs: [`${base}_quantized`, `${base}_scale`, `${base}_zero_point`],
    outputs: [`${base}_dequantized`],
    attrs: q.grid.axis !== undefined ? { axis: q.grid.axis } : {},
  };
}

/**
 * Where a node's weight is, as `quantizeStatic` reads it: the input index of a float
 * initializer weight and its output-channel axis — Conv `[O, I/g, kH, kW]` axis 0, Gemm axis 0
 * with `transB = 1` (else 1), MatMul `[K, N]` axis 1 — or `undefined` for other nodes.
 *
 * @param node The node.
 * @param graph Its graph (for the initializers).
 * @returns The weight's input index and axis, or undefined.
 *
 * @example
 * ```ts
 * import { weightInput } from "@lowbit/ptq/weights";
 * import { tensor } from "@lowbit/graph";
 * import { deepEqual, equal } from "node:assert/strict";
 * const g = { name: "g", opset: 13, inputs: [], outputs: [], nodes: [], values: new Map(),
 *   initializers: new Map([["w", tensor("float32", [3, 2], [1, 2, 3, 4, 5, 6])]]) };
 * deepEqual(weightInput({ name: "mm", op: "MatMul", inputs: ["x", "w"], outputs: ["y"], attrs: {} }, g), { index: 1, axis: 1 });
 * equal(weightInput({ name: "r", op: "Relu", inputs: ["x"], outputs: ["y"], attrs: {} }, g), undefined);
 * ```
 */
export function weightInput(node: Node, graph: Graph): { index: number; axis: number } | undefined {
  const w = graph.initializers.get(node.inputs[1] ?? "");
  if (w === undefined || !(w.data instanceof Float32Array || w.data instanceof Float64Array)) {
    return undefined;
  }
  if (node.op === "Conv") return { index: 1, axis: 0 };
  if (node.op === "Gemm" && w.shape.length === 2) {
    return { index: 1, axis: node.attrs.transB === 1 ? 0 : 1 };
  }
  if (node.op === "MatMul" && w.shape.length === 2) return { index: 1, axis: 1 };
  return undefined;
}

/**
 * A copy of a float graph in which the named nodes' weights are quantized (codes →
 * DequantizeLinear, `quantizeWeight` with each node's options) and everything else stays
 * float: weight-only quantization, e.g. to measure one layer's sensitivity at a bit width.
 *
 * @param graph The float graph (not changed).
 * @param nodes The nodes whose weights to quantize, and how (a set: every one with `options`).
 * @param options Weight options for the nodes of a set (default int8 per-channel).
 * @returns The new graph.
 * @throws {RangeError} Naming a node that is not in the graph or has no float weight, or bad
 *   weight options.
 *
 * @example One layer at 2 bits: its weight takes the codes {−1, 0, 1} × scale
 * ```ts
 * import { withQuantizedWeights } from "@lowbit/ptq/weights";
 * import { runFloat, tensor } from "@lowbit/graph";
 * import { deepEqual } from "node:assert/strict";
 * const g = { name: "g", opset: 13, values: new Map(),
 *   inputs: [{ name: "x", dtype: "float32" as const, shape: [1, 2] }],
 *   outputs: [{ name: "y", dtype: "float32" as const, shape: [1, 1] }],
 *   nodes: [{ name: "mm", op: "MatMul", inputs: ["x", "w"], outputs: ["y"], attrs: {} }],
 *   initializers: new Map([["w", tensor("float32", [2, 1], [1, 0.25])]]) };
 * const q = withQuantizedWeights(g, new Map([["mm", { bits: 2 }]]));
 * deepEqual([...runFloat(q, { x: { data: Float32Array.of(1, 1), shape: [1, 2] } }).y.data], [1]);
 * ```
 */
export function withQuantizedWeights(
  graph: Graph,
  nodes: ReadonlySet<string> | ReadonlyMap<string, WeightQuantOptions>,
  options: WeightQuantOptions = {},
): Graph {
  const names = nodes instanceof Map ? [...nodes.keys()] : [...nodes];
  for (const name of names) {
    const n = graph.nodes.find((m) => m.name === name);
    if (n === undefined) throw new RangeError(`nodes: the graph has no node ${name}`);
    if (weightInput(n, graph) === undefined) {
      throw new RangeError(`nodes: ${name} (${n.op}) has no float initializer weight`);
    }
  }
  const optionsOf = (name: string): WeightQuantOptions | undefined =>
    nodes instanceof Map ? nodes.get(name) : nodes.has(name) ? options : undefined;
  const out = cloneGraph(graph);
  const list: Node[] = [];
  for (const n of out.nodes) {
    const opts = optionsOf(n.name);
    const wt = opts === undefined ? undefined : weightInput(n, out);
    if (wt === undefined || opts === undefined) {
      list.push(n);
      continue;
    }
    const w = out.initializers.get(n.inputs[wt.index]) as GraphTensor;
    const q = quantizeWeight(w, wt.axis, opts);
    const base = `${n.inputs[wt.index]}_wq_${n.name}`;
    list.push(addWeightDequantize(out, base, q));
    const inputs = [...n.inputs];
    inputs[wt.index] = `${base}_dequantized`;
    list.push({ ...n, inputs });
  }
  out.nodes = list;
  return out;
}
