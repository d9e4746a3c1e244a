import { deepEqual, notEqual, ok } from "node:assert/strict";
import { fromNn } from "@lowbit/graph/from-nn";
import { BatchNorm2d, Conv2d, Flatten, Linear, ReLU, Sequential, SGD } from "@lowbit/nn";
import type { Dataset } from "@lowbit/nn/data/dataset";
import { Philox } from "@lowbit/rounding/philox";
import { GraphTeacher } from "./graph_teacher.ts";
import { computeTeacherLogits, stateDictHash } from "./teacher_cache.ts";
import { distill } from "./trainer.ts";

const cnn = (seed: number) => {
  const random = new Philox(seed);
  const m = new Sequential([
    ["conv", new Conv2d(1, 3, 3, { random, padding: 1 })],
    ["bn", new BatchNorm2d(3)],
    ["relu", new ReLU()],
    ["flat", new Flatten()],
    ["fc", new Linear(3 * 16, 4, { random })],
  ]);
  m.eval();
  return m;
};

Deno.test("GraphTeacher: fromNn graph reproduces the nn teacher's logits and cached logits", async () => {
  const r = new Philox(5);
  const ds: Dataset = {
    name: "toy",
    images: Uint8Array.from({ length: 12 * 16 }, () => r.nextUint32() & 255),
    labels: Uint8Array.from({ length: 12 }, () => r.nextUint32() % 4),
    count: 12,
    channels: 1,
    height: 4,
    width: 4,
    classes: 4,
  };
  const net = cnn(1);
  const g = new GraphTeacher(fromNn(net, { inputShape: [1, 1, 4, 4] }));
  const a = await computeTeacherLogits(g, ds, { batchSize: 5 });
  const b = await computeTeacherLogits(net, ds, { batchSize: 5 });
  a.logits.forEach((v, i) => ok(Math.abs(v - b.logits[i]) < 1e-4, `${i}: ${v} vs ${b.logits[i]}`));
  // Distilling from either teacher moves the student the same way (up to float rounding).
  const train = (t: GraphTeacher | Sequential) => {
    const s = new Sequential([new Flatten(), new Linear(16, 4, { random: new Philox(9) })]);
    distill(s, ds, {
      teacher: t,
      epochs: 2,
      batchSize: 4,
      seed: 1,
      optimizer: new SGD(s.parameters(), { lr: 0.1 }),
      log: () => {},
    });
    return s.parameters().flatMap((p) => [...p.data]);
  };
  const sa = train(g), sb = train(net);
  sa.forEach((v, i) => ok(Math.abs(v - sb[i]) < 1e-4));
  // The cache hash sees the graph's weights.
  const other = cnn(2);
  notEqual(
    await stateDictHash(new GraphTeacher(fromNn(other, { inputShape: [1, 1, 4, 4] }))),
    await stateDictHash(g),
  );
  deepEqual(g.parameters(), []);
});
