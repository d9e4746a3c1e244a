/**
 * Integer lowerings of the ops of a QDQ graph: for a node whose inputs arrive as
 * `DequantizeLinear` outputs and whose output goes only to a `QuantizeLinear`, the op is
 * computed on the codes and produces the codes of that `QuantizeLinear` directly.
 *
 * | op | lowering |
 * |---|---|
 * | Conv | `qlinearConv` (int32 bias, per-channel weights along axis 0) |
 * | MatMul | `qlinearMatMul` (per-column weights) |
 * | Gemm | int8 GEMM with the output stage (transB, int32 bias; α = β = 1, no transA) |
 * | Add, Mul | `add` / `mul` with broadcasting (squeeze-excitation gates, residuals) |
 * | Add, Sub, Mul, Div, Pow with a scalar constant operand | a 256-entry table |
 * | Concat | `concat`, each input requantized to the output grid |
 * | GlobalAveragePool | int32 sum per channel, one requantization by `S_x / (S_y·HW)` (onnxruntime's QLinearGlobalAveragePool) |
 * | MaxPool | max of codes (exact), then a requantization table if the grids differ |
 * | AveragePool | int32 sum of Σ(q − Z_x) over the valid taps, one requantization by `S_x / (S_y·taps)` (taps = valid taps, or kh·kw with count_include_pad = 1) |
 * | unary ops (Relu, Clip, HardSigmoid, HardSwish, Sigmoid, Tanh, LeakyRelu, Gelu, Erf, …) | a 256-entry table built from the float op |
 * | a chain of those and scalar-constant arithmetic with no grid inside (`HardSwish → Mul(a) → Add(b)`, `quantizeStatic`'s `fuseElementwise`) | one 256-entry table built from the whole chain (`lowerElementwiseChain`) |
 * | layout ops (Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Identity, Slice, Gather, nearest Resize) | the op on the codes, then a table if the grids differ |
 *
 * A Conv, Gemm or MatMul whose output is not quantized (the logits) accumulates in int32 and
 * is scaled to float once per output channel (`DEQUANTIZING_LOWERINGS`).
 *
 * `mode` picks the requantization: `"float"` (onnxruntime's float32 multipliers, default) or
 * `"fixed"` (gemmlowp/TFLite fixed-point multipliers, no float arithmetic at run time). A
 * lowering returns `undefined` when a node's configuration is outside what it handles (the
 * executor then runs the node in float between its DequantizeLinear and QuantizeLinear).
 *
 * @module
 */

import { FLOAT_OPS } from "@lowbit/graph/executor";
import { attrFloat, attrInt, attrInts } from "@lowbit/graph/op";
import { conv2dOutputShape } from "@lowbit/kernels/conv-params";
import type { GraphTensor, Node } from "@lowbit/graph/ir";
import { gemmInt8, gemmInt8Requantized, type Int8Operand } from "@lowbit/kernels/gemm-int8";
import { type PackedInt8, packInt8 } from "@lowbit/kernels/pack-int8";
import { rowSums8 } from "@lowbit/kernels/elementwise-int8";
import { requantizeAccumulators } from "@lowbit/kernels/output-stage";
import { type ConvAttributes, convInteger, qlinearConv } from "./onnx_conv.ts";
import { matMulInteger, qlinearMatMul, qlinearStage } from "./onnx_matmul.ts";
import { add, concat, mul } from "./elementwise.ts";
import { maxPool2d } from "./pool.ts";
import { applyLut, buildLut, type Lut, lutInputs } from "./lut.ts";
import { QuantizedTensor } from "./quantized_tensor.ts";
import { outputStageFor, type RequantMode } from "./requantize.ts";
import { checkConvAccumulators, stageShifts, withMultiplierNames } from "./_int32_check.ts";
import { valuesEqual } from "@lowbit/tensor/shape";
import type { CodeBuffer, OutputQuant } from "./fused.ts";

/** A node input as a lowering sees it: codes with their grid, a float/int tensor, or absent. */
export type LoweredInput = QuantizedTensor | GraphTensor | undefined;

/** What a lowering may know. */
export interface LoweringContext {
  /** Requantization semantics. */
  mode: RequantMode;
  /** The graph's opset. */
  opset: number;
  /** Tables built so far, by node and grids (kept across runs of one compiled graph). */
  tables?: Map<string, Lut>;
  /**
   * Weights packed in kernel memory so far, by their codes (kept across runs of one compiled
   * graph, whose constant codes do not change; collected with it).
   */
  packed?: WeakMap<QuantizedTensor, PackedInt8>;
  /**
   * Where the node being lowered writes its output codes (Conv, Add, Mul, lookup tables): set
   * by a compiled graph's run to hand each node the arrays of its previous run, so a run
   * allocates no codes. Unset: new arrays.
   */
  codes?: CodeBuffer;
}

