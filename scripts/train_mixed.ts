/**
 * Mixed precision on the reference MNIST CNN (`deno task train:mixed`), the experiment of
 * notebook 09 (HAWQ v1/v2/v3, survey §IV-B/IV-C). Stages (names on the command line select
 * some; default all, in this order), each writing its JSON into `models/mixed/`:
 *
 * 1. `sensitivity` — on `foldBatchNorm(mnistCnn)` (the weights QAT quantizes), with one fixed
 *    batch of training images: Hutchinson traces of conv1, conv2, fc (HAWQ v2, 95% normal
 *    intervals, with the running estimate every 4 samples), top Hessian eigenvalues by power
 *    iteration (HAWQ v1), and Ω_i(b) = Tr(H_i)/n_i·‖Q_b(W_i) − W_i‖² for b ∈ {2, 3, 4, 6, 8}
 *    (HAWQ v3) → `sensitivity.json`.
 * 2. `compare` — at the weight size of uniform 4-bit (Σ n_i·4 bits) and of 3.5 bits per weight: the
 *    ILP allocation, uniform 4-bit (and 3-bit), the greedy allocation and 5 seeded random
 *    allocations at ≥ 90% of that size, each calibrated and QAT fine-tuned the same number of
 *    epochs (activations 4-bit everywhere), three fine-tuning seeds; identical allocations are
 *    trained once → `compare.json`.
 * 3. `exact` — the exact trace of conv1's Hessian block from 200 HVPs on unit vectors (the same
 *    batch as stage 1) → `exact-trace.json`.
 * 4. `fronts` — ILP allocations over a list of size budgets and of latency budgets (T4 cost
 *    model, `hardware/nvidia-t4.json`, batch 256), plus the uniform widths, each QAT fine-tuned
 *    (one seed, fewer epochs) → `fronts.json`.
 * 5. `mbv2` — Hutchinson traces and top eigenvalues of the Fashion-MNIST MobileNetV2-style net's
 *    15 weight layers, Ω per width and the ILP's allocation at its uniform-4-bit size (no
 *    fine-tuning) → `mbv2-sensitivity.json`.
 * 6. `mbv2-compare` — stage 2's comparison at the uniform-4-bit size on that net (ILP, uniform
 *    4-bit, greedy, 5 random), each QAT fine-tuned 1 epoch on 10,000 training images, three
 *    seeds → `mbv2-compare.json`. Not in the default list (run it by name). `--seeds=a,b` runs
 *    only those seeds into `mbv2-compare-seeds-a-b.json`, so two processes can share the work;
 *    the full stage then takes those runs instead of training them again.
 *
 * @module
 */

import {
  Adam,
  batches,
  cosineLR,
  evaluate,
  fit,
  foldBatchNorm,
  loadMnist,
  loadSafetensors,
  mnistCnn,
  noGrad,
  prepareQat,
  randomAffine,
  type Sequential,
  type StateDict,
  subset,
} from "@lowbit/nn";
import type { Batch, Dataset } from "@lowbit/nn/data/dataset";
import { hessianVectorProduct } from "@lowbit/nn/hvp";
import { fromNn } from "@lowbit/graph/from-nn";
import { loadTarget } from "@lowbit/hardware/target";
import {
  allocateBits,
  type Allocation,
  choiceTable,
  greedyAllocation,
  hardwareCosts,
  hutchinsonTrace,
  type LayerChoices,
  paretoSweep,
  randomAllocations,
  topEigenvalue,
  uniformAllocation,
  weightLayers,
} from "@lowbit/mixed";
import { Philox } from "@lowbit/rounding/philox";
import { seedsArg } from "./_train_run.ts";

const BITS = [2, 3, 4, 6, 8];
const ACT_BITS = 4;
const HESSIAN_BATCH = 32;
const HESSIAN_SEED = 1700;
const HUTCHINSON_SAMPLES = 64;
const CHUNK = 4;
const POWER_ITERATIONS = 20;
const CALIBRATION_IMAGES = 500;
const QAT_LR = 5e-4;
const COMPARE_EPOCHS = 2;
const COMPARE_SEEDS = [1, 2, 3];
const RANDOM_COUNT = 5;
const RANDOM_SEED = 17;
const FRONT_EPOCHS = 1;
const FRONT_SEED = 1;
const LATENCY_BATCH = 256;

