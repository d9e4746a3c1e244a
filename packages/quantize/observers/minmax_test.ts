import { deepEqual, equal, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import { Philox } from "@lowbit/rounding/philox";
import {
  MinMaxObserver,
  MovingAverageMinMaxObserver,
  MovingAveragePerChannelMinMaxObserver,
  PerChannelMinMaxObserver,
} from "./minmax.ts";
import { minMaxQParams } from "../dynamic.ts";

// Values up to half of FLT_MAX so that max − min stays a float32 (wider ranges are a RangeError).
const F32_HALF_MAX = Math.fround(1.7e38);

function data(n: number, seed: number, shift = 0.3, span = 10): Float32Array {
  const g = new Philox(seed);
  return new Float32Array(n).map(() => (g.uniform() - shift) * span);
}

Deno.test("MinMaxObserver: PyTorch's quint8 affine example [-1, 0.5, 2] -> scale 3/255, Z 85", () => {
  // By hand: S = (2 − (−1)) / 255 in float32; Z = 0 − round(−1 / S) = 0 − round(−84.9999983) = 85.
  const obs = new MinMaxObserver();
  obs.observe(new Float32Array([-1, 0.5, 2]));
  deepEqual(obs.qparams(), { scale: Math.fround(3 / 255), zeroPoint: 85, qmin: 0, qmax: 255 });
  // Symmetric: S = max(1, 2) / ((qmax − qmin) / 2); Z = 0 signed, 128 unsigned.
  const s8 = new MinMaxObserver({ signed: true, symmetric: true });
  s8.observe(new Float32Array([-1, 0.5, 2]));
  deepEqual(s8.qparams(), { scale: Math.fround(2 / 127.5), zeroPoint: 0, qmin: -128, qmax: 127 });
  const u8 = new MinMaxObserver({ symmetric: true });
  u8.observe(new Float32Array([-1, 0.5, 2]));
  deepEqual(u8.qparams(), { scale: Math.fround(2 / 127.5), zeroPoint: 128, qmin: 0, qmax: 255 });
});

Deno.test("MinMaxObserver: a range of positive data is widened to hold 0", () => {
  const obs = new MinMaxObserver({ bits: 4 });
  obs.observe(new Float32Array([1.5, 3]));
  deepEqual(obs.range(), { min: 1.5, max: 3 });
  deepEqual(obs.qparams(), { scale: Math.fround(3 / 15), zeroPoint: 0, qmin: 0, qmax: 15 });
});

Deno.test("MinMaxObserver: running range over batches contains every value and equals the concatenation's (property)", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.array(fc.float({ noNaN: true, min: -F32_HALF_MAX, max: F32_HALF_MAX }), {
          maxLength: 20,
        }),
        {
          minLength: 1,
          maxLength: 6,
        },
      ),
      (batches) => {
        const all = batches.flat();
        fc.pre(all.length > 0);
        const obs = new MinMaxObserver({ signed: true });
        for (const b of batches) obs.observe(new Float32Array(b));
        const { min, max } = obs.range();
        ok(all.every((v) => v >= min && v <= max));
        ok(all.includes(min) && all.includes(max));
        deepEqual(obs.qparams(), minMaxQParams(new Float32Array(all), { signed: true }));
      },
    ),
    { numRuns: 300, seed: 11 },
  );
});

Deno.test("MinMaxObserver: empty batches are ignored; no data, NaN and Infinity are RangeErrors", () => {
  const obs = new MinMaxObserver();
  obs.observe(new Float32Array(0));
  throws(() => obs.qparams(), { name: "RangeError", message: /no data observed/ });
  throws(() => obs.range(), /no data observed/);
  obs.observe(new Float32Array([1, -1]));
  throws(() => obs.observe(new Float32Array([5, -7, NaN])), {
    name: "RangeError",
    message: /x\[2\] is NaN/,
  });
  throws(() => obs.observe(new Float32Array([Infinity])), /x\[0\] is Infinity/);
  deepEqual(obs.range(), { min: -1, max: 1 }); // the rejected batches changed nothing
  obs.observe({ data: new Float32Array(0), shape: [0, 3] });
  deepEqual(obs.range(), { min: -1, max: 1 });
  obs.reset();
  throws(() => obs.qparams(), /no data observed/);
  throws(() => obs.observe([1, 2] as unknown as Float32Array), TypeError);
  throws(() => new MinMaxObserver({ bits: 1 }), RangeError);
});

