import { deepEqual, ok } from "node:assert/strict";
import { Activation } from "@lowbit/nn/layers";
import { binaryFashionCnn, binaryMnistCnn, SignActivation } from "./models.ts";

const kinds = (layers: readonly (readonly [string, unknown])[]) =>
  layers
    .filter(([, m]) => m instanceof SignActivation || m instanceof Activation)
    .map(([n, m]) => `${n}:${m instanceof SignActivation ? "sign" : "real"}`);

Deno.test("XNOR-Net binarizes only the inputs of binary layers; BNN every hidden activation", () => {
  // MNIST CNN: relu1 feeds conv2 (binary), relu2 feeds fc (float)
  deepEqual(kinds(binaryMnistCnn(1, "xnor").layers), ["sign1:sign", "relu2:real"]);
  deepEqual(kinds(binaryMnistCnn(1, "bnn").layers), ["sign1:sign", "sign2:sign"]);
  // Fashion CNN: relu1 → conv2 and relu2 → fc1 are binary layers, relu3 feeds fc2 (float)
  deepEqual(kinds(binaryFashionCnn(1, "xnor").layers), [
    "sign1:sign",
    "sign2:sign",
    "relu3:real",
  ]);
  deepEqual(kinds(binaryFashionCnn(1, "bnn").layers), ["sign1:sign", "sign2:sign", "sign3:sign"]);
  // the XNOR signs are the scaled (β per sample) ones
  const sign1 = binaryMnistCnn(1, "xnor").layers.find(([n]) => n === "sign1")![1];
  ok(sign1 instanceof SignActivation && sign1.scaled);
});
