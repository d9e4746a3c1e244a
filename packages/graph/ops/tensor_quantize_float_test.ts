// Float8 (opset 19) and float4 E2M1 (opset 23) QuantizeLinear/DequantizeLinear. Truths: the ONNX
// backend tests' worked examples with the bit patterns worked out by hand, and a closed-form
// decoder of every pattern written here from the format definitions (sign, biased exponent,
// mantissa, each type's NaN/∞ rules), independent of @lowbit/numerics.
import { deepEqual, equal, ok, throws } from "node:assert/strict";
import {
  dequantizeLinearFloat,
  type OnnxFloatCodeType,
  QUANTIZE_OPS,
  quantizeLinearFloat,
} from "./tensor_quantize.ts";

interface Spec {
  e: number;
  m: number;
  bias: number;
  kind: "fn" | "fnuz" | "ieee" | "all";
}
const SPECS: Record<OnnxFloatCodeType, Spec> = {
  float8e4m3fn: { e: 4, m: 3, bias: 7, kind: "fn" },
  float8e4m3fnuz: { e: 4, m: 3, bias: 8, kind: "fnuz" },
  float8e5m2: { e: 5, m: 2, bias: 15, kind: "ieee" },
  float8e5m2fnuz: { e: 5, m: 2, bias: 16, kind: "fnuz" },
  float4e2m1: { e: 2, m: 1, bias: 1, kind: "all" },
};
const TYPES = Object.keys(SPECS) as OnnxFloatCodeType[];

/** The value of pattern p, from the definition of the format. */
function closedForm(s: Spec, p: number): number {
  const topE = 2 ** s.e - 1, topM = 2 ** s.m - 1;
  const sign = p >> (s.e + s.m) ? -1 : 1;
  const E = (p >> s.m) & topE, M = p & topM;
  if (s.kind === "fnuz" && p === 2 ** (s.e + s.m)) return NaN;
  if (s.kind === "fn" && E === topE && M === topM) return NaN;
  if (s.kind === "ieee" && E === topE) return M === 0 ? sign * Infinity : NaN;
  const mag = E === 0 ? 2 ** (1 - s.bias) * (M / 2 ** s.m) : 2 ** (E - s.bias) * (1 + M / 2 ** s.m);
  return sign * mag;
}

Deno.test("QuantizeLinear float8: ONNX test_quantizelinear_e4m3fn / _e5m2 (scale 2, saturate)", () => {
  const x = new Float32Array([0, 1, 2, 100000, 200]);
  // e4m3fn (bias 7): 0, 0.5 = 0 0110 000, 1 = 0 0111 000, 50000 saturates to 448 = 0 1111 110,
  // 100 ties between 96 = 1.100b·2^6 and 104 = 1.101b·2^6 → even 96 = 0 1101 100.
  deepEqual(
    [...quantizeLinearFloat(x, 2, undefined, { dtype: "float8e4m3fn" })],
    [0x00, 0x30, 0x38, 0x7e, 0x6c],
  );
  // e5m2 (bias 15): 0.5 = 0 01110 00, 1 = 0 01111 00, 50000 → 49152 = 1.10b·2^15 = 0 11110 10
  // (57344 is 7168 away, 49152 only 848), 100 → 96 = 1.10b·2^6 = 0 10101 10.
  deepEqual(
    [...quantizeLinearFloat(x, 2, Uint8Array.of(0), { dtype: "float8e5m2" })],
    [0x00, 0x38, 0x3c, 0x7a, 0x56],
  );
});

Deno.test("DequantizeLinear float8: ONNX test_dequantizelinear_e4m3fn (patterns of 0, 0.5, 1, 448, -104; scale 2)", () => {
  // −104 = −1.101b·2^6 = 1 1101 101.
  const x = Uint8Array.of(0x00, 0x30, 0x38, 0x7e, 0xed);
  deepEqual([...dequantizeLinearFloat(x, 2, undefined, { dtype: "float8e4m3fn" })], [
    0,
    1,
    2,
    896,
    -208,
  ]);
  deepEqual(
    [...dequantizeLinearFloat(x, Float32Array.of(2), Uint8Array.of(0), { dtype: "float8e4m3fn" })],
    [0, 1, 2, 896, -208],
  );
});

