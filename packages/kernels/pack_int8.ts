/**
 * Packed 8-bit weights: B is rearranged once into the int8 panel layout of the WebAssembly
 * int8 kernel and kept in kernel memory, so repeated GEMMs and batch-1 GEMVs stream the
 * weights without copying them in. Free the block with `dispose()` (or `using`); blocks not
 * disposed are freed when the object is garbage-collected.
 *
 * @example
 * ```ts
 * import { packInt8 } from "@lowbit/kernels/pack-int8";
 * import { gemmInt8 } from "@lowbit/kernels/gemm-int8";
 * import { deepEqual } from "node:assert/strict";
 * using w = packInt8(new Int8Array([1, 2, 3, 4, 5, 6]), 3, 2, { transB: true }); // [out][in]
 * deepEqual([...gemmInt8(1, 2, 3, new Uint8Array([1, 1, 1]), w)], [6, 15]);
 * ```
 *
 * @module
 */

import { checkDim, checkLength, checkType } from "./_validate.ts";
import { allocPersistent, Arena, freePersistent, kernels, reserve } from "./_wasm.ts";
import { int8Path } from "./_int8_path.ts";

/**
 * Panel layout of packed int8 weights: `"pairs"` (k-pairs interleaved, for the `dot_i16x8`
 * and narrow kernels) or `"quads"` (k-quads, for the relaxed-dot u8×s8 kernel). `packInt8`
 * picks the layout of the int8 path this runtime chose (see `kernelInfo`).
 */
export type PackedInt8Layout = "pairs" | "quads";

const registry = new FinalizationRegistry<number>((at) => freePersistent(at));

/** A k×n int8/uint8 matrix packed for the int8 kernels (from {@link packInt8}). */
export class PackedInt8 {
  /** Rows (the GEMM's k). */
  readonly k: number;
  /** Columns (the GEMM's n). */
  readonly n: number;
  /** Whether the codes are signed (Int8Array source) or unsigned (Uint8Array source). */
  readonly signed: boolean;
  /** Smallest code in the matrix. */
  readonly min: number;
  /** Largest code in the matrix. */
  readonly max: number;
  /** Sum of each column's codes (length n), for zero-point corrections. */
  readonly columnSums: Int32Array;
  /** Panel layout in kernel memory. */
  readonly layout: PackedInt8Layout;
  #address: number;
  #copy: Int8Array | Uint8Array | null;

  /**
   * Internal: use {@link packInt8}.
   *
   * @param k Rows.
   * @param n Columns.
   * @param signed Source type.
   * @param range Smallest and largest code.
   * @param columnSums Sum of each column.
   * @param address Kernel-memory address of the panels (−1 when kept as a copy).
   * @param copy Row-major k×n copy used when WebAssembly is unavailable.
   * @param layout Panel layout. Default `"pairs"`.
   */
  constructor(
    k: number,
    n: number,
    signed: boolean,
    range: [number, number],
    columnSums: Int32Array,
    address: number,
    copy: Int8Array | Uint8Array | null,
    layout: PackedInt8Layout = "pairs",
  ) {
    this.k = k;
    this.layout = layout;
    this.n = n;
    this.signed = signed;
    [this.min, this.max] = range;
    this.columnSums = columnSums;
    this.#address = address;
    this.#copy = copy;
    if (address >= 0) registry.register(this, address, this);
  }