/**
 * Computes one node on codes.
 *
 * @param node The node.
 * @param inputs Its inputs (codes where the graph dequantizes them).
 * @param out The grid of the QuantizeLinear that reads the node's output.
 * @param ctx Mode and opset.
 * @returns The output codes on `out`, or `undefined` when this configuration is not lowered.
 */
export type Lowering = (
  node: Node,
  inputs: LoweredInput[],
  out: OutputQuant,
  ctx: LoweringContext,
) => QuantizedTensor | undefined;

function q8(v: LoweredInput): QuantizedTensor | undefined {
  return v instanceof QuantizedTensor && (v.dtype === "int8" || v.dtype === "uint8")
    ? v
    : undefined;
}

function perTensor8(v: LoweredInput): QuantizedTensor | undefined {
  const t = q8(v);
  return t && !t.perChannel ? t : undefined;
}

/** An optional integer-list attribute (`undefined` when absent). */
function optionalInts(node: Node, name: string): number[] | undefined {
  return node.attrs[name] === undefined ? undefined : attrInts(node, name);
}

function sameGrid(t: QuantizedTensor, out: OutputQuant): boolean {
  return !t.perChannel && t.dtype === out.dtype && t.scale[0] === Math.fround(out.scale) &&
    t.zeroPoint[0] === out.zeroPoint;
}

/** Table that maps codes of `t`'s grid to the nearest codes of `out` (identity function). */
function requantTable(t: QuantizedTensor, out: OutputQuant): Lut {
  const g = { dtype: t.dtype as "int8" | "uint8", scale: t.scale[0], zeroPoint: t.zeroPoint[0] };
  return buildLut(g, lutInputs(g), out);
}

/** `t` on the grid `out`: itself when equal, else through a requantization table. */
export function toGrid(t: QuantizedTensor, out: OutputQuant): QuantizedTensor {
  if (sameGrid(t, out)) return t;
  const q = applyLut(requantTable(t, out), t.q as Int8Array | Uint8Array);
  return new QuantizedTensor({
    q,
    shape: t.shape,
    dtype: out.dtype,
    scale: out.scale,
    zeroPoint: out.zeroPoint,
  });
}

/** An int32 bias whose grid is s_x·s_w[o] (zero point 0), as QLinearConv expects; else undefined. */
function biasCodes(
  v: LoweredInput,
  x: QuantizedTensor,
  w: QuantizedTensor,
  channels: number,
): Int32Array | undefined | null {
  if (v === undefined) return undefined;
  if (!(v instanceof QuantizedTensor) || v.dtype !== "int32" || v.size !== channels) return null;
  for (let o = 0; o < channels; o++) {
    const want = Math.fround(x.scale[0] * w.scale[w.perChannel ? o : 0]);
    const got = v.scale[v.perChannel ? o : 0];
    if (Math.abs(got - want) > 1e-6 * want || v.zeroPoint[v.perChannel ? o : 0] !== 0) return null;
  }
  return v.q as Int32Array;
}

function convAttrs(node: Node): ConvAttributes | undefined {
  const autoPad = node.attrs.auto_pad;
  if (
    autoPad !== undefined &&
    !["NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"].includes(autoPad as string)
  ) return undefined;
  return {
    autoPad: autoPad as ConvAttributes["autoPad"],
    dilations: optionalInts(node, "dilations"),
    group: attrInt(node, "group", 1),
    kernelShape: optionalInts(node, "kernel_shape"),
    pads: optionalInts(node, "pads"),
    strides: optionalInts(node, "strides"),
  };
}

const conv: Lowering = (node, [xv, wv, bv], out, ctx) => {
  const x = perTensor8(xv), w = q8(wv);
  if (!x || !w || (w.perChannel && w.axis !== 0) || x.shape.length !== 4) return undefined;
  const bias = biasCodes(bv, x, w, w.shape[0]);
  const attrs = convAttrs(node);
  if (bias === null || !attrs) return undefined;
  if (ctx.packed && onVector(x, w, attrs)) return vectorConv(x, w, bias, out, ctx);
  return qlinearConv(x, w, out, { ...attrs, bias, mode: ctx.mode, codes: ctx.codes });
};

/**
 * A 1×1 convolution of 1×1 images without padding (squeeze-excitation): each image's output is
 * its channel vector times the weights, whatever the strides and dilations.
 */
