/**
 * Product quantization (Jégou et al. 2011; survey §IV-F): a vector of dimension `dim` is cut
 * into M sub-vectors of `dsub = dim / M`, each replaced by the index of its nearest centroid
 * in a sub-codebook of `ksub = 2^nbits` centroids learned by k-means. A vector then costs
 * `M·nbits` bits; distances to a query are computed from codes with lookup tables (asymmetric
 * distance computation, ADC).
 *
 * Layouts follow FAISS: centroids `[M][ksub][dsub]`; codes `[n][codeSize]` bytes with
 * `codeSize = ceil(M·nbits / 8)`, sub-codes packed LSB-first (for nbits = 8 simply one byte per
 * sub-vector, `[n][M]`; for nbits = 16 two little-endian bytes).
 *
 * Exactness: encoding picks, per sub-vector, the centroid with the smallest float32 squared
 * distance computed in dimension order, ties to the lowest index — the WebAssembly kernel and
 * the TypeScript reference agree bit for bit. ADC sums the M table entries in order in
 * float32; search returns the k smallest distances, ties to the lowest code index.
 *
 * @example Train, encode, decode, search
 * ```ts
 * import { ProductQuantizer } from "@lowbit/vq/product";
 * import { equal, ok } from "node:assert/strict";
 * const x = new Float32Array(64 * 4).map((_, i) => Math.sin(i * 1.7)); // 64 vectors, dim 4
 * const pq = new ProductQuantizer(4, 2, 3); // M = 2 sub-vectors, 8 centroids each
 * pq.train(x, { seed: 1 });
 * const codes = pq.encode(x);
 * equal(codes.length, 64 * pq.codeSize); // 6 bits per vector → 1 byte
 * const { labels } = pq.search(codes, x.subarray(0, 4), 1);
 * const self = pq.decode(codes.subarray(0, 1));
 * ok(labels[0] >= 0 && self.length === 4);
 * ```
 *
 * @module
 */

import { checkData, checkInt } from "./_check.ts";
import { type KernelChoice, kmeans } from "./kmeans.ts";
import { nearest, pqKernels, reserve } from "./_nearest.ts";

export type { KernelChoice };

/** Options of {@link ProductQuantizer.train}. */
export interface PqTrainOptions {
  /** Seed of the k-means initialisations (sub-space m uses seed + m). Default 0. */
  seed?: number;
  /** Lloyd iterations per sub-space (default 25, as FAISS). */
  maxIter?: number;
  /** Kernel for the assignments (default `"auto"`). */
  kernel?: KernelChoice;
}

/** Result of {@link ProductQuantizer.search}: per query, k results in ascending distance. */
export interface PqSearchResult {
  /** Squared distances (ADC approximations), row-major [queries][k]. */
  distances: Float32Array;
  /** Code indices, row-major [queries][k]; −1 where fewer than k codes exist. */
  labels: Int32Array;
}

/** A product quantizer with M sub-quantizers of 2^nbits centroids. */
export class ProductQuantizer {
  /** Vector dimension. */
  readonly dim: number;
  /** Number of sub-quantizers. */
  readonly M: number;
  /** Bits per sub-code. */
  readonly nbits: number;
  /** Dimension of a sub-vector (dim / M). */
  readonly dsub: number;
  /** Centroids per sub-quantizer (2^nbits). */
  readonly ksub: number;
  /** Bytes per encoded vector: ceil(M·nbits / 8). */
  readonly codeSize: number;
  /** Centroids `[M][ksub][dsub]` (zero until trained or set). */
  readonly centroids: Float32Array;
  #trained = false;

  /**
   * Creates an untrained quantizer.
   *
   * @param dim Vector dimension, divisible by M.
   * @param M Number of sub-quantizers (≥ 1).
   * @param nbits Bits per sub-code, 1..16.
   * @throws {RangeError} When dim is not divisible by M or nbits is outside 1..16.
   */
  constructor(dim: number, M: number, nbits = 8) {
    checkInt("dim", dim, 1, 2 ** 20);
    checkInt("M", M, 1, dim);
    checkInt("nbits", nbits, 1, 16);
    if (dim % M !== 0) {
      throw new RangeError(`dim (${dim}) must be divisible by M (${M})`);
    }
    this.dim = dim;
    this.M = M;
    this.nbits = nbits;
    this.dsub = dim / M;
    this.ksub = 2 ** nbits;
    this.codeSize = Math.ceil((M * nbits) / 8);
    this.centroids = new Float32Array(M * this.ksub * this.dsub);
  }

