/**
 * What the training scripts of issue 18 (`train_binary.ts`, `train_fixed_point.ts`) share: their
 * `--name=value` arguments, the rounded wall time and per-epoch rows of the JSON they write,
 * and writing that JSON.
 *
 * @module
 */

import type { EpochStats } from "@lowbit/nn/train";

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
 * Seconds since a `performance.now()` reading, to 0.1 s.
 *
 * @param t0 The start, in milliseconds.
 * @returns Rounded seconds.
 *
 * @example
 * ```ts
 * import { secondsSince } from "./_train_run.ts";
 * import { equal } from "node:assert/strict";
 * equal(secondsSince(performance.now() + 60_000) < -59, true);
 * ```
 */
export function secondsSince(t0: number): number {
  return Math.round((performance.now() - t0) / 100) / 10;
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
