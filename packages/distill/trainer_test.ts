import { deepEqual, ok, throws } from "node:assert/strict";
import { batches, Conv2d, Flatten, Linear, ReLU, Sequential, SGD, Variable } from "@lowbit/nn";
import { attentionTransferLoss } from "./attention.ts";
import { forwardWithFeatures } from "./features.ts";
import type { Dataset } from "@lowbit/nn/data/dataset";
import { Philox } from "@lowbit/rounding/philox";
import { computeTeacherLogits } from "./teacher_cache.ts";
import { distill, distillationLoss } from "./trainer.ts";
import { permutation } from "@lowbit/nn/data/dataset";
import { rampSchedule } from "./schedule.ts";

function toy(count: number, seed: number): Dataset {
  const r = new Philox(seed);
  const images = Uint8Array.from({ length: count * 4 }, () => r.nextUint32() & 255);
  const labels = Uint8Array.from(
    { length: count },
    (_, i) => images[i * 4] + images[i * 4 + 1] > images[i * 4 + 2] + images[i * 4 + 3] ? 1 : 0,
  );
  return { name: "toy", images, labels, count, channels: 1, height: 2, width: 2, classes: 2 };
}

const net = (seed: number) =>
  new Sequential([
    new Flatten(),
    new Linear(4, 8, { random: new Philox(seed) }),
    new ReLU(),
    new Linear(8, 2, { random: new Philox(seed + 1) }),
  ]);

Deno.test("distill: cached teacher logits train exactly like the online teacher", async () => {
  const ds = toy(50, 1), teacher = net(10);
  const cache = await computeTeacherLogits(teacher, ds, { mean: 0.5, std: 0.25 });
  const run = (t: typeof teacher | typeof cache) => {
    const s = net(20);
    distill(s, ds, {
      teacher: t,
      temperature: rampSchedule({ kind: "linear", from: 4, to: 1, total: 21 }),
      alpha: 0.3,
      beta: rampSchedule({ kind: "cosine", from: 1, to: 0.2, total: 21 }),
      epochs: 3,
      batchSize: 8,
      seed: 7,
      mean: 0.5,
      std: 0.25,
      optimizer: new SGD(s.parameters(), { lr: 0.1 }),
      log: () => {},
    });
    return s.parameters().flatMap((p) => [...p.data]);
  };
  const a = run(teacher), b = run(cache);
  deepEqual(b, a);
  // and distillation did change the student
  ok(a.some((v, i) => v !== net(20).parameters().flatMap((p) => [...p.data])[i]));
});

Deno.test("distill: logits of another dataset are refused", async () => {
  const ds = toy(10, 1);
  const cache = await computeTeacherLogits(net(1), toy(12, 1));
  const s = net(2);
  const opts = {
    teacher: cache,
    epochs: 1,
    batchSize: 4,
    seed: 1,
    optimizer: new SGD(s.parameters(), { lr: 0.1 }),
    log: () => {},
  };
  throws(() => distill(s, ds, opts), /cover 12 examples, the training set has 10/);
});

Deno.test("distillationLoss: a batch out of fit's order is caught by the label check", async () => {
  const ds = toy(12, 1);
  const cache = await computeTeacherLogits(net(1), ds);
  const { loss } = distillationLoss(ds, {
    teacher: cache,
    epochs: 1,
    batchSize: 12,
    seed: 1,
    optimizer: { lr: 0, step() {}, zeroGrad() {} },
  });
  // Batch 1 in dataset order instead of permutation(12, seed 1, epoch 0) order.
  const labels = Int32Array.from(ds.labels);
  const order = permutation(12, 1, 0);
  ok(order.some((k, i) => ds.labels[k] !== labels[i]), "test premise: the orders differ in labels");
  throws(
    () => loss(Variable.zeros([12, 2]), { x: Variable.zeros([12, 1, 2, 2]), labels }),
    /does not match the training set's order/,
  );
});

