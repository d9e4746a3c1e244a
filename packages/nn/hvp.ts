/**
 * Exact Hessian-vector products of a loss with respect to a model's parameters, by
 * forward-over-reverse differentiation (Pearlmutter's R-operator) of the gradient rules in
 * `ops.ts`. Each layer runs, in float64, its forward value y and tangent ẏ = R{y} (the
 * directional derivative along the parameter direction v), then its backward adjoint x̄ and the
 * adjoint's tangent R{x̄}; R{θ̄} of every parameter is (H v)_θ. One call costs about two
 * gradient evaluations; nothing is approximated (no finite differences).
 *
 * | layer                   | R-forward                                   | R-backward                                            |
 * |-------------------------|---------------------------------------------|-------------------------------------------------------|
 * | Linear Y = XWᵀ + b       | Ẏ = ẊWᵀ + XVᵀ + v_b                         | R{X̄} = ĠW + ḠV, R{W̄} = ĠᵀX + ḠᵀẊ, R{b̄} = ΣĠ           |
 * | Conv2d (bilinear in x, w)| ẏ = conv(ẋ, w) + conv(x, v) + v_b           | R{x̄} = convᵀ_x(ġ, w) + convᵀ_x(ḡ, v), likewise w     |
 * | BatchNorm (eval)        | ẏ = aẋ + (v_γ/s)(x − μ) + v_β, a = γ/s      | R{x̄} = aġ + (v_γ/s)ḡ, R{γ̄} = Σ(ġ(x − μ) + ḡẋ)/s        |
 * | pointwise φ             | ẏ = φ′(x)ẋ                                  | R{x̄} = φ′(x)ġ + φ″(x)ẋḡ                               |
 * | max / avg / global pool | linear (arg-max fixed, as in backward)      | the transpose of the same linear map                  |
 * | Residual                | sum of the branches                         | sum of the branches' adjoints                         |
 * | softmax cross-entropy   | —                                           | ḡ = (p − onehot)/N, ġ = (p ⊙ ż − p (p·ż))/N            |
 * | MSE                     | —                                           | ḡ = 2(p − t)/M, ġ = 2ṗ/M                              |
 *
 * ReLU, ReLU6 and max pooling are piecewise linear: their φ″ is 0 away from the kinks, which is
 * the Hessian of the function almost everywhere (what PyHessian and HAWQ compute by double
 * backward). Batch norm uses its running statistics (evaluation semantics, as PyHessian's
 * `model.eval()`); a model in training mode or a layer without a rule is a TypeError naming it.
 *
 * @example H of L = mean((x·w − t)²) is 2/N·XᵀX
 * ```ts
 * import { hessianVectorProduct } from "@lowbit/nn/hvp";
 * import { Linear } from "@lowbit/nn/linear";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { deepEqual } from "node:assert/strict";
 * const fc = new Linear(2, 1, { random: new Philox(0), bias: false });
 * fc.eval();
 * const x = Variable.from([1, 2, 3, 4], [2, 2]);
 * const { hv } = hessianVectorProduct(fc, x, { kind: "mse", target: new Float32Array([0, 0]) }, [
 *   new Float64Array([1, 0]),
 * ]);
 * deepEqual([...hv[0]], [10, 14]); // 2/2·(1·1 + 3·3, 1·2 + 3·4)
 * ```
 *
 * @module
 */

import type { Variable } from "./autograd.ts";
import { BatchNormBase } from "./batchnorm.ts";
import { Conv2d } from "./conv2d.ts";
import {
  Activation,
  AvgPool2d,
  Dropout,
  Flatten,
  GlobalAvgPool,
  MaxPool2d,
  Residual,
} from "./layers.ts";
import { Linear } from "./linear.ts";
import { type Module, Sequential } from "./module.ts";
import { convGeometry } from "./ops_conv.ts";
import { resolveConv2d, type ResolvedConv2d } from "@lowbit/kernels/conv-params";
import type { Labels } from "./losses.ts";

/** The loss whose Hessian is taken. */
export type HvpLoss =
  | { kind: "cross-entropy"; labels: Labels }
  | { kind: "mse"; target: Float32Array };

/** What {@linkcode hessianVectorProduct} returns. */
export interface HvpResult {
  /** The loss at the parameters. */
  loss: number;
  /** ∂L/∂θ per parameter (order of `model.parameters()`), float64. */
  grad: Float64Array[];
  /** (H v)_θ per parameter, float64. */
  hv: Float64Array[];
}

