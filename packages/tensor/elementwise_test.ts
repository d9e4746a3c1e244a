import { deepEqual, equal, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import { abs, add, apply, clamp, div, mul, neg, sub } from "./elementwise.ts";
import { Tensor } from "./tensor.ts";
import { type Ref, refArb, refBroadcast } from "./_naive_test.ts";

const OPS = {
  add: [add, (x: number, y: number) => x + y],
  sub: [sub, (x: number, y: number) => x - y],
  mul: [mul, (x: number, y: number) => x * y],
  div: [div, (x: number, y: number) => x / y],
} as const;

/** An output shape and two input shapes that broadcast to it (dims set to 1, leading dropped). */
const broadcastTripleArb = fc
  .array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 })
  .chain((out) =>
    fc.tuple(
      fc.constant(out),
      ...[0, 1].map(() =>
        fc.tuple(
          fc.integer({ min: 0, max: out.length }),
          fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
        ).map(([drop, ones]) => out.map((d, k) => (ones[k] ? 1 : d)).slice(drop))
      ),
    )
  )
  .chain(([out, sa, sb]) =>
    fc.tuple(fc.constant(out), refArb(fc.constant(sa)), refArb(fc.constant(sb)))
  );

const expectedShape = (out: number[], a: Ref, b: Ref): number[] => {
  const n = Math.max(a.shape.length, b.shape.length);
  return out.slice(out.length - n).map((d, k) => {
    const da = a.shape[k - (n - a.shape.length)] ?? 1, db = b.shape[k - (n - b.shape.length)] ?? 1;
    return da === 1 && db === 1 ? 1 : d;
  });
};

Deno.test("binary ops broadcast like NumPy, checked against a per-index reference", () => {
  fc.assert(
    fc.property(broadcastTripleArb, fc.boolean(), ([out, a, b], f64) => {
      const dt = f64 ? "f64" : "f32";
      const ta = Tensor.from(a.values, a.shape, dt), tb = Tensor.from(b.values, b.shape, dt);
      const shape = expectedShape(out, a, b);
      for (const [name, [op, fn]] of Object.entries(OPS)) {
        const r = op(ta, tb);
        equal(r.dtype, dt);
        deepEqual(r.shape, shape, name);
        const want = refBroadcast(a, b, shape, fn).map((v) => (f64 ? v : Math.fround(v)));
        deepEqual(r.toArray(), want, name);
      }
    }),
    { numRuns: 400, seed: 13 },
  );
});

Deno.test("binary ops read non-contiguous and f16 operands by value", () => {
  const a = Tensor.arange(6).reshape([2, 3]).T; // [[0,3],[1,4],[2,5]]
  const b = Tensor.from([10, 20], [2], "f16");
  deepEqual(add(a, b).toArray(), [10, 23, 11, 24, 12, 25]);
  deepEqual(sub(a.slice(0, undefined, undefined, -1), 1).toArray(), [1, 4, 0, 3, -1, 2]);
  deepEqual(mul(a.select(1, 1), a.select(1, 0)).toArray(), [0, 4, 10]);
  deepEqual(div(1, Tensor.from([2, 4, 0], [3], "i8")).toArray(), [0.5, 0.25, Infinity]);
  const c = Tensor.from([1, 2, 3]);
  add(c, c);
  deepEqual(c.toArray(), [1, 2, 3]); // inputs untouched
});

Deno.test("output dtype: f64 only when every tensor operand is f64", () => {
  const f64 = Tensor.from(new Float64Array([0.1]));
  const f32 = Tensor.from([0.1]);
  const i8 = Tensor.from([3], [1], "i8");
  const h = Tensor.from([0.5], [1], "f16");
  const r1: Tensor<"f64"> = add(f64, f64);
  const r2: Tensor<"f64"> = mul(f64, 3);
  const r3: Tensor<"f64"> = sub(2, f64);
  const r4: Tensor<"f32"> = add(f64, f32);
  const r5: Tensor<"f32"> = div(i8, 2);
  const r6: Tensor<"f32"> = mul(h, h);
  const r7: Tensor<"f32" | "f64"> = add(f64 as Tensor<"f32" | "f64">, 1);
  deepEqual([r1, r2, r3, r4, r5, r6, r7].map((r) => r.dtype), [
    "f64",
    "f64",
    "f64",
    "f32",
    "f32",
    "f32",
    "f64",
  ]);
  equal(r1.get(0), 0.2);
  equal(r4.get(0), Math.fround(0.1 + Math.fround(0.1)));
  equal(r5.get(0), 1.5);
  equal(r6.get(0), 0.25);
  const u1: Tensor<"f64"> = abs(f64);
  const u2: Tensor<"f32"> = neg(i8);
  const u3: Tensor<"f32"> = clamp(h, 0, 1);
  const u4: Tensor<"f32"> = apply(f32, (x) => x * 2);
  deepEqual([u1.dtype, u2.dtype, u3.dtype, u4.dtype], ["f64", "f32", "f32", "f32"]);
});

