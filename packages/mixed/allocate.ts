/**
 * Bit allocation as an integer linear program (HAWQ v3, survey §IV-C): every layer l picks
 * exactly one of its candidate choices c (a weight/activation bit pair), x_lc ∈ {0, 1},
 * Σ_c x_lc = 1, minimising the total sensitivity Σ_lc Ω_lc x_lc subject to any mix of budgets
 * Σ_lc r_lc x_lc ≤ B_r on model size (bits), BOPS, latency and energy. The program is solved
 * by HiGHS (`highs` on npm, compiled to WebAssembly) with zero optimality gap.
 *
 * Ties are broken deterministically: among all optimal allocations the result is the
 * lexicographically smallest vector of choice indices (layer order, then choice order), found
 * by fixing one layer at a time at its smallest index that still admits an optimum (one extra
 * solve per layer whose current optimal choice is not already its first). Ω is divided by its
 * largest magnitude for the solver, so totals that differ by less than about 1e-9 of max|Ω|
 * count as ties.
 *
 * Budgets no allocation can meet are a `RangeError` naming the budget: each budget is first
 * compared with its own minimum Σ_l min_c r_lc; budgets that are each achievable but not
 * together are reported when the solver proves the program infeasible.
 *
 * @example Two layers, a size budget of 10 bits
 * ```ts
 * import { allocateBits } from "@lowbit/mixed/allocate";
 * import { deepEqual, equal } from "node:assert/strict";
 * const c = (weightBits: number, omega: number, n: number) =>
 *   ({ weightBits, activationBits: 8, omega, sizeBits: n * weightBits, bops: 0 });
 * const layers = [
 *   { name: "a", choices: [c(2, 5, 1), c(4, 1, 1), c(8, 0, 1)] }, // 1 weight
 *   { name: "b", choices: [c(2, 9, 2), c(4, 3, 2), c(8, 0, 2)] }, // 2 weights
 * ];
 * const a = await allocateBits(layers, { sizeBits: 10 });
 * deepEqual(a.choices, [0, 1]); // a@2 + b@4: 2 + 8 bits, Ω = 5 + 3 (a@4 + b@2: Ω = 10)
 * equal(a.omega, 8);
 * equal(a.usage.sizeBits, 10);
 * ```
 *
 * @module
 */

import highsModule, { type Highs, type LegacyHighsSolution } from "highs";

/** A resource a budget can limit. */
export type Resource = "sizeBits" | "bops" | "latencySeconds" | "energyJoules";

/** Every {@linkcode Resource}, in the order budgets are checked. */
export const RESOURCES: readonly Resource[] = [
  "sizeBits",
  "bops",
  "latencySeconds",
  "energyJoules",
];

/** One candidate of a layer: its bit widths, sensitivity and resource use. */
export interface Choice {
  /** Weight bits. */
  weightBits: number;
  /** Activation bits. */
  activationBits: number;
  /** Sensitivity Ω (HAWQ v3), the quantity minimised. */
  omega: number;
  /** Weight storage in bits. */
  sizeBits: number;
  /** Bit operations (MACs · b_w · b_a). */
  bops: number;
  /** Latency in seconds (needed only under a latency budget). */
  latencySeconds?: number;
  /** Energy in joules (needed only under an energy budget). */
  energyJoules?: number;
}

/** A layer and its candidate choices. */
export interface LayerChoices {
  /** Layer name (e.g. `conv1`). */
  name: string;
  /** The candidates (at least one). */
  choices: readonly Choice[];
}

/** Upper limits per resource; absent resources are unconstrained. */
export type Budgets = Partial<Record<Resource, number>>;

/** An allocation: one choice per layer, its total sensitivity and resource use. */
export interface Allocation {
  /** Index of the chosen candidate per layer. */
  choices: number[];
  /** The chosen bit widths per layer. */
  bits: { name: string; weightBits: number; activationBits: number }[];
  /** Σ Ω of the chosen candidates. */
  omega: number;
  /** Σ of every resource all chosen candidates define. */
  usage: Partial<Record<Resource, number>>;
}

function finite(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v);
}

/**
 * Checks a problem's shape: at least one layer, each with at least one choice whose numbers
 * are finite.
 *
 * @param layers The layers.
 * @throws {RangeError} Naming the first bad entry (`layers[1].choices[0].omega`).
 */
