// The host line every report prints first: CPU model, cores, engine, and what the kernels
// probed and chose (kernelInfo).

import { kernelInfo } from "@lowbit/kernels/kernel-info";

/** The CPU model name (from /proc/cpuinfo where readable). */
export function cpuModel(): string {
  try {
    const info = Deno.readTextFileSync("/proc/cpuinfo");
    const m = info.match(/^model name\s*:\s*(.+)$/m);
    const flags = info.match(/^flags\s*:\s*(.+)$/m)?.[1].split(" ") ?? [];
    const vnni = ["avx512_vnni", "avx_vnni"].filter((f) => flags.includes(f));
    return `${m ? m[1].trim() : "unknown CPU"}${
      vnni.length ? ` (${vnni.join(", ")})` : " (no VNNI flag)"
    }`;
  } catch {
    return navigator.userAgent;
  }
}

/** A few lines describing the host and the kernel paths. */
export function hostLines(): string[] {
  const k = kernelInfo();
  return [
    `CPU: ${cpuModel()}, ${navigator.hardwareConcurrency} logical cores; Deno ${Deno.version.deno}, V8 ${Deno.version.v8}`,
    `kernels: wasm=${k.wasm} sharedMemory=${k.sharedMemory} relaxedDot=${k.relaxedDot} fusedMadd=${k.fusedMadd} int8Gemm=${k.int8Gemm}`,
  ];
}
