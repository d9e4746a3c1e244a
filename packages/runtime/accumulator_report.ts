/**
 * Per-layer accumulator report of an integer graph: every conv and fully connected node is
 * re-run on its actual integer inputs with a simulated narrow accumulator (see
 * `accumulator.ts`), reporting how many outputs overflow, the largest partial sum, and the
 * accumulator width the layer really needs on this data. This shows, before committing to
 * 16-bit accumulation on a DSP or a narrow-accumulator kernel, which layers would break.
 *
 * @example A layer that needs 17 bits overflows a 16-bit accumulator
 * ```ts
 * import { accumulatorReport } from "@lowbit/runtime/accumulator-report";
 * import { QuantizedTensor } from "@lowbit/runtime/quantized-tensor";
 * import { equal } from "node:assert/strict";
 * const graph = { inputName: "x", inputShape: [4], output: "fc", mode: "fixed" as const, nodes: [
 *   { op: "quantize" as const, name: "q", input: "x", out: { scale: 1, zeroPoint: 0, dtype: "int8" as const } },
 *   { op: "fullyConnected" as const, name: "fc", input: "q", activation: "none" as const,
 *     weight: QuantizedTensor.fromCodes([127, 127, 127, 127], [1, 4], "int8", 1),
 *     out: { scale: 1000, zeroPoint: 0, dtype: "int8" as const } },
 * ] };
 * const [fc] = accumulatorReport(graph, { data: new Float32Array([127, 127, 127, 127]), shape: [1, 4] }, { bits: 16, overflow: "wrap" });
 * equal(fc.overflowed, 1);
 * equal(fc.bitsNeeded, 17); // 4·127² = 64516 < 2^16
 * ```
 *
 * @module
 */

import { im2colInt8 } from "@lowbit/kernels/im2col";
import type { Conv2dParams } from "@lowbit/kernels/conv-params";
import {
  type AccumulationOptions,
  type AccumulationResult,
  requiredAccumulatorBits,
  simulateAccumulation,
} from "./accumulator.ts";
import { type IntegerGraph, runInteger } from "./graph.ts";
import type { FloatTensor } from "./onnx_quantize.ts";

/** One layer's accumulator statistics. */
export interface LayerAccumulation {
  /** Node name. */
  node: string;
  /** Number of accumulators (outputs) simulated. */
  outputs: number;
  /** How many of them overflowed the simulated width at some step. */
  overflowed: number;
  /** Largest |partial sum| seen (bias included). */
  maxAbsPartial: number;
  /** Smallest two's-complement width that holds every partial sum seen. */
  bitsNeeded: number;
}

function widthFor(maxAbs: number): number {
  return requiredAccumulatorBits(0, 0, 0, maxAbs);
}

/**
 * Simulates every conv/fully connected node of `graph` on input `x` with a narrow accumulator.
 *
 * @param graph The integer graph.
 * @param x Float input batch.
 * @param options Accumulator width and overflow mode.
 * @returns One entry per conv/fully connected node, in graph order.
 * @throws {RangeError} As {@linkcode runInteger} and `simulateAccumulation`.
 *
 * @example With 32 bits nothing overflows
 * ```ts
 * import { accumulatorReport } from "@lowbit/runtime/accumulator-report";
 * import { QuantizedTensor } from "@lowbit/runtime/quantized-tensor";
 * import { equal } from "node:assert/strict";
 * const graph = { inputName: "x", inputShape: [1, 3, 3], output: "c", mode: "fixed" as const, nodes: [
 *   { op: "quantize" as const, name: "q", input: "x", out: { scale: 1, zeroPoint: 0, dtype: "int8" as const } },
 *   { op: "conv2d" as const, name: "c", input: "q", activation: "none" as const, geometry: { padding: 1 },
 *     weight: QuantizedTensor.fromCodes(Array(9).fill(100), [1, 1, 3, 3], "int8", 1),
 *     out: { scale: 100, zeroPoint: 0, dtype: "int8" as const } },
 * ] };
 * const [c] = accumulatorReport(graph, { data: new Float32Array(9).fill(100), shape: [1, 1, 3, 3] }, { bits: 32, overflow: "wrap" });
 * equal(c.overflowed, 0);
 * equal(c.maxAbsPartial, 90000); // the centre: 9 taps of 100·100
 * ```
 */
export function accumulatorReport(
  graph: IntegerGraph,
  x: FloatTensor,
  options: Pick<AccumulationOptions, "bits" | "overflow">,
): LayerAccumulation[] {
  const { trace } = runInteger(graph, x);
  const report: LayerAccumulation[] = [];
  for (const node of graph.nodes) {
    if (node.op !== "conv2d" && node.op !== "fullyConnected") continue;
    const input = trace.get(node.input)!;
    const w = node.weight;
    const xq = input.q as Int8Array | Uint8Array, wq = w.q as Int8Array | Uint8Array;
    const zx = input.zeroPoint[0];
    const stats = { outputs: 0, overflowed: 0, maxAbs: 0 };
    const add = (r: AccumulationResult) => {
      stats.outputs += r.acc.length;
      stats.overflowed += r.overflowed;
      stats.maxAbs = Math.max(stats.maxAbs, r.maxAbsPartial);
    };
    const base = { bits: options.bits, overflow: options.overflow, aZeroPoint: zx, transB: true };
    if (node.op === "fullyConnected") {
      const [n, k] = input.shape, o = w.shape[0];
      add(simulateAccumulation(n, o, k, xq, wq, {
        ...base,
        bZeroPoint: w.perChannel ? w.zeroPoint : w.zeroPoint[0],
        bias: node.bias,
      }));
    } else {
      const [n, c, h, wd] = input.shape, [o, cg, kh, kw] = w.shape;
      const groups = node.geometry.groups ?? 1, og = o / groups, k = cg * kh * kw;
      const p: Conv2dParams = {
        batch: n,
        inChannels: c,
        height: h,
        width: wd,
        outChannels: o,
        kernelH: kh,
        kernelW: kw,
        ...node.geometry,
      };
      for (let b = 0; b < n; b++) {
        for (let g = 0; g < groups; g++) {
          const cols = im2colInt8(xq, p, b, g, { zeroPoint: zx });
          const rows = cols.length / k;
          add(simulateAccumulation(rows, og, k, cols, wq.subarray(g * og * k, (g + 1) * og * k), {
            ...base,
            bZeroPoint: w.perChannel ? w.zeroPoint.subarray(g * og, (g + 1) * og) : w.zeroPoint[0],
            bias: node.bias?.subarray(g * og, (g + 1) * og),
          }));
        }
      }
    }
    report.push({
      node: node.name,
      outputs: stats.outputs,
      overflowed: stats.overflowed,
      maxAbsPartial: stats.maxAbs,
      bitsNeeded: widthFor(stats.maxAbs),
    });
  }
  return report;
}
