import { deepEqual, equal, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import { Philox } from "@lowbit/rounding/philox";
import { qparamsFromRange } from "./params.ts";
import { dequantize, fakeQuantize, quantize } from "./uniform.ts";

const f = Math.fround;

/** Reference: Eq. U.1 element by element with the FPU doing the round-half-even. */
function refQuantize(x: number, s: number, z: number, qmin: number, qmax: number): number {
  const v = f(x * f(1 / s));
  const r = Math.abs(v) < 2 ** 52
    ? (v + (v < 0 ? -(2 ** 52) : 2 ** 52)) - (v < 0 ? -(2 ** 52) : 2 ** 52)
    : v;
  return Math.min(Math.max(r + z, qmin), qmax);
}

function randomData(n: number, seed: number, spread = 4): Float32Array {
  const g = new Philox(seed);
  return new Float32Array(n).map(() => (g.uniform() - 0.5) * 2 * spread);
}

Deno.test("per-tensor quantize matches the element-by-element reference (property)", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 1000 }),
      fc.double({ min: 1e-4, max: 10, noNaN: true }),
      fc.integer({ min: 2, max: 16 }),
      fc.boolean(),
      (seed, s, bits, signed) => {
        const qmin = signed ? -(2 ** (bits - 1)) : 0,
          qmax = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
        const scale = f(s), z = signed ? 0 : Math.floor((qmax + 1) / 3);
        const x = randomData(64, seed, 2 ** bits * s);
        const t = quantize(x, { scale, zeroPoint: z, qmin, qmax });
        for (let i = 0; i < x.length; i++) equal(t.q[i], refQuantize(x[i], scale, z, qmin, qmax));
        const y = dequantize(t);
        for (let i = 0; i < x.length; i++) equal(y[i], f((t.q[i] - z) * scale));
        deepEqual(fakeQuantize(x, { scale, zeroPoint: z, qmin, qmax }), y);
      },
    ),
    { numRuns: 300, seed: 41 },
  );
});

Deno.test("ties round half to even; saturation at both ends", () => {
  const p = { scale: 0.5, zeroPoint: 0, qmin: -4, qmax: 3 };
  deepEqual([...quantize(new Float32Array([0.25, 0.75, -0.25, -0.75, 1.25, 100, -100]), p).q], [
    0,
    2,
    -0,
    -2,
    2,
    3,
    -4,
  ]);
  equal(quantize(new Float32Array([0.25]), p, { rounding: "nearest-away" }).q[0], 1);
  equal(quantize(new Float32Array([0.4]), p, { rounding: "floor" }).q[0], 0);
  equal(quantize(new Float32Array([Infinity]), p).q[0], 3);
});

Deno.test("inside the clipping range the error is at most S/2", () => {
  const { scale, zeroPoint } = qparamsFromRange(-3, 5, { qmin: 0, qmax: 255 });
  const p = { scale, zeroPoint, qmin: 0, qmax: 255 };
  const x = randomData(10000, 3, 3);
  const y = fakeQuantize(x, p);
  for (let i = 0; i < x.length; i++) {
    ok(Math.abs(y[i] - x[i]) <= scale / 2 + 1e-7, `${x[i]} → ${y[i]}`);
  }
  equal(fakeQuantize(new Float32Array([0]), p)[0], 0); // zero is exact
});

Deno.test("per-channel equals per-tensor applied to each slice along the axis (3-D, every axis)", () => {
  const shape = [3, 4, 5];
  const x = randomData(60, 7);
  for (let axis = 0; axis < 3; axis++) {
    const dim = shape[axis];
    const scale = new Float32Array(dim).map((_, i) => f(0.01 + 0.02 * i));
    const zeroPoint = new Int32Array(dim).map((_, i) => i - 1);
    const t = quantize({ data: x, shape }, { scale, zeroPoint, qmin: -128, qmax: 127, axis });
    // Independent indexing: decompose the flat index into (i0, i1, i2).
    for (let i = 0; i < 60; i++) {
      const idx = [Math.floor(i / 20), Math.floor(i / 5) % 4, i % 5];
      const c = idx[axis];
      equal(t.q[i], refQuantize(x[i], scale[c], zeroPoint[c], -128, 127), `axis ${axis} i ${i}`);
    }
    const negative = quantize({ data: x, shape }, {
      scale,
      zeroPoint,
      qmin: -128,
      qmax: 127,
      axis: axis - 3,
    });
    deepEqual(negative.q, t.q);
  }
});

