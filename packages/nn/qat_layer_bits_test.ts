import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { Philox } from "@lowbit/rounding/philox";
import { noGrad, Variable } from "./autograd.ts";
import { Conv2d } from "./conv2d.ts";
import { Flatten, ReLU } from "./layers.ts";
import { Linear } from "./linear.ts";
import { Sequential } from "./module.ts";
import { type FakeQuant, prepareQat } from "./qat.ts";

function model(seed: number) {
  const random = new Philox(seed);
  return new Sequential([
    ["conv", new Conv2d(1, 3, 3, { random, padding: 1 })],
    ["relu1", new ReLU()],
    ["flatten", new Flatten()],
    ["head", new Sequential([["fc", new Linear(3 * 16, 4, { random })]])],
    ["relu2", new ReLU()],
  ]);
}

const distinct = (a: Float32Array, from: number, to: number) => new Set(a.subarray(from, to)).size;

Deno.test("prepareQat: per-layer weight bits (nested paths) and activation bits", () => {
  const m = model(2);
  const q = prepareQat(m, {
    weightBits: 4,
    activationBits: 4,
    layerWeightBits: { "head.fc": 2 },
    layerActivationBits: { relu2: 8 },
  });
  const conv = m.layers[0][1] as Conv2d;
  const fc = (m.layers[3][1] as Sequential).layers[0][1] as Linear;
  equal((conv.weightQuant as FakeQuant).bits, 4);
  equal((fc.weightQuant as FakeQuant).bits, 2);
  const fqs = q.layers.filter(([n]) => n.endsWith("_fq")).map((
    [n, x],
  ) => [n, (x as FakeQuant).bits]);
  deepEqual(fqs, [["input_fq", 8], ["relu1_fq", 4], ["relu2_fq", 8]]);
  // The quantized weights really use the grids: ≤ 3 levels per fc row (2-bit), ≤ 15 per conv
  // channel (4-bit), with 48 and 9 weights per channel.
  const wq = noGrad(() => (fc.weightQuant as FakeQuant).forward(fc.weight)).data;
  for (let r = 0; r < 4; r++) ok(distinct(wq, r * 48, r * 48 + 48) <= 3);
  const cq = noGrad(() => (conv.weightQuant as FakeQuant).forward(conv.weight)).data;
  for (let c = 0; c < 3; c++) ok(distinct(cq, c * 9, c * 9 + 9) <= 15);
  // Without per-layer entries, the same config quantizes fc at 4 bits.
  const m2 = model(2);
  prepareQat(m2, { weightBits: 4, activationBits: 4 });
  const fc2 = (m2.layers[3][1] as Sequential).layers[0][1] as Linear;
  equal((fc2.weightQuant as FakeQuant).bits, 4);
  q.train();
  const y = q.forward(Variable.from(new Float32Array(16).map((_, i) => i / 16), [1, 1, 4, 4]));
  deepEqual(y.shape, [1, 4]);
});

Deno.test("prepareQat: per-layer entries naming no layer, or bad widths, are RangeErrors", () => {
  throws(
    () => prepareQat(model(1), { weightBits: 4, activationBits: 4, layerWeightBits: { fc: 3 } }),
    /config\.layerWeightBits names no such layer: fc/,
  );
  throws(
    () =>
      prepareQat(model(1), {
        weightBits: 4,
        activationBits: 4,
        layerActivationBits: { flatten: 3 },
      }),
    /config\.layerActivationBits names no such layer: flatten/,
  );
  throws(
    () => prepareQat(model(1), { weightBits: 4, activationBits: 4, layerWeightBits: { conv: 1 } }),
    /options\.bits must be an integer in \[2, 16\]; got 1/,
  );
});
