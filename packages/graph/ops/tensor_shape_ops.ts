/**
 * Shape ops that keep the element order: Reshape, Flatten, Squeeze, Unsqueeze, Identity,
 * Dropout (inference), and the shape queries Shape and Size; plus Expand and Tile.
 *
 * @module
 */

import type { GraphTensor, Node } from "../ir.ts";
import { sizeOf } from "../ir.ts";
import {
  attrInt,
  attrInts,
  type OpContext,
  type OpKernel,
  type OpTable,
  requireInput,
} from "../op.ts";
import { broadcastIndex, broadcastShapes } from "./tensor_broadcast.ts";
import {
  failValue,
  gatherElements,
  intValues,
  normAxes,
  stridesOf,
  withShape,
} from "./tensor_common.ts";

/**
 * Integer list from input `i` when the opset has moved it there (`sinceOpset`), else from the
 * attribute `name`; `undefined` when absent.
 *
 * @param node The node.
 * @param inputs The op inputs.
 * @param ctx Opset.
 * @param i Input index of the list from `sinceOpset` on.
 * @param name Attribute name before `sinceOpset`.
 * @param sinceOpset First opset with the input form.
 * @returns The integers, or `undefined`.
 *
 * @example
 * ```ts
 * import { intsInputOrAttr } from "./tensor_shape_ops.ts";
 * import { deepEqual } from "node:assert/strict";
 * const n = { name: "s", op: "Squeeze", inputs: ["x"], outputs: ["y"], attrs: { axes: [0] } };
 * deepEqual(intsInputOrAttr(n, [], { opset: 11 }, 1, "axes", 13), [0]);
 * ```
 */
export function intsInputOrAttr(
  node: Node,
  inputs: readonly (GraphTensor | undefined)[],
  ctx: OpContext,
  i: number,
  name: string,
  sinceOpset: number,
): number[] | undefined {
  if (ctx.opset >= sinceOpset) {
    const t = inputs[i];
    return t === undefined ? undefined : intValues(node, t, i);
  }
  return node.attrs[name] === undefined ? undefined : attrInts(node, name);
}

function reshapeTarget(node: Node, x: GraphTensor, spec: number[], allowzero: boolean): number[] {
  const out = spec.map((
    d,
    i,
  ) => (d === 0 && !allowzero ? (i < x.shape.length ? x.shape[i] : -2) : d));
  if (out.includes(-2)) failValue(node, 1, `shape [${spec}]: a 0 copies a missing input dim`);
  const infer = out.filter((d) => d === -1).length;
  if (infer > 1) failValue(node, 1, `shape [${spec}] has more than one -1`);
  if (out.some((d) => d < -1)) failValue(node, 1, `shape [${spec}] has a negative dimension`);
  const n = x.data.length;
  if (infer === 1) {
    const known = sizeOf(out.filter((d) => d !== -1));
    if (known === 0 || n % known !== 0) {
      failValue(node, 1, `cannot infer -1 in [${spec}] for ${n} elements ([${x.shape}])`);
    }
    out[out.indexOf(-1)] = n / known;
  }
  if (sizeOf(out) !== n) {
    failValue(
      node,
      1,
      `shape [${spec}] holds ${sizeOf(out)} elements, input [${x.shape}] has ${n}`,
    );
  }
  return out;
}

const RESHAPE: OpKernel = {
  run(node, inputs, ctx) {
    const x = requireInput(node, inputs, 0);
    const spec = ctx.opset >= 5
      ? intValues(node, requireInput(node, inputs, 1), 1)
      : attrInts(node, "shape");
    return [withShape(x, reshapeTarget(node, x, spec, attrInt(node, "allowzero", 0) !== 0))];
  },
};

const FLATTEN: OpKernel = {
  run(node, inputs) {
    const x = requireInput(node, inputs, 0);
    const r = x.shape.length;
    let a = attrInt(node, "axis", 1);
    if (a < -r || a > r) failValue(node, 0, `axis ${a} is out of range for rank ${r}`);
    if (a < 0) a += r;
    return [withShape(x, [sizeOf(x.shape.slice(0, a)), sizeOf(x.shape.slice(a))])];
  },
};

const SQUEEZE: OpKernel = {
  run(node, inputs, ctx) {
    const x = requireInput(node, inputs, 0);
    const given = intsInputOrAttr(node, inputs, ctx, 1, "axes", 13);
    const r = x.shape.length;
    const axes = given === undefined
      ? x.shape.flatMap((d, i) => (d === 1 ? [i] : []))
      : normAxes(node, given, r, given && ctx.opset >= 13 ? 1 : 0);
    for (const a of axes) {
      if (x.shape[a] !== 1) failValue(node, 0, `cannot squeeze axis ${a} of shape [${x.shape}]`);
    }
    return [withShape(x, x.shape.filter((_, i) => !axes.includes(i)))];
  },
};

