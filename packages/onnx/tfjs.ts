/**
 * TensorFlow.js graph-model import: `model.json` + weight shards → a lowbit {@linkcode Graph}
 * with ONNX-vocabulary nodes in NCHW. Weights stored as float32, float16 or uint8/uint16
 * affine (`value = q · scale + min`) become float32 initializers.
 *
 * TensorFlow is NHWC: the importer tracks, for every value, whether it is held transposed to
 * NCHW. Spatial ops (Conv2D, depthwise, pools, Pad, Resize, BatchNorm) take NCHW inputs
 * (a Transpose is inserted when needed, once per value); elementwise ops keep the layout of
 * their 4-D inputs (constants are permuted at import); every other op and every graph output
 * sees NHWC again. TF `SAME` padding becomes explicit ONNX pads equal to TF's (the extra pad at
 * the end), which needs static spatial sizes upstream of each padded op.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { GraphError } from "@lowbit/graph/errors";
import { ONNX_TYPE } from "./_proto.ts";
import type { Graph, GraphDType, GraphTensor, Node, ValueInfo } from "@lowbit/graph/ir";
import {
  decodeTfjsWeights,
  type TfjsModelJson,
  type TfjsNode,
  type TfjsWeight,
  type TfjsWeightGroup,
} from "./_tfjs_weights.ts";

export type {
  AttrValue,
  Graph,
  GraphData,
  GraphDType,
  GraphTensor,
  Node,
  QuantGrid,
  ValueInfo,
} from "@lowbit/graph/ir";
export type {
  TfjsModelJson,
  TfjsNode,
  TfjsQuantization,
  TfjsWeightGroup,
  TfjsWeightSpec,
} from "./_tfjs_weights.ts";

type Attr = {
  i?: string | number;
  f?: number;
  s?: string;
  b?: boolean;
  type?: string;
  list?: { i?: (string | number)[]; s?: string[]; f?: number[] };
  shape?: { dim?: { size?: string | number }[]; unknownRank?: boolean };
};

interface Val {
  /** IR value name. */
  name: string;
  /** Held as NCHW (the TF value is 4-D NHWC). */
  nchw: boolean;
  /** TF (NHWC) shape when known. */
  shape?: number[];
  dtype: GraphDType;
}

const TF_DTYPES: Record<string, GraphDType> = {
  DT_FLOAT: "float32",
  DT_INT32: "int32",
  DT_BOOL: "bool",
  DT_INT64: "int64",
  DT_HALF: "float16",
  DT_DOUBLE: "float64",
  DT_UINT8: "uint8",
  DT_INT8: "int8",
};
const TO_NCHW = [0, 3, 1, 2];
const TO_NHWC = [0, 2, 3, 1];

function b64(s: string): string {
  return new TextDecoder().decode(Uint8Array.from(atob(s), (c) => c.charCodeAt(0)));
}

class Importer {
  readonly nodes: Node[] = [];
  readonly initializers = new Map<string, GraphTensor>();
  readonly vals = new Map<string, Val>();
  readonly consts = new Map<string, TfjsWeight>();
  readonly inputs: ValueInfo[] = [];
  private readonly nchwOf = new Map<string, string>();
  private readonly nhwcOf = new Map<string, string>();
  private counter = 0;

  constructor(readonly weights: Map<string, TfjsWeight>) {}

  fresh(base: string): string {
    return `${base}/_${this.counter++}`;
  }

  emit(
    op: string,
    inputs: string[],
    attrs: Node["attrs"] = {},
    name = this.fresh(op),
    outputs = [name],
  ): string {
    this.nodes.push({ name, op, inputs, outputs, attrs });
    return outputs[0];
  }

  init(base: string, t: GraphTensor): string {
    const name = this.fresh(base);
    this.initializers.set(name, t);
    return name;
  }

  i64(base: string, values: number[]): string {
    return this.init(base, {
      dtype: "int64",
      shape: [values.length],
      data: BigInt64Array.from(values, (v) => BigInt(v)),
    });
  }

  f32(base: string, values: number[]): string {
    return this.init(base, { dtype: "float32", shape: [], data: Float32Array.from(values) });
  }

  /** The value as NCHW (4-D). */
  nchw(v: Val): string {
    if (v.nchw) return v.name;
    let t = this.nchwOf.get(v.name);
    if (!t) {
      t = this.emit("Transpose", [v.name], { perm: TO_NCHW }, this.fresh(`${v.name}/nchw`));
      this.nchwOf.set(v.name, t);
    }
    return t;
  }

  /** The value in TF layout. */
  nhwc(v: Val): string {
    if (!v.nchw) return v.name;
    let t = this.nhwcOf.get(v.name);
    if (!t) {
      t = this.emit("Transpose", [v.name], { perm: TO_NHWC }, this.fresh(`${v.name}/nhwc`));
      this.nhwcOf.set(v.name, t);
    }
    return t;
  }

  constValues(node: TfjsNode, ref: string | undefined, what: string): number[] {
    const c = ref === undefined ? undefined : this.consts.get(tfName(ref));
    if (!c) {
      throw new GraphError(`${what} must be a constant`, { node: node.name, op: node.op });
    }
    return Array.from(c.data);
  }
}

