// One training step (forward, loss, backward, AdamW update) of the reference models on a batch
// of 64 real MNIST digits, and one evaluation forward pass of 500. Run:
//   deno bench -A packages/nn/train_bench.ts
import { AdamW } from "./optim.ts";
import { batches } from "./data/dataset.ts";
import { loadMnist } from "./data/mnist.ts";
import { softmaxCrossEntropy } from "./losses.ts";
import { mnistCnn, mnistMlp } from "./models.ts";
import { noGrad } from "./autograd.ts";
import type { Sequential } from "./module.ts";

const { train } = await loadMnist();
const [batch] = [...batches(train, { batchSize: 64, seed: 1, mean: 0.1307, std: 0.3081 })];
const [big] = [...batches(train, { batchSize: 500, mean: 0.1307, std: 0.3081 })];

function step(model: Sequential, opt: AdamW) {
  const loss = softmaxCrossEntropy(model.forward(batch.x), batch.labels);
  opt.zeroGrad();
  loss.backward();
  opt.step();
}

for (
  const [name, build] of [["mnist-cnn", () => mnistCnn(1)], [
    "mnist-mlp",
    () => mnistMlp(1),
  ]] as const
) {
  const model = build();
  const opt = new AdamW(model.parameters(), { lr: 1e-3 });
  step(model, opt); // warm up the kernels
  Deno.bench({
    name: `${name} training step, batch 64`,
    group: "train-step",
    n: 50,
    fn: () => step(model, opt),
  });
  Deno.bench({
    name: `${name} eval forward, batch 500`,
    group: "eval",
    n: 10,
    fn: () => {
      model.eval();
      noGrad(() => model.forward(big.x));
      model.train();
    },
  });
}
