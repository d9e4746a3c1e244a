import { deepEqual, equal, notEqual, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import { Tensor } from "./tensor.ts";
import {
  indices,
  position,
  pySliceIndices,
  type Ref,
  refArb,
  refSlice,
  refTranspose,
  shapeArb,
} from "./_naive_test.ts";

const toTensor = (r: Ref): Tensor<"f32"> => Tensor.from(r.values, r.shape);

/** A permutation of 0 … n−1 (fast-check shuffles). */
const permArb = (n: number) =>
  fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n });

Deno.test("the constructor wraps storage with row-major or explicit layouts", () => {
  const data = new Float32Array([0, 1, 2, 3, 4, 5]);
  const t = new Tensor("f32", data, [2, 3]);
  equal(t.data, data);
  deepEqual(t.strides, [3, 1]);
  equal(t.offset, 0);
  equal(t.size, 6);
  equal(t.ndim, 2);
  ok(t.isContiguous);
  ok(Object.isFrozen(t.shape) && Object.isFrozen(t.strides));
  deepEqual(new Tensor("f32", data).shape, [6]);
  const cols = new Tensor("f32", data, [3, 2], { strides: [1, 3] }); // a transposed view
  ok(!cols.isContiguous);
  deepEqual(cols.toArray(), [0, 3, 1, 4, 2, 5]);
  const rev = new Tensor("f32", data, [3], { strides: [-2], offset: 5 });
  deepEqual(rev.toArray(), [5, 3, 1]);
  const bcast = new Tensor("f32", data, [2, 2], { strides: [0, 1], offset: 4 });
  deepEqual(bcast.toArray(), [4, 5, 4, 5]);
  const scalar = new Tensor("f64", new Float64Array([7]), []);
  equal(scalar.get(), 7);
  equal(scalar.size, 1);
  equal(new Tensor("f32", new Float32Array(0), [3, 0], { offset: 99 }).size, 0);
});

Deno.test("the constructor rejects mismatched storage and layouts, naming the argument", () => {
  const data = new Float32Array(6);
  throws(
    () => new Tensor("f32", new Float64Array(6) as never),
    /^TypeError: data must be a Float32Array for dtype "f32"; got Float64Array$/,
  );
  throws(
    () => new Tensor("f16", new Int16Array(2) as never),
    /data must be a Uint16Array for dtype "f16"/,
  );
  throws(() => new Tensor("f8" as never, data as never), /dtype must be one of/);
  throws(
    () => new Tensor("f32", data, [4, 2]),
    /^RangeError: shape \[4, 2\] needs 8 elements; data has 6$/,
  );
  throws(() => new Tensor("f32", data, [2, -3]), /shape must be an array of non-negative integers/);
  throws(() => new Tensor("f32", data, [2, 3], { strides: [3] }), /strides must be 2 integers/);
  throws(
    () => new Tensor("f32", data, [2, 3], { strides: [3, 0.5] }),
    /strides must be 2 integers/,
  );
  throws(
    () => new Tensor("f32", data, [2, 3], { offset: -1 }),
    /offset must be a non-negative integer/,
  );
  throws(
    () => new Tensor("f32", data, [2, 3], { offset: 1 }),
    /reaches storage indices \[1, 6\] outside data of length 6/,
  );
  throws(
    () => new Tensor("f32", data, [2], { strides: [-1] }),
    /reaches storage indices \[-1, 0\]/,
  );
});

Deno.test("Tensor.from copies and converts, inferring dtype from typed arrays", () => {
  const src = [1.25, -2.5, 3];
  const t = Tensor.from(src, [3]);
  src[0] = 99;
  equal(t.get(0), 1.25);
  const f64: Tensor<"f64"> = Tensor.from(new Float64Array([0.1, 0.2]));
  equal(f64.get(0), 0.1);
  const u8: Tensor<"u8"> = Tensor.from(new Uint8Array([255]));
  equal(u8.dtype, "u8");
  const i8: Tensor<"i8"> = Tensor.from([127.5, -128.5, 0.5], undefined, "i8");
  deepEqual(i8.toArray(), [127, -128, 0]);
  equal(Tensor.from([0.1]).get(0), Math.fround(0.1));
  const h = Tensor.from(new Uint16Array([1, 2]), [2], "f16"); // values, not bits
  deepEqual([...h.data], [0x3c00, 0x4000]);
  deepEqual(h.toArray(), [1, 2]);
  throws(() => Tensor.from([1, 2, 3], [2, 2]), /shape \[2, 2\] needs 4 elements; data has 3/);
  throws(() => Tensor.from(5 as never), /^TypeError: data must be an array/);
  throws(() => Tensor.from(new Uint8ClampedArray(2) as never), /^TypeError: array must be/);
});

