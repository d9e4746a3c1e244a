// Small graphs for the tests, shaped by @lowbit/graph's inferShapes (an independent shape
// source: it runs the float executor).
import { inferShapes } from "@lowbit/graph/executor";
import { type Graph, type GraphTensor, type Node, zeros } from "@lowbit/graph/ir";

/** A node. */
export function node(
  name: string,
  op: string,
  inputs: string[],
  outputs: string[],
  attrs: Node["attrs"] = {},
): Node {
  return { name, op, inputs, outputs, attrs };
}

/** A float graph with one input, shapes inferred. */
export function graph(
  input: [string, number[]],
  nodes: Node[],
  outputs: string[],
  initializers: Record<string, number[]>,
): Graph {
  const init = new Map<string, GraphTensor>(
    Object.entries(initializers).map(([k, s]) => [k, zeros("float32", s)]),
  );
  const g: Graph = {
    name: "t",
    opset: 17,
    inputs: [{ name: input[0], dtype: "float32", shape: input[1] }],
    outputs: outputs.map((o) => ({ name: o, dtype: "float32", shape: [] })),
    nodes,
    initializers: init,
    values: new Map(),
  };
  return inferShapes(g);
}
