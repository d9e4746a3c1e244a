// Both WebAssembly int8 GEMM paths, forced one at a time, against the TypeScript reference bit
// for bit: the u8×s8 relaxed-dot path (only where the probe found VNNI semantics) and the
// dot_i16x8 path (everywhere). Edge-case grid (code extremes, zero points at the ends of their
// range, M/N/K tails around the 6×8 tile, 4-byte quads and 32-column GEMV blocks), packed and
// unpacked B, transB, bias, requantized outputs, the worker pool, and random shapes.
import { deepEqual, equal } from "node:assert/strict";
import fc from "fast-check";
import { gemmInt8, gemmInt8Requantized } from "./gemm_int8.ts";
import { gemmNarrow } from "./gemm_narrow.ts";
import { packInt8 } from "./pack_int8.ts";
import { startPool } from "./pool.ts";
import { forceInt8Path, type Int8Path } from "./_int8_path.ts";
import { classifyRelaxedDot, probe } from "./_probe.ts";
import { kernelInfo } from "./kernel_info.ts";
import { randomInts } from "./_test_util.ts";

const vnni = probe().relaxedDot === "u8s8";
const PATHS: Int8Path[] = ["relaxed-dot-u8s8", "dot-i16"];

type Codes = Int8Array | Uint8Array;
function codes(signed: boolean, len: number, seed: number): Codes {
  return signed
    ? randomInts(Int8Array, len, -128, 127, seed)
    : randomInts(Uint8Array, len, 0, 255, seed);
}
function transpose(b: Codes, k: number, n: number): Codes {
  const t = new (b.constructor as new (n: number) => Codes)(k * n);
  for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) t[j * k + p] = b[p * n + j];
  return t;
}

/** Runs `body` with the path forced (skipped where the path cannot run). */
function withPath(path: Int8Path, body: () => void | Promise<void>) {
  return async () => {
    forceInt8Path(path);
    try {
      await body();
    } finally {
      forceInt8Path(null);
    }
  };
}

for (const path of PATHS) {
  const ignore = path === "relaxed-dot-u8s8" && !vnni;

  Deno.test({
    name: `int8 path ${path}: edge-case grid equals the reference (signs, zero points, tails)`,
    ignore,
    fn: withPath(path, () => {
      let seed = 100;
      for (const m of [1, 2, 3, 4, 5, 6, 7, 13]) {
        for (const n of [1, 7, 8, 9, 33]) {
          for (const k of [1, 2, 3, 4, 5, 15, 16, 17, 35]) {
            seed++;
            const sa = seed % 2 === 0, sb = seed % 3 !== 0;
            const a = codes(sa, m * k, seed), b = codes(sb, k * n, seed + 5000);
            const [alo, ahi] = sa ? [-128, 127] : [0, 255];
            const [blo, bhi] = sb ? [-128, 127] : [0, 255];
            const za = [alo, ahi, sa ? 0 : 128][seed % 3];
            const zb = new Int32Array(n).map((_, j) => [blo, bhi, sb ? 3 : 131][(j + seed) % 3]);
            const bias = seed % 4 === 0
              ? new Int32Array(n).map((_, j) => (j * 7919 - 40000) * (j % 2 ? 1 : -1))
              : undefined;
            const opts = { aZeroPoint: za, bZeroPoint: zb, bias };
            const want = gemmInt8(m, n, k, a, b, { ...opts, kernel: "ts" });
            const label = `${m}×${n}×${k} sa=${sa} sb=${sb} za=${za}`;
            deepEqual(gemmInt8(m, n, k, a, b, { ...opts, kernel: "wasm" }), want, label);
            deepEqual(
              gemmInt8(m, n, k, a, transpose(b, k, n), { ...opts, transB: true, kernel: "wasm" }),
              want,
              `${label} transB`,
            );
            using pb = packInt8(b, k, n);
            equal(pb.layout, path === "relaxed-dot-u8s8" ? "quads" : "pairs");
            deepEqual(pb.toRowMajor(), b);
            deepEqual(gemmInt8(m, n, k, a, pb, opts), want, `${label} packed`);
          }
        }
      }
    }),
  });

  Deno.test({
    name: `int8 path ${path}: constant extreme matrices and the largest exact k`,
    ignore,
    fn: withPath(path, () => {
      for (const [av, sa] of [[-128, true], [127, true], [0, false], [255, false]] as const) {
        for (const [bv, sb] of [[-128, true], [127, true], [0, false], [255, false]] as const) {
          const m = 7, n = 9, k = 61;
          const a = sa ? new Int8Array(m * k).fill(av) : new Uint8Array(m * k).fill(av);
          const b = sb ? new Int8Array(k * n).fill(bv) : new Uint8Array(k * n).fill(bv);
          for (const za of sa ? [-128, 127] : [0, 255]) {
            const zb = sb ? 127 : 0;
            const c = gemmInt8(m, n, k, a, b, { aZeroPoint: za, bZeroPoint: zb, kernel: "wasm" });
            // closed form: every entry is k·(a − z_A)(b − z_B)
            deepEqual(
              c,
              new Int32Array(m * n).fill(k * (av - za) * (bv - zb)),
              `${av} ${bv} ${za}`,
            );
          }
        }
      }
      // 33,025·255·255 < 2^31: the largest k exact in int32, and one past wraps like int32
      for (const k of [33025, 33027]) {
        const a = new Uint8Array(2 * k).fill(255), b = new Int8Array(k).fill(-128);
        const c = gemmInt8(2, 1, k, a, b, { bZeroPoint: 127, kernel: "wasm" });
        deepEqual([...c], [(k * 255 * -255) | 0, (k * 255 * -255) | 0]);
      }
    }),
  });

  Deno.test({
    name: `int8 path ${path}: requantized output and gemmNarrow equal the reference`,
    ignore,
    fn: withPath(path, () => {
      const m = 9, n = 19, k = 37;
      const a = codes(false, m * k, 1), b = codes(true, k * n, 2);
      const stage = {
        kind: "float" as const,
        multiplier: new Float32Array(n).map((_, j) => 0.0007 * (j + 1)),
        zeroPoint: 3,
        dtype: "int8" as const,
      };
      const opts = { aZeroPoint: 128, bZeroPoint: -2, outputStage: stage };
      deepEqual(
        gemmInt8Requantized(m, n, k, a, b, { ...opts, kernel: "wasm" }),
        gemmInt8Requantized(m, n, k, a, b, { ...opts, kernel: "ts" }),
      );
      const a4 = randomInts(Uint8Array, m * k, 0, 15, 3),
        b4 = randomInts(Int8Array, k * n, -8, 7, 4);
      const want = gemmInt8(m, n, k, a4, b4, { aZeroPoint: 5, kernel: "ts" });
      deepEqual(gemmNarrow(m, n, k, a4, b4, { aZeroPoint: 5 }), want);
      using pb = packInt8(b4, k, n);
      deepEqual(gemmNarrow(m, n, k, a4, pb, { aZeroPoint: 5 }), want);
    }),
  });

  Deno.test({
    name: `int8 path ${path}: the worker pool (rows and GEMV columns) equals the reference`,
    ignore,
    fn: withPath(path, async () => {
      await using _pool = await startPool({ threads: 2 });
      for (const [m, n, k] of [[131, 129, 133], [1, 2053, 1030], [3, 1000, 1100]]) {
        const a = codes(true, m * k, m), b = codes(false, k * n, n);
        const opts = { aZeroPoint: -3, bZeroPoint: 200 };
        deepEqual(
          gemmInt8(m, n, k, a, b, { ...opts, kernel: "wasm" }),
          gemmInt8(m, n, k, a, b, { ...opts, kernel: "ts" }),
          `${m}×${n}×${k}`,
        );
      }
    }),
  });

  Deno.test({
    name: `int8 path ${path}: random shapes, signs and zero points (fast-check)`,
    ignore,
    fn: withPath(path, () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 40 }),
          fc.integer({ min: 1, max: 70 }),
          fc.integer({ min: 1, max: 300 }),
          fc.integer({ min: 0, max: 2 ** 30 }),
          fc.boolean(),
          fc.boolean(),
          (m, n, k, seed, sa, sb) => {
            const a = codes(sa, m * k, seed), b = codes(sb, k * n, seed + 1);
            const za = sa ? (seed % 256) - 128 : seed % 256;
            const zb = sb ? ((seed >> 8) % 256) - 128 : (seed >> 8) % 256;
            const opts = { aZeroPoint: za, bZeroPoint: zb };
            deepEqual(
              gemmInt8(m, n, k, a, b, { ...opts, kernel: "wasm" }),
              gemmInt8(m, n, k, a, b, { ...opts, kernel: "ts" }),
            );
          },
        ),
        { numRuns: 60, seed: 13 },
      );
    }),
  });
}

