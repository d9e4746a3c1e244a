import { deepEqual, ok, throws } from "node:assert/strict";
import { Variable } from "./autograd.ts";
import { avgPool2d, globalAvgPool, maxPool2d } from "./ops_pool.ts";
import { gradCheck } from "./_gradcheck.ts";
import { Philox } from "@lowbit/rounding/philox";

// Distinct values at least 0.05 apart, so a ±1e-2 perturbation never changes an arg-max.
function distinct(n: number, seed: number): Float32Array {
  const r = new Philox(seed);
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = r.nextUint32() % (i + 1);
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return Float32Array.from(idx, (v) => (v - n / 2) * 0.05);
}

Deno.test("maxPool2d: finite differences with stride, padding and overlap", () => {
  for (
    const o of [{ kernel: 2 }, { kernel: 3, stride: 2, padding: 1 }, {
      kernel: [2, 3],
      stride: 1,
    }] as const
  ) {
    gradCheck(([x]) => maxPool2d(x, o), [{
      data: distinct(2 * 2 * 5 * 6, 1),
      shape: [2, 2, 5, 6],
    }]);
  }
});

Deno.test("avgPool2d and globalAvgPool: finite differences", () => {
  const x = distinct(2 * 3 * 4 * 5, 2);
  for (const o of [{ kernel: 2 }, { kernel: 3, stride: 2, padding: 1 }] as const) {
    gradCheck(([v]) => avgPool2d(v, o), [{ data: x, shape: [2, 3, 4, 5] }]);
  }
  gradCheck(([v]) => globalAvgPool(v), [{ data: x, shape: [2, 3, 4, 5] }]);
});

Deno.test("pooling matches brute force on a worked example", () => {
  // 1×1×3×3 = 1..9, kernel 2 stride 1: maxima 5 6 8 9, means 3 4 6 7
  const x = Variable.from([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]);
  deepEqual([...maxPool2d(x, { kernel: 2, stride: 1 }).data], [5, 6, 8, 9]);
  deepEqual([...avgPool2d(x, { kernel: 2, stride: 1 }).data], [3, 4, 6, 7]);
  // padding 1, kernel 2, stride 2 on 3×3: windows {1}, {2,3}, {4,7}, {5,6,8,9}; zeros counted
  deepEqual([...avgPool2d(x, { kernel: 2, stride: 2, padding: 1 }).data], [0.25, 1.25, 2.75, 7]);
  deepEqual([...maxPool2d(x, { kernel: 2, stride: 2, padding: 1 }).data], [1, 3, 7, 9]);
  ok(globalAvgPool(x).data[0] === 5);
  throws(
    () => maxPool2d(Variable.zeros([1, 3, 3]), { kernel: 2 }),
    /NCHW \(4-D\); got \[1, 3, 3\]/,
  );
  throws(() => maxPool2d(Variable.zeros([1, 1, 2, 2]), { kernel: 3 }), /does not fit/);
  throws(() => maxPool2d(Variable.zeros([1, 1, 2, 2]), { kernel: 0 }), /options.kernel/);
});

Deno.test("avgPool2d countIncludePad: false divides by the in-bounds taps (brute force, finite differences)", () => {
  // 1×1×3×3 = 1..9, kernel 2, stride 2, padding 1: windows {1}, {2,3}, {4,7}, {5,6,8,9}
  const x = Variable.from([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]);
  const o = { kernel: 2, stride: 2, padding: 1 } as const;
  deepEqual([...avgPool2d(x, { ...o, countIncludePad: false }).data], [1, 2.5, 5.5, 7]);
  deepEqual([...avgPool2d(x, o).data], [0.25, 1.25, 2.75, 7]); // PyTorch default: /4
  const d = distinct(2 * 3 * 4 * 5, 3);
  gradCheck(([v]) => avgPool2d(v, { kernel: 3, stride: 2, padding: 1, countIncludePad: false }), [
    { data: d, shape: [2, 3, 4, 5] },
  ]);
  throws(
    () => avgPool2d(x, { ...o, countIncludePad: 1 as unknown as boolean }),
    /options\.countIncludePad/,
  );
});
