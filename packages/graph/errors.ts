/**
 * Typed errors of the graph layer. Every error names the node and/or value it is about, so a
 * user of an imported model can find the place in the original file.
 *
 * @example
 * ```ts
 * import { GraphError } from "@lowbit/graph/errors";
 * import { equal } from "node:assert/strict";
 * const e = new GraphError("missing input", { node: "conv1", value: "x" });
 * equal(e.message, "node conv1, value x: missing input");
 * ```
 *
 * @module
 */

/** Where in a graph an error happened. */
export interface GraphErrorPlace {
  /** Node name. */
  node?: string;
  /** Value (tensor) name. */
  value?: string;
  /** Op type of the node. */
  op?: string;
}

/** An invalid graph, value or node; the message starts with the node and value names. */
export class GraphError extends Error {
  /** The node the error is about. */
  readonly node?: string;
  /** The value the error is about. */
  readonly value?: string;
  /** The op type. */
  readonly op?: string;

  /**
   * Creates the error.
   *
   * @param message What is wrong.
   * @param place Node, value and op the message is about.
   */
  constructor(message: string, place: GraphErrorPlace = {}) {
    const where = [
      place.node !== undefined ? `node ${place.node}` : undefined,
      place.value !== undefined ? `value ${place.value}` : undefined,
    ].filter((s) => s !== undefined).join(", ");
    super(where ? `${where}: ${message}` : message);
    this.name = "GraphError";
    this.node = place.node;
    this.value = place.value;
    this.op = place.op;
  }
}

/** An op the executor does not support: `unsupported op X at node Y`. */
export class UnsupportedOpError extends GraphError {
  /**
   * Creates the error.
   *
   * @param op The op type.
   * @param node The node's name.
   */
  constructor(op: string, node: string) {
    super(`unsupported op ${op} at node ${node}`, { op, node });
    this.message = `unsupported op ${op} at node ${node}`;
    this.name = "UnsupportedOpError";
  }
}
