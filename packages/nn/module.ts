/**
 * The model API: {@linkcode Module} (named parameters, buffers and children, train/eval mode,
 * state dicts) and {@linkcode Sequential}, which chains named layers and turns a shape error
 * inside a layer into a message naming that layer, the layer before it, and both shapes.
 * Parameter names are dotted paths like PyTorch's (`conv1.weight`, `block.body.0.bias`).
 *
 * @example
 * ```ts
 * import { Linear, ReLU, Sequential } from "@lowbit/nn";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { deepEqual } from "node:assert/strict";
 * const random = new Philox(1);
 * const mlp = new Sequential([["fc1", new Linear(4, 3, { random })], ["relu", new ReLU()], ["fc2", new Linear(3, 2, { random })]]);
 * deepEqual(mlp.namedParameters().map(([n]) => n), ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]);
 * ```
 *
 * @module
 */

import { formatShape, shapesEqual } from "@lowbit/tensor/shape";
import type { Variable } from "./autograd.ts";

/** A named tensor of a state dict: float32 values and their shape (a copy). */
export interface StateTensor {
  /** Row-major values. */
  data: Float32Array;
  /** Dimensions. */
  shape: readonly number[];
}

/** Parameters and buffers by dotted name, in registration order. */
export type StateDict = Map<string, StateTensor>;

/** A buffer: non-trained state such as running statistics. */
export interface Buffer {
  /** The values (updated in place by the owner). */
  data: Float32Array;
  /** Dimensions. */
  shape: readonly number[];
}

/**
 * Base class of layers and models.
 *
 * @example
 * ```ts
 * import { Module, Variable } from "@lowbit/nn";
 * import { equal } from "node:assert/strict";
 * class Scale extends Module {
 *   w: Variable;
 *   constructor() {
 *     super();
 *     this.w = this.registerParameter("w", Variable.from([2], [1], { requiresGrad: true }));
 *   }
 *   forward(x: Variable): Variable {
 *     return x.mulScalar(this.w.data[0]);
 *   }
 *   describe(): string {
 *     return "Scale";
 *   }
 * }
 * equal(new Scale().forward(Variable.from([3])).data[0], 6);
 * ```
 */
export abstract class Module {
  #params = new Map<string, Variable>();
  #buffers = new Map<string, Buffer>();
  #children = new Map<string, Module>();
  #training = true;

  /**
   * Runs the layer.
   *
   * @param x The input.
   * @returns The output.
   */
  abstract forward(x: Variable): Variable;

  /**
   * A short description for messages, e.g. `Linear(784→256)`.
   *
   * @returns The description.
   */
  abstract describe(): string;

  /** Whether the module is in training mode (batch statistics, dropout on). */
  get training(): boolean {
    return this.#training;
  }

  /**
   * Registers a trainable parameter under `name` (it is marked `requiresGrad`).
   *
   * @param name The local name (no dots).
   * @param v The parameter.
   * @returns `v`.
   * @throws {RangeError} If the name is taken or contains a dot.
   */
  protected registerParameter(name: string, v: Variable): Variable {
    this.#checkName(name);
    v.requiresGrad = true;
    this.#params.set(name, v);
    return v;
  }

  /**
   * Registers a buffer (saved in the state dict, not trained).
   *
   * @param name The local name.
   * @param data The values.
   * @param shape The dimensions.
   * @returns The buffer.
   * @throws {RangeError} If the name is taken or contains a dot.
   */
  protected registerBuffer(name: string, data: Float32Array, shape: readonly number[]): Buffer {
    this.#checkName(name);
    const b = { data, shape: [...shape] };
    this.#buffers.set(name, b);
    return b;
  }

  /**
   * Registers a child module.
   *
   * @param name The local name.
   * @param m The child.
   * @returns `m`.
   * @throws {RangeError} If the name is taken or contains a dot.
   */
  protected registerModule<M extends Module>(name: string, m: M): M {
    this.#checkName(name);
    this.#children.set(name, m);
    return m;
  }

