import { deepEqual, throws } from "node:assert/strict";
import { Tensor } from "@lowbit/tensor";
import { asTensorLike, resolveQRange } from "./observer.ts";
import { quantize } from "./uniform.ts";

Deno.test("Tensor views are read in row-major order of the view, not of the base", () => {
  const base = Tensor.from([1, 2, 3, 4, 5, 6], [2, 3]);
  const t = base.T; // [[1, 4], [2, 5], [3, 6]]
  deepEqual([...asTensorLike(t).data], [1, 4, 2, 5, 3, 6]);
  deepEqual(asTensorLike(t).shape, [3, 2]);
  const sliced = base.slice(1, 1, 3); // [[2, 3], [5, 6]]
  deepEqual([...asTensorLike(sliced).data], [2, 3, 5, 6]);
  const p = { scale: 1, zeroPoint: 0, qmin: -128, qmax: 127 };
  deepEqual([...quantize(t, p).q], [1, 4, 2, 5, 3, 6]);
  deepEqual(asTensorLike(base).data, base.data); // contiguous: no copy
});

Deno.test("asTensorLike and resolveQRange reject bad input", () => {
  throws(() => asTensorLike([1, 2] as never), /x must be a Float32Array/);
  throws(() => asTensorLike({ data: new Float32Array(3), shape: [2, 2] }), /x.shape \[2, 2\]/);
  throws(() => resolveQRange({ qmin: 0 }), /qmin and qmax must both be given/);
  throws(() => resolveQRange({ bits: 1 }), /bits must be an integer in \[2, 16\]/);
});
