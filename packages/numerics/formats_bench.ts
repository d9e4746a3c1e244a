// Encode throughput of the named formats from Float32Array, 1 Mi values, against the native
// Float16Array.set path in the same run. Two inputs: Gaussian "weights" (σ = 1, the common case)
// and uniformly random float32 bit patterns (every exponent, NaNs and infinities included).
// Run: deno bench -A packages/numerics/formats_bench.ts
import { Philox } from "@lowbit/rounding/philox";
import { BF16, FP16, FP4_E2M1, FP6_E3M2, FP8_E4M3FN, FP8_E5M2, TF32 } from "./formats.ts";

const N = 1 << 20;
const rng = new Philox(2026);
const gaussian = new Float32Array(N);
for (let i = 0; i < N; i += 2) { // Box–Muller
  const r = Math.sqrt(-2 * Math.log(1 - rng.uniform())), t = 2 * Math.PI * rng.uniform();
  gaussian[i] = r * Math.cos(t);
  gaussian[i + 1] = r * Math.sin(t);
}
const randomBits = new Float32Array(N);
rng.fillUint32(new Uint32Array(randomBits.buffer));
for (let i = 0; i < N; i++) if (Number.isNaN(randomBits[i])) randomBits[i] = 1; // FP6/FP4 have no NaN

const f16 = new Float16Array(N);
const u16 = new Uint16Array(N), u8 = new Uint8Array(N), u32 = new Uint32Array(N);

for (const [data, src] of [["gaussian", gaussian], ["random bits", randomBits]] as const) {
  const group = `encode ${data}`;
  Deno.bench(`native Float16Array.set (${data})`, { group, baseline: true }, () => {
    f16.set(src);
  });
  Deno.bench(`FP16 wasm (${data})`, { group }, () => {
    FP16.encodeArray(src, {}, u16);
  });
  Deno.bench(`FP16 ts (${data})`, { group }, () => {
    FP16.encodeArray(src, { kernel: "ts" }, u16);
  });
  Deno.bench(`BF16 (${data})`, { group }, () => {
    BF16.encodeArray(src, {}, u16);
  });
  Deno.bench(`TF32 (${data})`, { group }, () => {
    TF32.encodeArray(src, {}, u32);
  });
  Deno.bench(`FP8 E4M3FN (${data})`, { group }, () => {
    FP8_E4M3FN.encodeArray(src, {}, u8);
  });
  Deno.bench(`FP8 E4M3FN ts (${data})`, { group }, () => {
    FP8_E4M3FN.encodeArray(src, { kernel: "ts" }, u8);
  });
  Deno.bench(`FP8 E5M2 saturating (${data})`, { group }, () => {
    FP8_E5M2.encodeArray(src, { saturate: true }, u8);
  });
  Deno.bench(`FP6 E3M2 (${data})`, { group }, () => {
    FP6_E3M2.encodeArray(src, {}, u8);
  });
  Deno.bench(`FP4 E2M1 (${data})`, { group }, () => {
    FP4_E2M1.encodeArray(src, {}, u8);
  });
}

const codes8 = FP8_E4M3FN.encodeArray(gaussian);
const codes16 = FP16.encodeArray(gaussian);
const out = new Float32Array(N);
Deno.bench("native Float16Array → Float32Array", { group: "decode", baseline: true }, () => {
  out.set(f16);
});
Deno.bench("FP16.decodeArray (table)", { group: "decode" }, () => {
  FP16.decodeArray(codes16, out);
});
Deno.bench("FP8_E4M3FN.decodeArray (table)", { group: "decode" }, () => {
  FP8_E4M3FN.decodeArray(codes8, out);
});
