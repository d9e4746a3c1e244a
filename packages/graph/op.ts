/**
 * The contract of a float-executor op and the attribute readers every op uses. An op is a
 * function of its node (attributes) and its input tensors; it returns its output tensors in
 * node-output order. Ops never mutate their inputs.
 *
 * @example Read attributes with defaults and typed errors
 * ```ts
 * import { attrInt, attrInts } from "@lowbit/graph/op";
 * import { equal, deepEqual, throws } from "node:assert/strict";
 * const node = { name: "c", op: "Conv", inputs: [], outputs: [], attrs: { group: 2, strides: [2, 2] } };
 * equal(attrInt(node, "group", 1), 2);
 * deepEqual(attrInts(node, "dilations", [1, 1]), [1, 1]);
 * throws(() => attrInts(node, "group"), /node c: attribute group must be a list of integers/);
 * ```
 *
 * @module
 */

import { GraphError } from "./errors.ts";
import type { GraphTensor, Node } from "./ir.ts";

/** What an op may know besides its node and inputs. */
export interface OpContext {
  /** The graph's default-domain opset (for version-dependent semantics). */
  opset: number;
}

/** One op of the float executor. */
export interface OpKernel {
  /**
   * Computes the outputs.
   *
   * @param node The node (attributes, names for errors).
   * @param inputs Input tensors in node order; `undefined` for omitted optional inputs.
   * @param ctx Opset and other context.
   * @returns The outputs in node-output order.
   */
  run(node: Node, inputs: (GraphTensor | undefined)[], ctx: OpContext): GraphTensor[];
}

/** A table of ops by op type. */
export type OpTable = Record<string, OpKernel>;

function fail(node: Node, message: string): never {
  throw new GraphError(message, { node: node.name, op: node.op });
}

/**
 * An integer attribute.
 *
 * @param node The node.
 * @param name Attribute name.
 * @param fallback Value when absent; without it the attribute is required.
 * @returns The value.
 * @throws {GraphError} Naming the node when absent (and required) or not an integer.
 *
 * @example
 * ```ts
 * import { attrInt } from "@lowbit/graph/op";
 * import { equal } from "node:assert/strict";
 * equal(attrInt({ name: "s", op: "Softmax", inputs: [], outputs: [], attrs: {} }, "axis", -1), -1);
 * ```
 */
export function attrInt(node: Node, name: string, fallback?: number): number {
  const v = node.attrs[name];
  if (v === undefined) {
    if (fallback === undefined) fail(node, `attribute ${name} is required`);
    return fallback;
  }
  if (typeof v !== "number" || !Number.isInteger(v)) {
    fail(node, `attribute ${name} must be an integer`);
  }
  return v;
}

/**
 * A float attribute.
 *
 * @param node The node.
 * @param name Attribute name.
 * @param fallback Value when absent; without it the attribute is required.
 * @returns The value.
 * @throws {GraphError} Naming the node when absent (and required) or not a number.
 *
 * @example
 * ```ts
 * import { attrFloat } from "@lowbit/graph/op";
 * import { equal } from "node:assert/strict";
 * equal(attrFloat({ name: "l", op: "LeakyRelu", inputs: [], outputs: [], attrs: {} }, "alpha", 0.01), 0.01);
 * ```
 */
export function attrFloat(node: Node, name: string, fallback?: number): number {
  const v = node.attrs[name];
  if (v === undefined) {
    if (fallback === undefined) fail(node, `attribute ${name} is required`);
    return fallback;
  }
  if (typeof v !== "number") fail(node, `attribute ${name} must be a number`);
  return v;
}

/**
 * An integer-list attribute.
 *
 * @param node The node.
 * @param name Attribute name.
 * @param fallback Value when absent; without it the attribute is required.
 * @returns A copy of the list.
 * @throws {GraphError} Naming the node when absent (and required) or not a list of integers.
 *
 * @example
 * ```ts
 * import { attrInts } from "@lowbit/graph/op";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(attrInts({ name: "t", op: "Transpose", inputs: [], outputs: [], attrs: { perm: [1, 0] } }, "perm"), [1, 0]);
 * ```
 */
export function attrInts(node: Node, name: string, fallback?: readonly number[]): number[] {
  const v = node.attrs[name];
  if (v === undefined) {
    if (fallback === undefined) fail(node, `attribute ${name} is required`);
    return [...fallback];
  }
  if (!Array.isArray(v) || !v.every((x) => typeof x === "number" && Number.isInteger(x))) {
    fail(node, `attribute ${name} must be a list of integers`);
  }
  return [...(v as number[])];
}

/**
 * A string attribute.
 *
 * @param node The node.
 * @param name Attribute name.
 * @param fallback Value when absent; without it the attribute is required.
 * @returns The value.
 * @throws {GraphError} Naming the node when absent (and required) or not a string.
 *
 * @example
 * ```ts
 * import { attrString } from "@lowbit/graph/op";
 * import { equal } from "node:assert/strict";
 * equal(attrString({ name: "c", op: "Conv", inputs: [], outputs: [], attrs: {} }, "auto_pad", "NOTSET"), "NOTSET");
 * ```
 */
export function attrString(node: Node, name: string, fallback?: string): string {
  const v = node.attrs[name];
  if (v === undefined) {
    if (fallback === undefined) fail(node, `attribute ${name} is required`);
    return fallback;
  }
  if (typeof v !== "string") fail(node, `attribute ${name} must be a string`);
  return v;
}

/**
 * The `i`-th input, required.
 *
 * @param node The node.
 * @param inputs The op's inputs.
 * @param i Input index.
 * @returns The tensor.
 * @throws {GraphError} Naming the node and the input value when it is missing.
 *
 * @example
 * ```ts
 * import { requireInput } from "@lowbit/graph/op";
 * import { throws } from "node:assert/strict";
 * const node = { name: "m", op: "MatMul", inputs: ["a", "b"], outputs: ["y"], attrs: {} };
 * throws(() => requireInput(node, [undefined], 0), /node m, value a: input 0 is required/);
 * ```
 */
export function requireInput(
  node: Node,
  inputs: readonly (GraphTensor | undefined)[],
  i: number,
): GraphTensor {
  const t = inputs[i];
  if (t === undefined) {
    throw new GraphError(`input ${i} is required`, {
      node: node.name,
      value: node.inputs[i] ?? `#${i}`,
      op: node.op,
    });
  }
  return t;
}
