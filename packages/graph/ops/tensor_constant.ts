/**
 * Ops that make tensors from attributes and scalars: Constant, ConstantOfShape, Range.
 *
 * @module
 */

import type { GraphTensor } from "../ir.ts";
import { zeros } from "../ir.ts";
import { type OpTable, requireInput } from "../op.ts";
import { failValue, fromNumbers, intValues, numberView } from "./tensor_common.ts";

function isTensor(v: unknown): v is GraphTensor {
  return typeof v === "object" && v !== null && !Array.isArray(v) && "data" in v;
}

/**
 * Constant, ConstantOfShape and Range.
 *
 * @example Range(1, 10, 3) over int32; ConstantOfShape [2] of int64 7
 * ```ts
 * import { CONSTANT_OPS } from "./tensor_constant.ts";
 * import { deepEqual } from "node:assert/strict";
 * const s = (v: number) => ({ dtype: "int32" as const, shape: [], data: Int32Array.of(v) });
 * const r = { name: "r", op: "Range", inputs: ["a", "b", "c"], outputs: ["y"], attrs: {} };
 * deepEqual([...CONSTANT_OPS.Range.run(r, [s(1), s(10), s(3)], { opset: 13 })[0].data], [1, 4, 7]);
 * const value = { dtype: "int64" as const, shape: [1], data: BigInt64Array.of(7n) };
 * const c = { name: "c", op: "ConstantOfShape", inputs: ["s"], outputs: ["y"], attrs: { value } };
 * const shape = { dtype: "int64" as const, shape: [1], data: BigInt64Array.of(2n) };
 * deepEqual([...CONSTANT_OPS.ConstantOfShape.run(c, [shape], { opset: 13 })[0].data], [7n, 7n]);
 * ```
 */
export const CONSTANT_OPS: OpTable = {
  Constant: {
    run(node) {
      const a = node.attrs;
      const out = node.outputs[0] ?? "";
      if (isTensor(a.value)) return [a.value];
      if (typeof a.value_float === "number") return [fromNumbers("float32", [], [a.value_float])];
      if (Array.isArray(a.value_floats)) {
        const v = a.value_floats as number[];
        return [fromNumbers("float32", [v.length], v)];
      }
      if (typeof a.value_int === "number") return [fromNumbers("int64", [], [a.value_int])];
      if (Array.isArray(a.value_ints)) {
        const v = a.value_ints as number[];
        return [fromNumbers("int64", [v.length], v)];
      }
      return failValue(node, out, "Constant needs value, value_float(s) or value_int(s)");
    },
  },
  ConstantOfShape: {
    run(node, inputs) {
      const shape = intValues(node, requireInput(node, inputs, 0), 0);
      if (shape.some((d) => d < 0)) failValue(node, 0, `shape [${shape}] has a negative dim`);
      const v = node.attrs.value;
      if (v !== undefined && (!isTensor(v) || v.data.length !== 1)) {
        failValue(node, node.outputs[0] ?? "", "attribute value must be a one-element tensor");
      }
      const out = zeros(v ? v.dtype : "float32", shape);
      if (v) (out.data as { fill(x: number | bigint): void }).fill(v.data[0]);
      return [out];
    },
  },
  Range: {
    run(node, inputs) {
      const [s, l, d] = [0, 1, 2].map((i) => requireInput(node, inputs, i));
      if (s.dtype !== l.dtype || s.dtype !== d.dtype) {
        failValue(
          node,
          1,
          `start, limit and delta must share a dtype (${s.dtype}, ${l.dtype}, ${d.dtype})`,
        );
      }
      if (s.dtype === "int64") {
        const a = (s.data as BigInt64Array)[0], b = (l.data as BigInt64Array)[0];
        const c = (d.data as BigInt64Array)[0];
        if (c === 0n) failValue(node, 2, "delta must be non-zero");
        const diff = b - a;
        let n = diff / c + (diff % c !== 0n && (diff > 0n) === (c > 0n) ? 1n : 0n);
        if (n < 0n) n = 0n;
        const o = new BigInt64Array(Number(n));
        for (let i = 0; i < o.length; i++) o[i] = a + BigInt(i) * c;
        return [{ dtype: "int64", shape: [o.length], data: o }];
      }
      const [a, b, c] = [s, l, d].map((t) => numberView(t)[0]);
      if (c === 0) failValue(node, 2, "delta must be non-zero");
      const n = Math.max(Math.ceil((b - a) / c), 0);
      const v = new Float64Array(n);
      // output[i] = start + i · delta (one rounding to the element type on store).
      for (let i = 0; i < n; i++) v[i] = a + i * c;
      return [fromNumbers(s.dtype, [n], v)];
    },
  },
};