interface T {
  d: Float64Array; // value
  t: Float64Array; // tangent R{·}
  shape: number[];
}

type Back = (g: Float64Array, gt: Float64Array) => [Float64Array, Float64Array];

interface Slot {
  v: Float64Array; // direction
  g: Float64Array; // gradient accumulator
  h: Float64Array; // Hv accumulator
  data: Float64Array; // parameter value
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function addInto(a: Float64Array, b: Float64Array): void {
  for (let i = 0; i < a.length; i++) a[i] += b[i];
}

function secondDerivative(kind: string, x: number): [number, number] {
  switch (kind) {
    case "relu":
      return [x > 0 ? 1 : 0, 0];
    case "relu6":
      return [x > 0 && x < 6 ? 1 : 0, 0];
    case "hardSwish":
      return x <= -3 ? [0, 0] : x >= 3 ? [1, 0] : [(2 * x + 3) / 6, 1 / 3];
    case "sigmoid": {
      const s = 1 / (1 + Math.exp(-x));
      return [s * (1 - s), s * (1 - s) * (1 - 2 * s)];
    }
    case "tanh": {
      const y = Math.tanh(x);
      return [1 - y * y, -2 * y * (1 - y * y)];
    }
    default:
      throw new TypeError(`hessianVectorProduct: no second-order rule for activation ${kind}`);
  }
}

// Convolution as a bilinear map y = conv(x, w); convTx and convTw are its transposes in x and w.

// The three bilinear loops share one index walk: for each (image, output channel, input
// channel of its group, kernel tap, output row) the valid output columns [lo, hi) are those
// whose input column lies inside the image; mode 0 is y += x·w, 1 is x̄ += g·w, 2 is w̄ += g·x.
function convWalk(
  geo: ResolvedConv2d,
  mode: 0 | 1 | 2,
  a: Float64Array,
  b: Float64Array,
  out: Float64Array,
) {
  const { batch: n, inC: c, h, w, outC: o, kh, kw, sh, sw, padT: pt, padL: pl, dh, dw } = geo;
  const { groups: g, outH: oh, outW: ow } = geo;
  const cg = c / g, og = o / g;
  for (let bi = 0; bi < n; bi++) {
    for (let oc = 0; oc < o; oc++) {
      const grp = Math.floor(oc / og);
      const yBase = (bi * o + oc) * oh * ow;
      for (let ic = 0; ic < cg; ic++) {
        const xBase = (bi * c + grp * cg + ic) * h * w;
        for (let ky = 0; ky < kh; ky++) {
          for (let kx = 0; kx < kw; kx++) {
            const wi = ((oc * cg + ic) * kh + ky) * kw + kx;
            const off = kx * dw - pl;
            const lo = Math.max(0, Math.ceil(-off / sw));
            const hi = Math.min(ow, Math.floor((w - 1 - off) / sw) + 1);
            if (hi <= lo) continue;
            let acc = 0;
            const wv = mode === 2 ? 0 : b[wi];
            for (let oy = 0; oy < oh; oy++) {
              const iy = oy * sh - pt + ky * dh;
              if (iy < 0 || iy >= h) continue;
              const yr = yBase + oy * ow, xr = xBase + iy * w + off;
              if (mode === 0) {
                for (let ox = lo; ox < hi; ox++) out[yr + ox] += a[xr + ox * sw] * wv;
              } else if (mode === 1) {
                for (let ox = lo; ox < hi; ox++) out[xr + ox * sw] += a[yr + ox] * wv;
              } else {
                for (let ox = lo; ox < hi; ox++) acc += a[yr + ox] * b[xr + ox * sw];
              }
            }
            if (mode === 2) out[wi] += acc;
          }
        }
      }
    }
  }
}

function conv(geo: ResolvedConv2d, x: Float64Array, wt: Float64Array, y: Float64Array): void {
  convWalk(geo, 0, x, wt, y);
}

function convTx(geo: ResolvedConv2d, g: Float64Array, wt: Float64Array, xb: Float64Array): void {
  convWalk(geo, 1, g, wt, xb);
}

function convTw(geo: ResolvedConv2d, g: Float64Array, x: Float64Array, wb: Float64Array): void {
  convWalk(geo, 2, g, x, wb);
}

class Runner {
  slots = new Map<Variable, Slot>();

