/**
 * The per-layer cost model (docs/hardware.md): for each node of a shaped graph at a precision
 * assignment, MACs, BOPS (Eq. 2), weight and activation bytes, roofline latency over the
 * target's memory levels (Eq. 1), energy (Eq. 3), and for the model the totals, the memory
 * footprint (weights + peak activation arena, Eq. 4) and the host-link time of its inputs and
 * outputs (Eq. 1b).
 *
 * **Placement and reuse (the tiling assumption).** All weights live in the innermost level
 * that may hold weights and is large enough for all of them; all activations in the innermost
 * level that may hold activations and is large enough for the peak arena (if none is, the
 * outermost allowed level, and `fits` is false). Within a layer, tiling is assumed perfect:
 * every weight, input and output byte crosses its level exactly once per inference.
 *
 * @example Roofline of one fully connected layer
 * ```ts
 * import { costModel } from "@lowbit/hardware/cost";
 * import { uniform } from "@lowbit/hardware/precision";
 * import { parseTarget } from "@lowbit/hardware/target";
 * import { type Graph, zeros } from "@lowbit/graph/ir";
 * import { equal } from "node:assert/strict";
 * const s = "example";
 * const target = parseTarget({ name: "toy", description: "toy",
 *   peak: { fp32: { value: 1, unit: "GMAC/s", source: s } },
 *   memory: [{ name: "dram", kind: "dram", holds: ["weights", "activations"],
 *     bandwidth: { value: 1, unit: "GB/s", source: s } }] });
 * const g: Graph = { name: "g", opset: 17, initializers: new Map([["w", zeros("float32", [10, 100])]]),
 *   values: new Map([["y", { name: "y", dtype: "float32", shape: [1, 10] }]]),
 *   inputs: [{ name: "x", dtype: "float32", shape: [1, 100] }],
 *   outputs: [{ name: "y", dtype: "float32", shape: [1, 10] }],
 *   nodes: [{ name: "fc", op: "Gemm", inputs: ["x", "w"], outputs: ["y"], attrs: { transB: 1 } }] };
 * const c = costModel(g, target, uniform("fp32"));
 * equal(c.layers[0].macs, 1000);
 * // bytes: 4000 (w) + 400 (x) + 40 (y) = 4440 → 4.44 µs > 1000 MAC / 1 GMAC/s = 1 µs
 * equal(c.layers[0].bound, "dram");
 * equal(Math.round(c.totals.latencySeconds * 1e9), 4440);
 * ```
 *
 * @module
 */

import { type Graph, type Node, topologicalOrder } from "@lowbit/graph/ir";
import { peakArena } from "./arena.ts";
import { levelEnergyPerByte, opEnergy45, processScale, targetMacEnergy } from "./energy.ts";
import { PrecisionError } from "./errors.ts";
import {
  bitsOf,
  computePrecision,
  isFloat,
  type NodePrecision,
  type Precision,
  type PrecisionAssignment,
  precisionOf,
} from "./precision.ts";
import type { KernelTerm, MemoryLevel, SoftwareStack, Target } from "./target.ts";
import { type NodeWork, nodeWork, shapeOf } from "./work.ts";

/** Cost of one node. */
export interface LayerCost {
  /** Node name. */
  node: string;
  /** Op type. */
  op: string;
  /** Weight and activation formats. */
  precision: NodePrecision;
  /** Format of the peak used (Eq. 5). */
  computePrecision: Precision;
  /** Multiply-accumulates. */
  macs: number;
  /** Element operations. */
  elementOps: number;
  /** Bit operations, MACs · b_w · b_a (Eq. 2). */
  bops: number;
  /** Weight and bias bytes read. */
  weightBytes: number;
  /** Activation bytes read. */
  inputBytes: number;
  /** Activation bytes written. */
  outputBytes: number;
  /** (MACs + element ops) / peak or op-class rate (Eq. 1, 1c). */
  computeSeconds: number;
  /** Bytes / bandwidth per memory level that carries this layer's traffic (Eq. 1). */
  memorySeconds: Record<string, number>;
  /** max(compute, memory levels) + node overhead (Eq. 1, 1c). */
  latencySeconds: number;
  /**
   * `"compute"`, the name of the level that bounds the layer, or `"fused"` for an activation
   * the target fuses into its producer (`Target.fusedActivations`; the layer then costs that
   * entry's `seconds`, 0 unless the file gives it, and no energy).
   */
  bound: string;
  /** For a fused activation, the node it is fused into. */
  fusedInto?: string;
  /** Energy in joules (Eq. 3), without the levels listed in `unmodelled`. */
  energyJoules: number;
}