Deno.test("zeros, full and arange", () => {
  const z = Tensor.zeros([2, 0, 3], "u16");
  deepEqual(z.shape, [2, 0, 3]);
  equal(z.size, 0);
  equal(z.data.length, 0);
  deepEqual(Tensor.zeros([]).toArray(), [0]);
  deepEqual(Tensor.full([2, 2], -1.5, "i16").toArray(), [-2, -2, -2, -2]);
  deepEqual(Tensor.full([2], 1, "f16").toTypedArray(), new Uint16Array([0x3c00, 0x3c00]));
  deepEqual(Tensor.arange(0).shape, [0]);
  deepEqual(Tensor.arange(2, 5).toArray(), [2, 3, 4]);
  deepEqual(Tensor.arange(5, 2).toArray(), []);
  deepEqual(Tensor.arange(0, 1, { step: 0.3, dtype: "f64" }).toArray(), [
    0,
    0.3,
    0.6,
    0.8999999999999999,
  ]);
  deepEqual(Tensor.arange(3, 0, { step: -1, dtype: "i8" }).toArray(), [3, 2, 1]);
  throws(
    () => Tensor.arange(0, 3, { step: 0 }),
    /^RangeError: step must be a finite non-zero number; got 0$/,
  );
  throws(() => Tensor.arange(0, Infinity), /start and stop must be finite/);
  throws(() => Tensor.zeros([2], "q4" as never), /dtype must be one of/);
});

Deno.test("get and set: negative indices, conversion on write, errors naming index", () => {
  const t = Tensor.arange(12).reshape([3, 4]);
  equal(t.get(2, 3), 11);
  equal(t.get(-1, -4), 8);
  t.set(0.1, 1, 1);
  equal(t.get(1, 1), Math.fround(0.1));
  const q = Tensor.zeros([3], "u8");
  q.set(255.5, 0);
  q.set(-3, 1);
  q.set(2.5, 2);
  deepEqual(q.toArray(), [255, 0, 2]);
  const h = Tensor.zeros([2], "f16");
  h.set(1 / 3, 0);
  equal(h.data[0], 0x3555);
  equal(h.get(0), 0.333251953125);
  throws(() => t.get(3, 0), /^RangeError: index\[0\] must be an integer in \[-3, 2\]; got 3$/);
  throws(() => t.get(0, -5), /index\[1\] must be an integer in \[-4, 3\]; got -5/);
  throws(() => t.get(0, 1.5), /index\[1\] must be an integer/);
  throws(() => t.get(0), /^RangeError: index must have 2 entries \(one per axis\); got 1$/);
  throws(() => t.set(1, 0, 0, 0), /index must have 2 entries/);
  throws(() => Tensor.zeros([0]).get(0), /index\[0\] cannot index an axis of size 0/);
});

