import { deepEqual, throws } from "node:assert/strict";
import { CostError } from "./errors.ts";
import { nodeWork } from "./work.ts";
import { graph, node } from "./_test_util.ts";

Deno.test("Conv MACs: N·M·OH·OW·(C/g)·KH·KW for standard, grouped, depthwise, strided", () => {
  // 2×3×7×7 input, 4 filters 3×3, pad 1, stride 1 → 7×7: 2·4·49·3·9 = 10584
  const g = graph(
    ["x", [2, 3, 7, 7]],
    [
      node("c", "Conv", ["x", "w", "b"], ["y"], { pads: [1, 1, 1, 1], kernel_shape: [3, 3] }),
    ],
    ["y"],
    { w: [4, 3, 3, 3], b: [4] },
  );
  const w = nodeWork(g, g.nodes[0]);
  deepEqual(w.macs, 2 * 4 * 7 * 7 * 3 * 3 * 3);
  deepEqual(w.weights.map((t) => [t.name, t.elements, t.bias ?? false]), [
    ["w", 108, false],
    ["b", 4, true],
  ]);
  deepEqual(w.inputs.map((t) => t.elements), [2 * 3 * 49]);
  // grouped: C = 4, M = 6, g = 2, 5×5 kernel, stride 2 on 11×11, no pad → 4×4 out
  const gg = graph(
    ["x", [1, 4, 11, 11]],
    [
      node("c", "Conv", ["x", "w"], ["y"], { group: 2, strides: [2, 2] }),
    ],
    ["y"],
    { w: [6, 2, 5, 5] },
  );
  deepEqual(nodeWork(gg, gg.nodes[0]).macs, 6 * 4 * 4 * 2 * 25);
  // depthwise: C = M = g = 8, 3×3, pad 1 on 6×6
  const dw = graph(
    ["x", [1, 8, 6, 6]],
    [
      node("c", "Conv", ["x", "w"], ["y"], { group: 8, pads: [1, 1, 1, 1] }),
    ],
    ["y"],
    { w: [8, 1, 3, 3] },
  );
  deepEqual(nodeWork(dw, dw.nodes[0]).macs, 8 * 36 * 9);
  deepEqual(
    [w.opClass, nodeWork(gg, gg.nodes[0]).opClass, nodeWork(dw, dw.nodes[0]).opClass],
    ["conv", "conv", "depthwise"],
  );
});

Deno.test("Gemm, MatMul MACs and element ops", () => {
  // Gemm with transA: A stored 5×3 (k×m) → m = 3, k = 5; B 5×4 → n = 4; bias C: 12 adds
  const g = graph(
    ["a", [5, 3]],
    [
      node("fc", "Gemm", ["a", "w", "c"], ["y"], { transA: 1 }),
    ],
    ["y"],
    { w: [5, 4], c: [4] },
  );
  const w = nodeWork(g, g.nodes[0]);
  deepEqual([w.macs, w.elementOps], [3 * 4 * 5, 12]);
  // batched MatMul [2,3,4]·[4,5] → [2,3,5], k = 4
  const m = graph(["a", [2, 3, 4]], [node("mm", "MatMul", ["a", "w"], ["y"])], ["y"], {
    w: [4, 5],
  });
  deepEqual(nodeWork(m, m.nodes[0]).macs, 2 * 3 * 5 * 4);
});

Deno.test("pools, activations, elementwise, views", () => {
  const g = graph(
    ["x", [1, 2, 8, 8]],
    [
      node("r", "Relu", ["x"], ["r"]),
      node("p", "MaxPool", ["r"], ["p"], { kernel_shape: [2, 2], strides: [2, 2] }),
      node("a", "Add", ["p", "k"], ["s"]),
      node("gap", "GlobalAveragePool", ["s"], ["g"]),
      node("f", "Flatten", ["g"], ["f"], { axis: 1 }),
    ],
    ["f"],
    { k: [1, 2, 1, 1] },
  );
  const [r, p, a, gap, f] = g.nodes.map((n) => nodeWork(g, n));
  deepEqual(r.elementOps, 128);
  deepEqual(p.elementOps, 2 * 4 * 4 * 4); // 32 outputs × 4 taps
  deepEqual([a.elementOps, a.weights[0].elements], [32, 2]);
  deepEqual(gap.elementOps, 32);
  deepEqual([f.view, f.macs, f.elementOps], [true, 0, 0]);
  deepEqual([r.opClass, p.opClass, a.opClass, gap.opClass, f.opClass], [
    "elementwise",
    "pool",
    "elementwise",
    "elementwise", // a global reduction is priced like element-wise ops
    undefined,
  ]);
});

Deno.test("unknown op and missing shape are CostErrors naming node and op", () => {
  const g = graph(["x", [1, 4]], [node("r", "Relu", ["x"], ["y"])], ["y"], {});
  const odd = node("n7", "Frobnicate", ["y"], ["z"]);
  throws(
    () => nodeWork(g, odd),
    (e: unknown) => e instanceof CostError && e.node === "n7" && e.op === "Frobnicate",
  );
  const noShape = node("r2", "Relu", ["nowhere"], ["y"]);
  throws(() => nodeWork(g, noShape), /value nowhere has no static shape/);
  const contrib = { ...node("q", "QLinearConv", ["y"], ["z"]), domain: "com.microsoft" };
  throws(() => nodeWork(g, contrib), /node q \(com\.microsoft\.QLinearConv\)/);
});
