/**
 * 256-entry lookup tables for unary ops on 8-bit codes. For a QDQ chain
 * `DequantizeLinear(x) → op → QuantizeLinear` the output code depends only on the input code,
 * so the chain is exactly a table: entry `q` is `Q(op(DQ(q)))`, computed once by running the
 * float op on every one of the 256 dequantized codes — the same float32 arithmetic the QDQ
 * simulation does element by element, hence bit-exact with it.
 *
 * Dequantization is ONNX's `fl(fl(q − z) · s)`, quantization
 * `saturate(round_half_even(fl(x / s)) + z)`.
 *
 * @example HardSwish as a table, then applied to codes
 * ```ts
 * import { applyLut, lutForNode } from "@lowbit/runtime/lut";
 * import { deepEqual } from "node:assert/strict";
 * const node = { name: "hs", op: "HardSwish", inputs: ["x"], outputs: ["y"], attrs: {} };
 * const t = lutForNode(node, { dtype: "int8", scale: 0.05, zeroPoint: 0 }, { dtype: "int8", scale: 0.05, zeroPoint: 0 });
 * // 3 at code 60 → hardswish(3) = 3 → code 60; −3 (code −60) → 0.
 * deepEqual(Array.from(applyLut(t, new Int8Array([60, -60, 0]))), [60, 0, 0]);
 * ```
 *
 * @module
 */

import { FLOAT_OPS } from "@lowbit/graph/executor";
import type { Node } from "@lowbit/graph/ir";
import { clamp8, lookup8 } from "@lowbit/kernels/elementwise-int8";
import type { CodeBuffer } from "./fused.ts";

export type { AttrValue, GraphData, GraphDType, GraphTensor, Node } from "@lowbit/graph/ir";

/** A per-tensor 8-bit grid: `real = scale · (q − zeroPoint)`. */
export interface LutGrid {
  /** Code type. */
  dtype: "int8" | "uint8";
  /** Scale (rounded to float32 as ONNX does). */
  scale: number;
  /** Zero point (a code of `dtype`). */
  zeroPoint: number;
}

/** A lookup table from input codes to output codes. */
export interface Lut {
  /** Input code type. */
  input: "int8" | "uint8";
  /** Output code type. */
  output: "int8" | "uint8";
  /** 256 output codes, entry `q − qmin(input)`. */
  table: Int16Array;
}

function qmin(d: "int8" | "uint8"): number {
  return d === "int8" ? -128 : 0;
}

function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v - Math.trunc(v)) === 0.5 ? 2 * Math.round(v / 2) : r;
}

/**
 * The 256 dequantized values of a grid, code order `qmin … qmin + 255`.
 *
 * @param grid The input grid.
 * @returns float32 values `fl(fl(q − z) · s)`.
 *
 * @example
 * ```ts
 * import { lutInputs } from "@lowbit/runtime/lut";
 * import { equal } from "node:assert/strict";
 * const v = lutInputs({ dtype: "uint8", scale: 0.5, zeroPoint: 128 });
 * equal(v[0], -64);
 * equal(v[255], 63.5);
 * ```
 */
export function lutInputs(grid: LutGrid): Float32Array {
  const s = Math.fround(grid.scale), lo = qmin(grid.dtype), out = new Float32Array(256);
  for (let i = 0; i < 256; i++) out[i] = Math.fround((lo + i - grid.zeroPoint) * s);
  return out;
}

/**
 * Builds a table from float outputs of the 256 input codes.
 *
 * @param input The input grid.
 * @param values `fn(DQ(q))` for `q = qmin … qmin + 255` (float32).
 * @param output The output grid.
 * @returns The table.
 * @throws {RangeError} When `values` does not hold 256 elements.
 *
 * @example
 * ```ts
 * import { buildLut, lutInputs } from "@lowbit/runtime/lut";
 * import { equal } from "node:assert/strict";
 * const g = { dtype: "int8" as const, scale: 0.1, zeroPoint: 0 };
 * const t = buildLut(g, lutInputs(g).map((v) => Math.max(0, v)), g);
 * equal(t.table[0], 0); // code −128 → relu → 0
 * equal(t.table[255], 127);
 * ```
 */
export function buildLut(input: LutGrid, values: ArrayLike<number>, output: LutGrid): Lut {
  if (values.length !== 256) throw new RangeError(`need 256 values, got ${values.length}`);
  const s = Math.fround(output.scale), lo = qmin(output.dtype), hi = lo + 255;
  const table = new Int16Array(256);
  for (let i = 0; i < 256; i++) {
    const q = roundHalfEven(Math.fround(Math.fround(values[i]) / s)) + output.zeroPoint;
    table[i] = Number.isNaN(q) ? output.zeroPoint : Math.min(hi, Math.max(lo, q));
  }
  return { input: input.dtype, output: output.dtype, table };
}

