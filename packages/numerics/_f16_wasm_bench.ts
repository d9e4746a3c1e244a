// FP16 conversion of 1 Mi elements: the WebAssembly SIMD kernel vs native Float16Array.
import { float16BitsToFloat32Wasm, float32ToFloat16BitsWasm } from "./_f16_wasm.ts";

const N = 1 << 20;

/** Seeded values spread over FP16's range: uniform mantissa, exponent in [-16, 12]. */
function randomFloats(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  const next = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
  for (let i = 0; i < n; i++) out[i] = (next() - 0.5) * 2 ** Math.floor(next() * 29 - 16);
  return out;
}

const src = randomFloats(N, 0x9e3779b9);
const buf = new ArrayBuffer(N * 2);
const f16 = new Float16Array(buf);
const bits = new Uint16Array(buf); // same bytes as f16
const out = new Uint16Array(N);
const back = new Float32Array(N);
float32ToFloat16BitsWasm(src, out, false); // warm up
float16BitsToFloat32Wasm(out, back);

Deno.bench({
  name: "native Float16Array.set (1 Mi)",
  group: "f32->f16",
  baseline: true,
  fn() {
    f16.set(src);
    if (bits[N - 1] === 0x7e00) throw new Error("unexpected NaN");
  },
});

Deno.bench({
  name: "wasm SIMD f32_to_f16 (1 Mi)",
  group: "f32->f16",
  fn() {
    float32ToFloat16BitsWasm(src, out, false);
  },
});

Deno.bench({
  name: "native Float32Array.set from Float16Array (1 Mi)",
  group: "f16->f32",
  baseline: true,
  fn() {
    back.set(f16);
  },
});

Deno.bench({
  name: "wasm SIMD f16_to_f32 (1 Mi)",
  group: "f16->f32",
  fn() {
    float16BitsToFloat32Wasm(bits, back);
  },
});
