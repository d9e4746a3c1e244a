import { deepEqual, equal } from "node:assert/strict";
import type { Graph } from "@lowbit/graph/ir";
import { peakArena } from "./arena.ts";
import { node } from "./_test_util.ts";

// x → a → y; y → b → p; y → c → q; (p, q) → d → s; s → e (Reshape, a view) → t; t → f → u.
function branching(order: string[], extraOutputs: string[] = []): Graph {
  const all = {
    a: node("a", "Relu", ["x"], ["y"]),
    b: node("b", "Relu", ["y"], ["p"]),
    c: node("c", "Relu", ["y"], ["q"]),
    d: node("d", "Add", ["p", "q"], ["s"]),
    e: node("e", "Reshape", ["s", "shape"], ["t"]),
    f: node("f", "Relu", ["t"], ["u"]),
  } as const;
  return {
    name: "branch",
    opset: 17,
    inputs: [{ name: "x", dtype: "float32", shape: [1] }],
    outputs: ["u", ...extraOutputs].map((n) => ({ name: n, dtype: "float32", shape: [1] })),
    nodes: order.map((k) => all[k as keyof typeof all]),
    initializers: new Map([["shape", { dtype: "int64", shape: [1], data: new BigInt64Array(1) }]]),
    values: new Map(),
  };
}
const SIZE: Record<string, number> = { x: 100, y: 200, p: 50, q: 80, s: 50, u: 10 };

Deno.test("peak arena of a branching graph, step by step", () => {
  // Lifetimes [birth, death] in steps a0 b1 c2 d3 e4 f5: x[0,0] y[0,2] p[1,3] q[2,3]
  // s[3,5] (t is a view of s, read by f at 5) u[5,5]. Sums per step:
  // a: x+y = 300, b: y+p = 250, c: y+p+q = 330, d: p+q+s = 180, e: s = 50, f: s+u = 60.
  const r = peakArena(branching(["a", "b", "c", "d", "e", "f"]), (v) => SIZE[v]);
  deepEqual(r.perStep, [300, 250, 330, 180, 50, 60]);
  equal(r.peakBytes, 330);
  equal(r.node, "c");
  deepEqual(r.live, ["y", "p", "q"]);
});

Deno.test("the other topological order (c before b) and an extra graph output", () => {
  // a: 300, c: y+q = 280, b: y+q+p = 330, d: 180, e: 50, f: 60 — same peak, reached at b.
  const r = peakArena(branching(["a", "c", "b", "d", "e", "f"]), (v) => SIZE[v]);
  deepEqual(r.perStep, [300, 280, 330, 180, 50, 60]);
  equal(r.node, "b");
  // p also a graph output: alive to the end → e: s+p = 100, f: s+u+p = 110.
  const o = peakArena(branching(["a", "b", "c", "d", "e", "f"], ["p"]), (v) => SIZE[v]);
  deepEqual(o.perStep, [300, 250, 330, 180, 100, 110]);
  // without the view rule, t would be a 50-byte buffer of its own: e: s+t = 100, f: t+u = 60
  const noView = peakArena(
    branching(["a", "b", "c", "d", "e", "f"]),
    (v) => SIZE[v] ?? 50,
    () => false,
  );
  deepEqual(noView.perStep, [300, 250, 330, 180, 100, 60]);
});
