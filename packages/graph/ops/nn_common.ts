/**
 * Helpers shared by the neural-network ops: float32 inputs checked by rank, and ONNX spatial
 * padding (`pads`, `auto_pad`) resolved to explicit begin/end pads.
 *
 * @module
 */

import type { GraphTensor, Node } from "../ir.ts";
import { attrInts, attrString, requireInput } from "../op.ts";
import { failValue } from "./tensor_common.ts";

/**
 * The `i`-th input, required, float32, and (when given) of a rank in `[minRank, maxRank]`.
 *
 * @param node The node.
 * @param inputs The op's inputs.
 * @param i Input index.
 * @param minRank Smallest allowed rank (default 0).
 * @param maxRank Largest allowed rank (default unlimited).
 * @returns The tensor, its data a `Float32Array`.
 * @throws {GraphError} Naming the node and value when missing, not float32 or of a wrong rank.
 *
 * @example
 * ```ts
 * import { floatInput } from "./nn_common.ts";
 * import { equal, throws } from "node:assert/strict";
 * const n = { name: "c", op: "Conv", inputs: ["x"], outputs: ["y"], attrs: {} };
 * const x = { dtype: "float32" as const, shape: [1, 2], data: new Float32Array(2) };
 * equal(floatInput(n, [x], 0, 2).shape.length, 2);
 * throws(() => floatInput(n, [x], 0, 4), /node c, value x: Conv needs rank >= 4/);
 * ```
 */
export function floatInput(
  node: Node,
  inputs: readonly (GraphTensor | undefined)[],
  i: number,
  minRank = 0,
  maxRank = Infinity,
): GraphTensor & { data: Float32Array } {
  const t = requireInput(node, inputs, i);
  if (t.dtype !== "float32" || !(t.data instanceof Float32Array)) {
    failValue(node, i, `${node.op} needs a float32 input ${i}, got ${t.dtype}`);
  }
  const r = t.shape.length;
  if (r < minRank || r > maxRank) {
    const want = minRank === maxRank
      ? `${minRank}`
      : maxRank === Infinity
      ? `>= ${minRank}`
      : `${minRank}..${maxRank}`;
    failValue(node, i, `${node.op} needs rank ${want} for input ${i}, got shape [${t.shape}]`);
  }
  return t as GraphTensor & { data: Float32Array };
}

/** Resolved padding of one spatial axis. */
export interface AxisPad {
  /** Padding before the first element. */
  begin: number;
  /** Padding after the last element. */
  end: number;
}

/**
 * Explicit pads of the spatial axes from ONNX `pads` and `auto_pad` (Conv and pooling).
 * `SAME_UPPER` / `SAME_LOWER` make `out = ceil(in / stride)`, the odd pad at the end / begin;
 * `VALID` pads nothing.
 *
 * @param node The node (reads `pads` and `auto_pad`).
 * @param spatial Input spatial sizes.
 * @param kernel Kernel sizes.
 * @param strides Strides.
 * @param dilations Dilations.
 * @returns One {@linkcode AxisPad} per spatial axis.
 * @throws {GraphError} On an unknown `auto_pad` or a `pads` list of the wrong length.
 *
 * @example
 * ```ts
 * import { resolvePads } from "./nn_common.ts";
 * import { deepEqual } from "node:assert/strict";
 * const n = { name: "c", op: "Conv", inputs: [], outputs: [], attrs: { auto_pad: "SAME_UPPER" } };
 * deepEqual(resolvePads(n, [4], [2], [1], [1]), [{ begin: 0, end: 1 }]);
 * ```
 */
export function resolvePads(
  node: Node,
  spatial: readonly number[],
  kernel: readonly number[],
  strides: readonly number[],
  dilations: readonly number[],
): AxisPad[] {
  const s = spatial.length;
  const autoPad = attrString(node, "auto_pad", "NOTSET");
  if (autoPad === "NOTSET") {
    const pads = attrInts(node, "pads", new Array(2 * s).fill(0));
    if (pads.length !== 2 * s || pads.some((p) => p < 0)) {
      failValue(node, node.name, `pads must hold ${2 * s} non-negative integers, got [${pads}]`);
    }
    return spatial.map((_, i) => ({ begin: pads[i], end: pads[i + s] }));
  }
  if (autoPad === "VALID") return spatial.map(() => ({ begin: 0, end: 0 }));
  if (autoPad !== "SAME_UPPER" && autoPad !== "SAME_LOWER") {
    failValue(node, node.name, `auto_pad must be NOTSET, SAME_UPPER, SAME_LOWER or VALID`);
  }
  return spatial.map((n, i) => {
    const out = Math.ceil(n / strides[i]);
    const total = Math.max(0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - n);
    const small = Math.floor(total / 2);
    return autoPad === "SAME_UPPER"
      ? { begin: small, end: total - small }
      : { begin: total - small, end: small };
  });
}

/**
 * A list attribute of one value per spatial axis (`strides`, `dilations`, …), checked.
 *
 * @param node The node.
 * @param name Attribute name.
 * @param rank Number of spatial axes.
 * @param fallback Per-axis default when absent.
 * @returns The list.
 * @throws {GraphError} When its length is not `rank` or a value is below 1.
 *
 * @example
 * ```ts
 * import { spatialAttr } from "./nn_common.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(spatialAttr({ name: "p", op: "MaxPool", inputs: [], outputs: [], attrs: {} }, "strides", 2, 1), [1, 1]);
 * ```
 */
export function spatialAttr(node: Node, name: string, rank: number, fallback: number): number[] {
  const v = attrInts(node, name, new Array(rank).fill(fallback));
  if (v.length !== rank || v.some((x) => x < 1)) {
    failValue(node, node.name, `${name} must hold ${rank} positive integers, got [${v}]`);
  }
  return v;
}
