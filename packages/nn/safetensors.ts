/**
 * The safetensors file format (huggingface/safetensors), written and read here in full:
 *
 *     [8 bytes: N, unsigned 64-bit little-endian] [N bytes: JSON header] [data bytes]
 *
 * The header maps each tensor name to `{ "dtype", "shape", "data_offsets": [begin, end] }`
 * (byte offsets into the data section, which the tensors tile without gaps or overlap) and may
 * hold `"__metadata__"`, a string-to-string map. Data is little-endian, row-major. Like the
 * reference writer, the header is padded with spaces so the data starts on an 8-byte boundary.
 * The reader checks every rule (sizes, offsets, contiguity, dtype names) and rejects a file that
 * breaks one.
 *
 * @example
 * ```ts
 * import { decodeSafetensors, encodeSafetensors } from "@lowbit/nn/safetensors";
 * import { deepEqual } from "node:assert/strict";
 * const bytes = encodeSafetensors(new Map([["w", { dtype: "F32", shape: [2], data: new Float32Array([1, -2]) }]]));
 * deepEqual([...decodeSafetensors(bytes).tensors.get("w")!.data], [1, -2]);
 * ```
 *
 * @module
 */

import type { StateDict } from "./module.ts";

/** The dtypes this reader/writer handles (safetensors names). */
export type SafetensorsDType =
  | "F64"
  | "F32"
  | "F16"
  | "BF16"
  | "I64"
  | "I32"
  | "I16"
  | "I8"
  | "U64"
  | "U32"
  | "U16"
  | "U8"
  | "BOOL";

/** Storage of one tensor (F16 and BF16 as raw 16-bit patterns, BOOL as 0/1 bytes). */
export type SafetensorsData =
  | Float64Array
  | Float32Array
  | Uint16Array
  | BigInt64Array
  | BigUint64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint32Array
  | Uint8Array;

/** One tensor of a safetensors file. */
export interface SafeTensor {
  /** The dtype name. */
  dtype: SafetensorsDType;
  /** Dimensions. */
  shape: readonly number[];
  /** Row-major values. */
  data: SafetensorsData;
}

/** A decoded file. */
export interface SafetensorsFile {
  /** Tensors by name, in header order. */
  tensors: Map<string, SafeTensor>;
  /** The `__metadata__` map (empty when absent). */
  metadata: Record<string, string>;
}

type Ctor = { new (buffer: ArrayBuffer): SafetensorsData; BYTES_PER_ELEMENT: number };

const DTYPES: Readonly<Record<SafetensorsDType, Ctor>> = {
  F64: Float64Array,
  F32: Float32Array,
  F16: Uint16Array,
  BF16: Uint16Array,
  I64: BigInt64Array,
  I32: Int32Array,
  I16: Int16Array,
  I8: Int8Array,
  U64: BigUint64Array,
  U32: Uint32Array,
  U16: Uint16Array,
  U8: Uint8Array,
  BOOL: Uint8Array,
};

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function checkEndian(): void {
  if (!LITTLE_ENDIAN) throw new RangeError("safetensors here needs a little-endian platform");
}

function size(shape: readonly number[], name: string): number {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new RangeError(`tensor "${name}": shape must be non-negative integers; got ${shape}`);
  }
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Serializes tensors (and optional string metadata) to safetensors bytes.
 *
 * @param tensors Tensors by name (written in this order).
 * @param metadata Optional `__metadata__` (string values).
 * @returns The file's bytes.
 * @throws {RangeError} On an unknown dtype, a storage of the wrong type, a shape that does not
 *   match the data length, or the reserved name `__metadata__`.
 *
 * @example Header length, then JSON, then little-endian data
 * ```ts
 * import { encodeSafetensors } from "@lowbit/nn/safetensors";
 * import { equal } from "node:assert/strict";
 * const b = encodeSafetensors(new Map([["x", { dtype: "U8", shape: [1], data: new Uint8Array([7]) }]]));
 * const n = Number(new DataView(b.buffer).getBigUint64(0, true));
 * equal((8 + n) % 8, 0);
 * equal(b[8 + n], 7);
 * ```
 */
