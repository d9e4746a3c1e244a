/**
 * `fromNn`: an `@lowbit/nn` model (evaluation semantics) as a {@linkcode Graph} of standard
 * ONNX ops (opset 17) whose `runFloat` output equals the model's `forward` in eval mode.
 *
 * | nn layer | ONNX |
 * | --- | --- |
 * | Linear | `Gemm` (transB = 1) |
 * | Conv2d (groups, depthwise) | `Conv` (pads top, left, bottom, right) |
 * | BatchNorm1d / 2d | `BatchNormalization` (running statistics, ε) |
 * | ReLU, ReLU6, HardSwish | `Relu`, `Clip(0, 6)`, `HardSwish` |
 * | GELU | `0.5·x·(1 + Erf(x·√½))` as Mul, Erf, Add, Mul, Mul |
 * | sigmoid, tanh activations | `Sigmoid`, `Tanh` |
 * | MaxPool2d / AvgPool2d | `MaxPool` / `AveragePool` with `count_include_pad = 1` (nn counts padding) |
 * | GlobalAvgPool | `GlobalAveragePool` + `Flatten` (nn returns `[N, C]`) |
 * | Flatten | `Flatten(axis = 1)` |
 * | Dropout | nothing (inference) |
 * | Residual | body, shortcut, `Add` |
 * | Sequential | its layers in order |
 * | FakeQuant (activation) | `QuantizeLinear → DequantizeLinear` (+ `Clip` to the code range) |
 * | weight quantizer of Linear/Conv2d | `QuantizeLinear → DequantizeLinear` on the weight, axis 0 |
 *
 * **Quantization.** Each fake quantizer's trained grid (scale, zero point: `qparams()` of the
 * FakeQuant; PACT's `fround(α / (2^b − 1))`) is carried by the Q/DQ pair and recorded as the
 * `quant` grid of the quantized value in `values` (activations: the value entering Q; weights:
 * the weight initializer). Codes live in int8/uint8 (bits ≤ 8) or int16 (signed, ≤ 16 bits);
 * when the trained code range [qmin, qmax] is narrower than the container, a `Clip` (weights
 * per channel: `Max`/`Min`) after the DequantizeLinear restores it exactly. `QuantGrid` has no
 * qmin/qmax: its dtype is `int4`/`uint4` for 4-bit grids and the container type otherwise.
 *
 * **Rounding, honestly.** ONNX `QuantizeLinear` rounds fl32(x / S). `@lowbit/nn`'s minmax
 * FakeQuant quantizes like PyTorch, x · fl32(1/S) (`@lowbit/quantize` "reciprocal" scaling);
 * LSQ and PACT round x/S and x·(2^b−1)/α in float64. These can land on different sides of a
 * rounding boundary, so a few codes may differ from the nn forward. `from_nn_test.ts` counts
 * them on the trained `models/mnist-cnn-qat-*` with 500 MNIST test images: w8a8 differs in
 * 7 of 3 136 000 relu1 codes and 37 of 1 568 000 relu2 codes (on identical float inputs x/S
 * and x·fl(1/S) disagree on 3 relu1 codes; the rest follow from the float convolutions
 * summing in a different order, and propagate), w4a4 minmax, LSQ and PACT differ in none;
 * every weight code agrees and the predicted class agrees on 500 of 500 images.
 *
 * Every value also gets its shape from {@linkcode inferShapes} when the executor supports
 * every op of the graph.
 *
 * @example
 * ```ts
 * import { fromNn } from "@lowbit/graph/from-nn";
 * import { runFloat } from "@lowbit/graph/executor";
 * import { Linear, ReLU, Sequential, Variable } from "@lowbit/nn";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { deepEqual } from "node:assert/strict";
 * const net = new Sequential([["fc", new Linear(3, 2, { random: new Philox(1) })], ["act", new ReLU()]]).eval();
 * const g = fromNn(net, { inputShape: [1, 3] });
 * deepEqual(g.nodes.map((n) => n.op), ["Gemm", "Relu"]);
 * ```
 *
 * @module
 */

