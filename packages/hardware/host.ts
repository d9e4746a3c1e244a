/**
 * This host as a target, measured rather than typed in: peak MAC/s of the `@lowbit/kernels`
 * GEMMs (f32, int8, 4-bit narrow, binary) on a 256×256×256 product; the sustained rate per op
 * class (conv, depthwise, Gemm, pooling, element-wise) of the float executor and of the int8
 * kernels at one representative shape each, and the executor's per-node overhead
 * (docs/hardware.md Eq. 1c); and the bandwidth of a
 * cache-sized and a DRAM-sized buffer copy (read + write bytes; the kernels have no streaming
 * op, and their f32 matrix-vector product is kernel-bound here, so it is reported separately). Single thread; the
 * result has the shape of a `hardware/<target>.json` file, each number's `source` saying how it
 * was measured.
 *
 * @example
 * ```ts
 * import { measureHost } from "@lowbit/hardware/host";
 * import { parseTarget } from "@lowbit/hardware/target";
 * import { equal, ok } from "node:assert/strict";
 * const { file, info } = measureHost({ seconds: 0.2, print: false });
 * const t = parseTarget(file);
 * equal(t.peak.fp32, (file.peak.fp32?.value ?? 0) * 1e9);
 * ok(t.peak.fp32 !== undefined && t.peak.fp32 > 1e6);
 * ok(info.kernelPath === "wasm-simd" || info.kernelPath === "typescript");
 * ```
 *
 * @module
 */

import { runFloat } from "@lowbit/graph/executor";
import { type Graph, type GraphTensor, type Node, zeros } from "@lowbit/graph/ir";
import {
  conv2dInt8,
  depthwiseConv2dInt8,
  gemmBinary,
  gemmF32,
  gemmInt8,
  gemmNarrow,
  packBinary,
  packF32,
  packInt8,
} from "@lowbit/kernels";
import { inferShapes } from "@lowbit/graph/executor";
import {
  KERNEL_TIME_KEYS,
  type KernelTerm,
  type KernelTimeKey,
  type MemoryLevelFile,
  type OpClass,
  type PeakPrecision,
  type Quantity,
  type TargetFile,
} from "./target.ts";
import { kernelTimeOf } from "./cost.ts";
import { nodeWork } from "./work.ts";
import { boundedLeastSquares } from "./_lsq.ts";

/** What was found about the host. */
export interface HostInfo {
  /** CPU model (from /proc/cpuinfo, or the architecture when unreadable). */
  cpuModel: string;
  /** Kernel implementation the chooser picks: Wasm SIMD or the TypeScript reference. */
  kernelPath: "wasm-simd" | "typescript";
  /** L2 size in bytes from sysfs, when readable. */
  l2Bytes?: number;
  /** Effective bandwidth of the f32 matrix-vector product (B 1024×4096 packed), bytes/s. */
  gemvBytesPerSecond: number;
  /** Seconds the measurement took. */
  seconds: number;
  /** Kernel-time fits per op class (Eq. 1e) with their sweep errors. */
  kernelTime: Partial<Record<KernelTimeKey, KernelTimeFit & { probes: number }>>;
  /** The int8 fits, when an `int8ProbeTimer` was given. */
  kernelTimeInt8: Partial<Record<KernelTimeKey, KernelTimeFit & { probes: number }>>;
}