export function encodeSafetensors(
  tensors: ReadonlyMap<string, SafeTensor>,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  checkEndian();
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") {
        throw new TypeError(`metadata["${k}"] must be a string; got ${typeof v}`);
      }
    }
    header.__metadata__ = { ...metadata };
  }
  let offset = 0;
  const parts: Uint8Array[] = [];
  for (const [name, t] of tensors) {
    if (name === "__metadata__") throw new RangeError(`"__metadata__" is reserved`);
    const ctor = DTYPES[t.dtype];
    if (ctor === undefined) {
      throw new RangeError(
        `tensor "${name}": dtype must be one of ${Object.keys(DTYPES).join(", ")}; got ${t.dtype}`,
      );
    }
    if (!(t.data instanceof (ctor as unknown as typeof Uint8Array))) {
      throw new RangeError(
        `tensor "${name}": dtype ${t.dtype} needs a ${ctor.name}; got ${t.data?.constructor?.name}`,
      );
    }
    if (size(t.shape, name) !== t.data.length) {
      throw new RangeError(
        `tensor "${name}": shape [${t.shape.join(", ")}] does not match ${t.data.length} values`,
      );
    }
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    header[name] = {
      dtype: t.dtype,
      shape: [...t.shape],
      data_offsets: [offset, offset + bytes.length],
    };
    parts.push(bytes);
    offset += bytes.length;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil((8 + json.length) / 8) * 8 - 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Parses safetensors bytes, validating the header against the format's rules.
 *
 * @param bytes The file.
 * @returns The tensors (copied into aligned typed arrays) and the metadata.
 * @throws {RangeError} If the file is truncated, the header is not valid JSON of the right form,
 *   a dtype is unknown, sizes disagree, or the offsets leave gaps or overlap.
 *
 * @example
 * ```ts
 * import { decodeSafetensors } from "@lowbit/nn/safetensors";
 * import { throws } from "node:assert/strict";
 * throws(() => decodeSafetensors(new Uint8Array(4)), /shorter than the 8-byte header length/);
 * ```
 */
export function decodeSafetensors(bytes: Uint8Array): SafetensorsFile {
  checkEndian();
  if (bytes.length < 8) {
    throw new RangeError(`file of ${bytes.length} bytes is shorter than the 8-byte header length`);
  }
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(bytes.length - 8)) {
    throw new RangeError(`header length ${n} exceeds the file (${bytes.length} bytes)`);
  }
  const start = 8 + Number(n);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, start)));
  } catch (e) {
    throw new RangeError(`header is not valid UTF-8 JSON: ${(e as Error).message}`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) {
    throw new RangeError("header must be a JSON object");
  }
  const metadata: Record<string, string> = {};
  const entries: [string, SafetensorsDType, number[], number, number][] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== "string") throw new RangeError(`__metadata__["${k}"] is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = info?.dtype as SafetensorsDType;
    if (typeof dtype !== "string" || !(dtype in DTYPES)) {
      throw new RangeError(`tensor "${name}": unknown dtype ${String(info?.dtype)}`);
    }
    const shape = info.shape as number[];
    const count = size(shape, name);
    const off = info.data_offsets as number[];
    if (!Array.isArray(off) || off.length !== 2 || !off.every(Number.isSafeInteger)) {
      throw new RangeError(`tensor "${name}": data_offsets must be [begin, end]`);
    }
    if (off[1] - off[0] !== count * DTYPES[dtype].BYTES_PER_ELEMENT || off[0] < 0) {
      throw new RangeError(
        `tensor "${name}": data_offsets [${off}] do not hold ${count} ${dtype} values`,
      );
    }
    entries.push([name, dtype, shape, off[0], off[1]]);
  }
  const sorted = [...entries].sort((a, b) => a[3] - b[3] || a[4] - b[4]);
  let expect = 0;
  for (const [name, , , begin, end] of sorted) {
    if (begin !== expect) {
      throw new RangeError(
        `tensor "${name}" starts at byte ${begin}; the data must be contiguous from ${expect}`,
      );
    }
    expect = end;
  }
  if (start + expect !== bytes.length) {
    throw new RangeError(
      `the tensors cover ${expect} data bytes but the file holds ${bytes.length - start}`,
    );
  }
  const tensors = new Map<string, SafeTensor>();
  for (const [name, dtype, shape, begin, end] of entries) {
    const buf = bytes.slice(start + begin, start + end).buffer;
    tensors.set(name, { dtype, shape, data: new DTYPES[dtype](buf) });
  }
  return { tensors, metadata };
}

/**
 * Writes a state dict as an F32 safetensors file.
 *
 * @param path The file path.
 * @param sd The state dict.
 * @param metadata Optional string metadata.
 *
 * @example
 * ```ts
 * import { loadSafetensors, saveSafetensors } from "@lowbit/nn/safetensors";
 * import { deepEqual } from "node:assert/strict";
 * const path = await Deno.makeTempFile({ suffix: ".safetensors" });
 * await saveSafetensors(path, new Map([["w", { data: new Float32Array([0.5]), shape: [1] }]]), { seed: "1" });
 * const { stateDict, metadata } = await loadSafetensors(path);
 * deepEqual([...stateDict.get("w")!.data], [0.5]);
 * deepEqual(metadata, { seed: "1" });
 * await Deno.remove(path);
 * ```
 */
export async function saveSafetensors(
  path: string | URL,
  sd: StateDict,
  metadata?: Readonly<Record<string, string>>,
): Promise<void> {
  const tensors = new Map<string, SafeTensor>();
  for (const [n, t] of sd) tensors.set(n, { dtype: "F32", shape: t.shape, data: t.data });
  await Deno.writeFile(path, encodeSafetensors(tensors, metadata));
}

/**
 * Reads an F32 safetensors file as a state dict.
 *
 * @param path The file path.
 * @returns The state dict and the metadata.
 * @throws {RangeError} If the file is malformed or holds a tensor that is not F32.
 *
 * @example
 * ```ts
 * import { loadSafetensors } from "@lowbit/nn/safetensors";
 * import { rejects } from "node:assert/strict";
 * await rejects(loadSafetensors("/nonexistent.safetensors"));
 * ```
 */
export async function loadSafetensors(
  path: string | URL,
): Promise<{ stateDict: StateDict; metadata: Record<string, string> }> {
  const { tensors, metadata } = decodeSafetensors(await Deno.readFile(path));
  const sd: StateDict = new Map();
  for (const [n, t] of tensors) {
    if (t.dtype !== "F32") {
      throw new RangeError(`tensor "${n}" is ${t.dtype}; a state dict needs F32`);
    }
    sd.set(n, { data: t.data as Float32Array, shape: t.shape });
  }
  return { stateDict: sd, metadata };
}