function onVector(x: QuantizedTensor, w: QuantizedTensor, a: ConvAttributes): boolean {
  return x.shape[2] === 1 && x.shape[3] === 1 && w.shape.length === 4 && w.shape[2] === 1 &&
    w.shape[3] === 1 && w.shape[1] === x.shape[1] && (a.group ?? 1) === 1 &&
    (a.pads ?? []).every((p) => p === 0) &&
    (a.autoPad === undefined || a.autoPad === "NOTSET" || a.autoPad === "VALID");
}

/**
 * `onVector` convolutions as x [N, C] · wᵀ (weights [O, C] packed once in kernel memory from
 * the second run on and reused: the product itself is a GEMV). The same accumulators, bias and
 * multipliers fl(fl(S_x·S_w)/S_y) as `qlinearConv`, so the same codes.
 */
function vectorConv(
  x: QuantizedTensor,
  w: QuantizedTensor,
  bias: Int32Array | undefined,
  out: OutputQuant,
  ctx: LoweringContext,
): QuantizedTensor {
  const [n, c] = x.shape, o = w.shape[0];
  const wZp = w.perChannel ? w.zeroPoint : w.zeroPoint[0];
  const stage = withMultiplierNames(
    () =>
      qlinearStage(x.scale[0], w.scale, o, out.scale, {
        mode: ctx.mode,
        zeroPoint: out.zeroPoint,
        dtype: out.dtype,
      }),
    "fl(fl(x.scale · w.scale) / output.scale)",
  );
  checkConvAccumulators(
    "qlinearConv(x, w, options.bias)",
    x.q,
    w.q,
    { batch: n, inChannels: c, height: 1, width: 1, outChannels: o, kernelH: 1, kernelW: 1 },
    x.zeroPoint[0],
    wZp,
    bias,
    stageShifts(stage),
  );
  const packed = packedOnce(ctx, w, () => packInt8(w.q as Int8Operand, c, o, { transB: true }));
  const q = gemmInt8Requantized(n, o, c, x.q as Int8Operand, packed ?? w.q as Int8Operand, {
    aZeroPoint: x.zeroPoint[0],
    bZeroPoint: wZp,
    transB: true,
    bias,
    outputStage: stage,
  });
  return new QuantizedTensor({
    q,
    shape: [n, o, 1, 1],
    dtype: out.dtype,
    scale: out.scale,
    zeroPoint: out.zeroPoint,
  });
}

const seen = new WeakSet<QuantizedTensor>();
/**
 * The weight operand `t` packed in kernel memory, made on the second run that passes the same
 * tensor (a compiled graph's constant codes are one tensor for every run; an activation is a
 * new tensor each run and is never packed) and kept in `ctx.packed`; `undefined` before that
 * or without `ctx.packed` (the kernels then copy the operand in for this call).
 */
function packedOnce(
  ctx: LoweringContext,
  t: QuantizedTensor,
  make: () => PackedInt8,
): PackedInt8 | undefined {
  if (ctx.packed === undefined) return undefined;
  let packed = ctx.packed.get(t);
  if (packed === undefined) {
    if (!seen.has(t)) {
      seen.add(t);
      return undefined;
    }
    packed = make();
    ctx.packed.set(t, packed);
  }
  return packed;
}

const matMul: Lowering = (_node, [av, bv], out, ctx) => {
  const a = perTensor8(av), b = q8(bv);
  if (!a || !b || a.shape.length < 2 || b.shape.length < 2) return undefined;
  if (b.perChannel && b.axis !== b.shape.length - 1) return undefined;
  return qlinearMatMul(a, b, out, { mode: ctx.mode });
};

/** The operands of a Gemm this module lowers (α = β = 1, no transA, int32 bias), if so. */
function gemmOperands(node: Node, [av, bv, cv]: LoweredInput[]) {
  const a = perTensor8(av), b = q8(bv);
  if (!a || !b || a.shape.length !== 2 || b.shape.length !== 2) return undefined;
  if (
    attrFloat(node, "alpha", 1) !== 1 || attrFloat(node, "beta", 1) !== 1 ||
    attrInt(node, "transA", 0) !== 0
  ) return undefined;
  const transB = attrInt(node, "transB", 0) === 1;
  const [m, k] = a.shape, n = transB ? b.shape[0] : b.shape[1];
  if ((transB ? b.shape[1] : b.shape[0]) !== k) return undefined;
  if (b.perChannel && b.axis !== (transB ? 0 : 1)) return undefined;
  const bias = biasCodes(cv, a, b, n);
  return bias === null ? undefined : { a, b, bias, transB, m, n, k };
}

