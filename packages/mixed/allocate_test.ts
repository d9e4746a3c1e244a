import fc from "fast-check";
import { deepEqual, equal, ok, rejects, throws } from "node:assert/strict";
import {
  allocateBits,
  type Allocation,
  type Budgets,
  type Choice,
  evaluateAllocation,
  type LayerChoices,
  paretoSweep,
  RESOURCES,
} from "./allocate.ts";

/** Every allocation, in lexicographic order of choice indices (layer 0 most significant). */
function* enumerate(layers: readonly LayerChoices[]): Generator<number[]> {
  const idx = layers.map(() => 0);
  for (;;) {
    yield idx.slice();
    let k = layers.length - 1;
    while (k >= 0 && ++idx[k] === layers[k].choices.length) idx[k--] = 0;
    if (k < 0) return;
  }
}

function fits(layers: readonly LayerChoices[], idx: number[], budgets: Budgets): boolean {
  for (const r of RESOURCES) {
    const b = budgets[r];
    if (b === undefined) continue;
    let s = 0;
    idx.forEach((j, i) => (s += layers[i].choices[j][r] as number));
    if (s > b) return false;
  }
  return true;
}

/**
 * Brute force: the first (lexicographically smallest) allocation whose Ω is within 1e-12 of
 * the minimum (exact ties of the real sums may differ in the last float bit), or null.
 */
function bruteForce(layers: readonly LayerChoices[], budgets: Budgets): number[] | null {
  const feasible: [number[], number][] = [];
  for (const idx of enumerate(layers)) {
    if (!fits(layers, idx, budgets)) continue;
    let o = 0;
    idx.forEach((j, i) => (o += layers[i].choices[j].omega));
    feasible.push([idx, o]);
  }
  if (feasible.length === 0) return null;
  const min = Math.min(...feasible.map(([, o]) => o));
  return (feasible.find(([, o]) => o <= min + 1e-12) as [number[], number])[0];
}

const BITS = [2, 3, 4, 6, 8];

