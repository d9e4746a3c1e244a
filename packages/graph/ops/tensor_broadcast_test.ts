import { deepEqual, equal, throws } from "node:assert/strict";
import fc from "fast-check";
import type { GraphTensor, Node } from "../ir.ts";
import { GraphError } from "../errors.ts";
import { TENSOR_OPS } from "./tensor.ts";

const node = (op: string, inputs = ["a", "b"], attrs = {}): Node => ({
  name: `n_${op}`,
  op,
  inputs,
  outputs: ["y"],
  attrs,
});
const run = (op: string, ins: GraphTensor[], attrs = {}, opset = 13) =>
  TENSOR_OPS[op].run(node(op, ins.map((_, i) => `in${i}`), attrs), ins, { opset });
const f32 = (shape: number[], v: number[]): GraphTensor => ({
  dtype: "float32",
  shape,
  data: Float32Array.from(v),
});
const i64 = (shape: number[], v: bigint[]): GraphTensor => ({
  dtype: "int64",
  shape,
  data: BigInt64Array.from(v),
});

/** Naive tiling: operand expanded to `out` by coordinates (dims of 1 repeat), right-aligned. */
function tile(values: number[], shape: number[], out: number[]): number[] {
  const n = out.reduce((a, b) => a * b, 1);
  const res: number[] = [];
  for (let i = 0; i < n; i++) {
    const coord: number[] = [];
    let r = i;
    for (let d = out.length - 1; d >= 0; d--) {
      coord.unshift(r % out[d]);
      r = Math.floor(r / out[d]);
    }
    const c = coord.slice(out.length - shape.length).map((v, k) => (shape[k] === 1 ? 0 : v));
    let idx = 0;
    for (let k = 0; k < shape.length; k++) idx = idx * shape[k] + c[k];
    res.push(values[idx]);
  }
  return res;
}

const arbShapes = fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 0, maxLength: 4 }).chain(
  (out) =>
    fc.tuple(
      fc.constant(out),
      ...[0, 1].map(() =>
        fc.tuple(
          fc.integer({ min: 0, max: out.length }),
          fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
        ).map(([drop, ones]) => out.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)))
      ),
    ),
);

Deno.test("broadcast Add/Mul/Sub/Div/Less equal explicit tiling then elementwise", () => {
  fc.assert(
    fc.property(arbShapes, fc.integer(), ([, sa, sb], seed) => {
      const n = (s: number[]) => s.reduce((x, y) => x * y, 1);
      const va = Array.from({ length: n(sa) }, (_, i) => Math.fround(((seed + i * 7) % 13) - 6.5));
      const vb = Array.from({ length: n(sb) }, (_, i) => Math.fround(((seed + i * 5) % 11) + 0.25));
      const out = sa.length >= sb.length
        ? sa.map((d, i) => Math.max(d, sb[i - (sa.length - sb.length)] ?? 1))
        : sb.map((d, i) => Math.max(d, sa[i - (sb.length - sa.length)] ?? 1));
      const ta = tile(va, sa, out), tb = tile(vb, sb, out);
      const fns: Record<string, (x: number, y: number) => number> = {
        Add: (x, y) => Math.fround(x + y),
        Sub: (x, y) => Math.fround(x - y),
        Mul: (x, y) => Math.fround(x * y),
        Div: (x, y) => Math.fround(x / y),
        Less: (x, y) => (x < y ? 1 : 0),
      };
      for (const [op, f] of Object.entries(fns)) {
        const [y] = run(op, [f32(sa, va), f32(sb, vb)]);
        deepEqual(y.shape, out);
        deepEqual([...y.data], ta.map((x, i) => f(x, tb[i])), op);
      }
    }),
    { numRuns: 200 },
  );
});

Deno.test("incompatible broadcast shapes throw a GraphError naming node and value", () => {
  throws(
    () => run("Add", [f32([2, 3], [1, 2, 3, 4, 5, 6]), f32([2], [1, 2])]),
    (e: unknown) => e instanceof GraphError && e.node === "n_Add" && e.value === "in1",
  );
  throws(
    () =>
      run("Where", [
        { dtype: "bool", shape: [3], data: new Uint8Array(3) },
        f32([2], [1, 2]),
        f32([1], [0]),
      ]),
    /value in1/,
  );
});

Deno.test("integer arithmetic: Div truncates toward zero, int32 wraps, int64 on bigint", () => {
  const i32 = (v: number[]): GraphTensor => ({
    dtype: "int32",
    shape: [v.length],
    data: Int32Array.from(v),
  });
  deepEqual([...run("Div", [i32([7, -7, 7, -7]), i32([2, 2, -2, -2])])[0].data], [3, -3, -3, 3]);
  deepEqual([...run("Mul", [i32([2147483647]), i32([2])])[0].data], [-2]);
  deepEqual([...run("Add", [i32([2147483647]), i32([1])])[0].data], [-2147483648]);
  const [q] = run("Div", [i64([2], [-9n, 9007199254740993n]), i64([], [4n])]);
  deepEqual([...q.data], [-2n, 2251799813685248n]);
  deepEqual([...run("Sub", [i64([1], [5n]), i64([3], [1n, 2n, 3n])])[0].data], [4n, 3n, 2n]);
  deepEqual([...run("Equal", [i64([2], [1n, 2n]), i64([1], [2n])])[0].data], [0, 1]);
  throws(() => run("Add", [i32([1]), f32([1], [1])]), /value in1: Add needs inputs of one dtype/);
});

Deno.test("Where, Max/Min variadic with broadcasting, Pow, unary ops", () => {
  const c: GraphTensor = { dtype: "bool", shape: [2, 1], data: Uint8Array.of(1, 0) };
  deepEqual([...run("Where", [c, f32([2], [1, 2]), f32([], [9])])[0].data], [1, 2, 9, 9]);
  const [mx] = run("Max", [f32([3], [1, 5, 3]), f32([1], [4]), f32([2, 1], [0, 6])]);
  deepEqual(mx.shape, [2, 3]);
  deepEqual([...mx.data], [4, 5, 4, 6, 6, 6]);
  deepEqual([...run("Min", [i64([2], [3n, -1n]), i64([], [0n])])[0].data], [0n, -1n]);
  deepEqual([...run("Pow", [f32([2], [2, 9]), f32([], [0.5])])[0].data], [
    Math.fround(Math.SQRT2),
    3,
  ]);
  deepEqual([...run("Sqrt", [f32([2], [4, 2])])[0].data], [2, Math.fround(Math.SQRT2)]);
  deepEqual([...run("Neg", [i64([1], [3n])])[0].data], [-3n]);
  deepEqual([...run("Abs", [f32([2], [-1.5, 2])])[0].data], [1.5, 2]);
  deepEqual([...run("Reciprocal", [f32([1], [4])])[0].data], [0.25]);
  deepEqual([...run("Floor", [f32([2], [-1.5, 1.5])])[0].data], [-2, 1]);
  deepEqual([...run("Ceil", [f32([2], [-1.5, 1.5])])[0].data], [-1, 2]);
  deepEqual([...run("Exp", [f32([1], [0])])[0].data], [1]);
  deepEqual([...run("Log", [f32([1], [1])])[0].data], [0]);
  deepEqual([...run("Not", [{ dtype: "bool", shape: [2], data: Uint8Array.of(1, 0) }])[0].data], [
    0,
    1,
  ]);
  equal(run("Greater", [f32([1], [2]), f32([1], [1])])[0].dtype, "bool");
  throws(() => run("Not", [f32([1], [1])]), /node n_Not, value in0: Not needs a bool input/);
});
