/**
 * Quantization-aware training (survey §III-G, lecture 5.7): {@linkcode FakeQuant} simulates
 * b-bit quantization in the forward pass and passes gradients straight through
 * (`ops_quant.ts`), and {@linkcode prepareQat} inserts it into a {@linkcode Sequential}.
 *
 * - **Weights** (`target: "weight"`): per output channel (axis 0), signed symmetric narrow
 *   range [−(2^(b−1) − 1), 2^(b−1) − 1], Z = 0. `mode: "minmax"` recomputes
 *   S_c = max|w_c| / (2^(b−1) − 1) from the current weights each step (`qparamsFromRange`);
 *   `mode: "lsq"` learns S_c (LSQ, initialised to 2·mean|w_c|/√Qp on the first forward pass,
 *   gradient scale 1/√(N_c·Qp)).
 * - **Activations** (`target: "activation"`): per tensor, unsigned [0, 2^b − 1] by default.
 *   `mode: "minmax"` is observer-driven: in training mode each batch updates a moving-average
 *   min/max (PyTorch's `MovingAverageMinMaxObserver`: the first batch sets the range, then
 *   r ← r + c·(r_batch − r), c = 0.01), and the affine parameters come from `qparamsFromRange`;
 *   evaluation uses the frozen range. `mode: "lsq"` learns one step size; `mode: "pact"` learns
 *   the clipping level α (initialised to the first batch's maximum; put weight decay on it for
 *   PACT's L2 regulariser).
 *
 * Statistics and learned values are parameters or buffers, so they travel in the state dict
 * (`min`, `max`, `scale`, `alpha`, `initialized`).
 *
 * @example 4-bit weights: at most 15 distinct values per output channel
 * ```ts
 * import { FakeQuant } from "@lowbit/nn/qat";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { ok } from "node:assert/strict";
 * const fq = new FakeQuant({ target: "weight", bits: 4, channels: 2 });
 * const w = Variable.from(Array.from({ length: 40 }, (_, i) => Math.sin(i)), [2, 20]);
 * const q = fq.forward(w).data;
 * ok(new Set(q.subarray(0, 20)).size <= 15);
 * ```
 *
 * @module
 */

import { qparamsFromRange } from "@lowbit/quantize/params";
import { Variable } from "./autograd.ts";
import { type Buffer, Module, Sequential } from "./module.ts";
import {
  type ChannelQParams,
  fakeQuant,
  lsqQuant,
  pactQuant,
  type TensorQParams,
} from "./ops_quant.ts";
import { Activation } from "./layers.ts";

/** How a {@linkcode FakeQuant} finds its grid. */
export type FakeQuantMode = "minmax" | "lsq" | "pact";

/** Options of {@linkcode FakeQuant}. */
export interface FakeQuantOptions {
  /** `"weight"` (per channel, axis 0) or `"activation"` (per tensor). */
  target: "weight" | "activation";
  /** Bit width, 2..16. */
  bits: number;
  /** Grid: `"minmax"` (default), `"lsq"`, or `"pact"` (activations only). */
  mode?: FakeQuantMode;
  /** Output channels (weights; needed for per-channel LSQ step sizes). */
  channels?: number;
  /** Signed activation codes [−2^(b−1), 2^(b−1) − 1] (default false: [0, 2^b − 1]). */
  signed?: boolean;
  /** Moving-average constant c of the activation observer (default 0.01). */
  averagingConstant?: number;
}

/**
 * A fake quantizer with the straight-through estimator (see the module doc).
 *
 * @example Observer-driven 8-bit activations: training observes, evaluation reuses the range
 * ```ts
 * import { FakeQuant } from "@lowbit/nn/qat";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { ok } from "node:assert/strict";
 * const fq = new FakeQuant({ target: "activation", bits: 8 });
 * fq.forward(Variable.from([0, 1, 2.55]));
 * fq.eval();
 * const y = fq.forward(Variable.from([1.234, 9]));
 * ok(Math.abs(y.data[0] - 1.23) < 1e-6 && Math.abs(y.data[1] - 2.55) < 1e-6); // S = 0.01
 * ```
 */
