/**
 * Parameter-free layers: activations (ReLU, ReLU6, GELU, hard-swish), pooling (max, average,
 * global average), Flatten, seeded Dropout, and the residual block y = body(x) + shortcut(x).
 *
 * @example
 * ```ts
 * import { Flatten, ReLU } from "@lowbit/nn/layers";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(new Flatten().forward(Variable.zeros([2, 3, 4])).shape, [2, 12]);
 * deepEqual([...new ReLU().forward(Variable.from([-1, 1])).data], [0, 1]);
 * ```
 *
 * @module
 */

import { formatShape, shapesEqual } from "@lowbit/tensor/shape";
import type { Variable } from "./autograd.ts";
import { Module } from "./module.ts";
import { add, dropout, type Uint32Source, unary, type UnaryName } from "./ops.ts";
import { avgPool2d, globalAvgPool, maxPool2d, type Pool2dOptions } from "./ops_pool.ts";

/**
 * A pointwise activation layer (a row of the `UNARY` table).
 *
 * @example
 * ```ts
 * import { Activation } from "@lowbit/nn/layers";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...new Activation("relu6").forward(Variable.from([7])).data], [6]);
 * ```
 */
export class Activation extends Module {
  /** Which activation. */
  readonly kind: UnaryName;

  /**
   * Makes the layer.
   *
   * @param kind The activation's name in the table.
   */
  constructor(kind: UnaryName) {
    super();
    this.kind = kind;
  }

  /**
   * Applies the activation.
   *
   * @param x Any shape.
   * @returns Same shape.
   */
  forward(x: Variable): Variable {
    return unary(this.kind, x);
  }

  /**
   * The activation's name.
   *
   * @returns e.g. `relu()`.
   */
  describe(): string {
    return `${this.kind}()`;
  }
}

/**
 * max(x, 0).
 *
 * @example
 * ```ts
 * import { ReLU } from "@lowbit/nn/layers";
 * import { equal } from "node:assert/strict";
 * equal(new ReLU().kind, "relu");
 * ```
 */
export class ReLU extends Activation {
  /** Makes the layer. */
  constructor() {
    super("relu");
  }
}

/**
 * min(max(x, 0), 6).
 *
 * @example
 * ```ts
 * import { ReLU6 } from "@lowbit/nn/layers";
 * import { equal } from "node:assert/strict";
 * equal(new ReLU6().kind, "relu6");
 * ```
 */
export class ReLU6 extends Activation {
  /** Makes the layer. */
  constructor() {
    super("relu6");
  }
}

/**
 * x·Φ(x) (exact GELU with erf).
 *
 * @example
 * ```ts
 * import { GELU } from "@lowbit/nn/layers";
 * import { equal } from "node:assert/strict";
 * equal(new GELU().kind, "gelu");
 * ```
 */
export class GELU extends Activation {
  /** Makes the layer. */
  constructor() {
    super("gelu");
  }
}

/**
 * x·relu6(x + 3)/6 (MobileNetV3).
 *
 * @example
 * ```ts
 * import { HardSwish } from "@lowbit/nn/layers";
 * import { equal } from "node:assert/strict";
 * equal(new HardSwish().kind, "hardSwish");
 * ```
 */
export class HardSwish extends Activation {
  /** Makes the layer. */
  constructor() {
    super("hardSwish");
  }
}

function poolText(name: string, o: Pool2dOptions): string {
  const f = (v: number | readonly number[]) => (typeof v === "number" ? `${v}` : v.join("×"));
  return `${name}(k=${f(o.kernel)}, s=${f(o.stride ?? o.kernel)}, p=${f(o.padding ?? 0)})`;
}

/**
 * 2-D max pooling over `[N, C, H, W]`.
 *
 * @example
 * ```ts
 * import { MaxPool2d } from "@lowbit/nn/layers";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(new MaxPool2d({ kernel: 2 }).forward(Variable.zeros([1, 8, 28, 28])).shape, [1, 8, 14, 14]);
 * ```
 */
export class MaxPool2d extends Module {
  /** The window. */
  readonly options: Pool2dOptions;

  /**
   * Makes the layer.
   *
   * @param options Kernel, stride (default kernel), padding.
   */
  constructor(options: Pool2dOptions) {
    super();
    this.options = options;
  }

  /**
   * Pools.
   *
   * @param x `[N, C, H, W]`.
   * @returns `[N, C, outH, outW]`.
   */
  forward(x: Variable): Variable {
    return maxPool2d(x, this.options);
  }

  /**
   * The window.
   *
   * @returns e.g. `MaxPool2d(k=2, s=2, p=0)`.
   */
  describe(): string {
    return poolText("MaxPool2d", this.options);
  }
}

/**
 * 2-D average pooling over `[N, C, H, W]` (padding counted).
 *
 * @example
 * ```ts
 * import { AvgPool2d } from "@lowbit/nn/layers";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...new AvgPool2d({ kernel: 2 }).forward(Variable.from([1, 2, 3, 4], [1, 1, 2, 2])).data], [2.5]);
 * ```
 */
export class AvgPool2d extends Module {
  /** The window. */
  readonly options: Pool2dOptions;

  /**
   * Makes the layer.
   *
   * @param options Kernel, stride (default kernel), padding.
   */
  constructor(options: Pool2dOptions) {
    super();
    this.options = options;
  }

