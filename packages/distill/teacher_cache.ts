/**
 * Teacher logits computed once and cached on disk (safetensors through `@lowbit/nn`), so that
 * student runs do not recompute the frozen teacher's forward pass. The file holds one F32
 * tensor `logits` `[N, C]` (row k = example k of the dataset, in dataset order, teacher in
 * evaluation mode) and metadata naming what it was computed from: a SHA-256 of the teacher's
 * state dict, a SHA-256 of the dataset's images and labels, the example count, the classes and
 * the input normalisation. {@linkcode loadTeacherLogits} rejects a file whose metadata does
 * not match the current teacher/dataset with a {@linkcode StaleTeacherCacheError}.
 *
 * @example Compute, save, load
 * ```ts
 * import { computeTeacherLogits, loadTeacherLogits, saveTeacherLogits } from "@lowbit/distill/teacher-cache";
 * import { Flatten } from "@lowbit/nn/layers";
 * import type { Dataset } from "@lowbit/nn/data/dataset";
 * import { deepEqual } from "node:assert/strict";
 * const ds: Dataset = { name: "t", images: new Uint8Array([255, 0, 0, 255]), labels: new Uint8Array([0, 1]), count: 2, channels: 1, height: 1, width: 2, classes: 2 };
 * const teacher = new Flatten(); // logits are the pixels
 * const cache = await computeTeacherLogits(teacher, ds);
 * deepEqual([...cache.logits], [1, 0, 0, 1]);
 * const path = await Deno.makeTempFile({ suffix: ".safetensors" });
 * await saveTeacherLogits(path, cache);
 * deepEqual([...(await loadTeacherLogits(path, teacher, ds)).logits], [1, 0, 0, 1]);
 * await Deno.remove(path);
 * ```
 *
 * @module
 */

import { noGrad } from "@lowbit/nn/autograd";
import { batches, type Dataset } from "@lowbit/nn/data/dataset";
import type { Module } from "@lowbit/nn/module";
import { decodeSafetensors, encodeSafetensors } from "@lowbit/nn/safetensors";
import type { Normalization } from "@lowbit/nn/train";

/** Teacher logits of a whole dataset and what they were computed from. */
export interface TeacherLogits {
  /** Row-major `[count, classes]`, row k = example k. */
  logits: Float32Array;
  /** Examples. */
  count: number;
  /** Classes (columns). */
  classes: number;
  /** SHA-256 (hex) of the teacher's state dict ({@linkcode stateDictHash}). */
  teacherHash: string;
  /** SHA-256 (hex) of the dataset ({@linkcode datasetHash}). */
  datasetHash: string;
  /** Input normalisation used. */
  mean: number;
  /** See `mean`. */
  std: number;
}

/** Why a cache was rejected: `field` is the metadata entry that differs. */
export class StaleTeacherCacheError extends Error {
  /** The mismatching entry (`"teacherHash"`, `"datasetHash"`, `"count"`, …). */
  readonly field: string;
  /**
   * Creates the error.
   *
   * @param field The mismatching entry.
   * @param message The explanation.
   */
  constructor(field: string, message: string) {
    super(message);
    this.name = "StaleTeacherCacheError";
    this.field = field;
  }
}

