/**
 * The gradient rules of @lowbit/nn as one table (forward and backward side by side). Every op
 * records its output with `record` (autograd.ts) and a closure implementing the right-hand
 * column; the tests check every row by float64 central finite differences.
 *
 * | op (file)                     | forward y = f(x)                              | backward (given ḡ = ∂L/∂y)                                  |
 * |-------------------------------|-----------------------------------------------|--------------------------------------------------------------|
 * | add (ops.ts)                  | y = a + b                                     | ā = ḡ, b̄ = ḡ                                                 |
 * | sub (ops.ts)                  | y = a − b                                     | ā = ḡ, b̄ = −ḡ                                                |
 * | mul (ops.ts)                  | y = a ⊙ b                                     | ā = ḡ ⊙ b, b̄ = ḡ ⊙ a                                         |
 * | mulScalar (autograd.ts)       | y = c·x                                       | x̄ = c·ḡ                                                      |
 * | sum (autograd.ts)             | y = Σ x                                       | x̄ = ḡ·1                                                      |
 * | reshape (autograd.ts)         | same data, new shape                          | x̄ = ḡ (reshaped back)                                        |
 * | relu (UNARY)                  | max(x, 0)                                     | ḡ·[x > 0]                                                    |
 * | relu6 (UNARY)                 | min(max(x, 0), 6)                             | ḡ·[0 < x < 6]                                                |
 * | gelu (UNARY)                  | x·Φ(x)                                        | ḡ·(Φ(x) + x·φ(x))                                            |
 * | hardSwish (UNARY)             | x·relu6(x + 3)/6                              | ḡ·(0 if x ≤ −3; 1 if x ≥ 3; (2x + 3)/6 between)              |
 * | sigmoid (UNARY)               | σ(x) = 1/(1 + e^−x)                           | ḡ·y(1 − y)                                                   |
 * | tanh (UNARY)                  | tanh x                                        | ḡ·(1 − y²)                                                   |
 * | addChannelBias (ops.ts)       | y[n,c,…] = x[n,c,…] + b[c]                    | x̄ = ḡ, b̄[c] = Σ_{n,…} ḡ[n,c,…]                               |
 * | linear (ops.ts)               | Y = X·Wᵀ + b   (X: N×in, W: out×in)           | X̄ = Ḡ·W, W̄ = Ḡᵀ·X, b̄ = Σ_n Ḡ[n,:]   (gemmF32)                 |
 * | conv2d (ops_conv.ts)          | Y[n,g] = W_g·im2col(X[n], g) + b              | W̄_g = Σ_n Ḡ[n,g]·colsᵀ, X̄[n] += col2im(W_gᵀ·Ḡ[n,g]), b̄ = Σ Ḡ |
 * | maxPool2d (ops_pool.ts)       | y = max over the window                       | ḡ routed to the (first) arg-max of each window               |
 * | avgPool2d (ops_pool.ts)       | y = mean over the window (padding counted)    | ḡ/(kh·kw) spread over the window                             |
 * | globalAvgPool (ops_pool.ts)   | y[n,c] = mean_{h,w} x[n,c,h,w]                | x̄ = ḡ[n,c]/(H·W)                                             |
 * | batchNorm (ops_norm.ts)       | x̂ = (x − μ_B)/√(σ²_B + ε), y = γx̂ + β         | x̄ = γ/√(σ²+ε)·(ḡ − mean(ḡ) − x̂·mean(ḡ⊙x̂)), γ̄ = Σḡx̂, β̄ = Σḡ   |
 * | batchNorm, eval               | y = γ(x − μ_run)/√(σ²_run + ε) + β            | x̄ = ḡ·γ/√(σ²_run+ε), γ̄ = Σḡx̂, β̄ = Σḡ                         |
 * | dropout (ops.ts)              | y = x ⊙ m/(1 − p), m ~ Bernoulli(1 − p)       | x̄ = ḡ ⊙ m/(1 − p)                                            |
 * | softmaxCrossEntropy (losses)  | L = mean_n (logsumexp(z_n) − z_n[t_n])        | z̄ = (softmax(z) − onehot(t))/N · ḡ                           |
 * | mseLoss (losses)              | L = mean (p − t)²                             | p̄ = 2(p − t)/size · ḡ                                        |
 * | klDivergence (losses)         | L = T²/N Σ p_t (log p_t − log_softmax(z/T))   | z̄ = T/N · (softmax(z/T) − p_t) · ḡ  (teacher constant)        |
 * | fakeQuant (ops_quant.ts)      | x̂ = (clamp(round(x/S) + Z) − Z)·S             | x̄ = ḡ·[x inside the range] (STE, Eq. S.1)                   |
 * | lsq (ops_quant.ts)            | x̂ = s·clamp(round(x/s), qmin, qmax)           | x̄ = ḡ inside; s̄ = g·Σ ḡ·(round(v) − v or qmin/qmax) (S.2)    |
 * | pact (ops_quant.ts)           | y = quant_k(clamp(x, 0, α))                   | x̄ = ḡ·[0 ≤ x < α], ᾱ = Σ ḡ·[x ≥ α] (S.3)                     |
 *
 * Equation labels S.1–S.3 are those of `@lowbit/quantize/ste`.
 *
 * @example
 * ```ts
 * import { Variable } from "@lowbit/nn/autograd";
 * import { linear, relu } from "@lowbit/nn/ops";
 * import { deepEqual } from "node:assert/strict";
 * const x = Variable.from([1, 2], [1, 2], { requiresGrad: true });
 * const w = Variable.from([1, -1, 2, 1], [2, 2], { requiresGrad: true });
 * const y = relu(linear(x, w)); // [max(1 − 2, 0), max(2 + 2, 0)] = [0, 4]
 * y.sum().backward();
 * deepEqual([...y.data], [0, 4]);
 * deepEqual([...x.grad!], [2, 1]); // only the second row of W passes
 * ```
 *
 * @module
 */

