// Float32 Add/Sub/Mul/Div with broadcasting against a reference written from the broadcasting
// rule (each output index mapped to both operands' indices, float64 op, one float32 rounding):
// random shapes covering the block fast path (a scalar, a per-channel [1, C, 1, 1] operand, any
// contiguous run of matching dimensions, on either side) and shapes that take the general
// gather (both operands broadcast, non-contiguous runs).
import { deepEqual } from "node:assert/strict";
import fc from "fast-check";
import type { GraphTensor } from "../ir.ts";
import { ELEMENTWISE_OPS } from "./tensor_elementwise.ts";

const OPS = {
  Add: (a: number, b: number) => a + b,
  Sub: (a: number, b: number) => a - b,
  Mul: (a: number, b: number) => a * b,
  Div: (a: number, b: number) => a / b,
};

function tensor(shape: number[], seed: number): GraphTensor {
  const n = shape.reduce((p, d) => p * d, 1);
  return {
    dtype: "float32",
    shape,
    data: Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 7.3 + i * 1.7) * 3 + 0.01),
  };
}

/** out[i] = a[idx_a(i)] ∘ b[idx_b(i)] by the broadcasting rule, element by element. */
function reference(op: keyof typeof OPS, a: GraphTensor, b: GraphTensor): number[] {
  const r = Math.max(a.shape.length, b.shape.length);
  const pad = (s: number[]) => [...Array(r - s.length).fill(1), ...s];
  const sa = pad(a.shape), sb = pad(b.shape);
  const out = sa.map((d, i) => Math.max(d, sb[i]));
  const n = out.reduce((p, d) => p * d, 1);
  const res: number[] = [];
  for (let i = 0; i < n; i++) {
    let rem = i, ia = 0, ib = 0, stA = 1, stB = 1;
    for (let d = r - 1; d >= 0; d--) {
      const c = rem % out[d];
      rem = Math.floor(rem / out[d]);
      ia += (sa[d] === 1 ? 0 : c) * stA;
      ib += (sb[d] === 1 ? 0 : c) * stB;
      stA *= sa[d];
      stB *= sb[d];
    }
    res.push(Math.fround(OPS[op]((a.data as Float32Array)[ia], (b.data as Float32Array)[ib])));
  }
  return res;
}

Deno.test("float32 Add/Sub/Mul/Div with broadcasting equal the element-by-element reference (fast-check)", () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
      fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
      fc.boolean(),
      fc.constantFrom("Add", "Sub", "Mul", "Div"),
      fc.integer({ min: 1, max: 1000 }),
      (shape, keep, swap, op: keyof typeof OPS, seed) => {
        // the small operand keeps some dimensions of the output and has 1 elsewhere; a random
        // leading-rank cut exercises rank broadcasting too
        const small = shape.map((d, i) => (keep[i] ? d : 1)).slice(seed % 2);
        const big = tensor(shape, seed), sm = tensor(small.length ? small : [1], seed + 1);
        const [a, b] = swap ? [sm, big] : [big, sm];
        const node = { name: "n", op, inputs: ["a", "b"], outputs: ["y"], attrs: {} };
        const [y] = ELEMENTWISE_OPS[op].run(node, [a, b], { opset: 13 });
        deepEqual(Array.from(y.data as Float32Array), reference(op, a, b));
      },
    ),
    { seed: 7, numRuns: 400 },
  );
});
