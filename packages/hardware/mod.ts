/**
 * Hardware cost model of lowbit: will int8 (or int4, or binary) be faster or cheaper on a
 * given device? Targets are JSON files (`hardware/<target>.json`, every number with its unit
 * and source) or this host measured at run time; the model prices every node of a shaped
 * `@lowbit/graph` graph at a precision assignment — MACs, BOPS, bytes per memory level,
 * roofline latency, energy from the 45 nm Horowitz table scaled per target, and the memory
 * footprint (weights + peak activation arena). docs/hardware.md gives the equations.
 *
 * @example Project a one-layer model at fp32 and int8
 * ```ts
 * import { costModel, parseTarget, uniform } from "@lowbit/hardware";
 * import { type Graph, zeros } from "@lowbit/graph";
 * import { equal } from "node:assert/strict";
 * const s = "example";
 * const target = parseTarget({ name: "toy", description: "toy",
 *   peak: { fp32: { value: 1, unit: "GMAC/s", source: s }, int8: { value: 4, unit: "GMAC/s", source: s } },
 *   memory: [{ name: "dram", kind: "dram", holds: ["weights", "activations"],
 *     bandwidth: { value: 10, unit: "GB/s", source: s } }] });
 * const g: Graph = { name: "g", opset: 17, initializers: new Map([["w", zeros("float32", [64, 256])]]),
 *   values: new Map([["y", { name: "y", dtype: "float32", shape: [8, 64] }]]),
 *   inputs: [{ name: "x", dtype: "float32", shape: [8, 256] }],
 *   outputs: [{ name: "y", dtype: "float32", shape: [8, 64] }],
 *   nodes: [{ name: "fc", op: "Gemm", inputs: ["x", "w"], outputs: ["y"], attrs: { transB: 1 } }] };
 * const fp32 = costModel(g, target, uniform("fp32"));
 * const int8 = costModel(g, target, uniform("int8"));
 * equal(fp32.totals.macs, 8 * 64 * 256);
 * equal(fp32.layers[0].bound, "compute"); // 131072 MAC at 1 GMAC/s = 131 µs > 75 KB at 10 GB/s
 * equal(fp32.totals.latencySeconds / int8.totals.latencySeconds, 4);
 * ```
 *
 * @module
 */

export * from "./errors.ts";
export * from "./precision.ts";
export * from "./target.ts";
export * from "./energy.ts";
export * from "./work.ts";
export * from "./arena.ts";
export * from "./cost.ts";
export * from "./host.ts";
export * from "./fit.ts";
export type {
  AttrValue,
  Graph,
  GraphData,
  GraphDType,
  GraphTensor,
  Node,
  QuantGrid,
  ValueInfo,
} from "@lowbit/graph/ir";