function tfName(ref: string): string {
  return ref.replace(/:0$/, "");
}

function attrOf(node: TfjsNode, key: string): Attr | undefined {
  return (node.attr as Record<string, Attr> | undefined)?.[key];
}
function attrInt(node: TfjsNode, key: string, fallback: number): number {
  const a = attrOf(node, key);
  return a?.i === undefined ? fallback : Number(a.i);
}
function attrInts(node: TfjsNode, key: string, fallback: number[]): number[] {
  const a = attrOf(node, key);
  return a?.list?.i ? a.list.i.map(Number) : fallback;
}
function attrStr(node: TfjsNode, key: string, fallback: string): string {
  const a = attrOf(node, key);
  return a?.s === undefined ? fallback : b64(a.s);
}
function attrBool(node: TfjsNode, key: string): boolean {
  return attrOf(node, key)?.b === true;
}
function attrType(node: TfjsNode, key: string, fallback: GraphDType): GraphDType {
  const t = attrOf(node, key)?.type;
  return t === undefined ? fallback : (TF_DTYPES[t] ?? fallback);
}

/** TF padding of one spatial axis → [begin, end]. */
function padAxis(
  padding: string,
  size: number | undefined,
  k: number,
  s: number,
  d: number,
  node: TfjsNode,
): [number, number] {
  if (padding === "VALID") return [0, 0];
  if (padding !== "SAME") {
    throw new GraphError(`padding ${padding} is not supported`, { node: node.name, op: node.op });
  }
  if (size === undefined || size < 0) {
    throw new GraphError("SAME padding needs a static input size", {
      node: node.name,
      op: node.op,
    });
  }
  const ke = (k - 1) * d + 1, out = Math.ceil(size / s);
  const total = Math.max(0, (out - 1) * s + ke - size);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

function broadcast(a?: number[], b?: number[]): number[] | undefined {
  if (!a || !b) return undefined;
  const n = Math.max(a.length, b.length), out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1, y = b[b.length - n + i] ?? 1;
    out.push(x === 1 ? y : x);
  }
  return out;
}

const UNARY: Record<string, string> = {
  Relu: "Relu",
  Sigmoid: "Sigmoid",
  Tanh: "Tanh",
  Sqrt: "Sqrt",
  Exp: "Exp",
  Log: "Log",
  Neg: "Neg",
  Abs: "Abs",
  Floor: "Floor",
  Ceil: "Ceil",
  Identity: "Identity",
  Elu: "Elu",
  Rsqrt: "",
  Relu6: "",
  Square: "",
  LeakyRelu: "",
};
const BINARY: Record<string, string> = {
  Add: "Add",
  AddV2: "Add",
  BiasAdd: "Add",
  Sub: "Sub",
  Mul: "Mul",
  RealDiv: "Div",
  Div: "Div",
  Maximum: "Max",
  Minimum: "Min",
  Pow: "Pow",
  SquaredDifference: "",
  FloorDiv: "",
};
const CONVS = new Set([
  "Conv2D",
  "_FusedConv2D",
  "DepthwiseConv2dNative",
  "FusedDepthwiseConv2dNative",
]);

