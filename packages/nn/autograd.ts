/**
 * Reverse-mode automatic differentiation over float32 tensors (micrograd style, one small
 * core). A {@linkcode Variable} holds row-major float32 data, its shape, and — once
 * {@linkcode Variable.backward} has run — the gradient of a scalar with respect to it. Every op
 * (see `ops.ts` for the table of gradient rules) builds its output with {@linkcode record},
 * which stores the parents and a closure that turns the output's gradient into the parents'.
 *
 * Gradients accumulate (`+=`) into `grad`, so a value used twice receives both contributions;
 * {@linkcode Variable.zeroGrad} (or an optimizer's `zeroGrad`) clears them between steps.
 * Inside {@linkcode noGrad} no graph is recorded (evaluation runs without closures).
 *
 * @example d(x·x)/dx = 2x
 * ```ts
 * import { Variable } from "@lowbit/nn/autograd";
 * import { mul } from "@lowbit/nn/ops";
 * import { deepEqual } from "node:assert/strict";
 * const x = Variable.from([3, -1], [2], { requiresGrad: true });
 * mul(x, x).sum().backward();
 * deepEqual([...x.grad!], [6, -2]);
 * ```
 *
 * @module
 */

import { formatShape, shapeSize } from "@lowbit/tensor/shape";

/** Options of the {@linkcode Variable} constructor. */
export interface VariableOptions {
  /** Collect a gradient for this value in `backward()` (parameters, inputs under test). */
  requiresGrad?: boolean;
}

/** The closure that propagates an output gradient to the parents. */
export type BackwardFn = (gradOut: Float32Array) => void;

let gradEnabled = true;

/**
 * Runs `fn` without recording a graph (evaluation): outputs of ops do not require gradients.
 *
 * @param fn The computation.
 * @returns What `fn` returns.
 *
 * @example
 * ```ts
 * import { noGrad, Variable } from "@lowbit/nn/autograd";
 * import { equal } from "node:assert/strict";
 * const w = Variable.from([2], [1], { requiresGrad: true });
 * equal(noGrad(() => w.mulScalar(3)).requiresGrad, false);
 * ```
 */
export function noGrad<T>(fn: () => T): T {
  const saved = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = saved;
  }
}

/**
 * Whether ops record a graph now (false inside {@linkcode noGrad}).
 *
 * @returns The current mode.
 *
 * @example
 * ```ts
 * import { isGradEnabled, noGrad } from "@lowbit/nn/autograd";
 * import { equal } from "node:assert/strict";
 * equal(isGradEnabled(), true);
 * equal(noGrad(isGradEnabled), false);
 * ```
 */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/**
 * A node of the computation graph: float32 data (row-major), shape, optional gradient.
 *
 * @example
 * ```ts
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual, equal } from "node:assert/strict";
 * const v = Variable.zeros([2, 3]);
 * deepEqual(v.shape, [2, 3]);
 * equal(v.size, 6);
 * ```
 */
export class Variable {
  /** The values, row-major. */
  data: Float32Array;
  /** The dimensions. */
  readonly shape: readonly number[];
  /** ∂(scalar)/∂this after `backward()`, or null. */
  grad: Float32Array | null = null;
  /** Whether `backward()` collects a gradient for this value. */
  requiresGrad: boolean;
  /** The op that made this value (`"leaf"` for inputs and parameters). */
  readonly op: string;
  #parents: readonly Variable[];
  #backward: BackwardFn | null;

