import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { Philox } from "@lowbit/rounding/philox";
import { Variable } from "./autograd.ts";
import type { Dataset } from "./data/dataset.ts";
import { Flatten, ReLU } from "./layers.ts";
import { Linear } from "./linear.ts";
import { Sequential } from "./module.ts";
import { Adam, SGD } from "./optim.ts";
import { cosineLR } from "./schedule.ts";
import { countCorrect, evaluate, fit } from "./train.ts";

// Two Gaussian-ish blobs rendered as 2×2 "images": class 0 bright on the left, class 1 right.
function blobs(n: number, seed: number): Dataset {
  const r = new Philox(seed);
  const images = new Uint8Array(n * 4), labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    labels[i] = c;
    for (let j = 0; j < 4; j++) {
      const bright = (j % 2) === c;
      images[i * 4 + j] = Math.floor((bright ? 150 : 20) + r.uniform() * 90);
    }
  }
  return { name: "blobs", images, labels, count: n, channels: 1, height: 2, width: 2, classes: 2 };
}

function model(seed: number) {
  const random = new Philox(seed);
  return new Sequential([
    new Flatten(),
    new Linear(4, 8, { random }),
    new ReLU(),
    new Linear(8, 2, { random }),
  ]);
}

Deno.test("fit learns a separable problem; logs one line per epoch; same seed → same bits", () => {
  const train = blobs(64, 1), test = blobs(32, 2);
  const run = () => {
    const m = model(3);
    const lines: string[] = [];
    const h = fit(m, train, {
      epochs: 5,
      batchSize: 8,
      seed: 7,
      optimizer: new Adam(m.parameters(), { lr: 0.02 }),
      schedule: cosineLR({ lr: 0.02, total: 40 }),
      test,
      log: (l) => lines.push(l),
    });
    return { h, lines, w: m.stateDict() };
  };
  const a = run(), b = run();
  equal(a.lines.length, 5);
  ok(
    /^epoch 5\/5 {2}loss \d+\.\d{4} {2}train acc [\d.]+% {2}test acc [\d.]+% {2}\d+ samples\/s/
      .test(a.lines[4]),
    a.lines[4],
  );
  equal(a.h[4].testAccuracy, 1);
  ok(a.h[4].loss < a.h[0].loss);
  deepEqual(a.w, b.w);
  deepEqual(a.h.map((e) => e.loss), b.h.map((e) => e.loss));
});

Deno.test("fit stops on a non-finite loss naming epoch and step", () => {
  const m = model(1);
  let calls = 0;
  throws(
    () =>
      fit(m, blobs(16, 1), {
        epochs: 3,
        batchSize: 4,
        seed: 1,
        optimizer: new SGD(m.parameters(), { lr: 1e4 }),
        loss: (z) => {
          // a loss that becomes NaN on the 6th call
          calls++;
          const l = z.sum().mulScalar(0);
          if (calls === 6) l.data[0] = NaN;
          return l;
        },
        log: () => {},
      }),
    /loss is NaN at epoch 2, step 2 \(global step 6/,
  );
  throws(
    () =>
      fit(m, blobs(4, 1), { epochs: 0, batchSize: 1, seed: 1, optimizer: new SGD([], { lr: 1 }) }),
    /epochs must be a positive integer/,
  );
});

Deno.test("evaluate and countCorrect agree with a brute-force arg-max", () => {
  const z = Variable.from([0.1, 0.9, 0.8, 0.2, 0.5, 0.5], [3, 2]);
  equal(countCorrect(z, [1, 0, 0]), 3); // tie → lowest index
  const ds = blobs(10, 4);
  const m = model(2);
  const e = evaluate(m, ds);
  let correct = 0;
  for (let i = 0; i < ds.count; i++) {
    const x = Variable.from([...ds.images.subarray(i * 4, i * 4 + 4)].map((v) => v / 255), [
      1,
      1,
      2,
      2,
    ]);
    const y = m.eval().forward(x).data;
    if ((y[1] > y[0] ? 1 : 0) === ds.labels[i]) correct++;
  }
  equal(e.correct, correct);
  ok(m.training === false);
});