/** Options of {@linkcode measureHost}. */
export interface MeasureHostOptions {
  /** Time budget in seconds, shared by the measurements (default 3). */
  seconds?: number;
  /** Print the CPU model, kernel path and numbers to stderr (default true). */
  print?: boolean;
  /**
   * Times one probe of the kernel-time sweep (Eq. 1e) in seconds; default: the best of
   * repeated `runFloat` runs within the budget. A test passes a fixed fake measurement here.
   */
  probeTimer?: (probe: Probe, budgetSeconds: number) => number;
  /**
   * Times one probe through the integer (int8) runtime, in seconds. `@lowbit/hardware` does
   * not depend on the quantizer or the runtime, so the caller supplies it (benchmarks/
   * hardware_report.ts compiles each probe with `quantizeStatic` + `compileQuantized`); when
   * given, the int8 kernel-time models are fitted too (`kernelTime.<class>.int8`).
   */
  int8ProbeTimer?: (probe: Probe) => number;
  /**
   * The activations the int8 executor fuses into their producers, copied into the file
   * (`TargetFile.fusedActivations`); like `int8ProbeTimer`, supplied by the caller who knows
   * the runtime. The float executor (`runFloat`) runs every node on its own.
   */
  fusedActivations?: TargetFile["fusedActivations"];
}

/** One single-node graph of the kernel-time sweep (docs/hardware.md Eq. 1e). */
export interface Probe {
  /** Op class (or `pointwise`: 1×1 convolutions) it measures. */
  opClass: KernelTimeKey;
  /** The shaped one-node graph (input `x`, output `y`). */
  graph: Graph;
  /** Its input. */
  input: { x: { data: Float32Array; shape: number[] } };
}

/** A kernel-time fit of one op class: coefficients per term and the sweep's relative errors. */
export interface KernelTimeFit {
  /** Seconds per feature (terms at 0 are left out). */
  terms: Partial<Record<KernelTerm, number>>;
  /** Per probe, modelled / measured − 1. */
  relativeErrors: number[];
}

function readText(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}

function cpuModel(): string {
  const info = readText("/proc/cpuinfo");
  const line = info?.split("\n").find((l) => /^model name\s*:/.test(l));
  return line
    ? line.replace(/^model name\s*:\s*/, "").trim()
    : `${Deno.build.arch} (model unknown)`;
}

