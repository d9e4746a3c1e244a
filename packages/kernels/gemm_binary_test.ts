import { deepEqual, equal, throws } from "node:assert/strict";
import { packSigns } from "@lowbit/numerics/packing";
import { Philox } from "@lowbit/rounding";
import { gemmBinary, packBinary } from "./gemm_binary.ts";
import { KS, MN, naiveRowDots as naive } from "./_test_util.ts";

/** Seeded ±1 matrix as Int8Array. */
function signs(len: number, seed: number): Int8Array {
  const r = new Philox(seed, 2);
  return Int8Array.from({ length: len }, () => (r.nextUint32() & 1 ? -1 : 1));
}

Deno.test("gemmBinary equals the integer dot products of ±1 matrices on the shape grid (TS and Wasm)", () => {
  let seed = 0;
  for (const k of KS) {
    for (
      const [m, n] of [[1, 1], [3, 7], [7, 3], [16, 17], [17, 16], [63, 65], [65, 64], [1, 64]]
    ) {
      const a = signs(m * k, ++seed), b = signs(n * k, ++seed);
      const want = naive(m, n, k, a, b);
      const pa = packBinary(a, m, k), pb = packBinary(b, n, k);
      deepEqual(gemmBinary(m, n, k, pa, pb, { kernel: "ts" }), want, `ts ${m}×${n}×${k}`);
      deepEqual(gemmBinary(m, n, k, pa, pb, { kernel: "wasm" }), want, `wasm ${m}×${n}×${k}`);
    }
  }
});

Deno.test("gemmBinary: every m, n on the grid at k = 257 and the large shapes 255/256/257", () => {
  for (const m of MN) {
    for (const n of MN) {
      const k = 257;
      const a = signs(m * k, m * 100 + n), b = signs(n * k, m * 100 + n + 7);
      const pa = packBinary(a, m, k), pb = packBinary(b, n, k);
      const ts = gemmBinary(m, n, k, pa, pb, { kernel: "ts" });
      deepEqual(gemmBinary(m, n, k, pa, pb, { kernel: "wasm" }), ts, `${m}×${n}`);
      if (m * n <= 64 * 17) deepEqual(ts, naive(m, n, k, a, b));
    }
  }
  for (const s of [255, 256, 257]) {
    const a = signs(s * s, s), b = signs(s * s, s + 1);
    const pa = packBinary(a, s, s), pb = packBinary(b, s, s);
    deepEqual(gemmBinary(s, s, s, pa, pb, { kernel: "wasm" }), naive(s, s, s, a, b), `${s}³`);
  }
});

Deno.test("gemmBinary: extremes (all equal → k, all opposite → −k) and garbage padding bits", () => {
  for (const k of [1, 31, 33, 64, 65, 257]) {
    const W = Math.ceil(k / 32);
    const plus = new Uint32Array(2 * W), minus = new Uint32Array(2 * W).fill(0xffffffff);
    // minus has every padding bit set too: they must not count
    for (const kernel of ["ts", "wasm"] as const) {
      deepEqual([...gemmBinary(2, 2, k, plus, plus, { kernel })], [k, k, k, k]);
      deepEqual([...gemmBinary(2, 2, k, minus, minus, { kernel })], [k, k, k, k]);
      deepEqual([...gemmBinary(2, 2, k, plus, minus, { kernel })], [-k, -k, -k, -k]);
    }
  }
});

Deno.test("packBinary uses the sign-word convention of @lowbit/numerics packSigns, row by row", () => {
  const r = new Philox(3, 1);
  for (const k of [1, 31, 32, 33, 70]) {
    const rows = 3;
    const v = Float32Array.from({ length: rows * k }, () => r.uniform() - 0.5);
    v[0] = -0;
    v[1 % v.length] = 0;
    const packed = packBinary(v, rows, k);
    const W = Math.ceil(k / 32);
    for (let i = 0; i < rows; i++) {
      deepEqual(
        packed.words.subarray(i * W, (i + 1) * W),
        packSigns(v.subarray(i * k, (i + 1) * k)),
      );
    }
    const i8 = Int8Array.from(v, (x) => (x < 0 || Object.is(x, -0) ? -3 : 5));
    deepEqual(packBinary(i8, rows, k).words, packed.words);
  }
});

Deno.test("gemmBinary writes only its m×n output (guard region)", () => {
  const m = 5, n = 7, k = 45, G = 16;
  const a = packBinary(signs(m * k, 1), m, k), b = packBinary(signs(n * k, 2), n, k);
  for (const kernel of ["ts", "wasm"] as const) {
    const all = new Int32Array(m * n + 2 * G).fill(-999);
    const out = all.subarray(G, G + m * n);
    gemmBinary(m, n, k, a, b, { kernel, out });
    deepEqual(out, gemmBinary(m, n, k, a, b, { kernel: "ts" }));
    for (let i = 0; i < G; i++) equal(all[i] === -999 && all[G + m * n + i] === -999, true);
  }
});

Deno.test("gemmBinary / packBinary: bad input errors name the argument", () => {
  const a = packBinary(signs(4 * 40, 1), 4, 40), b = packBinary(signs(3 * 40, 2), 3, 40);
  throws(() => gemmBinary(4, 3, 41, a, b), /a is packed with k = 40, the call has k = 41/);
  throws(
    () => gemmBinary(4, 3, 40, a, packBinary(signs(3 * 39, 2), 3, 39)),
    /^RangeError: b is packed with k = 39/,
  );
  throws(() => gemmBinary(5, 3, 40, a, b), /a is packed with 4 rows, the call needs m = 5/);
  throws(() => gemmBinary(4, 3, 40, a.words.subarray(1), b), /a is too small/);
  throws(() => gemmBinary(4, 3, 40, new Int32Array(8) as unknown as Uint32Array, b), TypeError);
  throws(() => gemmBinary(4, 3, 40, a, b, { out: new Int32Array(11) }), /options.out is too small/);
  throws(() => gemmBinary(4, 3, 40, a, b, { kernel: "gpu" as "ts" }), /options.kernel/);
  throws(() => gemmBinary(4, 3.5, 40, a, b), /n must be an integer/);
  throws(() => gemmBinary(0, 3, 40, a, b), /m must be an integer/);
  throws(() => packBinary(new Float32Array([1, NaN]), 1, 2), /values\[1\] is NaN/);
  throws(() => packBinary(new Float32Array(3), 2, 2), /values is too small/);
  throws(() => packBinary([1, 2] as unknown as Int8Array, 1, 2), TypeError);
});
