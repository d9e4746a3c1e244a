import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { Philox } from "./philox.ts";
import {
  binarizeProbability,
  stochasticBinarize,
  stochasticBinarizeArray,
  stochasticRound,
  stochasticRoundArray,
} from "./stochastic.ts";

// Statistical bounds: each estimate is checked at 5 standard errors. For a Bernoulli(p)
// variable the standard error of the mean over n draws is sqrt(p(1−p)/n); a correct
// implementation fails such a check with probability < 6e-7 per check (and the seeds are fixed).
const N = 200_000;

Deno.test("stochastic rounding is unbiased and its variance is p(1−p) (survey Eq. 8)", () => {
  const rng = new Philox(11);
  for (const x of [0.1, 0.5, 0.9, -0.3, 2.75, -7.125, 1e-3]) {
    const r = stochasticRoundArray(new Float64Array(N).fill(x), rng);
    const p = x - Math.floor(x);
    let mean = 0;
    for (const v of r) mean += v;
    mean /= N;
    let varSum = 0;
    for (const v of r) varSum += (v - mean) ** 2;
    const variance = varSum / (N - 1);
    const se = Math.sqrt((p * (1 - p)) / N);
    ok(Math.abs(mean - x) < 5 * se + 1e-12, `x=${x}: mean error ${mean - x} vs 5σ ${5 * se}`);
    // The sample variance of a Bernoulli is m(1−m)·n/(n−1) for the sample mean m, so its error
    // is |1−2p|·|m−p| (first order, vanishing at p = 1/2) plus (m−p)² + p(1−p)/n.
    const s2 = p * (1 - p);
    const bound = Math.abs(1 - 2 * p) * 5 * se + (5 * se) ** 2 + s2 / (N - 1);
    ok(Math.abs(variance - s2) < bound, `x=${x}: variance ${variance} vs ${s2}`);
    ok(r.every((v) => v === Math.floor(x) || v === Math.ceil(x)));
  }
});

Deno.test("stochastic rounding: the mean error over mixed inputs shrinks like 1/sqrt(n)", () => {
  const rng = new Philox(12);
  const xs = new Philox(13).fillUniform(new Float64Array(N)).map((u) => (u - 0.5) * 20);
  const r = stochasticRoundArray(xs, rng);
  let err = 0, bound = 0;
  for (let i = 0; i < N; i++) {
    err += r[i] - xs[i];
    const p = xs[i] - Math.floor(xs[i]);
    bound += p * (1 - p);
  }
  ok(Math.abs(err / N) < (5 * Math.sqrt(bound)) / N, `mean error ${err / N}`);
});

Deno.test("stochastic rounding is reproducible from the seed", () => {
  const x = new Float32Array([0.2, 1.7, -3.3, 4.5]);
  deepEqual(
    stochasticRoundArray(x, new Philox(8), new Float32Array(4)),
    stochasticRoundArray(x, new Philox(8), new Float32Array(4)),
  );
  equal(stochasticRound(5, new Philox(1)), 5);
});

Deno.test("stochastic binarization frequencies follow σ(x) (survey Eq. 9)", () => {
  const rng = new Philox(21);
  for (const x of [-3, -0.5, 0, 0.7, 2]) {
    const b = stochasticBinarizeArray(new Float64Array(N).fill(x), rng);
    const p = 1 / (1 + Math.exp(-x));
    const freq = b.reduce((s, v) => s + (v === 1 ? 1 : 0), 0) / N;
    ok(Math.abs(freq - p) < 5 * Math.sqrt((p * (1 - p)) / N), `x=${x}: ${freq} vs ${p}`);
    ok(b.every((v) => v === 1 || v === -1));
  }
  const hard = stochasticBinarizeArray(new Float64Array(N).fill(0.2), rng, "hard");
  const freq = hard.reduce((s, v) => s + (v === 1 ? 1 : 0), 0) / N;
  ok(Math.abs(freq - 0.6) < 5 * Math.sqrt(0.24 / N));
});

Deno.test("binarizeProbability is stable at the extremes and symmetric", () => {
  equal(binarizeProbability(1000), 1);
  equal(binarizeProbability(-1000), 0);
  for (const x of [0.1, 1, 5, 30]) {
    ok(Math.abs(binarizeProbability(x) + binarizeProbability(-x) - 1) < 1e-15);
  }
  equal(binarizeProbability(-5, "hard"), 0);
  equal(binarizeProbability(5, "hard"), 1);
});

Deno.test("stochastic APIs reject missing randomness and NaN", () => {
  throws(() => stochasticRound(0.5, undefined as never), TypeError);
  throws(() => stochasticBinarize(NaN, new Philox(0)), RangeError);
  throws(() => stochasticBinarize(0, new Philox(0), "tanh" as never), /sigmoid/);
  throws(() => stochasticRoundArray([1, 2], new Philox(0), new Float64Array(1)), /out/);
});
