/**
 * Test-only reference ops (float64 arithmetic, one float32 rounding) for the ops the pass and
 * fromNn tests use. Tests pass {@linkcode missingOps} to `runFloat`, so a real executor op,
 * once it lands in `ops/`, replaces the reference one automatically.
 *
 * @module
 */

import { erf } from "@lowbit/nn";
import { FLOAT_OPS } from "../executor.ts";
import type { GraphData, GraphTensor, Node } from "../ir.ts";
import { sizeOf } from "../ir.ts";
import type { OpKernel, OpTable } from "../op.ts";

type In = (GraphTensor | undefined)[];
const num = (t: GraphTensor): number[] => Array.from(t.data as ArrayLike<number | bigint>, Number);
const f32 = (shape: number[], v: ArrayLike<number>): GraphTensor => ({
  dtype: "float32",
  shape,
  data: Float32Array.from(v),
});
const i64 = (v: number[]): GraphTensor => ({
  dtype: "int64",
  shape: [v.length],
  data: BigInt64Array.from(v.map(BigInt)),
});
const aInt = (
  n: Node,
  k: string,
  d: number,
) => (typeof n.attrs[k] === "number" ? n.attrs[k] as number : d);
const aInts = (n: Node, k: string, d: number[]) =>
  Array.isArray(n.attrs[k]) ? [...(n.attrs[k] as number[])] : d;

function strides(shape: number[]): number[] {
  const s = new Array(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

function broadcast(f: (a: number, b: number) => number): OpKernel {
  return {
    run(_n: Node, inp: In) {
      const [a, b] = inp as GraphTensor[];
      const r = Math.max(a.shape.length, b.shape.length);
      const pa = [...new Array(r - a.shape.length).fill(1), ...a.shape];
      const pb = [...new Array(r - b.shape.length).fill(1), ...b.shape];
      const shape = pa.map((d, i) => Math.max(d, pb[i]));
      const sa = strides(pa), sb = strides(pb), so = strides(shape);
      const av = num(a), bv = num(b);
      const out = new Float32Array(sizeOf(shape));
      for (let i = 0; i < out.length; i++) {
        let ia = 0, ib = 0;
        for (let k = 0; k < r; k++) {
          const c = Math.floor(i / so[k]) % shape[k];
          if (pa[k] !== 1) ia += c * sa[k];
          if (pb[k] !== 1) ib += c * sb[k];
        }
        out[i] = f(av[ia], bv[ib]);
      }
      return [f32(shape, out)];
    },
  };
}

function unary(f: (x: number, n: Node) => number): OpKernel {
  return {
    run(n: Node, inp: In) {
      const x = inp[0]!;
      return [f32([...x.shape], num(x).map((v) => f(v, n)))];
    },
  };
}

function conv(n: Node, inp: In): GraphTensor[] {
  const [x, w, b] = inp;
  const [N, C, H, W] = x!.shape, [M, Cg, KH, KW] = w!.shape;
  const g = aInt(n, "group", 1);
  const [sh, sw] = aInts(n, "strides", [1, 1]), [dh, dw] = aInts(n, "dilations", [1, 1]);
  const [pt, pl, pb, pr] = aInts(n, "pads", [0, 0, 0, 0]);
  const OH = Math.floor((H + pt + pb - dh * (KH - 1) - 1) / sh) + 1;
  const OW = Math.floor((W + pl + pr - dw * (KW - 1) - 1) / sw) + 1;
  const xv = x!.data as Float32Array, wv = w!.data as Float32Array;
  const bv = b?.data as Float32Array | undefined;
  const out = new Float32Array(N * M * OH * OW);
  const mg = M / g;
  for (let nn = 0; nn < N; nn++) {
    for (let m = 0; m < M; m++) {
      const gi = Math.floor(m / mg);
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          let s = bv ? bv[m] : 0;
          for (let c = 0; c < Cg; c++) {
            const ci = gi * Cg + c;
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * sh - pt + kh * dh;
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * sw - pl + kw * dw;
                if (iw < 0 || iw >= W) continue;
                s += xv[((nn * C + ci) * H + ih) * W + iw] * wv[((m * Cg + c) * KH + kh) * KW + kw];
              }
            }
          }
          out[((nn * M + m) * OH + oh) * OW + ow] = s;
        }
      }
    }
  }
  return [f32([N, M, OH, OW], out)];
}

function pool(kind: "max" | "avg"): OpKernel {
  return {
    run(n: Node, inp: In) {
      const x = inp[0]!;
      const [N, C, H, W] = x.shape;
      const [KH, KW] = aInts(n, "kernel_shape", []);
      const [sh, sw] = aInts(n, "strides", [1, 1]);
      const [pt, pl, pb, pr] = aInts(n, "pads", [0, 0, 0, 0]);
      const inc = aInt(n, "count_include_pad", 0) === 1;
      const OH = Math.floor((H + pt + pb - KH) / sh) + 1,
        OW = Math.floor((W + pl + pr - KW) / sw) + 1;
      const xv = x.data as Float32Array;
      const out = new Float32Array(N * C * OH * OW);
      for (let p = 0; p < N * C; p++) {
        for (let oh = 0; oh < OH; oh++) {
          for (let ow = 0; ow < OW; ow++) {
            let best = -Infinity, s = 0, cnt = 0;
            for (let kh = 0; kh < KH; kh++) {
              for (let kw = 0; kw < KW; kw++) {
                const ih = oh * sh - pt + kh, iw = ow * sw - pl + kw;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) {
                  if (inc) cnt++;
                  continue;
                }
                const v = xv[(p * H + ih) * W + iw];
                best = Math.max(best, v);
                s += v;
                cnt++;
              }
            }
            out[(p * OH + oh) * OW + ow] = kind === "max" ? best : s / cnt;
          }
        }
      }
      return [f32([N, C, OH, OW], out)];
    },
  };
}