/** Random instances: 1..6 layers × 1..4 choices, integer sizes, latencies and (optionally) Ω. */
function instance(integerOmega: boolean) {
  const choice = fc.record({
    w: fc.integer({ min: 0, max: BITS.length - 1 }),
    a: fc.boolean(),
    // Ω on a 1e-3 grid in [0, 10]: distinct totals differ by ≥ 1e-3, far above the solver's
    // tie tolerance (1e-9 of max Ω).
    omega: integerOmega
      ? fc.integer({ min: 0, max: 3 })
      : fc.integer({ min: 0, max: 10000 }).map((k) => k / 1000),
    lat: fc.integer({ min: 1, max: 50 }),
  });
  const layer = fc.record({
    n: fc.integer({ min: 1, max: 300 }),
    macs: fc.integer({ min: 1, max: 1000 }),
    choices: fc.array(choice, { minLength: 1, maxLength: 4 }),
  });
  return fc.record({
    layers: fc.array(layer, { minLength: 1, maxLength: 6 }),
    fraction: fc.record({
      size: fc.double({ min: 0, max: 1, noNaN: true }),
      bops: fc.double({ min: 0, max: 1, noNaN: true }),
      lat: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
    which: fc.integer({ min: 1, max: 7 }), // bit mask of the budgets used
  }).map(({ layers, fraction, which }) => {
    const ls: LayerChoices[] = layers.map((l, i) => ({
      name: `l${i}`,
      choices: l.choices.map((c): Choice => {
        const w = BITS[c.w], a = c.a ? 8 : 4;
        return {
          weightBits: w,
          activationBits: a,
          omega: c.omega,
          sizeBits: l.n * w,
          bops: l.macs * w * a,
          latencySeconds: c.lat,
        };
      }),
    }));
    // Budgets between the smallest and the largest total (integers: exact comparisons).
    const range = (r: "sizeBits" | "bops" | "latencySeconds", f: number) => {
      let lo = 0, hi = 0;
      for (const l of ls) {
        const v = l.choices.map((c) => c[r] as number);
        lo += Math.min(...v);
        hi += Math.max(...v);
      }
      return Math.max(1, Math.floor(lo + f * (hi - lo)));
    };
    const budgets: Budgets = {};
    if (which & 1) budgets.sizeBits = range("sizeBits", fraction.size);
    if (which & 2) budgets.bops = range("bops", fraction.bops);
    if (which & 4) budgets.latencySeconds = range("latencySeconds", fraction.lat);
    return { layers: ls, budgets };
  });
}

Deno.test("allocateBits: the solver's optimum equals brute-force enumeration (size, BOPS, latency budgets)", async () => {
  let feasible = 0, infeasible = 0;
  await fc.assert(
    fc.asyncProperty(instance(false), async ({ layers, budgets }) => {
      const want = bruteForce(layers, budgets);
      if (want === null) {
        infeasible++;
        await rejects(allocateBits(layers, budgets), RangeError);
        return;
      }
      feasible++;
      const got = await allocateBits(layers, budgets);
      const ref = evaluateAllocation(layers, want);
      ok(
        Math.abs(got.omega - ref.omega) <= 1e-9 * Math.max(1, ref.omega),
        `${got.omega} vs ${ref.omega}`,
      );
      ok(fits(layers, got.choices, budgets));
      deepEqual(got.choices, want);
    }),
    { numRuns: 60, seed: 17 },
  );
  ok(feasible > 30, `only ${feasible} feasible instances`);
  ok(infeasible + feasible === 60);
});

Deno.test("allocateBits: ties resolve to the lexicographically smallest optimum (brute force, integer Ω)", async () => {
  await fc.assert(
    fc.asyncProperty(instance(true), async ({ layers, budgets }) => {
      const want = bruteForce(layers, budgets);
      if (want === null) return;
      const got = await allocateBits(layers, budgets);
      deepEqual(got.choices, want);
      deepEqual((await allocateBits(layers, budgets)).choices, got.choices); // repeatable
    }),
    { numRuns: 40, seed: 5 },
  );
  // All Ω equal: every allocation is optimal, the first one is returned.
  const flat = [0, 1, 2].map((i) => ({
    name: `l${i}`,
    choices: [4, 8, 2].map((w) => ({
      weightBits: w,
      activationBits: 8,
      omega: 1,
      sizeBits: w,
      bops: 0,
    })),
  }));
  deepEqual((await allocateBits(flat, { sizeBits: 100 })).choices, [0, 0, 0]);
  deepEqual((await allocateBits(flat, { sizeBits: 6 })).choices, [2, 2, 2]);
});

Deno.test("allocateBits: budgets no allocation meets are RangeErrors naming the budget", async () => {
  const c = (w: number, size: number, bops: number): Choice => ({
    weightBits: w,
    activationBits: 8,
    omega: 8 / w,
    sizeBits: size,
    bops,
  });
  // Small size ⇔ many BOPS: each budget alone is achievable, both together are not.
  const layers = [0, 1].map((i) => ({ name: `l${i}`, choices: [c(2, 10, 100), c(8, 100, 10)] }));
  await rejects(
    allocateBits(layers, { sizeBits: 19 }),
    (e: unknown) =>
      e instanceof RangeError &&
      /budgets\.sizeBits = 19 is below the smallest achievable 20/.test(e.message),
  );
  await rejects(
    allocateBits(layers, { bops: 19 }),
    /budgets\.bops = 19 is below the smallest achievable 20/,
  );
  deepEqual((await allocateBits(layers, { sizeBits: 110 })).choices, [0, 1]); // a tie with [1, 0]
  await rejects(
    allocateBits(layers, { sizeBits: 100, bops: 100 }),
    (e: unknown) =>
      e instanceof RangeError &&
      /budgets sizeBits = 100, bops = 100 cannot be met together/.test(e.message),
  );
  await rejects(
    allocateBits(layers, { latencySeconds: 1 }),
    /layers\[0\]\.choices\[0\]\.latencySeconds must be a finite number/,
  );
  await rejects(allocateBits(layers, { sizeBits: -1 }), /budgets\.sizeBits must be a positive/);
  await rejects(allocateBits(layers, { size: 3 } as Budgets), /budgets\.size is not a resource/);
  await rejects(allocateBits([], { sizeBits: 3 }), /layers must be a non-empty array/);
  await rejects(
    allocateBits([{ name: "x", choices: [] }], { sizeBits: 3 }),
    /layers\[0\]\.choices/,
  );
  await rejects(
    allocateBits([{ name: "x", choices: [{ ...c(2, 1, 1), omega: NaN }] }], { sizeBits: 3 }),
    /layers\[0\]\.choices\[0\]\.omega must be finite/,
  );
});

Deno.test("allocateBits: negative Ω and an unbudgeted program", async () => {
  const layers = [{
    name: "a",
    choices: [
      { weightBits: 2, activationBits: 8, omega: -1, sizeBits: 2, bops: 0 },
      { weightBits: 4, activationBits: 8, omega: -3, sizeBits: 4, bops: 0 },
    ],
  }];
  deepEqual((await allocateBits(layers, {})).choices, [1]);
  deepEqual((await allocateBits(layers, { sizeBits: 3 })).choices, [0]);
});

Deno.test("paretoSweep: Ω strictly decreases as usage grows, and no allocation dominates a front point", async () => {
  await fc.assert(
    fc.asyncProperty(instance(false), async ({ layers }) => {
      let lo = 0, hi = 0;
      for (const l of layers) {
        lo += Math.min(...l.choices.map((c) => c.sizeBits));
        hi += Math.max(...l.choices.map((c) => c.sizeBits));
      }
      const values = Array.from(
        { length: 6 },
        (_, k) => Math.max(1, Math.round(lo - 5 + (k * (hi - lo + 5)) / 5)),
      );
      const front = await paretoSweep(layers, "sizeBits", values);
      ok(front.length >= 1);
      for (let k = 1; k < front.length; k++) {
        ok(
          (front[k].allocation.usage.sizeBits as number) >
            (front[k - 1].allocation.usage.sizeBits as number),
        );
        ok(front[k].allocation.omega < front[k - 1].allocation.omega);
        ok(front[k].budget > front[k - 1].budget);
      }
      for (const p of front) {
        ok((p.allocation.usage.sizeBits as number) <= p.budget);
        const all: Allocation[] = [...enumerate(layers)].map((idx) =>
          evaluateAllocation(layers, idx)
        );
        const u = p.allocation.usage.sizeBits as number;
        ok(
          !all.some((a) =>
            (a.usage.sizeBits as number) <= u &&
            a.omega < p.allocation.omega - 1e-9 * Math.max(1, Math.abs(a.omega))
          ),
        );
      }
    }),
    { numRuns: 15, seed: 3 },
  );
  const layers = [{
    name: "a",
    choices: [{ weightBits: 2, activationBits: 8, omega: 1, sizeBits: 2, bops: 0 }],
  }];
  await rejects(paretoSweep(layers, "sizeBits", []), /values must list/);
  await rejects(
    paretoSweep(layers, "sizeBits", [3], { sizeBits: 3 }),
    /budgets\.sizeBits is the swept resource/,
  );
  deepEqual(await paretoSweep(layers, "sizeBits", [1]), []);
});

Deno.test("evaluateAllocation: bad indices are RangeErrors", () => {
  const layers = [{
    name: "a",
    choices: [{ weightBits: 2, activationBits: 8, omega: 1, sizeBits: 2, bops: 3 }],
  }];
  throws(() => evaluateAllocation(layers, [1]), /choices\[0\] must be an index/);
  throws(() => evaluateAllocation(layers, []), /one index per layer/);
  equal(evaluateAllocation(layers, [0]).usage.latencySeconds, undefined);
});
