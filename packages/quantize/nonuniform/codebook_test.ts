import { deepEqual, equal, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import { Philox } from "@lowbit/rounding/philox";
import { fakeQuantize } from "../uniform.ts";
import {
  allocateCodebookCodes,
  checkLevels,
  decodeCodebook,
  encodeCodebook,
  nearestLevelIndex,
  quantizeCodebook,
  uniformLevels,
} from "./codebook.ts";

/** Brute-force reference: smallest index among those at minimal distance. */
function bruteNearest(v: number, levels: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < levels.length; i++) {
    if (Math.abs(levels[i] - v) < Math.abs(levels[best] - v)) best = i;
  }
  return best;
}

Deno.test("nearestLevelIndex equals a linear scan with ties to the lower index (property)", () => {
  const sortedLevels = fc
    .uniqueArray(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 40 })
    .map((a) => a.sort((p, q) => p - q).map((v) => v / 8));
  fc.assert(
    fc.property(sortedLevels, fc.integer({ min: -9000, max: 9000 }), (levels, k) => {
      // Values on a 1/16 grid hit exact midpoints between 1/8-grid levels often.
      const v = k / 16;
      equal(nearestLevelIndex(v, levels), bruteNearest(v, levels));
    }),
    { numRuns: 3000, seed: 11 },
  );
});

Deno.test("encode/decode round-trip: decode(encode(x)) is the nearest level", () => {
  const rng = new Philox(5);
  const levels = new Float32Array([-2.5, -1, -0.25, 0, 0.125, 0.75, 3]);
  const x = new Float32Array(2000);
  for (let i = 0; i < x.length; i++) x[i] = (rng.uniform() - 0.5) * 8;
  const codes = encodeCodebook(x, levels);
  ok(codes instanceof Uint8Array);
  const y = decodeCodebook(codes, levels);
  deepEqual(y, quantizeCodebook(x, levels));
  for (let i = 0; i < x.length; i++) {
    for (const l of levels) ok(Math.abs(x[i] - y[i]) <= Math.abs(x[i] - l));
  }
  // Every level is its own code.
  deepEqual([...encodeCodebook(levels, levels)], [0, 1, 2, 3, 4, 5, 6]);
});

Deno.test("tie rule: exact midpoints take the lower index (the smaller level)", () => {
  const levels = [-1, 0, 1, 3];
  deepEqual([...encodeCodebook(new Float32Array([-0.5, 0.5, 2, -1.5, 5]), levels)], [
    0,
    1,
    2,
    0,
    3,
  ]);
});

Deno.test("code width follows the codebook size (Uint8Array ≤ 256 < Uint16Array)", () => {
  const big = Float64Array.from({ length: 1000 }, (_, i) => i);
  const codes = encodeCodebook(new Float32Array([999.4, 0.6, 500.5]), big);
  ok(codes instanceof Uint16Array);
  deepEqual([...codes], [999, 1, 500]);
  ok(allocateCodebookCodes(1, 3) instanceof Uint8Array);
  ok(allocateCodebookCodes(65536, 3) instanceof Uint16Array);
});

Deno.test("uniform levels reproduce uniform fakeQuantize away from ties; ties differ by rule", () => {
  // S a power of two: x·(1/S) is exact, so the only differences are the tie rules.
  const p = { scale: 2 ** -4, zeroPoint: -3, qmin: -8, qmax: 7 };
  const levels = uniformLevels(p.scale, p.zeroPoint, p);
  equal(levels.length, 16);
  fc.assert(
    fc.property(fc.float({ min: -2, max: 2, noNaN: true }), (v) => {
      const x = new Float32Array([v]);
      const u = fakeQuantize(x, p)[0], c = quantizeCodebook(x, levels)[0];
      const t = v / p.scale;
      if (t - Math.floor(t) === 0.5 && t > -5 && t < 10) {
        // Interior tie: uniform rounds half to even, the codebook takes the lower level.
        equal(c, Math.floor(t) * p.scale);
        equal(u, (Math.round(t) % 2 === 0 ? Math.round(t) : Math.round(t) - 1) * p.scale);
      } else {
        equal(c + 0, u + 0); // + 0 folds −0 (uniform's (q − Z)·S may be −0)
      }
    }),
    { numRuns: 5000, seed: 3 },
  );
  // Explicit ties at (k + ½)·S: 0.5·S → 0 for both (0 is even); 1.5·S → S vs 2S.
  const ties = new Float32Array([0.5, 1.5, 2.5, -0.5, -1.5].map((k) => k * p.scale));
  deepEqual([...quantizeCodebook(ties, levels)].map((v) => v / p.scale), [0, 1, 2, -1, -2]);
  deepEqual([...fakeQuantize(ties, p)].map((v) => v / p.scale + 0), [0, 2, 2, 0, -2]);
});

Deno.test("uniform levels with a general scale: disagreements only within 1 ulp of midpoints", () => {
  const p = { scale: Math.fround(0.0371), zeroPoint: 5, qmin: 0, qmax: 15 };
  const levels = uniformLevels(p.scale, p.zeroPoint, p);
  const rng = new Philox(21);
  const x = new Float32Array(20000);
  for (let i = 0; i < x.length; i++) x[i] = (rng.uniform() - 0.4) * 0.8;
  const u = fakeQuantize(x, p), c = quantizeCodebook(x, levels);
  let differ = 0;
  for (let i = 0; i < x.length; i++) {
    if (u[i] !== c[i]) {
      differ++;
      const t = x[i] / p.scale;
      ok(Math.abs(t - Math.floor(t) - 0.5) < 1e-5, `x = ${x[i]}`);
    }
  }
  ok(differ <= 2, `${differ} differences`);
});

Deno.test("uniformLevels is (q − Z)·S in float32 for q = qmin..qmax", () => {
  const l = uniformLevels(0.1, 128, { qmin: 0, qmax: 255 });
  equal(l.length, 256);
  equal(l[128], 0);
  equal(l[0], Math.fround(-128 * Math.fround(0.1)));
  equal(l[255], Math.fround(127 * Math.fround(0.1)));
});

Deno.test("errors name the argument", () => {
  throws(() => checkLevels([]), /levels must hold 1 to 65536 levels/);
  throws(() => checkLevels([1, NaN]), /levels\[1\] must be a finite number/);
  throws(() => checkLevels([2, 1]), /strictly increasing/);
  throws(() => checkLevels(3 as never), TypeError);
  throws(() => encodeCodebook(new Float32Array([NaN]), [0, 1]), /x\[0\] is NaN/);
  throws(() => encodeCodebook([1, 2] as never, [0, 1]), TypeError);
  throws(() => decodeCodebook(new Uint8Array([2]), [0, 1]), /codes\[0\] must be an integer/);
  throws(() => uniformLevels(0, 0, { qmin: 0, qmax: 3 }), /scale must be/);
  throws(() => uniformLevels(1, 0.5, { qmin: 0, qmax: 3 }), /zeroPoint must be an integer/);
  throws(() => uniformLevels(1, 0, { qmin: 0, qmax: 70000 }), /range.qmin and range.qmax/);
  throws(() => allocateCodebookCodes(0, 1), /size must be/);
});
