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
 * float16 scale (opset 19) outputs float16. Blocked quantization (`block_size` of opset 21) is
 * not supported.
 *
 * Float codes (float8 of opset 19, float4 E2M1 of opset 23) are in
 * {@linkcode quantizeLinearFloat} / {@linkcode dequantizeLinearFloat}, on bit patterns with the
 * `@lowbit/numerics` codecs:
 *
 *     QuantizeLinear    y = cast_saturate(fl(fl(x / y_scale) + y_zero_point))   (round to nearest even)
 *     DequantizeLinear  y = fl(fl(x − x_zero_point) · x_scale)
 *
 * The QuantizeLinear/DequantizeLinear nodes use them when the zero point (or `output_dtype`) or
 * the input is one of these types, with QuantizeLinear's `saturate` attribute (default 1).
 *
 * @module
 */

import { forEachRun, granularityLayout, quantize } from "@lowbit/quantize/uniform";
import { roundHalfEven } from "@lowbit/rounding/modes";
import { FLOAT_CODECS, type FloatCodeType, isFloatCode } from "./_float_codes.ts";
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

function floatNodeGrid(
  node: Node,
  x: GraphTensor,
  s: GraphTensor,
  z: GraphTensor | undefined,
): { scale: Float32Array; zero: Uint8Array | undefined; axis?: number } {
  if (attrInt(node, "block_size", 0) !== 0) {
    failValue(node, 1, "blocked quantization (block_size) is not supported");
  }
  if (!s.dtype.startsWith("float")) {
    failValue(node, 1, `scale must be a float tensor, got ${s.dtype}`);
  }
  const scale = Float32Array.from(numberView(s));
  const zero = z === undefined ? undefined : z.data as Uint8Array;
  if (s.shape.length === 0 || (scale.length === 1 && s.shape.length <= 1)) return { scale, zero };
  if (s.shape.length !== 1) failValue(node, 1, `scale must be a scalar or 1-D, got [${s.shape}]`);
  return { scale, zero, axis: normAxis(node, attrInt(node, "axis", 1), x.shape.length, 0) };
}

function runFloat<T>(node: Node, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof RangeError || e instanceof TypeError) failValue(node, 0, e.message);
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
      const fd = z !== undefined ? z.dtype : onnxDType(node, attrInt(node, "output_dtype", 0) || 2);
      if (isFloatCode(fd)) {
        const g = floatNodeGrid(node, x, requireInput(node, inputs, 1), z);
        const data = runFloat(
          node,
          () =>
            quantizeLinearFloat(floatInput(node, x), g.scale, g.zero, {
              dtype: fd,
              shape: x.shape,
              axis: g.axis,
              saturate: attrInt(node, "saturate", 1) !== 0,
            }),
        );
        return [{ dtype: fd, shape: [...x.shape], data }];
      }
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
      if (isFloatCode(x.dtype)) {
        if (z !== undefined && z.dtype !== x.dtype) {
          failValue(node, 2, `zero point dtype ${z.dtype} differs from input ${x.dtype}`);
        }
        const g = floatNodeGrid(node, x, s, z);
        const fx = x.dtype;
        const data = runFloat(
          node,
          () =>
            dequantizeLinearFloat(x.data as Uint8Array, g.scale, g.zero, {
              dtype: fx,
              shape: x.shape,
              axis: g.axis,
            }),
        );
        return [{ dtype: "float32", shape: [...x.shape], data }];
      }
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

/** The ONNX float code types of QuantizeLinear/DequantizeLinear (opset 19 float8, opset 23 float4). */
export type OnnxFloatCodeType = FloatCodeType;

/**
 * The ONNX TensorProto data type numbers of the float code types.
 *
 * @example
 * ```ts
 * import { ONNX_FLOAT_CODE_TYPES } from "./tensor_quantize.ts";
 * import { equal } from "node:assert/strict";
 * equal(ONNX_FLOAT_CODE_TYPES[17], "float8e4m3fn");
 * equal(ONNX_FLOAT_CODE_TYPES[23], "float4e2m1");
 * ```
 */
export const ONNX_FLOAT_CODE_TYPES: Readonly<Record<number, OnnxFloatCodeType>> = Object.freeze({
  17: "float8e4m3fn",
  18: "float8e4m3fnuz",
  19: "float8e5m2",
  20: "float8e5m2fnuz",
  23: "float4e2m1",
});

