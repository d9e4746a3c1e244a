/**
 * The per-value agreement report of a quantized graph, three ways: the float graph (the
 * reference), the QDQ graph run by the float executor (simulated quantization) and the QDQ
 * graph run by the integer runtime ({@linkcode compileQuantized}). For every value both graphs
 * compute under one name: the SQNR of the simulated and of the integer value against float;
 * for every quantized value: the largest code difference between integer and simulated codes
 * and the fraction of codes within one LSB; for every graph output: top-1 agreement over its
 * last axis (integer vs float, simulated vs float, integer vs simulated); and how many nodes
 * ran on integers.
 *
 * @example A QDQ graph compared with its float original
 * ```ts
 * import { graphAgreement } from "@lowbit/runtime/graph-agreement";
 * import type { Graph, GraphTensor } from "@lowbit/graph/ir";
 * import { equal } from "node:assert/strict";
 * const f = (v: number) => ({ dtype: "float32" as const, shape: [], data: Float32Array.of(v) });
 * const u8 = (v: number) => ({ dtype: "uint8" as const, shape: [], data: Uint8Array.of(v) });
 * const io = { inputs: [{ name: "x", dtype: "float32" as const, shape: [1, 4] }],
 *   outputs: [{ name: "y", dtype: "float32" as const, shape: [1, 4] }] };
 * const float: Graph = { name: "f", opset: 13, values: new Map(), initializers: new Map(), ...io,
 *   nodes: [{ name: "s", op: "Sigmoid", inputs: ["x"], outputs: ["y"], attrs: {} }] };
 * const quant: Graph = { name: "q", opset: 13, values: new Map(), ...io,
 *   initializers: new Map<string, GraphTensor>([["sx", f(0.05)], ["zx", u8(128)], ["sy", f(1 / 256)], ["zy", u8(0)]]),
 *   nodes: [
 *     { name: "qx", op: "QuantizeLinear", inputs: ["x", "sx", "zx"], outputs: ["xq"], attrs: {} },
 *     { name: "dx", op: "DequantizeLinear", inputs: ["xq", "sx", "zx"], outputs: ["xd"], attrs: {} },
 *     { name: "s", op: "Sigmoid", inputs: ["xd"], outputs: ["y_prequant"], attrs: {} },
 *     { name: "qy", op: "QuantizeLinear", inputs: ["y_prequant", "sy", "zy"], outputs: ["yq"], attrs: {} },
 *     { name: "dy", op: "DequantizeLinear", inputs: ["yq", "sy", "zy"], outputs: ["y"], attrs: {} },
 *   ] };
 * const x = { data: Float32Array.of(-2, -0.5, 0.5, 3), shape: [1, 4] };
 * const r = await graphAgreement(float, quant, [{ x }]);
 * equal(r.values.find((v) => v.name === "y")?.maxLsb, 0); // the sigmoid table is the simulation
 * equal(r.nodes.integer, 1);
 * equal(r.outputs[0].top1IntegerVsFloat, 1);
 * ```
 *
 * @module
 */

import { runFloat, type TensorInput } from "@lowbit/graph/executor";
import type { Graph } from "@lowbit/graph/ir";
import { compileQuantized, type CompileQuantizedOptions } from "./qdq_run.ts";

/** One value of the report. */
export interface ValueAgreement {
  /** Value name. */
  name: string;
  /** Producing op. */
  op: string;
  /** How the integer runtime computed it (`"integer"` or `"float"`). */
  path: "integer" | "float";
  /** 10·log10(Σ float² / Σ (sim − float)²) over all samples (∞ when equal). */
  sqnrSimDb: number;
  /** The same for the integer runtime's value. */
  sqnrIntegerDb: number;
  /** Largest |integer code − simulated code| (quantized values only). */
  maxLsb?: number;
  /** Fraction of codes within one LSB of the simulation (quantized values only). */
  within1Lsb?: number;
}

/** One graph output of the report. */
export interface OutputAgreement {
  /** Output name. */
  name: string;
  /** Rows compared (all samples × all but the last axis). */
  rows: number;
  /** Fraction of rows whose arg-max agrees: integer vs float. */
  top1IntegerVsFloat: number;
  /** Simulated vs float. */
  top1SimVsFloat: number;
  /** Integer vs simulated. */
  top1IntegerVsSim: number;
}

/** Result of {@linkcode graphAgreement}. */
export interface GraphAgreement {
  /** Per value, in the quantized graph's node order. */
  values: ValueAgreement[];
  /** Per graph output. */
  outputs: OutputAgreement[];
  /** Nodes other than Q/DQ by how the integer runtime ran them (in the last sample). */
  nodes: { integer: number; float: number };
  /** Samples compared. */
  samples: number;
}

/** Options of {@linkcode graphAgreement}. */
export interface GraphAgreementOptions extends CompileQuantizedOptions {
  /** Called after each sample with the count so far. */
  onProgress?: (done: number) => void;
}

function argmax(d: ArrayLike<number>, off: number, n: number): number {
  let b = 0;
  for (let i = 1; i < n; i++) if (d[off + i] > d[off + b]) b = i;
  return b;
}

interface Acc {
  signal: number;
  noiseSim: number;
  noiseInt: number;
  maxLsb: number;
  within: number;
  codes: number;
}

function sqnr(signal: number, noise: number): number {
  return noise === 0 ? Infinity : 10 * Math.log10(signal / noise);
}

/**
 * Compares a float graph, its QDQ simulation and its integer execution on the same inputs.
 *
 * @param float The float graph.
 * @param quant Its quantized (QDQ) version, same input and output names.
 * @param samples Inputs by name.
 * @param options Integer runtime options and a progress callback.
 * @returns The report.
 * @throws {RangeError} Naming `samples` when it yields nothing.
 */
