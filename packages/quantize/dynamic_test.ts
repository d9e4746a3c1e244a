import { deepEqual, equal, throws } from "node:assert/strict";
import fc from "fast-check";
import { Philox } from "@lowbit/rounding/philox";
import { minMaxQParams, quantizeDynamic } from "./dynamic.ts";
import { qparamsFromRange } from "./params.ts";

function data(n: number, seed: number): Float32Array {
  const g = new Philox(seed);
  return new Float32Array(n).map(() => (g.uniform() - 0.3) * 10);
}

Deno.test("per-tensor min-max params equal qparamsFromRange of the data's extremes", () => {
  const x = data(1000, 1);
  let lo = Infinity, hi = -Infinity;
  for (const v of x) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  const p = minMaxQParams(x);
  deepEqual(p, { ...qparamsFromRange(lo, hi, { qmin: 0, qmax: 255 }), qmin: 0, qmax: 255 });
});

Deno.test("per-channel and per-group ranges equal per-tensor ranges of each slice (property)", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 100 }),
      (rows, k, g, seed) => {
        const cols = k * g;
        const x = data(rows * cols, seed);
        const opts = { bits: 8, signed: true, symmetric: true } as const;
        const pc = minMaxQParams({ data: x, shape: [rows, cols] }, { ...opts, axis: 0 });
        const pg = minMaxQParams({ data: x, shape: [rows, cols] }, {
          ...opts,
          axis: 1,
          groupSize: g,
        });
        const groups = Math.ceil(cols / g);
        for (let r = 0; r < rows; r++) {
          const row = x.slice(r * cols, (r + 1) * cols);
          equal((pc.scale as Float32Array)[r], minMaxQParams(row, opts).scale);
          for (let k = 0; k < groups; k++) {
            const part = row.slice(k * g, (k + 1) * g);
            equal((pg.scale as Float32Array)[r * groups + k], minMaxQParams(part, opts).scale);
          }
        }
      },
    ),
    { numRuns: 200, seed: 51 },
  );
});

Deno.test("per-channel beats per-tensor and per-group beats per-channel on mixed-scale rows", () => {
  const rows = 8, cols = 64, g = new Philox(3);
  // Row r spans ±2^(r−4); within a row the first half is 16× smaller than the second.
  const x = new Float32Array(rows * cols).map((_, i) =>
    (g.uniform() - 0.5) * 2 ** (Math.floor(i / cols) - 4) * (i % cols < 32 ? 1 / 16 : 1)
  );
  const err = (opts: Parameters<typeof quantizeDynamic>[1]) => {
    const t = quantizeDynamic({ data: x, shape: [rows, cols] }, opts);
    const s = t.params.scale, z = t.params.zeroPoint;
    let e = 0;
    for (let i = 0; i < x.length; i++) {
      const p = typeof s === "number"
        ? 0
        : t.params.groupSize
        ? Math.floor(i / 32)
        : Math.floor(i / cols);
      const sc = typeof s === "number" ? s : s[p], zp = typeof z === "number" ? z : z[p];
      e += ((t.q[i] - zp) * sc - x[i]) ** 2;
    }
    return e;
  };
  const base = { bits: 4, signed: true, symmetric: true } as const;
  const eTensor = err(base),
    eChannel = err({ ...base, axis: 0 }),
    eGroup = err({ ...base, axis: 1, groupSize: 32 });
  if (!(eGroup < 0.75 * eChannel && eChannel < 0.5 * eTensor)) {
    throw new Error(
      `expected group < 0.75·channel and channel < 0.5·tensor; got ${eGroup}, ${eChannel}, ${eTensor}`,
    );
  }
});

Deno.test("errors", () => {
  throws(() => minMaxQParams(new Float32Array(0)), /must not be empty/);
  throws(() => minMaxQParams(new Float32Array([1, Infinity])), /x\[1\] is Infinity/);
  throws(
    () => minMaxQParams(new Float32Array(4), { groupSize: 2 }),
    /options.groupSize needs options.axis/,
  );
  throws(
    () => minMaxQParams({ data: new Float32Array(4), shape: [2, 2] }, { axis: 3 }),
    /options.axis/,
  );
});