Deno.test("binary ops reject bad operands and incompatible shapes", () => {
  throws(
    () => add(1 as never, 2 as never),
    /^TypeError: a or b must be a Tensor; got number and number$/,
  );
  throws(
    () => mul(Tensor.zeros([2]), "3" as never),
    /^TypeError: b must be a Tensor or a number; got string$/,
  );
  throws(
    () => add(Tensor.zeros([2, 3]), Tensor.zeros([2])),
    (e: unknown) =>
      e instanceof RangeError &&
      e.message ===
        "shapes [2, 3], [2] cannot be broadcast together: dimension 2 does not match 3 at axis -1",
  );
});

Deno.test("scalars and 0-d tensors", () => {
  const s = Tensor.full([], 2);
  deepEqual(add(s, 3).shape, []);
  equal(add(s, 3).get(), 5);
  deepEqual(mul(s, Tensor.from([1, 2])).toArray(), [2, 4]);
  deepEqual(sub(Tensor.zeros([2, 0]), 1).shape, [2, 0]);
});

Deno.test("abs, neg, clamp and apply", () => {
  const t = Tensor.from([-2.5, -0, 0, 3, NaN, -Infinity]);
  deepEqual(abs(t).toArray(), [2.5, 0, 0, 3, NaN, Infinity]);
  ok(Object.is(abs(t).get(1), 0));
  deepEqual(neg(t).toArray(), [2.5, 0, -0, -3, NaN, Infinity]);
  ok(Object.is(neg(t).get(2), -0));
  deepEqual(clamp(t, -1, 1).toArray(), [-1, -0, 0, 1, NaN, -1]);
  deepEqual(clamp(Tensor.from([5, -5], [2], "i8"), 0, 0).toArray(), [0, 0]);
  deepEqual(clamp(Tensor.from([1, 2, 3]), -Infinity, 2).toArray(), [1, 2, 2]);
  deepEqual(apply(Tensor.arange(4).reshape([2, 2]).T, (x, i) => 10 * x + i).toArray(), [
    0,
    21,
    12,
    33,
  ]);
  deepEqual(abs(Tensor.from([-32768], [1], "i16")).toArray(), [32768]);
  throws(() => clamp(t, 2, 1), /^RangeError: lo must be ≤ hi; got lo = 2, hi = 1$/);
  throws(() => clamp(t, NaN, 1), /^RangeError: lo must be a number \(not NaN\); got NaN$/);
  throws(() => clamp(t, 0, NaN), /^RangeError: hi must be a number \(not NaN\); got NaN$/);
});

Deno.test("unary ops agree with Math on random views", () => {
  fc.assert(
    fc.property(refArb(), fc.double({ min: -70, max: 70, noNaN: true }), (r, c) => {
      const t = Tensor.from(r.values, r.shape, "f64");
      const view = t.ndim > 0 ? t.slice(0, undefined, undefined, -1) : t;
      const vals = view.toArray();
      deepEqual(abs(view).toArray(), vals.map(Math.abs));
      deepEqual(neg(view).toArray(), vals.map((x) => -x));
      const lo = Math.min(c, 0), hi = Math.max(c, 0);
      deepEqual(clamp(view, lo, hi).toArray(), vals.map((x) => Math.min(hi, Math.max(lo, x))));
      deepEqual(apply(view, Math.exp).toArray(), vals.map(Math.exp));
    }),
    { numRuns: 300, seed: 14 },
  );
});
