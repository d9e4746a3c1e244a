// Bounded linear least squares for small problems (at most ~6 unknowns): minimize
// ‖A x − y‖² subject to x_j ≥ lo_j, solved exactly by trying every active set (the variables
// at their bound), solving the normal equations of the free ones, and keeping the best
// feasible candidate; the problem is convex, so that candidate is the constrained minimum.
// Used by fit.ts (stack efficiencies, x = 1/e ≥ 1) and host.ts (kernel-time coefficients ≥ 0).

/** The minimizer and its residuals A x − y; undefined when no subset gives a regular system. */
export function boundedLeastSquares(
  a: readonly (readonly number[])[],
  y: readonly number[],
  lo: readonly number[],
): { x: number[]; residuals: number[]; solves: number } | undefined {
  const n = lo.length;
  const residuals = (x: readonly number[]) =>
    a.map((row, i) => row.reduce((s, v, j) => s + v * x[j], -y[i]));
  const objective = (x: readonly number[]) => residuals(x).reduce((s, r) => s + r * r, 0);
  let best: number[] | undefined, bestObj = Infinity, solves = 0;
  for (let mask = 0; mask < 1 << n; mask++) {
    const free = [...Array(n).keys()].filter((j) => (mask >> j) & 1);
    const x = [...lo];
    if (free.length > 0) {
      const rhs = a.map((row, i) =>
        y[i] - row.reduce((s, v, j) => (free.includes(j) ? s : s + v * lo[j]), 0)
      );
      const m = free.map((p) => free.map((q) => a.reduce((s, row) => s + row[p] * row[q], 0)));
      const v = free.map((p) => a.reduce((s, row, i) => s + row[p] * rhs[i], 0));
      const sol = solve(m, v);
      solves++;
      if (sol === undefined) continue;
      free.forEach((j, t) => (x[j] = sol[t]));
    }
    if (x.some((xi, j) => !(xi >= lo[j] - 1e-12 * Math.max(1, Math.abs(lo[j]))))) continue;
    for (let j = 0; j < n; j++) x[j] = Math.max(lo[j], x[j]);
    const o = objective(x);
    if (o < bestObj) {
      bestObj = o;
      best = x;
    }
  }
  return best === undefined ? undefined : { x: best, residuals: residuals(best), solves };
}

/** Gaussian elimination with partial pivoting; undefined when (numerically) singular. */
function solve(m: number[][], v: number[]): number[] | undefined {
  const n = v.length;
  const a = m.map((row, i) => [...row, v[i]]);
  const scale = Math.max(...m.map((row, i) => Math.abs(row[i])), 0);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
    if (!(Math.abs(a[p][c]) > 1e-12 * scale)) return undefined;
    [a[c], a[p]] = [a[p], a[c]];
    for (let r = c + 1; r < n; r++) {
      const f = a[r][c] / a[c][c];
      for (let k = c; k <= n; k++) a[r][k] -= f * a[c][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = a[r][n];
    for (let k = r + 1; k < n; k++) s -= a[r][k] * x[k];
    x[r] = s / a[r][r];
  }
  return x;
}