Deno.test("views: strides and offsets against hand-computed values", () => {
  const t = Tensor.arange(24).reshape([2, 3, 4]);
  deepEqual(t.strides, [12, 4, 1]);
  const cases: [Tensor, number[], number[], number][] = [
    [t.transpose(2, 0, 1), [4, 2, 3], [1, 12, 4], 0],
    [t.transpose(), [4, 3, 2], [1, 4, 12], 0],
    [t.transpose(-1, 1, 0), [4, 3, 2], [1, 4, 12], 0],
    [t.slice(1, 1, 3), [2, 2, 4], [12, 4, 1], 4],
    [t.slice(2, 1, undefined, 2), [2, 3, 2], [12, 4, 2], 1],
    [t.slice(2, undefined, undefined, -1), [2, 3, 4], [12, 4, -1], 3],
    [t.slice(0, -1), [1, 3, 4], [12, 4, 1], 12],
    [t.slice(1, 5, 9), [2, 0, 4], [12, 4, 1], 0],
    [t.select(1, 2), [2, 4], [12, 1], 8],
    [t.select(-1, 3), [2, 3], [12, 4], 3],
    [t.select(0, 1).select(0, 1), [4], [1], 16],
    [t.unsqueeze(0), [1, 2, 3, 4], [24, 12, 4, 1], 0],
    [t.unsqueeze(3), [2, 3, 4, 1], [12, 4, 1, 1], 0],
    [t.unsqueeze(-2), [2, 3, 1, 4], [12, 4, 4, 1], 0],
    [t.slice(1, 1, 2).squeeze(), [2, 4], [12, 1], 4],
    [t.reshape([4, -1]), [4, 6], [6, 1], 0],
    [t.select(0, 1).reshape([12]), [12], [1], 12],
    [t.slice(2, 2, 3).transpose(2, 0, 1).T, [3, 2, 1], [4, 12, 1], 2],
  ];
  cases.forEach(([v, shape, strides, offset], i) => {
    deepEqual(v.shape, shape, `case ${i} shape`);
    deepEqual(v.strides, strides, `case ${i} strides`);
    equal(v.offset, offset, `case ${i} offset`);
    equal(v.data, t.data, `case ${i} shares storage`);
  });
  ok(t.select(0, 1).isContiguous);
  ok(t.slice(0, 1, 2).isContiguous);
  ok(!t.slice(1, 1, 3).isContiguous);
  ok(t.slice(1, 1, 2).squeeze().isContiguous === false);
  ok(t.unsqueeze(1).isContiguous);
  ok(Tensor.zeros([3, 1]).T.isContiguous); // size-1 axes do not matter
  deepEqual(t.T.T.strides, t.strides);
});

Deno.test("views share storage: writes through a view reach the base and vice versa", () => {
  const base = Tensor.arange(12).reshape([3, 4]);
  base.T.set(-1, 3, 0); // base[0, 3]
  base.slice(1, 1, 3).set(-2, 1, 0); // base[1, 1]
  base.select(0, 2).set(-3, 0); // base[2, 0]
  base.reshape([2, 6]).set(-4, 1, 5); // base[2, 3]
  base.slice(0, undefined, undefined, -1).set(-5, 0, 1); // base[2, 1]
  base.unsqueeze(0).squeeze(0).set(-6, 0, 0);
  deepEqual(base.toArray(), [-6, 1, 2, -1, 4, -2, 6, 7, -3, -5, 10, -4]);
  const view = base.select(1, 2);
  base.set(100, 1, 2);
  equal(view.get(1), 100);
});

Deno.test("reshape of a non-contiguous tensor copies; toTypedArray and toArray always copy", () => {
  const base = Tensor.arange(6).reshape([2, 3]);
  const r = base.T.reshape([6]);
  notEqual(r.data, base.data);
  deepEqual(r.toArray(), [0, 3, 1, 4, 2, 5]);
  r.set(50, 0);
  equal(base.get(0, 0), 0);
  const typed = base.toTypedArray();
  typed[0] = 9;
  equal(base.get(0, 0), 0);
  equal(base.contiguous(), base);
  const c = base.T.contiguous();
  ok(c.isContiguous && c.data !== base.data);
  deepEqual(c.strides, [2, 1]);
  deepEqual(base.select(0, 1).toTypedArray(), new Float32Array([3, 4, 5]));
});

