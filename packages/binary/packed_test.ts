import { deepEqual, equal, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import { packBinary } from "@lowbit/kernels/gemm-binary";
import { BatchNorm2d } from "@lowbit/nn/batchnorm";
import { Variable } from "@lowbit/nn/autograd";
import { Philox } from "@lowbit/rounding/philox";
import { binaryMaxPool2d, packChannels, signCodes, unpackChannels } from "./packed_bits.ts";
import { PackedConv2d, type PackedKind, PackedLinear } from "./packed_layers.ts";
import { affineOutput, BinaryThresholds, foldAffine } from "./threshold.ts";
import { sign1 } from "./ste.ts";

const KINDS: PackedKind[] = ["binary", "ternary"];
const KERNELS = ["ts", "wasm"] as const;

function codes(n: number, rng: Philox, ternary: boolean): Int8Array {
  return Int8Array.from({ length: n }, () => {
    const u = rng.uniform();
    return ternary ? (u < 1 / 3 ? -1 : u < 2 / 3 ? 0 : 1) : u < 0.5 ? -1 : 1;
  });
}

/** The float simulation: sign weights × sign activations with zero padding, in float64. */
function convRef(
  x: Int8Array,
  w: Int8Array,
  N: number,
  C: number,
  H: number,
  W: number,
  O: number,
  kh: number,
  kw: number,
  s: [number, number],
  pad: [number, number, number, number],
  d: [number, number],
): { y: Float64Array; outH: number; outW: number } {
  const outH = Math.floor((H + pad[0] + pad[2] - d[0] * (kh - 1) - 1) / s[0]) + 1;
  const outW = Math.floor((W + pad[1] + pad[3] - d[1] * (kw - 1) - 1) / s[1]) + 1;
  const y = new Float64Array(N * O * outH * outW);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      for (let oh = 0; oh < outH; oh++) {
        for (let ow = 0; ow < outW; ow++) {
          let acc = 0;
          for (let c = 0; c < C; c++) {
            for (let i = 0; i < kh; i++) {
              for (let j = 0; j < kw; j++) {
                const yy = oh * s[0] - pad[0] + i * d[0], xx = ow * s[1] - pad[1] + j * d[1];
                const v = yy < 0 || yy >= H || xx < 0 || xx >= W
                  ? 0
                  : x[((n * C + c) * H + yy) * W + xx];
                acc += w[((o * C + c) * kh + i) * kw + j] * v;
              }
            }
          }
          y[((n * O + o) * outH + oh) * outW + ow] = acc;
        }
      }
    }
  }
  return { y, outH, outW };
}

Deno.test("PackedConv2d = float simulation bit for bit (shapes, padding, stride, dilation, odd C)", () => {
  for (const kind of KINDS) {
    for (const kernel of KERNELS) {
      fc.assert(
        fc.property(
          fc.record({
            N: fc.integer({ min: 1, max: 2 }),
            C: fc.integer({ min: 1, max: 70 }),
            O: fc.integer({ min: 1, max: 9 }),
            H: fc.integer({ min: 1, max: 8 }),
            W: fc.integer({ min: 1, max: 8 }),
            kh: fc.integer({ min: 1, max: 4 }),
            kw: fc.integer({ min: 1, max: 4 }),
            sh: fc.integer({ min: 1, max: 3 }),
            sw: fc.integer({ min: 1, max: 3 }),
            pad: fc.tuple(...[0, 1, 2, 3].map(() => fc.integer({ min: 0, max: 3 }))),
            dh: fc.integer({ min: 1, max: 2 }),
            dw: fc.integer({ min: 1, max: 2 }),
            seed: fc.integer({ min: 0, max: 1 << 30 }),
          }),
          (g) => {
            const pad = g.pad as [number, number, number, number];
            if (g.H + pad[0] + pad[2] < g.dh * (g.kh - 1) + 1) return;
            if (g.W + pad[1] + pad[3] < g.dw * (g.kw - 1) + 1) return;
            const rng = new Philox(g.seed), t = kind === "ternary";
            const x = codes(g.N * g.C * g.H * g.W, rng, t);
            const w = codes(g.O * g.C * g.kh * g.kw, rng, t);
            const conv = new PackedConv2d(w, {
              inChannels: g.C,
              outChannels: g.O,
              kernelH: g.kh,
              kernelW: g.kw,
              stride: [g.sh, g.sw],
              padding: pad,
              dilation: [g.dh, g.dw],
            }, { kind, kernel });
            const got = conv.forward(x, g.N, g.H, g.W);
            const ref = convRef(x, w, g.N, g.C, g.H, g.W, g.O, g.kh, g.kw, [g.sh, g.sw], pad, [
              g.dh,
              g.dw,
            ]);
            equal(got.outH, ref.outH);
            equal(got.outW, ref.outW);
            deepEqual([...got.acc], [...ref.y]);
          },
        ),
        { numRuns: 60, seed: 17 },
      );
    }
  }
});

