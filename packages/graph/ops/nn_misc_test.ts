// MatMul/Gemm against a naive triple loop (seeded random shapes, batch broadcasting, 1-D
// operands); pools against a direct window loop; closed forms and hand-computed examples for
// activations, Softmax/LogSoftmax (both opset conventions), Clip (both opset conventions),
// BatchNormalization and Resize. Tolerance 1e-5 absolute + 1e-5 relative unless stated.

import { Philox } from "@lowbit/rounding/philox";
import { deepEqual, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import type { GraphTensor, Node } from "../ir.ts";
import { GraphError } from "../errors.ts";
import { NN_OPS } from "./nn.ts";

const f32 = (shape: number[], data: ArrayLike<number>): GraphTensor => ({
  dtype: "float32",
  shape,
  data: Float32Array.from(data),
});
const node = (op: string, attrs: Node["attrs"] = {}, n = 1): Node => ({
  name: `t_${op}`,
  op,
  inputs: Array.from({ length: n }, (_, i) => `in${i}`),
  outputs: ["y"],
  attrs,
});
const run = (op: string, ins: (GraphTensor | undefined)[], attrs: Node["attrs"] = {}, opset = 13) =>
  NN_OPS[op].run(node(op, attrs, ins.length), ins, { opset })[0];
function close(a: ArrayLike<number>, e: ArrayLike<number>, tol = 1e-5) {
  ok(a.length === e.length, `length ${a.length} vs ${e.length}`);
  for (let i = 0; i < e.length; i++) {
    ok(Math.abs(a[i] - e[i]) <= tol + tol * Math.abs(e[i]), `[${i}]: ${a[i]} vs ${e[i]}`);
  }
}

Deno.test("MatMul matches a naive loop with broadcast batch dims and 1-D operands", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 0, max: 3 }),
      fc.integer(),
      (m, k, n, bt, form, seed) => {
        const rng = new Philox(seed >>> 0);
        const aShape = form === 1 ? [k] : form === 2 ? [bt, 1, m, k] : [m, k];
        const bShape = form === 3 ? [k] : form === 2 ? [3, k, n] : [bt, k, n];
        const r = (s: number[]) =>
          Array.from({ length: s.reduce((x, y) => x * y, 1) }, () => rng.uniform() - 0.5);
        const a = r(aShape), b = r(bShape);
        const y = run("MatMul", [f32(aShape, a), f32(bShape, b)]);
        const mm = aShape.length === 1 ? 1 : m, nn = bShape.length === 1 ? 1 : n;
        const batchA = aShape.length > 2 ? aShape.slice(0, -2) : [];
        const batchB = bShape.length > 2 ? bShape.slice(0, -2) : [];
        const batch = form === 2 ? [bt, 3] : [...(batchA.length ? batchA : batchB)];
        const expShape = [
          ...batch,
          ...(aShape.length > 1 ? [m] : []),
          ...(bShape.length > 1 ? [n] : []),
        ];
        deepEqual(y.shape, expShape);
        const e: number[] = [];
        const nb = batch.reduce((x, y) => x * y, 1);
        for (let i = 0; i < nb; i++) {
          // form 2: a batch [bt,1] broadcast with b batch [3]: index (i / 3, i % 3).
          const ia = form === 2 ? Math.floor(i / 3) : batchA.length ? i : 0;
          const ib = form === 2 ? i % 3 : batchB.length ? i : 0;
          for (let p = 0; p < mm; p++) {
            for (let q = 0; q < nn; q++) {
              let s = 0;
              for (let t = 0; t < k; t++) {
                s += a[ia * mm * k + p * k + t] *
                  b[ib * k * nn + t * nn + q];
              }
              e.push(s);
            }
          }
        }
        close(y.data as Float32Array, e);
      },
    ),
    { numRuns: 60 },
  );
});

Deno.test("Gemm: alpha·op(A)·op(B) + beta·C with C broadcast (hand-computed)", () => {
  const a = f32([3, 2], [1, 4, 2, 5, 3, 6]); // Aᵀ = [1 2 3; 4 5 6]
  const b = f32([2, 3], [1, 0, 1, 0, 1, 1]); // Bᵀ = [1 0; 0 1; 1 1]
  const y = run("Gemm", [a, b, f32([2], [10, 20])], { transA: 1, transB: 1, alpha: 2, beta: 0.5 });
  // Aᵀ·Bᵀ = [4 5; 10 11]; ·2 = [8 10; 20 22]; + 0.5·[10 20] per row.
  deepEqual(y.shape, [2, 2]);
  deepEqual([...y.data], [13, 20, 25, 32]);
  throws(
    () => run("Gemm", [a, f32([3, 3], new Float32Array(9))]),
    /node t_Gemm, value in1: inner dimensions differ/,
  );
});

