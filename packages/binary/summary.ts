/**
 * A per-layer size report of a binary model, in the manner of Larq's `lq.models.summary`: for
 * every layer its input precision, output shape, parameters by bit width, parameter memory, and
 * multiply-accumulates split by the precision they run at.
 *
 * Counting rules:
 * - weight bits per method: 1 for the sign-weight `WeightBinarizer` methods and DoReFa W1,
 *   2 for TWN and TTQ (a ternary code) and DoReFa W2, M for ABC-Net's M bases; the scales the
 *   inference needs besides the codes are 32-bit parameters of the layer: BinaryConnect's H and
 *   TWN's α (one per tensor), XNOR-Net / Bi-Real / BNN+'s α (one per output channel), TTQ's W_p
 *   and W_n, DoReFa W1's E|W|, ABC-Net's M α's (BNN and DoReFa W2 need none); every other
 *   parameter and every batch-norm statistic (γ, β, μ, σ² — the four per channel that Keras and
 *   Larq count) is 32-bit; memory = Σ count·bits / 8 bytes;
 * - input precision: 1 bit after a sign activation, k bits after a DoReFa k-bit activation, N
 *   after ABC-Net's N activation bases (each kept through max-pools and flattens); 32 otherwise;
 * - MACs of a Conv2d (O·outH·outW·(C/G)·kH·kW) or Linear (O·K): on a quantized input, a layer
 *   with binary weight planes (sign weights: 1 plane; DoReFa k-bit: k; ABC-Net: M) runs as
 *   binary XNOR-popcount products, planes(W)·planes(x) of them per MAC (`packed_planes.ts`;
 *   `macs1`); ternary weights on a 1-bit input are ternary MACs (`gemmTernary`, `macs2`);
 *   everything else is 32-bit MACs. Other layers have no MACs;
 * - a `Residual` block (Bi-Real) is reported layer by layer (`block.body.layer`,
 *   `block.shortcut.layer`); the block's output is 32-bit (a real-valued sum).
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
import { Flatten, MaxPool2d, Residual } from "@lowbit/nn/layers";
import { Linear } from "@lowbit/nn/linear";
import { type Module, Sequential } from "@lowbit/nn/module";
import { SignActivation, WeightBinarizer } from "./models.ts";
import {
  AbcActivation,
  AbcWeights,
  DorefaWeights,
  QuantActivation,
  TtqWeights,
} from "./method_layers.ts";

/**
 * Parameter counts by bit width: always the keys 1, 2 and 32, plus any other width a layer
 * uses (3 for ABC-Net's three bases).
 */
export type ParamCounts = { 1: number; 2: number; 32: number } & Record<number, number>;

/** One layer of a {@linkcode ModelSummary}. */
export interface SummaryRow {
  /** The layer's name (`block.body.layer` inside a residual block). */
  name: string;
  /** Its description. */
  layer: string;
  /** Precision of its input in bits (1, k, N or 32; module doc). */
  inputBits: number;
  /** Output shape without the batch axis. */
  outputShape: number[];
  /** Parameter counts by bit width. */
  params: ParamCounts;
  /** Parameter memory in bytes. */
  memoryBytes: number;
  /** Binary (1-bit × 1-bit) MACs: XNOR-popcount products, plane pairs included. */
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
    params: ParamCounts;
    memoryBytes: number;
    float32MemoryBytes: number;
    macs1: number;
    macs2: number;
    macs32: number;
  };
}

/** A layer's weight: bits per weight, binary planes (0 if ternary), inference scales. */
function weightFormat(
  m: Conv2d | Linear,
): { bits: number; planes: number; ternary: boolean; scales: number } {
  const fq = m.weightQuant, O = m.weight.shape[0];
  if (fq instanceof WeightBinarizer) {
    switch (fq.method) {
      case "twn":
        return { bits: 2, planes: 0, ternary: true, scales: 1 };
      case "bnn":
        return { bits: 1, planes: 1, ternary: false, scales: 0 };
      case "binaryConnect":
        return { bits: 1, planes: 1, ternary: false, scales: 1 };
      default: // XNOR-Net, Bi-Real, BNN+: α per output channel
        return { bits: 1, planes: 1, ternary: false, scales: O };
    }
  }
  if (fq instanceof TtqWeights) return { bits: 2, planes: 0, ternary: true, scales: 2 };
  if (fq instanceof DorefaWeights) {
    const k = fq.weightBits;
    return { bits: k, planes: k, ternary: false, scales: k === 1 ? 1 : 0 };
  }
  if (fq instanceof AbcWeights) {
    return { bits: fq.bases, planes: fq.bases, ternary: false, scales: fq.bases };
  }
  return { bits: 32, planes: 0, ternary: false, scales: 0 };
}