import {
  Activation,
  AvgPool2d,
  BatchNormBase,
  Conv2d,
  Dropout,
  FakeQuant,
  Flatten,
  GlobalAvgPool,
  Linear,
  MaxPool2d,
  type Module,
  Residual,
  Sequential,
} from "@lowbit/nn";
import { GraphError } from "./errors.ts";
import { inferShapes } from "./executor.ts";
import type { Graph, GraphTensor, Node, QuantGrid, ValueInfo } from "./ir.ts";

/** Options of {@linkcode fromNn}. */
export interface FromNnOptions {
  /** The full input shape including the batch dimension, e.g. `[1, 1, 28, 28]`. */
  inputShape: readonly number[];
  /** Graph name (default `"nn"`). */
  name?: string;
  /** Name of the graph input (default `"input"`). */
  inputName?: string;
  /** Name of the graph output (default `"output"`). */
  outputName?: string;
}

/** The ONNX opset the converted graphs follow. */
export const FROM_NN_OPSET = 17;

const f32 = (shape: number[], values: ArrayLike<number>): GraphTensor => ({
  dtype: "float32",
  shape,
  data: Float32Array.from(values),
});

type Pair = number | readonly number[] | undefined;

function pairOf(v: Pair, def: number): [number, number] {
  if (v === undefined) return [def, def];
  return typeof v === "number" ? [v, v] : [v[0], v[1]];
}

function pads4(v: Pair): number[] {
  if (v === undefined) return [0, 0, 0, 0];
  if (typeof v === "number") return [v, v, v, v];
  return v.length === 4 ? [v[0], v[1], v[2], v[3]] : [v[0], v[1], v[0], v[1]];
}

/** Code container of a grid: the Q output / zero-point dtype. */
function container(
  qmin: number,
  qmax: number,
  layer: string,
): { dtype: "int8" | "uint8" | "int16"; lo: number; hi: number } {
  if (qmin >= 0 && qmax <= 255) return { dtype: "uint8", lo: 0, hi: 255 };
  if (qmin >= -128 && qmax <= 127) return { dtype: "int8", lo: -128, hi: 127 };
  if (qmin >= -32768 && qmax <= 32767) return { dtype: "int16", lo: -32768, hi: 32767 };
  throw new GraphError(`code range [${qmin}, ${qmax}] has no ONNX QuantizeLinear type`, {
    node: layer,
  });
}

function gridDtype(
  bits: number,
  signed: boolean,
  box: "int8" | "uint8" | "int16",
): QuantGrid["dtype"] {
  if (bits === 4) return signed ? "int4" : "uint4";
  return box;
}

function zeroTensor(
  dtype: "int8" | "uint8" | "int16",
  zp: Int32Array,
  shape: number[],
): GraphTensor {
  const data = dtype === "uint8"
    ? Uint8Array.from(zp)
    : dtype === "int8"
    ? Int8Array.from(zp)
    : Int16Array.from(zp);
  return { dtype, shape, data };
}

class Builder {
  nodes: Node[] = [];
  initializers = new Map<string, GraphTensor>();
  values = new Map<string, ValueInfo>();
  #taken = new Set<string>();

  constructor(reserved: string[]) {
    for (const r of reserved) this.#taken.add(r);
  }

  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.#taken.has(name); i++) name = `${base}_${i}`;
    this.#taken.add(name);
    return name;
  }

  init(base: string, t: GraphTensor): string {
    const name = this.fresh(base);
    this.initializers.set(name, t);
    return name;
  }

  node(name: string, op: string, inputs: string[], attrs: Node["attrs"] = {}): string {
    const n = this.fresh(name); // the node and its output share the name
    this.nodes.push({ name: n, op, inputs, outputs: [n], attrs });
    return n;
  }

  setQuant(
    value: string,
    quant: QuantGrid,
    dtype: ValueInfo["dtype"] = "float32",
    shape: readonly number[] = [],
  ): void {
    const prev = this.values.get(value);
    this.values.set(value, { name: value, dtype, shape: [...shape], ...prev, quant });
  }
}

interface Grid {
  scale: Float32Array;
  zeroPoint: Int32Array;
  qmin: number;
  qmax: number;
}

