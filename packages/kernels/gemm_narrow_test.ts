import { deepEqual, equal, throws } from "node:assert/strict";
import { gemmNarrow, narrowBlockPairs } from "./gemm_narrow.ts";
import { gemmInt8 } from "./gemm_int8.ts";
import { packInt8 } from "./pack_int8.ts";
import { randomInts } from "./_test_util.ts";
import { forceInt8Path, type Int8Path } from "./_int8_path.ts";
import { probe } from "./_probe.ts";

// gemmNarrow runs its own i16-accumulating kernel on the "dot-i16" path and delegates to the
// u8×s8 relaxed-dot GEMM where the probe found VNNI semantics: both are tested.
const PATHS: Int8Path[] = probe().relaxedDot === "u8s8"
  ? ["dot-i16", "relaxed-dot-u8s8"]
  : ["dot-i16"];
function onEachPath(body: () => void): () => void {
  return () => {
    for (const path of PATHS) {
      forceInt8Path(path);
      try {
        body();
      } finally {
        forceInt8Path(null);
      }
    }
  };
}

const GRID = [1, 3, 7, 16, 17, 63, 64, 65, 255, 256, 257];

function codes(signed: boolean, bits: number, len: number, seed: number): Int8Array | Uint8Array {
  return signed
    ? randomInts(Int8Array, len, -(2 ** (bits - 1)), 2 ** (bits - 1) - 1, seed)
    : randomInts(Uint8Array, len, 0, 2 ** bits - 1, seed);
}

Deno.test("narrowBlockPairs is the largest block whose i16 sums cannot overflow", () => {
  for (const [a, b] of [[15, 8], [7, 4], [1, 1], [15, 1], [127, 128]]) {
    const t = narrowBlockPairs(a, b);
    if (t < 256) {
      equal(2 * t * a * b <= 32767, true);
      equal(2 * (t + 1) * a * b > 32767, true);
    }
  }
});

Deno.test(
  "gemmNarrow equals the int8 reference bit for bit (grid, bit widths 1–4, both signs)",
  onEachPath(() => {
    let seed = 0;
    for (const m of GRID) {
      for (const n of GRID) {
        for (const k of [1, 3, 64, 273, 600]) {
          if (m * n * k > 1_200_000) continue;
          seed++;
          const aBits = 1 + (seed % 4), bBits = 1 + ((seed >> 2) % 4);
          const aSigned = seed % 3 === 0, bSigned = seed % 5 !== 0;
          const a = codes(aSigned, aBits, m * k, seed * 2);
          const b = codes(bSigned, bBits, k * n, seed * 2 + 1);
          const [alo, ahi] = aSigned
            ? [-(2 ** (aBits - 1)), 2 ** (aBits - 1) - 1]
            : [0, 2 ** aBits - 1];
          const opts = {
            aZeroPoint: seed % 2 ? alo : ahi,
            bZeroPoint: bSigned ? -3 : 200,
            bias: new Int32Array(n).fill(seed),
          };
          deepEqual(
            gemmNarrow(m, n, k, a, b, { ...opts, aBits, bBits }),
            gemmInt8(m, n, k, a, b, { ...opts, kernel: "ts" }),
            `${m}×${n}×${k} a${aSigned ? "s" : "u"}${aBits} b${bSigned ? "s" : "u"}${bBits}`,
          );
        }
      }
    }
  }),
);

Deno.test(
  "gemmNarrow stays exact at the bound: extreme codes over a long k",
  onEachPath(() => {
    const k = 20000, n = 16;
    const a = new Uint8Array(3 * k).fill(15);
    for (const bv of [-8, 7]) {
      const b = new Int8Array(k * n).fill(bv);
      const c = gemmNarrow(3, n, k, a, b);
      for (const v of c) equal(v, 15 * bv * k);
    }
  }),
);

Deno.test(
  "gemmNarrow: packed signed weights, transB, TS path",
  onEachPath(() => {
    const m = 20, n = 33, k = 301;
    const a = codes(false, 4, m * k, 1), bt = codes(true, 4, n * k, 2);
    const want = gemmInt8(m, n, k, a, bt, { transB: true, aZeroPoint: 3, kernel: "ts" });
    deepEqual(gemmNarrow(m, n, k, a, bt, { transB: true, aZeroPoint: 3 }), want);
    deepEqual(gemmNarrow(m, n, k, a, bt, { transB: true, aZeroPoint: 3, kernel: "ts" }), want);
    using p = packInt8(bt, k, n, { transB: true });
    deepEqual(gemmNarrow(m, n, k, a, p, { aZeroPoint: 3 }), want);
  }),
);

Deno.test("gemmNarrow: codes outside the bit range and bad bit widths are rejected", () => {
  const a = new Uint8Array([16, 0]), b = new Int8Array([1, 1]);
  throws(() => gemmNarrow(1, 1, 2, a, b), /a\[0\] = 16 is outside the 4-bit range \[0, 15\]/);
  throws(
    () => gemmNarrow(1, 1, 2, new Uint8Array(2), new Int8Array([-9, 0])),
    /b\[0\] = -9 is outside the 4-bit range \[-8, 7\]/,
  );
  throws(
    () => gemmNarrow(1, 1, 2, new Uint8Array([4, 0]), b, { aBits: 2 }),
    /outside the 2-bit range/,
  );
  throws(
    () => gemmNarrow(1, 1, 2, new Uint8Array(2), b, { aBits: 5 }),
    /options.aBits must be an integer in \[1, 4\]/,
  );
  using u = packInt8(new Uint8Array([1, 2]), 2, 1);
  throws(() => gemmNarrow(1, 1, 2, new Uint8Array(2), u), /packed from an Int8Array/);
  using big = packInt8(new Int8Array([100, 2]), 2, 1);
  throws(
    () => gemmNarrow(1, 1, 2, new Uint8Array(2), big),
    /codes in \[2, 100\], outside the 4-bit range/,
  );
});
