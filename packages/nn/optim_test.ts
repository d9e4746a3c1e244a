import { equal, ok, throws } from "node:assert/strict";
import { Variable } from "./autograd.ts";
import { Adam, AdamW, SGD } from "./optim.ts";
import { cosineLR, stepLR } from "./schedule.ts";

// Scalar re-derivations of the update rules, written independently from the formulas of
// torch.optim's documentation, run on the gradient g(p) = 2(p − 3) + 0.5·sin(5p).
const grad = (p: number) => 2 * (p - 3) + 0.5 * Math.sin(5 * p);

function run(opt: { step(): void; zeroGrad(): void }, p: Variable, steps: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < steps; i++) {
    opt.zeroGrad();
    p.grad = new Float32Array([grad(p.data[0])]);
    opt.step();
    out.push(p.data[0]);
  }
  return out;
}

const f32 = Math.fround;

Deno.test("SGD with momentum, dampening, weight decay and Nesterov follows torch.optim.SGD", () => {
  for (
    const o of [
      { lr: 0.05, momentum: 0.9, weightDecay: 0.01 },
      { lr: 0.05, momentum: 0.5, dampening: 0.3 },
      { lr: 0.02, momentum: 0.9, nesterov: true },
      { lr: 0.1 },
    ]
  ) {
    const p = Variable.from([0.5], [1], { requiresGrad: true });
    const got = run(new SGD([p], o), p, 20);
    let x = f32(0.5), b = 0;
    for (let t = 0; t < 20; t++) {
      let g = f32(grad(x)) + (o.weightDecay ?? 0) * x;
      if (o.momentum) {
        b = t === 0 ? g : o.momentum * b + (1 - (o.dampening ?? 0)) * g;
        g = o.nesterov ? g + o.momentum * b : b;
      }
      x = f32(x - o.lr * g);
      equal(got[t], x, `step ${t} of ${JSON.stringify(o)}`);
    }
  }
});

Deno.test("Adam and AdamW follow the published update", () => {
  for (const [Opt, wd] of [[Adam, 0], [Adam, 0.1], [AdamW, 0.1]] as const) {
    const p = Variable.from([0.5], [1], { requiresGrad: true });
    const got = run(new Opt([p], { lr: 0.01, weightDecay: wd }), p, 30);
    let x = f32(0.5), m = 0, v = 0;
    for (let t = 1; t <= 30; t++) {
      let g = f32(grad(x));
      if (Opt === AdamW) x = x * (1 - 0.01 * wd);
      else g += wd * x;
      m = 0.9 * m + 0.1 * g;
      v = 0.999 * v + 0.001 * g * g;
      x = f32(x - (0.01 * m / (1 - 0.9 ** t)) / (Math.sqrt(v / (1 - 0.999 ** t)) + 1e-8));
      ok(Math.abs(got[t - 1] - x) <= 2e-7, `${Opt.name} wd ${wd} step ${t}: ${got[t - 1]} vs ${x}`);
    }
  }
});

Deno.test("optimizers converge on a quadratic and skip parameters without a gradient", () => {
  const p = Variable.from([10], [1], { requiresGrad: true });
  const q = Variable.from([7], [1], { requiresGrad: true });
  const opt = new Adam([p, q], { lr: 0.1 });
  for (let i = 0; i < 2000; i++) {
    opt.zeroGrad();
    p.grad = new Float32Array([2 * (p.data[0] - 3)]);
    opt.step();
  }
  ok(Math.abs(p.data[0] - 3) < 1e-3);
  equal(q.data[0], 7);
  throws(() => new SGD([p], { lr: -1 }), /options.lr must be a finite number in \[0, ∞\]/);
  throws(() => new SGD([p], { lr: 1, nesterov: true }), /nesterov needs momentum/);
  throws(() => new Adam([p], { beta1: 1.5 }), /options.beta1/);
});

Deno.test("schedules: closed forms", () => {
  const s = stepLR({ lr: 0.2, stepSize: 3, gamma: 0.5 });
  equal(s(0), 0.2);
  equal(s(2), 0.2);
  equal(s(3), 0.1);
  equal(s(7), 0.05);
  const c = cosineLR({ lr: 0.4, total: 8, minLr: 0 });
  ok(Math.abs(c(2) - 0.2 * (1 + Math.SQRT1_2)) < 1e-15); // cos(π/4)
  ok(Math.abs(c(4) - 0.2) < 1e-15);
  ok(Math.abs(c(6) - 0.2 * (1 - Math.SQRT1_2)) < 1e-15);
  equal(c(8), 0);
  equal(c(100), 0);
  const w = cosineLR({ lr: 1, total: 5, warmup: 4 });
  equal(w(1), 0.5);
  equal(w(4), 1);
  throws(() => c(-1), /t must be a non-negative integer/);
  throws(() => cosineLR({ lr: 1, total: 3, warmup: 3 }), /warmup/);
});
