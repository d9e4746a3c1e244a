import { ok } from "node:assert/strict";
import { Philox } from "@lowbit/rounding";
import { laplaceSamples, normalSamples, studentTSamples } from "./samples.ts";

function moments(x: Float32Array): { mean: number; meanAbs: number; variance: number } {
  let s = 0, a = 0, q = 0;
  for (const v of x) {
    s += v;
    a += Math.abs(v);
    q += v * v;
  }
  const mean = s / x.length;
  return { mean, meanAbs: a / x.length, variance: q / x.length - mean * mean };
}

Deno.test("normal samples: mean 0, variance sigma², mean |x| = sigma·sqrt(2/pi)", () => {
  const m = moments(normalSamples(200001, new Philox(1), 2));
  ok(Math.abs(m.mean) < 0.02, `${m.mean}`);
  ok(Math.abs(m.variance - 4) < 0.05, `${m.variance}`);
  ok(Math.abs(m.meanAbs - 2 * Math.sqrt(2 / Math.PI)) < 0.02, `${m.meanAbs}`);
});

Deno.test("laplace samples: mean |x| = b, variance 2b²", () => {
  const m = moments(laplaceSamples(200000, new Philox(2), 0.5));
  ok(Math.abs(m.meanAbs - 0.5) < 0.01, `${m.meanAbs}`);
  ok(Math.abs(m.variance - 0.5) < 0.02, `${m.variance}`);
});

Deno.test("student-t samples: variance nu / (nu - 2) for nu = 5", () => {
  const m = moments(studentTSamples(200000, new Philox(3), 5));
  ok(Math.abs(m.variance - 5 / 3) < 0.08, `${m.variance}`);
  ok(Math.abs(m.mean) < 0.02);
});

Deno.test("the same seed gives the same samples", () => {
  ok(normalSamples(5, new Philox(9)).every((v, i) => v === normalSamples(5, new Philox(9))[i]));
});
