import { deepEqual, equal, throws } from "node:assert/strict";
import { Philox } from "@lowbit/rounding";
import { gemmTernary, type PackedTernary, packTernary } from "./gemm_ternary.ts";
import { KS, MN, naiveRowDots as naive } from "./_test_util.ts";

/** Seeded {−1, 0, +1} matrix with about a third zeros. */
function trits(len: number, seed: number): Int8Array {
  const r = new Philox(seed, 4);
  return Int8Array.from({ length: len }, () => (r.nextUint32() % 3) - 1);
}

Deno.test("gemmTernary equals integer dot products of {−1, 0, 1} matrices on the shape grid", () => {
  let seed = 0;
  for (const k of KS) {
    for (
      const [m, n] of [[1, 1], [3, 7], [7, 3], [16, 17], [17, 16], [63, 65], [65, 64], [1, 64]]
    ) {
      const a = trits(m * k, ++seed), b = trits(n * k, ++seed);
      const want = naive(m, n, k, a, b);
      const pa = packTernary(a, m, k), pb = packTernary(b, n, k);
      deepEqual(gemmTernary(m, n, k, pa, pb, { kernel: "ts" }), want, `ts ${m}×${n}×${k}`);
      deepEqual(gemmTernary(m, n, k, pa, pb, { kernel: "wasm" }), want, `wasm ${m}×${n}×${k}`);
    }
  }
  for (const m of MN) {
    for (const n of MN) {
      const k = 65, a = trits(m * k, m * 97 + n), b = trits(n * k, m * 97 + n + 1);
      deepEqual(
        gemmTernary(m, n, k, packTernary(a, m, k), packTernary(b, n, k), { kernel: "wasm" }),
        naive(m, n, k, a, b),
        `${m}×${n}×65`,
      );
    }
  }
  for (const s of [255, 256, 257]) {
    const a = trits(s * s, s), b = trits(s * s, s + 1);
    deepEqual(
      gemmTernary(s, s, s, packTernary(a, s, s), packTernary(b, s, s), { kernel: "wasm" }),
      naive(s, s, s, a, b),
      `${s}³`,
    );
  }
});

Deno.test("gemmTernary: extremes and garbage in the padding bits of both planes", () => {
  for (const k of [1, 31, 33, 64, 65, 257]) {
    const W = Math.ceil(k / 32);
    const full = new Uint32Array(2 * W).fill(0xffffffff), none = new Uint32Array(2 * W);
    const P = (nonzero: Uint32Array, sign: Uint32Array): PackedTernary => ({
      rows: 2,
      k,
      nonzero,
      sign,
    });
    for (const kernel of ["ts", "wasm"] as const) {
      // all −1 (padding bits of both planes set) · all −1 = k; · all +1 = −k; · all 0 = 0
      deepEqual([...gemmTernary(2, 2, k, P(full, full), P(full, full), { kernel })], [k, k, k, k]);
      deepEqual([...gemmTernary(2, 2, k, P(full, full), P(full, none), { kernel })], [
        -k,
        -k,
        -k,
        -k,
      ]);
      deepEqual([...gemmTernary(2, 2, k, P(full, full), P(none, full), { kernel })], [0, 0, 0, 0]);
    }
  }
});

Deno.test("packTernary: threshold rule and planes", () => {
  const v = new Float32Array([0.25, -0.25, 0.5, -0.5, 0, -0, 5, -5]);
  const t = packTernary(v, 2, 4, { threshold: 0.25 }); // |v| ≤ Δ → 0
  // entries: 0, 0, +1, −1 | 0, 0, +1, −1
  deepEqual([...t.nonzero], [0b1100, 0b1100]);
  deepEqual([...t.sign], [0b1000, 0b1000]);
  const z = packTernary(new Int8Array([-1, 0, 1]), 1, 3);
  deepEqual([...z.nonzero, ...z.sign], [0b101, 0b001]);
});

Deno.test("gemmTernary writes only its m×n output (guard region)", () => {
  const m = 3, n = 9, k = 70, G = 16;
  const a = packTernary(trits(m * k, 1), m, k), b = packTernary(trits(n * k, 2), n, k);
  for (const kernel of ["ts", "wasm"] as const) {
    const all = new Int32Array(m * n + 2 * G).fill(-999);
    const out = all.subarray(G, G + m * n);
    gemmTernary(m, n, k, a, b, { kernel, out });
    deepEqual(out, gemmTernary(m, n, k, a, b, { kernel: "ts" }));
    for (let i = 0; i < G; i++) equal(all[i] === -999 && all[G + m * n + i] === -999, true);
  }
});

Deno.test("gemmTernary / packTernary: bad input errors name the argument", () => {
  const a = packTernary(trits(2 * 40, 1), 2, 40), b = packTernary(trits(3 * 40, 2), 3, 40);
  throws(() => gemmTernary(2, 3, 39, a, b), /a is packed with k = 40, the call has k = 39/);
  throws(() => gemmTernary(2, 4, 40, a, b), /b is packed with 3 rows, the call needs n = 4/);
  throws(() => gemmTernary(2, 3, 40, { ...a, sign: a.sign.subarray(1) }, b), /a.sign is too small/);
  throws(
    () => gemmTernary(2, 3, 40, a, { ...b, nonzero: new Int32Array(6) as unknown as Uint32Array }),
    /b.nonzero must be a Uint32Array/,
  );
  throws(() => gemmTernary(2, 3, 40, new Uint32Array(4) as unknown as PackedTernary, b), TypeError);
  throws(() => gemmTernary(2, 3, 40, a, b, { out: new Int32Array(5) }), /options.out is too small/);
  throws(() => packTernary(new Float32Array(4), 1, 4, { threshold: -1 }), /options.threshold/);
  throws(() => packTernary(new Float32Array([NaN]), 1, 1), /values\[0\] is NaN/);
});