interface Recipe {
  seed: number;
  batchSize: number;
  input: { mean: number; std: number };
  augment: { maxShift: number; maxRotation: number; maxScale: number };
}

const root = new URL("../models/", import.meta.url);
const outDir = new URL("mixed/", root);
const recipe = JSON.parse(await Deno.readTextFile(new URL("mnist-cnn.json", root))) as Recipe;
const saved = await loadSafetensors(new URL("mnist-cnn.safetensors", root));
const { train, test } = await loadMnist();
const norm = recipe.input;
const calibration = subset(train, Array.from({ length: CALIBRATION_IMAGES }, (_, i) => i));
await Deno.mkdir(outDir, { recursive: true });

const log = (s: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${s}`);

function folded(): Sequential {
  const base = mnistCnn(recipe.seed);
  base.loadStateDict(saved.stateDict as StateDict);
  base.eval();
  return foldBatchNorm(base).eval();
}

/** The fixed Hessian batch: HESSIAN_BATCH training images drawn with a seeded permutation. */
function hessianBatch() {
  const [b] = batches(train, { batchSize: HESSIAN_BATCH, seed: HESSIAN_SEED, ...norm });
  return { x: b.x, loss: { kind: "cross-entropy" as const, labels: b.labels } };
}

async function writeJson(name: string, value: unknown) {
  await Deno.writeTextFile(new URL(name, outDir), JSON.stringify(value, null, 2) + "\n");
  log(`wrote models/mixed/${name}`);
}

async function readJson<T>(name: string): Promise<T> {
  return JSON.parse(await Deno.readTextFile(new URL(name, outDir))) as T;
}

interface Sensitivity {
  layers: { name: string; size: number }[];
  traces: { name: string; trace: number; standardError: number; interval: [number, number] }[];
  running: { samples: number; trace: number[]; interval: [number, number][] }[];
  eigenvalues: { name: string; value: number; iterations: number }[];
  omega: Record<string, Record<string, number>>;
}

async function sensitivity(): Promise<void> {
  const model = folded();
  const { x, loss } = hessianBatch();
  const layers = weightLayers(model);
  const t0 = performance.now();
  // Hutchinson in chunks of CHUNK samples from one Philox stream: the union is the same
  // sequence of Rademacher vectors as one call, and each chunk's mean and standard error give
  // back its sums, so the running estimate after every chunk is exact.
  const random = new Philox(HESSIAN_SEED, 1);
  const sums = layers.map(() => [0, 0]);
  const running: Sensitivity["running"] = [];
  for (let done = 0; done < HUTCHINSON_SAMPLES; done += CHUNK) {
    const est = hutchinsonTrace(model, x, loss, { samples: CHUNK, random });
    est.forEach((e, k) => {
      sums[k][0] += e.trace * CHUNK;
      sums[k][1] += e.standardError ** 2 * CHUNK * (CHUNK - 1) + CHUNK * e.trace ** 2;
    });
    const m = done + CHUNK;
    const trace = sums.map(([s]) => s / m);
    const interval = sums.map(([s, q]): [number, number] => {
      const mean = s / m, se = Math.sqrt(Math.max(0, (q - m * mean * mean) / (m - 1)) / m);
      return [mean - 1.959964 * se, mean + 1.959964 * se];
    });
    running.push({ samples: m, trace, interval });
    log(
      `hutchinson ${m}/${HUTCHINSON_SAMPLES}: ${
        layers.map((l, k) => `${l.name} ${trace[k].toFixed(3)}`).join(", ")
      } (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
    );
  }
  const last = running[running.length - 1];
  const traces = layers.map((l, k) => {
    const m = HUTCHINSON_SAMPLES, mean = last.trace[k];
    const se = Math.sqrt(Math.max(0, (sums[k][1] - m * mean * mean) / (m - 1)) / m);
    return { name: l.name, trace: mean, standardError: se, interval: last.interval[k] };
  });
  const eigenvalues = layers.map((l, k) => {
    const e = topEigenvalue(model, x, loss, l, {
      random: new Philox(HESSIAN_SEED, 10 + k),
      maxIterations: POWER_ITERATIONS,
      tol: 1e-3,
    });
    log(`eigenvalue ${l.name}: ${e.value.toFixed(4)} (${e.iterations} iterations)`);
    return { name: l.name, value: e.value, iterations: e.iterations };
  });
  const table = choiceTable(
    model,
    traces.map((t) => t.trace),
    BITS.map((w) => ({ weightBits: w, activationBits: ACT_BITS })),
    { macs: [0, 0, 0] },
  );
  const omega: Sensitivity["omega"] = {};
  table.forEach((l) => {
    omega[l.name] = Object.fromEntries(l.choices.map((c) => [String(c.weightBits), c.omega]));
  });
  await writeJson("sensitivity.json", {
    command: "deno task train:mixed sensitivity",
    model: "foldBatchNorm(mnistCnn(1)) with models/mnist-cnn.safetensors, eval mode",
    hessianBatch:
      `${HESSIAN_BATCH} training images, batches(train, { seed: ${HESSIAN_SEED} }) first batch, cross-entropy`,
    hutchinson:
      `${HUTCHINSON_SAMPLES} Rademacher samples, Philox(${HESSIAN_SEED}, 1), 95% normal intervals`,
    power: `≤ ${POWER_ITERATIONS} iterations, tol 1e-3, Philox(${HESSIAN_SEED}, 10 + layer)`,
    seconds: Math.round((performance.now() - t0) / 1000),
    layers: layers.map((l) => ({ name: l.name, size: l.size })),
    traces,
    running,
    eigenvalues,
    omega,
  });
}

