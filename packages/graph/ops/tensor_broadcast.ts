/**
 * NumPy (ONNX multidirectional) broadcasting: the output shape of several operands and, for
 * each operand, the index of its element behind every output element.
 *
 * @module
 */

import type { Node } from "../ir.ts";
import { sizeOf } from "../ir.ts";
import { failValue, stridedOffsets } from "./tensor_common.ts";

/**
 * The broadcast shape of several operand shapes (right-aligned; a dimension is 1 or equal).
 *
 * @param node The node (for errors).
 * @param shapes Operand shapes in input order.
 * @returns The output shape.
 * @throws {GraphError} Naming the node and the first incompatible input.
 *
 * @example
 * ```ts
 * import { broadcastShapes } from "./tensor_broadcast.ts";
 * import { deepEqual, throws } from "node:assert/strict";
 * const n = { name: "add", op: "Add", inputs: ["a", "b"], outputs: ["y"], attrs: {} };
 * deepEqual(broadcastShapes(n, [[2, 1, 4], [3, 1]]), [2, 3, 4]);
 * throws(() => broadcastShapes(n, [[2, 3], [4]]), /node add, value b: shape \[4\] does not broadcast/);
 * ```
 */
export function broadcastShapes(node: Node, shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  shapes.forEach((s, k) => {
    const off = rank - s.length;
    for (let i = 0; i < s.length; i++) {
      const d = s[i];
      const o = out[i + off];
      if (d === o || d === 1) continue;
      if (o === 1) out[i + off] = d;
      else {
        failValue(
          node,
          k,
          `shape [${s}] does not broadcast with [${out}] (dimension ${i}: ${d} vs ${o})`,
        );
      }
    }
  });
  return out;
}

/**
 * For every element of the broadcast output, the index of the operand element it reads;
 * `undefined` when the operand already has the output shape (identity).
 *
 * @param outShape The output shape.
 * @param shape The operand shape (broadcastable to `outShape`).
 * @returns The index map, or `undefined` for the identity.
 *
 * @example
 * ```ts
 * import { broadcastIndex } from "./tensor_broadcast.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...broadcastIndex([2, 3], [3])!], [0, 1, 2, 0, 1, 2]);
 * deepEqual([...broadcastIndex([2, 3], [2, 1])!], [0, 0, 0, 1, 1, 1]);
 * ```
 */
export function broadcastIndex(
  outShape: readonly number[],
  shape: readonly number[],
): Int32Array | undefined {
  if (shape.length === outShape.length && shape.every((d, i) => d === outShape[i])) {
    return undefined;
  }
  if (sizeOf(shape) === 1) return new Int32Array(sizeOf(outShape));
  const r = outShape.length;
  const off = r - shape.length;
  const st = new Array<number>(r).fill(0);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i + off] = shape[i] === 1 ? 0 : acc;
    acc *= shape[i];
  }
  return stridedOffsets(outShape, st);
}
