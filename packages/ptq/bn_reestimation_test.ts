import { deepEqual, equal, ok, throws } from "node:assert/strict";
import {
  BatchNorm2d,
  Conv2d,
  FakeQuant,
  Linear,
  noGrad,
  ReLU,
  Sequential,
  Variable,
} from "@lowbit/nn";
import { Philox } from "@lowbit/rounding/philox";
import { reestimateBatchNorm } from "./bn_reestimation.ts";

function net(seed: number) {
  const random = new Philox(seed);
  return new Sequential([
    ["conv1", new Conv2d(2, 3, 3, { padding: 1, random })],
    ["bn1", new BatchNorm2d(3)],
    ["relu1", new ReLU()],
    ["conv2", new Conv2d(3, 4, 3, { random })],
    ["bn2", new BatchNorm2d(4)],
  ]);
}

function batches(seed: number, count: number, n: number): Variable[] {
  const r = new Philox(seed);
  return Array.from({ length: count }, () => {
    const x = new Float32Array(n * 2 * 5 * 5);
    r.fillNormal(x);
    return new Variable(x.map((v) => 1.5 * v + 0.3), [n, 2, 5, 5]);
  });
}

/** Per-channel mean and unbiased variance of [N, C, H, W] tensors, written out directly. */
function stats(xs: Variable[]): { mean: number[]; variance: number[] } {
  const c = xs[0].shape[1];
  const vals: number[][] = Array.from({ length: c }, () => []);
  for (const x of xs) {
    const [n, , h, w] = x.shape;
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < c; k++) {
        for (let p = 0; p < h * w; p++) vals[k].push(x.data[(i * c + k) * h * w + p]);
      }
    }
  }
  const mean = vals.map((v) => v.reduce((a, b) => a + b, 0) / v.length);
  const variance = vals.map((v, k) =>
    v.reduce((a, b) => a + (b - mean[k]) ** 2, 0) / (v.length - 1)
  );
  return { mean, variance };
}

Deno.test("BN re-estimation: each layer gets the statistics of its inputs in the final network", () => {
  const model = net(1);
  const data = batches(2, 3, 4);
  // Stale statistics, as if the weights had been changed after training.
  const bn1 = model.layers[1][1] as BatchNorm2d, bn2 = model.layers[4][1] as BatchNorm2d;
  bn1.runningMean.data.fill(5);
  bn2.runningVar.data.fill(9);
  model.train();
  const r = reestimateBatchNorm(model, data);
  deepEqual(r.map((l) => [l.layer, l.count]), [["bn1", 3 * 4 * 25], ["bn2", 3 * 4 * 9]]);
  equal(model.training, true, "mode restored");
  // Independently: run the layers by hand in evaluation mode and measure each BN's input.
  model.eval();
  const inputs1: Variable[] = [], inputs2: Variable[] = [];
  noGrad(() => {
    for (const x of data) {
      const c1 = model.layers[0][1].forward(x);
      inputs1.push(c1);
      const a = model.layers[2][1].forward(model.layers[1][1].forward(c1));
      inputs2.push(model.layers[3][1].forward(a));
    }
  });
  for (const [bn, xs] of [[bn1, inputs1], [bn2, inputs2]] as const) {
    const s = stats(xs);
    for (let k = 0; k < bn.channels; k++) {
      ok(Math.abs(bn.runningMean.data[k] - s.mean[k]) <= 1e-5 * (1 + Math.abs(s.mean[k])));
      ok(Math.abs(bn.runningVar.data[k] - s.variance[k]) <= 1e-5 * (1 + s.variance[k]));
    }
  }
  ok(r[0].meanShift > 1, "the stale mean 5 is reported as a shift");
  ok(r[1].logVarChange > 1, "the stale variance 9 is reported");
});

Deno.test("BN re-estimation changes no parameter and no fake-quantizer range", () => {
  const model = net(3);
  const conv = model.layers[0][1] as Conv2d;
  conv.setWeightQuant(new FakeQuant({ target: "weight", bits: 4, channels: 3 }));
  const act = new FakeQuant({ target: "activation", bits: 8 });
  const q = new Sequential([...model.layers, ["act_fq", act]]);
  q.train();
  for (const x of batches(4, 1, 2)) noGrad(() => q.forward(x)); // the activation range
  q.eval();
  const params = q.parameters().map((p) => Float32Array.from(p.data));
  const buffersBefore = q.namedBuffers()
    .filter(([n]) => !n.includes("running"))
    .map(([n, b]) => [n, [...b.data]]);
  reestimateBatchNorm(q, batches(5, 2, 3));
  q.parameters().forEach((p, i) => deepEqual([...p.data], [...params[i]]));
  deepEqual(
    q.namedBuffers().filter(([n]) => !n.includes("running")).map(([n, b]) => [n, [...b.data]]),
    buffersBefore,
  );
});

Deno.test("BN re-estimation restores the accuracy lost to a weight shift (closed form)", () => {
  // A Linear feeding BN: scaling the weights by 2 (a crude "quantization error") doubles the
  // BN input; after re-estimation the normalised output equals the original one.
  const fc = new Linear(3, 2, { random: new Philox(7) });
  const bn = new BatchNorm2d(2);
  const model = new Sequential([["fc", fc], ["flat4", new Reshape4()], ["bn", bn]]);
  const data = [new Variable(new Float32Array(60).map((_, i) => Math.sin(i)), [20, 3])];
  reestimateBatchNorm(model, data);
  const before = noGrad(() => model.forward(data[0])).data.slice();
  for (let i = 0; i < fc.weight.data.length; i++) fc.weight.data[i] *= 2;
  for (let i = 0; i < fc.bias!.data.length; i++) fc.bias!.data[i] *= 2;
  const r = reestimateBatchNorm(model, data);
  const after = noGrad(() => model.forward(data[0])).data;
  for (let i = 0; i < before.length; i++) ok(Math.abs(after[i] - before[i]) < 1e-4);
  ok(Math.abs(r[0].logVarChange - Math.log(4)) < 1e-3, `${r[0].logVarChange}`);
});

/** [N, C] → [N, C, 1, 1] so a BatchNorm2d follows a Linear. */
class Reshape4 extends ReLU {
  override forward(x: Variable): Variable {
    return x.reshape([x.shape[0], x.shape[1], 1, 1]);
  }
}

Deno.test("BN re-estimation rejects bad input naming the argument", () => {
  const model = net(1);
  throws(() => reestimateBatchNorm(model, []), /batches must be a non-empty array/);
  throws(
    () => reestimateBatchNorm(model, [{} as unknown as Variable]),
    (e: Error) => e instanceof TypeError && /batches\[0\]/.test(e.message),
  );
  const noBn = new Sequential([["fc", new Linear(2, 2, { random: new Philox(1) })]]);
  throws(() => reestimateBatchNorm(noBn, batches(1, 1, 1)), /no batch-norm layer/);
  const one = new Sequential([["bn", new BatchNorm2d(2)]]);
  throws(
    () => reestimateBatchNorm(one, [new Variable(new Float32Array(2), [1, 2, 1, 1])]),
    /bn saw 1 value per channel/,
  );
});