  #checkName(name: string): void {
    if (name === "" || name.includes(".")) {
      throw new RangeError(`name must be non-empty without dots; got "${name}"`);
    }
    if (this.#params.has(name) || this.#buffers.has(name) || this.#children.has(name)) {
      throw new RangeError(`name "${name}" is already registered in ${this.describe()}`);
    }
  }

  /**
   * The direct children with their names.
   *
   * @returns `[name, module]` pairs in registration order.
   */
  namedChildren(): [string, Module][] {
    return [...this.#children];
  }

  /**
   * Every parameter of this module and its descendants, with dotted names.
   *
   * @returns `[name, parameter]` pairs (own first, then children in order).
   */
  namedParameters(): [string, Variable][] {
    const out: [string, Variable][] = [...this.#params];
    for (const [c, m] of this.#children) {
      for (const [n, v] of m.namedParameters()) out.push([`${c}.${n}`, v]);
    }
    return out;
  }

  /**
   * Every trainable parameter (each once, even if shared).
   *
   * @returns The parameters.
   */
  parameters(): Variable[] {
    return [...new Set(this.namedParameters().map(([, v]) => v))];
  }

  /**
   * Every buffer with dotted names.
   *
   * @returns `[name, buffer]` pairs.
   */
  namedBuffers(): [string, Buffer][] {
    const out: [string, Buffer][] = [...this.#buffers];
    for (const [c, m] of this.#children) {
      for (const [n, b] of m.namedBuffers()) out.push([`${c}.${n}`, b]);
    }
    return out;
  }

  /**
   * Sets training (true) or evaluation (false) mode here and in every descendant.
   *
   * @param mode The mode (default true).
   * @returns this.
   */
  train(mode = true): this {
    this.#training = mode;
    for (const m of this.#children.values()) m.train(mode);
    return this;
  }

  /**
   * Evaluation mode (running statistics, no dropout).
   *
   * @returns this.
   */
  eval(): this {
    return this.train(false);
  }

  /**
   * A copy of every parameter and buffer by name (per module: parameters, buffers, then the
   * children in order, like PyTorch).
   *
   * @returns The state dict.
   */
  stateDict(): StateDict {
    const sd: StateDict = new Map();
    const collect = (m: Module, prefix: string) => {
      for (const [n, v] of m.#params) sd.set(prefix + n, { data: v.data.slice(), shape: v.shape });
      for (const [n, b] of m.#buffers) sd.set(prefix + n, { data: b.data.slice(), shape: b.shape });
      for (const [n, c] of m.#children) collect(c, `${prefix}${n}.`);
    };
    collect(this, "");
    return sd;
  }

  /**
   * Copies values from a state dict into the parameters and buffers (in place).
   *
   * @param sd Tensors by dotted name.
   * @param options `strict` (default true): every name must be present on both sides.
   * @throws {RangeError} On a missing or unexpected name, or a shape mismatch (the message
   *   names the tensor and both shapes).
   */
  loadStateDict(sd: StateDict, options: { strict?: boolean } = {}): void {
    const strict = options.strict ?? true;
    const targets = new Map<string, { data: Float32Array; shape: readonly number[] }>();
    for (const [n, v] of this.namedParameters()) targets.set(n, v);
    for (const [n, b] of this.namedBuffers()) targets.set(n, b);
    if (strict) {
      const missing = [...targets.keys()].filter((n) => !sd.has(n));
      const extra = [...sd.keys()].filter((n) => !targets.has(n));
      if (missing.length > 0 || extra.length > 0) {
        throw new RangeError(
          `state dict does not match ${this.describe()}: missing [${
            missing.join(", ")
          }], unexpected [${extra.join(", ")}]`,
        );
      }
    }
    for (const [n, t] of targets) {
      const src = sd.get(n);
      if (src === undefined) continue;
      if (!shapesEqual(src.shape, t.shape)) {
        throw new RangeError(
          `state dict tensor "${n}" has shape ${formatShape(src.shape)}; the model expects ${
            formatShape(t.shape)
          }`,
        );
      }
      t.data.set(src.data);
    }
  }
}

/**
 * Checks a layer's input shape against a pattern (`null` entries match any size).
 *
 * @param layer The layer's description (for the message).
 * @param x The input.
 * @param pattern The expected shape; `null` marks a free dimension.
 * @throws {RangeError} Naming the layer, the expected and the actual shape.
 *
 * @example
 * ```ts
 * import { expectShape, Variable } from "@lowbit/nn";
 * import { throws } from "node:assert/strict";
 * throws(() => expectShape("Linear(784→10)", Variable.zeros([2, 100]), [null, 784]), /expects input \[N, 784\], got \[2, 100\]/);
 * ```
 */
export function expectShape(
  layer: string,
  x: Variable,
  pattern: readonly (number | null)[],
): void {
  const ok = x.shape.length === pattern.length &&
    pattern.every((d, i) => d === null || d === x.shape[i]);
  if (!ok) {
    const names = ["N", "C", "H", "W"];
    const want = pattern.map((d, i) => (d === null ? names[i] ?? "*" : String(d)));
    throw new RangeError(
      `${layer} expects input [${want.join(", ")}], got ${formatShape(x.shape)}`,
    );
  }
}

/** A layer list entry: a module, or `[name, module]`. */
export type SequentialEntry = Module | readonly [string, Module];

/**
 * Layers applied in order; children are named by the given names or by their index.
 *
 * @example
 * ```ts
 * import { Flatten, Linear, Sequential, Variable } from "@lowbit/nn";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { throws } from "node:assert/strict";
 * const net = new Sequential([new Flatten(), new Linear(10, 2, { random: new Philox(0) })]);
 * throws(() => net.forward(Variable.zeros([1, 3, 3])), /layer "1" Linear\(10→2\)/);
 * ```
 */
export class Sequential extends Module {
  #layers: [string, Module][] = [];

  /**
   * Makes the chain.
   *
   * @param layers Modules or `[name, module]` pairs.
   * @throws {RangeError} On duplicate or dotted names.
   */
  constructor(layers: readonly SequentialEntry[]) {
    super();
    layers.forEach((e, i) => {
      const [name, m] = e instanceof Module ? [String(i), e] : e;
      this.registerModule(name, m);
      this.#layers.push([name, m]);
    });
  }

  /** The layers with their names. */
  get layers(): readonly (readonly [string, Module])[] {
    return this.#layers;
  }

  /**
   * Applies every layer in order.
   *
   * @param x The input.
   * @returns The last layer's output.
   * @throws {RangeError} When a layer rejects its input: the message names the layer, the
   *   previous layer and the shapes.
   */
  forward(x: Variable): Variable {
    let prev = "the input";
    for (const [name, m] of this.#layers) {
      try {
        x = m.forward(x);
      } catch (e) {
        if (e instanceof RangeError && !e.message.startsWith("layer ")) {
          throw new RangeError(
            `layer "${name}" ${m.describe()} (fed ${
              formatShape(x.shape)
            } by ${prev}): ${e.message}`,
          );
        }
        throw e;
      }
      prev = `layer "${name}" ${m.describe()}`;
    }
    return x;
  }

  /**
   * One line per layer.
   *
   * @returns `Sequential(name: description, ...)`.
   */
  describe(): string {
    return `Sequential(${this.#layers.map(([n, m]) => `${n}: ${m.describe()}`).join(", ")})`;
  }
}
