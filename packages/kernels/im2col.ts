/**
 * im2col and its adjoint col2im for NCHW activations: the patches a convolution reads,
 * unrolled into a matrix so that a convolution becomes a GEMM with the OIHW weights.
 *
 * For batch index n and group g, `im2colF32` writes the matrix
 * `cols[(c·kH + i)·kW + j][oh·outW + ow] = x[n][g·C/G + c][oh·sH − padTop + i·dH][ow·sW − padLeft + j·dW]`
 * (zero where the index falls in the padding), of size `[(C/G)·kH·kW][outH·outW]`. A group's
 * OIHW weights are then a row-major `[O/G][(C/G)·kH·kW]` matrix and `y = W_g · cols`.
 * `col2imF32` is the transposed map (it scatters and adds), so that
 * `⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩`: it turns `dL/dcols` into `dL/dx` in backpropagation.
 *
 * `im2colInt8` writes the transposed layout, one patch per row
 * (`[outH·outW][(C/G)·kH·kW]`), with the padding filled with the input zero point so that
 * padded taps contribute `(z_x − z_x)·w = 0`, as in ONNX `ConvInteger`/`QLinearConv`. With
 * patches as rows, a GEMM against the OIHW weights read as `[O/G][(C/G)·kH·kW]` (`transB`) has
 * the output channels as columns, so per-output-channel zero points, biases and output stages
 * are the GEMM's per-column arrays.
 *
 * @example A 3×3 image, 2×2 kernel: four patches as columns
 * ```ts
 * import { im2colF32 } from "@lowbit/kernels/im2col";
 * import { deepEqual } from "node:assert/strict";
 * const p = { batch: 1, inChannels: 1, height: 3, width: 3, outChannels: 1, kernelH: 2, kernelW: 2 };
 * const cols = im2colF32(new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), p, 0, 0);
 * deepEqual([...cols], [1, 2, 4, 5, 2, 3, 5, 6, 4, 5, 7, 8, 5, 6, 8, 9]);
 * ```
 *
 * @module
 */

import { checkLength, checkType } from "./_validate.ts";
import { checkBatchGroup, checkInput, resolveConv2d, validRange } from "./_conv_resolve.ts";
import { im2colRowsUnchecked, im2colUnchecked } from "./_im2col.ts";
import { checkIntRange } from "./_validate.ts";
import type { Conv2dParams } from "./conv_params.ts";

/**
 * Unrolls the patches of image n, group g into a `[(C/G)·kH·kW][outH·outW]` matrix.
 *
 * @param input NCHW activations of the whole batch (`batch·inChannels·height·width`).
 * @param p The convolution's shapes.
 * @param n Batch index in `[0, batch)`.
 * @param g Group index in `[0, groups)`.
 * @param out Output storage (≥ `(C/G)·kH·kW·outH·outW`); allocated when omitted.
 * @returns The patch matrix (`out` when given).
 * @throws {RangeError} On bad params, an index out of range, or a buffer too small.
 * @throws {TypeError} When a buffer is not a Float32Array.
 *
 * @example Padding reads as zero
 * ```ts
 * import { im2colF32 } from "@lowbit/kernels/im2col";
 * import { deepEqual } from "node:assert/strict";
 * const p = { batch: 1, inChannels: 1, height: 1, width: 2, outChannels: 1, kernelH: 1,
 *   kernelW: 2, padding: [0, 1, 0, 0] as [number, number, number, number] };
 * deepEqual([...im2colF32(new Float32Array([5, 6]), p, 0, 0)], [0, 5, 5, 6]);
 * ```
 */
export function im2colF32(
  input: Float32Array,
  p: Conv2dParams,
  n: number,
  g: number,
  out?: Float32Array,
): Float32Array {
  const r = resolveConv2d(p);
  checkInput("input", input, r, [Float32Array]);
  checkBatchGroup(r, n, g);
  const need = r.kSize * r.outH * r.outW;
  const cols = out ?? new Float32Array(need);
  checkType("out", cols, [Float32Array]);
  checkLength("out", cols, need, `(C/G)·kH·kW × outH·outW = ${need}`);
  im2colUnchecked(input, r, n, g, cols, 0);
  return cols;
}