function convert(im: Importer, node: TfjsNode): void {
  const refs = (node.input ?? []).filter((r) => !r.startsWith("^"));
  const inp = (i: number): Val => {
    const r = refs[i];
    const v = r === undefined ? undefined : im.vals.get(r) ?? im.vals.get(tfName(r));
    if (!v) {
      throw new GraphError(`input ${i} (${r}) is not produced before this node`, {
        node: node.name,
        op: node.op,
      });
    }
    return v;
  };
  const set = (name: string, v: Omit<Val, "name">, key = node.name): void => {
    im.vals.set(key, { name, ...v });
  };
  const op = node.op;

  if (op === "Placeholder") {
    const dims = attrOf(node, "shape")?.shape?.dim?.map((d) => Number(d.size ?? -1)) ?? [];
    const dtype = attrType(node, "dtype", "float32");
    im.inputs.push({ name: node.name, dtype, shape: dims });
    set(node.name, { nchw: false, shape: dims, dtype });
    return;
  }
  if (op === "Const") {
    const w = im.weights.get(node.name);
    if (!w) {
      throw new GraphError("constant has no weight in the manifest", { node: node.name, op });
    }
    im.consts.set(node.name, w);
    im.initializers.set(node.name, {
      dtype: w.dtype,
      shape: [...w.shape],
      data: w.data,
    });
    set(node.name, { nchw: false, shape: [...w.shape], dtype: w.dtype });
    return;
  }
  if (CONVS.has(op)) {
    const depthwise = op.includes("Depthwise");
    const x = inp(0);
    const wName = tfName(refs[1] ?? "");
    const w = im.consts.get(wName);
    if (!w || w.shape.length !== 4) {
      throw new GraphError("the filter must be a 4-D constant", { node: node.name, op });
    }
    if (attrStr(node, "data_format", "NHWC") !== "NHWC") {
      throw new GraphError("only data_format NHWC is supported", { node: node.name, op });
    }
    const [kh, kw, cin, m] = w.shape;
    const cout = depthwise ? cin * m : m;
    const f = new Float32Array(w.data.length);
    // TF [kh, kw, cin, cout|m] → ONNX [cout, cin/group, kh, kw]
    for (let a = 0; a < kh; a++) {
      for (let b = 0; b < kw; b++) {
        for (let c = 0; c < cin; c++) {
          for (let o = 0; o < m; o++) {
            const src = ((a * kw + b) * cin + c) * m + o;
            const dst = depthwise
              ? ((c * m + o) * kh + a) * kw + b
              : ((o * cin + c) * kh + a) * kw + b;
            f[dst] = w.data[src];
          }
        }
      }
    }
    const filter = im.init(`${node.name}/filter`, {
      dtype: "float32",
      shape: depthwise ? [cout, 1, kh, kw] : [cout, cin, kh, kw],
      data: f,
    });
    const strides = attrInts(node, "strides", [1, 1, 1, 1]);
    const dil = attrInts(node, "dilations", [1, 1, 1, 1]);
    const padding = attrStr(node, "padding", "VALID");
    let pads: number[];
    if (padding === "EXPLICIT") {
      const e = attrInts(node, "explicit_paddings", [0, 0, 0, 0, 0, 0, 0, 0]);
      pads = [e[2], e[4], e[3], e[5]];
    } else {
      const [t, bo] = padAxis(padding, x.shape?.[1], kh, strides[1], dil[1], node);
      const [l, r] = padAxis(padding, x.shape?.[2], kw, strides[2], dil[2], node);
      pads = [t, l, bo, r];
    }
    const fused = attrOf(node, "fused_ops")?.list?.s?.map(b64) ?? [];
    let bias = "";
    let rest = fused;
    if (fused[0] === "BiasAdd") {
      bias = refs[2];
      if (!im.consts.has(tfName(bias))) {
        throw new GraphError("the bias must be a constant", { node: node.name, op });
      }
      bias = tfName(bias);
      rest = fused.slice(1);
    }
    const xs = x.shape;
    const outShape = xs
      ? [
        xs[0],
        Math.floor((xs[1] + pads[0] + pads[2] - ((kh - 1) * dil[1] + 1)) / strides[1]) + 1,
        Math.floor((xs[2] + pads[1] + pads[3] - ((kw - 1) * dil[2] + 1)) / strides[2]) + 1,
        cout,
      ]
      : undefined;
    let y = im.emit(
      "Conv",
      [im.nchw(x), filter, ...(bias ? [bias] : [])],
      {
        kernel_shape: [kh, kw],
        strides: [strides[1], strides[2]],
        dilations: [dil[1], dil[2]],
        pads,
        group: depthwise ? cin : 1,
      },
      node.name,
      [rest.length ? im.fresh(node.name) : node.name],
    );
    if (rest[0] === "FusedBatchNorm") {
      const [sc, of, mean, vr] = [2, 3, 4, 5].map((i) => tfName(refs[i]));
      const eps = attrOf(node, "epsilon")?.f ?? 1e-3;
      y = im.emit(
        "BatchNormalization",
        [y, sc, of, mean, vr],
        { epsilon: eps },
        `${node.name}/bn`,
        [rest.length > 1 ? im.fresh(node.name) : node.name],
      );
      rest = rest.slice(1);
    }
    if (rest.length > 1) {
      throw new GraphError(`fused_ops [${fused}] are not supported`, { node: node.name, op });
    }
    if (rest.length === 1) {
      const act = rest[0];
      if (act === "Relu") y = im.emit("Relu", [y], {}, `${node.name}/${act}`, [node.name]);
      else if (act === "Relu6") {
        y = im.emit(
          "Clip",
          [y, im.f32("zero", [0]), im.f32("six", [6])],
          {},
          `${node.name}/${act}`,
          [node.name],
        );
      } else if (act === "LeakyRelu") {
        y = im.emit(
          "LeakyRelu",
          [y],
          { alpha: attrOf(node, "leakyrelu_alpha")?.f ?? 0.2 },
          `${node.name}/${act}`,
          [node.name],
        );
      } else if (act === "Elu") y = im.emit("Elu", [y], {}, `${node.name}/${act}`, [node.name]);
      else if (act === "Sigmoid") {
        y = im.emit("Sigmoid", [y], {}, `${node.name}/${act}`, [node.name]);
      } else if (act === "Prelu") {
        const alpha = im.consts.get(tfName(refs[bias ? 3 : 2] ?? ""));
        if (!alpha) throw new GraphError("Prelu alpha must be a constant", { node: node.name, op });
        const slope = im.init(`${node.name}/alpha`, {
          dtype: "float32",
          shape: [alpha.data.length, 1, 1],
          data: Float32Array.from(alpha.data),
        });
        y = im.emit("PRelu", [y, slope], {}, `${node.name}/${act}`, [node.name]);
      } else {
        throw new GraphError(`fused activation ${act} is not supported`, { node: node.name, op });
      }
    }
    set(y, { nchw: true, shape: outShape, dtype: "float32" });
    return;
  }
  if (op === "MaxPool" || op === "AvgPool") {
    const x = inp(0);
    const k = attrInts(node, "ksize", [1, 1, 1, 1]);
    const s = attrInts(node, "strides", [1, 1, 1, 1]);
    const padding = attrStr(node, "padding", "VALID");
    const [t, b] = padAxis(padding, x.shape?.[1], k[1], s[1], 1, node);
    const [l, r] = padAxis(padding, x.shape?.[2], k[2], s[2], 1, node);
    const xs = x.shape;
    const y = im.emit(op === "MaxPool" ? "MaxPool" : "AveragePool", [im.nchw(x)], {
      kernel_shape: [k[1], k[2]],
      strides: [s[1], s[2]],
      pads: [t, l, b, r],
      ...(op === "AvgPool" ? { count_include_pad: 0 } : {}),
    }, node.name);
    set(y, {
      nchw: true,
      dtype: x.dtype,
      shape: xs
        ? [
          xs[0],
          Math.floor((xs[1] + t + b - k[1]) / s[1]) + 1,
          Math.floor((xs[2] + l + r - k[2]) / s[2]) + 1,
          xs[3],
        ]
        : undefined,
    });
    return;
  }
  if (op === "Pad" || op === "PadV2" || op === "MirrorPad") {
    const x = inp(0);
    const p = im.constValues(node, refs[1], "paddings");
    const rank = p.length / 2;
    const begin = Array.from({ length: rank }, (_, i) => p[2 * i]);
    const end = Array.from({ length: rank }, (_, i) => p[2 * i + 1]);
    const four = rank === 4 && x.shape?.length === 4;
    const perm = four ? TO_NCHW : [...begin.keys()];
    const pads = [...perm.map((i) => begin[i]), ...perm.map((i) => end[i])];
    const cv = op === "PadV2" ? [tfName(refs[2])] : [];
    const mode = op === "MirrorPad"
      ? (attrStr(node, "mode", "REFLECT") === "REFLECT" ? "reflect" : "edge")
      : "constant";
    if (op === "MirrorPad" && mode !== "reflect") {
      throw new GraphError("MirrorPad SYMMETRIC is not supported", { node: node.name, op });
    }
    const y = im.emit("Pad", [four ? im.nchw(x) : im.nhwc(x), im.i64("pads", pads), ...cv], {
      mode,
    }, node.name);
    set(y, {
      nchw: four,
      dtype: x.dtype,
      shape: x.shape?.map((d, i) => d + begin[i] + end[i]),
    });
    return;
  }
  if (op === "ResizeBilinear" || op === "ResizeNearestNeighbor") {
    const x = inp(0);
    const [h, w] = im.constValues(node, refs[1], "size");
    const align = attrBool(node, "align_corners"), half = attrBool(node, "half_pixel_centers");
    const xs = x.shape;
    if (!xs) throw new GraphError("Resize needs a static input shape", { node: node.name, op });
    const bilinear = op === "ResizeBilinear";
    const y = im.emit("Resize", [
      im.nchw(x),
      "",
      "",
      im.i64("sizes", [xs[0], xs[3], h, w]),
    ], {
      mode: bilinear ? "linear" : "nearest",
      coordinate_transformation_mode: align
        ? "align_corners"
        : half
        ? (bilinear ? "half_pixel" : "tf_half_pixel_for_nn")
        : "asymmetric",
      ...(bilinear ? {} : { nearest_mode: align ? "round_prefer_ceil" : "floor" }),
    }, node.name);
    set(y, { nchw: true, dtype: x.dtype, shape: [xs[0], h, w, xs[3]] });
    return;
  }
  if (op === "FusedBatchNorm" || op === "FusedBatchNormV3") {
    const x = inp(0);
    const [sc, of, mean, vr] = [1, 2, 3, 4].map((i) => tfName(refs[i]));
    const y = im.emit("BatchNormalization", [im.nchw(x), sc, of, mean, vr], {
      epsilon: attrOf(node, "epsilon")?.f ?? 1e-3,
    }, node.name);
    set(y, { nchw: true, dtype: x.dtype, shape: x.shape });
    return;
  }
  if (op in UNARY) {
    const x = inp(0);
    const src = x.name;
    let y: string;
    if (op === "Relu6") {
      y = im.emit("Clip", [src, im.f32("zero", [0]), im.f32("six", [6])], {}, node.name);
    } else if (op === "LeakyRelu") {
      y = im.emit("LeakyRelu", [src], { alpha: attrOf(node, "alpha")?.f ?? 0.2 }, node.name);
    } else if (op === "Square") y = im.emit("Mul", [src, src], {}, node.name);
    else if (op === "Rsqrt") {
      y = im.emit("Reciprocal", [im.emit("Sqrt", [src])], {}, node.name);
    } else y = im.emit(UNARY[op], [src], {}, node.name);
    set(y, { nchw: x.nchw, dtype: x.dtype, shape: x.shape });
    return;
  }
  if (op === "Cast") {
    const x = inp(0);
    const to = attrType(node, "DstT", "float32");
    const y = im.emit("Cast", [x.name], { to: ONNX_TYPE[to] }, node.name);
    set(y, { nchw: x.nchw, dtype: to, shape: x.shape });
    return;
  }
  if (op in BINARY) {
    const a = inp(0), b = inp(1);
    const shape = broadcast(a.shape, b.shape);
    // Keep NCHW when one side is NCHW and the other is NCHW too or a constant.
    const permConst = (v: Val): string | undefined => {
      const c = im.consts.get(v.name);
      if (!c || c.shape.length > 4) return undefined;
      const s4 = [...Array(4 - c.shape.length).fill(1), ...c.shape];
      const [n, h, w, ch] = s4;
      const data = c.data instanceof Int32Array
        ? new Int32Array(c.data.length)
        : new Float32Array(c.data.length);
      for (let i0 = 0; i0 < n; i0++) {
        for (let i1 = 0; i1 < h; i1++) {
          for (let i2 = 0; i2 < w; i2++) {
            for (let i3 = 0; i3 < ch; i3++) {
              data[((i0 * ch + i3) * h + i1) * w + i2] = c.data[((i0 * h + i1) * w + i2) * ch + i3];
            }
          }
        }
      }
      return im.init(`${v.name}/nchw`, { dtype: c.dtype, shape: [n, ch, h, w], data });
    };
    let an: string, bn: string, nchw = false;
    if (a.nchw && b.nchw) {
      [an, bn, nchw] = [a.name, b.name, true];
    } else if (a.nchw && permConst(b) !== undefined) {
      [an, bn, nchw] = [a.name, permConst(b)!, true];
    } else if (b.nchw && permConst(a) !== undefined) {
      [an, bn, nchw] = [permConst(a)!, b.name, true];
    } else [an, bn] = [im.nhwc(a), im.nhwc(b)];
    let y: string;
    if (op === "SquaredDifference") {
      const d = im.emit("Sub", [an, bn]);
      y = im.emit("Mul", [d, d], {}, node.name);
    } else if (op === "FloorDiv") {
      y = a.dtype === "float32"
        ? im.emit("Floor", [im.emit("Div", [an, bn])], {}, node.name)
        : im.emit("Div", [an, bn], {}, node.name); // ints: truncation = floor for x ≥ 0
    } else y = im.emit(BINARY[op], [an, bn], {}, node.name);
    set(y, { nchw, dtype: a.dtype, shape });
    return;
  }
  // Everything below works in TF layout.
  const x = inp(0);
  const xn = im.nhwc(x);
  const rank = x.shape?.length;
  const axisOf = (ax: number): number => (ax < 0 && rank !== undefined ? ax + rank : ax);
  switch (op) {
    case "Reshape": {
      const s = im.constValues(node, refs[1], "shape");
      let shape: number[] | undefined = s;
      if (x.shape && s.includes(-1)) {
        const known = s.filter((d) => d !== -1).reduce((p, q) => p * q, 1);
        const total = x.shape.reduce((p, q) => p * q, 1);
        shape = s.map((d) => (d === -1 ? total / known : d));
      }
      const y = im.emit("Reshape", [xn, im.i64("shape", s)], {}, node.name);
      set(y, { nchw: false, dtype: x.dtype, shape });
      return;
    }
    case "ExpandDims": {
      const [ax0] = im.constValues(node, refs[1], "dim");
      const ax = ax0 < 0 && rank !== undefined ? ax0 + rank + 1 : ax0;
      const y = im.emit("Unsqueeze", [xn, im.i64("axes", [ax])], {}, node.name);
      const shape = x.shape ? [...x.shape.slice(0, ax), 1, ...x.shape.slice(ax)] : undefined;
      set(y, { nchw: false, dtype: x.dtype, shape });
      return;
    }
    case "Squeeze": {
      let axes = attrInts(node, "squeeze_dims", attrInts(node, "axis", [])).map(axisOf);
      if (axes.length === 0 && x.shape) {
        axes = x.shape.flatMap((d, i) => (d === 1 ? [i] : []));
      }
      const y = im.emit(
        "Squeeze",
        [xn, ...(axes.length ? [im.i64("axes", axes)] : [])],
        {},
        node.name,
      );
      set(y, { nchw: false, dtype: x.dtype, shape: x.shape?.filter((_, i) => !axes.includes(i)) });
      return;
    }
    case "Unpack": {
      const ax = axisOf(attrInt(node, "axis", 0));
      const num = attrInt(node, "num", 1);
      const parts = Array.from({ length: num }, () => im.fresh(`${node.name}/part`));
      if (num === 1) parts[0] = xn;
      else im.emit("Split", [xn], { axis: ax }, im.fresh(`${node.name}/split`), parts);
      const shape = x.shape?.filter((_, i) => i !== ax);
      for (let k = 0; k < num; k++) {
        const name = k === 0 ? node.name : `${node.name}:${k}`;
        im.emit("Squeeze", [parts[k], im.i64("axes", [ax])], {}, name);
        set(name, { nchw: false, dtype: x.dtype, shape }, name);
      }
      return;
    }
    case "Pack": {
      const n = refs.length;
      const vs = Array.from({ length: n }, (_, k) => inp(k));
      const r = vs[0].shape?.length;
      const a0 = attrInt(node, "axis", 0);
      const ax = a0 < 0 && r !== undefined ? a0 + r + 1 : a0;
      const us = vs.map((v) => im.emit("Unsqueeze", [im.nhwc(v), im.i64("axes", [ax])]));
      const y = im.emit("Concat", us, { axis: ax }, node.name);
      const s = vs[0].shape;
      set(y, {
        nchw: false,
        dtype: vs[0].dtype,
        shape: s ? [...s.slice(0, ax), n, ...s.slice(ax)] : undefined,
      });
      return;
    }
    case "ConcatV2": {
      const n = refs.length - 1;
      const vs = Array.from({ length: n }, (_, k) => inp(k));
      const [a0] = im.constValues(node, refs[n], "axis");
      const r = vs[0].shape?.length;
      const ax = a0 < 0 && r !== undefined ? a0 + r : a0;
      const y = im.emit("Concat", vs.map((v) => im.nhwc(v)), { axis: ax }, node.name);
      const s = vs[0].shape;
      const shape = s && vs.every((v) => v.shape)
        ? s.map((d, i) => (i === ax ? vs.reduce((p, v) => p + v.shape![i], 0) : d))
        : undefined;
      set(y, { nchw: false, dtype: vs[0].dtype, shape });
      return;
    }
    case "Transpose": {
      const perm = im.constValues(node, refs[1], "perm");
      const y = im.emit("Transpose", [xn], { perm }, node.name);
      set(y, {
        nchw: false,
        dtype: x.dtype,
        shape: x.shape ? perm.map((p) => x.shape![p]) : undefined,
      });
      return;
    }
    case "Softmax": {
      const y = im.emit("Softmax", [xn], { axis: -1 }, node.name);
      set(y, { nchw: false, dtype: x.dtype, shape: x.shape });
      return;
    }
    case "ArgMax": {
      const [a0] = im.constValues(node, refs[1], "dimension");
      const ax = axisOf(a0);
      const am = im.emit("ArgMax", [xn], { axis: ax, keepdims: 0 });
      const to = attrType(node, "output_type", "int64");
      const y = im.emit("Cast", [am], { to: ONNX_TYPE[to] }, node.name);
      set(y, { nchw: false, dtype: to, shape: x.shape?.filter((_, i) => i !== ax) });
      return;
    }
    case "GatherNd": {
      const idx = inp(1);
      const i64 = im.emit("Cast", [im.nhwc(idx)], { to: 7 });
      const y = im.emit("GatherND", [xn, i64], {}, node.name);
      const is = idx.shape, xs = x.shape;
      const shape = is && xs ? [...is.slice(0, -1), ...xs.slice(is[is.length - 1])] : undefined;
      set(y, { nchw: false, dtype: x.dtype, shape });
      return;
    }
    case "Mean":
    case "Sum":
    case "Max":
    case "Min":
    case "Prod": {
      const axes = im.constValues(node, refs[1], "reduction_indices").map(axisOf);
      const keep = attrBool(node, "keep_dims");
      const onnx = {
        Mean: "ReduceMean",
        Sum: "ReduceSum",
        Max: "ReduceMax",
        Min: "ReduceMin",
        Prod: "ReduceProd",
      }[op];
      const y = im.emit(onnx, [xn], { axes, keepdims: keep ? 1 : 0 }, node.name);
      const shape = x.shape
        ? keep
          ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
          : x.shape.filter((_, i) => !axes.includes(i))
        : undefined;
      set(y, { nchw: false, dtype: x.dtype, shape });
      return;
    }
    case "Shape": {
      const s = im.emit("Shape", [xn]);
      const to = attrType(node, "out_type", "int32");
      const y = im.emit("Cast", [s], { to: ONNX_TYPE[to] }, node.name);
      set(y, { nchw: false, dtype: to, shape: rank === undefined ? undefined : [rank] });
      return;
    }
    case "StridedSlice": {
      const begin = im.constValues(node, refs[1], "begin");
      const end = im.constValues(node, refs[2], "end");
      const strides = im.constValues(node, refs[3], "strides");
      const bm = attrInt(node, "begin_mask", 0), em = attrInt(node, "end_mask", 0);
      const sm = attrInt(node, "shrink_axis_mask", 0);
      if (attrInt(node, "ellipsis_mask", 0) || attrInt(node, "new_axis_mask", 0)) {
        throw new GraphError("StridedSlice ellipsis/new_axis masks are not supported", {
          node: node.name,
          op,
        });
      }
      const BIG = 2 ** 31 - 1;
      const starts = begin.map((b, i) => bm & (1 << i) ? (strides[i] > 0 ? 0 : BIG) : b);
      const ends = end.map((e, i) =>
        sm & (1 << i)
          ? (begin[i] === -1 ? BIG : begin[i] + 1)
          : em & (1 << i)
          ? (strides[i] > 0 ? BIG : -BIG)
          : e
      );
      const axes = begin.map((_, i) => i);
      let y = im.emit(
        "Slice",
        [
          xn,
          im.i64("starts", starts),
          im.i64("ends", ends),
          im.i64("axes", axes),
          im.i64("steps", strides),
        ],
        {},
        sm ? im.fresh(node.name) : node.name,
      );
      const shrink = axes.filter((i) => sm & (1 << i));
      if (shrink.length) y = im.emit("Squeeze", [y, im.i64("axes", shrink)], {}, node.name);
      set(y, { nchw: false, dtype: x.dtype });
      return;
    }
  }
  throw new GraphError(`unsupported op ${op} at node ${node.name}`, { node: node.name, op });
}

