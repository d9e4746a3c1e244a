/**
 * Index ops of the float executor: ArgMax / ArgMin (int64 indices along an axis, first or last
 * extreme) and GatherND (`batch_dims`, ONNX opset 11–13 semantics).
 *
 * @example
 * ```ts
 * import { INDEX_OPS } from "./tensor_index.ts";
 * import { deepEqual } from "node:assert/strict";
 * const node = { name: "a", op: "ArgMax", inputs: ["x"], outputs: ["i"], attrs: { axis: 1, keepdims: 0 } };
 * const [i] = INDEX_OPS.ArgMax.run(node, [
 *   { dtype: "float32", shape: [2, 3], data: new Float32Array([1, 5, 5, 7, 0, 2]) },
 * ], { opset: 13 });
 * deepEqual([...i.data], [1n, 0n]);
 * ```
 *
 * @module
 */

import type { GraphTensor, Node } from "../ir.ts";
import { sizeOf, zeros } from "../ir.ts";
import { attrInt, type OpKernel, type OpTable, requireInput } from "../op.ts";
import { failValue, intValues, normAxis } from "./tensor_common.ts";

function numeric(t: GraphTensor): ArrayLike<number> {
  if (t.data instanceof BigInt64Array) return Array.from(t.data, Number);
  if (t.dtype === "float16") {
    const u = t.data as Uint16Array;
    return new Float16Array(u.buffer, u.byteOffset, u.length);
  }
  return t.data as ArrayLike<number>;
}

function argExtreme(sign: 1 | -1): OpKernel {
  return {
    run(node: Node, inputs: (GraphTensor | undefined)[]): GraphTensor[] {
      const x = requireInput(node, inputs, 0);
      const rank = x.shape.length;
      const axis = normAxis(node, attrInt(node, "axis", 0), rank, 0);
      const keep = attrInt(node, "keepdims", 1) !== 0;
      const last = attrInt(node, "select_last_index", 0) !== 0;
      const outer = sizeOf(x.shape.slice(0, axis)), n = x.shape[axis];
      const inner = sizeOf(x.shape.slice(axis + 1));
      if (n === 0) failValue(node, 0, `cannot take ${node.op} over an empty axis ${axis}`);
      const shape = keep
        ? x.shape.map((d, i) => (i === axis ? 1 : d))
        : x.shape.filter((_, i) => i !== axis);
      const out = zeros("int64", shape), d = numeric(x), o = out.data as BigInt64Array;
      for (let a = 0; a < outer; a++) {
        for (let b = 0; b < inner; b++) {
          let best = 0, bv = sign * d[a * n * inner + b];
          for (let k = 1; k < n; k++) {
            const v = sign * d[(a * n + k) * inner + b];
            if (v > bv || (last && v === bv) || (Number.isNaN(v) && !Number.isNaN(bv))) {
              best = k, bv = v;
            }
          }
          o[a * inner + b] = BigInt(best);
        }
      }
      return [out];
    },
  };
}

const gatherND: OpKernel = {
  run(node: Node, inputs: (GraphTensor | undefined)[]): GraphTensor[] {
    const data = requireInput(node, inputs, 0), idx = requireInput(node, inputs, 1);
    const b = attrInt(node, "batch_dims", 0);
    const q = idx.shape.length, r = data.shape.length, k = idx.shape[q - 1];
    if (q < 1 || k === undefined || b + k > r || b >= q) {
      failValue(
        node,
        1,
        `indices of shape [${idx.shape}] do not fit data of shape [${data.shape}] with batch_dims ${b}`,
      );
    }
    for (let i = 0; i < b; i++) {
      if (idx.shape[i] !== data.shape[i]) {
        failValue(node, 1, `batch dimension ${i} differs: [${idx.shape}] vs [${data.shape}]`);
      }
    }
    const outShape = [...idx.shape.slice(0, q - 1), ...data.shape.slice(b + k)];
    const out = zeros(data.dtype, outShape);
    const slice = sizeOf(data.shape.slice(b + k));
    const batch = sizeOf(data.shape.slice(0, b));
    const perBatchIdx = sizeOf(idx.shape.slice(b, q - 1));
    const dataBatch = sizeOf(data.shape.slice(b));
    const ind = intValues(node, idx, 1);
    const src = data.data as { [i: number]: number | bigint },
      dst = out.data as { [i: number]: number | bigint };
    for (let bi = 0; bi < batch; bi++) {
      for (let j = 0; j < perBatchIdx; j++) {
        let off = 0;
        for (let t = 0; t < k; t++) {
          const dim = data.shape[b + t];
          let v = ind[(bi * perBatchIdx + j) * k + t];
          if (v < -dim || v >= dim) {
            failValue(node, 1, `index ${v} is out of range for dimension ${b + t} of size ${dim}`);
          }
          if (v < 0) v += dim;
          off = off * dim + v;
        }
        const from = bi * dataBatch + off * slice, to = (bi * perBatchIdx + j) * slice;
        for (let s = 0; s < slice; s++) dst[to + s] = src[from + s];
      }
    }
    return [out];
  },
};

/** ArgMax, ArgMin and GatherND by op type. */
export const INDEX_OPS: OpTable = {
  ArgMax: argExtreme(1),
  ArgMin: argExtreme(-1),
  GatherND: gatherND,
};