Deno.test("reshape, transpose, slice, select, squeeze, unsqueeze reject bad arguments", () => {
  const t = Tensor.arange(12).reshape([3, 4]);
  throws(
    () => t.reshape([5, 3]),
    /^RangeError: shape \[5, 3\] has 15 elements; the tensor has 12$/,
  );
  throws(() => t.reshape([-1, -1]), /shape may contain at most one -1/);
  throws(() => t.reshape([5, -1]), /cannot infer -1 for 12 elements/);
  throws(() => Tensor.zeros([0, 2]).reshape([0, -1]), /cannot infer -1 for 0 elements/);
  deepEqual(Tensor.zeros([0, 2]).reshape([-1, 4]).shape, [0, 4]);
  throws(() => t.reshape([-2, -6]), /shape must be an array of non-negative integers/);
  throws(
    () => t.transpose(0),
    /^RangeError: axes must be a permutation of 0 … 1 \(negative allowed\); got \[0\]$/,
  );
  throws(() => t.transpose(1, 1), /axes must be a permutation/);
  throws(() => t.transpose(0, 2), /axes must be a permutation/);
  throws(() => t.transpose(0, -2), /axes must be a permutation/);
  throws(
    () => t.slice(2),
    /^RangeError: axis must be an integer in \[-2, 1\] for a 2-d tensor; got 2$/,
  );
  throws(() => t.slice(0, 0, 2, 0), /^RangeError: step must be a non-zero integer; got 0$/);
  throws(() => t.slice(0, 0.5), /^RangeError: start must be an integer or undefined; got 0.5$/);
  throws(() => t.slice(0, 0, NaN), /end must be an integer/);
  throws(() => t.select(1, 4), /^RangeError: index must be an integer in \[-4, 3\]; got 4$/);
  throws(() => t.select(-3, 0), /axis must be an integer in \[-2, 1\]/);
  throws(() => t.squeeze(0), /^RangeError: axis 0 has size 3; only size-1 axes can be squeezed$/);
  throws(() => t.unsqueeze(3), /axis must be an integer in \[-3, 2\] for a 3-d tensor/);
  throws(() => Tensor.zeros([]).select(0, 0), /a 0-d tensor has no axes/);
});

Deno.test("transpose matches a naive nested-index reference (random shapes up to 4-d)", () => {
  fc.assert(
    fc.property(
      refArb().chain((r) => fc.tuple(fc.constant(r), permArb(r.shape.length))),
      ([r, perm]) => {
        const want = refTranspose(r, perm);
        const got = toTensor(r).transpose(...perm);
        deepEqual(got.shape, want.shape);
        deepEqual(got.toArray(), want.values);
        deepEqual(got.contiguous().toArray(), want.values);
        deepEqual(Array.from(got.toTypedArray()), want.values);
        deepEqual(got.reshape([-1]).toArray(), want.values);
        const flat = want.values;
        want.shape.length > 0 && got.size > 0 &&
          equal(got.get(...want.shape.map((d) => d - 1)), flat[flat.length - 1]);
      },
    ),
    { numRuns: 400, seed: 6 },
  );
});

Deno.test("slice matches Python slicing on a naive reference, including negative steps", () => {
  const bound = fc.option(fc.integer({ min: -7, max: 7 }), { nil: undefined });
  const step = fc.integer({ min: -3, max: 3 }).filter((s) => s !== 0);
  fc.assert(
    fc.property(
      refArb(shapeArb(4, 0, 5).filter((s) => s.length > 0)).chain((r) =>
        fc.tuple(
          fc.constant(r),
          fc.integer({ min: 0, max: r.shape.length - 1 }),
          bound,
          bound,
          step,
        )
      ),
      ([r, axis, start, end, st]) => {
        const want = refSlice(r, axis, start, end, st);
        const view = toTensor(r).slice(axis, start, end, st);
        deepEqual(view.shape, want.shape);
        deepEqual(view.toArray(), want.values);
        // the same slice with a negative axis
        deepEqual(toTensor(r).slice(axis - r.shape.length, start, end, st).toArray(), want.values);
      },
    ),
    { numRuns: 600, seed: 7 },
  );
});

Deno.test("composed views (transpose → slice → select) match the reference and share storage", () => {
  fc.assert(
    fc.property(
      refArb(shapeArb(4, 1, 4).filter((s) => s.length >= 2)).chain((r) =>
        fc.tuple(
          fc.constant(r),
          permArb(r.shape.length),
          fc.integer({ min: -4, max: 4 }),
          fc.integer({ min: 1, max: 2 }),
          fc.nat(),
        )
      ),
      ([r, perm, start, step, pick]) => {
        const t = toTensor(r);
        const tr = refTranspose(r, perm);
        const sl = refSlice(tr, 0, start, undefined, -step);
        const v = t.transpose(...perm).slice(0, start, undefined, -step);
        deepEqual(v.toArray(), sl.values);
        if (sl.shape[1] === 0) return;
        const j = pick % sl.shape[1];
        const sel = v.select(1, j);
        const want = sl.values.filter((_, i) =>
          Math.floor(i / rowSize(sl.shape, 1)) % sl.shape[1] === j
        );
        deepEqual(sel.toArray(), want);
        if (sel.size > 0) {
          const before = t.toArray();
          sel.set(1000, ...sel.shape.map(() => 0));
          const after = t.toArray();
          equal(after.filter((x, i) => x !== before[i]).length, 1);
          ok(after.includes(1000));
        }
      },
    ),
    { numRuns: 300, seed: 8 },
  );
});

