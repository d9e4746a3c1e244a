import { deepEqual, equal, notDeepEqual, ok, throws } from "node:assert/strict";
import { Variable } from "@lowbit/nn/autograd";
import { Linear } from "@lowbit/nn/linear";
import { ReLU } from "@lowbit/nn/layers";
import { Sequential } from "@lowbit/nn/module";
import { qparamsFromRange } from "@lowbit/quantize/params";
import { fakeQuantize } from "@lowbit/quantize/uniform";
import { Philox } from "@lowbit/rounding/philox";
import { ProductQuantizer } from "@lowbit/vq/product";
import { type BlockQuantizer, IntBlockQuantizer, PqBlockQuantizer } from "./block_quantizers.ts";
import { prepareQuantNoise, QuantNoise, quantNoiseMask } from "./quant_noise.ts";

function weight(rows: number, cols: number, seed: number, grad = false): Variable {
  const z = new Philox(seed).fillNormal(new Float64Array(rows * cols));
  return new Variable(Float32Array.from(z, (v) => 0.1 * v), [rows, cols], { requiresGrad: grad });
}

function assertThrows(f: () => unknown, type: ErrorConstructor, text: string): void {
  throws(f, (e: unknown) => e instanceof type && e.message.includes(text));
}

const QUANTIZERS: [string, () => BlockQuantizer][] = [
  ["int4", () => new IntBlockQuantizer({ bits: 4 })],
  ["int8 blocks of 4", () => new IntBlockQuantizer({ bits: 8, blockSize: 4 })],
  ["PQ 2^4, d = 4", () => new PqBlockQuantizer({ blockSize: 4, bits: 4, seed: 1 })],
];

Deno.test("QuantNoise p = 0: the training forward pass is the float weight, bit for bit", () => {
  for (const [name, make] of QUANTIZERS) {
    const w = weight(16, 32, 1);
    const qn = new QuantNoise({ quantizer: make(), p: 0, seed: 1 });
    for (let pass = 0; pass < 3; pass++) deepEqual([...qn.forward(w).data], [...w.data], name);
    equal(qn.lastMask!.reduce((a, b) => a + b, 0), 0);
  }
});

Deno.test("QuantNoise p = 1: equals the full quantizer, computed independently, bit for bit", () => {
  const w = weight(16, 32, 2);
  // intN: @lowbit/quantize's fake quantization on the per-layer min-max grid
  for (const bits of [4, 8]) {
    const qn = new QuantNoise({ quantizer: new IntBlockQuantizer({ bits }), p: 1, seed: 1 });
    let lo = Infinity, hi = -Infinity;
    for (const v of w.data) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    const range = { qmin: 0, qmax: 2 ** bits - 1 };
    const ref = fakeQuantize(w.data, { ...qparamsFromRange(lo, hi, range), ...range });
    deepEqual([...qn.forward(w).data], [...ref]);
  }
  // PQ: vq's product quantizer with one sub-space of dimension d, same seed
  const qn = new QuantNoise({
    quantizer: new PqBlockQuantizer({ blockSize: 4, bits: 4, seed: 5 }),
    p: 1,
    seed: 1,
  });
  const pq = new ProductQuantizer(4, 1, 4);
  pq.train(w.data, { seed: 5, maxIter: 25 });
  deepEqual([...qn.forward(w).data], [...pq.decode(pq.encode(w.data))]);
});

Deno.test("quantNoiseMask: the fraction of quantized blocks ≈ p within binomial tolerance", () => {
  for (const p of [0.05, 0.1, 0.2, 0.5]) {
    const random = new Philox(11);
    const blocks = 1000, draws = 200, n = blocks * draws;
    let count = 0;
    for (let d = 0; d < draws; d++) {
      count += quantNoiseMask(blocks, p, random).reduce((a, b) => a + b, 0);
    }
    const sd = Math.sqrt(n * p * (1 - p));
    ok(Math.abs(count - n * p) < 5 * sd, `p = ${p}: ${count} of ${n}`);
  }
});

