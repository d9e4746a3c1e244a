/**
 * The ILP's input table for a model: per weight layer and candidate bit pair, HAWQ v3's
 * Ω = Tr(H)/n · ‖Q_b(W) − W‖², the weight size n·b_w, BOPS = MACs·b_w·b_a, and optionally the
 * latency and energy of `@lowbit/hardware`'s cost model on a target.
 *
 * The cost model knows the formats int4, int8, fp16, fp32 and binary. A candidate is priced at
 * the narrowest of them that holds its bits ({@linkcode hardwarePrecision}: 2- and 3-bit
 * weights run and are stored as int4, 6-bit as int8), which is how such widths execute on
 * targets whose narrowest integer kernels are 4-bit (HAWQ v3 deploys 4/8-bit on a T4). Each
 * layer is priced with every node at the candidate's formats (so its input arrives at the
 * candidate's activation width); the table is separable, as the ILP assumes, and the latency it
 * sums covers the weight layers only (batch norm, pools and activations are not choices).
 *
 * @example
 * ```ts
 * import { choiceTable, layerMacs } from "@lowbit/mixed/costs";
 * import { fromNn } from "@lowbit/graph/from-nn";
 * import { mnistCnn } from "@lowbit/nn/models";
 * import { deepEqual, equal } from "node:assert/strict";
 * const model = mnistCnn(0).eval();
 * const graph = fromNn(model, { inputShape: [1, 1, 28, 28] });
 * const macs = layerMacs(graph, ["conv1", "conv2", "fc"]);
 * deepEqual(macs, [28 * 28 * 8 * 25, 14 * 14 * 16 * 8 * 25, 7840]);
 * const table = choiceTable(model, [1, 1, 1], [{ weightBits: 4, activationBits: 8 }], { macs });
 * equal(table[1].choices[0].sizeBits, 3200 * 4);
 * equal(table[0].choices[0].bops, macs[0] * 32);
 * ```
 *
 * @module
 */

import type { Graph } from "@lowbit/graph/ir";
import { costModel } from "@lowbit/hardware/cost";
import type { NodePrecision, Precision } from "@lowbit/hardware/precision";
import type { Target } from "@lowbit/hardware/target";
import { nodeWork } from "@lowbit/hardware/work";
import type { Module } from "@lowbit/nn/module";
import type { Choice, LayerChoices } from "./allocate.ts";
import { quantizationError, weightLayers } from "./sensitivity.ts";

/** A candidate bit pair of every layer. */
export interface Candidate {
  /** Weight bits (2..16). */
  weightBits: number;
  /** Activation bits. */
  activationBits: number;
}

/**
 * The cost-model format a bit width runs at: 1 → binary, 2..4 → int4, 5..8 → int8,
 * 9..16 → fp16, 17..32 → fp32.
 *
 * @param bits Bits per element.
 * @returns The format.
 * @throws {RangeError} Outside 1..32.
 *
 * @example
 * ```ts
 * import { hardwarePrecision } from "@lowbit/mixed/costs";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([1, 2, 3, 4, 6, 8, 16].map(hardwarePrecision), ["binary", "int4", "int4", "int4", "int8", "int8", "fp16"]);
 * ```
 */
export function hardwarePrecision(bits: number): Precision {
  if (!Number.isInteger(bits) || bits < 1 || bits > 32) {
    throw new RangeError(`bits must be an integer in [1, 32]; got ${bits}`);
  }
  return bits === 1
    ? "binary"
    : bits <= 4
    ? "int4"
    : bits <= 8
    ? "int8"
    : bits <= 16
    ? "fp16"
    : "fp32";
}

function nodeOf(graph: Graph, name: string, what: string) {
  const n = graph.nodes.find((x) => x.name === name);
  if (n === undefined) throw new RangeError(`${what}: graph ${graph.name} has no node ${name}`);
  return n;
}

/**
 * Multiply-accumulates of named nodes (`@lowbit/hardware`'s `nodeWork`).
 *
 * @param graph A shaped graph (e.g. `fromNn(model, { inputShape })`: node names are layer paths).
 * @param names Node names.
 * @returns MACs per name.
 * @throws {RangeError} Naming a missing node.
 *
 * @example See the module example.
 * ```ts
 * import { layerMacs } from "@lowbit/mixed/costs";
 * import { fromNn } from "@lowbit/graph/from-nn";
 * import { mnistCnn } from "@lowbit/nn/models";
 * import { deepEqual, throws } from "node:assert/strict";
 * const g = fromNn(mnistCnn(0).eval(), { inputShape: [2, 1, 28, 28] });
 * deepEqual(layerMacs(g, ["fc"]), [2 * 7840]);
 * throws(() => layerMacs(g, ["fc2"]), /names\[0\]: graph nn has no node fc2/);
 * ```
 */
export function layerMacs(graph: Graph, names: readonly string[]): number[] {
  return names.map((n, i) => nodeWork(graph, nodeOf(graph, n, `names[${i}]`)).macs);
}

/** Latency and energy per layer and candidate. */
export interface HardwareCosts {
  /** MACs per layer. */
  macs: number[];
  /** Seconds, `[layer][candidate]`. */
  latencySeconds: number[][];
  /** Joules, `[layer][candidate]`. */
  energyJoules: number[][];
}

