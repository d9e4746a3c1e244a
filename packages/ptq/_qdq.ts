/**
 * The QuantizeLinear → DequantizeLinear pair that static quantization (and the debugging
 * report's partial quantizations) put on an activation value. Internal to @lowbit/ptq.
 *
 * @module
 */

import type { Graph, GraphTensor, Node, QuantGrid } from "@lowbit/graph";

/** A scalar initializer of the given type. */
export function scalarTensor(dtype: "float32" | "uint8" | "int8", v: number): GraphTensor {
  const data = dtype === "float32"
    ? Float32Array.of(v)
    : dtype === "uint8"
    ? Uint8Array.of(v)
    : Int8Array.of(v);
  return { dtype, shape: [], data };
}

/**
 * Adds `${base}_scale` and `${base}_zero_point` to the graph's initializers and returns the
 * nodes `${base}_QuantizeLinear` (src → `${base}_quantized`) and `${base}_DequantizeLinear`
 * (→ dst) on the per-tensor grid (uint8 codes unless the grid is int8).
 */
export function addQdqPair(
  g: Graph,
  base: string,
  src: string,
  dst: string,
  grid: QuantGrid,
): [Node, Node] {
  const zdt = grid.dtype === "int8" ? "int8" : "uint8";
  g.initializers.set(`${base}_scale`, scalarTensor("float32", grid.scale[0]));
  g.initializers.set(`${base}_zero_point`, scalarTensor(zdt, grid.zeroPoint[0]));
  return [
    {
      name: `${base}_QuantizeLinear`,
      op: "QuantizeLinear",
      inputs: [src, `${base}_scale`, `${base}_zero_point`],
      outputs: [`${base}_quantized`],
      attrs: {},
    },
    {
      name: `${base}_DequantizeLinear`,
      op: "DequantizeLinear",
      inputs: [`${base}_quantized`, `${base}_scale`, `${base}_zero_point`],
      outputs: [dst],
      attrs: {},
    },
  ];
}
