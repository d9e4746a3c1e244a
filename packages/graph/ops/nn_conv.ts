/**
 * Convolutions of the float executor (ONNX semantics, NCHW, 1-D or 2-D spatial): Conv on
 * `@lowbit/kernels` `conv2dF32` (groups incl. depthwise, dilations, strides, asymmetric pads,
 * `auto_pad`, optional bias; 1-D runs as height 1) and ConvTranspose in TypeScript (strides,
 * pads, `output_padding`, `output_shape`, `auto_pad`, groups, dilations, bias).
 *
 * @module
 */

import { conv2dF32 } from "@lowbit/kernels/conv2d";
import type { GraphTensor, Node } from "../ir.ts";
import { attrInt, attrInts, attrString, type OpTable } from "../op.ts";
import { floatInput, resolvePads, spatialAttr } from "./nn_common.ts";
import { failValue } from "./tensor_common.ts";

interface ConvOperands {
  x: GraphTensor & { data: Float32Array };
  w: GraphTensor & { data: Float32Array };
  bias: Float32Array | undefined;
  group: number;
  spatial: number[];
  kernel: number[];
}

/** Reads X, W, B and `group`, checking ranks and channels (`wChannelAxis` holds C/group). */
function convOperands(
  node: Node,
  inputs: readonly (GraphTensor | undefined)[],
  transpose: boolean,
): ConvOperands {
  const x = floatInput(node, inputs, 0, 3, 4);
  const w = floatInput(node, inputs, 1, x.shape.length, x.shape.length);
  const group = attrInt(node, "group", 1);
  const c = x.shape[1];
  if (group < 1 || c % group !== 0) {
    failValue(node, 0, `group ${group} does not divide the ${c} input channels`);
  }
  const outC = transpose ? w.shape[1] * group : w.shape[0];
  const wIn = transpose ? w.shape[0] : w.shape[1] * group;
  if (wIn !== c) {
    failValue(
      node,
      1,
      `weight shape [${w.shape}] does not fit ${c} input channels, group ${group}`,
    );
  }
  if (!transpose && outC % group !== 0) {
    failValue(node, 1, `group ${group} does not divide the ${outC} output channels`);
  }
  const kernel = attrInts(node, "kernel_shape", w.shape.slice(2));
  if (kernel.some((k, i) => k !== w.shape[2 + i])) {
    failValue(node, 1, `kernel_shape [${kernel}] differs from the weight shape [${w.shape}]`);
  }
  let bias: Float32Array | undefined;
  if (inputs[2] !== undefined) {
    const b = floatInput(node, inputs, 2, 1, 1);
    if (b.shape[0] !== outC) failValue(node, 2, `bias needs ${outC} values, got [${b.shape}]`);
    bias = b.data;
  }
  return { x, w, bias, group, spatial: x.shape.slice(2), kernel };
}

const conv = {
  run(node: Node, inputs: (GraphTensor | undefined)[]): GraphTensor[] {
    const { x, w, bias, group, spatial, kernel } = convOperands(node, inputs, false);
    const s = spatial.length;
    const strides = spatialAttr(node, "strides", s, 1);
    const dil = spatialAttr(node, "dilations", s, 1);
    const pads = resolvePads(node, spatial, kernel, strides, dil);
    // 1-D: height 1, kernel 1, no padding on the added axis.
    const two = s === 2;
    const outSpatial = spatial.map((n, i) =>
      Math.floor((n + pads[i].begin + pads[i].end - dil[i] * (kernel[i] - 1) - 1) / strides[i]) +
      1
    );
    if (outSpatial.some((o) => o < 1)) {
      failValue(
        node,
        0,
        `the dilated kernel [${kernel}] does not fit the padded input [${x.shape}]`,
      );
    }
    const y = conv2dF32(x.data, w.data, {
      batch: x.shape[0],
      inChannels: x.shape[1],
      height: two ? spatial[0] : 1,
      width: spatial[s - 1],
      outChannels: w.shape[0],
      kernelH: two ? kernel[0] : 1,
      kernelW: kernel[s - 1],
      stride: two ? [strides[0], strides[1]] : [1, strides[0]],
      dilation: two ? [dil[0], dil[1]] : [1, dil[0]],
      padding: two
        ? [pads[0].begin, pads[1].begin, pads[0].end, pads[1].end]
        : [0, pads[0].begin, 0, pads[0].end],
      groups: group,
    }, { bias });
    return [{ dtype: "float32", shape: [x.shape[0], w.shape[0], ...outSpatial], data: y }];
  },
};

