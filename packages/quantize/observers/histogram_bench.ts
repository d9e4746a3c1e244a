// HistogramObserver and EntropyObserver on 1 Mi seeded Gaussian values (one observe + qparams).
// Run: deno bench -A packages/quantize/observers/histogram_bench.ts
import { Philox } from "@lowbit/rounding/philox";
import { EntropyObserver } from "./entropy.ts";
import { HistogramObserver } from "./histogram.ts";

const g = new Philox(1);
const x = new Float32Array(1 << 20);
for (let i = 0; i < x.length; i++) {
  x[i] = Math.sqrt(-2 * Math.log(1 - g.uniform())) * Math.cos(2 * Math.PI * g.uniform());
}
const copy = new Float32Array(x.length);

Deno.bench("copy 1 Mi f32", { group: "observers", baseline: true }, () => {
  copy.set(x);
});
Deno.bench("HistogramObserver observe + qparams (2048 bins)", { group: "observers" }, () => {
  const o = new HistogramObserver();
  o.observe(x);
  o.qparams();
});
Deno.bench("EntropyObserver observe + qparams (2048 bins)", { group: "observers" }, () => {
  const o = new EntropyObserver({ bits: 8, signed: true });
  o.observe(x);
  o.qparams();
});
