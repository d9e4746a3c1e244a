import { deepEqual, equal, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import { absMax, max, mean, min, minMaxAlongAxis, sum } from "./reduce.ts";
import { Tensor } from "./tensor.ts";
import { indices, type Ref, refArb, refReduce, refTranspose, shapeArb } from "./_naive_test.ts";

const seqSum = (v: number[]) => v.reduce((a, b) => a + b, 0);
const REFS = {
  min: (v: number[]) => Math.min(...v),
  max: (v: number[]) => Math.max(...v),
  absMax: (v: number[]) => Math.max(...v.map(Math.abs)),
  sum: seqSum,
  mean: (v: number[]) => seqSum(v) / v.length,
};
const FNS = { min, max, absMax, sum, mean };
type Name = keyof typeof FNS;

/** A reference and the same values as a (possibly non-contiguous) tensor view. */
const viewArb = (shape: fc.Arbitrary<number[]>) =>
  refArb(shape).chain((r) =>
    fc.tuple(
      fc.constant(r),
      fc.shuffledSubarray([...Array(r.shape.length).keys()], {
        minLength: r.shape.length,
        maxLength: r.shape.length,
      }),
      fc.constantFrom("f32", "f64", "f16", "i32" as const),
    ).map(([r, perm, dtype]) => {
      // Store the transpose-inverse so that transposing back gives a non-contiguous view of r.
      const inv = perm.map((_, k) => perm.indexOf(k));
      const stored: Ref = refTranspose(r, inv);
      const values = dtype === "i32" ? r.values.map((x) => Math.round(x)) : r.values;
      const storedValues = dtype === "i32"
        ? stored.values.map((x) => Math.round(x))
        : stored.values;
      const t = Tensor.from(storedValues, stored.shape, dtype).transpose(...perm);
      return { ref: { shape: r.shape, values }, t };
    })
  );

Deno.test("reductions over everything and along each axis match a naive reference", () => {
  fc.assert(
    fc.property(viewArb(shapeArb(4, 1, 4)), ({ ref, t }) => {
      deepEqual(t.toArray(), ref.values); // the view really holds ref
      for (const name of Object.keys(FNS) as Name[]) {
        equal(FNS[name](t), refReduce(ref, REFS[name]).values[0], `${name} of all`);
        for (let axis = 0; axis < ref.shape.length; axis++) {
          const want = refReduce(ref, REFS[name], axis);
          const got = FNS[name](t, { axis });
          equal(got.dtype, "f64");
          deepEqual(got.shape, want.shape, `${name} axis ${axis}`);
          deepEqual(got.toArray(), want.values, `${name} axis ${axis}`);
          const neg = FNS[name](t, { axis: axis - ref.shape.length, keepdims: true });
          const kept = [...ref.shape];
          kept[axis] = 1;
          deepEqual(neg.shape, kept);
          deepEqual(neg.toArray(), want.values);
        }
      }
    }),
    { numRuns: 300, seed: 11 },
  );
});

Deno.test("minMaxAlongAxis matches a per-channel reference on views and dtypes", () => {
  fc.assert(
    fc.property(viewArb(shapeArb(4, 1, 4).filter((s) => s.length > 0)), ({ ref, t }) => {
      for (let axis = 0; axis < ref.shape.length; axis++) {
        const n = ref.shape[axis];
        const groups: number[][] = Array.from({ length: n }, () => []);
        indices(ref.shape).forEach((idx, i) => groups[idx[axis]].push(ref.values[i]));
        const got = minMaxAlongAxis(t, axis - (axis % 2) * ref.shape.length);
        ok(got.min instanceof Float64Array && got.max instanceof Float64Array);
        deepEqual([...got.min], groups.map((g) => Math.min(...g)));
        deepEqual([...got.max], groups.map((g) => Math.max(...g)));
      }
    }),
    { numRuns: 300, seed: 12 },
  );
});

Deno.test("hand-computed reductions of a 2×3×2 tensor", () => {
  const t = Tensor.from([1, -7, 2, 8, 0, 3, -4, 5, 6, -1, 9, 2], [2, 3, 2]);
  deepEqual(min(t, { axis: 1 }).toArray(), [0, -7, -4, -1]);
  deepEqual(max(t, { axis: 2 }).toArray(), [1, 8, 3, 5, 6, 9]);
  deepEqual(absMax(t, { axis: 0 }).toArray(), [4, 7, 6, 8, 9, 3]);
  deepEqual(sum(t, { axis: 1, keepdims: true }).shape, [2, 1, 2]);
  deepEqual(sum(t, { axis: 1 }).toArray(), [3, 4, 11, 6]);
  deepEqual(mean(t, { axis: -1 }).toArray(), [-3, 5, 1.5, 0.5, 2.5, 5.5]);
  equal(sum(t), 24);
  equal(mean(t), 2);
  const { min: lo, max: hi } = minMaxAlongAxis(t, 1);
  deepEqual([...lo], [-7, -1, 0]);
  deepEqual([...hi], [5, 8, 9]);
});

Deno.test("NaN propagates like Math.min/Math.max wherever it sits", () => {
  for (let pos = 0; pos < 6; pos++) {
    const v = [3, -1, 4, 1, -5, 9];
    v[pos] = NaN;
    const t = Tensor.from(v, [2, 3]);
    for (const name of Object.keys(FNS) as Name[]) ok(Number.isNaN(FNS[name](t)), `${name} ${pos}`);
    const row = Math.floor(pos / 3), col = pos % 3;
    for (const name of ["min", "max", "absMax", "sum", "mean"] as Name[]) {
      const byRow = FNS[name](t, { axis: 1 }).toArray();
      deepEqual(byRow.map(Number.isNaN), [row === 0, row === 1], `${name} rows`);
      const byCol = FNS[name](t, { axis: 0 }).toArray();
      deepEqual(byCol.map(Number.isNaN), [0, 1, 2].map((c) => c === col), `${name} cols`);
    }
    const mm = minMaxAlongAxis(t, 1);
    deepEqual([...mm.min].map(Number.isNaN), [0, 1, 2].map((c) => c === col));
    deepEqual([...mm.max].map(Number.isNaN), [0, 1, 2].map((c) => c === col));
  }
  const h = Tensor.from([1, NaN], [2], "f16");
  ok(Number.isNaN(max(h)));
  equal(min(Tensor.from([Infinity, -Infinity])), -Infinity);
  ok(Number.isNaN(sum(Tensor.from([Infinity, -Infinity]))));
});

Deno.test("empty inputs: min/max/absMax throw, sum is 0, mean is NaN", () => {
  const e = Tensor.zeros([0, 3]);
  for (const name of ["min", "max", "absMax"] as const) {
    throws(
      () => FNS[name](e),
      (err: unknown) =>
        err instanceof RangeError &&
        err.message === `${name} of an empty tensor (shape [0, 3]) is undefined`,
    );
    throws(() => FNS[name](e, { axis: 0 }), /along axis 0 of shape \[0, 3\]: that axis is empty/);
    deepEqual(FNS[name](e, { axis: 1 }).shape, [0]);
  }
  equal(sum(e), 0);
  ok(Number.isNaN(mean(e)));
  deepEqual(sum(e, { axis: 0 }).toArray(), [0, 0, 0]);
  ok(mean(e, { axis: 0 }).toArray().every(Number.isNaN));
  deepEqual(minMaxAlongAxis(e, 0), { min: new Float64Array(0), max: new Float64Array(0) });
  throws(
    () => minMaxAlongAxis(e, 1),
    /minMaxAlongAxis of shape \[0, 3\] along axis 1: the slices are empty/,
  );
});

Deno.test("0-d tensors and axis errors", () => {
  const s = Tensor.full([], -2.5);
  equal(min(s), -2.5);
  equal(absMax(s), 2.5);
  equal(mean(s), -2.5);
  throws(() => sum(s, { axis: 0 }), /axis is out of range: a 0-d tensor has no axes/);
  const t = Tensor.zeros([2, 3]);
  throws(
    () => max(t, { axis: 2 }),
    (e: unknown) =>
      e instanceof RangeError &&
      e.message === "axis must be an integer in [-2, 1] for a 2-d tensor; got 2",
  );
  throws(() => minMaxAlongAxis(t, -3), /axis must be an integer in \[-2, 1\]/);
  equal(min(t, {}), 0); // no axis: the whole tensor
});

Deno.test("sums accumulate sequentially in float64 for every input dtype", () => {
  const big = Tensor.full([1_000_000], 0.1); // f32 storage of 0.1
  const want = 1_000_000 * Math.fround(0.1);
  ok(Math.abs(sum(big) - want) < 1e-6, `${sum(big)}`); // float32 accumulation is off by ~1e3
  equal(sum(Tensor.from(new Float64Array([1e16, 1, -1e16]))), 0); // left to right
  equal(sum(Tensor.from(new Float64Array([1e16, -1e16, 1]))), 1);
  equal(sum(Tensor.from([4294967295, 4294967295], [2], "u32")), 8589934590);
  equal(sum(Tensor.full([300], 127, "i8")), 38100);
  equal(absMax(Tensor.from([-128, 1], [2], "i8")), 128);
});

Deno.test("along-axis reductions of contiguous views with an offset read the right block", () => {
  const base = Tensor.arange(24).reshape([2, 3, 4]);
  const v = base.select(0, 1); // contiguous, offset 12
  ok(v.isContiguous);
  deepEqual(sum(v, { axis: 0 }).toArray(), [48, 51, 54, 57]);
  deepEqual(min(v, { axis: 1 }).toArray(), [12, 16, 20]);
  const mm = minMaxAlongAxis(v, 1);
  deepEqual([...mm.min], [12, 13, 14, 15]);
  deepEqual([...mm.max], [20, 21, 22, 23]);
  equal(max(v), 23);
});
