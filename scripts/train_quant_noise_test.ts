import { deepEqual, equal, ok } from "node:assert/strict";
import { loadSafetensors, Variable } from "@lowbit/nn";
import { type IntBlockQuantizer, PqBlockQuantizer } from "@lowbit/binary/block-quantizers";
import { NOISE_RATE, NOISES, quantNoiseCnn } from "./train_quant_noise.ts";

const root = new URL("../models/", import.meta.url);

Deno.test("train_quant_noise: both arms of a noise type evaluate at the same precision", async () => {
  const { stateDict } = await loadSafetensors(new URL("mnist-cnn.safetensors", root));
  const x = new Variable(
    Float32Array.from({ length: 4 * 784 }, (_, i) => Math.sin(i * 0.37)),
    [4, 1, 28, 28],
  );
  for (const noise of Object.keys(NOISES)) {
    const qat = quantNoiseCnn(stateDict, { seed: 1 }, noise, 1, 2);
    const qn = quantNoiseCnn(stateDict, { seed: 1 }, noise, NOISE_RATE, 2);
    deepEqual([...qat.transforms.keys()], [...qn.transforms.keys()]);
    equal(qat.transforms.get("conv2")!.p, 1);
    equal(qn.transforms.get("conv2")!.p, NOISE_RATE);
    qat.model.eval();
    qn.model.eval();
    deepEqual([...qat.model.forward(x).data], [...qn.model.forward(x).data], noise);
  }
});

Deno.test("train_quant_noise: the layers and quantizers of each noise type", async () => {
  const { stateDict } = await loadSafetensors(new URL("mnist-cnn.safetensors", root));
  const pq = quantNoiseCnn(stateDict, { seed: 1 }, "pq", 1, 1).transforms;
  deepEqual([...pq.keys()], ["conv2", "fc"]);
  ok(pq.get("conv2")!.quantizer instanceof PqBlockQuantizer);
  deepEqual([pq.get("conv2")!.quantizer.blockSize, pq.get("fc")!.quantizer.blockSize], [5, 8]);
  const int4 = quantNoiseCnn(stateDict, { seed: 1 }, "int4", 1, 1).transforms;
  deepEqual([...int4.keys()], ["conv1", "conv2", "fc"]);
  ok([...int4.values()].every((t) => (t.quantizer as IntBlockQuantizer).bits === 4));
});