Deno.test("per-group: groups of g along an axis share parameters", () => {
  const shape = [2, 9], g = 3, groups = 3;
  const x = randomData(18, 8);
  const scale = new Float32Array(2 * groups).map((_, i) => f(0.05 * (i + 1)));
  const zeroPoint = new Int32Array(2 * groups);
  const t = quantize({ data: x, shape }, {
    scale,
    zeroPoint,
    qmin: -8,
    qmax: 7,
    axis: 1,
    groupSize: g,
  });
  for (let r = 0; r < 2; r++) {
    for (let c = 0; c < 9; c++) {
      const p = r * groups + Math.floor(c / g);
      equal(t.q[r * 9 + c], refQuantize(x[r * 9 + c], scale[p], 0, -8, 7));
    }
  }
  // Groups along axis 0 of a [4, 3] tensor: parameters [2, 3] vary with the inner index.
  const x2 = randomData(12, 9);
  const s2 = new Float32Array(6).map((_, i) => f(0.1 * (i + 1)));
  const t2 = quantize({ data: x2, shape: [4, 3] }, {
    scale: s2,
    zeroPoint: new Int32Array(6),
    qmin: -8,
    qmax: 7,
    axis: 0,
    groupSize: 2,
  });
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 3; c++) {
      equal(t2.q[r * 3 + c], refQuantize(x2[r * 3 + c], s2[Math.floor(r / 2) * 3 + c], 0, -8, 7));
    }
  }
});

Deno.test("stochastic rounding makes fake quantization unbiased", () => {
  const n = 100_000, x = 0.33, s = 0.25;
  const y = fakeQuantize(
    new Float32Array(n).fill(x),
    { scale: s, zeroPoint: 0, qmin: -8, qmax: 7 },
    {
      rounding: "stochastic",
      random: new Philox(5),
    },
  );
  const mean = y.reduce((a, b) => a + b, 0) / n;
  const p = f(x * 4) % 1;
  ok(Math.abs(mean - x) < 5 * s * Math.sqrt(p * (1 - p) / n), `mean ${mean}`);
});

Deno.test("storage type follows the code range", () => {
  const x = new Float32Array([1, 2]);
  ok(quantize(x, { scale: 1, zeroPoint: 0, qmin: -128, qmax: 127 }).q instanceof Int8Array);
  ok(quantize(x, { scale: 1, zeroPoint: 0, qmin: 0, qmax: 255 }).q instanceof Uint8Array);
  ok(quantize(x, { scale: 1, zeroPoint: 0, qmin: -32768, qmax: 32767 }).q instanceof Int16Array);
  ok(
    quantize(x, { scale: 1, zeroPoint: 0, qmin: -(2 ** 20), qmax: 2 ** 20 }).q instanceof
      Int32Array,
  );
});

Deno.test("bad input is a typed error naming the argument", () => {
  const p = { scale: 0.5, zeroPoint: 0, qmin: -8, qmax: 7 };
  throws(() => quantize(new Float32Array([1, NaN]), p), /x\[1\] is NaN/);
  throws(
    () => quantize(new Float32Array(1), { ...p, scale: 0 }),
    /params.scale must be finite and > 0/,
  );
  throws(
    () => quantize(new Float32Array(1), { ...p, zeroPoint: 9 }),
    /params.zeroPoint must be an integer in \[-8, 7\]/,
  );
  throws(() => quantize(new Float32Array(1), { ...p, qmin: 7 }), /qmin < qmax/);
  throws(() => quantize(new Float32Array(4), { ...p, axis: 0 }), /arrays of 4 entries/);
  throws(
    () =>
      quantize({ data: new Float32Array(6), shape: [2, 3] }, {
        ...p,
        scale: new Float32Array(3).fill(1),
        zeroPoint: new Int32Array(3),
        axis: 2,
      }),
    /params.axis must be an integer in \[-2, 1\]/,
  );
  throws(() => quantize({ data: new Float32Array(6), shape: [2, 2] }, p), /shape \[2, 2\]/);
  throws(() => quantize([1, 2] as never, p), TypeError);
  throws(() => quantize(new Float32Array(1), p, { rounding: "stochastic" }), TypeError);
  throws(
    () => quantize(new Float32Array(2), { ...p, groupSize: 2 }),
    /groupSize needs params.axis/,
  );
});

Deno.test("a group size that does not divide the axis is a RangeError", () => {
  throws(
    () =>
      quantize({ data: new Float32Array(14), shape: [2, 7] }, {
        scale: new Float32Array(6).fill(1),
        zeroPoint: new Int32Array(6),
        qmin: -8,
        qmax: 7,
        axis: 1,
        groupSize: 3,
      }),
    /params.groupSize must divide the axis size 7/,
  );
});

