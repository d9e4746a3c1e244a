// Private: argument checks shared by every kernel. Each throws a typed error naming the
// argument and the allowed values.

/** Throws unless `v` is a positive safe integer (a matrix dimension). */
export function checkDim(name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 0x7fffffff) {
    throw new RangeError(`${name} must be an integer in [1, 2^31), got ${String(v)}`);
  }
  return v;
}

/** Throws unless `v` is a non-negative safe integer (padding, offsets). */
export function checkNonNegative(name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 0x7fffffff) {
    throw new RangeError(`${name} must be an integer ≥ 0, got ${String(v)}`);
  }
  return v;
}

/** Throws unless `buf` holds at least `need` elements. */
export function checkLength(name: string, buf: ArrayLike<number>, need: number, what: string) {
  if (buf.length < need) {
    throw new RangeError(
      `${name} is too small: ${what} needs ${need} elements, got ${buf.length}`,
    );
  }
}

/** Throws unless `buf` is an instance of one of the allowed typed array constructors. */
export function checkType(
  name: string,
  buf: unknown,
  allowed: readonly (abstract new (...args: never[]) => unknown)[],
): void {
  if (!allowed.some((c) => buf instanceof c)) {
    const names = allowed.map((c) => c.name).join(" or ");
    const got = buf === null || typeof buf !== "object"
      ? String(buf)
      : (buf as object).constructor.name;
    throw new TypeError(`${name} must be a ${names}, got ${got}`);
  }
}

/** Throws unless `v` is an integer in [lo, hi]. */
export function checkIntRange(name: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi) {
    throw new RangeError(`${name} must be an integer in [${lo}, ${hi}], got ${String(v)}`);
  }
  return v;
}

/**
 * Throws unless every element of `values` is an integer in [lo, hi]; the error names the first
 * offending element (`name[i]`). The name is only built on failure: these checks run on every
 * kernel call, over one value per channel or column.
 */
export function checkIntRangeEach(
  name: string,
  values: ArrayLike<number>,
  lo: number,
  hi: number,
): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < lo || v > hi) checkIntRange(`${name}[${i}]`, v, lo, hi);
  }
}
