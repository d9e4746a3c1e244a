// Conv and ConvTranspose against naive references written from the ONNX formulas (direct
// 7-loop convolution; output-centric gather for the transpose) on seeded random shapes with
// groups, dilations, strides, asymmetric pads and auto_pad. Tolerance: 1e-4 absolute +
// 1e-5 relative (float32 accumulation order differs from the float64 reference).

import { Philox } from "@lowbit/rounding/philox";
import { ok, throws } from "node:assert/strict";
import type { GraphTensor, Node } from "../ir.ts";
import { GraphError } from "../errors.ts";
import { CONV_OPS } from "./nn_conv.ts";

const f32 = (shape: number[], data: Float32Array): GraphTensor => ({
  dtype: "float32",
  shape,
  data,
});
function rand(rng: Philox, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.uniform() * 2 - 1);
}
const int = (rng: Philox, lo: number, hi: number) => lo + Math.floor(rng.uniform() * (hi - lo + 1));
function close(a: ArrayLike<number>, e: ArrayLike<number>, what: string) {
  ok(a.length === e.length, `${what}: length ${a.length} vs ${e.length}`);
  for (let i = 0; i < e.length; i++) {
    ok(Math.abs(a[i] - e[i]) <= 1e-4 + 1e-5 * Math.abs(e[i]), `${what}[${i}]: ${a[i]} vs ${e[i]}`);
  }
}