function naivePool(
  x: number[],
  h: number,
  w: number,
  k: number[],
  s: number[],
  pads: number[],
  max: boolean,
  includePad: boolean,
  oh: number,
  ow: number,
): number[] {
  const out: number[] = [];
  for (let i = 0; i < oh; i++) {
    for (let j = 0; j < ow; j++) {
      const vals: number[] = [];
      let padded = 0;
      for (let p = 0; p < k[0]; p++) {
        for (let q = 0; q < k[1]; q++) {
          const yy = i * s[0] - pads[0] + p, xx = j * s[1] - pads[1] + q;
          if (yy < h + pads[2] && xx < w + pads[3]) padded++;
          if (yy >= 0 && yy < h && xx >= 0 && xx < w) vals.push(x[yy * w + xx]);
        }
      }
      out.push(
        max
          ? Math.max(...vals)
          : vals.reduce((a, b) => a + b, 0) / (includePad ? padded : vals.length),
      );
    }
  }
  return out;
}

Deno.test("MaxPool and AveragePool match a direct window loop (seeded, pads, strides, count_include_pad)", () => {
  const rng = new Philox(5);
  for (let t = 0; t < 40; t++) {
    const h = 3 + Math.floor(rng.uniform() * 5), w = 3 + Math.floor(rng.uniform() * 5);
    const k = [1 + Math.floor(rng.uniform() * 3), 1 + Math.floor(rng.uniform() * 3)];
    const s = [1 + Math.floor(rng.uniform() * 2), 1 + Math.floor(rng.uniform() * 2)];
    const pads = [0, 1, 2, 3].map((i) => Math.floor(rng.uniform() * Math.min(2, k[i % 2])));
    const x = Array.from({ length: h * w }, () => rng.uniform() - 0.5);
    const oh = Math.floor((h + pads[0] + pads[2] - k[0]) / s[0]) + 1;
    const ow = Math.floor((w + pads[1] + pads[3] - k[1]) / s[1]) + 1;
    for (
      const [op, inc] of [["MaxPool", false], ["AveragePool", false], [
        "AveragePool",
        true,
      ]] as const
    ) {
      const y = run(op, [f32([1, 1, h, w], x)], {
        kernel_shape: k,
        strides: s,
        pads,
        count_include_pad: inc ? 1 : 0,
      });
      deepEqual(y.shape, [1, 1, oh, ow]);
      close(y.data as Float32Array, naivePool(x, h, w, k, s, pads, op === "MaxPool", inc, oh, ow));
    }
  }
});

Deno.test("Global pools and activations: closed forms", () => {
  const x = f32([1, 2, 2, 1], [1, 2, 3, 5]);
  deepEqual([...run("GlobalAveragePool", [x]).data], [1.5, 4]);
  deepEqual(run("GlobalMaxPool", [x]).shape, [1, 2, 1, 1]);
  deepEqual([...run("HardSwish", [f32([3], [3, -3, 0])]).data], [3, 0, 0]);
  deepEqual([...run("HardSigmoid", [f32([3], [0, 10, -10])]).data], [0.5, 1, 0]);
  deepEqual([...run("Sigmoid", [f32([1], [0])]).data], [0.5]);
  deepEqual([...run("LeakyRelu", [f32([2], [-2, 2])], { alpha: 0.5 }).data], [-1, 2]);
  deepEqual([...run("PRelu", [f32([1, 2, 1], [-2, -2]), f32([2, 1], [0.5, 0.25])]).data], [
    -1,
    -0.5,
  ]);
  close(
    run("Erf", [f32([2], [0.5, -2])]).data as Float32Array,
    [0.5204998778, -0.9953222650],
    2e-7,
  );
  // Gelu(1) = 0.5·(1 + erf(1/√2)) = 0.8413447; tanh form 0.8411920.
  close(run("Gelu", [f32([1], [1])], {}, 20).data as Float32Array, [0.8413447461], 1e-6);
  close(run("Gelu", [f32([1], [1])], { approximate: "tanh" }, 20).data as Float32Array, [
    0.8411919906,
  ], 1e-6);
});

