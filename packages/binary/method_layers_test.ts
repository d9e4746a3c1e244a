import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { Variable } from "@lowbit/nn/autograd";
import { Conv2d } from "@lowbit/nn/conv2d";
import { Flatten, ReLU } from "@lowbit/nn/layers";
import { BatchNorm2d } from "@lowbit/nn/batchnorm";
import { Linear } from "@lowbit/nn/linear";
import { Sequential } from "@lowbit/nn/module";
import { softmaxCrossEntropy } from "@lowbit/nn/losses";
import { Philox } from "@lowbit/rounding/philox";
import { gradCheck } from "../nn/_gradcheck.ts";
import {
  AbcActivation,
  AbcWeights,
  DorefaWeights,
  QuantActivation,
  TtqWeights,
} from "./method_layers.ts";
import { binarizeModel, binaryMnistCnn } from "./models.ts";

const close = (a: number, b: number, tol: number, msg: string) =>
  ok(Math.abs(a - b) <= tol, `${msg}: ${a} vs ${b}`);

Deno.test("TTQ layer: Δ = 0.05·max|W|, starting scales the TWN-style mean above Δ, trained values used", () => {
  const w = Variable.from([0.6, -0.02, -0.3, 0.01, 1.0]);
  const q = new TtqWeights(w);
  const a = (0.6 + 0.3 + 1.0) / 3;
  deepEqual([...q.forward(w).data], [a, 0, -a, 0, a].map(Math.fround));
  q.wp.data[0] = 2;
  q.wn.data[0] = 0.5;
  deepEqual([...q.forward(w).data], [2, 0, -0.5, 0, 2]);
  throws(() => new TtqWeights(w, 1), /threshold/);
});

Deno.test("DoReFa layers: W1 = E|W|·sign W, W2 on tanh / 2max|tanh| grid, A2 levels and [0, 1] STE", () => {
  const w = Variable.from([0.5, -1, 0.25, -0.25]);
  deepEqual([...new DorefaWeights(1).forward(w).data], [0.5, -0.5, 0.5, -0.5]);
  // k = 2: 2·round(3·(tanh w/(2·tanh 1) + ½))/3 − 1
  const want = [0.5, -1, 0.25, -0.25].map((v) =>
    Math.fround((2 * Math.round(3 * (Math.tanh(v) / (2 * Math.tanh(1)) + 0.5))) / 3 - 1)
  );
  deepEqual([...new DorefaWeights(2).forward(w).data], want);
  const x = Variable.from([-0.5, 0.1, 0.6, 0.95, 1.5], [5], { requiresGrad: true });
  const y = new QuantActivation(2).forward(x);
  deepEqual([...y.data].map((v) => Math.round(3 * v)), [0, 0, 2, 3, 3]);
  y.backward(new Float32Array([1, 2, 3, 4, 5]));
  deepEqual([...x.grad!], [0, 2, 3, 4, 0]);
});

Deno.test("ABC-Net layers: three weight bases fit a symmetric hand tensor exactly; activation levels", () => {
  // w = (−3, −1, 1, 3): mean 0, std √5; B = sign(w − √5), sign(w), sign(w + √5) and
  // α = (1, 1, 1) solves Σ α_m B_m = w exactly (−3 = −1−1−1, −1 = −1−1+1, …).
  const w = Variable.from([-3, -1, 1, 3]);
  deepEqual([...new AbcWeights(3).forward(w).data].map((v) => +v.toFixed(5)), [-3, -1, 1, 3]);
  const act = new AbcActivation(3);
  act.beta.data.set([0.5, 1, 2]);
  // thresholds −1, 0, 1: x = −2 → −0.5−1−2; −0.5 → +0.5−1−2; 0.5 → 0.5+1−2; 2 → 3.5
  deepEqual([...act.forward(Variable.from([-2, -0.5, 0.5, 2])).data], [-3.5, -2.5, -0.5, 3.5]);
  throws(() => new AbcActivation(2, [0.5]), /shifts/);
});

function checkScaleGradients(
  net: Sequential,
  x: Variable,
  labels: Int32Array,
  names: readonly string[],
): void {
  net.eval(); // batch norm on running statistics
  const loss = () => softmaxCrossEntropy(net.forward(x), labels);
  const params = new Map(net.namedParameters());
  loss().backward();
  for (const n of names) {
    const p = params.get(n)!;
    for (let j = 0; j < p.size; j++) {
      const g = p.grad![j], v0 = p.data[j], h = 1e-3;
      p.data[j] = v0 + h;
      const lp = loss().data[0];
      p.data[j] = v0 - h;
      const lm = loss().data[0];
      p.data[j] = v0;
      const fd = (lp - lm) / (2 * h);
      close(g, fd, 1e-3 + 1e-2 * Math.abs(fd), `${n}[${j}]`);
    }
    ok(p.grad!.some((v) => v !== 0), `${n}: the gradient reaches the scale`);
  }
}