function reshapeTo(x: GraphTensor, shape: number[]): GraphTensor {
  return { dtype: x.dtype, shape, data: x.data };
}

function rne(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function perAxis(x: GraphTensor, scale: GraphTensor, axis: number): (i: number) => number {
  if (scale.data.length === 1) return () => 0;
  const a = axis < 0 ? axis + x.shape.length : axis;
  const inner = sizeOf(x.shape.slice(a + 1));
  return (i) => Math.floor(i / inner) % x.shape[a];
}

const RANGE: Record<string, [number, number, new (n: number) => GraphData]> = {
  int8: [-128, 127, Int8Array],
  uint8: [0, 255, Uint8Array],
  int16: [-32768, 32767, Int16Array],
  int32: [-(2 ** 31), 2 ** 31 - 1, Int32Array],
};

/** Reference ops by ONNX op type. */
export const REF_OPS: OpTable = {
  Add: broadcast((a, b) => a + b),
  Sub: broadcast((a, b) => a - b),
  Mul: broadcast((a, b) => a * b),
  Div: broadcast((a, b) => a / b),
  Max: broadcast((a, b) => Math.max(a, b)),
  Relu: unary((x) => (x > 0 ? x : 0)),
  Erf: unary((x) => erf(x)),
  HardSigmoid: unary((x, n) => {
    const a = typeof n.attrs.alpha === "number" ? n.attrs.alpha : 0.2;
    const b = typeof n.attrs.beta === "number" ? n.attrs.beta : 0.5;
    return Math.max(0, Math.min(1, a * x + b));
  }),
  HardSwish: unary((x) => x * Math.max(0, Math.min(1, x / 6 + 0.5))),
  Clip: {
    run(n: Node, inp: In) {
      const lo = inp[1]
        ? num(inp[1])[0]
        : typeof n.attrs.min === "number"
        ? n.attrs.min
        : -Infinity;
      const hi = inp[2] ? num(inp[2])[0] : typeof n.attrs.max === "number" ? n.attrs.max : Infinity;
      const x = inp[0]!;
      return [f32([...x.shape], num(x).map((v) => Math.min(Math.max(v, lo), hi)))];
    },
  },
  Identity: { run: (_n, inp) => [inp[0]!] },
  Dropout: { run: (_n, inp) => [inp[0]!] },
  Conv: { run: conv },
  MaxPool: pool("max"),
  AveragePool: pool("avg"),
  GlobalAveragePool: {
    run(_n: Node, inp: In) {
      const x = inp[0]!;
      const [N, C] = x.shape, hw = sizeOf(x.shape.slice(2));
      const v = x.data as Float32Array, out = new Float32Array(N * C);
      for (let p = 0; p < N * C; p++) {
        let s = 0;
        for (let k = 0; k < hw; k++) s += v[p * hw + k];
        out[p] = s / hw;
      }
      return [f32([N, C, ...x.shape.slice(2).map(() => 1)], out)];
    },
  },
  BatchNormalization: {
    run(n: Node, inp: In) {
      const [x, g, b, m, v] = inp as GraphTensor[];
      const eps = typeof n.attrs.epsilon === "number" ? n.attrs.epsilon : 1e-5;
      const C = x.shape[1], inner = sizeOf(x.shape.slice(2));
      const xv = x.data as Float32Array;
      const [gv, bv, mv, vv] = [g, b, m, v].map((t) => t.data as Float32Array);
      const out = new Float32Array(xv.length);
      for (let i = 0; i < xv.length; i++) {
        const c = Math.floor(i / inner) % C;
        out[i] = ((xv[i] - mv[c]) / Math.sqrt(vv[c] + eps)) * gv[c] + bv[c];
      }
      return [f32([...x.shape], out)];
    },
  },
  Gemm: {
    run(n: Node, inp: In) {
      const [a, b, c] = inp;
      const ta = aInt(n, "transA", 0), tb = aInt(n, "transB", 0);
      const alpha = typeof n.attrs.alpha === "number" ? n.attrs.alpha : 1;
      const beta = typeof n.attrs.beta === "number" ? n.attrs.beta : 1;
      const [M, K] = ta ? [a!.shape[1], a!.shape[0]] : a!.shape;
      const N = tb ? b!.shape[0] : b!.shape[1];
      const av = a!.data as Float32Array, bv = b!.data as Float32Array;
      const cv = c ? num(c) : undefined;
      const out = new Float32Array(M * N);
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < N; j++) {
          let s = 0;
          for (let k = 0; k < K; k++) {
            s += (ta ? av[k * M + i] : av[i * K + k]) * (tb ? bv[j * K + k] : bv[k * N + j]);
          }
          const cc = cv === undefined
            ? 0
            : cv.length === 1
            ? cv[0]
            : cv.length === N
            ? cv[j]
            : cv[i * N + j];
          out[i * N + j] = alpha * s + beta * cc;
        }
      }
      return [f32([M, N], out)];
    },
  },
  MatMul: {
    run(_n: Node, inp: In) {
      const [a, b] = inp as GraphTensor[];
      const [M, K] = a.shape, N = b.shape[1];
      const av = a.data as Float32Array, bv = b.data as Float32Array;
      const out = new Float32Array(M * N);
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < N; j++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += av[i * K + k] * bv[k * N + j];
          out[i * N + j] = s;
        }
      }
      return [f32([M, N], out)];
    },
  },
  Reshape: {
    run(_n: Node, inp: In) {
      const x = inp[0]!, s = num(inp[1]!);
      const shape = s.map((d, i) => (d === 0 ? x.shape[i] : d));
      const known = shape.reduce((p, d) => (d === -1 ? p : p * d), 1);
      return [reshapeTo(x, shape.map((d) => (d === -1 ? sizeOf(x.shape) / known : d)))];
    },
  },
  Flatten: {
    run(n: Node, inp: In) {
      const x = inp[0]!, a = aInt(n, "axis", 1);
      return [reshapeTo(x, [sizeOf(x.shape.slice(0, a)), sizeOf(x.shape.slice(a))])];
    },
  },
  Transpose: {
    run(n: Node, inp: In) {
      const x = inp[0]!;
      const perm = aInts(n, "perm", x.shape.map((_, i) => x.shape.length - 1 - i));
      const shape = perm.map((p) => x.shape[p]);
      const si = strides(x.shape), so = strides(shape);
      const v = num(x), out = new Float32Array(v.length);
      for (let i = 0; i < v.length; i++) {
        let src = 0;
        for (let k = 0; k < shape.length; k++) {
          src += (Math.floor(i / so[k]) % shape[k]) * si[perm[k]];
        }
        out[i] = v[src];
      }
      return [f32(shape, out)];
    },
  },
  Unsqueeze: {
    run(n: Node, inp: In) {
      const x = inp[0]!;
      const axes = inp[1] ? num(inp[1]) : aInts(n, "axes", []);
      const r = x.shape.length + axes.length;
      const ax = new Set(axes.map((a) => (a < 0 ? a + r : a)));
      const shape: number[] = [];
      let k = 0;
      for (let i = 0; i < r; i++) shape.push(ax.has(i) ? 1 : x.shape[k++]);
      return [reshapeTo(x, shape)];
    },
  },
  Squeeze: {
    run(n: Node, inp: In) {
      const x = inp[0]!;
      const axes = inp[1] ? num(inp[1]) : aInts(n, "axes", []);
      const ax = new Set(axes.map((a) => (a < 0 ? a + x.shape.length : a)));
      return [reshapeTo(x, x.shape.filter((_, i) => !ax.has(i)))];
    },
  },
  Shape: { run: (_n, inp) => [i64([...inp[0]!.shape])] },
  QuantizeLinear: {
    run(n: Node, inp: In) {
      const [x, s, z] = inp;
      const zd = z?.dtype ?? "uint8";
      const [lo, hi, Arr] = RANGE[zd];
      const at = perAxis(x!, s!, aInt(n, "axis", 1));
      const sv = s!.data as Float32Array, zv = z ? num(z) : [0];
      const xv = x!.data as Float32Array;
      const out = new Arr(xv.length);
      for (let i = 0; i < xv.length; i++) {
        const c = at(i);
        const q = rne(Math.fround(xv[i] / sv[c])) + zv[zv.length === 1 ? 0 : c];
        (out as Int32Array)[i] = Math.min(Math.max(q, lo), hi);
      }
      return [{ dtype: zd, shape: [...x!.shape], data: out }];
    },
  },
  DequantizeLinear: {
    run(n: Node, inp: In) {
      const [x, s, z] = inp;
      const at = perAxis(x!, s!, aInt(n, "axis", 1));
      const sv = s!.data as Float32Array, zv = z ? num(z) : [0], xv = num(x!);
      return [
        f32([...x!.shape], xv.map((q, i) => (q - zv[zv.length === 1 ? 0 : at(i)]) * sv[at(i)])),
      ];
    },
  },
};

/** The reference ops the executor does not have yet (pass as `runFloat`'s `ops`). */
export function missingOps(): OpTable {
  const out: OpTable = {};
  for (const [k, v] of Object.entries(REF_OPS)) if (!Object.hasOwn(FLOAT_OPS, k)) out[k] = v;
  return out;
}

/** Seeded uniform float32 values in [lo, hi) (mulberry32). */
export function seeded(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  }
  return out;
}

/** Largest |a − b| / max(1, |b|) over two arrays of equal length. */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  }
  return m;
}
