/**
 * Float32 ↔ IEEE binary16 (FP16) bit patterns with a WebAssembly SIMD kernel
 * (source: `wasm/f16.wat`, embedded by `deno task build:wasm`). Bit-identical to native
 * `Float16Array` (round half to even), with an optional saturating mode.
 *
 * @module
 */

export {
  f16WasmAvailable,
  float16BitsToFloat32Wasm,
  float32ToFloat16BitsWasm,
} from "./_f16_wasm.ts";
