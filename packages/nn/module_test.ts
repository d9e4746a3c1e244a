import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { Philox } from "@lowbit/rounding/philox";
import { Variable } from "./autograd.ts";
import { BatchNorm1d, BatchNorm2d } from "./batchnorm.ts";
import { Dropout, Flatten, MaxPool2d, ReLU, Residual } from "./layers.ts";
import { Linear } from "./linear.ts";
import { Sequential } from "./module.ts";
import { awayFrom, gradCheck } from "./_gradcheck.ts";

function mlp(seed: number) {
  const random = new Philox(seed);
  return new Sequential([
    ["fc1", new Linear(6, 5, { random })],
    ["bn", new BatchNorm1d(5)],
    ["relu", new ReLU()],
    ["fc2", new Linear(5, 3, { random })],
  ]);
}

Deno.test("Sequential: dotted names, parameters, buffers, train/eval propagation", () => {
  const m = mlp(1);
  deepEqual(m.namedParameters().map(([n]) => n), [
    "fc1.weight",
    "fc1.bias",
    "bn.weight",
    "bn.bias",
    "fc2.weight",
    "fc2.bias",
  ]);
  deepEqual(m.namedBuffers().map(([n]) => n), ["bn.running_mean", "bn.running_var"]);
  equal(m.parameters().length, 6);
  m.eval();
  ok(m.namedChildren().every(([, c]) => !c.training));
  m.train();
  ok(m.namedChildren().every(([, c]) => c.training));
});

Deno.test("Linear weights: He-uniform bound, seeded, and different per layer", () => {
  const a = mlp(3), b = mlp(3);
  const wa = a.namedParameters()[0][1].data, wb = b.namedParameters()[0][1].data;
  deepEqual(wa, wb);
  ok(wa.every((v) => Math.abs(v) <= Math.sqrt(6 / 6)));
  const w2 = a.namedParameters()[4][1].data;
  ok(w2[0] !== wa[0]);
});

Deno.test("state dict round-trips and rejects mismatches by name", () => {
  const a = mlp(1), b = mlp(2);
  a.forward(Variable.from(awayFrom(12, 1, -1, 1), [2, 6])); // moves bn running stats
  b.loadStateDict(a.stateDict());
  for (const [n, t] of a.stateDict()) deepEqual(b.stateDict().get(n)!.data, t.data, n);
  const sd = a.stateDict();
  sd.delete("fc2.bias");
  throws(() => b.loadStateDict(sd), /missing \[fc2.bias\], unexpected \[\]/);
  const sd2 = a.stateDict();
  sd2.set("fc1.bias", { data: new Float32Array(4), shape: [4] });
  throws(() => b.loadStateDict(sd2), /"fc1.bias" has shape \[4\]; the model expects \[5\]/);
});

Deno.test("Sequential: a shape mismatch names the layer, the previous layer and both shapes", () => {
  const random = new Philox(0);
  const net = new Sequential([
    ["pool", new MaxPool2d({ kernel: 2 })],
    ["flatten", new Flatten()],
    ["fc", new Linear(100, 10, { random })],
  ]);
  throws(
    () => net.forward(Variable.zeros([2, 1, 28, 28])),
    (e: Error) =>
      e instanceof RangeError &&
      e.message.includes('layer "fc" Linear(100→10)') &&
      e.message.includes('fed [2, 196] by layer "flatten"') &&
      e.message.includes("expects input [N, 100], got [2, 196]"),
  );
});

Deno.test("a whole Sequential + Residual model passes the finite-difference check", () => {
  const random = new Philox(4);
  const fc1 = new Linear(4, 4, { random }), fc2 = new Linear(4, 3, { random });
  const block = new Residual(new Sequential([new Linear(4, 4, { random }), new ReLU()]));
  const net = new Sequential([fc1, block, fc2]);
  gradCheck(([x]) => net.forward(x), [{ data: awayFrom(8, 2, -1, 1), shape: [2, 4] }]);
  throws(
    () => new Residual(new Linear(4, 3, { random })).forward(Variable.zeros([1, 4])),
    /body output \[1, 3\] and shortcut output \[1, 4\] differ/,
  );
});

Deno.test("BatchNorm2d: training updates running stats, eval uses them", () => {
  const bn = new BatchNorm2d(2);
  const x = Variable.from(awayFrom(2 * 2 * 3 * 3, 5, 0, 4), [2, 2, 3, 3]);
  bn.forward(x);
  ok(bn.runningMean.data[0] > 0.1);
  bn.eval();
  const y = bn.forward(x);
  const m = bn.runningMean.data[0], v = bn.runningVar.data[0];
  ok(Math.abs(y.data[0] - (x.data[0] - m) / Math.sqrt(v + 1e-5)) < 1e-5);
  throws(() => new BatchNorm2d(0), /channels must be a positive integer/);
});

Deno.test("Dropout layer: seeded in training, identity in eval", () => {
  const x = Variable.from(new Float32Array(100).fill(1));
  const a = new Dropout(0.3, { random: new Philox(9) }).forward(x);
  const b = new Dropout(0.3, { random: new Philox(9) }).forward(x);
  deepEqual(a.data, b.data);
  ok(a.data.some((v) => v === 0));
  equal(new Dropout(0.3, { random: new Philox(9) }).eval().forward(x), x);
});
