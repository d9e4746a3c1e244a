/**
 * Cast (ONNX): `to` is a TensorProto data type number. Float → integer truncates toward zero
 * then wraps to the width (C / ONNX Runtime on in-range values; NaN and ±∞ give 0); → bool is
 * `x ≠ 0`; → float16 rounds to nearest even (native `Float16Array`); float64 → float32 rounds to
 * nearest even.
 *
 * @module
 */

import type { GraphDType, GraphTensor, Node } from "../ir.ts";
import { zeros } from "../ir.ts";
import { attrInt, type OpTable, requireInput } from "../op.ts";
import { failValue, fromNumbers, isFloat, numberView } from "./tensor_common.ts";

/**
 * ONNX TensorProto.DataType numbers of the supported element types.
 *
 * @example
 * ```ts
 * import { ONNX_DTYPES } from "./tensor_cast.ts";
 * import { equal } from "node:assert/strict";
 * equal(ONNX_DTYPES[10], "float16");
 * equal(ONNX_DTYPES[16], undefined); // bfloat16 is not stored
 * ```
 */
export const ONNX_DTYPES: Readonly<Record<number, GraphDType>> = Object.freeze({
  1: "float32",
  2: "uint8",
  3: "int8",
  4: "uint16",
  5: "int16",
  6: "int32",
  7: "int64",
  9: "bool",
  10: "float16",
  11: "float64",
  12: "uint32",
  21: "uint4",
  22: "int4",
  17: "float8e4m3fn",
  18: "float8e4m3fnuz",
  19: "float8e5m2",
  20: "float8e5m2fnuz",
  23: "float4e2m1",
});

/**
 * The graph dtype of an ONNX TensorProto data type number.
 *
 * @param node The node (for errors).
 * @param code The data type number.
 * @returns The dtype.
 * @throws {GraphError} Naming the node for types the executor does not store (string,
 *   bfloat16, uint64, complex).
 *
 * @example
 * ```ts
 * import { onnxDType } from "./tensor_cast.ts";
 * import { equal } from "node:assert/strict";
 * equal(onnxDType({ name: "c", op: "Cast", inputs: [], outputs: ["y"], attrs: {} }, 7), "int64");
 * ```
 */
export function onnxDType(node: Node, code: number): GraphDType {
  const d = ONNX_DTYPES[code];
  if (d === undefined) {
    failValue(node, node.outputs[0] ?? "", `ONNX data type ${code} is not supported`);
  }
  return d;
}

const INT_RANGE: Partial<Record<GraphDType, [number, number]>> = {
  int4: [-8, 7],
  uint4: [0, 15],
};

/**
 * Converts a tensor to another dtype with ONNX Cast semantics.
 *
 * @param x The tensor.
 * @param to The target dtype.
 * @returns A new tensor (or `x` itself when the dtype is unchanged).
 *
 * @example
 * ```ts
 * import { castTensor } from "./tensor_cast.ts";
 * import { deepEqual } from "node:assert/strict";
 * const x = { dtype: "float32" as const, shape: [4], data: new Float32Array([-1.7, 2.9, 300, 0]) };
 * deepEqual([...castTensor(x, "int8").data], [-1, 2, 44, 0]);
 * deepEqual([...castTensor(x, "bool").data], [1, 1, 1, 0]);
 * ```
 */
export function castTensor(x: GraphTensor, to: GraphDType): GraphTensor {
  if (x.dtype === to) return x;
  const n = x.data.length;
  if (to === "bool") {
    const o = new Uint8Array(n);
    const s = x.data as { [i: number]: number | bigint };
    const v = isFloat(x.dtype) ? numberView(x) : undefined;
    for (let i = 0; i < n; i++) {
      const e = v ? v[i] : s[i];
      o[i] = e === 0 || e === 0n ? 0 : 1;
    }
    return { dtype: "bool", shape: [...x.shape], data: o };
  }
  if (to === "int64") {
    const o = new BigInt64Array(n);
    if (x.data instanceof BigInt64Array) o.set(x.data);
    else {
      const v = numberView(x);
      for (let i = 0; i < n; i++) o[i] = Number.isFinite(v[i]) ? BigInt(Math.trunc(v[i])) : 0n;
    }
    return { dtype: "int64", shape: [...x.shape], data: o };
  }
  if (x.data instanceof BigInt64Array) {
    if (isFloat(to)) return fromNumbers(to, x.shape, Float64Array.from(x.data, Number));
    const out = zeros(to, x.shape);
    const o = out.data as { [i: number]: number };
    for (let i = 0; i < n; i++) o[i] = Number(BigInt.asIntN(32, x.data[i]));
    return wrapNarrow(out);
  }
  const v = numberView(x);
  if (isFloat(to)) return fromNumbers(to, x.shape, v);
  // Typed-array stores truncate toward zero and wrap modulo 2^width (NaN/±∞ → 0).
  const out = zeros(to, x.shape);
  (out.data as Exclude<typeof out.data, BigInt64Array>).set(v);
  return wrapNarrow(out);
}

function wrapNarrow(t: GraphTensor): GraphTensor {
  const r = INT_RANGE[t.dtype];
  if (r === undefined) return t;
  const d = t.data as Int8Array | Uint8Array;
  for (let i = 0; i < d.length; i++) {
    const w = d[i] & 15;
    d[i] = r[0] < 0 && w > 7 ? w - 16 : w;
  }
  return t;
}

/**
 * The Cast and CastLike ops.
 *
 * @example Cast float32 → int64 (code 7) truncates toward zero
 * ```ts
 * import { CAST_OPS } from "./tensor_cast.ts";
 * import { deepEqual } from "node:assert/strict";
 * const node = { name: "c", op: "Cast", inputs: ["x"], outputs: ["y"], attrs: { to: 7 } };
 * const [y] = CAST_OPS.Cast.run(node, [{ dtype: "float32", shape: [2], data: new Float32Array([-2.5, 2.5]) }], { opset: 13 });
 * deepEqual([...y.data], [-2n, 2n]);
 * ```
 */
export const CAST_OPS: OpTable = {
  Cast: {
    run(node, inputs) {
      const x = requireInput(node, inputs, 0);
      return [castTensor(x, onnxDType(node, attrInt(node, "to")))];
    },
  },
  CastLike: {
    run(node, inputs) {
      return [castTensor(requireInput(node, inputs, 0), requireInput(node, inputs, 1).dtype)];
    },
  },
};