Deno.test("fakeQuantize is idempotent (property)", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 500 }),
      fc.double({ min: 1e-3, max: 2, noNaN: true }),
      (seed, s) => {
        const p = { scale: f(s), zeroPoint: 3, qmin: -16, qmax: 15 };
        const once = fakeQuantize(randomData(100, seed, 40 * s), p);
        deepEqual(fakeQuantize(once, p), once);
      },
    ),
    { numRuns: 300, seed: 42 },
  );
});

Deno.test('scaling "divide" is ONNX QuantizeLinear: fl(x / S), and can differ from the reciprocal', () => {
  const s = f(0.3), p = { scale: s, zeroPoint: 0, qmin: -128, qmax: 127 };
  // Probe the float32 neighbours of every tie (k + 1/2)·S, where the two scalings can land on
  // different sides of the rounding boundary.
  const probes: number[] = [];
  const bits = new Uint32Array(1), fl = new Float32Array(bits.buffer);
  for (let k = 0; k < 127; k++) {
    fl[0] = (k + 0.5) * s;
    for (let d = -2; d <= 2; d++) {
      const b = bits[0];
      bits[0] = b + d;
      probes.push(fl[0]);
      bits[0] = b;
    }
  }
  const x = Float32Array.from(probes);
  const mul = quantize(x, p).q, div = quantize(x, p, { scaling: "divide" }).q;
  let differ = 0;
  for (let i = 0; i < x.length; i++) {
    equal(div[i], refQuantizeDivide(x[i], s, 0, -128, 127));
    equal(mul[i], refQuantize(x[i], s, 0, -128, 127));
    if (mul[i] !== div[i]) differ++;
  }
  ok(differ > 0, "the two scalings never differed near ties");
  throws(() => quantize(x, p, { scaling: "exact" as never }), /scaling must be/);
});

function refQuantizeDivide(x: number, s: number, z: number, qmin: number, qmax: number): number {
  const v = f(x / s);
  const r = v + (v < 0 ? -(2 ** 52) : 2 ** 52) - (v < 0 ? -(2 ** 52) : 2 ** 52);
  return Math.min(Math.max(r + z, qmin), qmax);
}

Deno.test("Wasm SIMD and TypeScript quantize kernels agree on every storage type and scaling", () => {
  const ranges: [number, number, number][] = [
    [-128, 127, 3],
    [0, 255, 128],
    [-8, 7, -1],
    [-32768, 32767, 100],
    [0, 65535, 30000],
    [-(2 ** 20), 2 ** 20, 5],
  ];
  for (const [qmin, qmax, z] of ranges) {
    for (const scaling of ["reciprocal", "divide"] as const) {
      const s = f(0.37 * (qmax - qmin) / 255);
      const x = randomData(1003, qmax, s * (qmax - qmin)); // odd length: the TS tail runs too
      for (let k = 0; k < 200; k++) x[k] = f((k - 100 + 0.5) * s); // exact ties
      x[300] = Infinity;
      x[301] = -Infinity;
      const p = { scale: s, zeroPoint: z, qmin, qmax };
      const ts = quantize(x, p, { scaling, kernel: "ts" }).q;
      const wasm = quantize(x, p, { scaling, kernel: "wasm" }).q;
      deepEqual(wasm, ts, `[${qmin}, ${qmax}] ${scaling}`);
    }
  }
  // Per-channel along axis 0 (constant segments) goes through the Wasm kernel as well.
  const x = randomData(8 * 100, 9, 3);
  const scale = new Float32Array(8).map((_, i) => f(0.01 * (i + 1)));
  const pc = { scale, zeroPoint: new Int32Array(8), qmin: -128, qmax: 127, axis: 0 };
  deepEqual(
    quantize({ data: x, shape: [8, 100] }, pc, { kernel: "wasm" }).q,
    quantize({ data: x, shape: [8, 100] }, pc, { kernel: "ts" }).q,
  );
  const bad = new Float32Array(100);
  bad[77] = NaN;
  throws(
    () => quantize(bad, { scale: 1, zeroPoint: 0, qmin: -8, qmax: 7 }, { kernel: "wasm" }),
    /x\[77\] is NaN/,
  );
  throws(
    () => quantize(bad, { scale: 1, zeroPoint: 0, qmin: -8, qmax: 7 }, { kernel: "gpu" as never }),
    /kernel must be/,
  );
});

Deno.test("options.out receives the codes and is validated", () => {
  const x = randomData(100, 12, 2);
  const p = { scale: 0.05, zeroPoint: 1, qmin: -128, qmax: 127 };
  const out = new Int8Array(128);
  const t = quantize(x, p, { out });
  equal(t.q, out);
  deepEqual(out.subarray(0, 100), quantize(x, p).q);
  throws(() => quantize(x, p, { out: new Uint8Array(100) }), /options.out must be a Int8Array/);
  throws(() => quantize(x, p, { out: new Int8Array(99) }), /at least 100 elements/);
});
