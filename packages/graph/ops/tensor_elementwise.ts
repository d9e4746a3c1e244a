/**
 * Elementwise ops with broadcasting: arithmetic (Add, Sub, Mul, Div, Pow), comparisons (Equal,
 * Less, Greater, …), logic (And, Or, Xor, Not), Where, variadic Max/Min/Sum, and unary math.
 * Floats compute in float64 with one rounding to the output type; integer Div truncates toward
 * zero (C/ONNX), integer overflow wraps; int64 computes on bigint.
 *
 * @module
 */

import type { GraphDType, GraphTensor, Node } from "../ir.ts";
import { zeros } from "../ir.ts";
import { type OpKernel, type OpTable, requireInput } from "../op.ts";
import { broadcastIndex, broadcastShapes } from "./tensor_broadcast.ts";
import { failValue, fromNumbers, isFloat, numberView } from "./tensor_common.ts";

type NumFn = (a: number, b: number) => number;
type BigFn = (a: bigint, b: bigint) => bigint;

interface BinarySpec {
  /** Float math (float64, rounded once on store). */
  float: NumFn;
  /** Integer math on numbers (≤ 32-bit types); the typed-array store wraps. */
  int: NumFn;
  /** int64 math. */
  big: BigFn;
  /** Output is bool (comparisons). */
  bool?: boolean;
  /** Operands may differ in dtype (Pow); the output takes the first operand's dtype. */
  mixed?: boolean;
  /** Only bool operands (And, Or, Xor). */
  logic?: boolean;
  /** Arithmetic with an inlined float32 loop. */
  fast?: "add" | "sub" | "mul" | "div";
}

/** float32 ∘ float32 with the op inlined (the same float64-then-round arithmetic). */
function fastFloat32(
  kind: "add" | "sub" | "mul" | "div",
  x: Float32Array,
  y: Float32Array,
  o: Float32Array,
  ia: Int32Array | undefined,
  ib: Int32Array | undefined,
): void {
  const n = o.length;
  if (ia === undefined && ib === undefined) {
    if (kind === "add") { for (let i = 0; i < n; i++) o[i] = x[i] + y[i]; }
    else if (kind === "sub") { for (let i = 0; i < n; i++) o[i] = x[i] - y[i]; }
    else if (kind === "mul") { for (let i = 0; i < n; i++) o[i] = x[i] * y[i]; }
    else for (let i = 0; i < n; i++) o[i] = x[i] / y[i];
    return;
  }
  if (ia === undefined && ib !== undefined) {
    if (kind === "add") { for (let i = 0; i < n; i++) o[i] = x[i] + y[ib[i]]; }
    else if (kind === "sub") { for (let i = 0; i < n; i++) o[i] = x[i] - y[ib[i]]; }
    else if (kind === "mul") { for (let i = 0; i < n; i++) o[i] = x[i] * y[ib[i]]; }
    else for (let i = 0; i < n; i++) o[i] = x[i] / y[ib[i]];
    return;
  }
  const ja = ia as Int32Array;
  if (ib === undefined) {
    if (kind === "add") { for (let i = 0; i < n; i++) o[i] = x[ja[i]] + y[i]; }
    else if (kind === "sub") { for (let i = 0; i < n; i++) o[i] = x[ja[i]] - y[i]; }
    else if (kind === "mul") { for (let i = 0; i < n; i++) o[i] = x[ja[i]] * y[i]; }
    else for (let i = 0; i < n; i++) o[i] = x[ja[i]] / y[i];
    return;
  }
  if (kind === "add") { for (let i = 0; i < n; i++) o[i] = x[ja[i]] + y[ib[i]]; }
  else if (kind === "sub") { for (let i = 0; i < n; i++) o[i] = x[ja[i]] - y[ib[i]]; }
  else if (kind === "mul") { for (let i = 0; i < n; i++) o[i] = x[ja[i]] * y[ib[i]]; }
  else for (let i = 0; i < n; i++) o[i] = x[ja[i]] / y[ib[i]];
}

/**
 * A broadcast where b (or a) is constant over blocks of `inner` consecutive output elements and
 * cycles with period `count` blocks — a scalar (count 1, inner = n), a per-channel [1, C, 1, 1]
 * operand of an NCHW tensor (count C, inner H·W) — while the other operand has the output's
 * shape: element i of the output reads `small[⌊i / inner⌋ mod count]`.
 */
interface Blocks {
  /** Which operand is the small one. */
  small: "a" | "b";
  inner: number;
  count: number;
}

