import { equal, ok, throws } from "node:assert/strict";
import { float16BitsToFloat32Wasm, float32ToFloat16BitsWasm } from "./_f16_wasm.ts";
import { generate, listTargets } from "../../scripts/build_wasm.ts";

const CHUNK = 65536;

/** Native conversion, which rounds half to even: the reference. */
function nativeBits(src: Float32Array): Uint16Array {
  return new Uint16Array(new Float16Array(src).buffer);
}

function bitsToF32(bits: readonly number[] | Uint32Array): Float32Array {
  return new Float32Array(Uint32Array.from(bits).buffer);
}

function f32Bits(x: number): number {
  return new Uint32Array(new Float32Array([x]).buffer)[0];
}

function hex(x: number, width: number): string {
  return "0x" + x.toString(16).padStart(width, "0");
}

/** Seeded xorshift32 bit patterns. */
function randomBits(n: number, seed: number): Uint32Array {
  const out = new Uint32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s >>> 0;
  }
  return out;
}

/** Every float32 bit pattern in [from, to], both signs. */
function bitRange(from: number, to: number): Float32Array {
  const n = to - from + 1;
  const bits = new Uint32Array(2 * n);
  for (let i = 0; i < n; i++) {
    bits[i] = from + i;
    bits[n + i] = (from + i) | 0x80000000;
  }
  return new Float32Array(bits.buffer);
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const isNan16 = (h: number): boolean => (h & 0x7fff) > 0x7c00;

/** Encodes in slices of 7 elements, so that every element goes through the scalar tail. */
function encodeInTail(src: Float32Array, out: Uint16Array, saturate: boolean): Uint16Array {
  for (let i = 0; i < src.length; i += 7) {
    float32ToFloat16BitsWasm(src.subarray(i, i + 7), out.subarray(i, i + 7), saturate);
  }
  return out;
}

/** Asserts the kernel equals native Float16Array on every element (NaN: sign | 0x7e00). */
function assertEncodesLikeNative(
  src: Float32Array,
  label: string,
  encode: typeof float32ToFloat16BitsWasm = float32ToFloat16BitsWasm,
): void {
  const got = encode(src, new Uint16Array(src.length), false);
  const want = nativeBits(src);
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  let bad = 0;
  let first = "";
  for (let i = 0; i < src.length; i++) {
    const w = isNan16(want[i]) ? ((bits[i] >>> 16) & 0x8000) | 0x7e00 : want[i];
    if (got[i] !== w) {
      if (bad++ === 0) first = `${hex(bits[i], 8)} -> ${hex(got[i], 4)}, want ${hex(w, 4)}`;
    }
  }
  equal(bad, 0, `${label}: ${bad} of ${src.length} differ, first ${first}`);
}

// Inputs shared by the rounding and saturation tests.
const ALL_U16 = Uint16Array.from({ length: 65536 }, (_, i) => i);
const EXACT = new Float32Array(new Float16Array(ALL_U16.buffer));

function midpoints(): Float32Array {
  const values = new Float32Array(new Float16Array(ALL_U16.subarray(0, 0x7c01).buffer));
  values[0x7c00] = 65536; // the next binade's first value stands in for Inf
  const bits = new Uint32Array(6 * 0x7c00);
  for (let p = 0; p < 0x7c00; p++) {
    const mid = f32Bits((values[p] + values[p + 1]) / 2); // exact: 12 significant bits
    for (let d = -1; d <= 1; d++) {
      bits[6 * p + 2 * (d + 1)] = mid + d;
      bits[6 * p + 2 * (d + 1) + 1] = (mid + d) | 0x80000000;
    }
  }
  return new Float32Array(bits.buffer);
}

const MIDPOINTS = midpoints();
const RANDOM = new Float32Array(randomBits(4_000_000, 0x2545f491).buffer);
const SPECIAL = bitsToF32([
  0x00000000,
  0x80000000,
  0x7f800000,
  0xff800000,
  0x7fc00000,
  0xffc00000,
  0x7f800001,
  0xff800001,
  0x7fbfffff,
  0xffffffff,
  0x7fffffff,
  0x00000001,
  0x807fffff,
  0x7f7fffff,
  0xff7fffff,
  0x3f800000,
  0x477fe000,
  0x477fefff,
  0x477ff000,
  0x477ff001,
  0x47800000,
]);
const SWEEP = (() => {
  const mantissas = [0, 1, 0xfff, 0x1000, 0x1001, 0x1fff, 0x2000, 0x3000, 0x400000, 0x7fffff];
  const bits: number[] = [];
  for (let e = 0; e < 256; e++) {
    for (const m of mantissas) bits.push((e << 23) | m, ((e << 23) | m | 0x80000000) >>> 0);
  }
  return bitsToF32(bits);
})();
const BOUNDARIES = concat([
  bitRange(f32Bits(65504) - 256, f32Bits(65536) + 256), // overflow threshold 65520
  bitRange(f32Bits(2 ** -14) - 65536, f32Bits(2 ** -14) + 65536), // subnormal/normal
  bitRange(f32Bits(2 ** -25) - 4096, f32Bits(2 ** -25) + 4096), // zero/min subnormal tie
]);

Deno.test("f32_to_f16 keeps all 65536 FP16 values exactly", () => {
  assertEncodesLikeNative(EXACT, "exact values");
  const got = float32ToFloat16BitsWasm(EXACT, new Uint16Array(65536), false);
  for (let p = 0; p < 65536; p++) if (!isNan16(p)) equal(got[p], p);
});

Deno.test("f32_to_f16 rounds every FP16 midpoint and its f32 neighbours like Float16Array", () => {
  assertEncodesLikeNative(MIDPOINTS, "midpoints ± 1 ulp");
});

Deno.test("f32_to_f16 agrees with Float16Array on 4M seeded random bit patterns", () => {
  assertEncodesLikeNative(RANDOM, "random");
});

Deno.test("f32_to_f16 agrees with Float16Array at the overflow and subnormal boundaries", () => {
  assertEncodesLikeNative(BOUNDARIES, "boundaries");
  assertEncodesLikeNative(SWEEP, "exponent sweep");
  assertEncodesLikeNative(SPECIAL, "specials");
  const got = float32ToFloat16BitsWasm(SPECIAL, new Uint16Array(SPECIAL.length), false);
  equal(got[1], 0x8000); // -0
  equal(got[2], 0x7c00);
  equal(got[3], 0xfc00);
  equal(got[5], 0xfe00); // NaN keeps its sign and becomes the canonical quiet NaN
  equal(got[9], 0xfe00);
});

Deno.test("the scalar tail rounds like the SIMD body", () => {
  for (const [label, src] of Object.entries({ EXACT, MIDPOINTS, BOUNDARIES, SWEEP, SPECIAL })) {
    assertEncodesLikeNative(src, `${label} (tail)`, encodeInTail);
    const sat = encodeInTail(src, new Uint16Array(src.length), true);
    equal(sat.join(), float32ToFloat16BitsWasm(src, new Uint16Array(src.length), true).join());
  }
});

Deno.test("saturate clamps finite overflow and infinities to ±65504, nothing else", () => {
  for (const [label, src] of Object.entries({ EXACT, MIDPOINTS, RANDOM, BOUNDARIES, SPECIAL })) {
    const plain = float32ToFloat16BitsWasm(src, new Uint16Array(src.length), false);
    const sat = float32ToFloat16BitsWasm(src, new Uint16Array(src.length), true);
    let bad = 0;
    for (let i = 0; i < src.length; i++) {
      const want = (plain[i] & 0x7fff) === 0x7c00 ? plain[i] - 1 : plain[i];
      if (sat[i] !== want) bad++;
    }
    equal(bad, 0, `${label}: ${bad} differ`);
  }
  const edge = new Float32Array([65519, 65520, 1e9, Infinity, -65520, -Infinity, NaN]);
  const sat = float32ToFloat16BitsWasm(edge, new Uint16Array(edge.length), true);
  equal([...sat].map((h) => hex(h, 4)).join(), "0x7bff,0x7bff,0x7bff,0x7bff,0xfbff,0xfbff,0x7e00");
});

Deno.test("f16_to_f32 decodes all 65536 patterns like Float16Array", () => {
  const whole = float16BitsToFloat32Wasm(ALL_U16, new Float32Array(65536));
  const tail = new Float32Array(65536);
  for (let i = 0; i < 65536; i += 7) {
    float16BitsToFloat32Wasm(ALL_U16.subarray(i, i + 7), tail.subarray(i, i + 7));
  }
  const wantBits = new Uint32Array(EXACT.buffer);
  for (const [label, got] of [["SIMD", whole], ["scalar tail", tail]] as const) {
    const gotBits = new Uint32Array(got.buffer);
    let bad = 0;
    for (let p = 0; p < 65536; p++) {
      const ok = isNan16(p)
        // quiet NaN, same sign
        ? (gotBits[p] & 0x7fc00000) === 0x7fc00000 && gotBits[p] >>> 31 === p >>> 15
        : gotBits[p] === wantBits[p];
      if (!ok) bad++;
    }
    equal(bad, 0, `${label}: ${bad} patterns differ`);
  }
});

Deno.test("chunking and tails: lengths 0..17, around the chunk size, offsets, long out", () => {
  const lengths = [...Array(18).keys(), CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK + 13, 3 * CHUNK];
  for (const n of lengths) {
    const src = new Float32Array(randomBits(n + 1, n + 7).buffer).subarray(1); // offset 4 bytes
    const out = new Uint16Array(n + 3).fill(0xabcd);
    float32ToFloat16BitsWasm(src, out, false);
    assertEncodesLikeNative(src, `n = ${n}`);
    equal(out.subarray(n).join(), "43981,43981,43981", `n = ${n}: wrote past src.length`);
    const h = nativeBits(src);
    const back = float16BitsToFloat32Wasm(h, new Float32Array(n + 2).fill(7));
    const want = new Float32Array(new Float16Array(h.buffer));
    for (let i = 0; i < n; i++) {
      ok(Object.is(back[i], want[i]) || (isNaN(back[i]) && isNaN(want[i])), `n = ${n}, i = ${i}`);
    }
    equal(back.subarray(n).join(), "7,7", `n = ${n}: wrote past src.length`);
  }
});

Deno.test("out shorter than src is a RangeError naming out", () => {
  throws(
    () => float32ToFloat16BitsWasm(new Float32Array(3), new Uint16Array(2), false),
    (e: unknown) => e instanceof RangeError && /out/.test(e.message),
  );
  throws(
    () => float16BitsToFloat32Wasm(new Uint16Array(3), new Float32Array(2)),
    (e: unknown) => e instanceof RangeError && /out/.test(e.message),
  );
});

Deno.test("the embedded module is what build_wasm.ts compiles from wasm/f16.wat", async () => {
  const target = (await listTargets()).find((t) => t.wat.endsWith("/numerics/wasm/f16.wat"));
  ok(target, "wasm/f16.wat not found");
  equal(await Deno.readTextFile(target.out), await generate(target), "run deno task build:wasm");
});
