/**
 * ONNX import: a serialized `ModelProto` (opsets 9–21) becomes a {@linkcode Graph}. Decoding
 * uses npm `onnx-proto` (the protobufjs code of `onnx.proto`). Initializers with `raw_data` or
 * typed fields are read bit for bit (float16 kept as float16 unless asked otherwise); Constant
 * nodes stay nodes with their `value` decoded (the `foldConstants` pass turns them into
 * initializers); nodes without names get `<op>_<index>`; graph inputs that are also
 * initializers (IR < 4 models) are dropped from the inputs.
 *
 * @example Import an exported graph
 * ```ts
 * import { exportOnnx } from "@lowbit/onnx/export";
 * import { importOnnx } from "@lowbit/onnx/import";
 * import { tensor, type Graph } from "@lowbit/graph/ir";
 * import { deepEqual, equal } from "node:assert/strict";
 * const g: Graph = { name: "g", opset: 13, values: new Map(),
 *   initializers: new Map([["b", tensor("float32", [2], [0.5, -1])]]),
 *   inputs: [{ name: "x", dtype: "float32", shape: ["n", 2] }],
 *   outputs: [{ name: "y", dtype: "float32", shape: ["n", 2] }],
 *   nodes: [{ name: "add", op: "Add", inputs: ["x", "b"], outputs: ["y"], attrs: {} }] };
 * const back = importOnnx(exportOnnx(g));
 * equal(back.opset, 13);
 * deepEqual(back.inputs[0].shape, ["n", 2]);
 * deepEqual([...back.initializers.get("b")!.data], [0.5, -1]);
 * ```
 *
 * @module
 */

import { checkSupported } from "@lowbit/graph/executor";
import { GraphError } from "@lowbit/graph/errors";
import type { AttrValue, Graph, GraphTensor, Node, ValueInfo } from "@lowbit/graph/ir";
import {
  dtypeOfOnnx,
  type IAttributeProto,
  type IModelProto,
  type IValueInfoProto,
  type LongLike,
  onnx,
  tensorFromProto,
  toNum,
} from "./_proto.ts";

/** Options of {@linkcode importOnnx}. */
export interface ImportOnnxOptions {
  /** Keep float16 initializers as float16 (default) or convert them to float32. */
  float16?: "keep" | "float32";
  /** Reject ops the float executor does not know at load time (default true). */
  checkOps?: boolean;
}

/** A file that is not a usable ONNX model; the message says why. */
export class OnnxError extends GraphError {
  /**
   * Creates the error.
   *
   * @param message What is wrong.
   */
  constructor(message: string) {
    super(message);
    this.name = "OnnxError";
  }
}

const decoder = new TextDecoder();

function attrOf(a: IAttributeProto, node: string): AttrValue {
  const name = a.name ?? "";
  // type may be absent in old files: infer it from the field that is set.
  const type = a.type ??
    (a.t
      ? 4
      : a.g
      ? 5
      : a.floats?.length
      ? 6
      : a.ints?.length
      ? 7
      : a.strings?.length
      ? 8
      : a.s?.length
      ? 3
      : a.f !== undefined && a.f !== 0
      ? 1
      : 2);
  switch (type) {
    case 1:
      return a.f ?? 0;
    case 2:
      return toNum((a.i ?? 0) as LongLike);
    case 3:
      return decoder.decode(a.s ?? new Uint8Array());
    case 4:
      return tensorFromProto(a.t ?? {}, { node, value: `${node}.${name}` });
    case 6:
      return [...(a.floats ?? [])];
    case 7:
      return (a.ints ?? []).map((v) => toNum(v as LongLike));
    case 8:
      return (a.strings ?? []).map((s) => decoder.decode(s));
    case 5:
    case 10:
      throw new GraphError(`attribute ${name} holds a subgraph; control flow is not supported`, {
        node,
      });
    default:
      throw new GraphError(`attribute ${name} has unsupported type ${type}`, { node });
  }
}

function infoOf(v: IValueInfoProto): ValueInfo {
  const name = v.name ?? "";
  const tt = v.type?.tensorType;
  if (!tt) {
    throw new GraphError("value is not a tensor (sequence/map/optional types are not supported)", {
      value: name,
    });
  }
  const dtype = dtypeOfOnnx(tt.elemType ?? 0, { value: name });
  const shape = (tt.shape?.dim ?? []).map((d) =>
    d.dimParam
      ? d.dimParam
      : d.dimValue !== undefined && d.dimValue !== null
      ? toNum(d.dimValue as LongLike)
      : -1
  );
  return { name, dtype, shape };
}

function toFloat32(t: GraphTensor): GraphTensor {
  if (t.dtype !== "float16") return t;
  const u = t.data as Uint16Array;
  return {
    dtype: "float32",
    shape: t.shape,
    data: Float32Array.from(new Float16Array(u.buffer, u.byteOffset, u.length)),
  };
}

