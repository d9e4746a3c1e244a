/**
 * Hardware targets: the JSON form of `hardware/<target>.json` ({@linkcode TargetFile}, every
 * number a {@linkcode Quantity} with its unit and source) and its checked, SI-unit form
 * ({@linkcode Target}) that the cost model reads. `hardware/schema.md` describes the fields;
 * {@linkcode parseTarget} rejects a malformed file with a {@linkcode TargetError} naming the
 * JSON path of the field at fault.
 *
 * Units are converted as written in the datasheet: `TOPS`/`TFLOPS` count two operations per
 * multiply-accumulate (docs/hardware.md Eq. 6), `MAC/cycle/core` is multiplied by the clock
 * and the core count.
 *
 * @example
 * ```ts
 * import { parseTarget } from "@lowbit/hardware/target";
 * import { equal, throws } from "node:assert/strict";
 * const src = "example";
 * const t = parseTarget({
 *   name: "toy", description: "a toy target",
 *   clock: { value: 100, unit: "MHz", source: src },
 *   cores: { value: 2, unit: "count", source: src },
 *   peak: { int8: { value: 4, unit: "MAC/cycle/core", source: src } },
 *   memory: [{ name: "sram", kind: "sram", holds: ["weights", "activations"],
 *     bandwidth: { value: 400, unit: "MB/s", source: src } }],
 * });
 * equal(t.peak.int8, 8e8); // 4 MAC/cycle · 2 cores · 100 MHz
 * equal(t.levels[0].bandwidth, 4e8);
 * throws(() => parseTarget({ name: "toy" }), /\$\.description: missing/);
 * ```
 *
 * @module
 */

import { TargetError } from "./errors.ts";

/** A number with its unit and where it comes from. */
export interface Quantity {
  /** The number, as the source states it. */
  value: number;
  /** Its unit (see hardware/schema.md for the accepted units per field). */
  unit: string;
  /** Datasheet / reference manual / paper (title and section) or URL, or `measured: …`. */
  source: string;
  /** Free-text remark (derivations, caveats). */
  note?: string;
}

/** What a memory level may hold. `io` = the model's inputs and outputs cross it per inference. */
export type Holds = "weights" | "activations" | "io";

/** Memory technology of a level (selects the default access energy, Eq. 3). */
export type MemoryKind = "sram" | "dram" | "hbm" | "flash" | "link";

/** A memory level as written in the JSON file. */
export interface MemoryLevelFile {
  /** Level name, e.g. `"DTCM"`, `"HBM2"`, `"USB 3.0 link"`. */
  name: string;
  /** Technology. */
  kind: MemoryKind;
  /** What the level may hold. */
  holds: Holds[];
  /** Capacity (absent = unbounded for placement). */
  size?: Quantity;
  /** Sustained or peak bandwidth (absent = this level's time is not modelled). */
  bandwidth?: Quantity;
  /** Energy per access (absent = the kind's Horowitz default, or not modelled). */
  energy?: Quantity;
}

/** Compute formats a target file may list peaks for. */
export type PeakPrecision =
  | "fp32"
  | "tf32"
  | "fp16"
  | "bf16"
  | "fp8"
  | "int8"
  | "int4"
  | "binary";

/** Every {@linkcode PeakPrecision}. */
export const PEAK_PRECISIONS: readonly PeakPrecision[] = [
  "fp32",
  "tf32",
  "fp16",
  "bf16",
  "fp8",
  "int8",
  "int4",
  "binary",
];

/**
 * Op classes a target may give its own sustained rate for (docs/hardware.md Eq. 1c): dense
 * convolutions, depthwise convolutions, matrix products, pooling, element-wise ops.
 */
export type OpClass = "conv" | "depthwise" | "gemm" | "pool" | "elementwise";

/** Every {@linkcode OpClass}. */
export const OP_CLASSES: readonly OpClass[] = ["conv", "depthwise", "gemm", "pool", "elementwise"];

/**
 * Kernel kinds a software stack gives its own efficiency for (docs/hardware.md Eq. 1d):
 * dense convolutions with a spatial kernel, depthwise convolutions, 1×1 (pointwise)
 * convolutions, and fully connected layers / matrix products.
 */
export type KernelKind = "conv" | "depthwise" | "pointwise" | "gemm";

