import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { Philox } from "@lowbit/rounding/philox";
import { add, concat, mul } from "./elementwise.ts";
import { QuantizedTensor } from "./quantized_tensor.ts";

/** All 256×256 code pairs as two uint8 tensors. */
function allPairs(): [number[], number[]] {
  const a: number[] = [], b: number[] = [];
  for (let i = 0; i < 256; i++) {
    for (let j = 0; j < 256; j++) {
      a.push(i);
      b.push(j);
    }
  }
  return [a, b];
}

Deno.test("add: every code pair lands within 1 LSB of the exact rescaled sum (fixed and float)", () => {
  const [ac, bc] = allPairs();
  const params = [
    { sa: 0.02, za: 128, sb: 0.07, zb: 100, sy: 0.09, zy: 90 },
    { sa: 0.5, za: 0, sb: 0.0031, zb: 255, sy: 0.6, zy: 3 },
  ];
  for (const p of params) {
    const a = QuantizedTensor.fromCodes(ac, [ac.length], "uint8", p.sa, { zeroPoint: p.za });
    const b = QuantizedTensor.fromCodes(bc, [bc.length], "uint8", p.sb, { zeroPoint: p.zb });
    for (const mode of ["fixed", "float"] as const) {
      const y = add(a, b, { scale: p.sy, zeroPoint: p.zy, dtype: "uint8" }, { mode });
      let worst = 0, exactHits = 0;
      for (let i = 0; i < ac.length; i++) {
        const exact = (a.scale[0] * (ac[i] - p.za) + b.scale[0] * (bc[i] - p.zb)) / p.sy + p.zy;
        const clamped = Math.min(255, Math.max(0, exact));
        const err = Math.abs(y.q[i] - clamped);
        worst = Math.max(worst, err);
        if (Math.abs(y.q[i] - Math.round(clamped)) === 0) exactHits++;
      }
      ok(worst <= 1, `${mode}: worst ${worst}`);
      ok(exactHits / ac.length > 0.99, `${mode}: nearest code in ${exactHits} of ${ac.length}`);
    }
  }
});

Deno.test("add: ReLU clamp, shapes and errors", () => {
  const a = QuantizedTensor.fromCodes([-10, 10], [2], "int8", 1);
  const b = QuantizedTensor.fromCodes([0, 0], [2], "int8", 1);
  deepEqual([...add(a, b, { scale: 1, zeroPoint: -5, dtype: "int8" }, { activation: "relu" }).q], [
    -5,
    5,
  ]);
  throws(
    () =>
      add(a, QuantizedTensor.fromCodes([0, 0, 0], [3], "int8", 1), {
        scale: 1,
        zeroPoint: 0,
        dtype: "int8",
      }),
    /do not broadcast/,
  );
  throws(() => add(a, b, { scale: 0, zeroPoint: 0, dtype: "int8" }), /out.scale/);
  throws(() => add(a, b, { scale: 1, zeroPoint: 300, dtype: "int8" }), /zeroPoint/);
});

Deno.test("concat: layout along each axis, copies equal grids, requantizes others within 1 LSB", () => {
  const a = QuantizedTensor.fromCodes([1, 2, 3, 4, 5, 6], [2, 3], "int8", 0.5, { zeroPoint: 1 });
  const b = QuantizedTensor.fromCodes([7, 8], [2, 1], "int8", 0.5, { zeroPoint: 1 });
  const y = concat([a, b], 1, { scale: 0.5, zeroPoint: 1, dtype: "int8" });
  deepEqual(y.shape, [2, 4]);
  deepEqual([...y.q], [1, 2, 3, 7, 4, 5, 6, 8]);
  const c = QuantizedTensor.fromCodes([9, 10, 11], [1, 3], "int8", 0.5, { zeroPoint: 1 });
  deepEqual([...concat([a, c], 0, { scale: 0.5, zeroPoint: 1, dtype: "int8" }).q], [
    1,
    2,
    3,
    4,
    5,
    6,
    9,
    10,
    11,
  ]);
  // Every code of a differently scaled input.
  const codes = Array.from({ length: 256 }, (_, i) => i - 128);
  const d = QuantizedTensor.fromCodes(codes, [256], "int8", 0.013, { zeroPoint: 7 });
  for (const mode of ["fixed", "float"] as const) {
    const z = concat([d], 0, { scale: 0.031, zeroPoint: -4, dtype: "int8" }, { mode });
    for (let i = 0; i < 256; i++) {
      const exact = Math.min(
        127,
        Math.max(-128, (d.scale[0] * (codes[i] - 7)) / Math.fround(0.031) - 4),
      );
      // float: one rounding (≤ ½); fixed: SRDHM then RoundingDivideByPOT round twice (< 1).
      const bound = mode === "float" ? 0.5 + 1e-6 : 1;
      ok(Math.abs(z.q[i] - exact) <= bound, `${mode} code ${codes[i]}: ${z.q[i]} vs ${exact}`);
    }
  }
  throws(
    () => concat([a, c], 1, { scale: 1, zeroPoint: 0, dtype: "int8" }),
    /does not concatenate/,
  );
  throws(() => concat([], 0, { scale: 1, zeroPoint: 0, dtype: "int8" }), /non-empty/);
  equal(concat([a], -1, { scale: 0.5, zeroPoint: 1, dtype: "int8" }).shape.length, 2);
});

