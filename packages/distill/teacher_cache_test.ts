import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { Flatten, Linear, Sequential } from "@lowbit/nn";
import type { Dataset } from "@lowbit/nn/data/dataset";
import { encodeSafetensors } from "@lowbit/nn/safetensors";
import { Philox } from "@lowbit/rounding/philox";
import {
  computeTeacherLogits,
  loadTeacherLogits,
  saveTeacherLogits,
  StaleTeacherCacheError,
} from "./teacher_cache.ts";

function toy(count: number, seed: number): Dataset {
  const r = new Philox(seed);
  return {
    name: "toy",
    images: Uint8Array.from({ length: count * 6 }, () => r.nextUint32() & 255),
    labels: Uint8Array.from({ length: count }, () => r.nextUint32() % 3),
    count,
    channels: 1,
    height: 2,
    width: 3,
    classes: 3,
  };
}

function teacher(seed: number): Sequential {
  return new Sequential([new Flatten(), new Linear(6, 3, { random: new Philox(seed) })]);
}

Deno.test("teacher cache: round-trips bit for bit", async () => {
  const ds = toy(37, 1), t = teacher(2), norm = { mean: 0.3, std: 0.4 };
  const c = await computeTeacherLogits(t, ds, { ...norm, batchSize: 8 });
  equal(c.logits.length, 37 * 3);
  // Row k is the teacher's output on example k alone (independent of batching).
  const one = await computeTeacherLogits(t, {
    ...ds,
    images: ds.images.slice(36 * 6),
    labels: ds.labels.slice(36),
    count: 1,
  }, norm);
  deepEqual([...c.logits.subarray(36 * 3)], [...one.logits]);
  const path = await Deno.makeTempFile({ suffix: ".safetensors" });
  try {
    await saveTeacherLogits(path, c);
    const back = await loadTeacherLogits(path, t, ds, norm);
    const a = new Uint32Array(c.logits.buffer), b = new Uint32Array(back.logits.slice().buffer);
    deepEqual([...b], [...a]);
    equal(back.teacherHash, c.teacherHash);
    equal(back.datasetHash, c.datasetHash);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("teacher cache: stale files are rejected with a typed error naming the field", async () => {
  const ds = toy(20, 3), t = teacher(4);
  const path = await Deno.makeTempFile({ suffix: ".safetensors" });
  try {
    await saveTeacherLogits(path, await computeTeacherLogits(t, ds));
    const field = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (e) {
        ok(e instanceof StaleTeacherCacheError, String(e));
        return e.field;
      }
      throw new Error("not rejected");
    };
    // Different dataset size.
    equal(await field(loadTeacherLogits(path, t, toy(19, 3))), "count");
    // Same size, different images.
    const other = toy(20, 3);
    other.images[5] ^= 1;
    equal(await field(loadTeacherLogits(path, t, other)), "datasetHash");
    // Different teacher (one weight changed by one ulp-ish step).
    const t2 = teacher(4);
    t2.parameters()[0].data[0] += 1e-3;
    equal(await field(loadTeacherLogits(path, t2, ds)), "teacherHash");
    // Different normalisation.
    equal(await field(loadTeacherLogits(path, t, ds, { mean: 0.5 })), "mean");
    // The matching teacher and dataset still load.
    equal((await loadTeacherLogits(path, t, ds)).count, 20);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("teacher cache: a file without a logits tensor is a RangeError", async () => {
  const path = await Deno.makeTempFile({ suffix: ".safetensors" });
  try {
    await Deno.writeFile(
      path,
      encodeSafetensors(new Map([["w", { dtype: "F32", shape: [1], data: new Float32Array(1) }]])),
    );
    await rejects(loadTeacherLogits(path, teacher(1), toy(1, 1)), RangeError);
  } finally {
    await Deno.remove(path);
  }
});