/** Every {@linkcode KernelKind}. */
export const KERNEL_KINDS: readonly KernelKind[] = ["conv", "depthwise", "pointwise", "gemm"];

/** A software stack (inference framework + kernel library) as written in a target file. */
export interface SoftwareStackFile {
  /** What the stack is (framework, kernel library, versions). */
  description: string;
  /**
   * Fraction of the target's peak MAC rate the stack's kernels reach, per kernel kind
   * (unit `fraction`, 0 < value ≤ 1). A value fitted to published latencies says so in its
   * `source` and names the points it was fitted on.
   */
  efficiency: Record<KernelKind, Quantity>;
  /** Fixed time added to every multiply-accumulate layer (`cycles` needs `clock`, or a time). */
  layerOverhead?: Quantity;
  /** Power drawn while the stack runs an inference (board or core), added as power × latency. */
  runPower?: Quantity;
}

/** A checked software stack. */
export interface SoftwareStack {
  /** Its name (key in the file's `stacks`). */
  name: string;
  /** Description. */
  description: string;
  /** Fraction of peak per kernel kind. */
  efficiency: Record<KernelKind, number>;
  /** Seconds added to every MAC layer (0 when not given). */
  layerOverhead: number;
  /** Watts while running (replaces the target's `staticPower` when given). */
  runPower?: number;
}

/**
 * Terms of a measured kernel-time model (docs/hardware.md Eq. 1e): a fixed time per node and
 * a time per multiply-accumulate, per weight element, per activation input element, per
 * output element, per convolution group, per im2col patch element (N·OH·OW·C·KH·KW) and per
 * convolution output row (N·M·OH: a kernel that vectorises along the row pays per row).
 */
export type KernelTerm =
  | "fixed"
  | "perMac"
  | "perWeight"
  | "perInput"
  | "perOutput"
  | "perGroup"
  | "perPatch"
  | "perRow";

/**
 * Keys of a kernel-time model (Eq. 1e): the op classes, and `pointwise` for 1×1 convolutions
 * (which a `conv` model covers when no `pointwise` model is given).
 */
export type KernelTimeKey = OpClass | "pointwise";

/** Every {@linkcode KernelTimeKey}. */
export const KERNEL_TIME_KEYS: readonly KernelTimeKey[] = [
  "conv",
  "pointwise",
  "depthwise",
  "gemm",
  "pool",
  "elementwise",
];

/** Every {@linkcode KernelTerm}. */
export const KERNEL_TERMS: readonly KernelTerm[] = [
  "fixed",
  "perMac",
  "perWeight",
  "perInput",
  "perOutput",
  "perGroup",
  "perPatch",
  "perRow",
];

/** The JSON form of a target (`hardware/<target>.json`). */
export interface TargetFile {
  /** Short identifier (file name without `.json`). */
  name: string;
  /** What the target is (part number, board). */
  description: string;
  /** Core clock (needed when a peak is given per cycle). */
  clock?: Quantity;
  /** Cores (default 1). */
  cores?: Quantity;
  /** Process node, used to scale the 45 nm energies (Eq. 7). */
  processNode?: Quantity;
  /** Peak multiply-accumulate throughput per format. */
  peak: Partial<Record<PeakPrecision, Quantity>>;
  /**
   * Sustained rate per op class and format, in work units (one MAC or one element op) per
   * second; overrides `peak` for nodes of that class (Eq. 1c).
   */
  opClassRate?: Partial<Record<OpClass, Partial<Record<PeakPrecision, Quantity>>>>;
  /** Fixed time per node (dispatch overhead of a software executor, Eq. 1c). */
  nodeOverhead?: Quantity;
  /**
   * Kernel-time models per op class and format (Eq. 1e): the node's compute time is
   * Σ_term coefficient · feature (fixed, per MAC, per weight, per input, per output, per group),
   * replacing the rate and the node overhead for nodes of that class; fitted by `measureHost`
   * to microbenchmarks of this host's kernels.
   */
  kernelTime?: Partial<
    Record<KernelTimeKey, Partial<Record<PeakPrecision, Partial<Record<KernelTerm, Quantity>>>>>
  >;
  /**
   * Activations the target's executor fuses into the node producing their input: at a compute
   * format in `precisions`, a node whose op is in `ops` (Relu, Clip), reading as its first input
   * the only output of a node whose op is in `producers` at the same format, of which it is the
   * only reader, costs nothing (its clamp runs in the producer's output stage and the
   * intermediate value is never written). Absent: every node is priced on its own.
   */
  fusedActivations?: {
    precisions: PeakPrecision[];
    ops: string[];
    producers: string[];
    source: string;
    /**
     * Time a fused activation still costs (a runtime that passes the codes through but
     * dispatches the node), a time quantity; absent: 0. A measured host gives it, a datasheet
     * target does not.
     */
    seconds?: Quantity;
  };
  /**
   * The ONNX op types the target runs (absent: every op the cost model knows). With
   * `partitionedCost`, the first node outside the list and every node after it run on a
   * fallback target (docs/hardware.md Eq. 9).
   */
  supportedOps?: { ops: string[]; source: string; note?: string };
  /** Energy per MAC per format (overrides the scaled 45 nm table). */
  macEnergy?: Partial<Record<PeakPrecision, Quantity>>;
  /** Memory levels, innermost (fastest) first. */
  memory: MemoryLevelFile[];
  /** Static (leakage / idle) power, added as power × latency. */
  staticPower?: Quantity;
  /** Board or package power rating (reported, not used in the energy model). */
  tdp?: Quantity;
  /** Software stacks with their kernel efficiencies (docs/hardware.md Eq. 1d). */
  stacks?: Record<string, SoftwareStackFile>;
  /** What is left out and why. */
  notes?: string[];
}