import { gemmF32 } from "@lowbit/kernels";
import { formatShape, shapesEqual } from "@lowbit/tensor/shape";
import { accumulate, record, type Variable } from "./autograd.ts";

/** A seeded source of uniform 32-bit integers (a `Philox` from @lowbit/rounding is one). */
export interface Uint32Source {
  /** The next uniform integer in [0, 2^32). */
  nextUint32(): number;
}

/** One row of the pointwise table: y = f(x) and dy/dx from x and y. */
export interface UnaryRule {
  /** y = f(x). */
  forward(x: number): number;
  /** dy/dx, given x and y = f(x). */
  derivative(x: number, y: number): number;
}

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * The error function, Abramowitz & Stegun 7.1.26 (|error| ≤ 1.5·10⁻⁷, below float32's ulp at 1).
 *
 * @param x The argument.
 * @returns erf(x).
 *
 * @example
 * ```ts
 * import { erf } from "@lowbit/nn/ops";
 * import { ok } from "node:assert/strict";
 * ok(Math.abs(erf(1) - 0.8427007929497149) < 2e-7);
 * ```
 */
export function erf(x: number): number {
  const s = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t +
        0.254829592) * t * Math.exp(-a * a);
  return s * y;
}

/** The pointwise activations: forward and derivative side by side. */
export const UNARY: Readonly<Record<UnaryName, UnaryRule>> = Object.freeze({
  relu: { forward: (x) => (x > 0 ? x : 0), derivative: (x) => (x > 0 ? 1 : 0) },
  relu6: {
    forward: (x) => (x > 0 ? (x < 6 ? x : 6) : 0),
    derivative: (x) => (x > 0 && x < 6 ? 1 : 0),
  },
  gelu: {
    forward: (x) => 0.5 * x * (1 + erf(x * SQRT1_2)),
    derivative: (x) => 0.5 * (1 + erf(x * SQRT1_2)) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x),
  },
  hardSwish: {
    forward: (x) => (x <= -3 ? 0 : x >= 3 ? x : (x * (x + 3)) / 6),
    derivative: (x) => (x <= -3 ? 0 : x >= 3 ? 1 : (2 * x + 3) / 6),
  },
  sigmoid: {
    forward: (x) => 1 / (1 + Math.exp(-x)),
    derivative: (_x, y) => y * (1 - y),
  },
  tanh: { forward: Math.tanh, derivative: (_x, y) => 1 - y * y },
});

/** Names of the pointwise activations in {@linkcode UNARY}. */
export type UnaryName = "relu" | "relu6" | "gelu" | "hardSwish" | "sigmoid" | "tanh";

/**
 * Applies a row of {@linkcode UNARY} elementwise.
 *
 * @param name The activation.
 * @param x The input.
 * @returns f(x), same shape.
 * @throws {RangeError} If `name` is not in the table.
 *
 * @example
 * ```ts
 * import { unary } from "@lowbit/nn/ops";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...unary("relu6", Variable.from([-1, 3, 9])).data], [0, 3, 6]);
 * ```
 */
