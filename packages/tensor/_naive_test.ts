// A deliberately naive reference for the tests (no tests of its own: tensor_test.ts checks it): tensors as (shape, row-major number[]) and every
// operation written with recursive index enumeration, independent of strides and offsets.

import fc from "fast-check";

/** A reference tensor: shape and values in row-major order. */
export interface Ref {
  shape: number[];
  values: number[];
}

/** Every index tuple of `shape` in row-major order, by recursion. */
export function indices(shape: readonly number[]): number[][] {
  if (shape.length === 0) return [[]];
  const rest = indices(shape.slice(1));
  const out: number[][] = [];
  for (let i = 0; i < shape[0]; i++) for (const r of rest) out.push([i, ...r]);
  return out;
}

/** The row-major position of an index tuple (Horner's rule). */
export function position(shape: readonly number[], idx: readonly number[]): number {
  let p = 0;
  for (let k = 0; k < shape.length; k++) p = p * shape[k] + idx[k];
  return p;
}

/** Reference transpose: out[i0…] = in[i at perm]. */
export function refTranspose(ref: Ref, perm: readonly number[]): Ref {
  const shape = perm.map((k) => ref.shape[k]);
  const values = indices(shape).map((o) => {
    const src = new Array<number>(ref.shape.length);
    perm.forEach((k, j) => (src[k] = o[j]));
    return ref.values[position(ref.shape, src)];
  });
  return { shape, values };
}

/** The positions Python's `range(n)[start:end:step]` picks, by a plain loop. */
export function pySliceIndices(n: number, start?: number, end?: number, step = 1): number[] {
  const out: number[] = [];
  if (step > 0) {
    let s = start ?? 0, e = end ?? n;
    if (s < 0) s = Math.max(0, s + n);
    if (e < 0) e = Math.max(0, e + n);
    s = Math.min(s, n);
    e = Math.min(e, n);
    for (let i = s; i < e; i += step) out.push(i);
  } else {
    let s = start ?? n - 1, e = end ?? -1 - n;
    if (s < 0) s = Math.max(-1, s + n);
    if (e < 0) e = Math.max(-1, e + n);
    s = Math.min(s, n - 1);
    e = Math.min(e, n - 1);
    for (let i = s; i > e; i += step) out.push(i);
  }
  return out;
}

/** Reference slice along an axis. */
export function refSlice(
  ref: Ref,
  axis: number,
  start?: number,
  end?: number,
  step?: number,
): Ref {
  const picks = pySliceIndices(ref.shape[axis], start, end, step);
  const shape = [...ref.shape];
  shape[axis] = picks.length;
  const values = indices(shape).map((o) => {
    const src = [...o];
    src[axis] = picks[o[axis]];
    return ref.values[position(ref.shape, src)];
  });
  return { shape, values };
}

/** Reference reduction along an axis (or all elements with `axis` undefined). */
export function refReduce(
  ref: Ref,
  fn: (values: number[]) => number,
  axis?: number,
): Ref {
  if (axis === undefined) return { shape: [], values: [fn(ref.values)] };
  const shape = ref.shape.filter((_, k) => k !== axis);
  const values = indices(shape).map((o) => {
    const group: number[] = [];
    for (let c = 0; c < ref.shape[axis]; c++) {
      const src = [...o];
      src.splice(axis, 0, c);
      group.push(ref.values[position(ref.shape, src)]);
    }
    return fn(group);
  });
  return { shape, values };
}

/** Reference broadcasting of a binary function (NumPy rules, written per index). */
export function refBroadcast(
  a: Ref,
  b: Ref,
  shape: readonly number[],
  fn: (x: number, y: number) => number,
): number[] {
  const pick = (r: Ref, o: number[]) => {
    const lead = o.length - r.shape.length;
    const src = r.shape.map((d, k) => (d === 1 ? 0 : o[k + lead]));
    return r.values[position(r.shape, src)];
  };
  return indices(shape).map((o) => fn(pick(a, o), pick(b, o)));
}

/** Shapes of up to `maxDims` dimensions, each in [minDim, maxDim]. */
export function shapeArb(maxDims = 4, minDim = 0, maxDim = 4): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: minDim, max: maxDim }), { minLength: 0, maxLength: maxDims });
}

/** A reference tensor with values that are exact in float32 (multiples of 1/4 in [−64, 64]). */
export function refArb(shape: fc.Arbitrary<number[]> = shapeArb()): fc.Arbitrary<Ref> {
  return shape.chain((s) =>
    fc.array(fc.integer({ min: -256, max: 256 }).map((v) => v / 4), {
      minLength: s.reduce((a, b) => a * b, 1),
      maxLength: s.reduce((a, b) => a * b, 1),
    }).map((values) => ({ shape: s, values }))
  );
}