async function table(): Promise<LayerChoices[]> {
  const s = await readJson<Sensitivity>("sensitivity.json");
  const model = folded();
  const names = weightLayers(model).map((l) => l.name);
  const candidates = BITS.map((w) => ({ weightBits: w, activationBits: ACT_BITS }));
  const graph = fromNn(folded(), { inputShape: [LATENCY_BATCH, 1, 28, 28] });
  const t4 = await loadTarget(new URL("../hardware/nvidia-t4.json", import.meta.url));
  const hw = hardwareCosts(graph, t4, names, candidates);
  return choiceTable(model, s.traces.map((t) => t.trace), candidates, {
    macs: hw.macs,
    latencySeconds: hw.latencySeconds,
    energyJoules: hw.energyJoules,
  });
}

interface Run {
  label: string;
  reusedFrom?: string;
  bits: Record<string, number>;
  omega: number;
  sizeBits: number;
  latencySeconds?: number;
  seed: number;
  epochs: number;
  ptqAccuracy: number;
  qatAccuracy: number;
  seconds: number;
}

/** What a QAT run trains: the folded float model, its data and its augmentation. */
interface QatContext {
  /** Tells the models apart in the run cache. */
  name: string;
  make: () => Sequential;
  train: Dataset;
  test: Dataset;
  calibration: Dataset;
  norm: { mean: number; std: number };
  augment?: (seed: number) => (b: Batch) => Batch;
}

/** The MNIST CNN of stages 1–4. */
const mnistContext: QatContext = {
  name: "mnist-cnn",
  make: folded,
  train,
  test,
  calibration,
  norm,
  augment: (seed) => randomAffine({ seed, ...recipe.augment, fill: -norm.mean / norm.std }),
};