Deno.test("dynamic quantization = reset() + observe(batch) + qparams() per batch", () => {
  const obs = new MinMaxObserver({ bits: 8, signed: true });
  const g = new Philox(5);
  for (let b = 0; b < 5; b++) {
    const batch = new Float32Array(64).map(() => (g.uniform() - 0.5) * 2 ** b);
    obs.reset();
    obs.observe(batch);
    deepEqual(obs.qparams(), minMaxQParams(batch, { bits: 8, signed: true }));
  }
});

Deno.test("MovingAverageMinMaxObserver: first batch sets the range, then min += c·(bmin − min) in float32", () => {
  const obs = new MovingAverageMinMaxObserver(); // c = 0.01
  obs.observe(new Float32Array([-1, 1]));
  deepEqual(obs.range(), { min: -1, max: 1 });
  obs.observe(new Float32Array([-2, 3]));
  const r = obs.range();
  // By hand: −1 + 0.01·(−1) = −1.01, 1 + 0.01·2 = 1.02 (to float32 rounding).
  ok(Math.abs(r.min - -1.01) < 1e-6 && Math.abs(r.max - 1.02) < 1e-6);
  equal(r.min, Math.fround(r.min));
  equal(r.max, Math.fround(r.max));
  obs.observe(new Float32Array(0)); // ignored
  deepEqual(obs.range(), r);
  const q = obs.qparams();
  equal(q.scale, Math.fround(Math.fround(r.max - r.min) / 255));
  obs.reset();
  throws(() => obs.qparams(), /no data observed/);
  obs.observe(new Float32Array([4, 5]));
  deepEqual(obs.range(), { min: 4, max: 5 }); // after reset the first batch sets the range again
});

Deno.test("MovingAverageMinMaxObserver: c = 1 tracks the last batch; constant batches converge (property)", () => {
  const last = new MovingAverageMinMaxObserver({ averagingConstant: 1 });
  last.observe(new Float32Array([-5, 5]));
  last.observe(new Float32Array([0.25, 0.5]));
  deepEqual(last.range(), { min: 0.25, max: 0.5 });
  fc.assert(
    fc.property(
      fc.double({ min: -100, max: 0, noNaN: true }),
      fc.double({ min: 0, max: 100, noNaN: true }),
      fc.double({ min: 0.05, max: 1, noNaN: true }),
      fc.integer({ min: 1, max: 1000 }),
      (lo, hi, c, seed) => {
        const obs = new MovingAverageMinMaxObserver({ averagingConstant: c });
        obs.observe(data(16, seed, 0.5, 400)); // a first batch far from the steady range
        const batch = new Float32Array([lo, hi, (lo + hi) / 2]);
        for (let k = 0; k < 600; k++) obs.observe(batch);
        const r = obs.range();
        // (1 − c)^600 < 1e−13: what is left is float32 rounding of the fixed point.
        ok(Math.abs(r.min - batch[0]) <= 1e-5 * (1 + Math.abs(batch[0])), `${r.min} vs ${lo}`);
        ok(Math.abs(r.max - batch[1]) <= 1e-5 * (1 + Math.abs(batch[1])), `${r.max} vs ${hi}`);
      },
    ),
    { numRuns: 100, seed: 12 },
  );
});

Deno.test("MovingAverageMinMaxObserver: invalid averagingConstant is a RangeError naming it", () => {
  for (const c of [0, -0.5, 1.5, NaN]) {
    throws(() => new MovingAverageMinMaxObserver({ averagingConstant: c }), {
      name: "RangeError",
      message: /averagingConstant must be a number in \(0, 1\]/,
    });
  }
  const obs = new MovingAverageMinMaxObserver();
  obs.observe(new Float32Array([1]));
  throws(() => obs.observe(new Float32Array([0, NaN])), /x\[1\] is NaN/);
  deepEqual(obs.range(), { min: 1, max: 1 });
});

Deno.test("PerChannelMinMaxObserver: hand example along axis 1 of a [2, 2, 2] tensor", () => {
  const obs = new PerChannelMinMaxObserver({ axis: 1 });
  // Channel 0 holds elements 0, 1, 4, 5; channel 1 holds 2, 3, 6, 7.
  obs.observe({ data: new Float32Array([-1, 2, 0, 1, 3, 0.5, -4, 2]), shape: [2, 2, 2] });
  deepEqual(obs.range(), { min: new Float64Array([-1, -4]), max: new Float64Array([3, 2]) });
  const p = obs.qparams();
  deepEqual([...(p.scale as Float32Array)], [Math.fround(4 / 255), Math.fround(6 / 255)]);
  deepEqual([...(p.zeroPoint as Int32Array)], [64, 170]); // round(63.75) = 64, round(170) = 170
  equal(p.axis, 1);
  deepEqual([p.qmin, p.qmax], [0, 255]);
  // A second batch widens channel 1 only.
  obs.observe({ data: new Float32Array([0, 0, 5, 0]), shape: [1, 2, 2] });
  deepEqual(obs.range().max, new Float64Array([3, 5]));
});