const gemm: Lowering = (node, inputs, out, ctx) => {
  const ops = gemmOperands(node, inputs);
  if (!ops) return undefined;
  const { a, b, bias, transB, m, n, k } = ops;
  const stage = qlinearStage(a.scale[0], b.scale, n, out.scale, {
    mode: ctx.mode,
    zeroPoint: out.zeroPoint,
    dtype: out.dtype,
  });
  const packed = packedOnce(ctx, b, () => packInt8(b.q as Int8Operand, k, n, { transB }));
  const q = gemmInt8Requantized(m, n, k, a.q as Int8Operand, packed ?? b.q as Int8Operand, {
    aZeroPoint: a.zeroPoint[0],
    bZeroPoint: b.perChannel ? b.zeroPoint : b.zeroPoint[0],
    transB,
    bias,
    outputStage: stage,
  });
  return new QuantizedTensor({
    q,
    shape: [m, n],
    dtype: out.dtype,
    scale: out.scale,
    zeroPoint: out.zeroPoint,
  });
};

const concatL: Lowering = (node, inputs, out, ctx) => {
  const qs = inputs.map(perTensor8);
  if (qs.some((t) => t === undefined) || typeof node.attrs.axis !== "number") return undefined;
  return concat(qs as QuantizedTensor[], node.attrs.axis, out, { mode: ctx.mode });
};

const globalAveragePool: Lowering = (_node, [xv], out, ctx) => {
  const x = perTensor8(xv);
  if (!x || x.shape.length < 3) return undefined;
  const [n, c] = x.shape, hw = x.size / (n * c);
  if (hw >= 2 ** 23) return undefined; // Σ of 2^23 codes may leave int32: computed in float
  // Σ (q − Z_x) per (image, channel) in int32, then one requantization by S_x / (S_y·HW),
  // the order onnxruntime computes it in.
  const mult = Math.fround(x.scale[0] / Math.fround(Math.fround(out.scale) * hw));
  if (!(mult > 0) || !Number.isFinite(mult)) return undefined;
  const zhw = x.zeroPoint[0] * hw;
  const acc = rowSums8(x.q as Int8Array | Uint8Array, n * c, hw);
  for (let b = 0; b < n * c; b++) acc[b] -= zhw;
  const stage = outputStageFor([mult], {
    mode: ctx.mode,
    zeroPoint: out.zeroPoint,
    dtype: out.dtype,
  });
  return new QuantizedTensor({
    q: requantizeAccumulators(acc, 1, stage),
    shape: [n, c, ...x.shape.slice(2).map(() => 1)],
    dtype: out.dtype,
    scale: out.scale,
    zeroPoint: out.zeroPoint,
  });
};

function poolAttrs(node: Node, x: QuantizedTensor) {
  const kernel = optionalInts(node, "kernel_shape");
  if (!kernel || kernel.length !== 2 || x.shape.length !== 4) return undefined;
  if (attrInts(node, "dilations", [1, 1]).some((d) => d !== 1)) return undefined;
  if (attrInt(node, "ceil_mode", 0) !== 0) return undefined;
  const autoPad = node.attrs.auto_pad;
  if (autoPad !== undefined && autoPad !== "NOTSET" && autoPad !== "VALID") return undefined;
  const p = autoPad === "VALID" ? [0, 0, 0, 0] : attrInts(node, "pads", [0, 0, 0, 0]);
  const stride = attrInts(node, "strides", [1, 1]);
  return {
    kernel: kernel as [number, number],
    stride: stride as [number, number],
    padding: [p[0], p[1], p[2], p[3]] as [number, number, number, number],
  };
}

const maxPool: Lowering = (node, [xv], out) => {
  const x = perTensor8(xv);
  if (!x || node.outputs.length > 1 && node.outputs[1] !== "") return undefined;
  const p = poolAttrs(node, x);
  return p ? toGrid(maxPool2d(x, p), out) : undefined;
};

