import { deepEqual, equal, throws } from "node:assert/strict";
import { gemmInt8, gemmInt8Requantized } from "./gemm_int8.ts";
import { requantizeAccumulators } from "./output_stage.ts";
import { randomInts } from "./_test_util.ts";
import { packInt8 } from "./pack_int8.ts";
import { quantizeMultiplier } from "./requantize.ts";

// Second implementation: gemmlowp's zero-point decomposition (Jacob et al. Eq. 7), in BigInt.
function decomposed(
  m: number,
  n: number,
  k: number,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  za: number,
  zb: ArrayLike<number>,
): Int32Array {
  const c = new Int32Array(m * n);
  for (let i = 0; i < m; i++) {
    let rowSum = 0n;
    for (let p = 0; p < k; p++) rowSum += BigInt(a[i * k + p]);
    for (let j = 0; j < n; j++) {
      let ab = 0n, colSum = 0n;
      for (let p = 0; p < k; p++) {
        ab += BigInt(a[i * k + p]) * BigInt(b[p * n + j]);
        colSum += BigInt(b[p * n + j]);
      }
      const z = BigInt(zb[j]), y = BigInt(za);
      c[i * n + j] = Number(BigInt.asIntN(32, ab - z * rowSum - y * colSum + BigInt(k) * y * z));
    }
  }
  return c;
}

Deno.test("gemmInt8 equals the zero-point decomposition on u8×i8 and i8×i8, extremes included", () => {
  const shapes = [[1, 1, 1], [3, 7, 16], [7, 3, 17], [16, 17, 63], [2, 65, 64], [1, 255, 3]];
  let seed = 0;
  for (const [m, n, k] of shapes) {
    for (const signedA of [false, true]) {
      const a = signedA
        ? randomInts(Int8Array, m * k, -128, 127, ++seed)
        : randomInts(Uint8Array, m * k, 0, 255, ++seed);
      const b = randomInts(Int8Array, k * n, -128, 127, ++seed);
      for (const za of signedA ? [-128, 0, 127] : [0, 128, 255]) {
        const zb = new Int32Array(n).map((_, j) => [-128, 0, 127, 3][j % 4]);
        deepEqual(
          gemmInt8(m, n, k, a, b, { aZeroPoint: za, bZeroPoint: zb }),
          decomposed(m, n, k, a, b, za, zb),
          `${m}×${n}×${k} za=${za}`,
        );
      }
    }
  }
});

Deno.test("gemmInt8: transB and bias", () => {
  const a = new Uint8Array([1, 2, 3]);
  const b = new Int8Array([1, 0, -1, 2, 3, 4]); // 3×2
  const bt = new Int8Array([1, -1, 3, 0, 2, 4]); // 2×3
  const bias = new Int32Array([10, -10]);
  deepEqual([...gemmInt8(1, 2, 3, a, b, { bias })], [1 - 2 + 9 + 10, 0 + 4 + 12 - 10]);
  deepEqual(gemmInt8(1, 2, 3, a, bt, { transB: true, bias }), gemmInt8(1, 2, 3, a, b, { bias }));
});

Deno.test("gemmInt8: accumulation wraps modulo 2^32 like int32 hardware", () => {
  const k = 40000; // 40000·255·255 > 2^31
  const a = new Uint8Array(k).fill(255), b = new Uint8Array(k).fill(255);
  equal(gemmInt8(1, 1, k, a, b)[0], (k * 255 * 255) | 0);
});

Deno.test("gemmInt8Requantized equals gemmInt8 followed by requantizeAccumulators", () => {
  const m = 5, n = 9, k = 33;
  const a = randomInts(Uint8Array, m * k, 0, 255, 7);
  const b = randomInts(Int8Array, k * n, -128, 127, 8);
  const bias = new Int32Array(n).map((_, j) => j * 1000 - 4000);
  const acc = gemmInt8(m, n, k, a, b, { aZeroPoint: 120, bias });
  const stage = {
    kind: "float" as const,
    multiplier: new Float32Array(n).map((_, j) => 0.0005 * (j + 1)),
    zeroPoint: 10,
    dtype: "uint8" as const,
  };
  deepEqual(
    gemmInt8Requantized(m, n, k, a, b, { aZeroPoint: 120, bias, outputStage: stage }),
    requantizeAccumulators(acc, n, stage),
  );
});

Deno.test("gemmInt8: bad input is rejected with named arguments", () => {
  const a = new Uint8Array(6), b = new Int8Array(6);
  throws(
    () => gemmInt8(2, 2, 3, a, b, { aZeroPoint: -1 }),
    /aZeroPoint must be an integer in \[0, 255\]/,
  );
  throws(
    () => gemmInt8(2, 2, 3, a, b, { bZeroPoint: 128 }),
    /bZeroPoint must be an integer in \[-128, 127\]/,
  );
  throws(
    () => gemmInt8(2, 2, 3, a, b, { bZeroPoint: new Int32Array(3) }),
    /bZeroPoint must have length n = 2/,
  );
  throws(() => gemmInt8(2, 3, 3, a, b), /b is too small/);
  throws(
    () => gemmInt8(2, 2, 3, new Float32Array(6) as never, b),
    /a must be a Int8Array or Uint8Array/,
  );
  throws(
    () =>
      gemmInt8Requantized(2, 2, 3, a, b, {
        outputStage: { kind: "float", multiplier: 0, zeroPoint: 0, dtype: "int8" },
      }),
    /multiplier must be finite and > 0/,
  );
  throws(
    () =>
      gemmInt8Requantized(2, 2, 3, a, b, {
        outputStage: { kind: "fixed", multiplier: 1 << 30, shift: 0, zeroPoint: 0, dtype: "uint8" },
        out: new Int8Array(4),
      }),
    /options.out must be a Uint8Array/,
  );
});

