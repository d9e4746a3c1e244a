import { deepEqual, equal, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import {
  broadcastShapes,
  formatShape,
  normalizeAxis,
  rowMajorStrides,
  shapesEqual,
  shapeSize,
  validateShape,
  valuesEqual,
} from "./shape.ts";
import { indices, position, shapeArb } from "./_naive_test.ts";

Deno.test("validateShape accepts non-negative integers and returns a frozen copy", () => {
  const s = [2, 0, 3];
  const v = validateShape(s);
  deepEqual(v, s);
  ok(v !== s && Object.isFrozen(v));
  deepEqual(validateShape([]), []);
});

Deno.test("validateShape rejects bad dimensions naming the argument", () => {
  for (const bad of [[-1], [1.5], [NaN], [Infinity], ["2"], [2 ** 53]]) {
    throws(
      () => validateShape(bad as number[]),
      (e: unknown) =>
        e instanceof RangeError &&
        /^shape must be an array of non-negative integers/.test(e.message),
      `shape ${formatShape(bad)}`,
    );
  }
  throws(() => validateShape("2,3" as never), TypeError);
  throws(() => validateShape([2 ** 30, 2 ** 30]), /shape \[1073741824, 1073741824\] has more/);
  throws(() => validateShape([-2], "newShape"), /^RangeError: newShape must be/);
});

Deno.test("shapeSize and rowMajorStrides: hand-computed values", () => {
  const table: [number[], number, number[]][] = [
    [[], 1, []],
    [[5], 5, [1]],
    [[2, 3], 6, [3, 1]],
    [[2, 3, 4], 24, [12, 4, 1]],
    [[4, 1, 3, 2], 24, [6, 6, 2, 1]],
    [[3, 0, 2], 0, [0, 2, 1]],
  ];
  for (const [shape, size, strides] of table) {
    equal(shapeSize(shape), size);
    deepEqual(rowMajorStrides(shape), strides);
  }
});

Deno.test("row-major strides map each index tuple to its row-major position", () => {
  fc.assert(
    fc.property(shapeArb(4, 1, 5), (shape) => {
      const strides = rowMajorStrides(shape);
      indices(shape).forEach((idx, i) => {
        const off = idx.reduce((a, v, k) => a + v * strides[k], 0);
        equal(off, i);
        equal(position(shape, idx), i);
      });
    }),
    { numRuns: 300, seed: 4 },
  );
});

Deno.test("normalizeAxis: NumPy negative axes and errors naming the range", () => {
  deepEqual([-3, -2, -1, 0, 1, 2].map((a) => normalizeAxis(a, 3)), [0, 1, 2, 0, 1, 2]);
  throws(
    () => normalizeAxis(3, 3),
    (e: unknown) =>
      e instanceof RangeError &&
      e.message === "axis must be an integer in [-3, 2] for a 3-d tensor; got 3",
  );
  throws(() => normalizeAxis(-4, 3), /axis must be an integer in \[-3, 2\]/);
  throws(() => normalizeAxis(0.5, 3), RangeError);
  throws(() => normalizeAxis(0, 0), /axis is out of range: a 0-d tensor has no axes; got 0/);
  throws(() => normalizeAxis(5, 2, "dim"), /^RangeError: dim must be an integer in \[-2, 1\]/);
});

Deno.test("broadcastShapes agrees with a table of NumPy results", () => {
  // np.broadcast_shapes(...) outputs, from the NumPy broadcasting guide and by hand.
  const ok: [number[][], number[]][] = [
    [[[256, 256, 3], [3]], [256, 256, 3]],
    [[[8, 1, 6, 1], [7, 1, 5]], [8, 7, 6, 5]],
    [[[5, 4], [1]], [5, 4]],
    [[[5, 4], [4]], [5, 4]],
    [[[15, 3, 5], [15, 1, 5]], [15, 3, 5]],
    [[[15, 3, 5], [3, 5]], [15, 3, 5]],
    [[[15, 3, 5], [3, 1]], [15, 3, 5]],
    [[[4, 1], [3]], [4, 3]],
    [[[], [2, 3]], [2, 3]],
    [[[], []], []],
    [[[0], [1]], [0]],
    [[[2, 0], [2, 1]], [2, 0]],
    [[[1, 0], [3, 1]], [3, 0]],
    [[[1], [1, 1, 1]], [1, 1, 1]],
    [[[6, 7], [5, 6, 1], [7], [5, 1, 7]], [5, 6, 7]],
    [[], []],
  ];
  for (const [shapes, want] of ok) deepEqual(broadcastShapes(...shapes), want, formatShape(shapes));
  const bad: number[][][] = [
    [[3], [4]],
    [[2, 1], [8, 4, 3]],
    [[0], [2]],
    [[4, 3], [4]],
    [[1, 2], [3, 1], [3, 3, 3]],
  ];
  for (const shapes of bad) {
    throws(
      () => broadcastShapes(...shapes),
      (e: unknown) => e instanceof RangeError && /cannot be broadcast together/.test(e.message),
    );
  }
  throws(
    () => broadcastShapes([2, 1], [8, 4, 3]),
    /shapes \[2, 1\], \[8, 4, 3\] cannot be broadcast together: dimension 4 does not match 2 at axis -2/,
  );
});

Deno.test("broadcastShapes is commutative and each input stretches to the output", () => {
  const dims = fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 4 });
  fc.assert(
    fc.property(dims, dims, (a, b) => {
      let ab: number[] | undefined, ba: number[] | undefined;
      try {
        ab = broadcastShapes(a, b);
      } catch { /* incompatible */ }
      try {
        ba = broadcastShapes(b, a);
      } catch { /* incompatible */ }
      deepEqual(ab, ba);
      const compatible = [...Array(Math.min(a.length, b.length)).keys()].every((i) => {
        const x = a[a.length - 1 - i], y = b[b.length - 1 - i];
        return x === y || x === 1 || y === 1;
      });
      equal(ab !== undefined, compatible);
      if (ab) {
        equal(ab.length, Math.max(a.length, b.length));
        for (const s of [a, b]) {
          s.forEach((d, i) => ok(d === 1 || d === ab![ab!.length - s.length + i]));
        }
      }
    }),
    { numRuns: 2000, seed: 5 },
  );
});

