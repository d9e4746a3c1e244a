import fc from "fast-check";
import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { Philox } from "@lowbit/rounding/philox";
import { allocateBits, type Choice, evaluateAllocation, type LayerChoices } from "./allocate.ts";
import { greedyAllocation, randomAllocations, uniformAllocation } from "./baselines.ts";

const BITS = [2, 3, 4, 6, 8];

/** A layer of n weights with Ω = n·s·4^(−b) (the quantization noise of b bits). */
function layer(name: string, n: number, s: number): LayerChoices {
  return {
    name,
    choices: BITS.map((w): Choice => ({
      weightBits: w,
      activationBits: 8,
      omega: n * s * 4 ** -w,
      sizeBits: n * w,
      bops: n * w * 8,
    })),
  };
}

const arbLayers = fc.array(
  fc.record({
    n: fc.integer({ min: 1, max: 500 }),
    s: fc.double({ min: 0.01, max: 100, noNaN: true }),
  }),
  { minLength: 1, maxLength: 6 },
).map((ls) => ls.map((l, i) => layer(`l${i}`, l.n, l.s)));

Deno.test("uniformAllocation: size n·b per layer and the matching choices", () => {
  const layers = [layer("a", 10, 1), layer("b", 30, 2)];
  const u = uniformAllocation(layers, { weightBits: 4, activationBits: 8 });
  deepEqual(u.choices, [2, 2]);
  equal(u.usage.sizeBits, 160);
  equal(u.omega, (10 + 60) / 256);
  throws(
    () => uniformAllocation(layers, { weightBits: 4, activationBits: 4 }),
    /has no choice w4a4/,
  );
});

Deno.test("greedyAllocation: within budget, never better than the ILP, and no single upgrade fits and helps", async () => {
  await fc.assert(
    fc.asyncProperty(arbLayers, fc.double({ min: 0, max: 1, noNaN: true }), async (layers, f) => {
      const lo = layers.reduce((s, l) => s + l.choices[0].sizeBits, 0);
      const hi = layers.reduce((s, l) => s + l.choices[4].sizeBits, 0);
      const budget = Math.floor(lo + f * (hi - lo));
      const g = greedyAllocation(layers, { sizeBits: budget });
      ok((g.usage.sizeBits as number) <= budget);
      const ilp = await allocateBits(layers, { sizeBits: budget });
      ok(ilp.omega <= g.omega * (1 + 1e-9) + 1e-300);
      // Greedy stops only when no single-layer change lowers Ω within the budget.
      layers.forEach((l, i) =>
        l.choices.forEach((_c, j) => {
          const t = g.choices.slice();
          t[i] = j;
          const a = evaluateAllocation(layers, t);
          ok(!((a.usage.sizeBits as number) <= budget && a.omega < g.omega));
        })
      );
    }),
    { numRuns: 30, seed: 11 },
  );
});

Deno.test("greedyAllocation: takes the largest Ω reduction per bit first", async () => {
  const c = (w: number, omega: number): Choice => ({
    weightBits: w,
    activationBits: 8,
    omega,
    sizeBits: 10 * w,
    bops: 0,
  });
  // From 2 bits: a saves 6 for 20 bits (0.3/bit), b saves 5 for 20 bits (0.25/bit); a 40-bit
  // budget surplus of 20 bits buys only one of them.
  const layers = [
    { name: "a", choices: [c(2, 7), c(4, 1)] },
    { name: "b", choices: [c(2, 6), c(4, 1)] },
  ];
  deepEqual(greedyAllocation(layers, { sizeBits: 60 }).choices, [1, 0]);
  deepEqual(greedyAllocation(layers, { sizeBits: 80 }).choices, [1, 1]);
  // A greedy trap: the best ratio (a 2→3) blocks b's big upgrade; the ILP finds it.
  const trap = [
    { name: "a", choices: [c(2, 3), c(3, 0)] }, // saves 3 for 10 bits
    { name: "b", choices: [c(2, 5), c(4, 0)] }, // saves 5 for 20 bits
  ];
  deepEqual(greedyAllocation(trap, { sizeBits: 60 }).choices, [1, 0]); // Ω 5
  deepEqual((await allocateBits(trap, { sizeBits: 60 })).choices, [0, 1]); // Ω 3
  throws(() => greedyAllocation(trap, {}), /budgets must limit at least one resource/);
  throws(() => greedyAllocation(trap, { sizeBits: 1 }), /budgets\.sizeBits = 1 is below/);
  throws(
    () => greedyAllocation(trap, { sizeBits: 60 }, { per: "latencySeconds" }),
    /options\.per = latencySeconds/,
  );
});

Deno.test("randomAllocations: seeded, within [fill·budget, budget], varied", () => {
  const layers = [layer("a", 100, 1), layer("b", 200, 1), layer("c", 50, 1), layer("d", 300, 1)];
  const budget = 4 * 650;
  const r = randomAllocations(layers, { sizeBits: budget }, { random: new Philox(9), count: 20 });
  equal(r.length, 20);
  for (const a of r) {
    ok((a.usage.sizeBits as number) <= budget && (a.usage.sizeBits as number) >= 0.9 * budget);
  }
  deepEqual(
    r,
    randomAllocations(layers, { sizeBits: budget }, { random: new Philox(9), count: 20 }),
  );
  ok(new Set(r.map((a) => a.choices.join())).size >= 5);
  const other = randomAllocations(layers, { sizeBits: budget }, {
    random: new Philox(10),
    count: 20,
  });
  ok(other.some((a, k) => a.choices.join() !== r[k].choices.join()));
  // Each layer's bits vary across draws (not a constant allocation).
  for (let i = 0; i < layers.length; i++) ok(new Set(r.map((a) => a.choices[i])).size >= 2);
  throws(
    () =>
      randomAllocations(layers, { sizeBits: budget }, {
        random: new Philox(1),
        count: 1,
        fill: 1,
        maxDraws: 3,
      }),
    /options\.fill = 1: 3 draws found only 0 of 1/,
  );
  throws(
    () => randomAllocations(layers, { sizeBits: budget }, { random: new Philox(1), count: 0 }),
    /options\.count/,
  );
  throws(
    () =>
      randomAllocations(layers, { sizeBits: budget }, { random: new Philox(1), count: 1, fill: 2 }),
    /options\.fill must be in/,
  );
  throws(
    () => randomAllocations(layers, {}, { random: new Philox(1), count: 1 }),
    /budgets must limit/,
  );
});
