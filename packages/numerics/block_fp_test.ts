import { deepEqual, equal, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import { Philox } from "@lowbit/rounding/philox";
import type { RoundingMode } from "@lowbit/rounding/modes";
import { type BlockFloat, blockFloatDequantize, blockFloatQuantize } from "./block_fp.ts";
import { mxDequantize, MXINT8, mxQuantize } from "./mx.ts";

const f32 = (xs: number[]): Float32Array => new Float32Array(xs);
const BFP16 = { blockSize: 16, mantissaBits: 8 } as const;

function gaussian(n: number, seed: number): Float32Array {
  const rng = new Philox(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rng.uniform()));
    const t = 2 * Math.PI * rng.uniform();
    out[i] = r * Math.cos(t);
    if (i + 1 < n) out[i + 1] = r * Math.sin(t);
  }
  return out;
}

Deno.test("BFP16 worked example: E = ⌊log2 max⌋, Δ = 2^(E − b + 2), m = round(x / Δ)", () => {
  // Block 1: max 5.3 → E = 2, Δ = 2^(2 − 8 + 2) = 1/16. 5.3·16 = 84.8 → 85; −0.7·16 = −11.2 → −11;
  // 0.03·16 = 0.48 → 0; 1.03125·16 = 16.5 → 16 (tie to even).
  // Block 2 (partial, 2 values): max 0.1 → E = −4, Δ = 2^−10: 0.1·1024 = 102.4 → 102; −0.05 → −51.2 → −51.
  const x = new Float32Array(18);
  x.set([5.3, -0.7, 0.03, 1.03125]);
  x.set([0.1, -0.05], 16);
  const q = blockFloatQuantize(x, BFP16);
  deepEqual([...q.exponents], [2, -4]);
  ok(q.mantissas instanceof Int8Array);
  deepEqual([...q.mantissas.subarray(0, 4)], [85, -11, 0, 16]);
  deepEqual([...q.mantissas.subarray(16)], [102, -51]);
  const y = blockFloatDequantize(q);
  deepEqual([...y.subarray(0, 4)], [85 / 16, -11 / 16, 0, 1]);
  deepEqual([...y.subarray(16)], [102 / 1024, -51 / 1024]);
  equal(q.length, 18);
  equal(q.blockSize, 16);
  equal(q.mantissaBits, 8);
});

Deno.test("the block maximum carries to 2^(b−1) and is clamped; symmetric range by default", () => {
  // max 127.6: E = 6, Δ = 1 → 128 → 127. −127.6 → −128 → −127 (symmetric) or −128 (full range).
  const q = blockFloatQuantize(f32([127.6, -127.6, 64]), BFP16);
  deepEqual([...q.exponents], [6]);
  deepEqual([...q.mantissas], [127, -127, 64]);
  const full = blockFloatQuantize(f32([127.6, -127.6]), { ...BFP16, symmetric: false });
  deepEqual([...full.mantissas], [127, -128]);
  // ... except where −128·Δ = −2^128 would overflow float32 (E = 127):
  const top = blockFloatQuantize(f32([-3.4e38]), { ...BFP16, symmetric: false });
  deepEqual([...top.exponents, ...top.mantissas], [127, -127]);
  ok(Number.isFinite(blockFloatDequantize(top)[0]));
  // b = 4: range ±7, Δ = 2^(E − 2): 7.9 → E = 2, Δ = 1 → 8 → 7.
  deepEqual([
    ...blockFloatQuantize(f32([7.9, 3.5, 2.5]), { blockSize: 4, mantissaBits: 4 }).mantissas,
  ], [
    7,
    4,
    2,
  ]);
});

Deno.test("all-zero block: exponent −127 and zero mantissas; tiny blocks clamp at −127", () => {
  const q = blockFloatQuantize(f32([0, -0, 0]), BFP16);
  deepEqual([...q.exponents], [-127]);
  deepEqual([...blockFloatDequantize(q)], [0, 0, 0]);
  // max 2^−140 → E would be −140; raised to −127, Δ = 2^−133: 2^−140 / 2^−133 = 2^−7 → 0.
  const t = blockFloatQuantize(f32([2 ** -140, 2 ** -133 * 3]), BFP16);
  deepEqual([...t.exponents], [-127]);
  deepEqual([...t.mantissas], [0, 3]);
});

Deno.test("mantissaBits > 8 stores Int16Array mantissas (b = 12: range ±2047)", () => {
  const q = blockFloatQuantize(f32([1, -0.999, 1 / 1024]), { blockSize: 8, mantissaBits: 12 });
  ok(q.mantissas instanceof Int16Array);
  // E = 0, Δ = 2^−10: 1 → 1024, −0.999·1024 = −1022.98 → −1023, 2^−10 → 1
  deepEqual([...q.mantissas], [1024, -1023, 1]);
  const m16 = blockFloatQuantize(f32([1.99999]), { blockSize: 1, mantissaBits: 16 });
  deepEqual([...m16.mantissas], [32767]); // 1.99999·2^14 = 32767.8 → 32768 → clamp 32767
});

Deno.test("MXINT8 is BFP with b = 8, blocks of 32 and an E8M0 exponent: identical values", () => {
  for (const x of [gaussian(1000, 1), gaussian(200, 2).map((v) => v * 1e-36), f32([0, 0, 5])]) {
    const bfp = blockFloatQuantize(x, { blockSize: 32, mantissaBits: 8 });
    const mx = mxQuantize(x, MXINT8);
    deepEqual(blockFloatDequantize(bfp), mxDequantize(mx));
    deepEqual([...bfp.exponents].map((e) => e + 127), [...mx.scales]);
    deepEqual(new Uint8Array(bfp.mantissas.buffer), mx.elements);
  }
});