/** Options of {@linkcode quantizeLinearFloat} and {@linkcode dequantizeLinearFloat}. */
export interface FloatQuantizeLinearOptions {
  /** The code type. */
  dtype: OnnxFloatCodeType;
  /** The shape of `x` (default `[x.length]`); needed for per-axis scales. */
  shape?: readonly number[];
  /** The per-axis axis when `scale` has more than one element (default 1, ONNX's). */
  axis?: number;
  /**
   * QuantizeLinear's `saturate` attribute (default `true`): out-of-range values and ±∞ become
   * ±max; with `false` they become NaN (E4M3FN, both FNUZ types) or ±∞ (E5M2). Float4 E2M1 has
   * neither, so it always saturates (the attribute only applies to float8 in ONNX).
   */
  saturate?: boolean;
}

interface FloatGrid {
  codec: (typeof FLOAT_CODECS)[FloatCodeType];
  scale: Float32Array;
  zero: Float32Array;
  shape: readonly number[];
  axis?: number;
}

function floatGrid(
  n: number,
  scale: Float32Array | number,
  zeroPoint: Uint8Array | undefined,
  options: FloatQuantizeLinearOptions,
  name: string,
): FloatGrid {
  const codec = FLOAT_CODECS[options?.dtype];
  if (codec === undefined) {
    throw new RangeError(
      `options.dtype must be one of ${Object.keys(FLOAT_CODECS).join(", ")}; got ${
        String(options?.dtype)
      }`,
    );
  }
  const sc = typeof scale === "number" ? Float32Array.of(scale) : scale;
  if (!(sc instanceof Float32Array) || sc.length === 0) {
    throw new TypeError(`${name}_scale must be a number or a non-empty Float32Array`);
  }
  for (let i = 0; i < sc.length; i++) {
    if (!(sc[i] > 0 && sc[i] < Infinity)) {
      throw new RangeError(`${name}_scale[${i}] must be positive and finite; got ${sc[i]}`);
    }
  }
  const zero = new Float32Array(sc.length);
  if (zeroPoint !== undefined) {
    if (!(zeroPoint instanceof Uint8Array) || zeroPoint.length !== sc.length) {
      throw new RangeError(
        `${name}_zero_point must be a Uint8Array of ${sc.length} ${options.dtype} patterns`,
      );
    }
    for (let i = 0; i < sc.length; i++) {
      if (zeroPoint[i] >= 2 ** codec.bits) {
        throw new RangeError(
          `${name}_zero_point[${i}] = ${zeroPoint[i]} is not a ${options.dtype} pattern`,
        );
      }
      zero[i] = codec.decode(zeroPoint[i]);
    }
  }
  const shape = options.shape ?? [n];
  const size = shape.reduce((a, b) => a * b, 1);
  if (!shape.every((d) => Number.isInteger(d) && d >= 0) || size !== n) {
    throw new RangeError(`options.shape [${shape.join(", ")}] must have ${n} elements`);
  }
  if (sc.length === 1) return { codec, scale: sc, zero, shape };
  const r = shape.length;
  const a = options.axis ?? 1;
  if (!Number.isInteger(a) || a < -r || a >= r) {
    throw new RangeError(`options.axis must be an integer in [${-r}, ${r - 1}]; got ${a}`);
  }
  const axis = a < 0 ? a + r : a;
  if (shape[axis] !== sc.length) {
    throw new RangeError(
      `${name}_scale has ${sc.length} elements; axis ${axis} of [${shape.join(", ")}] has ${
        shape[axis]
      }`,
    );
  }
  return { codec, scale: sc, zero, shape, axis };
}

/**
 * ONNX QuantizeLinear to a float code type (float8 of opset 19, float4 E2M1 of opset 23): each
 * `x / y_scale` is computed in float32, the zero point (a pattern of the same type, default 0)
 * is added in float32 — so −0 becomes +0, as in ONNX — and the sum is rounded to nearest even
 * into the type by the `@lowbit/numerics` codec. NaN stays NaN (float4 E2M1 has no NaN: like
 * ONNX's reference it becomes +6); ±∞ and out-of-range values follow `saturate`.
 *
 * @param x The values.
 * @param y_scale The scale: one number (per tensor) or one per index along `options.axis`.
 * @param y_zero_point Zero point patterns, as many as scales (default all +0).
 * @param options Code type, shape, axis and `saturate`.
 * @returns The bit patterns, one byte per element (float4 in the low nibble, unpacked).
 * @throws {RangeError} If `options.dtype` is unknown, a scale is not positive and finite, the
 *   zero point does not match the scale or is not a pattern, or the shape/axis do not fit.
 * @throws {TypeError} If `y_scale` is neither a number nor a Float32Array.
 *
 * @example The ONNX test `test_quantizelinear_e4m3fn`: scale 2, saturating
 * ```ts
 * import { quantizeLinearFloat } from "./tensor_quantize.ts";
 * import { FP8_E4M3FN } from "@lowbit/numerics/formats";
 * import { deepEqual } from "node:assert/strict";
 * const x = new Float32Array([0, 1, 2, 100000, 200]);
 * const y = quantizeLinearFloat(x, 2, undefined, { dtype: "float8e4m3fn" });
 * deepEqual([...FP8_E4M3FN.decodeArray(y)], [0, 0.5, 1, 448, 96]); // 100 ties to even 96
 * ```
 */