const GRID = [1, 3, 7, 16, 17, 63, 64, 65, 255, 256, 257];

Deno.test("gemmInt8: Wasm equals the reference bit for bit on the shape grid, all type pairs, zero points at the ends", () => {
  let seed = 1000;
  const types = [[Uint8Array, Int8Array], [Int8Array, Int8Array], [Uint8Array, Uint8Array], [
    Int8Array,
    Uint8Array,
  ]] as const;
  let t = 0;
  for (const m of GRID) {
    for (const n of GRID) {
      for (const k of [1, 3, 17, 64, 257, 513]) {
        if (m * n * k > 1_500_000) continue;
        const [TA, TB] = types[t++ % types.length];
        const [alo, ahi] = TA === Int8Array ? [-128, 127] : [0, 255];
        const [blo, bhi] = TB === Int8Array ? [-128, 127] : [0, 255];
        const a = randomInts(TA as typeof Uint8Array, m * k, alo, ahi, ++seed);
        const b = randomInts(TB as typeof Uint8Array, k * n, blo, bhi, ++seed);
        const zb = new Int32Array(n).map((_, j) => [blo, bhi, 0, 5][j % 4]);
        const bias = new Int32Array(n).map((_, j) => (j * 7919) % 100000 - 50000);
        const opts = { aZeroPoint: t % 2 ? alo : ahi, bZeroPoint: zb, bias };
        const want = gemmInt8(m, n, k, a, b, { ...opts, kernel: "ts" });
        const got = gemmInt8(m, n, k, a, b, { ...opts, kernel: "wasm" });
        deepEqual(got, want, `${m}×${n}×${k} ${TA.name}×${TB.name}`);
      }
    }
  }
});

Deno.test("gemmInt8: Wasm transB, packed weights, GEMV rows and wraparound agree with the reference", () => {
  for (const [m, n, k] of [[1, 4096, 64], [2, 37, 300], [3, 64, 1], [1, 9, 5], [8, 100, 1000]]) {
    const a = randomInts(Uint8Array, m * k, 0, 255, m + n);
    const bt = randomInts(Int8Array, n * k, -128, 127, k);
    const want = gemmInt8(m, n, k, a, bt, { transB: true, aZeroPoint: 3, kernel: "ts" });
    deepEqual(gemmInt8(m, n, k, a, bt, { transB: true, aZeroPoint: 3, kernel: "wasm" }), want);
    using packed = packInt8(bt, k, n, { transB: true });
    deepEqual(gemmInt8(m, n, k, a, packed, { aZeroPoint: 3 }), want);
    deepEqual(gemmInt8(m, n, k, a, packed, { aZeroPoint: 3, kernel: "ts" }), want);
  }
  const k = 40000;
  const a = new Uint8Array(k).fill(255), b = new Uint8Array(k).fill(255);
  equal(gemmInt8(1, 1, k, a, b, { kernel: "wasm" })[0], (k * 255 * 255) | 0);
});

Deno.test("gemmInt8Requantized: Wasm output stages equal the reference (float and fixed, per channel, clamps)", () => {
  let seed = 5000;
  for (const [m, n, k] of [[1, 33, 70], [7, 17, 63], [13, 64, 257], [64, 5, 9]]) {
    const a = randomInts(Int8Array, m * k, -128, 127, ++seed);
    const b = randomInts(Int8Array, k * n, -128, 127, ++seed);
    const bias = new Int32Array(n).map((_, j) => j * 333 - 2000);
    const fl = new Float32Array(n).map((_, j) => 2 ** -(8 + (j % 9)) * (1 + j / n));
    const fixed = [...fl].map((v) => quantizeMultiplier(v));
    const stages = [
      { kind: "float", multiplier: fl, zeroPoint: -3, dtype: "int8" } as const,
      { kind: "float", multiplier: 0.003, zeroPoint: 128, dtype: "uint8", clampMin: 128 } as const,
      {
        kind: "fixed",
        multiplier: Int32Array.from(fixed, (q) => q.multiplier),
        shift: Int32Array.from(fixed, (q) => q.shift),
        zeroPoint: 5,
        dtype: "int8",
        clampMin: 5,
        clampMax: 100,
      } as const,
      { kind: "fixed", ...quantizeMultiplier(3.5), zeroPoint: 0, dtype: "uint8" } as const,
    ];
    for (const outputStage of stages) {
      const opts = { aZeroPoint: -128, bias, outputStage };
      deepEqual(
        gemmInt8Requantized(m, n, k, a, b, { ...opts, kernel: "wasm" }),
        gemmInt8Requantized(m, n, k, a, b, { ...opts, kernel: "ts" }),
        `${m}×${n}×${k} ${outputStage.kind}`,
      );
    }
  }
});

Deno.test("packInt8: round trip, dispose, guard against use after dispose", () => {
  const b = randomInts(Uint8Array, 13 * 21, 0, 255, 3);
  const p = packInt8(b, 13, 21);
  deepEqual(p.toRowMajor(), b);
  p.dispose();
  equal(p.disposed, true);
  throws(() => gemmInt8(1, 21, 13, new Uint8Array(13), p), /was disposed/);
  throws(
    () => gemmInt8(1, 20, 13, new Uint8Array(13), packInt8(b, 13, 21)),
    /b is packed as 13×21/,
  );
});
