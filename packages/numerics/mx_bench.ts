// MX quantization throughput on 1 Mi seeded standard-normal float32 values (Box–Muller over
// Philox), one bench per concrete format family. Elements/s = 2^20 / (time per iteration).

import { Philox } from "@lowbit/rounding/philox";
import { mxDequantize, MXFP4_E2M1, MXFP6_E3M2, MXFP8_E4M3, MXINT8, mxQuantize } from "./mx.ts";

const N = 1 << 20;
const rng = new Philox(42);
const x = new Float32Array(N);
for (let i = 0; i < N; i += 2) {
  const r = Math.sqrt(-2 * Math.log(1 - rng.uniform()));
  const t = 2 * Math.PI * rng.uniform();
  x[i] = r * Math.cos(t);
  x[i + 1] = r * Math.sin(t);
}

for (const format of [MXFP8_E4M3, MXFP6_E3M2, MXFP4_E2M1, MXINT8]) {
  Deno.bench({
    name: `mxQuantize ${format.name} 1Mi`,
    group: "mx",
    baseline: format === MXFP8_E4M3,
    fn: () => {
      mxQuantize(x, format);
    },
  });
}

const q4 = mxQuantize(x, MXFP4_E2M1);
Deno.bench({
  name: "mxDequantize MXFP4_E2M1 1Mi",
  group: "mx-dequantize",
  fn: () => {
    mxDequantize(q4);
  },
});

Deno.bench({
  name: "mxQuantize MXFP4_E2M1 1Mi stochastic",
  group: "mx-stochastic",
  fn: () => {
    mxQuantize(x, MXFP4_E2M1, { rounding: "stochastic", random: rng });
  },
});
