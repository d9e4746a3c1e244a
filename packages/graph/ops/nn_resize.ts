/**
 * Resize and Upsample of the float executor (ONNX semantics). Resize-10 (X, scales) and
 * Upsample (scales input, or the opset-7 `scales` attribute) use `asymmetric` coordinates and
 * `floor` nearest rounding; Resize ≥ 11 reads (X, roi, scales, sizes) with
 * `coordinate_transformation_mode` half_pixel (default), asymmetric, align_corners,
 * pytorch_half_pixel, tf_half_pixel_for_nn and `nearest_mode` round_prefer_floor (default),
 * round_prefer_ceil, floor, ceil. Modes nearest and linear (separable: linear interpolation
 * along every axis whose size changes, which is bilinear for NCHW images). Not supported
 * (GraphError): cubic, tf_crop_and_resize, the opset-18 `axes` / `keep_aspect_ratio_policy`.
 *
 * @module
 */

import type { GraphTensor, Node } from "../ir.ts";
import { attrString, type OpContext, type OpTable } from "../op.ts";
import { floatInput } from "./nn_common.ts";
import { failValue, intValues } from "./tensor_common.ts";

type Tap = { i0: number; i1: number; t: number };

function sourceCoord(mode: string, x: number, scale: number, outLen: number, inLen: number) {
  switch (mode) {
    case "half_pixel":
      return (x + 0.5) / scale - 0.5;
    case "pytorch_half_pixel":
      return outLen > 1 ? (x + 0.5) / scale - 0.5 : 0;
    case "align_corners":
      return outLen === 1 ? 0 : (x * (inLen - 1)) / (outLen - 1);
    case "asymmetric":
      return x / scale;
    default: // tf_half_pixel_for_nn
      return (x + 0.5) / scale;
  }
}

function roundNearest(mode: string, v: number): number {
  switch (mode) {
    case "floor":
      return Math.floor(v);
    case "ceil":
      return Math.ceil(v);
    case "round_prefer_ceil":
      return Math.round(v);
    default: // round_prefer_floor
      return v - Math.floor(v) === 0.5 ? Math.floor(v) : Math.round(v);
  }
}

/** Resamples one axis with per-output-index taps. */
function resampleAxis(
  src: Float32Array,
  shape: number[],
  axis: number,
  taps: Tap[],
): Float32Array {
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const inLen = shape[axis], outLen = taps.length;
  const dst = new Float32Array(outer * outLen * inner);
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < outLen; k++) {
      const { i0, i1, t } = taps[k];
      const a = (o * inLen + i0) * inner, b = (o * inLen + i1) * inner;
      const d = (o * outLen + k) * inner;
      for (let j = 0; j < inner; j++) {
        dst[d + j] = t === 0 ? src[a + j] : src[a + j] * (1 - t) + src[b + j] * t;
      }
    }
  }
  return dst;
}

function resize(
  node: Node,
  x: GraphTensor & { data: Float32Array },
  scalesIn: number[] | undefined,
  sizesIn: number[] | undefined,
  coordMode: string,
  nearestMode: string,
  mode: string,
): GraphTensor {
  const r = x.shape.length;
  const list = scalesIn ?? sizesIn;
  if (list === undefined || list.length !== r) {
    failValue(node, node.name, `needs ${r} scales or sizes, got ${list?.length ?? 0}`);
  }
  const sizes = sizesIn ?? x.shape.map((n, i) => Math.floor(n * scalesIn![i]));
  const scales = scalesIn ?? x.shape.map((n, i) => sizes[i] / n);
  if (sizes.some((s) => !(s >= 1)) || scales.some((s) => !(s > 0))) {
    failValue(node, node.name, `output shape [${sizes}] (scales [${scales}]) is empty`);
  }
  let data = x.data;
  const shape = [...x.shape];
  for (let ax = 0; ax < r; ax++) {
    const inLen = shape[ax], outLen = sizes[ax];
    if (inLen === outLen && scales[ax] === 1) continue;
    const taps: Tap[] = [];
    for (let k = 0; k < outLen; k++) {
      // ONNX: with scales, length_resized is in·scale (not floored) in the formulas.
      const resized = sizesIn === undefined ? inLen * scales[ax] : outLen;
      const c = sourceCoord(coordMode, k, scales[ax], resized, inLen);
      if (mode === "nearest") {
        const i = Math.min(inLen - 1, Math.max(0, roundNearest(nearestMode, c)));
        taps.push({ i0: i, i1: i, t: 0 });
      } else {
        const cc = Math.min(inLen - 1, Math.max(0, c));
        const i0 = Math.floor(cc);
        taps.push({ i0, i1: Math.min(inLen - 1, i0 + 1), t: cc - i0 });
      }
    }
    data = resampleAxis(data, shape, ax, taps);
    shape[ax] = outLen;
  }
  return { dtype: "float32", shape, data };
}