function hex(buf: ArrayBuffer): string {
  return [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function asBytes(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

async function sha256(parts: Uint8Array[]): Promise<string> {
  const total = parts.reduce((s, p) => s + p.length, 0);
  const all = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.length;
  }
  return hex(await crypto.subtle.digest("SHA-256", all));
}

/**
 * SHA-256 (hex) of a model's state dict: names, shapes and float32 bytes, in state-dict order.
 *
 * @param model The model.
 * @returns 64 hex digits.
 *
 * @example Any changed weight changes the hash
 * ```ts
 * import { stateDictHash } from "@lowbit/distill/teacher-cache";
 * import { Linear } from "@lowbit/nn/linear";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { notEqual } from "node:assert/strict";
 * const m = new Linear(2, 2, { random: new Philox(1) });
 * const a = await stateDictHash(m);
 * m.weight.data[0] += 1e-6;
 * notEqual(await stateDictHash(m), a);
 * ```
 */
export async function stateDictHash(model: Module): Promise<string> {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  for (const [name, t] of model.stateDict()) {
    parts.push(enc.encode(`${name}:${t.shape.join("x")};`), asBytes(t.data));
  }
  return await sha256(parts);
}

/**
 * SHA-256 (hex) of a dataset's geometry, images and labels.
 *
 * @param ds The dataset.
 * @returns 64 hex digits.
 *
 * @example
 * ```ts
 * import { datasetHash } from "@lowbit/distill/teacher-cache";
 * import type { Dataset } from "@lowbit/nn/data/dataset";
 * import { notEqual } from "node:assert/strict";
 * const ds: Dataset = { name: "t", images: new Uint8Array([1, 2]), labels: new Uint8Array([0, 1]), count: 2, channels: 1, height: 1, width: 1, classes: 2 };
 * notEqual(await datasetHash(ds), await datasetHash({ ...ds, labels: new Uint8Array([1, 1]) }));
 * ```
 */
export async function datasetHash(ds: Dataset): Promise<string> {
  const geo = `${ds.count}:${ds.channels}x${ds.height}x${ds.width}:${ds.classes};`;
  return await sha256([new TextEncoder().encode(geo), ds.images, ds.labels]);
}

/**
 * Runs the frozen teacher (evaluation mode, no graph) over a dataset in dataset order.
 *
 * @param teacher The teacher (logits `[B, C]`).
 * @param ds The dataset.
 * @param options Normalisation, batch size (default 500), progress callback.
 * @returns The logits and their provenance.
 * @throws {RangeError} If the teacher does not return `[B, C]` rows.
 *
 * @example
 * ```ts
 * import { computeTeacherLogits } from "@lowbit/distill/teacher-cache";
 * import { Flatten } from "@lowbit/nn/layers";
 * import type { Dataset } from "@lowbit/nn/data/dataset";
 * import { equal } from "node:assert/strict";
 * const ds: Dataset = { name: "t", images: new Uint8Array([255, 0]), labels: new Uint8Array([0]), count: 1, channels: 1, height: 1, width: 2, classes: 2 };
 * const c = await computeTeacherLogits(new Flatten(), ds, { mean: 0.5, std: 0.5 });
 * equal(c.logits[0], 1);
 * equal(c.logits[1], -1);
 * ```
 */
export async function computeTeacherLogits(
  teacher: Module,
  ds: Dataset,
  options: Normalization & { batchSize?: number; log?: (line: string) => void } = {},
): Promise<TeacherLogits> {
  const mean = options.mean ?? 0, std = options.std ?? 1;
  const wasTraining = teacher.training;
  teacher.eval();
  let logits: Float32Array | null = null;
  let classes = 0, done = 0, lastLog = performance.now();
  try {
    noGrad(() => {
      for (const b of batches(ds, { batchSize: options.batchSize ?? 500, mean, std })) {
        const z = teacher.forward(b.x);
        const n = b.labels.length;
        if (z.shape.length !== 2 || z.shape[0] !== n) {
          throw new RangeError(`teacher must return [${n}, classes] logits; got [${z.shape}]`);
        }
        if (logits === null) {
          classes = z.shape[1];
          logits = new Float32Array(ds.count * classes);
        }
        logits.set(z.data, done * classes);
        done += n;
        if (options.log && performance.now() - lastLog > 5000) {
          options.log(`teacher logits ${done}/${ds.count}`);
          lastLog = performance.now();
        }
      }
    });
  } finally {
    teacher.train(wasTraining);
  }
  return {
    logits: logits ?? new Float32Array(0),
    count: ds.count,
    classes,
    teacherHash: await stateDictHash(teacher),
    datasetHash: await datasetHash(ds),
    mean,
    std,
  };
}

/**
 * Writes teacher logits as safetensors (tensor `logits`, provenance in the metadata).
 *
 * @param path The file.
 * @param cache The logits.
 * @returns Nothing (resolves when written).
 *
 * @example See the module example.
 * ```ts
 * import { saveTeacherLogits } from "@lowbit/distill/teacher-cache";
 * import { decodeSafetensors } from "@lowbit/nn/safetensors";
 * import { equal } from "node:assert/strict";
 * const path = await Deno.makeTempFile({ suffix: ".safetensors" });
 * await saveTeacherLogits(path, { logits: new Float32Array([1, 2]), count: 1, classes: 2, teacherHash: "a", datasetHash: "b", mean: 0, std: 1 });
 * equal(decodeSafetensors(await Deno.readFile(path)).metadata.teacherHash, "a");
 * await Deno.remove(path);
 * ```
 */
export async function saveTeacherLogits(path: string | URL, cache: TeacherLogits): Promise<void> {
  const bytes = encodeSafetensors(
    new Map([["logits", {
      dtype: "F32",
      shape: [cache.count, cache.classes],
      data: cache.logits,
    }]]),
    {
      teacherHash: cache.teacherHash,
      datasetHash: cache.datasetHash,
      count: String(cache.count),
      classes: String(cache.classes),
      mean: String(cache.mean),
      std: String(cache.std),
    },
  );
  await Deno.writeFile(path, bytes);
}

/**
 * Reads cached teacher logits and checks that they belong to this teacher and dataset.
 *
 * @param path The file.
 * @param teacher The teacher the logits must come from (its state dict is hashed).
 * @param ds The dataset they must cover.
 * @param options The normalisation they must have used (default mean 0, std 1).
 * @returns The logits.
 * @throws {StaleTeacherCacheError} If the count, classes, normalisation, dataset hash or
 *   teacher hash differ (`field` names which).
 * @throws {RangeError} If the file is not a teacher-logits safetensors file.
 *
 * @example A different dataset size is rejected
 * ```ts
 * import { computeTeacherLogits, loadTeacherLogits, saveTeacherLogits, StaleTeacherCacheError } from "@lowbit/distill/teacher-cache";
 * import { Flatten } from "@lowbit/nn/layers";
 * import type { Dataset } from "@lowbit/nn/data/dataset";
 * import { rejects } from "node:assert/strict";
 * const ds: Dataset = { name: "t", images: new Uint8Array([255, 0, 0, 255]), labels: new Uint8Array([0, 1]), count: 2, channels: 1, height: 1, width: 2, classes: 2 };
 * const path = await Deno.makeTempFile({ suffix: ".safetensors" });
 * await saveTeacherLogits(path, await computeTeacherLogits(new Flatten(), ds));
 * const one = { ...ds, images: ds.images.slice(0, 2), labels: ds.labels.slice(0, 1), count: 1 };
 * await rejects(loadTeacherLogits(path, new Flatten(), one), StaleTeacherCacheError);
 * await Deno.remove(path);
 * ```
 */
export async function loadTeacherLogits(
  path: string | URL,
  teacher: Module,
  ds: Dataset,
  options: Normalization = {},
): Promise<TeacherLogits> {
  const { tensors, metadata } = decodeSafetensors(await Deno.readFile(path));
  const t = tensors.get("logits");
  if (t === undefined || t.dtype !== "F32" || t.shape.length !== 2) {
    throw new RangeError(`${String(path)} has no F32 [N, C] tensor "logits"`);
  }
  const mean = options.mean ?? 0, std = options.std ?? 1;
  const expect = (field: string, want: string) => {
    if (metadata[field] !== want) {
      throw new StaleTeacherCacheError(
        field,
        `stale teacher cache ${String(path)}: ${field} is ${
          String(metadata[field])
        }, expected ${want}`,
      );
    }
  };
  expect("count", String(ds.count));
  expect("mean", String(mean));
  expect("std", String(std));
  expect("datasetHash", await datasetHash(ds));
  expect("teacherHash", await stateDictHash(teacher));
  const [count, classes] = t.shape;
  if (count !== ds.count) throw new StaleTeacherCacheError("count", `logits have ${count} rows`);
  expect("classes", String(classes));
  return {
    logits: t.data as Float32Array,
    count,
    classes,
    teacherHash: metadata.teacherHash,
    datasetHash: metadata.datasetHash,
    mean,
    std,
  };
}