Deno.test("probe classifier: simulated lowerings are told apart", () => {
  // independent simulations of the three documented lowerings, lane by lane
  const lanes = (f: (i: number) => number) => [0, 1, 2, 3].map(f);
  const vnniSim = (a: Int8Array, b: Uint8Array, c: number) =>
    lanes((i) => {
      let s = c;
      for (let t = 0; t < 4; t++) s = (s + a[4 * i + t] * b[4 * i + t]) | 0;
      return s;
    });
  const pmaddubsw = (a: Int8Array, b: Uint8Array, c: number) =>
    lanes((i) => {
      const pair = (t: number) => {
        const x = a[4 * i + t] * b[4 * i + t] + a[4 * i + t + 1] * b[4 * i + t + 1];
        return x > 32767 ? 32767 : x < -32768 ? -32768 : x;
      };
      return (c + pair(0) + pair(2)) | 0;
    });
  const sdot = (a: Int8Array, b: Uint8Array, c: number) =>
    lanes((i) => {
      const bs = new Int8Array(b.buffer, b.byteOffset, 16);
      let s = c;
      for (let t = 0; t < 4; t++) s = (s + a[4 * i + t] * bs[4 * i + t]) | 0;
      return s;
    });
  const saturatingAccumulate = (a: Int8Array, b: Uint8Array, c: number) =>
    lanes((i) => {
      let s = 0;
      for (let t = 0; t < 4; t++) s += a[4 * i + t] * b[4 * i + t];
      return Math.min(2 ** 31 - 1, Math.max(-(2 ** 31), c + s));
    });
  equal(classifyRelaxedDot(vnniSim), "u8s8");
  equal(classifyRelaxedDot(pmaddubsw), "u8s8-pair-saturating");
  equal(classifyRelaxedDot(sdot), "s8s8");
  equal(classifyRelaxedDot(saturatingAccumulate), "other");
  equal(classifyRelaxedDot(() => [0, 0, 0, 0]), "other");
});

Deno.test("kernelInfo reports the probe and the path it implies", () => {
  const info = kernelInfo();
  equal(info.relaxedDot, probe().relaxedDot);
  equal(info.int8Gemm, !info.wasm ? "ts" : vnni ? "relaxed-dot-u8s8" : "dot-i16");
  forceInt8Path("dot-i16");
  try {
    equal(kernelInfo().int8Gemm, info.wasm ? "dot-i16" : "ts");
  } finally {
    forceInt8Path(null);
  }
});