function activationGrid(fq: FakeQuant): Grid {
  if (fq.mode === "pact" && fq.alpha !== null) {
    return {
      scale: Float32Array.of(Math.fround(fq.alpha.data[0] / (2 ** fq.bits - 1))),
      zeroPoint: new Int32Array(1),
      qmin: fq.qmin,
      qmax: fq.qmax,
    };
  }
  const p = fq.qparams();
  return {
    scale: typeof p.scale === "number" ? Float32Array.of(p.scale) : Float32Array.from(p.scale),
    zeroPoint: typeof p.zeroPoint === "number"
      ? Int32Array.of(p.zeroPoint)
      : Int32Array.from(p.zeroPoint),
    qmin: p.qmin,
    qmax: p.qmax,
  };
}

function rne(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Q → DQ (→ clamp) of an activation value. */
function emitActivationQuant(b: Builder, fq: FakeQuant, path: string, x: string): string {
  if (fq.target !== "activation") {
    throw new GraphError(
      `${fq.describe()} quantizes weights; as a layer it must quantize activations`,
      { node: path },
    );
  }
  let grid: Grid;
  try {
    grid = activationGrid(fq);
  } catch (e) {
    throw new GraphError(`${fq.describe()}: ${(e as Error).message}`, { node: path });
  }
  const box = container(grid.qmin, grid.qmax, path);
  const s = b.init(`${path}.scale`, f32([], grid.scale));
  const z = b.init(`${path}.zero_point`, zeroTensor(box.dtype, grid.zeroPoint, []));
  const q = b.node(`${path}.quantize`, "QuantizeLinear", [x, s, z]);
  let y = b.node(`${path}.dequantize`, "DequantizeLinear", [q, s, z]);
  if (grid.qmin > box.lo || grid.qmax < box.hi) {
    const sc = grid.scale[0], zp = grid.zeroPoint[0];
    const lo = b.init(`${path}.min`, f32([], [(grid.qmin - zp) * sc]));
    const hi = b.init(`${path}.max`, f32([], [(grid.qmax - zp) * sc]));
    y = b.node(`${path}.clip`, "Clip", [y, lo, hi]);
  }
  const quant: QuantGrid = {
    dtype: gridDtype(fq.bits, grid.qmin < 0, box.dtype),
    scale: grid.scale,
    zeroPoint: grid.zeroPoint,
  };
  b.setQuant(x, quant);
  b.setQuant(q, quant, box.dtype);
  return y;
}

/** The weight initializer of a Linear/Conv2d, through its weight quantizer's Q/DQ if any. */
function emitWeight(b: Builder, layer: Linear | Conv2d, path: string): string {
  const w = layer.weight;
  const wName = b.init(`${path}.weight`, f32([...w.shape], w.data));
  const wq = layer.weightQuant;
  if (wq === null) return wName;
  if (!(wq instanceof FakeQuant) || wq.target !== "weight") {
    throw new GraphError(`weight transform ${wq.describe()} has no ONNX counterpart`, {
      node: `${path}.weight_fq`,
    });
  }
  const p = wq.qparams(w);
  const c = w.shape[0];
  const scale = typeof p.scale === "number"
    ? new Float32Array(c).fill(p.scale)
    : Float32Array.from(p.scale);
  const zp = typeof p.zeroPoint === "number"
    ? new Int32Array(c).fill(p.zeroPoint)
    : Int32Array.from(p.zeroPoint);
  const fqPath = `${path}.weight_fq`;
  const box = container(p.qmin, p.qmax, fqPath);
  const s = b.init(`${fqPath}.scale`, f32([c], scale));
  const z = b.init(`${fqPath}.zero_point`, zeroTensor(box.dtype, zp, [c]));
  const q = b.node(`${fqPath}.quantize`, "QuantizeLinear", [wName, s, z], { axis: 0 });
  let y = b.node(`${fqPath}.dequantize`, "DequantizeLinear", [q, s, z], { axis: 0 });
  // A clamp is needed only when a code computed as QuantizeLinear does leaves [qmin, qmax].
  const inner = w.size / c;
  let outside = false;
  for (let i = 0; i < w.size && !outside; i++) {
    const k = Math.floor(i / inner);
    const code = rne(Math.fround(w.data[i] / scale[k])) + zp[k];
    outside = code < p.qmin || code > p.qmax;
  }
  if (outside) {
    const bshape = [c, ...w.shape.slice(1).map(() => 1)];
    const lo = b.init(
      `${fqPath}.min`,
      f32(bshape, Array.from(scale, (sc, k) => (p.qmin - zp[k]) * sc)),
    );
    const hi = b.init(
      `${fqPath}.max`,
      f32(bshape, Array.from(scale, (sc, k) => (p.qmax - zp[k]) * sc)),
    );
    y = b.node(`${fqPath}.max`, "Max", [y, lo]);
    y = b.node(`${fqPath}.min`, "Min", [y, hi]);
  }
  const quant: QuantGrid = {
    dtype: gridDtype(wq.bits, true, box.dtype),
    scale,
    zeroPoint: zp,
    axis: 0,
  };
  b.setQuant(wName, quant, "float32", w.shape);
  b.setQuant(q, quant, box.dtype, w.shape);
  return y;
}

function emit(b: Builder, m: Module, path: string, x: string): string {
  const at = (name: string) => (path === "" ? name : `${path}.${name}`);
  const self = path === "" ? "model" : path;
  if (m instanceof Sequential) {
    for (const [name, layer] of m.layers) x = emit(b, layer, at(name), x);
    return x;
  }
  if (m instanceof Residual) {
    const body = emit(b, m.body, at("body"), x);
    const short = m.shortcut === null ? x : emit(b, m.shortcut, at("shortcut"), x);
    return b.node(at("add"), "Add", [body, short]);
  }
  if (m instanceof Linear) {
    const w = emitWeight(b, m, self);
    const inputs = [x, w];
    if (m.bias !== null) inputs.push(b.init(`${self}.bias`, f32([m.outFeatures], m.bias.data)));
    return b.node(self, "Gemm", inputs, { transB: 1 });
  }
  if (m instanceof Conv2d) {
    const w = emitWeight(b, m, self);
    const inputs = [x, w];
    if (m.bias !== null) inputs.push(b.init(`${self}.bias`, f32([m.outChannels], m.bias.data)));
    return b.node(self, "Conv", inputs, {
      kernel_shape: [...m.kernel],
      strides: pairOf(m.options.stride, 1),
      pads: pads4(m.options.padding),
      dilations: pairOf(m.options.dilation, 1),
      group: m.options.groups ?? 1,
    });
  }
  if (m instanceof BatchNormBase) {
    const c = m.channels;
    const inputs = [
      x,
      b.init(`${self}.weight`, f32([c], m.weight.data)),
      b.init(`${self}.bias`, f32([c], m.bias.data)),
      b.init(`${self}.running_mean`, f32([c], m.runningMean.data)),
      b.init(`${self}.running_var`, f32([c], m.runningVar.data)),
    ];
    return b.node(self, "BatchNormalization", inputs, { epsilon: m.eps });
  }
  if (m instanceof Activation) {
    switch (m.kind) {
      case "relu":
        return b.node(self, "Relu", [x]);
      case "relu6": {
        const lo = b.init(`${self}.min`, f32([], [0])), hi = b.init(`${self}.max`, f32([], [6]));
        return b.node(self, "Clip", [x, lo, hi]);
      }
      case "hardSwish":
        return b.node(self, "HardSwish", [x]);
      case "sigmoid":
        return b.node(self, "Sigmoid", [x]);
      case "tanh":
        return b.node(self, "Tanh", [x]);
      case "gelu": {
        const r = b.init(`${self}.sqrt_half`, f32([], [Math.SQRT1_2]));
        const one = b.init(`${self}.one`, f32([], [1]));
        const half = b.init(`${self}.half`, f32([], [0.5]));
        const s = b.node(`${self}.scale`, "Mul", [x, r]);
        const e = b.node(`${self}.erf`, "Erf", [s]);
        const p = b.node(`${self}.plus_one`, "Add", [e, one]);
        const xp = b.node(`${self}.times_x`, "Mul", [x, p]);
        return b.node(self, "Mul", [xp, half]);
      }
    }
  }
  if (m instanceof MaxPool2d || m instanceof AvgPool2d) {
    const o = m.options;
    const [ph, pw] = pairOf(o.padding, 0);
    const attrs: Node["attrs"] = {
      kernel_shape: pairOf(o.kernel, 1),
      strides: pairOf(o.stride ?? o.kernel, 1),
      pads: [ph, pw, ph, pw],
    };
    if (m instanceof AvgPool2d) attrs.count_include_pad = 1;
    return b.node(self, m instanceof MaxPool2d ? "MaxPool" : "AveragePool", [x], attrs);
  }
  if (m instanceof GlobalAvgPool) {
    const p = b.node(`${self}.pool`, "GlobalAveragePool", [x]);
    return b.node(self, "Flatten", [p], { axis: 1 });
  }
  if (m instanceof Flatten) return b.node(self, "Flatten", [x], { axis: 1 });
  if (m instanceof Dropout) return x;
  if (m instanceof FakeQuant) return emitActivationQuant(b, m, self, x);
  throw new GraphError(
    `layer ${m.describe()} (${m.constructor.name}) has no ONNX counterpart in fromNn`,
    { node: self },
  );
}

/**
 * Converts an `@lowbit/nn` model to a graph (evaluation semantics; see the module doc).
 *
 * @param model A Sequential, Residual or single layer (in any mode; BN running statistics,
 *   no dropout and frozen quantizer statistics are used).
 * @param options The input shape (with batch), graph and value names.
 * @returns The graph: one float32 input, one output, parameters as float32 initializers
 *   named by their nn parameter paths (`conv1.weight`).
 * @throws {GraphError} Naming the layer path for an unknown layer type or a quantizer without
 *   statistics.
 *
 * @example Unknown layers are named
 * ```ts
 * import { fromNn } from "@lowbit/graph/from-nn";
 * import { Module, Sequential, type Variable } from "@lowbit/nn";
 * import { throws } from "node:assert/strict";
 * class Twice extends Module {
 *   forward(x: Variable): Variable { return x.mulScalar(2); }
 *   describe(): string { return "Twice()"; }
 * }
 * throws(() => fromNn(new Sequential([["double", new Twice()]]), { inputShape: [1, 2] }),
 *   /node double: layer Twice\(\) \(Twice\) has no ONNX counterpart/);
 * ```
 */
export function fromNn(model: Module, options: FromNnOptions): Graph {
  const inputName = options.inputName ?? "input";
  const outputName = options.outputName ?? "output";
  const b = new Builder([inputName, outputName]);
  let y = emit(b, model, "", inputName);
  if (y === inputName) y = b.node("identity", "Identity", [inputName]);
  // The last value becomes the graph output name.
  const last = b.nodes.findLast((n) => n.outputs[0] === y)!;
  const renamed = { ...last, outputs: [outputName] };
  b.nodes = b.nodes.map((n) =>
    n === last
      ? renamed
      : n.inputs.includes(y)
      ? { ...n, inputs: n.inputs.map((v) => (v === y ? outputName : v)) }
      : n
  );
  const info = b.values.get(y);
  if (info !== undefined) {
    b.values.delete(y);
    b.values.set(outputName, { ...info, name: outputName });
  }
  const inputInfo: ValueInfo = {
    name: inputName,
    dtype: "float32",
    shape: [...options.inputShape],
    ...(b.values.get(inputName)?.quant ? { quant: b.values.get(inputName)!.quant } : {}),
  };
  b.values.delete(inputName);
  const graph: Graph = {
    name: options.name ?? "nn",
    opset: FROM_NN_OPSET,
    inputs: [inputInfo],
    outputs: [{ name: outputName, dtype: "float32", shape: [] }],
    nodes: b.nodes,
    initializers: b.initializers,
    values: b.values,
  };
  try {
    const shaped = inferShapes(graph);
    // Keep the quant grids next to the inferred shapes.
    for (const [name, v] of graph.values) {
      const s = shaped.values.get(name);
      shaped.values.set(name, s ? { ...s, quant: v.quant } : v);
    }
    return shaped;
  } catch (e) {
    if (!(e instanceof GraphError)) throw e;
    return graph; // an op the executor lacks: shapes stay unknown
  }
}
