import { deepEqual, ok, throws } from "node:assert/strict";
import { Philox } from "@lowbit/rounding/philox";
import { Variable } from "./autograd.ts";
import { Conv2d } from "./conv2d.ts";
import { Sequential } from "./module.ts";
import { awayFrom, gradCheck } from "./_gradcheck.ts";

Deno.test("Conv2d layer: names, He bound, finite differences through a layer with stride", () => {
  const conv = new Conv2d(2, 4, [3, 2], { random: new Philox(1), stride: 2, padding: 1 });
  deepEqual(conv.namedParameters().map(([n, v]) => [n, v.shape]), [["weight", [4, 2, 3, 2]], [
    "bias",
    [4],
  ]]);
  ok(conv.weight.data.every((v) => Math.abs(v) <= Math.sqrt(6 / 12)));
  conv.bias!.data.set([0.1, -0.2, 0.3, 0]);
  gradCheck(([x]) => conv.forward(x), [{
    data: awayFrom(2 * 2 * 5 * 4, 3, -1, 1),
    shape: [2, 2, 5, 4],
  }]);
});

Deno.test("Conv2d: bad geometry and input shapes are named", () => {
  const random = new Philox(1);
  throws(() => new Conv2d(3, 4, 3, { random, groups: 2 }), /must be multiples of groups 2/);
  throws(() => new Conv2d(3, 4, 0, { random }), /kernel must be a positive integer/);
  const net = new Sequential([["c1", new Conv2d(1, 8, 3, { random })], [
    "c2",
    new Conv2d(4, 8, 3, { random }),
  ]]);
  throws(
    () => net.forward(Variable.zeros([1, 1, 8, 8])),
    /layer "c2" Conv2d\(4→8, 3×3\) \(fed \[1, 8, 6, 6\] by layer "c1" Conv2d\(1→8, 3×3\)\): Conv2d\(4→8, 3×3\) expects input \[N, 4, H, W\], got \[1, 8, 6, 6\]/,
  );
});
