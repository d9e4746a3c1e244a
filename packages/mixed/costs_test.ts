import { ok, throws } from "node:assert/strict";
import { type Graph, zeros } from "@lowbit/graph/ir";
import { parseTarget } from "@lowbit/hardware/target";
import { Linear } from "@lowbit/nn/linear";
import { Philox } from "@lowbit/rounding/philox";
import { choiceTable, hardwareCosts } from "./costs.ts";

const close = (a: number, b: number, rel = 1e-9) =>
  Math.abs(a - b) <= rel * Math.max(1, Math.abs(b));

Deno.test("choiceTable: Ω = Tr/n · Σ(w − S·round(w/S))² with S_c = max|w_c|/(2^(b−1) − 1), sizes, BOPS", () => {
  const fc = new Linear(7, 3, { random: new Philox(4) });
  const w = fc.weight.data;
  const candidates = [2, 3, 4, 6, 8].map((b) => ({ weightBits: b, activationBits: 4 }));
  const [l] = choiceTable(fc, [2.5], candidates, { macs: [21] });
  candidates.forEach((c, j) => {
    // Independent per-channel symmetric quantizer (float64; random weights avoid exact ties).
    const qmax = 2 ** (c.weightBits - 1) - 1;
    let err = 0;
    for (let r = 0; r < 3; r++) {
      const row = Array.from(w.subarray(r * 7, r * 7 + 7));
      const s = Math.max(...row.map(Math.abs)) / qmax;
      for (const v of row) err += (v - s * Math.round(v / s)) ** 2;
    }
    ok(
      close(l.choices[j].omega, (2.5 / 21) * err, 1e-4),
      `${l.choices[j].omega} vs ${(2.5 / 21) * err}`,
    );
    ok(l.choices[j].sizeBits === 21 * c.weightBits);
    ok(l.choices[j].bops === 21 * c.weightBits * 4);
  });
  // Ω falls with the bit width (finer grids).
  for (let j = 1; j < 5; j++) ok(l.choices[j].omega < l.choices[j - 1].omega);
  throws(() => choiceTable(fc, [1], [], { macs: [1] }), /candidates must list/);
  throws(
    () => choiceTable(fc, [1], candidates, { macs: [1], latencySeconds: [[1]] }),
    /options\.latencySeconds\[0\] has 1 entries; the model has 5 candidates/,
  );
});

Deno.test("hardwareCosts: a fully connected layer's roofline latency, derived by hand", () => {
  const s = "test";
  const target = parseTarget({
    name: "toy",
    description: "toy",
    peak: {
      fp32: { value: 1, unit: "GMAC/s", source: s },
      int8: { value: 4, unit: "GMAC/s", source: s },
      int4: { value: 8, unit: "GMAC/s", source: s },
    },
    memory: [{
      name: "dram",
      kind: "dram",
      holds: ["weights", "activations"],
      bandwidth: { value: 1, unit: "GB/s", source: s },
    }],
  });
  const g: Graph = {
    name: "g",
    opset: 17,
    initializers: new Map([["w", zeros("float32", [10, 100])]]),
    values: new Map([["y", { name: "y", dtype: "float32", shape: [1, 10] }]]),
    inputs: [{ name: "x", dtype: "float32", shape: [1, 100] }],
    outputs: [{ name: "y", dtype: "float32", shape: [1, 10] }],
    nodes: [{ name: "fc", op: "Gemm", inputs: ["x", "w"], outputs: ["y"], attrs: { transB: 1 } }],
  };
  const c = hardwareCosts(g, target, ["fc"], [
    { weightBits: 8, activationBits: 8 },
    { weightBits: 3, activationBits: 4 }, // runs as int4
    { weightBits: 4, activationBits: 8 }, // int4 weights, int8 activations: int8 peak
  ]);
  ok(c.macs[0] === 1000);
  // bytes / (1 GB/s) vs MACs / peak: 8-bit 1000 + 100 + 10 B = 1.11 µs > 0.25 µs;
  // 4-bit 500 + 50 + 5 B = 0.555 µs; int4 weights + int8 activations 500 + 110 B = 0.61 µs.
  ok(close(c.latencySeconds[0][0], 1.11e-6), String(c.latencySeconds[0][0]));
  ok(close(c.latencySeconds[0][1], 0.555e-6), String(c.latencySeconds[0][1]));
  ok(close(c.latencySeconds[0][2], 0.61e-6), String(c.latencySeconds[0][2]));
  ok(c.energyJoules[0][1] < c.energyJoules[0][0]);
  throws(
    () => hardwareCosts(g, target, ["conv"], [{ weightBits: 8, activationBits: 8 }]),
    /names\[0\]: graph g has no node conv/,
  );
  throws(
    () => hardwareCosts(g, target, ["fc"], [{ weightBits: 0, activationBits: 8 }]),
    /bits must be an integer in \[1, 32\]/,
  );
});