Deno.test("PackedConv2d: without the padding correction the border would count +w per padded tap", () => {
  // one 3×3 kernel of −1 over a 1×1 image with padding 1: 8 padded taps
  const conv = new PackedConv2d(new Int8Array(9).fill(-1), {
    inChannels: 1,
    outChannels: 1,
    kernelH: 3,
    kernelW: 3,
    padding: 1,
  });
  deepEqual([...conv.paddingCorrection(1, 1)], [-8]);
  deepEqual([...conv.forward(new Int8Array([1]), 1, 1, 1).acc], [-1]); // raw popcount gives −9
  const t = new PackedConv2d(new Int8Array(9).fill(-1), {
    inChannels: 1,
    outChannels: 1,
    kernelH: 3,
    kernelW: 3,
    padding: 1,
  }, { kind: "ternary" });
  deepEqual([...t.forward(new Int8Array([1]), 1, 1, 1).acc], [-1]);
});

Deno.test("PackedLinear = float simulation over K not a multiple of 32 or 64", () => {
  for (const kind of KINDS) {
    for (const kernel of KERNELS) {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 5 }),
          fc.integer({ min: 1, max: 200 }),
          fc.integer({ min: 1, max: 12 }),
          fc.integer({ min: 0, max: 1 << 30 }),
          (N, K, O, seed) => {
            const rng = new Philox(seed, 1), t = kind === "ternary";
            const x = codes(N * K, rng, t), w = codes(O * K, rng, t);
            const got = new PackedLinear(w, O, K, { kind, kernel }).forward(x, N);
            for (let n = 0; n < N; n++) {
              for (let o = 0; o < O; o++) {
                let s = 0;
                for (let k = 0; k < K; k++) s += x[n * K + k] * w[o * K + k];
                equal(got[n * O + o], s);
              }
            }
          },
        ),
        { numRuns: 80, seed: 5 },
      );
    }
  }
});

Deno.test("packed layers reject codes outside their set and non-Int8 inputs", () => {
  throws(() => new PackedLinear(new Int8Array([1, 0]), 1, 2), /weights\[1\] = 0/);
  const fc1 = new PackedLinear(new Int8Array([1, 0]), 1, 2, { kind: "ternary" });
  throws(() => fc1.forward(new Int8Array([2, 1]), 1), /x\[0\] = 2/);
  throws(() => fc1.forward(new Float32Array([1, 1]) as unknown as Int8Array, 1), TypeError);
  throws(() => new PackedLinear(new Int8Array(2), 1, 2, { kind: "quad" as PackedKind }), /kind/);
});

Deno.test("binary max-pool on packed bits (AND under bit 1 ↔ −1) = max of the ±1 codes", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 2 }),
      fc.integer({ min: 1, max: 70 }),
      fc.integer({ min: 1, max: 9 }),
      fc.integer({ min: 1, max: 9 }),
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 0, max: 1 << 30 }),
      (N, C, H, W, k, s, seed) => {
        if (k > H || k > W) return;
        // mostly −1 so that windows of all −1 occur
        const rng = new Philox(seed, 2);
        const x = Int8Array.from({ length: N * C * H * W }, () => (rng.uniform() < 0.8 ? -1 : 1));
        const shape = { batch: N, channels: C, height: H, width: W };
        const { bits, shape: out } = binaryMaxPool2d(packChannels(x, N, C, H, W), shape, k, s);
        const y = unpackChannels(bits, N, C, out.height, out.width);
        equal(out.height, Math.floor((H - k) / s) + 1);
        for (let n = 0; n < N; n++) {
          for (let c = 0; c < C; c++) {
            for (let oy = 0; oy < out.height; oy++) {
              for (let ox = 0; ox < out.width; ox++) {
                let m = -1;
                for (let i = 0; i < k; i++) {
                  for (let j = 0; j < k; j++) {
                    m = Math.max(m, x[((n * C + c) * H + oy * s + i) * W + ox * s + j]);
                  }
                }
                equal(y[((n * C + c) * out.height + oy) * out.width + ox], m);
              }
            }
          }
        }
      },
    ),
    { numRuns: 100, seed: 9 },
  );
});

Deno.test("−0: signCodes gives +1 (sign1 of ste.ts); the kernels' packBinary of a float −0 gives −1", () => {
  const x = new Float32Array([-0, 0, -1e-30, 1e-30]);
  deepEqual([...signCodes(x)], [1, 1, -1, 1]);
  deepEqual([...signCodes(x)], [...x].map(sign1));
  // packing the codes: −0 is bit 0 (+1), in agreement with sign1
  deepEqual([...packChannels(signCodes(x), 1, 4, 1, 1).words], [0b0100]);
  // packing the floats directly would disagree on −0 (bit 1): why every packed layer takes codes
  deepEqual([...packBinary(x, 1, 4).words], [0b0101]);
  throws(() => signCodes([NaN]), /NaN/);
});

