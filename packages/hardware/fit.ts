/**
 * Fitting a software stack's kernel efficiencies (docs/hardware.md Eq. 1d, §10) to measured
 * end-to-end latencies: with the target's peaks as the ceiling, each model's time splits into
 * the MAC time of each kernel kind at peak, A_k (conv, depthwise, pointwise, gemm), and the
 * rest c (element-wise ops, pooling, host link). A stack that reaches a fraction e_k of peak
 * on kind k takes
 *
 * ```
 * t ≈ Σ_k A_k / e_k + c
 * ```
 *
 * {@linkcode fitStackEfficiency} finds x_k = 1/e_k ≥ 1 minimizing the squared relative errors
 * Σ_i ((Σ_k A_ik x_k + c_i) / t_i − 1)², exactly: a convex problem whose minimum has some set
 * of kinds at the bound x = 1 and the others at the unconstrained least-squares solution, so
 * every subset is tried (at most 2⁴) and the best feasible candidate kept. Columns that are
 * linearly dependent (two kinds always in the same proportion) make the split undetermined:
 * tie them into one group. With as many points as kinds the fit
 * reproduces them exactly; only points left out of the fit test the model.
 *
 * @example Two one-layer graphs at a known efficiency are recovered
 * ```ts
 * import { fitStackEfficiency, kernelSeconds } from "@lowbit/hardware/fit";
 * import { parseTarget } from "@lowbit/hardware/target";
 * import { uniform } from "@lowbit/hardware/precision";
 * import { type Graph, zeros } from "@lowbit/graph/ir";
 * import { ok } from "node:assert/strict";
 * const s = "example";
 * const t = parseTarget({ name: "mcu", description: "d", peak: { int8: { value: 1, unit: "GMAC/s", source: s } },
 *   memory: [{ name: "ram", kind: "sram", holds: ["weights", "activations"] }] });
 * const fc = (k: number): Graph => ({ name: "g", opset: 17, initializers: new Map([["w", zeros("float32", [10, k])]]),
 *   values: new Map([["y", { name: "y", dtype: "float32", shape: [1, 10] }]]),
 *   inputs: [{ name: "x", dtype: "float32", shape: [1, k] }], outputs: [{ name: "y", dtype: "float32", shape: [1, 10] }],
 *   nodes: [{ name: "fc", op: "Gemm", inputs: ["x", "w"], outputs: ["y"], attrs: { transB: 1 } }] });
 * const a = uniform("int8");
 * ok(Math.abs(kernelSeconds(fc(100), t, a).byKind.gemm - 1e-6) < 1e-15); // 1000 MAC at 1 GMAC/s
 * // measured: 4× the peak time (efficiency 0.25)
 * const fit = fitStackEfficiency([{ graph: fc(100), assignment: a, seconds: 4e-6 },
 *   { graph: fc(300), assignment: a, seconds: 12e-6 }], t, ["gemm"]);
 * ok(Math.abs((fit.efficiency.gemm ?? 0) - 0.25) < 1e-9);
 * ```
 *
 * @module
 */

import type { Graph } from "@lowbit/graph/ir";
import { costModel } from "./cost.ts";
import type { PrecisionAssignment } from "./precision.ts";
import { KERNEL_KINDS, type KernelKind, type Target } from "./target.ts";
import { nodeWork } from "./work.ts";
import { boundedLeastSquares } from "./_lsq.ts";

/** A model's time split by kernel kind at peak (the A_k and c of the module doc). */
export interface KernelSeconds {
  /** Σ over MAC layers of kind k of (MACs + element ops) / peak, seconds. */
  byKind: Record<KernelKind, number>;
  /** Latency of every other node plus the host-link time, seconds. */
  rest: number;
}