/** Elements per index step of `axis` in a row-major layout. */
function rowSize(shape: number[], axis: number): number {
  return shape.slice(axis + 1).reduce((a, b) => a * b, 1);
}

Deno.test("isContiguous tells exactly when the storage run equals the row-major values", () => {
  fc.assert(
    fc.property(
      refArb(shapeArb(3, 1, 3)).chain((r) =>
        fc.tuple(fc.constant(r), permArb(r.shape.length), fc.integer({ min: 0, max: 1 }))
      ),
      ([r, perm, cut]) => {
        let t = toTensor(r).transpose(...perm);
        if (cut && t.ndim > 0) t = t.slice(t.ndim - 1, 1);
        const run = Array.from(t.data.slice(t.offset, t.offset + t.size));
        if (t.isContiguous) deepEqual(run, t.toArray());
        const distinct = new Set(t.toArray()).size === t.size; // only then is the converse sound
        if (distinct && t.size > 1 && !t.isContiguous) notEqual(run.join(), t.toArray().join());
      },
    ),
    { numRuns: 400, seed: 9 },
  );
});

Deno.test("squeeze and unsqueeze", () => {
  const t = Tensor.arange(6).reshape([1, 2, 1, 3, 1]);
  deepEqual(t.squeeze().shape, [2, 3]);
  deepEqual(t.squeeze(2).shape, [1, 2, 3, 1]);
  deepEqual(t.squeeze(-1).shape, [1, 2, 1, 3]);
  deepEqual(t.squeeze().toArray(), [0, 1, 2, 3, 4, 5]);
  deepEqual(Tensor.zeros([1, 1]).squeeze().shape, []);
  deepEqual(Tensor.zeros([]).unsqueeze(0).shape, [1]);
  const u = Tensor.arange(6).reshape([2, 3]).T.unsqueeze(1);
  deepEqual(u.shape, [3, 1, 2]);
  deepEqual(u.toArray(), [0, 3, 1, 4, 2, 5]);
});

Deno.test("astype rounds half to even and saturates; it always copies", () => {
  const x = Tensor.from(
    new Float64Array([-129, -128.5, -2.5, -0.5, 0.5, 1.5, 126.5, 127.5, 1e10, NaN, -Infinity]),
  );
  deepEqual(x.astype("i8").toArray(), [-128, -128, -2, 0, 0, 2, 126, 127, 127, 0, -128]);
  deepEqual(x.astype("u8").toArray(), [0, 0, 0, 0, 0, 2, 126, 128, 255, 0, 0]);
  deepEqual(x.astype("i32").toArray().slice(6, 9), [126, 128, 2147483647]);
  deepEqual(Tensor.from([300, -5, 70000], [3], "i32").astype("u8").toArray(), [255, 0, 255]);
  deepEqual(Tensor.from([70000, -70000], [2], "i32").astype("i16").toArray(), [32767, -32768]);
  const f = Tensor.from(new Float64Array([1 + 2 ** -24, 1 + 3 * 2 ** -24, 1e300]));
  deepEqual(f.astype("f32").toArray(), [1, 1 + 2 ** -22, Infinity]);
  const h = Tensor.from([1 + 2 ** -11, 65520, 6e-8, -0.1]).astype("f16");
  deepEqual([...h.data], [0x3c00, 0x7c00, 0x0001, 0xae66]);
  deepEqual(h.astype("f64").toArray(), [1, Infinity, 2 ** -24, -0.0999755859375]);
  deepEqual(Tensor.from([0.25, 2.5], [2], "f16").astype("i8").toArray(), [0, 2]);
  const src = Tensor.arange(4).reshape([2, 2]);
  const same = src.astype("f32");
  notEqual(same.data, src.data);
  same.set(9, 0, 0);
  equal(src.get(0, 0), 0);
  deepEqual(src.T.astype("u8").toArray(), [0, 2, 1, 3]);
  deepEqual(src.T.astype("f64").toArray(), [0, 2, 1, 3]);
  throws(() => src.astype("int" as never), /dtype must be one of/);
});

