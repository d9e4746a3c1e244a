/**
 * The white paper's standard post-training quantization pipeline (Nagel et al. 2021, §4.1 and
 * Fig. 7): cross-layer equalization → add quantizers → weight ranges → AdaRound or bias
 * correction → activation ranges, as one call over a float graph.
 *
 * Each step is a function of `@lowbit/ptq` that can also be used alone:
 * {@linkcode equalizeCrossLayer}, {@linkcode quantizeStatic} (weights and activation grids),
 * {@linkcode adaround}, {@linkcode correctBias}.
 *
 * @module
 */

import type { Graph, TensorInput } from "@lowbit/graph";
import { adaround, type AdaRoundOptions, type AdaRoundResult } from "./adaround.ts";
import { type BiasCorrection, correctBias } from "./bias_correction.ts";
import { equalizeCrossLayer, type EqualizedPair, type EqualizeOptions } from "./equalize.ts";
import { type ActivationQuantOptions, type NodeOverride, quantizeStatic } from "./static.ts";
import { weightCodeRange, type WeightQuantOptions } from "./weights.ts";

/** Options of {@linkcode ptqPipeline}. */
export interface PtqPipelineOptions {
  /** Cross-layer equalization first (default true; options are passed on). */
  equalize?: boolean | EqualizeOptions;
  /** Weight grid (default int8 per-channel; `bits` 2..8). */
  weights?: WeightQuantOptions;
  /** Activation grids (default uint8 min-max). */
  activations?: ActivationQuantOptions;
  /**
   * `"adaround"` learns every weight's rounding (default below 8 bits, as the white paper
   * recommends); `"bias-correction"` rounds to nearest and corrects the biases (default at 8
   * bits); `"nearest"` does neither.
   */
  rounding?: "adaround" | "bias-correction" | "nearest";
  /** Options of the AdaRound step (bits and granularity come from `weights`). */
  adaround?: Omit<AdaRoundOptions, "bits" | "granularity" | "activations">;
  /** Called at the start of each step with its name. */
  onStep?: (step: "equalize" | "adaround" | "quantize" | "bias-correction") => void;
}

/** What {@linkcode ptqPipeline} did. */
export interface PtqPipelineResult {
  /** The quantized QDQ graph. */
  graph: Graph;
  /** The float graph after equalization (the reference the quantized graph approximates). */
  float: Graph;
  /** Equalized pairs (empty when equalization was off). */
  pairs: EqualizedPair[];
  /** AdaRound's per-layer report, when it ran. */
  adaround?: AdaRoundResult;
  /** Bias corrections, when they ran. */
  biasCorrections?: BiasCorrection[];
  /** The rounding used. */
  rounding: "adaround" | "bias-correction" | "nearest";
}

/**
 * Runs the standard PTQ pipeline on a float graph (batch norms folded, e.g. by `optimize`).
 *
 * @param graph The float graph.
 * @param calibration Calibration inputs (at least one; a list, since several steps read it).
 * @param options Steps and their options.
 * @returns The quantized graph with what each step did.
 * @throws {RangeError} For an empty calibration list, an unknown `rounding` or weight bits
 *   outside 2..8 (naming `weights.bits`).
 *
 * @example W4A8: equalization, then AdaRound, on a two-layer graph
 * ```ts
 * import { ptqPipeline } from "@lowbit/ptq/pipeline";
 * import { tensor, type Graph } from "@lowbit/graph/ir";
 * import { deepEqual, equal } from "node:assert/strict";
 * const g: Graph = { name: "g", opset: 13, values: new Map(),
 *   initializers: new Map([["w1", tensor("float32", [3, 2], [0.3, -1, 20, 4, 0.01, 0.7])],
 *     ["w2", tensor("float32", [1, 3], [1, 0.05, 3])]]),
 *   inputs: [{ name: "x", dtype: "float32", shape: [1, 2] }],
 *   outputs: [{ name: "y", dtype: "float32", shape: [1, 1] }],
 *   nodes: [
 *     { name: "a", op: "Gemm", inputs: ["x", "w1"], outputs: ["h"], attrs: { transB: 1 } },
 *     { name: "relu", op: "Relu", inputs: ["h"], outputs: ["r"], attrs: {} },
 *     { name: "b", op: "Gemm", inputs: ["r", "w2"], outputs: ["y"], attrs: { transB: 1 } },
 *   ] };
 * const calibration = [1, 2, 3, 4].map((k) => ({ x: { data: Float32Array.of(k / 4, 1 - k / 4), shape: [1, 2] } }));
 * const r = await ptqPipeline(g, calibration, { weights: { bits: 4 }, adaround: { iterations: 20, seed: 0 } });
 * equal(r.rounding, "adaround");
 * deepEqual(r.pairs.map((p) => [p.first, p.second]), [["a", "b"]]);
 * deepEqual(r.adaround?.layers.map((l) => l.node), ["a", "b"]);
 * ```
 */
export async function ptqPipeline(
  graph: Graph,
  calibration: readonly Record<string, TensorInput>[],
  options: PtqPipelineOptions = {},
): Promise<PtqPipelineResult> {
  if (!Array.isArray(calibration) || calibration.length === 0) {
    throw new RangeError("calibration must hold at least one input");
  }
  const { bits } = weightCodeRange(options.weights ?? {});
  const rounding = options.rounding ?? (bits < 8 ? "adaround" : "bias-correction");
  if (rounding !== "adaround" && rounding !== "bias-correction" && rounding !== "nearest") {
    throw new RangeError(
      `options.rounding must be "adaround", "bias-correction" or "nearest", got ${
        String(rounding)
      }`,
    );
  }
  let float = graph;
  let pairs: EqualizedPair[] = [];
  if (options.equalize !== false) {
    options.onStep?.("equalize");
    const eq = equalizeCrossLayer(graph, options.equalize === true ? {} : options.equalize ?? {});
    float = eq.graph;
    pairs = eq.pairs;
  }
  const weights = options.weights ?? {};
  const activations = options.activations ?? {};
  let nodes: Record<string, NodeOverride> | undefined;
  let ada: AdaRoundResult | undefined;
  if (rounding === "adaround") {
    options.onStep?.("adaround");
    ada = await adaround(float, calibration, {
      ...options.adaround,
      bits,
      granularity: weights.granularity ?? "per-channel",
      activations,
    });
    nodes = ada.overrides;
  }
  options.onStep?.("quantize");
  let q = await quantizeStatic(float, calibration, {
    weights: { ...weights, bits },
    activations,
    ...(nodes ? { nodes } : {}),
  });
  let biasCorrections: BiasCorrection[] | undefined;
  if (rounding === "bias-correction") {
    options.onStep?.("bias-correction");
    const bc = correctBias(float, q, calibration);
    q = bc.graph;
    biasCorrections = bc.corrections;
  }
  return {
    graph: q,
    float,
    pairs,
    rounding,
    ...(ada ? { adaround: ada } : {}),
    ...(biasCorrections ? { biasCorrections } : {}),
  };
}