const averagePool: Lowering = (node, [xv], out, ctx) => {
  const x = perTensor8(xv);
  if (!x) return undefined;
  const includePad = attrInt(node, "count_include_pad", 0) !== 0;
  const p = poolAttrs(node, x);
  if (!p) return undefined;
  // Like GlobalAveragePool: Σ (q − Z_x) over the valid taps, one requantization by
  // S_x / (S_y·count) (count = valid taps of the window, or kh·kw with count_include_pad,
  // where a padded tap is the real 0 and adds nothing to the sum), so there is one rounding.
  const [n, c, h, w] = x.shape, [kh, kw] = p.kernel, [sh, sw] = p.stride;
  const [pt, pl] = p.padding;
  const { outH: oh, outW: ow } = conv2dOutputShape({
    batch: 1,
    inChannels: 1,
    height: h,
    width: w,
    outChannels: 1,
    kernelH: kh,
    kernelW: kw,
    stride: p.stride,
    padding: p.padding,
  });
  // sums: an (N·C) × (OH·OW) matrix of accumulators; multipliers: one per output position
  // (its tap count), so one output stage with per-column multipliers requantizes them all.
  const sums = new Int32Array(n * c * oh * ow), mult = new Float32Array(oh * ow);
  const q = x.q, z = x.zeroPoint[0], sy = Math.fround(out.scale);
  for (let i = 0; i < oh; i++) {
    for (let j = 0; j < ow; j++) {
      const y0 = Math.max(0, i * sh - pt), y1 = Math.min(h, i * sh - pt + kh);
      const x0 = Math.max(0, j * sw - pl), x1 = Math.min(w, j * sw - pl + kw);
      const valid = (y1 - y0) * (x1 - x0);
      if (valid <= 0) return undefined;
      const taps = includePad ? kh * kw : valid;
      mult[i * ow + j] = Math.fround(x.scale[0] / Math.fround(sy * taps));
      for (let nc = 0; nc < n * c; nc++) {
        let acc = 0;
        for (let yy = y0; yy < y1; yy++) {
          for (let xx = x0; xx < x1; xx++) acc += q[(nc * h + yy) * w + xx] - z;
        }
        sums[(nc * oh + i) * ow + j] = acc;
      }
    }
  }
  const stage = outputStageFor(mult, {
    mode: ctx.mode,
    zeroPoint: out.zeroPoint,
    dtype: out.dtype,
  });
  const codes = requantizeAccumulators(sums, oh * ow, stage);
  return new QuantizedTensor({
    q: codes,
    shape: [n, c, oh, ow],
    dtype: out.dtype,
    scale: out.scale,
    zeroPoint: out.zeroPoint,
  });
};

const identities = new WeakMap<Lut, boolean>();
/** Whether `t` maps every code of its input type to the same code of the same type. */
function isIdentity(t: Lut): boolean {
  let id = identities.get(t);
  if (id === undefined) {
    const lo = t.input === "int8" ? -128 : 0;
    id = t.input === t.output && t.table.every((v, i) => v === i + lo);
    identities.set(t, id);
  }
  return id;
}

/** Unary ops whose output depends on the input element alone: one table each. */
export const TABLE_OPS: ReadonlySet<string> = new Set([
  "Relu",
  "Clip",
  "LeakyRelu",
  "HardSigmoid",
  "HardSwish",
  "Sigmoid",
  "Tanh",
  "Gelu",
  "Erf",
  "Elu",
  "Selu",
  "Softplus",
  "Exp",
  "Neg",
  "Abs",
  "Sqrt",
  "Reciprocal",
]);

/**
 * The op as a table over the 256 codes of its one quantized input (index `at`); every other
 * input must be a float/int tensor that does not vary with that input (a constant operand).
 */