export function quantizeLinearFloat(
  x: Float32Array,
  y_scale: Float32Array | number,
  y_zero_point: Uint8Array | undefined,
  options: FloatQuantizeLinearOptions,
): Uint8Array {
  if (!(x instanceof Float32Array)) throw new TypeError("x must be a Float32Array");
  const g = floatGrid(x.length, y_scale, y_zero_point, options, "y");
  const four = options.dtype === "float4e2m1";
  const t = new Float32Array(x.length);
  const f = Math.fround;
  forEachRun(granularityLayout(g.shape, g.axis), (start, end, p) => {
    const sc = g.scale[p], zp = g.zero[p];
    for (let i = start; i < end; i++) {
      const v = f(f(x[i] / sc) + zp);
      t[i] = four && v !== v ? Infinity : v;
    }
  });
  return g.codec.encodeArray(t, { saturate: four || (options.saturate ?? true) });
}

/**
 * ONNX DequantizeLinear from a float code type: `fl(fl(x − x_zero_point) · x_scale)` with the
 * patterns decoded by the `@lowbit/numerics` codec (NaN and ±∞ patterns propagate).
 *
 * @param x The bit patterns (float4 E2M1 one per byte, in the low nibble).
 * @param x_scale The scale: one number (per tensor) or one per index along `options.axis`.
 * @param x_zero_point Zero point patterns, as many as scales (default all +0).
 * @param options Code type, shape and axis (`saturate` is ignored).
 * @returns The float32 values.
 * @throws {RangeError} If a pattern is out of range for the type (the message names its
 *   index), or as {@linkcode quantizeLinearFloat} for the scale, zero point, shape and axis.
 * @throws {TypeError} If `x` is not a Uint8Array or `x_scale` neither a number nor a
 *   Float32Array.
 *
 * @example The ONNX test `test_dequantizelinear_e4m3fn`: patterns of [0, 0.5, 1, 448, −104], scale 2
 * ```ts
 * import { dequantizeLinearFloat } from "./tensor_quantize.ts";
 * import { FP8_E4M3FN } from "@lowbit/numerics/formats";
 * import { deepEqual } from "node:assert/strict";
 * const x = FP8_E4M3FN.encodeArray(new Float32Array([0, 0.5, 1, 448, -104]));
 * const y = dequantizeLinearFloat(x, 2, undefined, { dtype: "float8e4m3fn" });
 * deepEqual([...y], [0, 1, 2, 896, -208]);
 * ```
 */
export function dequantizeLinearFloat(
  x: Uint8Array,
  x_scale: Float32Array | number,
  x_zero_point: Uint8Array | undefined,
  options: FloatQuantizeLinearOptions,
): Float32Array {
  if (!(x instanceof Uint8Array)) throw new TypeError("x must be a Uint8Array of bit patterns");
  const g = floatGrid(x.length, x_scale, x_zero_point, options, "x");
  const limit = 2 ** g.codec.bits;
  const table = new Float32Array(limit);
  for (let p = 0; p < limit; p++) table[p] = g.codec.decode(p);
  const out = new Float32Array(x.length);
  const f = Math.fround;
  forEachRun(granularityLayout(g.shape, g.axis), (start, end, p) => {
    const sc = g.scale[p], zp = g.zero[p];
    for (let i = start; i < end; i++) {
      const b = x[i];
      if (b >= limit) {
        throw new RangeError(`x[${i}] = ${b} is not a ${options.dtype} pattern (< ${limit})`);
      }
      out[i] = f(f(table[b] - zp) * sc);
    }
  });
  return out;
}
