import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { Variable } from "@lowbit/nn/autograd";
import { loadMnist } from "@lowbit/nn/data/mnist";
import { Philox } from "@lowbit/rounding/philox";
import { decodeBinaryModel } from "./io.ts";
import { type BinaryMethod, binaryMnistCnn } from "./models.ts";
import { PackedNet } from "./packed_net.ts";
import {
  type ActivationPlanes,
  dorefaActivationPlanes,
  dorefaWeightPlanes,
  levelActivationPlanes,
  PackedPlaneConv2d,
  PackedPlaneLinear,
} from "./packed_planes.ts";
import { dorefaWeights } from "./weights.ts";

const decode = (p: ActivationPlanes, i: number) =>
  p.offset + p.planes.reduce((s, h, k) => s + p.coef[k] * h[i], 0);

Deno.test("DoReFa planes: every level of k = 1…3 bits decodes back exactly (activations and weights)", () => {
  for (const k of [1, 2, 3]) {
    const n = 2 ** k - 1;
    const acts = Float32Array.from({ length: n + 1 }, (_, j) => j / n);
    const pa = dorefaActivationPlanes(acts, k);
    equal(pa.planes.length, k);
    acts.forEach((v, i) => equal(Math.fround(decode(pa, i)), v, `A${k} level ${i}`));
    // weights straight from dorefaWeights on a grid of latent values (all levels hit)
    const latent = Variable.from(Array.from({ length: 64 }, (_, i) => -2 + i / 16));
    const q = dorefaWeights(latent, k).data;
    const pw = dorefaWeightPlanes(q, k);
    q.forEach((v, i) => {
      const w = pw.planes.reduce((s, b, m) => s + pw.coef[m] * b[i], 0);
      equal(Math.fround(w), v, `W${k} value ${i}`);
    });
  }
  throws(() => dorefaActivationPlanes(Float32Array.from([0.5]), 2), /values\[0\]/);
  throws(() => dorefaWeightPlanes(Float32Array.from([0.5, -0.25]), 1), /quantized\[1\]/);
  throws(() => levelActivationPlanes([2], [{ value: 1, codes: [1] }], [1]), /values\[0\] = 2/);
});

/** Naive float64 convolution of the decoded planes (zero padding), rounded to float32. */
function naiveConv(
  x: Float64Array,
  w: Float64Array,
  bias: number[],
  [N, C, H, W]: number[],
  [O, kh, kw]: number[],
  [pad, stride]: number[],
): Float32Array {
  const oh = Math.floor((H + 2 * pad - kh) / stride) + 1,
    ow = Math.floor((W + 2 * pad - kw) / stride) + 1;
  const out = new Float32Array(N * O * oh * ow);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      for (let y = 0; y < oh; y++) {
        for (let z = 0; z < ow; z++) {
          let s = 0;
          for (let c = 0; c < C; c++) {
            for (let i = 0; i < kh; i++) {
              for (let j = 0; j < kw; j++) {
                const yy = y * stride - pad + i, zz = z * stride - pad + j;
                if (yy < 0 || yy >= H || zz < 0 || zz >= W) continue;
                s += w[((o * C + c) * kh + i) * kw + j] * x[((n * C + c) * H + yy) * W + zz];
              }
            }
          }
          out[((n * O + o) * oh + y) * ow + z] = s + bias[o];
        }
      }
    }
  }
  return out;
}