function checkLayers(layers: readonly LayerChoices[]): void {
  if (!Array.isArray(layers) || layers.length === 0) {
    throw new RangeError("layers must be a non-empty array");
  }
  layers.forEach((l, i) => {
    if (!Array.isArray(l.choices) || l.choices.length === 0) {
      throw new RangeError(`layers[${i}].choices must be a non-empty array (layer ${l.name})`);
    }
    l.choices.forEach((c: Choice, j: number) => {
      for (const k of ["weightBits", "activationBits", "omega", "sizeBits", "bops"] as const) {
        if (!finite(c[k])) {
          throw new RangeError(`layers[${i}].choices[${j}].${k} must be finite; got ${c[k]}`);
        }
      }
    });
  });
}

function resourceOf(layers: readonly LayerChoices[], r: Resource, i: number, j: number): number {
  const v = layers[i].choices[j][r];
  if (!finite(v)) {
    throw new RangeError(
      `layers[${i}].choices[${j}].${r} must be a finite number under a ${r} budget; got ${v}`,
    );
  }
  return v;
}

function budgetList(budgets: Budgets): [Resource, number][] {
  const out: [Resource, number][] = [];
  for (const k of Object.keys(budgets)) {
    if (!(RESOURCES as readonly string[]).includes(k)) {
      throw new RangeError(`budgets.${k} is not a resource (${RESOURCES.join(", ")})`);
    }
  }
  for (const r of RESOURCES) {
    const b = budgets[r];
    if (b === undefined) continue;
    if (!finite(b) || b <= 0) {
      throw new RangeError(`budgets.${r} must be a positive finite number; got ${b}`);
    }
    out.push([r, b]);
  }
  return out;
}

/** Relative slack when comparing a usage with its budget (floating-point sums). */
const BUDGET_TOLERANCE = 1e-9;

/**
 * Validates layers and budgets and checks each budget against its smallest achievable total.
 *
 * @param layers The layers.
 * @param budgets The budgets.
 * @returns The active budgets in {@linkcode RESOURCES} order.
 * @throws {RangeError} Naming a budget below its minimum, or a bad entry.
 *
 * @example
 * ```ts
 * import { checkBudgets } from "@lowbit/mixed/allocate";
 * import { deepEqual, throws } from "node:assert/strict";
 * const layers = [{ name: "fc", choices: [{ weightBits: 4, activationBits: 8, omega: 1, sizeBits: 40, bops: 0 }] }];
 * deepEqual(checkBudgets(layers, { sizeBits: 40 }), [["sizeBits", 40]]);
 * throws(() => checkBudgets(layers, { sizeBits: 39 }), /budgets\.sizeBits = 39 is below the smallest achievable 40/);
 * ```
 */
export function checkBudgets(
  layers: readonly LayerChoices[],
  budgets: Budgets,
): [Resource, number][] {
  checkLayers(layers);
  const list = budgetList(budgets);
  for (const [r, b] of list) {
    let min = 0;
    layers.forEach((l, i) => {
      let m = Infinity;
      for (let j = 0; j < l.choices.length; j++) m = Math.min(m, resourceOf(layers, r, i, j));
      min += m;
    });
    if (min > b * (1 + BUDGET_TOLERANCE)) {
      throw new RangeError(
        `budgets.${r} = ${b} is below the smallest achievable ${min}: no allocation meets it`,
      );
    }
  }
  return list;
}

/**
 * The allocation of given choice indices: bits, Σ Ω and Σ of every resource.
 *
 * @param layers The layers.
 * @param choices One index per layer.
 * @returns The allocation.
 * @throws {RangeError} If `choices` has the wrong length or an index is out of range.
 *
 * @example
 * ```ts
 * import { evaluateAllocation } from "@lowbit/mixed/allocate";
 * import { equal } from "node:assert/strict";
 * const c = (weightBits: number, omega: number) =>
 *   ({ weightBits, activationBits: 8, omega, sizeBits: 10 * weightBits, bops: 100 * weightBits * 8 });
 * const a = evaluateAllocation([{ name: "a", choices: [c(4, 2), c(8, 0.5)] }, { name: "b", choices: [c(4, 1)] }], [1, 0]);
 * equal(a.omega, 1.5);
 * equal(a.usage.sizeBits, 120);
 * equal(a.usage.bops, 9600);
 * equal(a.bits[0].weightBits, 8);
 * ```
 */