Deno.test("QuantizeLinear float4e2m1 (opset 23): per-axis scales [2, 4, 8] along axis 0, ties to even", () => {
  // E2M1 values 0, 0.5, 1, 1.5, 2, 3, 4, 6 are patterns 0..7; the sign is 0x8.
  const x = new Float32Array([0, 2.5, 4.8, 8.6, -30, -20, 6, 9, 12, 15, 16, 40]);
  const y = quantizeLinearFloat(x, Float32Array.of(2, 4, 8), undefined, {
    dtype: "float4e2m1",
    shape: [3, 4],
    axis: 0,
  });
  // row 0 / 2: 0, 1.25 (tie 1|1.5 → 1), 2.4 → 2, 4.3 → 4
  // row 1 / 4: −7.5 → −6 (saturates), −5 (tie 4|6 → 4), 1.5, 2.25 → 2
  // row 2 / 8: 1.5, 1.875 → 2, 2, 5 (tie 4|6 → 4)
  deepEqual([...y], [0, 2, 4, 6, 0xf, 0xe, 3, 4, 3, 4, 4, 6]);
  deepEqual(
    [...dequantizeLinearFloat(y, Float32Array.of(2, 4, 8), undefined, {
      dtype: "float4e2m1",
      shape: [3, 4],
      axis: 0,
    })],
    [0, 2, 4, 8, -24, -16, 6, 8, 12, 16, 16, 32],
  );
});

Deno.test("QuantizeLinear float codes: −0 plus the zero point is +0; a tiny negative rounds to −0 where −0 exists", () => {
  for (const dtype of TYPES) {
    const s = SPECS[dtype];
    const negZero = s.kind === "fnuz" ? 0 : 2 ** (s.e + s.m); // fnuz has no −0
    deepEqual(
      [...quantizeLinearFloat(Float32Array.of(-0, 0, -1e-30), 1, undefined, { dtype })],
      [0, 0, negZero],
      dtype,
    );
  }
});

Deno.test("QuantizeLinear float8: NaN, ±∞ and overflow with saturate true and false", () => {
  const x = Float32Array.of(NaN, Infinity, -Infinity, 1e6, -1e6);
  const q = (dtype: OnnxFloatCodeType, saturate?: boolean) => [
    ...quantizeLinearFloat(x, 1, undefined, { dtype, saturate }),
  ];
  // e4m3fn: max 0x7e; NaN 0x7f / 0xff; no ∞.
  const fn = q("float8e4m3fn");
  ok((fn[0] & 0x7f) === 0x7f);
  deepEqual(fn.slice(1), [0x7e, 0xfe, 0x7e, 0xfe]);
  deepEqual(q("float8e4m3fn", false).map((b) => b & 0x7f), [0x7f, 0x7f, 0x7f, 0x7f, 0x7f]);
  // fnuz: max 0x7f, the only NaN 0x80.
  for (const t of ["float8e4m3fnuz", "float8e5m2fnuz"] as const) {
    deepEqual(q(t), [0x80, 0x7f, 0xff, 0x7f, 0xff], t);
    deepEqual(q(t, false), [0x80, 0x80, 0x80, 0x80, 0x80], t);
  }
  // e5m2: max 0x7b, ∞ 0x7c; NaN has mantissa ≠ 0.
  const e5 = q("float8e5m2");
  ok((e5[0] & 0x7c) === 0x7c && (e5[0] & 3) !== 0);
  deepEqual(e5.slice(1), [0x7b, 0xfb, 0x7b, 0xfb]);
  deepEqual(q("float8e5m2", false).slice(1), [0x7c, 0xfc, 0x7c, 0xfc]);
  // float4e2m1 has neither NaN nor ∞: NaN → +6 as in ONNX's reference, saturate ignored.
  deepEqual(q("float4e2m1", false), [0x7, 0x7, 0xf, 0x7, 0xf]);
});

Deno.test("DequantizeLinear float codes: every pattern decodes to its closed-form value (exhaustive)", () => {
  for (const dtype of TYPES) {
    const s = SPECS[dtype];
    const n = 2 ** (1 + s.e + s.m);
    const all = Uint8Array.from({ length: n }, (_, i) => i);
    const y = dequantizeLinearFloat(all, 1, undefined, { dtype });
    for (let p = 0; p < n; p++) {
      const want = closedForm(s, p);
      if (Number.isNaN(want)) ok(Number.isNaN(y[p]), `${dtype} ${p}`);
      else equal(y[p], want, `${dtype} pattern ${p}`);
    }
    // With scale 0.5 and zero point pattern 2 (a positive value z): (v − z) · 0.5.
    const z = closedForm(s, 2);
    const y2 = dequantizeLinearFloat(all, 0.5, Uint8Array.of(2), { dtype });
    for (let p = 0; p < n; p++) {
      const want = Math.fround(Math.fround(closedForm(s, p) - z) * 0.5);
      if (Number.isNaN(want)) ok(Number.isNaN(y2[p]));
      else equal(y2[p], want, `${dtype} pattern ${p} with zero point`);
    }
  }
});

