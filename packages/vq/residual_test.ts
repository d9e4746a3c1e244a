import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { Philox } from "@lowbit/rounding";
import { ResidualQuantizer } from "./residual.ts";
import { kmeans } from "./kmeans.ts";

const r = new Philox(21);
const x = new Float32Array(600 * 8).map(() => r.uniform() * 2 - 1);

function sse(a: Float32Array, b: Float32Array): number {
  let e = 0;
  for (let i = 0; i < a.length; i++) e += (a[i] - b[i]) ** 2;
  return e;
}

Deno.test("residual quantizer: error falls with every stage; stage 1 is plain k-means", () => {
  const rq = new ResidualQuantizer(8, 4, 4);
  rq.train(x, { seed: 3, maxIter: 15 });
  const codes = rq.encode(x);
  let prev = Infinity;
  for (let s = 1; s <= 4; s++) {
    const e = sse(rq.decode(codes, s), x);
    ok(e < prev, `stage ${s}: ${e}`);
    prev = e;
  }
  const km = kmeans(x, 8, 16, { seed: 3, maxIter: 15 });
  deepEqual(rq.codebooks.subarray(0, 16 * 8), km.centroids);
});

Deno.test("residual quantizer: decode is the sum of the chosen codewords", () => {
  const rq = new ResidualQuantizer(8, 2, 3);
  rq.train(x, { seed: 1, maxIter: 5 });
  const codes = rq.encode(x.subarray(0, 8));
  const y = rq.decode(codes);
  for (let d = 0; d < 8; d++) {
    const want = rq.codebooks[codes[0] * 8 + d] + rq.codebooks[(8 + codes[1]) * 8 + d];
    ok(Math.abs(y[d] - want) < 1e-6);
  }
  equal(codes.length, 2);
});

Deno.test("residual quantizer: bad input is rejected with named arguments", () => {
  throws(() => new ResidualQuantizer(4, 0), /stages must be an integer in \[1, 64\]/);
  throws(() => new ResidualQuantizer(4, 2, 17), /nbits must be an integer in \[1, 16\]/);
  const rq = new ResidualQuantizer(2, 2, 4);
  throws(() => rq.encode(new Float32Array(2)), /not trained/);
  throws(
    () => rq.train(new Float32Array(2 * 10)),
    /k \(2\^nbits = 16\) is larger than the number of training vectors \(10\)/,
  );
  throws(() => rq.train(new Float32Array([1, NaN])), /data\[1\] is NaN/);
  throws(() => rq.decode(new Uint16Array(3)), /multiple of 2/);
});