/**
 * The table of a unary graph node (any single-input float op of `@lowbit/graph`'s
 * `FLOAT_OPS`: HardSigmoid, HardSwish, Sigmoid, Tanh, Relu, LeakyRelu, Clip with constant
 * bounds given as attributes, Gelu, …), by running the op on the 256 dequantized codes.
 *
 * @param node The node (op and attributes; only its first input is fed).
 * @param input The input grid.
 * @param output The output grid.
 * @param opset Opset passed to the op (default 17).
 * @returns The table.
 * @throws {RangeError} When the op is not in `FLOAT_OPS`.
 *
 * @example
 * ```ts
 * import { lutForNode } from "@lowbit/runtime/lut";
 * import { equal } from "node:assert/strict";
 * const node = { name: "s", op: "Sigmoid", inputs: ["x"], outputs: ["y"], attrs: {} };
 * const t = lutForNode(node, { dtype: "int8", scale: 0.1, zeroPoint: 0 }, { dtype: "uint8", scale: 1 / 256, zeroPoint: 0 });
 * equal(t.table[128], 128); // code 0 → sigmoid(0) = 0.5 → 128
 * ```
 */
export function lutForNode(node: Node, input: LutGrid, output: LutGrid, opset = 17): Lut {
  const kernel = FLOAT_OPS[node.op];
  if (!kernel) throw new RangeError(`op ${node.op} of node ${node.name} has no float kernel`);
  const x = { dtype: "float32" as const, shape: [256], data: lutInputs(input) };
  const [y] = kernel.run(node, [x], { opset });
  return buildLut(input, y.data as Float32Array, output);
}

const clamps = new WeakMap<Lut, readonly [number, number] | null>();

/**
 * `[lo, hi]` when the table maps every code q of its input type to `min(max(q, lo), hi)` of
 * the same type — a Relu or Clip whose input and output share one grid — else null (cached
 * per table).
 */
function clampOf(lut: Lut): readonly [number, number] | null {
  let r = clamps.get(lut);
  if (r !== undefined) return r;
  r = null;
  const t = lut.table, lo = qmin(lut.input), a = t[0], b = t[255];
  if (lut.input === lut.output && a <= b) {
    let same = true;
    for (let i = 0; i < 256 && same; i++) same = t[i] === Math.min(Math.max(i + lo, a), b);
    if (same) r = [a, b];
  }
  clamps.set(lut, r);
  return r;
}

/**
 * Applies a table to codes.
 *
 * @param lut The table.
 * @param codes Input codes (`Int8Array` for int8, `Uint8Array` for uint8 input).
 * @param buffer Where the output codes go (default a new array).
 * @returns Output codes, `Int8Array` or `Uint8Array` by the table's output type.
 *
 * @example
 * ```ts
 * import { applyLut, buildLut, lutInputs } from "@lowbit/runtime/lut";
 * import { deepEqual } from "node:assert/strict";
 * const g = { dtype: "uint8" as const, scale: 1, zeroPoint: 128 };
 * const neg = buildLut(g, lutInputs(g).map((v) => -v), g);
 * deepEqual(Array.from(applyLut(neg, new Uint8Array([128, 130, 0]))), [128, 126, 255]);
 * ```
 */
export function applyLut(
  lut: Lut,
  codes: Int8Array | Uint8Array,
  buffer?: CodeBuffer,
): Int8Array | Uint8Array {
  const clamp = clampOf(lut);
  const n = codes.length;
  if (clamp) {
    // a clamp keeps the code type (clampOf applies only when input and output types agree)
    const into = buffer?.(codes instanceof Int8Array ? "int8" : "uint8", n);
    return clamp8(codes, clamp[0], clamp[1], into as typeof codes | undefined);
  }
  const lo = qmin(lut.input), t = lut.table;
  const out = buffer?.(lut.output, n) ??
    (lut.output === "int8" ? new Int8Array(n) : new Uint8Array(n));
  // the kernels' byte table lookup: entry b is the output byte of the code whose byte is b
  const bytes = new Uint8Array(256);
  for (let b = 0; b < 256; b++) bytes[b] = t[(lo < 0 ? (b << 24) >> 24 : b) - lo] & 0xff;
  return lookup8(bytes, codes, out);
}
