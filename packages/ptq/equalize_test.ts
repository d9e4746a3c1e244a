import { deepEqual, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import { type Graph, type GraphTensor, type Node, runFloat } from "@lowbit/graph";
import { Philox } from "@lowbit/rounding/philox";
import { absorbHighBias, equalizeCrossLayer } from "./equalize.ts";

function rand(shape: number[], seed: number, lo = -1, hi = 1, spread = 0): GraphTensor {
  const r = new Philox(seed, 1);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  const inner = n / shape[0];
  // spread > 0: output channel c is scaled by 10^(spread·u_c), ranges differing by orders
  const k = Array.from({ length: shape[0] }, () => 10 ** (spread * (r.uniform() * 2 - 1)));
  for (let i = 0; i < n; i++) data[i] = (lo + (hi - lo) * r.uniform()) * k[Math.floor(i / inner)];
  return { dtype: "float32", shape, data };
}

/** conv(4→8) → act → depthwise 3×3 (8) → act → conv(8→5); ranges spread over 10^±spread. */
function chain(seed: number, act: "Relu" | "Clip6" | "LeakyRelu", spread: number): Graph {
  const init = new Map<string, GraphTensor>([
    ["w1", rand([8, 4, 1, 1], seed, -1, 1, spread)],
    ["b1", rand([8], seed + 1)],
    ["w2", rand([8, 1, 3, 3], seed + 2, -1, 1, spread)],
    ["b2", rand([8], seed + 3)],
    ["w3", rand([5, 8, 1, 1], seed + 4)],
    ["b3", rand([5], seed + 5)],
    ["six", { dtype: "float32", shape: [], data: Float32Array.of(6) }],
    ["zero", { dtype: "float32", shape: [], data: Float32Array.of(0) }],
  ]);
  const a = (name: string, x: string, y: string): Node =>
    act === "Clip6" ? { name, op: "Clip", inputs: [x, "zero", "six"], outputs: [y], attrs: {} } : {
      name,
      op: act,
      inputs: [x],
      outputs: [y],
      attrs: act === "LeakyRelu" ? { alpha: 0.1 } : {},
    };
  return {
    name: "g",
    opset: 13,
    values: new Map(),
    initializers: init,
    inputs: [{ name: "x", dtype: "float32", shape: [2, 4, 6, 6] }],
    outputs: [{ name: "y", dtype: "float32", shape: [2, 5, 6, 6] }],
    nodes: [
      { name: "c1", op: "Conv", inputs: ["x", "w1", "b1"], outputs: ["h1"], attrs: {} },
      a("a1", "h1", "r1"),
      {
        name: "dw",
        op: "Conv",
        inputs: ["r1", "w2", "b2"],
        outputs: ["h2"],
        attrs: { group: 8, pads: [1, 1, 1, 1], kernel_shape: [3, 3] },
      },
      a("a2", "h2", "r2"),
      { name: "c3", op: "Conv", inputs: ["r2", "w3", "b3"], outputs: ["y"], attrs: {} },
    ],
  };
}

function input(seed: number): { x: { data: Float32Array; shape: number[] } } {
  return { x: { data: rand([2, 4, 6, 6], seed).data as Float32Array, shape: [2, 4, 6, 6] } };
}

function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0, scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m / Math.max(scale, 1e-30);
}

/** max |w| per output channel (axis 0) and per input channel of a 1×1 or depthwise weight. */
function outRange(t: GraphTensor): number[] {
  const inner = t.data.length / t.shape[0];
  return Array.from({ length: t.shape[0] }, (_, c) => {
    let m = 0;
    for (let i = c * inner; i < (c + 1) * inner; i++) m = Math.max(m, Math.abs(Number(t.data[i])));
    return m;
  });
}
function inRange1x1(t: GraphTensor): number[] {
  const [o, c] = t.shape;
  return Array.from({ length: c }, (_, j) => {
    let m = 0;
    for (let r = 0; r < o; r++) m = Math.max(m, Math.abs(Number(t.data[r * c + j])));
    return m;
  });
}