  slot(p: Variable): Slot {
    const s = this.slots.get(p);
    if (s === undefined) throw new TypeError("hessianVectorProduct: parameter not registered");
    return s;
  }

  run(m: Module, x: T): { y: T; back: Back } {
    if (m instanceof Sequential) {
      let cur = x;
      const backs: Back[] = [];
      for (const [, layer] of m.layers) {
        const r = this.run(layer, cur);
        backs.push(r.back);
        cur = r.y;
      }
      return {
        y: cur,
        back: (g, gt) => {
          for (let i = backs.length - 1; i >= 0; i--) [g, gt] = backs[i](g, gt);
          return [g, gt];
        },
      };
    }
    if (m instanceof Residual) {
      const a = this.run(m.body, x);
      const b = m.shortcut === null ? null : this.run(m.shortcut, x);
      const bd = b === null ? x : b.y;
      const y: T = { d: a.y.d.slice(), t: a.y.t.slice(), shape: a.y.shape };
      if (bd.d.length !== y.d.length) {
        throw new RangeError("hessianVectorProduct: Residual branches differ in size");
      }
      addInto(y.d, bd.d);
      addInto(y.t, bd.t);
      return {
        y,
        back: (g, gt) => {
          const [xa, xat] = a.back(g, gt);
          const [xb, xbt] = b === null ? [g, gt] : b.back(g, gt);
          const r = xa.slice(), rt = xat.slice();
          addInto(r, xb);
          addInto(rt, xbt);
          return [r, rt];
        },
      };
    }
    if (m instanceof Linear) return this.linear(m, x);
    if (m instanceof Conv2d) return this.conv(m, x);
    if (m instanceof BatchNormBase) return this.batchNorm(m, x);
    if (m instanceof Activation) return this.pointwise(m.kind, x);
    if (m instanceof Flatten) {
      const shape = [x.shape[0], x.d.length / Math.max(1, x.shape[0])];
      return { y: { d: x.d, t: x.t, shape }, back: (g, gt) => [g, gt] };
    }
    if (m instanceof Dropout) {
      if (m.training) throw new TypeError("hessianVectorProduct: Dropout must be in eval mode");
      return { y: x, back: (g, gt) => [g, gt] };
    }
    if (m instanceof MaxPool2d || m instanceof AvgPool2d) return this.pool(m, x);
    if (m instanceof GlobalAvgPool) {
      const [n, c, h, w] = x.shape, hw = h * w;
      const y: T = { d: new Float64Array(n * c), t: new Float64Array(n * c), shape: [n, c] };
      for (let i = 0; i < n * c; i++) {
        for (let j = 0; j < hw; j++) {
          y.d[i] += x.d[i * hw + j] / hw;
          y.t[i] += x.t[i * hw + j] / hw;
        }
      }
      return {
        y,
        back: (g, gt) => {
          const xb = new Float64Array(x.d.length), xt = new Float64Array(x.d.length);
          for (let i = 0; i < n * c; i++) {
            for (let j = 0; j < hw; j++) {
              xb[i * hw + j] = g[i] / hw;
              xt[i * hw + j] = gt[i] / hw;
            }
          }
          return [xb, xt];
        },
      };
    }
    throw new TypeError(`hessianVectorProduct: no second-order rule for layer ${m.describe()}`);
  }