function blockBroadcast(
  out: readonly number[],
  aShape: readonly number[],
  bShape: readonly number[],
): Blocks | undefined {
  const same = (s: readonly number[]) => s.length === out.length && s.every((d, i) => d === out[i]);
  let small: "a" | "b", sh: readonly number[];
  if (same(aShape) && !same(bShape)) [small, sh] = ["b", bShape];
  else if (same(bShape) && !same(aShape)) [small, sh] = ["a", aShape];
  else return undefined;
  // the small operand's non-1 dimensions must be one contiguous run equal to the output's
  const off = out.length - sh.length;
  const dims = sh.map((d, i) => [d, i + off] as const).filter(([d]) => d !== 1);
  let count = 1, inner = out.reduce((p, d) => p * d, 1);
  if (dims.length > 0) {
    const first = dims[0][1], last = dims[dims.length - 1][1];
    if (last - first + 1 !== dims.length || dims.some(([d, i]) => d !== out[i])) return undefined;
    count = dims.reduce((p, [d]) => p * d, 1);
    inner = out.slice(last + 1).reduce((p, d) => p * d, 1);
  }
  return { small, inner, count };
}

/** float32 ∘ float32 over blocks (see {@linkcode Blocks}), the op inlined. */
function fastFloat32Blocks(
  kind: "add" | "sub" | "mul" | "div",
  x: Float32Array,
  y: Float32Array,
  o: Float32Array,
  { small, inner, count }: Blocks,
): void {
  const n = o.length;
  for (let at = 0, k = 0; at < n; at += inner, k = k + 1 === count ? 0 : k + 1) {
    const end = at + inner;
    if (small === "b") {
      const v = y[k];
      if (kind === "add") { for (let i = at; i < end; i++) o[i] = x[i] + v; }
      else if (kind === "sub") { for (let i = at; i < end; i++) o[i] = x[i] - v; }
      else if (kind === "mul") { for (let i = at; i < end; i++) o[i] = x[i] * v; }
      else for (let i = at; i < end; i++) o[i] = x[i] / v;
    } else {
      const v = x[k];
      if (kind === "add") { for (let i = at; i < end; i++) o[i] = v + y[i]; }
      else if (kind === "sub") { for (let i = at; i < end; i++) o[i] = v - y[i]; }
      else if (kind === "mul") { for (let i = at; i < end; i++) o[i] = v * y[i]; }
      else for (let i = at; i < end; i++) o[i] = v / y[i];
    }
  }
}

const NUMERIC_OK = new Set<GraphDType>([
  "float32",
  "float64",
  "float16",
  "int8",
  "uint8",
  "int16",
  "uint16",
  "int32",
  "uint32",
  "int64",
]);

function binaryApply(node: Node, spec: BinarySpec, a: GraphTensor, b: GraphTensor): GraphTensor {
  if (spec.logic) {
    if (a.dtype !== "bool") failValue(node, 0, `${node.op} needs bool inputs, got ${a.dtype}`);
    if (b.dtype !== "bool") failValue(node, 1, `${node.op} needs bool inputs, got ${b.dtype}`);
  } else if (!spec.mixed && a.dtype !== b.dtype) {
    failValue(node, 1, `${node.op} needs inputs of one dtype, got ${a.dtype} and ${b.dtype}`);
  } else if (!spec.bool) {
    if (!NUMERIC_OK.has(a.dtype)) failValue(node, 0, `${node.op} does not support ${a.dtype}`);
    if (!NUMERIC_OK.has(b.dtype)) failValue(node, 1, `${node.op} does not support ${b.dtype}`);
  }
  const shape = broadcastShapes(node, [a.shape, b.shape]);
  if (spec.fast && a.data instanceof Float32Array && b.data instanceof Float32Array) {
    const blocks = blockBroadcast(shape, a.shape, b.shape);
    if (blocks) {
      const out = zeros("float32", shape);
      fastFloat32Blocks(spec.fast, a.data, b.data, out.data as Float32Array, blocks);
      return out;
    }
  }
  const ia = broadcastIndex(shape, a.shape);
  const ib = broadcastIndex(shape, b.shape);
  const outType: GraphDType = spec.bool ? "bool" : a.dtype;
  const out = zeros(outType, shape);
  const n = out.data.length;
  if (!spec.mixed && a.data instanceof BigInt64Array && b.data instanceof BigInt64Array) {
    const x = a.data, y = b.data;
    if (spec.bool) {
      const o = out.data as Uint8Array;
      for (let i = 0; i < n; i++) {
        o[i] = spec.big(x[ia ? ia[i] : i], y[ib ? ib[i] : i]) !== 0n ? 1 : 0;
      }
    } else {
      const o = out.data as BigInt64Array;
      for (let i = 0; i < n; i++) o[i] = spec.big(x[ia ? ia[i] : i], y[ib ? ib[i] : i]);
    }
    return out;
  }
  if (spec.fast && a.data instanceof Float32Array && b.data instanceof Float32Array) {
    fastFloat32(spec.fast, a.data, b.data, out.data as Float32Array, ia, ib);
    return out;
  }
  const x = numberView(a), y = numberView(b);
  const f = isFloat(a.dtype) || isFloat(b.dtype) ? spec.float : spec.int;
  if (outType === "float16" || outType === "int64") {
    const r = new Float64Array(n);
    for (let i = 0; i < n; i++) r[i] = f(x[ia ? ia[i] : i], y[ib ? ib[i] : i]);
    return fromNumbers(outType, shape, r);
  }
  const o = out.data as { [i: number]: number };
  for (let i = 0; i < n; i++) o[i] = f(x[ia ? ia[i] : i], y[ib ? ib[i] : i]);
  return out;
}