/** The precision of a layer's output given its input's (module doc). */
function outputBits(m: Module, inputBits: number): number {
  if (m instanceof SignActivation) return 1;
  if (m instanceof QuantActivation) return m.bits;
  if (m instanceof AbcActivation) return m.shifts.length;
  return m instanceof MaxPool2d || m instanceof Flatten ? inputBits : 32;
}

const emptyCounts = (): ParamCounts => ({ 1: 0, 2: 0, 32: 0 });

function layerRow(name: string, m: Module, y: Variable, inputBits: number): SummaryRow {
  const params = emptyCounts();
  let macs1 = 0, macs2 = 0, macs32 = 0;
  if (m instanceof Conv2d || m instanceof Linear) {
    const f = weightFormat(m);
    params[f.bits] = (params[f.bits] ?? 0) + m.weight.size;
    params[32] += f.scales + (m.bias ? m.bias.size : 0);
    const outPlane = y.size / y.shape[1];
    const macs = m instanceof Conv2d
      ? y.shape[1] * outPlane * (m.weight.size / m.outChannels)
      : m.weight.size;
    if (inputBits < 32 && f.planes > 0) macs1 = macs * f.planes * inputBits;
    else if (inputBits === 1 && f.ternary) macs2 = macs;
    else macs32 = macs;
  } else {
    for (const [, p] of m.namedParameters()) params[32] += p.size;
    if (m instanceof BatchNormBase) {
      for (const [, b] of m.namedBuffers()) params[32] += b.data.length;
    }
  }
  let bits = 0;
  for (const [w, n] of Object.entries(params)) bits += Number(w) * n;
  return {
    name,
    layer: m.describe(),
    inputBits,
    outputShape: y.shape.slice(1),
    params,
    memoryBytes: bits / 8,
    macs1,
    macs2,
    macs32,
  };
}

function sublayers(m: Module): (readonly [string, Module])[] {
  return m instanceof Sequential ? [...m.layers] : [["", m] as const];
}

/** Rows of a layer list from input x at `bits`; returns the output and its precision. */
function walk(
  prefix: string,
  layers: readonly (readonly [string, Module])[],
  x: Variable,
  bits: number,
  rows: SummaryRow[],
): { y: Variable; bits: number } {
  for (const [name, m] of layers) {
    const path = prefix === "" ? name : name === "" ? prefix : `${prefix}.${name}`;
    if (m instanceof Residual) {
      walk(`${path}.body`, sublayers(m.body), x, bits, rows);
      if (m.shortcut !== null) walk(`${path}.shortcut`, sublayers(m.shortcut), x, bits, rows);
      x = m.forward(x);
      bits = 32;
      continue;
    }
    const y = m.forward(x);
    rows.push(layerRow(path, m, y, bits));
    bits = outputBits(m, bits);
    x = y;
  }
  return { y: x, bits };
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
    noGrad(() => walk("", model.layers, Variable.zeros([1, ...inputShape]), 32, rows));
  } finally {
    model.train(wasTraining);
  }
  const totals = {
    params: emptyCounts(),
    memoryBytes: 0,
    float32MemoryBytes: 0,
    macs1: 0,
    macs2: 0,
    macs32: 0,
  };
  let count = 0;
  for (const r of rows) {
    for (const [w, n] of Object.entries(r.params)) {
      totals.params[Number(w)] = (totals.params[Number(w)] ?? 0) + n;
      count += n;
    }
    totals.memoryBytes += r.memoryBytes;
    totals.macs1 += r.macs1;
    totals.macs2 += r.macs2;
    totals.macs32 += r.macs32;
  }
  totals.float32MemoryBytes = 4 * count;
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
  const widths = Object.keys(s.totals.params).map(Number).sort((a, b) => a - b);
  const head = [
    "layer",
    "in bits",
    "output",
    ...widths.map((w) => `# ${w}-bit`),
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
    ...widths.map((w) => String(r.params[w] ?? 0)),
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
    ...widths.map((w) => String(t.params[w])),
    `${kb(t.memoryBytes)} (f32 ${kb(t.float32MemoryBytes)})`,
    String(t.macs1),
    String(t.macs2),
    String(t.macs32),
  ]);
  const cols = head.map((h, c) => Math.max(h.length, ...body.map((row) => row[c].length)));
  const line = (row: string[]) =>
    row.map((v, c) => (c === 0 ? v.padEnd(cols[c]) : v.padStart(cols[c]))).join("  ");
  return [line(head), ...body.map(line)].join("\n");
}
