// Packed binary convolution (channel-packed bits → word patches → one gemmBinary Wasm call,
// padding correction), from ±1 codes (packing included) and from packed bits (as in a pipeline
// after the binary max-pool),
// against the int8 (conv2dInt8, Wasm gemmInt8) and f32 (conv2dF32, Wasm GEMM) kernels on the same
// layers, single thread, one `deno bench` run:
//   - the Fashion CNN's conv2 (16→32, 3×3, padding 1, 14×14), batch 64;
//   - a wider BNN-style layer (128→128, 3×3, padding 1, 16×16), batch 4.
// The int8 and f32 runs get ±1 inputs and weights too (same arithmetic, wider storage).
// A third group times the MNIST CNN's conv2 (8→16, 5×5, padding 2, 14×14), batch 64, as BNN
// (one binary product) and as the multi-bit methods on binary planes (`PackedPlaneConv2d`,
// activation planes packed inside the call): DoReFa W1A2 (1 × 2 products), W2A2 (2 × 2) and
// ABC-Net (3, 3) (3 × 3); f32 and int8 run the same layer on 2-bit-level inputs.
// Run: tools/node_modules/.bin/deno bench -A packages/binary/packed_conv_bench.ts

import { conv2dF32, conv2dInt8 } from "@lowbit/kernels/conv2d";
import type { Conv2dParams } from "@lowbit/kernels/conv-params";
import { Philox } from "@lowbit/rounding/philox";
import { PackedConv2d } from "./packed_layers.ts";
import { packChannels } from "./packed_bits.ts";
import { PackedPlaneConv2d } from "./packed_planes.ts";

const layers: [string, Conv2dParams][] = [
  ["fashion conv2 16→32 3×3 @14², N=64", {
    batch: 64,
    inChannels: 16,
    height: 14,
    width: 14,
    outChannels: 32,
    kernelH: 3,
    kernelW: 3,
    padding: 1,
  }],
  ["MNIST conv2 8→16 5×5 @14², N=64", {
    batch: 64,
    inChannels: 8,
    height: 14,
    width: 14,
    outChannels: 16,
    kernelH: 5,
    kernelW: 5,
    padding: 2,
  }],
  ["BNN 128→128 3×3 @16², N=4", {
    batch: 4,
    inChannels: 128,
    height: 16,
    width: 16,
    outChannels: 128,
    kernelH: 3,
    kernelW: 3,
    padding: 1,
  }],
];

for (const [group, p] of layers) {
  const rng = new Philox(1);
  const sign = () => (rng.uniform() < 0.5 ? -1 : 1);
  const xs = p.batch * p.inChannels * p.height * p.width;
  const ws = p.outChannels * p.inChannels * p.kernelH * p.kernelW;
  const x = Int8Array.from({ length: xs }, sign), w = Int8Array.from({ length: ws }, sign);
  const fx = Float32Array.from(x), fw = Float32Array.from(w);
  const conv = new PackedConv2d(w, { ...p }, { kernel: "wasm" });
  Deno.bench({ name: "f32 conv2dF32 (Wasm GEMM)", group, baseline: true }, () => {
    conv2dF32(fx, fw, p, { kernel: "wasm" });
  });
  Deno.bench({ name: "int8 conv2dInt8 (Wasm gemmInt8)", group }, () => {
    conv2dInt8(x, w, p, { kernel: "wasm" });
  });
  Deno.bench({ name: "binary PackedConv2d from ±1 codes (packs them)", group }, () => {
    conv.forward(x, p.batch, p.height, p.width);
  });
  const bits = packChannels(x, p.batch, p.inChannels, p.height, p.width);
  Deno.bench({ name: "binary PackedConv2d from packed bits (pipeline)", group }, () => {
    conv.forwardPacked(bits, p.batch, p.height, p.width);
  });
}

{
  const [group, p] = layers[1];
  const rng = new Philox(2);
  const sign = () => (rng.uniform() < 0.5 ? -1 : 1);
  const xs = p.batch * p.inChannels * p.height * p.width;
  const ws = p.outChannels * p.inChannels * p.kernelH * p.kernelW;
  const planes = (n: number, len: number) =>
    Array.from({ length: n }, () => Int8Array.from({ length: len }, sign));
  for (
    const [name, M, K] of [["DoReFa W1A2", 1, 2], ["DoReFa W2A2", 2, 2], [
      "ABC-Net (3, 3)",
      3,
      3,
    ]] as const
  ) {
    const conv = new PackedPlaneConv2d(planes(M, ws), Array.from({ length: M }, (_, m) => 2 ** m), {
      ...p,
    });
    const x = {
      planes: planes(K, xs),
      coef: Array.from({ length: K }, (_, k) => 2 ** k),
      offset: 0.5,
    };
    Deno.bench(
      { name: `${name} PackedPlaneConv2d, ${M}×${K} binary products (from codes)`, group },
      () => {
        conv.forward(x, p.batch, p.height, p.width);
      },
    );
  }
}