/** A checked memory level in SI units. */
export interface MemoryLevel {
  /** Level name. */
  name: string;
  /** Technology. */
  kind: MemoryKind;
  /** What it may hold. */
  holds: readonly Holds[];
  /** Capacity in bytes (`Infinity` when the file gives none). */
  size: number;
  /** Bandwidth in bytes per second (`undefined` = not modelled). */
  bandwidth?: number;
  /** Energy per byte in picojoules given by the file (`undefined` = default of the kind). */
  energyPerByte?: number;
}

/** A checked target in SI units: what the cost model reads. */
export interface Target {
  /** Identifier. */
  name: string;
  /** Description. */
  description: string;
  /** Clock in Hz, when given. */
  clock?: number;
  /** Cores. */
  cores: number;
  /** Process node in nm, when given. */
  processNode?: number;
  /** Peak MAC/s per format. */
  peak: Partial<Record<PeakPrecision, number>>;
  /** Sustained work units per second per op class and format (Eq. 1c). */
  opClassRate: Partial<Record<OpClass, Partial<Record<PeakPrecision, number>>>>;
  /** Seconds added to every node (Eq. 1c; 0 when not given). */
  nodeOverhead: number;
  /** Kernel-time coefficients in seconds per feature, per op class and format (Eq. 1e). */
  kernelTime: Partial<
    Record<KernelTimeKey, Partial<Record<PeakPrecision, Partial<Record<KernelTerm, number>>>>>
  >;
  /** Fused activations (`TargetFile.fusedActivations`), when the file gives them. */
  fusedActivations?: {
    precisions: ReadonlySet<PeakPrecision>;
    ops: ReadonlySet<string>;
    producers: ReadonlySet<string>;
    /** Seconds each fused activation costs (0 when the file gives none). */
    seconds: number;
  };
  /** ONNX op types the target runs, when the file lists them. */
  supportedOps?: ReadonlySet<string>;
  /** Energy per MAC in pJ per format, when the file gives its own. */
  macEnergy: Partial<Record<PeakPrecision, number>>;
  /** Memory levels, innermost first. */
  levels: MemoryLevel[];
  /** Static power in W (0 when not given). */
  staticPower: number;
  /** Software stacks by name (empty when the file gives none). */
  stacks: Record<string, SoftwareStack>;
  /** The file it came from. */
  file: TargetFile;
}

type Units = Record<string, number>;

