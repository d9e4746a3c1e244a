/**
 * The slow optimisations of notebook 08 (white paper PTQ), run once and committed under
 * models/ptq/ so the notebook only loads and evaluates them:
 *
 * - AdaRound codes of the MNIST CNN (W4, W3; 500 iterations) and of the Fashion-MNIST
 *   MobileNetV2-style net (W4, W3; 300 iterations, 2,048 rows per layer), per-channel, seed 0,
 *   calibrated on the first 256 training images, with the activations quantized as in
 *   `quantizeStatic` (asymmetric reconstruction);
 * - 64 ZeroQ images distilled from the Fashion-MNIST CNN (300 iterations, seed 0).
 *
 *     deno task train:ptq            # or: deno run -A packages/ptq/scripts/white_paper_artifacts.ts
 *     deno task train:ptq fashion-mbv2   # only some: mnist-cnn, fashion-mbv2, zeroq
 *
 * The graphs are built exactly as the notebook builds them (BN folded, free batch size), so
 * `checkWeightCodes` accepts the codes there.
 *
 * @module
 */

import { eliminateDeadCode, foldBatchNorm, fromNn, type Graph } from "@lowbit/graph";
import {
  type Dataset,
  encodeSafetensors,
  imagesTensor,
  loadFashionMnist,
  loadMnist,
  loadReferenceModel,
} from "@lowbit/nn";
import { adaround, distillData, encodeWeightCodes } from "../mod.ts";

const root = new URL("../../../", import.meta.url);
const out = new URL("models/ptq/", root);
await Deno.mkdir(out, { recursive: true });
const command = "deno task train:ptq";

async function load(file: string) {
  const ref = await loadReferenceModel(new URL(`models/${file}`, root));
  const g0 = eliminateDeadCode(foldBatchNorm(fromNn(ref.model, { inputShape: [1, 1, 28, 28] })));
  const g: Graph = { ...g0, inputs: g0.inputs.map((i) => ({ ...i, shape: ["N", 1, 28, 28] })) };
  return { net: ref.model, g, ref };
}

/** The first 256 training images in 8 batches of 32, normalised as in training. */
function calibration(ds: Dataset, norm: { mean: number; std: number }) {
  return Array.from({ length: 8 }, (_, b) => ({ input: imagesTensor(ds, b * 32, 32, norm) }));
}

/** Atomic write: a failed run never leaves a half-written file behind. */
async function write(name: string, bytes: Uint8Array) {
  const tmp = new URL(`${name}.partial`, out);
  await Deno.writeFile(tmp, bytes);
  await Deno.rename(tmp, new URL(name, out));
  console.log(`wrote models/ptq/${name} (${bytes.length} bytes)`);
}

const PARTS = ["mnist-cnn", "fashion-mbv2", "zeroq"];
for (const a of Deno.args) {
  if (!PARTS.includes(a)) throw new RangeError(`parts are ${PARTS.join(", ")}; got ${a}`);
}
const wanted = (part: string) => Deno.args.length === 0 || Deno.args.includes(part);

const mnist = await loadMnist();
const fashion = await loadFashionMnist();
const jobs = [
  { name: "mnist-cnn", file: "mnist-cnn.safetensors", data: mnist, extra: {} },
  { name: "fashion-mbv2", file: "fashion-mbv2.safetensors", data: fashion, extra: { rows: 2048 } },
] as const;
for (const job of jobs.filter((j) => wanted(j.name))) {
  const { g, ref } = await load(job.file);
  const calib = calibration(job.data.train, ref);
  const iterations = job.name === "mnist-cnn" ? 500 : 300;
  for (const bits of [4, 3]) {
    const t0 = performance.now();
    let last = -1;
    const r = await adaround(g, calib, {
      bits,
      iterations,
      seed: 0,
      activations: {},
      ...job.extra,
      onProgress: (p) => {
        if (p.layer !== last) console.log(`${job.name} W${bits}: layer ${p.layer} (${p.node})`);
        last = p.layer;
      },
    });
    const options = { bits, iterations, seed: 0, activations: {}, ...job.extra };
    await write(
      `${job.name}-adaround-w${bits}.safetensors`,
      encodeWeightCodes(r.weights, {
        command,
        model: `models/${job.file}`,
        calibration: "first 256 training images, 8 batches of 32",
        options: JSON.stringify(options),
        layers: JSON.stringify(r.layers),
        seconds: ((performance.now() - t0) / 1000).toFixed(1),
      }),
    );
  }
}

if (wanted("zeroq")) {
  const { net } = await load("fashion-cnn.safetensors");
  const t0 = performance.now();
  const options = {
    sampleShape: [1, 28, 28],
    count: 64,
    iterations: 300,
    seed: 0,
    input: { mean: 0, std: 1 },
  };
  const d = distillData(net, options);
  await write(
    "fashion-cnn-zeroq-64.safetensors",
    encodeSafetensors(
      new Map([["images", { dtype: "F32", shape: [64, 1, 28, 28], data: d.data }]]),
      {
        command,
        model: "models/fashion-cnn.safetensors",
        options: JSON.stringify(options),
        batchSize: String(d.batches[0].input.shape[0]),
        layers: JSON.stringify(d.layers),
        losses: JSON.stringify(d.losses),
        seconds: ((performance.now() - t0) / 1000).toFixed(1),
      },
    ),
  );
}