Deno.test("QuantizeLinear float codes: representable values round-trip, midpoints tie to the even pattern, others go to the nearest (exhaustive)", () => {
  for (const dtype of TYPES) {
    const s = SPECS[dtype];
    const half = 2 ** (s.e + s.m);
    // The finite non-negative values in increasing order, with their patterns.
    const pos: [number, number][] = [];
    for (let p = 0; p < half; p++) {
      const v = closedForm(s, p);
      if (Number.isFinite(v)) pos.push([v, p]);
    }
    pos.sort((a, b) => a[0] - b[0]);
    const xs: number[] = [], want: number[] = [];
    for (let i = 0; i < pos.length; i++) {
      const [v, p] = pos[i];
      xs.push(v, -v);
      want.push(p, v === 0 ? 0 : p + half);
      if (i + 1 < pos.length) {
        const [w, q] = pos[i + 1];
        const mid = (v + w) / 2; // exact in float32: one more mantissa bit
        xs.push(mid, mid - (w - v) / 8, mid + (w - v) / 8);
        want.push(p % 2 === 0 ? p : q, p, q);
      }
    }
    const y = quantizeLinearFloat(Float32Array.from(xs), 1, undefined, { dtype });
    for (let i = 0; i < xs.length; i++) equal(y[i], want[i], `${dtype} x = ${xs[i]}`);
  }
});

Deno.test("float QuantizeLinear/DequantizeLinear: bad input names the argument", () => {
  const x = Float32Array.of(1, 2);
  throws(() => quantizeLinearFloat(x, 0, undefined, { dtype: "float8e4m3fn" }), /y_scale\[0\]/);
  throws(() => quantizeLinearFloat(x, NaN, undefined, { dtype: "float8e5m2" }), /y_scale\[0\]/);
  throws(
    () => quantizeLinearFloat(x, 1, undefined, { dtype: "float8e3m4" as OnnxFloatCodeType }),
    /options\.dtype/,
  );
  throws(
    () => quantizeLinearFloat(x, 1, Uint8Array.of(0, 0), { dtype: "float8e4m3fn" }),
    /y_zero_point/,
  );
  throws(
    () => quantizeLinearFloat(x, Float32Array.of(1, 1, 1), undefined, { dtype: "float8e4m3fn" }),
    /axis/,
  );
  throws(
    () => quantizeLinearFloat(x, 1, undefined, { dtype: "float8e4m3fn", shape: [3] }),
    /options\.shape/,
  );
  throws(
    () => dequantizeLinearFloat(Uint8Array.of(0, 16), 1, undefined, { dtype: "float4e2m1" }),
    /x\[1\]/,
  );
  throws(
    () => dequantizeLinearFloat(Uint8Array.of(0), 1, Uint8Array.of(16), { dtype: "float4e2m1" }),
    /x_zero_point\[0\]/,
  );
  // Empty tensors are allowed by ONNX and give empty outputs.
  equal(
    quantizeLinearFloat(new Float32Array(0), 1, undefined, { dtype: "float8e4m3fn", shape: [0, 3] })
      .length,
    0,
  );
});

Deno.test("QuantizeLinear/DequantizeLinear graph ops: empty tensors (shape [0, 3]) give empty outputs", () => {
  const node = (op: string) => ({
    name: op,
    op,
    inputs: ["x", "s", "z"],
    outputs: ["y"],
    attrs: {},
  });
  const x = { dtype: "float32" as const, shape: [0, 3], data: new Float32Array(0) };
  const s = { dtype: "float32" as const, shape: [], data: Float32Array.of(0.5) };
  const z = { dtype: "uint8" as const, shape: [], data: Uint8Array.of(3) };
  const [y] = QUANTIZE_OPS.QuantizeLinear.run(node("QuantizeLinear"), [x, s, z], { opset: 13 });
  deepEqual([y.dtype, y.shape, y.data.length], ["uint8", [0, 3], 0]);
  const [d] = QUANTIZE_OPS.DequantizeLinear.run(node("DequantizeLinear"), [y, s, z], { opset: 13 });
  deepEqual([d.dtype, d.shape, d.data.length], ["float32", [0, 3], 0]);
  // Per axis along the non-empty axis 1.
  const s3 = { dtype: "float32" as const, shape: [3], data: Float32Array.of(1, 2, 4) };
  const z3 = { dtype: "int8" as const, shape: [3], data: new Int8Array(3) };
  const [y3] = QUANTIZE_OPS.QuantizeLinear.run(node("QuantizeLinear"), [x, s3, z3], { opset: 13 });
  deepEqual([y3.dtype, y3.shape, y3.data.length], ["int8", [0, 3], 0]);
  const [dy] = QUANTIZE_OPS.DynamicQuantizeLinear.run(
    { ...node("DynamicQuantizeLinear"), outputs: ["y", "s", "z"] },
    [x],
    { opset: 13 },
  );
  deepEqual([dy.shape, dy.data.length], [[0, 3], 0]);
});
