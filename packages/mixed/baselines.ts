/**
 * Baselines the ILP allocation ({@linkcode allocateBits}) is compared with: the same bit widths
 * everywhere, a greedy allocation (largest Ω reduction per unit of a resource first), and
 * seeded random allocations that fill the same budget.
 *
 * @example Greedy spends the bits where Ω drops most per bit
 * ```ts
 * import { greedyAllocation, uniformAllocation } from "@lowbit/mixed/baselines";
 * import { deepEqual, equal } from "node:assert/strict";
 * const c = (w: number, omega: number, n: number) => ({ weightBits: w, activationBits: 8, omega, sizeBits: n * w, bops: 0 });
 * const layers = [
 *   { name: "a", choices: [c(2, 8, 10), c(4, 2, 10)] },  // 20 more bits save 6
 *   { name: "b", choices: [c(2, 4, 10), c(4, 3, 10)] },  // 20 more bits save 1
 * ];
 * deepEqual(greedyAllocation(layers, { sizeBits: 60 }).choices, [1, 0]);
 * equal(uniformAllocation(layers, { weightBits: 4, activationBits: 8 }).usage.sizeBits, 80);
 * ```
 *
 * @module
 */

import { uniformInt } from "@lowbit/nn/data/dataset";
import type { Philox } from "@lowbit/rounding/philox";
import {
  type Allocation,
  type Budgets,
  checkBudgets,
  evaluateAllocation,
  type LayerChoices,
  meetsBudgets,
  type Resource,
} from "./allocate.ts";

/**
 * Every layer at the same bit widths.
 *
 * @param layers The layers.
 * @param bits The weight and activation bits to pick in every layer.
 * @returns The allocation.
 * @throws {RangeError} If a layer has no choice with these bits.
 *
 * @example
 * ```ts
 * import { uniformAllocation } from "@lowbit/mixed/baselines";
 * import { equal, throws } from "node:assert/strict";
 * const layers = [{ name: "fc", choices: [4, 8].map((w) => ({ weightBits: w, activationBits: 8, omega: 8 / w, sizeBits: 10 * w, bops: 0 })) }];
 * equal(uniformAllocation(layers, { weightBits: 8, activationBits: 8 }).omega, 1);
 * throws(() => uniformAllocation(layers, { weightBits: 2, activationBits: 8 }), /layers\[0\] \(fc\) has no choice w2a8/);
 * ```
 */
export function uniformAllocation(
  layers: readonly LayerChoices[],
  bits: { weightBits: number; activationBits: number },
): Allocation {
  checkBudgets(layers, {});
  const choices = layers.map((l, i) => {
    const j = l.choices.findIndex((c) =>
      c.weightBits === bits.weightBits && c.activationBits === bits.activationBits
    );
    if (j < 0) {
      throw new RangeError(
        `layers[${i}] (${l.name}) has no choice w${bits.weightBits}a${bits.activationBits}`,
      );
    }
    return j;
  });
  return evaluateAllocation(layers, choices);
}

/** Options of {@linkcode greedyAllocation}. */
export interface GreedyOptions {
  /** The resource whose cost an upgrade's Ω reduction is divided by (default: the first budget). */
  per?: Resource;
}

/**
 * Greedy allocation: start every layer at its cheapest choice in the `per` resource (ties: lower
 * Ω, then lower index), then repeatedly take the single-layer change with the largest Ω
 * reduction per unit of extra `per` resource (a change that costs nothing counts as infinite)
 * that keeps every budget, until no change lowers Ω. Ties go to the lower layer, then the
 * lower choice index.
 *
 * @param layers The layers.
 * @param budgets The budgets (at least one).
 * @param options The resource of the ratio.
 * @returns The allocation.
 * @throws {RangeError} If no budget is given, `per` is not budgeted-compatible, or the budgets
 *   cannot be met from the cheapest start.
 *
 * @example
 * ```ts
 * import { greedyAllocation } from "@lowbit/mixed/baselines";
 * import { deepEqual, throws } from "node:assert/strict";
 * const c = (w: number, omega: number) => ({ weightBits: w, activationBits: 8, omega, sizeBits: 10 * w, bops: 0 });
 * const layers = [{ name: "a", choices: [c(2, 5), c(4, 1), c(8, 0)] }];
 * deepEqual(greedyAllocation(layers, { sizeBits: 50 }).choices, [1]);
 * throws(() => greedyAllocation(layers, { sizeBits: 10 }), /budgets\.sizeBits = 10/);
 * ```
 */
