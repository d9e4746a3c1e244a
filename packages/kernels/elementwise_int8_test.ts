// mulInt8Requantized: the WebAssembly kernel against the TypeScript reference bit for bit
// (every operand type, both output types, lengths around the 4-lane step, extreme codes and
// zero points, scales that round, overflow to the clamp), and closed forms for the reference.
// clamp8 against min(max(q, lo), hi) on every code.
import { deepEqual, throws } from "node:assert/strict";
import {
  addInt8Requantized,
  clamp8,
  lookup8,
  mulInt8Requantized,
  rowSums8,
} from "./elementwise_int8.ts";
import { randomInts } from "./_test_util.ts";
import { Philox } from "@lowbit/rounding";

Deno.test("mulInt8Requantized: closed forms (exact products, ties to even, clamps)", () => {
  const a = new Int8Array([-128, -3, 0, 5, 7, 127, 127]);
  const b = new Int8Array([-128, 3, 9, 1, 1, 127, -128]);
  const exact = mulInt8Requantized(a, b, { aScale: 1, bScale: 1, outScale: 1, dtype: "int8" });
  deepEqual([...exact], [127, -9, 0, 5, 7, 127, -128]); // products clamped to [−128, 127]
  const half = mulInt8Requantized(a, b, { aScale: 1, bScale: 1, outScale: 2, dtype: "int8" });
  deepEqual([...half], [127, -4, 0, 2, 4, 127, -128]); // −4.5 → −4, 2.5 → 2, 3.5 → 4
  const u = mulInt8Requantized(new Uint8Array([0, 255, 128]), new Uint8Array([128, 128, 129]), {
    aScale: 1,
    aZeroPoint: 128,
    bScale: 1,
    bZeroPoint: 128,
    outScale: 64,
    outZeroPoint: 100,
    dtype: "uint8",
    clampMax: 200,
  });
  deepEqual([...u], [100, 100, 100]); // (−128)·0, 127·0, 0·1 → 0 → zero point 100
});

Deno.test("mulInt8Requantized: Wasm equals the reference bit for bit", () => {
  const r = new Philox(77, 2);
  const make = [
    (n: number, s: number) => randomInts(Int8Array, n, -128, 127, s),
    (n: number, s: number) => randomInts(Uint8Array, n, 0, 255, s),
    (n: number, s: number) => Int32Array.from(randomInts(Uint8Array, n, 0, 255, s)),
  ];
  let seed = 0;
  for (const n of [0, 1, 3, 4, 5, 17, 64, 1001]) {
    for (const ma of make) {
      for (const mb of make) {
        for (const dtype of ["int8", "uint8"] as const) {
          seed++;
          const a = ma(n, seed), b = mb(n, seed + 1000);
          const opts = {
            aScale: 0.001 + r.uniform() * 0.2,
            aZeroPoint: a instanceof Int8Array ? -128 + (seed % 3) * 127 : (seed % 3) * 127,
            bScale: 2 ** -(1 + (seed % 9)) * (1 + r.uniform()),
            bZeroPoint: b instanceof Int8Array ? 0 : 128,
            outScale: 0.0001 + r.uniform() * 0.05,
            outZeroPoint: dtype === "int8" ? -3 : 130,
            dtype,
            clampMin: dtype === "int8" ? -128 + (seed % 2) * 100 : 130 * (seed % 2),
          };
          deepEqual(
            mulInt8Requantized(a, b, { ...opts, kernel: "wasm" }),
            mulInt8Requantized(a, b, { ...opts, kernel: "ts" }),
            `n=${n} ${a.constructor.name}×${b.constructor.name} → ${dtype}`,
          );
        }
      }
    }
  }
});

Deno.test("mulInt8Requantized: b broadcast in blocks equals b expanded, Wasm and reference", () => {
  let seed = 500;
  for (const [nb, inner] of [[1, 1], [3, 4], [5, 7], [16, 49], [2, 3]]) {
    for (const signedB of [false, true]) {
      seed++;
      const a = randomInts(Int8Array, nb * inner, -128, 127, seed);
      const b = signedB
        ? randomInts(Int8Array, nb, -128, 127, seed + 1)
        : randomInts(Uint8Array, nb, 0, 255, seed + 1);
      const expanded = Int32Array.from({ length: nb * inner }, (_, i) => b[Math.floor(i / inner)]);
      const opts = {
        aScale: 0.031,
        aZeroPoint: 3,
        bScale: 1 / 255,
        bZeroPoint: signedB ? -128 : 0,
        outScale: 0.029,
        dtype: "int8" as const,
      };
      const want = mulInt8Requantized(a, expanded, { ...opts, kernel: "ts" });
      deepEqual(mulInt8Requantized(a, b, { ...opts, bInner: inner, kernel: "wasm" }), want);
      deepEqual(mulInt8Requantized(a, b, { ...opts, bInner: inner, kernel: "ts" }), want);
    }
  }
});

