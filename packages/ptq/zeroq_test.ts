import { deepEqual, ok as assert, throws } from "node:assert/strict";

const assertEquals = (a: unknown, b: unknown, msg?: string) => deepEqual(a, b, msg);
function assertThrows(
  fn: () => unknown,
  type: typeof TypeError | typeof RangeError,
  text: string,
): void {
  throws(fn, (e: unknown) => e instanceof type && e.message.includes(text));
}
import {
  BatchNorm2d,
  Conv2d,
  Flatten,
  Linear,
  mnistCnn,
  mnistMlp,
  ReLU,
  Residual,
  Sequential,
  Variable,
} from "@lowbit/nn";
import { Philox } from "@lowbit/rounding/philox";
import { fromNn, runFloat } from "@lowbit/graph";
import { distillData, quantizeStatic, zeroqLoss } from "./mod.ts";

/**
 * conv(1→2, 3×3) → bn → [relu] → conv(2→2, 1×1) → bn → flatten → fc, whose BN running
 * statistics are those of a "real" data set (64 images of 0.5 + 0.3·u, u uniform in [−1, 1)),
 * so that matching them is possible.
 */
function tiny(withRelu = true): Sequential {
  const random = new Philox(3, 1);
  const net = new Sequential([
    ["conv1", new Conv2d(1, 2, 3, { random, padding: 1 })],
    ["bn1", new BatchNorm2d(2, { momentum: 1 })],
    ...(withRelu ? [["relu", new ReLU()] as const] : []),
    ["conv2", new Conv2d(2, 2, 1, { random })],
    ["bn2", new BatchNorm2d(2, { momentum: 1 })],
    ["flatten", new Flatten()],
    ["fc", new Linear(2 * 16, 3, { random })],
  ]);
  net.train();
  net.forward(new Variable(noise(64 * 16, 11).map((u) => 0.5 + 0.3 * u), [64, 1, 4, 4]));
  return net.eval();
}

function noise(n: number, seed: number): Float32Array {
  const r = new Philox(seed);
  return Float32Array.from({ length: n }, () => 2 * r.uniform() - 1);
}

Deno.test("zeroqLoss: value equals Eq. 4 computed independently in float64", () => {
  const net = tiny();
  const x = new Variable(noise(2 * 16, 1), [2, 1, 4, 4]);
  const { terms, inputTerm } = zeroqLoss(net, x);
  assertEquals(terms.map((t) => t.layer), ["bn1", "bn2"]);
  assertEquals(inputTerm, 0);
  // bn1's input is conv1(x): recompute its batch statistics from the conv output directly.
  const conv1 = net.layers[0][1];
  const h = conv1.forward(x).data;
  const bn1 = net.layers[1][1] as BatchNorm2d;
  let expected = 0;
  for (let c = 0; c < 2; c++) {
    const vals: number[] = [];
    for (let n = 0; n < 2; n++) for (let k = 0; k < 16; k++) vals.push(h[(n * 2 + c) * 16 + k]);
    const m = vals.reduce((a, b) => a + b, 0) / vals.length;
    const v = vals.reduce((a, b) => a + (b - m) ** 2, 0) / vals.length;
    const s = Math.sqrt(v + 1e-5);
    expected += (m - bn1.runningMean.data[c]) ** 2 +
      (s - Math.sqrt(bn1.runningVar.data[c] + 1e-5)) ** 2;
  }
  assert(Math.abs(terms[0].value - expected) < 1e-5 * Math.max(1, expected));
});

for (const statistics of ["batch", "per-sample"] as const) {
  Deno.test(`zeroqLoss (${statistics}): ∂L/∂x matches central finite differences`, () => {
    const net = tiny(false); // no Relu kink inside the finite-difference step
    const x0 = noise(2 * 16, 7);
    const input = { mean: 0.1, std: 0.8 };
    const x = new Variable(x0.slice(), [2, 1, 4, 4], { requiresGrad: true });
    zeroqLoss(net, x, { statistics, input }).loss.backward();
    const g = x.grad;
    assert(g !== null);
    const f = (d: Float32Array) =>
      zeroqLoss(net, new Variable(d, [2, 1, 4, 4]), { statistics, input }).loss.data[0];
    const h = 1e-2;
    let maxErr = 0, maxG = 0;
    for (let i = 0; i < x0.length; i++) {
      const p = x0.slice(), m = x0.slice();
      p[i] += h;
      m[i] -= h;
      const fd = (f(p) - f(m)) / (p[i] - m[i]);
      maxErr = Math.max(maxErr, Math.abs(fd - g[i]));
      maxG = Math.max(maxG, Math.abs(g[i]));
    }
    assert(maxG > 1e-2, `gradient is not trivially zero (${maxG})`);
    assert(maxErr < 2e-3 + 1e-2 * maxG, `max |fd − backward| = ${maxErr} (max |g| ${maxG})`);
  });
}