Deno.test("astype to every integer dtype equals the elementwise castNumber rule", () => {
  const rne = (x: number) => (x >= 0 ? (x + 2 ** 52) - 2 ** 52 : -((-x + 2 ** 52) - 2 ** 52));
  const ranges = { i8: [-128, 127], u8: [0, 255], i16: [-32768, 32767], u16: [0, 65535] } as const;
  fc.assert(
    fc.property(
      fc.array(fc.double({ min: -70000, max: 70000, noNaN: true }), { maxLength: 20 }),
      fc.constantFrom("i8", "u8", "i16", "u16" as const),
      (xs, d) => {
        const [lo, hi] = ranges[d];
        const want = xs.map((x) => Math.min(hi, Math.max(lo, rne(x))) || 0);
        deepEqual(Tensor.from(new Float64Array(xs)).astype(d).toArray(), want);
      },
    ),
    { numRuns: 500, seed: 10 },
  );
});

Deno.test("map keeps the dtype, converts results and sees row-major positions", () => {
  const t = Tensor.arange(6, undefined, { dtype: "i8" }).reshape([2, 3]).T;
  const m = t.map((v, i) => v * 50 + i);
  equal(m.dtype, "i8");
  deepEqual(m.shape, [3, 2]);
  deepEqual(m.toArray(), [0, 127, 52, 127, 104, 127]);
  deepEqual(Tensor.from([1, 2], [2], "f16").map((v) => v / 3).toArray(), [
    0.333251953125,
    0.66650390625,
  ]);
});

Deno.test("toString renders dtype, shape and nested values", () => {
  equal(Tensor.zeros([]).toString(), "Tensor<f32>[] 0");
  equal(Tensor.zeros([2, 0]).toString(), "Tensor<f32>[2, 0] [[], []]");
  equal(
    Tensor.arange(8, undefined, { dtype: "i16" }).reshape([2, 2, 2]).toString(),
    "Tensor<i16>[2, 2, 2] [[[0, 1], [2, 3]], [[4, 5], [6, 7]]]",
  );
  equal(Tensor.from([0.5, NaN], [2], "f16").toString(), "Tensor<f16>[2] [0.5, NaN]");
});

Deno.test("naive reference: indices and slices agree with hand-computed values", () => {
  deepEqual(indices([2, 2]), [[0, 0], [0, 1], [1, 0], [1, 1]]);
  deepEqual(indices([]), [[]]);
  deepEqual(indices([2, 0]), []);
  deepEqual(position([2, 3, 4], [1, 2, 3]), 23);
  // Python: list(range(10))[...]
  deepEqual(pySliceIndices(10, 2, 8, 3), [2, 5]);
  deepEqual(pySliceIndices(10, undefined, undefined, -4), [9, 5, 1]);
  deepEqual(pySliceIndices(10, -3), [7, 8, 9]);
  deepEqual(pySliceIndices(10, 8, 2, -2), [8, 6, 4]);
  deepEqual(pySliceIndices(10, -100, 100).length, 10);
  deepEqual(pySliceIndices(10, 5, 2), []);
  deepEqual(pySliceIndices(10, -1, -11, -3), [9, 6, 3, 0]);
  deepEqual(pySliceIndices(10, 100, undefined, -3), [9, 6, 3, 0]);
  deepEqual(pySliceIndices(10, -100, undefined, -1), []);
  deepEqual(pySliceIndices(10, 1, -1, -1), []);
  deepEqual(pySliceIndices(0, undefined, undefined, -1), []);
  deepEqual(refTranspose({ shape: [2, 3], values: [0, 1, 2, 3, 4, 5] }, [1, 0]).values, [
    0,
    3,
    1,
    4,
    2,
    5,
  ]);
});
