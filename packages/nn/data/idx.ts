/**
 * The IDX file format of MNIST and Fashion-MNIST (LeCun et al.): a big-endian header — two
 * zero bytes, a type code (0x08 = unsigned byte), the number of dimensions d — then d
 * big-endian uint32 sizes, then the row-major data. `.gz` files are inflated with the platform's
 * `DecompressionStream("gzip")`.
 *
 * @example
 * ```ts
 * import { parseIdx } from "@lowbit/nn/data/idx";
 * import { deepEqual } from "node:assert/strict";
 * const bytes = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 3, 7, 1, 9]);
 * const { shape, data } = parseIdx(bytes);
 * deepEqual([shape, [...data]], [[3], [7, 1, 9]]);
 * ```
 *
 * @module
 */

/** A parsed unsigned-byte IDX array. */
export interface IdxArray {
  /** Dimensions from the header. */
  shape: number[];
  /** Row-major bytes. */
  data: Uint8Array;
}

/**
 * Parses an unsigned-byte IDX buffer.
 *
 * @param bytes The (inflated) file.
 * @returns Shape and data (a view into `bytes`).
 * @throws {RangeError} On a bad magic number, a type other than unsigned byte, or a length that
 *   does not match the header.
 *
 * @example
 * ```ts
 * import { parseIdx } from "@lowbit/nn/data/idx";
 * import { throws } from "node:assert/strict";
 * throws(() => parseIdx(new Uint8Array([1, 0, 8, 1])), /IDX magic/);
 * ```
 */
export function parseIdx(bytes: Uint8Array): IdxArray {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    throw new RangeError("not an IDX file: the IDX magic starts with two zero bytes");
  }
  if (bytes[2] !== 0x08) {
    throw new RangeError(`IDX type 0x${bytes[2].toString(16)} is not 0x08 (unsigned byte)`);
  }
  const d = bytes[3];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4 + 4 * d) throw new RangeError("IDX header is truncated");
  const shape: number[] = [];
  for (let i = 0; i < d; i++) shape.push(view.getUint32(4 + 4 * i, false));
  const size = shape.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * d;
  if (bytes.length - start !== size) {
    throw new RangeError(
      `IDX header says [${shape.join(", ")}] = ${size} bytes but ${bytes.length - start} follow`,
    );
  }
  return { shape, data: bytes.subarray(start) };
}

/**
 * Inflates gzip bytes with `DecompressionStream`.
 *
 * @param bytes A gzip stream.
 * @returns The inflated bytes.
 *
 * @example
 * ```ts
 * import { gunzip } from "@lowbit/nn/data/idx";
 * import { deepEqual } from "node:assert/strict";
 * const gz = new Uint8Array(await new Response(new Blob([new Uint8Array([1, 2, 3])]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer());
 * deepEqual([...await gunzip(gz)], [1, 2, 3]);
 * ```
 */
export async function gunzip(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