Deno.test("zeroqLoss reaches BN layers inside Residual blocks and nested Sequentials", () => {
  const random = new Philox(1, 1);
  const net = new Sequential([
    ["stem", new Conv2d(1, 2, 1, { random })],
    [
      "block",
      new Residual(
        new Sequential([["conv", new Conv2d(2, 2, 1, { random })], ["bn", new BatchNorm2d(2)]]),
      ),
    ],
  ]).eval();
  const { terms } = zeroqLoss(net, new Variable(noise(8, 2), [2, 1, 2, 2]));
  assertEquals(terms.map((t) => t.layer), ["block.body.bn"]);
  // Forward is restored afterwards (no own property left on the layer).
  const bn = (net.layers[1][1] as Residual).body as Sequential;
  assertEquals(Object.hasOwn(bn.layers[1][1], "forward"), false);
});

Deno.test("distillData: the BN loss falls at least 100× on a small model", () => {
  const net = tiny();
  const r = distillData(net, { sampleShape: [1, 4, 4], count: 8, iterations: 300, lr: 0.05 });
  assertEquals(r.losses.length, 1);
  const { initial, final } = r.losses[0];
  assert(final < initial / 100, `initial ${initial}, final ${final}`);
  // The returned data give the reported final loss when evaluated again.
  const again = zeroqLoss(net, new Variable(r.data.slice(), [8, 1, 4, 4])).loss.data[0];
  assert(Math.abs(again - final) < 1e-6 * Math.max(1, final));
});

Deno.test("distillData: same seed → same data; another seed → other data; params untouched", () => {
  const net = mnistCnn(0).eval();
  const before = net.stateDict();
  const opts = { sampleShape: [1, 28, 28], count: 3, batch: 2, iterations: 5, lr: 0.1 } as const;
  const a = distillData(net, opts), b = distillData(net, opts);
  const c = distillData(net, { ...opts, seed: 1 });
  assertEquals(a.data, b.data);
  assert(a.data.some((v, i) => v !== c.data[i]));
  assertEquals(a.batches.map((s) => s.input.shape), [[2, 1, 28, 28], [1, 1, 28, 28]]);
  for (const [k, t] of net.stateDict()) assertEquals(t.data, before.get(k)?.data, k);
  assert(net.parameters().every((p) => p.requiresGrad && p.grad === null));
});

Deno.test("distillData: samples calibrate quantizeStatic on fromNn(model)", async () => {
  const net = mnistCnn(0).eval();
  const r = distillData(net, { sampleShape: [1, 28, 28], count: 2, iterations: 3 });
  const g = fromNn(net, { inputShape: [1, 1, 28, 28] });
  const q = await quantizeStatic(g, r.samples);
  assertEquals(runFloat(q, r.samples[0]).output.shape, [1, 10]);
});

Deno.test("distillData: range clamps the images", () => {
  const r = distillData(tiny(), {
    sampleShape: [1, 4, 4],
    count: 2,
    iterations: 20,
    range: [-0.5, 0.25],
  });
  assert(r.data.every((v) => v >= -0.5 && v <= 0.25));
});

Deno.test("distillData/zeroqLoss: typed errors naming the argument", () => {
  assertThrows(
    () => distillData(mnistMlp(0).eval(), { sampleShape: [1, 28, 28] }),
    TypeError,
    "model has no batch-norm layer",
  );
  assertThrows(
    () => zeroqLoss(mnistMlp(0).eval(), Variable.zeros([1, 784])),
    TypeError,
    "model has no batch-norm layer",
  );
  assertThrows(
    () => distillData(tiny(), { sampleShape: [1, 4, 4], count: 0 }),
    RangeError,
    "count must be an integer ≥ 1, got 0",
  );
  assertThrows(
    () => distillData(tiny(), { sampleShape: [1, 4, 4], iterations: 1.5 }),
    RangeError,
    "iterations",
  );
  assertThrows(() => distillData(tiny(), { sampleShape: [1, 4, 4], lr: 0 }), RangeError, "lr");
  assertThrows(
    () => distillData(mnistCnn(0), { sampleShape: [1, 28, 28] }),
    TypeError,
    "model must be in evaluation mode",
  );
  assertThrows(
    () => distillData(tiny(), { sampleShape: [] }),
    TypeError,
    "options.sampleShape",
  );
});
