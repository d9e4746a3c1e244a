// Private test helper: checks an op's backward against float64 central finite differences.
//
// The probe is the scalar L = Σ_i w_i·y_i with fixed pseudo-random weights w (so every output
// element matters), summed in float64. For each input element x_j: L± is evaluated with x_j
// replaced by fl32(x_j ± h); the difference quotient (L+ − L−)/(x+ − x−) uses the actual float32
// perturbed values, in float64. With h = 1e-2 the truncation error is h²·|L'''|/6 and the float32
// rounding of the forward contributes ≈ 2·2⁻²⁴·Σ|w_i y_i|/(2h); tolerance:
//   |fd − analytic| ≤ atol + rtol·max(|fd|, |analytic|), default atol = 2e-3, rtol = 1e-2.

import { Philox } from "@lowbit/rounding/philox";
import { Variable } from "./autograd.ts";

export interface GradCheckOptions {
  h?: number;
  atol?: number;
  rtol?: number;
  seed?: number;
}

export function gradCheck(
  f: (inputs: Variable[]) => Variable,
  inputs: { data: Float32Array; shape: number[]; check?: boolean }[],
  options: GradCheckOptions = {},
): void {
  const h = options.h ?? 1e-2, atol = options.atol ?? 2e-3, rtol = options.rtol ?? 1e-2;
  const rand = new Philox(options.seed ?? 99);
  const vars = inputs.map((x) =>
    new Variable(x.data.slice(), x.shape, { requiresGrad: x.check !== false })
  );
  const y = f(vars);
  const w = new Float64Array(y.size);
  for (let i = 0; i < w.length; i++) w[i] = rand.uniform() * 2 - 1;
  y.backward(Float32Array.from(w));
  const probe = (xs: Float32Array[]) => {
    const out = f(xs.map((d, i) => new Variable(d, inputs[i].shape)));
    let s = 0;
    for (let i = 0; i < out.size; i++) s += w[i] * out.data[i];
    return s;
  };
  inputs.forEach((input, which) => {
    if (input.check === false) return;
    const analytic = vars[which].grad ?? new Float32Array(input.data.length);
    for (let j = 0; j < input.data.length; j++) {
      const xs = inputs.map((x) => x.data.slice());
      const x0 = input.data[j];
      xs[which][j] = x0 + h;
      const xp = xs[which][j];
      const lp = probe(xs);
      xs[which][j] = x0 - h;
      const xm = xs[which][j];
      const lm = probe(xs);
      const fd = (lp - lm) / (xp - xm);
      const a = analytic[j];
      if (!(Math.abs(fd - a) <= atol + rtol * Math.max(Math.abs(fd), Math.abs(a)))) {
        throw new Error(
          `gradient mismatch for input ${which} element ${j}: finite difference ${fd}, backward ${a}`,
        );
      }
    }
  });
}

/** Uniform values in [lo, hi) kept at least `gap` away from each kink in `kinks`. */
export function awayFrom(
  n: number,
  seed: number,
  lo: number,
  hi: number,
  kinks: number[] = [],
  gap = 0.05,
): Float32Array {
  const r = new Philox(seed, 7);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let v: number;
    do v = lo + (hi - lo) * r.uniform(); while (kinks.some((k) => Math.abs(v - k) < gap));
    out[i] = v;
  }
  return out;
}
