import { deepEqual, equal, ok } from "node:assert/strict";
import { boundedLeastSquares } from "./_lsq.ts";

const close = (a: number, b: number, tol = 1e-10) => ok(Math.abs(a - b) <= tol, `${a} ≉ ${b}`);

Deno.test("boundedLeastSquares: unconstrained line fit in closed form", () => {
  // y = 1 + 2x at x = 0..4 plus residuals (+1, −1, 0, −1, +1): the least-squares line is exact
  // for the line part because the residuals are orthogonal to [1, x] (sum 0, Σ x·r = 0)
  const xs = [0, 1, 2, 3, 4], r = [1, -1, 0, -1, 1];
  const y = xs.map((x, i) => 1 + 2 * x + r[i]);
  const s = boundedLeastSquares(xs.map((x) => [1, x]), y, [-Infinity, -Infinity]);
  ok(s !== undefined);
  close(s.x[0], 1);
  close(s.x[1], 2);
  s.residuals.forEach((v, i) => close(v, -r[i]));
});

Deno.test("boundedLeastSquares: an active bound, by hand", () => {
  // min (x1 − 3)² + (x2 + 2)² with x ≥ 0: x = (3, 0)
  const s = boundedLeastSquares([[1, 0], [0, 1]], [3, -2], [0, 0]);
  deepEqual(s?.x, [3, 0]);
  // with x ≥ 1 on both: (3, 1); residuals (0, 3)
  const t = boundedLeastSquares([[1, 0], [0, 1]], [3, -2], [1, 1]);
  deepEqual(t?.x, [3, 1]);
  deepEqual(t?.residuals, [0, 3]);
});

Deno.test("boundedLeastSquares: dependent columns leave only bound solutions", () => {
  // two identical columns: every free subset of both is singular; one free column fits
  const s = boundedLeastSquares([[1, 1], [2, 2]], [2, 4], [0, 0]);
  ok(s !== undefined);
  close(s.x[0] + s.x[1], 2);
  equal(Math.min(...s.x), 0);
});
