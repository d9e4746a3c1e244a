// Test helper (not published): one-node ONNX models for the onnxruntime-web comparisons
// (onnxruntime_test.ts, fc_bench.ts), built as a @lowbit/graph Graph and serialized with
// @lowbit/onnx's exportOnnx.
import type { AttrValue, GraphTensor, ValueInfo } from "@lowbit/graph/ir";
import { exportOnnx } from "@lowbit/onnx/export";

/** Typed arrays the helper turns into initializers (dtype follows the array type). */
export type TensorData = Float32Array | Int8Array | Uint8Array | Int32Array;

/**
 * A tensor whose dtype is that of its array: Float32Array → float32, Int8Array → int8,
 * Uint8Array → uint8, Int32Array → int32.
 */
export function tensorOf(shape: readonly number[], data: TensorData): GraphTensor {
  const dtype = data instanceof Float32Array
    ? "float32"
    : data instanceof Int8Array
    ? "int8"
    : data instanceof Uint8Array
    ? "uint8"
    : "int32";
  return { dtype, shape: [...shape], data };
}

/** The parts of a one-node model. */
export interface OneNodeModel {
  /** Node inputs, in order (graph inputs and initializer names). */
  inputs: string[];
  /** Graph inputs (fed at run time). */
  graphInputs: ValueInfo[];
  /** Constant tensors by name. */
  initializers?: Record<string, GraphTensor>;
  /** The node's single output (also the graph output). */
  output: ValueInfo;
  /** Attributes; integers are written as INT/INTS (see exportOnnx). */
  attrs?: Record<string, AttrValue>;
  /** Op domain, e.g. "com.microsoft" (default: the ONNX domain). */
  domain?: string;
  /** Default-domain opset (default 13). */
  opset?: number;
}

/** Serializes `output = op(inputs)` as an ONNX model. */
export function oneNodeModel(op: string, m: OneNodeModel): Uint8Array {
  return exportOnnx({
    name: "g",
    opset: m.opset ?? 13,
    inputs: m.graphInputs,
    outputs: [m.output],
    nodes: [{
      name: op,
      op,
      inputs: m.inputs,
      outputs: [m.output.name],
      attrs: m.attrs ?? {},
      ...(m.domain ? { domain: m.domain } : {}),
    }],
    initializers: new Map(Object.entries(m.initializers ?? {})),
    values: new Map(),
  });
}