/**
 * Splits a model's modelled time at peak into its kernel kinds.
 *
 * @param graph The graph, with static shapes.
 * @param target The target (its peaks; no stack).
 * @param assignment Formats per node.
 * @returns Seconds per kernel kind at peak and the rest.
 * @throws {CostError} / {PrecisionError} As `costModel`.
 *
 * @example
 * ```ts
 * import { kernelSeconds } from "@lowbit/hardware/fit";
 * import { parseTarget } from "@lowbit/hardware/target";
 * import { uniform } from "@lowbit/hardware/precision";
 * import { type Graph, zeros } from "@lowbit/graph/ir";
 * import { equal } from "node:assert/strict";
 * const s = "example";
 * const t = parseTarget({ name: "mcu", description: "d", peak: { int8: { value: 1, unit: "GMAC/s", source: s } },
 *   memory: [{ name: "ram", kind: "sram", holds: ["weights", "activations"] }] });
 * const g: Graph = { name: "g", opset: 17, initializers: new Map([["w", zeros("float32", [4, 2, 1, 1])]]),
 *   values: new Map([["y", { name: "y", dtype: "float32", shape: [1, 4, 5, 5] }], ["z", { name: "z", dtype: "float32", shape: [1, 4, 5, 5] }]]),
 *   inputs: [{ name: "x", dtype: "float32", shape: [1, 2, 5, 5] }], outputs: [{ name: "z", dtype: "float32", shape: [1, 4, 5, 5] }],
 *   nodes: [{ name: "pw", op: "Conv", inputs: ["x", "w"], outputs: ["y"], attrs: {} },
 *     { name: "r", op: "Relu", inputs: ["y"], outputs: ["z"], attrs: {} }] };
 * const k = kernelSeconds(g, t, uniform("int8"));
 * equal(Math.round(k.byKind.pointwise * 1e9), 200); // 4·25·2 MAC
 * equal(Math.round(k.rest * 1e9), 100); // 100 ReLU ops
 * ```
 */
export function kernelSeconds(
  graph: Graph,
  target: Target,
  assignment: PrecisionAssignment,
): KernelSeconds {
  const c = costModel(graph, target, assignment);
  const byKind: Record<KernelKind, number> = { conv: 0, depthwise: 0, pointwise: 0, gemm: 0 };
  let rest = c.totals.ioSeconds;
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  for (const l of c.layers) {
    const n = byName.get(l.node);
    const kind = n === undefined ? undefined : nodeWork(graph, n).kernel;
    if (kind === undefined) rest += l.latencySeconds;
    else byKind[kind] += l.computeSeconds;
  }
  return { byKind, rest };
}

/** One measured latency for {@linkcode fitStackEfficiency}. */
export interface FitPoint {
  /** The model. */
  graph: Graph;
  /** Its formats. */
  assignment: PrecisionAssignment;
  /** Measured end-to-end seconds. */
  seconds: number;
}

/** Result of {@linkcode fitStackEfficiency}. */
export interface StackFit {
  /** Fitted fraction of peak per kernel kind asked for. */
  efficiency: Partial<Record<KernelKind, number>>;
  /** Kinds whose efficiency hit the bound 1 (the data ask for more than peak). */
  atPeak: KernelKind[];
  /** Per point, modelled (linear form) / measured − 1 at the fit. */
  relativeErrors: number[];
  /** Linear systems solved (one per subset of free kinds). */
  solves: number;
}