  /** Kernel-memory address of the panels; throws after `dispose()`. */
  get address(): number {
    if (this.#address === -2) throw new RangeError("this PackedInt8 was disposed");
    return this.#address;
  }

  /** True after {@link PackedInt8.dispose}. */
  get disposed(): boolean {
    return this.#address === -2;
  }

  /** Row-major k×n codes (a copy, read back from kernel memory when needed). */
  toRowMajor(): Int8Array | Uint8Array {
    if (this.#copy) return this.#copy.slice();
    const at = this.address;
    const w = kernels()!;
    const { k, n } = this;
    const pairs = Math.ceil(k / 2), quads = Math.ceil(k / 4);
    const mem = new Uint8Array(w.memory.buffer);
    const out = this.signed ? new Int8Array(k * n) : new Uint8Array(k * n);
    const flip = this.signed ? 0 : 0x80;
    for (let p = 0; p < k; p++) {
      for (let j = 0; j < n; j++) {
        const off = this.layout === "pairs"
          ? at + (((j >> 3) * pairs + (p >> 1)) * 8 + (j & 7)) * 2 + (p & 1)
          : at + (((j >> 3) * quads + (p >> 2)) * 8 + (j & 7)) * 4 + (p & 3);
        out[p * n + j] = mem[off] ^ flip;
      }
    }
    return out;
  }

  /** Frees the kernel memory. Further use throws a RangeError. */
  dispose(): void {
    if (this.#address >= 0) {
      freePersistent(this.#address);
      registry.unregister(this);
    }
    this.#address = -2;
    this.#copy = null;
  }

  /** Same as {@link PackedInt8.dispose}, for `using`. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/**
 * Bytes of the packed panels of a k×n matrix.
 *
 * @param k Rows (the reduction length).
 * @param n Columns.
 * @param layout Panel layout. Default `"pairs"`.
 * @returns 8-column panels × k rounded up to pairs (quads) × 2 (4) bytes per column.
 *
 * @example
 * ```ts
 * import { packedInt8Bytes } from "@lowbit/kernels/pack-int8";
 * import { equal } from "node:assert/strict";
 * equal(packedInt8Bytes(3, 9), 2 * 2 * 16);
 * equal(packedInt8Bytes(3, 9, "quads"), 2 * 1 * 32);
 * ```
 */
export function packedInt8Bytes(k: number, n: number, layout: PackedInt8Layout = "pairs"): number {
  return layout === "pairs"
    ? Math.ceil(n / 8) * Math.ceil(k / 2) * 16
    : Math.ceil(n / 8) * Math.ceil(k / 4) * 32;
}

/**
 * Packs B (k×n row-major, or n×k with `transB`, e.g. weights stored [out][in]).
 *
 * @param b The codes, Int8Array or Uint8Array.
 * @param k Rows of op(B) (the reduction length).
 * @param n Columns of op(B) (output channels).
 * @param options `transB`: b is stored n×k.
 * @returns The packed matrix.
 * @throws {RangeError} On bad dimensions or a short buffer.
 * @throws {TypeError} When b is not an Int8Array or Uint8Array.
 *
 * @example
 * ```ts
 * import { packInt8 } from "@lowbit/kernels/pack-int8";
 * import { deepEqual } from "node:assert/strict";
 * const b = new Uint8Array([0, 255, 128, 7]);
 * const p = packInt8(b, 2, 2);
 * deepEqual(p.toRowMajor(), b);
 * p.dispose();
 * ```
 */
export function packInt8(
  b: Int8Array | Uint8Array,
  k: number,
  n: number,
  options: { transB?: boolean } = {},
): PackedInt8 {
  checkDim("k", k);
  checkDim("n", n);
  checkType("b", b, [Int8Array, Uint8Array]);
  checkLength("b", b, k * n, `${options.transB ? "n×k" : "k×n"} = ${k * n}`);
  const signed = b instanceof Int8Array;
  const trans = options.transB ?? false;
  let lo = Infinity, hi = -Infinity;
  const sums = new Int32Array(n);
  for (let i = 0; i < k * n; i++) {
    const v = b[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    sums[trans ? Math.floor(i / k) : i % n] += v;
  }
  const w = kernels();
  if (!w) {
    const copy = signed ? new Int8Array(k * n) : new Uint8Array(k * n);
    for (let p = 0; p < k; p++) {
      for (let j = 0; j < n; j++) copy[p * n + j] = trans ? b[j * k + p] : b[p * n + j];
    }
    return new PackedInt8(k, n, signed, [lo, hi], sums, -1, copy);
  }
  const layout: PackedInt8Layout = int8Path() === "relaxed-dot-u8s8" ? "quads" : "pairs";
  const at = allocPersistent(w, packedInt8Bytes(k, n, layout));
  const arena = new Arena();
  const src = arena.alloc(k * n);
  new Uint8Array(reserve(w, arena.end)).set(
    new Uint8Array(b.buffer, b.byteOffset, k * n),
    src,
  );
  const flip = signed ? 0 : 0x80;
  if (layout === "pairs") w.int8.pack_b8(src, k, n, trans ? 1 : 0, flip, at, Math.ceil(k / 2));
  else w.int8.pack_b_dp(src, k, n, trans ? 1 : 0, flip, at, Math.ceil(k / 4));
  return new PackedInt8(k, n, signed, [lo, hi], sums, at, null, layout);
}