/**
 * Adds the columns of a `[(C/G)·kH·kW][outH·outW]` matrix back into the NCHW image they were
 * gathered from (the adjoint of {@link im2colF32}); taps in the padding are dropped.
 *
 * @param cols The matrix (≥ `(C/G)·kH·kW·outH·outW`), e.g. `dL/dcols`.
 * @param p The convolution's shapes.
 * @param n Batch index in `[0, batch)`.
 * @param g Group index in `[0, groups)`.
 * @param gradInput NCHW buffer of the whole batch; image n, group g's channels are added to.
 * @throws {RangeError} On bad params, an index out of range, or a buffer too small.
 * @throws {TypeError} When a buffer is not a Float32Array.
 *
 * @example Overlapping patches add up
 * ```ts
 * import { col2imF32 } from "@lowbit/kernels/im2col";
 * import { deepEqual } from "node:assert/strict";
 * const p = { batch: 1, inChannels: 1, height: 1, width: 3, outChannels: 1, kernelH: 1, kernelW: 2 };
 * const dx = new Float32Array(3);
 * col2imF32(new Float32Array([1, 1, 1, 1]), p, 0, 0, dx); // rows: tap 0, tap 1
 * deepEqual([...dx], [1, 2, 1]);
 * ```
 */
export function col2imF32(
  cols: Float32Array,
  p: Conv2dParams,
  n: number,
  g: number,
  gradInput: Float32Array,
): void {
  const r = resolveConv2d(p);
  checkInput("gradInput", gradInput, r, [Float32Array]);
  checkBatchGroup(r, n, g);
  const need = r.kSize * r.outH * r.outW;
  checkType("cols", cols, [Float32Array]);
  checkLength("cols", cols, need, `(C/G)·kH·kW × outH·outW = ${need}`);
  const { h, w, kh, kw, sh, sw, dh, dw, padT, padL, outH, outW, cinG } = r;
  const hw = outH * outW;
  let row = 0;
  for (let c = 0; c < cinG; c++) {
    const base = ((n * r.inC) + g * cinG + c) * h * w;
    for (let i = 0; i < kh; i++) {
      const [oh0, oh1] = validRange(i * dh - padT, sh, h, outH);
      for (let j = 0; j < kw; j++, row++) {
        const offW = j * dw - padL;
        const [ow0, ow1] = validRange(offW, sw, w, outW);
        for (let oh = oh0; oh < oh1; oh++) {
          const src = row * hw + oh * outW;
          const dst = base + (oh * sh + i * dh - padT) * w + offW;
          for (let ow = ow0; ow < ow1; ow++) gradInput[dst + ow * sw] += cols[src + ow];
        }
      }
    }
  }
}

/** Options of {@link im2colInt8}. */
export interface Im2colInt8Options<T extends Int8Array | Uint8Array> {
  /** Input zero point: the code written for padding taps. Default 0. */
  zeroPoint?: number;
  /** Output storage (≥ outH·outW·(C/G)·kH·kW, same type as the input). */
  out?: T;
}

/**
 * Unrolls the patches of image n, group g of 8-bit codes into a `[outH·outW][(C/G)·kH·kW]`
 * matrix (one patch per row), padding filled with the zero point.
 *
 * @param input NCHW codes of the whole batch (Uint8Array or Int8Array).
 * @param p The convolution's shapes.
 * @param n Batch index in `[0, batch)`.
 * @param g Group index in `[0, groups)`.
 * @param options Zero point and output storage.
 * @returns The patch rows (`options.out` when given), of the input's type.
 * @throws {RangeError} On bad params, an index out of range, a zero point outside the input
 *   type's range, or a buffer too small.
 * @throws {TypeError} When a buffer is not a Uint8Array/Int8Array or the output's type differs
 *   from the input's.
 *
 * @example Padding reads as the zero point
 * ```ts
 * import { im2colInt8 } from "@lowbit/kernels/im2col";
 * import { deepEqual } from "node:assert/strict";
 * const p = { batch: 1, inChannels: 1, height: 1, width: 2, outChannels: 1, kernelH: 1,
 *   kernelW: 2, padding: [0, 1, 0, 0] as [number, number, number, number] };
 * const rows = im2colInt8(new Uint8Array([5, 6]), p, 0, 0, { zeroPoint: 128 });
 * deepEqual([...rows], [128, 5, 5, 6]); // patch (pad, 5), patch (5, 6)
 * ```
 */
export function im2colInt8<T extends Int8Array | Uint8Array>(
  input: T,
  p: Conv2dParams,
  n: number,
  g: number,
  options: Im2colInt8Options<T> = {},
): T {
  const r = resolveConv2d(p);
  checkInput("input", input, r, [Uint8Array, Int8Array]);
  checkBatchGroup(r, n, g);
  const signed = input instanceof Int8Array;
  const z = checkIntRange(
    "options.zeroPoint",
    options.zeroPoint ?? 0,
    signed ? -128 : 0,
    signed ? 127 : 255,
  );
  const need = r.kSize * r.outH * r.outW;
  const make = input.constructor as new (len: number) => T;
  const cols = options.out ?? new make(need);
  checkType("options.out", cols, [signed ? Int8Array : Uint8Array]);
  checkLength("options.out", cols, need, `outH·outW × (C/G)·kH·kW = ${need}`);
  im2colRowsUnchecked(input, r, n, g, cols, 0, z);
  return cols;
}