Deno.test("mulInt8Requantized: bad arguments are named", () => {
  const a = new Int8Array(3);
  const o = { aScale: 1, bScale: 1, outScale: 1, dtype: "int8" as const };
  throws(() => mulInt8Requantized(a, new Int8Array(2), o), /same length/);
  throws(
    () => mulInt8Requantized(a, new Int8Array(2), { ...o, bInner: 2 }),
    /b.length · options.bInner = 4/,
  );
  throws(() => mulInt8Requantized(a, a, { ...o, bInner: 0 }), /options.bInner/);
  throws(() => mulInt8Requantized(a, a, { ...o, aScale: 0 }), /options.aScale/);
  throws(() => mulInt8Requantized(a, a, { ...o, outZeroPoint: 200 }), /options.outZeroPoint/);
  throws(() => mulInt8Requantized(a, a, { ...o, out: new Uint8Array(3) }), /options.out/);
  throws(
    () => mulInt8Requantized(new Float32Array(3) as unknown as Int8Array, a, o),
    TypeError,
  );
});

Deno.test("mul/add: products past float32 clamp to the ends; scales that overflow a term are named", () => {
  // 1e30 · 127 is finite, the product 1e60 is +∞ or −∞: the clamp's ends, zero stays zero
  const a = new Int8Array([1, -1, 0, 127, -128, 2, 0, 5]);
  const b = new Int8Array([1, 1, 1, -128, -128, 0, 0, -5]);
  for (const kernel of ["wasm", "ts"] as const) {
    deepEqual(
      [...mulInt8Requantized(a, b, {
        aScale: 1e30,
        bScale: 1e30,
        outScale: 1,
        outZeroPoint: 3,
        dtype: "int8",
        kernel,
      })],
      [127, -128, 3, -128, 127, 3, 3, -128],
      kernel,
    );
  }
  const o = { aScale: 1, bScale: 1, outScale: 1, dtype: "int8" as const };
  throws(() => mulInt8Requantized(a, b, { ...o, aScale: 3e36 }), /options.aScale = .* overflows/);
  throws(
    () => mulInt8Requantized(Int32Array.of(0, 1), Int32Array.of(0, 1), { ...o, bScale: 1e30 }),
    /options.bScale = .* up to 2147483648 overflows/,
  );
  throws(
    () => addInt8Requantized(a, b, { aRatio: 1, bRatio: 3e36, dtype: "int8" }),
    /options.bRatio = .* overflows/,
  );
});

Deno.test("lookup8: every byte through random tables, Wasm equals the reference and the table", () => {
  const r = new Philox(5, 3);
  for (const n of [0, 1, 15, 16, 17, 256, 1000]) {
    const table = new Uint8Array(256).map(() => r.nextUint32() & 0xff);
    const src = new Uint8Array(n).map((_, i) => (i < 256 ? i : r.nextUint32()) & 0xff);
    const want = Uint8Array.from(src, (b) => table[b]);
    deepEqual(lookup8(table, src, undefined, "wasm"), want, `n=${n}`);
    deepEqual(lookup8(table, src, undefined, "ts"), want, `n=${n} ts`);
    const s8 = new Int8Array(src.buffer);
    deepEqual(new Uint8Array(lookup8(table, s8, new Int8Array(n), "wasm").buffer), want);
  }
  throws(() => lookup8(new Uint8Array(255), new Uint8Array(1)), /256 entries/);
  throws(() => lookup8(new Uint8Array(256), new Uint8Array(3), new Uint8Array(2)), /length ≥ 3/);
});

Deno.test("addInt8Requantized: closed forms and Wasm equals the reference bit for bit", () => {
  // equal grids: y = rne(a/2 + b/2) exactly (ties to even), then clamped
  const a = new Int8Array([1, 3, -3, 127, -128, 5]), b = new Int8Array([2, 2, 0, 127, -128, -6]);
  deepEqual(
    [...addInt8Requantized(a, b, { aRatio: 0.5, bRatio: 0.5, dtype: "int8" })],
    [2, 2, -2, 127, -128, 0], // 1.5 → 2, 2.5 → 2, −1.5 → −2, 127, −128, −0.5 → 0
  );
  const r = new Philox(9, 1);
  let seed = 900;
  for (const n of [0, 1, 3, 4, 9, 100, 1001]) {
    for (const dtype of ["int8", "uint8"] as const) {
      seed++;
      const x = randomInts(Uint8Array, n, 0, 255, seed);
      const y = seed % 2
        ? randomInts(Int8Array, n, -128, 127, seed + 1)
        : Int32Array.from(randomInts(Uint8Array, n, 0, 255, seed + 1));
      const opts = {
        aRatio: 0.1 + r.uniform() * 2,
        aZeroPoint: 128,
        bRatio: 0.1 + r.uniform() * 2,
        bZeroPoint: y instanceof Int8Array ? -7 : 255,
        outZeroPoint: dtype === "int8" ? 5 : 120,
        dtype,
        clampMin: dtype === "int8" ? 5 : 120,
      };
      deepEqual(
        addInt8Requantized(x, y, { ...opts, kernel: "wasm" }),
        addInt8Requantized(x, y, { ...opts, kernel: "ts" }),
        `n=${n} ${dtype}`,
      );
    }
  }
  // every pair of byte operand types, through the 4-code loop and the scalar tail
  for (const [ta, tb] of [["u8", "u8"], ["i8", "i8"], ["i8", "u8"], ["u8", "i8"]]) {
    for (const dtype of ["int8", "uint8"] as const) {
      seed++;
      const make = (t: string, s: number) =>
        t === "u8"
          ? randomInts(Uint8Array, 45, 0, 255, s)
          : randomInts(Int8Array, 45, -128, 127, s);
      const x = make(ta, seed), y = make(tb, seed + 1);
      const opts = {
        aRatio: 0.1 + r.uniform() * 2,
        aZeroPoint: ta === "u8" ? 131 : -2,
        bRatio: 0.1 + r.uniform() * 2,
        bZeroPoint: tb === "u8" ? 0 : 127,
        outZeroPoint: dtype === "int8" ? -1 : 128,
        dtype,
      };
      deepEqual(
        addInt8Requantized(x, y, { ...opts, kernel: "wasm" }),
        addInt8Requantized(x, y, { ...opts, kernel: "ts" }),
        `${ta}+${tb} → ${dtype}`,
      );
    }
  }
  throws(
    () => addInt8Requantized(a, a, { aRatio: -1, bRatio: 1, dtype: "int8" }),
    /options.aRatio/,
  );
});