  linear(m: Linear, x: T): { y: T; back: Back } {
    if (m.weightQuant !== null) {
      throw new TypeError(`hessianVectorProduct: ${m.describe()} has a weight quantizer`);
    }
    const W = this.slot(m.weight), B = m.bias === null ? null : this.slot(m.bias);
    const n = x.shape[0], k = m.inFeatures, o = m.outFeatures;
    const y: T = { d: new Float64Array(n * o), t: new Float64Array(n * o), shape: [n, o] };
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < o; j++) {
        let s = B === null ? 0 : B.data[j], st = B === null ? 0 : B.v[j];
        for (let i = 0; i < k; i++) {
          s += x.d[r * k + i] * W.data[j * k + i];
          st += x.t[r * k + i] * W.data[j * k + i] + x.d[r * k + i] * W.v[j * k + i];
        }
        y.d[r * o + j] = s;
        y.t[r * o + j] = st;
      }
    }
    return {
      y,
      back: (g, gt) => {
        const xb = new Float64Array(n * k), xt = new Float64Array(n * k);
        for (let r = 0; r < n; r++) {
          for (let j = 0; j < o; j++) {
            const gj = g[r * o + j], gtj = gt[r * o + j];
            if (B !== null) {
              B.g[j] += gj;
              B.h[j] += gtj;
            }
            for (let i = 0; i < k; i++) {
              xb[r * k + i] += gj * W.data[j * k + i];
              xt[r * k + i] += gtj * W.data[j * k + i] + gj * W.v[j * k + i];
              W.g[j * k + i] += gj * x.d[r * k + i];
              W.h[j * k + i] += gtj * x.d[r * k + i] + gj * x.t[r * k + i];
            }
          }
        }
        return [xb, xt];
      },
    };
  }

  conv(m: Conv2d, x: T): { y: T; back: Back } {
    if (m.weightQuant !== null) {
      throw new TypeError(`hessianVectorProduct: ${m.describe()} has a weight quantizer`);
    }
    const { params: p, outShape } = convGeometry(x.shape, m.weight.shape, m.options);
    const geo = resolveConv2d(p);

    const W = this.slot(m.weight), B = m.bias === null ? null : this.slot(m.bias);
    const len = size(outShape), hw = geo.outH * geo.outW;
    const y: T = { d: new Float64Array(len), t: new Float64Array(len), shape: outShape };
    conv(geo, x.d, W.data, y.d);
    conv(geo, x.t, W.data, y.t);
    conv(geo, x.d, W.v, y.t);
    if (B !== null) {
      for (let i = 0; i < len; i++) {
        const ch = Math.floor(i / hw) % geo.outC;
        y.d[i] += B.data[ch];
        y.t[i] += B.v[ch];
      }
    }
    return {
      y,
      back: (g, gt) => {
        const xb = new Float64Array(x.d.length), xt = new Float64Array(x.d.length);
        convTx(geo, g, W.data, xb);
        convTx(geo, gt, W.data, xt);
        convTx(geo, g, W.v, xt);
        convTw(geo, g, x.d, W.g);
        convTw(geo, gt, x.d, W.h);
        convTw(geo, g, x.t, W.h);
        if (B !== null) {
          for (let i = 0; i < len; i++) {
            const ch = Math.floor(i / hw) % geo.outC;
            B.g[ch] += g[i];
            B.h[ch] += gt[i];
          }
        }
        return [xb, xt];
      },
    };
  }

  batchNorm(m: BatchNormBase, x: T): { y: T; back: Back } {
    if (m.training) {
      throw new TypeError(
        `hessianVectorProduct: ${m.describe()} is in training mode; call model.eval() first`,
      );
    }
    const G = this.slot(m.weight), Bt = this.slot(m.bias);
    const c = m.channels, inner = x.d.length / (x.shape[0] * c);
    const mu = m.runningMean.data, va = m.runningVar.data;
    const s = Float64Array.from(va, (v) => Math.sqrt(v + m.eps));
    const y: T = {
      d: new Float64Array(x.d.length),
      t: new Float64Array(x.d.length),
      shape: x.shape,
    };
    const chOf = (i: number) => Math.floor(i / inner) % c;
    for (let i = 0; i < x.d.length; i++) {
      const ch = chOf(i), xh = (x.d[i] - mu[ch]) / s[ch];
      y.d[i] = G.data[ch] * xh + Bt.data[ch];
      y.t[i] = (G.data[ch] / s[ch]) * x.t[i] + G.v[ch] * xh + Bt.v[ch];
    }
    return {
      y,
      back: (g, gt) => {
        const xb = new Float64Array(x.d.length), xt = new Float64Array(x.d.length);
        for (let i = 0; i < x.d.length; i++) {
          const ch = chOf(i), xh = (x.d[i] - mu[ch]) / s[ch];
          xb[i] = (G.data[ch] / s[ch]) * g[i];
          xt[i] = (G.data[ch] / s[ch]) * gt[i] + (G.v[ch] / s[ch]) * g[i];
          G.g[ch] += g[i] * xh;
          G.h[ch] += gt[i] * xh + g[i] * x.t[i] / s[ch];
          Bt.g[ch] += g[i];
          Bt.h[ch] += gt[i];
        }
        return [xb, xt];
      },
    };
  }

  pointwise(kind: string, x: T): { y: T; back: Back } {
    const n = x.d.length;
    const d1 = new Float64Array(n), d2 = new Float64Array(n);
    const y: T = { d: new Float64Array(n), t: new Float64Array(n), shape: x.shape };
    for (let i = 0; i < n; i++) {
      const v = x.d[i];
      [d1[i], d2[i]] = secondDerivative(kind, v);
      y.d[i] = kind === "relu"
        ? Math.max(v, 0)
        : kind === "relu6"
        ? Math.min(Math.max(v, 0), 6)
        : kind === "hardSwish"
        ? (v <= -3 ? 0 : v >= 3 ? v : (v * (v + 3)) / 6)
        : kind === "sigmoid"
        ? 1 / (1 + Math.exp(-v))
        : Math.tanh(v);
      y.t[i] = d1[i] * x.t[i];
    }
    return {
      y,
      back: (g, gt) => {
        const xb = new Float64Array(n), xt = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          xb[i] = d1[i] * g[i];
          xt[i] = d1[i] * gt[i] + d2[i] * x.t[i] * g[i];
        }
        return [xb, xt];
      },
    };
  }

  pool(m: MaxPool2d | AvgPool2d, x: T): { y: T; back: Back } {
    const pr = (v: number | readonly [number, number]) =>
      typeof v === "number" ? [v, v] : [v[0], v[1]];
    const o = m.options;
    const [kh, kw] = pr(o.kernel),
      [sh, sw] = pr(o.stride ?? o.kernel),
      [ph, pw] = pr(o.padding ?? 0);
    const [n, c, h, w] = x.shape;
    const oh = Math.floor((h + 2 * ph - kh) / sh) + 1, ow = Math.floor((w + 2 * pw - kw) / sw) + 1;
    // The pooling as a sparse linear map: out index → list of (input index, weight).
    const isMax = m instanceof MaxPool2d;
    const src: number[][] = [], wts: number[][] = [];
    const len = n * c * oh * ow;
    const y: T = { d: new Float64Array(len), t: new Float64Array(len), shape: [n, c, oh, ow] };
    for (let nc = 0; nc < n * c; nc++) {
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          const idx: number[] = [];
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh - ph + ky;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sw - pw + kx;
              if (ix >= 0 && ix < w) idx.push((nc * h + iy) * w + ix);
            }
          }
          if (isMax) {
            let best = idx[0];
            for (const i of idx) if (x.d[i] > x.d[best]) best = i; // first arg-max, as backward
            src.push([best]);
            wts.push([1]);
          } else {
            src.push(idx);
            wts.push(idx.map(() => 1 / (kh * kw)));
          }
        }
      }
    }
    for (let j = 0; j < len; j++) {
      for (let q = 0; q < src[j].length; q++) {
        y.d[j] += wts[j][q] * x.d[src[j][q]];
        y.t[j] += wts[j][q] * x.t[src[j][q]];
      }
    }
    return {
      y,
      back: (g, gt) => {
        const xb = new Float64Array(x.d.length), xt = new Float64Array(x.d.length);
        for (let j = 0; j < len; j++) {
          for (let q = 0; q < src[j].length; q++) {
            xb[src[j][q]] += wts[j][q] * g[j];
            xt[src[j][q]] += wts[j][q] * gt[j];
          }
        }
        return [xb, xt];
      },
    };
  }
}