/**
 * Fits per-kernel-kind efficiencies to measured latencies (the module doc's least squares).
 *
 * @param points Measured models (at least one).
 * @param target The target whose peaks are the ceiling.
 * @param kinds Kernel kinds to fit (default all four), each entry one efficiency: a list of
 *   kinds shares one (e.g. `[["depthwise", "pointwise"]]` when the data cannot tell the two
 *   layers of a separable block apart); kinds not listed stay at peak.
 * @returns Efficiencies in (0, 1], the kinds at the bound, relative errors.
 * @throws {RangeError} For no points, a non-positive or non-finite `seconds`, a kind no point
 *   has MACs of, or a point whose non-MAC time alone exceeds its measurement.
 *
 * @example A kind without MACs cannot be fitted
 * ```ts
 * import { fitStackEfficiency } from "@lowbit/hardware/fit";
 * import { parseTarget } from "@lowbit/hardware/target";
 * import { uniform } from "@lowbit/hardware/precision";
 * import { type Graph, zeros } from "@lowbit/graph/ir";
 * import { throws } from "node:assert/strict";
 * const s = "example";
 * const t = parseTarget({ name: "mcu", description: "d", peak: { int8: { value: 1, unit: "GMAC/s", source: s } },
 *   memory: [{ name: "ram", kind: "sram", holds: ["weights", "activations"] }] });
 * const g: Graph = { name: "g", opset: 17, initializers: new Map([["w", zeros("float32", [10, 100])]]),
 *   values: new Map([["y", { name: "y", dtype: "float32", shape: [1, 10] }]]),
 *   inputs: [{ name: "x", dtype: "float32", shape: [1, 100] }], outputs: [{ name: "y", dtype: "float32", shape: [1, 10] }],
 *   nodes: [{ name: "fc", op: "Gemm", inputs: ["x", "w"], outputs: ["y"], attrs: { transB: 1 } }] };
 * throws(() => fitStackEfficiency([{ graph: g, assignment: uniform("int8"), seconds: 1e-5 }], t),
 *   /points: no point has conv MACs/);
 * ```
 */
export function fitStackEfficiency(
  points: readonly FitPoint[],
  target: Target,
  kinds: readonly (KernelKind | readonly KernelKind[])[] = KERNEL_KINDS,
): StackFit {
  const groups = kinds.map((g) => (typeof g === "string" ? [g] : [...g]) as KernelKind[]);
  const listed = groups.flat();
  if (points.length === 0) throw new RangeError("points: at least one measured point is needed");
  for (const [i, p] of points.entries()) {
    if (!Number.isFinite(p.seconds) || p.seconds <= 0) {
      throw new RangeError(`points[${i}].seconds: must be a positive number, got ${p.seconds}`);
    }
  }
  for (const k of listed) {
    if (!KERNEL_KINDS.includes(k)) {
      throw new RangeError(`kinds: unknown kernel kind ${JSON.stringify(k)}`);
    }
    if (listed.indexOf(k) !== listed.lastIndexOf(k)) {
      throw new RangeError(`kinds: ${k} is listed twice`);
    }
  }
  const split = points.map((p) => kernelSeconds(p.graph, target, p.assignment));
  // a[i][j] = A_ij / t_i for the fitted kinds; b[i] = (fixed time) / t_i − 1
  const a = split.map((s, i) =>
    groups.map((g) => g.reduce((sum, k) => sum + s.byKind[k], 0) / points[i].seconds)
  );
  const b = split.map((s, i) => {
    let fixed = s.rest;
    for (const k of KERNEL_KINDS) if (!listed.includes(k)) fixed += s.byKind[k];
    if (fixed >= points[i].seconds) {
      throw new RangeError(
        `points[${i}]: the time outside the fitted kinds (${fixed} s) is not below the measured ${
          points[i].seconds
        } s`,
      );
    }
    return fixed / points[i].seconds - 1;
  });
  const norms = groups.map((_, j) => a.reduce((s, row) => s + row[j] ** 2, 0));
  groups.forEach((g, j) => {
    if (norms[j] === 0) throw new RangeError(`points: no point has ${g.join(" or ")} MACs`);
  });
  // min ‖a x + b‖² = ‖a x − (−b)‖², x ≥ 1 (exact active-set solution, _lsq.ts)
  const sol = boundedLeastSquares(a, b.map((v) => -v), groups.map(() => 1));
  if (sol === undefined) {
    throw new RangeError(
      "points: the kernel kinds are linearly dependent; tie them into one group",
    );
  }
  const { x, solves } = sol;
  const residual = () => sol.residuals;
  const efficiency: Partial<Record<KernelKind, number>> = {};
  const atPeak: KernelKind[] = [];
  groups.forEach((g, j) => {
    for (const k of g) {
      efficiency[k] = 1 / x[j];
      if (x[j] === 1) atPeak.push(k);
    }
  });
  return { efficiency, atPeak, relativeErrors: residual(), solves };
}