Deno.test("Clip: attributes before opset 11, optional inputs from 11", () => {
  const x = f32([3], [-5, 0.5, 5]);
  deepEqual([...run("Clip", [x], { min: -1, max: 1 }, 6).data], [-1, 0.5, 1]);
  deepEqual([...run("Clip", [x, f32([], [0]), undefined], {}, 13).data], [0, 0.5, 5]);
  deepEqual([...run("Clip", [x, undefined, f32([], [2])], {}, 13).data], [-5, 0.5, 2]);
});

Deno.test("Softmax / LogSoftmax: opset < 13 coerces to 2-D at axis, opset ≥ 13 one axis", () => {
  const x = f32([1, 2, 2], [0, 1, 2, 3]);
  const y11 = run("Softmax", [x], {}, 11).data as Float32Array; // one row of 4
  const y13 = run("Softmax", [x], {}, 13).data as Float32Array; // rows of 2
  close([y11[0] + y11[1] + y11[2] + y11[3]], [1]);
  close([y13[0] + y13[1], y13[2] + y13[3]], [1, 1]);
  close([y13[1]], [Math.E / (1 + Math.E)]);
  const l = run("LogSoftmax", [x], { axis: 1 }, 13).data as Float32Array; // along axis 1
  close([Math.exp(l[0]) + Math.exp(l[2])], [1]);
  close([l[0]], [-Math.log(1 + Math.exp(2))]);
});

Deno.test("BatchNormalization: (x − mean)/√(var + eps)·scale + bias per channel", () => {
  const x = f32([1, 2, 1, 2], [1, 2, 3, 4]);
  const y = run(
    "BatchNormalization",
    [
      x,
      f32([2], [2, 1]),
      f32([2], [0, 10]),
      f32([2], [1, 3]),
      f32([2], [4, 1]),
    ],
    { epsilon: 0 },
    15,
  );
  deepEqual([...y.data], [0, 1, 10, 11]);
  throws(
    () =>
      run("BatchNormalization", [
        x,
        f32([3], [1, 1, 1]),
        f32([2], [0, 0]),
        f32([2], [0, 0]),
        f32([2], [1, 1]),
      ]),
    /node t_BatchNormalization, value in1: needs 2 channels/,
  );
});

Deno.test("Resize: hand-computed nearest and bilinear cases; Upsample", () => {
  const x = f32([1, 1, 2, 2], [1, 2, 3, 4]);
  const s = f32([4], [1, 1, 2, 2]);
  // half_pixel linear 2×: row [1, 1.25, 1.75, 2] on the first row.
  const lin = run("Resize", [x, undefined, s], { mode: "linear" }).data as Float32Array;
  close([...lin.slice(0, 4)], [1, 1.25, 1.75, 2]);
  // align_corners linear to 3×3: centre is the mean 2.5.
  const sizes: GraphTensor = {
    dtype: "int64",
    shape: [4],
    data: new BigInt64Array([1n, 1n, 3n, 3n]),
  };
  const ac = run("Resize", [x, undefined, undefined, sizes], {
    mode: "linear",
    coordinate_transformation_mode: "align_corners",
  });
  deepEqual([...ac.data], [1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4]);
  deepEqual([...run("Upsample", [x, s], {}, 9).data], [
    1,
    1,
    2,
    2,
    1,
    1,
    2,
    2,
    3,
    3,
    4,
    4,
    3,
    3,
    4,
    4,
  ]);
  throws(
    () => run("Resize", [x, undefined, s], { mode: "cubic" }),
    (e: unknown) => e instanceof GraphError && /mode cubic is not supported/.test(e.message),
  );
});

Deno.test("Relu: max(x, 0) per element, NaN propagated, −0 and negatives to +0, float32 extremes kept", () => {
  const xs = [-Infinity, -3.5, -1e-45, -0, 0, 1e-45, 2.25, 3.4028234663852886e38, Infinity, NaN];
  const y = run("Relu", [f32([2, 5], xs)]);
  deepEqual(y.shape, [2, 5]);
  xs.forEach((v, i) => {
    const want = Number.isNaN(v) ? NaN : v > 0 ? Math.fround(v) : 0;
    ok(Object.is(y.data[i], want), `Relu(${v}) = ${y.data[i]}, want ${want}`);
  });
  throws(() => run("Relu", [{ dtype: "int32", shape: [1], data: Int32Array.of(1) }]), GraphError);
});
