import { deepEqual, equal, throws } from "node:assert/strict";
import { gemmF32 } from "./gemm_f32.ts";
import { randomF32 } from "./_test_util.ts";

function transpose(x: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(x.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = x[i * cols + j];
  return t;
}

Deno.test("gemmF32: worked example and identity", () => {
  const a = new Float32Array([1, 2, 3, 4, 5, 6]); // 2×3
  const b = new Float32Array([7, 8, 9, 10, 11, 12]); // 3×2
  deepEqual([...gemmF32(2, 2, 3, a, b, { kernel: "ts" })], [58, 64, 139, 154]);
  const eye = new Float32Array([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  deepEqual(gemmF32(2, 3, 3, a, eye), a);
});

Deno.test("gemmF32: transposed storage gives the same product", () => {
  for (const [m, n, k] of [[3, 5, 7], [1, 17, 4], [16, 1, 9]]) {
    const a = randomF32(m * k, 1), b = randomF32(k * n, 2);
    const c = gemmF32(m, n, k, a, b, { kernel: "ts" });
    deepEqual(gemmF32(m, n, k, transpose(a, m, k), b, { transA: true, kernel: "ts" }), c);
    deepEqual(gemmF32(m, n, k, a, transpose(b, k, n), { transB: true, kernel: "ts" }), c);
  }
});

Deno.test("gemmF32: the reference rounds once (binary64 sum of exact products)", () => {
  // 1 + 2^-24 + 2^-24: float32 summation would lose both small terms; one rounding keeps them.
  const a = new Float32Array([1, 2 ** -24, 2 ** -24]);
  const b = new Float32Array([1, 1, 1]);
  equal(gemmF32(1, 1, 3, a, b, { kernel: "ts" })[0], Math.fround(1 + 2 ** -23));
});

Deno.test("gemmF32: bias, ReLU, ReLU6 and accumulate", () => {
  const a = new Float32Array([1, 2]);
  const b = new Float32Array([3, -4, 5, 1]); // 2×2 → [13, -2]
  const bias = new Float32Array([-20, 1]);
  deepEqual([...gemmF32(1, 2, 2, a, b, { bias })], [-7, -1]);
  deepEqual([...gemmF32(1, 2, 2, a, b, { bias, activation: "relu" })], [0, 0]);
  deepEqual([...gemmF32(1, 2, 2, a, b, { activation: "relu6" })], [6, 0]);
  const out = new Float32Array([100, 200]);
  deepEqual([...gemmF32(1, 2, 2, a, b, { out, accumulate: true })], [113, 198]);
});

Deno.test("gemmF32: bad input is rejected with named arguments", () => {
  const a = new Float32Array(6), b = new Float32Array(6);
  throws(() => gemmF32(2.5, 2, 3, a, b), /m must be an integer/);
  throws(() => gemmF32(2, 3, 3, a, b), /b is too small: k×n = 9 needs 9 elements, got 6/);
  throws(() => gemmF32(2, 2, 3, a, new Int8Array(6) as never), /b must be a Float32Array/);
  throws(
    () => gemmF32(2, 2, 3, a, b, { bias: new Float32Array(3) }),
    /bias must have length n = 2/,
  );
  throws(
    () => gemmF32(2, 2, 3, a, b, { activation: "tanh" as never }),
    /activation must be one of/,
  );
  throws(() => gemmF32(2, 2, 3, a, b, { out: new Float32Array(3) }), /options.out is too small/);
  throws(() => gemmF32(2, 2, 3, a, b, { accumulate: true }), /accumulate needs options.out/);
  throws(() => gemmF32(2, 2, 3, a, b, { kernel: "gpu" as never }), /options.kernel must be/);
});