const CLOCK: Units = { "Hz": 1, "kHz": 1e3, "MHz": 1e6, "GHz": 1e9 };
const SIZE: Units = {
  "B": 1,
  "KiB": 1024,
  "MiB": 1024 ** 2,
  "GiB": 1024 ** 3,
  "KB": 1e3,
  "MB": 1e6,
  "GB": 1e9,
};
const BANDWIDTH: Units = {
  "B/s": 1,
  "MB/s": 1e6,
  "GB/s": 1e9,
  "TB/s": 1e12,
  "Mbit/s": 1e6 / 8,
  "Gbit/s": 1e9 / 8,
};
const PEAK: Units = {
  "MAC/s": 1,
  "GMAC/s": 1e9,
  "TMAC/s": 1e12,
  "GOPS": 1e9 / 2,
  "TOPS": 1e12 / 2,
  "GFLOPS": 1e9 / 2,
  "TFLOPS": 1e12 / 2,
};
const RATE: Units = { "op/s": 1, "Mop/s": 1e6, "Gop/s": 1e9, "op/cycle/core": 1 };
const TIME: Units = { "s": 1, "ms": 1e-3, "us": 1e-6, "ns": 1e-9 };
const ENERGY: Units = { "pJ/B": 1, "pJ/32b": 1 / 4, "pJ/64b": 1 / 8 };
const POWER: Units = { "W": 1, "mW": 1e-3 };
const FRACTION: Units = { "fraction": 1 };
const HOLDS: readonly Holds[] = ["weights", "activations", "io"];
const KINDS: readonly MemoryKind[] = ["sram", "dram", "hbm", "flash", "link"];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function field(obj: Record<string, unknown>, key: string, path: string): unknown {
  if (!Object.hasOwn(obj, key) || obj[key] === undefined) {
    throw new TargetError(`${path}.${key}`, "missing");
  }
  return obj[key];
}

function str(obj: Record<string, unknown>, key: string, path: string): string {
  const v = field(obj, key, path);
  if (typeof v !== "string" || v === "") {
    throw new TargetError(`${path}.${key}`, `must be a non-empty string, got ${JSON.stringify(v)}`);
  }
  return v;
}

function quantity(v: unknown, path: string, units: Units): { q: Quantity; scale: number } {
  if (!isRecord(v)) throw new TargetError(path, "must be an object { value, unit, source }");
  const value = field(v, "value", path);
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new TargetError(
      `${path}.value`,
      `must be a positive number, got ${JSON.stringify(value)}`,
    );
  }
  const unit = str(v, "unit", path);
  const source = str(v, "source", path);
  if (!Object.hasOwn(units, unit)) {
    throw new TargetError(
      `${path}.unit`,
      `unknown unit ${JSON.stringify(unit)}; expected one of ${Object.keys(units).join(", ")}`,
    );
  }
  const note = v.note;
  if (note !== undefined && typeof note !== "string") {
    throw new TargetError(`${path}.note`, "must be a string");
  }
  return {
    q: { value, unit, source, ...(note === undefined ? {} : { note }) },
    scale: units[unit],
  };
}

function optional(
  obj: Record<string, unknown>,
  key: string,
  path: string,
  units: Units,
): number | undefined {
  if (!Object.hasOwn(obj, key) || obj[key] === undefined) return undefined;
  const { q, scale } = quantity(obj[key], `${path}.${key}`, units);
  return q.value * scale;
}

/**
 * Checks a parsed JSON target and converts it to SI units.
 *
 * @param json The parsed JSON document.
 * @returns The target.
 * @throws {TargetError} Naming the JSON path of a missing or malformed field: every number
 *   must be `{ value > 0, unit, source }` with a unit from hardware/schema.md; per-cycle peaks
 *   and `B/cycle` bandwidths need `clock`; at least one memory level must hold weights and
 *   one activations.
 *
 * @example A peak per cycle without a clock
 * ```ts
 * import { parseTarget } from "@lowbit/hardware/target";
 * import { throws } from "node:assert/strict";
 * throws(() => parseTarget({ name: "t", description: "d",
 *   peak: { fp32: { value: 1, unit: "MAC/cycle/core", source: "s" } },
 *   memory: [{ name: "m", kind: "dram", holds: ["weights", "activations"] }] }),
 *   /\$\.clock: missing \(needed by \$\.peak\.fp32, given per cycle\)/);
 * ```
 */