Deno.test("equalizeCrossLayer: the function is unchanged (Relu, LeakyRelu, ReLU6 per-channel), and at convergence each pair's ranges meet", () => {
  const check = (seed: number, act: "Relu" | "LeakyRelu" | "Clip6", spread: number) => {
    const g = chain(seed, act, spread);
    const { graph, pairs, iterations } = equalizeCrossLayer(g, {
      tolerance: 1e-7,
      maxIterations: 500,
      relu6: "per-channel",
    });
    deepEqual(pairs.map((p) => [p.first, p.second]), [["c1", "dw"], ["dw", "c3"]]);
    ok(iterations < 500, `did not converge in ${iterations} sweeps`);
    // inputs ×8 so that ReLU6 clips a good share of the activations
    const x = input(seed + 7);
    x.x.data = x.x.data.map((v) => 8 * v);
    if (act === "Clip6") {
      const h = runFloat(g, x, { outputs: ["h1"] }).h1.data as Float32Array;
      ok(h.filter((v) => v > 6).length > 10, "the test needs clipped activations");
    }
    const d = maxRel(
      runFloat(graph, x).y.data as Float32Array,
      runFloat(g, x).y.data as Float32Array,
    );
    ok(d < 1e-5, `${act}: outputs moved by ${d} of their range`);
    // Eq. 3 at the fixed point: range of c1's output channel i = range of dw's channel i
    // (dw's input and output channel ranges are the same numbers), = c3's input range.
    const w1 = outRange(graph.initializers.get("w1")!);
    const w2 = outRange(graph.initializers.get("w2")!);
    const w3 = inRange1x1(graph.initializers.get("w3")!);
    for (let i = 0; i < 8; i++) {
      ok(Math.abs(w1[i] - w2[i]) <= 1e-4 * w1[i], `channel ${i}: ${w1[i]} vs ${w2[i]}`);
      ok(Math.abs(w2[i] - w3[i]) <= 1e-4 * w2[i], `channel ${i}: ${w2[i]} vs ${w3[i]}`);
    }
    // the product r1·r2·r3 per channel is invariant under the rescaling
    const r = (name: string) => outRange(g.initializers.get(name)!);
    const p0 = r("w1").map((v, i) => v * r("w2")[i] * inRange1x1(g.initializers.get("w3")!)[i]);
    p0.forEach((p, i) => ok(Math.abs(w1[i] * w2[i] * w3[i] - p) <= 1e-4 * p));
  };
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 10_000 }),
      fc.double({ min: 0, max: 2, noNaN: true }),
      (seed, spread) => {
        for (const act of ["Relu", "LeakyRelu", "Clip6"] as const) check(seed, act, spread);
      },
    ),
    { numRuns: 12, seed: 3 },
  );
});

Deno.test("equalizeCrossLayer: raises the first layer's smallest channel precision on spread ranges", () => {
  const { pairs } = equalizeCrossLayer(chain(5, "Relu", 2));
  for (const p of pairs) ok(p.precisionAfter > 2 * p.precisionBefore, JSON.stringify(p));
});

Deno.test("equalizeCrossLayer: ReLU6 blocks by default; relu6: 'relu' equalizes and replaces it by Relu", () => {
  const g = chain(9, "Clip6", 1);
  deepEqual(equalizeCrossLayer(g).pairs, []);
  const { graph, pairs } = equalizeCrossLayer(g, { relu6: "relu" });
  deepEqual(pairs.map((p) => p.through), [["a1"], ["a2"]]);
  deepEqual(graph.nodes.map((n) => n.op), ["Conv", "Relu", "Conv", "Relu", "Conv"]);
  const exact = equalizeCrossLayer(g, { relu6: "per-channel" }).graph;
  deepEqual(exact.nodes.map((n) => n.op), ["Conv", "Min", "Relu", "Conv", "Min", "Relu", "Conv"]);
  // the original graph is untouched
  deepEqual(g.nodes.map((n) => n.op), ["Conv", "Clip", "Conv", "Clip", "Conv"]);
});