function qatRun(
  label: string,
  a: Allocation,
  seed: number,
  epochs: number,
  ctx: QatContext = mnistContext,
): Run {
  const started = performance.now();
  const layerWeightBits = Object.fromEntries(a.bits.map((b) => [b.name, b.weightBits]));
  const q = prepareQat(ctx.make(), {
    weightBits: 8,
    activationBits: ACT_BITS,
    layerWeightBits,
  });
  q.train();
  noGrad(() => {
    for (const b of batches(ctx.calibration, { batchSize: ctx.calibration.count, ...ctx.norm })) {
      q.forward(b.x);
    }
  });
  q.eval();
  const ptq = evaluate(q, ctx.test, ctx.norm).accuracy;
  const steps = epochs * Math.ceil(ctx.train.count / recipe.batchSize);
  fit(q, ctx.train, {
    epochs,
    batchSize: recipe.batchSize,
    seed,
    optimizer: new Adam(q.parameters(), { lr: QAT_LR }),
    schedule: cosineLR({ lr: QAT_LR, total: steps }),
    ...ctx.norm,
    ...(ctx.augment ? { augment: ctx.augment(seed) } : {}),
    log: () => {},
  });
  const qat = evaluate(q, ctx.test, ctx.norm).accuracy;
  const seconds = Math.round((performance.now() - started) / 1000);
  log(
    `${label} ${a.bits.map((b) => `${b.name}:${b.weightBits}`).join(" ")} seed ${seed}: PTQ ${
      (100 * ptq).toFixed(2)
    }% → QAT ${(100 * qat).toFixed(2)}% (${seconds} s)`,
  );
  return {
    label,
    bits: layerWeightBits,
    omega: a.omega,
    sizeBits: a.usage.sizeBits as number,
    latencySeconds: a.usage.latencySeconds,
    seed,
    epochs,
    ptqAccuracy: ptq,
    qatAccuracy: qat,
    seconds,
  };
}

const recipeText = (epochs: number) =>
  `calibrate on the first ${CALIBRATION_IMAGES} training images, then Adam lr ${QAT_LR} (cosine to 0 per step), ${epochs} epoch(s), batch ${recipe.batchSize}, augmentation ${
    JSON.stringify(recipe.augment)
  }; prepareQat(foldBatchNorm(mnistCnn(1)), { activationBits: ${ACT_BITS}, layerWeightBits }) (8-bit input)`;

/** QAT results by allocation bits and seed: identical allocations are trained once. */
const runCache = new Map<string, Run>();

function cachedRun(
  label: string,
  a: Allocation,
  seed: number,
  epochs: number,
  ctx: QatContext = mnistContext,
): Run {
  const key = `${ctx.name}|${JSON.stringify(a.bits.map((b) => b.weightBits))}|${seed}|${epochs}`;
  const hit = runCache.get(key);
  if (hit !== undefined) {
    log(`${label} seed ${seed}: same allocation as ${hit.label}, reusing its run`);
    return { ...hit, label, reusedFrom: hit.reusedFrom ?? hit.label };
  }
  const r = qatRun(label, a, seed, epochs, ctx);
  runCache.set(key, r);
  return r;
}

/** Weight-size budgets of the comparison, in average bits per weight. */
const COMPARE_BUDGETS = [4, 3.5];

async function compare(): Promise<void> {
  const layers = await table();
  const nTotal = layers.reduce((s, l) => s + l.choices[0].sizeBits / l.choices[0].weightBits, 0);
  const uniform = (w: number) =>
    uniformAllocation(layers, { weightBits: w, activationBits: ACT_BITS });
  const comparisons: {
    averageBits: number;
    budget: { sizeBits: number };
    allocations: {
      label: string;
      bits: Record<string, number>;
      omega: number;
      sizeBits?: number;
    }[];
    runs: Run[];
    pending: [string, Allocation][];
  }[] = [];
  for (const avg of COMPARE_BUDGETS) {
    const budget = { sizeBits: Math.round(avg * nTotal) };
    const ilp = await allocateBits(layers, budget);
    const greedy = greedyAllocation(layers, budget);
    const random = randomAllocations(layers, budget, {
      random: new Philox(RANDOM_SEED, Math.round(avg * 10)),
      count: RANDOM_COUNT,
    });
    const allocations: [string, Allocation][] = [
      ["ilp", ilp],
      ...(Number.isInteger(avg)
        ? [[`uniform${avg}`, uniform(avg)] as [string, Allocation]]
        : [[`uniform${Math.floor(avg)}`, uniform(Math.floor(avg))] as [string, Allocation], [
          `uniform${Math.ceil(avg)}`,
          uniform(Math.ceil(avg)),
        ] as [string, Allocation]]),
      ["greedy", greedy],
      ...random.map((a, k): [string, Allocation] => [`random${k}`, a]),
    ];
    for (const [l, a] of allocations) {
      log(
        `budget ${avg} bits: ${l}: ${a.bits.map((b) => `${b.name}:${b.weightBits}`).join(" ")} Ω ${
          a.omega.toExponential(3)
        } size ${a.usage.sizeBits}`,
      );
    }
    comparisons.push({
      averageBits: avg,
      budget,
      allocations: allocations.map(([label, a]) => ({
        label,
        bits: Object.fromEntries(a.bits.map((b) => [b.name, b.weightBits])),
        omega: a.omega,
        sizeBits: a.usage.sizeBits,
      })),
      runs: [],
      pending: allocations,
    });
  }
  const write = () =>
    writeJson("compare.json", {
      command: "deno task train:mixed compare",
      activationBits: ACT_BITS,
      candidates: BITS,
      recipe: recipeText(COMPARE_EPOCHS),
      random:
        `randomAllocations(…, { random: Philox(${RANDOM_SEED}, 10·average bits), count: ${RANDOM_COUNT}, fill: 0.9 })`,
      seeds: COMPARE_SEEDS,
      comparisons: comparisons.map(({ pending: _, ...c }) => c),
    });
  for (const seed of COMPARE_SEEDS) {
    for (const c of comparisons) {
      for (const [label, a] of c.pending) {
        c.runs.push(cachedRun(label, a, seed, COMPARE_EPOCHS));
        await write();
      }
    }
  }
}

