// The unshared-memory variant of the kernel modules (used where SharedArrayBuffer is missing)
// computes exactly what the shared one does.
import { deepEqual, throws } from "node:assert/strict";
import { ARENA, type F32Exports, kernels, moduleBytes, unshareMemoryImport } from "./_wasm.ts";
import { gemmF32 } from "./gemm_f32.ts";
import { randomF32 } from "./_test_util.ts";

Deno.test("unshared module variant validates, runs over a private memory, matches gemmF32", () => {
  const { f32, int8 } = moduleBytes();
  const u = unshareMemoryImport(f32);
  deepEqual(WebAssembly.validate(u), true);
  deepEqual(WebAssembly.validate(unshareMemoryImport(int8)), true);
  const memory = new WebAssembly.Memory({ initial: 128, maximum: 32768 });
  const ex = new WebAssembly.Instance(new WebAssembly.Module(u), { env: { memory } })
    .exports as unknown as F32Exports;
  const m = 9, n = 13, k = 300;
  const a = randomF32(m * k, 1), b = randomF32(k * n, 2);
  const f = new Float32Array(memory.buffer);
  const aAt = ARENA, bAt = aAt + m * k * 4, rawAt = bAt + 16 * k * 4, cAt = rawAt + k * n * 4;
  f.set(a, aAt / 4);
  f.set(b, rawAt / 4);
  ex.pack_b(rawAt, k, n, 0, bAt);
  ex.gemm(aAt, bAt, cAt, k, n, 0, m, 0, 65536);
  deepEqual(f.slice(cAt / 4, cAt / 4 + m * n), gemmF32(m, n, k, a, b, { kernel: "wasm" }));
  deepEqual(kernels()!.memory.buffer instanceof SharedArrayBuffer, true);
  throws(() => unshareMemoryImport(u), /no shared env.memory import/);
});