Deno.test("shapesEqual and formatShape", () => {
  ok(shapesEqual([], []));
  ok(!shapesEqual([1], []));
  ok(!shapesEqual([1, 2], [1, 3]));
  equal(formatShape([]), "[]");
  equal(formatShape([4, 0]), "[4, 0]");
});

Deno.test("valuesEqual compares plain and typed arrays element by element with ===", () => {
  ok(valuesEqual([], new Int32Array(0)));
  ok(valuesEqual(Float32Array.of(0.25, -3), [0.25, -3]));
  ok(valuesEqual(Int8Array.of(-1), Uint8Array.of(255)) === false); // -1 vs 255
  ok(!valuesEqual([1, 2], [1, 2, 3]));
  ok(!valuesEqual([1, 2, 3], [1, 2]));
  ok(!valuesEqual(Float32Array.of(0.1), [0.1])); // float32(0.1) ≠ 0.1
  ok(!valuesEqual([NaN], [NaN]));
  ok(valuesEqual([0], [-0]));
});

Deno.test("valuesEqual on long integer arrays of one type (word compare) = element by element (fast-check)", () => {
  const types = [Int8Array, Uint8Array, Int16Array, Uint16Array, Int32Array, Uint32Array] as const;
  const byDefinition = (a: ArrayLike<number>, b: ArrayLike<number>) =>
    a.length === b.length && Array.from(a).every((v, i) => v === b[i]);
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: types.length - 1 }),
      fc.integer({ min: 60, max: 300 }),
      fc.integer({ min: 0, max: 7 }),
      fc.integer({ min: 0, max: 7 }),
      fc.integer({ min: -1, max: 299 }),
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      (t, n, offA, offB, flip, seed) => {
        const T = types[t];
        const bufA = new T(n + 8), bufB = new T(n + 8);
        for (let i = 0; i < n + 8; i++) bufA[i] = bufB[i] = (seed * (i + 1) * 2654435761) >>> 7;
        // same values at different (possibly misaligned) offsets
        const a = bufA.subarray(offA, offA + n);
        const b = bufB.subarray(offB, offB + n);
        b.set(a);
        if (flip >= 0 && flip < n) b[flip] = b[flip] + 1;
        return valuesEqual(a, b) === byDefinition(a, b) && valuesEqual(a, a.slice());
      },
    ),
    { numRuns: 300, seed: 5 },
  );
  // integer arrays of different types still compare by value, not by bytes
  ok(!valuesEqual(new Int8Array(80).fill(-1), new Uint8Array(80).fill(255)));
  ok(valuesEqual(new Int8Array(80).fill(3), new Int16Array(80).fill(3)));
});
