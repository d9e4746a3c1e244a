// Private: argument checks shared by the package (typed errors naming the argument).

/** Throws unless `x` is a Float32Array/Float64Array of finite values with at least one element. */
export function checkData(name: string, x: unknown): asserts x is Float32Array | Float64Array {
  if (!(x instanceof Float32Array) && !(x instanceof Float64Array)) {
    throw new TypeError(`${name} must be a Float32Array or Float64Array`);
  }
  if (x.length === 0) throw new RangeError(`${name} is empty; at least one value is needed`);
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) {
      throw new RangeError(`${name}[${i}] is ${x[i]}; values must be finite (no NaN or ±Infinity)`);
    }
  }
}

/** Throws unless `v` is an integer in [lo, hi]. */
export function checkInt(name: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi) {
    throw new RangeError(`${name} must be an integer in [${lo}, ${hi}], got ${String(v)}`);
  }
  return v;
}

/** Validates optional non-negative finite weights of the given length. */
export function checkWeights(
  name: string,
  w: unknown,
  n: number,
): Float32Array | Float64Array | undefined {
  if (w === undefined) return undefined;
  if (!(w instanceof Float32Array) && !(w instanceof Float64Array)) {
    throw new TypeError(`${name} must be a Float32Array or Float64Array`);
  }
  if (w.length !== n) throw new RangeError(`${name} must have length ${n}, got ${w.length}`);
  for (let i = 0; i < n; i++) {
    if (!(w[i] >= 0) || !Number.isFinite(w[i])) {
      throw new RangeError(`${name}[${i}] is ${w[i]}; weights must be finite and ≥ 0`);
    }
  }
  return w;
}
