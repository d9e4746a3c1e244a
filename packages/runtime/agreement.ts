/**
 * The agreement report: the same model run in float32, as simulated quantization (float32
 * with every value on its integer grid) and integer-only, compared layer by layer in integer
 * units (multiples of the layer's output scale) and by top-1 class.
 *
 * For each node of the integer graph it records
 * - `simulated`: the distribution of `|q_int − q_sim|` with both paths run end to end
 *   (differences may propagate from earlier layers);
 * - `isolated`: the same with the simulated layer fed the integer path's own input, so only
 *   that layer's arithmetic differs — the contract is `max ≤ 1`;
 * - `floatMax`: `max |(float − S·(q_int − Z)) / S|`, how far the float model is from the
 *   integer one in units of S.
 *
 * @example
 * ```ts
 * import { agreementReport, formatAgreementReport } from "@lowbit/runtime/agreement";
 * import { convertModel } from "@lowbit/runtime/convert";
 * import { ok } from "node:assert/strict";
 * const model = { inputShape: [2], layers: [
 *   { kind: "linear" as const, name: "fc", weight: new Float32Array([1, 1, 1, -1]), outFeatures: 2 },
 * ] };
 * const x = { data: new Float32Array([1, 2, -1, 3, 2, 2, 0.5, -0.25]), shape: [4, 2] };
 * const graph = convertModel(model, [x]);
 * const r = agreementReport(model, graph, x);
 * ok(r.layers.every((l) => l.isolated.max <= 1));
 * ok(formatAgreementReport(r).includes("fc"));
 * ```
 *
 * @module
 */

import { type IntegerGraph, runInteger, runSimulated } from "./graph.ts";
import { type FloatModel, foldBatchNorm, runFloat } from "./model.ts";
import type { FloatTensor } from "./onnx_quantize.ts";
import type { QuantizedTensor } from "./quantized_tensor.ts";

/** A distribution of absolute differences in integer units. */
export interface DiffStats {
  /** Largest difference. */
  max: number;
  /** How many elements differ by exactly 0, 1, and more than 1. */
  counts: { zero: number; one: number; more: number };
}

/** One node's comparison. */
export interface LayerAgreement {
  /** Node name. */
  node: string;
  /** The float layer it corresponds to. */
  floatRef: string;
  /** Output scale S. */
  scale: number;
  /** Integer vs simulated, both end to end. */
  simulated: DiffStats;
  /** Integer vs simulated with the integer path's inputs. */
  isolated: DiffStats;
  /** Largest |float − integer| in units of S. */
  floatMax: number;
}

/** Result of {@linkcode agreementReport}. */
export interface AgreementReport {
  /** Per node. */
  layers: LayerAgreement[];
  /** Number of examples. */
  count: number;
  /**
   * Fraction (0…1) of rows whose top-1 classes agree, where a row is one position of the
   * output's last axis: one per example for an `[N, classes]` output, `N·C·H` of them for an
   * `[N, C, H, W]` output.
   */
  top1: { floatVsInteger: number; simulatedVsInteger: number; floatVsSimulated: number };
  /** Number of rows the top-1 fractions count (equals `count` for `[N, classes]` outputs). */
  rows: number;
  /** Accuracy of each path when labels are given (only for `[N, classes]` outputs). */
  accuracy?: { float: number; simulated: number; integer: number };
}

function diff(a: QuantizedTensor, b: FloatTensor): DiffStats {
  const s = a.scale[0], z = a.zeroPoint[0];
  const q = a.codes();
  let max = 0, zero = 0, one = 0, more = 0;
  for (let i = 0; i < q.length; i++) {
    const d = Math.abs(q[i] - (Math.round(b.data[i] / s) + z));
    max = Math.max(max, d);
    if (d === 0) zero++;
    else if (d === 1) one++;
    else more++;
  }
  return { max, counts: { zero, one, more } };
}

function argmaxRows(data: ArrayLike<number>, n: number): Int32Array {
  const rows = data.length / n, out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let j = 1; j < n; j++) if (data[r * n + j] > data[r * n + best]) best = j;
    out[r] = best;
  }
  return out;
}

function merge(a: DiffStats | undefined, b: DiffStats): DiffStats {
  if (!a) return b;
  return {
    max: Math.max(a.max, b.max),
    counts: {
      zero: a.counts.zero + b.counts.zero,
      one: a.counts.one + b.counts.one,
      more: a.counts.more + b.counts.more,
    },
  };
}

/** Options of {@linkcode agreementReport}. */
export interface AgreementOptions {
  /** Class labels (enables accuracies). */
  labels?: ArrayLike<number>;
  /** Examples per batch (default 250). */
  batchSize?: number;
}

/**
 * Runs the three paths on `x` and compares them.
 *
 * @param model The float model (batch norms folded inside, as the converter does).
 * @param graph Its converted integer graph.
 * @param x Inputs `[N, ...inputShape]`.
 * @param options Labels and batch size.
 * @returns Per-layer statistics and top-1 agreement.
 * @throws {RangeError} When the graph's nodes have no float reference in the model.
 *
 * @example
 * ```ts
 * import { agreementReport } from "@lowbit/runtime/agreement";
 * import { convertModel } from "@lowbit/runtime/convert";
 * import { equal } from "node:assert/strict";
 * const model = { inputShape: [1], layers: [{ kind: "linear" as const, name: "fc", weight: new Float32Array([2, -1]), outFeatures: 2 }] };
 * const x = { data: new Float32Array([1, -1]), shape: [2, 1] };
 * equal(agreementReport(model, convertModel(model, [x]), x, { labels: [0, 1] }).accuracy?.integer, 1);
 * ```
 */
