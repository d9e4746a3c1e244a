/**
 * Layout ops that move elements: Transpose, Concat, Split, Gather.
 *
 * @module
 */

import type { GraphTensor, Node } from "../ir.ts";
import { sizeOf, zeros } from "../ir.ts";
import { attrInt, attrInts, type OpKernel, type OpTable, requireInput } from "../op.ts";
import {
  failValue,
  gatherElements,
  gatherStrided,
  intValues,
  normAxis,
  stridesOf,
} from "./tensor_common.ts";

function transpose(node: Node, x: GraphTensor, perm: number[]): GraphTensor {
  const r = x.shape.length;
  const seen = new Set(perm);
  if (perm.length !== r || seen.size !== r || perm.some((p) => !(p >= 0 && p < r))) {
    failValue(node, 0, `perm [${perm}] is not a permutation of the ${r} axes of [${x.shape}]`);
  }
  const shape = perm.map((p) => x.shape[p]);
  const st = stridesOf(x.shape);
  const pst = perm.map((p) => st[p]);
  return gatherStrided(x, shape, pst);
}

const TRANSPOSE: OpKernel = {
  run(node, inputs) {
    const x = requireInput(node, inputs, 0);
    const r = x.shape.length;
    const perm = attrInts(node, "perm", Array.from({ length: r }, (_, i) => r - 1 - i));
    return [transpose(node, x, perm)];
  },
};

const CONCAT: OpKernel = {
  run(node, inputs) {
    const parts = inputs.map((_, i) => requireInput(node, inputs, i));
    if (parts.length === 0) failValue(node, node.outputs[0] ?? "", "Concat needs inputs");
    const first = parts[0];
    const r = first.shape.length;
    const a = normAxis(node, attrInt(node, "axis"), r, 0);
    parts.forEach((t, k) => {
      if (t.dtype !== first.dtype) {
        failValue(node, k, `dtype ${t.dtype} differs from ${first.dtype}`);
      }
      if (t.shape.length !== r || t.shape.some((d, i) => i !== a && d !== first.shape[i])) {
        failValue(
          node,
          k,
          `shape [${t.shape}] does not concatenate with [${first.shape}] on axis ${a}`,
        );
      }
    });
    const shape = [...first.shape];
    shape[a] = parts.reduce((s, t) => s + t.shape[a], 0);
    const out = zeros(first.dtype, shape);
    const outer = sizeOf(shape.slice(0, a));
    const inner = sizeOf(shape.slice(a + 1));
    const o = out.data as { set(src: ArrayLike<number | bigint>, offset: number): void };
    let off = 0;
    for (const t of parts) {
      const block = t.shape[a] * inner;
      const rowOut = shape[a] * inner;
      const src = t.data as unknown as {
        subarray(s: number, e: number): ArrayLike<number | bigint>;
      };
      for (let i = 0; i < outer; i++) {
        o.set(src.subarray(i * block, (i + 1) * block), i * rowOut + off);
      }
      off += block;
    }
    return [out];
  },
};

const SPLIT: OpKernel = {
  run(node, inputs, ctx) {
    const x = requireInput(node, inputs, 0);
    const r = x.shape.length;
    const a = normAxis(node, attrInt(node, "axis", 0), r, 0);
    const dim = x.shape[a];
    let sizes: number[] | undefined;
    if (ctx.opset >= 13) {
      const s = inputs[1];
      sizes = s === undefined ? undefined : intValues(node, s, 1);
    } else if (node.attrs.split !== undefined) sizes = attrInts(node, "split");
    const count = ctx.opset >= 18 && node.attrs.num_outputs !== undefined
      ? attrInt(node, "num_outputs")
      : node.outputs.length;
    if (sizes === undefined) {
      if (count < 1) failValue(node, 0, `cannot split into ${count} outputs`);
      const chunk = Math.ceil(dim / count);
      if (ctx.opset < 18 && dim % count !== 0) {
        failValue(node, 0, `axis ${a} of size ${dim} does not split into ${count} equal parts`);
      }
      sizes = Array.from(
        { length: count },
        (_, i) => Math.max(0, Math.min(chunk, dim - i * chunk)),
      );
    }
    if (sizes.some((v) => v < 0) || sizes.reduce((s, v) => s + v, 0) !== dim) {
      failValue(
        node,
        ctx.opset >= 13 ? 1 : 0,
        `split [${sizes}] does not sum to axis ${a} size ${dim}`,
      );
    }
    const outer = sizeOf(x.shape.slice(0, a));
    const inner = sizeOf(x.shape.slice(a + 1));
    let start = 0;
    return sizes.map((len) => {
      const shape = [...x.shape];
      shape[a] = len;
      const idx = new Int32Array(outer * len * inner);
      let k = 0;
      for (let o = 0; o < outer; o++) {
        const base = (o * dim + start) * inner;
        for (let j = 0; j < len * inner; j++) idx[k++] = base + j;
      }
      start += len;
      return gatherElements(x, shape, idx);
    });
  },
};

const GATHER: OpKernel = {
  run(node, inputs) {
    const x = requireInput(node, inputs, 0);
    const ind = requireInput(node, inputs, 1);
    const r = x.shape.length;
    const a = normAxis(node, attrInt(node, "axis", 0), r, 0);
    const dim = x.shape[a];
    const iv = intValues(node, ind, 1).map((v) => {
      if (v < -dim || v >= dim) {
        failValue(node, 1, `index ${v} is out of range [${-dim}, ${dim - 1}]`);
      }
      return v < 0 ? v + dim : v;
    });
    const outer = sizeOf(x.shape.slice(0, a));
    const inner = sizeOf(x.shape.slice(a + 1));
    const shape = [...x.shape.slice(0, a), ...ind.shape, ...x.shape.slice(a + 1)];
    const idx = new Int32Array(outer * iv.length * inner);
    let k = 0;
    for (let o = 0; o < outer; o++) {
      for (const v of iv) {
        const base = (o * dim + v) * inner;
        for (let j = 0; j < inner; j++) idx[k++] = base + j;
      }
    }
    return [gatherElements(x, shape, idx)];
  },
};

/**
 * The layout ops by ONNX op type.
 *
 * @example Transpose a [2, 3] matrix; Gather with a negative index
 * ```ts
 * import { LAYOUT_OPS } from "./tensor_layout.ts";
 * import { deepEqual } from "node:assert/strict";
 * const x = { dtype: "float32" as const, shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) };
 * const t = { name: "t", op: "Transpose", inputs: ["x"], outputs: ["y"], attrs: {} };
 * deepEqual([...LAYOUT_OPS.Transpose.run(t, [x], { opset: 13 })[0].data], [1, 4, 2, 5, 3, 6]);
 * const g = { name: "g", op: "Gather", inputs: ["x", "i"], outputs: ["y"], attrs: { axis: 1 } };
 * const i = { dtype: "int64" as const, shape: [1], data: new BigInt64Array([-1n]) };
 * deepEqual([...LAYOUT_OPS.Gather.run(g, [x, i], { opset: 13 })[0].data], [3, 6]);
 * ```
 */
export const LAYOUT_OPS: OpTable = {
  Transpose: TRANSPOSE,
  Concat: CONCAT,
  Split: SPLIT,
  Gather: GATHER,
};