Deno.test("PerChannelMinMaxObserver equals MinMaxObserver applied to each channel slice (property)", () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
      fc.nat(),
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 1, max: 10_000 }),
      fc.boolean(),
      (shape, axisSeed, batches, seed, symmetric) => {
        const nd = shape.length, axis = (axisSeed % (2 * nd)) - nd; // negative axes too
        const a = axis < 0 ? axis + nd : axis;
        const size = shape.reduce((x, y) => x * y, 1);
        const opts = { signed: true, symmetric, bits: 6 };
        const pc = new PerChannelMinMaxObserver({ ...opts, axis });
        const per = Array.from({ length: shape[a] }, () => new MinMaxObserver(opts));
        const inner = shape.slice(a + 1).reduce((x, y) => x * y, 1);
        for (let b = 0; b < batches; b++) {
          const x = data(size, seed + b);
          pc.observe({ data: x, shape });
          for (let c = 0; c < shape[a]; c++) {
            // The slice of channel c: indices whose coordinate along `a` is c.
            per[c].observe(x.filter((_, i) => Math.floor(i / inner) % shape[a] === c));
          }
        }
        const p = pc.qparams();
        equal(p.axis, axis);
        for (let c = 0; c < shape[a]; c++) {
          const q = per[c].qparams();
          equal((p.scale as Float32Array)[c], q.scale);
          equal((p.zeroPoint as Int32Array)[c], q.zeroPoint);
        }
      },
    ),
    { numRuns: 200, seed: 13 },
  );
});

Deno.test("PerChannelMinMaxObserver: errors name the argument", () => {
  throws(() => new PerChannelMinMaxObserver({ axis: 0.5 }), /options.axis must be an integer/);
  throws(
    () => new PerChannelMinMaxObserver({} as unknown as { axis: number }),
    /options.axis must be an integer/,
  );
  const obs = new PerChannelMinMaxObserver({ axis: 0 });
  throws(() => obs.qparams(), /no data observed/);
  obs.observe({ data: new Float32Array([1, 2, 3, 4]), shape: [2, 2] });
  throws(
    () => obs.observe({ data: new Float32Array(6), shape: [3, 2] }),
    /x has 3 channels along axis 0; earlier batches had 2/,
  );
  throws(
    () => obs.observe({ data: new Float32Array([1, 2, NaN, 4]), shape: [2, 2] }),
    /x\[2\] is NaN/,
  );
  deepEqual(obs.range().max, new Float64Array([2, 4]));
  throws(
    () =>
      new PerChannelMinMaxObserver({ axis: 2 }).observe({
        data: new Float32Array(4),
        shape: [2, 2],
      }),
    /axis must be an integer in \[-2, 1\]/,
  );
  // A Float32Array is shape [n]: one channel per element along axis 0.
  const flat = new PerChannelMinMaxObserver({ axis: -1, bits: 4 });
  flat.observe(new Float32Array([1.5, -3]));
  deepEqual([...(flat.qparams().scale as Float32Array)], [0.1, 0.2].map(Math.fround));
});

