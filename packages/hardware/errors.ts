/**
 * Typed errors of the hardware cost model: a bad target description ({@linkcode TargetError},
 * naming the JSON path), a precision the target has no peak for ({@linkcode PrecisionError}),
 * and a graph node the cost model cannot price ({@linkcode CostError}).
 *
 * @example
 * ```ts
 * import { TargetError } from "@lowbit/hardware/errors";
 * import { equal } from "node:assert/strict";
 * const e = new TargetError("$.clock.unit", 'unknown unit "Mhz"');
 * equal(e.message, '$.clock.unit: unknown unit "Mhz"');
 * equal(e.path, "$.clock.unit");
 * ```
 *
 * @module
 */

/** A target description that is malformed: the message starts with the JSON path at fault. */
export class TargetError extends Error {
  /** JSON path of the bad or missing field, e.g. `$.peak.int8.unit`. */
  readonly path: string;

  /**
   * Creates the error.
   *
   * @param path JSON path of the field (`$` is the document root).
   * @param message What is wrong with it.
   */
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = "TargetError";
    this.path = path;
  }
}

/** A precision the target has no compute peak for. */
export class PrecisionError extends Error {
  /** The precision asked for (`"int4"`, `"fp16"`, …). */
  readonly precision: string;
  /** The target's name. */
  readonly target: string;

  /**
   * Creates the error.
   *
   * @param precision The precision.
   * @param target The target's name.
   * @param node The node that needs it, when known.
   */
  constructor(precision: string, target: string, node?: string) {
    super(
      `target ${target} has no ${precision} peak${node === undefined ? "" : ` (node ${node})`}`,
    );
    this.name = "PrecisionError";
    this.precision = precision;
    this.target = target;
  }
}

/** A graph node the cost model cannot price: unknown op, missing shape or bad attributes. */
export class CostError extends Error {
  /** The node's name. */
  readonly node: string;
  /** The node's op type. */
  readonly op: string;

  /**
   * Creates the error.
   *
   * @param node The node's name.
   * @param op The node's op type.
   * @param message What is wrong.
   */
  constructor(node: string, op: string, message: string) {
    super(`node ${node} (${op}): ${message}`);
    this.name = "CostError";
    this.node = node;
    this.op = op;
  }
}