  /** True after {@link ProductQuantizer.train} or {@link ProductQuantizer.setCentroids}. */
  get trained(): boolean {
    return this.#trained;
  }

  /**
   * Learns the sub-codebooks with k-means (k-means++ initialisation, seeded).
   *
   * @param data Training vectors, row-major n×dim, n ≥ 2^nbits.
   * @param options Seed, iterations, kernel.
   * @throws {RangeError} On bad data or fewer training vectors than centroids.
   */
  train(data: Float32Array, options: PqTrainOptions = {}): void {
    const n = this.#rows("data", data);
    if (n < this.ksub) {
      throw new RangeError(
        `k (2^nbits = ${this.ksub}) is larger than the number of training vectors (${n})`,
      );
    }
    const { dim, M, dsub, ksub } = this;
    const sub = new Float32Array(n * dsub);
    for (let m = 0; m < M; m++) {
      for (let i = 0; i < n; i++) {
        for (let q = 0; q < dsub; q++) sub[i * dsub + q] = data[i * dim + m * dsub + q];
      }
      const r = kmeans(sub, dsub, ksub, {
        seed: (options.seed ?? 0) + m,
        maxIter: options.maxIter ?? 25,
        kernel: options.kernel,
      });
      this.centroids.set(r.centroids, m * ksub * dsub);
    }
    this.#trained = true;
  }

  /**
   * Replaces the centroids (e.g. from another library), `[M][ksub][dsub]`.
   *
   * @param centroids The centroids.
   * @throws {RangeError} On a wrong length or non-finite values.
   */
  setCentroids(centroids: Float32Array): void {
    if (!(centroids instanceof Float32Array)) {
      throw new TypeError("centroids must be a Float32Array");
    }
    if (centroids.length !== this.centroids.length) {
      throw new RangeError(
        `centroids must hold M×ksub×dsub = ${this.centroids.length} values, got ${centroids.length}`,
      );
    }
    checkData("centroids", centroids);
    this.centroids.set(centroids);
    this.#trained = true;
  }

  /**
   * Encodes vectors: per sub-vector the nearest centroid (float32 distance, ties to the
   * lowest index), packed into `codeSize` bytes per vector.
   *
   * @param data Vectors, row-major n×dim.
   * @param options Kernel.
   * @returns Codes, `n·codeSize` bytes.
   * @throws {RangeError} Before training, or on bad data.
   */
  encode(data: Float32Array, options: { kernel?: KernelChoice } = {}): Uint8Array {
    const n = this.#rows("data", data);
    this.#needTrained();
    const { index } = nearest({
      x: data,
      n,
      dim: this.dim,
      m: this.M,
      dsub: this.dsub,
      centroids: this.centroids,
      ksub: this.ksub,
    }, options.kernel);
    return this.packCodes(index, n);
  }

  /**
   * Packs sub-code indices (row-major n×M) into the code layout.
   *
   * @param index Sub-codes, each in [0, ksub).
   * @param n Number of vectors.
   * @returns Codes, `n·codeSize` bytes.
   */
  packCodes(index: Int32Array | Uint16Array | Uint8Array, n: number): Uint8Array {
    const { M, nbits, codeSize } = this;
    const out = new Uint8Array(n * codeSize);
    if (nbits === 8) {
      out.set(index.subarray(0, n * M));
      return out;
    }
    for (let i = 0; i < n; i++) {
      let bit = i * codeSize * 8;
      for (let m = 0; m < M; m++) {
        const v = index[i * M + m];
        for (let b = 0; b < nbits; b++, bit++) if ((v >> b) & 1) out[bit >> 3] |= 1 << (bit & 7);
      }
    }
    return out;
  }

