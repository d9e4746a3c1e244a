import { deepEqual, ok, throws } from "node:assert/strict";
import { Variable } from "./autograd.ts";
import { conv2d, type Conv2dOptions, convGeometry } from "./ops_conv.ts";
import { awayFrom, gradCheck } from "./_gradcheck.ts";

// Direct 7-loop convolution (PyTorch Conv2d semantics), the independent truth.
function naive(
  x: Float32Array,
  xs: number[],
  w: Float32Array,
  ws: number[],
  b: Float32Array | null,
  o: { stride: number; pad: [number, number, number, number]; dil: number; groups: number },
) {
  const [n, c, h, wd] = xs, [oc, cg, kh, kw] = ws;
  const oh = Math.floor((h + o.pad[0] + o.pad[2] - o.dil * (kh - 1) - 1) / o.stride) + 1;
  const ow = Math.floor((wd + o.pad[1] + o.pad[3] - o.dil * (kw - 1) - 1) / o.stride) + 1;
  const og = oc / o.groups;
  const out = new Float64Array(n * oc * oh * ow);
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < oc; f++) {
      const g = Math.floor(f / og);
      for (let y = 0; y < oh; y++) {
        for (let z = 0; z < ow; z++) {
          let s = b ? b[f] : 0;
          for (let ci = 0; ci < cg; ci++) {
            for (let a = 0; a < kh; a++) {
              for (let e = 0; e < kw; e++) {
                const yy = y * o.stride - o.pad[0] + a * o.dil,
                  xx = z * o.stride - o.pad[1] + e * o.dil;
                if (yy < 0 || yy >= h || xx < 0 || xx >= wd) continue;
                s += x[((i * c + g * cg + ci) * h + yy) * wd + xx] *
                  w[((f * cg + ci) * kh + a) * kw + e];
              }
            }
          }
          out[((i * oc + f) * oh + y) * ow + z] = s;
        }
      }
    }
  }
  return { out, shape: [n, oc, oh, ow] };
}

const CASES: { xs: number[]; ws: number[]; o: Conv2dOptions; ref: Parameters<typeof naive>[5] }[] =
  [
    {
      xs: [2, 3, 5, 6],
      ws: [4, 3, 3, 3],
      o: {},
      ref: { stride: 1, pad: [0, 0, 0, 0], dil: 1, groups: 1 },
    },
    {
      xs: [1, 2, 6, 5],
      ws: [3, 2, 3, 2],
      o: { stride: 2, padding: 1 },
      ref: { stride: 2, pad: [1, 1, 1, 1], dil: 1, groups: 1 },
    },
    {
      xs: [2, 4, 5, 5],
      ws: [4, 1, 3, 3],
      o: { groups: 4, padding: [1, 2] },
      ref: { stride: 1, pad: [1, 2, 1, 2], dil: 1, groups: 4 },
    },
    {
      xs: [1, 4, 7, 7],
      ws: [6, 2, 3, 3],
      o: { groups: 2, dilation: 2, padding: [0, 1, 2, 1] },
      ref: { stride: 1, pad: [0, 1, 2, 1], dil: 2, groups: 2 },
    },
  ];

Deno.test("conv2d forward matches a direct convolution (stride, padding, dilation, groups, depthwise)", () => {
  CASES.forEach(({ xs, ws, o, ref }, t) => {
    const x = awayFrom(xs.reduce((a, b) => a * b), 10 + t, -1, 1);
    const w = awayFrom(ws.reduce((a, b) => a * b), 20 + t, -1, 1);
    const b = awayFrom(ws[0], 30 + t, -1, 1);
    const want = naive(x, xs, w, ws, b, ref);
    const got = conv2d(Variable.from(x, xs), Variable.from(w, ws), Variable.from(b), o);
    deepEqual(got.shape, want.shape);
    got.data.forEach((v, i) =>
      ok(Math.abs(v - want.out[i]) < 1e-5, `case ${t} [${i}]: ${v} vs ${want.out[i]}`)
    );
  });
});

Deno.test("conv2d backward (x, w, b) matches finite differences on every case", () => {
  CASES.forEach(({ xs, ws, o }, t) => {
    gradCheck(([x, w, b]) => conv2d(x, w, b, o), [
      { data: awayFrom(xs.reduce((a, b) => a * b), 40 + t, -1, 1), shape: xs },
      { data: awayFrom(ws.reduce((a, b) => a * b), 50 + t, -1, 1), shape: ws },
      { data: awayFrom(ws[0], 60 + t, -1, 1), shape: [ws[0]] },
    ]);
  });
});

Deno.test("conv2d: shape errors name both shapes", () => {
  throws(
    () => conv2d(Variable.zeros([1, 3, 5, 5]), Variable.zeros([4, 2, 3, 3])),
    /input \[1, 3, 5, 5\] does not fit weight \[4, 2, 3, 3\] with 1 group\(s\)/,
  );
  throws(
    () => conv2d(Variable.zeros([1, 1, 2, 2]), Variable.zeros([1, 1, 3, 3])),
    /does not fit input/,
  );
  throws(() => convGeometry([1, 1, 5, 5], [1, 1, 3, 3], { stride: 0 }), /options.stride/);
});