function asModelJson(modelJson: unknown): TfjsModelJson {
  const j = modelJson as TfjsModelJson;
  if (
    typeof j !== "object" || j === null || !Array.isArray(j.weightsManifest) ||
    !Array.isArray(j.modelTopology?.node)
  ) {
    throw new GraphError("not a tfjs graph model (needs modelTopology.node and weightsManifest)");
  }
  return j;
}

/**
 * Converts a TensorFlow.js graph model into a lowbit graph (ONNX op vocabulary, NCHW inside,
 * NHWC at the graph inputs and outputs exactly as in TensorFlow).
 *
 * @param modelJson The parsed `model.json` (format `"graph-model"`).
 * @param shards The weight files, in manifest order (every group's `paths` in order).
 * @returns The graph: one input per Placeholder, outputs = the signature's outputs (else the
 *   values nobody consumes), float32 initializers.
 * @throws {GraphError} `unsupported op X at node Y` for an op without a mapping, or on
 *   malformed weights or non-constant filters/shapes.
 *
 * @example One 1×1 Conv2D with bias and Relu6 on a 1×1×1×2 input
 * ```ts
 * import { importTfjs } from "@lowbit/onnx/tfjs";
 * import { runFloat } from "@lowbit/graph/executor";
 * import { deepEqual } from "node:assert/strict";
 * const s = (t: string) => btoa(t);
 * const model = {
 *   format: "graph-model",
 *   modelTopology: { node: [
 *     { name: "x", op: "Placeholder", attr: { dtype: { type: "DT_FLOAT" },
 *       shape: { shape: { dim: [{ size: "1" }, { size: "1" }, { size: "1" }, { size: "2" }] } } } },
 *     { name: "w", op: "Const" }, { name: "b", op: "Const" },
 *     { name: "y", op: "_FusedConv2D", input: ["x", "w", "b"], attr: {
 *       strides: { list: { i: ["1", "1", "1", "1"] } }, padding: { s: s("SAME") },
 *       fused_ops: { list: { s: [s("BiasAdd"), s("Relu6")] } } } },
 *   ] },
 *   weightsManifest: [{ paths: ["w.bin"], weights: [
 *     { name: "w", shape: [1, 1, 2, 1], dtype: "float32" },
 *     { name: "b", shape: [1], dtype: "float32" },
 *   ] }],
 * };
 * const bytes = new Uint8Array(new Float32Array([2, 3, 0.5]).buffer); // w = [2, 3], b = 0.5
 * const g = importTfjs(model, [bytes]);
 * try {
 *   const { y } = runFloat(g, { x: { data: new Float32Array([1, 1]), shape: [1, 1, 1, 2] } });
 *   deepEqual([...y.data], [5.5]); // min(6, 2 + 3 + 0.5)
 * } catch (e) {
 *   // the float executor may not have Conv yet
 *   if (!String(e).includes("unsupported op")) throw e;
 * }
 * deepEqual(g.nodes.map((n) => n.op), ["Transpose", "Conv", "Clip", "Transpose"]);
 * ```
 *
 * @example TF Pad in NHWC becomes an NCHW Pad between Transposes; the values are TF's
 * ```ts
 * import { importTfjs } from "@lowbit/onnx/tfjs";
 * import { runFloat } from "@lowbit/graph/executor";
 * import { deepEqual } from "node:assert/strict";
 * const model = {
 *   modelTopology: { node: [
 *     { name: "x", op: "Placeholder", attr: { dtype: { type: "DT_FLOAT" },
 *       shape: { shape: { dim: [{ size: "1" }, { size: "1" }, { size: "2" }, { size: "1" }] } } } },
 *     { name: "p", op: "Const" },
 *     { name: "y", op: "Pad", input: ["x", "p"] },
 *     { name: "z", op: "Relu", input: ["y"] },
 *   ] },
 *   weightsManifest: [{ paths: ["p.bin"], weights: [{ name: "p", shape: [4, 2], dtype: "int32" }] }],
 * };
 * const pads = new Int32Array([0, 0, 0, 0, 1, 0, 0, 0]); // one column before W
 * const g = importTfjs(model, [new Uint8Array(pads.buffer)]);
 * deepEqual(g.nodes.map((n) => n.op), ["Transpose", "Pad", "Relu", "Transpose"]);
 * const { z } = runFloat(g, { x: { data: new Float32Array([-1, 2]), shape: [1, 1, 2, 1] } });
 * deepEqual(z.shape, [1, 1, 3, 1]);
 * deepEqual([...z.data], [0, 0, 2]);
 * ```
 */