function lossSeed(y: T, loss: HvpLoss): { value: number; g: Float64Array; gt: Float64Array } {
  const len = y.d.length, g = new Float64Array(len), gt = new Float64Array(len);
  if (loss.kind === "mse") {
    if (loss.target.length !== len) {
      throw new RangeError(`loss.target must have length ${len}; got ${loss.target.length}`);
    }
    let v = 0;
    for (let i = 0; i < len; i++) {
      const e = y.d[i] - loss.target[i];
      v += e * e / len;
      g[i] = 2 * e / len;
      gt[i] = 2 * y.t[i] / len;
    }
    return { value: v, g, gt };
  }
  if (y.shape.length !== 2) {
    throw new RangeError(`cross-entropy needs [N, classes] logits; got [${y.shape.join(", ")}]`);
  }
  const [n, c] = y.shape;
  if (loss.labels.length !== n) {
    throw new RangeError(`loss.labels must have length ${n}; got ${loss.labels.length}`);
  }
  let v = 0;
  for (let r = 0; r < n; r++) {
    const t = loss.labels[r];
    if (!Number.isInteger(t) || t < 0 || t >= c) {
      throw new RangeError(`loss.labels[${r}] must be an integer in [0, ${c}); got ${t}`);
    }
    let mx = -Infinity;
    for (let j = 0; j < c; j++) mx = Math.max(mx, y.d[r * c + j]);
    let z = 0;
    for (let j = 0; j < c; j++) z += Math.exp(y.d[r * c + j] - mx);
    v += (Math.log(z) + mx - y.d[r * c + t]) / n;
    let pz = 0;
    const p = new Float64Array(c);
    for (let j = 0; j < c; j++) {
      p[j] = Math.exp(y.d[r * c + j] - mx) / z;
      pz += p[j] * y.t[r * c + j];
    }
    for (let j = 0; j < c; j++) {
      g[r * c + j] = (p[j] - (j === t ? 1 : 0)) / n;
      gt[r * c + j] = p[j] * (y.t[r * c + j] - pz) / n;
    }
  }
  return { value: v, g, gt };
}