function modeOf(node: Node): string {
  const mode = attrString(node, "mode", "nearest");
  if (mode === "nearest") return mode;
  if (mode === "linear" || mode === "bilinear") return "linear";
  return failValue(node, node.name, `mode ${mode} is not supported (nearest, linear)`);
}

function floatList(node: Node, t: GraphTensor | undefined, i: number): number[] | undefined {
  if (t === undefined || t.data.length === 0) return undefined;
  if (t.dtype !== "float32") failValue(node, i, `scales must be float32, got ${t.dtype}`);
  return Array.from(t.data as Float32Array);
}

const resizeOp = {
  run(node: Node, inputs: (GraphTensor | undefined)[], ctx: OpContext): GraphTensor[] {
    const x = floatInput(node, inputs, 0, 1);
    const mode = modeOf(node);
    if (ctx.opset < 11) {
      return [
        resize(node, x, floatList(node, inputs[1], 1), undefined, "asymmetric", "floor", mode),
      ];
    }
    for (const a of ["axes", "keep_aspect_ratio_policy"]) {
      if (node.attrs[a] !== undefined) {
        failValue(node, node.name, `attribute ${a} is not supported`);
      }
    }
    const coord = attrString(node, "coordinate_transformation_mode", "half_pixel");
    const known = [
      "half_pixel",
      "pytorch_half_pixel",
      "align_corners",
      "asymmetric",
      "tf_half_pixel_for_nn",
    ];
    if (!known.includes(coord)) {
      failValue(node, node.name, `coordinate_transformation_mode ${coord} is not supported`);
    }
    const nearest = attrString(node, "nearest_mode", "round_prefer_floor");
    if (!["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"].includes(nearest)) {
      failValue(node, node.name, `nearest_mode ${nearest} is not supported`);
    }
    const scales = floatList(node, inputs[2], 2);
    const sizesT = inputs[3];
    const sizes = sizesT === undefined || sizesT.data.length === 0
      ? undefined
      : intValues(node, sizesT, 3);
    if (scales !== undefined && sizes !== undefined) {
      failValue(node, 3, `give scales or sizes, not both`);
    }
    return [resize(node, x, scales, sizes, coord, nearest, mode)];
  },
};

const upsampleOp = {
  run(node: Node, inputs: (GraphTensor | undefined)[]): GraphTensor[] {
    const x = floatInput(node, inputs, 0, 1);
    const attr = node.attrs.scales;
    const scales = Array.isArray(attr) ? (attr as number[]) : floatList(node, inputs[1], 1);
    return [resize(node, x, scales, undefined, "asymmetric", "floor", modeOf(node))];
  },
};

/**
 * The resize ops by ONNX op type.
 *
 * @example Nearest 2× upsampling of [1, 2]
 * ```ts
 * import { RESIZE_OPS } from "./nn_resize.ts";
 * import { deepEqual } from "node:assert/strict";
 * const node = { name: "r", op: "Resize", inputs: ["x", "", "s"], outputs: ["y"], attrs: {} };
 * const x = { dtype: "float32" as const, shape: [1, 2], data: new Float32Array([1, 2]) };
 * const s = { dtype: "float32" as const, shape: [2], data: new Float32Array([1, 2]) };
 * const [y] = RESIZE_OPS.Resize.run(node, [x, undefined, s], { opset: 13 });
 * deepEqual([...y.data], [1, 1, 2, 2]);
 * ```
 */
export const RESIZE_OPS: OpTable = { Resize: resizeOp, Upsample: upsampleOp };