function tabulated(
  node: Node,
  inputs: LoweredInput[],
  at: number,
  out: OutputQuant,
  ctx: LoweringContext,
  then: readonly ChainStep[] = [],
): QuantizedTensor | undefined {
  const x = perTensor8(inputs[at]);
  if (!x || inputs.some((r, i) => i !== at && r instanceof QuantizedTensor)) return undefined;
  const g = { dtype: x.dtype as "int8" | "uint8", scale: x.scale[0], zeroPoint: x.zeroPoint[0] };
  // The table depends on the node, both grids and the other (small, constant) operands.
  const others = inputs.filter((_, i) => i !== at) as (GraphTensor | undefined)[];
  const last = ctx.tables === undefined ? undefined : lastTable.get(node);
  if (
    last !== undefined && last.tables === ctx.tables && last.opset === ctx.opset &&
    last.at === at && last.then.length === then.length &&
    last.then.every((n, i) => n === then[i].node) && last.xd === g.dtype &&
    last.xs === g.scale && last.xz === g.zeroPoint && last.od === out.dtype &&
    last.os === out.scale && last.oz === out.zeroPoint && sameOperands(last.others, others)
  ) return tableOutput(last.table, x, out, ctx.codes);
  const key = others.every((t) => t === undefined || t.data.length <= 4)
    ? [
      [node.name, ...then.map((t) => t.node.name)].join(">"),
      g.dtype,
      g.scale,
      g.zeroPoint,
      out.dtype,
      out.scale,
      out.zeroPoint,
      ...others.map((t) => (t ? Array.from(t.data as ArrayLike<number>).join(":") : "-")),
    ].join("|")
    : undefined;
  let table = key === undefined ? undefined : ctx.tables?.get(key);
  if (!table) {
    const args = inputs.map((r, i) =>
      i === at ? { dtype: "float32" as const, shape: [256], data: lutInputs(g) } : r as GraphTensor
    );
    let [y] = FLOAT_OPS[node.op].run(node, args, { opset: ctx.opset });
    for (const step of then) {
      const stepArgs = step.node.inputs.map((v, i) =>
        i === step.at ? y : v === "" ? undefined : step.constants.get(v)
      );
      [y] = FLOAT_OPS[step.node.op].run(step.node, stepArgs, { opset: ctx.opset });
    }
    if (y.data.length !== 256 || !(y.data instanceof Float32Array)) return undefined;
    table = buildLut(g, y.data, out);
    if (key !== undefined) ctx.tables?.set(key, table);
  }
  if (key !== undefined && ctx.tables !== undefined) {
    lastTable.set(node, {
      tables: ctx.tables,
      opset: ctx.opset,
      at,
      then: then.map((t) => t.node),
      xd: g.dtype,
      xs: g.scale,
      xz: g.zeroPoint,
      od: out.dtype,
      os: out.scale,
      oz: out.zeroPoint,
      others: others.map((t) => t && Array.from(t.data as ArrayLike<number>)),
      table,
    });
  }
  return tableOutput(table, x, out, ctx.codes);
}

// The table a node last ran with, per node, with what it was made from: a compiled graph runs
// each node on the same grids every time, and building the string key costs more than a small
// node's table pass. A hit needs the same compiled graph's tables, the same grids and operands
// equal element by element to those the table was made from.
const lastTable = new WeakMap<Node, {
  tables: Map<string, Lut>;
  opset: number;
  at: number;
  then: Node[];
  xd: string;
  xs: number;
  xz: number;
  od: string;
  os: number;
  oz: number;
  others: (number[] | undefined)[];
  table: Lut;
}>();

// The constant operands a table was made from (their values) against a call's.
function sameOperands(
  was: readonly (number[] | undefined)[],
  now: readonly (GraphTensor | undefined)[],
): boolean {
  return was.length === now.length && was.every((a, i) => {
    const b = now[i];
    return a === undefined || b === undefined
      ? a === b
      : valuesEqual(a, b.data as ArrayLike<number>);
  });
}

function tableOutput(
  table: Lut,
  x: QuantizedTensor,
  out: OutputQuant,
  codes?: CodeBuffer,
): QuantizedTensor {
  return new QuantizedTensor({
    // a table that maps every code to itself (a Relu whose input grid is already its output
    // grid, floor at the zero point) leaves the codes as they are: they are shared, not copied
    q: isIdentity(table)
      ? x.q as Int8Array | Uint8Array
      : applyLut(table, x.q as Int8Array | Uint8Array, codes),
    shape: x.shape,
    dtype: out.dtype,
    scale: out.scale,
    zeroPoint: out.zeroPoint,
  });
}

const unary: Lowering = (node, inputs, out, ctx) =>
  lowerElementwiseChain(node, inputs, [], out, ctx);

/**
 * A node after the first of an elementwise chain: the input `at` is the previous node's
 * output; every other input is one of `constants` (or absent).
 */
export interface ChainStep {
  /** The node. */
  node: Node;
  /** Which of its inputs is the chain's value. */
  at: number;
  /** Its constant inputs by name. */
  constants: ReadonlyMap<string, GraphTensor>;
}

