// Private: a worker thread of the kernel pool (see pool.ts). It instantiates the kernel
// modules over the pool's shared memory, then waits on its control slot: each job is an op
// code and up to 10 int32 arguments; when done it bumps the shared done counter and wakes
// the caller.

import { instantiate } from "./_wasm.ts";
import type { CompiledModules } from "./_wasm.ts";
import { OP, SLOT, SLOT_ARGS, SLOT_OP, SLOT_SEQ } from "./_pool_protocol.ts";
import { bitsColumns } from "./_gemm_binary_wasm.ts";

interface Init {
  memory: WebAssembly.Memory;
  modules: CompiledModules;
  control: SharedArrayBuffer;
  slot: number;
  /** Where "ready" is posted. */
  port: MessagePort;
}

// `globalThis` and a port, not `self.postMessage`: once onnxruntime-web has run in the parent,
// Deno (2.9) starts workers without `self` whose own postMessage never reaches the parent.
const scope = globalThis as unknown as {
  addEventListener(type: "message", f: (e: MessageEvent<Init>) => void): void;
};

scope.addEventListener("message", (e: MessageEvent<Init>) => {
  const { memory, modules, control, slot, port } = e.data;
  const k = instantiate(memory, modules);
  const ctrl = new Int32Array(control);
  const base = slot * SLOT;
  port.postMessage("ready");
  port.close();
  let seen = 0;
  for (;;) {
    Atomics.wait(ctrl, base + SLOT_SEQ, seen);
    seen = Atomics.load(ctrl, base + SLOT_SEQ);
    const op = ctrl[base + SLOT_OP];
    const a = (i: number) => ctrl[base + SLOT_ARGS + i];
    if (op === OP.exit) return;
    if (op === OP.gemmF32) k.f32.gemm(a(0), a(1), a(2), a(3), a(4), a(5), a(6), a(7), a(8));
    else if (op === OP.gemmInt8) k.int8.gemm(a(0), a(1), a(2), a(3), a(4), a(5), a(6), a(7));
    else if (op === OP.gemmNarrow) {
      k.int8.gemm_narrow(a(0), a(1), a(2), a(3), a(4), a(5), a(6), a(7), a(8));
    } else if (op === OP.gemvInt8) k.int8.gemv(a(0), a(1), a(2), a(3), a(4), a(5), a(6), a(7));
    else if (op === OP.gemmDp) k.int8.gemm_dp(a(0), a(1), a(2), a(3), a(4), a(5), a(6), a(7));
    else if (op === OP.bits) {
      bitsColumns(k.bin, a(0), a(1), a(2), a(3), a(4), a(5), a(6), a(7), a(8), a(9), a(10));
    } else if (op === OP.gemvDp) {
      k.int8.gemv_dp(a(0), a(1), a(2), a(3), a(4), a(5), a(6), a(7), a(8));
    }
    Atomics.add(ctrl, 0, 1);
    Atomics.notify(ctrl, 0);
  }
});
