/**
 * This host as a target, measured rather than typed in: peak MAC/s of the `@lowbit/kernels`
 * GEMMs (f32, int8, 4-bit narrow, binary) on a 256×256×256 product, and the bandwidth of a
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

import {
  gemmBinary,
  gemmF32,
  gemmInt8,
  gemmNarrow,
  packBinary,
  packF32,
  packInt8,
} from "@lowbit/kernels";
import type { MemoryLevelFile, TargetFile } from "./target.ts";

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
}

/** Options of {@linkcode measureHost}. */
export interface MeasureHostOptions {
  /** Time budget in seconds, shared by the seven measurements (default 3). */
  seconds?: number;
  /** Print the CPU model, kernel path and numbers to stderr (default true). */
  print?: boolean;
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
  const budget = (options.seconds ?? 3) / 7;
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
    memory,
    notes: [
      "Peaks are the best single-thread GEMM throughput of @lowbit/kernels, not the CPU's datasheet peak.",
      "No fp16 peak: @lowbit/kernels has no fp16 GEMM.",
    ],
  };
  const info: HostInfo = {
    cpuModel: model,
    kernelPath: path,
    ...(l2 === undefined ? {} : { l2Bytes: l2 }),
    gemvBytesPerSecond: gemvBw,
    seconds,
  };
  if (options.print ?? true) {
    console.error(
      `host: ${model}; kernels: ${path}; fp32 ${(f32 / 1e9).toFixed(2)} GMAC/s, int8 ${
        (int8 / 1e9).toFixed(2)
      }, int4 ${(int4 / 1e9).toFixed(2)}, binary ${(binary / 1e9).toFixed(2)}; L2 ${
        (cacheBw / 1e9).toFixed(1)
      } GB/s, DRAM ${(dramBw / 1e9).toFixed(1)} GB/s (copy); f32 GEMV ${
        (gemvBw / 1e9).toFixed(1)
      } GB/s (${seconds.toFixed(1)} s)`,
    );
  }
  return { file, info };
}
