// Private: the output-code arrays a compiled graph (qdq_run.ts) hands its nodes, kept from one
// run to the next so that a run of a compiled graph allocates no codes. A node's k-th request
// in a run gets the array of its k-th request in the previous run when the code type and
// length agree (else a new one, kept for the next run). Runs are sequential and a node runs
// once per run, so an array is never handed out while the value it held is still read; what a
// run returns to its caller is copied (qdq_run.ts), since the next run overwrites these arrays.

import type { CodeBuffer } from "./fused.ts";

/** The kept output arrays of one compiled graph, by node and request. */
export class NodeBuffers {
  readonly #kept = new Map<string, (Int8Array | Uint8Array)[]>();

  /**
   * The buffer source of one execution of a node.
   *
   * @param node The node's name.
   * @returns Its {@linkcode CodeBuffer} for this run.
   */
  forNode(node: string): CodeBuffer {
    let list = this.#kept.get(node);
    if (list === undefined) this.#kept.set(node, list = []);
    const kept = list;
    let k = 0;
    return (dtype, length) => {
      const i = k++;
      const old = kept[i];
      if (
        old !== undefined && old.length === length &&
        (old instanceof Int8Array) === (dtype === "int8")
      ) return old;
      const fresh = dtype === "int8" ? new Int8Array(length) : new Uint8Array(length);
      kept[i] = fresh;
      return fresh;
    };
  }
}