Deno.test("QuantNoise: whole blocks are drawn, ≈ p of them over many passes", () => {
  const w = weight(8, 64, 3);
  const bs = 4, p = 0.2;
  const qn = new QuantNoise({
    quantizer: new IntBlockQuantizer({ bits: 4, blockSize: bs }),
    p,
    seed: 4,
  });
  let drawn = 0, blocks = 0;
  for (let pass = 0; pass < 100; pass++) {
    const y = qn.forward(w).data;
    const full = qn.quantizer.quantize(w.data), mask = qn.lastMask!;
    equal(mask.length, w.size / bs);
    for (let b = 0; b < mask.length; b++) {
      for (let k = b * bs; k < (b + 1) * bs; k++) equal(y[k], mask[b] ? full[k] : w.data[k]);
    }
    drawn += mask.reduce((a, v) => a + v, 0);
    blocks += mask.length;
  }
  ok(Math.abs(drawn - p * blocks) < 5 * Math.sqrt(blocks * p * (1 - p)), `${drawn}/${blocks}`);
});

Deno.test("QuantNoise: the mask is reproducible from seed and stream", () => {
  const w = weight(8, 32, 5);
  const run = (seed: number, stream = 0) => {
    const qn = new QuantNoise({
      quantizer: new IntBlockQuantizer({ bits: 4 }),
      p: 0.3,
      seed,
      stream,
    });
    return Array.from({ length: 4 }, () => [...qn.forward(w).data]);
  };
  deepEqual(run(7), run(7));
  notDeepEqual(run(7), run(8));
  notDeepEqual(run(7, 0), run(7, 1));
  // the mask is Philox(seed, stream)'s uniforms below p, in block order
  const qn = new QuantNoise({ quantizer: new IntBlockQuantizer({ bits: 4 }), p: 0.3, seed: 9 });
  qn.forward(w);
  deepEqual([...qn.lastMask!], [...quantNoiseMask(w.size, 0.3, new Philox(9, 0))]);
});

Deno.test("QuantNoise: straight-through gradient, the identity for every weight (closed form)", () => {
  for (const p of [0, 0.3, 1]) {
    const w = weight(4, 8, 6, true);
    const qn = new QuantNoise({ quantizer: new IntBlockQuantizer({ bits: 2 }), p, seed: 2 });
    const y = qn.forward(w);
    const g = Float32Array.from({ length: w.size }, (_, i) => Math.cos(i) + 0.5);
    y.backward(g);
    deepEqual([...w.grad!], [...g], `p = ${p}`);
  }
});

Deno.test("QuantNoise in a layer: ∂L/∂W is the plain layer's gradient at the noisy weight ŵ", () => {
  const random = new Philox(3);
  const fc = new Linear(8, 4, { random });
  const qn = new QuantNoise({ quantizer: new IntBlockQuantizer({ bits: 3 }), p: 0.5, seed: 3 });
  fc.setWeightQuant(qn);
  const plain = new Linear(8, 4, { random: new Philox(1) });
  plain.bias!.data.set(fc.bias!.data);
  const x = Variable.from(Array.from({ length: 16 }, (_, i) => Math.sin(i + 1)), [2, 8]);
  const c = Float32Array.from({ length: 8 }, (_, i) => (i % 3) - 1); // L = Σ c·y
  const w0 = fc.weight.data.slice();
  fc.forward(x).backward(c);
  // ŵ from the drawn mask: an independent reconstruction of the forward pass
  const full = qn.quantizer.quantize(w0), mask = qn.lastMask!;
  plain.weight.data.set(Float32Array.from(w0, (v, i) => (mask[i] ? full[i] : v)));
  plain.forward(x).backward(c);
  ok(mask.some((m) => m === 1) && mask.some((m) => m === 0));
  deepEqual([...fc.weight.grad!], [...plain.weight.grad!]);
  deepEqual([...fc.bias!.grad!], [...plain.bias!.grad!]);
});

Deno.test("QuantNoise p = 0 in a layer: gradients equal finite differences of the float layer", () => {
  const fc = new Linear(3, 2, { random: new Philox(4) });
  fc.setWeightQuant(
    new QuantNoise({ quantizer: new IntBlockQuantizer({ bits: 4 }), p: 0, seed: 1 }),
  );
  const x = Variable.from([0.5, -1, 2, 1, 0.25, -0.75], [2, 3]);
  const loss = () => {
    const y = fc.forward(x).data;
    return y.reduce((a, v, i) => a + (i + 1) * v * v, 0);
  };
  const y = fc.forward(x);
  y.backward(Float32Array.from(y.data, (v, i) => 2 * (i + 1) * v)); // ∂L/∂y of L = Σ (i+1)·y_i²
  const h = 1e-2;
  for (let i = 0; i < fc.weight.size; i++) {
    const v = fc.weight.data[i];
    fc.weight.data[i] = v + h;
    const up = loss();
    fc.weight.data[i] = v - h;
    const down = loss();
    fc.weight.data[i] = v;
    const fd = (up - down) / (2 * h);
    ok(Math.abs(fd - fc.weight.grad![i]) < 1e-2 * Math.max(1, Math.abs(fd)), `w${i}: ${fd}`);
  }
});