async function exact(): Promise<void> {
  const model = folded();
  const { x, loss } = hessianBatch();
  const [layer] = weightLayers(model);
  const params = model.parameters();
  const t0 = performance.now();
  const diagonal: number[] = [];
  for (let i = 0; i < layer.size; i++) {
    const dirs = params.map((p, k) => {
      const v = new Float64Array(p.size);
      if (k === layer.param) v[i] = 1;
      return v;
    });
    diagonal.push(hessianVectorProduct(model, x, loss, dirs).hv[layer.param][i]);
    if ((i + 1) % 20 === 0) {
      log(
        `exact ${layer.name}: ${i + 1}/${layer.size} (${
          ((performance.now() - t0) / 1000).toFixed(0)
        } s)`,
      );
    }
  }
  const trace = diagonal.reduce((s, v) => s + v, 0);
  log(`exact trace of ${layer.name}: ${trace}`);
  await writeJson("exact-trace.json", {
    command: "deno task train:mixed exact",
    layer: layer.name,
    size: layer.size,
    method:
      "Σ_i (H e_i)_i over the layer's weights, exact HVPs (@lowbit/nn/hvp), the Hessian batch of sensitivity.json",
    trace,
    diagonal,
    seconds: Math.round((performance.now() - t0) / 1000),
  });
}

async function fronts(): Promise<void> {
  const layers = await table();
  const total = layers.reduce((s, l) => s + l.choices[0].sizeBits / l.choices[0].weightBits, 0);
  const sizeBudgets = [2.25, 2.5, 3, 3.5, 4, 4.5, 5, 6].map((b) => Math.round(total * b));
  const sizeFront = await paretoSweep(layers, "sizeBits", sizeBudgets);
  const lat = (w: number) => uniformAllocation(layers, { weightBits: w, activationBits: ACT_BITS });
  const lo = lat(2).usage.latencySeconds as number, hi = lat(8).usage.latencySeconds as number;
  const latencyBudgets = [0, 0.2, 0.4, 0.6, 0.8, 1].map((f) => lo + f * (hi - lo));
  const latencyFront = await paretoSweep(layers, "latencySeconds", latencyBudgets);
  const runs: { kind: string; budget?: number; run: Run }[] = [];
  const write = () =>
    writeJson("fronts.json", {
      command: "deno task train:mixed fronts",
      recipe: recipeText(FRONT_EPOCHS),
      seed: FRONT_SEED,
      latency:
        `@lowbit/hardware costModel on hardware/nvidia-t4.json, batch ${LATENCY_BATCH}, weight layers only; 2/3-bit priced as int4, 6-bit as int8, activations int4`,
      sizeBudgets,
      latencyBudgets,
      runs,
    });
  for (const w of BITS) {
    runs.push({ kind: "uniform", run: qatRun(`uniform${w}`, lat(w), FRONT_SEED, FRONT_EPOCHS) });
    await write();
  }
  for (const p of sizeFront) {
    runs.push({
      kind: "size",
      budget: p.budget,
      run: qatRun(`ilp-size`, p.allocation, FRONT_SEED, FRONT_EPOCHS),
    });
    await write();
  }
  for (const p of latencyFront) {
    runs.push({
      kind: "latency",
      budget: p.budget,
      run: qatRun(`ilp-latency`, p.allocation, FRONT_SEED, FRONT_EPOCHS),
    });
    await write();
  }
}

