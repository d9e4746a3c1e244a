/**
 * Matrix products of the float executor on `@lowbit/kernels` `gemmF32`: Gemm (alpha, beta,
 * transA, transB, C broadcast unidirectionally to M×N) and MatMul (NumPy semantics: batched,
 * batch dimensions broadcast, 1-D operands promoted and the added axis removed).
 *
 * @module
 */

import { gemmF32 } from "@lowbit/kernels/gemm-f32";
import type { GraphTensor, Node } from "../ir.ts";
import { attrFloat, attrInt, type OpTable } from "../op.ts";
import { floatInput } from "./nn_common.ts";
import { broadcastIndex, broadcastShapes } from "./tensor_broadcast.ts";
import { failValue } from "./tensor_common.ts";

const gemm = {
  run(node: Node, inputs: (GraphTensor | undefined)[]): GraphTensor[] {
    const a = floatInput(node, inputs, 0, 2, 2);
    const b = floatInput(node, inputs, 1, 2, 2);
    const transA = attrInt(node, "transA", 0) !== 0;
    const transB = attrInt(node, "transB", 0) !== 0;
    const alpha = attrFloat(node, "alpha", 1);
    const beta = attrFloat(node, "beta", 1);
    const [m, k] = transA ? [a.shape[1], a.shape[0]] : a.shape;
    const [kb, n] = transB ? [b.shape[1], b.shape[0]] : b.shape;
    if (k !== kb) {
      failValue(node, 1, `inner dimensions differ: A gives K = ${k}, B gives K = ${kb}`);
    }
    const y = gemmF32(m, n, k, a.data, b.data, { transA, transB });
    if (alpha !== 1) { for (let i = 0; i < y.length; i++) y[i] *= alpha; }
    if (inputs[2] !== undefined && beta !== 0) {
      const c = floatInput(node, inputs, 2, 0, 2);
      const shape = broadcastShapes(node, [[m, n], c.shape]);
      if (shape[0] !== m || shape[1] !== n) {
        failValue(node, 2, `C shape [${c.shape}] does not broadcast to [${m}, ${n}]`);
      }
      const idx = broadcastIndex([m, n], c.shape);
      for (let i = 0; i < y.length; i++) y[i] += beta * c.data[idx === undefined ? i : idx[i]];
    }
    return [{ dtype: "float32", shape: [m, n], data: y }];
  },
};

const matmul = {
  run(node: Node, inputs: (GraphTensor | undefined)[]): GraphTensor[] {
    const a = floatInput(node, inputs, 0, 1);
    const b = floatInput(node, inputs, 1, 1);
    const as = a.shape.length === 1 ? [1, a.shape[0]] : a.shape;
    const bs = b.shape.length === 1 ? [b.shape[0], 1] : b.shape;
    const m = as[as.length - 2], k = as[as.length - 1];
    const kb = bs[bs.length - 2], n = bs[bs.length - 1];
    if (k !== kb) {
      failValue(node, 1, `inner dimensions differ: [${a.shape}] × [${b.shape}]`);
    }
    const batch = broadcastShapes(node, [as.slice(0, -2), bs.slice(0, -2)]);
    const nb = batch.reduce((x, y) => x * y, 1);
    const ia = broadcastIndex(batch, as.slice(0, -2));
    const ib = broadcastIndex(batch, bs.slice(0, -2));
    const out = new Float32Array(nb * m * n);
    for (let i = 0; i < nb; i++) {
      const pa = ia === undefined ? i : ia[i];
      const pb = ib === undefined ? i : ib[i];
      gemmF32(
        m,
        n,
        k,
        a.data.subarray(pa * m * k, (pa + 1) * m * k),
        b.data.subarray(pb * k * n, (pb + 1) * k * n),
        {
          out: out.subarray(i * m * n, (i + 1) * m * n),
        },
      );
    }
    const shape = [...batch];
    if (a.shape.length > 1) shape.push(m);
    if (b.shape.length > 1) shape.push(n);
    return [{ dtype: "float32", shape, data: out }];
  },
};

/**
 * The matrix-product ops by ONNX op type.
 *
 * @example [1 2; 3 4] · [5; 6] = [17; 39]
 * ```ts
 * import { MATMUL_OPS } from "./nn_matmul.ts";
 * import { deepEqual } from "node:assert/strict";
 * const node = { name: "m", op: "MatMul", inputs: ["a", "b"], outputs: ["y"], attrs: {} };
 * const a = { dtype: "float32" as const, shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) };
 * const b = { dtype: "float32" as const, shape: [2], data: new Float32Array([5, 6]) };
 * const [y] = MATMUL_OPS.MatMul.run(node, [a, b], { opset: 13 });
 * deepEqual(y.shape, [2]);
 * deepEqual([...y.data], [17, 39]);
 * ```
 */
export const MATMUL_OPS: OpTable = { Gemm: gemm, MatMul: matmul };
