/**
 * Pad (ONNX): begin/end pads per axis (negative pads crop), modes constant, reflect and edge;
 * `pads`/`value` attributes before opset 11, inputs pads, constant_value and axes (opset 18)
 * from 11 on.
 *
 * @module
 */

import type { GraphTensor } from "../ir.ts";
import { sizeOf, zeros } from "../ir.ts";
import { attrFloat, attrInts, attrString, type OpTable, requireInput } from "../op.ts";
import { failValue, intValues, normAxes } from "./tensor_common.ts";

/**
 * The source index of output coordinate `o` on an axis of size `dim` padded by `begin`, or −1
 * for a constant-padded position.
 *
 * @param o Output coordinate.
 * @param dim Input axis size.
 * @param begin Pad before the axis (negative crops).
 * @param mode `"constant"`, `"reflect"` or `"edge"`.
 * @returns The input coordinate, or −1.
 *
 * @example
 * ```ts
 * import { padSource } from "./tensor_pad.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([0, 1, 2, 3, 4, 5].map((o) => padSource(o, 3, 2, "reflect")), [2, 1, 0, 1, 2, 1]);
 * deepEqual([0, 1, 2, 3, 4].map((o) => padSource(o, 3, 1, "edge")), [0, 0, 1, 2, 2]);
 * ```
 */
export function padSource(o: number, dim: number, begin: number, mode: string): number {
  const i = o - begin;
  if (i >= 0 && i < dim) return i;
  if (mode === "constant") return -1;
  if (mode === "edge") return i < 0 ? 0 : dim - 1;
  if (dim === 1) return 0;
  const period = 2 * (dim - 1);
  let m = ((i % period) + period) % period;
  if (m >= dim) m = period - m;
  return m;
}

/**
 * The Pad op.
 *
 * @example Constant padding of a [1, 2] tensor by one on each side of axis 1
 * ```ts
 * import { PAD_OPS } from "./tensor_pad.ts";
 * import { deepEqual } from "node:assert/strict";
 * const node = { name: "p", op: "Pad", inputs: ["x", "pads", "v"], outputs: ["y"], attrs: {} };
 * const [y] = PAD_OPS.Pad.run(node, [
 *   { dtype: "float32", shape: [1, 2], data: new Float32Array([1, 2]) },
 *   { dtype: "int64", shape: [4], data: new BigInt64Array([0n, 1n, 0n, 1n]) },
 *   { dtype: "float32", shape: [], data: new Float32Array([9]) },
 * ], { opset: 13 });
 * deepEqual([...y.data], [9, 1, 2, 9]);
 * ```
 */
export const PAD_OPS: OpTable = {
  Pad: {
    run(node, inputs, ctx) {
      const x = requireInput(node, inputs, 0);
      const r = x.shape.length;
      const mode = attrString(node, "mode", "constant");
      if (mode !== "constant" && mode !== "reflect" && mode !== "edge") {
        failValue(node, 0, `Pad mode ${mode} is not supported (constant, reflect, edge)`);
      }
      let pads: number[];
      let value: number | bigint = 0;
      let axes = Array.from({ length: r }, (_, i) => i);
      let cv: GraphTensor | undefined;
      if (ctx.opset < 11) {
        pads = attrInts(node, ctx.opset < 2 ? "paddings" : "pads");
        value = attrFloat(node, "value", 0);
      } else {
        pads = intValues(node, requireInput(node, inputs, 1), 1);
        cv = inputs[2];
        if (inputs[3] !== undefined) axes = normAxes(node, intValues(node, inputs[3], 3), r, 3);
      }
      if (pads.length !== 2 * axes.length) {
        failValue(
          node,
          ctx.opset < 11 ? 0 : 1,
          `pads [${pads}] must hold ${2 * axes.length} values`,
        );
      }
      const begin = new Array<number>(r).fill(0);
      const end = new Array<number>(r).fill(0);
      axes.forEach((a, k) => {
        begin[a] = pads[k];
        end[a] = pads[k + axes.length];
      });
      const shape = x.shape.map((d, i) => d + begin[i] + end[i]);
      if (shape.some((d) => d < 0)) {
        failValue(node, 1, `pads [${pads}] crop more than [${x.shape}]`);
      }
      if (mode !== "constant" && x.data.length === 0 && sizeOf(shape) > 0) {
        failValue(node, 0, `${mode} padding needs a non-empty input`);
      }
      const out = zeros(x.dtype, shape);
      if (cv !== undefined && cv.data.length > 0) value = cv.data[0];
      if (x.data instanceof BigInt64Array) {
        value = typeof value === "bigint" ? value : BigInt(Math.trunc(value));
      } else if (typeof value === "bigint") value = Number(value);
      if (x.dtype === "float16" && typeof value === "number" && cv === undefined) {
        value = new Uint16Array(Float16Array.of(value).buffer)[0];
      }
      const o = out.data as { [i: number]: number | bigint };
      const s = x.data as { [i: number]: number | bigint };
      const n = out.data.length;
      const src = shape.map((d, a) =>
        Int32Array.from({ length: d }, (_, j) => padSource(j, x.shape[a], begin[a], mode))
      );
      const ctr = new Array<number>(r).fill(0);
      const st = new Array<number>(r);
      for (let a = r - 1, acc = 1; a >= 0; a--) {
        st[a] = acc;
        acc *= x.shape[a];
      }
      for (let i = 0; i < n; i++) {
        let p = 0;
        for (let a = 0; a < r; a++) {
          const c = src[a][ctr[a]];
          if (c < 0) {
            p = -1;
            break;
          }
          p += c * st[a];
        }
        o[i] = p < 0 ? value : s[p];
        for (let a = r - 1; a >= 0; a--) {
          if (++ctr[a] < shape[a]) break;
          ctr[a] = 0;
        }
      }
      return [out];
    },
  },
};
