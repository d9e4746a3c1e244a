/**
 * Number formats of the cost model and precision assignments: which weight and activation
 * format each node runs at. A node's **compute precision** (the peak the target is asked for)
 * follows docs/hardware.md Eq. 5: if either operand is a float format, the wider float
 * (weights dequantized on the fly); otherwise the wider integer format.
 *
 * @example
 * ```ts
 * import { bitsOf, computePrecision, precisionOf, uniform } from "@lowbit/hardware/precision";
 * import { deepEqual, equal } from "node:assert/strict";
 * equal(bitsOf("int4"), 4);
 * equal(computePrecision({ weight: "int4", activation: "int8" }), "int8");
 * equal(computePrecision({ weight: "int8", activation: "fp32" }), "fp32");
 * deepEqual(precisionOf(uniform("int8"), "conv1"), { weight: "int8", activation: "int8" });
 * ```
 *
 * @module
 */

/** A weight or activation format of the cost model. */
export type Precision = "fp32" | "fp16" | "int8" | "int4" | "binary";

/** Every {@linkcode Precision}, widest first. */
export const PRECISIONS: readonly Precision[] = ["fp32", "fp16", "int8", "int4", "binary"];

/** The formats one node runs at. */
export interface NodePrecision {
  /** Weight format (also used for biases of float layers; integer layers keep int32 biases). */
  weight: Precision;
  /** Activation format of the node's inputs and outputs. */
  activation: Precision;
}

/** Formats per node: a default and overrides by node name. */
export interface PrecisionAssignment {
  /** Format of every node not named in `nodes`. */
  default: NodePrecision;
  /** Overrides by node name. */
  nodes?: Record<string, NodePrecision>;
}

const BITS: Record<Precision, number> = { fp32: 32, fp16: 16, int8: 8, int4: 4, binary: 1 };

/**
 * Bits per element of a format.
 *
 * @param p The format.
 * @returns 32, 16, 8, 4 or 1.
 * @throws {RangeError} For a name that is not a {@linkcode Precision}.
 *
 * @example
 * ```ts
 * import { bitsOf } from "@lowbit/hardware/precision";
 * import { equal } from "node:assert/strict";
 * equal(bitsOf("binary"), 1);
 * ```
 */
export function bitsOf(p: Precision): number {
  const b = BITS[p];
  if (b === undefined) {
    throw new RangeError(`precision must be one of ${PRECISIONS.join(", ")}, got ${String(p)}`);
  }
  return b;
}

/**
 * Whether a format is floating point.
 *
 * @param p The format.
 * @returns True for fp32 and fp16.
 *
 * @example
 * ```ts
 * import { isFloat } from "@lowbit/hardware/precision";
 * import { equal } from "node:assert/strict";
 * equal(isFloat("fp16"), true);
 * equal(isFloat("int8"), false);
 * ```
 */
export function isFloat(p: Precision): boolean {
  return p === "fp32" || p === "fp16";
}

/**
 * The format whose peak a node's multiply-accumulates run at (docs/hardware.md Eq. 5).
 *
 * @param p The node's weight and activation formats.
 * @returns The wider float format if either is float, else the wider integer format.
 *
 * @example
 * ```ts
 * import { computePrecision } from "@lowbit/hardware/precision";
 * import { equal } from "node:assert/strict";
 * equal(computePrecision({ weight: "binary", activation: "binary" }), "binary");
 * equal(computePrecision({ weight: "fp16", activation: "int8" }), "fp16");
 * ```
 */
export function computePrecision(p: NodePrecision): Precision {
  const w = bitsOf(p.weight), a = bitsOf(p.activation);
  const fw = isFloat(p.weight), fa = isFloat(p.activation);
  if (fw || fa) {
    if (fw && fa) return w >= a ? p.weight : p.activation;
    return fw ? p.weight : p.activation;
  }
  return w >= a ? p.weight : p.activation;
}

/**
 * The same format for weights and activations of every node.
 *
 * @param p The format.
 * @returns The assignment.
 *
 * @example
 * ```ts
 * import { uniform } from "@lowbit/hardware/precision";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(uniform("fp16"), { default: { weight: "fp16", activation: "fp16" } });
 * ```
 */
export function uniform(p: Precision): PrecisionAssignment {
  bitsOf(p);
  return { default: { weight: p, activation: p } };
}

/**
 * A node's formats under an assignment.
 *
 * @param a The assignment.
 * @param node The node's name.
 * @returns Its override or the default.
 *
 * @example
 * ```ts
 * import { precisionOf } from "@lowbit/hardware/precision";
 * import { equal } from "node:assert/strict";
 * const a = { default: { weight: "int8", activation: "int8" } as const,
 *   nodes: { fc: { weight: "int4", activation: "int8" } as const } };
 * equal(precisionOf(a, "fc").weight, "int4");
 * equal(precisionOf(a, "conv").weight, "int8");
 * ```
 */
export function precisionOf(a: PrecisionAssignment, node: string): NodePrecision {
  const p = (a.nodes !== undefined && Object.hasOwn(a.nodes, node)) ? a.nodes[node] : a.default;
  bitsOf(p.weight);
  bitsOf(p.activation);
  return p;
}
