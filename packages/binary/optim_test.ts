import { deepEqual, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import { Variable } from "@lowbit/nn/autograd";
import { Adam, SGD } from "@lowbit/nn/optim";
import { Bop, LatentClip } from "./optim.ts";

Deno.test("Bop: a three-step trace computed by hand (γ = 0.5, τ = 0.3)", () => {
  const w = Variable.from([1, -1, 1], [3], { requiresGrad: true });
  const opt = new Bop([w], { gamma: 0.5, threshold: 0.3 });
  const steps: [number[], number[], number[]][] = [
    // gradient, m after the step, w after the step
    [[1, -1, -1], [0.5, -0.5, -0.5], [-1, 1, 1]], // w₀, w₁ agree with m and |m| > τ: flip
    [[0.2, 0.2, -0.2], [0.35, -0.15, -0.35], [-1, 1, 1]], // signs disagree or |m| < τ
    [[-1, 1, 1], [-0.325, 0.425, 0.325], [1, -1, -1]], // all three agree, |m| > τ
  ];
  for (const [g, m, after] of steps) {
    w.grad = Float32Array.from(g);
    opt.step();
    opt.average(w)!.forEach((v, i) => ok(Math.abs(v - m[i]) < 1e-7, `m ${v} vs ${m[i]}`));
    deepEqual([...w.data], after);
  }
});

Deno.test("Bop equals Larq's update w ← sign(−sign(w·m − τ)·w) on random gradient streams", () => {
  const larqSign = (v: number) => (v >= 0 ? 1 : -1); // lq.math.sign: sign(0) = +1
  fc.assert(
    fc.property(
      fc.array(
        fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 4, maxLength: 4 }),
        {
          minLength: 1,
          maxLength: 12,
        },
      ),
      fc.double({ min: 0.01, max: 1, noNaN: true }),
      fc.double({ min: 0, max: 0.5, noNaN: true }),
      (grads, gamma, tau) => {
        const w = Variable.from([1, -1, 1, -1], [4], { requiresGrad: true });
        const opt = new Bop([w], { gamma, threshold: tau });
        const ref = [1, -1, 1, -1], m = [0, 0, 0, 0];
        for (const g of grads) {
          w.grad = Float32Array.from(g);
          opt.step();
          for (let i = 0; i < 4; i++) {
            m[i] = m[i] + gamma * (Math.fround(g[i]) - m[i]);
            const d = ref[i] * m[i] - tau;
            if (Math.abs(d) < 1e-12) return; // an exact tie: the two roundings of m may differ
            ref[i] = larqSign(-Math.sign(d) * ref[i]);
          }
          deepEqual([...w.data], ref);
        }
      },
    ),
    { numRuns: 200, seed: 3 },
  );
});

Deno.test("Bop: skips parameters without a gradient, rejects bad γ and τ", () => {
  const a = Variable.from([1], [1], { requiresGrad: true });
  const b = Variable.from([-1], [1], { requiresGrad: true });
  const opt = new Bop([a, b], { gamma: 1, threshold: 0 });
  a.grad = new Float32Array([3]);
  opt.step();
  deepEqual([a.data[0], b.data[0]], [-1, -1]);
  ok(opt.average(b) === undefined);
  throws(() => new Bop([a], { gamma: 1.5 }), /options\.gamma/);
  throws(() => new Bop([a], { threshold: -1 }), /options\.threshold/);
  opt.lr = 2;
  throws(() => opt.step(), RangeError);
});

Deno.test("LatentClip: clips only the listed weights after the inner step, forwards lr", () => {
  const w = Variable.from([0.95, -0.95], [2], { requiresGrad: true });
  const bias = Variable.from([0.95], [1], { requiresGrad: true });
  const opt = new LatentClip(new Adam([w, bias], { lr: 0.1 }), [w]);
  for (let i = 0; i < 3; i++) {
    opt.zeroGrad();
    w.grad = new Float32Array([-1, 1]);
    bias.grad = new Float32Array([-1]);
    opt.step();
  }
  deepEqual([...w.data], [1, -1]);
  ok(Math.abs(bias.data[0] - 1.25) < 1e-5, `bias ${bias.data[0]} (3 Adam steps of 0.1)`);
  opt.lr = 0.5;
  ok(opt.lr === 0.5);
  throws(() => new LatentClip(opt, [w], 0), /bound/);
});

Deno.test("LatentClip: one bound per latent weight (BinaryConnect's [−H, H])", () => {
  const a = Variable.from([0.5], [1], { requiresGrad: true });
  const b = Variable.from([0.5], [1], { requiresGrad: true });
  const opt = new LatentClip(new SGD([a, b], { lr: 1 }), [a, b], [0.25, 2]);
  a.grad = new Float32Array([-1]);
  b.grad = new Float32Array([-1]);
  opt.step();
  deepEqual([a.data[0], b.data[0]], [0.25, 1.5]);
  throws(() => new LatentClip(opt, [a, b], [1]), /2 weights/);
});