export async function graphAgreement(
  float: Graph,
  quant: Graph,
  samples: Iterable<Record<string, TensorInput>> | AsyncIterable<Record<string, TensorInput>>,
  options: GraphAgreementOptions = {},
): Promise<GraphAgreement> {
  const compiled = compileQuantized(quant, options);
  const floatValues = new Set(float.nodes.flatMap((n) => n.outputs));
  floatValues.forEach((v) => v === "" && floatValues.delete(v));
  // Quantized-graph value name behind each compared float value (quantizeStatic renames a
  // quantized graph output's producer output to `<name>_prequant`).
  const compared: { name: string; qname: string; op: string; node: string; codes?: string }[] = [];
  const qOf = new Map<string, string>();
  for (const n of quant.nodes) {
    if (n.op === "QuantizeLinear") qOf.set(n.inputs[0], n.outputs[0]);
  }
  for (const n of quant.nodes) {
    if (n.op === "QuantizeLinear" || n.op === "DequantizeLinear") continue;
    for (const o of n.outputs) {
      const base = o.endsWith("_prequant") ? o.slice(0, -"_prequant".length) : undefined;
      const name = floatValues.has(o) ? o : base !== undefined && floatValues.has(base) ? base : "";
      if (name !== "" && !compiled.fusedValues.has(o)) {
        compared.push({ name, qname: o, op: n.op, node: n.name, codes: qOf.get(o) });
      }
    }
  }
  const outNames = float.outputs.map((o) => o.name);
  const values = [...new Set([...compared.map((c) => c.name), ...outNames])];
  const qvalues = [...new Set([...compared.map((c) => c.qname), ...outNames])];
  const codeNames = compared.flatMap((c) => (c.codes ? [c.codes] : []));
  const acc = new Map<string, Acc>(compared.map((c) => [c.name, {
    signal: 0,
    noiseSim: 0,
    noiseInt: 0,
    maxLsb: 0,
    within: 0,
    codes: 0,
  }]));
  const top = new Map(outNames.map((o) => [o, { rows: 0, iF: 0, sF: 0, iS: 0 }]));
  let count = 0;
  let paths = new Map<string, string>();
  for await (const s of samples) {
    const ref = runFloat(float, s, { outputs: values });
    const sim = runFloat(quant, s, { outputs: [...qvalues, ...codeNames] });
    const run = compiled.run(s, { outputs: qvalues, codes: codeNames });
    paths = new Map(run.trace.map((t) => [t.node, t.path]));
    for (const c of compared) {
      const a = acc.get(c.name)!;
      const x = ref[c.name].data, y = sim[c.qname].data, z = run.outputs[c.qname].data;
      if (x.length !== y.length || x.length !== z.length || typeof x[0] === "bigint") continue;
      const xf = x as ArrayLike<number>, yf = y as ArrayLike<number>, zf = z as ArrayLike<number>;
      for (let i = 0; i < xf.length; i++) {
        a.signal += xf[i] * xf[i];
        a.noiseSim += (yf[i] - xf[i]) ** 2;
        a.noiseInt += (zf[i] - xf[i]) ** 2;
      }
      if (c.codes) {
        const qs = sim[c.codes].data as ArrayLike<number>, qi = run.codes[c.codes].q;
        for (let i = 0; i < qs.length; i++) {
          const d = Math.abs(qi[i] - qs[i]);
          if (d > a.maxLsb) a.maxLsb = d;
          if (d <= 1) a.within++;
        }
        a.codes += qs.length;
      }
    }
    for (const o of outNames) {
      const x = ref[o], y = sim[o], z = run.outputs[o];
      const n = x.shape.at(-1) ?? 1, rows = x.data.length / n, t = top.get(o)!;
      for (let r = 0; r < rows; r++) {
        const fx = argmax(x.data as ArrayLike<number>, r * n, n);
        const fy = argmax(y.data as ArrayLike<number>, r * n, n);
        const fz = argmax(z.data as ArrayLike<number>, r * n, n);
        t.iF += fz === fx ? 1 : 0;
        t.sF += fy === fx ? 1 : 0;
        t.iS += fz === fy ? 1 : 0;
      }
      t.rows += rows;
    }
    count++;
    options.onProgress?.(count);
  }
  if (count === 0) throw new RangeError("samples must yield at least one input");
  let integer = 0, floatNodes = 0;
  for (const n of quant.nodes) {
    if (n.op === "QuantizeLinear" || n.op === "DequantizeLinear") continue;
    if (paths.get(n.name) === "integer") integer++;
    else floatNodes++;
  }
  return {
    values: compared.map((c) => {
      const a = acc.get(c.name)!;
      const v: ValueAgreement = {
        name: c.name,
        op: c.op,
        path: paths.get(c.node) === "integer" ? "integer" : "float",
        sqnrSimDb: sqnr(a.signal, a.noiseSim),
        sqnrIntegerDb: sqnr(a.signal, a.noiseInt),
      };
      if (c.codes) {
        v.maxLsb = a.maxLsb;
        v.within1Lsb = a.codes === 0 ? 1 : a.within / a.codes;
      }
      return v;
    }),
    outputs: outNames.map((name) => {
      const t = top.get(name)!, rows = Math.max(1, t.rows);
      return {
        name,
        rows: t.rows,
        top1IntegerVsFloat: t.iF / rows,
        top1SimVsFloat: t.sF / rows,
        top1IntegerVsSim: t.iS / rows,
      };
    }),
    nodes: { integer, float: floatNodes },
    samples: count,
  };
}
