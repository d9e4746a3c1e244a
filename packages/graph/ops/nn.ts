/**
 * Neural-network ops of the float executor (convolutions, normalisation, matrix products,
 * pooling, activations, resize).
 *
 * @module
 */

import type { OpTable } from "../op.ts";
import { unaryFloat } from "./_unary.ts";

/** The neural-network ops by ONNX op type. */
export const NN_OPS: OpTable = {
  Relu: unaryFloat((x) => (x > 0 ? x : 0)),
};
