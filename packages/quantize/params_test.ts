import { deepEqual, equal, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import { qparamsFromRange, qparamsFromRanges, qrange } from "./params.ts";

Deno.test("qrange: full, restricted and unsigned ranges for 2..16 bits (closed forms)", () => {
  for (let b = 2; b <= 16; b++) {
    deepEqual(qrange(b), { qmin: -(2 ** (b - 1)), qmax: 2 ** (b - 1) - 1 });
    deepEqual(qrange(b, { narrow: true }), { qmin: -(2 ** (b - 1)) + 1, qmax: 2 ** (b - 1) - 1 });
    deepEqual(qrange(b, { signed: false }), { qmin: 0, qmax: 2 ** b - 1 });
  }
  throws(() => qrange(1), /bits must be an integer in \[2, 16\]/);
  throws(() => qrange(17), RangeError);
});

Deno.test("PyTorch MinMaxObserver worked examples (computed by hand from _calculate_qparams)", () => {
  // quint8 affine over [-1, 2]: S = 3/255, Z = 0 − round(−1 / S) = round(85.0) = 85.
  const a = qparamsFromRange(-1, 2, { qmin: 0, qmax: 255 });
  equal(a.scale, Math.fround(Math.fround(3) / 255));
  equal(a.zeroPoint, 85);
  // Range widened to include 0: [0.5, 2] behaves as [0, 2] → Z = 0.
  equal(qparamsFromRange(0.5, 2, { qmin: 0, qmax: 255 }).zeroPoint, 0);
  // qint8 symmetric over [-1, 2]: S = 2 / 127.5, Z = 0; quint8 symmetric: Z = 128.
  deepEqual(qparamsFromRange(-1, 2, { qmin: -128, qmax: 127, symmetric: true }), {
    scale: Math.fround(2 / 127.5),
    zeroPoint: 0,
  });
  equal(qparamsFromRange(-1, 2, { qmin: 0, qmax: 255, symmetric: true }).zeroPoint, 128);
  // An all-zero range: the scale is eps = 2^-23 instead of 0.
  equal(qparamsFromRange(0, 0, { qmin: 0, qmax: 255 }).scale, 2 ** -23);
});

Deno.test("lecture 5.4.2.1 example 3: 2-bit signed range of [-1.08, 2.12]", () => {
  const { scale, zeroPoint } = qparamsFromRange(-1.08, 2.12, { qmin: -2, qmax: 1 });
  equal(scale, Math.fround(Math.fround(Math.fround(2.12) + Math.fround(1.08)) / 3));
  ok(Math.abs(scale - 1.07) < 0.005);
  // Z = round(qmin − rmin/S) = round(−2 + 1.0125) = −1. (The seed notes print 1, a sign slip:
  // the slide's own formula gives −1, and r = S(q − Z) then maps q = −2 to −1.07 ≈ rmin.)
  equal(zeroPoint, -1);
});

Deno.test("affine params map rmin and rmax to within half a step of the code ends (property)", () => {
  fc.assert(
    fc.property(
      fc.double({ min: -100, max: 0, noNaN: true }),
      fc.double({ min: 0, max: 100, noNaN: true }),
      fc.integer({ min: 2, max: 16 }),
      (lo, hi, bits) => {
        if (hi - lo < 1e-3) return;
        const { qmin, qmax } = qrange(bits, { signed: false });
        const { scale, zeroPoint } = qparamsFromRange(lo, hi, { qmin, qmax });
        if (scale === 2 ** -23) return; // the eps floor widens the range on purpose
        ok(zeroPoint >= qmin && zeroPoint <= qmax);
        // Zero is exactly representable: code Z ↦ 0. The ends map within one step.
        ok(Math.abs((qmin - zeroPoint) * scale - lo) <= scale * 1.001);
        ok(Math.abs((qmax - zeroPoint) * scale - hi) <= scale * 1.001);
      },
    ),
    { numRuns: 2000, seed: 31 },
  );
});

Deno.test("per-channel params equal per-tensor params per channel; errors name the index", () => {
  const mins = [-1, -0.5, 0, -3], maxs = [1, 2, 0.25, -1];
  const p = qparamsFromRanges(mins, maxs, { qmin: 0, qmax: 255 });
  for (let i = 0; i < mins.length; i++) {
    const one = qparamsFromRange(mins[i], maxs[i], { qmin: 0, qmax: 255 });
    equal(p.scale[i], one.scale);
    equal(p.zeroPoint[i], one.zeroPoint);
  }
  throws(() => qparamsFromRanges([0, 2], [1, 1], { qmin: 0, qmax: 255 }), /channel 1/);
  throws(() => qparamsFromRanges([0], [1, 2], { qmin: 0, qmax: 255 }), /same length/);
  throws(() => qparamsFromRange(NaN, 1, { qmin: 0, qmax: 255 }), /finite/);
  throws(() => qparamsFromRange(0, 1, { qmin: 5, qmax: 5 }), /qmin < qmax/);
});

Deno.test("symmetric zero point on unsigned ranges follows PyTorch's _calculate_qparams", () => {
  // torch.quint8 default range: 128; user-given quant_min/quant_max: (quant_min + quant_max) // 2.
  equal(qparamsFromRange(-1, 2, { qmin: 0, qmax: 255, symmetric: true }).zeroPoint, 128);
  const p = qparamsFromRange(-1, 2, { qmin: 0, qmax: 15, symmetric: true });
  equal(p.zeroPoint, 7); // lowbit gave 8 before (rounded-up midpoint)
  equal(p.scale, Math.fround(2 / 7.5));
  equal(qparamsFromRange(-1, 2, { qmin: 0, qmax: 127, symmetric: true }).zeroPoint, 63);
  equal(qparamsFromRange(-1, 2, { qmin: -8, qmax: 7, symmetric: true }).zeroPoint, 0);
});