  /**
   * Unpacks codes to sub-code indices (row-major n×M).
   *
   * @param codes Codes, a multiple of `codeSize` bytes.
   * @returns The sub-codes.
   * @throws {RangeError} When the length is not a multiple of codeSize.
   */
  unpackCodes(codes: Uint8Array): Uint16Array {
    const n = this.#codeRows(codes);
    const { M, nbits, codeSize } = this;
    const out = new Uint16Array(n * M);
    if (nbits === 8) {
      out.set(codes.subarray(0, n * M));
      return out;
    }
    for (let i = 0; i < n; i++) {
      let bit = i * codeSize * 8;
      for (let m = 0; m < M; m++) {
        let v = 0;
        for (let b = 0; b < nbits; b++, bit++) v |= ((codes[bit >> 3] >> (bit & 7)) & 1) << b;
        out[i * M + m] = v;
      }
    }
    return out;
  }

  /**
   * Reconstructs vectors from codes (each sub-vector becomes its centroid).
   *
   * @param codes Codes, a multiple of `codeSize` bytes.
   * @returns Vectors, row-major n×dim.
   */
  decode(codes: Uint8Array): Float32Array {
    this.#needTrained();
    const idx = this.unpackCodes(codes);
    const n = idx.length / this.M;
    const { dim, M, dsub, ksub } = this;
    const out = new Float32Array(n * dim);
    for (let i = 0; i < n; i++) {
      for (let m = 0; m < M; m++) {
        const c = (m * ksub + idx[i * M + m]) * dsub;
        out.set(this.centroids.subarray(c, c + dsub), i * dim + m * dsub);
      }
    }
    return out;
  }

  /**
   * ADC lookup table of one query: float32 squared distances from each query sub-vector to
   * every centroid, `[M][ksub]`, computed in dimension order as encoding does.
   *
   * @param query One vector of dim floats (finite).
   * @returns The table.
   * @throws {RangeError} Before training, on a short query, or on NaN/infinite values.
   */
  distanceTable(query: Float32Array): Float32Array {
    this.#needTrained();
    if (!(query instanceof Float32Array) || query.length < this.dim) {
      throw new RangeError(`query must be a Float32Array of at least dim = ${this.dim} values`);
    }
    checkData("query", query.subarray(0, this.dim));
    const { M, dsub, ksub } = this;
    const f = Math.fround;
    const t = new Float32Array(M * ksub);
    for (let m = 0; m < M; m++) {
      for (let j = 0; j < ksub; j++) {
        const c = (m * ksub + j) * dsub;
        let d = 0;
        for (let q = 0; q < dsub; q++) {
          const diff = f(query[m * dsub + q] - this.centroids[c + q]);
          d = q === 0 ? f(diff * diff) : f(d + f(diff * diff));
        }
        t[m * ksub + j] = d;
      }
    }
    return t;
  }

  /**
   * ADC distances of every code to one query (table entries summed in sub-space order).
   *
   * @param codes Codes, a multiple of codeSize bytes.
   * @param query One vector.
   * @param options Kernel.
   * @returns One float32 distance per code.
   */
  adcDistances(
    codes: Uint8Array,
    query: Float32Array,
    options: { kernel?: KernelChoice } = {},
  ): Float32Array {
    const n = this.#codeRows(codes);
    const table = this.distanceTable(query);
    return this.#adc(codes, n, table, options.kernel ?? "auto");
  }

  /**
   * The k nearest codes of each query by ADC distance (ascending; ties to the lowest index).
   *
   * @param codes Database codes.
   * @param queries Query vectors, row-major nq×dim.
   * @param k Results per query (≥ 1).
   * @param options Kernel.
   * @returns Distances and labels, [nq][k].
   * @throws {RangeError} On bad queries, codes or k.
   */
  search(
    codes: Uint8Array,
    queries: Float32Array,
    k: number,
    options: { kernel?: KernelChoice } = {},
  ): PqSearchResult {
    const nq = this.#rows("queries", queries);
    checkInt("k", k, 1, 2 ** 30);
    const n = this.#codeRows(codes);
    const distances = new Float32Array(nq * k).fill(Infinity);
    const labels = new Int32Array(nq * k).fill(-1);
    for (let q = 0; q < nq; q++) {
      const d = this.adcDistances(
        codes,
        queries.subarray(q * this.dim, (q + 1) * this.dim),
        options,
      );
      topK(d, n, k, distances.subarray(q * k, (q + 1) * k), labels.subarray(q * k, (q + 1) * k));
    }
    return { distances, labels };
  }