function binary(spec: BinarySpec): OpKernel {
  return {
    run(node: Node, inputs: (GraphTensor | undefined)[]): GraphTensor[] {
      return [
        binaryApply(node, spec, requireInput(node, inputs, 0), requireInput(node, inputs, 1)),
      ];
    },
  };
}

function variadic(spec: BinarySpec): OpKernel {
  return {
    run(node: Node, inputs: (GraphTensor | undefined)[]): GraphTensor[] {
      let acc = requireInput(node, inputs, 0);
      for (let i = 1; i < inputs.length; i++) {
        const t = requireInput(node, inputs, i);
        // Name the right input in errors: shift the node's input list for this fold step.
        const step: Node = { ...node, inputs: [node.inputs[0], node.inputs[i]] };
        acc = binaryApply(step, spec, acc, t);
      }
      if (inputs.length === 1) acc = { ...acc, shape: [...acc.shape] };
      return [acc];
    },
  };
}

const b = (c: boolean): number => (c ? 1 : 0);
const bb = (c: boolean): bigint => (c ? 1n : 0n);

const maxF: NumFn = (x, y) => (x !== x || y !== y ? NaN : x >= y ? x : y);
const minF: NumFn = (x, y) => (x !== x || y !== y ? NaN : x <= y ? x : y);

function unary(
  f: (x: number) => number,
  opts: { big?: (x: bigint) => bigint; ints?: boolean } = {},
): OpKernel {
  return {
    run(node: Node, inputs: (GraphTensor | undefined)[]): GraphTensor[] {
      const x = requireInput(node, inputs, 0);
      if (x.data instanceof BigInt64Array && opts.big) {
        const big = opts.big;
        const o = new BigInt64Array(x.data.length);
        for (let i = 0; i < o.length; i++) o[i] = big(x.data[i]);
        return [{ dtype: x.dtype, shape: [...x.shape], data: o }];
      }
      if (!isFloat(x.dtype) && !(opts.ints && NUMERIC_OK.has(x.dtype))) {
        failValue(node, 0, `${node.op} does not support ${x.dtype}`);
      }
      const v = numberView(x);
      const r = new Float64Array(v.length);
      for (let i = 0; i < r.length; i++) r[i] = f(v[i]);
      return [fromNumbers(x.dtype, x.shape, r)];
    },
  };
}

const NOT: OpKernel = {
  run(node: Node, inputs: (GraphTensor | undefined)[]): GraphTensor[] {
    const x = requireInput(node, inputs, 0);
    if (x.dtype !== "bool") failValue(node, 0, `Not needs a bool input, got ${x.dtype}`);
    const s = x.data as Uint8Array;
    const o = new Uint8Array(s.length);
    for (let i = 0; i < o.length; i++) o[i] = s[i] ? 0 : 1;
    return [{ dtype: "bool", shape: [...x.shape], data: o }];
  },
};

const WHERE: OpKernel = {
  run(node: Node, inputs: (GraphTensor | undefined)[]): GraphTensor[] {
    const c = requireInput(node, inputs, 0);
    const x = requireInput(node, inputs, 1);
    const y = requireInput(node, inputs, 2);
    if (c.dtype !== "bool") failValue(node, 0, `Where needs a bool condition, got ${c.dtype}`);
    if (x.dtype !== y.dtype) {
      failValue(node, 2, `Where needs X and Y of one dtype, got ${x.dtype} and ${y.dtype}`);
    }
    const shape = broadcastShapes(node, [c.shape, x.shape, y.shape]);
    const ic = broadcastIndex(shape, c.shape);
    const ix = broadcastIndex(shape, x.shape);
    const iy = broadcastIndex(shape, y.shape);
    const out = zeros(x.dtype, shape);
    const o = out.data as { [i: number]: number | bigint };
    const cd = c.data as Uint8Array;
    const xd = x.data as { [i: number]: number | bigint };
    const yd = y.data as { [i: number]: number | bigint };
    for (let i = 0; i < out.data.length; i++) {
      o[i] = cd[ic ? ic[i] : i] ? xd[ix ? ix[i] : i] : yd[iy ? iy[i] : i];
    }
    return [out];
  },
};