const UNSQUEEZE: OpKernel = {
  run(node, inputs, ctx) {
    const x = requireInput(node, inputs, 0);
    const given = intsInputOrAttr(node, inputs, ctx, 1, "axes", 13);
    if (given === undefined) failValue(node, ctx.opset >= 13 ? 1 : 0, "Unsqueeze needs axes");
    const r = x.shape.length + given.length;
    const axes = normAxes(node, given, r, ctx.opset >= 13 ? 1 : 0);
    const out: number[] = [];
    let k = 0;
    for (let i = 0; i < r; i++) out.push(axes.includes(i) ? 1 : x.shape[k++]);
    return [withShape(x, out)];
  },
};

const SHAPE: OpKernel = {
  run(node, inputs) {
    const x = requireInput(node, inputs, 0);
    const r = x.shape.length;
    const clampAxis = (a: number) => Math.min(Math.max(a < 0 ? a + r : a, 0), r);
    const start = clampAxis(attrInt(node, "start", 0));
    const end = clampAxis(attrInt(node, "end", r));
    const dims = x.shape.slice(start, Math.max(start, end));
    return [{ dtype: "int64", shape: [dims.length], data: BigInt64Array.from(dims, BigInt) }];
  },
};

const SIZE: OpKernel = {
  run(node, inputs) {
    const x = requireInput(node, inputs, 0);
    return [{ dtype: "int64", shape: [], data: BigInt64Array.of(BigInt(x.data.length)) }];
  },
};

const DROPOUT: OpKernel = {
  run(node, inputs) {
    const x = requireInput(node, inputs, 0);
    const training = inputs[2];
    if (training !== undefined && training.data[0]) {
      const r = inputs[1];
      const ratio = r === undefined ? 0.5 : Number(r.data[0]);
      if (ratio !== 0) {
        failValue(node, 2, "Dropout in training mode (random masks) is not supported");
      }
    }
    const out: GraphTensor[] = [x];
    if (node.outputs.length > 1) {
      out.push({ dtype: "bool", shape: [...x.shape], data: new Uint8Array(x.data.length).fill(1) });
    }
    return out;
  },
};

const EXPAND: OpKernel = {
  run(node, inputs) {
    const x = requireInput(node, inputs, 0);
    const target = intValues(node, requireInput(node, inputs, 1), 1);
    const shape = broadcastShapes(node, [x.shape, target]);
    const idx = broadcastIndex(shape, x.shape);
    return [idx === undefined ? withShape(x, shape) : gatherElements(x, shape, idx)];
  },
};

const TILE: OpKernel = {
  run(node, inputs) {
    const x = requireInput(node, inputs, 0);
    const reps = intValues(node, requireInput(node, inputs, 1), 1);
    const r = x.shape.length;
    if (reps.length !== r || reps.some((v) => v < 0)) {
      failValue(node, 1, `repeats [${reps}] must be ${r} non-negative integers`);
    }
    const shape = x.shape.map((d, i) => d * reps[i]);
    const n = sizeOf(shape);
    const st = stridesOf(x.shape);
    const idx = new Int32Array(n);
    const ctr = new Array<number>(r).fill(0);
    for (let i = 0; i < n; i++) {
      let p = 0;
      for (let d = 0; d < r; d++) p += (ctr[d] % x.shape[d]) * st[d];
      idx[i] = p;
      for (let d = r - 1; d >= 0; d--) {
        if (++ctr[d] < shape[d]) break;
        ctr[d] = 0;
      }
    }
    return [gatherElements(x, shape, idx)];
  },
};

/**
 * The shape ops by ONNX op type.
 *
 * @example Reshape with 0 (copy) and -1 (inferred)
 * ```ts
 * import { SHAPE_OPS } from "./tensor_shape_ops.ts";
 * import { deepEqual } from "node:assert/strict";
 * const node = { name: "r", op: "Reshape", inputs: ["x", "s"], outputs: ["y"], attrs: {} };
 * const [y] = SHAPE_OPS.Reshape.run(node, [
 *   { dtype: "float32", shape: [2, 3, 4], data: new Float32Array(24) },
 *   { dtype: "int64", shape: [2], data: new BigInt64Array([0n, -1n]) },
 * ], { opset: 14 });
 * deepEqual(y.shape, [2, 12]);
 * ```
 */
export const SHAPE_OPS: OpTable = {
  Identity: { run: (node, inputs) => [requireInput(node, inputs, 0)] },
  Reshape: RESHAPE,
  Flatten: FLATTEN,
  Squeeze: SQUEEZE,
  Unsqueeze: UNSQUEEZE,
  Shape: SHAPE,
  Size: SIZE,
  Dropout: DROPOUT,
  Expand: EXPAND,
  Tile: TILE,
};
