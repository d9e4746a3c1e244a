import { deepEqual, ok, throws } from "node:assert/strict";
import { Variable } from "@lowbit/nn";
import { Philox } from "@lowbit/rounding/philox";
import { hintonLoss } from "./kd.ts";
import { combineTeacherLogits } from "./multi_teacher.ts";

Deno.test("combineTeacherLogits: weighted mean, invariant to weight scale", () => {
  const r = new Philox(1);
  const zs = [0, 1, 2].map(() => Float32Array.from({ length: 12 }, () => r.uniform() * 4 - 2));
  const a = combineTeacherLogits(zs, [1, 2, 3]);
  const b = combineTeacherLogits(zs, [10, 20, 30]);
  deepEqual([...a], [...b]);
  for (let i = 0; i < 12; i++) {
    ok(Math.abs(a[i] - (zs[0][i] + 2 * zs[1][i] + 3 * zs[2][i]) / 6) < 1e-6);
  }
  // A weight of 0 removes a teacher; one teacher is the identity.
  deepEqual([...combineTeacherLogits(zs, [0, 1, 0])], [...zs[1]]);
  deepEqual([...combineTeacherLogits([zs[2]])], [...zs[2]]);
});

Deno.test("combineTeacherLogits: two identical teachers distil like one", () => {
  const z = Float32Array.from([1, -1, 0.5, 2, 0, -3]);
  const student = Variable.from([0, 0, 0, 1, 1, 1], [2, 3]);
  const one = hintonLoss(student, new Variable(z, [2, 3]), [0, 2]).data[0];
  const two = hintonLoss(student, new Variable(combineTeacherLogits([z, z]), [2, 3]), [0, 2])
    .data[0];
  ok(Math.abs(one - two) < 1e-6);
});

Deno.test("combineTeacherLogits: typed errors", () => {
  throws(() => combineTeacherLogits([]), /at least one/);
  throws(() => combineTeacherLogits([new Float32Array(1)], [1, 2]), /2 entries for 1/);
  throws(() => combineTeacherLogits([new Float32Array(1)], [-1]), /weights\[0\]/);
  throws(() => combineTeacherLogits([new Float32Array(1)], [0]), /not all be 0/);
});
