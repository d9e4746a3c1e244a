/**
 * Pooling ops of the float executor (ONNX semantics, NCHW, 1-D or 2-D spatial): MaxPool
 * (kernel_shape, strides, pads, dilations, ceil_mode, auto_pad; the Indices output is not
 * produced), AveragePool (count_include_pad, ceil_mode, auto_pad, dilations), GlobalAveragePool,
 * GlobalMaxPool (any spatial rank).
 *
 * @module
 */

import type { GraphTensor, Node } from "../ir.ts";
import { attrInt, attrInts, type OpTable } from "../op.ts";
import { floatInput, resolvePads, spatialAttr } from "./nn_common.ts";
import { failValue } from "./tensor_common.ts";

function pool(max: boolean) {
  return {
    run(node: Node, inputs: (GraphTensor | undefined)[]): GraphTensor[] {
      const x = floatInput(node, inputs, 0, 3, 4);
      const spatial = x.shape.slice(2);
      const s = spatial.length;
      const kernel = attrInts(node, "kernel_shape");
      if (kernel.length !== s || kernel.some((k) => k < 1)) {
        failValue(node, node.name, `kernel_shape must hold ${s} positive integers`);
      }
      const strides = spatialAttr(node, "strides", s, 1);
      const dil = spatialAttr(node, "dilations", s, 1);
      const ceil = attrInt(node, "ceil_mode", 0) !== 0;
      const includePad = attrInt(node, "count_include_pad", 0) !== 0;
      const pads = resolvePads(node, spatial, kernel, strides, dil);
      const out = spatial.map((n, i) => {
        const span = n + pads[i].begin + pads[i].end - ((kernel[i] - 1) * dil[i] + 1);
        let o = (ceil ? Math.ceil(span / strides[i]) : Math.floor(span / strides[i])) + 1;
        // A window may not start in the end padding.
        if (ceil && (o - 1) * strides[i] >= n + pads[i].begin) o--;
        return o;
      });
      if (out.some((o) => o < 1)) {
        failValue(node, 0, `kernel [${kernel}] does not fit the padded input [${x.shape}]`);
      }
      const two = s === 2;
      const [ih, oh, kh, sh, dh, ph, eh] = two
        ? [spatial[0], out[0], kernel[0], strides[0], dil[0], pads[0].begin, pads[0].end]
        : [1, 1, 1, 1, 1, 0, 0];
      const [iw, ow, kw, sw, dw, pw, ew] = [
        spatial[s - 1],
        out[s - 1],
        kernel[s - 1],
        strides[s - 1],
        dil[s - 1],
        pads[s - 1].begin,
        pads[s - 1].end,
      ];
      const planes = x.shape[0] * x.shape[1];
      const y = new Float32Array(planes * oh * ow);
      for (let pl = 0; pl < planes; pl++) {
        const xb = pl * ih * iw;
        for (let oy = 0; oy < oh; oy++) {
          for (let ox = 0; ox < ow; ox++) {
            let acc = max ? -Infinity : 0;
            let count = 0, padded = 0;
            for (let p = 0; p < kh; p++) {
              const iy = oy * sh - ph + p * dh;
              const rowIn = iy >= 0 && iy < ih;
              const rowPad = iy >= -ph && iy < ih + eh;
              for (let q = 0; q < kw; q++) {
                const ix = ox * sw - pw + q * dw;
                if (rowPad && ix >= -pw && ix < iw + ew) padded++;
                if (!rowIn || ix < 0 || ix >= iw) continue;
                const v = x.data[xb + iy * iw + ix];
                if (max) acc = v > acc || Number.isNaN(v) ? v : acc;
                else acc += v;
                count++;
              }
            }
            y[(pl * oh + oy) * ow + ox] = max ? acc : acc / (includePad ? padded : count);
          }
        }
      }
      return [{ dtype: "float32", shape: [x.shape[0], x.shape[1], ...out], data: y }];
    },
  };
}

function globalPool(max: boolean) {
  return {
    run(node: Node, inputs: (GraphTensor | undefined)[]): GraphTensor[] {
      const x = floatInput(node, inputs, 0, 3);
      const inner = x.shape.slice(2).reduce((a, b) => a * b, 1);
      const planes = x.shape[0] * x.shape[1];
      const y = new Float32Array(planes);
      for (let pl = 0; pl < planes; pl++) {
        let acc = max ? -Infinity : 0;
        for (let j = 0; j < inner; j++) {
          const v = x.data[pl * inner + j];
          acc = max ? (v > acc || Number.isNaN(v) ? v : acc) : acc + v;
        }
        y[pl] = max ? acc : acc / inner;
      }
      return [{
        dtype: "float32",
        shape: [x.shape[0], x.shape[1], ...x.shape.slice(2).map(() => 1)],
        data: y,
      }];
    },
  };
}

/**
 * The pooling ops by ONNX op type.
 *
 * @example 2×2 max and average pooling of a 2×2 image
 * ```ts
 * import { POOL_OPS } from "./nn_pool.ts";
 * import { deepEqual } from "node:assert/strict";
 * const x = { dtype: "float32" as const, shape: [1, 1, 2, 2], data: new Float32Array([1, 2, 3, 6]) };
 * const node = { name: "p", op: "MaxPool", inputs: ["x"], outputs: ["y"], attrs: { kernel_shape: [2, 2] } };
 * deepEqual([...POOL_OPS.MaxPool.run(node, [x], { opset: 13 })[0].data], [6]);
 * deepEqual([...POOL_OPS.AveragePool.run(node, [x], { opset: 13 })[0].data], [3]);
 * ```
 */
export const POOL_OPS: OpTable = {
  MaxPool: pool(true),
  AveragePool: pool(false),
  GlobalMaxPool: globalPool(true),
  GlobalAveragePool: globalPool(false),
};
