import { tensor } from "@lowbit/graph";
import { deepEqual, equal } from "node:assert/strict";
import { quantizeBias, quantizeWeight } from "./weights.ts";
import { rand } from "./_fixtures_test_util.ts";

// Independent truth: round half to even of x / s, clamped to ±q.
function rne(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 ? (r % 2 === 0 ? r : r - 1) : r;
}

Deno.test("per-channel int8 weight: scale = max|w[o]|/127, codes = rne(w/s) clamp ±127", () => {
  const w = rand(2 * 3 * 2 * 2, 9);
  const q = quantizeWeight(tensor("float32", [2, 3, 2, 2], w), 0);
  equal(q.grid.axis, 0);
  for (let o = 0; o < 2; o++) {
    let m = 0;
    for (let i = 0; i < 12; i++) m = Math.max(m, Math.abs(w[o * 12 + i]));
    equal(q.scale.data[o], Math.fround(m / 127));
    for (let i = 0; i < 12; i++) {
      const s = q.scale.data[o] as number;
      const want = Math.max(-127, Math.min(127, rne(Math.fround(w[o * 12 + i] / s))));
      equal(q.codes.data[o * 12 + i], want);
    }
  }
  deepEqual([...q.zeroPoint.data], [0, 0]);
});

Deno.test("MatMul-style axis 1 and per-tensor and int4", () => {
  const w = tensor("float32", [2, 2], [1, -0.1, -2, 0.2]);
  const pc = quantizeWeight(w, 1);
  deepEqual([...pc.scale.data], [Math.fround(2 / 127), Math.fround(0.2 / 127)]);
  const pt = quantizeWeight(w, 1, { granularity: "per-tensor" });
  deepEqual(pt.scale.shape, []);
  equal(pt.scale.data[0], Math.fround(2 / 127));
  equal(pt.grid.axis, undefined);
  const i4 = quantizeWeight(w, 1, { dtype: "int4", granularity: "per-tensor" });
  equal(i4.codes.dtype, "int4");
  deepEqual([...i4.codes.data], [rne(1 / Math.fround(2 / 7)), 0, -7, 1]);
});

Deno.test("bias: int32 codes at s_x * s_w[o]", () => {
  const q = quantizeBias(tensor("float32", [2], [0.3, -0.7]), 0.02, Float32Array.of(0.1, 0.05));
  equal(q.codes.dtype, "int32");
  deepEqual([...q.scale.data], [Math.fround(0.02 * 0.1), Math.fround(0.02 * 0.05)]);
  deepEqual([...q.codes.data], [
    rne(Math.fround(0.3 / Math.fround(0.002))),
    rne(Math.fround(Math.fround(-0.7) / Math.fround(0.001))),
  ]);
});