Deno.test("PackedPlaneConv2d / PackedPlaneLinear equal the naive convolution of the decoded values (dyadic: exact)", () => {
  const r = new Philox(11);
  const pm = (len: number) => Int8Array.from({ length: len }, () => (r.uniform() < 0.5 ? -1 : 1));
  // dyadic coefficients: every float64 product and sum below is exact, so equality is bitwise
  const wCoef = [0.5, 1, -0.25], aCoef = [0.25, 0.5], offset = 0.5, bias = [0.125, -1, 2, 0];
  for (
    const [C, H, W, k, pad, stride] of [[5, 6, 7, 3, 1, 2], [33, 4, 4, 3, 1, 1], [2, 5, 5, 1, 0, 1]]
  ) {
    const N = 2, O = 4, len = O * C * k * k, xl = N * C * H * W;
    const wp = wCoef.map(() => pm(len)), hp = aCoef.map(() => pm(xl));
    const x = Float64Array.from(
      { length: xl },
      (_, i) => offset + aCoef.reduce((s, b, q) => s + b * hp[q][i], 0),
    );
    const w = Float64Array.from(
      { length: len },
      (_, i) => wCoef.reduce((s, a, m) => s + a * wp[m][i], 0),
    );
    const conv = new PackedPlaneConv2d(wp, wCoef, {
      inChannels: C,
      outChannels: O,
      kernelH: k,
      kernelW: k,
      padding: pad,
      stride,
    }, bias);
    const got = conv.forward({ planes: hp, coef: aCoef, offset }, N, H, W);
    deepEqual(
      got.out,
      naiveConv(x, w, bias, [N, C, H, W], [O, k, k], [pad, stride]),
      `C ${C} k ${k}`,
    );
  }
  const K = 70, O = 4, N = 3;
  const wp = wCoef.map(() => pm(O * K)), hp = aCoef.map(() => pm(N * K));
  const fc = new PackedPlaneLinear(wp, wCoef, O, K, bias);
  const y = fc.forward({ planes: hp, coef: aCoef, offset }, N);
  const want = new Float32Array(N * O);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      let s = 0;
      for (let q = 0; q < K; q++) {
        const wv = wCoef.reduce((t, a, m) => t + a * wp[m][o * K + q], 0);
        s += wv * (offset + aCoef.reduce((t, b, j) => t + b * hp[j][n * K + q], 0));
      }
      want[n * O + o] = s + bias[o];
    }
  }
  deepEqual(y, want);
  throws(() => new PackedPlaneLinear(wp, [1], O, K), /planes/);
  throws(() => new PackedPlaneLinear(wp, wCoef, O, K, [1]), /bias/);
});

const test = (await loadMnist()).test;
const IMAGES = 64;

async function trained(method: BinaryMethod) {
  const model = binaryMnistCnn(1, method);
  const bytes = await Deno.readFile(
    new URL(`../../models/binary/mnist-cnn-${method}-s1.safetensors`, import.meta.url),
  );
  const meta = decodeBinaryModel(model, bytes);
  model.eval();
  const [m, s] = [Number(meta.mean), Number(meta.std)];
  const x = new Variable(
    Float32Array.from(test.images.subarray(0, IMAGES * 784), (b) => (b / 255 - m) / s),
    [IMAGES, 1, 28, 28],
  );
  return { net: new PackedNet(model), x };
}

for (const method of ["dorefaW1A2", "dorefaW2A2", "abc"] as const) {
  Deno.test(`PackedNet (${method}, committed MNIST model): conv2 on binary planes, logits identical to the float simulation on ${IMAGES} test images`, async () => {
    const { net, x } = await trained(method);
    equal(net.packedLayers, 1);
    const r = net.compare(x);
    deepEqual(r.packedOutput, r.floatOutput);
  });
}

Deno.test(`PackedNet (biReal, committed MNIST model): binary conv2 packed, real shortcut and BN in float; logits equal to float32 rounding on ${IMAGES} images`, async () => {
  const { net, x } = await trained("biReal");
  equal(net.packedLayers, 1);
  const r = net.compare(x);
  // the float model sums ±α_o terms in float32 inside its convolution, the packed run scales
  // the exact integer accumulator once: the block's real-valued sum differs by that rounding
  const big = r.floatOutput.reduce((s, v) => Math.max(s, Math.abs(v)), 0);
  ok(r.maxAbsLogitDiff <= 1e-6 * big, `max |Δ| ${r.maxAbsLogitDiff} vs max |logit| ${big}`);
  equal(r.top1Mismatches, 0);
});