Deno.test("QuantNoise eval mode: every block quantized, whatever p", () => {
  for (const [name, make] of QUANTIZERS) {
    for (const p of [0, 0.1]) {
      const w = weight(16, 32, 8);
      const qn = new QuantNoise({ quantizer: make(), p, seed: 1 });
      qn.forward(w); // a training pass sets the parameters
      qn.eval();
      const full = qn.quantizer.quantize(w.data);
      deepEqual([...qn.forward(w).data], [...full], `${name}, p = ${p}`);
    }
  }
  // evaluation before any training pass estimates the parameters first
  const w = weight(16, 32, 9);
  const qn = new QuantNoise({ quantizer: new IntBlockQuantizer({ bits: 4 }), p: 0.1, seed: 1 });
  qn.eval();
  const y = qn.forward(w).data;
  deepEqual([...y], [...qn.quantizer.quantize(w.data)]);
});

Deno.test("QuantNoise: φ's parameters are re-estimated every refreshEvery training passes", () => {
  const w = weight(4, 16, 10);
  const q = new IntBlockQuantizer({ bits: 4 });
  const qn = new QuantNoise({ quantizer: q, p: 1, seed: 1, refreshEvery: 3 });
  const scales: number[] = [];
  for (let pass = 0; pass < 7; pass++) {
    qn.forward(w);
    scales.push(Number(q.params().scale));
    for (let i = 0; i < w.size; i++) w.data[i] *= 1.5; // the weights grow between passes
  }
  // refreshed on passes 0, 3, 6 only
  equal(scales[0], scales[1]);
  equal(scales[1], scales[2]);
  ok(scales[3] > scales[2] && scales[3] === scales[4] && scales[4] === scales[5]);
  ok(scales[6] > scales[5]);
  // refresh() re-estimates on demand
  qn.refresh(w);
  ok(Number(q.params().scale) > scales[6]);
});

Deno.test("QuantNoise: typed errors name the argument", () => {
  const quantizer = new IntBlockQuantizer({ bits: 4, blockSize: 2 });
  for (const p of [-0.1, 1.5, NaN]) {
    assertThrows(() => new QuantNoise({ quantizer, p, seed: 1 }), RangeError, "options.p");
    assertThrows(() => quantNoiseMask(4, p, new Philox(1)), RangeError, "options.p");
  }
  assertThrows(() => quantNoiseMask(-1, 0.5, new Philox(1)), RangeError, "blocks");
  assertThrows(
    () => new QuantNoise({ quantizer, p: 0.1, seed: 1, refreshEvery: 0 }),
    RangeError,
    "options.refreshEvery",
  );
  const qn = new QuantNoise({ quantizer, p: 0.1, seed: 1 });
  assertThrows(() => qn.forward(weight(2, 5, 1)), RangeError, "not a multiple of blockSize 2");
  const m = new Sequential([["fc", new Linear(4, 2, { random: new Philox(1) })]]);
  const options = { p: 0.1, seed: 1, quantizer: () => new IntBlockQuantizer({ bits: 8 }) };
  assertThrows(() => prepareQuantNoise(m, { ...options, p: 2 }), RangeError, "options.p");
  prepareQuantNoise(m, options);
  throws(() => prepareQuantNoise(m, options), RangeError);
});

Deno.test("prepareQuantNoise: nested paths, layers left in float, one mask stream per layer", () => {
  const random = new Philox(2);
  const inner = new Sequential([["a", new Linear(16, 16, { random })], ["relu", new ReLU()]]);
  const m = new Sequential([
    ["block", inner],
    ["b", new Linear(16, 16, { random })],
    ["c", new Linear(16, 4, { random })],
  ]);
  const qn = prepareQuantNoise(m, {
    p: 0.5,
    seed: 1,
    quantizer: (path) => path === "c" ? null : new IntBlockQuantizer({ bits: 4 }),
  });
  deepEqual([...qn.keys()], ["block.a", "b"]);
  m.forward(Variable.zeros([1, 16]));
  notDeepEqual([...qn.get("block.a")!.lastMask!], [...qn.get("b")!.lastMask!]);
  equal(qn.get("b")!.p, 0.5);
});
