// Private: validation of output stages and the unchecked requantization loop used by the
// output stages and GEMM kernels.

import { mbqm, rqf } from "./_fixed_point.ts";
import { valuesEqual } from "@lowbit/tensor/shape";
import type { OutputDType, OutputStage } from "./_types.ts";

/** A validated output stage with per-column parameters expanded. */
export interface ResolvedOutputStage {
  kind: "float" | "fixed";
  multiplier: Float32Array | Int32Array;
  shift: Int32Array;
  zeroPoint: number;
  lo: number;
  hi: number;
  dtype: OutputDType;
}

/**
 * Validates an output stage for n channels and expands its parameters to per-column arrays;
 * throws a RangeError naming the bad field.
 */
export function resolveOutputStage(stage: OutputStage, n: number): ResolvedOutputStage {
  if (stage === null || typeof stage !== "object") {
    throw new TypeError(`outputStage must be an object, got ${String(stage)}`);
  }
  const hit = resolved.get(stage);
  if (hit !== undefined && hit.n === n && sameStage(hit.of, stage)) return hit.resolved;
  const r = resolveUncached(stage, n);
  resolved.set(stage, { n, of: snapshot(stage), resolved: r });
  return r;
}

// The last resolution per stage object: a compiled model passes the same stage for a layer on
// every run, and resolving allocates and validates per column. A hit needs every field equal
// to the snapshot taken then (the arrays compared element by element: they may have been
// changed in place since). Callers only read the resolved stage.
const resolved = new WeakMap<
  OutputStage,
  { n: number; of: OutputStage; resolved: ResolvedOutputStage }
>();

function snapshot(s: OutputStage): OutputStage {
  const copy = <T>(v: T): T =>
    (ArrayBuffer.isView(v) ? (v as unknown as Int32Array).slice() : v) as T;
  return s.kind === "fixed"
    ? { ...s, multiplier: copy(s.multiplier), shift: copy(s.shift) }
    : { ...s, multiplier: copy(s.multiplier) };
}

// A field of a stage: the same number, or arrays of one type with the same contents.
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b) || a.constructor !== b.constructor) {
    return false;
  }
  return valuesEqual(a as Int32Array, b as Int32Array);
}

function sameStage(a: OutputStage, b: OutputStage): boolean {
  return a.kind === b.kind && a.dtype === b.dtype && a.zeroPoint === b.zeroPoint &&
    a.clampMin === b.clampMin && a.clampMax === b.clampMax &&
    sameValue(a.multiplier, b.multiplier) &&
    (a.kind !== "fixed" || sameValue(a.shift, (b as typeof a).shift));
}

function resolveUncached(stage: OutputStage, n: number): ResolvedOutputStage {
  if (stage.dtype !== "int8" && stage.dtype !== "uint8") {
    throw new RangeError(
      `outputStage.dtype must be "int8" or "uint8", got ${String(stage.dtype)}`,
    );
  }
  const tmin = stage.dtype === "int8" ? -128 : 0;
  const tmax = stage.dtype === "int8" ? 127 : 255;
  const zp = stage.zeroPoint;
  if (!Number.isInteger(zp) || zp < tmin || zp > tmax) {
    throw new RangeError(
      `outputStage.zeroPoint must be an integer in [${tmin}, ${tmax}], got ${zp}`,
    );
  }
  const lo = stage.clampMin ?? tmin;
  const hi = stage.clampMax ?? tmax;
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < tmin || hi > tmax || lo > hi) {
    throw new RangeError(
      `outputStage.clampMin/clampMax must be integers with ${tmin} ≤ clampMin ≤ clampMax ≤ ${tmax}, got ${lo}, ${hi}`,
    );
  }
  const perColumn = <T extends Float32Array | Int32Array>(
    name: string,
    v: number | T,
    make: (len: number) => T,
  ): T => {
    if (typeof v === "number") return make(n).fill(v) as T;
    if (v.length !== n) {
      throw new RangeError(
        `outputStage.${name} must have one value per column (${n}), got ${v.length}`,
      );
    }
    return v;
  };
  if (stage.kind === "float") {
    const mult = perColumn(
      "multiplier",
      typeof stage.multiplier === "number" ? Math.fround(stage.multiplier) : stage.multiplier,
      (len) => new Float32Array(len),
    );
    for (let j = 0; j < n; j++) {
      if (!(mult[j] > 0) || !Number.isFinite(mult[j])) {
        throw new RangeError(`outputStage.multiplier must be finite and > 0, got ${mult[j]}`);
      }
    }
    return {
      kind: "float",
      multiplier: mult,
      shift: new Int32Array(n),
      zeroPoint: zp,
      lo,
      hi,
      dtype: stage.dtype,
    };
  }
  if (stage.kind === "fixed") {
    const mult = perColumn("multiplier", stage.multiplier, (len) => new Int32Array(len));
    const shift = perColumn("shift", stage.shift, (len) => new Int32Array(len));
    for (let j = 0; j < n; j++) {
      if (!Number.isInteger(mult[j]) || mult[j] < 0) {
        throw new RangeError(`outputStage.multiplier must be an int32 ≥ 0, got ${mult[j]}`);
      }
      if (!Number.isInteger(shift[j]) || shift[j] < -31 || shift[j] > 30) {
        throw new RangeError(`outputStage.shift must be an integer in [-31, 30], got ${shift[j]}`);
      }
    }
    return { kind: "fixed", multiplier: mult, shift, zeroPoint: zp, lo, hi, dtype: stage.dtype };
  }
  throw new RangeError(
    `outputStage.kind must be "float" or "fixed", got ${String((stage as { kind: unknown }).kind)}`,
  );
}

/** Unchecked: requantizes `rows` rows of n accumulators starting at `accOff` into `dst`. */
export function requantizeResolved(
  acc: Int32Array,
  accOff: number,
  rows: number,
  n: number,
  r: ResolvedOutputStage,
  dst: Int8Array | Uint8Array,
  dstOff: number,
): void {
  const { zeroPoint: zp, lo, hi } = r;
  for (let i = 0; i < rows; i++) {
    const a = accOff + i * n, d = dstOff + i * n;
    if (r.kind === "float") {
      const m = r.multiplier as Float32Array;
      for (let j = 0; j < n; j++) dst[d + j] = rqf(acc[a + j], m[j], zp, lo, hi);
    } else {
      const m = r.multiplier as Int32Array, s = r.shift;
      for (let j = 0; j < n; j++) {
        const v = mbqm(acc[a + j], m[j], s[j]) + zp;
        dst[d + j] = v < lo ? lo : v > hi ? hi : v;
      }
    }
  }
}
