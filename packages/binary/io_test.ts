import { deepEqual, ok, throws } from "node:assert/strict";
import { Conv2d } from "@lowbit/nn/conv2d";
import { Linear } from "@lowbit/nn/linear";
import { Variable } from "@lowbit/nn/autograd";
import { decodeSafetensors, encodeSafetensors } from "@lowbit/nn/safetensors";
import { binaryWeight, decodeBinaryModel, encodeBinaryModel } from "./io.ts";
import { BINARY_METHODS, binaryFashionCnn, binaryMnistCnn, WeightBinarizer } from "./models.ts";

Deno.test("io: every method round-trips to the same quantized weights and outputs", () => {
  for (const build of [binaryFashionCnn, binaryMnistCnn]) {
    for (const method of BINARY_METHODS) {
      const a = build(1, method), b = build(9, method);
      const bytes = encodeBinaryModel(a);
      decodeBinaryModel(b, bytes);
      for (const [i, [name, m]] of a.layers.entries()) {
        if (!(m instanceof Conv2d || m instanceof Linear)) continue;
        if (!(m.weightQuant instanceof WeightBinarizer)) continue; // F32 latent: outputs below
        const mb = b.layers[i][1] as Conv2d | Linear;
        const wa = binaryWeight(m), wb = binaryWeight(mb);
        deepEqual(wb.codes, wa.codes, `${method} ${name} codes`);
        deepEqual(wb.scale, wa.scale, `${method} ${name} scales`);
        ok(
          wa.codes.some((c) => c === (method === "twn" ? 0 : -1)),
          `${method} ${name}: codes vary`,
        );
      }
      a.eval();
      b.eval();
      const x = Variable.from(Array.from({ length: 2 * 784 }, (_, i) => Math.cos(i / 3)), [
        2,
        1,
        28,
        28,
      ]);
      deepEqual([...b.forward(x).data], [...a.forward(x).data], `${method} outputs`);
    }
  }
});

Deno.test("io: binary weights are I8 codes; the file is ~4× smaller than F32 for the Fashion CNN", () => {
  const model = binaryFashionCnn(1, "bnn");
  const bytes = encodeBinaryModel(model, { seed: "1" });
  const t = decodeSafetensors(bytes).tensors;
  deepEqual([t.get("fc1.weight")!.dtype, t.get("fc1.weight_scale")!.dtype], ["I8", "F32"]);
  ok(bytes.length < 0.3 * 4 * model.parameters().reduce((s, p) => s + p.size, 0));
  // a file with an F32 weight where codes are expected is rejected
  const bad = new Map(t);
  bad.set("fc1.weight", { dtype: "F32", shape: [128, 1568], data: new Float32Array(128 * 1568) });
  throws(() => decodeBinaryModel(binaryFashionCnn(1, "bnn"), encodeSafetensors(bad)), /I8 codes/);
});
