import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { Variable } from "@lowbit/nn/autograd";
import { Philox } from "@lowbit/rounding/philox";
import {
  type FixedGrid,
  fixedPointMlp,
  FixedPointRound,
  FixedPointSgd,
  roundToGrid,
} from "./train_fixed_point.ts";

const grid = (fl: number, rounding: "nearest" | "stochastic", seed = 1, wl = 16): FixedGrid => ({
  wordBits: wl,
  fractionBits: fl,
  rounding,
  random: new Philox(seed),
});

Deno.test("roundToGrid: nearest is ties-to-even on the 2^−FL grid and saturates at ±2^(WL−1−FL)", () => {
  // FL = 3: step 1/8; WL = 8: codes −128..127, range [−16, 15.875]
  const x = Float32Array.from([1 / 16, 3 / 16, -5 / 16, 0.3, 20, -20, 15.9]);
  deepEqual([...roundToGrid(x, grid(3, "nearest", 1, 8), new Float32Array(7))], [
    0,
    0.25,
    -0.25,
    0.25,
    15.875,
    -16,
    15.875,
  ]);
  throws(() => roundToGrid(x, grid(8, "nearest", 1, 8), new Float32Array(7)), /fractionBits/);
});

Deno.test("roundToGrid: stochastic lands on the two neighbours, unbiased (mean within 4σ)", () => {
  const n = 20_000, v = 0.3; // FL = 2: neighbours 0.25 and 0.5, P(0.5) = 0.2
  const out = roundToGrid(
    new Float32Array(n).fill(v),
    grid(2, "stochastic", 5),
    new Float32Array(n),
  );
  ok(out.every((y) => y === 0.25 || y === 0.5));
  const mean = out.reduce((a, b) => a + b, 0) / n;
  const sigma = 0.25 * Math.sqrt(0.2 * 0.8 / n);
  ok(Math.abs(mean - v) < 4 * sigma, `mean ${mean}`);
});

Deno.test("FixedPointRound: forward and backward both on the grid; SGD keeps sub-step updates only stochastically", () => {
  const q = new FixedPointRound(grid(4, "nearest"));
  const x = Variable.from([0.03, 0.04, -1.5], [3], { requiresGrad: true });
  const y = q.forward(x);
  deepEqual([...y.data], [0, 0.0625, -1.5]);
  y.backward(new Float32Array([0.02, 0.05, 0.1]));
  deepEqual([...x.grad!], [0, 0.0625, 0.125]);
  // updates of 0.3 steps, 200 times: nearest never moves, stochastic drifts ≈ 60 steps
  for (const [rounding, lo, hi] of [["nearest", 0, 0], ["stochastic", 45, 75]] as const) {
    const p = Variable.from([0], [1], { requiresGrad: true });
    const opt = new FixedPointSgd([p], 1, grid(4, rounding, 9));
    for (let i = 0; i < 200; i++) {
      p.grad = new Float32Array([-0.3 / 16]);
      opt.step();
    }
    const steps = p.data[0] * 16;
    ok(steps >= lo && steps <= hi, `${rounding}: ${steps} steps`);
  }
  equal(fixedPointMlp(1, null).layers.length, 6);
});
