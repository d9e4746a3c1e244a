/**
 * Normalisations of the float executor (ONNX semantics): BatchNormalization (inference form,
 * opsets 9 and 15), LayerNormalization, Softmax and LogSoftmax (opset < 13: the input coerced
 * to 2-D at `axis`, default 1; opset ≥ 13: along `axis`, default −1). float64 accumulation.
 *
 * @module
 */

import type { GraphTensor, Node } from "../ir.ts";
import { attrFloat, attrInt, type OpContext, type OpTable } from "../op.ts";
import { floatInput } from "./nn_common.ts";
import { failValue, normAxis } from "./tensor_common.ts";
import { GraphError } from "../errors.ts";
import { batchNormAffine } from "@lowbit/nn/fold";

function channelVector(
  node: Node,
  inputs: readonly (GraphTensor | undefined)[],
  i: number,
  c: number,
): Float32Array {
  const t = floatInput(node, inputs, i, 1, 1);
  if (t.shape[0] !== c) failValue(node, i, `needs ${c} channels, got shape [${t.shape}]`);
  return t.data;
}

const batchNorm = {
  run(node: Node, inputs: (GraphTensor | undefined)[]): GraphTensor[] {
    const x = floatInput(node, inputs, 0, 2);
    const c = x.shape[1];
    const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) =>
      channelVector(node, inputs, i, c)
    );
    const eps = attrFloat(node, "epsilon", 1e-5);
    const inner = x.shape.slice(2).reduce((a, b) => a * b, 1);
    const out = new Float32Array(x.data.length);
    if (!(eps >= 0) || !Number.isFinite(eps)) {
      throw new GraphError(`attribute epsilon must be finite and ≥ 0, got ${eps}`, {
        node: node.name,
        op: node.op,
      });
    }
    const affine = batchNormAffine(scale, bias, mean, variance, eps);
    for (let p = 0; p < x.data.length; p += inner) {
      const ch = (p / inner) % c;
      const k = affine.scale[ch], b = affine.shift[ch];
      for (let j = 0; j < inner; j++) out[p + j] = x.data[p + j] * k + b;
    }
    return [{ dtype: "float32", shape: [...x.shape], data: out }];
  },
};

function softmaxOp(log: boolean) {
  return {
    run(node: Node, inputs: (GraphTensor | undefined)[], ctx: OpContext): GraphTensor[] {
      const x = floatInput(node, inputs, 0, 1);
      const r = x.shape.length;
      const axis = normAxis(node, attrInt(node, "axis", ctx.opset < 13 ? 1 : -1), r, 0);
      const inner = ctx.opset < 13 ? 1 : x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
      const len = ctx.opset < 13 ? x.shape.slice(axis).reduce((a, b) => a * b, 1) : x.shape[axis];
      const out = new Float32Array(x.data.length);
      const block = len * inner;
      // each exp once, kept in binary64 (the same values the sum and the quotients use)
      const e = new Float64Array(len);
      for (let o = 0; o < x.data.length; o += block) {
        for (let j = 0; j < inner; j++) {
          const base = o + j;
          let max = -Infinity;
          for (let k = 0; k < len; k++) max = Math.max(max, x.data[base + k * inner]);
          let sum = 0;
          for (let k = 0; k < len; k++) sum += e[k] = Math.exp(x.data[base + k * inner] - max);
          if (log) {
            const ls = Math.log(sum);
            for (let k = 0; k < len; k++) {
              out[base + k * inner] = x.data[base + k * inner] - max - ls;
            }
          } else {
            for (let k = 0; k < len; k++) out[base + k * inner] = e[k] / sum;
          }
        }
      }
      return [{ dtype: "float32", shape: [...x.shape], data: out }];
    },
  };
}

const layerNorm = {
  run(node: Node, inputs: (GraphTensor | undefined)[]): GraphTensor[] {
    const x = floatInput(node, inputs, 0, 1);
    const axis = normAxis(node, attrInt(node, "axis", -1), x.shape.length, 0);
    const eps = attrFloat(node, "epsilon", 1e-5);
    const norm = x.shape.slice(axis);
    const len = norm.reduce((a, b) => a * b, 1);
    const broadcastVec = (i: number): Float32Array | undefined => {
      if (inputs[i] === undefined) return undefined;
      const t = floatInput(node, inputs, i);
      const n = t.data.length;
      const tail = norm.slice(norm.length - t.shape.length);
      if (t.shape.length > norm.length || t.shape.some((d, k) => d !== tail[k] && d !== 1)) {
        failValue(node, i, `shape [${t.shape}] does not broadcast to [${norm}]`);
      }
      if (n === len) return t.data;
      const full = new Float32Array(len);
      const st: number[] = [];
      let acc = 1;
      for (let k = t.shape.length - 1; k >= 0; k--) {
        st[k] = t.shape[k] === 1 ? 0 : acc;
        acc *= t.shape[k];
      }
      for (let p = 0; p < len; p++) {
        let rem = p, src = 0;
        for (let k = norm.length - 1; k >= 0; k--) {
          const kk = k - (norm.length - t.shape.length);
          const c = rem % norm[k];
          rem = Math.floor(rem / norm[k]);
          if (kk >= 0) src += c * st[kk];
        }
        full[p] = t.data[src];
      }
      return full;
    };
    const scale = broadcastVec(1) ?? floatInput(node, inputs, 1).data;
    const bias = broadcastVec(2);
    const out = new Float32Array(x.data.length);
    const stats = x.data.length / len;
    const means = new Float32Array(stats), invStd = new Float32Array(stats);
    for (let o = 0; o < x.data.length; o += len) {
      let mean = 0;
      for (let k = 0; k < len; k++) mean += x.data[o + k];
      mean /= len;
      let v = 0;
      for (let k = 0; k < len; k++) v += (x.data[o + k] - mean) ** 2;
      const inv = 1 / Math.sqrt(v / len + eps);
      means[o / len] = mean;
      invStd[o / len] = inv;
      for (let k = 0; k < len; k++) {
        out[o + k] = (x.data[o + k] - mean) * inv * scale[k] + (bias ? bias[k] : 0);
      }
    }
    const statShape = x.shape.map((d, i) => (i < axis ? d : 1));
    return [
      { dtype: "float32", shape: [...x.shape], data: out },
      { dtype: "float32", shape: statShape, data: means },
      { dtype: "float32", shape: statShape, data: invStd },
    ].slice(0, Math.max(1, node.outputs.length)) as GraphTensor[];
  },
};

/**
 * The normalisation ops by ONNX op type.
 *
 * @example Softmax rows sum to 1
 * ```ts
 * import { NORM_OPS } from "./nn_norm.ts";
 * import { ok } from "node:assert/strict";
 * const node = { name: "s", op: "Softmax", inputs: ["x"], outputs: ["y"], attrs: {} };
 * const x = { dtype: "float32" as const, shape: [1, 3], data: new Float32Array([1, 2, 3]) };
 * const [y] = NORM_OPS.Softmax.run(node, [x], { opset: 13 });
 * const d = y.data as Float32Array;
 * ok(Math.abs(d[0] + d[1] + d[2] - 1) < 1e-6 && Math.abs(d[2] - 0.6652409) < 1e-6);
 * ```
 */
export const NORM_OPS: OpTable = {
  BatchNormalization: batchNorm,
  LayerNormalization: layerNorm,
  Softmax: softmaxOp(false),
  LogSoftmax: softmaxOp(true),
};