  /**
   * Wraps data and shape (no copy).
   *
   * @param data Row-major float32 values.
   * @param shape Dimensions whose product is `data.length`.
   * @param options `requiresGrad`.
   * @throws {TypeError} If `data` is not a Float32Array.
   * @throws {RangeError} If the shape is invalid or does not match the length.
   */
  constructor(data: Float32Array, shape: readonly number[], options: VariableOptions = {}) {
    if (!(data instanceof Float32Array)) throw new TypeError("data must be a Float32Array");
    const size = shapeSize(shape);
    if (size !== data.length) {
      throw new RangeError(
        `shape ${formatShape(shape)} holds ${size} values but data has length ${data.length}`,
      );
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.requiresGrad = options.requiresGrad ?? false;
    this.op = "leaf";
    this.#parents = [];
    this.#backward = null;
  }

  /**
   * A Variable from numbers.
   *
   * @param values The values, row-major.
   * @param shape The shape (default `[values.length]`).
   * @param options `requiresGrad`.
   * @returns A new leaf.
   *
   * @example
   * ```ts
   * import { Variable } from "@lowbit/nn/autograd";
   * import { deepEqual } from "node:assert/strict";
   * deepEqual([...Variable.from([1, 2, 3, 4], [2, 2]).data], [1, 2, 3, 4]);
   * ```
   */
  static from(
    values: ArrayLike<number>,
    shape: readonly number[] = [values.length],
    options: VariableOptions = {},
  ): Variable {
    return new Variable(Float32Array.from(values), shape, options);
  }

  /**
   * A Variable of zeros.
   *
   * @param shape The shape.
   * @param options `requiresGrad`.
   * @returns A new leaf.
   *
   * @example
   * ```ts
   * import { Variable } from "@lowbit/nn/autograd";
   * import { equal } from "node:assert/strict";
   * equal(Variable.zeros([4]).data[3], 0);
   * ```
   */
  static zeros(shape: readonly number[], options: VariableOptions = {}): Variable {
    return new Variable(new Float32Array(shapeSize(shape)), shape, options);
  }

  /** The number of elements. */
  get size(): number {
    return this.data.length;
  }

  /** The parents in the graph (empty for a leaf). */
  get parents(): readonly Variable[] {
    return this.#parents;
  }

  /**
   * Backpropagates from this value: seeds ∂this/∂this (ones for a scalar, or `gradOut`) and
   * runs every recorded backward closure in reverse topological order.
   *
   * @param gradOut The seed gradient; required unless this is a single element.
   * @throws {RangeError} If `gradOut` is missing for a non-scalar or has the wrong length.
   *
   * @example
   * ```ts
   * import { Variable } from "@lowbit/nn/autograd";
   * import { deepEqual } from "node:assert/strict";
   * const x = Variable.from([1, 2], [2], { requiresGrad: true });
   * x.mulScalar(5).sum().backward();
   * deepEqual([...x.grad!], [5, 5]);
   * ```
   */
  backward(gradOut?: Float32Array): void {
    if (gradOut === undefined) {
      if (this.size !== 1) {
        throw new RangeError(
          `backward() without gradOut needs a single-element value; this has shape ${
            formatShape(this.shape)
          }`,
        );
      }
      gradOut = new Float32Array([1]);
    } else if (gradOut.length !== this.size) {
      throw new RangeError(`gradOut must have length ${this.size}; got ${gradOut.length}`);
    }
    const order: Variable[] = [];
    const seen = new Set<Variable>();
    // Iterative post-order DFS (deep graphs would overflow a recursive one).
    const stack: [Variable, number][] = [[this, 0]];
    seen.add(this);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const [v, i] = top;
      if (i < v.#parents.length) {
        top[1]++;
        const p = v.#parents[i];
        if (!seen.has(p) && p.requiresGrad) {
          seen.add(p);
          stack.push([p, 0]);
        }
      } else {
        stack.pop();
        order.push(v);
      }
    }
    accumulate(this, gradOut);
    for (let i = order.length - 1; i >= 0; i--) {
      const v = order[i];
      if (v.#backward !== null && v.grad !== null) v.#backward(v.grad);
    }
  }

  /** Clears the gradient. */
  zeroGrad(): void {
    this.grad = null;
  }

  /**
   * A new leaf with the same data (shared) and no history.
   *
   * @returns The detached value.
   *
   * @example
   * ```ts
   * import { Variable } from "@lowbit/nn/autograd";
   * import { equal } from "node:assert/strict";
   * const x = Variable.from([1], [1], { requiresGrad: true });
   * equal(x.mulScalar(2).detach().requiresGrad, false);
   * ```
   */
  detach(): Variable {
    return new Variable(this.data, this.shape);
  }

  /**
   * The sum of all elements (accumulated in float64) as a `[1]` Variable.
   *
   * @returns Σ x.
   *
   * @example
   * ```ts
   * import { Variable } from "@lowbit/nn/autograd";
   * import { equal } from "node:assert/strict";
   * equal(Variable.from([1, 2, 3.5]).sum().data[0], 6.5);
   * ```
   */
  sum(): Variable {
    let s = 0;
    for (let i = 0; i < this.data.length; i++) s += this.data[i];
    const n = this.size;
    return record("sum", new Float32Array([s]), [1], [this], (g) => {
      const gx = new Float32Array(n).fill(g[0]);
      accumulate(this, gx);
    });
  }

  /**
   * Multiplies by a constant.
   *
   * @param c The constant.
   * @returns c·x.
   *
   * @example
   * ```ts
   * import { Variable } from "@lowbit/nn/autograd";
   * import { deepEqual } from "node:assert/strict";
   * deepEqual([...Variable.from([1, -2]).mulScalar(3).data], [3, -6]);
   * ```
   */
  mulScalar(c: number): Variable {
    const out = new Float32Array(this.size);
    for (let i = 0; i < out.length; i++) out[i] = this.data[i] * c;
    return record("mulScalar", out, this.shape, [this], (g) => {
      const gx = new Float32Array(g.length);
      for (let i = 0; i < g.length; i++) gx[i] = g[i] * c;
      accumulate(this, gx);
    });
  }

  /**
   * The same data under another shape (same element count; a view sharing `data`).
   *
   * @param shape The new shape; one entry may be -1 (inferred).
   * @returns The reshaped value.
   * @throws {RangeError} If the element counts differ.
   *
   * @example
   * ```ts
   * import { Variable } from "@lowbit/nn/autograd";
   * import { deepEqual } from "node:assert/strict";
   * deepEqual(Variable.zeros([2, 3, 4]).reshape([2, -1]).shape, [2, 12]);
   * ```
   */
  reshape(shape: readonly number[]): Variable {
    const known = shape.reduce((a, d) => (d === -1 ? a : a * d), 1);
    const resolved = shape.map((d) => (d === -1 ? this.size / known : d));
    if (shapeSize(resolved) !== this.size || resolved.some((d) => !Number.isInteger(d))) {
      throw new RangeError(
        `cannot reshape ${formatShape(this.shape)} (${this.size} values) to ${formatShape(shape)}`,
      );
    }
    return record("reshape", this.data, resolved, [this], (g) => accumulate(this, g));
  }

  /** @internal Attaches history (used by {@linkcode record}). */
  static _attach(v: Variable, parents: readonly Variable[], fn: BackwardFn): void {
    v.#parents = parents;
    v.#backward = fn;
  }
}

/**
 * Builds an op's output: when grads are enabled and a parent requires one, the output
 * requires a gradient and remembers `parents` and `backward`.
 *
 * @param op The op's name (shown as `Variable.op`).
 * @param data The output values.
 * @param shape The output shape.
 * @param parents The inputs.
 * @param backward Maps ∂L/∂output to ∂L/∂inputs (via {@linkcode accumulate}).
 * @returns The output Variable.
 *
 * @example A custom op y = x + 1
 * ```ts
 * import { accumulate, record, Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * const x = Variable.from([1, 2], [2], { requiresGrad: true });
 * const y = record("plusOne", x.data.map((v) => v + 1), x.shape, [x], (g) => accumulate(x, g));
 * y.sum().backward();
 * deepEqual([...y.data, ...x.grad!], [2, 3, 1, 1]);
 * ```
 */
export function record(
  op: string,
  data: Float32Array,
  shape: readonly number[],
  parents: readonly Variable[],
  backward: BackwardFn,
): Variable {
  const needs = gradEnabled && parents.some((p) => p.requiresGrad);
  const v = new Variable(data, shape, { requiresGrad: needs });
  (v as { op: string }).op = op;
  if (needs) Variable._attach(v, parents, backward);
  return v;
}

/**
 * Adds `g` into `v.grad` (allocating it) when `v` requires a gradient; otherwise nothing.
 *
 * @param v The value receiving the gradient.
 * @param g ∂L/∂v contribution, same length as `v.data`.
 * @throws {RangeError} If the lengths differ.
 *
 * @example
 * ```ts
 * import { accumulate, Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * const v = Variable.zeros([2], { requiresGrad: true });
 * accumulate(v, new Float32Array([1, 2]));
 * accumulate(v, new Float32Array([1, 2]));
 * deepEqual([...v.grad!], [2, 4]);
 * ```
 */
export function accumulate(v: Variable, g: Float32Array): void {
  if (!v.requiresGrad) return;
  if (g.length !== v.size) {
    throw new RangeError(`gradient length ${g.length} does not match ${formatShape(v.shape)}`);
  }
  if (v.grad === null) {
    v.grad = g.length === 0 ? new Float32Array(0) : Float32Array.from(g);
    return;
  }
  const a = v.grad;
  for (let i = 0; i < a.length; i++) a[i] += g[i];
}