export function evaluateAllocation(
  layers: readonly LayerChoices[],
  choices: readonly number[],
): Allocation {
  if (choices.length !== layers.length) {
    throw new RangeError(
      `choices must have one index per layer (${layers.length}); got ${choices.length}`,
    );
  }
  const usage: Partial<Record<Resource, number>> = {};
  const defined = new Set<Resource>(RESOURCES);
  let omega = 0;
  const bits = layers.map((l, i) => {
    const j = choices[i];
    if (!Number.isInteger(j) || j < 0 || j >= l.choices.length) {
      throw new RangeError(`choices[${i}] must be an index into layers[${i}].choices; got ${j}`);
    }
    const c = l.choices[j];
    omega += c.omega;
    for (const r of RESOURCES) {
      const v = c[r];
      if (!finite(v)) defined.delete(r);
      else usage[r] = (usage[r] ?? 0) + v;
    }
    return { name: l.name, weightBits: c.weightBits, activationBits: c.activationBits };
  });
  for (const r of RESOURCES) if (!defined.has(r)) delete usage[r];
  return { choices: [...choices], bits, omega, usage };
}

/**
 * Whether an allocation meets every budget (relative slack 1e-9 for floating-point sums).
 *
 * @param allocation The allocation.
 * @param budgets The budgets.
 * @returns True if every budgeted resource is within its limit.
 *
 * @example
 * ```ts
 * import { evaluateAllocation, meetsBudgets } from "@lowbit/mixed/allocate";
 * import { equal } from "node:assert/strict";
 * const a = evaluateAllocation([{ name: "a", choices: [{ weightBits: 4, activationBits: 8, omega: 1, sizeBits: 40, bops: 0 }] }], [0]);
 * equal(meetsBudgets(a, { sizeBits: 40 }), true);
 * equal(meetsBudgets(a, { sizeBits: 39 }), false);
 * ```
 */
export function meetsBudgets(allocation: Allocation, budgets: Budgets): boolean {
  for (const r of RESOURCES) {
    const b = budgets[r];
    if (b === undefined) continue;
    const u = allocation.usage[r];
    if (u === undefined || u > b * (1 + BUDGET_TOLERANCE)) return false;
  }
  return true;
}

type Solver = Highs;
// The package is CommonJS: Deno types its default import as the module namespace, while the
// runtime value is the loader function its declarations describe.
const loadHighs = highsModule as unknown as () => Promise<Highs>;
let solverPromise: Promise<Solver> | undefined;

function solver(): Promise<Solver> {
  if (solverPromise === undefined) solverPromise = loadHighs();
  return solverPromise;
}

const SOLVE_OPTIONS = {
  output_flag: false,
  mip_rel_gap: 0,
  mip_abs_gap: 0,
  mip_feasibility_tolerance: 1e-9,
  primal_feasibility_tolerance: 1e-9,
  random_seed: 0,
} as const;

function term(coef: number, name: string): string {
  return coef < 0 ? ` - ${-coef} ${name}` : ` + ${coef} ${name}`;
}

function row(name: string, coefs: [number, string][], op: string, rhs: number): string {
  const terms = coefs.filter(([a]) => a !== 0);
  if (terms.length === 0) return "";
  return ` ${name}:${terms.map(([a, v]) => term(a, v)).join("")} ${op} ${rhs}\n`;
}

interface IlpModel {
  vars: string[][];
  base: string; // constraints without the objective-bound and fixing rows
  omegaCoefs: [number, string][];
  scale: number;
}

