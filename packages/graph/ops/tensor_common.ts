/**
 * Helpers shared by the tensor ops: errors naming a node's value, integer tensors as numbers,
 * axis normalisation, strides, element access across dtypes.
 *
 * @module
 */

import { decodeFloatCodes, encodeFloatCodes, isFloatCode } from "./_float_codes.ts";
import { GraphError } from "../errors.ts";
import type { GraphData, GraphDType, GraphTensor, Node } from "../ir.ts";
import { sizeOf, zeros } from "../ir.ts";

/**
 * Throws a {@linkcode GraphError} naming the node and one of its input (or output) values.
 *
 * @param node The node.
 * @param value The value name, or an input index (its name is taken from the node).
 * @param message What is wrong.
 * @returns Never.
 *
 * @example
 * ```ts
 * import { failValue } from "./tensor_common.ts";
 * import { throws } from "node:assert/strict";
 * const n = { name: "r", op: "Reshape", inputs: ["x", "s"], outputs: ["y"], attrs: {} };
 * throws(() => failValue(n, 1, "bad"), /node r, value s: bad/);
 * ```
 */
export function failValue(node: Node, value: string | number, message: string): never {
  const name = typeof value === "number" ? (node.inputs[value] ?? `#${value}`) : value;
  throw new GraphError(message, { node: node.name, value: name, op: node.op });
}

/**
 * The elements of an integer tensor (int64, int32, …) as numbers.
 *
 * @param node The node (for errors).
 * @param t The tensor.
 * @param i Its input index (for errors).
 * @returns The values.
 *
 * @example
 * ```ts
 * import { intValues } from "./tensor_common.ts";
 * import { deepEqual } from "node:assert/strict";
 * const n = { name: "n", op: "Reshape", inputs: ["x", "s"], outputs: ["y"], attrs: {} };
 * deepEqual(intValues(n, { dtype: "int64", shape: [2], data: new BigInt64Array([2n, -1n]) }, 1), [2, -1]);
 * ```
 */
export function intValues(node: Node, t: GraphTensor, i: number): number[] {
  if (t.data instanceof BigInt64Array) {
    const out: number[] = [];
    for (const v of t.data) {
      // Clamp huge markers (INT64_MAX ends of Slice) into the safe integer range.
      out.push(
        v > 9007199254740991n
          ? Number.MAX_SAFE_INTEGER
          : v < -9007199254740991n
          ? Number.MIN_SAFE_INTEGER
          : Number(v),
      );
    }
    return out;
  }
  if (t.dtype.startsWith("float") || t.dtype === "bool") {
    failValue(node, i, `must be an integer tensor, got ${t.dtype}`);
  }
  return Array.from(t.data as ArrayLike<number>);
}

/**
 * Normalises a possibly negative axis into [0, rank).
 *
 * @param node The node (for errors).
 * @param axis The axis (negative counts from the end).
 * @param rank The rank (the range is [−rank, rank − 1]).
 * @param value The value the axis refers to (for errors).
 * @returns The axis in [0, rank).
 *
 * @example
 * ```ts
 * import { normAxis } from "./tensor_common.ts";
 * import { equal } from "node:assert/strict";
 * equal(normAxis({ name: "c", op: "Concat", inputs: ["x"], outputs: [], attrs: {} }, -1, 3, 0), 2);
 * ```
 */
export function normAxis(node: Node, axis: number, rank: number, value: string | number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    failValue(node, value, `axis ${axis} is out of range for rank ${rank}`);
  }
  return axis < 0 ? axis + rank : axis;
}

/**
 * Normalises a list of axes, rejecting duplicates.
 *
 * @param node The node (for errors).
 * @param axes The axes.
 * @param rank The rank.
 * @param value The value the axes refer to (for errors).
 * @returns The axes in [0, rank), in the given order.
 *
 * @example
 * ```ts
 * import { normAxes } from "./tensor_common.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(normAxes({ name: "s", op: "Squeeze", inputs: ["x"], outputs: [], attrs: {} }, [-1, 0], 3, 0), [2, 0]);
 * ```
 */
export function normAxes(
  node: Node,
  axes: readonly number[],
  rank: number,
  value: string | number,
): number[] {
  const out = axes.map((a) => normAxis(node, a, rank, value));
  if (new Set(out).size !== out.length) failValue(node, value, `axes [${axes}] repeat an axis`);
  return out;
}

