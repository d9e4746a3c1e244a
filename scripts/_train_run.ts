/**
 * What the training scripts (`train_binary.ts`, `train_fixed_point.ts`, `train_mixed.ts`,
 * `packages/distill/scripts/train_fashion.ts`) share: their `--name=value` and `--seeds=a,b`
 * arguments, the timed `fit` call, the per-epoch rows of the JSON they write, and writing that
 * JSON.
 *
 * @module
 */

import type { Dataset } from "@lowbit/nn/data/dataset";
import type { Module } from "@lowbit/nn/module";
import { type EpochStats, fit, type FitOptions } from "@lowbit/nn/train";

/**
 * The value of `--name=value` among the arguments, or the fallback.
 *
 * @param name The argument's name, without the dashes.
 * @param fallback The value when it is absent.
 * @param args The arguments (default `Deno.args`).
 * @returns The value as a string.
 *
 * @example
 * ```ts
 * import { scriptArg } from "./_train_run.ts";
 * import { equal } from "node:assert/strict";
 * equal(scriptArg("seed", "1", ["--epochs=3", "--seed=2"]), "2");
 * equal(scriptArg("lr", "0.1", ["--seed=2"]), "0.1");
 * ```
 */
export function scriptArg(
  name: string,
  fallback: string,
  args: readonly string[] = Deno.args,
): string {
  const a = args.find((s) => s.startsWith(`--${name}=`));
  return a === undefined ? fallback : a.slice(name.length + 3);
}

/**
 * The seeds of `--seeds=a,b` among the arguments, each checked against the seeds a stage
 * defines, or all of those seeds when the argument is absent. Lets two processes share a
 * stage's seeds (one per core).
 *
 * @param allowed The stage's seeds.
 * @param args The arguments (default `Deno.args`).
 * @returns The seeds to run, in the order given.
 * @throws {RangeError} If a listed seed is not one of `allowed` (naming `--seeds`).
 *
 * @example
 * ```ts
 * import { seedsArg } from "./_train_run.ts";
 * import { deepEqual, throws } from "node:assert/strict";
 * deepEqual(seedsArg([1, 2, 3], ["mbv2-compare", "--seeds=3,1"]), [3, 1]);
 * deepEqual(seedsArg([1, 2, 3], ["mbv2-compare"]), [1, 2, 3]);
 * throws(() => seedsArg([1, 2, 3], ["--seeds=4"]), /--seeds: each seed must be one of 1, 2, 3; got 4/);
 * throws(() => seedsArg([1, 2, 3], ["--seeds=1,"]), /got NaN/);
 * ```
 */
export function seedsArg(
  allowed: readonly number[],
  args: readonly string[] = Deno.args,
): readonly number[] {
  const only = args.find((a) => a.startsWith("--seeds="));
  if (only === undefined) return allowed;
  const seeds = only.slice("--seeds=".length).split(",").map((t) => t === "" ? NaN : Number(t));
  for (const s of seeds) {
    if (!allowed.includes(s)) {
      throw new RangeError(`--seeds: each seed must be one of ${allowed.join(", ")}; got ${s}`);
    }
  }
  return seeds;
}

/**
 * `fit` with a heading line and its wall time: prints `== <label>`, trains, and returns the
 * history with the seconds taken (to 0.1 s).
 *
 * @param label What is trained (printed after `== `).
 * @param model The model.
 * @param train The training set.
 * @param options `fit`'s options.
 * @returns The per-epoch history and the training seconds.
 *
 * @example
 * ```ts
 * import { timedFit } from "./_train_run.ts";
 * import { Flatten, Linear, Sequential, SGD } from "@lowbit/nn";
 * import type { Dataset } from "@lowbit/nn/data/dataset";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { equal, ok } from "node:assert/strict";
 * const ds: Dataset = { name: "toy", images: new Uint8Array([0, 255, 255, 0]), labels: new Uint8Array([0, 1]), count: 2, channels: 1, height: 1, width: 2, classes: 2 };
 * const model = new Sequential([new Flatten(), new Linear(2, 2, { random: new Philox(1) })]);
 * const { history, seconds } = timedFit("toy", model, ds, { epochs: 3, batchSize: 2, seed: 1, optimizer: new SGD(model.parameters(), { lr: 0.5 }), log: () => {} });
 * equal(history.length, 3);
 * ok(seconds >= 0);
 * ```
 */
export function timedFit(
  label: string,
  model: Module,
  train: Dataset,
  options: FitOptions,
): { history: EpochStats[]; seconds: number } {
  console.log(`== ${label}`);
  const t0 = performance.now();
  const history = fit(model, train, options);
  return { history, seconds: Math.round((performance.now() - t0) / 100) / 10 };
}

/**
 * The part of an epoch's statistics that every training JSON records: epoch, loss (5 decimals)
 * and training accuracy.
 *
 * @param h One entry of `fit`'s history.
 * @returns `{ epoch, loss, trainAccuracy }`.
 *
 * @example
 * ```ts
 * import { epochRow } from "./_train_run.ts";
 * import { deepEqual } from "node:assert/strict";
 * const h = { epoch: 2, loss: 0.1234567, trainAccuracy: 0.9, samplesPerSecond: 1, seconds: 1, lr: 0 };
 * deepEqual(epochRow(h), { epoch: 2, loss: 0.12346, trainAccuracy: 0.9 });
 * ```
 */
export function epochRow(h: EpochStats): { epoch: number; loss: number; trainAccuracy: number } {
  return { epoch: h.epoch, loss: Number(h.loss.toFixed(5)), trainAccuracy: h.trainAccuracy };
}

/**
 * Writes a value as two-space-indented JSON with a final newline.
 *
 * @param path The file.
 * @param value Any JSON-serialisable value.
 *
 * @example
 * ```ts
 * import { writeJson } from "./_train_run.ts";
 * import { equal } from "node:assert/strict";
 * const path = await Deno.makeTempFile();
 * await writeJson(path, { a: 1 });
 * equal(await Deno.readTextFile(path), '{\n  "a": 1\n}\n');
 * await Deno.remove(path);
 * ```
 */
export async function writeJson(path: string, value: unknown): Promise<void> {
  await Deno.writeTextFile(path, JSON.stringify(value, null, 2) + "\n");
}