function buildModel(layers: readonly LayerChoices[], list: [Resource, number][]): IlpModel {
  const vars = layers.map((l, i) => l.choices.map((_, j) => `x${i}_${j}`));
  let maxOmega = 0;
  for (const l of layers) {
    for (const c of l.choices) maxOmega = Math.max(maxOmega, Math.abs(c.omega));
  }
  const scale = maxOmega > 0 ? maxOmega : 1;
  const omegaCoefs: [number, string][] = [];
  layers.forEach((l, i) =>
    l.choices.forEach((c, j) => omegaCoefs.push([c.omega / scale, vars[i][j]]))
  );
  let base = "";
  layers.forEach((_l, i) => {
    base += ` one${i}:${vars[i].map((v) => ` + ${v}`).join("")} = 1\n`;
  });
  for (const [r, b] of list) {
    const coefs: [number, string][] = [];
    layers.forEach((l, i) =>
      l.choices.forEach((_, j) => coefs.push([resourceOf(layers, r, i, j) / b, vars[i][j]]))
    );
    base += row(r, coefs, "<=", 1);
  }
  return { vars, base, omegaCoefs, scale };
}

function lp(model: IlpModel, objective: [number, string][], extra: string): string {
  const all = model.vars.flat();
  const obj = objective.filter(([a]) => a !== 0);
  // An objective with no term still needs a column: 0 x0_0.
  const objText = obj.length === 0 ? ` + 0 ${all[0]}` : obj.map(([a, v]) => term(a, v)).join("");
  return `Minimize\n obj:${objText}\nSubject To\n${model.base}${extra}Binary\n ${
    all.join(" ")
  }\nEnd\n`;
}

function solve(h: Solver, text: string, budgetNames: string): Record<string, number> {
  const r: LegacyHighsSolution = h.solve(text, SOLVE_OPTIONS);
  if (r.Status === "Infeasible" || r.Status === "Primal infeasible or unbounded") {
    throw new RangeError(
      `budgets ${budgetNames} cannot be met together: the solver proved the program infeasible`,
    );
  }
  if (r.Status !== "Optimal") throw new Error(`HiGHS ended with status "${r.Status}"`);
  const out: Record<string, number> = {};
  for (const [k, c] of Object.entries(r.Columns)) {
    out[k] = (c as { Primal?: number }).Primal ?? 0;
  }
  return out;
}

function pick(vars: string[], sol: Record<string, number>): number {
  let best = 0;
  for (let j = 1; j < vars.length; j++) if ((sol[vars[j]] ?? 0) > (sol[vars[best]] ?? 0)) best = j;
  return best;
}

/**
 * The minimum-Ω allocation under the budgets (see the module doc), solved by HiGHS.
 *
 * @param layers The layers and their candidate choices.
 * @param budgets Limits on size, BOPS, latency and energy (any subset).
 * @returns The optimal allocation (lexicographically smallest among ties).
 * @throws {RangeError} If a budget (or the budgets together) cannot be met, or an entry is bad.
 *
 * @example Two budgets together: 8-bit everywhere is too many BOPS
 * ```ts
 * import { allocateBits } from "@lowbit/mixed/allocate";
 * import { deepEqual, rejects } from "node:assert/strict";
 * const c = (w: number, a: number, omega: number) =>
 *   ({ weightBits: w, activationBits: a, omega, sizeBits: 100 * w, bops: 1000 * w * a });
 * const layers = [0, 1].map((i) => ({ name: `l${i}`, choices: [c(4, 4, 3 - i), c(8, 8, 0)] }));
 * const a = await allocateBits(layers, { sizeBits: 1200, bops: 80000 });
 * deepEqual(a.bits.map((b) => b.weightBits), [8, 4]); // layer 0 is more sensitive
 * await rejects(allocateBits(layers, { bops: 10000 }), /budgets\.bops = 10000 is below the smallest achievable 32000/);
 * ```
 */