export class FakeQuant extends Module {
  /** Bit width. */
  readonly bits: number;
  /** Weight or activation. */
  readonly target: "weight" | "activation";
  /** The grid mode. */
  readonly mode: FakeQuantMode;
  /** Smallest code. */
  readonly qmin: number;
  /** Largest code. */
  readonly qmax: number;
  /** LSQ step size(s), or null. */
  readonly scale: Variable | null = null;
  /** PACT clipping level, or null. */
  readonly alpha: Variable | null = null;
  readonly #min: Buffer | null = null;
  readonly #max: Buffer | null = null;
  readonly #initialized: Buffer;
  readonly #c: number;

  /**
   * Makes the quantizer.
   *
   * @param options Target, bits, mode, channels, signedness, averaging constant.
   * @throws {RangeError} On bits outside 2..16, PACT for weights, LSQ weights without
   *   `channels`, or an averaging constant outside (0, 1].
   */
  constructor(options: FakeQuantOptions) {
    super();
    const { bits, target } = options;
    if (!Number.isInteger(bits) || bits < 2 || bits > 16) {
      throw new RangeError(`options.bits must be an integer in [2, 16]; got ${String(bits)}`);
    }
    if (target !== "weight" && target !== "activation") {
      throw new RangeError(
        `options.target must be "weight" or "activation"; got ${String(target)}`,
      );
    }
    const mode = options.mode ?? "minmax";
    if (mode !== "minmax" && mode !== "lsq" && mode !== "pact") {
      throw new RangeError(`options.mode must be "minmax", "lsq" or "pact"; got ${String(mode)}`);
    }
    if (mode === "pact" && target === "weight") {
      throw new RangeError('options.mode "pact" clips activations; weights use "minmax" or "lsq"');
    }
    this.bits = bits;
    this.target = target;
    this.mode = mode;
    this.#c = options.averagingConstant ?? 0.01;
    if (!(this.#c > 0 && this.#c <= 1)) {
      throw new RangeError(`options.averagingConstant must be in (0, 1]; got ${this.#c}`);
    }
    if (target === "weight") {
      this.qmax = 2 ** (bits - 1) - 1;
      this.qmin = -this.qmax;
    } else if (options.signed) {
      this.qmin = -(2 ** (bits - 1));
      this.qmax = 2 ** (bits - 1) - 1;
    } else {
      this.qmin = 0;
      this.qmax = 2 ** bits - 1;
    }
    if (mode === "lsq") {
      const c = target === "weight" ? options.channels : 1;
      if (c === undefined || !Number.isInteger(c) || c < 1) {
        throw new RangeError(
          `options.channels must be a positive integer for LSQ weights; got ${String(c)}`,
        );
      }
      this.scale = this.registerParameter("scale", new Variable(new Float32Array(c).fill(1), [c]));
    } else if (mode === "pact") {
      this.alpha = this.registerParameter("alpha", Variable.from([1], [1]));
    } else if (target === "activation") {
      this.#min = this.registerBuffer("min", new Float32Array(1), [1]);
      this.#max = this.registerBuffer("max", new Float32Array(1), [1]);
    }
    this.#initialized = this.registerBuffer("initialized", new Float32Array(1), [1]);
  }

  /**
   * The current per-tensor or per-channel grid (for minmax and LSQ; PACT's is α/(2^b − 1)).
   *
   * @param w For minmax weights: the weights whose ranges define the grid.
   * @returns Scale(s), zero point(s), code range.
   * @throws {RangeError} If the quantizer has not seen data yet.
   */
  qparams(w?: Variable): TensorQParams | ChannelQParams {
    const range = { qmin: this.qmin, qmax: this.qmax };
    if (this.mode === "lsq" && this.scale !== null) {
      return this.scale.size === 1 && this.target === "activation"
        ? { scale: this.scale.data[0], zeroPoint: 0, ...range }
        : { scale: this.scale.data.slice(), zeroPoint: new Int32Array(this.scale.size), ...range };
    }
    if (this.mode === "pact" && this.alpha !== null) {
      return {
        scale: Math.fround(this.alpha.data[0] / (2 ** this.bits - 1)),
        zeroPoint: 0,
        ...range,
      };
    }
    if (this.target === "weight") {
      if (w === undefined) throw new RangeError("qparams(w): minmax weight grids need the weights");
      const c = w.shape[0], inner = w.size / c;
      const scale = new Float32Array(c);
      for (let i = 0; i < c; i++) {
        let lo = 0, hi = 0;
        for (let k = i * inner; k < (i + 1) * inner; k++) {
          if (w.data[k] < lo) lo = w.data[k];
          if (w.data[k] > hi) hi = w.data[k];
        }
        scale[i] = qparamsFromRange(lo, hi, { ...range, symmetric: true }).scale;
      }
      return { scale, zeroPoint: new Int32Array(c), ...range };
    }
    if (this.#initialized.data[0] === 0 || this.#min === null || this.#max === null) {
      throw new RangeError(
        `${this.describe()} has no statistics yet: run it in training mode first`,
      );
    }
    const p = qparamsFromRange(this.#min.data[0], this.#max.data[0], {
      ...range,
      symmetric: false,
    });
    return { ...p, ...range };
  }