/** Cost of a model on a target. */
export interface ModelCost {
  /** Target name. */
  target: string;
  /** Per node, in topological order (views included, at zero cost). */
  layers: LayerCost[];
  /** Where weights and activations were placed. */
  placement: {
    /** Level holding the weights. */
    weights: string;
    /** Level holding the activation arena. */
    activations: string;
    /** Whether both fit their level. */
    fits: boolean;
  };
  /** Totals over the layers. */
  totals: {
    /** MACs. */
    macs: number;
    /** BOPS. */
    bops: number;
    /** Weight and bias bytes (the stored model). */
    weightBytes: number;
    /** Activation bytes read and written over all layers. */
    activationBytes: number;
    /** Peak activation arena (Eq. 4). */
    peakArenaBytes: number;
    /** Weights + peak arena. */
    footprintBytes: number;
    /** Bytes of graph inputs and outputs crossing the `io` level. */
    ioBytes: number;
    /** Time of those bytes (Eq. 1b). */
    ioSeconds: number;
    /** Σ layer latency + io time. */
    latencySeconds: number;
    /** Σ layer energy + static power · latency. */
    energyJoules: number;
  };
  /** Levels whose time or energy the model could not include (no bandwidth / energy given). */
  unmodelled: string[];
  /** The software stack priced (absent: peaks). */
  stack?: string;
}

/** Options of {@linkcode costModel}. */
export interface CostModelOptions {
  /** Bits of the integer bias of integer layers (default 32). */
  biasBits?: number;
  /**
   * Price only these nodes (default all). Placement, `weightBytes`, `peakArenaBytes` and
   * `footprintBytes` still describe the whole model.
   */
  nodes?: ReadonlySet<string>;
  /** Values crossing the target's `io` level (default: graph inputs and outputs). */
  io?: readonly string[];
  /**
   * Name of one of the target's software `stacks` (Eq. 1d): multiply-accumulate layers run at
   * peak × the stack's efficiency for their kernel kind plus its per-layer overhead, and the
   * stack's `runPower` (when given) is the power drawn while inferring: the model's energy is
   * then `runPower · latency` (+ host-link energy), Eq. 3c. Default: no stack
   * (peaks as the roofline's ceiling).
   */
  stack?: string;
}

function bytes(elements: number, bits: number): number {
  return Math.ceil(elements * bits / 8);
}

function place(levels: readonly MemoryLevel[], what: "weights" | "activations", need: number) {
  const allowed = levels.filter((l) => l.holds.includes(what));
  const fit = allowed.find((l) => l.size >= need);
  return { level: fit ?? allowed[allowed.length - 1], fits: fit !== undefined };
}

/**
 * Peak MAC/s of a target for a compute format.
 *
 * @param target The target.
 * @param p The format.
 * @param node The node asking (for the error message).
 * @returns MAC/s.
 * @throws {PrecisionError} When the target lists no peak for the format.
 *
 * @example
 * ```ts
 * import { peakOf } from "@lowbit/hardware/cost";
 * import { equal, throws } from "node:assert/strict";
 * const t = { name: "tpu", peak: { int8: 2e12 } };
 * equal(peakOf(t, "int8"), 2e12);
 * throws(() => peakOf(t, "fp32", "conv1"), /target tpu has no fp32 peak \(node conv1\)/);
 * ```
 */
export function peakOf(target: Pick<Target, "name" | "peak">, p: Precision, node?: string): number {
  const v = target.peak[p];
  if (v === undefined) throw new PrecisionError(p, target.name, node);
  return v;
}

