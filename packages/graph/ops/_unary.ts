import type { GraphTensor, Node } from "../ir.ts";
import { type OpKernel, requireInput } from "../op.ts";
import { GraphError } from "../errors.ts";

/** An elementwise float32 op from a scalar function (float64 math, one float32 rounding). */
export function unaryFloat(f: (x: number) => number): OpKernel {
  return {
    run(node: Node, inputs: (GraphTensor | undefined)[]): GraphTensor[] {
      const x = requireInput(node, inputs, 0);
      if (x.dtype !== "float32") {
        throw new GraphError(`${node.op} needs a float32 input, got ${x.dtype}`, {
          node: node.name,
          value: node.inputs[0],
        });
      }
      const src = x.data as Float32Array;
      const out = new Float32Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = f(src[i]);
      return [{ dtype: "float32", shape: [...x.shape], data: out }];
    },
  };
}