export async function allocateBits(
  layers: readonly LayerChoices[],
  budgets: Budgets,
): Promise<Allocation> {
  const list = checkBudgets(layers, budgets);
  const names = list.length === 0 ? "(none)" : list.map(([r, b]) => `${r} = ${b}`).join(", ");
  const h = await solver();
  const model = buildModel(layers, list);
  const first = solve(h, lp(model, model.omegaCoefs, ""), names);
  let best = 0;
  layers.forEach((_, i) => {
    best += model.omegaCoefs.filter(([, v]) => v.startsWith(`x${i}_`)).reduce(
      (s, [a, v]) => s + a * (first[v] > 0.5 ? 1 : 0),
      0,
    );
  });
  const bound = best + 1e-9 * Math.max(1, Math.abs(best));
  // The incumbent is an optimal allocation consistent with the layers fixed so far; a layer
  // whose incumbent choice is already index 0 needs no solve.
  let incumbent = model.vars.map((vars) => pick(vars, first));
  const fixed: number[] = [];
  let fixing = "";
  for (let i = 0; i < layers.length; i++) {
    const vars = model.vars[i];
    if (incumbent[i] > 0) {
      const objective: [number, string][] = vars.map((v, j) => [j, v]);
      const omegaRow = row("omega", model.omegaCoefs, "<=", bound);
      const sol = solve(h, lp(model, objective, omegaRow + fixing), names);
      incumbent = model.vars.map((vs) => pick(vs, sol));
    }
    fixed.push(incumbent[i]);
    fixing += ` fix${i}: + ${vars[fixed[i]]} = 1\n`;
  }
  const out = evaluateAllocation(layers, fixed);
  if (!meetsBudgets(out, budgets)) {
    throw new Error(`HiGHS returned an allocation outside the budgets (${names})`);
  }
  return out;
}

/** One point of {@linkcode paretoSweep}. */
export interface ParetoPoint {
  /** The budget of the swept resource that produced the point. */
  budget: number;
  /** The optimal allocation at that budget. */
  allocation: Allocation;
}

/**
 * The Ω-vs-resource Pareto front: the optimal allocation at each budget of `resource` (the
 * other budgets fixed), keeping the points no other point dominates (less or equal usage of
 * `resource` and less or equal Ω, one strictly). Budgets no allocation can meet are skipped.
 *
 * @param layers The layers.
 * @param resource The swept resource.
 * @param values Its budgets.
 * @param budgets Other budgets held fixed (must not contain `resource`).
 * @returns The front, by increasing usage and strictly decreasing Ω.
 * @throws {RangeError} If `values` is empty or `budgets` also limits `resource`.
 *
 * @example
 * ```ts
 * import { paretoSweep } from "@lowbit/mixed/allocate";
 * import { deepEqual } from "node:assert/strict";
 * const c = (w: number, omega: number) => ({ weightBits: w, activationBits: 8, omega, sizeBits: 10 * w, bops: 0 });
 * const layers = [{ name: "a", choices: [c(2, 4), c(4, 1), c(8, 0)] }];
 * const front = await paretoSweep(layers, "sizeBits", [10, 20, 30, 40, 50, 80]);
 * deepEqual(front.map((p) => [p.budget, p.allocation.usage.sizeBits, p.allocation.omega]), [[20, 20, 4], [40, 40, 1], [80, 80, 0]]);
 * ```
 */
export async function paretoSweep(
  layers: readonly LayerChoices[],
  resource: Resource,
  values: readonly number[],
  budgets: Budgets = {},
): Promise<ParetoPoint[]> {
  if (!RESOURCES.includes(resource)) {
    throw new RangeError(`resource must be one of ${RESOURCES.join(", ")}; got ${resource}`);
  }
  if (values.length === 0) throw new RangeError("values must list at least one budget");
  if (budgets[resource] !== undefined) {
    throw new RangeError(`budgets.${resource} is the swept resource; pass its values instead`);
  }
  const points: ParetoPoint[] = [];
  for (const v of [...values].sort((a, b) => a - b)) {
    try {
      points.push({
        budget: v,
        allocation: await allocateBits(layers, { ...budgets, [resource]: v }),
      });
    } catch (e) {
      if (e instanceof RangeError && /cannot be met|below the smallest/.test(e.message)) continue;
      throw e;
    }
  }
  const use = (p: ParetoPoint) => p.allocation.usage[resource] as number;
  const front = points.filter((p) =>
    !points.some((q) =>
      q !== p && use(q) <= use(p) && q.allocation.omega <= p.allocation.omega &&
      (use(q) < use(p) || q.allocation.omega < p.allocation.omega)
    )
  );
  front.sort((a, b) => use(a) - use(b) || a.budget - b.budget);
  // Equal points (the same allocation reached from several budgets): keep the smallest budget.
  return front.filter((p, k) =>
    k === 0 || use(front[k - 1]) !== use(p) || front[k - 1].allocation.omega !== p.allocation.omega
  );
}
