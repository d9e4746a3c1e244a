/**
 * Vector and non-uniform quantization by clustering (survey §IV-F, MIT 6.S965 lecture 5.3–5.4):
 * k-means (Lloyd with seeded k-means++, and the exact optimal 1-D k-means by dynamic
 * programming), codebook weight sharing, product and residual quantization with asymmetric
 * distance search, Huffman coding, and the Deep Compression pipeline (pruning → weight sharing
 * → Huffman) with exact bit accounting.
 *
 * @example Optimal 1-D clustering of six values into two levels
 * ```ts
 * import { kmeans1d } from "@lowbit/vq";
 * import { deepEqual } from "node:assert/strict";
 * const r = kmeans1d(new Float32Array([1, 2, 3, 10, 11, 12]), 2);
 * deepEqual([...r.centroids], [2, 11]);
 * ```
 *
 * @module
 */

export * from "./kmeans_1d.ts";
export * from "./kmeans.ts";
export * from "./product.ts";
export * from "./huffman.ts";
export * from "./residual.ts";
export * from "./pq_weights.ts";
export * from "./weight_sharing.ts";
export * from "./pruning.ts";
export * from "./sparse_index.ts";
export * from "./deep_compression.ts";