/**
 * Prices every named layer at every candidate with `@lowbit/hardware`'s `costModel` (see the
 * module doc for the format mapping and separability).
 *
 * @param graph A shaped graph whose node names include `names`.
 * @param target The target (e.g. `loadTarget("hardware/nvidia-t4.json")`).
 * @param names The weight layers' node names.
 * @param candidates The candidate bit pairs.
 * @returns MACs, latency and energy tables.
 * @throws {RangeError} Naming a missing node or a bad bit width.
 * @throws {PrecisionError} (from `@lowbit/hardware`) if the target has no peak for a format.
 *
 * @example On a T4, 4-bit weights move half the bytes of 8-bit ones
 * ```ts
 * import { hardwareCosts } from "@lowbit/mixed/costs";
 * import { fromNn } from "@lowbit/graph/from-nn";
 * import { loadTarget } from "@lowbit/hardware/target";
 * import { mnistCnn } from "@lowbit/nn/models";
 * import { ok } from "node:assert/strict";
 * const t4 = await loadTarget(new URL("../../hardware/nvidia-t4.json", import.meta.url));
 * const g = fromNn(mnistCnn(0).eval(), { inputShape: [256, 1, 28, 28] });
 * const c = hardwareCosts(g, t4, ["conv2"], [{ weightBits: 4, activationBits: 4 }, { weightBits: 8, activationBits: 8 }]);
 * ok(c.latencySeconds[0][0] < c.latencySeconds[0][1]);
 * ok(c.energyJoules[0][0] < c.energyJoules[0][1]);
 * ```
 */
export function hardwareCosts(
  graph: Graph,
  target: Target,
  names: readonly string[],
  candidates: readonly Candidate[],
): HardwareCosts {
  names.forEach((n, i) => nodeOf(graph, n, `names[${i}]`));
  const latencySeconds = names.map(() => new Array<number>(candidates.length));
  const energyJoules = names.map(() => new Array<number>(candidates.length));
  const macs = layerMacs(graph, names);
  candidates.forEach((c, j) => {
    const p: NodePrecision = {
      weight: hardwarePrecision(c.weightBits),
      activation: hardwarePrecision(c.activationBits),
    };
    const cost = costModel(graph, target, { default: p }, { nodes: new Set(names) });
    const byName = new Map(cost.layers.map((l) => [l.node, l]));
    names.forEach((n, i) => {
      const l = byName.get(n);
      if (l === undefined) throw new RangeError(`names[${i}]: the cost model did not price ${n}`);
      latencySeconds[i][j] = l.latencySeconds;
      energyJoules[i][j] = l.energyJoules;
    });
  });
  return { macs, latencySeconds, energyJoules };
}

/** Options of {@linkcode choiceTable}. */
export interface ChoiceTableOptions {
  /** MACs per weight layer (from {@linkcode layerMacs} or {@linkcode hardwareCosts}). */
  macs: readonly number[];
  /** Latency `[layer][candidate]` (from {@linkcode hardwareCosts}). */
  latencySeconds?: readonly (readonly number[])[];
  /** Energy `[layer][candidate]`. */
  energyJoules?: readonly (readonly number[])[];
}

/**
 * The ILP's table for a model: one entry per weight layer (`weightLayers` order), one choice
 * per candidate, Ω from the layer's trace and the min-max per-channel grid of QAT.
 *
 * @param model The model (its current weights define ‖Q_b(W) − W‖²).
 * @param traces Tr(H_i) per weight layer (e.g. `hutchinsonTrace(...).map((t) => t.trace)`).
 * @param candidates The candidate bit pairs.
 * @param options MACs and optional latency/energy tables.
 * @returns The layers for `allocateBits`.
 * @throws {RangeError} If a table's length does not match the layers or candidates.
 *
 * @example See the module example.
 * ```ts
 * import { choiceTable } from "@lowbit/mixed/costs";
 * import { Linear } from "@lowbit/nn/linear";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { ok, throws } from "node:assert/strict";
 * const fc = new Linear(3, 1, { random: new Philox(0) });
 * fc.weight.data.set([1, 0.4, -0.6]);
 * const [l] = choiceTable(fc, [6], [{ weightBits: 2, activationBits: 8 }], { macs: [3] });
 * ok(Math.abs(l.choices[0].omega - 6 / 3 * 0.32) < 1e-6);
 * throws(() => choiceTable(fc, [6, 1], [{ weightBits: 2, activationBits: 8 }], { macs: [3] }), /traces has 2 entries/);
 * ```
 */
export function choiceTable(
  model: Module,
  traces: readonly number[],
  candidates: readonly Candidate[],
  options: ChoiceTableOptions,
): LayerChoices[] {
  const layers = weightLayers(model);
  const n = layers.length;
  const check = (name: string, len: number, want: number, what: string) => {
    if (len !== want) {
      throw new RangeError(`${name} has ${len} entries; the model has ${want} ${what}`);
    }
  };
  check("traces", traces.length, n, "weight layers");
  check("options.macs", options.macs.length, n, "weight layers");
  if (candidates.length === 0) throw new RangeError("candidates must list at least one pair");
  for (
    const [key, t] of [["latencySeconds", options.latencySeconds], [
      "energyJoules",
      options.energyJoules,
    ]] as const
  ) {
    if (t === undefined) continue;
    check(`options.${key}`, t.length, n, "weight layers");
    t.forEach((r, i) => check(`options.${key}[${i}]`, r.length, candidates.length, "candidates"));
  }
  return layers.map((l, i) => {
    const err = new Map<number, number>();
    return {
      name: l.name,
      choices: candidates.map((c, j): Choice => {
        if (!err.has(c.weightBits)) err.set(c.weightBits, quantizationError(l.layer, c.weightBits));
        const choice: Choice = {
          weightBits: c.weightBits,
          activationBits: c.activationBits,
          omega: (traces[i] / l.size) * (err.get(c.weightBits) as number),
          sizeBits: l.size * c.weightBits,
          bops: options.macs[i] * c.weightBits * c.activationBits,
        };
        if (options.latencySeconds) choice.latencySeconds = options.latencySeconds[i][j];
        if (options.energyJoules) choice.energyJoules = options.energyJoules[i][j];
        return choice;
      }),
    };
  });
}
