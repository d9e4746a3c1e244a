import { deepEqual, equal, notDeepEqual } from "node:assert/strict";
import { Flatten, Linear, Sequential, SGD } from "@lowbit/nn";
import type { Dataset } from "@lowbit/nn/data/dataset";
import { Philox } from "@lowbit/rounding/philox";
import { bornAgain } from "./born_again.ts";
import { distill } from "./trainer.ts";

const ds: Dataset = {
  name: "toy",
  images: new Uint8Array([0, 255, 255, 0, 10, 250, 240, 5, 128, 100, 90, 140]),
  labels: new Uint8Array([0, 1, 0, 1, 0, 1]),
  count: 6,
  channels: 1,
  height: 1,
  width: 2,
  classes: 2,
};
const make = (g: number) =>
  new Sequential([new Flatten(), new Linear(2, 2, { random: new Philox(100 + g) })]);
const opts = (g: number, s: Sequential) => ({
  epochs: 5,
  batchSize: 3,
  seed: g,
  temperature: 2,
  alpha: 0,
  beta: 1,
  optimizer: new SGD(s.parameters(), { lr: 0.3 }),
  log: () => {},
});

Deno.test("bornAgain: generation k+1 is distilled from generation k (same as chaining distill)", () => {
  const teacher = make(0);
  const gens = bornAgain(teacher, ds, { generations: 3, makeStudent: make, distillOptions: opts });
  deepEqual(gens.map((g) => g.generation), [1, 2, 3]);
  // Independent chain by hand.
  let t: Sequential = make(0);
  const manual: number[][] = [];
  for (let g = 1; g <= 3; g++) {
    const s = make(g);
    distill(s, ds, { ...opts(g, s), teacher: t });
    manual.push(s.parameters().flatMap((p) => [...p.data]));
    t = s;
  }
  gens.forEach((g, i) => deepEqual(g.student.parameters().flatMap((p) => [...p.data]), manual[i]));
  // and each generation's teacher mattered: distilling generation 2 from the original teacher differs
  const s2 = make(2);
  distill(s2, ds, { ...opts(2, s2), teacher: make(0) });
  notDeepEqual(s2.parameters().flatMap((p) => [...p.data]), manual[1]);
  equal(gens[2].history.length, 5);
});