/**
 * A node's time under a measured kernel-time model (docs/hardware.md Eq. 1e):
 * fixed + perMac · (MACs + element ops) + perWeight · weight elements (biases excluded) +
 * perInput · activation input elements + perOutput · output elements + perGroup · groups +
 * perPatch · im2col patch elements + perRow · convolution output rows (N·M·OH).
 *
 * @param terms Coefficients in seconds per feature (absent terms are 0).
 * @param w The node's work.
 * @returns Seconds.
 *
 * @example
 * ```ts
 * import { kernelTimeOf } from "@lowbit/hardware/cost";
 * import { equal } from "node:assert/strict";
 * const w = { macs: 1000, elementOps: 0, weights: [{ name: "w", elements: 100 }],
 *   inputs: [{ name: "x", elements: 10 }], outputs: [{ name: "y", elements: 10 }], view: false };
 * equal(kernelTimeOf({ fixed: 1e-6, perMac: 1e-9, perWeight: 1e-8 }, w), 1e-6 + 1e-6 + 1e-6);
 * ```
 */
export function kernelTimeOf(
  terms: Partial<Record<KernelTerm, number>>,
  w: NodeWork,
): number {
  const sum = (ts: readonly { elements: number; bias?: boolean }[]) =>
    ts.reduce((s, t) => s + (t.bias ? 0 : t.elements), 0);
  return (terms.fixed ?? 0) + (terms.perMac ?? 0) * (w.macs + w.elementOps) +
    (terms.perWeight ?? 0) * sum(w.weights) + (terms.perInput ?? 0) * sum(w.inputs) +
    (terms.perOutput ?? 0) * sum(w.outputs) + (terms.perGroup ?? 0) * (w.groups ?? 0) +
    (terms.perPatch ?? 0) * (w.patchElements ?? 0) + (terms.perRow ?? 0) * (w.outputRows ?? 0);
}

/**
 * The activations `target` fuses into their producers under `assignment`: activation node name
 * → producer node name (`Target.fusedActivations`: op and producer lists, same compute
 * format, the producer's only output read by the activation alone, not a graph output).
 */
function fusedActivations(
  graph: Graph,
  order: readonly Node[],
  target: Target,
  assignment: PrecisionAssignment,
): Map<string, string> {
  const out = new Map<string, string>();
  const fa = target.fusedActivations;
  if (fa === undefined) return out;
  const producer = new Map<string, Node>();
  const readers = new Map<string, number>();
  for (const n of order) {
    for (const o of n.outputs) if (o !== "") producer.set(o, n);
    for (const i of n.inputs) if (i !== "") readers.set(i, (readers.get(i) ?? 0) + 1);
  }
  const outputs = new Set(graph.outputs.map((v) => v.name));
  for (const n of order) {
    const cp = computePrecision(precisionOf(assignment, n.name));
    if (!fa.ops.has(n.op) || !(fa.precisions as ReadonlySet<string>).has(cp)) continue;
    const v = n.inputs[0];
    const p = v === undefined ? undefined : producer.get(v);
    if (
      p === undefined || !fa.producers.has(p.op) || outputs.has(v) || readers.get(v) !== 1 ||
      p.outputs.filter((o) => o !== "").length !== 1 ||
      computePrecision(precisionOf(assignment, p.name)) !== cp
    ) continue;
    out.set(n.name, p.name);
  }
  return out;
}

/**
 * Prices every node of a graph on a target at a precision assignment.
 *
 * @param graph The graph, with static shapes for every value (see `inferShapes`).
 * @param target The target (from `parseTarget`, `loadTarget` or `measureHost`).
 * @param assignment Formats per node.
 * @param options Bias width.
 * @returns Per-layer costs and totals.
 * @throws {CostError} For a node the model does not know (naming node and op) or a value
 *   without a static shape.
 * @throws {PrecisionError} For a compute format the target has no peak for.
 *
 * @example The same layer at int8 moves a quarter of the bytes
 * ```ts
 * import { costModel } from "@lowbit/hardware/cost";
 * import { uniform } from "@lowbit/hardware/precision";
 * import { parseTarget } from "@lowbit/hardware/target";
 * import { type Graph, zeros } from "@lowbit/graph/ir";
 * import { equal, throws } from "node:assert/strict";
 * const s = "example";
 * const target = parseTarget({ name: "toy", description: "toy",
 *   peak: { fp32: { value: 1, unit: "GMAC/s", source: s }, int8: { value: 4, unit: "GMAC/s", source: s } },
 *   memory: [{ name: "dram", kind: "dram", holds: ["weights", "activations"],
 *     bandwidth: { value: 1, unit: "GB/s", source: s } }] });
 * const g: Graph = { name: "g", opset: 17, initializers: new Map([["w", zeros("float32", [10, 100])]]),
 *   values: new Map([["y", { name: "y", dtype: "float32", shape: [1, 10] }]]),
 *   inputs: [{ name: "x", dtype: "float32", shape: [1, 100] }],
 *   outputs: [{ name: "y", dtype: "float32", shape: [1, 10] }],
 *   nodes: [{ name: "fc", op: "Gemm", inputs: ["x", "w"], outputs: ["y"], attrs: { transB: 1 } }] };
 * const c = costModel(g, target, uniform("int8"));
 * equal(c.totals.weightBytes, 1000);
 * equal(c.totals.bops, 1000 * 64);
 * throws(() => costModel(g, target, uniform("int4")), /target toy has no int4 peak \(node fc\)/);
 * ```
 */