/** Direct convolution, ONNX Conv with explicit pads [t, l, b, r]. */
function naiveConv(
  x: Float32Array,
  [n, c, h, w]: number[],
  wt: Float32Array,
  [m, cg, kh, kw]: number[],
  bias: Float32Array | undefined,
  g: number,
  [sh, sw]: number[],
  [dh, dw]: number[],
  [pt, pl, pb, pr]: number[],
): { shape: number[]; data: Float64Array } {
  const oh = Math.floor((h + pt + pb - dh * (kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((w + pl + pr - dw * (kw - 1) - 1) / sw) + 1;
  const y = new Float64Array(n * m * oh * ow);
  const mg = m / g;
  for (let b = 0; b < n; b++) {
    for (let o = 0; o < m; o++) {
      const gi = Math.floor(o / mg);
      for (let i = 0; i < oh; i++) {
        for (let j = 0; j < ow; j++) {
          let s = bias ? bias[o] : 0;
          for (let ci = 0; ci < cg; ci++) {
            for (let p = 0; p < kh; p++) {
              for (let q = 0; q < kw; q++) {
                const yy = i * sh - pt + p * dh, xx = j * sw - pl + q * dw;
                if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
                s += x[((b * c + gi * cg + ci) * h + yy) * w + xx] *
                  wt[((o * cg + ci) * kh + p) * kw + q];
              }
            }
          }
          y[((b * m + o) * oh + i) * ow + j] = s;
        }
      }
    }
  }
  return { shape: [n, m, oh, ow], data: y };
}

Deno.test("Conv matches the direct 7-loop convolution on 60 seeded random geometries", () => {
  const rng = new Philox(20261202);
  for (let t = 0; t < 60; t++) {
    const g = [1, 1, 2, 3][int(rng, 0, 3)];
    const depthwise = rng.uniform() < 0.25;
    const c = depthwise ? int(rng, 1, 4) : g * int(rng, 1, 3);
    const gg = depthwise ? c : g;
    const m = gg * int(rng, 1, 3);
    const kh = int(rng, 1, 3), kw = int(rng, 1, 3);
    const st = [int(rng, 1, 3), int(rng, 1, 3)], dl = [int(rng, 1, 2), int(rng, 1, 2)];
    const h = int(rng, (kh - 1) * dl[0] + 1, 9), w = int(rng, (kw - 1) * dl[1] + 1, 9);
    const pads = [int(rng, 0, 2), int(rng, 0, 2), int(rng, 0, 2), int(rng, 0, 2)];
    const n = int(rng, 1, 2);
    const x = rand(rng, n * c * h * w), wt = rand(rng, m * (c / gg) * kh * kw);
    const bias = rng.uniform() < 0.5 ? rand(rng, m) : undefined;
    const node: Node = {
      name: "conv",
      op: "Conv",
      inputs: ["x", "w", bias ? "b" : ""],
      outputs: ["y"],
      attrs: { group: gg, strides: st, dilations: dl, pads },
    };
    const [y] = CONV_OPS.Conv.run(
      node,
      [f32([n, c, h, w], x), f32([m, c / gg, kh, kw], wt), bias && f32([m], bias)],
      { opset: 13 },
    );
    const e = naiveConv(x, [n, c, h, w], wt, [m, c / gg, kh, kw], bias, gg, st, dl, pads);
    ok(y.shape.join() === e.shape.join(), `case ${t}: shape ${y.shape} vs ${e.shape}`);
    close(y.data as Float32Array, e.data, `case ${t}`);
  }
});

Deno.test("Conv auto_pad SAME_UPPER / SAME_LOWER give ceil(in / stride) with the odd pad at end / begin", () => {
  const rng = new Philox(7);
  const x = rand(rng, 1 * 2 * 5 * 6), wt = rand(rng, 3 * 2 * 2 * 2);
  for (
    const [mode, pads] of [["SAME_UPPER", [0, 0, 1, 0]], ["SAME_LOWER", [1, 0, 0, 0]]] as const
  ) {
    const node: Node = {
      name: "c",
      op: "Conv",
      inputs: ["x", "w"],
      outputs: ["y"],
      attrs: { auto_pad: mode, strides: [1, 2] },
    };
    const [y] = CONV_OPS.Conv.run(node, [f32([1, 2, 5, 6], x), f32([3, 2, 2, 2], wt)], {
      opset: 13,
    });
    const e = naiveConv(x, [1, 2, 5, 6], wt, [3, 2, 2, 2], undefined, 1, [1, 2], [1, 1], [...pads]);
    ok(y.shape.join() === "1,3,5,3" && e.shape.join() === "1,3,5,3", `${mode}: ${y.shape}`);
    close(y.data as Float32Array, e.data, mode);
  }
});

Deno.test("Conv 1-D equals the 2-D convolution with height 1", () => {
  const rng = new Philox(8);
  const x = rand(rng, 2 * 7), wt = rand(rng, 4 * 2 * 3);
  const node: Node = {
    name: "c1",
    op: "Conv",
    inputs: ["x", "w"],
    outputs: ["y"],
    attrs: { pads: [2, 1], strides: [2], dilations: [2] },
  };
  const [y] = CONV_OPS.Conv.run(node, [f32([1, 2, 7], x), f32([4, 2, 3], wt)], { opset: 13 });
  const e = naiveConv(x, [1, 2, 1, 7], wt, [4, 2, 1, 3], undefined, 1, [1, 2], [1, 2], [
    0,
    2,
    0,
    1,
  ]);
  ok(y.shape.join() === [1, 4, e.shape[3]].join());
  close(y.data as Float32Array, e.data, "conv1d");
});

/** ConvTranspose by gathering: y[o, oy] = Σ x[c, iy]·w[c, o, p] over iy·s − pad + p·d = oy. */
function naiveConvTranspose(
  x: Float32Array,
  [n, c, h, w]: number[],
  wt: Float32Array,
  [, mg, kh, kw]: number[],
  g: number,
  [sh, sw]: number[],
  [dh, dw]: number[],
  [pt, pl]: number[],
  [oh, ow]: number[],
): Float64Array {
  const m = mg * g, cg = c / g;
  const y = new Float64Array(n * m * oh * ow);
  for (let b = 0; b < n; b++) {
    for (let o = 0; o < m; o++) {
      const gi = Math.floor(o / mg);
      for (let i = 0; i < oh; i++) {
        for (let j = 0; j < ow; j++) {
          let s = 0;
          for (let ci = gi * cg; ci < (gi + 1) * cg; ci++) {
            for (let p = 0; p < kh; p++) {
              for (let q = 0; q < kw; q++) {
                const ny = i + pt - p * dh, nx = j + pl - q * dw;
                if (ny % sh !== 0 || nx % sw !== 0) continue;
                const iy = ny / sh, ix = nx / sw;
                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                s += x[((b * c + ci) * h + iy) * w + ix] *
                  wt[((ci * mg + (o - gi * mg)) * kh + p) * kw + q];
              }
            }
          }
          y[((b * m + o) * oh + i) * ow + j] = s;
        }
      }
    }
  }
  return y;
}

Deno.test("ConvTranspose matches the gather reference on 40 seeded random geometries", () => {
  const rng = new Philox(99);
  for (let t = 0; t < 40; t++) {
    const g = int(rng, 1, 2), c = g * int(rng, 1, 2), mg = int(rng, 1, 3);
    const kh = int(rng, 1, 3), kw = int(rng, 1, 3), h = int(rng, 1, 5), w = int(rng, 1, 5);
    const st = [int(rng, 1, 3), int(rng, 1, 3)], dl = [int(rng, 1, 2), int(rng, 1, 2)];
    const op = [int(rng, 0, st[0] - 1), int(rng, 0, st[1] - 1)];
    const pads = [int(rng, 0, 1), int(rng, 0, 1), int(rng, 0, 1), int(rng, 0, 1)];
    const full = [0, 1].map((i) => st[i] * ([h, w][i] - 1) + op[i] + ([kh, kw][i] - 1) * dl[i] + 1);
    const out = [full[0] - pads[0] - pads[2], full[1] - pads[1] - pads[3]];
    if (out[0] < 1 || out[1] < 1) continue;
    const x = rand(rng, c * h * w), wt = rand(rng, c * mg * kh * kw);
    const node: Node = {
      name: "ct",
      op: "ConvTranspose",
      inputs: ["x", "w"],
      outputs: ["y"],
      attrs: { group: g, strides: st, dilations: dl, pads, output_padding: op },
    };
    const [y] = CONV_OPS.ConvTranspose.run(node, [f32([1, c, h, w], x), f32([c, mg, kh, kw], wt)], {
      opset: 13,
    });
    ok(y.shape.join() === [1, mg * g, ...out].join(), `case ${t}: ${y.shape} vs ${out}`);
    const e = naiveConvTranspose(x, [1, c, h, w], wt, [c, mg, kh, kw], g, st, dl, pads, out);
    close(y.data as Float32Array, e, `case ${t}`);
  }
});

Deno.test("Conv rejects wrong ranks, mismatched channels and non-float32 weights with a GraphError naming the node", () => {
  const x = f32([1, 2, 4, 4], new Float32Array(32));
  const run = (inputs: (GraphTensor | undefined)[], attrs = {}) =>
    CONV_OPS.Conv.run(
      { name: "bad_conv", op: "Conv", inputs: ["x", "w", "b"], outputs: ["y"], attrs },
      inputs,
      { opset: 13 },
    );
  const isErr = (re: RegExp) => (e: unknown) => e instanceof GraphError && re.test(e.message);
  throws(
    () => run([f32([2, 4, 4], new Float32Array(32)), f32([1, 2, 1, 1], new Float32Array(2))]),
    isErr(/node bad_conv, value w: Conv needs rank 3/),
  );
  throws(
    () => run([x, f32([1, 3, 1, 1], new Float32Array(3))]),
    isErr(/node bad_conv, value w: weight shape \[1,3,1,1\] does not fit 2 input channels/),
  );
  throws(
    () => run([x, { dtype: "int8", shape: [1, 2, 1, 1], data: new Int8Array(2) }]),
    isErr(/node bad_conv, value w: Conv needs a float32 input 1, got int8/),
  );
  throws(
    () => run([x, f32([1, 2, 1, 1], new Float32Array(2)), f32([2], new Float32Array(2))]),
    isErr(/value b: bias needs 1 values/),
  );
  throws(
    () => run([x, f32([1, 2, 5, 5], new Float32Array(50))]),
    isErr(/node bad_conv, value x: the dilated kernel/),
  );
  throws(
    () => run([x, f32([3, 1, 1, 1], new Float32Array(3))], { group: 2 }),
    isErr(/group 2 does not divide the 3 output channels/),
  );
});
