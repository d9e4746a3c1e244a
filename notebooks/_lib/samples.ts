/**
 * Seeded samples for the notebooks' synthetic data (bell-shaped, ReLU-shaped and heavy-tailed
 * tensors). Every function takes the random source; nothing here is global.
 *
 * @module
 */

/** A uniform source on [0, 1) (e.g. `new Philox(seed, stream)` from `@lowbit/rounding`). */
export interface Uniform {
  /** The next uniform number in [0, 1). */
  uniform(): number;
}

function checkCount(n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be an integer >= 0; got ${n}`);
}

/**
 * Standard normal samples by the Box–Muller transform (two uniforms per pair).
 * @param n Count.
 * @param random Uniform source.
 * @param sigma Standard deviation (default 1).
 * @returns A Float32Array.
 * @throws {RangeError} If `n` is not a non-negative integer.
 */
export function normalSamples(n: number, random: Uniform, sigma = 1): Float32Array {
  checkCount(n);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - random.uniform())), t = 2 * Math.PI * random.uniform();
    out[i] = sigma * r * Math.cos(t);
    if (i + 1 < n) out[i + 1] = sigma * r * Math.sin(t);
  }
  return out;
}

/**
 * Laplace samples (density e^(−|x|/b) / 2b) by the inverse CDF.
 * @param n Count.
 * @param random Uniform source.
 * @param b Scale (default 1); the mean |x| is b.
 * @returns A Float32Array.
 * @throws {RangeError} If `n` is not a non-negative integer.
 */
export function laplaceSamples(n: number, random: Uniform, b = 1): Float32Array {
  checkCount(n);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = random.uniform() - 0.5;
    out[i] = -b * Math.sign(u) * Math.log(1 - 2 * Math.abs(u));
  }
  return out;
}

/**
 * Student-t samples with ν degrees of freedom (normal / √(χ²_ν / ν), ν an integer): heavy tails
 * for small ν.
 * @param n Count.
 * @param random Uniform source.
 * @param nu Degrees of freedom, an integer ≥ 1.
 * @returns A Float32Array.
 * @throws {RangeError} If `n` or `nu` is invalid.
 */
export function studentTSamples(n: number, random: Uniform, nu: number): Float32Array {
  checkCount(n);
  if (!Number.isInteger(nu) || nu < 1) {
    throw new RangeError(`nu must be an integer >= 1; got ${nu}`);
  }
  const z = normalSamples(n, random), g = normalSamples(n * nu, random);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let chi = 0;
    for (let k = 0; k < nu; k++) chi += g[i * nu + k] ** 2;
    out[i] = z[i] / Math.sqrt(chi / nu);
  }
  return out;
}
