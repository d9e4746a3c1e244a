/**
 * ONNX export: a {@linkcode Graph} (float, QDQ, or with contrib QOperator nodes) becomes a
 * serialized `ModelProto` that onnxruntime loads: initializers as `raw_data` (int4/uint4 packed
 * two per byte, low nibble first), attributes typed by the ONNX schema of their op, value_info
 * for every known value, and an `opset_import` for each domain used (`com.microsoft` at
 * version 1).
 *
 * @example
 * ```ts
 * import { exportOnnx } from "@lowbit/onnx/export";
 * import { equal } from "node:assert/strict";
 * const bytes = exportOnnx({ name: "g", opset: 13, values: new Map(), initializers: new Map(),
 *   inputs: [{ name: "x", dtype: "float32", shape: [1] }],
 *   outputs: [{ name: "y", dtype: "float32", shape: [1] }],
 *   nodes: [{ name: "r", op: "Relu", inputs: ["x"], outputs: ["y"], attrs: {} }] });
 * equal(bytes[0], 0x08); // field 1 (ir_version), varint
 * ```
 *
 * @module
 */

import type { AttrValue, Graph, ValueInfo } from "@lowbit/graph/ir";
import { validateGraph } from "@lowbit/graph/ir";
import {
  type IAttributeProto,
  type IValueInfoProto,
  onnx,
  ONNX_TYPE,
  tensorToProto,
} from "./_proto.ts";

/** Options of {@linkcode exportOnnx}. */
export interface ExportOnnxOptions {
  /** producer_name (default "lowbit"). */
  producer?: string;
}

// Attributes whose ONNX type is FLOAT / FLOATS even when the value is a whole number.
const FLOAT_ATTRS = new Set([
  "alpha",
  "beta",
  "gamma",
  "epsilon",
  "momentum",
  "min",
  "max",
  "value_float",
  "value_floats",
  "scales",
  "extrapolation_value",
  "cubic_coeff_a",
  "ratio",
  "lambd",
  "bias",
  "spatial_scale",
  "threshold",
  "value",
]);

/** An int64 attribute value: whole numbers beyond 2^53 (e.g. an imported INT64_MAX, read as
 * the double 2^63) are written as decimal strings clamped to the int64 range, so they do not
 * wrap. */
function int64(v: number): number | string {
  if (Math.abs(v) < 2 ** 53) return v;
  if (v >= 2 ** 63) return "9223372036854775807";
  if (v <= -(2 ** 63)) return "-9223372036854775808";
  return BigInt(v).toString();
}

function attrProto(name: string, v: AttrValue): IAttributeProto {
  const enc = new TextEncoder();
  if (typeof v === "number") {
    return FLOAT_ATTRS.has(name) || !Number.isInteger(v)
      ? { name, type: 1, f: v }
      : { name, type: 2, i: int64(v) };
  }
  if (typeof v === "string") return { name, type: 3, s: enc.encode(v) };
  if (Array.isArray(v)) {
    if (v.length > 0 && typeof v[0] === "string") {
      return { name, type: 8, strings: (v as string[]).map((s) => enc.encode(s)) };
    }
    const nums = v as number[];
    return FLOAT_ATTRS.has(name) || nums.some((x) => !Number.isInteger(x))
      ? { name, type: 6, floats: nums }
      : { name, type: 7, ints: nums.map(int64) };
  }
  return { name, type: 4, t: tensorToProto("", v) };
}

function infoProto(v: ValueInfo): IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: ONNX_TYPE[v.dtype],
        shape: {
          dim: v.shape.map((d) =>
            typeof d === "string" ? { dimParam: d } : d >= 0 ? { dimValue: d } : {}
          ),
        },
      },
    },
  };
}

/** The IR version that goes with a default-domain opset (ONNX's versioning table). */
function irVersionFor(opset: number): number {
  if (opset <= 8) return 3;
  if (opset <= 10) return 5;
  if (opset <= 11) return 6;
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  if (opset <= 22) return 10;
  return 11;
}

/**
 * Serializes a graph as an ONNX model.
 *
 * @param graph The graph (validated first).
 * @param options producer name.
 * @returns The `.onnx` bytes.
 * @throws {GraphError} When the graph is invalid (naming the node/value).
 */
export function exportOnnx(graph: Graph, options: ExportOnnxOptions = {}): Uint8Array {
  validateGraph(graph);
  const domains = new Set<string>();
  for (const n of graph.nodes) if (n.domain) domains.add(n.domain);
  const ioNames = new Set([...graph.inputs, ...graph.outputs].map((v) => v.name));
  const model = onnx.ModelProto.create({
    irVersion: irVersionFor(graph.opset),
    producerName: options.producer ?? "lowbit",
    opsetImport: [
      { domain: "", version: graph.opset },
      ...[...domains].map((d) => ({ domain: d, version: 1 })),
    ],
    graph: {
      name: graph.name,
      node: graph.nodes.map((n) => ({
        name: n.name,
        opType: n.op,
        input: n.inputs,
        output: n.outputs,
        domain: n.domain ?? "",
        attribute: Object.entries(n.attrs).map(([k, v]) => attrProto(k, v)),
      })),
      initializer: [...graph.initializers].map(([name, t]) => tensorToProto(name, t)),
      input: graph.inputs.map(infoProto),
      output: graph.outputs.map(infoProto),
      valueInfo: [...graph.values.values()].filter((v) =>
        !ioNames.has(v.name) && !graph.initializers.has(v.name) && v.shape.length > 0
      ).map(infoProto),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