Deno.test("distill: a student learns the teacher's soft function with β only (no labels used)", () => {
  // Labels all wrong (constant 0): with α = 0 only the teacher's soft targets drive learning.
  const ds = toy(200, 3);
  const teacher = new Sequential([new Flatten(), new Linear(4, 2, { random: new Philox(30) })]);
  const blind = { ...ds, labels: new Uint8Array(ds.count) };
  const s = new Sequential([new Flatten(), new Linear(4, 2, { random: new Philox(40) })]);
  distill(s, blind, {
    teacher,
    alpha: 0,
    beta: 1,
    temperature: 2,
    epochs: 60,
    batchSize: 20,
    seed: 2,
    optimizer: new SGD(s.parameters(), { lr: 0.05 }),
    log: () => {},
  });
  // Agreement of arg-max with the teacher on the data.
  let agree = 0;
  const x = new Variable(Float32Array.from(ds.images, (v) => v / 255), [ds.count, 1, 2, 2]);
  const zt = teacher.forward(x), zs = s.forward(x);
  for (let i = 0; i < ds.count; i++) {
    if ((zt.data[2 * i] > zt.data[2 * i + 1]) === (zs.data[2 * i] > zs.data[2 * i + 1])) agree++;
  }
  ok(agree / ds.count > 0.95, `agreement ${agree / ds.count}`);
});

const convNet = (seed: number) =>
  new Sequential([
    ["conv", new Conv2d(1, 3, 2, { random: new Philox(seed), padding: 1 })],
    ["relu", new ReLU()],
    ["flat", new Flatten()],
    ["fc", new Linear(27, 2, { random: new Philox(seed + 1) })],
  ]);

Deno.test("distill attention: β = 0 trains like plain KD; KD-free AT pulls the student's maps to the teacher's", () => {
  const ds = toy(40, 3), teacher = convNet(30);
  const common = (s: Sequential) => ({
    teacher,
    temperature: 2,
    epochs: 2,
    batchSize: 8,
    seed: 5,
    mean: 0.5,
    std: 0.25,
    optimizer: new SGD(s.parameters(), { lr: 0.05 }),
    log: () => {},
  });
  const params = (s: Sequential) => s.parameters().flatMap((p) => [...p.data]);
  const plain = convNet(40), zero = convNet(40);
  distill(plain, ds, common(plain));
  distill(zero, ds, { ...common(zero), attention: { pairs: [["conv", "conv"]], beta: 0 } });
  deepEqual(params(zero), params(plain));
  // only the AT term (α = β = 0): its value on the whole set must fall
  const atOnSet = (s: Sequential) => {
    const [b] = batches(ds, { batchSize: ds.count, seed: 0, mean: 0.5, std: 0.25 });
    const fs = forwardWithFeatures(s, b.x, ["conv"]).features.get("conv")!;
    const ft = forwardWithFeatures(teacher, b.x, ["conv"]).features.get("conv")!;
    return attentionTransferLoss(fs, ft).data[0];
  };
  const s = convNet(41);
  const before = atOnSet(s);
  distill(s, ds, {
    ...common(s),
    alpha: 0,
    beta: 0,
    epochs: 5,
    attention: { pairs: [["relu", "relu"], ["conv", "conv"]], beta: 10 },
  });
  const after = atOnSet(s);
  ok(before > 0.05 && after < 0.5 * before, `AT ${before} → ${after}`);
});

Deno.test("distill attention: typed errors name the option", async () => {
  const ds = toy(8, 1), s = convNet(1);
  const base = {
    epochs: 1,
    batchSize: 4,
    seed: 1,
    optimizer: new SGD(s.parameters(), { lr: 0.1 }),
    log: () => {},
  };
  const cache = await computeTeacherLogits(convNet(2), ds);
  throws(
    () =>
      distill(s, ds, {
        ...base,
        teacher: cache,
        attention: { pairs: [["conv", "conv"]], beta: 1 },
      }),
    /options\.teacher must be a Sequential module/,
  );
  throws(
    () =>
      distill(s, ds, {
        ...base,
        teacher: convNet(2),
        attention: { pairs: [["conv9", "conv"]], beta: 1 },
      }),
    /options\.attention\.pairs\[0\]\[0\] = "conv9"/,
  );
  throws(
    () =>
      distill(s, ds, {
        ...base,
        teacher: convNet(2),
        attention: { pairs: [["conv", "fc1"]], beta: 1 },
      }),
    /options\.attention\.pairs\[0\]\[1\] = "fc1"/,
  );
  throws(
    () => distill(s, ds, { ...base, teacher: convNet(2), attention: { pairs: [], beta: 1 } }),
    /options\.attention\.pairs must be a non-empty array/,
  );
  throws(
    () =>
      distill(s, ds, {
        ...base,
        teacher: convNet(2),
        attention: { pairs: [["conv", "conv"]], beta: -1 },
      }),
    /options\.attention\.beta must be a finite number ≥ 0/,
  );
  throws(
    () =>
      distillationLoss(ds, {
        ...base,
        teacher: convNet(2),
        attention: { pairs: [["conv", "conv"]], beta: 1 },
      }),
    /needs the student's features/,
  );
});