/**
 * Row-major strides of a shape.
 *
 * @param shape Dimensions.
 * @returns Element strides (the last is 1).
 *
 * @example
 * ```ts
 * import { stridesOf } from "./tensor_common.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(stridesOf([2, 3, 4]), [12, 4, 1]);
 * ```
 */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/**
 * A new tensor of `dtype` and `shape` whose element `i` is `data[src[i]]` of `from` (same dtype):
 * the gather every layout op reduces to.
 *
 * @param from The source tensor.
 * @param shape The output shape.
 * @param src Source element index of every output element.
 * @returns The gathered tensor.
 *
 * @example
 * ```ts
 * import { gatherElements } from "./tensor_common.ts";
 * import { deepEqual } from "node:assert/strict";
 * const t = gatherElements({ dtype: "int32", shape: [3], data: new Int32Array([5, 6, 7]) }, [2], [2, 0]);
 * deepEqual([...t.data], [7, 5]);
 * ```
 */
export function gatherElements(
  from: GraphTensor,
  shape: readonly number[],
  src: ArrayLike<number>,
): GraphTensor {
  const out = zeros(from.dtype, shape);
  const d = out.data as { [i: number]: number | bigint };
  const s = from.data as { [i: number]: number | bigint };
  for (let i = 0; i < src.length; i++) d[i] = s[src[i]];
  return out;
}

/**
 * The same elements under a new shape (shares storage; ops never mutate inputs).
 *
 * @param t The tensor.
 * @param shape The new shape (same element count).
 * @returns The reshaped tensor.
 *
 * @example
 * ```ts
 * import { withShape } from "./tensor_common.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(withShape({ dtype: "float32", shape: [4], data: new Float32Array(4) }, [2, 2]).shape, [2, 2]);
 * ```
 */
export function withShape(t: GraphTensor, shape: readonly number[]): GraphTensor {
  if (sizeOf(shape) !== t.data.length) {
    throw new RangeError(`shape [${shape}] does not hold ${t.data.length} elements`);
  }
  return { dtype: t.dtype, shape: [...shape], data: t.data };
}

/**
 * Elements of a float tensor (float32/float64/float16) or integer tensor as a number array view
 * (float16 decoded, int64 converted).
 *
 * @param t The tensor.
 * @returns Numbers, one per element.
 *
 * @example
 * ```ts
 * import { numberView } from "./tensor_common.ts";
 * import { deepEqual } from "node:assert/strict";
 * const v = numberView({ dtype: "int64", shape: [2], data: new BigInt64Array([1n, -2n]) });
 * deepEqual(Array.from(v), [1, -2]);
 * ```
 */
export function numberView(t: GraphTensor): ArrayLike<number> {
  if (isFloatCode(t.dtype)) return decodeFloatCodes(t.dtype, t.data as Uint8Array);
  if (t.dtype === "float16") {
    const u = t.data as Uint16Array;
    return new Float16Array(u.buffer, u.byteOffset, u.length);
  }
  if (t.data instanceof BigInt64Array) return Float64Array.from(t.data, Number);
  return t.data as Exclude<GraphData, BigInt64Array>;
}

/**
 * A tensor of `dtype` from numbers (float16 encoded to bits with round to nearest even, int64
 * truncated).
 *
 * @param dtype Element type.
 * @param shape Dimensions.
 * @param values One number per element.
 * @returns The tensor.
 *
 * @example
 * ```ts
 * import { fromNumbers } from "./tensor_common.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...fromNumbers("float16", [1], [1]).data], [0x3c00]);
 * ```
 */
export function fromNumbers(
  dtype: GraphDType,
  shape: readonly number[],
  values: ArrayLike<number>,
): GraphTensor {
  if (dtype === "float16") {
    const f = Float16Array.from(values as ArrayLike<number>);
    return { dtype, shape: [...shape], data: new Uint16Array(f.buffer) };
  }
  if (isFloatCode(dtype)) {
    return { dtype, shape: [...shape], data: encodeFloatCodes(dtype, values) };
  }
  const t = zeros(dtype, shape);
  if (t.data instanceof BigInt64Array) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      t.data[i] = Number.isFinite(v) ? BigInt(Math.trunc(v)) : 0n;
    }
  } else (t.data as Exclude<GraphData, BigInt64Array>).set(values);
  return t;
}

