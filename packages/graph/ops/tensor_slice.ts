/**
 * Slice (ONNX): per-axis start/end/step with negative indices counted from the end, out-of-range
 * and INT64_MAX/INT64_MIN bounds clamped, negative steps walking backwards.
 *
 * @module
 */

import type { GraphTensor, Node } from "../ir.ts";
import { attrInts, type OpContext, type OpTable, requireInput } from "../op.ts";
import { failValue, gatherStrided, intValues, normAxes, stridesOf } from "./tensor_common.ts";

/**
 * One axis of a slice: first index, step and element count (selected indices are
 * `start + k · step` for k < count).
 *
 * @example
 * ```ts
 * import type { SliceRange } from "./tensor_slice.ts";
 * import { equal } from "node:assert/strict";
 * const r: SliceRange = { start: 3, step: -2, count: 2 }; // indices 3, 1
 * equal(r.start + (r.count - 1) * r.step, 1);
 * ```
 */
export interface SliceRange {
  /** First source index. */
  start: number;
  /** Step (non-zero). */
  step: number;
  /** Number of selected indices. */
  count: number;
}

/**
 * The ONNX clamping rule of one sliced axis.
 *
 * @param dim The axis size.
 * @param start The requested start (negative counts from the end).
 * @param end The requested end, exclusive (negative counts from the end; huge values clamp).
 * @param step The step (non-zero; negative walks backwards).
 * @returns The effective start, step and count.
 *
 * @example
 * ```ts
 * import { sliceRange } from "./tensor_slice.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(sliceRange(10, 1, 1000, 3), { start: 1, step: 3, count: 3 });
 * deepEqual(sliceRange(4, -1, -5, -1), { start: 3, step: -1, count: 4 });
 * ```
 */
export function sliceRange(dim: number, start: number, end: number, step: number): SliceRange {
  let s = start < 0 ? start + dim : start;
  let e = end < 0 ? end + dim : end;
  if (step > 0) {
    s = Math.min(Math.max(s, 0), dim);
    e = Math.min(Math.max(e, 0), dim);
  } else {
    s = Math.min(Math.max(s, -1), dim - 1);
    e = Math.min(Math.max(e, -1), dim - 1);
  }
  const count = Math.max(0, Math.ceil((e - s) / step));
  return { start: count === 0 ? 0 : s, step, count };
}

function sliceArgs(
  node: Node,
  inputs: readonly (GraphTensor | undefined)[],
  ctx: OpContext,
  rank: number,
): { starts: number[]; ends: number[]; axes: number[]; steps: number[]; at: number } {
  if (ctx.opset < 10) {
    const starts = attrInts(node, "starts");
    const ends = attrInts(node, "ends");
    const axes = attrInts(node, "axes", starts.map((_, i) => i));
    return { starts, ends, axes, steps: starts.map(() => 1), at: 0 };
  }
  const starts = intValues(node, requireInput(node, inputs, 1), 1);
  const ends = intValues(node, requireInput(node, inputs, 2), 2);
  const axes = inputs[3] ? intValues(node, inputs[3], 3) : starts.map((_, i) => i);
  const steps = inputs[4] ? intValues(node, inputs[4], 4) : starts.map(() => 1);
  if (
    ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length
  ) {
    failValue(
      node,
      1,
      `starts, ends, axes and steps must have one length (${starts.length}, ${ends.length}, ${axes.length}, ${steps.length})`,
    );
  }
  if (axes.some((a) => a < -rank || a >= rank)) {
    failValue(node, 3, `axes [${axes}] out of range for rank ${rank}`);
  }
  return { starts, ends, axes, steps, at: 3 };
}

/**
 * The Slice op.
 *
 * @example Every second element backwards
 * ```ts
 * import { SLICE_OPS } from "./tensor_slice.ts";
 * import { deepEqual } from "node:assert/strict";
 * const i64 = (v: bigint[]) => ({ dtype: "int64" as const, shape: [v.length], data: BigInt64Array.from(v) });
 * const node = { name: "s", op: "Slice", inputs: ["x", "a", "b", "c", "d"], outputs: ["y"], attrs: {} };
 * const x = { dtype: "int32" as const, shape: [5], data: new Int32Array([0, 1, 2, 3, 4]) };
 * const [y] = SLICE_OPS.Slice.run(node, [x, i64([-1n]), i64([-9223372036854775807n]), i64([0n]), i64([-2n])], { opset: 13 });
 * deepEqual([...y.data], [4, 2, 0]);
 * ```
 */
export const SLICE_OPS: OpTable = {
  Slice: {
    run(node, inputs, ctx) {
      const x = requireInput(node, inputs, 0);
      const r = x.shape.length;
      const { starts, ends, axes, steps, at } = sliceArgs(node, inputs, ctx, r);
      const ax = normAxes(node, axes, r, at);
      const ranges: SliceRange[] = x.shape.map((d) => ({ start: 0, step: 1, count: d }));
      ax.forEach((a, k) => {
        if (steps[k] === 0) failValue(node, 4, "steps must be non-zero");
        ranges[a] = sliceRange(x.shape[a], starts[k], ends[k], steps[k]);
      });
      const shape = ranges.map((g) => g.count);
      const st = stridesOf(x.shape);
      const start = ranges.reduce((s, g, d) => s + g.start * st[d], 0);
      return [gatherStrided(x, shape, ranges.map((g, d) => g.step * st[d]), start)];
    },
  },
};