const convTranspose = {
  run(node: Node, inputs: (GraphTensor | undefined)[]): GraphTensor[] {
    const { x, w, bias, group, spatial, kernel } = convOperands(node, inputs, true);
    const s = spatial.length;
    const strides = spatialAttr(node, "strides", s, 1);
    const dil = spatialAttr(node, "dilations", s, 1);
    const outPad = attrInts(node, "output_padding", new Array(s).fill(0));
    if (outPad.length !== s) failValue(node, node.name, `output_padding must hold ${s} values`);
    const autoPad = attrString(node, "auto_pad", "NOTSET");
    const full = spatial.map((n, i) =>
      strides[i] * (n - 1) + outPad[i] + (kernel[i] - 1) * dil[i] + 1
    );
    let begin: number[];
    let outSpatial: number[];
    const outputShape = node.attrs.output_shape === undefined
      ? undefined
      : attrInts(node, "output_shape").slice(-s);
    if (outputShape !== undefined || autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") {
      outSpatial = outputShape ?? spatial.map((n, i) => n * strides[i]);
      begin = outSpatial.map((o, i) => {
        const total = full[i] - o;
        return autoPad === "SAME_UPPER" ? Math.floor(total / 2) : total - Math.floor(total / 2);
      });
    } else if (autoPad === "VALID") {
      begin = new Array(s).fill(0);
      outSpatial = full;
    } else {
      const pads = resolvePads(node, spatial, kernel, strides, dil);
      begin = pads.map((p) => p.begin);
      outSpatial = full.map((f, i) => f - pads[i].begin - pads[i].end);
    }
    if (outSpatial.some((o) => o < 1)) {
      failValue(node, 0, `output spatial size [${outSpatial}] is empty`);
    }
    const [n, c] = x.shape;
    const mg = w.shape[1], cg = c / group, outC = mg * group;
    const ih = s === 2 ? spatial[0] : 1, iw = spatial[s - 1];
    const oh = s === 2 ? outSpatial[0] : 1, ow = outSpatial[s - 1];
    const kh = s === 2 ? kernel[0] : 1, kw = kernel[s - 1];
    const [sh, dh, bh] = s === 2 ? [strides[0], dil[0], begin[0]] : [1, 1, 0];
    const [sw, dw, bw] = [strides[s - 1], dil[s - 1], begin[s - 1]];
    const acc = new Float64Array(n * outC * oh * ow);
    for (let b = 0; b < n; b++) {
      for (let ci = 0; ci < c; ci++) {
        const g = Math.floor(ci / cg);
        const xBase = (b * c + ci) * ih * iw;
        for (let m = 0; m < mg; m++) {
          const wBase = (ci * mg + m) * kh * kw;
          const yBase = (b * outC + g * mg + m) * oh * ow;
          for (let y = 0; y < ih; y++) {
            for (let xx = 0; xx < iw; xx++) {
              const v = x.data[xBase + y * iw + xx];
              for (let p = 0; p < kh; p++) {
                const oy = y * sh - bh + p * dh;
                if (oy < 0 || oy >= oh) continue;
                for (let q = 0; q < kw; q++) {
                  const ox = xx * sw - bw + q * dw;
                  if (ox < 0 || ox >= ow) continue;
                  acc[yBase + oy * ow + ox] += v * w.data[wBase + p * kw + q];
                }
              }
            }
          }
        }
      }
    }
    if (bias) {
      for (let i = 0; i < acc.length; i++) acc[i] += bias[Math.floor(i / (oh * ow)) % outC];
    }
    return [{ dtype: "float32", shape: [n, outC, ...outSpatial], data: Float32Array.from(acc) }];
  },
};

/**
 * The convolution ops by ONNX op type.
 *
 * @example A 2×2 box filter over a 3×3 ramp
 * ```ts
 * import { CONV_OPS } from "./nn_conv.ts";
 * import { deepEqual } from "node:assert/strict";
 * const node = { name: "c", op: "Conv", inputs: ["x", "w"], outputs: ["y"], attrs: {} };
 * const x = { dtype: "float32" as const, shape: [1, 1, 3, 3], data: new Float32Array([0, 1, 2, 3, 4, 5, 6, 7, 8]) };
 * const w = { dtype: "float32" as const, shape: [1, 1, 2, 2], data: new Float32Array([1, 1, 1, 1]) };
 * const [y] = CONV_OPS.Conv.run(node, [x, w], { opset: 13 });
 * deepEqual(y.shape, [1, 1, 2, 2]);
 * deepEqual([...y.data], [8, 12, 20, 24]);
 * ```
 */
export const CONV_OPS: OpTable = { Conv: conv, ConvTranspose: convTranspose };
