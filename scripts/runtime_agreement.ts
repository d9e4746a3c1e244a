/**
 * The agreement report of `@lowbit/runtime` (`deno task agreement`): the trained MNIST CNN of
 * `@lowbit/nn` (`models/mnist-cnn.safetensors`, made by `deno task train mnist-cnn`) is
 * converted to int8 — batch norms folded, activations calibrated with min-max observers on 500
 * training images — saved to `out/mnist-cnn.int8.json`, loaded back, and run on the 2000 test
 * images in float32, as simulated quantization and integer-only. It prints the per-layer
 * differences in integer units, the top-1 agreement and accuracies, and which layers would
 * overflow a 16-bit accumulator, and exits non-zero if
 * integer-only accuracy is more than 0.3 points below float or an isolated layer differs from
 * simulation by more than 1 LSB.
 *
 * Without the trained model it runs the same pipeline on a seeded small CNN and says so.
 *
 *     deno task agreement            # gemmlowp fixed-point requantization (TFLite)
 *     deno task agreement float      # ONNX float requantization
 *
 * This script lives at the repository root because it joins two packages (`@lowbit/nn` for
 * the model and the data, `@lowbit/runtime` for the integer engine) that do not import each
 * other.
 *
 * @module
 */

import { type Dataset, imagesTensor, loadMnist, loadReferenceModel } from "@lowbit/nn";
import {
  accumulatorReport,
  agreementReport,
  convertModel,
  type FloatModel,
  formatAgreementReport,
  loadIntegerGraph,
  saveIntegerGraph,
} from "@lowbit/runtime";
import { runtimeModelOf } from "../notebooks/_lib/nn_runtime.ts";

const mode = Deno.args[0] === "float" ? "float" : "fixed";
const root = new URL("../", import.meta.url);
const modelPath = new URL("models/mnist-cnn.safetensors", root);

/** The nn Sequential as the runtime's float model description. */
async function mnistModel(): Promise<{ model: FloatModel; mean: number; std: number } | null> {
  try {
    await Deno.stat(modelPath);
  } catch {
    return null;
  }
  const ref = await loadReferenceModel(modelPath);
  return { model: runtimeModelOf(ref.model, [1, 28, 28]), mean: ref.mean, std: ref.std };
}

function normalise(ds: Dataset, from: number, count: number, mean: number, std: number) {
  return imagesTensor(ds, from, count, { mean, std });
}

const loaded = await mnistModel();
let ok = true;
if (loaded) {
  const { model, mean, std } = loaded;
  const { train, test } = await loadMnist();
  const calib = [0, 1].map((b) => normalise(train, b * 250, 250, mean, std));
  const converted = convertModel(model, calib, { mode });
  await Deno.mkdir(new URL("out/", root), { recursive: true });
  const saved = new URL("out/mnist-cnn.int8.json", root);
  await Deno.writeFile(saved, saveIntegerGraph(converted));
  const graph = loadIntegerGraph(await Deno.readFile(saved));
  const x = normalise(test, 0, test.count, mean, std);
  const r = agreementReport(model, graph, x, { labels: test.labels });
  console.log(
    `MNIST CNN (models/mnist-cnn.safetensors), int8 per-channel weights, ${mode} requantization`,
  );
  console.log(`calibration: 500 training images (min-max); evaluation: ${test.count} test images`);
  console.log(`converted graph saved to out/mnist-cnn.int8.json and loaded back for the run`);
  console.log(formatAgreementReport(r));
  const acc = accumulatorReport(graph, normalise(test, 0, 32, mean, std), {
    bits: 16,
    overflow: "wrap",
  });
  console.log("16-bit accumulators (wrap), first 32 test images:");
  for (const l of acc) {
    console.log(
      `  ${
        l.node.padEnd(6)
      } ${l.overflowed} of ${l.outputs} outputs overflow; largest partial sum ${l.maxAbsPartial} needs ${l.bitsNeeded} bits`,
    );
  }
  const drop = 100 * (r.accuracy!.float - r.accuracy!.integer);
  console.log(`accuracy drop float → integer-only: ${drop.toFixed(2)} points (contract ≤ 0.3)`);
  ok = drop <= 0.3 && r.layers.every((l) => l.isolated.max <= 1);
} else {
  const { smallCnn, smallInputs } = await import("../packages/runtime/_test_models.ts");
  console.log("models/mnist-cnn.safetensors not found (run `deno task train mnist-cnn`);");
  console.log(
    "running the pipeline on the seeded small CNN of the runtime's tests instead (no labels)",
  );
  const model = smallCnn(3);
  const graph = loadIntegerGraph(
    saveIntegerGraph(convertModel(model, [smallInputs(4, 64)], { mode })),
  );
  const r = agreementReport(model, graph, smallInputs(5, 500));
  console.log(formatAgreementReport(r));
  ok = r.layers.every((l) => l.isolated.max <= 1);
}
if (!ok) {
  console.error("agreement contract violated");
  Deno.exit(1);
}