/**
 * Whether a dtype is a floating-point type.
 *
 * @param dtype Element type.
 * @returns True for float16, float32, float64 and the float8/float4 code types.
 *
 * @example
 * ```ts
 * import { isFloat } from "./tensor_common.ts";
 * import { equal } from "node:assert/strict";
 * equal(isFloat("float16"), true);
 * equal(isFloat("int64"), false);
 * ```
 */
export function isFloat(dtype: GraphDType): boolean {
  return dtype === "float32" || dtype === "float64" || dtype === "float16" || isFloatCode(dtype);
}

/**
 * The source offset of every element of a strided view, in row-major order of the view:
 * `offset[i] = start + Σ_d index_d(i) · strides[d]` (an odometer walk, one add per element).
 * Broadcasting (stride 0), transposition (permuted strides) and slicing (scaled strides and a
 * start) are all such views.
 *
 * @param shape The view's shape.
 * @param strides Source stride per view axis (may be 0 or negative).
 * @param start Offset of the view's first element (default 0).
 * @returns `product(shape)` offsets.
 *
 * @example
 * ```ts
 * import { stridedOffsets } from "./tensor_common.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...stridedOffsets([3, 2], [1, 3])], [0, 3, 1, 4, 2, 5]); // transpose of 2×3
 * deepEqual([...stridedOffsets([2, 2], [0, 1], 5)], [5, 6, 5, 6]); // broadcast row
 * ```
 */
export function stridedOffsets(
  shape: readonly number[],
  strides: readonly number[],
  start = 0,
): Int32Array {
  let n = 1;
  for (const d of shape) n *= d;
  const idx = new Int32Array(n);
  const si = shape.length ? strides[shape.length - 1] : 0;
  stridedRows(shape, strides, start, (at, p, inner) => {
    for (let k = 0; k < inner; k++, p += si) idx[at + k] = p;
  });
  return idx;
}

/**
 * The odometer walk of a strided view by rows of its last axis: `row(at, p, inner)` for each
 * row, `at` the row's first element in the view, `p` its source offset, `inner` the row's
 * length (a 0-D view is one row of one element; an empty view has none).
 */
function stridedRows(
  shape: readonly number[],
  strides: readonly number[],
  start: number,
  row: (at: number, p: number, inner: number) => void,
): void {
  const r = shape.length;
  let n = 1;
  for (const d of shape) n *= d;
  if (n === 0) return;
  const inner = r ? shape[r - 1] : 1;
  const ctr = new Array<number>(r).fill(0);
  let p = start;
  for (let at = 0; at < n; at += inner) {
    row(at, p, inner);
    for (let a = r - 2; a >= 0; a--) {
      ctr[a]++;
      p += strides[a];
      if (ctr[a] < shape[a]) break;
      p -= strides[a] * shape[a];
      ctr[a] = 0;
    }
  }
}

/**
 * A new tensor of `shape` whose elements are `from`'s at a strided view: the same result as
 * `gatherElements(from, shape, stridedOffsets(shape, strides, start))` without the offsets
 * array, the last axis as a tight loop (a copy when its stride is 1). Transpose and Slice use it.
 *
 * @param from The source tensor.
 * @param shape The view's shape.
 * @param strides Source stride per view axis (may be 0 or negative).
 * @param start Offset of the view's first element (default 0).
 * @returns The copied view.
 *
 * @example Transpose of a 2×3 matrix
 * ```ts
 * import { gatherStrided } from "./tensor_common.ts";
 * import { deepEqual } from "node:assert/strict";
 * const x = { dtype: "int8" as const, shape: [2, 3], data: new Int8Array([1, 2, 3, 4, 5, 6]) };
 * deepEqual([...gatherStrided(x, [3, 2], [1, 3]).data], [1, 4, 2, 5, 3, 6]);
 * ```
 */
export function gatherStrided(
  from: GraphTensor,
  shape: readonly number[],
  strides: readonly number[],
  start = 0,
): GraphTensor {
  const out = zeros(from.dtype, shape);
  const si = shape.length ? strides[shape.length - 1] : 0;
  const d = out.data as { [i: number]: number | bigint }, src = from.data as typeof d;
  if (si === 1 && ArrayBuffer.isView(out.data) && ArrayBuffer.isView(from.data)) {
    const o = out.data as Uint8Array, f = from.data as Uint8Array;
    stridedRows(shape, strides, start, (at, p, inner) => o.set(f.subarray(p, p + inner), at));
  } else {
    stridedRows(shape, strides, start, (at, p, inner) => {
      for (let k = 0; k < inner; k++, p += si) d[at + k] = src[p];
    });
  }
  return out;
}