Deno.test("BinaryThresholds reproduce the float64 decision sign1(a·β·acc + c), ties included", () => {
  const rng = new Philox(31);
  const accs = Int32Array.from({ length: 2 * 401 }, (_, i) => (i % 401) - 200);
  for (let trial = 0; trial < 300; trial++) {
    const O = 2;
    const pick = () => {
      const u = rng.uniform();
      // dyadic scales make exact ties a·acc + c = 0 reachable; also zero and negative scales
      if (u < 0.1) return 0;
      if (u < 0.5) return (Math.floor(rng.uniform() * 16) - 8) / 4;
      return (rng.uniform() * 2 - 1) * 3;
    };
    const a = [pick(), pick()];
    const c = a.map((v) => {
      const u = rng.uniform();
      return u < 0.4 ? -v * (Math.floor(rng.uniform() * 300) - 150) : (rng.uniform() * 2 - 1) * 400;
    });
    const beta = trial % 3 === 0 ? [0.5 + rng.uniform()] : undefined;
    const t = new BinaryThresholds(a, c);
    const acc = Int32Array.from({ length: O * 401 }, (_, i) => accs[i]);
    const got = t.apply(acc, O, 401, beta);
    for (let o = 0; o < O; o++) {
      const ab = beta ? a[o] * beta[0] : a[o];
      for (let p = 0; p < 401; p++) {
        const v = acc[o * 401 + p];
        equal(got[o * 401 + p], sign1(ab * v + c[o]), `a ${a[o]} c ${c[o]} acc ${v}`);
      }
    }
  }
  throws(() => new BinaryThresholds([1], [NaN]), RangeError);
  throws(() => new BinaryThresholds([1], [0]).apply(new Int32Array(2), 1, 2, [0]), /sampleScale/);
});

Deno.test("foldAffine + affineOutput = α·acc + b through @lowbit/nn's BatchNorm2d (eval)", () => {
  const O = 3, plane = 4, N = 2, rng = new Philox(40);
  const bn = new BatchNorm2d(O);
  const sd = bn.stateDict();
  const r = (lo: number, hi: number) =>
    Float32Array.from({ length: O }, () => lo + (hi - lo) * rng.uniform());
  const gamma = r(-2, 2), beta = r(-1, 1), mean = r(-3, 3), variance = r(0.1, 4);
  sd.set("weight", { data: gamma, shape: [O] });
  sd.set("bias", { data: beta, shape: [O] });
  sd.set("running_mean", { data: mean, shape: [O] });
  sd.set("running_var", { data: variance, shape: [O] });
  bn.loadStateDict(sd);
  bn.eval();
  const alpha = [0.5, 1.25, 2], bias = [0.1, -0.2, 0.3];
  const acc = Int32Array.from({ length: N * O * plane }, () => Math.floor(rng.uniform() * 41) - 20);
  const pre = Float32Array.from(
    acc,
    (v, i) => alpha[Math.floor(i / plane) % O] * v + bias[Math.floor(i / plane) % O],
  );
  const want = bn.forward(new Variable(pre, [N, O, 2, 2])).data;
  const f = foldAffine(O, { alpha, bias, bn: { gamma, beta, mean, variance } });
  const got = affineOutput(acc, f, plane);
  got.forEach((v, i) =>
    ok(Math.abs(v - want[i]) <= 1e-5 * (1 + Math.abs(want[i])), `${v} vs ${want[i]}`)
  );
  throws(() => foldAffine(O, { alpha: [1] }), /alpha has 1 entries/);
});

Deno.test("PackedConv2d.forwardPacked takes packChannels bits directly; ternary layers refuse it", () => {
  const rng = new Philox(77);
  const x = codes(2 * 37 * 5 * 6, rng, false), w = codes(3 * 37 * 2 * 2, rng, false);
  const geometry = { inChannels: 37, outChannels: 3, kernelH: 2, kernelW: 2, padding: 1 };
  const conv = new PackedConv2d(w, geometry);
  const a = conv.forward(x, 2, 5, 6);
  const b = conv.forwardPacked(packChannels(x, 2, 37, 5, 6), 2, 5, 6);
  deepEqual([...b.acc], [...a.acc]);
  const ref = convRef(x, w, 2, 37, 5, 6, 3, 2, 2, [1, 1], [1, 1, 1, 1], [1, 1]);
  deepEqual([...b.acc], [...ref.y]);
  throws(() => conv.forwardPacked(packChannels(x, 2, 37, 5, 6), 1, 5, 6), /rows/);
  const t = new PackedConv2d(w, geometry, { kind: "ternary" });
  throws(() => t.forwardPacked(packChannels(x, 2, 37, 5, 6), 2, 5, 6), /binary layer/);
});