  #adc(codes: Uint8Array, n: number, table: Float32Array, kernel: KernelChoice): Float32Array {
    if (kernel !== "auto" && kernel !== "wasm" && kernel !== "ts") {
      throw new RangeError(`options.kernel must be "auto", "wasm" or "ts", got ${String(kernel)}`);
    }
    const { M, ksub, nbits } = this;
    const byteCodes = nbits === 8 || nbits === 16;
    const k = kernel === "ts" ? null : pqKernels();
    if (kernel === "wasm" && !k) {
      throw new RangeError('options.kernel is "wasm" but Wasm SIMD is unavailable');
    }
    const out = new Float32Array(n);
    if (!k) {
      const idx = this.unpackCodes(codes);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let m = 0; m < M; m++) s = Math.fround(s + table[m * ksub + idx[i * M + m]]);
        out[i] = s;
      }
      return out;
    }
    // Wasm: byte or 16-bit sub-codes; other widths are unpacked to 16 bits first
    const wide = nbits > 8 ? 1 : 0;
    const src = byteCodes ? codes : (() => {
      const u = this.unpackCodes(codes);
      if (wide) return new Uint8Array(u.buffer, u.byteOffset, u.byteLength);
      return Uint8Array.from(u);
    })();
    const codeBytes = n * M * (wide ? 2 : 1);
    const tAt = 64,
      cAt = tAt + table.length * 4 + 64,
      oAt = cAt + Math.ceil(codeBytes / 64) * 64 + 2048;
    const buf = reserve(k.memory, oAt + n * 4);
    new Float32Array(buf).set(table, tAt / 4);
    new Uint8Array(buf).set(src.subarray(0, codeBytes), cAt);
    k.ex.adc(cAt, n, M, ksub, tAt, wide, oAt);
    out.set(new Float32Array(buf, oAt, n));
    return out;
  }

  #rows(name: string, data: Float32Array): number {
    if (!(data instanceof Float32Array)) throw new TypeError(`${name} must be a Float32Array`);
    checkData(name, data);
    if (data.length % this.dim !== 0) {
      throw new RangeError(
        `${name}.length (${data.length}) must be a multiple of dim (${this.dim})`,
      );
    }
    return data.length / this.dim;
  }

  #codeRows(codes: Uint8Array): number {
    if (!(codes instanceof Uint8Array)) throw new TypeError("codes must be a Uint8Array");
    if (codes.length % this.codeSize !== 0) {
      throw new RangeError(
        `codes.length (${codes.length}) must be a multiple of codeSize (${this.codeSize})`,
      );
    }
    return codes.length / this.codeSize;
  }

  #needTrained(): void {
    if (!this.#trained) throw new RangeError("the ProductQuantizer is not trained (call train)");
  }
}

/** The k smallest of d[0..n) (ties to the lowest index) into dist/lab, ascending. */
function topK(
  d: Float32Array,
  n: number,
  k: number,
  dist: Float32Array,
  lab: Int32Array,
): void {
  // a sorted buffer of size ≤ k; a candidate enters only if strictly smaller than the last
  let size = 0;
  for (let i = 0; i < n; i++) {
    const v = d[i];
    if (size === k && !(v < dist[k - 1])) continue;
    let p = size < k ? size : k - 1;
    while (p > 0 && v < dist[p - 1]) {
      dist[p] = dist[p - 1];
      lab[p] = lab[p - 1];
      p--;
    }
    dist[p] = v;
    lab[p] = i;
    if (size < k) size++;
  }
}