function l2Bytes(): number | undefined {
  for (let i = 0; i < 8; i++) {
    const dir = `/sys/devices/system/cpu/cpu0/cache/index${i}`;
    const level = readText(`${dir}/level`)?.trim();
    const type = readText(`${dir}/type`)?.trim();
    if (level === "2" && (type === "Unified" || type === "Data")) {
      const m = readText(`${dir}/size`)?.trim().match(/^(\d+)([KMG]?)$/);
      if (!m) return undefined;
      return Number(m[1]) * ({ "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2]] as number);
    }
  }
  return undefined;
}

/** Best time in seconds of `fn` over repeated runs within `budget` seconds (≥ 3 runs). */
function best(fn: () => void, budget: number): number {
  fn(); // warm up: compile, allocate
  let bestT = Infinity, runs = 0;
  const start = performance.now();
  while (runs < 3 || (performance.now() - start) / 1000 < budget) {
    const t0 = performance.now();
    fn();
    bestT = Math.min(bestT, (performance.now() - t0) / 1000);
    runs++;
    if (runs > 10000) break;
  }
  return bestT;
}

function kernelPath(): "wasm-simd" | "typescript" {
  try {
    gemmF32(1, 1, 1, new Float32Array(1), new Float32Array(1), { kernel: "wasm" });
    return "wasm-simd";
  } catch (e) {
    if (e instanceof RangeError) return "typescript";
    throw e;
  }
}

const round3 = (x: number) => Number(x.toPrecision(3));

function probeGraph(
  opClass: KernelTimeKey,
  op: string,
  shape: number[],
  attrs: Node["attrs"],
  weights: Record<string, number[]> = {},
): Probe {
  const initializers = new Map<string, GraphTensor>();
  for (const [k, ws] of Object.entries(weights)) {
    const t = zeros("float32", ws);
    (t.data as Float32Array).fill(0.01);
    initializers.set(k, t);
  }
  const g: Graph = {
    name: "probe",
    opset: 17,
    inputs: [{ name: "x", dtype: "float32", shape }],
    outputs: [{ name: "y", dtype: "float32", shape: [] }],
    nodes: [{ name: "n", op, inputs: ["x", ...Object.keys(weights)], outputs: ["y"], attrs }],
    initializers,
    values: new Map(),
  };
  const n = shape.reduce((a, b) => a * b, 1);
  return {
    opClass,
    graph: inferShapes(g),
    input: { x: { data: new Float32Array(n).fill(0.5), shape } },
  };
}

/** Terms each op class's kernel-time model may use (Eq. 1e). */
export const KERNEL_TIME_TERMS: Readonly<Record<KernelTimeKey, readonly KernelTerm[]>> = {
  conv: ["fixed", "perMac", "perPatch", "perWeight", "perInput", "perOutput"],
  pointwise: ["fixed", "perMac", "perWeight", "perInput", "perOutput"],
  // depthwise probes are all 3×3, so MACs = 9 · outputs: no separate perOutput term; the
  // kernels vectorise along the output row, so a narrow map pays per row (perRow)
  depthwise: ["fixed", "perMac", "perGroup", "perInput", "perRow"],
  gemm: ["fixed", "perMac", "perWeight", "perInput", "perOutput"],
  pool: ["fixed", "perMac", "perInput", "perOutput"],
  // element-wise ops and global reductions read one element per op: perInput = perMac there
  elementwise: ["fixed", "perMac", "perOutput"],
};

/**
 * The kernel-time sweep: single-node float graphs per op class at shapes spanning the layers
 * of small CNNs (MNIST / MLPerf Tiny sizes: a few hundred to a few million MACs).
 *
 * @returns The probes, shaped.
 *
 * @example
 * ```ts
 * import { kernelTimeProbes } from "@lowbit/hardware/host";
 * import { ok } from "node:assert/strict";
 * const probes = kernelTimeProbes();
 * for (const c of ["conv", "pointwise", "depthwise", "gemm", "pool", "elementwise"]) {
 *   ok(probes.filter((p) => p.opClass === c).length >= 4, c);
 * }
 * ```
 */
export function kernelTimeProbes(): Probe[] {
  const probes: Probe[] = [];
  // [in channels, out channels, height, width, kernel, stride]
  const conv: [number, number, number, number, number, number][] = [
    [1, 64, 49, 10, 3, 1],
    [16, 32, 32, 32, 3, 1],
    [3, 16, 32, 32, 3, 1],
    [32, 32, 8, 8, 3, 1],
    [3, 8, 96, 96, 3, 2],
    [1, 8, 28, 28, 5, 1],
    [8, 16, 14, 14, 5, 1],
    [16, 16, 32, 32, 3, 1],
    [32, 32, 16, 16, 3, 1],
    [64, 64, 8, 8, 3, 1],
    [16, 32, 32, 32, 3, 2],
  ];
  for (const [ci, co, h, w, k, st] of conv) {
    const p = (k - 1) >> 1;
    probes.push(probeGraph("conv", "Conv", [1, ci, h, w], {
      pads: [p, p, p, p],
      strides: [st, st],
    }, { w: [co, ci, k, k] }));
  }
  // 1×1 convolutions: [in channels, out channels, height, width, stride]
  const pointwise: [number, number, number, number, number][] = [
    [64, 64, 25, 5, 1],
    [8, 16, 48, 48, 1],
    [128, 128, 6, 6, 1],
    [64, 128, 12, 12, 1],
    [16, 32, 24, 24, 1],
    [64, 64, 12, 12, 1],
    [128, 256, 3, 3, 1],
    [256, 256, 3, 3, 1],
    [16, 32, 32, 32, 2],
  ];
  for (const [ci, co, h, w, st] of pointwise) {
    probes.push(probeGraph("pointwise", "Conv", [1, ci, h, w], { strides: [st, st] }, {
      w: [co, ci, 1, 1],
    }));
  }
  const dw: [number, number, number, number][] = [
    [64, 25, 5, 1],
    [32, 32, 32, 1],
    [8, 48, 48, 1],
    [128, 6, 6, 1],
    [16, 12, 12, 1],
    [256, 3, 3, 1],
    [8, 96, 96, 2],
    [32, 48, 48, 2],
  ];
  for (const [c, h, w, st] of dw) {
    probes.push(probeGraph("depthwise", "Conv", [1, c, h, w], {
      pads: [1, 1, 1, 1],
      strides: [st, st],
      group: c,
    }, { w: [c, 1, 3, 3] }));
  }
  const gemm: [number, number, number][] = [
    [1, 640, 128],
    [1, 128, 128],
    [1, 1568, 128],
    [4, 512, 256],
    [1, 64, 12],
    [1, 128, 8],
    [1, 784, 10],
    [8, 256, 64],
  ];
  for (const [m, k, n] of gemm) {
    probes.push(probeGraph("gemm", "Gemm", [m, k], { transB: 1 }, { w: [n, k], b: [n] }));
  }
  for (const [c, h] of [[16, 64], [8, 28], [16, 14], [64, 12]]) {
    probes.push(
      probeGraph("pool", "MaxPool", [1, c, h, h], { kernel_shape: [2, 2], strides: [2, 2] }),
    );
  }
  for (const [c, h] of [[32, 32], [8, 6]]) {
    probes.push(
      probeGraph("pool", "MaxPool", [1, c, h, h], { kernel_shape: [3, 3], strides: [2, 2] }),
    );
  }
  for (const [c, h, w] of [[64, 25, 5], [256, 3, 3], [64, 8, 8]]) {
    probes.push(probeGraph("elementwise", "GlobalAveragePool", [1, c, h, w], {}));
  }
  for (const n of [1000, 8000, 65536, 300000]) {
    probes.push(probeGraph("elementwise", "Relu", [1, n], {}));
  }
  return probes;
}

/**
 * Fits one op class's kernel-time model (Eq. 1e) to measured probe times: non-negative
 * coefficients minimizing the squared relative errors (exact active-set least squares).
 *
 * @param probes Probes of one op class.
 * @param seconds Their measured times.
 * @param terms The terms to fit (default {@linkcode KERNEL_TIME_TERMS} of the class).
 * @returns Coefficients (zeros left out) and relative errors.
 * @throws {RangeError} For no probes, mixed classes, a length mismatch or a non-positive time.
 *
 * @example Times of 2 µs + 1 ns per MAC are recovered
 * ```ts
 * import { fitKernelTime, kernelTimeProbes } from "@lowbit/hardware/host";
 * import { nodeWork } from "@lowbit/hardware/work";
 * import { ok } from "node:assert/strict";
 * const probes = kernelTimeProbes().filter((p) => p.opClass === "gemm");
 * const work = (p: (typeof probes)[number]) => {
 *   const w = nodeWork(p.graph, p.graph.nodes[0]);
 *   return w.macs + w.elementOps; // MACs and bias adds
 * };
 * const t = probes.map((p) => 2e-6 + 1e-9 * work(p));
 * const fit = fitKernelTime(probes, t);
 * ok(Math.abs((fit.terms.fixed ?? 0) / 2e-6 - 1) < 1e-6);
 * ok(Math.abs((fit.terms.perMac ?? 0) / 1e-9 - 1) < 1e-6);
 * ```
 */
export function fitKernelTime(
  probes: readonly Probe[],
  seconds: readonly number[],
  terms?: readonly KernelTerm[],
): KernelTimeFit {
  if (probes.length === 0) throw new RangeError("probes: at least one probe is needed");
  if (seconds.length !== probes.length) {
    throw new RangeError(`seconds: ${seconds.length} times for ${probes.length} probes`);
  }
  const cls = probes[0].opClass;
  if (probes.some((p) => p.opClass !== cls)) throw new RangeError("probes: mixed op classes");
  seconds.forEach((t, i) => {
    if (!Number.isFinite(t) || t <= 0) {
      throw new RangeError(`seconds[${i}]: must be a positive number, got ${t}`);
    }
  });
  const use = terms ?? KERNEL_TIME_TERMS[cls];
  const works = probes.map((p) => nodeWork(p.graph, p.graph.nodes[0]));
  // features per probe: the time each term alone would give at coefficient 1, / measured
  const a = works.map((w, i) => use.map((term) => kernelTimeOf({ [term]: 1 }, w) / seconds[i]));
  // scale columns to unit norm for conditioning, then min ‖a x − 1‖², x ≥ 0
  const norms = use.map((_, j) => Math.sqrt(a.reduce((s, row) => s + row[j] ** 2, 0)) || 1);
  const scaled = a.map((row) => row.map((v, j) => v / norms[j]));
  const sol = boundedLeastSquares(scaled, a.map(() => 1), use.map(() => 0));
  if (sol === undefined) throw new RangeError("probes: the features are linearly dependent");
  const out: Partial<Record<KernelTerm, number>> = {};
  use.forEach((term, j) => {
    const c = sol.x[j] / norms[j];
    if (c > 0) out[term] = c;
  });
  return { terms: out, relativeErrors: sol.residuals };
}

/**
 * Measures this host and returns it as a target file.
 *
 * @param options Time budget and printing.
 * @returns The target file (`parseTarget` accepts it) and what was found.
 *
 * @example The result always has fp32, int8, int4 and binary peaks and a memory level
 * ```ts
 * import { measureHost } from "@lowbit/hardware/host";
 * import { deepEqual, equal } from "node:assert/strict";
 * const { file } = measureHost({ seconds: 0.1, print: false });
 * deepEqual(Object.keys(file.peak), ["fp32", "int8", "int4", "binary"]);
 * equal(file.memory[file.memory.length - 1].kind, "dram");
 * ```
 */
export function measureHost(
  options: MeasureHostOptions = {},
): { file: TargetFile; info: HostInfo } {
  const budget = (options.seconds ?? 3) / 16;
  const t0 = performance.now();
  const path = kernelPath();
  const model = cpuModel();
  const l2 = l2Bytes();
  const n = 256, macs = n * n * n;
  const af = new Float32Array(n * n).map((_, i) => ((i * 7) % 13) / 13 - 0.5);
  const bf = packF32(new Float32Array(n * n).map((_, i) => ((i * 5) % 11) / 11 - 0.5), n, n);
  const f32 = macs / best(() => void gemmF32(n, n, n, af, bf), budget);
  const a8 = new Uint8Array(n * n).map((_, i) => (i * 7) % 251);
  const b8raw = new Int8Array(n * n).map((_, i) => ((i * 5) % 255) - 127);
  const b8 = packInt8(b8raw, n, n);
  const int8 = macs / best(() => void gemmInt8(n, n, n, a8, b8, { aZeroPoint: 128 }), budget);
  const a4 = new Uint8Array(n * n).map((_, i) => (i * 7) % 16);
  const b4 = new Int8Array(n * n).map((_, i) => ((i * 5) % 16) - 8);
  const int4 = macs / best(() => void gemmNarrow(n, n, n, a4, b4, { aBits: 4, bBits: 4 }), budget);
  const ab = packBinary(af, n, n), bb = packBinary(af, n, n);
  const binary = macs / best(() => void gemmBinary(n, n, n, ab, bb), budget);

  // Bandwidth: a typed-array copy (memcpy) of a cache-sized and a DRAM-sized buffer, read +
  // write bytes counted. @lowbit/kernels has no streaming kernel; its f32 matrix-vector product
  // (m = 1, packed B, one MAC per 4 bytes) is reported as well, in `info`, because it is bound
  // by the kernel rather than by memory on this host.
  const copy = (bytes: number): number => {
    const src = new Float32Array(bytes / 4).fill(0.25), dst = new Float32Array(bytes / 4);
    return (2 * bytes) / best(() => dst.set(src), budget);
  };
  const cacheBytes = l2 !== undefined ? Math.floor(l2 / 4 / 4096) * 4096 : 256 * 1024;
  const cacheBw = copy(cacheBytes);
  const dramBw = copy(64 * 1024 * 1024);
  const gemvCols = 1024, gemvK = 4096;
  const gx = new Float32Array(gemvK).fill(0.5);
  const gb = packF32(new Float32Array(gemvK * gemvCols).fill(0.25), gemvK, gemvCols);
  const gemvBw = (gemvK * gemvCols * 4) /
    best(() => void gemmF32(1, gemvCols, gemvK, gx, gb), budget);

  // Op classes through the float executor (what runFloat sustains at one representative shape
  // per class, dispatch overhead subtracted) and the int8 kernels the integer runtime calls.
  const oneNode = (
    op: string,
    shape: number[],
    attrs: Node["attrs"],
    weights: Record<string, number[]> = {},
  ): { g: Graph; x: { x: { data: Float32Array; shape: number[] } } } => {
    // the op class only labels a probe; these one-off graphs are timed directly
    const p = probeGraph("conv", op, shape, attrs, weights);
    return { g: p.graph, x: p.input };
  };
  const timeGraph = (probe: ReturnType<typeof oneNode>) =>
    best(() => void runFloat(probe.g, probe.x), budget);
  const overhead = timeGraph(oneNode("Relu", [1], {}));
  const rateOf = (work: number, t: number) => work / Math.max(t - overhead, t * 0.05);
  const elementwise = rateOf(65536, timeGraph(oneNode("Relu", [1, 65536], {})));
  const pool = rateOf(
    16 * 32 * 32 * 4,
    timeGraph(oneNode("MaxPool", [1, 16, 64, 64], { kernel_shape: [2, 2], strides: [2, 2] })),
  );
  const convMacs = 32 * 32 * 32 * 16 * 9, dwMacs = 32 * 32 * 32 * 9, fcMacs = 4 * 256 * 512;
  const pads = { pads: [1, 1, 1, 1] };
  const convF32 = rateOf(
    convMacs,
    timeGraph(oneNode("Conv", [1, 16, 32, 32], pads, { w: [32, 16, 3, 3] })),
  );
  const dwF32 = rateOf(
    dwMacs,
    timeGraph(oneNode("Conv", [1, 32, 32, 32], { ...pads, group: 32 }, { w: [32, 1, 3, 3] })),
  );
  const fcF32 = rateOf(
    fcMacs,
    timeGraph(oneNode("Gemm", [4, 512], { transB: 1 }, { w: [256, 512] })),
  );
  const convP = {
    batch: 1,
    inChannels: 16,
    height: 32,
    width: 32,
    outChannels: 32,
    kernelH: 3,
    kernelW: 3,
    padding: 1,
  };
  const dwP = { ...convP, inChannels: 32, groups: 32 };
  const xq = new Uint8Array(16 * 32 * 32).fill(3), wq = new Int8Array(32 * 16 * 9).fill(2);
  const convI8 = convMacs /
    best(() => void conv2dInt8(xq, wq, convP, { inputZeroPoint: 128 }), budget);
  const xdq = new Uint8Array(32 * 32 * 32).fill(3), wdq = new Int8Array(32 * 9).fill(2);
  const dwI8 = dwMacs /
    best(() => void depthwiseConv2dInt8(xdq, wdq, dwP, { inputZeroPoint: 128 }), budget);
  const fa = new Uint8Array(4 * 512).fill(3);
  const fb = packInt8(new Int8Array(512 * 256).fill(2), 512, 256);
  const fcI8 = fcMacs / best(() => void gemmInt8(4, 256, 512, fa, fb, { aZeroPoint: 128 }), budget);

  // Kernel-time models (Eq. 1e): the float executor on a sweep of shapes per op class.
  const probes = kernelTimeProbes();
  const probeBudget = (options.seconds ?? 3) / 2 / probes.length;
  const timer = options.probeTimer ??
    ((p: Probe, b: number) => best(() => void runFloat(p.graph, p.input), b));
  const probeSeconds = probes.map((p) => timer(p, probeBudget));
  const kernelFits: Partial<Record<KernelTimeKey, KernelTimeFit & { probes: number }>> = {};
  for (const cls of KERNEL_TIME_KEYS) {
    const idx = probes.flatMap((p, i) => (p.opClass === cls ? [i] : []));
    const fit = fitKernelTime(idx.map((i) => probes[i]), idx.map((i) => probeSeconds[i]));
    kernelFits[cls] = { ...fit, probes: idx.length };
  }
  const kernelFitsInt8: Partial<Record<KernelTimeKey, KernelTimeFit & { probes: number }>> = {};
  if (options.int8ProbeTimer !== undefined) {
    const t8 = probes.map((p) => (options.int8ProbeTimer as (p: Probe) => number)(p));
    for (const cls of KERNEL_TIME_KEYS) {
      const idx = probes.flatMap((p, i) => (p.opClass === cls ? [i] : []));
      const fit = fitKernelTime(idx.map((i) => probes[i]), idx.map((i) => t8[i]));
      kernelFitsInt8[cls] = { ...fit, probes: idx.length };
    }
  }
  const seconds = (performance.now() - t0) / 1000;

  const src = (what: string) =>
    `measured on this host (${model}, ${path}, 1 thread): ${what}, best of repeated runs`;
  const memory: MemoryLevelFile[] = [
    {
      name: "L2 (measured)",
      kind: "sram",
      holds: ["weights", "activations"],
      ...(l2 === undefined ? {} : {
        size: {
          value: l2,
          unit: "B",
          source: "/sys/devices/system/cpu/cpu0/cache/index*/size (level 2)",
        },
      }),
      bandwidth: {
        value: round3(cacheBw / 1e9),
        unit: "GB/s",
        source: src(`Float32Array copy of ${cacheBytes / 1024} KiB, read + write bytes`),
      },
    },
    {
      name: "DRAM (measured)",
      kind: "dram",
      holds: ["weights", "activations"],
      bandwidth: {
        value: round3(dramBw / 1e9),
        unit: "GB/s",
        source: src("Float32Array copy of 64 MiB, read + write bytes"),
      },
    },
  ];
  if (l2 === undefined) delete memory[0].size;
  const rateQ = (v: number, what: string): Quantity => ({
    value: round3(v / 1e9),
    unit: "Gop/s",
    source: src(what),
  });
  const classRates = (): Partial<Record<OpClass, Partial<Record<PeakPrecision, Quantity>>>> => ({
    conv: {
      fp32: rateQ(convF32, "runFloat Conv 1×16×32×32 → 32, 3×3, pad 1"),
      int8: rateQ(convI8, "conv2dInt8 1×16×32×32 → 32, 3×3, pad 1"),
    },
    depthwise: {
      fp32: rateQ(dwF32, "runFloat depthwise Conv 1×32×32×32, 3×3, pad 1"),
      int8: rateQ(dwI8, "depthwiseConv2dInt8 1×32×32×32, 3×3, pad 1"),
    },
    gemm: {
      fp32: rateQ(fcF32, "runFloat Gemm 4×512 → 256"),
      int8: rateQ(fcI8, "gemmInt8 4×512 → 256, packed B"),
    },
    pool: { fp32: rateQ(pool, "runFloat MaxPool 2×2 on 1×16×64×64 (taps per second)") },
    elementwise: { fp32: rateQ(elementwise, "runFloat Relu on 65536 elements") },
  });
  const file: TargetFile = {
    name: "host",
    description: `this host: ${model}; @lowbit/kernels ${path}, single thread`,
    cores: { value: 1, unit: "count", source: "measurements are single-threaded" },
    peak: {
      fp32: { value: round3(f32 / 1e9), unit: "GMAC/s", source: src("gemmF32 256³, packed B") },
      int8: {
        value: round3(int8 / 1e9),
        unit: "GMAC/s",
        source: src("gemmInt8 256³ uint8×int8, packed B"),
      },
      int4: { value: round3(int4 / 1e9), unit: "GMAC/s", source: src("gemmNarrow 256³, 4×4 bits") },
      binary: { value: round3(binary / 1e9), unit: "GMAC/s", source: src("gemmBinary 256³") },
    },
    opClassRate: classRates(),
    kernelTime: Object.fromEntries(
      Object.entries(kernelFits).map(([cls, fit]) => {
        const terms = (f: KernelTimeFit & { probes: number }, how: string) =>
          Object.fromEntries(
            Object.entries(f.terms).map(([term, v]) => [term, {
              value: round3(v * 1e9),
              unit: "ns",
              source: src(
                `${how} on ${f.probes} single-node ${cls} graphs (kernelTimeProbes), non-negative least squares on relative error; sweep max |error| ${
                  (Math.max(...f.relativeErrors.map(Math.abs)) * 100).toFixed(0)
                }%`,
              ),
            }]),
          );
        const i8 = kernelFitsInt8[cls as KernelTimeKey];
        return [cls, {
          fp32: terms(fit, "runFloat"),
          ...(i8 === undefined ? {} : { int8: terms(i8, "the integer runtime (int8ProbeTimer)") }),
        }];
      }),
    ),
    ...(options.fusedActivations === undefined
      ? {}
      : { fusedActivations: options.fusedActivations }),
    nodeOverhead: {
      value: Number((overhead * 1e6).toPrecision(3)),
      unit: "us",
      source: src("runFloat of a one-node Relu graph on one element"),
    },
    memory,
    notes: [
      "Peaks are the best single-thread GEMM throughput of @lowbit/kernels, not the CPU's datasheet peak.",
      "No fp16 peak: @lowbit/kernels has no fp16 GEMM.",
      "opClassRate: fp32 rates are runFloat on one node at one shape per class (conv 16→32 3×3 on 32×32, depthwise 32 ch 3×3 on 32×32, Gemm 4×512→256, MaxPool 2×2 on 16×64×64, Relu on 65536), node overhead subtracted; int8 rates are the conv2dInt8 / depthwiseConv2dInt8 / gemmInt8 kernels on the same shapes; int8 pooling and element-wise ops of the integer runtime are not measured and fall back to the int8 GEMM peak.",
    ],
  };
  const info: HostInfo = {
    cpuModel: model,
    kernelPath: path,
    ...(l2 === undefined ? {} : { l2Bytes: l2 }),
    gemvBytesPerSecond: gemvBw,
    seconds,
    kernelTime: kernelFits,
    kernelTimeInt8: kernelFitsInt8,
  };
  if (options.print ?? true) {
    console.error(
      `host: ${model}; kernels: ${path}; fp32 ${(f32 / 1e9).toFixed(2)} GMAC/s, int8 ${
        (int8 / 1e9).toFixed(2)
      }, int4 ${(int4 / 1e9).toFixed(2)}, binary ${(binary / 1e9).toFixed(2)}; L2 ${
        (cacheBw / 1e9).toFixed(1)
      } GB/s, DRAM ${(dramBw / 1e9).toFixed(1)} GB/s (copy); f32 GEMV ${
        (gemvBw / 1e9).toFixed(1)
      } GB/s; runFloat per node ${(overhead * 1e6).toFixed(1)} µs, conv ${
        (convF32 / 1e9).toFixed(2)
      } Gop/s, depthwise ${(dwF32 / 1e9).toFixed(2)}, Gemm ${(fcF32 / 1e9).toFixed(2)}, pool ${
        (pool / 1e9).toFixed(3)
      }, element-wise ${(elementwise / 1e9).toFixed(3)} (${seconds.toFixed(1)} s)`,
    );
  }
  return { file, info };
}
