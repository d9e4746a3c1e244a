/**
 * Test-only loader of the ONNX node test vectors (`/usr/share/libonnx-testdata/data/node/<name>/`:
 * `model.onnx` and `test_data_set_0/{input,output}_*.pb`) into a {@linkcode Graph}, its feeds
 * and its expected outputs, decoded with the npm `onnx-proto` package.
 *
 * @module
 */

import onnxProto from "onnx-proto";
import type { TensorInput } from "../executor.ts";
import type { AttrValue, Graph, GraphDType, GraphTensor, Node, ValueInfo } from "../ir.ts";
import { zeros } from "../ir.ts";
import { ONNX_DTYPES } from "./tensor_cast.ts";

const { onnx } = onnxProto;

/** Where the ONNX node test vectors live. */
export const NODE_TESTDATA = "/usr/share/libonnx-testdata/data/node";

type LongLike = number | { low: number; high: number; unsigned?: boolean };

function toBig(v: LongLike): bigint {
  if (typeof v === "number") return BigInt(v);
  const u = (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
  return v.unsigned ? u : BigInt.asIntN(64, u);
}

/** An ONNX test vector as a graph with its feeds and expected outputs. */
export interface NodeTest {
  /** The model as a graph. */
  graph: Graph;
  /** Graph inputs by name. */
  inputs: Record<string, TensorInput>;
  /** Expected outputs by name. */
  expected: Record<string, GraphTensor>;
}

/**
 * Decodes an ONNX TensorProto into a graph tensor.
 *
 * @param p The decoded proto.
 * @returns The tensor.
 * @throws {Error} For element types the graph does not store.
 *
 * @example
 * ```ts
 * import { tensorFromProto } from "./_tensor_testdata_test_util.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...tensorFromProto({ dataType: 6, dims: [2], int32Data: [3, -4] }).data], [3, -4]);
 * ```
 */
export function tensorFromProto(p: onnxProto.onnx.ITensorProto): GraphTensor {
  const dtype: GraphDType | undefined = ONNX_DTYPES[p.dataType ?? 0];
  if (dtype === undefined || dtype === "int4" || dtype === "uint4") {
    throw new Error(`tensor ${p.name}: ONNX data type ${p.dataType} is not supported`);
  }
  const shape = (p.dims ?? []).map((d) => Number(toBig(d as LongLike)));
  const t = zeros(dtype, shape);
  const n = t.data.length;
  if (p.rawData && p.rawData.length > 0) {
    const bytes = p.rawData.slice();
    const C = t.data.constructor as new (b: ArrayBuffer, o: number, n: number) => typeof t.data;
    t.data = new C(bytes.buffer, 0, n);
    return t;
  }
  const d = t.data as { [i: number]: number | bigint };
  const src: LongLike[] | number[] = dtype === "int64"
    ? (p.int64Data ?? []) as LongLike[]
    : dtype === "float32"
    ? p.floatData ?? []
    : dtype === "float64"
    ? p.doubleData ?? []
    : dtype === "uint32"
    ? (p.uint64Data ?? []) as LongLike[]
    : p.int32Data ?? [];
  for (let i = 0; i < n; i++) {
    const v = src[i] as LongLike;
    d[i] = dtype === "int64" ? toBig(v) : typeof v === "number" ? v : Number(toBig(v));
  }
  return t;
}

function attrOf(a: onnxProto.onnx.IAttributeProto): AttrValue {
  const dec = new TextDecoder();
  switch (a.type) {
    case 1:
      return a.f ?? 0;
    case 2:
      return Number(toBig((a.i ?? 0) as LongLike));
    case 3:
      return dec.decode(a.s ?? new Uint8Array());
    case 4:
      return tensorFromProto(a.t ?? {});
    case 6:
      return [...(a.floats ?? [])];
    case 7:
      return (a.ints ?? []).map((v) => Number(toBig(v as LongLike)));
    case 8:
      return (a.strings ?? []).map((s) => dec.decode(s));
    default:
      throw new Error(`attribute ${a.name}: type ${a.type} is not supported`);
  }
}

function infoOf(v: onnxProto.onnx.IValueInfoProto): ValueInfo {
  const tt = v.type?.tensorType;
  const dtype = ONNX_DTYPES[tt?.elemType ?? 0] ?? "float32";
  const shape = (tt?.shape?.dim ?? []).map((d) =>
    d.dimParam
      ? d.dimParam
      : d.dimValue !== undefined && d.dimValue !== null
      ? Number(toBig(d.dimValue as LongLike))
      : -1
  );
  return { name: v.name ?? "", dtype, shape };
}

/**
 * Loads one ONNX node test directory (its `test_data_set_0`).
 *
 * @param dir The test directory.
 * @returns The graph, its feeds and expected outputs.
 *
 * @example
 * ```ts ignore
 * import { loadNodeTest, NODE_TESTDATA } from "./_tensor_testdata_test_util.ts";
 * const t = loadNodeTest(`${NODE_TESTDATA}/test_slice`);
 * ```
 */
export function loadNodeTest(dir: string): NodeTest {
  const m = onnx.ModelProto.decode(Deno.readFileSync(`${dir}/model.onnx`));
  const g = m.graph ?? {};
  const opset = (m.opsetImport ?? []).find((o) => !o.domain || o.domain === "ai.onnx");
  const initializers = new Map<string, GraphTensor>();
  for (const t of g.initializer ?? []) initializers.set(t.name ?? "", tensorFromProto(t));
  const nodes: Node[] = (g.node ?? []).map((n, i) => ({
    name: n.name || `${n.opType}_${i}`,
    op: n.opType ?? "",
    inputs: [...(n.input ?? [])],
    outputs: [...(n.output ?? [])],
    attrs: Object.fromEntries((n.attribute ?? []).map((a) => [a.name ?? "", attrOf(a)])),
    ...(n.domain ? { domain: n.domain } : {}),
  }));
  const graphInputs = (g.input ?? []).map(infoOf);
  const feedsInfo = graphInputs.filter((v) => !initializers.has(v.name));
  const graph: Graph = {
    name: g.name ?? "test",
    opset: Number(toBig((opset?.version ?? 1) as LongLike)),
    inputs: graphInputs,
    outputs: (g.output ?? []).map(infoOf),
    nodes,
    initializers,
    values: new Map(),
  };
  const read = (kind: string, i: number) =>
    tensorFromProto(
      onnx.TensorProto.decode(Deno.readFileSync(`${dir}/test_data_set_0/${kind}_${i}.pb`)),
    );
  const inputs: Record<string, TensorInput> = {};
  feedsInfo.forEach((v, i) => {
    const t = read("input", i);
    inputs[v.name] = { data: t.data, shape: t.shape, dtype: t.dtype };
  });
  const expected: Record<string, GraphTensor> = {};
  graph.outputs.forEach((v, i) => expected[v.name] = read("output", i));
  return { graph, inputs, expected };
}

/**
 * Compares an output with its expected tensor: dtype and shape exactly, integers and bools
 * exactly, floats within ONNX's backend-test tolerance |a − e| ≤ atol + rtol·|e| (NaN = NaN).
 *
 * @param actual The computed tensor.
 * @param expected The expected tensor.
 * @param rtol Relative tolerance (default 1e-3, as the ONNX backend tests).
 * @param atol Absolute tolerance (default 1e-7).
 * @returns `undefined` on a match, else a description of the first difference.
 *
 * @example
 * ```ts
 * import { compareTensors } from "./_tensor_testdata_test_util.ts";
 * import { equal } from "node:assert/strict";
 * const e = { dtype: "int8" as const, shape: [2], data: new Int8Array([1, 2]) };
 * equal(compareTensors(e, e), undefined);
 * equal(compareTensors({ ...e, data: new Int8Array([1, 3]) }, e), "element 1: 3 vs 2");
 * ```
 */
export function compareTensors(
  actual: GraphTensor,
  expected: GraphTensor,
  rtol = 1e-3,
  atol = 1e-7,
): string | undefined {
  if (actual.dtype !== expected.dtype) return `dtype ${actual.dtype} vs ${expected.dtype}`;
  if (actual.shape.join() !== expected.shape.join()) {
    return `shape [${actual.shape}] vs [${expected.shape}]`;
  }
  const f16 = (t: GraphTensor) => {
    const u = t.data as Uint16Array;
    return new Float16Array(u.buffer, u.byteOffset, u.length);
  };
  const a = actual.dtype === "float16" ? f16(actual) : actual.data as ArrayLike<number | bigint>;
  const e = expected.dtype === "float16" ? f16(expected) : expected.data as ArrayLike<
    number | bigint
  >;
  const float = actual.dtype.startsWith("float");
  for (let i = 0; i < a.length; i++) {
    const x = a[i], y = e[i];
    if (x === y) continue;
    if (float && typeof x === "number" && typeof y === "number") {
      if (x !== x && y !== y) continue;
      if (Math.abs(x - y) <= atol + rtol * Math.abs(y)) continue;
    }
    return `element ${i}: ${x} vs ${y}`;
  }
  return undefined;
}
