import { deepEqual, equal, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import { gemmInt8 } from "@lowbit/kernels/gemm-int8";
import { requiredAccumulatorBits, simulateAccumulation } from "./accumulator.ts";

const int8s = (len: number) =>
  fc.array(fc.integer({ min: -128, max: 127 }), { minLength: len, maxLength: len });

Deno.test("32-bit accumulation equals gemmInt8; wrap equals the exact sum mod 2^b (BigInt)", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 0, max: 1000 }),
      (m, n, k, seed) => {
        const a = Int8Array.from({ length: m * k }, (_, i) => ((i * 7919 + seed * 31) % 256) - 128);
        const b = Int8Array.from(
          { length: k * n },
          (_, i) => ((i * 104729 + seed * 17) % 256) - 128,
        );
        const bias = Int32Array.from({ length: n }, (_, j) => (j * 4099 + seed) % 20000 - 10000);
        const r32 = simulateAccumulation(m, n, k, a, b, {
          bits: 32,
          overflow: "wrap",
          aZeroPoint: 3,
          bias,
        });
        const ref = gemmInt8(m, n, k, a, b, { aZeroPoint: 3, bias });
        if (r32.overflowed !== 0 || [...r32.acc].join() !== [...ref].join()) return false;
        for (const bits of [16, 24] as const) {
          const r = simulateAccumulation(m, n, k, a, b, {
            bits,
            overflow: "wrap",
            aZeroPoint: 3,
            bias,
          });
          for (let i = 0; i < m * n; i++) {
            if (BigInt(r.acc[i]) !== BigInt.asIntN(bits, BigInt(ref[i]))) return false;
            const outside = ref[i] < -(2 ** (bits - 1)) || ref[i] >= 2 ** (bits - 1);
            if (outside && r.firstOverflowStep[i] < 0) return false;
          }
        }
        return true;
      },
    ),
    { seed: 61, numRuns: 200 },
  );
});

Deno.test("saturating accumulation clamps each partial sum in order (stepwise brute force)", () => {
  fc.assert(
    fc.property(int8s(30), int8s(30), (av, bv) => {
      const a = Int8Array.from(av), b = Int8Array.from(bv);
      const r = simulateAccumulation(1, 1, 30, a, b, { bits: 16, overflow: "saturate" });
      let s = 0, first = -1;
      for (let p = 0; p < 30; p++) {
        const t = s + a[p] * b[p];
        s = Math.min(32767, Math.max(-32768, t));
        if (first < 0 && s !== t) first = p + 1;
      }
      return r.acc[0] === s && r.firstOverflowStep[0] === first;
    }),
    { seed: 62, numRuns: 500 },
  );
  // A sum that overflows transiently and comes back: wrap recovers, saturation does not.
  const a = new Int8Array([127, 127, 127, -127, -127, -127]), b = new Int8Array(6).fill(127);
  const w = simulateAccumulation(1, 1, 6, a, b, { bits: 16, overflow: "wrap" });
  const s = simulateAccumulation(1, 1, 6, a, b, { bits: 16, overflow: "saturate" });
  equal(w.acc[0], 0);
  equal(w.overflowed, 1);
  ok(s.acc[0] !== 0);
  equal(w.maxAbsPartial, 3 * 127 * 127);
});

Deno.test("requiredAccumulatorBits is the smallest width that simulation shows safe", () => {
  for (const k of [1, 2, 3, 64, 1000]) {
    const bits = requiredAccumulatorBits(k, 128, 128);
    equal(2 ** (bits - 1) >= k * 128 * 128 + 1, true);
    equal(2 ** (bits - 2) >= k * 128 * 128 + 1, false);
  }
  // The worst case (−128)·(−128)·k reaches exactly k·2^14.
  const k = 2, a = new Int8Array(k).fill(-128), b = new Int8Array(k).fill(-128);
  const bits = requiredAccumulatorBits(k, 128, 128);
  equal(bits, 17);
  deepEqual([...simulateAccumulation(1, 1, k, a, b, { bits: 24, overflow: "wrap" }).acc], [32768]);
  throws(() => simulateAccumulation(1, 1, 1, a, b, { bits: 8 as 16, overflow: "wrap" }), /bits/);
  throws(
    () => simulateAccumulation(1, 1, 1, a, b, { bits: 16, overflow: "x" as "wrap" }),
    /overflow/,
  );
  throws(() => requiredAccumulatorBits(-1, 1, 1), /k/);
});
