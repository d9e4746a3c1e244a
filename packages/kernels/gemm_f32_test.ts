import { deepEqual, equal, throws } from "node:assert/strict";
import { gemmF32 } from "./gemm_f32.ts";
import { randomF32 } from "./_test_util.ts";
import { packF32, unpackF32 } from "./pack.ts";

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

// |C_wasm − C_ref| ≤ γ_(k+2)·Σ|a||b| + u·|C_ref| (module docs), per element.
function assertWithinBound(
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  b: Float32Array,
  got: Float32Array,
  want: Float32Array,
  label: string,
) {
  const u = 2 ** -24;
  const gamma = ((k + 2) * u) / (1 - (k + 2) * u);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let mag = 0;
      for (let p = 0; p < k; p++) mag += Math.abs(a[i * k + p] * b[p * n + j]);
      const d = Math.abs(got[i * n + j] - want[i * n + j]);
      if (!(d <= gamma * mag + u * Math.abs(want[i * n + j]))) {
        throw new Error(`${label}: C[${i}][${j}] = ${got[i * n + j]} vs ${want[i * n + j]}`);
      }
    }
  }
}

const GRID = [1, 3, 7, 16, 17, 63, 64, 65, 255, 256, 257];

Deno.test("gemmF32: Wasm kernel within the float32 error bound of the reference on the shape grid", () => {
  let seed = 100;
  for (const m of GRID) {
    for (const n of GRID) {
      for (const k of [1, 7, 17, 64, 257]) {
        if (m * n * k > 2_000_000) continue;
        const a = randomF32(m * k, ++seed), b = randomF32(k * n, ++seed);
        const want = gemmF32(m, n, k, a, b, { kernel: "ts" });
        const got = gemmF32(m, n, k, a, b, { kernel: "wasm" });
        assertWithinBound(m, n, k, a, b, got, want, `${m}×${n}×${k}`);
      }
    }
  }
});

Deno.test("gemmF32: Wasm kernel with K beyond one block, transposes, bias, activations, accumulate, packed B", () => {
  const m = 13, n = 21, k = 600;
  const a = randomF32(m * k, 1), b = randomF32(k * n, 2), bias = randomF32(n, 3);
  for (const activation of ["none", "relu", "relu6"] as const) {
    const opts = { bias, activation };
    const want = gemmF32(m, n, k, a, b, { ...opts, kernel: "ts" });
    assertWithinBound(
      m,
      n,
      k,
      a,
      b,
      gemmF32(m, n, k, a, b, { ...opts, kernel: "wasm" }),
      want,
      activation,
    );
  }
  const want = gemmF32(m, n, k, a, b, { kernel: "ts" });
  const at = transpose(a, m, k), bt = transpose(b, k, n);
  assertWithinBound(
    m,
    n,
    k,
    a,
    b,
    gemmF32(m, n, k, at, bt, { transA: true, transB: true, kernel: "wasm" }),
    want,
    "trans",
  );
  assertWithinBound(
    m,
    n,
    k,
    a,
    b,
    gemmF32(m, n, k, a, packF32(bt, k, n, { transB: true })),
    want,
    "packed",
  );
  const base = randomF32(m * n, 4);
  const accWant = gemmF32(m, n, k, a, b, { kernel: "ts", out: base.slice(), accumulate: true });
  const accGot = gemmF32(m, n, k, a, b, { kernel: "wasm", out: base.slice(), accumulate: true });
  for (let i = 0; i < m * n; i++) {
    if (Math.abs(accGot[i] - accWant[i]) > 1e-4) throw new Error(`accumulate ${i}`);
  }
});

Deno.test("gemmF32: Wasm and TS agree exactly on small-integer data (every sum exact in float32)", () => {
  const m = 37, n = 29, k = 300;
  const a = new Float32Array(m * k).map((_, i) => ((i * 7919) % 17) - 8);
  const b = new Float32Array(k * n).map((_, i) => ((i * 104729) % 13) - 6);
  deepEqual(gemmF32(m, n, k, a, b, { kernel: "wasm" }), gemmF32(m, n, k, a, b, { kernel: "ts" }));
});

Deno.test("gemmF32: NaN and infinity propagate; ReLU keeps NaN and maps -0 to +0", () => {
  const a = new Float32Array([NaN, 1, Infinity, 1, -0, 0]);
  const b = new Float32Array([1, 1]);
  for (const kernel of ["ts", "wasm"] as const) {
    const c = gemmF32(3, 1, 2, a, b, { kernel, activation: "relu" });
    equal(c[0], NaN);
    equal(c[1], Infinity);
    equal(Object.is(c[2], 0), true);
  }
});

Deno.test("packF32: Wasm packing equals the documented layout", () => {
  const k = 5, n = 19;
  const b = randomF32(k * n, 9);
  const p = packF32(b, k, n);
  for (let r = 0; r < k; r++) {
    for (let j = 0; j < 24; j++) {
      equal(p.data[((j >> 3) * k + r) * 8 + (j & 7)], j < n ? b[r * n + j] : 0);
    }
  }
  deepEqual(unpackF32(p), b);
  const a = randomF32(2 * k, 10);
  deepEqual(gemmF32(2, n, k, a, p, { kernel: "ts" }), gemmF32(2, n, k, a, b, { kernel: "ts" }));
  throws(() => gemmF32(2, n + 1, k, new Float32Array(2 * k), p), /b is packed as 5×19/);
});