const MBV2_BATCH = 16;
const MBV2_SAMPLES = 48;
const MBV2_POWER_ITERATIONS = 6;

/** The MobileNetV2-style weights of the mbv2 stages (models/<name>.safetensors and .json). */
const MBV2_MODEL = "fashion-mbv2";

/**
 * The MobileNetV2-style net of the mbv2 stages, read once (`loadReferenceModel`): its input
 * normalisation and a builder of fresh copies (evaluation mode, committed weights).
 */
async function loadMbv2(): Promise<{ norm: { mean: number; std: number }; net: () => Sequential }> {
  const { fashionMobileNetV2, loadReferenceModel } = await import("@lowbit/nn");
  const ref = await loadReferenceModel(new URL(`${MBV2_MODEL}.safetensors`, root));
  const weights = ref.model.stateDict();
  return {
    norm: { mean: ref.mean, std: ref.std },
    net: () => {
      const m = fashionMobileNetV2(ref.seed);
      m.loadStateDict(weights);
      return m.eval();
    },
  };
}

/**
 * Stage `mbv2`: Hutchinson traces and (few-iteration) top eigenvalues of the Fashion-MNIST
 * MobileNetV2-style net's 15 weight layers (batch norm in evaluation mode, not folded), Ω per
 * width, and the ILP's allocation at the weight size of uniform 4-bit (no fine-tuning).
 */