  /**
   * Fake-quantizes `x` (weights `[C, ...]` or activations of any shape).
   *
   * @param x The input.
   * @returns x̂, same shape.
   * @throws {RangeError} In evaluation mode before any statistics were gathered.
   */
  forward(x: Variable): Variable {
    const first = this.#initialized.data[0] === 0;
    if (this.mode === "lsq" && this.scale !== null) {
      if (first) {
        const c = this.scale.size, inner = x.size / c;
        for (let i = 0; i < c; i++) {
          let s = 0;
          for (let k = i * inner; k < (i + 1) * inner; k++) s += Math.abs(x.data[k]);
          this.scale.data[i] = Math.max((2 * s) / inner / Math.sqrt(this.qmax), 1e-8);
        }
        this.#initialized.data[0] = 1;
      }
      return lsqQuant(x, this.scale, { qmin: this.qmin, qmax: this.qmax });
    }
    if (this.mode === "pact" && this.alpha !== null) {
      if (first) {
        let m = 0;
        for (let i = 0; i < x.size; i++) if (x.data[i] > m) m = x.data[i];
        this.alpha.data[0] = Math.max(m, 1e-3);
        this.#initialized.data[0] = 1;
      }
      if (!(this.alpha.data[0] > 0)) this.alpha.data[0] = 1e-3; // keep α a valid clip level
      return pactQuant(x, this.alpha, this.bits);
    }
    if (this.target === "weight") return fakeQuant(x, this.qparams(x) as ChannelQParams);
    if (this.training) this.#observe(x);
    return fakeQuant(x, this.qparams() as TensorQParams);
  }

