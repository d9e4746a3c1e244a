/**
 * Save and load a converted integer graph: one JSON document (UTF-8 bytes) whose typed arrays
 * are stored as base64 of their little-endian bytes with their type name, e.g.
 * `{ "$typed": "Int8Array", "base64": "…" }`, and whose quantized tensors are
 * `{ "$quantized": { q, shape, dtype, scale, zeroPoint, axis } }`. Loading validates the
 * format tag, the version and every tensor (through the `QuantizedTensor` constructor), so a
 * corrupted file fails with a typed error instead of producing wrong numbers.
 *
 * @example Round trip
 * ```ts
 * import { loadIntegerGraph, saveIntegerGraph } from "@lowbit/runtime/serialize";
 * import { QuantizedTensor } from "@lowbit/runtime/quantized-tensor";
 * import { deepEqual } from "node:assert/strict";
 * const graph = { inputName: "x", inputShape: [2], output: "fc", mode: "fixed" as const, nodes: [
 *   { op: "quantize" as const, name: "q", input: "x", out: { scale: 0.5, zeroPoint: 0, dtype: "int8" as const } },
 *   { op: "fullyConnected" as const, name: "fc", input: "q", activation: "none" as const, bias: new Int32Array([7]),
 *     weight: new QuantizedTensor({ q: new Int8Array([2, -2]), shape: [1, 2], dtype: "int8", scale: 0.5 }),
 *     out: { scale: 1, zeroPoint: 0, dtype: "int8" as const } },
 * ] };
 * const back = loadIntegerGraph(saveIntegerGraph(graph));
 * deepEqual(back, graph);
 * ```
 *
 * @module
 */

import type { IntegerGraph } from "./graph.ts";
import { type QuantizedDType, QuantizedTensor } from "./quantized_tensor.ts";

/** Format tag written into every saved graph. */
export const GRAPH_FORMAT = "lowbit-integer-graph";
/** Current format version. */
export const GRAPH_VERSION = 1;

const TYPED = { Int8Array, Uint8Array, Int32Array, Float32Array } as const;
type TypedName = keyof typeof TYPED;

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function encodeValue(v: unknown): unknown {
  if (v instanceof QuantizedTensor) {
    return {
      $quantized: {
        q: encodeValue(v.q),
        shape: [...v.shape],
        dtype: v.dtype,
        scale: encodeValue(v.scale),
        zeroPoint: encodeValue(v.zeroPoint),
        axis: v.axis ?? null,
      },
    };
  }
  for (const [name, Ctor] of Object.entries(TYPED)) {
    if (v instanceof Ctor) {
      const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      return { $typed: name, base64: toBase64(bytes) };
    }
  }
  if (Array.isArray(v)) return v.map(encodeValue);
  if (v !== null && typeof v === "object") {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) o[k] = encodeValue(x);
    return o;
  }
  return v;
}

function decodeValue(v: unknown, path: string): unknown {
  if (Array.isArray(v)) return v.map((x, i) => decodeValue(x, `${path}[${i}]`));
  if (v === null || typeof v !== "object") return v;
  const o = v as Record<string, unknown>;
  if ("$typed" in o) {
    const name = o.$typed as string;
    if (!(name in TYPED) || typeof o.base64 !== "string") {
      throw new RangeError(`${path}: unknown typed array ${String(name)}`);
    }
    const Ctor = TYPED[name as TypedName];
    const bytes = fromBase64(o.base64);
    if (bytes.length % Ctor.BYTES_PER_ELEMENT !== 0) {
      throw new RangeError(`${path}: ${bytes.length} bytes is not a whole ${name}`);
    }
    return new Ctor(bytes.buffer as ArrayBuffer);
  }
  if ("$quantized" in o) {
    const t = o.$quantized as Record<string, unknown>;
    try {
      return new QuantizedTensor({
        q: decodeValue(t.q, `${path}.q`) as Int8Array,
        shape: t.shape as number[],
        dtype: t.dtype as QuantizedDType,
        scale: decodeValue(t.scale, `${path}.scale`) as Float32Array,
        zeroPoint: decodeValue(t.zeroPoint, `${path}.zeroPoint`) as Int32Array,
        axis: t.axis === null ? undefined : t.axis as number,
      });
    } catch (e) {
      throw new RangeError(`${path}: ${(e as Error).message}`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) out[k] = decodeValue(x, `${path}.${k}`);
  return out;
}

/**
 * Serializes a graph to bytes.
 *
 * @param graph The integer graph.
 * @returns UTF-8 JSON bytes.
 *
 * @example
 * ```ts
 * import { saveIntegerGraph } from "@lowbit/runtime/serialize";
 * import { ok } from "node:assert/strict";
 * const bytes = saveIntegerGraph({ inputName: "x", inputShape: [1], output: "q", mode: "float", nodes: [] });
 * ok(new TextDecoder().decode(bytes).startsWith('{"format":"lowbit-integer-graph"'));
 * ```
 */
export function saveIntegerGraph(graph: IntegerGraph): Uint8Array {
  const doc = { format: GRAPH_FORMAT, version: GRAPH_VERSION, graph: encodeValue(graph) };
  return new TextEncoder().encode(JSON.stringify(doc));
}

/**
 * Reads a graph written by {@linkcode saveIntegerGraph}.
 *
 * @param bytes The saved bytes.
 * @returns The graph.
 * @throws {RangeError} On a wrong format tag or version, malformed JSON, or an invalid tensor
 *   (the message names its path).
 *
 * @example
 * ```ts
 * import { loadIntegerGraph } from "@lowbit/runtime/serialize";
 * import { throws } from "node:assert/strict";
 * throws(() => loadIntegerGraph(new TextEncoder().encode('{"format":"other"}')), /format/);
 * ```
 */
export function loadIntegerGraph(bytes: Uint8Array): IntegerGraph {
  let doc: { format?: unknown; version?: unknown; graph?: unknown };
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new RangeError(`bytes are not a saved graph (JSON: ${(e as Error).message})`);
  }
  if (doc?.format !== GRAPH_FORMAT) {
    throw new RangeError(`format must be "${GRAPH_FORMAT}", got ${String(doc?.format)}`);
  }
  if (doc.version !== GRAPH_VERSION) {
    throw new RangeError(`version must be ${GRAPH_VERSION}, got ${String(doc.version)}`);
  }
  const g = decodeValue(doc.graph, "graph") as IntegerGraph;
  if (
    !g || !Array.isArray(g.nodes) || typeof g.output !== "string" ||
    (g.mode !== "fixed" && g.mode !== "float")
  ) {
    throw new RangeError("graph must have nodes, an output name and a mode");
  }
  return g;
}