Deno.test("TTQ in a linear net: ∂loss/∂W_p, ∂W_n match central differences (the loss is smooth in them)", () => {
  const random = new Philox(5);
  const float = new Sequential([
    ["fc0", new Linear(6, 5, { random })],
    ["fc1", new Linear(5, 4, { random })],
    ["fc2", new Linear(4, 3, { random })],
  ]);
  const net = binarizeModel(float, "ttq", { layers: ["fc1"], activations: [] });
  const x = Variable.from(Array.from({ length: 18 }, (_, i) => Math.sin(1.3 * i)), [3, 6]);
  checkScaleGradients(net, x, new Int32Array([0, 2, 1]), ["fc1.weight_fq.wp", "fc1.weight_fq.wn"]);
});

Deno.test("ABC-Net in the MNIST CNN: ∂loss/∂β of the last activation matches central differences", () => {
  // act2's β feeds max-pool → fc → loss (piecewise linear, no threshold downstream).
  const x = Variable.from(
    Array.from({ length: 4 * 784 }, (_, i) => 0.1 * (Math.sin(i * 0.37) + Math.cos(i * 0.011))),
    [4, 1, 28, 28],
  );
  checkScaleGradients(binaryMnistCnn(1, "abc"), x, new Int32Array([1, 7, 3, 0]), ["act2.beta"]);
});

Deno.test("Bi-Real block: out = BN(α·sign W ⊛ sign x) + BN(replicate x), ApproxSign and shortcut gradients", () => {
  // 1×1 convolutions on one pixel: conv1 2→2 (float), conv2 2→4 (binary), fc 4→1.
  const random = new Philox(3);
  const float = new Sequential([
    ["conv1", new Conv2d(1, 2, 1, { random })],
    ["bn1", new BatchNorm2d(2)],
    ["relu1", new ReLU()],
    ["conv2", new Conv2d(2, 4, 1, { random })],
    ["bn2", new BatchNorm2d(4)],
    ["relu2", new ReLU()],
    ["flatten", new Flatten()],
    ["fc", new Linear(4, 1, { random })],
  ]);
  const net = binarizeModel(float, "biReal", {
    layers: ["conv2"],
    activations: ["relu1", "relu2"],
  });
  deepEqual(net.layers.map(([n]) => n), ["conv1", "bn1", "block_conv2", "flatten", "fc"]);
  net.eval();
  const conv2 = float.layers[3][1] as Conv2d;
  conv2.weight.data.set([0.5, -0.25, -1, 0.5, 0.25, 0.25, -0.75, -0.25]);
  conv2.bias!.data.set([0.1, 0, -0.1, 0.2]);
  const block = net.layers[2][1];
  const s = 1 / Math.sqrt(1 + 1e-5); // eval batch norm at γ = 1, β = 0, μ = 0, σ² = 1
  for (const h of [[0.3, -0.8], [-0.5, 0.2], [0, 1.5]]) {
    const hx = Variable.from(h, [1, 2, 1, 1], { requiresGrad: true });
    const y = block.forward(hx);
    const W = conv2.weight.data, sg = (v: number) => (v >= 0 ? 1 : -1);
    const want: number[] = [];
    for (let o = 0; o < 4; o++) {
      const alpha = (Math.abs(W[2 * o]) + Math.abs(W[2 * o + 1])) / 2;
      const acc = alpha * (sg(W[2 * o]) * sg(h[0]) + sg(W[2 * o + 1]) * sg(h[1])) +
        conv2.bias!.data[o];
      want.push(acc * s + h[o % 2] * s);
    }
    want.forEach((v, o) => close(y.data[o], v, 1e-5, `out[${o}] at ${h}`));
    // backward: ∂y_o/∂h_c = s·α_o·sign(W_oc)·ApproxSign'(h_c) + s·[o mod 2 = c]
    const g = [1, -2, 0.5, 3];
    y.backward(Float32Array.from(g));
    for (let c = 0; c < 2; c++) {
      const d = Math.abs(h[c]) < 1 ? 2 - 2 * Math.abs(h[c]) : 0;
      let want = 0;
      for (let o = 0; o < 4; o++) {
        const alpha = (Math.abs(W[2 * o]) + Math.abs(W[2 * o + 1])) / 2;
        want += g[o] * (s * alpha * sg(W[2 * o + c]) * d + (o % 2 === c ? s : 0));
      }
      close(hx.grad![c], want, 1e-5, `∂/∂h[${c}] at ${h}`);
    }
  }
  // the shortcut is a float path: its gradient is the finite difference
  const proj = net.namedParameters().find(([n]) => n === "block_conv2.shortcut.conv.weight")![1];
  equal(proj.size, 8);
  gradCheck(([hx]) => block.forward(hx), [{
    data: Float32Array.from([1.3, -1.6]), // |h| > 1: ApproxSign' = 0, only the shortcut moves
    shape: [1, 2, 1, 1],
  }]);
});