  /**
   * Pools.
   *
   * @param x `[N, C, H, W]`.
   * @returns `[N, C, outH, outW]`.
   */
  forward(x: Variable): Variable {
    return avgPool2d(x, this.options);
  }

  /**
   * The window.
   *
   * @returns e.g. `AvgPool2d(k=2, s=2, p=0)`.
   */
  describe(): string {
    return poolText("AvgPool2d", this.options);
  }
}

/**
 * Global average pooling `[N, C, H, W]` → `[N, C]`.
 *
 * @example
 * ```ts
 * import { GlobalAvgPool } from "@lowbit/nn/layers";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(new GlobalAvgPool().forward(Variable.zeros([2, 5, 3, 3])).shape, [2, 5]);
 * ```
 */
export class GlobalAvgPool extends Module {
  /**
   * Averages each plane.
   *
   * @param x `[N, C, H, W]`.
   * @returns `[N, C]`.
   */
  forward(x: Variable): Variable {
    return globalAvgPool(x);
  }

  /**
   * The name.
   *
   * @returns `GlobalAvgPool()`.
   */
  describe(): string {
    return "GlobalAvgPool()";
  }
}

/**
 * `[N, d1, d2, ...]` → `[N, d1·d2·...]` (a view).
 *
 * @example
 * ```ts
 * import { Flatten } from "@lowbit/nn/layers";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(new Flatten().forward(Variable.zeros([3, 16, 7, 7])).shape, [3, 784]);
 * ```
 */
export class Flatten extends Module {
  /**
   * Flattens all but the batch axis.
   *
   * @param x At least 1-D.
   * @returns `[N, rest]`.
   * @throws {RangeError} On a 0-D input.
   */
  forward(x: Variable): Variable {
    if (x.shape.length < 1) throw new RangeError(`Flatten expects [N, ...], got []`);
    return x.reshape([x.shape[0], x.shape[0] === 0 ? 0 : x.size / x.shape[0]]);
  }

  /**
   * The name.
   *
   * @returns `Flatten()`.
   */
  describe(): string {
    return "Flatten()";
  }
}

/**
 * Inverted dropout in training mode (seeded; the identity in evaluation mode).
 *
 * @example
 * ```ts
 * import { Dropout } from "@lowbit/nn/layers";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { deepEqual } from "node:assert/strict";
 * const d = new Dropout(0.5, { random: new Philox(1) }).eval();
 * deepEqual([...d.forward(Variable.from([1, 2])).data], [1, 2]);
 * ```
 */
export class Dropout extends Module {
  /** Drop probability. */
  readonly p: number;
  readonly #random: Uint32Source;

  /**
   * Makes the layer.
   *
   * @param p Drop probability in [0, 1).
   * @param options The seeded source of the masks.
   * @throws {RangeError} If `p` is outside [0, 1).
   */
  constructor(p: number, options: { random: Uint32Source }) {
    super();
    if (typeof p !== "number" || !(p >= 0 && p < 1)) {
      throw new RangeError(`p must be a number in [0, 1); got ${String(p)}`);
    }
    this.p = p;
    this.#random = options.random;
  }

  /**
   * Drops (training) or passes (evaluation).
   *
   * @param x Any shape.
   * @returns Same shape.
   */
  forward(x: Variable): Variable {
    return this.training ? dropout(x, this.p, this.#random) : x;
  }

  /**
   * The name.
   *
   * @returns e.g. `Dropout(0.5)`.
   */
  describe(): string {
    return `Dropout(${this.p})`;
  }
}

/**
 * The residual block y = body(x) + shortcut(x) (shortcut: identity when omitted).
 *
 * @example
 * ```ts
 * import { ReLU, Residual } from "@lowbit/nn/layers";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...new Residual(new ReLU()).forward(Variable.from([-1, 2])).data], [-1, 4]);
 * ```
 */
export class Residual extends Module {
  /** The main branch. */
  readonly body: Module;
  /** The shortcut branch, or null for the identity. */
  readonly shortcut: Module | null;

  /**
   * Makes the block (children `body` and `shortcut`).
   *
   * @param body The main branch.
   * @param shortcut The projection shortcut (default identity).
   */
  constructor(body: Module, shortcut?: Module) {
    super();
    this.body = this.registerModule("body", body);
    this.shortcut = shortcut === undefined ? null : this.registerModule("shortcut", shortcut);
  }

  /**
   * body(x) + shortcut(x).
   *
   * @param x The input.
   * @returns The sum.
   * @throws {RangeError} If the two branches' shapes differ (the message names both).
   */
  forward(x: Variable): Variable {
    const a = this.body.forward(x);
    const b = this.shortcut === null ? x : this.shortcut.forward(x);
    if (!shapesEqual(a.shape, b.shape)) {
      throw new RangeError(
        `Residual: body output ${formatShape(a.shape)} and shortcut output ${
          formatShape(b.shape)
        } differ`,
      );
    }
    return add(a, b);
  }

  /**
   * The branches.
   *
   * @returns e.g. `Residual(body, shortcut)`.
   */
  describe(): string {
    return `Residual(${this.body.describe()}${
      this.shortcut ? `, ${this.shortcut.describe()}` : ""
    })`;
  }
}