/**
 * H·v for each direction in one pass per direction: the Hessian of `loss(model(x))` with
 * respect to `model.parameters()` (in that order) times `v` (one Float64Array per parameter,
 * same lengths). The model must be in eval mode (batch norm by running statistics).
 *
 * @param model A Sequential / Residual tree of Linear, Conv2d (any groups), BatchNorm,
 *   ReLU/ReLU6/HardSwish/sigmoid/tanh activations, pools, Flatten and eval-mode Dropout.
 * @param x The input batch.
 * @param loss Cross-entropy with labels, or MSE with a target.
 * @param v The direction, one array per parameter.
 * @returns The loss, the gradient and H·v, float64.
 * @throws {RangeError} If `v` does not match the parameters or the loss does not fit.
 * @throws {TypeError} If a layer has no second-order rule or is in training mode.
 *
 * @example Symmetry: u·Hv = v·Hu
 * ```ts
 * import { hessianVectorProduct } from "@lowbit/nn/hvp";
 * import { mnistMlp } from "@lowbit/nn/models";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { ok } from "node:assert/strict";
 * const net = mnistMlp(1).eval();
 * const x = new Variable(new Float32Array(2 * 784).map((_, i) => Math.sin(i)), [2, 784]);
 * const ps = net.parameters();
 * const u = ps.map((p) => Float64Array.from(p.data, (_, i) => Math.cos(3 * i)));
 * const w = ps.map((p) => Float64Array.from(p.data, (_, i) => Math.sin(7 * i)));
 * const loss = { kind: "cross-entropy" as const, labels: [3, 7] };
 * const hu = hessianVectorProduct(net, x, loss, u).hv, hw = hessianVectorProduct(net, x, loss, w).hv;
 * let a = 0, b = 0;
 * ps.forEach((_, k) => hu[k].forEach((h, i) => { a += w[k][i] * h; b += u[k][i] * hw[k][i]; }));
 * ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a)));
 * ```
 */
export function hessianVectorProduct(
  model: Module,
  x: Variable,
  loss: HvpLoss,
  v: readonly Float64Array[],
): HvpResult {
  const ps = model.parameters();
  if (v.length !== ps.length) {
    throw new RangeError(`v must have one array per parameter (${ps.length}); got ${v.length}`);
  }
  const runner = new Runner();
  ps.forEach((p, k) => {
    if (v[k].length !== p.size) {
      throw new RangeError(`v[${k}] must have length ${p.size}; got ${v[k].length}`);
    }
    runner.slots.set(p, {
      v: v[k],
      g: new Float64Array(p.size),
      h: new Float64Array(p.size),
      data: Float64Array.from(p.data),
    });
  });
  const x0: T = {
    d: Float64Array.from(x.data),
    t: new Float64Array(x.size),
    shape: [...x.shape],
  };
  const { y, back } = runner.run(model, x0);
  const seed = lossSeed(y, loss);
  back(seed.g, seed.gt);
  return {
    loss: seed.value,
    grad: ps.map((p) => runner.slot(p).g),
    hv: ps.map((p) => runner.slot(p).h),
  };
}
