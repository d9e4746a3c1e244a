/**
 * Reductions (ONNX ReduceMean, ReduceSum, ReduceMax, ReduceMin, ReduceProd, ReduceSumSquare,
 * ReduceL1, ReduceL2): axes as an attribute before opset 18 (13 for ReduceSum), as an optional
 * input from then on; `keepdims` (default 1); `noop_with_empty_axes`. Sums accumulate in float64
 * and round once to the element type.
 *
 * @module
 */

import type { GraphTensor, Node } from "../ir.ts";
import { sizeOf } from "../ir.ts";
import { attrInt, type OpKernel, type OpTable, requireInput } from "../op.ts";
import { failValue, fromNumbers, normAxes, numberView, stridesOf } from "./tensor_common.ts";
import { intsInputOrAttr } from "./tensor_shape_ops.ts";

interface Reducer {
  init: number;
  step: (acc: number, x: number) => number;
  finish: (acc: number, count: number) => number;
  /** First opset taking axes as an input. */
  axesInput: number;
}

/**
 * Reduces `x` over `axes` (all axes when empty).
 *
 * @param x The tensor.
 * @param axes Normalised axes.
 * @param keepdims Keep reduced axes as 1.
 * @param r The reduction.
 * @returns The reduced tensor (same dtype).
 */
function reduce(x: GraphTensor, axes: number[], keepdims: boolean, r: Reducer): GraphTensor {
  const rank = x.shape.length;
  const all = axes.length === 0;
  const reduced = x.shape.map((_, i) => all || axes.includes(i));
  const kept = x.shape.map((d, i) => (reduced[i] ? 1 : d));
  const outShape = keepdims ? kept : x.shape.filter((_, i) => !reduced[i]);
  const ost = stridesOf(kept).map((s, i) => (reduced[i] ? 0 : s));
  const n = sizeOf(kept);
  const acc = new Float64Array(n).fill(r.init);
  const v = numberView(x);
  const ctr = new Array<number>(rank).fill(0);
  let p = 0;
  for (let i = 0; i < v.length; i++) {
    acc[p] = r.step(acc[p], v[i]);
    for (let d = rank - 1; d >= 0; d--) {
      ctr[d]++;
      p += ost[d];
      if (ctr[d] < x.shape[d]) break;
      p -= ost[d] * x.shape[d];
      ctr[d] = 0;
    }
  }
  const count = n === 0 ? 0 : v.length / n;
  for (let i = 0; i < n; i++) acc[i] = r.finish(acc[i], count);
  return fromNumbers(x.dtype, outShape, acc);
}

function reducer(r: Reducer): OpKernel {
  return {
    run(node: Node, inputs, ctx) {
      const x = requireInput(node, inputs, 0);
      if (x.dtype === "bool") failValue(node, 0, `${node.op} does not support bool`);
      const given = intsInputOrAttr(node, inputs, ctx, 1, "axes", r.axesInput) ?? [];
      const keepdims = attrInt(node, "keepdims", 1) !== 0;
      if (given.length === 0 && attrInt(node, "noop_with_empty_axes", 0) !== 0) return [x];
      const axes = normAxes(node, given, x.shape.length, ctx.opset >= r.axesInput ? 1 : 0);
      return [reduce(x, axes, keepdims, r)];
    },
  };
}

const sum = (a: number, x: number) => a + x;
const same = (a: number) => a;

/**
 * The reductions by ONNX op type.
 *
 * @example ReduceMean over axis 1 without keepdims (opset 13: axes attribute)
 * ```ts
 * import { REDUCE_OPS } from "./tensor_reduce.ts";
 * import { deepEqual } from "node:assert/strict";
 * const node = { name: "m", op: "ReduceMean", inputs: ["x"], outputs: ["y"], attrs: { axes: [1], keepdims: 0 } };
 * const [y] = REDUCE_OPS.ReduceMean.run(node, [{ dtype: "float32", shape: [2, 2], data: new Float32Array([1, 2, 3, 5]) }], { opset: 13 });
 * deepEqual(y.shape, [2]);
 * deepEqual([...y.data], [1.5, 4]);
 * ```
 */
export const REDUCE_OPS: OpTable = {
  ReduceSum: reducer({ init: 0, step: sum, finish: same, axesInput: 13 }),
  ReduceMean: reducer({ init: 0, step: sum, finish: (a, n) => a / n, axesInput: 18 }),
  ReduceMax: reducer({
    init: -Infinity,
    step: (a, x) => (a !== a || x !== x ? NaN : Math.max(a, x)),
    finish: same,
    axesInput: 18,
  }),
  ReduceMin: reducer({
    init: Infinity,
    step: (a, x) => (a !== a || x !== x ? NaN : Math.min(a, x)),
    finish: same,
    axesInput: 18,
  }),
  ReduceProd: reducer({ init: 1, step: (a, x) => a * x, finish: same, axesInput: 18 }),
  ReduceSumSquare: reducer({ init: 0, step: (a, x) => a + x * x, finish: same, axesInput: 18 }),
  ReduceL1: reducer({ init: 0, step: (a, x) => a + Math.abs(x), finish: same, axesInput: 18 }),
  ReduceL2: reducer({ init: 0, step: (a, x) => a + x * x, finish: Math.sqrt, axesInput: 18 }),
};