Deno.test("clamp8: every code of both types, Wasm and TypeScript, equals min(max(q, lo), hi)", () => {
  for (const signed of [false, true]) {
    const [tlo, thi] = signed ? [-128, 127] : [0, 255];
    // all 256 codes, then 7 more so the scalar tail runs too
    const codes = Array.from({ length: 263 }, (_, i) => tlo + (i * 97) % 256);
    const src = signed ? Int8Array.from(codes) : Uint8Array.from(codes);
    for (const [lo, hi] of [[tlo, thi], [tlo + 3, tlo + 3], [0, 6], [tlo + 10, thi - 1]]) {
      const want = codes.map((q) => Math.min(Math.max(q, lo), hi));
      for (const kernel of ["wasm", "ts"] as const) {
        deepEqual(
          Array.from(clamp8(src, lo, hi, undefined, kernel)),
          want,
          `${signed} ${lo} ${hi} ${kernel}`,
        );
      }
    }
  }
  throws(() => clamp8(new Uint8Array(4), -1, 5), /lo must be an integer in \[0, 255\]/);
  throws(() => clamp8(new Int8Array(4), 5, 4), /hi must be an integer in \[5, 127\]/);
  throws(() => clamp8(new Int8Array(4), 0, 4, new Int8Array(3)), /out must have length ≥ 4/);
  throws(
    () => clamp8(new Int8Array(4), 0, 4, new Uint8Array(4) as unknown as Int8Array),
    /out must be a Int8Array/,
  );
});

Deno.test("rowSums8: Wasm and TypeScript equal the definition Σ_j src[r·len + j] (random shapes incl. rows shorter than a vector, extreme codes, a src longer than rows·len); typed errors", async () => {
  const fc = (await import("fast-check")).default;
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 9 }),
      fc.integer({ min: 0, max: 70 }),
      fc.boolean(),
      fc.integer({ min: 0, max: 3 }),
      fc.integer({ min: 1, max: 1e9 }),
      (rows, len, signed, extra, seed) => {
        const n = rows * len + extra;
        const [lo, hi] = signed ? [-128, 127] : [0, 255];
        const src: Int8Array | Uint8Array = seed % 5 === 0
          ? (signed ? new Int8Array(n).fill(seed % 2 ? -128 : 127) : new Uint8Array(n).fill(255))
          : signed
          ? randomInts(Int8Array, n, lo, hi, seed)
          : randomInts(Uint8Array, n, lo, hi, seed);
        const want = Array.from({ length: rows }, (_, r) => {
          let s = 0;
          for (let j = 0; j < len; j++) s += src[r * len + j];
          return s;
        });
        deepEqual([...rowSums8(src, rows, len, undefined, "wasm")], want);
        deepEqual([...rowSums8(src, rows, len, undefined, "ts")], want);
      },
    ),
    { numRuns: 300, seed: 5 },
  );
  // a long row: 2^20 codes of 255
  deepEqual([...rowSums8(new Uint8Array(2 ** 20).fill(255), 1, 2 ** 20)], [255 * 2 ** 20]);
  throws(() => rowSums8(new Int8Array(5), 2, 3), /src must hold rows·length = 6/);
  throws(() => rowSums8(new Int8Array(4), 2, 2, new Int32Array(1)), /out must have length ≥ 2/);
  throws(() => rowSums8(new Int8Array(4), 1.5, 2), RangeError);
  throws(() => rowSums8(new Float32Array(4) as unknown as Int8Array, 2, 2), TypeError);
});