Deno.test("MovingAveragePerChannelMinMaxObserver: hand-computed ranges over three batches, c = 0.25, axis 1", () => {
  // x has shape [2, 2]: channel k = column k. Batch ranges per channel:
  // b1: ch0 {1, −3} → [−3, 1], ch1 {2, 4} → [2, 4]  (first batch initialises)
  // b2: ch0 {5, 1} → [1, 5],   ch1 {−4, 0} → [−4, 0]
  //     min0 = −3 + (1 + 3)/4 = −2, max0 = 1 + (5 − 1)/4 = 2; min1 = 2 + (−4 − 2)/4 = 0.5, max1 = 4 − 1 = 3
  // b3: ch0 {−2, −2} → [−2, −2], ch1 {8.5, 8.5}
  //     min0 = −2, max0 = 2 + (−2 − 2)/4 = 1; min1 = 0.5 + 8/4 = 2.5, max1 = 3 + 5.5/4 = 4.375
  const obs = new MovingAveragePerChannelMinMaxObserver({ axis: 1, averagingConstant: 0.25 });
  obs.observe({ data: new Float32Array([1, 2, -3, 4]), shape: [2, 2] });
  deepEqual([...obs.range().min], [-3, 2]);
  deepEqual([...obs.range().max], [1, 4]);
  obs.observe({ data: new Float32Array([5, -4, 1, 0]), shape: [2, 2] });
  deepEqual([...obs.range().min], [-2, 0.5]);
  deepEqual([...obs.range().max], [2, 3]);
  obs.observe({ data: new Float32Array([-2, 8.5, -2, 8.5]), shape: [2, 2] });
  deepEqual([...obs.range().min], [-2, 2.5]);
  deepEqual([...obs.range().max], [1, 4.375]);
  // quint8 affine per channel: ch0 [−2, 1] → S = 3/255, Z = −round(−2/S) = 170;
  // ch1 widened to [0, 4.375] → S = 4.375/255, Z = 0.
  const p = obs.qparams();
  deepEqual([...(p.scale as Float32Array)], [Math.fround(3 / 255), Math.fround(4.375 / 255)]);
  deepEqual([...(p.zeroPoint as Int32Array)], [170, 0]);
  deepEqual([p.qmin, p.qmax, p.axis], [0, 255, 1]);
});

Deno.test("MovingAveragePerChannelMinMaxObserver: default c = 0.01, float32 arithmetic", () => {
  // min = −1 + 0.01·(−2 − (−1)) = −1.01 and max = 1 + 0.01·(3 − 1) = 1.02, each step in float32.
  const obs = new MovingAveragePerChannelMinMaxObserver({ axis: 0 });
  obs.observe({ data: new Float32Array([-1, 1]), shape: [1, 2] });
  obs.observe({ data: new Float32Array([-2, 3]), shape: [1, 2] });
  const c = Math.fround(0.01);
  equal(obs.range().min[0], Math.fround(-1 + Math.fround(c * -1)));
  equal(obs.range().max[0], Math.fround(1 + Math.fround(c * 2)));
  ok(Math.abs(obs.range().min[0] + 1.01) < 1e-6 && Math.abs(obs.range().max[0] - 1.02) < 1e-6);
});

Deno.test("MovingAveragePerChannelMinMaxObserver: each channel equals the per-tensor moving average of that channel alone (property)", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 1, max: 5 }),
      fc.double({ min: 0.01, max: 1, noNaN: true }),
      fc.integer({ min: 0, max: 1000 }),
      (channels, perChannel, batches, c, seed) => {
        const obs = new MovingAveragePerChannelMinMaxObserver({ axis: 0, averagingConstant: c });
        const ref = Array.from(
          { length: channels },
          () => new MovingAverageMinMaxObserver({ averagingConstant: c }),
        );
        for (let b = 0; b < batches; b++) {
          const x = data(channels * perChannel, seed + b);
          obs.observe({ data: x, shape: [channels, perChannel] });
          for (let k = 0; k < channels; k++) {
            ref[k].observe(x.subarray(k * perChannel, (k + 1) * perChannel));
          }
        }
        const r = obs.range();
        for (let k = 0; k < channels; k++) {
          equal(r.min[k], ref[k].range().min);
          equal(r.max[k], ref[k].range().max);
        }
      },
    ),
    { numRuns: 100 },
  );
});

Deno.test("MovingAveragePerChannelMinMaxObserver: bad input", () => {
  throws(
    () => new MovingAveragePerChannelMinMaxObserver({ axis: 0, averagingConstant: 0 }),
    /averagingConstant/,
  );
  throws(
    () => new MovingAveragePerChannelMinMaxObserver({ axis: 0.5 }),
    /options\.axis/,
  );
  const obs = new MovingAveragePerChannelMinMaxObserver({ axis: 0 });
  throws(() => obs.qparams(), /no data/);
  obs.observe({ data: new Float32Array(4), shape: [2, 2] });
  throws(() => obs.observe({ data: new Float32Array(3), shape: [3, 1] }), /channels/);
  throws(() => obs.observe({ data: new Float32Array([0, NaN]), shape: [2, 1] }), /x\[1\]/);
  obs.reset();
  obs.observe({ data: new Float32Array(3), shape: [3, 1] });
  equal(obs.range().min.length, 3);
});