export function costModel(
  graph: Graph,
  target: Target,
  assignment: PrecisionAssignment,
  options: CostModelOptions = {},
): ModelCost {
  const biasBits = options.biasBits ?? 32;
  let stack: SoftwareStack | undefined;
  if (options.stack !== undefined) {
    stack = Object.hasOwn(target.stacks, options.stack) ? target.stacks[options.stack] : undefined;
    if (stack === undefined) {
      const known = Object.keys(target.stacks);
      throw new RangeError(
        `options.stack: target ${target.name} has no stack ${JSON.stringify(options.stack)}; ${
          known.length === 0 ? "it lists none" : `it has ${known.join(", ")}`
        }`,
      );
    }
  }
  const order = topologicalOrder(graph);
  const works = new Map<string, NodeWork>(order.map((n) => [n.name, nodeWork(graph, n)]));

  // Storage bits of each activation value: its producer's activation format; graph inputs:
  // the widest activation format among their readers (docs/hardware.md §3).
  const valueBits = new Map<string, number>();
  for (const n of order) {
    const b = bitsOf(precisionOf(assignment, n.name).activation);
    for (const o of n.outputs) if (o !== "") valueBits.set(o, b);
  }
  for (const v of graph.inputs) {
    if (graph.initializers.has(v.name)) continue;
    let b = 0;
    for (const n of order) {
      if (n.inputs.includes(v.name)) {
        b = Math.max(b, bitsOf(precisionOf(assignment, n.name).activation));
      }
    }
    valueBits.set(v.name, b || 32);
  }
  const bitsOfValue = (v: string) => valueBits.get(v) ?? 32;
  const weightBitsOf = (p: NodePrecision, bias: boolean) =>
    bias && !isFloat(p.weight) ? biasBits : bitsOf(p.weight);

  // Weight bytes: each initializer once, at the format of its (first) reader.
  const weightSeen = new Set<string>();
  let weightTotal = 0;
  for (const n of order) {
    const p = precisionOf(assignment, n.name);
    for (const w of (works.get(n.name) as NodeWork).weights) {
      if (weightSeen.has(w.name)) continue;
      weightSeen.add(w.name);
      weightTotal += bytes(w.elements, weightBitsOf(p, w.bias === true));
    }
  }
  const elements = new Map<string, number>();
  for (const w of works.values()) {
    for (const t of [...w.inputs, ...w.outputs]) elements.set(t.name, t.elements);
  }
  const elementsOf = (v: string): number => {
    const e = elements.get(v);
    if (e !== undefined) return e;
    const s = shapeOf(graph, v);
    return s === undefined ? 0 : s.reduce((a, d) => a * d, 1);
  };
  const arena = peakArena(graph, (v) => bytes(elementsOf(v), bitsOfValue(v)));

  const wPlace = place(target.levels, "weights", weightTotal);
  const aPlace = place(target.levels, "activations", arena.peakBytes);
  const scale = processScale(target);
  const unmodelled = new Set<string>();

  const priced = options.nodes === undefined
    ? order
    : order.filter((n) => (options.nodes as ReadonlySet<string>).has(n.name));
  const fusedInto = fusedActivations(graph, order, target, assignment);
  const layers: LayerCost[] = priced.map((n) => {
    const w = works.get(n.name) as NodeWork;
    const p = precisionOf(assignment, n.name);
    const cp = computePrecision(p);
    const into = fusedInto.get(n.name);
    if (into !== undefined) {
      const s = target.fusedActivations?.seconds ?? 0;
      return {
        node: n.name,
        op: n.op,
        precision: p,
        computePrecision: cp,
        macs: w.macs,
        elementOps: w.elementOps,
        bops: w.macs * bitsOf(p.weight) * bitsOf(p.activation),
        weightBytes: 0,
        inputBytes: 0,
        outputBytes: 0,
        computeSeconds: 0,
        memorySeconds: {},
        latencySeconds: s,
        bound: "fused",
        fusedInto: into,
        energyJoules: 0,
      };
    }
    const work = w.macs + w.elementOps;
    const stackRate = stack !== undefined && w.kernel !== undefined
      ? peakOf(target, cp, n.name) * stack.efficiency[w.kernel]
      : undefined;
    const kt = stackRate === undefined && w.opClass !== undefined
      ? (w.kernel === "pointwise" ? target.kernelTime.pointwise?.[cp] : undefined) ??
        target.kernelTime[w.opClass]?.[cp]
      : undefined;
    const rate = stackRate ?? (w.opClass && target.opClassRate[w.opClass]?.[cp]) ?? undefined;
    const computeSeconds = kt !== undefined
      ? kernelTimeOf(kt, w)
      : work === 0
      ? 0
      : work / (rate ?? peakOf(target, cp, n.name));
    let weightBytes = 0;
    for (const t of w.weights) weightBytes += bytes(t.elements, weightBitsOf(p, t.bias === true));
    const inputBytes = w.view
      ? 0
      : w.inputs.reduce((s, t) => s + bytes(t.elements, bitsOfValue(t.name)), 0);
    const outputBytes = w.view
      ? 0
      : w.outputs.reduce((s, t) => s + bytes(t.elements, bitsOfValue(t.name)), 0);
    const traffic = new Map<MemoryLevel, number>();
    const add = (l: MemoryLevel, b: number) => {
      if (b > 0) traffic.set(l, (traffic.get(l) ?? 0) + b);
    };
    add(wPlace.level, weightBytes);
    add(aPlace.level, inputBytes + outputBytes);
    const memorySeconds: Record<string, number> = {};
    let latencySeconds = computeSeconds, bound = "compute";
    let energyPj = w.macs * targetMacEnergy(target, p) + w.elementOps * opEnergy45(p) * scale;
    for (const [l, b] of traffic) {
      if (l.bandwidth === undefined) unmodelled.add(`${l.name} (time)`);
      else {
        const t = b / l.bandwidth;
        memorySeconds[l.name] = t;
        if (t > latencySeconds) {
          latencySeconds = t;
          bound = l.name;
        }
      }
      const e = levelEnergyPerByte(l, scale);
      if (e === undefined) unmodelled.add(`${l.name} (energy)`);
      else energyPj += b * e;
    }
    latencySeconds += (kt !== undefined ? 0 : target.nodeOverhead) +
      (stack !== undefined && w.kernel !== undefined ? stack.layerOverhead : 0);
    const macsBits = w.macs * bitsOf(p.weight) * bitsOf(p.activation);
    return {
      node: n.name,
      op: n.op,
      precision: p,
      computePrecision: cp,
      macs: w.macs,
      elementOps: w.elementOps,
      bops: macsBits,
      weightBytes,
      inputBytes,
      outputBytes,
      computeSeconds,
      memorySeconds,
      latencySeconds,
      bound,
      energyJoules: energyPj * 1e-12,
    };
  });

  // Graph inputs and outputs crossing the io level (Eq. 1b).
  const io = target.levels.find((l) => l.holds.includes("io"));
  let ioBytes = 0, ioSeconds = 0, ioEnergyPj = 0;
  if (io !== undefined) {
    const ioNames = options.io ?? [...graph.inputs, ...graph.outputs].map((v) => v.name);
    for (const v of ioNames) {
      if (graph.initializers.has(v)) continue;
      ioBytes += bytes(elementsOf(v), bitsOfValue(v));
    }
    if (io.bandwidth === undefined) unmodelled.add(`${io.name} (time)`);
    else ioSeconds = ioBytes / io.bandwidth;
    const e = levelEnergyPerByte(io, scale);
    if (e === undefined) unmodelled.add(`${io.name} (energy)`);
    else ioEnergyPj = ioBytes * e;
  }
  // The io level also carries weights or activations placed there (Edge TPU: weights that do
  // not fit the parameter cache stream over USB); that traffic is already in the layers.
  const sum = (f: (l: LayerCost) => number) => layers.reduce((s, l) => s + f(l), 0);
  const latencySeconds = sum((l) => l.latencySeconds) + ioSeconds;
  // A stack's run power is the whole power drawn while inferring (a board measurement): it
  // includes the core's dynamic power, so the per-layer energies are not added on top (Eq. 3c).
  const energyJoules = stack?.runPower !== undefined
    ? stack.runPower * latencySeconds + ioEnergyPj * 1e-12
    : sum((l) => l.energyJoules) + ioEnergyPj * 1e-12 + target.staticPower * latencySeconds;
  return {
    target: target.name,
    layers,
    placement: {
      weights: wPlace.level.name,
      activations: aPlace.level.name,
      fits: wPlace.fits && aPlace.fits,
    },
    totals: {
      macs: sum((l) => l.macs),
      bops: sum((l) => l.bops),
      weightBytes: weightTotal,
      activationBytes: sum((l) => l.inputBytes + l.outputBytes),
      peakArenaBytes: arena.peakBytes,
      footprintBytes: weightTotal + arena.peakBytes,
      ioBytes,
      ioSeconds,
      latencySeconds,
      energyJoules,
    },
    unmodelled: [...unmodelled].sort(),
    ...(stack === undefined ? {} : { stack: stack.name }),
  };
}

