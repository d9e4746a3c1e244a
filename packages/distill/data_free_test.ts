import { deepEqual, equal, ok } from "node:assert/strict";
import { Flatten, Linear, Sequential } from "@lowbit/nn";
import { batches } from "@lowbit/nn/data/dataset";
import { Philox } from "@lowbit/rounding/philox";
import { syntheticDataset } from "./data_free.ts";

Deno.test("syntheticDataset: bytes round-trip through the normalisation, labels are the teacher's arg-max", () => {
  const r = new Philox(3);
  const bytes = Uint8Array.from({ length: 20 * 6 }, () => r.nextUint32() & 255);
  const mean = 0.286, std = 0.353;
  const x = Float32Array.from(bytes, (b) => (b / 255 - mean) / std);
  const teacher = new Sequential([new Flatten(), new Linear(6, 4, { random: new Philox(9) })]);
  const ds = syntheticDataset(x, [1, 2, 3], teacher, { mean, std });
  deepEqual([...ds.images], [...bytes]);
  equal(ds.classes, 4);
  equal(ds.count, 20);
  // labels: the teacher's arg-max on exactly the batches a student would see
  const z = teacher.forward([...batches(ds, { batchSize: 20, mean, std })][0].x);
  for (let i = 0; i < 20; i++) {
    const row = Array.from(z.data.subarray(i * 4, i * 4 + 4));
    equal(ds.labels[i], row.indexOf(Math.max(...row)));
  }
  ok(new Set(ds.labels).size > 1);
});