Deno.test("equalizeCrossLayer: a value with two readers, a shared weight or a non-homogeneous op blocks a pair", () => {
  const g = chain(2, "Relu", 1);
  const twoReaders: Graph = {
    ...g,
    outputs: [...g.outputs, { name: "r1", dtype: "float32", shape: [] }],
  };
  deepEqual(equalizeCrossLayer(twoReaders).pairs.map((p) => p.first), ["dw"]);
  const sigmoid: Graph = {
    ...g,
    nodes: g.nodes.map((n) => n.name === "a2" ? { ...n, op: "Sigmoid" } : n),
  };
  deepEqual(equalizeCrossLayer(sigmoid).pairs.map((p) => p.first), ["c1"]);
});

Deno.test("equalizeCrossLayer: bad options are RangeErrors naming the option", () => {
  const g = chain(1, "Relu", 0);
  throws(() => equalizeCrossLayer(g, { maxIterations: 0 }), /options\.maxIterations/);
  throws(() => equalizeCrossLayer(g, { tolerance: 0 }), /options\.tolerance/);
  // @ts-expect-error: not an allowed value
  throws(() => equalizeCrossLayer(g, { relu6: "clip" }), /options\.relu6/);
});

Deno.test("absorbHighBias: moves c = max(0, μ − 3σ) of the 1×1 pair, none through the padded conv, and matches relu(h − c) + W·c", () => {
  // c1 → Relu → dw (padded: blocked) → Relu → c3 (1×1: absorbs).
  const g = chain(11, "Relu", 0);
  // Make dw's output clearly positive so c = μ − 3σ > 0 on some channels.
  const b2 = g.initializers.get("b2")!;
  g.initializers.set("b2", {
    ...b2,
    data: Float32Array.from(b2.data as Float32Array, (v) => v + 6),
  });
  const samples = [input(1), input(2), input(3)];
  const { graph, absorbed } = absorbHighBias(g, samples);
  deepEqual(absorbed.map((a) => [a.first, a.second]), [["dw", "c3"]]);
  // c from the float graph's dw output, computed here independently.
  const h = samples.map((s) => runFloat(g, s, { outputs: ["h2"] }).h2.data as Float32Array);
  const c = Array.from({ length: 8 }, (_, ch) => {
    const v = h.flatMap((d) => Array.from(d).filter((_, i) => Math.floor(i / 36) % 8 === ch));
    const mu = v.reduce((a, b) => a + b, 0) / v.length;
    const sd = Math.sqrt(v.reduce((a, b) => a + b * b, 0) / v.length - mu * mu);
    return Math.max(0, mu - 3 * sd);
  });
  ok(c.filter((v) => v > 0).length >= 4, `c = ${c}`);
  ok(Math.abs(absorbed[0].amount - c.reduce((a, b) => a + b, 0)) < 1e-3);
  // y' = W3·relu(h2 − c) + (b3 + W3·c), by hand from the float h2.
  const w3 = g.initializers.get("w3")!.data as Float32Array;
  const b3 = g.initializers.get("b3")!.data as Float32Array;
  samples.forEach((s, k) => {
    const got = runFloat(graph, s).y.data as Float32Array;
    const want = new Float32Array(got.length);
    for (let n = 0; n < 2; n++) {
      for (let o = 0; o < 5; o++) {
        for (let p = 0; p < 36; p++) {
          let acc = b3[o];
          for (let i = 0; i < 8; i++) {
            acc += w3[o * 8 + i] * (Math.max(0, h[k][(n * 8 + i) * 36 + p] - c[i]) + c[i]);
          }
          want[(n * 5 + o) * 36 + p] = acc;
        }
      }
    }
    ok(maxRel(got, want) < 1e-5, `sample ${k}: ${maxRel(got, want)}`);
  });
  throws(() => absorbHighBias(g, []), /samples must hold at least one/);
  throws(() => absorbHighBias(g, samples, { sigmas: -1 }), /options\.sigmas/);
});
