/**
 * A per-layer size report of a binary model, in the manner of Larq's `lq.models.summary`: for
 * every layer its input precision, output shape, parameters by bit width, parameter memory, and
 * multiply-accumulates split by the precision they run at.
 *
 * Counting rules:
 * - parameter bits: the weights of a layer with a `WeightBinarizer` are 1-bit (2-bit for TWN,
 *   a ternary code); every other parameter and every batch-norm statistic (γ, β, μ, σ² — the
 *   four per channel that Keras and Larq count) is 32-bit; memory = Σ count·bits / 8 bytes;
 * - input precision: 1 bit after a sign activation (through max-pools and flattens), 32 bits
 *   otherwise;
 * - MACs of a Conv2d (O·outH·outW·(C/G)·kH·kW) or Linear (O·K): binary MACs when weights and
 *   input are both 1-bit (XNOR-popcount), ternary MACs for 2-bit weights on a 1-bit input
 *   (`gemmTernary`), 32-bit MACs otherwise. Other layers have no MACs.
 *
 * @example
 * ```ts
 * import { modelSummary } from "@lowbit/binary/summary";
 * import { binaryFashionCnn } from "@lowbit/binary/models";
 * import { equal } from "node:assert/strict";
 * const s = modelSummary(binaryFashionCnn(1, "bnn"), [1, 28, 28]);
 * equal(s.rows.find((r) => r.name === "fc1")!.params[1], 1568 * 128);
 * equal(s.totals.macs1, 32 * 14 * 14 * 16 * 9 + 128 * 1568);
 * ```
 *
 * @module
 */

import { noGrad, Variable } from "@lowbit/nn/autograd";
import { BatchNormBase } from "@lowbit/nn/batchnorm";
import { Conv2d } from "@lowbit/nn/conv2d";
import { Flatten, MaxPool2d } from "@lowbit/nn/layers";
import { Linear } from "@lowbit/nn/linear";
import type { Sequential } from "@lowbit/nn/module";
import { SignActivation, WeightBinarizer } from "./models.ts";

/** One layer of a {@linkcode ModelSummary}. */
export interface SummaryRow {
  /** The layer's name. */
  name: string;
  /** Its description. */
  layer: string;
  /** Precision of its input (1 or 32). */
  inputBits: number;
  /** Output shape without the batch axis. */
  outputShape: number[];
  /** Parameter counts by bit width (1, 2, 32). */
  params: Record<1 | 2 | 32, number>;
  /** Parameter memory in bytes. */
  memoryBytes: number;
  /** Binary (1-bit × 1-bit) MACs. */
  macs1: number;
  /** Ternary-weight MACs on a 1-bit input. */
  macs2: number;
  /** 32-bit MACs. */
  macs32: number;
}

/** The report. */
export interface ModelSummary {
  /** One row per layer. */
  rows: SummaryRow[];
  /** Column sums (params and MACs), plus the float32 model's memory for comparison. */
  totals: {
    params: Record<1 | 2 | 32, number>;
    memoryBytes: number;
    float32MemoryBytes: number;
    macs1: number;
    macs2: number;
    macs32: number;
  };
}

/**
 * Builds the report by running one zero input through the model (shapes) in evaluation mode
 * without gradients.
 *
 * @param model A Sequential (binary or not).
 * @param inputShape The input's shape without the batch axis, e.g. `[1, 28, 28]`.
 * @returns The rows and totals.
 * @throws {RangeError} If the input shape does not fit the model.
 *
 * @example A float Linear: 32-bit everything
 * ```ts
 * import { modelSummary } from "@lowbit/binary/summary";
 * import { Linear, Sequential } from "@lowbit/nn";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { deepEqual } from "node:assert/strict";
 * const s = modelSummary(new Sequential([["fc", new Linear(3, 2, { random: new Philox(0) })]]), [3]);
 * deepEqual([s.totals.params[32], s.totals.memoryBytes, s.totals.macs32], [8, 32, 6]);
 * ```
 */
