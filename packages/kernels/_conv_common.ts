// Private: option checks shared by the convolutions.

import { checkLength, checkType } from "./_validate.ts";
import type { FusedActivation, KernelChoice } from "./gemm_f32.ts";

const ACTIVATIONS: readonly FusedActivation[] = ["none", "relu", "relu6"];

/** Validates `options.activation` (default "none"). */
export function checkActivation(v: unknown): FusedActivation {
  const a = v ?? "none";
  if (!ACTIVATIONS.includes(a as FusedActivation)) {
    throw new RangeError(
      `options.activation must be one of ${ACTIVATIONS.join(", ")}, got ${String(a)}`,
    );
  }
  return a as FusedActivation;
}

/** Validates `options.kernel` (default "auto"). */
export function checkKernel(v: unknown): KernelChoice {
  const k = v ?? "auto";
  if (k !== "auto" && k !== "wasm" && k !== "ts") {
    throw new RangeError(`options.kernel must be "auto", "wasm" or "ts", got ${String(k)}`);
  }
  return k;
}

/** Validates an optional per-output-channel array of exactly `outC` elements. */
export function checkPerChannel<T>(
  name: string,
  v: T | undefined,
  outC: number,
  types: readonly (abstract new (...args: never[]) => unknown)[],
): T | undefined {
  if (v === undefined) return undefined;
  checkType(name, v, types);
  const len = (v as ArrayLike<number>).length;
  if (len !== outC) {
    throw new RangeError(`${name} must have one value per output channel (${outC}), got ${len}`);
  }
  return v;
}

/** Validates or allocates an output buffer of `need` elements. */
export function outputBuffer<T extends ArrayLike<number>>(
  out: T | undefined,
  need: number,
  what: string,
  make: new (n: number) => T,
  types: readonly (abstract new (...args: never[]) => unknown)[],
): T {
  if (out === undefined) return new make(need);
  checkType("options.out", out, types);
  checkLength("options.out", out, need, what);
  return out;
}

/** float32 rounding and activation of a binary64 sum, as the reference GEMM does it. */
export function activate(v: number, act: FusedActivation): number {
  v = Math.fround(v);
  if (act !== "none" && !(v > 0) && v === v) v = 0;
  if (act === "relu6" && v > 6) v = 6;
  return v;
}