// Bound: with t = x/Δ, round-to-nearest moves t by at most 1/2, so |x − x̂| ≤ Δ/2 unless the
// clamp acts; the clamp only acts on |t| ∈ (2^(b−1) − 1, 2^(b−1)) (as |x| < 2^(E+1) means
// |t| < 2^(b−1)), where |x − x̂| < Δ.
Deno.test("property: exponent, range, exactness and the Δ/2 (clamped: Δ) error bound", () => {
  const values = fc.oneof(
    fc.float32Array({ noNaN: true, noDefaultInfinity: true, minLength: 1, maxLength: 70 }),
    fc.array(fc.double({ min: -1000, max: 1000, noNaN: true }), { minLength: 1, maxLength: 70 })
      .map((a) => Float32Array.from(a)),
  );
  fc.assert(
    fc.property(
      values,
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 2, max: 16 }),
      fc.boolean(),
      (x, blockSize, mantissaBits, symmetric) => {
        const q = blockFloatQuantize(x, { blockSize, mantissaBits, symmetric });
        const y = blockFloatDequantize(q);
        const hiM = 2 ** (mantissaBits - 1) - 1;
        const fullLoM = symmetric ? -hiM : -hiM - 1;
        for (let k = 0; k < q.exponents.length; k++) {
          const lo = k * blockSize, hi = Math.min(lo + blockSize, x.length);
          let amax = 0;
          for (let i = lo; i < hi; i++) amax = Math.max(amax, Math.abs(x[i]));
          const e = amax === 0 ? -127 : Math.max(Math.floor(Math.log2(amax)), -127);
          if (q.exponents[k] !== e) return false;
          const delta = 2 ** (e - mantissaBits + 2);
          const loM = e === 127 ? -hiM : fullLoM; // −2^128 is not a float32 value
          let mmax = 0;
          for (let i = lo; i < hi; i++) {
            const m = q.mantissas[i];
            if (m < loM || m > hiM) return false;
            if (y[i] !== m * delta) return false; // exact in float32
            const clamped = Math.abs(x[i] / delta) > hiM;
            if (!(Math.abs(x[i] - y[i]) <= (clamped ? delta : delta / 2))) return false;
            mmax = Math.max(mmax, Math.abs(m));
          }
          // The largest element keeps b − 1 significant bits: |m| ∈ [2^(b−2), 2^(b−1) − 1]
          // (2^(b−1) itself only for a negative maximum with the full range).
          if (amax !== 0 && e > -127 && !(mmax >= 2 ** (mantissaBits - 2) && mmax <= -loM)) {
            return false;
          }
        }
        return true;
      },
    ),
    { seed: 31337, numRuns: 400 },
  );
});

Deno.test("rounding modes: toward-zero truncates, ties-away rounds 2.5 to 3", () => {
  const x = f32([100, 2.5, -2.5, 3.7, -3.7]); // E = 6, Δ = 1
  const m = (rounding: RoundingMode): number[] => [
    ...blockFloatQuantize(x, { ...BFP16, rounding }).mantissas,
  ];
  deepEqual(m("nearest-even"), [100, 2, -2, 4, -4]);
  deepEqual(m("nearest-away"), [100, 3, -3, 4, -4]);
  deepEqual(m("toward-zero"), [100, 2, -2, 3, -3]);
  deepEqual(m("floor"), [100, 2, -3, 3, -4]);
});

Deno.test("stochastic rounding is unbiased on average (5σ, fixed seed)", () => {
  const N = 4000;
  const x = f32([100, 2.25, -7.5, 0.1, -0.8, 33.3]); // Δ = 1
  const rng = new Philox(5);
  const sum = new Float64Array(x.length);
  for (let k = 0; k < N; k++) {
    const y = blockFloatDequantize(
      blockFloatQuantize(x, { ...BFP16, rounding: "stochastic", random: rng }),
    );
    for (let i = 0; i < x.length; i++) sum[i] += y[i];
  }
  for (let i = 0; i < x.length; i++) {
    ok(Math.abs(sum[i] / N - x[i]) <= (5 * 0.5) / Math.sqrt(N), `x=${x[i]}`); // σ ≤ Δ/2
  }
  throws(() => blockFloatQuantize(x, { ...BFP16, rounding: "stochastic" }), TypeError);
});

Deno.test("errors name the argument", () => {
  const x = f32([1, 2]);
  for (const blockSize of [0, -2, 1.5, NaN]) {
    throws(() => blockFloatQuantize(x, { blockSize, mantissaBits: 8 }), /blockSize/);
  }
  for (const mantissaBits of [1, 17, 4.5]) {
    throws(() => blockFloatQuantize(x, { blockSize: 16, mantissaBits }), /mantissaBits/);
  }
  throws(() => blockFloatQuantize(f32([1, NaN]), BFP16), /src\[1\] is NaN/);
  throws(() => blockFloatQuantize(f32([1, 2, -Infinity]), BFP16), /src\[2\] is -Infinity/);
  throws(() => blockFloatQuantize([1] as unknown as Float32Array, BFP16), /src must be/);
  throws(() => blockFloatQuantize(x, undefined as unknown as typeof BFP16), TypeError);
  throws(() => blockFloatQuantize(x, { ...BFP16, rounding: "up" as RoundingMode }), /rounding/);
  const q = blockFloatQuantize(x, BFP16);
  throws(() => blockFloatDequantize({ ...q, exponents: new Int16Array(0) }), /exponents/);
  throws(() => blockFloatDequantize({ ...q, mantissas: new Int8Array(1) }), /mantissas/);
  throws(() => blockFloatDequantize({ ...q, mantissaBits: 20 }), /mantissaBits/);
  throws(() => blockFloatDequantize(null as unknown as BlockFloat), TypeError);
});
