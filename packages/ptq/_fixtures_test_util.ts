// Test graphs shared by the ptq tests.
import { type Graph, tensor, type TensorInput } from "@lowbit/graph";

/** Deterministic pseudo-random numbers in [lo, hi). */
export function rand(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + (hi - lo) * (s / 2 ** 32);
  }
  return out;
}

/** x[1,1,3,3] → Conv(2×1×2×2, bias) → Relu → Flatten → Gemm(transB, 3×8, bias) → y[1,3]. */
export function convReluGemm(): Graph {
  return {
    name: "crg",
    opset: 13,
    inputs: [{ name: "x", dtype: "float32", shape: [1, 1, 3, 3] }],
    outputs: [{ name: "y", dtype: "float32", shape: [1, 3] }],
    nodes: [
      { name: "conv", op: "Conv", inputs: ["x", "W", "B"], outputs: ["c"], attrs: {} },
      { name: "relu", op: "Relu", inputs: ["c"], outputs: ["r"], attrs: {} },
      { name: "flat", op: "Flatten", inputs: ["r"], outputs: ["f"], attrs: { axis: 1 } },
      {
        name: "gemm",
        op: "Gemm",
        inputs: ["f", "W2", "B2"],
        outputs: ["y"],
        attrs: { transB: 1 },
      },
    ],
    initializers: new Map([
      ["W", tensor("float32", [2, 1, 2, 2], [0.5, -0.3, 0.25, 0.1, -0.8, 0.4, 0.05, 0.6])],
      ["B", tensor("float32", [2], [0.1, -0.2])],
      ["W2", tensor("float32", [3, 8], rand(24, 3, -0.5, 0.5))],
      ["B2", tensor("float32", [3], [0.01, 0.02, -0.03])],
    ]),
    values: new Map(),
  };
}

/** x[1,4] → MatMul(4×4) → m; y = Relu(m) + x (residual Add). */
export function residual(): Graph {
  return {
    name: "res",
    opset: 13,
    inputs: [{ name: "x", dtype: "float32", shape: [1, 4] }],
    outputs: [{ name: "y", dtype: "float32", shape: [1, 4] }],
    nodes: [
      { name: "mm", op: "MatMul", inputs: ["x", "W"], outputs: ["m"], attrs: {} },
      { name: "relu", op: "Relu", inputs: ["m"], outputs: ["r"], attrs: {} },
      { name: "add", op: "Add", inputs: ["r", "x"], outputs: ["y"], attrs: {} },
    ],
    initializers: new Map([["W", tensor("float32", [4, 4], rand(16, 5))]]),
    values: new Map(),
  };
}

/** n samples for input x of the given shape. */
export function samples(n: number, shape: number[]): Record<string, TensorInput>[] {
  const size = shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: n }, (_, i) => ({ x: { data: rand(size, 100 + i, -2, 3), shape } }));
}
