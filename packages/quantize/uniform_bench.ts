// Per-channel int8 quantization of a 4096×4096 float32 weight against a plain copy of the same
// bytes (the memory-bandwidth yardstick), in one run.
// Run: deno bench -A packages/quantize/uniform_bench.ts
import { Philox } from "@lowbit/rounding/philox";
import { minMaxQParams } from "./dynamic.ts";
import { fakeQuantize, quantize } from "./uniform.ts";

const R = 4096, C = 4096;
const data = new Float32Array(R * C);
const g = new Philox(4096);
for (let i = 0; i < data.length; i++) data[i] = g.uniform() - 0.5;
const w = { data, shape: [R, C] };
const params = minMaxQParams(w, { bits: 8, signed: true, symmetric: true, axis: 0 });
const copy = new Float32Array(R * C);

Deno.bench(
  "copy 4096×4096 f32 (Float32Array.set)",
  { group: "per-channel q8", baseline: true },
  () => {
    copy.set(data);
  },
);
Deno.bench("quantize per-channel int8", { group: "per-channel q8" }, () => {
  quantize(w, params);
});
const codes = new Int8Array(R * C);
Deno.bench("quantize per-channel int8 into a reused output", { group: "per-channel q8" }, () => {
  quantize(w, params, { out: codes });
});
Deno.bench("quantize per-channel int8 (TypeScript kernel)", { group: "per-channel q8" }, () => {
  quantize(w, params, { kernel: "ts" });
});
Deno.bench("fakeQuantize per-channel int8", { group: "per-channel q8" }, () => {
  fakeQuantize(w, params);
});
Deno.bench("minMaxQParams per-channel", { group: "per-channel q8" }, () => {
  minMaxQParams(w, { bits: 8, signed: true, symmetric: true, axis: 0 });
});