/** Where {@linkcode partitionedCost} split the graph. */
export interface Partition {
  /** Nodes on the accelerator, in topological order. */
  accelerator: string[];
  /** Nodes on the fallback target. */
  fallback: string[];
  /** The first node the accelerator cannot run, and why. */
  firstUnsupported?: { node: string; op: string; reason: string };
  /** Values crossing the accelerator's `io` level (inputs, boundary tensors, outputs). */
  crossing: string[];
}

/** Cost of a graph split between an accelerator and a fallback target. */
export interface PartitionedCost {
  /** The split. */
  partition: Partition;
  /** The accelerator's part (its `io` time includes the boundary tensors). */
  accelerator: ModelCost;
  /** The fallback's part (absent when everything runs on the accelerator). */
  fallback?: ModelCost;
  /** Sum of both parts (Eq. 9). */
  latencySeconds: number;
  /** Sum of both parts. */
  energyJoules: number;
}

/**
 * Prices a graph on an accelerator that runs a prefix of it, the rest on a fallback target
 * (docs/hardware.md Eq. 9): walking the topological order, the first node whose op is not in
 * the accelerator's `supportedOps` or whose compute format it has no peak for, and every node
 * after it, run on the fallback (the Edge TPU compiler maps a single subgraph). The
 * accelerator's `io` level carries the graph inputs it reads, every value it produces that
 * the fallback reads, and the graph outputs it produces.
 *
 * @param graph The graph, with static shapes.
 * @param accelerator The accelerator target.
 * @param fallback The target running the rest (e.g. the host CPU).
 * @param assignment Formats per node.
 * @param options Bias width.
 * @returns The split and the cost of each part.
 * @throws {CostError} For a node the cost model does not know.
 * @throws {PrecisionError} When the fallback lacks a needed precision.
 *
 * @example A Softmax the accelerator lacks moves the tail to the fallback
 * ```ts
 * import { partitionedCost } from "@lowbit/hardware/cost";
 * import { uniform } from "@lowbit/hardware/precision";
 * import { parseTarget } from "@lowbit/hardware/target";
 * import { type Graph, zeros } from "@lowbit/graph/ir";
 * import { deepEqual, equal } from "node:assert/strict";
 * const s = "example";
 * const level = { name: "mem", kind: "sram" as const, holds: ["weights" as const, "activations" as const] };
 * const tpu = parseTarget({ name: "tpu", description: "d", peak: { int8: { value: 1, unit: "TMAC/s", source: s } },
 *   supportedOps: { ops: ["Gemm", "Relu"], source: s },
 *   memory: [level, { name: "usb", kind: "link", holds: ["io"], bandwidth: { value: 1, unit: "GB/s", source: s } }] });
 * const cpu = parseTarget({ name: "cpu", description: "d", peak: { int8: { value: 1, unit: "GMAC/s", source: s } },
 *   memory: [level] });
 * const g: Graph = { name: "g", opset: 17, initializers: new Map([["w", zeros("float32", [10, 100])]]),
 *   values: new Map([["h", { name: "h", dtype: "float32", shape: [1, 10] }], ["y", { name: "y", dtype: "float32", shape: [1, 10] }]]),
 *   inputs: [{ name: "x", dtype: "float32", shape: [1, 100] }],
 *   outputs: [{ name: "y", dtype: "float32", shape: [1, 10] }],
 *   nodes: [{ name: "fc", op: "Gemm", inputs: ["x", "w"], outputs: ["h"], attrs: { transB: 1 } },
 *     { name: "sm", op: "Softmax", inputs: ["h"], outputs: ["y"], attrs: {} }] };
 * const c = partitionedCost(g, tpu, cpu, uniform("int8"));
 * deepEqual([c.partition.accelerator, c.partition.fallback], [["fc"], ["sm"]]);
 * equal(c.partition.firstUnsupported?.reason, "op Softmax not supported");
 * equal(c.accelerator.totals.ioBytes, 100 + 10); // x in, h out over USB
 * equal(Math.round(c.latencySeconds * 1e9), 1 + 110 + 10); // 1000 MAC at 1 T, 110 B at 1 GB/s, 10 ops at 1 G
 * ```
 */