async function mbv2(): Promise<void> {
  const { loadFashionMnist } = await import("@lowbit/nn");
  const { norm: mbNorm, net } = await loadMbv2();
  const model = net();
  const fashion = await loadFashionMnist();
  const [b] = batches(fashion.train, { batchSize: MBV2_BATCH, seed: HESSIAN_SEED, ...mbNorm });
  const loss = { kind: "cross-entropy" as const, labels: b.labels };
  const t0 = performance.now();
  const traces = hutchinsonTrace(model, b.x, loss, {
    samples: MBV2_SAMPLES,
    random: new Philox(HESSIAN_SEED, 2),
    onSample: (d, m) => {
      if (d % 8 === 0) {
        log(`mbv2 hutchinson ${d}/${m} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
      }
    },
  });
  const layers = weightLayers(model);
  const eigenvalues = layers.map((l, k) => {
    const e = topEigenvalue(model, b.x, loss, l, {
      random: new Philox(HESSIAN_SEED, 100 + k),
      maxIterations: MBV2_POWER_ITERATIONS,
      tol: 1e-2,
    });
    log(`mbv2 eigenvalue ${l.name}: ${e.value.toFixed(4)} (${e.iterations} iterations)`);
    return { name: l.name, value: e.value, iterations: e.iterations };
  });
  const graph = fromNn(model, { inputShape: [1, 1, 28, 28] });
  const candidates = BITS.map((w) => ({ weightBits: w, activationBits: ACT_BITS }));
  const macs = hardwareCosts(
    graph,
    await loadTarget(new URL("../hardware/nvidia-t4.json", import.meta.url)),
    layers.map((l) => l.name),
    candidates,
  ).macs;
  const tableM = choiceTable(model, traces.map((t) => t.trace), candidates, { macs });
  const u4 = uniformAllocation(tableM, { weightBits: 4, activationBits: ACT_BITS });
  const ilp = await allocateBits(tableM, { sizeBits: u4.usage.sizeBits as number });
  log(
    `mbv2 ILP at the uniform-4-bit size: ${
      ilp.bits.map((x) => `${x.name}:${x.weightBits}`).join(" ")
    }, Σ Ω ${ilp.omega.toExponential(3)} vs uniform 4-bit ${u4.omega.toExponential(3)}`,
  );
  await writeJson("mbv2-sensitivity.json", {
    command: "deno task train:mixed mbv2",
    model:
      `fashionMobileNetV2(1) with models/${MBV2_MODEL}.safetensors, eval mode (batch norm not folded)`,
    hessianBatch:
      `${MBV2_BATCH} Fashion-MNIST training images, batches(train, { seed: ${HESSIAN_SEED} }) first batch, cross-entropy`,
    hutchinson:
      `${MBV2_SAMPLES} Rademacher samples, Philox(${HESSIAN_SEED}, 2), 95% normal intervals`,
    power:
      `≤ ${MBV2_POWER_ITERATIONS} iterations, tol 1e-2 (a budget, not convergence), Philox(${HESSIAN_SEED}, 100 + layer)`,
    seconds: Math.round((performance.now() - t0) / 1000),
    traces: traces.map((t) => ({
      name: t.name,
      size: t.size,
      trace: t.trace,
      standardError: t.standardError,
      interval: t.interval,
    })),
    eigenvalues,
    omega: Object.fromEntries(
      tableM.map((
        l,
      ) => [l.name, Object.fromEntries(l.choices.map((c) => [String(c.weightBits), c.omega]))]),
    ),
    macs,
    ilpAtUniform4Size: {
      sizeBits: u4.usage.sizeBits,
      bits: Object.fromEntries(ilp.bits.map((x) => [x.name, x.weightBits])),
      omega: ilp.omega,
      uniform4Omega: u4.omega,
      ilpBops: ilp.usage.bops,
      uniform4Bops: u4.usage.bops,
    },
  });
}

/** Stage `mbv2-compare`: the fine-tuning recipe (fixed before the runs). */
const MBV2_COMPARE = {
  trainImages: 10_000,
  epochs: 1,
  seeds: [1, 2, 3],
  randomCount: 5,
  randomStream: 40,
} as const;

/**
 * Stage `mbv2-compare` (after `mbv2`): the comparison of stage 2 on the Fashion-MNIST
 * MobileNetV2-style net, whose 15 weight layers leave the ILP room that the MNIST CNN's three
 * do not (there the ILP's choice at the uniform-4-bit size is uniform 4-bit itself). At the
 * weight size of uniform 4-bit: the ILP allocation (Ω from `mbv2-sensitivity.json`'s traces),
 * uniform 4-bit, the greedy allocation and 5 seeded random allocations at ≥ 90% of the size;
 * each `prepareQat(foldBatchNorm(net), { activationBits: 4, layerWeightBits })`, calibrated on
 * the first 500 training images and QAT fine-tuned 1 epoch on the first 10,000 (three
 * shuffling seeds), accuracy on the official 10,000 test images → `mbv2-compare.json`.
 */
async function mbv2Compare(): Promise<void> {
  const { loadFashionMnist } = await import("@lowbit/nn");
  const { norm: mbNorm, net } = await loadMbv2();
  const sens = await readJson<{ traces: { name: string; trace: number }[]; macs: number[] }>(
    "mbv2-sensitivity.json",
  );
  const model = net();
  const names = weightLayers(model).map((l) => l.name);
  if (names.join() !== sens.traces.map((t) => t.name).join()) {
    throw new Error("mbv2-sensitivity.json does not match the model's weight layers: rerun `mbv2`");
  }
  const candidates = BITS.map((w) => ({ weightBits: w, activationBits: ACT_BITS }));
  const layers = choiceTable(model, sens.traces.map((t) => t.trace), candidates, {
    macs: sens.macs,
  });
  const u4 = uniformAllocation(layers, { weightBits: 4, activationBits: ACT_BITS });
  const budget = { sizeBits: u4.usage.sizeBits as number };
  const allocations: [string, Allocation][] = [
    ["ilp", await allocateBits(layers, budget)],
    ["uniform4", u4],
    ["greedy", greedyAllocation(layers, budget)],
    ...randomAllocations(layers, budget, {
      random: new Philox(RANDOM_SEED, MBV2_COMPARE.randomStream),
      count: MBV2_COMPARE.randomCount,
    }).map((a, k): [string, Allocation] => [`random${k}`, a]),
  ];
  for (const [l, a] of allocations) {
    log(`mbv2 ${l}: ${a.bits.map((b) => b.weightBits).join(" ")} Ω ${a.omega.toExponential(3)}`);
  }
  const fashion = await loadFashionMnist();
  const first = (n: number) => subset(fashion.train, Array.from({ length: n }, (_, i) => i));
  const ctx: QatContext = {
    name: "fashion-mbv2",
    make: () => foldBatchNorm(net()).eval(),
    train: first(MBV2_COMPARE.trainImages),
    test: fashion.test,
    calibration: first(CALIBRATION_IMAGES),
    norm: mbNorm,
  };
  // `--seeds=a,b`: only those seeds, into mbv2-compare-seeds-a-b.json (a part another process
  // can run beside it); the full stage takes the runs of such parts made for the same model
  // and allocations instead of training them again
  const seeds = seedsArg(MBV2_COMPARE.seeds);
  const isPart = Deno.args.some((a) => a.startsWith("--seeds="));
  const file = !isPart ? "mbv2-compare.json" : `mbv2-compare-seeds-${seeds.join("-")}.json`;
  // (the allocations' Ω, from this model's traces, tell parts of different weights apart)
  const modelText = `foldBatchNorm(fashionMobileNetV2(1) with models/${MBV2_MODEL}.safetensors)`;
  const allocationRows = allocations.map(([label, a]) => ({
    label,
    bits: Object.fromEntries(a.bits.map((b) => [b.name, b.weightBits])),
    omega: a.omega,
    sizeBits: a.usage.sizeBits,
  }));
  const fromParts = new Map<string, Run>();
  if (!isPart) {
    for await (const e of Deno.readDir(outDir)) {
      if (!/^mbv2-compare-seeds-[0-9-]+\.json$/.test(e.name)) continue;
      const part = await readJson<{ model: string; allocations: unknown; runs: Run[] }>(e.name);
      if (
        part.model !== modelText ||
        JSON.stringify(part.allocations) !== JSON.stringify(allocationRows)
      ) {
        log(`mbv2 compare: ${e.name} is for another model or allocations, not used`);
        continue;
      }
      for (const r of part.runs) fromParts.set(`${r.label}|${r.seed}`, r);
    }
  }
  const runs: Run[] = [];
  for (const seed of seeds) {
    for (const [label, a] of allocations) {
      const part = fromParts.get(`mbv2 ${label}|${seed}`);
      if (part) log(`mbv2 ${label} seed ${seed}: from a --seeds part`);
      runs.push(part ?? cachedRun(`mbv2 ${label}`, a, seed, MBV2_COMPARE.epochs, ctx));
      await writeJson(file, {
        command: "deno task train:mixed mbv2-compare",
        model: modelText,
        activationBits: ACT_BITS,
        candidates: BITS,
        budget,
        recipe:
          `calibrate on the first ${CALIBRATION_IMAGES} Fashion-MNIST training images, then Adam lr ${QAT_LR} (cosine to 0 per step), ${MBV2_COMPARE.epochs} epoch on the first ${MBV2_COMPARE.trainImages} training images, batch ${recipe.batchSize}, no augmentation; official test set`,
        random:
          `randomAllocations(…, { random: Philox(${RANDOM_SEED}, ${MBV2_COMPARE.randomStream}), count: ${MBV2_COMPARE.randomCount}, fill: 0.9 })`,
        seeds,
        allocations: allocationRows,
        runs,
      });
    }
  }
}

const stages: Record<string, () => Promise<void>> = {
  sensitivity,
  compare,
  exact,
  fronts,
  mbv2,
  "mbv2-compare": mbv2Compare,
};
const stageArgs = Deno.args.filter((a) => !a.startsWith("--"));
const wanted = stageArgs.length === 0
  ? Object.keys(stages).filter((s) => s !== "mbv2-compare")
  : stageArgs;
for (const s of wanted) {
  if (!(s in stages)) {
    throw new RangeError(`stages are ${Object.keys(stages).join(", ")}; got ${s}`);
  }
}
for (const s of wanted) {
  log(`== ${s}`);
  await stages[s]();
}