export function unary(name: UnaryName, x: Variable): Variable {
  const rule = UNARY[name];
  if (rule === undefined) {
    throw new RangeError(`name must be one of ${Object.keys(UNARY).join(", ")}; got ${name}`);
  }
  const xd = x.data;
  const out = new Float32Array(xd.length);
  if (name === "relu") { // the hot one, without the call
    for (let i = 0; i < xd.length; i++) out[i] = xd[i] > 0 ? xd[i] : 0;
  } else for (let i = 0; i < xd.length; i++) out[i] = rule.forward(xd[i]);
  return record(name, out, x.shape, [x], (g) => {
    const gx = new Float32Array(g.length);
    if (name === "relu") {
      for (let i = 0; i < g.length; i++) gx[i] = xd[i] > 0 ? g[i] : 0;
    } else {
      for (let i = 0; i < g.length; i++) gx[i] = g[i] * rule.derivative(xd[i], out[i]);
    }
    accumulate(x, gx);
  });
}

/**
 * max(x, 0).
 *
 * @param x The input.
 * @returns relu(x).
 *
 * @example
 * ```ts
 * import { relu } from "@lowbit/nn/ops";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...relu(Variable.from([-1, 2])).data], [0, 2]);
 * ```
 */
export function relu(x: Variable): Variable {
  return unary("relu", x);
}

function checkSame(op: string, a: Variable, b: Variable): void {
  if (!shapesEqual(a.shape, b.shape)) {
    throw new RangeError(
      `${op}: shapes must match; got a ${formatShape(a.shape)} and b ${formatShape(b.shape)}`,
    );
  }
}

/**
 * Elementwise a + b (same shapes; the residual add).
 *
 * @param a First input.
 * @param b Second input.
 * @returns a + b.
 * @throws {RangeError} If the shapes differ (the message names both).
 *
 * @example
 * ```ts
 * import { add } from "@lowbit/nn/ops";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...add(Variable.from([1, 2]), Variable.from([3, 4])).data], [4, 6]);
 * ```
 */
export function add(a: Variable, b: Variable): Variable {
  checkSame("add", a, b);
  const out = new Float32Array(a.size);
  for (let i = 0; i < out.length; i++) out[i] = a.data[i] + b.data[i];
  return record("add", out, a.shape, [a, b], (g) => {
    accumulate(a, g);
    accumulate(b, g);
  });
}

/**
 * Elementwise a − b (same shapes).
 *
 * @param a First input.
 * @param b Second input.
 * @returns a − b.
 * @throws {RangeError} If the shapes differ.
 *
 * @example
 * ```ts
 * import { sub } from "@lowbit/nn/ops";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...sub(Variable.from([1, 2]), Variable.from([3, 5])).data], [-2, -3]);
 * ```
 */
export function sub(a: Variable, b: Variable): Variable {
  checkSame("sub", a, b);
  const out = new Float32Array(a.size);
  for (let i = 0; i < out.length; i++) out[i] = a.data[i] - b.data[i];
  return record("sub", out, a.shape, [a, b], (g) => {
    accumulate(a, g);
    accumulate(b, g.map((v) => -v));
  });
}

/**
 * Elementwise a ⊙ b (same shapes).
 *
 * @param a First input.
 * @param b Second input.
 * @returns a ⊙ b.
 * @throws {RangeError} If the shapes differ.
 *
 * @example
 * ```ts
 * import { mul } from "@lowbit/nn/ops";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...mul(Variable.from([1, 2]), Variable.from([3, -4])).data], [3, -8]);
 * ```
 */
export function mul(a: Variable, b: Variable): Variable {
  checkSame("mul", a, b);
  const ad = a.data, bd = b.data;
  const out = new Float32Array(a.size);
  for (let i = 0; i < out.length; i++) out[i] = ad[i] * bd[i];
  return record("mul", out, a.shape, [a, b], (g) => {
    if (a.requiresGrad) accumulate(a, g.map((v, i) => v * bd[i]));
    if (b.requiresGrad) accumulate(b, g.map((v, i) => v * ad[i]));
  });
}

/**
 * Adds a per-channel bias along axis 1 (`[N, C, ...]`, C = b.length).
 *
 * @param x The input, at least 2-D.
 * @param b The bias, shape `[C]`.
 * @returns x + b broadcast over axis 1.
 * @throws {RangeError} If the shapes do not fit.
 *
 * @example
 * ```ts
 * import { addChannelBias } from "@lowbit/nn/ops";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * const y = addChannelBias(Variable.zeros([1, 2, 2]), Variable.from([1, -1]));
 * deepEqual([...y.data], [1, 1, -1, -1]);
 * ```
 */