export function modelSummary(model: Sequential, inputShape: readonly number[]): ModelSummary {
  const wasTraining = model.training;
  model.eval();
  const rows: SummaryRow[] = [];
  try {
    noGrad(() => {
      let x = Variable.zeros([1, ...inputShape]);
      let bits = 32;
      for (const [name, m] of model.layers) {
        const inputBits = bits;
        const y = m.forward(x);
        const params: Record<1 | 2 | 32, number> = { 1: 0, 2: 0, 32: 0 };
        let macs = 0, weightBits = 32;
        if (m instanceof Conv2d || m instanceof Linear) {
          const fq = m.weightQuant;
          weightBits = fq instanceof WeightBinarizer ? (fq.method === "twn" ? 2 : 1) : 32;
          params[weightBits as 1 | 2 | 32] += m.weight.size;
          if (m.bias) params[32] += m.bias.size;
          const outPlane = y.size / y.shape[1];
          macs = m instanceof Conv2d
            ? y.shape[1] * outPlane * (m.weight.size / m.outChannels)
            : m.weight.size;
        } else {
          for (const [, p] of m.namedParameters()) params[32] += p.size;
          if (m instanceof BatchNormBase) {
            for (const [, b] of m.namedBuffers()) params[32] += b.data.length;
          }
        }
        const memoryBytes = (params[1] + 2 * params[2] + 32 * params[32]) / 8;
        const binaryIn = inputBits === 1;
        rows.push({
          name,
          layer: m.describe(),
          inputBits,
          outputShape: y.shape.slice(1),
          params,
          memoryBytes,
          macs1: weightBits === 1 && binaryIn ? macs : 0,
          macs2: weightBits === 2 && binaryIn ? macs : 0,
          macs32: (weightBits === 1 || weightBits === 2) && binaryIn ? 0 : macs,
        });
        if (m instanceof SignActivation) bits = 1;
        else if (!(m instanceof MaxPool2d || m instanceof Flatten)) bits = 32;
        x = y;
      }
    });
  } finally {
    model.train(wasTraining);
  }
  const totals = {
    params: { 1: 0, 2: 0, 32: 0 } as Record<1 | 2 | 32, number>,
    memoryBytes: 0,
    float32MemoryBytes: 0,
    macs1: 0,
    macs2: 0,
    macs32: 0,
  };
  for (const r of rows) {
    for (const b of [1, 2, 32] as const) totals.params[b] += r.params[b];
    totals.memoryBytes += r.memoryBytes;
    totals.macs1 += r.macs1;
    totals.macs2 += r.macs2;
    totals.macs32 += r.macs32;
  }
  totals.float32MemoryBytes = 4 * (totals.params[1] + totals.params[2] + totals.params[32]);
  return { rows, totals };
}

/**
 * The report as a text table (Larq's columns).
 *
 * @param s A report from {@linkcode modelSummary}.
 * @returns The table, one line per layer, then the totals.
 *
 * @example
 * ```ts
 * import { formatSummary, modelSummary } from "@lowbit/binary/summary";
 * import { binaryMnistCnn } from "@lowbit/binary/models";
 * import { ok } from "node:assert/strict";
 * const text = formatSummary(modelSummary(binaryMnistCnn(1, "bnn"), [1, 28, 28]));
 * ok(text.includes("conv2") && text.includes("Total"));
 * ```
 */
export function formatSummary(s: ModelSummary): string {
  const head = [
    "layer",
    "in bits",
    "output",
    "# 1-bit",
    "# 2-bit",
    "# 32-bit",
    "memory (kB)",
    "1-bit MACs",
    "2-bit MACs",
    "32-bit MACs",
  ];
  const kb = (b: number) => (b / 1024).toFixed(2);
  const body = s.rows.map((r) => [
    `${r.name} ${r.layer}`,
    String(r.inputBits),
    r.outputShape.join("×"),
    String(r.params[1]),
    String(r.params[2]),
    String(r.params[32]),
    kb(r.memoryBytes),
    String(r.macs1),
    String(r.macs2),
    String(r.macs32),
  ]);
  const t = s.totals;
  body.push([
    "Total",
    "",
    "",
    String(t.params[1]),
    String(t.params[2]),
    String(t.params[32]),
    `${kb(t.memoryBytes)} (f32 ${kb(t.float32MemoryBytes)})`,
    String(t.macs1),
    String(t.macs2),
    String(t.macs32),
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((row) => row[c].length)));
  const line = (row: string[]) =>
    row.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join("  ");
  return [line(head), ...body.map(line)].join("\n");
}