function tiled(t: QuantizedTensor, shape: number[]): QuantizedTensor {
  // Explicit NumPy tiling by nested index arithmetic (independent of the broadcast helper).
  const rank = shape.length, src = t.shape, off = rank - src.length;
  const n = shape.reduce((x, y) => x * y, 1), codes = new Int32Array(n), q = t.codes();
  for (let i = 0; i < n; i++) {
    let rem = i, idx = 0, stride = 1;
    const pos: number[] = [];
    for (let d = rank - 1; d >= 0; d--) {
      pos[d] = rem % shape[d];
      rem = Math.floor(rem / shape[d]);
    }
    for (let d = src.length - 1; d >= 0; d--) {
      idx += (src[d] === 1 ? 0 : pos[d + off]) * stride;
      stride *= src[d];
    }
    codes[i] = q[idx];
  }
  return QuantizedTensor.fromCodes(codes, shape, t.dtype, t.scale[0], {
    zeroPoint: t.zeroPoint[0],
  });
}

Deno.test("add and mul broadcast exactly as on explicitly tiled operands, both modes", () => {
  const rng = new Philox(7);
  const codes = (n: number) =>
    Array.from({ length: n }, () => Math.floor(rng.uniform() * 256) - 128);
  const x = QuantizedTensor.fromCodes(codes(24), [2, 3, 2, 2], "int8", 0.05, { zeroPoint: 3 });
  const g = QuantizedTensor.fromCodes(codes(3), [1, 3, 1, 1], "int8", 0.01, { zeroPoint: -2 });
  const out = { scale: 0.04, zeroPoint: -1, dtype: "int8" as const };
  for (const mode of ["float", "fixed"] as const) {
    for (const op of [add, mul]) {
      const y = op(x, g, out, { mode });
      deepEqual(y.shape, [2, 3, 2, 2]);
      deepEqual([...y.q], [...op(x, tiled(g, [2, 3, 2, 2]), out, { mode }).q]);
      deepEqual([...op(g, x, out, { mode }).q], [...y.q]); // commutative
    }
  }
});

Deno.test("mul: within one code of the exactly rounded real product; modes agree within 1", () => {
  const rng = new Philox(11);
  const n = 4096;
  const qa = Array.from({ length: n }, () => Math.floor(rng.uniform() * 256));
  const qb = Array.from({ length: n }, () => Math.floor(rng.uniform() * 256) - 128);
  const a = QuantizedTensor.fromCodes(qa, [n], "uint8", 0.02, { zeroPoint: 100 });
  const b = QuantizedTensor.fromCodes(qb, [n], "int8", 0.03, { zeroPoint: 5 });
  const out = { scale: 0.05, zeroPoint: 10, dtype: "int8" as const };
  const yf = mul(a, b, out), yx = mul(a, b, out, { mode: "fixed" });
  let exactF = 0;
  for (let i = 0; i < n; i++) {
    const real = 0.02 * (qa[i] - 100) * 0.03 * (qb[i] - 5);
    const ref = Math.min(127, Math.max(-128, Math.round(real / 0.05) + 10));
    ok(Math.abs(yf.q[i] - ref) <= 1, `float ${i}`);
    ok(Math.abs(yx.q[i] - ref) <= 1, `fixed ${i}`);
    if (yf.q[i] === ref) exactF++;
  }
  ok(exactF / n > 0.99, `float mode exact on ${exactF}/${n}`);
  throws(() => mul(a, QuantizedTensor.fromCodes([0, 0], [2], "int8", 1), out), /do not broadcast/);
});