/**
 * Imports an ONNX model.
 *
 * @param bytes The `.onnx` file's bytes.
 * @param options float16 handling; whether unknown ops fail at load.
 * @returns The graph.
 * @throws {OnnxError} For bytes that are not a ModelProto (truncated or corrupt), a model without
 *   a graph, or an unsupported opset.
 * @throws {GraphError} Naming the node/value: external data, unknown data types, initializers
 *   whose bytes do not match their shape, subgraph attributes, inputs nobody produces.
 * @throws {UnsupportedOpError} `unsupported op X at node Y` (unless `checkOps: false`).
 */
export function importOnnx(bytes: Uint8Array, options: ImportOnnxOptions = {}): Graph {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) {
    throw new OnnxError("bytes must be a non-empty Uint8Array holding an ONNX model");
  }
  let m: IModelProto;
  try {
    m = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new OnnxError(`not a valid ONNX ModelProto: ${e instanceof Error ? e.message : e}`);
  }
  const g = m.graph;
  if (!g || (!g.node?.length && !g.output?.length)) {
    throw new OnnxError("the model has no graph (not an ONNX model?)");
  }
  const def = (m.opsetImport ?? []).find((o) => !o.domain || o.domain === "ai.onnx");
  const opset = def ? toNum(def.version as LongLike) : 1;
  if (opset < 7 || opset > 23) {
    throw new OnnxError(`default-domain opset ${opset} is outside the supported 7–23`);
  }
  const f32 = options.float16 === "float32";
  const initializers = new Map<string, GraphTensor>();
  for (const t of g.initializer ?? []) {
    const name = t.name ?? "";
    const x = tensorFromProto(t, { value: name });
    initializers.set(name, f32 ? toFloat32(x) : x);
  }
  const used = new Set<string>();
  const nodes: Node[] = (g.node ?? []).map((n, i) => {
    let name = n.name || `${n.opType}_${i}`;
    while (used.has(name)) name = `${name}_${i}`;
    used.add(name);
    const attrs: Record<string, AttrValue> = {};
    for (const a of n.attribute ?? []) {
      const v = attrOf(a, name);
      attrs[a.name ?? ""] = f32 && typeof v === "object" && !Array.isArray(v) ? toFloat32(v) : v;
    }
    const domain = n.domain && n.domain !== "ai.onnx" ? n.domain : undefined;
    return {
      name,
      op: n.opType ?? "",
      inputs: [...(n.input ?? [])],
      outputs: [...(n.output ?? [])],
      attrs,
      ...(domain ? { domain } : {}),
    };
  });
  const values = new Map<string, ValueInfo>();
  for (const v of g.valueInfo ?? []) {
    try {
      const info = infoOf(v);
      values.set(info.name, info);
    } catch { /* non-tensor value infos carry no information the graph uses */ }
  }
  const graph: Graph = {
    name: g.name || "model",
    opset,
    inputs: (g.input ?? []).map(infoOf).filter((v) => !initializers.has(v.name)),
    outputs: (g.output ?? []).map(infoOf),
    nodes,
    initializers,
    values,
  };
  // Every node input must be a graph input, an initializer or some node's output.
  const known = new Set<string>([...initializers.keys(), ...graph.inputs.map((v) => v.name)]);
  for (const n of nodes) for (const o of n.outputs) known.add(o);
  for (const n of nodes) {
    for (const inp of n.inputs) {
      if (inp !== "" && !known.has(inp)) {
        throw new GraphError("input is missing: no initializer, graph input or node produces it", {
          node: n.name,
          value: inp,
        });
      }
    }
  }
  if (options.checkOps ?? true) checkSupported(graph);
  return graph;
}

/**
 * Reads one serialized ONNX `TensorProto` (the `input_0.pb` / `output_0.pb` files of ONNX's
 * node test vectors, or a tensor saved with `onnx.save_tensor`).
 *
 * @param bytes The `.pb` bytes.
 * @returns The tensor (name dropped), dtype as in `@lowbit/graph`.
 * @throws {OnnxError} For bytes that are not a TensorProto.
 * @throws {GraphError} For external data, an unknown data type or data that does not match the
 *   shape.
 *
 * @example
 * ```ts
 * import { importTensor } from "@lowbit/onnx/import";
 * import onnxProto from "onnx-proto";
 * import { deepEqual } from "node:assert/strict";
 * const { onnx } = onnxProto;
 * const pb = onnx.TensorProto.encode({ dims: [2], dataType: 1, floatData: [1.5, -2] }).finish();
 * deepEqual([...importTensor(pb).data], [1.5, -2]);
 * ```
 */
export function importTensor(bytes: Uint8Array): GraphTensor {
  if (!(bytes instanceof Uint8Array)) throw new OnnxError("bytes must be a Uint8Array");
  let t: ReturnType<typeof onnx.TensorProto.decode>;
  try {
    t = onnx.TensorProto.decode(bytes);
  } catch (e) {
    throw new OnnxError(`not a valid ONNX TensorProto: ${e instanceof Error ? e.message : e}`);
  }
  return tensorFromProto(t, { value: t.name || "tensor" });
}