export function partitionedCost(
  graph: Graph,
  accelerator: Target,
  fallback: Target,
  assignment: PrecisionAssignment,
  options: { biasBits?: number } = {},
): PartitionedCost {
  const order = topologicalOrder(graph);
  let split = order.length;
  let firstUnsupported: Partition["firstUnsupported"];
  for (let i = 0; i < order.length; i++) {
    const n = order[i];
    const w = nodeWork(graph, n);
    const cp = computePrecision(precisionOf(assignment, n.name));
    let reason: string | undefined;
    if (accelerator.supportedOps !== undefined && !accelerator.supportedOps.has(n.op)) {
      reason = `op ${n.op} not supported`;
    } else if (
      w.macs + w.elementOps > 0 && accelerator.peak[cp] === undefined &&
      (w.opClass === undefined || accelerator.opClassRate[w.opClass]?.[cp] === undefined)
    ) reason = `no ${cp} peak`;
    if (reason !== undefined) {
      split = i;
      firstUnsupported = { node: n.name, op: n.op, reason };
      break;
    }
  }
  const accel = order.slice(0, split), rest = order.slice(split);
  const accelNames = new Set(accel.map((n) => n.name));
  const produced = new Set(accel.flatMap((n) => n.outputs));
  const crossing = new Set<string>();
  for (const n of accel) {
    for (const v of n.inputs) {
      if (graph.inputs.some((i) => i.name === v) && !graph.initializers.has(v)) crossing.add(v);
    }
  }
  for (const n of rest) for (const v of n.inputs) if (produced.has(v)) crossing.add(v);
  for (const o of graph.outputs) if (produced.has(o.name)) crossing.add(o.name);
  const accelCost = costModel(graph, accelerator, assignment, {
    ...options,
    nodes: accelNames,
    io: [...crossing],
  });
  const fallbackCost = rest.length === 0 ? undefined : costModel(graph, fallback, assignment, {
    ...options,
    nodes: new Set(rest.map((n) => n.name)),
    io: [],
  });
  return {
    partition: {
      accelerator: accel.map((n) => n.name),
      fallback: rest.map((n) => n.name),
      ...(firstUnsupported === undefined ? {} : { firstUnsupported }),
      crossing: [...crossing],
    },
    accelerator: accelCost,
    ...(fallbackCost === undefined ? {} : { fallback: fallbackCost }),
    latencySeconds: accelCost.totals.latencySeconds + (fallbackCost?.totals.latencySeconds ?? 0),
    energyJoules: accelCost.totals.energyJoules + (fallbackCost?.totals.energyJoules ?? 0),
  };
}
