/**
 * Tensor ops of the float executor (broadcasting arithmetic, shape and layout ops, gathers,
 * casts, reductions).
 *
 * @module
 */

import type { GraphTensor, Node } from "../ir.ts";
import { type OpTable, requireInput } from "../op.ts";

/** The tensor ops by ONNX op type. */
export const TENSOR_OPS: OpTable = {
  Identity: {
    run(node: Node, inputs: (GraphTensor | undefined)[]): GraphTensor[] {
      return [requireInput(node, inputs, 0)];
    },
  },
};
