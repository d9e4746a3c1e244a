/**
 * Elementwise activations of the float executor (ONNX semantics): Relu, Clip, LeakyRelu,
 * PRelu, HardSigmoid, HardSwish, Sigmoid, Tanh, Erf, Gelu. Math in float64, one float32
 * rounding per element.
 *
 * @module
 */

import type { GraphTensor, Node } from "../ir.ts";
import { attrFloat, attrString, type OpContext, type OpTable } from "../op.ts";
import { unaryFloat } from "./_unary.ts";
import { floatInput } from "./nn_common.ts";
import { broadcastIndex, broadcastShapes } from "./tensor_broadcast.ts";
import { failValue } from "./tensor_common.ts";

/**
 * The error function, |error| below 1.2e-7 (W. J. Cody's rational approximations via the
 * complementary function's Chebyshev fit, Numerical Recipes `erfcc`).
 *
 * @param x The argument.
 * @returns erf(x).
 *
 * @example
 * ```ts
 * import { erf } from "./nn_activation.ts";
 * import { ok } from "node:assert/strict";
 * ok(Math.abs(erf(1) - 0.8427007929497149) < 2e-7);
 * ok(erf(0) === 0);
 * ```
 */
export function erf(x: number): number {
  if (x === 0) return 0;
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(
    -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
                  t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
                                  t * (-0.82215223 + t * 0.17087277)))))))),
  );
  return x >= 0 ? 1 - r : r - 1;
}

function scalarOrDefault(
  node: Node,
  inputs: readonly (GraphTensor | undefined)[],
  i: number,
  fallback: number,
): number {
  const t = inputs[i];
  if (t === undefined) return fallback;
  if (t.dtype !== "float32" || t.data.length !== 1) {
    failValue(node, i, `${node.op} input ${i} must be a float32 scalar`);
  }
  return (t.data as Float32Array)[0];
}

const clip = {
  run(node: Node, inputs: (GraphTensor | undefined)[], ctx: OpContext): GraphTensor[] {
    const x = floatInput(node, inputs, 0);
    const lo = ctx.opset < 11
      ? attrFloat(node, "min", -3.4028234663852886e38)
      : scalarOrDefault(node, inputs, 1, -Infinity);
    const hi = ctx.opset < 11
      ? attrFloat(node, "max", 3.4028234663852886e38)
      : scalarOrDefault(node, inputs, 2, Infinity);
    const out = new Float32Array(x.data.length);
    for (let i = 0; i < out.length; i++) {
      const v = x.data[i];
      out[i] = Number.isNaN(v) ? v : Math.min(hi, Math.max(lo, v));
    }
    return [{ dtype: "float32", shape: [...x.shape], data: out }];
  },
};

const prelu = {
  run(node: Node, inputs: (GraphTensor | undefined)[]): GraphTensor[] {
    const x = floatInput(node, inputs, 0);
    const slope = floatInput(node, inputs, 1);
    const shape = broadcastShapes(node, [x.shape, slope.shape]);
    if (shape.length !== x.shape.length || shape.some((d, i) => d !== x.shape[i])) {
      failValue(node, 1, `slope shape [${slope.shape}] must broadcast to [${x.shape}]`);
    }
    const idx = broadcastIndex(shape, slope.shape);
    const out = new Float32Array(x.data.length);
    for (let i = 0; i < out.length; i++) {
      const v = x.data[i];
      out[i] = v < 0 ? v * slope.data[idx === undefined ? i : idx[i]] : v;
    }
    return [{ dtype: "float32", shape: [...x.shape], data: out }];
  },
};

/** Relu as its own loop (through `unaryFloat`'s shared call site it runs several times slower). */
const relu = {
  run(node: Node, inputs: (GraphTensor | undefined)[]): GraphTensor[] {
    const x = floatInput(node, inputs, 0);
    const src = x.data, out = new Float32Array(src.length);
    for (let i = 0; i < out.length; i++) {
      const v = src[i];
      out[i] = v > 0 || v !== v ? v : 0; // NaN propagates, −0 becomes 0
    }
    return [{ dtype: "float32", shape: [...x.shape], data: out }];
  },
};

function withAttrs(make: (node: Node) => (x: number) => number) {
  return {
    run(node: Node, inputs: (GraphTensor | undefined)[], ctx: OpContext): GraphTensor[] {
      return unaryFloat(make(node)).run(node, inputs, ctx);
    },
  };
}

/**
 * The activation ops by ONNX op type.
 *
 * @example HardSwish(3) = 3, HardSwish(−3) = 0, Relu clamps negatives
 * ```ts
 * import { ACTIVATION_OPS } from "./nn_activation.ts";
 * import { deepEqual } from "node:assert/strict";
 * const node = { name: "h", op: "HardSwish", inputs: ["x"], outputs: ["y"], attrs: {} };
 * const x = { dtype: "float32" as const, shape: [3], data: new Float32Array([3, -3, 1]) };
 * const [y] = ACTIVATION_OPS.HardSwish.run(node, [x], { opset: 14 });
 * deepEqual([...y.data], [3, 0, Math.fround(4 / 6)]);
 * ```
 */
export const ACTIVATION_OPS: OpTable = {
  Relu: relu,
  Clip: clip,
  PRelu: prelu,
  LeakyRelu: withAttrs((node) => {
    const a = attrFloat(node, "alpha", 0.01);
    return (x) => (x < 0 ? a * x : x);
  }),
  HardSigmoid: withAttrs((node) => {
    const a = attrFloat(node, "alpha", 0.2);
    const b = attrFloat(node, "beta", 0.5);
    return (x) => Math.max(0, Math.min(1, a * x + b));
  }),
  HardSwish: unaryFloat((x) => x * Math.max(0, Math.min(1, x / 6 + 0.5))),
  Sigmoid: unaryFloat((x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)))),
  Tanh: unaryFloat(Math.tanh),
  Erf: unaryFloat(erf),
  Gelu: withAttrs((node) => {
    const approx = attrString(node, "approximate", "none");
    if (approx === "tanh") {
      const c = Math.sqrt(2 / Math.PI);
      return (x) => 0.5 * x * (1 + Math.tanh(c * (x + 0.044715 * x * x * x)));
    }
    if (approx !== "none") failValue(node, node.name, `approximate must be "none" or "tanh"`);
    return (x) => 0.5 * x * (1 + erf(x / Math.SQRT2));
  }),
};