export function parseTarget(json: unknown): Target {
  if (!isRecord(json)) throw new TargetError("$", "must be a JSON object");
  const name = str(json, "name", "$");
  const description = str(json, "description", "$");
  const clock = optional(json, "clock", "$", CLOCK);
  const cores = optional(json, "cores", "$", { "count": 1 }) ?? 1;
  if (!Number.isInteger(cores)) throw new TargetError("$.cores.value", "must be an integer");
  const processNode = optional(json, "processNode", "$", { "nm": 1 });
  const needClock = (path: string): number => {
    if (clock === undefined) {
      throw new TargetError("$.clock", `missing (needed by ${path}, given per cycle)`);
    }
    return clock;
  };

  const peakJson = field(json, "peak", "$");
  if (!isRecord(peakJson)) throw new TargetError("$.peak", "must be an object keyed by precision");
  const peak: Partial<Record<PeakPrecision, number>> = {};
  for (const [k, v] of Object.entries(peakJson)) {
    const path = `$.peak.${k}`;
    if (!(PEAK_PRECISIONS as readonly string[]).includes(k)) {
      throw new TargetError(
        path,
        `unknown precision; expected one of ${PEAK_PRECISIONS.join(", ")}`,
      );
    }
    const { q, scale } = quantity(v, path, { ...PEAK, "MAC/cycle/core": 1 });
    peak[k as PeakPrecision] = q.unit === "MAC/cycle/core"
      ? q.value * needClock(path) * cores
      : q.value * scale;
  }
  if (Object.keys(peak).length === 0) throw new TargetError("$.peak", "lists no precision");

  const opClassRate: Partial<Record<OpClass, Partial<Record<PeakPrecision, number>>>> = {};
  if (json.opClassRate !== undefined) {
    if (!isRecord(json.opClassRate)) throw new TargetError("$.opClassRate", "must be an object");
    for (const [cls, perPrecision] of Object.entries(json.opClassRate)) {
      const cpath = `$.opClassRate.${cls}`;
      if (!(OP_CLASSES as readonly string[]).includes(cls)) {
        throw new TargetError(cpath, `unknown op class; expected one of ${OP_CLASSES.join(", ")}`);
      }
      if (!isRecord(perPrecision)) {
        throw new TargetError(cpath, "must be an object keyed by precision");
      }
      const rates: Partial<Record<PeakPrecision, number>> = {};
      for (const [k, v] of Object.entries(perPrecision)) {
        const path = `${cpath}.${k}`;
        if (!(PEAK_PRECISIONS as readonly string[]).includes(k)) {
          throw new TargetError(
            path,
            `unknown precision; expected one of ${PEAK_PRECISIONS.join(", ")}`,
          );
        }
        const { q, scale } = quantity(v, path, RATE);
        rates[k as PeakPrecision] = q.unit === "op/cycle/core"
          ? q.value * needClock(path) * cores
          : q.value * scale;
      }
      opClassRate[cls as OpClass] = rates;
    }
  }
  const nodeOverhead = optional(json, "nodeOverhead", "$", TIME) ?? 0;
  const kernelTime: Target["kernelTime"] = {};
  if (json.kernelTime !== undefined) {
    if (!isRecord(json.kernelTime)) throw new TargetError("$.kernelTime", "must be an object");
    for (const [cls, perPrecision] of Object.entries(json.kernelTime)) {
      const cpath = `$.kernelTime.${cls}`;
      if (!(KERNEL_TIME_KEYS as readonly string[]).includes(cls)) {
        throw new TargetError(
          cpath,
          `unknown op class; expected one of ${KERNEL_TIME_KEYS.join(", ")}`,
        );
      }
      if (!isRecord(perPrecision)) {
        throw new TargetError(cpath, "must be an object keyed by precision");
      }
      const byP: Partial<Record<PeakPrecision, Partial<Record<KernelTerm, number>>>> = {};
      for (const [k, terms] of Object.entries(perPrecision)) {
        const ppath = `${cpath}.${k}`;
        if (!(PEAK_PRECISIONS as readonly string[]).includes(k)) {
          throw new TargetError(
            ppath,
            `unknown precision; expected one of ${PEAK_PRECISIONS.join(", ")}`,
          );
        }
        if (!isRecord(terms) || Object.keys(terms).length === 0) {
          throw new TargetError(
            ppath,
            `must be a non-empty object of terms (${KERNEL_TERMS.join(", ")})`,
          );
        }
        const out: Partial<Record<KernelTerm, number>> = {};
        for (const [term, q] of Object.entries(terms)) {
          const tpath = `${ppath}.${term}`;
          if (!(KERNEL_TERMS as readonly string[]).includes(term)) {
            throw new TargetError(
              tpath,
              `unknown term; expected one of ${KERNEL_TERMS.join(", ")}`,
            );
          }
          const { q: qq, scale } = quantity(q, tpath, TIME);
          out[term as KernelTerm] = qq.value * scale;
        }
        byP[k as PeakPrecision] = out;
      }
      kernelTime[cls as KernelTimeKey] = byP;
    }
  }
  let fusedActivations: Target["fusedActivations"];
  if (json.fusedActivations !== undefined) {
    const fa = json.fusedActivations;
    const fpath = "$.fusedActivations";
    if (!isRecord(fa)) {
      throw new TargetError(fpath, "must be an object { precisions, ops, producers, source }");
    }
    const strings = (k: string): string[] => {
      const v = field(fa, k, fpath);
      if (!Array.isArray(v) || v.length === 0 || !v.every((o) => typeof o === "string")) {
        throw new TargetError(`${fpath}.${k}`, "must be a non-empty array of strings");
      }
      return v as string[];
    };
    const precisions = strings("precisions");
    precisions.forEach((p, i) => {
      if (!(PEAK_PRECISIONS as readonly string[]).includes(p)) {
        throw new TargetError(
          `${fpath}.precisions[${i}]`,
          `unknown precision ${JSON.stringify(p)}; expected one of ${PEAK_PRECISIONS.join(", ")}`,
        );
      }
    });
    const ops = strings("ops"), producers = strings("producers");
    str(fa, "source", fpath);
    const seconds = optional(fa, "seconds", fpath, TIME) ?? 0;
    fusedActivations = {
      precisions: new Set(precisions as PeakPrecision[]),
      ops: new Set(ops),
      producers: new Set(producers),
      seconds,
    };
  }
  let supportedOps: Set<string> | undefined;
  if (json.supportedOps !== undefined) {
    const so = json.supportedOps;
    if (!isRecord(so)) throw new TargetError("$.supportedOps", "must be an object { ops, source }");
    const ops = field(so, "ops", "$.supportedOps");
    if (!Array.isArray(ops) || ops.length === 0 || !ops.every((o) => typeof o === "string")) {
      throw new TargetError("$.supportedOps.ops", "must be a non-empty array of ONNX op types");
    }
    str(so, "source", "$.supportedOps");
    supportedOps = new Set(ops as string[]);
  }

  const macEnergy: Partial<Record<PeakPrecision, number>> = {};
  if (json.macEnergy !== undefined) {
    if (!isRecord(json.macEnergy)) throw new TargetError("$.macEnergy", "must be an object");
    for (const [k, v] of Object.entries(json.macEnergy)) {
      const path = `$.macEnergy.${k}`;
      if (!(PEAK_PRECISIONS as readonly string[]).includes(k)) {
        throw new TargetError(path, "unknown precision");
      }
      macEnergy[k as PeakPrecision] = quantity(v, path, { "pJ/MAC": 1 }).q.value;
    }
  }

  const memJson = field(json, "memory", "$");
  if (!Array.isArray(memJson) || memJson.length === 0) {
    throw new TargetError("$.memory", "must be a non-empty array of levels, innermost first");
  }
  const levels = memJson.map((m: unknown, i): MemoryLevel => {
    const path = `$.memory[${i}]`;
    if (!isRecord(m)) throw new TargetError(path, "must be an object");
    const levelName = str(m, "name", path);
    const kind = str(m, "kind", path);
    if (!(KINDS as readonly string[]).includes(kind)) {
      throw new TargetError(`${path}.kind`, `must be one of ${KINDS.join(", ")}, got "${kind}"`);
    }
    const holds = field(m, "holds", path);
    if (
      !Array.isArray(holds) || holds.length === 0 ||
      !holds.every((h) => (HOLDS as readonly unknown[]).includes(h))
    ) {
      throw new TargetError(`${path}.holds`, `must be a non-empty array of ${HOLDS.join(", ")}`);
    }
    const size = optional(m, "size", path, SIZE) ?? Infinity;
    let bandwidth: number | undefined;
    if (m.bandwidth !== undefined) {
      const bpath = `${path}.bandwidth`;
      const { q, scale } = quantity(m.bandwidth, bpath, { ...BANDWIDTH, "B/cycle": 1 });
      bandwidth = q.unit === "B/cycle" ? q.value * needClock(bpath) : q.value * scale;
    }
    const energyPerByte = optional(m, "energy", path, ENERGY);
    return {
      name: levelName,
      kind: kind as MemoryKind,
      holds: holds as Holds[],
      size,
      ...(bandwidth === undefined ? {} : { bandwidth }),
      ...(energyPerByte === undefined ? {} : { energyPerByte }),
    };
  });
  for (const h of ["weights", "activations"] as const) {
    if (!levels.some((l) => l.holds.includes(h))) {
      throw new TargetError("$.memory", `no level holds ${h}`);
    }
  }
  const staticPower = optional(json, "staticPower", "$", POWER) ?? 0;
  const stacks: Record<string, SoftwareStack> = {};
  if (json.stacks !== undefined) {
    if (!isRecord(json.stacks)) {
      throw new TargetError("$.stacks", "must be an object keyed by stack name");
    }
    for (const [sname, sj] of Object.entries(json.stacks)) {
      const spath = `$.stacks.${sname}`;
      if (!isRecord(sj)) throw new TargetError(spath, "must be an object");
      const sdesc = str(sj, "description", spath);
      const effJson = field(sj, "efficiency", spath);
      if (!isRecord(effJson)) {
        throw new TargetError(`${spath}.efficiency`, "must be an object keyed by kernel kind");
      }
      for (const k of Object.keys(effJson)) {
        if (!(KERNEL_KINDS as readonly string[]).includes(k)) {
          throw new TargetError(
            `${spath}.efficiency.${k}`,
            `unknown kernel kind; expected one of ${KERNEL_KINDS.join(", ")}`,
          );
        }
      }
      const efficiency = {} as Record<KernelKind, number>;
      for (const k of KERNEL_KINDS) {
        const epath = `${spath}.efficiency.${k}`;
        const { q } = quantity(field(effJson, k, `${spath}.efficiency`), epath, FRACTION);
        if (q.value > 1) {
          throw new TargetError(
            `${epath}.value`,
            `must be at most 1 (a fraction of peak), got ${q.value}`,
          );
        }
        efficiency[k] = q.value;
      }
      let layerOverhead = 0;
      if (sj.layerOverhead !== undefined) {
        const opath = `${spath}.layerOverhead`;
        const { q, scale } = quantity(sj.layerOverhead, opath, { ...TIME, "cycles": 1 });
        layerOverhead = q.unit === "cycles" ? q.value / needClock(opath) : q.value * scale;
      }
      const runPower = optional(sj, "runPower", spath, POWER);
      stacks[sname] = {
        name: sname,
        description: sdesc,
        efficiency,
        layerOverhead,
        ...(runPower === undefined ? {} : { runPower }),
      };
    }
  }
  if (json.tdp !== undefined) quantity(json.tdp, "$.tdp", POWER);
  if (json.notes !== undefined) {
    if (!Array.isArray(json.notes) || !json.notes.every((n) => typeof n === "string")) {
      throw new TargetError("$.notes", "must be an array of strings");
    }
  }
  return {
    name,
    description,
    ...(clock === undefined ? {} : { clock }),
    cores,
    ...(processNode === undefined ? {} : { processNode }),
    peak,
    opClassRate,
    nodeOverhead,
    kernelTime,
    ...(fusedActivations === undefined ? {} : { fusedActivations }),
    ...(supportedOps === undefined ? {} : { supportedOps }),
    macEnergy,
    levels,
    staticPower,
    stacks,
    file: json as unknown as TargetFile,
  };
}

/**
 * Reads and checks `hardware/<name>.json` (or any path).
 *
 * @param path File path or URL of the JSON file.
 * @returns The target.
 * @throws {TargetError} For malformed JSON (`$`) or a bad field.
 *
 * @example
 * ```ts
 * import { loadTarget } from "@lowbit/hardware/target";
 * import { equal } from "node:assert/strict";
 * const t = await loadTarget(new URL("../../hardware/nvidia-t4.json", import.meta.url));
 * equal(t.peak.int8, 65e12); // 130 TOPS = 65 T MAC/s
 * ```
 */
export async function loadTarget(path: string | URL): Promise<Target> {
  const text = await Deno.readTextFile(path);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new TargetError("$", `not valid JSON (${(e as Error).message})`);
  }
  return parseTarget(json);
}