  #observe(x: Variable): void {
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < x.size; i++) {
      const v = x.data[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (x.size === 0 || this.#min === null || this.#max === null) return;
    if (this.#initialized.data[0] === 0) {
      this.#min.data[0] = lo;
      this.#max.data[0] = hi;
      this.#initialized.data[0] = 1;
    } else {
      this.#min.data[0] += this.#c * (lo - this.#min.data[0]);
      this.#max.data[0] += this.#c * (hi - this.#max.data[0]);
    }
  }

  /**
   * The quantizer's settings.
   *
   * @returns e.g. `FakeQuant(weight, 4-bit, lsq)`.
   */
  describe(): string {
    return `FakeQuant(${this.target}, ${this.bits}-bit, ${this.mode})`;
  }
}

/** A layer that accepts a weight quantizer (Linear, Conv2d). */
export interface WeightQuantizable {
  /** Installs the weight transform. */
  setWeightQuant(m: Module): void;
  /** The weight `[out, ...]`. */
  readonly weight: Variable;
}

function isWeightQuantizable(m: Module): m is Module & WeightQuantizable {
  return typeof (m as Partial<WeightQuantizable>).setWeightQuant === "function";
}

/** Options of {@linkcode prepareQat}. */
export interface QatConfig {
  /** Weight bit width. */
  weightBits: number;
  /** Activation bit width (after every ReLU/ReLU6). */
  activationBits: number;
  /** Weight grid: `"minmax"` (default) or `"lsq"`. */
  weightMode?: "minmax" | "lsq";
  /** Activation grid: `"minmax"` (default, observer-driven), `"lsq"` or `"pact"`. */
  activationMode?: FakeQuantMode;
  /** Bit width of the input quantizer (minmax observer; default 8; 0 for none). */
  inputBits?: number;
  /**
   * Weight bits of individual Linear/Conv2d layers by path (e.g. `{ conv1: 8, fc: 3 }`;
   * mixed precision); the others use `weightBits`.
   */
  layerWeightBits?: Readonly<Record<string, number>>;
  /**
   * Bits of the quantizer after individual top-level activation layers by name (e.g.
   * `{ relu1: 8 }`); the others use `activationBits`.
   */
  layerActivationBits?: Readonly<Record<string, number>>;
}

/**
 * Inserts fake quantizers into a model for QAT: every Linear/Conv2d (at any depth) gets a
 * per-channel weight quantizer (`<layer>.weight_fq`), an activation quantizer follows every
 * top-level activation layer (`<name>_fq`), and an input quantizer comes first (`input_fq`).
 * The layers are shared with `model` (the weight quantizers are installed on them in place).
 *
 * Per-layer widths (`layerWeightBits`, `layerActivationBits`) give mixed precision.
 *
 * @param model The float model.
 * @param config Bit widths and modes.
 * @returns The QAT model.
 * @throws {RangeError} If a layer already has a weight quantizer, a bit width is invalid, or a
 *   per-layer entry names no such layer.
 *
 * @example
 * ```ts
 * import { prepareQat } from "@lowbit/nn/qat";
 * import { Linear, ReLU, Sequential } from "@lowbit/nn";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { deepEqual } from "node:assert/strict";
 * const random = new Philox(1);
 * const m = new Sequential([["fc1", new Linear(4, 4, { random })], ["relu1", new ReLU()], ["fc2", new Linear(4, 2, { random })]]);
 * const q = prepareQat(m, { weightBits: 4, activationBits: 4 });
 * deepEqual(q.layers.map(([n]) => n), ["input_fq", "fc1", "relu1", "relu1_fq", "fc2"]);
 * ```
 *
 * @example Mixed precision: 8-bit first layer, 3-bit second, 6-bit activations after relu1
 * ```ts
 * import { type FakeQuant, prepareQat } from "@lowbit/nn/qat";
 * import { Linear, ReLU, Sequential } from "@lowbit/nn";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { deepEqual } from "node:assert/strict";
 * const random = new Philox(1);
 * const fc1 = new Linear(4, 4, { random }), fc2 = new Linear(4, 2, { random });
 * const m = new Sequential([["fc1", fc1], ["relu1", new ReLU()], ["fc2", fc2]]);
 * const q = prepareQat(m, { weightBits: 4, activationBits: 4, layerWeightBits: { fc1: 8, fc2: 3 }, layerActivationBits: { relu1: 6 } });
 * const bits = (x: unknown) => (x as FakeQuant).bits;
 * deepEqual([bits(fc1.weightQuant), bits(fc2.weightQuant), bits(q.layers[3][1])], [8, 3, 6]);
 * ```
 */
export function prepareQat(model: Sequential, config: QatConfig): Sequential {
  const entries: [string, Module][] = [];
  const inputBits = config.inputBits ?? 8;
  if (inputBits !== 0) {
    entries.push([
      "input_fq",
      new FakeQuant({ target: "activation", bits: inputBits, signed: false }),
    ]);
  }
  const layerW = config.layerWeightBits ?? {}, layerA = config.layerActivationBits ?? {};
  const usedW = new Set<string>(), usedA = new Set<string>();
  const visit = (m: Module, path: string) => {
    if (isWeightQuantizable(m)) {
      const own = Object.hasOwn(layerW, path);
      if (own) usedW.add(path);
      m.setWeightQuant(
        new FakeQuant({
          target: "weight",
          bits: own ? layerW[path] : config.weightBits,
          mode: config.weightMode ?? "minmax",
          channels: m.weight.shape[0],
        }),
      );
    }
    for (const [n, c] of m.namedChildren()) visit(c, `${path}.${n}`);
  };
  for (const [name, m] of model.layers) {
    visit(m, name);
    entries.push([name, m]);
    if (m instanceof Activation && (m.kind === "relu" || m.kind === "relu6")) {
      const own = Object.hasOwn(layerA, name);
      if (own) usedA.add(name);
      entries.push([
        `${name}_fq`,
        new FakeQuant({
          target: "activation",
          bits: own ? layerA[name] : config.activationBits,
          mode: config.activationMode ?? "minmax",
        }),
      ]);
    }
  }
  for (
    const [key, table, used] of [
      ["layerWeightBits", layerW, usedW],
      ["layerActivationBits", layerA, usedA],
    ] as const
  ) {
    const unknown = Object.keys(table).filter((k) => !used.has(k));
    if (unknown.length > 0) {
      throw new RangeError(
        `config.${key} names no such layer: ${unknown.join(", ")} (` +
          (key === "layerWeightBits"
            ? "paths of Linear/Conv2d layers"
            : "top-level ReLU/ReLU6 layers") +
          ")",
      );
    }
  }
  return new Sequential(entries);
}
