/**
 * ONNX `QuantizeLinear`, `DequantizeLinear` and `DynamicQuantizeLinear` (opset 13 semantics,
 * as the ONNX reference and onnxruntime compute them):
 *
 *     QuantizeLinear:    y = saturate(rne(fl32(x / y_scale)) + y_zero_point)        (O.1)
 *     DequantizeLinear:  x = fl32(fl32(q − z) · scale)                                (O.2)
 *     DynamicQuantizeLinear (uint8):
 *       rmin = min(0, min x), rmax = max(0, max x)
 *       scale = fl32((rmax == rmin ? 1 : rmax − rmin) / 255)                         (O.3)
 *       zero_point = rne(clamp(0 − rmin / scale, 0, 255)), y by (O.1)
 *
 * Per-axis parameters apply along `axis` (default 1, negative counts from the end).
 *
 * @example The operator's documented example
 * ```ts
 * import { dequantizeLinear, quantizeLinear } from "@lowbit/runtime/onnx-quantize";
 * import { deepEqual } from "node:assert/strict";
 * const q = quantizeLinear({ data: new Float32Array([0, 2, 3, 1000, -254, -1000]), shape: [6] }, 2, 128, { dtype: "uint8" });
 * deepEqual([...q.q], [128, 129, 130, 255, 1, 0]); // 3/2 = 1.5 → 2 (ties to even)
 * deepEqual([...dequantizeLinear(q)], [0, 2, 4, 254, -254, -256]);
 * ```
 *
 * @module
 */

import { quantize } from "@lowbit/quantize/uniform";
import { DTYPE_RANGE, type QuantizedDType, QuantizedTensor } from "./quantized_tensor.ts";

/** A float32 tensor: row-major data and its shape. */
export interface FloatTensor {
  /** The values, row-major. */
  data: Float32Array;
  /** The dimensions (their product is `data.length`). */
  shape: readonly number[];
}

/** Options of {@linkcode quantizeLinear}. */
export interface QuantizeLinearOptions {
  /** Output type (default `"uint8"`, ONNX's default without a zero point). */
  dtype?: Exclude<QuantizedDType, "int32">;
  /** Axis of per-axis parameters (default 1). */
  axis?: number;
}

function checkFloatTensor(name: string, x: FloatTensor): void {
  if (x === null || typeof x !== "object" || !(x.data instanceof Float32Array)) {
    throw new TypeError(`${name} must be { data: Float32Array, shape }`);
  }
  const size = x.shape.reduce((a, b) => a * b, 1);
  if (size !== x.data.length) {
    throw new RangeError(
      `${name}.shape [${x.shape.join(", ")}] holds ${size} elements, data has ${x.data.length}`,
    );
  }
}

/**
 * ONNX QuantizeLinear (O.1): divide by the scale in float32, round half to even, add the zero
 * point, saturate to the output type.
 *
 * @param x The float32 input.
 * @param scale One scale (per-tensor) or one per slice along `options.axis`.
 * @param zeroPoint Zero point(s), same layout as `scale` (default 0).
 * @param options Output type and axis.
 * @returns The quantized tensor (int4/uint4 packed).
 * @throws {RangeError} On a scale ≤ 0 or NaN, a zero point outside the type, per-axis
 *   parameters whose length differs from the axis, or a NaN input.
 *
 * @example Per-axis int8
 * ```ts
 * import { quantizeLinear } from "@lowbit/runtime/onnx-quantize";
 * import { deepEqual } from "node:assert/strict";
 * const x = { data: new Float32Array([1, 1, 1, 1]), shape: [2, 2] };
 * const q = quantizeLinear(x, new Float32Array([0.5, 0.25]), new Int32Array([0, -10]), { dtype: "int8", axis: 1 });
 * deepEqual([...q.q], [2, -6, 2, -6]);
 * ```
 */
