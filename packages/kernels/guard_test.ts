// Out-of-bounds checks: operands and outputs are views into larger buffers whose guard
// regions hold sentinels (NaN / extreme codes). Results must not depend on the guards, and
// writes must stay inside the view.
import { deepEqual, equal } from "node:assert/strict";
import { gemmF32 } from "./gemm_f32.ts";
import { gemmInt8, gemmInt8Requantized } from "./gemm_int8.ts";
import { gemmNarrow } from "./gemm_narrow.ts";
import { randomF32, randomInts } from "./_test_util.ts";

const G = 64; // guard elements on each side

function guarded<T extends Float32Array | Int32Array | Int8Array | Uint8Array>(
  make: new (n: number) => T,
  data: ArrayLike<number>,
  sentinel: number,
): T {
  const whole = new make(data.length + 2 * G).fill(sentinel);
  whole.set(data, G);
  return whole.subarray(G, G + data.length) as T;
}

function guardsIntact(
  view: ArrayLike<number> & { buffer: ArrayBufferLike; byteOffset: number; length: number },
  sentinel: number,
) {
  const whole = new (view.constructor as new (b: ArrayBufferLike) => ArrayLike<number>)(
    view.buffer,
  );
  for (let i = 0; i < G; i++) {
    if (!Object.is(whole[i], sentinel) || !Object.is(whole[G + view.length + i], sentinel)) {
      throw new Error(`guard overwritten at ${i}`);
    }
  }
}

for (const [m, n, k] of [[1, 1, 1], [7, 17, 65], [13, 9, 257], [1, 70, 33]]) {
  Deno.test(`guards: f32 ${m}×${n}×${k} reads and writes only its views`, () => {
    for (const kernel of ["ts", "wasm"] as const) {
      const a = randomF32(m * k, 1), b = randomF32(k * n, 2);
      const want = gemmF32(m, n, k, a, b, { kernel });
      const out = guarded(Float32Array, new Float32Array(m * n), -12345);
      const got = gemmF32(m, n, k, guarded(Float32Array, a, NaN), guarded(Float32Array, b, NaN), {
        kernel,
        out,
        bias: guarded(Float32Array, new Float32Array(n), NaN),
      });
      deepEqual(got, want);
      guardsIntact(out, -12345);
    }
  });

  Deno.test(`guards: int8 ${m}×${n}×${k} (accumulators, codes, narrow)`, () => {
    for (const kernel of ["ts", "wasm"] as const) {
      const a = randomInts(Uint8Array, m * k, 0, 15, 3), b = randomInts(Int8Array, k * n, -8, 7, 4);
      const want = gemmInt8(m, n, k, a, b, { kernel });
      const ga = guarded(Uint8Array, a, 255), gb = guarded(Int8Array, b, -128);
      const out = guarded(Int32Array, new Int32Array(m * n), 777);
      deepEqual(gemmInt8(m, n, k, ga, gb, { kernel, out }), want);
      guardsIntact(out, 777);
      const out2 = guarded(Int32Array, new Int32Array(m * n), 777);
      deepEqual(gemmNarrow(m, n, k, ga, gb, { kernel, out: out2 }), want);
      guardsIntact(out2, 777);
      const codes = guarded(Int8Array, new Int8Array(m * n), 99);
      const stage = { kind: "float", multiplier: 0.01, zeroPoint: 0, dtype: "int8" } as const;
      gemmInt8Requantized(m, n, k, ga, gb, { kernel, outputStage: stage, out: codes });
      guardsIntact(codes, 99);
      equal(codes.length, m * n);
    }
  });
}