export function addChannelBias(x: Variable, b: Variable): Variable {
  if (x.shape.length < 2 || b.shape.length !== 1 || b.size !== x.shape[1]) {
    throw new RangeError(
      `addChannelBias: bias ${formatShape(b.shape)} must be [C] for x ${formatShape(x.shape)}`,
    );
  }
  const c = x.shape[1], n = x.shape[0], inner = x.size / (n * c);
  const out = new Float32Array(x.size);
  for (let i = 0, o = 0; i < n; i++) {
    for (let j = 0; j < c; j++) {
      const bj = b.data[j];
      for (let k = 0; k < inner; k++, o++) out[o] = x.data[o] + bj;
    }
  }
  return record("addChannelBias", out, x.shape, [x, b], (g) => {
    accumulate(x, g);
    if (!b.requiresGrad) return;
    const gb = new Float32Array(c);
    for (let i = 0, o = 0; i < n; i++) {
      for (let j = 0; j < c; j++) {
        let s = 0;
        for (let k = 0; k < inner; k++, o++) s += g[o];
        gb[j] += s;
      }
    }
    accumulate(b, gb);
  });
}

/**
 * The fully connected layer Y = X·Wᵀ + b (PyTorch layout: W is `[out, in]`), on gemmF32.
 *
 * @param x Input `[N, in]`.
 * @param w Weight `[out, in]`.
 * @param b Optional bias `[out]`.
 * @returns Y `[N, out]`.
 * @throws {RangeError} If the shapes do not fit (the message names them).
 *
 * @example
 * ```ts
 * import { linear } from "@lowbit/nn/ops";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * const y = linear(Variable.from([1, 2], [1, 2]), Variable.from([3, 4], [1, 2]), Variable.from([1]));
 * deepEqual([...y.data], [12]);
 * ```
 */
export function linear(x: Variable, w: Variable, b?: Variable): Variable {
  if (x.shape.length !== 2 || w.shape.length !== 2 || x.shape[1] !== w.shape[1]) {
    throw new RangeError(
      `linear: input ${formatShape(x.shape)} does not fit weight ${
        formatShape(w.shape)
      } (expected input [N, ${w.shape[1]}])`,
    );
  }
  const [n, k] = x.shape, m = w.shape[0];
  if (b !== undefined && (b.shape.length !== 1 || b.size !== m)) {
    throw new RangeError(`linear: bias ${formatShape(b.shape)} must be [${m}]`);
  }
  const out = gemmF32(n, m, k, x.data, w.data, { transB: true, bias: b?.data });
  const parents = b === undefined ? [x, w] : [x, w, b];
  return record("linear", out, [n, m], parents, (g) => {
    if (x.requiresGrad) accumulate(x, gemmF32(n, k, m, g, w.data));
    if (w.requiresGrad) accumulate(w, gemmF32(m, k, n, g, x.data, { transA: true }));
    if (b !== undefined && b.requiresGrad) {
      const gb = new Float32Array(m);
      for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) gb[j] += g[i * m + j];
      accumulate(b, gb);
    }
  });
}

/**
 * Inverted dropout: zeroes each element with probability `p` (seeded) and scales the rest by
 * 1/(1 − p), so the expectation is unchanged; the identity when `p` is 0.
 *
 * @param x The input.
 * @param p The drop probability in [0, 1).
 * @param random The seeded source of the Bernoulli draws.
 * @returns The masked, rescaled input.
 * @throws {RangeError} If `p` is outside [0, 1).
 *
 * @example
 * ```ts
 * import { dropout } from "@lowbit/nn/ops";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { ok } from "node:assert/strict";
 * const y = dropout(Variable.from(new Array(1000).fill(1)), 0.5, new Philox(1));
 * ok(y.data.every((v) => v === 0 || v === 2));
 * ```
 */
export function dropout(x: Variable, p: number, random: Uint32Source): Variable {
  if (typeof p !== "number" || !(p >= 0 && p < 1)) {
    throw new RangeError(`p must be a number in [0, 1); got ${String(p)}`);
  }
  if (p === 0) return x;
  const keep = 1 / (1 - p);
  const threshold = Math.floor(p * 4294967296);
  const mask = new Float32Array(x.size);
  for (let i = 0; i < mask.length; i++) mask[i] = random.nextUint32() >= threshold ? keep : 0;
  const out = new Float32Array(x.size);
  for (let i = 0; i < out.length; i++) out[i] = x.data[i] * mask[i];
  return record("dropout", out, x.shape, [x], (g) => {
    accumulate(x, g.map((v, i) => v * mask[i]));
  });
}
