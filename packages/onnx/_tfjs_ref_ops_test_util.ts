// Test-only naive reference ops (float32) for ops the float executor may not have yet, so the
// tfjs importer can be checked against TensorFlow.js now. runFloat looks these up first, so
// only the missing ones are passed (see tfjs_models_test.ts).
import { attrInt, attrInts, attrString, type OpTable } from "@lowbit/graph/op";
import type { GraphTensor } from "@lowbit/graph/ir";

const f32 = (shape: number[], data: Float32Array): GraphTensor => ({
  dtype: "float32",
  shape,
  data,
});

export const REF_OPS: OpTable = {
  Conv: {
    run(node, [x, w, b]) {
      const [N, C, H, W] = x!.shape, [M, CG, KH, KW] = w!.shape;
      const g = attrInt(node, "group", 1);
      const [sh, sw] = attrInts(node, "strides", [1, 1]);
      const [dh, dw] = attrInts(node, "dilations", [1, 1]);
      const [pt, pl, pb, pr] = attrInts(node, "pads", [0, 0, 0, 0]);
      const OH = Math.floor((H + pt + pb - ((KH - 1) * dh + 1)) / sh) + 1;
      const OW = Math.floor((W + pl + pr - ((KW - 1) * dw + 1)) / sw) + 1;
      const xd = x!.data as Float32Array, wd = w!.data as Float32Array;
      const bd = b?.data as Float32Array | undefined;
      const out = new Float32Array(N * M * OH * OW);
      const mPerG = M / g;
      void C;
      for (let n = 0; n < N; n++) {
        for (let m = 0; m < M; m++) {
          const c0 = Math.floor(m / mPerG) * CG;
          for (let oy = 0; oy < OH; oy++) {
            for (let ox = 0; ox < OW; ox++) {
              let s = 0;
              for (let c = 0; c < CG; c++) {
                for (let ky = 0; ky < KH; ky++) {
                  const iy = oy * sh - pt + ky * dh;
                  if (iy < 0 || iy >= H) continue;
                  for (let kx = 0; kx < KW; kx++) {
                    const ix = ox * sw - pl + kx * dw;
                    if (ix < 0 || ix >= W) continue;
                    s += xd[((n * C + c0 + c) * H + iy) * W + ix] *
                      wd[((m * CG + c) * KH + ky) * KW + kx];
                  }
                }
              }
              out[((n * M + m) * OH + oy) * OW + ox] = s + (bd ? bd[m] : 0);
            }
          }
        }
      }
      return [f32([N, M, OH, OW], out)];
    },
  },
  MaxPool: {
    run(node, [x]) {
      const [N, C, H, W] = x!.shape;
      const [KH, KW] = attrInts(node, "kernel_shape");
      const [sh, sw] = attrInts(node, "strides", [1, 1]);
      const [pt, pl, pb, pr] = attrInts(node, "pads", [0, 0, 0, 0]);
      const OH = Math.floor((H + pt + pb - KH) / sh) + 1,
        OW = Math.floor((W + pl + pr - KW) / sw) + 1;
      const xd = x!.data as Float32Array, out = new Float32Array(N * C * OH * OW);
      for (let nc = 0; nc < N * C; nc++) {
        for (let oy = 0; oy < OH; oy++) {
          for (let ox = 0; ox < OW; ox++) {
            let m = -Infinity;
            for (let ky = 0; ky < KH; ky++) {
              const iy = oy * sh - pt + ky;
              if (iy < 0 || iy >= H) continue;
              for (let kx = 0; kx < KW; kx++) {
                const ix = ox * sw - pl + kx;
                if (ix >= 0 && ix < W) m = Math.max(m, xd[(nc * H + iy) * W + ix]);
              }
            }
            out[(nc * OH + oy) * OW + ox] = m;
          }
        }
      }
      return [f32([N, C, OH, OW], out)];
    },
  },
  Clip: {
    run(_node, [x, lo, hi]) {
      const a = lo ? (lo.data as Float32Array)[0] : -Infinity;
      const b = hi ? (hi.data as Float32Array)[0] : Infinity;
      return [
        f32([...x!.shape], (x!.data as Float32Array).map((v) => Math.min(b, Math.max(a, v)))),
      ];
    },
  },
  Sigmoid: {
    run(_node, [x]) {
      return [f32([...x!.shape], (x!.data as Float32Array).map((v) => 1 / (1 + Math.exp(-v))))];
    },
  },
  Resize: {
    run(node, [x, , , sizes]) {
      const [N, C, H, W] = x!.shape;
      const [, , OH, OW] = Array.from(sizes!.data as BigInt64Array, Number);
      const mode = attrString(node, "coordinate_transformation_mode", "half_pixel");
      if (attrString(node, "mode", "nearest") !== "linear") {
        throw new Error("ref Resize: linear only");
      }
      const coord = (o: number, inS: number, outS: number) => {
        if (mode === "half_pixel") return Math.max(0, (o + 0.5) * (inS / outS) - 0.5);
        if (mode === "align_corners") return outS > 1 ? (o * (inS - 1)) / (outS - 1) : 0;
        return o * (inS / outS);
      };
      const xd = x!.data as Float32Array, out = new Float32Array(N * C * OH * OW);
      for (let nc = 0; nc < N * C; nc++) {
        for (let oy = 0; oy < OH; oy++) {
          const fy = coord(oy, H, OH),
            y0 = Math.min(Math.floor(fy), H - 1),
            y1 = Math.min(y0 + 1, H - 1),
            ty = fy - y0;
          for (let ox = 0; ox < OW; ox++) {
            const fx = coord(ox, W, OW),
              x0 = Math.min(Math.floor(fx), W - 1),
              x1 = Math.min(x0 + 1, W - 1),
              tx = fx - x0;
            const p = (yy: number, xx: number) => xd[(nc * H + yy) * W + xx];
            const top = p(y0, x0) + (p(y0, x1) - p(y0, x0)) * tx;
            const bot = p(y1, x0) + (p(y1, x1) - p(y1, x0)) * tx;
            out[(nc * OH + oy) * OW + ox] = top + (bot - top) * ty;
          }
        }
      }
      return [f32([N, C, OH, OW], out)];
    },
  },
  ArgMax: {
    run(node, [x]) {
      const ax = attrInt(node, "axis", 0), shape = x!.shape;
      const outer = shape.slice(0, ax).reduce((a, b) => a * b, 1), n = shape[ax];
      const inner = shape.slice(ax + 1).reduce((a, b) => a * b, 1);
      const xd = x!.data as Float32Array, out = new BigInt64Array(outer * inner);
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) {
          let best = 0;
          for (let k = 1; k < n; k++) {
            if (xd[(o * n + k) * inner + i] > xd[(o * n + best) * inner + i]) best = k;
          }
          out[o * inner + i] = BigInt(best);
        }
      }
      const oshape = attrInt(node, "keepdims", 1)
        ? shape.map((d, i) => (i === ax ? 1 : d))
        : shape.filter((_, i) => i !== ax);
      return [{ dtype: "int64", shape: oshape, data: out }];
    },
  },
  GatherND: {
    run(_node, [x, idx]) {
      const xs = x!.shape, is = idx!.shape, k = is[is.length - 1];
      const slice = xs.slice(k).reduce((a, b) => a * b, 1);
      const count = is.slice(0, -1).reduce((a, b) => a * b, 1);
      const id = idx!.data as BigInt64Array, xd = x!.data as Float32Array;
      const out = new Float32Array(count * slice);
      for (let c = 0; c < count; c++) {
        let off = 0;
        for (let j = 0; j < k; j++) off = off * xs[j] + Number(id[c * k + j]);
        out.set(xd.subarray(off * slice, off * slice + slice), c * slice);
      }
      return [f32([...is.slice(0, -1), ...xs.slice(k)], out)];
    },
  },
};
