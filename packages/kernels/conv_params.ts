/**
 * Shape parameters of a 2-D convolution in ONNX/PyTorch layout: activations NCHW
 * (`[batch][channels][height][width]`), weights OIHW (`[outChannels][inChannels/groups][kH][kW]`).
 * Output size per spatial axis (ONNX `Conv`, `auto_pad = NOTSET`):
 *
 * `out = floor((in + padBegin + padEnd − dilation·(kernel − 1) − 1) / stride) + 1`   (1)
 *
 * @example
 * ```ts
 * import { conv2dOutputShape } from "@lowbit/kernels/conv-params";
 * import { deepEqual } from "node:assert/strict";
 * const p = { batch: 1, inChannels: 3, height: 224, width: 224, outChannels: 32,
 *   kernelH: 3, kernelW: 3, stride: 2, padding: [0, 0, 1, 1] as [number, number, number, number] };
 * deepEqual(conv2dOutputShape(p), { outH: 112, outW: 112 }); // floor((224 + 1 − 3) / 2) + 1
 * ```
 *
 * @module
 */

import { resolveConv2d as resolve, type ResolvedConv2d } from "./_conv_resolve.ts";

export type { ResolvedConv2d };
export type { Conv2dParams } from "./_types.ts";
import type { Conv2dParams } from "./_types.ts";

/**
 * Validates a convolution's shapes and fills in every default (stride, padding, dilation,
 * groups 1) and the derived sizes: output size by equation (1), channels per group and the
 * rows of a group's im2col matrix. The one geometry every convolution in lowbit (kernels,
 * runtime, nn's Hessian-vector products) is built from.
 *
 * @param p The convolution's shapes.
 * @returns All fields as numbers.
 * @throws {RangeError} On a non-integer or out-of-range field (named `p.<field>`), groups
 *   that do not divide the channels, an empty output, or sizes of 2^31 elements or more.
 * @throws {TypeError} When `p` is not an object.
 *
 * @example Depthwise 3×3, stride 2, ONNX pads [top, left, bottom, right] = [0, 0, 1, 1]
 * ```ts
 * import { resolveConv2d } from "@lowbit/kernels/conv-params";
 * import { equal } from "node:assert/strict";
 * const r = resolveConv2d({ batch: 1, inChannels: 8, height: 9, width: 9, outChannels: 8,
 *   kernelH: 3, kernelW: 3, stride: 2, padding: [0, 0, 1, 1], groups: 8 });
 * equal(r.outH, 4); // floor((9 + 1 − 3) / 2) + 1
 * equal(r.cinG * r.coutG, 1);
 * equal(r.padB + r.padR, 2);
 * equal(r.kSize, 9);
 * ```
 */
export function resolveConv2d(p: Conv2dParams): ResolvedConv2d {
  return resolve(p);
}

/**
 * Output spatial size of a convolution, by equation (1) of this module.
 *
 * @param p The convolution's shapes.
 * @returns `outH` and `outW`.
 * @throws {RangeError} On a non-integer or out-of-range field (named in the message), groups
 *   that do not divide the channels, or an empty output (the dilated kernel does not fit the
 *   padded input).
 * @throws {TypeError} When `p` is not an object.
 *
 * @example Dilation widens the kernel's footprint
 * ```ts
 * import { conv2dOutputShape } from "@lowbit/kernels/conv-params";
 * import { deepEqual, throws } from "node:assert/strict";
 * const p = { batch: 1, inChannels: 1, height: 7, width: 7, outChannels: 1, kernelH: 3,
 *   kernelW: 3, dilation: 3 };
 * deepEqual(conv2dOutputShape(p), { outH: 1, outW: 1 }); // footprint 3·2 + 1 = 7
 * throws(() => conv2dOutputShape({ ...p, height: 6 }), RangeError);
 * ```
 */
export function conv2dOutputShape(p: Conv2dParams): { outH: number; outW: number } {
  const r = resolve(p);
  return { outH: r.outH, outW: r.outW };
}
