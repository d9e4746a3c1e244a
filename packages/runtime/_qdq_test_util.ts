// Test helper: turns a small float graph into the QDQ form with grids of its own (min-max,
// uint8 affine activations; symmetric int8 weights per output channel; int32 biases), written
// independently of @lowbit/ptq so the runtime's tests do not depend on the quantizer.
import { runFloat } from "@lowbit/graph/executor";
import type { Graph, GraphTensor, Node } from "@lowbit/graph/ir";
import { Philox } from "@lowbit/rounding/philox";

/** A one-output node whose output value is named after it. */
export const node = (
  name: string,
  op: string,
  inputs: string[],
  attrs: Node["attrs"] = {},
): Node => ({
  name,
  op,
  inputs,
  outputs: [name],
  attrs,
});

const f32 = (v: number): GraphTensor => ({ dtype: "float32", shape: [], data: Float32Array.of(v) });

/** Seeded uniform values in [lo, hi). */
export function uniform(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = new Philox(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r.uniform());
}

/** A float tensor initializer. */
export function param(shape: number[], seed: number, scale = 0.5): GraphTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype: "float32", shape, data: uniform(n, seed, -scale, scale) };
}

/** Weights to quantize as `[node, input index, channel axis]`; biases as `[node, input index]`. */
export interface QdqPlan {
  weights: [string, number, number][];
  biases?: [string, number][];
}

/**
 * QDQ form of `g`: every value produced by a node (and every graph input) gets
 * QuantizeLinear → DequantizeLinear with a min-max uint8 grid measured on `sample`; the listed
 * weights become int8 codes per channel, biases int32 codes at s_x·s_w.
 */
export function toQdq(g: Graph, sample: Record<string, GraphTensor>, plan: QdqPlan): Graph {
  const values = [...g.inputs.map((i) => i.name), ...g.nodes.flatMap((n) => n.outputs)];
  const ref = runFloat(g, sample, { outputs: values });
  const init = new Map(g.initializers);
  const grid = new Map<string, { s: number; z: number }>();
  for (const v of values) {
    const d = ref[v].data as Float32Array;
    let lo = 0, hi = 0;
    for (const x of d) (lo = Math.min(lo, x)), (hi = Math.max(hi, x));
    const s = Math.fround((hi - lo) / 255 || 1);
    const z = Math.min(255, Math.max(0, Math.round(-lo / s)));
    grid.set(v, { s, z });
    init.set(`${v}/s`, f32(s));
    init.set(`${v}/z`, { dtype: "uint8", shape: [], data: Uint8Array.of(z) });
  }
  const nodes: Node[] = [];
  const qdq = (v: string) => {
    nodes.push(
      {
        name: `${v}/Q`,
        op: "QuantizeLinear",
        inputs: [v, `${v}/s`, `${v}/z`],
        outputs: [`${v}/q`],
        attrs: {},
      },
      {
        name: `${v}/DQ`,
        op: "DequantizeLinear",
        inputs: [`${v}/q`, `${v}/s`, `${v}/z`],
        outputs: [`${v}/d`],
        attrs: {},
      },
    );
  };
  for (const i of g.inputs) qdq(i.name);
  const weightScales = new Map<string, Float32Array>();
  for (const n of g.nodes) {
    const inputs = n.inputs.map((v) => (grid.has(v) ? `${v}/d` : v));
    for (const [name, idx, axis] of plan.weights) {
      if (name !== n.name) continue;
      const w = g.initializers.get(n.inputs[idx])!;
      const d = w.data as Float32Array, c = w.shape[axis];
      const inner = w.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
      const scales = new Float32Array(c);
      for (let i = 0; i < d.length; i++) {
        const ch = Math.floor(i / inner) % c;
        scales[ch] = Math.max(scales[ch], Math.abs(d[i]));
      }
      scales.forEach((m, k) => (scales[k] = Math.fround(m / 127 || 1)));
      const codes = Int8Array.from(d, (x, i) => Math.round(x / scales[Math.floor(i / inner) % c]));
      const base = n.inputs[idx];
      init.set(`${base}/w`, { dtype: "int8", shape: [...w.shape], data: codes });
      init.set(`${base}/ws`, { dtype: "float32", shape: [c], data: scales });
      nodes.push({
        name: `${base}/DQw`,
        op: "DequantizeLinear",
        inputs: [`${base}/w`, `${base}/ws`],
        outputs: [`${base}/wd`],
        attrs: { axis },
      });
      inputs[idx] = `${base}/wd`;
      weightScales.set(n.name, scales);
    }
    for (const [name, idx] of plan.biases ?? []) {
      if (name !== n.name) continue;
      const b = g.initializers.get(n.inputs[idx])!.data as Float32Array;
      const ws = weightScales.get(n.name)!, sx = grid.get(n.inputs[0])!.s;
      const bs = Float32Array.from(ws, (s) => Math.fround(sx * s));
      const base = n.inputs[idx];
      init.set(`${base}/b`, {
        dtype: "int32",
        shape: [b.length],
        data: Int32Array.from(b, (x, k) => Math.round(x / bs[k])),
      });
      init.set(`${base}/bs`, { dtype: "float32", shape: [b.length], data: bs });
      nodes.push({
        name: `${base}/DQb`,
        op: "DequantizeLinear",
        inputs: [`${base}/b`, `${base}/bs`],
        outputs: [`${base}/bd`],
        attrs: { axis: 0 },
      });
      inputs[idx] = `${base}/bd`;
    }
    nodes.push({ ...n, inputs });
    for (const o of n.outputs) qdq(o);
  }
  return {
    ...g,
    initializers: init,
    nodes,
    outputs: g.outputs.map((o) => ({ ...o, name: `${o.name}/d` })),
    values: new Map(),
    name: `${g.name}-qdq`,
  };
}
