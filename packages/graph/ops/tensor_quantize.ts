/**
 * ONNX quantization ops on the `@lowbit/quantize` primitives:
 *
 *     QuantizeLinear         y = saturate(round_half_even(fl(x / y_scale)) + y_zero_point)
 *     DequantizeLinear       y = fl(fl(x − x_zero_point) · x_scale)
 *     DynamicQuantizeLinear  uint8, scale = fl((max(0, max x) − min(0, min x)) / 255),
 *                            zero point = round_half_even(clamp(−min / scale, 0, 255))
 *
 * per tensor (scalar or one-element scale) or per axis (`axis`, default 1, a 1-D scale along
 * it). QuantizeLinear outputs the zero point's dtype (uint8 without one, or `output_dtype` of
 * opset 21): int8, uint8, int16, uint16, int4, uint4. A float16/float64 `x` or scale is
 * converted to float32 first (ONNX Runtime computes in float32 too); DequantizeLinear with a
 * float16 scale (opset 19) outputs float16. Blocked quantization (`block_size` of opset 21),
 * float8 types and `saturate` are not supported.
 *
 * @module
 */

import { forEachRun, granularityLayout, quantize } from "@lowbit/quantize/uniform";
import { roundHalfEven } from "@lowbit/rounding/modes";
import type { GraphDType, GraphTensor, Node } from "../ir.ts";
import { attrInt, type OpTable, requireInput } from "../op.ts";
import { onnxDType } from "./tensor_cast.ts";
import { failValue, fromNumbers, normAxis, numberView } from "./tensor_common.ts";

/**
 * Code ranges [qmin, qmax] of the quantized dtypes.
 *
 * @example
 * ```ts
 * import { QUANT_RANGES } from "./tensor_quantize.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(QUANT_RANGES.int4, [-8, 7]);
 * ```
 */
export const QUANT_RANGES: Readonly<Partial<Record<GraphDType, readonly [number, number]>>> = Object
  .freeze({
    uint8: [0, 255],
    int8: [-128, 127],
    uint16: [0, 65535],
    int16: [-32768, 32767],
    uint4: [0, 15],
    int4: [-8, 7],
    int32: [-2147483648, 2147483647],
  });

interface Grid {
  scale: Float32Array;
  zp: Int32Array;
  axis?: number;
}

function grid(
  node: Node,
  x: GraphTensor,
  s: GraphTensor,
  z: GraphTensor | undefined,
): Grid {
  if (attrInt(node, "block_size", 0) !== 0) {
    failValue(node, 1, "blocked quantization (block_size) is not supported");
  }
  if (!s.dtype.startsWith("float")) {
    failValue(node, 1, `scale must be a float tensor, got ${s.dtype}`);
  }
  const scale = Float32Array.from(numberView(s));
  const zp = z === undefined ? new Int32Array(scale.length) : Int32Array.from(numberView(z));
  if (z !== undefined && zp.length !== scale.length) {
    failValue(node, 2, `zero point has ${zp.length} elements, scale ${scale.length}`);
  }
  if (s.shape.length === 0 || (scale.length === 1 && s.shape.length <= 1)) return { scale, zp };
  if (s.shape.length !== 1) failValue(node, 1, `scale must be a scalar or 1-D, got [${s.shape}]`);
  const axis = normAxis(node, attrInt(node, "axis", 1), x.shape.length, 0);
  if (x.shape[axis] !== scale.length) {
    failValue(
      node,
      1,
      `scale has ${scale.length} elements, axis ${axis} of [${x.shape}] has ${x.shape[axis]}`,
    );
  }
  return { scale, zp, axis };
}

function floatInput(node: Node, x: GraphTensor): Float32Array {
  if (!x.dtype.startsWith("float")) failValue(node, 0, `input must be float, got ${x.dtype}`);
  return x.data instanceof Float32Array ? x.data : Float32Array.from(numberView(x));
}

