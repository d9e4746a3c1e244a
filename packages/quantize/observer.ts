/**
 * The calibration contract (survey §III-D): an observer sees batches of real values through
 * `observe(x)` and turns what it saw into quantization parameters with `qparams()`. Static
 * calibration observes a calibration set once; dynamic quantization makes a fresh observer (or
 * calls `reset()`) per batch at run time.
 *
 * @module
 */

import { type QRange, qrange, type QuantParams } from "./params.ts";

/**
 * A tensor as quantizers see it: float32 data in row-major order and its shape. An
 * `@lowbit/tensor` `Tensor<"f32">` is one (strided views are copied to row-major order).
 */
export interface TensorLike {
  /** The values, row-major, contiguous. */
  readonly data: Float32Array;
  /** The dimensions; their product equals `data.length`. */
  readonly shape: readonly number[];
}

/** Input accepted by observers and quantizers: a flat Float32Array or a {@linkcode TensorLike}. */
export type QuantInput = Float32Array | TensorLike;

/** Code range and scheme options shared by every observer. */
export interface ObserverOptions {
  /** Bit width, 2..16 (default 8). Ignored when `qmin`/`qmax` are given. */
  bits?: number;
  /** Signed codes (default `false`: [0, 2^b − 1], PyTorch's quint8 activation default). */
  signed?: boolean;
  /** Restricted signed range [−(2^(b−1) − 1), 2^(b−1) − 1] (default `false`). */
  narrow?: boolean;
  /** Explicit smallest code (with `qmax`), overriding `bits`/`signed`/`narrow`. */
  qmin?: number;
  /** Explicit largest code (with `qmin`). */
  qmax?: number;
  /** Symmetric quantization (Z fixed; params.ts Eq. Q.3). Default `false` (affine). */
  symmetric?: boolean;
}

/** What every calibration observer does. */
export interface Observer {
  /** Accumulates statistics of one batch. */
  observe(x: QuantInput): void;
  /** The quantization parameters for everything observed so far. */
  qparams(): QuantParams;
  /** Forgets everything observed. */
  reset(): void;
}

/**
 * The code range an {@linkcode ObserverOptions} describes.
 *
 * @param options Bits, signedness, narrow range or explicit qmin/qmax.
 * @returns `{ qmin, qmax }`.
 * @throws {RangeError} If only one of `qmin`/`qmax` is given, or they are invalid.
 *
 * @example
 * ```ts
 * import { resolveQRange } from "@lowbit/quantize/observer";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(resolveQRange({}), { qmin: 0, qmax: 255 });
 * deepEqual(resolveQRange({ bits: 4, signed: true }), { qmin: -8, qmax: 7 });
 * deepEqual(resolveQRange({ qmin: -127, qmax: 127 }), { qmin: -127, qmax: 127 });
 * ```
 */
export function resolveQRange(options: ObserverOptions = {}): QRange {
  if (options.qmin !== undefined || options.qmax !== undefined) {
    const { qmin, qmax } = options;
    if (
      qmin === undefined || qmax === undefined || !Number.isInteger(qmin) ||
      !Number.isInteger(qmax) || qmin >= qmax
    ) {
      throw new RangeError(
        `qmin and qmax must both be given as integers with qmin < qmax; got ${String(qmin)}, ${
          String(qmax)
        }`,
      );
    }
    return { qmin, qmax };
  }
  return qrange(options.bits ?? 8, { signed: options.signed ?? false, narrow: options.narrow });
}

/**
 * The data and shape of an input.
 *
 * @param x A Float32Array (shape `[length]`) or a {@linkcode TensorLike}.
 * @param name The argument name used in error messages.
 * @returns The data and shape.
 * @throws {TypeError} If `x` is neither.
 * @throws {RangeError} If the shape does not match the data length.
 *
 * @example
 * ```ts
 * import { asTensorLike } from "@lowbit/quantize/observer";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(asTensorLike(new Float32Array(3)).shape, [3]);
 * ```
 */
export function asTensorLike(x: QuantInput, name = "x"): TensorLike {
  if (x instanceof Float32Array) return { data: x, shape: [x.length] };
  if (x === null || typeof x !== "object" || !(x.data instanceof Float32Array)) {
    throw new TypeError(
      `${name} must be a Float32Array, an f32 Tensor or { data: Float32Array, shape }`,
    );
  }
  const size = x.shape.reduce((a, b) => a * b, 1);
  // A strided view (an @lowbit/tensor Tensor after transpose/slice) is copied to row-major
  // order first: its `data` is the whole base storage, not the view's elements.
  const view = x as TensorLike & {
    isContiguous?: boolean;
    offset?: number;
    toTypedArray?: () => unknown;
  };
  if (
    typeof view.toTypedArray === "function" &&
    (view.isContiguous === false || (view.offset ?? 0) !== 0 || x.data.length !== size)
  ) {
    const data = view.toTypedArray();
    if (data instanceof Float32Array) return { data, shape: [...x.shape] };
  }
  if (!x.shape.every((d) => Number.isInteger(d) && d >= 0) || size !== x.data.length) {
    throw new RangeError(
      `${name}.shape [${
        x.shape.join(", ")
      }] must be non-negative integers whose product is ${x.data.length}`,
    );
  }
  return x;
}