/**
 * A chain of elementwise ops on one quantized value (e.g. `HardSwish → Mul(a) → Add(b)`, an
 * activation followed by a learnable affine block) whose inner values are not quantized: one
 * 256-entry table that runs the whole chain in float32 on the input grid's 256 values and
 * rounds once to `out`, so it equals the QDQ simulation of the region exactly.
 *
 * @param head The first node (a table op, or arithmetic with a scalar constant operand).
 * @param inputs The head's inputs as lowerings take them.
 * @param then The following nodes, in order.
 * @param out The grid of the QuantizeLinear that reads the last node's output.
 * @param ctx Mode, opset and the table cache.
 * @returns The last node's output codes, or `undefined` when the head's input is not 8-bit
 *   per-tensor codes or an operand is not constant.
 * @example `2·relu(x) + 1` on the codes of x as one table
 * ```ts
 * import { lowerElementwiseChain } from "@lowbit/runtime/qdq-lower";
 * import { QuantizedTensor } from "@lowbit/runtime/quantized-tensor";
 * import { deepEqual } from "node:assert/strict";
 * const c = (v: number) => ({ dtype: "float32" as const, shape: [], data: Float32Array.of(v) });
 * const x = new QuantizedTensor({ q: Uint8Array.of(0, 10, 12), shape: [3], dtype: "uint8", scale: 0.5, zeroPoint: 10 });
 * const relu = { name: "r", op: "Relu", inputs: ["x"], outputs: ["a"], attrs: {} };
 * const mul = { name: "m", op: "Mul", inputs: ["a", "two"], outputs: ["b"], attrs: {} };
 * const add = { name: "p", op: "Add", inputs: ["b", "one"], outputs: ["y"], attrs: {} };
 * const y = lowerElementwiseChain(relu, [x], [
 *   { node: mul, at: 0, constants: new Map([["two", c(2)]]) },
 *   { node: add, at: 0, constants: new Map([["one", c(1)]]) },
 * ], { dtype: "uint8", scale: 0.25, zeroPoint: 0 }, { mode: "float", opset: 17 });
 * deepEqual(Array.from(y!.q), [4, 4, 12]); // 2·max(0, (q − 10)·0.5) + 1, over 0.25
 * ```
 */
export function lowerElementwiseChain(
  head: Node,
  inputs: LoweredInput[],
  then: readonly ChainStep[],
  out: OutputQuant,
  ctx: LoweringContext,
): QuantizedTensor | undefined {
  if (TABLE_OPS.has(head.op)) return tabulated(head, inputs, 0, out, ctx, then);
  if (!SCALAR_TABLE_OPS.has(head.op)) return undefined;
  const [av, bv] = inputs;
  if (scalarConstant(bv)) return tabulated(head, inputs, 0, out, ctx, then);
  if (scalarConstant(av)) return tabulated(head, inputs, 1, out, ctx, then);
  return undefined;
}

/** Binary ops that become a table when one operand is a scalar constant. */
export const SCALAR_TABLE_OPS: ReadonlySet<string> = new Set(["Add", "Sub", "Mul", "Div", "Pow"]);

/** Size-1 float tensors broadcast to every element: the op is then a function of one code. */
function scalarConstant(v: LoweredInput): boolean {
  return v !== undefined && !(v instanceof QuantizedTensor) && v.data.length === 1 &&
    v.data instanceof Float32Array;
}

/**
 * Binary arithmetic: two quantized operands → `add`/`mul` (Add and Mul only); one quantized
 * operand and a scalar float constant (`x + 3`, `x / 6` of a decomposed hard-swish) → a table.
 */
const arithmetic = (f: typeof add | undefined): Lowering => (node, inputs, out, ctx) => {
  const [av, bv] = inputs;
  if (scalarConstant(av) || scalarConstant(bv)) {
    return lowerElementwiseChain(node, inputs, [], out, ctx);
  }
  const a = perTensor8(av), b = perTensor8(bv);
  if (!f || !a || !b) return undefined;
  return f(a, b, out, { mode: ctx.mode, codes: ctx.codes });
};

/** Ops that only move elements: computed on the codes by the float executor's kernel. */
export const LAYOUT_OPS: ReadonlySet<string> = new Set([
  "Reshape",
  "Flatten",
  "Transpose",
  "Squeeze",
  "Unsqueeze",
  "Identity",
  "Slice",
  "Gather",
  "Resize",
]);

const layout: Lowering = (node, [xv, ...rest], out, ctx) => {
  const x = perTensor8(xv);
  if (!x || rest.some((r) => r instanceof QuantizedTensor)) return undefined;
  if (node.op === "Resize" && (node.attrs.mode ?? "nearest") !== "nearest") return undefined;
  const codes: GraphTensor = { dtype: x.dtype, shape: [...x.shape], data: x.q };
  const [y] = FLOAT_OPS[node.op].run(node, [codes, ...rest as (GraphTensor | undefined)[]], {
    opset: ctx.opset,
  });
  const moved = new QuantizedTensor({
    q: y.data as Int8Array | Uint8Array,
    shape: y.shape,
    dtype: x.dtype,
    scale: x.scale[0],
    zeroPoint: x.zeroPoint[0],
  });
  return toGrid(moved, out);
};

