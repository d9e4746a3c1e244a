import { equal, ok, throws } from "node:assert/strict";
import { Philox } from "@lowbit/rounding/philox";
import { batches, type Dataset } from "./data/dataset.ts";
import { imagesTensor } from "./images.ts";

function toyData(n: number, seed: number): Dataset {
  const r = new Philox(seed);
  return {
    name: "toy",
    images: Uint8Array.from({ length: n * 2 * 8 * 8 }, () => r.nextUint32() & 255),
    labels: Uint8Array.from({ length: n }, () => r.nextUint32() % 3),
    count: n,
    channels: 2,
    height: 8,
    width: 8,
    classes: 3,
  };
}

Deno.test("imagesTensor: equals batches' inputs bit for bit", () => {
  const ds = toyData(6, 3);
  const norm = { mean: 0.4, std: 0.25 };
  const [batch] = [...batches(ds, { batchSize: 6, ...norm })];
  const x = imagesTensor(ds, 0, 6, norm);
  equal(x.data.length, batch.x.data.length);
  ok(x.data.every((v, i) => v === batch.x.data[i]), "inputs differ from batches");
  const tail = imagesTensor(ds, 4, 2, norm);
  ok(tail.data.every((v, i) => v === batch.x.data[4 * 128 + i]));
});

Deno.test("imagesTensor: range checks name the arguments", () => {
  const ds = toyData(2, 1);
  throws(() => imagesTensor(ds, 1, 2, { mean: 0, std: 1 }), /exceed the 2 of toy/);
  throws(() => imagesTensor(ds, -1, 1, { mean: 0, std: 1 }), /from and count/);
  throws(() => imagesTensor(ds, 0, 1, { mean: 0, std: 0 }), /norm.std/);
});