function quantizeTo(
  node: Node,
  x: Float32Array,
  shape: readonly number[],
  g: Grid,
  dtype: GraphDType,
): GraphTensor {
  const range = QUANT_RANGES[dtype];
  if (range === undefined || dtype === "int32") {
    failValue(node, node.outputs[0] ?? "", `QuantizeLinear output ${dtype} is not supported`);
  }
  try {
    const q = quantize({ data: x, shape: [...shape] }, {
      scale: g.axis === undefined ? g.scale[0] : g.scale,
      zeroPoint: g.axis === undefined ? g.zp[0] : g.zp,
      qmin: range[0],
      qmax: range[1],
      axis: g.axis,
    }, { scaling: "divide" });
    return { dtype, shape: [...shape], data: q.q };
  } catch (e) {
    if (e instanceof RangeError) failValue(node, 0, e.message);
    throw e;
  }
}

/**
 * QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear.
 *
 * @example int8 per tensor: 2.5 / 1 ties to 2, 300 saturates, then DequantizeLinear
 * ```ts
 * import { QUANTIZE_OPS } from "./tensor_quantize.ts";
 * import { deepEqual } from "node:assert/strict";
 * const q = { name: "q", op: "QuantizeLinear", inputs: ["x", "s", "z"], outputs: ["y"], attrs: {} };
 * const x = { dtype: "float32" as const, shape: [3], data: new Float32Array([2.5, -1.5, 300]) };
 * const s = { dtype: "float32" as const, shape: [], data: Float32Array.of(1) };
 * const z = { dtype: "int8" as const, shape: [], data: Int8Array.of(1) };
 * const [y] = QUANTIZE_OPS.QuantizeLinear.run(q, [x, s, z], { opset: 13 });
 * deepEqual([y.dtype, ...y.data], ["int8", 3, -1, 127]);
 * const d = { ...q, op: "DequantizeLinear" };
 * deepEqual([...QUANTIZE_OPS.DequantizeLinear.run(d, [y, s, z], { opset: 13 })[0].data], [2, -2, 126]);
 * ```
 */
export const QUANTIZE_OPS: OpTable = {
  QuantizeLinear: {
    run(node, inputs) {
      const x = requireInput(node, inputs, 0);
      const z = inputs[2];
      const g = grid(node, x, requireInput(node, inputs, 1), z);
      const dtype = z !== undefined
        ? z.dtype
        : onnxDType(node, attrInt(node, "output_dtype", 0) || 2);
      return [quantizeTo(node, floatInput(node, x), x.shape, g, dtype)];
    },
  },
  DequantizeLinear: {
    run(node, inputs) {
      const x = requireInput(node, inputs, 0);
      const s = requireInput(node, inputs, 1);
      const z = inputs[2];
      if (QUANT_RANGES[x.dtype] === undefined) {
        failValue(node, 0, `DequantizeLinear input ${x.dtype} is not supported`);
      }
      if (z !== undefined && z.dtype !== x.dtype) {
        failValue(node, 2, `zero point dtype ${z.dtype} differs from input ${x.dtype}`);
      }
      const g = grid(node, x, s, z);
      const src = x.data as ArrayLike<number>;
      // A float16 scale (opset 19) gives a float16 output: the product rounds once to it.
      const half = s.dtype === "float16";
      const out = half ? new Float64Array(src.length) : new Float32Array(src.length);
      const f = Math.fround;
      forEachRun(granularityLayout(x.shape, g.axis), (start, end, p) => {
        const sc = g.scale[p], zp = g.zp[p];
        for (let i = start; i < end; i++) out[i] = f(src[i] - zp) * sc;
      });
      if (half) return [fromNumbers("float16", x.shape, out)];
      return [{ dtype: "float32", shape: [...x.shape], data: out }];
    },
  },
  DynamicQuantizeLinear: {
    run(node, inputs) {
      const x = requireInput(node, inputs, 0);
      const v = floatInput(node, x);
      let lo = 0, hi = 0;
      for (const e of v) {
        if (e < lo) lo = e;
        if (e > hi) hi = e;
      }
      const f = Math.fround;
      const scale = f(f(hi === lo ? 1 : hi - lo) / 255);
      const zpf = f(0 - f(lo / scale));
      const zp = roundHalfEven(Math.min(255, Math.max(0, zpf)));
      const y = quantizeTo(node, v, x.shape, {
        scale: Float32Array.of(scale),
        zp: Int32Array.of(zp),
      }, "uint8");
      return [
        y,
        { dtype: "float32", shape: [], data: Float32Array.of(scale) },
        { dtype: "uint8", shape: [], data: Uint8Array.of(zp) },
      ];
    },
  },
};
