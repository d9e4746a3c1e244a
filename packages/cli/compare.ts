/**
 * Float vs quantized comparison of two graphs on the same inputs: for every value both graphs
 * compute under the same name, the SQNR of the quantized graph's value (its QDQ simulation,
 * run by the float executor) against the float one; and for each graph output the top-1
 * agreement over its last axis.
 *
 * @example
 * ```ts
 * import { compareGraphs } from "@lowbit/cli/compare";
 * import { equal } from "node:assert/strict";
 * const g = { name: "g", opset: 13, initializers: new Map(), values: new Map(),
 *   inputs: [{ name: "x", dtype: "float32" as const, shape: [1, 2] }],
 *   outputs: [{ name: "y", dtype: "float32" as const, shape: [1, 2] }],
 *   nodes: [{ name: "r", op: "Relu", inputs: ["x"], outputs: ["y"], attrs: {} }] };
 * const r = await compareGraphs(g, g, [{ x: { data: new Float32Array([1, 2]), shape: [1, 2] } }]);
 * equal(r.outputs[0].top1Agreement, 1);
 * equal(r.values[0].sqnrDb, Infinity);
 * ```
 *
 * @module
 */

import { runFloat, type TensorInput } from "@lowbit/graph/executor";
import type { Graph } from "@lowbit/graph/ir";

/** One compared value. */
export interface ValueComparison {
  /** Value name. */
  name: string;
  /** Producing op in the float graph. */
  op: string;
  /** 10·log10(Σ float² / Σ (quant − float)²) over all samples (∞ when equal). */
  sqnrDb: number;
  /** Largest |quant − float|. */
  maxAbsError: number;
}

/** One compared output. */
export interface OutputComparison {
  /** Output name. */
  name: string;
  /** Rows (all samples × all but the last axis). */
  rows: number;
  /** Fraction of rows whose arg-max over the last axis agrees. */
  top1Agreement: number;
}

/** Result of {@linkcode compareGraphs}. */
export interface GraphComparison {
  /** Per value, in the float graph's node order. */
  values: ValueComparison[];
  /** Per graph output. */
  outputs: OutputComparison[];
}

function argmax(d: ArrayLike<number>, off: number, n: number): number {
  let b = 0;
  for (let i = 1; i < n; i++) if (d[off + i] > d[off + b]) b = i;
  return b;
}

/**
 * Compares a float graph with its quantized (QDQ) version.
 *
 * @param float The float graph.
 * @param quant The quantized graph (same input and output names).
 * @param samples Inputs by name.
 * @param onProgress Called after each sample.
 * @returns Per-value SQNR and per-output top-1 agreement.
 * @throws {RangeError} Naming `samples` when empty.
 */
export async function compareGraphs(
  float: Graph,
  quant: Graph,
  samples: Iterable<Record<string, TensorInput>> | AsyncIterable<Record<string, TensorInput>>,
  onProgress?: (done: number) => void,
): Promise<GraphComparison> {
  const quantValues = new Set(quant.nodes.flatMap((n) => n.outputs));
  const names: { name: string; op: string }[] = [];
  for (const n of float.nodes) {
    for (const o of n.outputs) {
      if (o !== "" && quantValues.has(o)) names.push({ name: o, op: n.op });
    }
  }
  const wanted = [...new Set([...names.map((v) => v.name), ...float.outputs.map((o) => o.name)])];
  const signal = new Map<string, number>(),
    noise = new Map<string, number>(),
    maxErr = new Map<string, number>();
  const agree = new Map<string, number>(), rows = new Map<string, number>();
  let count = 0;
  for await (const s of samples) {
    const a = runFloat(float, s, { outputs: wanted });
    const b = runFloat(quant, s, {
      outputs: wanted.filter((w) => quantValues.has(w) || quant.outputs.some((o) => o.name === w)),
    });
    for (const { name } of names) {
      const x = a[name]?.data, y = b[name]?.data;
      if (
        !x || !y || x.length !== y.length || !(x instanceof Float32Array) ||
        !(y instanceof Float32Array)
      ) continue;
      let sg = 0, ns = 0, mx = maxErr.get(name) ?? 0;
      for (let i = 0; i < x.length; i++) {
        const d = y[i] - x[i];
        sg += x[i] * x[i];
        ns += d * d;
        mx = Math.max(mx, Math.abs(d));
      }
      signal.set(name, (signal.get(name) ?? 0) + sg);
      noise.set(name, (noise.get(name) ?? 0) + ns);
      maxErr.set(name, mx);
    }
    for (const o of float.outputs) {
      const x = a[o.name], y = b[o.name];
      if (!x || !y) continue;
      const c = x.shape.at(-1) ?? 1, r = x.data.length / c;
      let ok = 0;
      for (let i = 0; i < r; i++) {
        if (argmax(x.data as Float32Array, i * c, c) === argmax(y.data as Float32Array, i * c, c)) {
          ok++;
        }
      }
      agree.set(o.name, (agree.get(o.name) ?? 0) + ok);
      rows.set(o.name, (rows.get(o.name) ?? 0) + r);
    }
    count++;
    onProgress?.(count);
  }
  if (count === 0) throw new RangeError("samples must hold at least one input");
  return {
    values: names.filter(({ name }) => signal.has(name)).map(({ name, op }) => ({
      name,
      op,
      sqnrDb: noise.get(name) === 0
        ? Infinity
        : 10 * Math.log10(signal.get(name)! / noise.get(name)!),
      maxAbsError: maxErr.get(name)!,
    })),
    outputs: float.outputs.map((o) => ({
      name: o.name,
      rows: rows.get(o.name) ?? 0,
      top1Agreement: (agree.get(o.name) ?? 0) / Math.max(1, rows.get(o.name) ?? 0),
    })),
  };
}