export function agreementReport(
  model: FloatModel,
  graph: IntegerGraph,
  x: FloatTensor,
  options: AgreementOptions = {},
): AgreementReport {
  const folded = foldBatchNorm(model);
  const n = x.shape[0], per = x.data.length / n;
  const bs = options.batchSize ?? 250;
  const sim = new Map<string, DiffStats>(),
    iso = new Map<string, DiffStats>(),
    flt = new Map<string, number>();
  let agreeFI = 0, agreeSI = 0, agreeFS = 0, rows = 0, rowsPerExample = 1;
  let okF = 0, okS = 0, okI = 0;
  const classes = (t: { shape: readonly number[] }) => t.shape[t.shape.length - 1];
  for (let b0 = 0; b0 < n; b0 += bs) {
    const b1 = Math.min(n, b0 + bs);
    const xb = { data: x.data.subarray(b0 * per, b1 * per), shape: [b1 - b0, ...x.shape.slice(1)] };
    const f = runFloat(folded, xb), i = runInteger(graph, xb), s = runSimulated(graph, xb);
    const isoRun = runSimulated(graph, xb, { inputsFrom: i.trace });
    for (const node of graph.nodes) {
      if (node.op === "quantize" || node.op === "flatten") continue;
      const ref = graph.floatRefs?.[node.name] ?? node.name;
      const ft = f.trace.get(ref);
      if (!ft) throw new RangeError(`node "${node.name}" has no float layer "${ref}" in the model`);
      const qi = i.trace.get(node.name)!;
      sim.set(node.name, merge(sim.get(node.name), diff(qi, s.trace.get(node.name)!)));
      iso.set(node.name, merge(iso.get(node.name), diff(qi, isoRun.trace.get(node.name)!)));
      const deq = qi.dequantize();
      let m = flt.get(node.name) ?? 0;
      for (let k = 0; k < deq.length; k++) {
        m = Math.max(m, Math.abs(ft.data[k] - deq[k]) / qi.scale[0]);
      }
      flt.set(node.name, m);
    }
    const c = classes(f.output);
    const tf = argmaxRows(f.output.data, c),
      ti = argmaxRows(i.output.dequantize(), c),
      ts = argmaxRows(s.output.data, c);
    rows += tf.length;
    rowsPerExample = tf.length / (b1 - b0);
    for (let r = 0; r < tf.length; r++) {
      agreeFI += tf[r] === ti[r] ? 1 : 0;
      agreeSI += ts[r] === ti[r] ? 1 : 0;
      agreeFS += tf[r] === ts[r] ? 1 : 0;
      if (options.labels && rowsPerExample === 1) {
        const y = options.labels[b0 + r];
        okF += tf[r] === y ? 1 : 0;
        okS += ts[r] === y ? 1 : 0;
        okI += ti[r] === y ? 1 : 0;
      }
    }
  }
  const layers: LayerAgreement[] = [];
  for (const node of graph.nodes) {
    if (!sim.has(node.name)) continue;
    const out = graph.nodes.find((v) => v.name === node.name)!;
    const scale = "out" in out ? out.out.scale : NaN;
    layers.push({
      node: node.name,
      floatRef: graph.floatRefs?.[node.name] ?? node.name,
      scale,
      simulated: sim.get(node.name)!,
      isolated: iso.get(node.name)!,
      floatMax: flt.get(node.name)!,
    });
  }
  return {
    layers,
    count: n,
    rows,
    top1: {
      floatVsInteger: agreeFI / rows,
      simulatedVsInteger: agreeSI / rows,
      floatVsSimulated: agreeFS / rows,
    },
    accuracy: options.labels && rowsPerExample === 1
      ? { float: okF / n, simulated: okS / n, integer: okI / n }
      : undefined,
  };
}

/**
 * Formats a report as a plain-text table.
 *
 * @param r The report.
 * @returns Lines of text.
 *
 * @example
 * ```ts
 * import { formatAgreementReport } from "@lowbit/runtime/agreement";
 * import { ok } from "node:assert/strict";
 * const text = formatAgreementReport({ layers: [], count: 0, rows: 0, top1: { floatVsInteger: 1, simulatedVsInteger: 1, floatVsSimulated: 1 } });
 * ok(text.includes("top-1"));
 * ```
 */
export function formatAgreementReport(r: AgreementReport): string {
  const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
  const dist = (d: DiffStats) => {
    const t = d.counts.zero + d.counts.one + d.counts.more;
    return `max ${d.max}: =0 ${pct(d.counts.zero / t)}, =1 ×${d.counts.one}, >1 ×${d.counts.more}`;
  };
  const lines = [
    `examples: ${r.count}`,
    `${"node (float layer)".padEnd(24)}| ${"integer vs simulated, isolated".padEnd(38)}| ${
      "integer vs simulated, end to end".padEnd(38)
    }| |float − int|/S`,
  ];
  for (const l of r.layers) {
    lines.push(
      `${`${l.node} (${l.floatRef})`.padEnd(24)}| ${dist(l.isolated).padEnd(38)}| ${
        dist(l.simulated).padEnd(38)
      }| ${l.floatMax.toFixed(2)}`,
    );
  }
  lines.push(
    `top-1 agreement: float vs integer ${pct(r.top1.floatVsInteger)}, simulated vs integer ${
      pct(r.top1.simulatedVsInteger)
    }, float vs simulated ${pct(r.top1.floatVsSimulated)}`,
  );
  if (r.accuracy) {
    lines.push(
      `accuracy: float ${pct(r.accuracy.float)}, simulated ${pct(r.accuracy.simulated)}, integer ${
        pct(r.accuracy.integer)
      }`,
    );
  }
  return lines.join("\n");
}