const bigDiv: BigFn = (x, y) => (y === 0n ? 0n : x / y);
const bigPow: BigFn = (
  x,
  y,
) => (y < 0n ? (x === 1n ? 1n : x === -1n ? (y % 2n ? -1n : 1n) : 0n) : x ** y);

/**
 * The elementwise ops by ONNX op type.
 *
 * @example Broadcast Add and int64 Div truncating toward zero
 * ```ts
 * import { ELEMENTWISE_OPS } from "./tensor_elementwise.ts";
 * import { deepEqual } from "node:assert/strict";
 * const node = { name: "d", op: "Div", inputs: ["a", "b"], outputs: ["y"], attrs: {} };
 * const [y] = ELEMENTWISE_OPS.Div.run(node, [
 *   { dtype: "int64", shape: [2], data: new BigInt64Array([-7n, 7n]) },
 *   { dtype: "int64", shape: [], data: new BigInt64Array([2n]) },
 * ], { opset: 13 });
 * deepEqual([...y.data], [-3n, 3n]);
 * const [z] = ELEMENTWISE_OPS.Add.run({ ...node, op: "Add" }, [
 *   { dtype: "float32", shape: [2, 1], data: new Float32Array([1, 2]) },
 *   { dtype: "float32", shape: [3], data: new Float32Array([10, 20, 30]) },
 * ], { opset: 13 });
 * deepEqual([...z.data], [11, 21, 31, 12, 22, 32]);
 * ```
 */
export const ELEMENTWISE_OPS: OpTable = {
  Add: binary({ float: (x, y) => x + y, int: (x, y) => x + y, big: (x, y) => x + y, fast: "add" }),
  Sub: binary({ float: (x, y) => x - y, int: (x, y) => x - y, big: (x, y) => x - y, fast: "sub" }),
  Mul: binary({
    float: (x, y) => x * y,
    int: (x, y) => Math.imul(x, y),
    big: (x, y) => x * y,
    fast: "mul",
  }),
  Div: binary({
    float: (x, y) => x / y,
    int: (x, y) => (y === 0 ? 0 : Math.trunc(x / y)),
    big: bigDiv,
    fast: "div",
  }),
  Pow: binary({
    float: (x, y) => Math.pow(x, y),
    int: (x, y) => Math.pow(x, y),
    big: bigPow,
    mixed: true,
  }),
  Equal: binary({
    float: (x, y) => b(x === y),
    int: (x, y) => b(x === y),
    big: (x, y) => bb(x === y),
    bool: true,
  }),
  Less: binary({
    float: (x, y) => b(x < y),
    int: (x, y) => b(x < y),
    big: (x, y) => bb(x < y),
    bool: true,
  }),
  LessOrEqual: binary({
    float: (x, y) => b(x <= y),
    int: (x, y) => b(x <= y),
    big: (x, y) => bb(x <= y),
    bool: true,
  }),
  Greater: binary({
    float: (x, y) => b(x > y),
    int: (x, y) => b(x > y),
    big: (x, y) => bb(x > y),
    bool: true,
  }),
  GreaterOrEqual: binary({
    float: (x, y) => b(x >= y),
    int: (x, y) => b(x >= y),
    big: (x, y) => bb(x >= y),
    bool: true,
  }),
  And: binary({
    float: (x, y) => b(!!x && !!y),
    int: (x, y) => b(!!x && !!y),
    big: (x, y) => bb(!!x && !!y),
    bool: true,
    logic: true,
  }),
  Or: binary({
    float: (x, y) => b(!!x || !!y),
    int: (x, y) => b(!!x || !!y),
    big: (x, y) => bb(!!x || !!y),
    bool: true,
    logic: true,
  }),
  Xor: binary({
    float: (x, y) => b(!x !== !y),
    int: (x, y) => b(!x !== !y),
    big: (x, y) => bb(!x !== !y),
    bool: true,
    logic: true,
  }),
  Where: WHERE,
  Max: variadic({ float: maxF, int: maxF, big: (x, y) => (x >= y ? x : y) }),
  Min: variadic({ float: minF, int: minF, big: (x, y) => (x <= y ? x : y) }),
  Sum: variadic({ float: (x, y) => x + y, int: (x, y) => x + y, big: (x, y) => x + y }),
  Sqrt: unary(Math.sqrt),
  Exp: unary(Math.exp),
  Log: unary(Math.log),
  Neg: unary((x) => -x, { big: (x) => -x, ints: true }),
  Abs: unary(Math.abs, { big: (x) => (x < 0n ? -x : x), ints: true }),
  Reciprocal: unary((x) => 1 / x),
  Floor: unary(Math.floor),
  Ceil: unary(Math.ceil),
  Sign: unary(Math.sign, { big: (x) => (x > 0n ? 1n : x < 0n ? -1n : 0n), ints: true }),
  Not: NOT,
};