export function greedyAllocation(
  layers: readonly LayerChoices[],
  budgets: Budgets,
  options: GreedyOptions = {},
): Allocation {
  const list = checkBudgets(layers, budgets);
  if (list.length === 0) throw new RangeError("budgets must limit at least one resource");
  const per = options.per ?? list[0][0];
  const cost = (i: number, j: number): number => {
    const v = layers[i].choices[j][per];
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new RangeError(`options.per = ${per}: layers[${i}].choices[${j}].${per} is missing`);
    }
    return v;
  };
  const current = layers.map((l, i) => {
    let best = 0;
    for (let j = 1; j < l.choices.length; j++) {
      const d = cost(i, j) - cost(i, best);
      if (d < 0 || (d === 0 && l.choices[j].omega < l.choices[best].omega)) best = j;
    }
    return best;
  });
  let alloc = evaluateAllocation(layers, current);
  if (!meetsBudgets(alloc, budgets)) {
    throw new RangeError(
      `budgets ${list.map(([r, b]) => `${r} = ${b}`).join(", ")} cannot be met from the ` +
        `cheapest ${per} allocation`,
    );
  }
  for (;;) {
    let bestScore = -Infinity, bi = -1, bj = -1;
    for (let i = 0; i < layers.length; i++) {
      const from = layers[i].choices[current[i]];
      for (let j = 0; j < layers[i].choices.length; j++) {
        const gain = from.omega - layers[i].choices[j].omega;
        if (!(gain > 0)) continue;
        const extra = cost(i, j) - cost(i, current[i]);
        const score = extra <= 0 ? Infinity : gain / extra;
        if (!(score > bestScore)) continue;
        const trial = current.slice();
        trial[i] = j;
        if (!meetsBudgets(evaluateAllocation(layers, trial), budgets)) continue;
        bestScore = score;
        bi = i;
        bj = j;
      }
    }
    if (bi < 0) break;
    current[bi] = bj;
    alloc = evaluateAllocation(layers, current);
  }
  return alloc;
}

/** Options of {@linkcode randomAllocations}. */
export interface RandomAllocationOptions {
  /** The seeded source. */
  random: Philox;
  /** How many allocations. */
  count: number;
  /**
   * Keep only allocations that use at least `fill` × the budget of `fillResource` (default
   * 0.9), so that they are "at the same size" as the budget.
   */
  fill?: number;
  /** The resource `fill` applies to (default: the first budget). */
  fillResource?: Resource;
  /** Give up after this many draws (default 1,000,000). */
  maxDraws?: number;
}

/**
 * Seeded random allocations at (nearly) the budget: each layer's choice is drawn uniformly,
 * and a draw is kept if it meets every budget and uses at least `fill` of the `fillResource`
 * budget (rejection sampling).
 *
 * @param layers The layers.
 * @param budgets The budgets (at least one).
 * @param options Source, count, fill level, draw limit.
 * @returns `count` allocations in draw order (repeats possible).
 * @throws {RangeError} If a budget cannot be met, no budget is given, an option is out of
 *   range, or `maxDraws` draws found fewer than `count` allocations (naming `options.fill`).
 *
 * @example
 * ```ts
 * import { randomAllocations } from "@lowbit/mixed/baselines";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { deepEqual, ok } from "node:assert/strict";
 * const c = (w: number) => ({ weightBits: w, activationBits: 8, omega: 1 / w, sizeBits: 10 * w, bops: 0 });
 * const layers = ["a", "b", "c"].map((name) => ({ name, choices: [2, 4, 8].map(c) }));
 * const r = randomAllocations(layers, { sizeBits: 120 }, { random: new Philox(3), count: 5 });
 * ok(r.every((a) => (a.usage.sizeBits as number) >= 108 && (a.usage.sizeBits as number) <= 120));
 * deepEqual(r, randomAllocations(layers, { sizeBits: 120 }, { random: new Philox(3), count: 5 }));
 * ```
 */
export function randomAllocations(
  layers: readonly LayerChoices[],
  budgets: Budgets,
  options: RandomAllocationOptions,
): Allocation[] {
  const list = checkBudgets(layers, budgets);
  if (list.length === 0) throw new RangeError("budgets must limit at least one resource");
  const { random, count } = options;
  const fill = options.fill ?? 0.9, maxDraws = options.maxDraws ?? 1_000_000;
  const fillResource = options.fillResource ?? list[0][0];
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`options.count must be a positive integer; got ${count}`);
  }
  if (!(fill >= 0 && fill <= 1)) {
    throw new RangeError(`options.fill must be in [0, 1]; got ${fill}`);
  }
  if (!Number.isInteger(maxDraws) || maxDraws < 1) {
    throw new RangeError(`options.maxDraws must be a positive integer; got ${maxDraws}`);
  }
  const limit = budgets[fillResource];
  if (limit === undefined) {
    throw new RangeError(`options.fillResource = ${fillResource} has no budget`);
  }
  const out: Allocation[] = [];
  for (let d = 0; d < maxDraws && out.length < count; d++) {
    const a = evaluateAllocation(layers, layers.map((l) => uniformInt(random, l.choices.length)));
    const used = a.usage[fillResource];
    if (used !== undefined && used >= fill * limit && meetsBudgets(a, budgets)) out.push(a);
  }
  if (out.length < count) {
    throw new RangeError(
      `options.fill = ${fill}: ${maxDraws} draws found only ${out.length} of ${count} ` +
        `allocations using ≥ ${fill} of budgets.${fillResource} = ${limit}`,
    );
  }
  return out;
}