export function quantizeLinear(
  x: FloatTensor,
  scale: number | Float32Array,
  zeroPoint: number | Int32Array = 0,
  options: QuantizeLinearOptions = {},
): QuantizedTensor {
  checkFloatTensor("x", x);
  const dtype = options.dtype ?? "uint8";
  if (!["int8", "uint8", "int4", "uint4"].includes(dtype)) {
    throw new RangeError(`options.dtype must be "int8", "uint8", "int4" or "uint4", got ${dtype}`);
  }
  const perAxis = typeof scale !== "number" && scale.length !== 1; // [1]-shaped = per-tensor
  const axis = perAxis ? options.axis ?? 1 : undefined;
  // Validates scales, zero points and lengths (with a dummy payload of the right size).
  const size = x.data.length;
  const probe = new QuantizedTensor({
    q: dtype === "int8"
      ? new Int8Array(size)
      : new Uint8Array(dtype === "uint8" ? size : Math.ceil(size / 2)),
    shape: x.shape,
    dtype,
    scale: perAxis ? scale : typeof scale === "number" ? scale : scale[0],
    zeroPoint: perAxis ? zeroPoint : typeof zeroPoint === "number" ? zeroPoint : zeroPoint[0],
    axis,
  });
  const { min, max } = DTYPE_RANGE[dtype];
  const t = quantize(
    { data: x.data, shape: [...x.shape] },
    {
      scale: probe.axis === undefined ? probe.scale[0] : probe.scale,
      zeroPoint: probe.axis === undefined ? probe.zeroPoint[0] : probe.zeroPoint,
      qmin: min,
      qmax: max,
      axis: probe.axis,
    },
    { scaling: "divide" },
  );
  return QuantizedTensor.fromCodes(
    t.q,
    x.shape,
    dtype,
    probe.axis === undefined ? probe.scale[0] : probe.scale,
    {
      zeroPoint: probe.axis === undefined ? probe.zeroPoint[0] : probe.zeroPoint,
      axis: probe.axis,
    },
  );
}

/**
 * ONNX DequantizeLinear (O.2).
 *
 * @param q The quantized tensor (any storage type, including int32 biases).
 * @returns The float32 values.
 *
 * @example
 * ```ts
 * import { dequantizeLinear } from "@lowbit/runtime/onnx-quantize";
 * import { QuantizedTensor } from "@lowbit/runtime/quantized-tensor";
 * import { deepEqual } from "node:assert/strict";
 * const q = new QuantizedTensor({ q: new Uint8Array([0, 3, 128, 255]), shape: [4], dtype: "uint8", scale: 2, zeroPoint: 128 });
 * deepEqual([...dequantizeLinear(q)], [-256, -250, 0, 254]);
 * ```
 */
export function dequantizeLinear(q: QuantizedTensor): Float32Array {
  if (!(q instanceof QuantizedTensor)) throw new TypeError("q must be a QuantizedTensor");
  return q.dequantize();
}

/** Round half to even of a double. */
function rne(v: number): number {
  const f = Math.floor(v), d = v - f;
  return d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
}

/**
 * ONNX DynamicQuantizeLinear (O.3): uint8 codes with a scale and zero point computed from the
 * input's range (widened to include 0), all arithmetic in float32.
 *
 * @param x The float32 input (no NaN).
 * @returns The uint8 quantized tensor (its scale and zero point are the op's other outputs).
 * @throws {RangeError} When the input holds NaN or ±Infinity.
 *
 * @example The ONNX test vector `test_dynamicquantizelinear`
 * ```ts
 * import { dynamicQuantizeLinear } from "@lowbit/runtime/onnx-quantize";
 * import { deepEqual, equal } from "node:assert/strict";
 * const y = dynamicQuantizeLinear({ data: new Float32Array([0, 2, -3, -2.5, 1.34, 0.5]), shape: [6] });
 * deepEqual([...y.q], [153, 255, 0, 26, 221, 179]);
 * equal(y.zeroPoint[0], 153);
 * ```
 */
export function dynamicQuantizeLinear(x: FloatTensor): QuantizedTensor {
  checkFloatTensor("x", x);
  let lo = 0, hi = 0;
  for (let i = 0; i < x.data.length; i++) {
    const v = x.data[i];
    if (!Number.isFinite(v)) throw new RangeError(`x.data[${i}] must be finite, got ${v}`);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const f = Math.fround;
  const scale = f(f(hi === lo ? 1 : f(hi - lo)) / 255);
  const zp = rne(Math.min(255, Math.max(0, f(0 - f(lo / scale)))));
  return quantizeLinear(x, scale, zp, { dtype: "uint8" });
}
