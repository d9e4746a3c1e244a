// Encode throughput of the named formats from Float32Array (1 Mi seeded normal values).
// Run: deno bench -A packages/numerics/formats_bench.ts
import { Philox } from "@lowbit/rounding/philox";
import { BF16, FP16, FP4_E2M1, FP6_E3M2, FP8_E4M3FN, FP8_E5M2, TF32 } from "./formats.ts";

const N = 1 << 20;
const rng = new Philox(2026);
const src = new Float32Array(N);
for (let i = 0; i < N; i += 2) { // Box–Muller, scaled to exercise normals, subnormals, overflow
  const r = Math.sqrt(-2 * Math.log(1 - rng.uniform())), t = 2 * Math.PI * rng.uniform();
  src[i] = 100 * r * Math.cos(t);
  src[i + 1] = 100 * r * Math.sin(t);
}
const f16 = new Float16Array(N);
const u16 = new Uint16Array(N), u8 = new Uint8Array(N), u32 = new Uint32Array(N);

Deno.bench("native Float16Array.set", { group: "encode", baseline: true }, () => {
  f16.set(src);
});
Deno.bench("FP16.encodeArray (TS bit kernel)", { group: "encode" }, () => {
  FP16.encodeArray(src, {}, u16);
});
Deno.bench("BF16.encodeArray", { group: "encode" }, () => {
  BF16.encodeArray(src, {}, u16);
});
Deno.bench("TF32.encodeArray", { group: "encode" }, () => {
  TF32.encodeArray(src, {}, u32);
});
Deno.bench("FP8_E4M3FN.encodeArray", { group: "encode" }, () => {
  FP8_E4M3FN.encodeArray(src, {}, u8);
});
Deno.bench("FP8_E5M2.encodeArray (saturate)", { group: "encode" }, () => {
  FP8_E5M2.encodeArray(src, { saturate: true }, u8);
});
Deno.bench("FP6_E3M2.encodeArray", { group: "encode" }, () => {
  FP6_E3M2.encodeArray(src, {}, u8);
});
Deno.bench("FP4_E2M1.encodeArray", { group: "encode" }, () => {
  FP4_E2M1.encodeArray(src, {}, u8);
});

const codes8 = FP8_E4M3FN.encodeArray(src);
const out = new Float32Array(N);
Deno.bench("FP8_E4M3FN.decodeArray (table)", { group: "decode" }, () => {
  FP8_E4M3FN.decodeArray(codes8, out);
});