export function importTfjs(modelJson: unknown, shards: Uint8Array[]): Graph {
  const json = asModelJson(modelJson);
  const groups: Uint8Array[] = [];
  let at = 0;
  for (const g of json.weightsManifest as TfjsWeightGroup[]) {
    const parts = shards.slice(at, at + g.paths.length);
    if (parts.length !== g.paths.length) {
      throw new GraphError(`shards must hold ${at + g.paths.length}+ files; got ${shards.length}`);
    }
    at += g.paths.length;
    const all = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) {
      all.set(p, o);
      o += p.length;
    }
    groups.push(all);
  }
  let weights: Map<string, TfjsWeight>;
  try {
    weights = decodeTfjsWeights(json.weightsManifest, groups);
  } catch (e) {
    throw new GraphError(e instanceof Error ? e.message : String(e));
  }
  const im = new Importer(weights);
  const tfNodes = json.modelTopology!.node!;
  const byName = new Map(tfNodes.map((n) => [n.name, n]));
  // Topological order of the TF nodes (DFS over data inputs).
  const state = new Map<string, number>();
  const order: TfjsNode[] = [];
  const visit = (n: TfjsNode): void => {
    const s = state.get(n.name);
    if (s === 2) return;
    if (s === 1) throw new GraphError("the graph has a cycle", { node: n.name });
    state.set(n.name, 1);
    for (const r of n.input ?? []) {
      const dep = byName.get(r.replace(/^\^/, "").replace(/:\d+$/, ""));
      if (dep) visit(dep);
    }
    state.set(n.name, 2);
    order.push(n);
  };
  for (const n of tfNodes) visit(n);
  for (const n of order) convert(im, n);
  // Outputs: signature, else unconsumed non-Const values.
  const sigOut = (json as { signature?: { outputs?: Record<string, { name?: string }> } })
    .signature?.outputs;
  let outRefs: string[];
  if (sigOut && Object.keys(sigOut).length) {
    outRefs = Object.values(sigOut).map((o, i) => o.name ?? Object.keys(sigOut)[i]);
  } else {
    const used = new Set<string>();
    for (const n of tfNodes) {
      for (const r of n.input ?? []) used.add(r.replace(/^\^/, "").replace(/:\d+$/, ""));
    }
    outRefs = tfNodes.filter((n) => !used.has(n.name) && n.op !== "Const").map((n) => n.name);
  }
  const outputs: ValueInfo[] = [];
  for (const r of outRefs) {
    const v = im.vals.get(r) ?? im.vals.get(tfName(r));
    if (!v) throw new GraphError("graph output is never produced", { value: r });
    const name = tfName(r);
    if (v.nchw) {
      // The output carries the TF name in NHWC: rename the NCHW value and transpose back.
      const inner = `${name}/nchw_value`;
      for (const n of im.nodes) {
        n.outputs = n.outputs.map((o) => (o === v.name ? inner : o));
        n.inputs = n.inputs.map((o) => (o === v.name ? inner : o));
      }
      im.emit("Transpose", [inner], { perm: TO_NHWC }, `${name}/to_nhwc`, [name]);
    } else if (v.name !== name) {
      im.emit("Identity", [v.name], {}, `${name}/output`, [name]);
    }
    outputs.push({ name, dtype: v.dtype, shape: v.shape ?? [] });
  }
  // Drop nodes nobody needs (e.g. unused Transposes).
  const needed = new Set(outputs.map((o) => o.name));
  const keep: Node[] = [];
  for (const n of [...im.nodes].reverse()) {
    if (n.outputs.some((o) => needed.has(o))) {
      keep.push(n);
      for (const i of n.inputs) needed.add(i);
    }
  }
  keep.reverse();
  const initializers = new Map([...im.initializers].filter(([k]) => needed.has(k)));
  return {
    name: "tfjs",
    opset: 13,
    inputs: im.inputs,
    outputs,
    nodes: keep,
    initializers,
    values: new Map(),
  };
}

/**
 * Reads a tfjs graph model from disk: `model.json` and the weight files beside it.
 *
 * @param path Path of the model.json.
 * @returns The imported graph (see {@linkcode importTfjs}).
 * @throws {GraphError} As {@linkcode importTfjs}.
 *
 * @example
 * ```ts
 * import { loadTfjs } from "@lowbit/onnx/tfjs";
 * import { equal } from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/model.json`, JSON.stringify({
 *   modelTopology: { node: [
 *     { name: "x", op: "Placeholder", attr: { dtype: { type: "DT_FLOAT" } } },
 *     { name: "y", op: "Relu", input: ["x"] },
 *   ] },
 *   weightsManifest: [],
 * }));
 * const g = await loadTfjs(`${dir}/model.json`);
 * equal(g.nodes[0].op, "Relu");
 * equal(g.outputs[0].name, "y");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadTfjs(path: string): Promise<Graph> {
  const json = asModelJson(JSON.parse(await Deno.readTextFile(path)));
  const dir = dirname(path);
  const shards: Uint8Array[] = [];
  for (const g of json.weightsManifest) {
    for (const p of g.paths) shards.push(await Deno.readFile(join(dir, p)));
  }
  return importTfjs(json, shards);
}