/** The lowering of every op type that has one. */
export const LOWERINGS: Readonly<Record<string, Lowering>> = Object.freeze({
  Conv: conv,
  MatMul: matMul,
  Gemm: gemm,
  Add: arithmetic(add),
  Mul: arithmetic(mul),
  Sub: arithmetic(undefined),
  Div: arithmetic(undefined),
  Pow: arithmetic(undefined),
  Concat: concatL,
  GlobalAveragePool: globalAveragePool,
  MaxPool: maxPool,
  AveragePool: averagePool,
  ...Object.fromEntries([...TABLE_OPS].map((op) => [op, unary])),
  ...Object.fromEntries([...LAYOUT_OPS].map((op) => [op, layout])),
});

/**
 * A Conv, Gemm or MatMul on codes whose output stays float (no QuantizeLinear reads it, e.g.
 * the logits): int32 accumulation with the int32 bias, then one float32 scale
 * `fl(s_x · s_w[o])` per output channel — onnxruntime's ConvInteger/MatMulInteger followed by
 * the dequantizing multiply.
 *
 * @param node The node.
 * @param inputs Its inputs (codes where the graph dequantizes them).
 * @returns The float output, or `undefined` when this configuration is not lowered.
 */
export type DequantizingLowering = (node: Node, inputs: LoweredInput[]) => GraphTensor | undefined;

function scaled(
  acc: Int32Array,
  bias: Int32Array | undefined,
  channels: number,
  inner: number,
  scale: (o: number) => number,
): Float32Array {
  const y = new Float32Array(acc.length);
  for (let i = 0; i < acc.length; i++) {
    const o = Math.floor(i / inner) % channels;
    y[i] = Math.fround((acc[i] + (bias ? bias[o] : 0)) * scale(o));
  }
  return y;
}

const weightScale = (x: QuantizedTensor, w: QuantizedTensor) => (o: number) =>
  Math.fround(x.scale[0] * w.scale[w.perChannel ? o : 0]);

const convToFloat: DequantizingLowering = (node, [xv, wv, bv]) => {
  const x = perTensor8(xv), w = q8(wv);
  if (!x || !w || (w.perChannel && w.axis !== 0) || x.shape.length !== 4) return undefined;
  const o = w.shape[0], bias = biasCodes(bv, x, w, o), attrs = convAttrs(node);
  if (bias === null || !attrs) return undefined;
  const acc = convInteger({ data: x.q as Int8Array | Uint8Array, shape: x.shape }, {
    data: w.q as Int8Array | Uint8Array,
    shape: w.shape,
  }, {
    ...attrs,
    xZeroPoint: x.zeroPoint[0],
    wZeroPoint: w.perChannel ? w.zeroPoint : w.zeroPoint[0],
  });
  const inner = acc.shape.slice(2).reduce((a, b) => a * b, 1);
  return {
    dtype: "float32",
    shape: acc.shape,
    data: scaled(acc.data, bias, o, inner, weightScale(x, w)),
  };
};

const gemmToFloat: DequantizingLowering = (node, inputs) => {
  const ops = gemmOperands(node, inputs);
  if (!ops) return undefined;
  const { a, b, bias, transB, m, n, k } = ops;
  const acc = gemmInt8(m, n, k, a.q as Int8Operand, b.q as Int8Operand, {
    aZeroPoint: a.zeroPoint[0],
    bZeroPoint: b.perChannel ? b.zeroPoint : b.zeroPoint[0],
    transB,
  });
  return { dtype: "float32", shape: [m, n], data: scaled(acc, bias, n, 1, weightScale(a, b)) };
};

const matMulToFloat: DequantizingLowering = (_node, [av, bv]) => {
  const a = perTensor8(av), b = q8(bv);
  if (!a || !b || a.shape.length < 2 || b.shape.length < 2) return undefined;
  if (b.perChannel && b.axis !== b.shape.length - 1) return undefined;
  const n = b.shape[b.shape.length - 1];
  const acc = matMulInteger(
    { data: a.q as Int8Array | Uint8Array, shape: a.shape },
    { data: b.q as Int8Array | Uint8Array, shape: b.shape },
    {
      aZeroPoint: a.zeroPoint[0],
      bZeroPoint: b.perChannel ? b.zeroPoint : b.zeroPoint[0],
    },
  );
  return {
    dtype: "float32",
    shape: acc.shape,
    data: scaled(acc.data, undefined, n, 1, weightScale(a, b)),
  };
};

/** The dequantizing lowerings (Conv, Gemm, MatMul with a float output). */
export const DEQUANTIZING_LOWERINGS: Readonly<Record<string, DequantizingLowering>> = Object
  .freeze({ Conv: convToFloat, Gemm: gemmToFloat, MatMul: matMulToFloat });
